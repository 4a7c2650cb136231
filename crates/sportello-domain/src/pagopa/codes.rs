//! What the notice prints for machines: the pagoPA QR code and, for creditors that collect
//! through a postal account, the Poste Data Matrix.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{NoticeNumber, NoticeNumberError, digits};
use crate::codice_fiscale::EnteCodiceFiscale;
use crate::money::Cents;

/// The largest amount the QR code can carry: eleven digits of cents.
const QR_MAX_CENTS: i64 = 99_999_999_999;
/// The largest amount the Data Matrix can carry: ten digits of cents.
const POSTE_MAX_CENTS: i64 = 9_999_999_999;

/// The payload of the pagoPA QR code on a notice (guide 3.x, "Codice QR"):
/// `PAGOPA|002|<NAV>|<CF ente>|<amount in cents>`, the amount written with at least two
/// digits (one cent is `01`).
pub fn qr_payload(
    notice: &NoticeNumber,
    creditor: &EnteCodiceFiscale,
    amount: Cents,
) -> Result<String, NoticeNumberError> {
    let cents = amount.get();
    if !(1..=QR_MAX_CENTS).contains(&cents) {
        return Err(NoticeNumberError::OutOfRange {
            what: "the amount in cents",
            value: i128::from(cents),
            min: 1,
            max: i128::from(QR_MAX_CENTS),
        });
    }
    Ok(format!("PAGOPA|002|{notice}|{creditor}|{cents:02}"))
}

/// A *conto corrente postale*: up to 12 digits, kept left-padded with zeros to 12 as the
/// Poste code line writes it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PostalAccount(String);

impl PostalAccount {
    pub fn parse(input: &str) -> Result<PostalAccount, NoticeNumberError> {
        let input = input.trim();
        const WHAT: &str = "the postal account";
        digits(WHAT, input, input.len(), "1 to 12")?;
        if input.is_empty() || input.len() > 12 {
            return Err(NoticeNumberError::Length {
                what: WHAT,
                expected: "1 to 12",
                found: input.len(),
            });
        }
        Ok(PostalAccount(format!("{input:0>12}")))
    }

    /// The 12 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PostalAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for PostalAccount {
    type Error = NoticeNumberError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        PostalAccount::parse(&value)
    }
}

impl From<PostalAccount> for String {
    fn from(account: PostalAccount) -> String {
        account.0
    }
}

/// The content of the Data Matrix of the "Bollettino Postale PA" block, laid out as
/// `TemplateDataMapper.generatePosteDataMatrix` of pagopa-print-payment-notice-generator
/// does: 256 ASCII characters in fixed positions, which Poste's readers (and io-app) slice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PosteDataMatrix {
    pub notice: NoticeNumber,
    pub postal_account: PostalAccount,
    /// 1 cent to 99.999.999,99 euro: the code line has ten digits for it.
    pub amount: Cents,
    pub creditor: EnteCodiceFiscale,
    /// The debtor's codice fiscale (16 characters) or partita IVA (11).
    pub debtor_fiscal_code: String,
    pub debtor_name: String,
    /// The causale; cut to 110 characters.
    pub reason: String,
}

impl PosteDataMatrix {
    /// The amount fits the ten digits of the code line and the debtor's code its 16
    /// characters. [`PosteDataMatrix::payload`] never fails; call this first to know that
    /// what it writes is what was meant.
    pub fn check(&self) -> Result<(), NoticeNumberError> {
        let cents = self.amount.get();
        if !(1..=POSTE_MAX_CENTS).contains(&cents) {
            return Err(NoticeNumberError::OutOfRange {
                what: "the amount in cents",
                value: i128::from(cents),
                min: 1,
                max: i128::from(POSTE_MAX_CENTS),
            });
        }
        let code = self.debtor_fiscal_code.trim();
        if code.chars().count() > 16 {
            return Err(NoticeNumberError::Length {
                what: "the debtor's fiscal code",
                expected: "at most 16",
                found: code.chars().count(),
            });
        }
        Ok(())
    }

