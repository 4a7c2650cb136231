//! SAML metadata: ours (the SP, for SPID and CIE) and the IdPs'.
//!
//! **Our metadata.** [`SpMetadata`] describes the service provider; [`SpMetadata::to_signed_xml`]
//! validates it against the rules AgID's `spid-sp-test` enforces (profiles `spid-sp-public`,
//! `spid-sp-ag-public-full` and `cie-sp-public`, with `--extra`) and writes it signed with an
//! enveloped signature. Which profile is written follows from [`Contacts`]:
//!
//! - [`Contacts::PublicSp`]: a comune that is its own public SP (`contactType="other"` with
//!   `spid:IPACode`, `spid:VATNumber`?, `spid:FiscalCode`?, `spid:Public`);
//! - [`Contacts::Aggregated`]: a comune served by a public full aggregator (Avviso SPID n.19 v4):
//!   the aggregator's `other` contact with `spid:entityType="spid:aggregator"` and
//!   `spid:PublicServicesFullAggregator`, plus the comune's with `spid:entityType="spid:aggregated"`
//!   and `spid:Public`; the entityID must contain `pub-ag-full` and no query string;
//! - [`Contacts::Cie`]: CIE id (`administrative` and optional `technical` contacts with the
//!   `cie:` extensions); only `name`, `familyName`, `dateOfBirth` and `fiscalNumber` can be
//!   requested.
//!
//! Element order follows the SAML metadata schema as AgID restricts it (Avviso n.29 v3 XSD):
//! `ds:Signature`, `SPSSODescriptor` (`KeyDescriptor`*, `SingleLogoutService`*, `NameIDFormat`,
//! `AssertionConsumerService`, `AttributeConsumingService`*), `Organization`, `ContactPerson`*.
//!
//! **IdP metadata.** [`parse_idp_metadata`] reads an `EntityDescriptor` or an
//! `EntitiesDescriptor` (AgID's registry) into [`IdentityProvider`]s. It does not check any
//! signature: the caller trusts the document because of where it came from (our configuration)
//! or because [`crate::registry`] verified AgID's signature on it first.
//! [`parse_sp_metadata`] does the same for an SP's metadata (for the local test IdP).

use roxmltree::Node;

use crate::binding::{BINDING_POST, BINDING_REDIRECT, BINDING_SOAP, escape_xml};
use crate::dsig::{self, DsigError};
use crate::keys::{Certificate, KeyError, PublicKey, SigningKey};
use crate::xml::{self, Limits, XmlError, ns};

pub const NAMEID_TRANSIENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";
pub const SAML2_PROTOCOL: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
/// The metadata user-interface extension (`mdui:DisplayName`).
pub const NS_MDUI: &str = "urn:oasis:names:tc:SAML:metadata:ui";
/// Longest entityID the metadata schema allows.
pub const MAX_ENTITY_ID_LEN: usize = 1024;

