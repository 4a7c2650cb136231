//! Stamp duty (*imposta di bollo*) on a request and on the act that answers it.

use crate::Cents;
use crate::form::Condition;
use serde::{Deserialize, Serialize};

/// The stamp duty on one document: €16.00 since 26 June 2013 (DPR 642/1972, Tariffa parte I,
/// art. 3 for requests to a comune and art. 4 for the acts it issues; amount set by DL 43/2013
/// art. 7-bis c. 3, converted by L. 71/2013). Paid online as a *marca da bollo digitale*
/// (@e.bollo), a flat amount per document whatever its length.
pub const STAMP_DUTY: Cents = Cents::new(1600);

/// When a document owes stamp duty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum StampRule {
    /// Exempt, or not subject.
    Never,
    Always,
    /// Only when the answers say so, e.g. a temporary disabled badge (permanent ones are
    /// exempt: DPR 642/1972, Tabella B, art. 13-bis).
    When(Condition),
}

/// Stamp duty on the request (*istanza*) and on the permit or decision (*provvedimento*):
/// `stamp_duty = { on_request = "always", on_permit = "always" }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StampDuty {
    pub on_request: StampRule,
    pub on_permit: StampRule,
}

/// The stamp duty owed by one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StampDutyDue {
    /// Paid with the request, before submission.
    pub on_request: Cents,
    /// Paid before the permit or decision is issued.
    pub on_permit: Cents,
}

impl StampDutyDue {
    pub fn total(self) -> Cents {
        Cents::new(self.on_request.get() + self.on_permit.get())
    }
}
