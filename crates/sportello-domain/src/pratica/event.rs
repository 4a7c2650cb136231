//! What happened to a pratica: the entries of its append-only log, which the citizen reads
//! as a timeline and the office as the history of the file.

use crate::pratica::{PraticaState, Silence, TermDays};
use crate::text::LocalizedText;
use crate::{Cents, Lang, UserId};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// A text someone must write for a step to be valid: the motivation of a refusal (L. 241/1990
/// art. 3), the reasons of a notice of intended refusal, a request for documents, the
/// citizen's observations. Never blank.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Statement(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StatementError {
    #[error("the text is empty")]
    Empty,
    #[error("the text is longer than {max} characters")]
    TooLong { max: usize },
}

impl StatementError {
    pub fn message(&self) -> LocalizedText {
        match self {
            StatementError::Empty => LocalizedText {
                it: "Il testo è obbligatorio.".into(),
                en: Some("This text is required.".into()),
            },
            StatementError::TooLong { max } => LocalizedText {
                it: format!("Il testo supera i {max} caratteri."),
                en: Some(format!("The text is longer than {max} characters.")),
            },
        }
    }
}

impl Statement {
    /// Long enough for a motivated decision, short enough to keep the pratica's snapshot small;
    /// longer documents go in as attachments.
    pub const MAX_CHARS: usize = 20_000;

    /// Trims the text and refuses it if blank or too long.
    pub fn parse(text: &str) -> Result<Statement, StatementError> {
        let text = text.trim();
        if text.is_empty() {
            Err(StatementError::Empty)
        } else if text.chars().count() > Self::MAX_CHARS {
            Err(StatementError::TooLong {
                max: Self::MAX_CHARS,
            })
        } else {
            Ok(Statement(text.to_owned()))
        }
    }

