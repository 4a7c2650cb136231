//! A comune's service provider metadata, in the SPID (own or aggregated) and CIE profiles.

use super::keys::OwnerKeys;
use super::provider::{Federation, ServiceProviderInfo};
use crate::{AppState, WebError};
use sportello_domain::Tenant;
use sportello_spid::metadata::{
    AggregatorContact, AttributeService, CieContact, Contacts, OrganizationInfo, PublicContact,
    SpMetadata, SpidAttribute,
};

/// What Sportello's services need to know about a citizen. CIE releases only its four.
const SPID_ATTRIBUTES: [SpidAttribute; 8] = [
    SpidAttribute::Name,
    SpidAttribute::FamilyName,
    SpidAttribute::FiscalNumber,
    SpidAttribute::DateOfBirth,
    SpidAttribute::PlaceOfBirth,
    SpidAttribute::Email,
    SpidAttribute::MobilePhone,
    SpidAttribute::DigitalAddress,
];

/// `+39 0123 000100` → `+390123000100`: AgID wants telephone numbers without spaces.
fn telephone(number: &str) -> Option<String> {
    let compact: String = number.chars().filter(|c| !c.is_whitespace()).collect();
    (!compact.is_empty()).then_some(compact)
}

/// A comune's cadastral code (`cie:Municipality`), from its IPA code: comuni are registered
/// in IndicePA as `c_` followed by it.
fn cadastral_code(tenant: &Tenant) -> String {
    let ipa = tenant.profile.ipa_code.as_str();
    ipa.strip_prefix("c_").unwrap_or(ipa).to_ascii_uppercase()
}

pub(crate) fn describe(
    state: &AppState,
    tenant: &Tenant,
    info: &ServiceProviderInfo,
    keys: &OwnerKeys,
) -> SpMetadata {
    let profile = &tenant.profile;
    let url = profile.links.institutional_site.as_str().to_owned();
    let organization = vec![
        OrganizationInfo {
            lang: "it".into(),
            name: profile.name.clone(),
            display_name: profile.name.clone(),
            url: url.clone(),
        },
        OrganizationInfo {
            lang: "en".into(),
            name: profile.name.clone(),
            display_name: profile.name.clone(),
            url,
        },
    ];
    let email = profile.contacts.email.as_str().to_owned();
    let phone = telephone(&profile.contacts.phone);
    let vat_number = profile
        .partita_iva
        .as_ref()
        .map(|p| format!("IT{}", p.as_str()));
    let public = PublicContact {
        ipa_code: profile.ipa_code.as_str().to_owned(),
        vat_number,
        fiscal_code: Some(profile.codice_fiscale.as_str().to_owned()),
        email: email.clone(),
        telephone: phone.clone(),
    };
    let (contacts, attributes) = match info.federation {
        Federation::Cie => (
            Contacts::Cie {
                administrative: CieContact {
                    company: None,
                    ipa_code: Some(profile.ipa_code.as_str().to_owned()),
                    municipality: cadastral_code(tenant),
                    province: Some(profile.address.province.clone()),
                    country: Some("IT".into()),
                    email,
                    telephone: phone,
                },
                technical: None,
            },
            SpidAttribute::CIE.to_vec(),
        ),
        Federation::Spid => {
            let contacts = match &state.0.spid.aggregator {
                Some(aggregator) => Contacts::Aggregated {
                    aggregator: AggregatorContact {
                        company: aggregator.name.clone(),
                        vat_number: Some(aggregator.vat_number.clone()),
                        ipa_code: aggregator.ipa_code.clone(),
                        fiscal_code: aggregator.fiscal_code.clone(),
                        email: aggregator.email.clone(),
                        telephone: aggregator.phone.clone(),
                    },
                    aggregated: public,
                },
                None => Contacts::PublicSp(public),
            };
            (contacts, SPID_ATTRIBUTES.to_vec())
        }
    };
    SpMetadata {
        entity_id: info.entity_id.clone(),
        acs_url: info.acs_url.clone(),
        slo_redirect_url: info.slo_url.clone(),
        slo_post_url: info.slo_url.clone(),
        signing_certificates: keys.published.clone(),
        organization,
        attribute_services: vec![AttributeService {
            index: 0,
            names: vec![
                ("it".into(), format!("Servizi online – {}", profile.name)),
                ("en".into(), format!("Online services – {}", profile.name)),
            ],
            attributes,
        }],
        contacts,
    }
}

/// The signed metadata document.
pub(crate) fn render(
    state: &AppState,
    tenant: &Tenant,
    info: &ServiceProviderInfo,
    keys: &OwnerKeys,
) -> Result<String, WebError> {
    describe(state, tenant, info, keys)
        .to_signed_xml(&keys.signing, &keys.certificate)
        .map_err(|error| {
            tracing::error!(%error, tenant = %tenant.slug, "cannot write the service provider metadata");
            WebError::Internal("cannot write the service provider metadata")
        })
}
