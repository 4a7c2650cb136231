//! Vehicle number plates, as ZTL gates and parking officers read them: upper case, without
//! spaces or dashes, so that the plate a citizen types and the plate a camera reads compare
//! equal.
//!
//! Italian plates are checked against the formats of the national registration scheme; a
//! foreign plate is stored with the international distinguishing sign of its country
//! (Vienna Convention on Road Traffic, 1968), as `CH:ZH123456`, which is also how a citizen
//! types it; [`Plate::from_parts`] joins a country select and a plate input.

use crate::text::LocalizedText;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Letters never used in Italian plates since 1994: I, O and Q look like 1 and 0, U like V.
const ITALIAN_UNUSED_LETTERS: &[u8] = b"IOQU";
/// Characters of the moped plates issued since 14 July 2006 after the leading X: digits 2–9
/// and consonants, so that no combination spells a word or looks like 0 or 1.
const MOPED_CHARACTERS: &[u8] = b"23456789BCDFGHJKLMNPRSTVWXYZ";

/// Countries offered in the foreign-plate select: their distinguishing sign and their name
/// in Italian and English. Any sign of 1–3 letters is accepted; these are the usual ones.
pub const FOREIGN_COUNTRIES: &[(&str, &str, &str)] = &[
    ("A", "Austria", "Austria"),
    ("AL", "Albania", "Albania"),
    ("AND", "Andorra", "Andorra"),
    ("B", "Belgio", "Belgium"),
    ("BG", "Bulgaria", "Bulgaria"),
    ("BIH", "Bosnia ed Erzegovina", "Bosnia and Herzegovina"),
    ("CH", "Svizzera", "Switzerland"),
    ("CY", "Cipro", "Cyprus"),
    ("CZ", "Repubblica Ceca", "Czech Republic"),
    ("D", "Germania", "Germany"),
    ("DK", "Danimarca", "Denmark"),
    ("E", "Spagna", "Spain"),
    ("EST", "Estonia", "Estonia"),
    ("F", "Francia", "France"),
    ("FIN", "Finlandia", "Finland"),
    ("FL", "Liechtenstein", "Liechtenstein"),
    ("GR", "Grecia", "Greece"),
    ("H", "Ungheria", "Hungary"),
    ("HR", "Croazia", "Croatia"),
    ("IRL", "Irlanda", "Ireland"),
    ("L", "Lussemburgo", "Luxembourg"),
    ("LT", "Lituania", "Lithuania"),
    ("LV", "Lettonia", "Latvia"),
    ("M", "Malta", "Malta"),
    ("MA", "Marocco", "Morocco"),
    ("MC", "Monaco", "Monaco"),
    ("MD", "Moldavia", "Moldova"),
    ("MNE", "Montenegro", "Montenegro"),
    ("N", "Norvegia", "Norway"),
    ("NL", "Paesi Bassi", "Netherlands"),
    ("NMK", "Macedonia del Nord", "North Macedonia"),
    ("P", "Portogallo", "Portugal"),
    ("PL", "Polonia", "Poland"),
    ("RO", "Romania", "Romania"),
    ("RSM", "San Marino", "San Marino"),
    ("S", "Svezia", "Sweden"),
    ("SK", "Slovacchia", "Slovakia"),
    ("SLO", "Slovenia", "Slovenia"),
    ("SRB", "Serbia", "Serbia"),
    ("TN", "Tunisia", "Tunisia"),
    ("TR", "Turchia", "Turkey"),
    ("UA", "Ucraina", "Ukraine"),
    ("UK", "Regno Unito", "United Kingdom"),
    ("V", "Città del Vaticano", "Vatican City"),
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlateError {
    #[error("the plate is empty")]
    Empty,
    #[error("a plate has only letters and digits")]
    InvalidCharacters,
    #[error("the letter {0} is never used in Italian plates")]
    UnusedLetter(char),
    #[error("the plate matches no Italian format")]
    NotItalian,
    #[error("the country must be its international sign of 1 to 3 letters")]
    InvalidCountry,
    #[error("a foreign plate has 2 to 10 letters or digits")]
    ForeignLength,
}

impl PlateError {
    /// What the citizen reads next to the field.
    pub fn message(&self) -> LocalizedText {
        let (it, en) = match self {
            PlateError::Empty => (
                "Inserisci la targa.".to_owned(),
                "Enter the number plate.".to_owned(),
            ),
            PlateError::InvalidCharacters => (
                "La targa può contenere solo lettere e cifre.".to_owned(),
                "A number plate can contain only letters and digits.".to_owned(),
            ),
            PlateError::UnusedLetter(letter) => (
                format!(
                    "La targa non è valida: la lettera {letter} non si usa nelle targhe italiane, controlla se è uno 0 o un 1."
                ),
                format!(
                    "The number plate is not valid: the letter {letter} is not used in Italian plates, check whether it is a 0 or a 1."
                ),
            ),
            PlateError::NotItalian => (
                "La targa non è valida: non corrisponde a nessun formato italiano (per esempio AB123CD per le auto, AB12345 per le moto, X2B3CD per i ciclomotori). Se la targa è straniera, scrivi prima la sigla del Paese e due punti (per esempio CH:ZH123456).".to_owned(),
                "The number plate is not valid: it matches no Italian format (for example AB123CD for cars, AB12345 for motorcycles, X2B3CD for mopeds). If the plate is foreign, write the country's sign and a colon first (for example CH:ZH123456).".to_owned(),
            ),
            PlateError::InvalidCountry => (
                "Indica il Paese della targa con la sigla internazionale, da 1 a 3 lettere (per esempio D, F, CH).".to_owned(),
                "Give the plate's country as its international sign, 1 to 3 letters (for example D, F, CH).".to_owned(),
            ),
            PlateError::ForeignLength => (
                "La targa straniera non è valida: deve avere da 2 a 10 lettere o cifre.".to_owned(),
                "The foreign number plate is not valid: it must have 2 to 10 letters or digits.".to_owned(),
            ),
        };
        LocalizedText { it, en: Some(en) }
    }
}

/// The format of a plate, as far as it tells the kind of vehicle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlateKind {
    /// `AA000AA`, since 1994 (ZA–ZZ square plates and YA–YZ local police included).
    Car,
    /// `XA000AA`: trailers and caravans since 20 February 2013.
    Trailer,
    /// `AA00000`: motorcycles since 1994, and trailers registered before 2013.
    Motorcycle,
    /// `X` and five digits or consonants: mopeds since 14 July 2006.
    Moped,
    /// A province sign and a serial of six characters: plates issued before 1994.
    Provincial,
    /// Registered abroad.
    Foreign,
}