    /// The 256 characters. Free text is upper-cased and folded to printable ASCII
    /// (accented letters lose the accent, anything else becomes a space), so that every
    /// field keeps its byte position. An amount [`PosteDataMatrix::check`] refuses is written
    /// as zeros: a reader then sees nothing to pay rather than a different amount.
    pub fn payload(&self) -> String {
        let cents = self.amount.get();
        let cents = if (1..=POSTE_MAX_CENTS).contains(&cents) {
            cents
        } else {
            0
        };
        let mut payload = String::with_capacity(256);
        payload.push_str("codfase=NBPA;");
        payload.push_str("18");
        payload.push_str(self.notice.as_str());
        payload.push_str("12");
        payload.push_str(self.postal_account.as_str());
        payload.push_str("10");
        payload.push_str(&format!("{cents:010}"));
        // Document type 896: the PA "bollettino" with a pre-printed notice number.
        payload.push_str("3896");
        payload.push_str("1P1");
        payload.push_str(self.creditor.as_str());
        payload.push_str(&field(self.debtor_fiscal_code.trim(), 16));
        payload.push_str(&field(&self.debtor_name, 40));
        payload.push_str(&field(&self.reason, 110));
        payload.push_str(&" ".repeat(12));
        payload.push('A');
        payload
    }
}

/// `text` upper-cased, folded to printable ASCII, cut or right-padded with spaces to `width`.
fn field(text: &str, width: usize) -> String {
    let mut folded: String = text
        .chars()
        .flat_map(char::to_uppercase)
        .map(fold)
        .take(width)
        .collect();
    while folded.len() < width {
        folded.push(' ');
    }
    folded
}

