//! What citizens owe the comune and how pagoPA collects it: debt positions with their payment
//! options and transfers ([`position`]), the comune's collection settings ([`collection`]),
//! the catalogue of spontaneous payments ([`catalogue`]). The notice-number arithmetic is in
//! [`crate::pagopa`].

pub mod campaign;
pub mod catalogue;
pub mod collection;
pub mod iban;
pub mod position;

pub use campaign::{CampaignRow, Problem as CampaignProblem, Totals as CampaignTotals};
pub use catalogue::{AmountError, AmountInput, AmountRule, SpontaneousPayment};
pub use collection::Collection;
pub use iban::{Iban, IbanError};
pub use position::{
    DebtPosition, Debtor, DebtorKind, Destination, DigitalStamp, Iupd, PaymentOption,
    PositionError, PositionStatus, Taxonomy, Transfer,
};