/// A vehicle number plate, normalised: upper case, no spaces or dashes; a foreign plate is
/// prefixed by its country's sign and a colon (`D:MAB1234`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Plate(String);

impl Plate {
    /// Parses an Italian plate (`AB 123 CD`, `ab-123-cd`) or a foreign one written with its
    /// country sign and a colon (`CH:ZH 123456`).
    pub fn parse(input: &str) -> Result<Plate, PlateError> {
        match input.split_once(':') {
            Some((country, text)) => Plate::from_parts(Some(country), text),
            None => Plate::italian(input),
        }
    }

    /// Joins what a form's two inputs hold: the country select (blank, `I` or `IT` for
    /// Italy) and the plate as typed.
    pub fn from_parts(country: Option<&str>, text: &str) -> Result<Plate, PlateError> {
        let country = country.map(str::trim).unwrap_or_default();
        if country.is_empty() || ["I", "IT"].iter().any(|c| country.eq_ignore_ascii_case(c)) {
            Plate::italian(text)
        } else {
            Plate::foreign(country, text)
        }
    }

    /// A plate registered abroad; `country` is the international distinguishing sign (`D`,
    /// `F`, `CH`, `SLO`…) or an ISO 3166 alpha-2 code.
    pub fn foreign(country: &str, text: &str) -> Result<Plate, PlateError> {
        let country = country.trim().to_ascii_uppercase();
        if !(1..=3).contains(&country.len()) || !country.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(PlateError::InvalidCountry);
        }
        if ["I", "IT"].contains(&country.as_str()) {
            return Plate::italian(text);
        }
        let text = compact(text)?;
        if !(2..=10).contains(&text.len()) {
            return Err(PlateError::ForeignLength);
        }
        Ok(Plate(format!("{country}:{text}")))
    }

    fn italian(input: &str) -> Result<Plate, PlateError> {
        let text = compact(input)?;
        if italian_kind(text.as_bytes())?.is_some() {
            Ok(Plate(text))
        } else {
            Err(PlateError::NotItalian)
        }
    }

    /// The normalised form, as stored and as sent to the gate cameras.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_italian(&self) -> bool {
        !self.0.contains(':')
    }

    /// The country sign of a foreign plate; `None` for an Italian one.
    pub fn country(&self) -> Option<&str> {
        self.0.split_once(':').map(|(country, _)| country)
    }

    /// The plate without its country sign, as painted on the vehicle.
    pub fn number(&self) -> &str {
        self.0.split_once(':').map_or(&self.0, |(_, number)| number)
    }

    pub fn kind(&self) -> PlateKind {
        if !self.is_italian() {
            return PlateKind::Foreign;
        }
        // A stored plate was parsed, so it has a kind; Car is never reached.
        italian_kind(self.0.as_bytes())
            .ok()
            .flatten()
            .unwrap_or(PlateKind::Car)
    }
}

