//! Reading typed values out of what a citizen typed: decimals with a comma or a point, dates
//! as a browser's date input sends them or as Italians write them, times, ticks.

use super::Answers;
use crate::plate::Plate;
use jiff::civil::{Date, Time};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A decimal number with at most two decimals (a surface in m², a length in metres), held as
/// hundredths so that no float ever enters a fee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Decimal(i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    #[error("is not a number")]
    NotANumber,
    #[error("has more than two decimals")]
    TooManyDecimals,
}

impl Decimal {
    pub const fn from_hundredths(hundredths: i64) -> Decimal {
        Decimal(hundredths)
    }

    pub const fn from_integer(units: i64) -> Decimal {
        Decimal(units * 100)
    }

    pub const fn hundredths(self) -> i64 {
        self.0
    }

    /// Accepts `12`, `12,5`, `12.50`, `-3`; refuses thousands separators, which are ambiguous
    /// between the Italian and the English way of writing.
    pub fn parse(input: &str) -> Result<Decimal, DecimalError> {
        let text = input.trim();
        let (negative, text) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let (whole, fraction) = match text.split_once([',', '.']) {
            Some((whole, fraction)) => (whole, fraction),
            None => (text, ""),
        };
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !digits(whole) || !digits(fraction) {
            return Err(DecimalError::NotANumber);
        }
        if text.contains([',', '.']) && fraction.is_empty() {
            return Err(DecimalError::NotANumber);
        }
        if fraction.len() > 2 {
            return Err(DecimalError::TooManyDecimals);
        }
        let whole: i64 = whole.parse().map_err(|_| DecimalError::NotANumber)?;
        let fraction: i64 = match fraction.len() {
            0 => 0,
            1 => {
                fraction
                    .parse::<i64>()
                    .map_err(|_| DecimalError::NotANumber)?
                    * 10
            }
            _ => fraction.parse().map_err(|_| DecimalError::NotANumber)?,
        };
        let value = whole
            .checked_mul(100)
            .and_then(|w| w.checked_add(fraction))
            .ok_or(DecimalError::NotANumber)?;
        Ok(Decimal(if negative { -value } else { value }))
    }

    /// `12,5` becomes `12,50`; whole numbers have no decimals.
    pub fn to_italian_string(self) -> String {
        self.to_string().replace('.', ",")
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        if abs.is_multiple_of(100) {
            write!(f, "{sign}{}", abs / 100)
        } else {
            write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
        }
    }
}

impl TryFrom<String> for Decimal {
    type Error = DecimalError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Decimal::parse(&value)
    }
}

impl From<Decimal> for String {
    fn from(value: Decimal) -> String {
        value.to_string()
    }
}

