//! The official App IO documents (`specs/appio/`, converted from YAML to JSON), parsed once,
//! and the validator they are read with.

pub use crate::pagopa::schema::{Document, SchemaError, Violation, is_fiscal_code, is_ulid};
use std::sync::OnceLock;

/// `pagopa/io-messages` `apps/services-func/openapi/index.yaml`: the messages API.
const IO_MESSAGES: &str = include_str!("../../specs/appio/io_messages_services.json");
/// `pagopa/io-functions-services` `apps/io-functions-services/openapi/index.yaml`: profiles
/// (and the older copy of the messages API).
const IO_SERVICES: &str = include_str!("../../specs/appio/io_functions_services.json");

fn parsed(
    cell: &'static OnceLock<Result<Document, String>>,
    text: &str,
) -> Result<&'static Document, SchemaError> {
    cell.get_or_init(|| Document::parse(text).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| SchemaError::Document(e.clone()))
}

/// The messages document: `NewMessage`, `ExternalMessageResponseWithContent`,
/// `ProblemJson`, ...
pub fn messages() -> Result<&'static Document, SchemaError> {
    static DOC: OnceLock<Result<Document, String>> = OnceLock::new();
    parsed(&DOC, IO_MESSAGES)
}

/// The services document: `FiscalCodePayload` (the `POST /profiles` body), `LimitedProfile`,
/// ...
pub fn services() -> Result<&'static Document, SchemaError> {
    static DOC: OnceLock<Result<Document, String>> = OnceLock::new();
    parsed(&DOC, IO_SERVICES)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_documents_parse_and_read_io_s_extensions() {
        let doc = messages().unwrap();
        let ok = json!({"fiscal_code": "RSSMRA80A01H501U", "time_to_live": 3600,
            "feature_level_type": "STANDARD",
            "content": {"subject": "Oggetto di prova", "markdown": "x".repeat(80),
                "due_date": "2026-03-30T23:59:59.000Z",
                "payment_data": {"amount": 100, "notice_number": "301000000000000017"}}});
        assert_eq!(doc.validate("NewMessage", &ok).unwrap(), vec![]);
        let bad = json!({"fiscal_code": "rssmra80a01h501u", "time_to_live": 60,
            "feature_level_type": "GOLD",
            "content": {"subject": "short", "markdown": "short", "due_date": "tomorrow",
                "payment_data": {"amount": 0, "notice_number": "401000000000000017",
                    "payee": {"fiscal_code": "123"}}}});
        let violations = doc.validate("NewMessage", &bad).unwrap();
        let text: Vec<String> = violations.iter().map(ToString::to_string).collect();
        for needle in [
            "fiscal_code: must be a fiscal code",
            "time_to_live: must be at least 3600",
            "feature_level_type: must be one of",
            "content.subject: length must be at least 10",
            "content.markdown: length must be at least 80",
            "content.due_date: must be an ISO-8601",
            "content.payment_data.amount: must be at least 1",
            "content.payment_data.notice_number: must match",
            "content.payment_data.payee.fiscal_code: must be an organization fiscal code",
        ] {
            assert!(
                text.iter().any(|t| t.contains(needle)),
                "{needle}: {text:?}"
            );
        }
        // `x-one-of`: a status is one of the two enums, not both.
        let status = |s: &str| {
            doc.validate("MessageStatusValue", &json!(s))
                .unwrap()
                .is_empty()
        };
        assert!(status("REJECTED") && status("PROCESSED") && !status("LOST"));
        // Swagger 2.0's boolean `exclusiveMaximum`.
        let problem = |n: u16| {
            doc.validate("ProblemJson", &json!({"status": n}))
                .unwrap()
                .is_empty()
        };
        assert!(problem(599) && !problem(600));
        let services = services().unwrap();
        assert!(
            services
                .validate(
                    "FiscalCodePayload",
                    &json!({"fiscal_code": "RSSMRA80A01H501U"})
                )
                .unwrap()
                .is_empty()
        );
        assert!(
            !services
                .validate("FiscalCodePayload", &json!({}))
                .unwrap()
                .is_empty()
        );
        assert!(
            services
                .validate(
                    "LimitedProfile",
                    &json!({"sender_allowed": true, "preferred_languages": ["it_IT"]})
                )
                .unwrap()
                .is_empty()
        );
    }
}
