//! STUB — owned by the fees/streets helper.
use crate::tenant_file::Issues;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Street {
    pub name: String,
}

pub(crate) fn validate(_streets: &[Street], _key: &str, _issues: &mut Issues) {}
