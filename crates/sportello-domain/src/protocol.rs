//! Protocol numbers (DPR 445/2000 art. 53–57): every request a comune receives is registered
//! with a number that is progressive, at least seven digits long and restarts on 1 January.
//! The calendar year is the one of Europe/Rome, not of UTC: a request sent at 00:30 on
//! 1 January Italian time belongs to the new year although UTC still says 31 December.

use crate::calendar::local_date;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Art. 57 asks for at least seven digits; larger numbers simply grow longer.
pub const MIN_DIGITS: usize = 7;

/// A registration number with its year, written `0000042/2026`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ProtocolNumber {
    // Field order matters: the derived ordering sorts by year first, then number.
    year: i16,
    number: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolNumberError {
    #[error("a protocol number starts at 1")]
    Zero,
    #[error("{0} is not a register year: use a four-digit year")]
    Year(i64),
    #[error(
        "{0:?} is not a protocol number: expected at least seven digits, a slash and the year, as 0000042/2026"
    )]
    Format(String),
}

impl ProtocolNumber {
    pub fn new(year: i16, number: u32) -> Result<ProtocolNumber, ProtocolNumberError> {
        if number == 0 {
            return Err(ProtocolNumberError::Zero);
        }
        if !(1000..=9999).contains(&year) {
            return Err(ProtocolNumberError::Year(i64::from(year)));
        }
        Ok(ProtocolNumber { year, number })
    }

    /// Parses the written form, `0000042/2026`: the number with at least seven digits (the
    /// zero padding is part of the format, so `42/2026` is refused), a slash, the year.
    pub fn parse(text: &str) -> Result<ProtocolNumber, ProtocolNumberError> {
        let format = || ProtocolNumberError::Format(text.to_owned());
        let (number, year) = text.trim().split_once('/').ok_or_else(format)?;
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if number.len() < MIN_DIGITS || !all_digits(number) || year.len() != 4 || !all_digits(year)
        {
            return Err(format());
        }
        let number: u32 = number.parse().map_err(|_| format())?;
        let year: i16 = year.parse().map_err(|_| format())?;
        ProtocolNumber::new(year, number)
    }

    pub fn year(self) -> i16 {
        self.year
    }

    pub fn number(self) -> u32 {
        self.number
    }

    /// The number alone, zero-padded: what the segnatura's `NumeroRegistrazione` carries.
    pub fn padded_number(self) -> String {
        format!("{:0width$}", self.number, width = MIN_DIGITS)
    }
}

impl fmt::Display for ProtocolNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.padded_number(), self.year)
    }
}

impl FromStr for ProtocolNumber {
    type Err = ProtocolNumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ProtocolNumber::parse(s)
    }
}

impl TryFrom<String> for ProtocolNumber {
    type Error = ProtocolNumberError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        ProtocolNumber::parse(&s)
    }
}

impl From<ProtocolNumber> for String {
    fn from(n: ProtocolNumber) -> String {
        n.to_string()
    }
}

/// The register year of an instant: its calendar year in Europe/Rome.
pub fn registry_year(at: Timestamp) -> i16 {
    registry_date(at).year()
}

/// The registration date of an instant (the segnatura's `DataRegistrazione`): its day in
/// Europe/Rome, as for every term of the comune.
pub fn registry_date(at: Timestamp) -> jiff::civil::Date {
    local_date(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_at_least_seven_digits_and_the_year() {
        let cases = [
            (2026, 42, "0000042/2026"),
            (2026, 1, "0000001/2026"),
            (2027, 9_999_999, "9999999/2027"),
            (2027, 12_345_678, "12345678/2027"),
        ];
        for (year, number, text) in cases {
            let n = ProtocolNumber::new(year, number).unwrap();
            assert_eq!(n.to_string(), text);
            assert_eq!(ProtocolNumber::parse(text), Ok(n), "{text}");
            assert_eq!((n.year(), n.number()), (year, number));
        }
    }

    #[test]
    fn parse_refuses_what_is_not_a_protocol_number() {
        for text in [
            "42/2026",
            "000042/2026",
            "0000000/2026",
            "0000042",
            "0000042/26",
            "0000042/20266",
            "00000 42/2026",
            "+000042/2026",
            "0000042-2026",
            "abcdefg/2026",
            "0000042/0999",
            "99999999999/2026",
            "",
        ] {
            assert!(
                ProtocolNumber::parse(text).is_err(),
                "{text:?} was accepted"
            );
        }
    }

    #[test]
    fn new_refuses_zero_and_odd_years() {
        assert_eq!(ProtocolNumber::new(2026, 0), Err(ProtocolNumberError::Zero));
        assert_eq!(
            ProtocolNumber::new(999, 1),
            Err(ProtocolNumberError::Year(999))
        );
        assert_eq!(
            ProtocolNumber::new(-2026, 1),
            Err(ProtocolNumberError::Year(-2026))
        );
    }

    #[test]
    fn serde_reads_only_the_written_form() {
        #[derive(Debug, Deserialize)]
        struct Row {
            n: ProtocolNumber,
        }
        let row: Row = toml::from_str("n = \"0000042/2026\"").unwrap();
        assert_eq!(row.n, ProtocolNumber::new(2026, 42).unwrap());
        assert!(toml::from_str::<Row>("n = \"42/2026\"").is_err());
        assert_eq!(String::from(row.n), "0000042/2026");
    }

    #[test]
    fn orders_by_year_then_number() {
        let a = ProtocolNumber::new(2026, 900).unwrap();
        let b = ProtocolNumber::new(2027, 1).unwrap();
        let c = ProtocolNumber::new(2027, 2).unwrap();
        assert!(a < b && b < c);
    }

    #[test]
    fn the_register_year_is_the_year_in_rome() {
        let cases = [
            // 23:30 UTC on 31 December is 00:30 on 1 January in Rome (CET, UTC+1).
            ("2026-12-31T23:30:00Z", 2027),
            ("2026-12-31T22:59:59Z", 2026),
            ("2026-12-31T23:00:00Z", 2027),
            ("2027-01-01T00:00:00Z", 2027),
            // Summer time changes nothing away from New Year.
            ("2026-07-01T22:30:00Z", 2026),
            ("2025-01-01T00:00:00+01:00", 2025),
        ];
        for (instant, year) in cases {
            let ts: Timestamp = instant.parse().unwrap();
            assert_eq!(registry_year(ts), year, "{instant}");
        }
    }

    #[test]
    fn the_registration_date_is_the_day_in_rome() {
        let cases = [
            ("2026-12-31T23:30:00Z", "2027-01-01"),
            // Summer time: UTC+2.
            ("2026-07-01T22:30:00Z", "2026-07-02"),
            ("2026-07-01T21:59:59Z", "2026-07-01"),
        ];
        for (instant, day) in cases {
            let ts: Timestamp = instant.parse().unwrap();
            assert_eq!(registry_date(ts).to_string(), day, "{instant}");
        }
    }
}
