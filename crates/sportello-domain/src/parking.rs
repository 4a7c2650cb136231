//! STUB — owned by the fees/streets helper.
use crate::streets::Street;
use crate::tenant_file::Issues;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParkingRules {}

impl ParkingRules {
    pub(crate) fn validate(&self, _key: &str, _streets: &[Street], _issues: &mut Issues) {}
}
