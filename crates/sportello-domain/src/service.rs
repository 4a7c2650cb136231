//! The comune's service catalogue: every service a citizen may look for, whether it is
//! handled online in Sportello, on another site, by appointment or at an office.

use crate::tenant::HttpsUrl;
use crate::text::{LocalizedBlock, LocalizedText};
use crate::{Lang, Slug};
use serde::{Deserialize, Serialize};

/// The service categories of the Designers Italia model for comuni.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServiceCategory {
    AnagrafeEStatoCivile,
    CulturaETempoLibero,
    VitaLavorativa,
    ImpreseECommercio,
    AppaltiPubblici,
    CatastoEUrbanistica,
    Turismo,
    MobilitaETrasporti,
    EducazioneEFormazione,
    GiustiziaESicurezzaPubblica,
    TributiFinanzeEContravvenzioni,
    Ambiente,
    SaluteBenessereEAssistenza,
    Autorizzazioni,
    AgricolturaEPesca,
}

impl ServiceCategory {
    /// Every category, in the model's order.
    pub const ALL: [ServiceCategory; 15] = [
        ServiceCategory::AnagrafeEStatoCivile,
        ServiceCategory::CulturaETempoLibero,
        ServiceCategory::VitaLavorativa,
        ServiceCategory::ImpreseECommercio,
        ServiceCategory::AppaltiPubblici,
        ServiceCategory::CatastoEUrbanistica,
        ServiceCategory::Turismo,
        ServiceCategory::MobilitaETrasporti,
        ServiceCategory::EducazioneEFormazione,
        ServiceCategory::GiustiziaESicurezzaPubblica,
        ServiceCategory::TributiFinanzeEContravvenzioni,
        ServiceCategory::Ambiente,
        ServiceCategory::SaluteBenessereEAssistenza,
        ServiceCategory::Autorizzazioni,
        ServiceCategory::AgricolturaEPesca,
    ];

    /// The key used in tenant files, URLs and the database.
    pub fn key(self) -> &'static str {
        self.labels().0
    }

    pub fn from_key(key: &str) -> Option<ServiceCategory> {
        Self::ALL.into_iter().find(|c| c.key() == key)
    }

    pub fn label(self, lang: impl Into<Lang>) -> &'static str {
        let (_, it, en) = self.labels();
        match lang.into() {
            Lang::It => it,
            Lang::En => en,
        }
    }

    fn labels(self) -> (&'static str, &'static str, &'static str) {
        use ServiceCategory::*;
        match self {
            AnagrafeEStatoCivile => (
                "anagrafe-e-stato-civile",
                "Anagrafe e stato civile",
                "Registry and civil status",
            ),
            CulturaETempoLibero => (
                "cultura-e-tempo-libero",
                "Cultura e tempo libero",
                "Culture and leisure",
            ),
            VitaLavorativa => ("vita-lavorativa", "Vita lavorativa", "Working life"),
            ImpreseECommercio => (
                "imprese-e-commercio",
                "Imprese e commercio",
                "Business and trade",
            ),
            AppaltiPubblici => ("appalti-pubblici", "Appalti pubblici", "Public procurement"),
            CatastoEUrbanistica => (
                "catasto-e-urbanistica",
                "Catasto e urbanistica",
                "Land registry and urban planning",
            ),
            Turismo => ("turismo", "Turismo", "Tourism"),
            MobilitaETrasporti => (
                "mobilita-e-trasporti",
                "Mobilità e trasporti",
                "Mobility and transport",
            ),
            EducazioneEFormazione => (
                "educazione-e-formazione",
                "Educazione e formazione",
                "Education and training",
            ),
            GiustiziaESicurezzaPubblica => (
                "giustizia-e-sicurezza-pubblica",
                "Giustizia e sicurezza pubblica",
                "Justice and public safety",
            ),
            TributiFinanzeEContravvenzioni => (
                "tributi-finanze-e-contravvenzioni",
                "Tributi, finanze e contravvenzioni",
                "Taxes, finance and fines",
            ),
            Ambiente => ("ambiente", "Ambiente", "Environment"),
            SaluteBenessereEAssistenza => (
                "salute-benessere-e-assistenza",
                "Salute, benessere e assistenza",
                "Health, wellbeing and welfare",
            ),
            Autorizzazioni => (
                "autorizzazioni",
                "Autorizzazioni",
                "Permits and authorisations",
            ),
            AgricolturaEPesca => (
                "agricoltura-e-pesca",
                "Agricoltura e pesca",
                "Agriculture and fishing",
            ),
        }
    }
}

