//! Sportello's documents: what a comune hands a citizen as PDF, and the signed codes that
//! let anyone check a permit.
//!
//! - [`render_receipt`]: the receipt of a request (L. 241/1990 art. 18-bis, with the art. 8
//!   contents), given at once on submission;
//! - [`render_permit`]: a permit, authorisation or badge, with a QR code of its public
//!   verification page;
//! - [`render_decision`]: a refusal, a request for documents, a notice of the grounds for
//!   refusal (art. 10-bis);
//! - [`render_payment_notice`]: the pagoPA "avviso di pagamento" (guide 3.x), with a QR code
//!   and a codice avviso for the single payment and for each instalment, and the Poste Data
//!   Matrix of the "Bollettino Postale PA" when the creditor collects through a postal account;
//! - [`render_payment_receipt`]: the receipt of a payment made through pagoPA;
//! - [`VerificationCode`]: the unguessable, tamper-evident `{code}` of `/{tenant}/verifica/{code}`.
//!
//! Every PDF is A4, set in Titillium Web (embedded and subset), tagged for screen readers and
//! checked by krilla against PDF/UA-1 and PDF/A-2a (archival) before it is returned, with
//! title and language in its metadata. Rendering is pure: the inputs are plain structs with
//! strings already localized, the output is bytes, and the same input gives the same bytes
//! (the creation date is the protocol date), which keeps a document's digest stable.
//!
//! The crate does no IO and knows nothing of HTTP or storage; it depends on the domain only
//! for money, languages, the legal meaning of silence and pagoPA's notice numbers.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::todo)]

mod data_matrix;
mod decision;
mod fonts;
mod layout;
mod model;
mod parts;
mod payment_notice;
mod payment_receipt;
mod pdf;
mod permit;
mod qr;
#[cfg(feature = "test-support")]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
pub mod reading;
mod receipt;
mod text;
mod verification;

pub use decision::{Decision, DecisionKind, render_decision};
pub use model::{AmountDue, AttachmentEntry, Letterhead, Person, ProtocolStamp, Row, Signatory};
pub use payment_notice::{
    NoticeCreditor, NoticeDebtor, NoticeInstalment, NoticeOptions, PaymentNotice,
    render_payment_notice,
};
pub use payment_receipt::{PaymentReceipt, render_payment_receipt};
pub use permit::{Permit, render_permit};
pub use receipt::{Receipt, render_receipt};
pub use verification::{KeyError, VerificationCode, VerificationError, VerificationKey};

/// Why a document could not be rendered. None of these depends on the citizen's input except
/// [`DocumentError::Qr`] (a verification URL too long for a QR code),
/// [`DocumentError::AmountOverflow`] and [`DocumentError::InvalidNotice`]; the others are bugs
/// or a broken build.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    #[error("the embedded font cannot be read")]
    Font,
    #[error("the time zone Europe/Rome is missing")]
    TimeZone,
    #[error("the verification URL does not fit in a QR code: {0}")]
    Qr(String),
    #[error("the amounts due add up to more than can be represented")]
    AmountOverflow,
    #[error("the data does not fit in a Data Matrix: {0}")]
    DataMatrix(String),
    #[error("the payment notice cannot be printed: {0}")]
    InvalidNotice(String),
    #[error("the PDF cannot be written: {0}")]
    Pdf(String),
}
