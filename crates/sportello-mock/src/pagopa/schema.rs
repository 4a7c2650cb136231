//! A small JSON Schema validator for the vendored OpenAPI documents: pagoPA's (OpenAPI 3) and
//! App IO's (Swagger 2.0).
//!
//! It resolves local `$ref`s (`#/components/schemas/...`, `#/definitions/...`) and supports
//! the keywords those documents use: `type` (a name or a list, `nullable`, `x-nullable`),
//! `enum` and `x-extensible-enum`, `required`, `properties`, `additionalProperties`,
//! `minLength`/`maxLength`, `pattern`, `minimum`/`maximum` (and the exclusive forms, as numbers
//! or as Swagger 2.0 booleans), `minItems`/`maxItems`, `uniqueItems`, `items`,
//! `allOf`/`anyOf`/`oneOf` (and `allOf` with `x-one-of: true`, which App IO's generator reads
//! as "one of"), and the formats `date-time`, `date`, `int32`, `int64`, and App IO's
//! `FiscalCode`, `OrganizationFiscalCode`, `UTCISODateFromString`, `Ulid`, `EmailString` and
//! `email`. Each violation carries the JSON path of the offending value and the reason.
//!
//! App IO's documents are compiled by `gen-api-models` into io-ts decoders, which treat
//! `x-extensible-enum` as a closed enum when decoding a request: so does this validator.
//!
//! `pattern` is matched against the whole string: the GPD documents are generated from Java
//! `@Pattern` annotations, which is how the real service applies them (`[A-Z]{2}` rejects
//! `"ITA"`). `readOnly` properties are accepted and ignored in requests, as the real service
//! does.

use serde_json::Value;
use std::fmt;
use std::sync::OnceLock;

/// The GPD v1 debt-position document, `specs/pagopa/openapi_external_v1.json`.
const GPD_V1: &str = include_str!("../../specs/pagopa/openapi_external_v1.json");
/// The GPD receipts document, `specs/pagopa/gpd_payments.json`.
const GPD_PAYMENTS: &str = include_str!("../../specs/pagopa/gpd_payments.json");

/// Nesting deeper than this is reported instead of followed (a `$ref` cycle in a document).
const MAX_DEPTH: usize = 64;

/// One reason a value does not match its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Where: `paymentOption[0].transfer[1].iban`, or `(body)` for the document itself.
    pub path: String,
    pub reason: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.reason)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("the vendored OpenAPI document is not valid JSON: {0}")]
    Document(String),
    #[error("the OpenAPI document has no schema {0}")]
    UnknownSchema(String),
}

/// A parsed OpenAPI document.
#[derive(Debug)]
pub struct Document {
    root: Value,
}

/// The GPD v1 document, parsed once.
pub fn gpd_v1() -> Result<&'static Document, SchemaError> {
    static DOC: OnceLock<Result<Document, String>> = OnceLock::new();
    DOC.get_or_init(|| Document::parse(GPD_V1).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| SchemaError::Document(e.clone()))
}

/// The GPD receipts document, parsed once.
pub fn gpd_payments() -> Result<&'static Document, SchemaError> {
    static DOC: OnceLock<Result<Document, String>> = OnceLock::new();
    DOC.get_or_init(|| Document::parse(GPD_PAYMENTS).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| SchemaError::Document(e.clone()))
}

impl Document {
    pub fn parse(text: &str) -> Result<Document, serde_json::Error> {
        Ok(Document {
            root: serde_json::from_str(text)?,
        })
    }

    /// The document itself, for callers that read other parts of it.
    pub fn root(&self) -> &Value {
        &self.root
    }

    /// Validates `value` against `#/components/schemas/{name}` (OpenAPI 3) or
    /// `#/definitions/{name}` (Swagger 2.0).
    pub fn validate(&self, name: &str, value: &Value) -> Result<Vec<Violation>, SchemaError> {
        let schema = self
            .root
            .pointer(&format!("/components/schemas/{name}"))
            .or_else(|| self.root.pointer(&format!("/definitions/{name}")))
            .ok_or_else(|| SchemaError::UnknownSchema(name.to_owned()))?;
        let mut out = Vec::new();
        self.check(schema, value, "", &mut out, 0);
        Ok(out)
    }