#[derive(Debug, thiserror::Error)]
pub enum MetadataError {
    #[error("{field} is missing or empty")]
    Missing { field: &'static str },
    #[error("{field} is not a usable URL: {value:?}")]
    InvalidUrl { field: &'static str, value: String },
    #[error("the Organization has no Italian (xml:lang=\"it\") entry")]
    NoItalianOrganization,
    #[error("language {0:?} appears twice in {1}")]
    DuplicateLanguage(String, &'static str),
    #[error("invalid language tag {0:?}")]
    InvalidLanguage(String),
    #[error("no signing certificate to publish")]
    NoSigningCertificate,
    #[error("the certificate that signs the metadata is not among the published ones")]
    SigningCertificateNotPublished,
    #[error("no AttributeConsumingService")]
    NoAttributeService,
    #[error("AttributeConsumingService index {0} appears twice")]
    DuplicateServiceIndex(u16),
    #[error("AttributeConsumingService {0} has no ServiceName")]
    NoServiceName(u16),
    #[error("AttributeConsumingService {0}: a CIE ServiceName has at most 255 characters")]
    ServiceNameTooLong(u16),
    #[error("AttributeConsumingService {0} requests no attribute")]
    NoRequestedAttributes(u16),
    #[error("AttributeConsumingService {index} requests {attribute} twice")]
    DuplicateAttribute { index: u16, attribute: &'static str },
    #[error("CIE does not release {attribute} (AttributeConsumingService {index})")]
    AttributeNotAllowed { index: u16, attribute: &'static str },
    #[error("unknown SPID attribute {0:?}")]
    UnknownAttribute(String),
    #[error("invalid e-mail address {0:?}")]
    InvalidEmail(String),
    #[error("invalid telephone number {0:?} (digits with an optional leading +, no spaces)")]
    InvalidTelephone(String),
    #[error("invalid VAT number {0:?} (must start with an ISO 3166 country code, e.g. IT)")]
    InvalidVatNumber(String),
    #[error("invalid {field} {value:?}")]
    InvalidCode { field: &'static str, value: String },
    #[error("an aggregated SP's entityID must contain \"pub-ag-full\" and no query: {0:?}")]
    AggregatorEntityId(String),
    #[error("the aggregator contact needs a VATNumber, IPACode or FiscalCode")]
    AggregatorWithoutIdentifier,
    #[error("the CIE administrative contact needs an IPACode")]
    CieWithoutIpaCode,
    #[error("not acceptable in production: {0}")]
    NotProduction(String),
    #[error("no randomness available: {0}")]
    Random(String),
    #[error(transparent)]
    Xml(#[from] XmlError),
    #[error("signing the metadata failed: {0}")]
    Dsig(#[from] DsigError),
    #[error("invalid certificate in metadata: {0}")]
    Certificate(#[from] KeyError),
    #[error("the metadata holds no identity provider")]
    NoIdentityProvider,
    #[error("entity {0:?} appears twice")]
    DuplicateEntity(String),
    #[error("unexpected metadata structure: {0}")]
    Structure(String),
}

// ---------------------------------------------------------------------------------------------
// SPID attributes

macro_rules! spid_attributes {
    ($($variant:ident => $name:literal,)*) => {
        /// The attributes an SP can request from SPID IdPs (AgID's list; `spid-sp-test` refuses
        /// any other name).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum SpidAttribute {
            $($variant,)*
        }

        impl SpidAttribute {
            pub const ALL: &'static [SpidAttribute] = &[$(SpidAttribute::$variant,)*];

            /// The `Name` as SPID spells it, e.g. `fiscalNumber`.
            pub fn name(self) -> &'static str {
                match self {
                    $(SpidAttribute::$variant => $name,)*
                }
            }
        }
    };
}

spid_attributes! {
    SpidCode => "spidCode",
    Name => "name",
    FamilyName => "familyName",
    PlaceOfBirth => "placeOfBirth",
    CountyOfBirth => "countyOfBirth",
    DateOfBirth => "dateOfBirth",
    Gender => "gender",
    CompanyName => "companyName",
    RegisteredOffice => "registeredOffice",
    FiscalNumber => "fiscalNumber",
    IvaCode => "ivaCode",
    IdCard => "idCard",
    MobilePhone => "mobilePhone",
    Email => "email",
    Address => "address",
    ExpirationDate => "expirationDate",
    DigitalAddress => "digitalAddress",
    CompanyFiscalNumber => "companyFiscalNumber",
    DomicileStreetAddress => "domicileStreetAddress",
    DomicilePostalCode => "domicilePostalCode",
    DomicileMunicipality => "domicileMunicipality",
    DomicileProvince => "domicileProvince",
    DomicileNation => "domicileNation",
}

impl SpidAttribute {
    /// The only attributes CIE id releases.
    pub const CIE: [SpidAttribute; 4] = [
        SpidAttribute::Name,
        SpidAttribute::FamilyName,
        SpidAttribute::DateOfBirth,
        SpidAttribute::FiscalNumber,
    ];

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|a| a.name() == name)
    }

    pub fn is_cie(self) -> bool {
        Self::CIE.contains(&self)
    }
}

impl std::str::FromStr for SpidAttribute {
    type Err = MetadataError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_name(s).ok_or_else(|| MetadataError::UnknownAttribute(s.to_owned()))
    }
}

// ---------------------------------------------------------------------------------------------
// Our SP metadata: the description

/// Everything our SP metadata says. Build it from configuration, then
/// [`SpMetadata::to_signed_xml`].
#[derive(Debug, Clone)]
pub struct SpMetadata {
    /// Our entityID. Production: https, no port; AgID recommends the metadata URL itself.
    pub entity_id: String,
    /// The AssertionConsumerService (HTTP-POST), published as index 0, `isDefault="true"`.
    pub acs_url: String,
    /// SingleLogoutService, HTTP-Redirect binding.
    pub slo_redirect_url: String,
    /// SingleLogoutService, HTTP-POST binding (may equal the redirect one).
    pub slo_post_url: String,
    /// Signing certificates to publish, current first. During a key rollover publish the
    /// current and the next one, so IdPs trust both before the switch.
    pub signing_certificates: Vec<Certificate>,
    /// `Organization`, one entry per language; `it` is mandatory and is written first.
    pub organization: Vec<OrganizationInfo>,
    /// `AttributeConsumingService`s; the AuthnRequest names one by index.
    pub attribute_services: Vec<AttributeService>,
    /// Contacts, which also choose the profile (SPID public SP, SPID aggregated, CIE).
    pub contacts: Contacts,
}

/// The Organization in one language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationInfo {
    /// `xml:lang`, e.g. `it`, `en`.
    pub lang: String,
    /// `OrganizationName`, e.g. "Comune di Esempio".
    pub name: String,
    /// `OrganizationDisplayName`.
    pub display_name: String,
    /// `OrganizationURL`, the comune's web site.
    pub url: String,
}

/// One `AttributeConsumingService`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeService {
    pub index: u16,
    /// `ServiceName`s as (`xml:lang`, name); at least one.
    pub names: Vec<(String, String)>,
    pub attributes: Vec<SpidAttribute>,
}

/// The contacts, and with them the federation profile.
#[derive(Debug, Clone)]
pub enum Contacts {
    /// `spid-sp-public`: the comune is itself the public SP.
    PublicSp(PublicContact),
    /// `spid-sp-ag-public-full`: the SP is operated by a public *soggetto aggregatore* for the
    /// comune. The aggregated contact's Company is the OrganizationName.
    Aggregated {
        aggregator: AggregatorContact,
        aggregated: PublicContact,
    },
    /// `cie-sp-public`: CIE id, public SP.
    Cie {
        administrative: CieContact,
        technical: Option<CieContact>,
    },
}

/// A public administration's SPID contact (`spid:Public`). Company is written as the Italian
/// OrganizationName, which is what AgID requires it to equal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicContact {
    /// The IndicePA code, e.g. `c_h501`.
    pub ipa_code: String,
    /// `IT` + partita IVA, if the comune has one.
    pub vat_number: Option<String>,
    pub fiscal_code: Option<String>,
    pub email: String,
    /// `+39…`, no spaces.
    pub telephone: Option<String>,
}

/// The aggregator's contact (`spid:PublicServicesFullAggregator`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AggregatorContact {
    /// The aggregator's legal name (`md:Company`, mandatory here).
    pub company: String,
    pub vat_number: Option<String>,
    pub ipa_code: Option<String>,
    pub fiscal_code: Option<String>,
    pub email: String,
    pub telephone: Option<String>,
}

/// A CIE contact (`cie:Public`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CieContact {
    /// `md:Company`; `None` writes the Italian OrganizationName.
    pub company: Option<String>,
    /// Mandatory for the administrative contact.
    pub ipa_code: Option<String>,
    /// `cie:Municipality`: the comune's cadastral code, e.g. `H501`.
    pub municipality: String,
    /// `cie:Province`, e.g. `RM`.
    pub province: Option<String>,
    /// `cie:Country`, e.g. `IT`.
    pub country: Option<String>,
    pub email: String,
    pub telephone: Option<String>,
}

/// The federation profile the metadata is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpProfile {
    SpidPublic,
    SpidAggregatedPublicFull,
    CiePublic,
}

impl SpProfile {
    /// The `--profile` of `spid-sp-test` that checks this metadata.
    pub fn spid_sp_test_profile(self) -> &'static str {
        match self {
            SpProfile::SpidPublic => "spid-sp-public",
            SpProfile::SpidAggregatedPublicFull => "spid-sp-ag-public-full",
            SpProfile::CiePublic => "cie-sp-public",
        }
    }
}

