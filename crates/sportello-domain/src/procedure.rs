//! STUB — owned by the form/procedure helper.
use crate::local_rules::LocalRules;
use crate::tenant_file::Issues;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Procedure {}

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