    /// An optional text: blank means none.
    pub fn parse_optional(text: &str) -> Result<Option<Statement>, StatementError> {
        match Statement::parse(text) {
            Ok(statement) => Ok(Some(statement)),
            Err(StatementError::Empty) => Ok(None),
            Err(error) => Err(error),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Statement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Statement {
    type Error = StatementError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Statement::parse(&text)
    }
}

impl From<Statement> for String {
    fn from(statement: Statement) -> String {
        statement.0
    }
}

/// The days a permit is valid, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawValidity")]
pub struct PermitValidity {
    from: Date,
    until: Date,
}

#[derive(Deserialize)]
struct RawValidity {
    from: Date,
    until: Date,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a permit valid from {from} cannot end on {until}, before it starts")]
pub struct ValidityError {
    pub from: Date,
    pub until: Date,
}

impl ValidityError {
    pub fn message(&self) -> LocalizedText {
        LocalizedText {
            it: "La data di fine validità precede quella di inizio.".into(),
            en: Some("The end of validity is before its start.".into()),
        }
    }
}

impl TryFrom<RawValidity> for PermitValidity {
    type Error = ValidityError;
    fn try_from(raw: RawValidity) -> Result<Self, Self::Error> {
        PermitValidity::new(raw.from, raw.until)
    }
}

impl PermitValidity {
    pub fn new(from: Date, until: Date) -> Result<PermitValidity, ValidityError> {
        if until < from {
            Err(ValidityError { from, until })
        } else {
            Ok(PermitValidity { from, until })
        }
    }

    pub fn from(&self) -> Date {
        self.from
    }

    pub fn until(&self) -> Date {
        self.until
    }

    pub fn contains(&self, day: Date) -> bool {
        self.from <= day && day <= self.until
    }
}

/// Who caused an event. The store records the person (user id, address) next to it; the
/// domain only needs the role, which decides what the citizen's timeline says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventActor {
    Citizen,
    Office,
    /// The portal itself: a term that lapsed, a payment receipt, a renewal.
    System,
}

/// What happened, with the data the timeline and the documents need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum EventKind {
    /// The request was filed; `deadline` is the end of the term the receipt announces.
    Submitted {
        term_days: TermDays,
        silence: Silence,
        deadline: Date,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        renews: Option<Uuid>,
    },
    /// A clerk took the request in charge (the start of the review).
    TakenInCharge {
        clerk: UserId,
    },
    /// The request was handed to another clerk.
    Assigned {
        clerk: UserId,
    },
    /// Art. 2 c. 7: the term is suspended until the documents arrive, after `resumes_by` at
    /// the latest.
    DocumentsRequested {
        message: Statement,
        resumes_by: Date,
    },
    /// The citizen sent the documents; the term runs again and ends on `deadline`.
    DocumentsReceived {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<Statement>,
        deadline: Date,
    },
    /// The office resumed the review without (or after waiting for) the documents.
    ReviewResumed {
        deadline: Date,
    },
    /// Art. 10-bis: the reasons for refusing, observations accepted until `observations_by`.
    RefusalNoticed {
        reasons: Statement,
        observations_by: Date,
    },
    /// The citizen's observations; the term runs again after `term_resumes_after`.
    ObservationsFiled {
        text: Statement,
        term_resumes_after: Date,
    },
    Approved {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<Statement>,
        amount_due: Cents,
    },
    /// Art. 20: granted because the term ended on `deadline` without a refusal.
    ApprovedBySilence {
        deadline: Date,
        amount_due: Cents,
    },
    /// `observations_rebuttal` says why the observations filed after the art. 10-bis notice
    /// were not accepted; it is present exactly when observations were filed.
    Rejected {
        motivation: Statement,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        observations_rebuttal: Option<Statement>,
    },
    PaymentRequested {
        amount: Cents,
    },
    PaymentReceived {
        amount: Cents,
    },
    PermitIssued {
        validity: PermitValidity,
    },
    Expired {
        valid_until: Date,
    },
    Revoked {
        motivation: Statement,
    },
    /// The permit was replaced by the one issued on the renewal pratica `renewal`.
    Renewed {
        renewal: Uuid,
    },
    Withdrawn {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<Statement>,
    },
}

impl EventKind {
    /// The title of the entry in the citizen's timeline and in the office's history.
    pub fn title(&self, lang: Lang) -> &'static str {
        match (self, lang) {
            (EventKind::Submitted { .. }, Lang::It) => "Richiesta presentata",
            (EventKind::Submitted { .. }, Lang::En) => "Request submitted",
            (EventKind::TakenInCharge { .. }, Lang::It) => "Richiesta presa in carico",
            (EventKind::TakenInCharge { .. }, Lang::En) => "Request taken in charge",
            (EventKind::Assigned { .. }, Lang::It) => "Assegnata a un altro operatore",
            (EventKind::Assigned { .. }, Lang::En) => "Assigned to another clerk",
            (EventKind::DocumentsRequested { .. }, Lang::It) => "Richiesta di integrazione",
            (EventKind::DocumentsRequested { .. }, Lang::En) => "Documents requested",
            (EventKind::DocumentsReceived { .. }, Lang::It) => "Integrazione inviata",
            (EventKind::DocumentsReceived { .. }, Lang::En) => "Documents sent",
            (EventKind::ReviewResumed { .. }, Lang::It) => "Istruttoria ripresa",
            (EventKind::ReviewResumed { .. }, Lang::En) => "Review resumed",
            (EventKind::RefusalNoticed { .. }, Lang::It) => "Preavviso di rigetto",
            (EventKind::RefusalNoticed { .. }, Lang::En) => "Notice of intended refusal",
            (EventKind::ObservationsFiled { .. }, Lang::It) => "Osservazioni presentate",
            (EventKind::ObservationsFiled { .. }, Lang::En) => "Observations submitted",
            (EventKind::Approved { .. }, Lang::It) => "Richiesta accolta",
            (EventKind::Approved { .. }, Lang::En) => "Request approved",
            (EventKind::ApprovedBySilence { .. }, Lang::It) => "Accolta per silenzio-assenso",
            (EventKind::ApprovedBySilence { .. }, Lang::En) => "Approved by silent consent",
            (EventKind::Rejected { .. }, Lang::It) => "Richiesta respinta",
            (EventKind::Rejected { .. }, Lang::En) => "Request rejected",
            (EventKind::PaymentRequested { .. }, Lang::It) => "Pagamento richiesto",
            (EventKind::PaymentRequested { .. }, Lang::En) => "Payment requested",
            (EventKind::PaymentReceived { .. }, Lang::It) => "Pagamento ricevuto",
            (EventKind::PaymentReceived { .. }, Lang::En) => "Payment received",
            (EventKind::PermitIssued { .. }, Lang::It) => "Autorizzazione rilasciata",
            (EventKind::PermitIssued { .. }, Lang::En) => "Permit issued",
            (EventKind::Expired { .. }, Lang::It) => "Autorizzazione scaduta",
            (EventKind::Expired { .. }, Lang::En) => "Permit expired",
            (EventKind::Revoked { .. }, Lang::It) => "Autorizzazione revocata",
            (EventKind::Revoked { .. }, Lang::En) => "Permit revoked",
            (EventKind::Renewed { .. }, Lang::It) => "Autorizzazione rinnovata",
            (EventKind::Renewed { .. }, Lang::En) => "Permit renewed",
            (EventKind::Withdrawn { .. }, Lang::It) => "Richiesta ritirata",
            (EventKind::Withdrawn { .. }, Lang::En) => "Request withdrawn",
        }
    }

