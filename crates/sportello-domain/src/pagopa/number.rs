//! The numero avviso and its parts.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use super::{NoticeNumberError, digits};

/// Exclusive upper bound of a 13-digit IUV base.
const BASE_LIMIT: u64 = 10_000_000_000_000;

/// The two check digits of a NAV: the number made of its first 16 digits, modulo 93. For aux
/// 0 that is aux + application code + base, for 2 aux + base, for 3 aux + segregation code +
/// base, which is what SACI defines for each.
fn check_digits(first16: &str) -> Result<u8, NoticeNumberError> {
    let value: u64 = first16.parse().map_err(|_| NoticeNumberError::NonDigit {
        what: "the notice number",
        position: 1,
    })?;
    // 93 fits in a u8, so the remainder does too.
    Ok((value % 93) as u8)
}

/// The creditor's segregation code (`00`-`99`), assigned by PagoPA to each of the creditor's
/// collection channels; it makes IUVs from different channels unable to collide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SegregationCode(u8);

impl SegregationCode {
    pub fn new(code: u8) -> Result<SegregationCode, NoticeNumberError> {
        if code > 99 {
            return Err(NoticeNumberError::OutOfRange {
                what: "the segregation code",
                value: i128::from(code),
                min: 0,
                max: 99,
            });
        }
        Ok(SegregationCode(code))
    }

    /// Two digits, as PagoPA writes it: `01`.
    pub fn parse(input: &str) -> Result<SegregationCode, NoticeNumberError> {
        let input = input.trim();
        digits("the segregation code", input, 2, "2")?;
        let code = input.parse().map_err(|_| NoticeNumberError::NonDigit {
            what: "the segregation code",
            position: 1,
        })?;
        SegregationCode::new(code)
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

impl fmt::Display for SegregationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}", self.0)
    }
}

impl FromStr for SegregationCode {
    type Err = NoticeNumberError;
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        SegregationCode::parse(input)
    }
}

impl TryFrom<String> for SegregationCode {
    type Error = NoticeNumberError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        SegregationCode::parse(&value)
    }
}

impl From<SegregationCode> for String {
    fn from(code: SegregationCode) -> String {
        code.to_string()
    }
}

/// The 13-digit part of an aux-3 IUV that the creditor numbers as it likes (a counter, a
/// year and a counter); unique per segregation code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IuvBase(u64);

impl IuvBase {
    pub fn new(base: u64) -> Result<IuvBase, NoticeNumberError> {
        if base >= BASE_LIMIT {
            return Err(NoticeNumberError::OutOfRange {
                what: "the IUV base",
                value: i128::from(base),
                min: 0,
                max: i128::from(BASE_LIMIT - 1),
            });
        }
        Ok(IuvBase(base))
    }

    pub fn get(self) -> u64 {
        self.0
    }
}

/// Thirteen digits, zero padded, as the base appears in the IUV.
impl fmt::Display for IuvBase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:013}", self.0)
    }
}

/// The IUV (Identificativo Univoco di Versamento) as GPD and the SOAP interface carry it
/// (`iuv`, `creditorReferenceId`): the NAV without its aux digit (and, for aux 0, without
/// the application code). 17 digits for aux 1, 2 and 3; 15 for aux 0.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Iuv(String);

