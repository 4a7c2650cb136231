//! pagoPA notice numbers and the codes printed on a payment notice.
//!
//! The *numero avviso* (NAV, 18 digits) identifies a debt position across pagoPA: the PSP
//! asks for it, the QR code and the Poste Data Matrix carry it, the citizen types it at the
//! counter. It is `<aux digit><IUV>` (aux 0 also carries an application code): the IUV is
//! what GPD stores. Only aux digit 3, with the creditor's segregation code, may be used for
//! new notices (SACI 3.x), so that is the only one this module builds; the other three are
//! still parsed, because notices issued years ago keep circulating.
//!
//! No IO: this is arithmetic on digits (SACI "Generazione dell'Identificativo Univoco di
//! Versamento", pagoPA "avviso di pagamento" guide 3.x, and the Poste layout of
//! pagopa-print-payment-notice-generator).

mod codes;
mod number;

pub use codes::{PostalAccount, PosteDataMatrix, qr_payload};
pub use number::{Iuv, IuvBase, NoticeNumber, SegregationCode};

/// Why a notice number, one of its parts, or a code to print is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoticeNumberError {
    #[error("{what} must be {expected} digits long, found {found} characters")]
    Length {
        what: &'static str,
        expected: &'static str,
        found: usize,
    },
    #[error("{what} has a character that is not a digit at position {position}")]
    NonDigit { what: &'static str, position: usize },
    #[error("the aux digit {found} is not one of 0, 1, 2, 3")]
    AuxDigit { found: char },
    #[error("the check digits are {found}, expected {expected}")]
    CheckDigits { expected: String, found: String },
    #[error("{what} {value} is out of range ({min} to {max})")]
    OutOfRange {
        what: &'static str,
        value: i128,
        min: i128,
        max: i128,
    },
}

/// Checks that `input` is exactly `len` ASCII digits.
fn digits(
    what: &'static str,
    input: &str,
    len: usize,
    expected: &'static str,
) -> Result<(), NoticeNumberError> {
    if let Some(position) = input.chars().position(|c| !c.is_ascii_digit()) {
        return Err(NoticeNumberError::NonDigit {
            what,
            position: position + 1,
        });
    }
    if input.len() != len {
        return Err(NoticeNumberError::Length {
            what,
            expected,
            found: input.chars().count(),
        });
    }
    Ok(())
}