    fn resolve<'a>(&'a self, schema: &'a Value) -> Option<&'a Value> {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(reference) => reference
                .strip_prefix('#')
                .and_then(|pointer| self.root.pointer(pointer)),
            None => Some(schema),
        }
    }

    fn check(
        &self,
        schema: &Value,
        value: &Value,
        path: &str,
        out: &mut Vec<Violation>,
        depth: usize,
    ) {
        let here = || {
            if path.is_empty() {
                "(body)".to_owned()
            } else {
                path.to_owned()
            }
        };
        let mut push = |reason: String| {
            out.push(Violation {
                path: here(),
                reason,
            })
        };
        if depth > MAX_DEPTH {
            push("schema nesting too deep".to_owned());
            return;
        }
        let Some(schema) = self.resolve(schema) else {
            push("unresolvable $ref in the OpenAPI document".to_owned());
            return;
        };
        if schema.get("$ref").is_some() {
            // A reference to a reference.
            self.check(schema, value, path, out, depth + 1);
            return;
        }

        let nullable = ["nullable", "x-nullable"]
            .iter()
            .any(|k| schema.get(*k).and_then(Value::as_bool) == Some(true));
        if value.is_null() && nullable {
            return;
        }
        if let Some(types) = schema.get("type") {
            let allowed: Vec<&str> = match types {
                Value::String(t) => vec![t.as_str()],
                Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            if !allowed.is_empty() && !allowed.iter().any(|t| type_matches(t, value)) {
                push(format!(
                    "must be of type {}, found {}",
                    allowed.join(" or "),
                    type_name(value)
                ));
                return;
            }
        }
        for keyword in ["enum", "x-extensible-enum"] {
            if let Some(options) = schema.get(keyword).and_then(Value::as_array)
                && !options.contains(value)
            {
                let listed: Vec<String> = options.iter().map(Value::to_string).collect();
                push(format!("must be one of {}", listed.join(", ")));
            }
        }

        match value {
            Value::String(text) => self.check_string(schema, text, &mut push),
            Value::Number(_) => check_number(schema, value, &mut push),
            Value::Array(items) => {
                let count = items.len() as u64;
                if let Some(min) = schema.get("minItems").and_then(Value::as_u64)
                    && count < min
                {
                    push(format!("must have at least {min} items, has {count}"));
                }
                if let Some(max) = schema.get("maxItems").and_then(Value::as_u64)
                    && count > max
                {
                    push(format!("must have at most {max} items, has {count}"));
                }
                if schema.get("uniqueItems").and_then(Value::as_bool) == Some(true) {
                    let duplicated = items
                        .iter()
                        .enumerate()
                        .any(|(i, a)| items[i + 1..].contains(a));
                    if duplicated {
                        push("items must be unique".to_owned());
                    }
                }
                if let Some(item_schema) = schema.get("items") {
                    for (i, item) in items.iter().enumerate() {
                        self.check(item_schema, item, &format!("{path}[{i}]"), out, depth + 1);
                    }
                }
            }
            Value::Object(fields) => {
                if let Some(required) = schema.get("required").and_then(Value::as_array) {
                    for name in required.iter().filter_map(Value::as_str) {
                        if fields.get(name).is_none_or(Value::is_null) {
                            out.push(Violation {
                                path: join(path, name),
                                reason: "is required".to_owned(),
                            });
                        }
                    }
                }
                let properties = schema.get("properties").and_then(Value::as_object);
                for (name, field) in fields {
                    let child = join(path, name);
                    match properties.and_then(|p| p.get(name)) {
                        Some(property) => {
                            // Absent and null are the same to the real (Jackson) service.
                            if !field.is_null() {
                                self.check(property, field, &child, out, depth + 1);
                            }
                        }
                        None => match schema.get("additionalProperties") {
                            Some(Value::Bool(false)) => out.push(Violation {
                                path: child,
                                reason: "is not an allowed property".to_owned(),
                            }),
                            Some(extra @ Value::Object(_)) => {
                                self.check(extra, field, &child, out, depth + 1)
                            }
                            _ => {}
                        },
                    }
                }
            }
            _ => {}
        }

        let all_is_one_of = schema.get("x-one-of").and_then(Value::as_bool) == Some(true);
        if !all_is_one_of && let Some(all) = schema.get("allOf").and_then(Value::as_array) {
            for part in all {
                self.check(part, value, path, out, depth + 1);
            }
        }
        let one_of = if all_is_one_of { "allOf" } else { "oneOf" };
        for (keyword, exactly_one) in [("anyOf", false), (one_of, true)] {
            if let Some(choices) = schema.get(keyword).and_then(Value::as_array) {
                let matching = choices
                    .iter()
                    .filter(|choice| {
                        let mut scratch = Vec::new();
                        self.check(choice, value, path, &mut scratch, depth + 1);
                        scratch.is_empty()
                    })
                    .count();
                let fine = if exactly_one {
                    matching == 1
                } else {
                    matching >= 1
                };
                if !fine {
                    out.push(Violation {
                        path: here(),
                        reason: format!("must match {keyword} of its schemas ({matching} match)"),
                    });
                }
            }
        }
    }

    fn check_string(&self, schema: &Value, text: &str, push: &mut impl FnMut(String)) {
        let length = text.chars().count() as u64;
        if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
            && length < min
        {
            push(format!("length must be at least {min}, is {length}"));
        }
        if let Some(max) = schema.get("maxLength").and_then(Value::as_u64)
            && length > max
        {
            push(format!("length must be at most {max}, is {length}"));
        }
        if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
            // A pattern this engine cannot compile (Java-only syntax) is not checked: the
            // stand-in must not refuse what the real service accepts.
            if let Ok(regex) = regex::Regex::new(&format!("^(?:{pattern})$"))
                && !regex.is_match(text)
            {
                push(format!("must match the pattern {pattern}"));
            }
        }
        match schema.get("format").and_then(Value::as_str) {
            Some("date-time") if parse_date_time(text).is_none() => {
                push("must be a date-time (yyyy-MM-ddTHH:mm:ss[.SSS][offset])".to_owned())
            }
            Some("date") if text.parse::<jiff::civil::Date>().is_err() => {
                push("must be a date (yyyy-MM-dd)".to_owned())
            }
            Some("FiscalCode") if !is_fiscal_code(text) => {
                push("must be a fiscal code (16 characters, upper case)".to_owned())
            }
            Some("OrganizationFiscalCode")
                if !(text.len() == 11 && text.bytes().all(|b| b.is_ascii_digit())) =>
            {
                push("must be an organization fiscal code (11 digits)".to_owned())
            }
            Some("UTCISODateFromString") if text.parse::<jiff::Timestamp>().is_err() => {
                push("must be an ISO-8601 date-time with its offset".to_owned())
            }
            Some("Ulid") if !is_ulid(text) => {
                push("must be a ULID (26 Crockford base32 characters)".to_owned())
            }
            Some("email" | "EmailString") if !is_email_like(text) => {
                push("must be an e-mail address".to_owned())
            }
            _ => {}
        }
    }
}

