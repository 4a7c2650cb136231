//! Filling in a form: which steps and fields show, what is wrong with the answers, the
//! canonical answers that are submitted, and the summary shown before confirming.

use super::options::{self, ChoiceOption};
use super::schema::{ChoiceOptions, DateRules, Field, FieldKind, FormSchema, Step, TextPattern};
use super::values::{
    Decimal, DecimalError, TICK, compact_phone, format_date, format_time, is_email,
    is_house_number, is_tick, parse_date, parse_time,
};
use super::{Answers, Condition, FieldError, FieldId, Requirement};
use crate::codice_fiscale::CodiceFiscaleError;
use crate::local_rules::LocalRules;
use crate::plate::Plate;
use crate::text::LocalizedText;
use crate::{CodiceFiscale, EnteCodiceFiscale, Lang, Slug};
use jiff::ToSpan;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// What validation needs besides the answers.
#[derive(Debug, Clone, Copy)]
pub struct ValidationContext<'a> {
    /// Today in Europe/Rome: dates are checked against the comune's calendar.
    pub today: Date,
    /// For the options of choices and the street list.
    pub rules: &'a LocalRules,
}

/// One step of the summary shown before confirming (and on the receipt).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummarySection {
    pub step: Slug,
    pub title: LocalizedText,
    pub items: Vec<SummaryItem>,
}

/// One answer as the citizen should read it back: option labels, not values; dates as
/// dd/mm/yyyy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryItem {
    pub field: FieldId,
    pub label: LocalizedText,
    pub value: LocalizedText,
}

fn text(it: impl Into<String>, en: impl Into<String>) -> LocalizedText {
    LocalizedText {
        it: it.into(),
        en: Some(en.into()),
    }
}

fn error(field: &Field, message: LocalizedText) -> FieldError {
    FieldError {
        field: field.id.to_string(),
        message,
    }
}

impl FormSchema {
    /// Whether a condition holds: its field is shown and has one of the values.
    pub fn condition_holds(&self, condition: &Condition, answers: &Answers) -> bool {
        self.holds(condition, answers, 0)
    }

    pub fn is_step_visible(&self, step: &Step, answers: &Answers) -> bool {
        self.step_visible(step, answers, 0)
    }

    pub fn is_field_visible(&self, field: &Field, answers: &Answers) -> bool {
        self.field_visible(field, answers, 0)
    }

    /// Whether the field is shown and must be answered.
    pub fn is_required(&self, field: &Field, answers: &Answers) -> bool {
        self.is_field_visible(field, answers)
            && match &field.required {
                Requirement::Always => true,
                Requirement::Never => false,
                Requirement::When(condition) => self.condition_holds(condition, answers),
            }
    }

    // Conditions only look backwards (checked on import), so the recursion ends; the depth
    // bound keeps an unchecked schema from looping.
    fn holds(&self, condition: &Condition, answers: &Answers, depth: usize) -> bool {
        if depth > self.fields().count() {
            return false;
        }
        let Some(field) = self.field(condition.field.as_str()) else {
            return false;
        };
        self.field_visible(field, answers, depth + 1)
            && answers.all(field.id.as_str()).into_iter().any(|value| {
                let value = normalise_value(&field.kind, value).unwrap_or_else(|| value.into());
                condition.any_of.contains(&value)
            })
    }

    fn step_visible(&self, step: &Step, answers: &Answers, depth: usize) -> bool {
        step.when
            .as_ref()
            .is_none_or(|condition| self.holds(condition, answers, depth))
    }

    fn field_visible(&self, field: &Field, answers: &Answers, depth: usize) -> bool {
        self.step_of(field.id.as_str())
            .is_some_and(|step| self.step_visible(step, answers, depth))
            && field
                .when
                .as_ref()
                .is_none_or(|condition| self.holds(condition, answers, depth))
    }

