//! How a comune collects through pagoPA: the `[pagopa]` table of the comune file. Everything
//! here is public data of the comune (its accounts are printed on every notice); the GPD
//! subscription key is a secret and lives in the server's configuration, never here.

use super::catalogue::SpontaneousPayment;
use super::iban::Iban;
use super::position::{Destination, Taxonomy};
use crate::pagopa::{PostalAccount, SegregationCode};
use crate::tenant_file::Issues;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// A comune's pagoPA collection settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Collection {
    /// The segregation code pagoPA assigned to the comune's station (the two digits after the
    /// aux digit of every notice number).
    pub segregation_code: SegregationCode,
    /// The account that receives fees and charges (registered on the pagoPA back office).
    pub iban: Iban,
    /// The IBAN of the comune's postal account, when it also collects through Poste.
    #[serde(default)]
    pub postal_iban: Option<Iban>,
    /// The postal account number printed in the notice's "Bollettino postale PA" block.
    #[serde(default)]
    pub postal_account: Option<PostalAccount>,
    /// Who holds the postal account, as printed (`Comune di Borgoverde - Servizio tesoreria`).
    #[serde(default)]
    pub postal_account_holder: Option<String>,
    /// The comune's CBILL code, printed on notices for home banking.
    #[serde(default)]
    pub cbill: Option<String>,
    /// The collecting office, printed under the creditor on notices (`Servizio tributi`).
    #[serde(default)]
    pub sector: Option<String>,
    /// Taxonomy code of permit fees and charges (`9/0101108TS/` for example).
    pub fees_taxonomy: Taxonomy,
    /// Taxonomy code of the digital stamp transfers.
    pub stamp_taxonomy: Taxonomy,
    /// Days from the request of a payment to its due date.
    #[serde(default = "default_due_days")]
    pub due_days: u32,
    /// What a citizen can pay without a prior request (secretarial fees, canteen top-ups).
    #[serde(default)]
    pub spontaneous: Vec<SpontaneousPayment>,
}

fn default_due_days() -> u32 {
    30
}

impl Collection {
    /// Where a fee goes: the comune's account, with the postal one beside it if any.
    pub fn fee_destination(&self) -> Destination {
        Destination::Account {
            iban: self.iban.clone(),
            postal_iban: self.postal_iban.clone(),
        }
    }

    pub fn spontaneous_payment(&self, slug: &str) -> Option<&SpontaneousPayment> {
        self.spontaneous.iter().find(|p| p.slug.as_str() == slug)
    }

    pub(crate) fn validate(&self, issues: &mut Issues) {
        if !(1..=365).contains(&self.due_days) {
            issues.push("pagopa.due_days", "must be between 1 and 365 days");
        }
        if self.postal_account.is_some() != self.postal_iban.is_some() {
            issues.push(
                "pagopa.postal_account",
                "the postal account and its IBAN (postal_iban) go together",
            );
        }
        if let Some(cbill) = &self.cbill
            && !(cbill.len() == 5 && cbill.bytes().all(|b| b.is_ascii_alphanumeric()))
        {
            issues.push("pagopa.cbill", "a CBILL code has 5 letters or digits");
        }
        let mut slugs = HashSet::new();
        for (i, payment) in self.spontaneous.iter().enumerate() {
            let key = format!("pagopa.spontaneous[{i}]");
            if !slugs.insert(payment.slug.as_str()) {
                issues.push(format!("{key}.slug"), "is used by another payment");
            }
            payment.validate(&key, issues);
        }
    }
}