impl Iuv {
    /// 15 or 17 digits. Which NAV it belongs to depends on the aux digit, which the IUV does
    /// not carry: see [`NoticeNumber::from_iuv_aux3`].
    pub fn parse(input: &str) -> Result<Iuv, NoticeNumberError> {
        let input = input.trim();
        let len = if input.len() == 15 { 15 } else { 17 };
        digits("the IUV", input, len, "15 or 17")?;
        Ok(Iuv(input.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Iuv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Iuv {
    type Err = NoticeNumberError;
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        Iuv::parse(input)
    }
}

impl TryFrom<String> for Iuv {
    type Error = NoticeNumberError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Iuv::parse(&value)
    }
}

impl From<Iuv> for String {
    fn from(iuv: Iuv) -> String {
        iuv.0
    }
}

/// The numero avviso (NAV): 18 digits, aux digit first, check digits verified.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NoticeNumber(String);

impl NoticeNumber {
    /// A new aux-3 notice number: `3`, segregation code, base, check digits.
    pub fn new(segregation: SegregationCode, base: IuvBase) -> NoticeNumber {
        let first16 = format!("3{segregation}{base}");
        // Sixteen digits always fit a u64 (< 10^16 < 2^64); the fallback is unreachable.
        let check = first16.parse::<u64>().map_or(0, |value| value % 93);
        NoticeNumber(format!("{first16}{check:02}"))
    }

    /// The NAV of a 17-digit IUV as GPD builds it (`nav = "3" + iuv`), check digits verified.
    pub fn from_iuv_aux3(iuv: &str) -> Result<NoticeNumber, NoticeNumberError> {
        let iuv = iuv.trim();
        digits("the IUV", iuv, 17, "17")?;
        NoticeNumber::parse(&format!("3{iuv}"))
    }

    /// The 18 digits, also in the printed form with spaces (`3012 0250 0000 0042 28`). The
    /// check digits are verified for aux 0, 2 and 3; aux 1 has none.
    pub fn parse(input: &str) -> Result<NoticeNumber, NoticeNumberError> {
        // Spaces are how the notice prints the code, and how people copy it.
        let compact: String = input.chars().filter(|c| *c != ' ').collect();
        digits("the notice number", &compact, 18, "18")?;
        let aux = compact.chars().next().unwrap_or('?');
        if !matches!(aux, '0'..='3') {
            return Err(NoticeNumberError::AuxDigit { found: aux });
        }
        if aux != '1' {
            let (first16, found) = compact.split_at(16);
            let expected = format!("{:02}", check_digits(first16)?);
            if expected != found {
                return Err(NoticeNumberError::CheckDigits {
                    expected,
                    found: found.to_owned(),
                });
            }
        }
        Ok(NoticeNumber(compact))
    }

    /// The 18 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `0`-`3`; new notices are always `3`.
    pub fn aux_digit(&self) -> u8 {
        self.0.as_bytes().first().map_or(0, |b| b - b'0')
    }

    pub fn iuv(&self) -> Iuv {
        // Aux 0 puts a two-digit application code between the aux digit and the IUV.
        let skip = if self.aux_digit() == 0 { 3 } else { 1 };
        Iuv(self.0.get(skip..).unwrap_or_default().to_owned())
    }

    /// The segregation code of an aux-3 number.
    pub fn segregation_code(&self) -> Option<SegregationCode> {
        if self.aux_digit() != 3 {
            return None;
        }
        self.0.get(1..3)?.parse().ok().map(SegregationCode)
    }

    /// The IUV base of an aux-3 number.
    pub fn base(&self) -> Option<IuvBase> {
        if self.aux_digit() != 3 {
            return None;
        }
        self.0.get(3..16)?.parse().ok().map(IuvBase)
    }

    /// The "Codice Avviso" as the notice prints it: groups of four digits separated by one
    /// space, `3012 0250 0000 0042 28`.
    pub fn printed(&self) -> String {
        let mut printed = String::with_capacity(22);
        for (index, digit) in self.0.chars().enumerate() {
            if index > 0 && index % 4 == 0 {
                printed.push(' ');
            }
            printed.push(digit);
        }
        printed
    }
}

impl fmt::Display for NoticeNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for NoticeNumber {
    type Err = NoticeNumberError;
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        NoticeNumber::parse(input)
    }
}

impl TryFrom<String> for NoticeNumber {
    type Error = NoticeNumberError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        NoticeNumber::parse(&value)
    }
}