    /// The steps to go through, given the answers so far.
    pub fn visible_steps(&self, answers: &Answers) -> Vec<&Step> {
        self.steps
            .iter()
            .filter(|step| self.is_step_visible(step, answers))
            .collect()
    }

    /// The fields of a step to show, given the answers so far.
    pub fn visible_fields<'a>(&'a self, step: &'a Step, answers: &Answers) -> Vec<&'a Field> {
        step.fields
            .iter()
            .filter(|field| self.is_field_visible(field, answers))
            .collect()
    }

    /// The step after `current` among those shown; `None` after the last one.
    pub fn next_step(&self, current: &str, answers: &Answers) -> Option<&Step> {
        let index = self.steps.iter().position(|s| s.id.as_str() == current)?;
        self.steps[index + 1..]
            .iter()
            .find(|step| self.is_step_visible(step, answers))
    }

    /// The step before `current` among those shown: the way back (C.SE.1.8).
    pub fn previous_step(&self, current: &str, answers: &Answers) -> Option<&Step> {
        let index = self.steps.iter().position(|s| s.id.as_str() == current)?;
        self.steps[..index]
            .iter()
            .rev()
            .find(|step| self.is_step_visible(step, answers))
    }

    /// The problems of one step, in field order. A hidden or unknown step has none.
    pub fn validate_step(
        &self,
        step_id: &str,
        answers: &Answers,
        context: &ValidationContext,
    ) -> Vec<FieldError> {
        let Some(step) = self.step(step_id) else {
            return Vec::new();
        };
        self.visible_fields(step, answers)
            .into_iter()
            .filter_map(|field| self.validate_field(field, answers, context))
            .collect()
    }

    /// The problems of every step shown, for the final submission.
    pub fn validate_all(&self, answers: &Answers, context: &ValidationContext) -> Vec<FieldError> {
        self.visible_steps(answers)
            .into_iter()
            .flat_map(|step| self.validate_step(step.id.as_str(), answers, context))
            .collect()
    }

    /// The answers to submit: only those of fields shown, each in canonical form (plates
    /// upper case, dates `YYYY-MM-DD`, decimals with a point, ticks as `yes`). A value that
    /// does not parse is kept as typed, trimmed; validate first.
    pub fn normalise(&self, answers: &Answers) -> Answers {
        let mut out = Answers::new();
        for field in self.fields() {
            if !self.is_field_visible(field, answers) {
                continue;
            }
            let mut values: Vec<String> = Vec::new();
            for value in answers.all(field.id.as_str()) {
                let value = match (&field.kind, normalise_value(&field.kind, value)) {
                    (FieldKind::Checkbox | FieldKind::Declaration, None) => continue,
                    (_, Some(normalised)) => normalised,
                    (_, None) => value.to_owned(),
                };
                if !values.contains(&value) {
                    values.push(value);
                }
            }
            if !values.is_empty() {
                out.set(field.id.as_str(), values);
            }
        }
        out
    }

    /// The answers read back step by step, for the page before confirming and the receipt.
    pub fn summary(&self, answers: &Answers, rules: &LocalRules) -> Vec<SummarySection> {
        self.visible_steps(answers)
            .into_iter()
            .map(|step| SummarySection {
                step: step.id.clone(),
                title: step.title.clone(),
                items: self
                    .visible_fields(step, answers)
                    .into_iter()
                    .filter_map(|field| {
                        let values = answers.all(field.id.as_str());
                        (!values.is_empty()).then(|| SummaryItem {
                            field: field.id.clone(),
                            label: field.label.clone(),
                            value: field.display(&values, rules),
                        })
                    })
                    .collect(),
            })
            .collect()
    }

