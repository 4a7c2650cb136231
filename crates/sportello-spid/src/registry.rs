//! The official list of SPID identity providers: AgID's signed metadata aggregate.
//!
//! A copy of the aggregate ships with the crate (`registry/spid-entities-idps.xml`, with its
//! provenance in `registry/README.md`), together with the certificate AgID signs it with
//! (`registry/agid-registry-signing.pem`). This module does no IO: the lead's
//! `sportello spid refresh-registry` downloads a new aggregate and hands it to
//! [`verify_and_parse_aggregate`], which accepts it only if AgID's signature verifies.
//!
//! For the SPID button each IdP gets a display name and a logo key ([`known_idp`]): AgID's
//! metadata carries legal names ("ArubaPEC S.p.A.", and for one IdP a URL), not the product
//! names people know.
//!
//! AgID signs the aggregate with `Reference URI=""` (the whole document), which
//! [`dsig::verify_enveloped_document`] accepts for a document element only. The embedded copy
//! must also match its SHA-256 pin, so that an edit to the shipped file is caught even before
//! its signature is checked.

use jiff::Timestamp;

use crate::dsig::{self, DsigError};
use crate::keys::{Certificate, DigestAlgorithm, KeyError};
use crate::metadata::{self, IdentityProvider, MetadataError};
use crate::xml::{self, Limits, XmlError, ns};

/// AgID's IdP aggregate as shipped (see `registry/README.md`).
pub const AGGREGATE_XML: &str = include_str!("../registry/spid-entities-idps.xml");

/// The certificate AgID signs the aggregate with ("Progetto SPID", valid 2020-2040).
pub const AGID_SIGNING_CERT_PEM: &str = include_str!("../registry/agid-registry-signing.pem");

/// SHA-256 of [`AGGREGATE_XML`], recorded when its AgID signature was verified on import.
pub const AGGREGATE_SHA256: &str =
    "e2583d0bc35a912c730a06c4f122a5db4bd2f448a9337a605efac1d6c1bb68d1";

