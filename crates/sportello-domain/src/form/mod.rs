//! IN PROGRESS — owned by the form/procedure helper. `Answers` and `FieldError` are shared
//! with the permit rules and the web layer and must keep their names and shapes.

use crate::text::LocalizedText;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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