/// Upper case without spaces and dashes; anything but ASCII letters and digits is refused.
fn compact(input: &str) -> Result<String, PlateError> {
    let text: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '‐' | '–' | '.' | '·'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if text.is_empty() {
        return Err(PlateError::Empty);
    }
    if !text.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(PlateError::InvalidCharacters);
    }
    Ok(text)
}

/// `Ok(None)` when no format matches; an error when the shape matches but a letter is one
/// the scheme never uses, so the citizen learns which character to check.
fn italian_kind(b: &[u8]) -> Result<Option<PlateKind>, PlateError> {
    let letter = |c: &u8| c.is_ascii_uppercase();
    let digit = |c: &u8| c.is_ascii_digit();
    let check_letters =
        |letters: &[u8]| match letters.iter().find(|c| ITALIAN_UNUSED_LETTERS.contains(c)) {
            Some(&c) => Err(PlateError::UnusedLetter(char::from(c))),
            None => Ok(()),
        };
    match b {
        // AA000AA
        [l1, l2, d1, d2, d3, l3, l4]
            if [l1, l2, l3, l4].into_iter().all(letter) && [d1, d2, d3].into_iter().all(digit) =>
        {
            check_letters(&[*l1, *l2, *l3, *l4])?;
            Ok(Some(if *l1 == b'X' {
                PlateKind::Trailer
            } else {
                PlateKind::Car
            }))
        }
        // AA00000
        [l1, l2, rest @ ..]
            if rest.len() == 5 && letter(l1) && letter(l2) && rest.iter().all(digit) =>
        {
            check_letters(&[*l1, *l2])?;
            Ok(Some(PlateKind::Motorcycle))
        }
        // X + five of 2–9 and consonants
        [b'X', rest @ ..]
            if rest.len() == 5 && rest.iter().all(|c| MOPED_CHARACTERS.contains(c)) =>
        {
            Ok(Some(PlateKind::Moped))
        }
        // Province + six characters, all digits or with one letter in the first or second
        // place once a province ran out of numbers (MI123456, MI A12345, MI 0A1234); Rome's
        // plates carried the whole name.
        _ => {
            let serial = if b.len() == 10 && b.starts_with(b"ROMA") {
                &b[4..]
            } else if b.len() == 8 && b[..2].iter().all(letter) {
                &b[2..]
            } else {
                return Ok(None);
            };
            let valid = match serial {
                [first, second, rest @ ..] => {
                    rest.iter().all(digit)
                        && (digit(first) || digit(second))
                        && (letter(first) || digit(first))
                        && (letter(second) || digit(second))
                }
                _ => false,
            };
            Ok(valid.then_some(PlateKind::Provincial))
        }
    }
}

impl TryFrom<String> for Plate {
    type Error = PlateError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Plate::parse(&value)
    }
}

impl From<Plate> for String {
    fn from(plate: Plate) -> String {
        plate.0
    }
}

impl fmt::Display for Plate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Plate {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn italian_formats_are_recognised_and_normalised() {
        let cases = [
            ("AB123CD", "AB123CD", PlateKind::Car),
            ("ab 123 cd", "AB123CD", PlateKind::Car),
            ("GM-482-ZX", "GM482ZX", PlateKind::Car),
            (" ZA 000 AA ", "ZA000AA", PlateKind::Car),
            ("XA123BC", "XA123BC", PlateKind::Trailer),
            ("AB12345", "AB12345", PlateKind::Motorcycle),
            ("x2b3cd", "X2B3CD", PlateKind::Moped),
            ("X22222", "X22222", PlateKind::Moped),
            ("RM 123456", "RM123456", PlateKind::Provincial),
            ("MI 0A1234", "MI0A1234", PlateKind::Provincial),
            ("ROMA A12345", "ROMAA12345", PlateKind::Provincial),
        ];
        for (input, normalised, kind) in cases {
            let plate = Plate::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(plate.as_str(), normalised, "{input}");
            assert_eq!(plate.kind(), kind, "{input}");
            assert!(plate.is_italian(), "{input}");
            assert_eq!(plate.country(), None);
            assert_eq!(plate.number(), normalised);
        }
    }

