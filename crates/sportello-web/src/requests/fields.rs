//! The form's fields as the step template draws them: one widget per field kind, the values
//! as typed, the options in the page's language, and the error next to the field.

use sportello_domain::Lang;
use sportello_domain::form::{Answers, ChoiceDisplay, Field, FieldError, FieldKind, TextPattern};
use sportello_domain::local_rules::LocalRules;

pub(crate) struct OptionView {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

pub(crate) struct FieldView {
    pub id: String,
    pub label: String,
    pub help: Option<String>,
    /// `text`, `textarea`, `number`, `decimal`, `date`, `time`, `radio`, `select`,
    /// `checkboxes`, `checkbox`, `plates`, `email`, `tel`.
    pub widget: &'static str,
    pub required: bool,
    /// The first value, for single inputs.
    pub value: String,
    /// One entry per input of a plates field: the typed plates, then empty boxes.
    pub values: Vec<String>,
    pub options: Vec<OptionView>,
    pub unit: Option<String>,
    pub max_length: Option<u16>,
    pub autocomplete: Option<&'static str>,
    pub error: Option<String>,
}

impl FieldView {
    pub fn new(
        field: &Field,
        answers: &Answers,
        required: bool,
        rules: &LocalRules,
        lang: Lang,
        errors: &[FieldError],
    ) -> FieldView {
        let id = field.id.to_string();
        let typed: Vec<String> = answers
            .iter()
            .find(|(name, _)| *name == id)
            .map(|(_, values)| values.to_vec())
            .unwrap_or_default();
        let value = typed.first().cloned().unwrap_or_default();
        let mut unit = None;
        let mut max_length = None;
        let mut autocomplete = None;
        let widget = match &field.kind {
            FieldKind::Text {
                max_length: max,
                pattern,
            } => {
                max_length = Some(*max);
                if matches!(pattern, Some(TextPattern::PostalCode)) {
                    autocomplete = Some("postal-code");
                }
                "text"
            }
            FieldKind::Textarea { max_length: max } => {
                max_length = Some(*max);
                "textarea"
            }
            FieldKind::Integer { unit: u, .. } => {
                unit = u.as_ref().map(|u| u.get(lang).to_owned());
                "number"
            }
            FieldKind::Decimal { unit: u, .. } => {
                unit = u.as_ref().map(|u| u.get(lang).to_owned());
                "decimal"
            }
            FieldKind::Date(_) => "date",
            FieldKind::Time { .. } => "time",
            FieldKind::Choice { display, .. } => match display {
                ChoiceDisplay::Radio => "radio",
                ChoiceDisplay::Select => "select",
            },
            FieldKind::Street => "select",
            FieldKind::MultiChoice { .. } => "checkboxes",
            FieldKind::Checkbox | FieldKind::Declaration => "checkbox",
            FieldKind::Plate => "plate",
            FieldKind::Plates { .. } => "plates",
            FieldKind::Email => {
                autocomplete = Some("email");
                "email"
            }
            FieldKind::Phone => {
                autocomplete = Some("tel");
                "tel"
            }
        };
        let values = match &field.kind {
            FieldKind::Plates { max } => {
                let mut boxes: Vec<String> = typed
                    .iter()
                    .filter(|v| !v.trim().is_empty())
                    .cloned()
                    .collect();
                boxes.resize(usize::from(*max).max(boxes.len()), String::new());
                boxes
            }
            _ => typed.clone(),
        };
        let options = field
            .options(rules, lang)
            .into_iter()
            .map(|(value, label)| OptionView {
                checked: typed.contains(&value),
                value,
                label,
            })
            .collect();
        FieldView {
            label: field.label.get(lang).to_owned(),
            help: field.help.as_ref().map(|h| h.get(lang).to_owned()),
            widget,
            required,
            value,
            values,
            options,
            unit,
            max_length,
            autocomplete,
            error: errors
                .iter()
                .find(|e| e.field == id)
                .map(|e| e.message.get(lang).to_owned()),
            id,
        }
    }

    /// The `aria-describedby` of the input: its help and its error.
    pub fn described_by(&self) -> String {
        let mut ids = Vec::new();
        if self.help.is_some() {
            ids.push(format!("{}-help", self.id));
        }
        if self.error.is_some() {
            ids.push(format!("{}-error", self.id));
        }
        ids.join(" ")
    }
}
