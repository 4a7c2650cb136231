//! The comune's local rules, from its comune file: the street list, the canone unico tariffs,
//! resident parking and ZTL. The services' procedures refer to them.

use crate::fees::canone::CanoneRules;
use crate::parking::ParkingRules;
use crate::streets::Street;
use crate::tenant_file::Issues;
use crate::ztl::ZtlRules;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalRules {
    #[serde(default)]
    pub streets: Vec<Street>,
    #[serde(default)]
    pub canone: Option<CanoneRules>,
    #[serde(default)]
    pub parking: Option<ParkingRules>,
    #[serde(default)]
    pub ztl: Option<ZtlRules>,
}

impl LocalRules {
    pub(crate) fn validate(&self, issues: &mut Issues) {
        crate::streets::validate(&self.streets, "streets", issues);
        crate::streets::validate_references(self, "streets", issues);
        if let Some(canone) = &self.canone {
            canone.validate("canone", issues);
        }
        if let Some(parking) = &self.parking {
            parking.validate("parking", &self.streets, issues);
        }
        if let Some(ztl) = &self.ztl {
            ztl.validate("ztl", issues);
        }
    }
}