/// SHA-256 of the DER of [`AGID_SIGNING_CERT_PEM`], to compare with what AgID publishes.
pub const AGID_SIGNING_CERT_SHA256: &str =
    "4b62926e648380a56da31f3516dea64eb1eede541433b9949e7f59f56ab26f57";

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("invalid registry signing certificate: {0}")]
    Certificate(#[from] KeyError),
    #[error("the registry signing certificate is not valid now (until {0})")]
    CertificateExpired(Timestamp),
    #[error(transparent)]
    Xml(#[from] XmlError),
    #[error("the document is not an EntitiesDescriptor")]
    NotAggregate,
    #[error("the aggregate expired (validUntil {0})")]
    Expired(String),
    #[error("AgID's signature on the aggregate does not verify: {0}")]
    Signature(#[from] DsigError),
    #[error("invalid IdP metadata in the aggregate: {0}")]
    Metadata(#[from] MetadataError),
    #[error("the embedded aggregate does not match its pinned SHA-256 (the file was modified)")]
    EmbeddedModified,
}

/// The certificate AgID signs the registry with, as shipped.
pub fn agid_signing_certificate() -> Result<Certificate, RegistryError> {
    Ok(Certificate::from_pem(AGID_SIGNING_CERT_PEM)?)
}

/// Verify AgID's signature on an aggregate (`EntitiesDescriptor`) with `trusted_cert` and read
/// its identity providers **from the signed octets only**. `now` is checked against the
/// certificate's validity and the aggregate's `validUntil`, if any.
pub fn verify_and_parse_aggregate_at(
    text: &str,
    trusted_cert: &Certificate,
    now: Timestamp,
) -> Result<Vec<IdentityProvider>, RegistryError> {
    if !trusted_cert.is_valid_at(now) {
        return Err(RegistryError::CertificateExpired(trusted_cert.not_after()));
    }
    // Whitespace or a byte-order mark before the XML declaration is not XML, but it is outside
    // the signed element, so dropping it changes nothing that is verified.
    let text = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    let doc = xml::parse(text, &Limits::METADATA)?;
    let root = doc.root_element();
    if !xml::is(root, ns::MD, "EntitiesDescriptor") {
        return Err(RegistryError::NotAggregate);
    }
    let verified = dsig::verify_enveloped_document(root, &[trusted_cert.public_key().clone()])?;
    let signed = verified.document_with_limits(&Limits::METADATA)?;
    let signed_root = signed.root_element();
    if let Some(valid_until) = signed_root.attribute("validUntil") {
        let until: Timestamp = valid_until
            .parse()
            .map_err(|_| RegistryError::Expired(valid_until.to_owned()))?;
        if now >= until {
            return Err(RegistryError::Expired(valid_until.to_owned()));
        }
    }
    Ok(metadata::parse_idp_document(signed_root)?)
}

/// [`verify_and_parse_aggregate_at`] now. For `sportello spid refresh-registry`: keep the
/// previous registry if this fails.
pub fn verify_and_parse_aggregate(
    text: &str,
    trusted_cert: &Certificate,
) -> Result<Vec<IdentityProvider>, RegistryError> {
    verify_and_parse_aggregate_at(text, trusted_cert, Timestamp::now())
}

/// Name and logo for the SPID button.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownIdp {
    pub entity_id: &'static str,
    /// The name people know, e.g. "Poste ID".
    pub name: &'static str,
    /// Logo key: the asset is `spid-idp-{logo}.svg` in AgID's `spid-sp-access-button`.
    pub logo: &'static str,
}

/// The SPID identity providers by entityID (the accredited ones, including those that joined
/// after the shipped aggregate was published).
pub const KNOWN_IDPS: &[KnownIdp] = &[
    KnownIdp {
        entity_id: "https://loginspid.aruba.it",
        name: "Aruba ID",
        logo: "arubaid",
    },
    KnownIdp {
        entity_id: "https://id.eht.eu",
        name: "EtnaID",
        logo: "etnaid",
    },
    KnownIdp {
        entity_id: "https://loginspid.infocamere.it",
        name: "InfoCamere ID",
        logo: "infocamereid",
    },
    KnownIdp {
        entity_id: "https://identity.infocert.it",
        name: "InfoCert ID",
        logo: "infocertid",
    },
    KnownIdp {
        entity_id: "https://spid.intesa.it",
        name: "Intesa ID",
        logo: "intesaid",
    },
    KnownIdp {
        entity_id: "https://idp.intesigroup.com",
        name: "Intesi Group",
        logo: "intesigroupspid",
    },
    KnownIdp {
        entity_id: "https://id.lepida.it/idp/shibboleth",
        name: "Lepida ID",
        logo: "lepidaid",
    },
    KnownIdp {
        entity_id: "https://idp.namirialtsp.com/idp",
        name: "Namirial ID",
        logo: "namirialid",
    },
    KnownIdp {
        entity_id: "https://posteid.poste.it",
        name: "Poste ID",
        logo: "posteid",
    },
    KnownIdp {
        entity_id: "https://identity.sieltecloud.it",
        name: "Sielte ID",
        logo: "sielteid",
    },
    KnownIdp {
        entity_id: "https://spid.register.it",
        name: "SpidItalia Register.it",
        logo: "spiditalia",
    },
    KnownIdp {
        entity_id: "https://spid.teamsystem.com/idp",
        name: "TeamSystem ID",
        logo: "teamsystemid",
    },
    KnownIdp {
        entity_id: "https://login.id.tim.it/affwebservices/public/saml2sso",
        name: "TIM ID",
        logo: "timid",
    },
];

pub fn known_idp(entity_id: &str) -> Option<&'static KnownIdp> {
    KNOWN_IDPS.iter().find(|k| k.entity_id == entity_id)
}

/// An IdP of the registry, with what the SPID button shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryEntry {
    pub idp: IdentityProvider,
    /// [`KnownIdp::name`], else the metadata's display name.
    pub name: String,
    /// [`KnownIdp::logo`], if the IdP is known.
    pub logo: Option<&'static str>,
}

/// Why the registry's content is trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// AgID's signature verified with the certificate of this SHA-256 fingerprint.
    Signature { signer_sha256: String },
}

/// The identity providers to offer, in the registry's order.
#[derive(Debug, Clone)]
pub struct Registry {
    entries: Vec<RegistryEntry>,
    verification: Verification,
}

impl Registry {
    /// The shipped aggregate. Its signature is verified with the shipped AgID certificate when
    /// [`crate::dsig`] can; otherwise its SHA-256 pin must match (see the module docs).
    pub fn embedded() -> Result<Self, RegistryError> {
        let digest = hex(&DigestAlgorithm::Sha256.digest(AGGREGATE_XML.as_bytes()));
        if digest != AGGREGATE_SHA256 {
            return Err(RegistryError::EmbeddedModified);
        }
        let cert = agid_signing_certificate()?;
        Self::from_aggregate(AGGREGATE_XML, &cert)
    }