impl Contacts {
    pub fn profile(&self) -> SpProfile {
        match self {
            Contacts::PublicSp(_) => SpProfile::SpidPublic,
            Contacts::Aggregated { .. } => SpProfile::SpidAggregatedPublicFull,
            Contacts::Cie { .. } => SpProfile::CiePublic,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Our SP metadata: validation

impl SpMetadata {
    pub fn profile(&self) -> SpProfile {
        self.contacts.profile()
    }

    /// Check every rule we know `spid-sp-test` applies (without `--production`).
    pub fn validate(&self) -> Result<(), MetadataError> {
        check_url("entityID", &self.entity_id)?;
        if self.entity_id.len() > MAX_ENTITY_ID_LEN {
            return Err(MetadataError::InvalidUrl {
                field: "entityID",
                value: self.entity_id.clone(),
            });
        }
        check_url("AssertionConsumerService", &self.acs_url)?;
        check_url("SingleLogoutService (redirect)", &self.slo_redirect_url)?;
        check_url("SingleLogoutService (POST)", &self.slo_post_url)?;
        if self.signing_certificates.is_empty() {
            return Err(MetadataError::NoSigningCertificate);
        }
        self.validate_organization()?;
        self.validate_attribute_services()?;
        self.validate_contacts()
    }

    /// The extra rules of `spid-sp-test --production`: every URL https and without a port.
    /// (The IPACode is also looked up on IndicePA there, which only AgID's tool can do.)
    pub fn check_production(&self) -> Result<(), MetadataError> {
        self.validate()?;
        for (field, url) in [
            ("entityID", &self.entity_id),
            ("AssertionConsumerService", &self.acs_url),
            ("SingleLogoutService (redirect)", &self.slo_redirect_url),
            ("SingleLogoutService (POST)", &self.slo_post_url),
        ] {
            let Some(rest) = url.strip_prefix("https://") else {
                return Err(MetadataError::NotProduction(format!(
                    "{field} is not https"
                )));
            };
            let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
            if authority.contains(':') {
                return Err(MetadataError::NotProduction(format!(
                    "{field} has an explicit port"
                )));
            }
        }
        Ok(())
    }

    fn validate_organization(&self) -> Result<(), MetadataError> {
        let mut seen: Vec<&str> = Vec::new();
        for org in &self.organization {
            check_lang(&org.lang)?;
            if seen.contains(&org.lang.as_str()) {
                return Err(MetadataError::DuplicateLanguage(
                    org.lang.clone(),
                    "Organization",
                ));
            }
            seen.push(&org.lang);
            non_empty("OrganizationName", &org.name)?;
            non_empty("OrganizationDisplayName", &org.display_name)?;
            check_url("OrganizationURL", &org.url)?;
        }
        if !seen.contains(&"it") {
            return Err(MetadataError::NoItalianOrganization);
        }
        Ok(())
    }

    fn validate_attribute_services(&self) -> Result<(), MetadataError> {
        if self.attribute_services.is_empty() {
            return Err(MetadataError::NoAttributeService);
        }
        let cie = self.profile() == SpProfile::CiePublic;
        let mut indexes = Vec::new();
        for service in &self.attribute_services {
            if indexes.contains(&service.index) {
                return Err(MetadataError::DuplicateServiceIndex(service.index));
            }
            indexes.push(service.index);
            if service.names.is_empty() {
                return Err(MetadataError::NoServiceName(service.index));
            }
            let mut langs: Vec<&str> = Vec::new();
            for (lang, name) in &service.names {
                check_lang(lang)?;
                if langs.contains(&lang.as_str()) {
                    return Err(MetadataError::DuplicateLanguage(
                        lang.clone(),
                        "ServiceName",
                    ));
                }
                langs.push(lang);
                non_empty("ServiceName", name)?;
                // The CIE schema types ServiceName as a string of 1 to 255 characters.
                if cie && name.chars().count() > 255 {
                    return Err(MetadataError::ServiceNameTooLong(service.index));
                }
            }
            if service.attributes.is_empty() {
                return Err(MetadataError::NoRequestedAttributes(service.index));
            }
            for (i, attribute) in service.attributes.iter().enumerate() {
                if service.attributes[..i].contains(attribute) {
                    return Err(MetadataError::DuplicateAttribute {
                        index: service.index,
                        attribute: attribute.name(),
                    });
                }
                if cie && !attribute.is_cie() {
                    return Err(MetadataError::AttributeNotAllowed {
                        index: service.index,
                        attribute: attribute.name(),
                    });
                }
            }
        }
        Ok(())
    }

    fn validate_contacts(&self) -> Result<(), MetadataError> {
        match &self.contacts {
            Contacts::PublicSp(contact) => check_public_contact(contact),
            Contacts::Aggregated {
                aggregator,
                aggregated,
            } => {
                if !self.entity_id.contains("pub-ag-full") || self.entity_id.contains('?') {
                    return Err(MetadataError::AggregatorEntityId(self.entity_id.clone()));
                }
                non_empty("aggregator Company", &aggregator.company)?;
                if aggregator.vat_number.is_none()
                    && aggregator.ipa_code.is_none()
                    && aggregator.fiscal_code.is_none()
                {
                    return Err(MetadataError::AggregatorWithoutIdentifier);
                }
                check_identifiers(
                    aggregator.ipa_code.as_deref(),
                    aggregator.vat_number.as_deref(),
                    aggregator.fiscal_code.as_deref(),
                )?;
                check_email(&aggregator.email)?;
                check_telephone(aggregator.telephone.as_deref())?;
                check_public_contact(aggregated)
            }
            Contacts::Cie {
                administrative,
                technical,
            } => {
                if administrative.ipa_code.is_none() {
                    return Err(MetadataError::CieWithoutIpaCode);
                }
                check_cie_contact(administrative)?;
                if let Some(technical) = technical {
                    check_cie_contact(technical)?;
                }
                Ok(())
            }
        }
    }
}

fn non_empty(field: &'static str, value: &str) -> Result<(), MetadataError> {
    if value.trim().is_empty() {
        Err(MetadataError::Missing { field })
    } else {
        Ok(())
    }
}

/// An absolute http(s) URL without whitespace (what `spid-sp-test` and the schema's anyURI
/// accept, and what an IdP can post to).
fn check_url(field: &'static str, value: &str) -> Result<(), MetadataError> {
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"));
    let ok = rest.is_some_and(|r| {
        let host = r.split(['/', '?', '#']).next().unwrap_or_default();
        !host.is_empty()
    }) && !value.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(())
    } else {
        Err(MetadataError::InvalidUrl {
            field,
            value: value.to_owned(),
        })
    }
}

/// A BCP 47-ish tag: letters, digits and `-`, starting with a letter.
fn check_lang(lang: &str) -> Result<(), MetadataError> {
    let ok = lang.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && lang.len() <= 35
        && lang.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(MetadataError::InvalidLanguage(lang.to_owned()))
    }
}

/// The shape `spid-sp-test` accepts: `^(\w|\.|_|-)+@(\w|_|-|\.)+\.\w{2,8}$`.
fn check_email(email: &str) -> Result<(), MetadataError> {
    let bad = || MetadataError::InvalidEmail(email.to_owned());
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let (local, domain) = email.split_once('@').ok_or_else(bad)?;
    let (host, tld) = domain.rsplit_once('.').ok_or_else(bad)?;
    let ok = !local.is_empty()
        && local.chars().all(|c| word(c) || c == '.' || c == '-')
        && !host.is_empty()
        && host.chars().all(|c| word(c) || c == '.' || c == '-')
        && (2..=8).contains(&tld.chars().count())
        && tld.chars().all(word);
    if ok { Ok(()) } else { Err(bad()) }
}

fn check_telephone(telephone: Option<&str>) -> Result<(), MetadataError> {
    let Some(t) = telephone else {
        return Ok(());
    };
    let digits = t.strip_prefix('+').unwrap_or(t);
    if (6..=15).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()) {
        Ok(())
    } else {
        Err(MetadataError::InvalidTelephone(t.to_owned()))
    }
}

