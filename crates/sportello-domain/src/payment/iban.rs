//! IBANs of the comune's accounts, checked before they reach pagoPA (which refuses an account
//! not registered for the creditor, but only at payment time: too late to fix a typo).

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IbanError {
    #[error("an IBAN has 15 to 34 letters and digits, starting with the country code")]
    Shape,
    #[error("the IBAN's check digits do not match: a character is wrong")]
    Checksum,
}

/// An IBAN, stored without spaces and upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Iban(String);

impl Iban {
    pub fn parse(input: &str) -> Result<Iban, IbanError> {
        let compact: String = input
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let bytes = compact.as_bytes();
        let shaped = (15..=34).contains(&bytes.len())
            && bytes[..2].iter().all(u8::is_ascii_uppercase)
            && bytes[2..4].iter().all(u8::is_ascii_digit)
            && bytes.iter().all(u8::is_ascii_alphanumeric);
        if !shaped {
            return Err(IbanError::Shape);
        }
        // ISO 13616: move the first four characters to the end, letters become 10..35, and the
        // number must leave 1 modulo 97. Folded digit by digit to stay within u32.
        let remainder = bytes[4..]
            .iter()
            .chain(&bytes[..4])
            .fold(0u32, |acc, &b| match b {
                b'0'..=b'9' => (acc * 10 + u32::from(b - b'0')) % 97,
                _ => (acc * 100 + u32::from(b - b'A') + 10) % 97,
            });
        if remainder != 1 {
            return Err(IbanError::Checksum);
        }
        Ok(Iban(compact))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Printed in groups of four, as on a payment notice.
    pub fn printed(&self) -> String {
        let mut out = String::with_capacity(self.0.len() + self.0.len() / 4);
        for (i, c) in self.0.chars().enumerate() {
            if i > 0 && i % 4 == 0 {
                out.push(' ');
            }
            out.push(c);
        }
        out
    }
}

impl TryFrom<String> for Iban {
    type Error = IbanError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Iban::parse(&value)
    }
}

impl From<Iban> for String {
    fn from(value: Iban) -> Self {
        value.0
    }
}

impl fmt::Display for Iban {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_valid_ibans_with_spaces_and_lower_case() {
        let iban = Iban::parse("it60 x054 2811 1010 0000 0123 456").unwrap();
        assert_eq!(iban.as_str(), "IT60X0542811101000000123456");
        assert_eq!(iban.printed(), "IT60 X054 2811 1010 0000 0123 456");
        assert!(Iban::parse("GB82WEST12345698765432").is_ok());
    }

    #[test]
    fn refuses_a_changed_character_and_bad_shapes() {
        assert_eq!(
            Iban::parse("IT60X0542811101000000123457"),
            Err(IbanError::Checksum)
        );
        assert_eq!(Iban::parse("IT60"), Err(IbanError::Shape));
        assert_eq!(
            Iban::parse("IT60X05428111010000001234-6"),
            Err(IbanError::Shape)
        );
    }
}