    /// A registry from a freshly downloaded aggregate: AgID's signature must verify.
    pub fn from_aggregate(text: &str, trusted_cert: &Certificate) -> Result<Self, RegistryError> {
        let idps = verify_and_parse_aggregate(text, trusted_cert)?;
        Ok(Self::new(
            idps,
            Verification::Signature {
                signer_sha256: trusted_cert.sha256_fingerprint(),
            },
        ))
    }

    fn new(idps: Vec<IdentityProvider>, verification: Verification) -> Self {
        let entries = idps
            .into_iter()
            .map(|idp| {
                let known = known_idp(&idp.entity_id);
                RegistryEntry {
                    name: known.map_or_else(|| idp.display_name.clone(), |k| k.name.to_owned()),
                    logo: known.map(|k| k.logo),
                    idp,
                }
            })
            .collect();
        Registry {
            entries,
            verification,
        }
    }

    pub fn entries(&self) -> &[RegistryEntry] {
        &self.entries
    }

    pub fn get(&self, entity_id: &str) -> Option<&RegistryEntry> {
        self.entries.iter().find(|e| e.idp.entity_id == entity_id)
    }

    pub fn verification(&self) -> &Verification {
        &self.verification
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_certificate_is_agid() {
        let cert = agid_signing_certificate().unwrap();
        assert_eq!(cert.sha256_fingerprint(), AGID_SIGNING_CERT_SHA256);
        assert!(cert.subject_summary().contains("CN=Progetto SPID"));
        assert!(cert.public_key().bits() >= 4096);
    }

    #[test]
    fn embedded_registry_loads_every_idp() {
        let registry = Registry::embedded().unwrap();
        let names: Vec<&str> = registry.entries().iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Aruba ID",
                "InfoCert ID",
                "Intesa ID",
                "Lepida ID",
                "Namirial ID",
                "Poste ID",
                "Sielte ID",
                "SpidItalia Register.it",
                "TeamSystem ID",
                "TIM ID",
            ]
        );
        for e in registry.entries() {
            assert!(e.logo.is_some(), "{}", e.idp.entity_id);
            assert!(e.idp.sso_redirect().is_some(), "{}", e.idp.entity_id);
            assert!(!e.idp.signing_certificates.is_empty());
            assert!(e.idp.want_authn_requests_signed);
        }
        let poste = registry.get("https://posteid.poste.it").unwrap();
        assert_eq!(
            poste.idp.sso_redirect().map(|e| e.location.as_str()),
            Some("https://posteid.poste.it/jod-fs/ssoserviceredirect")
        );
        match registry.verification() {
            Verification::Signature { signer_sha256 } => {
                assert_eq!(signer_sha256, AGID_SIGNING_CERT_SHA256);
            }
        }
    }

    #[test]
    fn a_whole_document_reference_counts_only_for_the_document_element() {
        let cert = agid_signing_certificate().unwrap();
        let keys = [cert.public_key().clone()];
        let doc = xml::parse(AGGREGATE_XML.trim_start(), &Limits::METADATA).unwrap();
        let root = doc.root_element();
        // A message verifier never accepts URI="": only the document verifier does.
        assert!(matches!(
            dsig::verify_enveloped(root, &keys),
            Err(DsigError::BadReference(_) | DsigError::MissingId)
        ));
        assert!(dsig::verify_enveloped_document(root, &keys).is_ok());
        let inner = root.first_element_child().unwrap();
        assert!(dsig::verify_enveloped_document(inner, &keys).is_err());
    }

    #[test]
    fn a_changed_registry_fails_agids_signature() {
        let cert = agid_signing_certificate().unwrap();
        let moved = AGGREGATE_XML.replace(
            "https://posteid.poste.it/jod-fs/ssoserviceredirect",
            "https://posteid.evil.example/jod-fs/ssoserviceredirect",
        );
        assert_ne!(moved, AGGREGATE_XML);
        assert!(matches!(
            verify_and_parse_aggregate(&moved, &cert),
            Err(RegistryError::Signature(_))
        ));
    }

    #[test]
    fn known_names() {
        assert_eq!(
            known_idp("https://id.eht.eu").map(|k| k.name),
            Some("EtnaID")
        );
        assert!(known_idp("https://evil.example").is_none());
        let mut ids: Vec<&str> = KNOWN_IDPS.iter().map(|k| k.entity_id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), KNOWN_IDPS.len());
    }
}
