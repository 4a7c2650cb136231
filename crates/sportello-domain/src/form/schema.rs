//! The shape of a form: steps, fields and what each field accepts.
//!
//! In the comune file a field is one flat table (`id`, `kind`, `label` and the keys its kind
//! allows); it is read through [`RawField`] so that a key that makes no sense for the kind,
//! such as `max_length` on a date, is an error with its line, not a silent no-op.

use super::options::{ChoiceOption, OptionSource};
use super::values::Decimal;
use super::{Condition, FieldId, Requirement};
use crate::Slug;
use crate::text::LocalizedText;
use serde::{Deserialize, Serialize};

/// A multi-step form. In the comune file, its steps are `[[services.procedure.steps]]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FormSchema {
    pub steps: Vec<Step>,
}

/// One page of the form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Part of the step's URL (`…/richiesta/veicolo`).
    pub id: Slug,
    pub title: LocalizedText,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intro: Option<LocalizedText>,
    /// The step is shown only when this holds; a hidden step asks nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<Condition>,
    pub fields: Vec<Field>,
}

/// One question of the form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawField", into = "RawField")]
pub struct Field {
    pub id: FieldId,
    pub label: LocalizedText,
    pub help: Option<LocalizedText>,
    pub kind: FieldKind,
    /// Whether an answer is needed when the field is shown. Checkboxes are never required;
    /// declarations always are.
    pub required: Requirement,
    /// The field is shown only when this holds; the answer of a hidden field is neither
    /// checked nor submitted.
    pub when: Option<Condition>,
}

/// What a field accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldKind {
    /// One line of text.
    Text {
        max_length: u16,
        pattern: Option<TextPattern>,
    },
    /// Several lines of text.
    Textarea {
        max_length: u16,
    },
    /// A whole number.
    Integer {
        min: Option<i64>,
        max: Option<i64>,
        unit: Option<LocalizedText>,
    },
    /// A number with at most two decimals, such as a surface in m².
    Decimal {
        min: Option<Decimal>,
        max: Option<Decimal>,
        unit: Option<LocalizedText>,
    },
    Date(DateRules),
    /// A time of day; `later_than` names an earlier time field this one must follow.
    Time {
        later_than: Option<FieldId>,
    },
    /// One option among several (radio buttons or a select).
    Choice {
        options: ChoiceOptions,
        display: ChoiceDisplay,
    },
    /// Any number of options (checkboxes).
    MultiChoice {
        options: ChoiceOptions,
    },
    /// A yes/no tick, never required.
    Checkbox,
    /// A statement the citizen must tick to go on, such as a self-declaration under DPR
    /// 445/2000 art. 46–47; its label is the statement.
    Declaration,
    /// One vehicle number plate.
    Plate,
    /// Up to `max` number plates.
    Plates {
        max: u8,
    },
    /// A street of the comune's street list; the answer is the street id.
    Street,
    Email,
    Phone,
}

impl FieldKind {
    /// The `kind` key of the comune file.
    pub fn key(&self) -> &'static str {
        KindKey::of(self).as_str()
    }

    /// Whether the field may hold several values.
    pub fn is_multiple(&self) -> bool {
        matches!(
            self,
            FieldKind::MultiChoice { .. } | FieldKind::Plates { .. }
        )
    }
}

/// Limits of a date, relative to the day of filling in or to another date field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DateRules {
    /// Earliest date, in days from today: 0 = today, 1 = tomorrow, −30 = a month ago.
    pub min_days_ahead: Option<i32>,
    /// Latest date, in days from today (0 for a date of birth, 365 for "within a year").
    pub max_days_ahead: Option<i32>,
    /// An earlier date field this date may not precede (an end date after a start date).
    pub not_before: Option<FieldId>,
    /// With `not_before`: at most this many days after that date.
    pub max_days_after: Option<u16>,
}

/// Where a choice's options come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChoiceOptions {
    Listed(Vec<ChoiceOption>),
    From(OptionSource),
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChoiceDisplay {
    /// Radio buttons: every option in sight, best up to about seven options.
    #[default]
    Radio,
    /// A drop-down list, for long lists.
    Select,
}

/// A format a text field must follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TextPattern {
    /// A natural person's codice fiscale, check character verified.
    CodiceFiscale,
    /// A partita IVA (or a body's codice fiscale): 11 digits, check digit verified.
    PartitaIva,
    /// A five-digit CAP.
    PostalCode,
    /// A house number: `12`, `12/A`, `12 bis`, `snc`.
    HouseNumber,
}