fn check_code(field: &'static str, value: &str) -> Result<(), MetadataError> {
    let ok = !value.is_empty()
        && value.len() <= 64
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(MetadataError::InvalidCode {
            field,
            value: value.to_owned(),
        })
    }
}

fn check_identifiers(
    ipa_code: Option<&str>,
    vat_number: Option<&str>,
    fiscal_code: Option<&str>,
) -> Result<(), MetadataError> {
    if let Some(ipa) = ipa_code {
        check_code("IPACode", ipa)?;
    }
    if let Some(vat) = vat_number {
        let bytes = vat.as_bytes();
        let ok = bytes.len() > 2
            && bytes[..2].iter().all(u8::is_ascii_uppercase)
            && bytes[2..].iter().all(u8::is_ascii_alphanumeric);
        if !ok {
            return Err(MetadataError::InvalidVatNumber(vat.to_owned()));
        }
    }
    if let Some(fc) = fiscal_code {
        check_code("FiscalCode", fc)?;
    }
    Ok(())
}

fn check_public_contact(contact: &PublicContact) -> Result<(), MetadataError> {
    check_code("IPACode", &contact.ipa_code)?;
    check_identifiers(
        None,
        contact.vat_number.as_deref(),
        contact.fiscal_code.as_deref(),
    )?;
    check_email(&contact.email)?;
    check_telephone(contact.telephone.as_deref())
}

fn check_cie_contact(contact: &CieContact) -> Result<(), MetadataError> {
    if let Some(company) = &contact.company {
        non_empty("Company", company)?;
    }
    if let Some(ipa) = &contact.ipa_code {
        check_code("IPACode", ipa)?;
    }
    check_code("Municipality", &contact.municipality)?;
    if let Some(p) = &contact.province {
        check_code("Province", p)?;
    }
    if let Some(c) = &contact.country {
        check_code("Country", c)?;
    }
    check_email(&contact.email)?;
    check_telephone(contact.telephone.as_deref())
}

// ---------------------------------------------------------------------------------------------
// Our SP metadata: writing

/// A tiny indenting XML writer: values are escaped here, names are our constants.
struct Writer {
    out: String,
    depth: usize,
}

impl Writer {
    fn indent(&mut self) {
        self.out.push('\n');
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }

    fn start(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        for (k, v) in attrs {
            self.out.push(' ');
            self.out.push_str(k);
            self.out.push_str("=\"");
            self.out.push_str(&escape_xml(v));
            self.out.push('"');
        }
    }

    fn open(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.start(name, attrs);
        self.out.push('>');
        self.depth += 1;
    }

    fn close(&mut self, name: &str) {
        self.depth -= 1;
        self.indent();
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    /// `<name attrs>text</name>`, or `<name attrs/>` for `None`.
    fn leaf(&mut self, name: &str, attrs: &[(&str, &str)], text: Option<&str>) {
        self.start(name, attrs);
        match text {
            Some(t) => {
                self.out.push('>');
                self.out.push_str(&escape_xml(t));
                self.out.push_str("</");
                self.out.push_str(name);
                self.out.push('>');
            }
            None => self.out.push_str("/>"),
        }
    }
}

impl SpMetadata {
    /// The Italian OrganizationName: what every SPID `Company` must equal.
    fn organization_name_it(&self) -> &str {
        self.organization
            .iter()
            .find(|o| o.lang == "it")
            .map_or("", |o| o.name.as_str())
    }