    fn validate_field(
        &self,
        field: &Field,
        answers: &Answers,
        context: &ValidationContext,
    ) -> Option<FieldError> {
        let values = answers.all(field.id.as_str());
        let ticked = values.iter().any(|v| is_tick(v));
        let missing = match field.kind {
            FieldKind::Checkbox | FieldKind::Declaration => !ticked,
            _ => values.is_empty(),
        };
        if missing {
            return self
                .is_required(field, answers)
                .then(|| error(field, missing_message(&field.kind)));
        }
        if !field.kind.is_multiple() && values.len() > 1 {
            return Some(error(
                field,
                text("Indica un solo valore.", "Give only one value."),
            ));
        }
        let value = values.first().copied().unwrap_or_default();
        let problem = match &field.kind {
            FieldKind::Text {
                max_length,
                pattern,
            } => check_length(value, *max_length).or_else(|| pattern.and_then(|p| check_pattern(p, value))),
            FieldKind::Textarea { max_length } => check_length(value, *max_length),
            FieldKind::Integer { min, max, unit } => check_integer(value, *min, *max, unit.as_ref()),
            FieldKind::Decimal { min, max, unit } => check_decimal(value, *min, *max, unit.as_ref()),
            FieldKind::Date(rules) => self.check_date(value, rules, answers, context.today),
            FieldKind::Time { later_than } => self.check_time(value, later_than.as_ref(), answers),
            FieldKind::Choice { .. } | FieldKind::MultiChoice { .. } | FieldKind::Street => {
                let options = field.choice_options(context.rules);
                let unknown = values
                    .iter()
                    .any(|v| !options.iter().any(|o| o.value == *v));
                unknown.then(|| match field.kind {
                    FieldKind::Street => text(
                        "Scegli la via dall'elenco: se non la trovi, contatta l'ufficio.",
                        "Choose the street from the list: if it is not there, contact the office.",
                    ),
                    _ => text(
                        "Scegli una delle opzioni proposte.",
                        "Choose one of the options offered.",
                    ),
                })
            }
            FieldKind::Checkbox | FieldKind::Declaration => None,
            FieldKind::Plate => Plate::parse(value).err().map(|e| e.message()),
            FieldKind::Plates { max } => check_plates(&values, *max),
            FieldKind::Email => (!is_email(value)).then(|| {
                text(
                    "Inserisci un indirizzo email valido, per esempio nome.cognome@esempio.it.",
                    "Enter a valid email address, for example name.surname@example.com.",
                )
            }),
            FieldKind::Phone => compact_phone(value).is_none().then(|| {
                text(
                    "Inserisci un numero di telefono valido: solo cifre, eventualmente precedute dal prefisso internazionale (per esempio +39).",
                    "Enter a valid phone number: digits only, optionally preceded by the international prefix (for example +39).",
                )
            }),
        };
        problem.map(|message| error(field, message))
    }

    /// The value of another field, when it is shown and parses as a date.
    fn other_date(&self, id: &FieldId, answers: &Answers) -> Option<(Date, &Field)> {
        let other = self.field(id.as_str())?;
        self.is_field_visible(other, answers)
            .then(|| answers.date(id.as_str()))
            .flatten()
            .map(|date| (date, other))
    }