/// One upper-case character as printable ASCII.
fn fold(c: char) -> char {
    match c {
        ' '..='~' => c,
        'À'..='Å' | 'Ā' | 'Ă' | 'Ą' => 'A',
        'Æ' => 'A',
        'Ç' | 'Ć' | 'Ĉ' | 'Ċ' | 'Č' => 'C',
        'Ď' | 'Đ' | 'Ð' => 'D',
        'È'..='Ë' | 'Ē' | 'Ĕ' | 'Ė' | 'Ę' | 'Ě' => 'E',
        'Ĝ' | 'Ğ' | 'Ġ' | 'Ģ' => 'G',
        'Ĥ' | 'Ħ' => 'H',
        'Ì'..='Ï' | 'Ĩ' | 'Ī' | 'Ĭ' | 'Į' | 'İ' => 'I',
        'Ĵ' => 'J',
        'Ķ' => 'K',
        'Ĺ' | 'Ļ' | 'Ľ' | 'Ŀ' | 'Ł' => 'L',
        'Ñ' | 'Ń' | 'Ņ' | 'Ň' => 'N',
        'Ò'..='Ö' | 'Ø' | 'Ō' | 'Ŏ' | 'Ő' | 'Œ' => 'O',
        'Ŕ' | 'Ŗ' | 'Ř' => 'R',
        'Ś' | 'Ŝ' | 'Ş' | 'Š' => 'S',
        'Ţ' | 'Ť' | 'Ŧ' => 'T',
        'Ù'..='Ü' | 'Ũ' | 'Ū' | 'Ŭ' | 'Ů' | 'Ű' | 'Ų' => 'U',
        'Ŵ' => 'W',
        'Ý' | 'Ÿ' | 'Ŷ' => 'Y',
        'Ź' | 'Ż' | 'Ž' => 'Z',
        // Typographic apostrophes, as in "Dell’Acqua".
        '\u{2018}' | '\u{2019}' | '\u{02bc}' => '\'',
        _ => ' ',
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice() -> NoticeNumber {
        NoticeNumber::parse("301202500000004228").unwrap()
    }

    fn zeros() -> EnteCodiceFiscale {
        EnteCodiceFiscale::parse("00000000000").unwrap()
    }

    #[test]
    fn qr_payload_vector() {
        assert_eq!(
            qr_payload(&notice(), &zeros(), Cents::new(15_000)).unwrap(),
            "PAGOPA|002|301202500000004228|00000000000|15000"
        );
        assert_eq!(
            qr_payload(&notice(), &zeros(), Cents::new(1)).unwrap(),
            "PAGOPA|002|301202500000004228|00000000000|01"
        );
        assert!(
            qr_payload(&notice(), &zeros(), Cents::new(QR_MAX_CENTS))
                .unwrap()
                .ends_with("|99999999999")
        );
        for cents in [0, -1, QR_MAX_CENTS + 1] {
            assert!(matches!(
                qr_payload(&notice(), &zeros(), Cents::new(cents)),
                Err(NoticeNumberError::OutOfRange { .. })
            ));
        }
    }

    #[test]
    fn postal_accounts_are_padded_to_twelve_digits() {
        assert_eq!(
            PostalAccount::parse("16302093").unwrap().as_str(),
            "000016302093"
        );
        assert_eq!(
            PostalAccount::parse("000016302093").unwrap().as_str(),
            "000016302093"
        );
        assert!(PostalAccount::parse("").is_err());
        assert!(PostalAccount::parse("1234567890123").is_err());
        assert!(matches!(
            PostalAccount::parse("1630A093"),
            Err(NoticeNumberError::NonDigit { position: 5, .. })
        ));
    }

    fn matrix() -> PosteDataMatrix {
        PosteDataMatrix {
            notice: notice(),
            postal_account: PostalAccount::parse("000016302093").unwrap(),
            amount: Cents::new(15_000),
            creditor: zeros(),
            debtor_fiscal_code: "RSSMRA80A01H501U".into(),
            debtor_name: "MARIO ROSSI".into(),
            reason: "TARI 2025 RATA UNICA".into(),
        }
    }

    #[test]
    fn data_matrix_vector() {
        // scripts/test_vectors.txt.
        let expected = format!(
            "codfase=NBPA;183012025000000042281200001630209310000001500038961P100000000000\
             RSSMRA80A01H501UMARIO ROSSI{}TARI 2025 RATA UNICA{}A",
            " ".repeat(29),
            " ".repeat(102)
        );
        assert_eq!(expected.len(), 256);
        assert_eq!(matrix().check(), Ok(()));
        assert_eq!(matrix().payload(), expected);
        // The slices io-app reads.
        let payload = matrix().payload();
        assert_eq!(&payload[15..33], "301202500000004228");
        assert_eq!(&payload[49..59], "0000015000");
        assert_eq!(&payload[66..77], "00000000000");
    }

    #[test]
    fn free_text_is_folded_to_ascii_and_kept_in_place() {
        let mut matrix = matrix();
        matrix.debtor_name = "Niccolò Bàrberi Dell’Acqua Straße 🙂 ".repeat(3);
        matrix.reason = "Canone unico — occupazione €".repeat(10);
        matrix.debtor_fiscal_code = " 80012345678 ".into();
        let payload = matrix.payload();
        assert_eq!(payload.len(), 256);
        assert!(payload.bytes().all(|b| (b' '..=b'~').contains(&b)));
        assert_eq!(&payload[77..93], "80012345678     ");
        assert!(payload[93..133].starts_with("NICCOLO BARBERI DELL'ACQUA STRASSE"));
        assert!(payload[133..243].starts_with("CANONE UNICO   OCCUPAZIONE "));
        assert!(payload.ends_with(&format!("{}A", " ".repeat(12))));
    }

    #[test]
    fn amounts_the_code_line_cannot_hold_are_refused() {
        let mut matrix = matrix();
        matrix.amount = Cents::new(POSTE_MAX_CENTS + 1);
        assert!(matrix.check().is_err());
        assert_eq!(&matrix.payload()[49..59], "0000000000");
        assert_eq!(matrix.payload().len(), 256);
        matrix.amount = Cents::new(1);
        matrix.debtor_fiscal_code = "X".repeat(17);
        assert!(matrix.check().is_err());
    }
}