    /// The metadata without signature, `EntityDescriptor/@ID` = `id`.
    pub fn to_unsigned_xml(&self, id: &str) -> Result<String, MetadataError> {
        self.validate()?;
        let profile = self.profile();
        let extension_ns = match profile {
            SpProfile::CiePublic => ("xmlns:cie", ns::CIE),
            _ => ("xmlns:spid", ns::SPID),
        };
        let mut w = Writer {
            out: String::from(r#"<?xml version="1.0" encoding="UTF-8"?>"#),
            depth: 0,
        };
        // No newline before the root: the declaration and the root are on the first line.
        w.out.push_str(&format!(
            r#"<md:EntityDescriptor xmlns:md="{md}" xmlns:ds="{ds}" {ext_prefix}="{ext_ns}" entityID="{eid}" ID="{id}">"#,
            md = ns::MD,
            ds = ns::DS,
            ext_prefix = extension_ns.0,
            ext_ns = extension_ns.1,
            eid = escape_xml(&self.entity_id),
            id = escape_xml(id),
        ));
        w.depth = 1;

        w.open(
            "md:SPSSODescriptor",
            &[
                ("protocolSupportEnumeration", SAML2_PROTOCOL),
                ("AuthnRequestsSigned", "true"),
                ("WantAssertionsSigned", "true"),
            ],
        );
        for cert in &self.signing_certificates {
            w.open("md:KeyDescriptor", &[("use", "signing")]);
            w.open("ds:KeyInfo", &[]);
            w.open("ds:X509Data", &[]);
            w.leaf("ds:X509Certificate", &[], Some(&cert.to_base64()));
            w.close("ds:X509Data");
            w.close("ds:KeyInfo");
            w.close("md:KeyDescriptor");
        }
        w.leaf(
            "md:SingleLogoutService",
            &[
                ("Binding", BINDING_REDIRECT),
                ("Location", &self.slo_redirect_url),
            ],
            None,
        );
        w.leaf(
            "md:SingleLogoutService",
            &[("Binding", BINDING_POST), ("Location", &self.slo_post_url)],
            None,
        );
        w.leaf("md:NameIDFormat", &[], Some(NAMEID_TRANSIENT));
        w.leaf(
            "md:AssertionConsumerService",
            &[
                ("index", "0"),
                ("isDefault", "true"),
                ("Binding", BINDING_POST),
                ("Location", &self.acs_url),
            ],
            None,
        );
        for service in &self.attribute_services {
            let index = service.index.to_string();
            w.open("md:AttributeConsumingService", &[("index", &index)]);
            for (lang, name) in &service.names {
                w.leaf("md:ServiceName", &[("xml:lang", lang)], Some(name));
            }
            for attribute in &service.attributes {
                w.leaf("md:RequestedAttribute", &[("Name", attribute.name())], None);
            }
            w.close("md:AttributeConsumingService");
        }
        w.close("md:SPSSODescriptor");

        // Italian first: AgID's tool compares Company with the *first* OrganizationName.
        let mut orgs: Vec<&OrganizationInfo> = self.organization.iter().collect();
        orgs.sort_by_key(|o| o.lang != "it");
        w.open("md:Organization", &[]);
        for o in &orgs {
            w.leaf(
                "md:OrganizationName",
                &[("xml:lang", &o.lang)],
                Some(&o.name),
            );
        }
        for o in &orgs {
            w.leaf(
                "md:OrganizationDisplayName",
                &[("xml:lang", &o.lang)],
                Some(&o.display_name),
            );
        }
        for o in &orgs {
            w.leaf("md:OrganizationURL", &[("xml:lang", &o.lang)], Some(&o.url));
        }
        w.close("md:Organization");

        let org_name = self.organization_name_it().to_owned();
        match &self.contacts {
            Contacts::PublicSp(c) => {
                write_spid_contact(&mut w, None, SpidExtension::Public(c), &org_name);
            }
            Contacts::Aggregated {
                aggregator,
                aggregated,
            } => {
                write_spid_contact(
                    &mut w,
                    Some("spid:aggregator"),
                    SpidExtension::Aggregator(aggregator),
                    &org_name,
                );
                write_spid_contact(
                    &mut w,
                    Some("spid:aggregated"),
                    SpidExtension::Public(aggregated),
                    &org_name,
                );
            }
            Contacts::Cie {
                administrative,
                technical,
            } => {
                write_cie_contact(&mut w, "administrative", administrative, &org_name);
                if let Some(t) = technical {
                    write_cie_contact(&mut w, "technical", t, &org_name);
                }
            }
        }
        w.depth = 0;
        w.out.push_str("\n</md:EntityDescriptor>\n");
        Ok(w.out)
    }

    /// The metadata, signed by `key` (enveloped RSA-SHA256 signature, first child of
    /// `EntityDescriptor`, with `cert` in KeyInfo). `cert` must be one of the published
    /// [`SpMetadata::signing_certificates`] and the certificate of `key`.
    pub fn to_signed_xml(
        &self,
        key: &SigningKey,
        cert: &Certificate,
    ) -> Result<String, MetadataError> {
        if !self.signing_certificates.contains(cert) {
            return Err(MetadataError::SigningCertificateNotPublished);
        }
        let id = crate::binding::new_message_id().map_err(MetadataError::Random)?;
        let unsigned = self.to_unsigned_xml(&id)?;
        Ok(dsig::sign_enveloped(&unsigned, &id, key, cert)?)
    }
}

enum SpidExtension<'a> {
    Public(&'a PublicContact),
    Aggregator(&'a AggregatorContact),
}

fn write_spid_contact(
    w: &mut Writer,
    entity_type: Option<&str>,
    ext: SpidExtension<'_>,
    org_name: &str,
) {
    let mut attrs = vec![("contactType", "other")];
    if let Some(t) = entity_type {
        attrs.push(("spid:entityType", t));
    }
    w.open("md:ContactPerson", &attrs);
    w.open("md:Extensions", &[]);
    // spid.xsd order: IPACode?, VATNumber?, FiscalCode?, then the (empty) type element.
    let (ipa, vat, fc, kind, company, email, phone) = match ext {
        SpidExtension::Public(c) => (
            Some(c.ipa_code.as_str()),
            c.vat_number.as_deref(),
            c.fiscal_code.as_deref(),
            "spid:Public",
            org_name,
            &c.email,
            c.telephone.as_deref(),
        ),
        SpidExtension::Aggregator(c) => (
            c.ipa_code.as_deref(),
            c.vat_number.as_deref(),
            c.fiscal_code.as_deref(),
            "spid:PublicServicesFullAggregator",
            c.company.as_str(),
            &c.email,
            c.telephone.as_deref(),
        ),
    };
    if let Some(v) = ipa {
        w.leaf("spid:IPACode", &[], Some(v));
    }
    if let Some(v) = vat {
        w.leaf("spid:VATNumber", &[], Some(v));
    }
    if let Some(v) = fc {
        w.leaf("spid:FiscalCode", &[], Some(v));
    }
    w.leaf(kind, &[], None);
    w.close("md:Extensions");
    w.leaf("md:Company", &[], Some(company));
    w.leaf("md:EmailAddress", &[], Some(email));
    if let Some(p) = phone {
        w.leaf("md:TelephoneNumber", &[], Some(p));
    }
    w.close("md:ContactPerson");
}

fn write_cie_contact(w: &mut Writer, contact_type: &str, c: &CieContact, org_name: &str) {
    w.open("md:ContactPerson", &[("contactType", contact_type)]);
    w.open("md:Extensions", &[]);
    w.leaf("cie:Public", &[], None);
    if let Some(v) = &c.ipa_code {
        w.leaf("cie:IPACode", &[], Some(v));
    }
    w.leaf("cie:Municipality", &[], Some(&c.municipality));
    if let Some(v) = &c.province {
        w.leaf("cie:Province", &[], Some(v));
    }
    if let Some(v) = &c.country {
        w.leaf("cie:Country", &[], Some(v));
    }
    w.close("md:Extensions");
    w.leaf(
        "md:Company",
        &[],
        Some(c.company.as_deref().unwrap_or(org_name)),
    );
    w.leaf("md:EmailAddress", &[], Some(&c.email));
    if let Some(p) = &c.telephone {
        w.leaf("md:TelephoneNumber", &[], Some(p));
    }
    w.close("md:ContactPerson");
}

// ---------------------------------------------------------------------------------------------
// Reading metadata

/// A SAML binding we can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Binding {
    HttpRedirect,
    HttpPost,
    Soap,
}

impl Binding {
    pub fn uri(self) -> &'static str {
        match self {
            Binding::HttpRedirect => BINDING_REDIRECT,
            Binding::HttpPost => BINDING_POST,
            Binding::Soap => BINDING_SOAP,
        }
    }