impl From<NoticeNumber> for String {
    fn from(number: NoticeNumber) -> String {
        number.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn aux3(segregation: u8, base: u64) -> NoticeNumber {
        NoticeNumber::new(
            SegregationCode::new(segregation).unwrap(),
            IuvBase::new(base).unwrap(),
        )
    }

    /// scripts/test_vectors.txt, aux 3: (segregation, base, NAV, IUV, printed).
    const AUX3: [(u8, u64, &str, &str, &str); 4] = [
        (
            1,
            1,
            "301000000000000144",
            "01000000000000144",
            "3010 0000 0000 0001 44",
        ),
        (
            1,
            2_025_000_000_042,
            "301202500000004228",
            "01202500000004228",
            "3012 0250 0000 0042 28",
        ),
        (
            47,
            1_234_567_890_123,
            "347123456789012389",
            "47123456789012389",
            "3471 2345 6789 0123 89",
        ),
        (
            99,
            123_456,
            "399000000012345609",
            "99000000012345609",
            "3990 0000 0012 3456 09",
        ),
    ];

    #[test]
    fn aux3_vectors() {
        for (segregation, base, nav, iuv, printed) in AUX3 {
            let number = aux3(segregation, base);
            assert_eq!(number.as_str(), nav);
            assert_eq!(number.to_string(), nav);
            assert_eq!(number.iuv().as_str(), iuv);
            assert_eq!(number.iuv().to_string(), iuv);
            assert_eq!(number.printed(), printed);
            assert_eq!(number.aux_digit(), 3);
            assert_eq!(number.segregation_code().unwrap().get(), segregation);
            assert_eq!(number.base().unwrap().get(), base);
            assert_eq!(NoticeNumber::parse(nav).unwrap(), number);
            assert_eq!(NoticeNumber::parse(printed).unwrap(), number);
            assert_eq!(NoticeNumber::from_iuv_aux3(iuv).unwrap(), number);
        }
    }

    #[test]
    fn older_aux_digits_are_parsed() {
        // (NAV, aux, IUV, printed) from scripts/test_vectors.txt.
        let vectors = [
            (
                "012000000000000116",
                0,
                "000000000000116",
                "0120 0000 0000 0001 16",
            ),
            (
                "200000000000000103",
                2,
                "00000000000000103",
                "2000 0000 0000 0001 03",
            ),
            (
                "112345678901234567",
                1,
                "12345678901234567",
                "1123 4567 8901 2345 67",
            ),
        ];
        for (nav, aux, iuv, printed) in vectors {
            let number = NoticeNumber::parse(nav).unwrap();
            assert_eq!(number.aux_digit(), aux);
            assert_eq!(number.iuv().as_str(), iuv);
            assert_eq!(number.printed(), printed);
            assert_eq!(number.segregation_code(), None);
            assert_eq!(number.base(), None);
        }
    }

    #[test]
    fn real_and_illustrative_numbers() {
        // pagopa/io-app's Data Matrix fixture: a real notice.
        assert!(NoticeNumber::parse("300715700000000032").is_ok());
        // The SANP SOAP example is only illustrative and fails the check.
        assert_eq!(
            NoticeNumber::parse("311111111112222222"),
            Err(NoticeNumberError::CheckDigits {
                expected: format!("{:02}", 3_111_111_111_122_222u64 % 93),
                found: "22".into(),
            })
        );
    }

    #[test]
    fn malformed_numbers_say_what_is_wrong() {
        assert!(matches!(
            NoticeNumber::parse("30120250000000422"),
            Err(NoticeNumberError::Length { found: 17, .. })
        ));
        assert!(matches!(
            NoticeNumber::parse("3012025000000042x8"),
            Err(NoticeNumberError::NonDigit { position: 17, .. })
        ));
        assert!(matches!(
            NoticeNumber::parse("401202500000004228"),
            Err(NoticeNumberError::AuxDigit { found: '4' })
        ));
        assert!(NoticeNumber::parse("").is_err());
        assert!(NoticeNumber::from_iuv_aux3("0120250000000422").is_err());
        assert!(SegregationCode::new(100).is_err());
        assert!(SegregationCode::parse("1").is_err());
        assert_eq!(SegregationCode::parse("07").unwrap().get(), 7);
        assert_eq!(SegregationCode::new(7).unwrap().to_string(), "07");
        assert!(IuvBase::new(BASE_LIMIT).is_err());
        assert!(IuvBase::new(BASE_LIMIT - 1).is_ok());
        assert!(Iuv::parse("0120250000000422").is_err());
        assert!(Iuv::parse("000000000000116").is_ok());
    }

    #[test]
    fn serde_uses_the_strings() {
        let number = aux3(1, 2_025_000_000_042);
        let json = serde_json::to_string(&number).unwrap();
        assert_eq!(json, "\"301202500000004228\"");
        assert_eq!(serde_json::from_str::<NoticeNumber>(&json).unwrap(), number);
        assert!(serde_json::from_str::<NoticeNumber>("\"301202500000004229\"").is_err());
        let code = SegregationCode::new(1).unwrap();
        assert_eq!(serde_json::to_string(&code).unwrap(), "\"01\"");
        assert_eq!(
            serde_json::from_str::<SegregationCode>("\"01\"").unwrap(),
            code
        );
        assert!(serde_json::from_str::<SegregationCode>("\"1\"").is_err());
        assert_eq!(
            serde_json::to_string(&number.iuv()).unwrap(),
            "\"01202500000004228\""
        );
        assert_eq!(
            serde_json::from_str::<Iuv>("\"01202500000004228\"").unwrap(),
            number.iuv()
        );
    }

    fn any_aux3() -> impl Strategy<Value = NoticeNumber> {
        (0u8..=99, 0u64..BASE_LIMIT).prop_map(|(segregation, base)| aux3(segregation, base))
    }

    proptest! {
        #[test]
        fn round_trips(number in any_aux3()) {
            prop_assert_eq!(number.as_str().len(), 18);
            prop_assert_eq!(&NoticeNumber::parse(number.as_str()).unwrap(), &number);
            prop_assert_eq!(&NoticeNumber::parse(&number.printed()).unwrap(), &number);
            prop_assert_eq!(&number.as_str().parse::<NoticeNumber>().unwrap(), &number);
            prop_assert_eq!(
                &NoticeNumber::from_iuv_aux3(number.iuv().as_str()).unwrap(),
                &number
            );
        }

        #[test]
        fn check_digits_are_below_93(number in any_aux3()) {
            let check: u8 = number.as_str()[16..].parse().unwrap();
            prop_assert!(check < 93);
        }

        #[test]
        fn any_single_digit_change_is_caught(
            number in any_aux3(),
            position in 1usize..18,
            delta in 1u8..10,
        ) {
            // Position 0 is the aux digit, a different kind of number; every other digit
            // weighs a power of ten, and no 10^k·d with d in 1..=9 is a multiple of 93.
            let mut digits = number.as_str().as_bytes().to_vec();
            digits[position] = b'0' + (digits[position] - b'0' + delta) % 10;
            let changed = String::from_utf8(digits).unwrap();
            prop_assert!(NoticeNumber::parse(&changed).is_err(), "{changed}");
        }
    }
}
