//! Italian tax codes: the citizen's 16-character *codice fiscale* (the identity SPID and CIE
//! assert, and the key App IO addresses messages to) and the 11-digit code of a public body.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodiceFiscaleError {
    #[error("must be {expected} characters long, found {found}")]
    Length { expected: usize, found: usize },
    #[error("has an invalid character at position {position}")]
    InvalidCharacter { position: usize },
    #[error("has a wrong check character")]
    CheckCharacter,
}

/// Odd-position values of the check-character algorithm (DM 23/12/1976), indexed by digit
/// then letter; even positions use the plain ordinal.
const ODD_DIGIT: [u32; 10] = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21];
const ODD_LETTER: [u32; 26] = [
    1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23,
];
/// Letters that replace digits in codes reassigned for homonymy (*omocodia*).
const OMOCODIA: &[u8; 10] = b"LMNPQRSTUV";
const MONTHS: &[u8; 12] = b"ABCDEHLMPRST";

/// A natural person's codice fiscale, upper-case, with a verified check character.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CodiceFiscale(String);

impl CodiceFiscale {
    pub fn parse(input: &str) -> Result<CodiceFiscale, CodiceFiscaleError> {
        let code = input.trim().to_ascii_uppercase();
        let bytes = code.as_bytes();
        if bytes.len() != 16 {
            return Err(CodiceFiscaleError::Length {
                expected: 16,
                found: code.chars().count(),
            });
        }
        for (i, &b) in bytes.iter().enumerate() {
            let ok = match i {
                0..=5 | 15 => b.is_ascii_uppercase(),
                8 => MONTHS.contains(&b),
                11 => b.is_ascii_uppercase(),
                // Positions that hold digits, or their omocodia letters.
                6 | 7 | 9 | 10 | 12 | 13 | 14 => b.is_ascii_digit() || OMOCODIA.contains(&b),
                _ => false,
            };
            if !ok {
                return Err(CodiceFiscaleError::InvalidCharacter { position: i + 1 });
            }
        }
        if check_character(&bytes[..15]) != bytes[15] {
            return Err(CodiceFiscaleError::CheckCharacter);
        }
        Ok(CodiceFiscale(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn check_character(first15: &[u8]) -> u8 {
    let sum: u32 = first15
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            // Positions are counted from 1, so index 0 is an odd position.
            let odd = i % 2 == 0;
            match (b.is_ascii_digit(), odd) {
                (true, true) => ODD_DIGIT[usize::from(b - b'0')],
                (true, false) => u32::from(b - b'0'),
                (false, true) => ODD_LETTER[usize::from(b - b'A')],
                (false, false) => u32::from(b - b'A'),
            }
        })
        .sum();
    // `sum % 26` is below 26, so the cast and the addition stay within 'A'..='Z'.
    b'A' + (sum % 26) as u8
}

impl TryFrom<String> for CodiceFiscale {
    type Error = CodiceFiscaleError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        CodiceFiscale::parse(&value)
    }
}

impl From<CodiceFiscale> for String {
    fn from(cf: CodiceFiscale) -> String {
        cf.0
    }
}

impl fmt::Display for CodiceFiscale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The 11-digit codice fiscale of a body such as a comune (same check digit as a partita IVA).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EnteCodiceFiscale(String);

impl EnteCodiceFiscale {
    pub fn parse(input: &str) -> Result<EnteCodiceFiscale, CodiceFiscaleError> {
        let code = input.trim();
        let bytes = code.as_bytes();
        if bytes.len() != 11 {
            return Err(CodiceFiscaleError::Length {
                expected: 11,
                found: code.chars().count(),
            });
        }
        if let Some(position) = bytes.iter().position(|b| !b.is_ascii_digit()) {
            return Err(CodiceFiscaleError::InvalidCharacter {
                position: position + 1,
            });
        }
        let sum: u32 = bytes[..10]
            .iter()
            .enumerate()
            .map(|(i, &b)| {
                let digit = u32::from(b - b'0');
                if i % 2 == 1 {
                    let doubled = digit * 2;
                    if doubled > 9 { doubled - 9 } else { doubled }
                } else {
                    digit
                }
            })
            .sum();
        let check = (10 - sum % 10) % 10;
        if u32::from(bytes[10] - b'0') != check {
            return Err(CodiceFiscaleError::CheckCharacter);
        }
        Ok(EnteCodiceFiscale(code.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for EnteCodiceFiscale {
    type Error = CodiceFiscaleError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        EnteCodiceFiscale::parse(&value)
    }
}

impl From<EnteCodiceFiscale> for String {
    fn from(cf: EnteCodiceFiscale) -> String {
        cf.0
    }
}

impl fmt::Display for EnteCodiceFiscale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_valid_personal_codes() {
        // The Agenzia delle Entrate's textbook example and its omocodia variant.
        assert!(CodiceFiscale::parse("RSSMRA85T10A562S").is_ok());
        assert!(CodiceFiscale::parse("rssmra85t10a562s").is_ok());
        assert!(CodiceFiscale::parse("RSSMRA85T10A56NH").is_ok());
    }

    #[test]
    fn rejects_a_wrong_check_character() {
        assert_eq!(
            CodiceFiscale::parse("RSSMRA85T10A562T"),
            Err(CodiceFiscaleError::CheckCharacter)
        );
    }

    #[test]
    fn reports_the_position_of_a_bad_character() {
        assert_eq!(
            CodiceFiscale::parse("RSSMRA85Z10A562S"),
            Err(CodiceFiscaleError::InvalidCharacter { position: 9 })
        );
        assert_eq!(
            CodiceFiscale::parse("RSSMRA"),
            Err(CodiceFiscaleError::Length {
                expected: 16,
                found: 6
            })
        );
    }

    #[test]
    fn every_single_character_change_is_caught() {
        let valid = "RSSMRA85T10A562S";
        let alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
        for position in 0..15 {
            for replacement in alphabet.chars() {
                let mut mutated: Vec<char> = valid.chars().collect();
                if mutated[position] == replacement {
                    continue;
                }
                mutated[position] = replacement;
                let mutated: String = mutated.into_iter().collect();
                // Within one position no two allowed characters share a value, so any single
                // substitution breaks either the pattern or the check character.
                assert!(
                    CodiceFiscale::parse(&mutated).is_err(),
                    "{mutated} accepted"
                );
            }
        }
    }

    #[test]
    fn ente_codes_use_the_partita_iva_check_digit() {
        assert!(EnteCodiceFiscale::parse("80000123457").is_ok());
        // Comune di Roma, a real published code.
        assert!(EnteCodiceFiscale::parse("02438750586").is_ok());
        assert_eq!(
            EnteCodiceFiscale::parse("80000123458"),
            Err(CodiceFiscaleError::CheckCharacter)
        );
        assert_eq!(
            EnteCodiceFiscale::parse("8000012345X"),
            Err(CodiceFiscaleError::InvalidCharacter { position: 11 })
        );
    }
}