    pub fn from_uri(uri: &str) -> Option<Self> {
        [Binding::HttpRedirect, Binding::HttpPost, Binding::Soap]
            .into_iter()
            .find(|b| b.uri() == uri)
    }
}

/// A service endpoint (`SingleSignOnService`, `SingleLogoutService`…).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub binding: Binding,
    pub location: String,
    /// Where responses go, if different from `location` (SLO).
    pub response_location: Option<String>,
}

impl Endpoint {
    /// Where a response to this endpoint's peer goes: `ResponseLocation`, else `Location`.
    pub fn response_url(&self) -> &str {
        self.response_location.as_deref().unwrap_or(&self.location)
    }
}

/// An identity provider, as its metadata describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityProvider {
    pub entity_id: String,
    /// For people: `mdui:DisplayName`, else `OrganizationDisplayName`, else `OrganizationName`
    /// (Italian, else English, else the first), else the entityID.
    pub display_name: String,
    /// `OrganizationName` (Italian, else English, else the first), if any.
    pub organization_name: Option<String>,
    pub sso: Vec<Endpoint>,
    pub slo: Vec<Endpoint>,
    /// From `KeyDescriptor use="signing"` or without `use`. Not checked for validity dates:
    /// the certificate is a key container, and the registry decides what is trusted.
    pub signing_certificates: Vec<Certificate>,
    pub want_authn_requests_signed: bool,
}

impl IdentityProvider {
    fn endpoint(list: &[Endpoint], binding: Binding) -> Option<&Endpoint> {
        list.iter().find(|e| e.binding == binding)
    }

    /// The SSO endpoint for our AuthnRequests (HTTP-Redirect).
    pub fn sso_redirect(&self) -> Option<&Endpoint> {
        Self::endpoint(&self.sso, Binding::HttpRedirect)
    }

    pub fn sso_post(&self) -> Option<&Endpoint> {
        Self::endpoint(&self.sso, Binding::HttpPost)
    }

    /// The SLO endpoint for our LogoutRequests/LogoutResponses (HTTP-Redirect).
    pub fn slo_redirect(&self) -> Option<&Endpoint> {
        Self::endpoint(&self.slo, Binding::HttpRedirect)
    }

    pub fn slo_post(&self) -> Option<&Endpoint> {
        Self::endpoint(&self.slo, Binding::HttpPost)
    }

    /// The keys that may sign this IdP's messages.
    pub fn signing_keys(&self) -> Vec<PublicKey> {
        self.signing_certificates
            .iter()
            .map(|c| c.public_key().clone())
            .collect()
    }
}

/// The identity providers of an `EntityDescriptor` or `EntitiesDescriptor` (nested ones too).
/// Entities without an `IDPSSODescriptor` are skipped; an IdP without a signing certificate or
/// an SSO endpoint, or an unreadable certificate, makes the whole document fail: a partial
/// registry would silently drop an IdP.
pub fn parse_idp_metadata(text: &str) -> Result<Vec<IdentityProvider>, MetadataError> {
    let doc = xml::parse(text, &Limits::METADATA)?;
    parse_idp_document(doc.root_element())
}

/// As [`parse_idp_metadata`], on an already parsed root (e.g. a verified document).
pub(crate) fn parse_idp_document(
    root: Node<'_, '_>,
) -> Result<Vec<IdentityProvider>, MetadataError> {
    let entities = entity_descriptors(root)?;
    let mut idps: Vec<IdentityProvider> = Vec::new();
    for entity in entities {
        if let Some(idp) = parse_idp_entity(entity)? {
            if idps.iter().any(|i| i.entity_id == idp.entity_id) {
                return Err(MetadataError::DuplicateEntity(idp.entity_id));
            }
            idps.push(idp);
        }
    }
    if idps.is_empty() {
        return Err(MetadataError::NoIdentityProvider);
    }
    Ok(idps)
}

/// The `EntityDescriptor`s of a metadata document, whatever its root.
fn entity_descriptors<'a, 'i>(root: Node<'a, 'i>) -> Result<Vec<Node<'a, 'i>>, MetadataError> {
    if xml::is(root, ns::MD, "EntityDescriptor") {
        return Ok(vec![root]);
    }
    if !xml::is(root, ns::MD, "EntitiesDescriptor") {
        return Err(MetadataError::Structure(format!(
            "root is {}, not EntityDescriptor or EntitiesDescriptor",
            root.tag_name().name()
        )));
    }
    // Only EntityDescriptors reached through EntitiesDescriptors count (not, say, one hidden in
    // an Extensions element).
    Ok(root
        .descendants()
        .filter(|n| {
            xml::is(*n, ns::MD, "EntityDescriptor")
                && n.parent()
                    .is_some_and(|p| xml::is(p, ns::MD, "EntitiesDescriptor"))
                && n.ancestors()
                    .skip(1)
                    .filter(|a| a.is_element())
                    .all(|a| xml::is(a, ns::MD, "EntitiesDescriptor"))
        })
        .collect())
}