    fn check_date(
        &self,
        value: &str,
        rules: &DateRules,
        answers: &Answers,
        today: Date,
    ) -> Option<LocalizedText> {
        let Some(date) = parse_date(value) else {
            return Some(text(
                "Inserisci una data valida, per esempio 14/03/2025.",
                "Enter a real date, for example 14/03/2025.",
            ));
        };
        let offset = |days: i32| today.checked_add(i64::from(days).days()).ok();
        if let Some(days) = rules.min_days_ahead
            && let Some(earliest) = offset(days)
            && date < earliest
        {
            return Some(match days {
                0 => text(
                    "Inserisci la data di oggi o una data successiva.",
                    "Enter today's date or a later date.",
                ),
                1 => text(
                    "Inserisci una data successiva a oggi.",
                    "Enter a date after today.",
                ),
                _ => text(
                    format!(
                        "Inserisci una data a partire dal giorno {}.",
                        format_date(earliest)
                    ),
                    format!("Enter a date on or after {}.", format_date(earliest)),
                ),
            });
        }
        if let Some(days) = rules.max_days_ahead
            && let Some(latest) = offset(days)
            && date > latest
        {
            return Some(match days {
                0 => text(
                    "La data non può essere successiva a oggi.",
                    "The date cannot be after today.",
                ),
                _ => text(
                    format!(
                        "Inserisci una data non successiva al giorno {}.",
                        format_date(latest)
                    ),
                    format!("Enter a date on or before {}.", format_date(latest)),
                ),
            });
        }
        if let Some(id) = &rules.not_before
            && let Some((start, other)) = self.other_date(id, answers)
        {
            if date < start {
                return Some(text(
                    format!(
                        "La data non può essere precedente a quella indicata in «{}».",
                        other.label.get(Lang::It)
                    ),
                    format!(
                        "The date cannot be before the one given in “{}”.",
                        other.label.get(Lang::En)
                    ),
                ));
            }
            if let Some(days) = rules.max_days_after
                && let Ok(latest) = start.checked_add(i64::from(days).days())
                && date > latest
            {
                return Some(text(
                    format!(
                        "Il periodo può durare al massimo {days} giorni dopo la data indicata in «{}».",
                        other.label.get(Lang::It)
                    ),
                    format!(
                        "The period can end at most {days} days after the date given in “{}”.",
                        other.label.get(Lang::En)
                    ),
                ));
            }
        }
        None
    }

    fn check_time(
        &self,
        value: &str,
        later_than: Option<&FieldId>,
        answers: &Answers,
    ) -> Option<LocalizedText> {
        let Some(time) = parse_time(value) else {
            return Some(text(
                "Inserisci un orario valido nel formato ore:minuti, per esempio 14:30.",
                "Enter a valid time as hours:minutes, for example 14:30.",
            ));
        };
        let other = later_than.and_then(|id| self.field(id.as_str()))?;
        let start = self
            .is_field_visible(other, answers)
            .then(|| answers.time(other.id.as_str()))
            .flatten()?;
        (time <= start).then(|| {
            text(
                format!(
                    "L'orario deve essere successivo a quello indicato in «{}».",
                    other.label.get(Lang::It)
                ),
                format!(
                    "The time must be later than the one given in “{}”.",
                    other.label.get(Lang::En)
                ),
            )
        })
    }
}

fn missing_message(kind: &FieldKind) -> LocalizedText {
    match kind {
        FieldKind::Text { .. } | FieldKind::Textarea { .. } => {
            text("Compila questo campo.", "Fill in this field.")
        }
        FieldKind::Integer { .. } | FieldKind::Decimal { .. } => {
            text("Inserisci un numero.", "Enter a number.")
        }
        FieldKind::Date(_) => text("Inserisci una data.", "Enter a date."),
        FieldKind::Time { .. } => text("Inserisci un orario.", "Enter a time."),
        FieldKind::Choice { .. } => text("Scegli una delle opzioni.", "Choose one of the options."),
        FieldKind::MultiChoice { .. } => {
            text("Scegli almeno un'opzione.", "Choose at least one option.")
        }
        FieldKind::Checkbox | FieldKind::Declaration => text(
            "Per proseguire devi confermare questa dichiarazione.",
            "To continue you must confirm this statement.",
        ),
        FieldKind::Plate => text("Inserisci la targa.", "Enter the number plate."),
        FieldKind::Plates { .. } => text(
            "Inserisci almeno una targa.",
            "Enter at least one number plate.",
        ),
        FieldKind::Street => text(
            "Scegli la via dall'elenco.",
            "Choose the street from the list.",
        ),
        FieldKind::Email => text("Inserisci un indirizzo email.", "Enter an email address."),
        FieldKind::Phone => text("Inserisci un numero di telefono.", "Enter a phone number."),
    }
}

fn check_length(value: &str, max_length: u16) -> Option<LocalizedText> {
    let chars = value.chars().count();
    (chars > usize::from(max_length)).then(|| {
        text(
            format!(
                "Il testo è troppo lungo: puoi scrivere al massimo {max_length} caratteri (ne hai scritti {chars})."
            ),
            format!(
                "The text is too long: you can write at most {max_length} characters (you wrote {chars})."
            ),
        )
    })
}