/// Whether a service can be used now. An inactive service must say why (model for comuni).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum ServiceStatus {
    Active,
    Inactive { reason: LocalizedText },
}

impl ServiceStatus {
    pub fn is_active(&self) -> bool {
        matches!(self, ServiceStatus::Active)
    }
}

/// How a citizen uses the service ("Accedi al servizio").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum ServiceAccess {
    /// The request is made online in Sportello, after SPID or CIE login.
    Online,
    /// The service is handled by another site.
    External { url: HttpsUrl, label: LocalizedText },
    /// The service requires an appointment.
    Booking { url: HttpsUrl },
    /// The service is provided in person at the responsible office.
    Office,
}

/// One entry of the "Tempi e scadenze" timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deadline {
    pub label: LocalizedText,
    pub when: LocalizedText,
}

/// A service of the comune with the content of its service sheet, in the model's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    pub slug: Slug,
    pub category: ServiceCategory,
    pub title: LocalizedText,
    pub status: ServiceStatus,
    pub short_description: LocalizedText,
    pub description: Option<LocalizedBlock>,
    pub audience: LocalizedBlock,
    pub how_to: LocalizedBlock,
    pub needed: LocalizedBlock,
    pub achieved: LocalizedBlock,
    pub calendar: LocalizedBlock,
    pub deadlines: Vec<Deadline>,
    pub costs: Option<LocalizedBlock>,
    pub access: ServiceAccess,
    pub conditions: LocalizedBlock,
    pub conditions_url: Option<HttpsUrl>,
    pub office: Slug,
    pub topics: Vec<LocalizedText>,
    pub legal_basis: Vec<String>,
    pub featured: bool,
    /// The SPID level the online request needs (CIE logins carry the level the card gave): 2
    /// unless the comune says otherwise.
    #[serde(default)]
    pub login_level: LoginLevel,
    /// How an online request is made and decided: form, attachments, fees, term. Present on
    /// the services Sportello handles end to end.
    #[serde(default)]
    pub procedure: Option<crate::procedure::Procedure>,
}

/// The assurance level of a login a service requires: SPID levels 1–3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub enum LoginLevel {
    One,
    #[default]
    Two,
    Three,
}

impl LoginLevel {
    pub fn number(self) -> u8 {
        match self {
            LoginLevel::One => 1,
            LoginLevel::Two => 2,
            LoginLevel::Three => 3,
        }
    }
}

impl TryFrom<u8> for LoginLevel {
    type Error = String;

    fn try_from(n: u8) -> Result<Self, Self::Error> {
        match n {
            1 => Ok(LoginLevel::One),
            2 => Ok(LoginLevel::Two),
            3 => Ok(LoginLevel::Three),
            _ => Err(format!("{n} is not a SPID level: use 1, 2 or 3")),
        }
    }
}

impl From<LoginLevel> for u8 {
    fn from(level: LoginLevel) -> u8 {
        level.number()
    }
}

impl ServiceAccess {
    pub fn is_online(&self) -> bool {
        matches!(self, ServiceAccess::Online)
    }
}

impl Service {
    /// Whether Sportello itself handles the request (as opposed to a link out).
    pub fn is_online(&self) -> bool {
        matches!(self.access, ServiceAccess::Online)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn category_keys_round_trip_and_are_unique() {
        let mut keys: Vec<&str> = ServiceCategory::ALL.iter().map(|c| c.key()).collect();
        for category in ServiceCategory::ALL {
            assert_eq!(ServiceCategory::from_key(category.key()), Some(category));
            assert!(Slug::parse(category.key()).is_ok());
        }
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), ServiceCategory::ALL.len());
    }

    #[test]
    fn serde_uses_the_same_keys() {
        #[derive(Deserialize)]
        struct Wrapper {
            c: ServiceCategory,
        }
        for category in ServiceCategory::ALL {
            let parsed: Result<Wrapper, _> = toml::from_str(&format!("c = \"{}\"", category.key()));
            assert_eq!(parsed.map(|w| w.c).ok(), Some(category));
        }
    }
}