fn required_attr<'a>(node: Node<'a, '_>, name: &'static str) -> Result<&'a str, MetadataError> {
    match node.attribute(name) {
        Some(v) if !v.trim().is_empty() => Ok(v.trim()),
        _ => Err(MetadataError::Structure(format!(
            "{} without {name}",
            node.tag_name().name()
        ))),
    }
}

fn is_true(value: Option<&str>) -> bool {
    matches!(value.map(str::trim), Some("true" | "1"))
}

fn supports_saml2(descriptor: Node<'_, '_>) -> bool {
    descriptor
        .attribute("protocolSupportEnumeration")
        .is_some_and(|p| p.split_ascii_whitespace().any(|u| u == SAML2_PROTOCOL))
}

fn parse_idp_entity(entity: Node<'_, '_>) -> Result<Option<IdentityProvider>, MetadataError> {
    let entity_id = required_attr(entity, "entityID")?.to_owned();
    let descriptors: Vec<Node<'_, '_>> = xml::children(entity, ns::MD, "IDPSSODescriptor")
        .filter(|d| supports_saml2(*d))
        .collect();
    let descriptor = match descriptors.as_slice() {
        [] => return Ok(None),
        [one] => *one,
        _ => {
            return Err(MetadataError::Structure(format!(
                "{entity_id}: more than one SAML 2 IDPSSODescriptor"
            )));
        }
    };
    let signing_certificates = signing_certificates(descriptor)?;
    if signing_certificates.is_empty() {
        return Err(MetadataError::Structure(format!(
            "{entity_id}: no signing certificate"
        )));
    }
    let sso = endpoints(descriptor, "SingleSignOnService")?;
    if sso.is_empty() {
        return Err(MetadataError::Structure(format!(
            "{entity_id}: no usable SingleSignOnService"
        )));
    }
    let slo = endpoints(descriptor, "SingleLogoutService")?;

    let organization = xml::optional_child(entity, ns::MD, "Organization")?;
    let organization_name = organization.and_then(|o| localized(o, ns::MD, "OrganizationName"));
    let mdui_name = xml::optional_child(descriptor, ns::MD, "Extensions")?
        .and_then(|e| xml::children(e, NS_MDUI, "UIInfo").next())
        .and_then(|ui| localized(ui, NS_MDUI, "DisplayName"));
    let display_name = mdui_name
        .or_else(|| organization.and_then(|o| localized(o, ns::MD, "OrganizationDisplayName")))
        .or_else(|| organization_name.clone())
        .unwrap_or_else(|| entity_id.clone());

    Ok(Some(IdentityProvider {
        entity_id,
        display_name,
        organization_name,
        sso,
        slo,
        signing_certificates,
        want_authn_requests_signed: is_true(descriptor.attribute("WantAuthnRequestsSigned")),
    }))
}

/// The certificates of `KeyDescriptor use="signing"` (or without `use`) of a role descriptor.
fn signing_certificates(descriptor: Node<'_, '_>) -> Result<Vec<Certificate>, MetadataError> {
    let mut certs: Vec<Certificate> = Vec::new();
    for kd in xml::children(descriptor, ns::MD, "KeyDescriptor") {
        match kd.attribute("use") {
            None | Some("signing") => {}
            Some("encryption") => continue,
            Some(other) => {
                return Err(MetadataError::Structure(format!(
                    "KeyDescriptor use={other:?}"
                )));
            }
        }
        for key_info in xml::children(kd, ns::DS, "KeyInfo") {
            for data in xml::children(key_info, ns::DS, "X509Data") {
                for c in xml::children(data, ns::DS, "X509Certificate") {
                    let cert = Certificate::from_base64(&xml::string_value(c))?;
                    if !certs.contains(&cert) {
                        certs.push(cert);
                    }
                }
            }
        }
    }
    Ok(certs)
}

/// Endpoints named `local`, skipping bindings we do not use (artifact, PAOS…).
fn endpoints(descriptor: Node<'_, '_>, local: &str) -> Result<Vec<Endpoint>, MetadataError> {
    let mut out = Vec::new();
    for e in xml::children(descriptor, ns::MD, local) {
        let Some(binding) = Binding::from_uri(required_attr(e, "Binding")?) else {
            continue;
        };
        out.push(Endpoint {
            binding,
            location: required_attr(e, "Location")?.to_owned(),
            response_location: e
                .attribute("ResponseLocation")
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned),
        });
    }
    Ok(out)
}

/// The text of the child `{ns}local` in Italian, else English, else the first one; whitespace
/// collapsed (some IdPs pretty-print names over several lines).
fn localized(parent: Node<'_, '_>, ns_uri: &str, local: &str) -> Option<String> {
    let items: Vec<Node<'_, '_>> = xml::children(parent, ns_uri, local).collect();
    let has_lang = |n: &Node<'_, '_>, l: &str| n.attribute((ns::XML, "lang")) == Some(l);
    let chosen = items
        .iter()
        .find(|n| has_lang(n, "it"))
        .or_else(|| items.iter().find(|n| has_lang(n, "en")))
        .or_else(|| items.first())?;
    let text = xml::string_value(*chosen)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    (!text.is_empty()).then_some(text)
}

/// An `AssertionConsumerService` of an SP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedEndpoint {
    pub index: u16,
    pub is_default: bool,
    pub binding: Binding,
    pub location: String,
}

/// A service provider, as its metadata describes it (what an IdP needs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceProvider {
    pub entity_id: String,
    pub authn_requests_signed: bool,
    pub want_assertions_signed: bool,
    pub signing_certificates: Vec<Certificate>,
    pub assertion_consumer_services: Vec<IndexedEndpoint>,
    pub slo: Vec<Endpoint>,
    /// `AttributeConsumingService` index to the attribute names it requests.
    pub attribute_services: Vec<(u16, Vec<String>)>,
    pub organization_name: Option<String>,
}

impl ServiceProvider {
    /// The ACS with this index.
    pub fn acs_by_index(&self, index: u16) -> Option<&IndexedEndpoint> {
        self.assertion_consumer_services
            .iter()
            .find(|a| a.index == index)
    }

