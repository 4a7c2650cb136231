//! The parts that several documents share. Every string arrives already localized and ready
//! to print: this crate sets text, it does not look anything up.

use jiff::Timestamp;
use sportello_domain::money::Cents;

/// The comune as it heads every page one of its documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letterhead {
    /// `Comune di Borgoverde`.
    pub name: String,
    /// The seat: `Piazza del Municipio 1, 00010 Borgoverde (RM)`.
    pub address: String,
    /// The comune's codice fiscale (eleven digits for an ente).
    pub codice_fiscale: String,
    /// The comune's PEC address, its digital domicile.
    pub pec: String,
}

impl Letterhead {
    /// The comune's letterhead on every document it issues.
    pub fn of(profile: &sportello_domain::TenantProfile) -> Letterhead {
        let address = &profile.address;
        Letterhead {
            name: profile.name.clone(),
            address: format!(
                "{}, {} {} ({})",
                address.street, address.postal_code, address.city, address.province
            ),
            codice_fiscale: profile.codice_fiscale.to_string(),
            pec: profile.contacts.pec.to_string(),
        }
    }
}

/// A registration in the protocol register (DPR 445/2000 art. 57).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolStamp {
    /// The number as the register shows it: `0000042/2026`.
    pub number: String,
    /// When it was registered; printed on the wall clock of Rome.
    pub registered_at: Timestamp,
}

/// Someone a document is about, identified as the law identifies citizens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    pub codice_fiscale: String,
}

/// A label and its value, printed as one row of a two-column table. Long values wrap, and a
/// row longer than a page continues on the next one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub label: String,
    pub value: String,
}

impl Row {
    pub fn new(label: impl Into<String>, value: impl Into<String>) -> Row {
        Row {
            label: label.into(),
            value: value.into(),
        }
    }
}

/// A file attached to a request, as the protocol entry records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentEntry {
    /// What the file is (`Planimetria dell'area`) or its file name.
    pub name: String,
    /// Its SHA-256 digest, lowercase hex, as recorded in the protocol entry.
    pub sha256_hex: String,
    pub size_bytes: u64,
}

/// An amount the applicant has to pay: a fee, the stamp duty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmountDue {
    /// `Imposta di bollo sull'istanza`, `Canone unico patrimoniale`.
    pub label: String,
    pub amount: Cents,
}

/// Who signs a permit or a letter for the comune.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signatory {
    pub name: String,
    /// The role above the name; `None` prints "Il Responsabile del servizio".
    pub role: Option<String>,
}
