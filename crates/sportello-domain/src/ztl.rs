//! STUB — owned by the fees/streets helper.
use crate::tenant_file::Issues;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZtlRules {}

impl ZtlRules {
    pub(crate) fn validate(&self, _key: &str, _issues: &mut Issues) {}
}
