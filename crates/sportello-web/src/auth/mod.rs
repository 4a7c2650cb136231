//! Who is using the portal: SPID and CIE login (SAML 2.0), the session that follows, single
//! logout, and the citizen's profile.
//!
//! Each comune is its own service provider, or an aggregated one when the hosting provider acts
//! as a public *soggetto aggregatore*; which is configuration ([`SpidSettings::aggregator`]).
//! The SAML work itself (messages, signatures, the checks on the IdP's answer) is in
//! `sportello-spid`; this module binds it to the comune, the browser and the store.

mod keys;
mod messages;
mod metadata;
mod pages;
mod provider;
mod saml;
mod session;

pub use keys::{KeyRing, generate as generate_key};
pub(crate) use pages::{
    MessagePage, client, logout, message_page, personal_area, personal_page_needs_login, profile,
    save_profile, sign_in, sign_in_required,
};
pub(crate) use provider::tenant_base_url;
pub use provider::{Federation, ServiceProviderInfo};
pub use saml::certificate_subject_for;
pub(crate) use saml::{acs, login, metadata, slo};
pub use session::SessionUser;
pub(crate) use session::load as current_user;

use sportello_spid::keys::CertificateSubject;
use sportello_spid::metadata::IdentityProvider;
use std::time::Duration;

/// The public *soggetto aggregatore* that operates the service provider for every comune,
/// when the hosting provider is one (profile `spid-sp-ag-public-full`).
#[derive(Debug, Clone)]
pub struct Aggregator {
    /// Legal name, e.g. "Servizi Digitali Associati S.p.A.".
    pub name: String,
    /// VAT number with its country prefix, e.g. "IT01234567890".
    pub vat_number: String,
    pub fiscal_code: Option<String>,
    /// When the aggregator is itself a public body.
    pub ipa_code: Option<String>,
    pub email: String,
    pub phone: Option<String>,
    /// Seat of the aggregator, for its certificate.
    pub locality: String,
}

impl Aggregator {
    /// The subject of the one certificate that signs for every aggregated comune: the
    /// aggregator's name, `PA:IT-` with its IPA code when it is a public body (what AgID's
    /// public-aggregator checks want), its VAT number otherwise.
    pub fn certificate_subject(&self, public_url: &str) -> CertificateSubject {
        CertificateSubject {
            organization: self.name.clone(),
            common_name: self.name.clone(),
            entity_id: public_url.trim_end_matches('/').to_owned(),
            organization_identifier: match &self.ipa_code {
                Some(ipa) => format!("PA:IT-{ipa}"),
                None => format!("VAT{}", self.vat_number),
            },
            locality: self.locality.clone(),
            country: "IT".to_owned(),
        }
    }
}

/// An identity provider this installation trusts, with how it is shown on the login page.
#[derive(Debug, Clone)]
pub struct TrustedIdp {
    pub federation: Federation,
    pub provider: IdentityProvider,
    /// Name on the SPID button's list.
    pub name: String,
    /// A test IdP (the demo's, AgID's suite): marked as such on the buttons.
    pub test: bool,
}

/// How login works on this installation.
#[derive(Debug, Clone)]
pub struct SpidSettings {
    /// `None`: each comune is its own service provider.
    pub aggregator: Option<Aggregator>,
    pub identity_providers: Vec<TrustedIdp>,
    /// A session unused this long ends.
    pub session_idle: Duration,
    /// A session ends this long after login, however active.
    pub session_absolute: Duration,
    /// Tolerated clock difference with identity providers.
    pub clock_skew: Duration,
    /// How long AuthnRequest/Response pairs are kept (SPID tracing rules).
    pub trace_retention: Duration,
    /// Size of the service provider keys generated on first start.
    pub key_bits: usize,
}

impl Default for SpidSettings {
    fn default() -> Self {
        SpidSettings {
            aggregator: None,
            identity_providers: Vec::new(),
            session_idle: Duration::from_secs(30 * 60),
            session_absolute: Duration::from_secs(12 * 3600),
            clock_skew: Duration::from_secs(60),
            // 24 months, the figure AgID's tracing rules use.
            trace_retention: Duration::from_secs(730 * 86_400),
            key_bits: 3072,
        }
    }
}

impl SpidSettings {
    pub(crate) fn idp(&self, entity_id: &str) -> Option<&TrustedIdp> {
        self.identity_providers
            .iter()
            .find(|idp| idp.provider.entity_id == entity_id)
    }

    pub(crate) fn idps(&self, federation: Federation) -> impl Iterator<Item = &TrustedIdp> {
        self.identity_providers
            .iter()
            .filter(move |idp| idp.federation == federation)
    }
}

/// A comune's service provider as an identity provider would know it from the federation:
/// its name, endpoints and published certificates. `None` for an unknown entity ID.
pub async fn find_service_provider(
    state: &crate::AppState,
    entity_id: &str,
) -> Option<(
    String,
    ServiceProviderInfo,
    Vec<sportello_spid::keys::Certificate>,
)> {
    let public = state.0.config.public_url.as_deref()?;
    let aggregated = state.0.spid.aggregator.is_some();
    let tenants = state.store().tenants().await.ok()?;
    for tenant in tenants {
        for federation in [Federation::Spid, Federation::Cie] {
            let info = ServiceProviderInfo::new(public, &tenant, federation, aggregated);
            if info.entity_id == entity_id {
                let (info, keys) = saml::service_provider(state, &tenant, federation)
                    .await
                    .ok()?;
                return Some((tenant.profile.name.clone(), info, keys.published.clone()));
            }
        }
    }
    None
}
