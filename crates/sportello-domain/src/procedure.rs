//! IN PROGRESS — owned by the form/procedure helper. `ProcedureKind` is shared with the
//! assessment module and must keep its name, variants and serde form.

use crate::local_rules::LocalRules;
use crate::tenant_file::Issues;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// Which of Sportello's built-in rule sets decides a request's fee, checks and permit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProcedureKind {
    /// A form and a decision, with at most a fixed fee.
    Generic,
    /// Occupazione di suolo pubblico: canone unico quote (L. 160/2019 c. 816–847).
    PublicLandOccupation,
    /// Permesso di sosta per residenti: zone from the address, vehicles per household.
    ResidentParking,
    /// Contrassegno unificato disabili europeo (DPR 495/1992 art. 381).
    DisabledBadge,
    /// Permesso di accesso alla ZTL (DPR 250/1999): plates, zones, time windows.
    ZtlAccess,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Procedure {
    pub kind: ProcedureKind,
}

impl Procedure {
    pub(crate) fn validate(
        &self,
        _key: &str,
        _office_ids: &HashSet<&str>,
        _rules: &LocalRules,
        _issues: &mut Issues,
    ) {
    }
}