impl FormSchema {
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.id.as_str() == id)
    }

    /// Every field, in form order.
    pub fn fields(&self) -> impl Iterator<Item = &Field> {
        self.steps.iter().flat_map(|s| s.fields.iter())
    }

    pub fn field(&self, id: &str) -> Option<&Field> {
        self.fields().find(|f| f.id.as_str() == id)
    }

    /// The step that asks a field.
    pub fn step_of(&self, field: &str) -> Option<&Step> {
        self.steps
            .iter()
            .find(|s| s.fields.iter().any(|f| f.id.as_str() == field))
    }

    /// Position of a field in form order, to check that conditions look backwards.
    pub(crate) fn position(&self, field: &str) -> Option<usize> {
        self.fields().position(|f| f.id.as_str() == field)
    }
}

pub(crate) const TEXT_MAX_LENGTH: u16 = 200;
pub(crate) const TEXT_MAX_LENGTH_CAP: u16 = 1_000;
pub(crate) const TEXTAREA_MAX_LENGTH: u16 = 2_000;
pub(crate) const TEXTAREA_MAX_LENGTH_CAP: u16 = 10_000;
pub(crate) const PLATES_MAX_CAP: u8 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum KindKey {
    Text,
    Textarea,
    Integer,
    Decimal,
    Date,
    Time,
    Choice,
    MultiChoice,
    Checkbox,
    Declaration,
    Plate,
    Plates,
    Street,
    Email,
    Phone,
}

impl KindKey {
    fn of(kind: &FieldKind) -> KindKey {
        match kind {
            FieldKind::Text { .. } => KindKey::Text,
            FieldKind::Textarea { .. } => KindKey::Textarea,
            FieldKind::Integer { .. } => KindKey::Integer,
            FieldKind::Decimal { .. } => KindKey::Decimal,
            FieldKind::Date(_) => KindKey::Date,
            FieldKind::Time { .. } => KindKey::Time,
            FieldKind::Choice { .. } => KindKey::Choice,
            FieldKind::MultiChoice { .. } => KindKey::MultiChoice,
            FieldKind::Checkbox => KindKey::Checkbox,
            FieldKind::Declaration => KindKey::Declaration,
            FieldKind::Plate => KindKey::Plate,
            FieldKind::Plates { .. } => KindKey::Plates,
            FieldKind::Street => KindKey::Street,
            FieldKind::Email => KindKey::Email,
            FieldKind::Phone => KindKey::Phone,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            KindKey::Text => "text",
            KindKey::Textarea => "textarea",
            KindKey::Integer => "integer",
            KindKey::Decimal => "decimal",
            KindKey::Date => "date",
            KindKey::Time => "time",
            KindKey::Choice => "choice",
            KindKey::MultiChoice => "multi-choice",
            KindKey::Checkbox => "checkbox",
            KindKey::Declaration => "declaration",
            KindKey::Plate => "plate",
            KindKey::Plates => "plates",
            KindKey::Street => "street",
            KindKey::Email => "email",
            KindKey::Phone => "phone",
        }
    }
}

/// A bound as written in the comune file: an integer, or a decimal written as a string
/// (`"0.50"`), because TOML floats are binary fractions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
enum Bound {
    Integer(i64),
    Text(String),
    Float(f64),
}

/// A field as written in the comune file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawField {
    id: FieldId,
    kind: KindKey,
    label: LocalizedText,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    help: Option<LocalizedText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    required: Option<Requirement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    when: Option<Condition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_length: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pattern: Option<TextPattern>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    min: Option<Bound>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max: Option<Bound>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    unit: Option<LocalizedText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    min_days_ahead: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_days_ahead: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    not_before: Option<FieldId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_days_after: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    later_than: Option<FieldId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    options: Option<Vec<ChoiceOption>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    options_from: Option<OptionSource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    display: Option<ChoiceDisplay>,
}

impl RawField {
    fn bare(field: &Field, kind: KindKey) -> RawField {
        RawField {
            id: field.id.clone(),
            kind,
            label: field.label.clone(),
            help: field.help.clone(),
            required: None,
            when: field.when.clone(),
            max_length: None,
            pattern: None,
            min: None,
            max: None,
            unit: None,
            min_days_ahead: None,
            max_days_ahead: None,
            not_before: None,
            max_days_after: None,
            later_than: None,
            options: None,
            options_from: None,
            display: None,
        }
    }