fn check_pattern(pattern: TextPattern, value: &str) -> Option<LocalizedText> {
    match pattern {
        TextPattern::CodiceFiscale => {
            let compact: String = value.split_whitespace().collect();
            CodiceFiscale::parse(&compact).err().map(|e| match e {
                CodiceFiscaleError::Length { found, .. } => text(
                    format!("Il codice fiscale ha 16 caratteri: ne hai scritti {found}."),
                    format!("A codice fiscale has 16 characters: you wrote {found}."),
                ),
                CodiceFiscaleError::InvalidCharacter { position } => text(
                    format!(
                        "Il codice fiscale non è valido: controlla il carattere in posizione {position}."
                    ),
                    format!(
                        "The codice fiscale is not valid: check the character in position {position}."
                    ),
                ),
                CodiceFiscaleError::CheckCharacter => text(
                    "Il codice fiscale non è valido: l'ultimo carattere non corrisponde agli altri, controlla di averlo scritto senza errori.",
                    "The codice fiscale is not valid: the last character does not match the others, check for typing mistakes.",
                ),
            })
        }
        TextPattern::PartitaIva => EnteCodiceFiscale::parse(value).err().map(|e| match e {
            CodiceFiscaleError::Length { .. } | CodiceFiscaleError::InvalidCharacter { .. } => {
                text(
                    "La partita IVA è formata da 11 cifre.",
                    "A partita IVA (VAT number) has 11 digits.",
                )
            }
            CodiceFiscaleError::CheckCharacter => text(
                "La partita IVA non è valida: controlla di averla scritta senza errori.",
                "The partita IVA (VAT number) is not valid: check for typing mistakes.",
            ),
        }),
        TextPattern::PostalCode => {
            let ok = value.len() == 5 && value.bytes().all(|b| b.is_ascii_digit());
            (!ok).then(|| {
                text(
                    "Il CAP è formato da 5 cifre.",
                    "The postcode (CAP) has 5 digits.",
                )
            })
        }
        TextPattern::HouseNumber => (!is_house_number(value)).then(|| {
            text(
                "Inserisci un numero civico valido, per esempio 12, 12/A o 12 bis (scrivi «snc» se non c'è).",
                "Enter a valid house number, for example 12, 12/A or 12 bis (write “snc” if there is none).",
            )
        }),
    }
}

fn with_unit(value: String, unit: Option<&LocalizedText>, lang: Lang) -> String {
    match unit {
        Some(unit) => format!("{value} {}", unit.get(lang)),
        None => value,
    }
}

fn bound_messages(min: Option<String>, max: Option<String>) -> LocalizedText {
    match (min, max) {
        (Some(min), Some(max)) => text(
            format!("Inserisci un valore compreso tra {min} e {max}."),
            format!("Enter a value between {min} and {max}."),
        ),
        (Some(min), None) => text(
            format!("Il valore minimo è {min}."),
            format!("The minimum is {min}."),
        ),
        (None, Some(max)) => text(
            format!("Il valore massimo è {max}."),
            format!("The maximum is {max}."),
        ),
        (None, None) => text("Il valore non è ammesso.", "The value is not allowed."),
    }
}

fn check_integer(
    value: &str,
    min: Option<i64>,
    max: Option<i64>,
    unit: Option<&LocalizedText>,
) -> Option<LocalizedText> {
    let Ok(n) = value.trim_start_matches('+').parse::<i64>() else {
        return Some(text(
            "Inserisci un numero intero, senza decimali.",
            "Enter a whole number, without decimals.",
        ));
    };
    let out_of_range = min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m);
    out_of_range.then(|| {
        let it = bound_messages(
            min.map(|m| with_unit(m.to_string(), unit, Lang::It)),
            max.map(|m| with_unit(m.to_string(), unit, Lang::It)),
        );
        let en = bound_messages(
            min.map(|m| with_unit(m.to_string(), unit, Lang::En)),
            max.map(|m| with_unit(m.to_string(), unit, Lang::En)),
        );
        LocalizedText {
            it: it.it,
            en: en.en,
        }
    })
}