fn check_number(schema: &Value, value: &Value, push: &mut impl FnMut(String)) {
    let Some(n) = value.as_f64() else { return };
    let bound = |key: &str| schema.get(key).and_then(Value::as_f64);
    if let Some(min) = bound("minimum")
        && n < min
    {
        push(format!("must be at least {min}"));
    }
    if let Some(max) = bound("maximum")
        && n > max
    {
        push(format!("must be at most {max}"));
    }
    if let Some(min) = bound("exclusiveMinimum")
        && n <= min
    {
        push(format!("must be greater than {min}"));
    }
    if let Some(max) = bound("exclusiveMaximum")
        && n >= max
    {
        push(format!("must be less than {max}"));
    }
    // Swagger 2.0 spells the exclusive bounds as flags on `minimum`/`maximum`.
    let flag = |key: &str| schema.get(key).and_then(Value::as_bool) == Some(true);
    if flag("exclusiveMinimum")
        && let Some(min) = bound("minimum")
        && n <= min
    {
        push(format!("must be greater than {min}"));
    }
    if flag("exclusiveMaximum")
        && let Some(max) = bound("maximum")
        && n >= max
    {
        push(format!("must be less than {max}"));
    }
    if schema.get("format").and_then(Value::as_str) == Some("int32")
        && value.as_i64().is_none_or(|i| i32::try_from(i).is_err())
    {
        push("must fit in 32 bits".to_owned());
    }
}

/// The pattern of `@pagopa/ts-commons`' `FiscalCode` (and of the App IO path parameter),
/// which accepts the omocodia letters in the digit positions.
pub fn is_fiscal_code(text: &str) -> bool {
    static PATTERN: OnceLock<Option<regex::Regex>> = OnceLock::new();
    PATTERN
        .get_or_init(|| {
            regex::Regex::new(
                "^[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$",
            )
            .ok()
        })
        .as_ref()
        .is_some_and(|regex| regex.is_match(text))
}