    /// Whether the citizen's timeline shows the entry: internal reassignments stay in the
    /// office's history.
    pub fn citizen_visible(&self) -> bool {
        !matches!(self, EventKind::Assigned { .. })
    }
}

/// One entry of a pratica's append-only log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PraticaEvent {
    pub at: Timestamp,
    pub by: EventActor,
    pub kind: EventKind,
    /// The state of the pratica after the event.
    pub state: PraticaState,
}

impl PraticaEvent {
    /// The same event recorded as done by someone else: a clerk at the counter filing for a
    /// citizen who came in person, a scheduled job resuming a lapsed suspension.
    pub fn with_actor(self, by: EventActor) -> PraticaEvent {
        PraticaEvent { by, ..self }
    }

    pub fn title(&self, lang: Lang) -> &'static str {
        self.kind.title(lang)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn statements_are_trimmed_and_never_blank() {
        let cases = [
            ("  Manca la planimetria. ", Ok("Manca la planimetria.")),
            ("", Err(StatementError::Empty)),
            (" \n\t ", Err(StatementError::Empty)),
        ];
        for (text, expected) in cases {
            let parsed = Statement::parse(text);
            assert_eq!(
                parsed.as_ref().map(Statement::as_str).map_err(|e| *e),
                expected,
                "{text:?}"
            );
        }
        let long = "a".repeat(Statement::MAX_CHARS + 1);
        assert_eq!(
            Statement::parse(&long),
            Err(StatementError::TooLong {
                max: Statement::MAX_CHARS
            })
        );
        assert!(Statement::parse(&"è".repeat(Statement::MAX_CHARS)).is_ok());
        assert_eq!(Statement::parse_optional("  "), Ok(None));
        assert!(Statement::parse_optional("x").unwrap().is_some());
        // A stored blank statement does not deserialize.
        let blank = toml::Value::String(" ".into());
        assert!(blank.try_into::<Statement>().is_err());
    }

    #[test]
    fn validity() {
        let validity = PermitValidity::new(date(2026, 1, 1), date(2026, 12, 31)).unwrap();
        let cases = [
            (date(2025, 12, 31), false),
            (date(2026, 1, 1), true),
            (date(2026, 6, 15), true),
            (date(2026, 12, 31), true),
            (date(2027, 1, 1), false),
        ];
        for (day, expected) in cases {
            assert_eq!(validity.contains(day), expected, "{day}");
        }
        assert!(PermitValidity::new(date(2026, 1, 1), date(2026, 1, 1)).is_ok());
        assert!(PermitValidity::new(date(2026, 1, 2), date(2026, 1, 1)).is_err());
        let mut table = toml::Table::new();
        table.insert("from".into(), toml::Value::String("2026-01-02".into()));
        table.insert("until".into(), toml::Value::String("2026-01-01".into()));
        assert!(
            toml::Value::Table(table)
                .try_into::<PermitValidity>()
                .is_err()
        );
    }
}