    #[test]
    fn malformed_italian_plates_are_refused_with_the_reason() {
        let cases = [
            ("", PlateError::Empty),
            ("  - ", PlateError::Empty),
            ("AB123C", PlateError::NotItalian),
            ("AB1234CD", PlateError::NotItalian),
            ("A1B2C3D", PlateError::NotItalian),
            ("AB123CDE", PlateError::NotItalian),
            ("X2A3CD", PlateError::NotItalian),
            ("X21111", PlateError::NotItalian),
            ("RMAB1234", PlateError::NotItalian),
            ("MI12345A", PlateError::NotItalian),
            ("AI123CD", PlateError::UnusedLetter('I')),
            ("AB123CO", PlateError::UnusedLetter('O')),
            ("QB12345", PlateError::UnusedLetter('Q')),
            ("AB_123CD", PlateError::InvalidCharacters),
            ("AB123ÇD", PlateError::InvalidCharacters),
        ];
        for (input, error) in cases {
            assert_eq!(Plate::parse(input), Err(error), "{input}");
        }
    }

    #[test]
    fn foreign_plates_carry_their_country() {
        let cases = [
            ("CH:ZH 123456", "CH:ZH123456", "CH", "ZH123456"),
            ("d:M-AB 1234", "D:MAB1234", "D", "MAB1234"),
            ("F:AB-123-CD", "F:AB123CD", "F", "AB123CD"),
            ("SLO:LJ AB-123", "SLO:LJAB123", "SLO", "LJAB123"),
            ("RSM:A1234", "RSM:A1234", "RSM", "A1234"),
        ];
        for (input, normalised, country, number) in cases {
            let plate = Plate::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(plate.as_str(), normalised);
            assert_eq!(plate.country(), Some(country));
            assert_eq!(plate.number(), number);
            assert_eq!(plate.kind(), PlateKind::Foreign);
            assert!(!plate.is_italian());
        }
        let refused = [
            ("CHEZ:ZH123", PlateError::InvalidCountry),
            ("C1:ZH123", PlateError::InvalidCountry),
            ("D:M", PlateError::ForeignLength),
            ("D:ABCDEFGHIJK", PlateError::ForeignLength),
            ("D:MA/1234", PlateError::InvalidCharacters),
            // No country before the colon means Italy.
            (":ZH123", PlateError::NotItalian),
        ];
        for (input, error) in refused {
            assert_eq!(Plate::parse(input), Err(error), "{input}");
        }
    }

    #[test]
    fn a_form_joins_country_and_plate() {
        let cases = [
            (None, "ab123cd", Ok("AB123CD")),
            (Some(""), "ab123cd", Ok("AB123CD")),
            (Some("I"), "ab123cd", Ok("AB123CD")),
            (Some("it"), "ab123cd", Ok("AB123CD")),
            (Some("CH"), "zh 12345", Ok("CH:ZH12345")),
            (Some("I"), "ZH12345Q", Err(PlateError::NotItalian)),
        ];
        for (country, text, expected) in cases {
            let plate = Plate::from_parts(country, text);
            assert_eq!(
                plate.as_ref().map(Plate::as_str).map_err(Clone::clone),
                expected,
                "{country:?} {text}"
            );
        }
        // The same plate typed two ways is the same plate.
        assert_eq!(
            Plate::parse("IT:ab 123 cd").ok(),
            Plate::parse("AB123CD").ok()
        );
    }

    #[test]
    fn serde_uses_the_normalised_string() {
        #[derive(Deserialize, Serialize)]
        struct Holder {
            plate: Plate,
        }
        let holder: Holder = toml::from_str("plate = \"ab 123 cd\"").unwrap();
        assert_eq!(holder.plate.as_str(), "AB123CD");
        assert_eq!(holder.plate.to_string(), "AB123CD");
        assert!(toml::from_str::<Holder>("plate = \"AB 123\"").is_err());
    }

    #[test]
    fn every_error_speaks_both_languages() {
        for error in [
            PlateError::Empty,
            PlateError::InvalidCharacters,
            PlateError::UnusedLetter('O'),
            PlateError::NotItalian,
            PlateError::InvalidCountry,
            PlateError::ForeignLength,
        ] {
            let message = error.message();
            assert!(!message.it.is_empty());
            assert!(message.en.as_deref().is_some_and(|en| !en.is_empty()));
        }
        assert!(PlateError::UnusedLetter('O').message().it.contains('O'));
    }

    #[test]
    fn the_country_list_uses_valid_signs() {
        for (code, it, en) in FOREIGN_COUNTRIES {
            assert!(Plate::foreign(code, "AB1234").is_ok(), "{code}");
            assert!(!it.is_empty() && !en.is_empty());
        }
    }
}