    /// The keys present besides the common ones, to refuse those the kind does not use.
    fn specific_keys(&self) -> Vec<&'static str> {
        let present = [
            ("max_length", self.max_length.is_some()),
            ("pattern", self.pattern.is_some()),
            ("min", self.min.is_some()),
            ("max", self.max.is_some()),
            ("unit", self.unit.is_some()),
            ("min_days_ahead", self.min_days_ahead.is_some()),
            ("max_days_ahead", self.max_days_ahead.is_some()),
            ("not_before", self.not_before.is_some()),
            ("max_days_after", self.max_days_after.is_some()),
            ("later_than", self.later_than.is_some()),
            ("options", self.options.is_some()),
            ("options_from", self.options_from.is_some()),
            ("display", self.display.is_some()),
        ];
        present
            .into_iter()
            .filter(|(_, is_present)| *is_present)
            .map(|(key, _)| key)
            .collect()
    }
}

fn integer_bound(bound: Option<Bound>, key: &str) -> Result<Option<i64>, String> {
    match bound {
        None => Ok(None),
        Some(Bound::Integer(n)) => Ok(Some(n)),
        Some(_) => Err(format!(
            "`{key}` of an integer field must be a whole number"
        )),
    }
}

fn decimal_bound(bound: Option<Bound>, key: &str) -> Result<Option<Decimal>, String> {
    match bound {
        None => Ok(None),
        Some(Bound::Integer(n)) => n
            .checked_mul(100)
            .map(|h| Some(Decimal::from_hundredths(h)))
            .ok_or_else(|| format!("`{key}` is too large")),
        Some(Bound::Text(text)) => Decimal::parse(&text)
            .map(Some)
            .map_err(|e| format!("`{key}` = \"{text}\" {e}")),
        Some(Bound::Float(_)) => Err(format!(
            "write `{key}` as a whole number or as a string with at most two decimals, e.g. \"0.50\""
        )),
    }
}

fn choice_options(
    options: Option<Vec<ChoiceOption>>,
    from: Option<OptionSource>,
) -> Result<ChoiceOptions, String> {
    match (options, from) {
        (Some(options), None) => Ok(ChoiceOptions::Listed(options)),
        (None, Some(source)) => Ok(ChoiceOptions::From(source)),
        (Some(_), Some(_)) => Err("give either `options` or `options_from`, not both".into()),
        (None, None) => Err("needs `options` or `options_from`".into()),
    }
}

impl TryFrom<RawField> for Field {
    type Error = String;

