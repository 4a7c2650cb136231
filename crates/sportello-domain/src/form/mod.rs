//! Multi-step forms of online requests, described by the comune file
//! (`[[services.procedure.steps]]`) and checked on the server: what each field accepts, which
//! steps and fields show given the answers so far, and every problem said next to its field
//! in Italian and English.
//!
//! A form never loses what the citizen typed: [`Answers`] keep the raw values, validation
//! reports [`FieldError`]s, and only at submission [`FormSchema::normalise`] turns the
//! answers into their canonical form (plates in upper case, dates as ISO dates) and drops
//! the answers of hidden fields.

mod check;
mod options;
mod schema;
#[cfg(test)]
mod tests;
mod validate;
mod values;

pub use options::{ChoiceOption, OptionSource};
pub use schema::{
    ChoiceDisplay, ChoiceOptions, DateRules, Field, FieldKind, FormSchema, Step, TextPattern,
};
pub use validate::{SummaryItem, SummarySection, ValidationContext};
pub use values::{Decimal, DecimalError, format_date, parse_date, parse_time};

pub(crate) use schema::PLATES_MAX_CAP;

use crate::text::LocalizedText;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// What a citizen has entered, by field id, exactly as typed: kept even when invalid so that
/// nothing is lost when a step is shown again with its errors. A field may hold several
/// values (a multiple choice, a list of plates).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Answers(BTreeMap<String, Vec<String>>);

impl Answers {
    pub fn new() -> Answers {
        Answers::default()
    }

    /// The first value of a field, trimmed; `None` when absent or blank.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .get(field)
            .and_then(|values| values.first())
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// Every non-blank value of a field.
    pub fn all(&self, field: &str) -> Vec<&str> {
        self.0
            .get(field)
            .map(|values| {
                values
                    .iter()
                    .map(|v| v.trim())
                    .filter(|v| !v.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn set(&mut self, field: impl Into<String>, values: Vec<String>) {
        self.0.insert(field.into(), values);
    }

    pub fn remove(&mut self, field: &str) {
        self.0.remove(field);
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }
}

/// A problem with one field, said in the citizen's language, shown next to the field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: LocalizedText,
}

impl FieldError {
    pub fn new(
        field: impl Into<String>,
        it: impl Into<String>,
        en: impl Into<String>,
    ) -> FieldError {
        FieldError {
            field: field.into(),
            message: LocalizedText {
                it: it.into(),
                en: Some(en.into()),
            },
        }
    }
}

/// The id of a field: lower case, digits and `_`, starting with a letter (`start_date`). The
/// permit rules read answers by these ids, so they are part of a procedure's contract.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FieldId(String);

impl FieldId {
    pub const MAX_LEN: usize = 40;

    pub fn parse(value: &str) -> Result<FieldId, String> {
        let mut bytes = value.bytes();
        let starts_with_letter = bytes.next().is_some_and(|b| b.is_ascii_lowercase());
        let rest_ok = bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !starts_with_letter || !rest_ok || value.len() > Self::MAX_LEN {
            return Err(format!(
                "'{value}' is not a field id: use lower-case letters, digits and '_', starting with a letter, at most {} characters",
                Self::MAX_LEN
            ));
        }
        Ok(FieldId(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for FieldId {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        FieldId::parse(&value)
    }
}

impl From<FieldId> for String {
    fn from(id: FieldId) -> String {
        id.0
    }
}

impl fmt::Display for FieldId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for FieldId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for FieldId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

/// "Show this when field F has one of these values": the test that makes steps, fields,
/// attachments, stamp duty and permit validity depend on earlier answers. It holds only when
/// F itself is shown, so hiding a step hides everything that depends on its answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub field: FieldId,
    /// The values that satisfy the condition; a ticked checkbox has the value `yes`.
    pub any_of: Vec<String>,
}

/// Whether an answer (or an attachment) must be given when it is shown. In the comune file:
/// `required = true` (the default), `required = false`, or
/// `required = { field = "badge_type", any_of = ["temporary"] }`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Requirement {
    #[default]
    Always,
    Never,
    When(Condition),
}

impl Serialize for Requirement {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Requirement::Always => serializer.serialize_bool(true),
            Requirement::Never => serializer.serialize_bool(false),
            Requirement::When(condition) => condition.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for Requirement {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Requirement;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("true, false or a condition { field = \"…\", any_of = [\"…\"] }")
            }
            fn visit_bool<E: serde::de::Error>(self, value: bool) -> Result<Requirement, E> {
                Ok(if value {
                    Requirement::Always
                } else {
                    Requirement::Never
                })
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<Requirement, A::Error> {
                Condition::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(Requirement::When)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}