fn check_decimal(
    value: &str,
    min: Option<Decimal>,
    max: Option<Decimal>,
    unit: Option<&LocalizedText>,
) -> Option<LocalizedText> {
    let n = match Decimal::parse(value) {
        Ok(n) => n,
        Err(DecimalError::TooManyDecimals) => {
            return Some(text(
                "Usa al massimo due decimali, per esempio 12,75.",
                "Use at most two decimals, for example 12.75.",
            ));
        }
        Err(DecimalError::NotANumber) => {
            return Some(text(
                "Inserisci un numero, con al massimo due decimali (per esempio 12,50).",
                "Enter a number with at most two decimals (for example 12.50).",
            ));
        }
    };
    let out_of_range = min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m);
    out_of_range.then(|| {
        let it = bound_messages(
            min.map(|m| with_unit(m.to_italian_string(), unit, Lang::It)),
            max.map(|m| with_unit(m.to_italian_string(), unit, Lang::It)),
        );
        let en = bound_messages(
            min.map(|m| with_unit(m.to_string(), unit, Lang::En)),
            max.map(|m| with_unit(m.to_string(), unit, Lang::En)),
        );
        LocalizedText {
            it: it.it,
            en: en.en,
        }
    })
}

fn check_plates(values: &[&str], max: u8) -> Option<LocalizedText> {
    if values.len() > usize::from(max) {
        return Some(if max == 1 {
            text(
                "Puoi indicare una sola targa.",
                "You can give only one number plate.",
            )
        } else {
            text(
                format!("Puoi indicare al massimo {max} targhe."),
                format!("You can give at most {max} number plates."),
            )
        });
    }
    let mut seen: Vec<Plate> = Vec::new();
    for raw in values {
        match Plate::parse(raw) {
            Err(e) => {
                let message = e.message();
                return Some(if values.len() == 1 {
                    message
                } else {
                    text(
                        format!("«{raw}»: {}", message.it),
                        format!("“{raw}”: {}", message.en.unwrap_or(message.it)),
                    )
                });
            }
            Ok(plate) if seen.contains(&plate) => {
                return Some(text(
                    format!("La targa {plate} è indicata due volte."),
                    format!("The number plate {plate} is given twice."),
                ));
            }
            Ok(plate) => seen.push(plate),
        }
    }
    None
}

/// The canonical form of one value, or `None` when it does not parse (and, for ticks, when
/// the box is not ticked).
pub(crate) fn normalise_value(kind: &FieldKind, value: &str) -> Option<String> {
    let value = value.trim();
    match kind {
        FieldKind::Text { pattern, .. } => Some(match pattern {
            Some(TextPattern::CodiceFiscale) => value
                .split_whitespace()
                .collect::<String>()
                .to_ascii_uppercase(),
            _ => value.to_owned(),
        }),
        FieldKind::Textarea { .. } => Some(value.replace("\r\n", "\n")),
        FieldKind::Integer { .. } => value
            .trim_start_matches('+')
            .parse::<i64>()
            .ok()
            .map(|n| n.to_string()),
        FieldKind::Decimal { .. } => Decimal::parse(value).ok().map(|d| d.to_string()),
        FieldKind::Date(_) => parse_date(value).map(|d| d.to_string()),
        FieldKind::Time { .. } => parse_time(value).map(format_time),
        FieldKind::Choice { .. } | FieldKind::MultiChoice { .. } | FieldKind::Street => {
            Some(value.to_owned())
        }
        FieldKind::Checkbox | FieldKind::Declaration => is_tick(value).then(|| TICK.to_owned()),
        FieldKind::Plate | FieldKind::Plates { .. } => {
            Plate::parse(value).ok().map(|p| p.as_str().to_owned())
        }
        FieldKind::Email => value
            .split_once('@')
            .map(|(local, domain)| format!("{local}@{}", domain.to_lowercase())),
        FieldKind::Phone => compact_phone(value),
    }
}