    fn try_from(raw: RawField) -> Result<Field, String> {
        let kind_key = raw.kind;
        let allowed: &[&str] = match kind_key {
            KindKey::Text => &["max_length", "pattern"],
            KindKey::Textarea => &["max_length"],
            KindKey::Integer | KindKey::Decimal => &["min", "max", "unit"],
            KindKey::Date => &[
                "min_days_ahead",
                "max_days_ahead",
                "not_before",
                "max_days_after",
            ],
            KindKey::Time => &["later_than"],
            KindKey::Choice => &["options", "options_from", "display"],
            KindKey::MultiChoice => &["options", "options_from"],
            KindKey::Plates => &["max"],
            KindKey::Checkbox
            | KindKey::Declaration
            | KindKey::Plate
            | KindKey::Street
            | KindKey::Email
            | KindKey::Phone => &[],
        };
        let refused: Vec<&str> = raw
            .specific_keys()
            .into_iter()
            .filter(|key| !allowed.contains(key))
            .collect();
        let context = format!("field '{}' ({})", raw.id, kind_key.as_str());
        if !refused.is_empty() {
            let keys: Vec<String> = refused.iter().map(|k| format!("`{k}`")).collect();
            let verb = if keys.len() == 1 { "is" } else { "are" };
            return Err(format!(
                "{context}: {} {verb} not allowed for this kind",
                keys.join(", ")
            ));
        }
        let required = match (kind_key, raw.required) {
            (KindKey::Checkbox, Some(_)) => {
                return Err(format!(
                    "{context}: a checkbox is never required; use kind = \"declaration\" for a statement that must be ticked"
                ));
            }
            (KindKey::Declaration, Some(_)) => {
                return Err(format!(
                    "{context}: a declaration must always be ticked; remove `required`"
                ));
            }
            (KindKey::Checkbox, None) => Requirement::Never,
            (_, required) => required.unwrap_or_default(),
        };
        let err = |e: String| format!("{context}: {e}");
        let kind = match kind_key {
            KindKey::Text => FieldKind::Text {
                max_length: raw.max_length.unwrap_or(TEXT_MAX_LENGTH),
                pattern: raw.pattern,
            },
            KindKey::Textarea => FieldKind::Textarea {
                max_length: raw.max_length.unwrap_or(TEXTAREA_MAX_LENGTH),
            },
            KindKey::Integer => FieldKind::Integer {
                min: integer_bound(raw.min, "min").map_err(err)?,
                max: integer_bound(raw.max, "max").map_err(err)?,
                unit: raw.unit,
            },
            KindKey::Decimal => FieldKind::Decimal {
                min: decimal_bound(raw.min, "min").map_err(err)?,
                max: decimal_bound(raw.max, "max").map_err(err)?,
                unit: raw.unit,
            },
            KindKey::Date => FieldKind::Date(DateRules {
                min_days_ahead: raw.min_days_ahead,
                max_days_ahead: raw.max_days_ahead,
                not_before: raw.not_before,
                max_days_after: raw.max_days_after,
            }),
            KindKey::Time => FieldKind::Time {
                later_than: raw.later_than,
            },
            KindKey::Choice => FieldKind::Choice {
                options: choice_options(raw.options, raw.options_from).map_err(err)?,
                display: raw.display.unwrap_or_default(),
            },
            KindKey::MultiChoice => FieldKind::MultiChoice {
                options: choice_options(raw.options, raw.options_from).map_err(err)?,
            },
            KindKey::Checkbox => FieldKind::Checkbox,
            KindKey::Declaration => FieldKind::Declaration,
            KindKey::Plate => FieldKind::Plate,
            KindKey::Plates => {
                let max = match raw.max {
                    Some(Bound::Integer(n)) => u8::try_from(n)
                        .ok()
                        .filter(|n| (1..=PLATES_MAX_CAP).contains(n))
                        .ok_or_else(|| {
                            err(format!("`max` must be between 1 and {PLATES_MAX_CAP}"))
                        })?,
                    Some(_) => return Err(err("`max` must be a whole number".into())),
                    None => return Err(err("needs `max`, the number of plates allowed".into())),
                };
                FieldKind::Plates { max }
            }
            KindKey::Street => FieldKind::Street,
            KindKey::Email => FieldKind::Email,
            KindKey::Phone => FieldKind::Phone,
        };
        Ok(Field {
            id: raw.id,
            label: raw.label,
            help: raw.help,
            kind,
            required,
            when: raw.when,
        })
    }
}

impl From<Field> for RawField {
    fn from(field: Field) -> RawField {
        let mut raw = RawField::bare(&field, KindKey::of(&field.kind));
        raw.required = match (&field.kind, &field.required) {
            (FieldKind::Checkbox | FieldKind::Declaration, _) => None,
            (_, Requirement::Always) => None,
            (_, required) => Some(required.clone()),
        };
        match field.kind {
            FieldKind::Text {
                max_length,
                pattern,
            } => {
                raw.max_length = Some(max_length);
                raw.pattern = pattern;
            }
            FieldKind::Textarea { max_length } => raw.max_length = Some(max_length),
            FieldKind::Integer { min, max, unit } => {
                raw.min = min.map(Bound::Integer);
                raw.max = max.map(Bound::Integer);
                raw.unit = unit;
            }
            FieldKind::Decimal { min, max, unit } => {
                raw.min = min.map(|d| Bound::Text(d.to_string()));
                raw.max = max.map(|d| Bound::Text(d.to_string()));
                raw.unit = unit;
            }
            FieldKind::Date(rules) => {
                raw.min_days_ahead = rules.min_days_ahead;
                raw.max_days_ahead = rules.max_days_ahead;
                raw.not_before = rules.not_before;
                raw.max_days_after = rules.max_days_after;
            }
            FieldKind::Time { later_than } => raw.later_than = later_than,
            FieldKind::Choice { options, display } => {
                match options {
                    ChoiceOptions::Listed(options) => raw.options = Some(options),
                    ChoiceOptions::From(source) => raw.options_from = Some(source),
                }
                raw.display = Some(display);
            }
            FieldKind::MultiChoice { options } => match options {
                ChoiceOptions::Listed(options) => raw.options = Some(options),
                ChoiceOptions::From(source) => raw.options_from = Some(source),
            },
            FieldKind::Plates { max } => raw.max = Some(Bound::Integer(i64::from(max))),
            FieldKind::Checkbox
            | FieldKind::Declaration
            | FieldKind::Plate
            | FieldKind::Street
            | FieldKind::Email
            | FieldKind::Phone => {}
        }
        raw
    }
}