    /// The default ACS: `isDefault="true"`, else the lowest index.
    pub fn default_acs(&self) -> Option<&IndexedEndpoint> {
        self.assertion_consumer_services
            .iter()
            .find(|a| a.is_default)
            .or_else(|| {
                self.assertion_consumer_services
                    .iter()
                    .min_by_key(|a| a.index)
            })
    }

    /// The attributes requested by the AttributeConsumingService `index`.
    pub fn requested_attributes(&self, index: u16) -> Option<&[String]> {
        self.attribute_services
            .iter()
            .find(|(i, _)| *i == index)
            .map(|(_, names)| names.as_slice())
    }

    pub fn signing_keys(&self) -> Vec<PublicKey> {
        self.signing_certificates
            .iter()
            .map(|c| c.public_key().clone())
            .collect()
    }
}

/// Read an SP's `EntityDescriptor` (no signature check: see the module docs).
pub fn parse_sp_metadata(text: &str) -> Result<ServiceProvider, MetadataError> {
    let doc = xml::parse(text, &Limits::METADATA)?;
    let entity = doc.root_element();
    if !xml::is(entity, ns::MD, "EntityDescriptor") {
        return Err(MetadataError::Structure(
            "root is not EntityDescriptor".into(),
        ));
    }
    let entity_id = required_attr(entity, "entityID")?.to_owned();
    let descriptor = xml::only_child(entity, ns::MD, "SPSSODescriptor")?;
    if !supports_saml2(descriptor) {
        return Err(MetadataError::Structure(
            "SPSSODescriptor without the SAML 2 protocol".into(),
        ));
    }
    let mut acs = Vec::new();
    for e in xml::children(descriptor, ns::MD, "AssertionConsumerService") {
        let index = required_attr(e, "index")?
            .parse::<u16>()
            .map_err(|_| MetadataError::Structure("bad AssertionConsumerService index".into()))?;
        let binding = Binding::from_uri(required_attr(e, "Binding")?).ok_or_else(|| {
            MetadataError::Structure("unsupported AssertionConsumerService binding".into())
        })?;
        if acs.iter().any(|a: &IndexedEndpoint| a.index == index) {
            return Err(MetadataError::Structure(format!(
                "AssertionConsumerService index {index} repeated"
            )));
        }
        acs.push(IndexedEndpoint {
            index,
            is_default: is_true(e.attribute("isDefault")),
            binding,
            location: required_attr(e, "Location")?.to_owned(),
        });
    }
    if acs.is_empty() {
        return Err(MetadataError::Structure(
            "no AssertionConsumerService".into(),
        ));
    }
    let mut attribute_services = Vec::new();
    for s in xml::children(descriptor, ns::MD, "AttributeConsumingService") {
        let index = required_attr(s, "index")?
            .parse::<u16>()
            .map_err(|_| MetadataError::Structure("bad AttributeConsumingService index".into()))?;
        let names = xml::children(s, ns::MD, "RequestedAttribute")
            .map(|r| required_attr(r, "Name").map(str::to_owned))
            .collect::<Result<Vec<_>, _>>()?;
        attribute_services.push((index, names));
    }
    let organization = xml::optional_child(entity, ns::MD, "Organization")?;
    Ok(ServiceProvider {
        entity_id,
        authn_requests_signed: is_true(descriptor.attribute("AuthnRequestsSigned")),
        want_assertions_signed: is_true(descriptor.attribute("WantAssertionsSigned")),
        signing_certificates: signing_certificates(descriptor)?,
        assertion_consumer_services: acs,
        slo: endpoints(descriptor, "SingleLogoutService")?,
        attribute_services,
        organization_name: organization.and_then(|o| localized(o, ns::MD, "OrganizationName")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_names_round_trip() {
        assert_eq!(SpidAttribute::ALL.len(), 23);
        for a in SpidAttribute::ALL {
            assert_eq!(SpidAttribute::from_name(a.name()), Some(*a));
        }
        assert!("fiscalNumber".parse::<SpidAttribute>().is_ok());
        assert!("FiscalNumber".parse::<SpidAttribute>().is_err());
        assert!(SpidAttribute::FiscalNumber.is_cie());
        assert!(!SpidAttribute::Email.is_cie());
    }

    #[test]
    fn emails_like_spid_sp_test() {
        for ok in ["protocollo@comune.esempio.it", "a.b-c_d@x-y.example.museum"] {
            assert!(check_email(ok).is_ok(), "{ok}");
        }
        for bad in [
            "protocollo",
            "a@b",
            "a@b.c",
            "a b@x.it",
            "a@x.toolongtld",
            "@x.it",
            "a+b@x.it",
        ] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn phones_vat_codes_urls() {
        assert!(check_telephone(Some("+390612345678")).is_ok());
        assert!(check_telephone(Some("06 1234567")).is_err());
        assert!(check_identifiers(None, Some("IT01234567890"), None).is_ok());
        assert!(check_identifiers(None, Some("01234567890"), None).is_err());
        assert!(check_identifiers(Some("c h501"), None, None).is_err());
        assert!(check_url("x", "https://a.it/spid").is_ok());
        assert!(check_url("x", "http://localhost:8000/spid").is_ok());
        assert!(check_url("x", "ftp://a.it").is_err());
        assert!(check_url("x", "https:///path").is_err());
        assert!(check_url("x", "https://a.it/ b").is_err());
    }

    #[test]
    fn idp_metadata_of_spid_sp_test_parses() {
        // The fake IdP of AgID's spid-sp-test, as `spid_sp_test --idp-metadata` prints it:
        // `ns0`/`ns1` prefixes, no ID, an Organization with three languages and no Italian.
        let text = include_str!("../tests/fixtures/md/spid-sp-test-idp.xml");
        let idps = parse_idp_metadata(text).unwrap();
        assert_eq!(idps.len(), 1);
        let idp = &idps[0];
        assert_eq!(idp.entity_id, "https://localhost:8443");
        assert_eq!(idp.display_name, "Example Co.");
        assert_eq!(idp.organization_name.as_deref(), Some("Exempel AB"));
        assert_eq!(
            idp.sso_redirect().map(|e| e.location.as_str()),
            Some("https://localhost:8443/samlsso")
        );
        assert!(idp.slo_post().is_some() && idp.slo_redirect().is_some());
        assert_eq!(idp.signing_certificates.len(), 1);
        assert!(!idp.want_authn_requests_signed);
    }
}
