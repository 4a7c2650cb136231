//! A comune as a service provider: its entity IDs, endpoints and metadata, in both federations.

use sportello_domain::Tenant;

/// The two identity federations a comune joins with the same keys and endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Federation {
    Spid,
    Cie,
}

impl Federation {
    pub fn key(self) -> &'static str {
        match self {
            Federation::Spid => "spid",
            Federation::Cie => "cie",
        }
    }

    pub fn from_key(key: &str) -> Option<Federation> {
        match key {
            "spid" => Some(Federation::Spid),
            "cie" => Some(Federation::Cie),
            _ => None,
        }
    }
}

/// Where a comune's service provider lives on the web.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceProviderInfo {
    pub federation: Federation,
    pub entity_id: String,
    pub metadata_url: String,
    pub acs_url: String,
    pub slo_url: String,
}

/// The address of a comune's pages: its own domain when it has one, else the platform's
/// address followed by its slug.
pub(crate) fn tenant_base_url(public_url: &str, tenant: &Tenant) -> String {
    match tenant.profile.domains.first() {
        Some(domain) => format!("https://{}", domain.as_str()),
        None => format!("{}/{}", public_url.trim_end_matches('/'), tenant.slug),
    }
}

impl ServiceProviderInfo {
    /// The entity ID is the metadata's own address, as AgID's `--extra` checks expect; an
    /// aggregated comune's must name the aggregation kind (`pub-ag-full`).
    pub fn new(
        public_url: &str,
        tenant: &Tenant,
        federation: Federation,
        aggregated: bool,
    ) -> ServiceProviderInfo {
        let base = tenant_base_url(public_url, tenant);
        let metadata_url = match (federation, aggregated) {
            (Federation::Spid, false) => format!("{base}/saml/metadata"),
            (Federation::Spid, true) => format!("{base}/saml/pub-ag-full/metadata"),
            (Federation::Cie, _) => format!("{base}/saml/cie/metadata"),
        };
        ServiceProviderInfo {
            federation,
            entity_id: metadata_url.clone(),
            metadata_url,
            acs_url: format!("{base}/saml/acs"),
            slo_url: format!("{base}/saml/slo"),
        }
    }
}