impl Field {
    /// The options of a choice, a multiple choice or a street field, with their labels in
    /// `lang`; empty for other kinds.
    pub fn options(&self, rules: &LocalRules, lang: impl Into<Lang>) -> Vec<(String, String)> {
        let lang = lang.into();
        self.choice_options(rules)
            .into_iter()
            .map(|option| {
                let label = option.label.get(lang).to_owned();
                (option.value, label)
            })
            .collect()
    }

    /// The options with both their labels; empty for kinds without options.
    pub fn choice_options(&self, rules: &LocalRules) -> Vec<ChoiceOption> {
        match &self.kind {
            FieldKind::Choice { options, .. } | FieldKind::MultiChoice { options } => match options
            {
                ChoiceOptions::Listed(options) => options.clone(),
                ChoiceOptions::From(source) => source.resolve(rules).unwrap_or_default(),
            },
            FieldKind::Street => options::streets(rules),
            _ => Vec::new(),
        }
    }

    /// Answers as the citizen reads them back.
    fn display(&self, values: &[&str], rules: &LocalRules) -> LocalizedText {
        let plain = |s: String| LocalizedText { it: s, en: None };
        match &self.kind {
            FieldKind::Choice { .. } | FieldKind::MultiChoice { .. } | FieldKind::Street => {
                let options = self.choice_options(rules);
                let labels: Vec<LocalizedText> = values
                    .iter()
                    .map(|v| {
                        options
                            .iter()
                            .find(|o| o.value == *v)
                            .map_or_else(|| plain((*v).to_owned()), |o| o.label.clone())
                    })
                    .collect();
                join(&labels)
            }
            FieldKind::Date(_) => plain(
                values
                    .iter()
                    .map(|v| parse_date(v).map_or_else(|| (*v).to_owned(), format_date))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            FieldKind::Time { .. } => plain(
                values
                    .iter()
                    .map(|v| parse_time(v).map_or_else(|| (*v).to_owned(), format_time))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            FieldKind::Decimal { unit, .. } => {
                let value = values.first().copied().unwrap_or_default();
                match Decimal::parse(value) {
                    Ok(d) => text(
                        with_unit(d.to_italian_string(), unit.as_ref(), Lang::It),
                        with_unit(d.to_string(), unit.as_ref(), Lang::En),
                    ),
                    Err(_) => plain(value.to_owned()),
                }
            }
            FieldKind::Integer { unit, .. } => {
                let value = values.first().copied().unwrap_or_default().to_owned();
                text(
                    with_unit(value.clone(), unit.as_ref(), Lang::It),
                    with_unit(value, unit.as_ref(), Lang::En),
                )
            }
            FieldKind::Checkbox => text("Sì", "Yes"),
            FieldKind::Declaration => text("Confermata", "Confirmed"),
            FieldKind::Plate | FieldKind::Plates { .. } => plain(
                values
                    .iter()
                    .map(|v| match Plate::parse(v) {
                        Ok(p) => match p.country() {
                            Some(country) => format!("{} ({country})", p.number()),
                            None => p.to_string(),
                        },
                        Err(_) => (*v).to_owned(),
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            FieldKind::Text { .. }
            | FieldKind::Textarea { .. }
            | FieldKind::Email
            | FieldKind::Phone => plain(values.join(", ")),
        }
    }
}

fn join(labels: &[LocalizedText]) -> LocalizedText {
    let it = labels
        .iter()
        .map(|l| l.it.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let en = labels.iter().any(|l| l.en.is_some()).then(|| {
        labels
            .iter()
            .map(|l| l.get(Lang::En))
            .collect::<Vec<_>>()
            .join(", ")
    });
    LocalizedText { it, en }
}