/// A date as a browser's date input sends it (`2025-03-14`) or as typed in Italy
/// (`14/03/2025`, `14-03-2025`, `14.03.2025`).
pub fn parse_date(input: &str) -> Option<Date> {
    let text = input.trim();
    let parts: Vec<&str> = text.split(['-', '/', '.']).collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    let number = |s: &str| -> Option<i16> {
        (!s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (year, month, day) = if a.len() == 4 {
        (number(a)?, number(b)?, number(c)?)
    } else if c.len() == 4 {
        (number(c)?, number(b)?, number(a)?)
    } else {
        return None;
    };
    let month = i8::try_from(month).ok()?;
    let day = i8::try_from(day).ok()?;
    Date::new(year, month, day).ok()
}

/// A time of day, `14:30`, `9:05` or `14.30`.
pub fn parse_time(input: &str) -> Option<Time> {
    let (hour, minute) = input.trim().split_once([':', '.'])?;
    let number = |s: &str| -> Option<i8> {
        (!s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    if minute.len() != 2 {
        return None;
    }
    Time::new(number(hour)?, number(minute)?, 0, 0).ok()
}

/// `14/03/2025`, the way dates are written to citizens (and in the English pages too, as in
/// British usage).
pub fn format_date(date: Date) -> String {
    format!("{:02}/{:02}/{:04}", date.day(), date.month(), date.year())
}

pub(crate) fn format_time(time: Time) -> String {
    format!("{:02}:{:02}", time.hour(), time.minute())
}

/// Whether a checkbox value means "ticked": browsers send `on` unless told otherwise.
pub(crate) fn is_tick(value: &str) -> bool {
    ["yes", "on", "true", "1", "si", "sì"]
        .iter()
        .any(|t| value.trim().eq_ignore_ascii_case(t))
}

pub(crate) const TICK: &str = "yes";

/// A plausible e-mail address: one `@`, a local part, a domain with a dot, no spaces.
pub(crate) fn is_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    value.len() <= 254
        && !local.is_empty()
        && !domain.contains('@')
        && !value.chars().any(char::is_whitespace)
        && domain.split('.').count() >= 2
        && domain.split('.').all(|label| {
            !label.is_empty() && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
}

/// A phone number without its separators: an optional `+` and 6 to 15 digits (ITU E.164).
pub(crate) fn compact_phone(value: &str) -> Option<String> {
    let mut out = String::new();
    for (i, c) in value.trim().chars().enumerate() {
        match c {
            '+' if i == 0 => out.push(c),
            '0'..='9' => out.push(c),
            ' ' | '.' | '-' | '/' | '(' | ')' => {}
            _ => return None,
        }
    }
    let digits = out.trim_start_matches('+').len();
    (6..=15).contains(&digits).then_some(out)
}

/// A house number as the street list reads it (`12`, `12/A`, `12 bis`, `snc`).
pub(crate) fn is_house_number(value: &str) -> bool {
    crate::streets::HouseNumber::parse(value).is_ok()
}

/// Typed readings of validated answers, for the permit rules. Each returns `None` when the
/// answer is absent or does not parse; run [`super::FormSchema::validate_all`] first.
impl Answers {
    pub fn date(&self, field: &str) -> Option<Date> {
        self.get(field).and_then(parse_date)
    }

    pub fn time(&self, field: &str) -> Option<Time> {
        self.get(field).and_then(parse_time)
    }

    pub fn decimal(&self, field: &str) -> Option<Decimal> {
        self.get(field).and_then(|v| Decimal::parse(v).ok())
    }

    pub fn integer(&self, field: &str) -> Option<i64> {
        self.get(field).and_then(|v| v.parse().ok())
    }

    pub fn plate(&self, field: &str) -> Option<Plate> {
        self.get(field).and_then(|v| Plate::parse(v).ok())
    }

    /// Every value of a plates field that parses, in the order given.
    pub fn plates(&self, field: &str) -> Vec<Plate> {
        self.all(field)
            .into_iter()
            .filter_map(|v| Plate::parse(v).ok())
            .collect()
    }

    /// Whether a checkbox or declaration is ticked.
    pub fn is_ticked(&self, field: &str) -> bool {
        self.get(field).is_some_and(is_tick)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_read_the_italian_and_the_english_way() {
        let cases = [
            ("12", Ok(1200)),
            ("12,5", Ok(1250)),
            ("12.50", Ok(1250)),
            (" 0,05 ", Ok(5)),
            ("-3", Ok(-300)),
            ("+7,1", Ok(710)),
            ("12,345", Err(DecimalError::TooManyDecimals)),
            ("1.234,5", Err(DecimalError::NotANumber)),
            ("12,", Err(DecimalError::NotANumber)),
            (",5", Err(DecimalError::NotANumber)),
            ("dodici", Err(DecimalError::NotANumber)),
            ("", Err(DecimalError::NotANumber)),
            ("1e3", Err(DecimalError::NotANumber)),
        ];
        for (input, expected) in cases {
            assert_eq!(
                Decimal::parse(input).map(Decimal::hundredths),
                expected,
                "{input}"
            );
        }
        assert_eq!(Decimal::from_hundredths(1250).to_string(), "12.50");
        assert_eq!(Decimal::from_hundredths(1250).to_italian_string(), "12,50");
        assert_eq!(Decimal::from_integer(7).to_string(), "7");
        assert_eq!(Decimal::from_hundredths(-5).to_string(), "-0.05");
    }

    #[test]
    fn dates_are_read_in_the_usual_ways() {
        let march_14 = Date::new(2025, 3, 14).ok();
        let cases = [
            ("2025-03-14", march_14),
            ("14/03/2025", march_14),
            ("14/3/2025", march_14),
            ("14-03-2025", march_14),
            ("14.03.2025", march_14),
            ("31/02/2025", None),
            ("03/14", None),
            ("14/03/25", None),
            ("domani", None),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_date(input), expected, "{input}");
        }
        assert_eq!(march_14.map(format_date).as_deref(), Some("14/03/2025"));
    }

    #[test]
    fn times_are_read_in_the_usual_ways() {
        let cases = [
            ("14:30", Some((14, 30))),
            ("9:05", Some((9, 5))),
            ("09.05", Some((9, 5))),
            ("24:00", None),
            ("12:60", None),
            ("12:5", None),
            ("mezzogiorno", None),
        ];
        for (input, expected) in cases {
            assert_eq!(
                parse_time(input).map(|t| (t.hour(), t.minute())),
                expected,
                "{input}"
            );
        }
    }

    #[test]
    fn contacts_and_house_numbers() {
        for (value, ok) in [
            ("mario.rossi@example.it", true),
            ("m@posta.comune.example", true),
            ("mario.rossi@", false),
            ("mario rossi@example.it", false),
            ("mario@example", false),
            ("a@b@c.it", false),
        ] {
            assert_eq!(is_email(value), ok, "{value}");
        }
        for (value, compact) in [
            ("+39 0123 456789", Some("+390123456789")),
            ("333-123.4567", Some("3331234567")),
            ("(0123) 45/67/89", Some("0123456789")),
            ("12345", None),
            ("333 abc", None),
            ("39+333", None),
        ] {
            assert_eq!(compact_phone(value).as_deref(), compact, "{value}");
        }
        for (value, ok) in [
            ("12", true),
            ("12/A", true),
            ("12 bis", true),
            ("12a", true),
            ("SNC", true),
            ("0", false),
            ("A12", false),
            ("12/A/3", false),
            ("", false),
        ] {
            assert_eq!(is_house_number(value), ok, "{value}");
        }
    }

    #[test]
    fn typed_readings_of_answers() {
        let mut answers = Answers::new();
        answers.set("area", vec!["12,5".into()]);
        answers.set("from", vec!["14/03/2025".into()]);
        answers.set(
            "plates",
            vec!["ab123cd".into(), "nonsense".into(), "CH:ZH1".into()],
        );
        answers.set("ok", vec!["on".into()]);
        assert_eq!(
            answers.decimal("area"),
            Some(Decimal::from_hundredths(1250))
        );
        assert_eq!(answers.date("from"), Date::new(2025, 3, 14).ok());
        assert_eq!(
            answers
                .plates("plates")
                .iter()
                .map(Plate::as_str)
                .collect::<Vec<_>>(),
            ["AB123CD", "CH:ZH1"]
        );
        assert!(answers.is_ticked("ok"));
        assert!(!answers.is_ticked("missing"));
        assert_eq!(answers.integer("area"), None);
    }
}
