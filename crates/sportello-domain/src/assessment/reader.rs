//! Reading a request's answers for the built-in rules, each problem said next to its field.

use crate::form::{Answers, Decimal, FieldError, parse_date, parse_time};
use crate::plate::Plate;
use jiff::civil::{Date, Time};

/// A message in Italian and English.
pub(super) type Message<'a> = (&'a str, &'a str);

pub(super) struct Reader<'a> {
    pub answers: &'a Answers,
    pub errors: Vec<FieldError>,
}

impl<'a> Reader<'a> {
    pub fn new(answers: &'a Answers) -> Reader<'a> {
        Reader {
            answers,
            errors: Vec::new(),
        }
    }

    pub fn error(&mut self, field: &str, it: impl Into<String>, en: impl Into<String>) {
        self.errors.push(FieldError::new(field, it, en));
    }

    pub fn has_error(&self, field: &str) -> bool {
        self.errors.iter().any(|e| e.field == field)
    }

    /// A text answer the rule cannot do without.
    pub fn required(&mut self, field: &str, missing: Message<'_>) -> Option<&'a str> {
        let value = self.answers.get(field);
        if value.is_none() {
            self.error(field, missing.0, missing.1);
        }
        value
    }

    pub fn optional(&self, field: &str) -> Option<&'a str> {
        self.answers.get(field)
    }

    /// One of a closed list of values.
    pub fn choice<T>(
        &mut self,
        field: &str,
        missing: Message<'_>,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Option<T> {
        let value = self.required(field, missing)?;
        let parsed = parse(value);
        if parsed.is_none() {
            self.error(
                field,
                "Scegli una delle opzioni proposte.",
                "Choose one of the options offered.",
            );
        }
        parsed
    }

    /// A date; `None` without an error when absent and `missing` is `None`.
    pub fn date(&mut self, field: &str, missing: Option<Message<'_>>) -> Option<Date> {
        let value = match (self.answers.get(field), missing) {
            (Some(value), _) => value,
            (None, Some(missing)) => {
                self.error(field, missing.0, missing.1);
                return None;
            }
            (None, None) => return None,
        };
        let date = parse_date(value);
        if date.is_none() {
            self.error(
                field,
                "La data non è valida: scrivila come gg/mm/aaaa, per esempio 14/03/2025.",
                "The date is not valid: write it as dd/mm/yyyy, for example 14/03/2025.",
            );
        }
        date
    }

    pub fn time(&mut self, field: &str, missing: Option<Message<'_>>) -> Option<Time> {
        let value = match (self.answers.get(field), missing) {
            (Some(value), _) => value,
            (None, Some(missing)) => {
                self.error(field, missing.0, missing.1);
                return None;
            }
            (None, None) => return None,
        };
        let time = parse_time(value);
        if time.is_none() {
            self.error(
                field,
                "L'ora non è valida: scrivila come hh:mm, per esempio 08:30.",
                "The time is not valid: write it as hh:mm, for example 08:30.",
            );
        }
        time
    }

    pub fn decimal(&mut self, field: &str, missing: Message<'_>) -> Option<Decimal> {
        let value = self.required(field, missing)?;
        let decimal = Decimal::parse(value).ok();
        if decimal.is_none() {
            self.error(
                field,
                "Il valore non è valido: scrivi un numero con al massimo due decimali, per esempio 12,5.",
                "The value is not valid: enter a number with at most two decimals, for example 12.5.",
            );
        }
        decimal
    }

    /// A whole number from 0 up.
    pub fn count(&mut self, field: &str, missing: Message<'_>) -> Option<u32> {
        let value = self.required(field, missing)?;
        let count = value.parse().ok();
        if count.is_none() {
            self.error(
                field,
                "Scrivi un numero intero, 0 o più.",
                "Enter a whole number, 0 or more.",
            );
        }
        count
    }

    /// The plates of a field, normalised, without duplicates; every bad one reported.
    pub fn plates(&mut self, field: &str) -> Vec<Plate> {
        let values = self.answers.all(field);
        let several = values.len() > 1;
        let mut plates: Vec<Plate> = Vec::new();
        for value in values {
            match Plate::parse(value) {
                Ok(plate) if plates.contains(&plate) => self.error(
                    field,
                    format!("La targa {plate} è indicata due volte."),
                    format!("The plate {plate} is given twice."),
                ),
                Ok(plate) => plates.push(plate),
                Err(error) => {
                    let message = error.message();
                    let en = message.en.unwrap_or_else(|| message.it.clone());
                    if several {
                        self.error(
                            field,
                            format!("{value}: {}", message.it),
                            format!("{value}: {en}"),
                        );
                    } else {
                        self.error(field, message.it, en);
                    }
                }
            }
        }
        plates
    }
}