/// 26 characters of Crockford's base32 whose first is at most `7` (128 bits).
pub fn is_ulid(text: &str) -> bool {
    text.len() == 26
        && text
            .bytes()
            .next()
            .is_some_and(|b| (b'0'..=b'7').contains(&b))
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b.is_ascii_uppercase() && !b"ILOU".contains(&b)))
}

fn is_email_like(text: &str) -> bool {
    text.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && domain.contains('.') && !text.chars().any(char::is_whitespace)
    })
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

fn type_matches(name: &str, value: &Value) -> bool {
    match name {
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        "null" => value.is_null(),
        _ => true,
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A date-time as the real service reads it: an instant with an offset (`...Z`,
/// `...+01:00`), or a local date-time without one (Java `LocalDateTime`), taken as UTC.
pub fn parse_date_time(text: &str) -> Option<jiff::Timestamp> {
    if let Ok(instant) = text.parse::<jiff::Timestamp>() {
        return Some(instant);
    }
    let local: jiff::civil::DateTime = text.parse().ok()?;
    local
        .to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_vendored_documents_parse_and_have_the_schemas() {
        let doc = gpd_v1().unwrap();
        for name in [
            "PaymentPositionModel",
            "PaymentOptionModel",
            "TransferModel",
            "Stamp",
            "AlreadyPaidPaymentOptionModel",
            "PaymentPositionModelBaseResponse",
            "PaymentPositionsInfo",
        ] {
            assert!(doc.validate(name, &json!({})).is_ok(), "{name}");
        }
        assert!(
            gpd_payments()
                .unwrap()
                .validate("PaymentsResult", &json!({}))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn violations_name_the_path_and_the_reason() {
        let doc = gpd_v1().unwrap();
        let body = json!({
            "iupd": "x", "type": "X", "fiscalCode": "A", "fullName": "B", "switchToExpired": false,
            "country": "ITA",
            "paymentOption": [{"iuv": "1", "amount": 0, "description": "d", "isPartialPayment": false,
                "dueDate": "not a date",
                "transfer": [{"idTransfer": "6", "amount": 1, "remittanceInformation": "r",
                    "category": "c", "iban": "IT 60"}]}]
        });
        let violations = doc.validate("PaymentPositionModel", &body).unwrap();
        let text: Vec<String> = violations.iter().map(ToString::to_string).collect();
        let has = |needle: &str| text.iter().any(|t| t.contains(needle));
        assert!(has("companyName: is required"), "{text:?}");
        assert!(has("type: must be one of"), "{text:?}");
        assert!(has("country: must match the pattern"), "{text:?}");
        assert!(
            has("paymentOption[0].amount: must be at least 1"),
            "{text:?}"
        );
        assert!(
            has("paymentOption[0].dueDate: must be a date-time"),
            "{text:?}"
        );
        assert!(has("paymentOption[0].transfer[0].idTransfer"), "{text:?}");
        assert!(
            has("paymentOption[0].transfer[0].iban: must match"),
            "{text:?}"
        );
        assert_eq!(violations.len(), 7, "{text:?}");
    }

    #[test]
    fn a_valid_body_has_no_violations_and_types_are_checked() {
        let doc = gpd_v1().unwrap();
        let ok = json!({"iupd": "x", "type": "F", "fiscalCode": "A", "fullName": "B",
            "companyName": "C", "switchToExpired": true, "validityDate": "2030-01-01T00:00:00Z"});
        assert!(
            doc.validate("PaymentPositionModel", &ok)
                .unwrap()
                .is_empty()
        );
        let wrong = json!({"iupd": 5, "type": "F", "fiscalCode": "A", "fullName": "B",
            "companyName": "C", "switchToExpired": "yes"});
        let violations = doc.validate("PaymentPositionModel", &wrong).unwrap();
        assert_eq!(violations.len(), 2, "{violations:?}");
        assert!(doc.validate("Nope", &ok).is_err());
    }

    #[test]
    fn date_times_are_read_with_or_without_offset() {
        assert_eq!(
            parse_date_time("2026-12-31T23:59:59"),
            parse_date_time("2026-12-31T23:59:59Z")
        );
        assert!(parse_date_time("2026-12-31T23:59:59.123+01:00").is_some());
        assert!(parse_date_time("31/12/2026").is_none());
    }
}
