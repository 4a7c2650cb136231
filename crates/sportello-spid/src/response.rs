//! Validation of the IdP's `<samlp:Response>` (HTTP-POST binding), SPID and CIE profiles.
//!
//! [`validate`] is the only entry point. The order of its steps is the security argument, so it
//! is spelled out here and followed literally in the code:
//!
//! 1. base64 (whitespace tolerant), then a size limit, then [`xml::parse`] with
//!    [`Limits::MESSAGE`]: no DTD, hence no entity but the predefined five.
//! 2. Structure, pinned before any cryptography: the root is `samlp:Response`; the `Status` is
//!    read first, and anything but `Success` ends here with [`ResponseError::Status`] (the SPID
//!    anomalies 19–25 are unsigned); the Response children are only `Issuer`, `Signature`,
//!    `Status` and `Assertion`; there is exactly one `saml:Assertion` in the whole document and it
//!    is a direct child of the root; nothing is encrypted; every `ID` is unique.
//! 3. [`dsig::verify_enveloped`] on that assertion with the IdP's metadata keys (mandatory), and
//!    on the Response when it carries a signature (optional in SPID, verified when present).
//!    `KeyInfo` is never used, so a certificate embedded by an attacker counts for nothing.
//! 4. Every assertion value is then read from [`dsig::Verified::document`], the re-parse of the
//!    exact octets that were digested, with [`xml::string_value`]: no value can come from a node
//!    the signature did not cover, and a comment inside a value cannot truncate it.
//! 5. The checks of AgID's `spid-sp-test` (the 111 response cases) and of the reference
//!    validator `mock_sp.validate`, each with its own [`ResponseError`] variant.
//!
//! # Where the Response-level values come from
//!
//! `ID`, `Version`, `IssueInstant`, `InResponseTo`, `Destination` and the Response `Issuer` are
//! read from the Response's verified document when the Response is signed, and from the parsed
//! message otherwise. In the unsigned case they are not authenticated: whoever holds a signed
//! assertion can wrap it in any envelope. That is acceptable because nothing of the envelope is
//! trusted for authentication. The signed assertion binds itself to this login on its own: its
//! `SubjectConfirmationData` carries `InResponseTo` (our pending request) and `Recipient` (our
//! ACS), its `Audience` is our entity ID, its validity window is checked and its `Issuer` must be
//! the IdP whose key verified it. The envelope checks are still made, because AgID requires them
//! (cases 8–31) and they reject misrouted messages early, and an attacker editing the envelope
//! can only write the values we already require. The one envelope value returned,
//! [`Login::response_id`], is for logs only and must never key the replay cache.
//!
//! # Replay (the caller's contract)
//!
//! A response validates against exactly one [`Expected::request_id`]; the caller must make that
//! pending request one-shot (take it out of the browser session before calling [`validate`], so
//! a second POST finds nothing) and must keep [`Login::assertion_id`] in a replay cache until
//! [`Login::not_on_or_after`], refusing an ID it has already seen. Neither can be done here: this
//! function has no state.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use jiff::{SignedDuration, Timestamp};
use roxmltree::Node;

use crate::SpidLevel;
use crate::authn_request::PendingAuthnRequest;
use crate::dsig::{self, DsigError};
use crate::keys::PublicKey;
use crate::xml::{self, Limits, XmlError, ns};

/// `StatusCode` of a successful authentication.
pub const STATUS_SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
/// Top-level `StatusCode` of the SPID user anomalies.
pub const STATUS_RESPONDER: &str = "urn:oasis:names:tc:SAML:2.0:status:Responder";
/// Second-level `StatusCode` of the SPID user anomalies.
pub const STATUS_AUTHN_FAILED: &str = "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed";
/// The only `Issuer` format SPID uses.
pub const NAMEID_ENTITY: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity";
/// The only `NameID` format SPID uses: a per-session opaque value, never an identifier.
pub const NAMEID_TRANSIENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";
/// The only `SubjectConfirmation` method SPID uses.
pub const CM_BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";

/// The clock skew tolerated between us and the IdP, in each direction.
pub const DEFAULT_SKEW: SignedDuration = SignedDuration::from_secs(60);

/// The largest decoded response accepted: the parser's own limit, checked before parsing.
pub const MAX_RESPONSE_BYTES: usize = Limits::MESSAGE.max_bytes;

/// SPID user anomaly codes, sent by the IdP as `StatusMessage` "ErrorCode nrNN" with the status
/// `Responder`/`AuthnFailed` (AgID's table of anomaly messages; the SP must show a page for each).
/// The texts shown to the user are in the web crate's locales; the meaning of each code is:
pub mod anomaly {
    /// 19: authentication failed after repeated wrong credentials (too many attempts under the
    /// IdP's policy). The user should wait or recover the credentials at the IdP.
    pub const REPEATED_WRONG_CREDENTIALS: u8 = 19;
    /// 20: the user has no credentials of the level the service requires (e.g. asked SpidL2,
    /// user only has a password). The user should activate a stronger factor at the IdP.
    pub const NO_CREDENTIALS_FOR_LEVEL: u8 = 20;
    /// 21: the user did not complete the authentication in time.
    pub const TIMEOUT: u8 = 21;
    /// 22: the user refused consent to send the data to the service (with a session already
    /// open at the IdP). Access needs that consent.
    pub const CONSENT_DENIED: u8 = 22;
    /// 23: the identity is suspended or revoked, or the credentials are blocked. The user must
    /// contact the IdP.
    pub const CREDENTIALS_BLOCKED: u8 = 23;
    /// 24: in the anomaly range, but AgID's SPID table gives it no user scenario (CIE lists it
    /// as reserved). Shown with a generic "authentication failed" text.
    pub const RESERVED_24: u8 = 24;
    /// 25: the user cancelled the authentication at the IdP.
    pub const CANCELLED_BY_USER: u8 = 25;
}

/// Which federation the response comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    Spid,
    /// CIE id: the same SAML profile, except that the assertion `Issuer` may omit its `Format`
    /// (AgID's suite skips cases 70 and 71 for `cie-sp-public`).
    Cie,
}

/// What the SP expects: the pending request, the trusted IdP and our own identity.
#[derive(Debug, Clone)]
pub struct Expected<'a> {
    /// `ID` of our pending AuthnRequest, taken one-shot from the browser session.
    pub request_id: &'a str,
    /// `IssueInstant` of that request: nothing may be issued before it (less the skew).
    pub request_instant: Timestamp,
    pub idp_entity_id: &'a str,
    /// Signing keys from the IdP's (verified) metadata: the only keys ever used.
    pub idp_keys: &'a [PublicKey],
    /// Our AssertionConsumerService URL, exactly as the IdP must echo it.
    pub acs_url: &'a str,
    /// Our entity ID: the required `Audience`.
    pub sp_entity_id: &'a str,
    /// The level requested, with `Comparison="minimum"`: the assertion's must be at least this.
    pub level: SpidLevel,
    pub now: Timestamp,
    pub skew: SignedDuration,
    pub profile: Profile,
}

impl<'a> Expected<'a> {
    /// The expectations for a login happening now, SPID profile, [`DEFAULT_SKEW`].
    pub fn new(
        request_id: &'a str,
        request_instant: Timestamp,
        idp_entity_id: &'a str,
        idp_keys: &'a [PublicKey],
        acs_url: &'a str,
        sp_entity_id: &'a str,
        level: SpidLevel,
    ) -> Self {
        Self {
            request_id,
            request_instant,
            idp_entity_id,
            idp_keys,
            acs_url,
            sp_entity_id,
            level,
            now: Timestamp::now(),
            skew: DEFAULT_SKEW,
            profile: Profile::Spid,
        }
    }

    /// The expectations for the answer to `pending` (taken one-shot out of the browser session).
    pub fn for_request(
        pending: &'a PendingAuthnRequest,
        idp_entity_id: &'a str,
        idp_keys: &'a [PublicKey],
        acs_url: &'a str,
        sp_entity_id: &'a str,
    ) -> Self {
        Self::new(
            &pending.id,
            pending.issue_instant,
            idp_entity_id,
            idp_keys,
            acs_url,
            sp_entity_id,
            pending.level,
        )
    }

    /// Validate as if the current time were `now` (tests, and replaying logged responses).
    pub fn at(mut self, now: Timestamp) -> Self {
        self.now = now;
        self
    }

    pub fn with_skew(mut self, skew: SignedDuration) -> Self {
        self.skew = skew;
        self
    }

    pub fn with_profile(mut self, profile: Profile) -> Self {
        self.profile = profile;
        self
    }
}

/// A successful SPID/CIE login: only values covered by the assertion signature, except
/// [`Login::response_id`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    /// `ID` of the Response. Possibly unsigned: for logs and the SPID trace only.
    pub response_id: String,
    /// `ID` of the signed assertion: the key of the replay cache.
    pub assertion_id: String,
    /// The IdP entity ID (the assertion `Issuer`).
    pub issuer: String,
    /// The transient `NameID`, needed (with its qualifier) for single logout.
    pub name_id: String,
    pub name_id_qualifier: String,
    /// `AuthnStatement/@SessionIndex`; IdPs often leave it out at SpidL2/L3.
    pub session_index: Option<String>,
    /// The level the IdP actually authenticated, at least the one requested.
    pub level: SpidLevel,
    /// Until this instant (the assertion's earliest `NotOnOrAfter` plus the skew) this validator
    /// would accept the assertion again: keep [`Login::assertion_id`] in the replay cache until
    /// then.
    pub not_on_or_after: Timestamp,
    /// SPID attribute name (e.g. `fiscalNumber`) to its value, exactly as signed, trimmed of
    /// surrounding XML whitespace.
    pub attributes: BTreeMap<String, String>,
}

impl Login {
    /// The value of the attribute `name` (SPID names: `fiscalNumber`, `email`…), if released.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.get(name).map(String::as_str)
    }

    /// The codice fiscale, without SPID's `TINIT-` prefix; `None` if the attribute is missing or
    /// lacks the prefix. The checksum is the caller's business (the domain `CodiceFiscale` type).
    pub fn fiscal_number(&self) -> Option<&str> {
        self.attribute("fiscalNumber")?.strip_prefix("TINIT-")
    }

    pub fn name(&self) -> Option<&str> {
        self.attribute("name")
    }

    pub fn family_name(&self) -> Option<&str> {
        self.attribute("familyName")
    }

    pub fn email(&self) -> Option<&str> {
        self.attribute("email")
    }

    pub fn mobile_phone(&self) -> Option<&str> {
        self.attribute("mobilePhone")
    }

    /// The PEC address (`digitalAddress`).
    pub fn digital_address(&self) -> Option<&str> {
        self.attribute("digitalAddress")
    }

    /// The SPID identity code (`spidCode`), stable per IdP and person.
    pub fn spid_code(&self) -> Option<&str> {
        self.attribute("spidCode")
    }

    /// `dateOfBirth` (`YYYY-MM-DD`); `None` if missing or not a valid date.
    pub fn date_of_birth(&self) -> Option<jiff::civil::Date> {
        self.attribute("dateOfBirth")?.parse().ok()
    }
}

/// The two SAML messages whose common checks share a variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Response,
    Assertion,
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Part::Response => "Response",
            Part::Assertion => "Assertion",
        })
    }
}

/// A non-success status sent by the IdP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdpStatus {
    /// Top-level `StatusCode/@Value` (e.g. `…:status:Responder`); empty if missing.
    pub code: String,
    /// Second-level `StatusCode/@Value` (e.g. `…:status:AuthnFailed`).
    pub sub_code: Option<String>,
    /// `StatusMessage`, e.g. "ErrorCode nr22".
    pub message: Option<String>,
    /// The SPID user anomaly (19–25) found in the message, see [`anomaly`].
    pub anomaly: Option<u8>,
}

impl fmt::Display for IdpStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.code)?;
        if let Some(sub) = &self.sub_code {
            write!(f, " / {sub:?}")?;
        }
        if let Some(message) = &self.message {
            write!(f, " ({message:?})")?;
        }
        Ok(())
    }
}

/// Why a response was refused. One variant per check, so that tests and logs can tell them
/// apart; [`ResponseError::code`] is the stable key for UI texts and metrics.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResponseError {
    #[error("SAMLResponse is not valid base64")]
    Base64,
    #[error("SAMLResponse is larger than {0} bytes")]
    TooLarge(usize),
    #[error("SAMLResponse is not UTF-8")]
    NotUtf8,
    #[error("the response declares a DTD, which is not allowed")]
    Dtd,
    #[error("the response is not acceptable XML: {0}")]
    Xml(XmlError),
    #[error("the document is not a samlp:Response")]
    NotAResponse,
    #[error("the identity provider answered with status {0}")]
    Status(Box<IdpStatus>),
    #[error("unexpected element {0} in the Response")]
    UnexpectedElement(String),
    #[error("{0} is missing")]
    Missing(&'static str),
    #[error("{0} appears more than once")]
    Repeated(&'static str),
    #[error("expected exactly one Assertion, as a direct child of the Response; found {0}")]
    AssertionCount(usize),
    #[error("encrypted content ({0}) is not supported")]
    Encrypted(String),
    #[error("two elements have the ID {0:?}")]
    DuplicateId(String),
    #[error("the Assertion signature is missing or invalid: {0}")]
    AssertionSignature(DsigError),
    #[error("the Response signature is invalid: {0}")]
    ResponseSignature(DsigError),
    #[error("the {0} has no ID")]
    Id(Part),
    #[error("the {0} Version is not 2.0")]
    Version(Part),
    #[error("{field} is missing or not a UTC xs:dateTime: {value:?}")]
    Timestamp {
        field: &'static str,
        value: Option<String>,
    },
    #[error("the {0} IssueInstant is before the request or in the future")]
    IssueInstant(Part),
    #[error("the Response InResponseTo is not the pending request")]
    InResponseTo,
    #[error("the Response Destination is not our AssertionConsumerService")]
    Destination,
    #[error("the {0} Issuer is not the expected identity provider")]
    Issuer(Part),
    #[error("the {0} Issuer Format is not {NAMEID_ENTITY}")]
    IssuerFormat(Part),
    #[error("the NameID is empty")]
    NameIdEmpty,
    #[error("the NameID Format is not transient")]
    NameIdFormat,
    #[error("the NameID has no NameQualifier")]
    NameIdQualifier,
    #[error("the SubjectConfirmation Method is not bearer")]
    SubjectConfirmationMethod,
    #[error("the SubjectConfirmationData Recipient is not our AssertionConsumerService")]
    Recipient,
    #[error("the SubjectConfirmationData InResponseTo is not the pending request")]
    SubjectInResponseTo,
    #[error("the SubjectConfirmationData has expired")]
    SubjectExpired,
    #[error("the assertion is not valid yet (Conditions NotBefore)")]
    NotYetValid,
    #[error("the assertion has expired (Conditions NotOnOrAfter)")]
    Expired,
    #[error("the Audience is not our entity ID")]
    Audience,
    #[error("AuthnContextClassRef {0:?} is not a SPID level")]
    UnknownAuthnContext(String),
    #[error("authenticated at {got}, but {requested} was requested")]
    LevelTooLow {
        requested: SpidLevel,
        got: SpidLevel,
    },
    #[error("an AttributeStatement has no Attribute")]
    EmptyAttributeStatement,
    #[error("an Attribute has no Name")]
    AttributeWithoutName,
    #[error("attribute {0:?} has no value")]
    AttributeWithoutValue(String),
    #[error("attribute {0:?} has more than one value")]
    AttributeMultipleValues(String),
    #[error("attribute {0:?} has a value that is not plain text")]
    AttributeNotText(String),
    #[error("attribute {0:?} appears more than once")]
    DuplicateAttribute(String),
}

impl ResponseError {
    /// A stable identifier: the key of the translated message and the label in logs and
    /// metrics. Never change one; add new ones.
    pub fn code(&self) -> &'static str {
        use ResponseError as E;
        match self {
            E::Base64 => "response_base64",
            E::TooLarge(_) => "response_too_large",
            E::NotUtf8 => "response_not_utf8",
            E::Dtd => "response_dtd",
            E::Xml(_) => "response_xml",
            E::NotAResponse => "not_a_response",
            E::Status(status) => match status.anomaly {
                Some(19) => "spid_anomaly_19",
                Some(20) => "spid_anomaly_20",
                Some(21) => "spid_anomaly_21",
                Some(22) => "spid_anomaly_22",
                Some(23) => "spid_anomaly_23",
                Some(24) => "spid_anomaly_24",
                Some(25) => "spid_anomaly_25",
                _ => "idp_status",
            },
            E::UnexpectedElement(_) => "unexpected_element",
            E::Missing(_) => "missing_element",
            E::Repeated(_) => "repeated_element",
            E::AssertionCount(_) => "assertion_count",
            E::Encrypted(_) => "encrypted_content",
            E::DuplicateId(_) => "duplicate_id",
            E::AssertionSignature(_) => "assertion_signature",
            E::ResponseSignature(_) => "response_signature",
            E::Id(Part::Response) => "response_id",
            E::Id(Part::Assertion) => "assertion_id",
            E::Version(Part::Response) => "response_version",
            E::Version(Part::Assertion) => "assertion_version",
            E::Timestamp { .. } => "bad_timestamp",
            E::IssueInstant(Part::Response) => "response_issue_instant",
            E::IssueInstant(Part::Assertion) => "assertion_issue_instant",
            E::InResponseTo => "in_response_to",
            E::Destination => "destination",
            E::Issuer(Part::Response) => "response_issuer",
            E::Issuer(Part::Assertion) => "assertion_issuer",
            E::IssuerFormat(Part::Response) => "response_issuer_format",
            E::IssuerFormat(Part::Assertion) => "assertion_issuer_format",
            E::NameIdEmpty => "name_id_empty",
            E::NameIdFormat => "name_id_format",
            E::NameIdQualifier => "name_id_qualifier",
            E::SubjectConfirmationMethod => "subject_confirmation_method",
            E::Recipient => "recipient",
            E::SubjectInResponseTo => "subject_in_response_to",
            E::SubjectExpired => "subject_expired",
            E::NotYetValid => "not_yet_valid",
            E::Expired => "expired",
            E::Audience => "audience",
            E::UnknownAuthnContext(_) => "unknown_authn_context",
            E::LevelTooLow { .. } => "level_too_low",
            E::EmptyAttributeStatement => "empty_attribute_statement",
            E::AttributeWithoutName => "attribute_without_name",
            E::AttributeWithoutValue(_) => "attribute_without_value",
            E::AttributeMultipleValues(_) => "attribute_multiple_values",
            E::AttributeNotText(_) => "attribute_not_text",
            E::DuplicateAttribute(_) => "duplicate_attribute",
        }
    }

    /// The SPID user anomaly the IdP reported (19–25, see [`anomaly`]), if this is one.
    pub fn anomaly(&self) -> Option<u8> {
        match self {
            ResponseError::Status(status) => status.anomaly,
            _ => None,
        }
    }

    fn from_xml(e: XmlError) -> Self {
        match e {
            XmlError::Dtd => ResponseError::Dtd,
            XmlError::TooLarge(n) => ResponseError::TooLarge(n),
            other => ResponseError::Xml(other),
        }
    }
}

/// Validate a `SAMLResponse` form field against what the SP expects. See the module
/// documentation for the order of the steps and the replay contract.
pub fn validate(saml_response_b64: &str, expected: &Expected<'_>) -> Result<Login, ResponseError> {
    let raw = decode(saml_response_b64)?;
    let text = std::str::from_utf8(&raw).map_err(|_| ResponseError::NotUtf8)?;
    let doc = xml::parse(text, &Limits::MESSAGE).map_err(ResponseError::from_xml)?;
    let root = doc.root_element();
    if !xml::is(root, ns::SAMLP, "Response") {
        return Err(ResponseError::NotAResponse);
    }

    // The status comes first: an anomaly is an answer to show the user, not an attack, and it
    // has no assertion to check.
    check_status(root, expected)?;

    // Structure pinned before any cryptography, so that the signature checks below can only be
    // about the one element we are going to read.
    let assertion = pin_structure(&doc, root)?;

    let signed_assertion = dsig::verify_enveloped(assertion, expected.idp_keys)
        .map_err(ResponseError::AssertionSignature)?;
    let signed_response = if xml::children(root, ns::DS, "Signature").next().is_some() {
        Some(
            dsig::verify_enveloped(root, expected.idp_keys)
                .map_err(ResponseError::ResponseSignature)?,
        )
    } else {
        None
    };

    let response_id = match &signed_response {
        Some(verified) => {
            let signed = verified
                .document()
                .map_err(ResponseError::ResponseSignature)?;
            check_response(signed.root_element(), expected)?
        }
        None => check_response(root, expected)?,
    };

    let signed = signed_assertion
        .document()
        .map_err(ResponseError::AssertionSignature)?;
    check_assertion(signed.root_element(), expected, response_id)
}

/// base64 with any ASCII whitespace (browsers and IdPs wrap lines), padding optional.
fn decode(b64: &str) -> Result<Vec<u8>, ResponseError> {
    // A bound on the encoded form, so that a huge POST is refused before allocating for it:
    // 4/3 of the limit, plus generous room for line breaks.
    let max_encoded = MAX_RESPONSE_BYTES.div_ceil(3) * 4 * 2;
    if b64.len() > max_encoded {
        return Err(ResponseError::TooLarge(MAX_RESPONSE_BYTES));
    }
    const ENGINE: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    // Browsers post it on one line: copy without whitespace only when there is some.
    let raw = if b64.bytes().any(|b| b.is_ascii_whitespace()) {
        let compact: Vec<u8> = b64.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        ENGINE.decode(compact)
    } else {
        ENGINE.decode(b64)
    }
    .map_err(|_| ResponseError::Base64)?;
    if raw.len() > MAX_RESPONSE_BYTES {
        return Err(ResponseError::TooLarge(MAX_RESPONSE_BYTES));
    }
    Ok(raw)
}

/// Read the status; on anything but Success, check what the (unsigned) envelope says about
/// whom it answers and return the IdP's status.
fn check_status(root: Node<'_, '_>, expected: &Expected<'_>) -> Result<(), ResponseError> {
    let status = one(root, ns::SAMLP, "Status", "Status")?;
    let code = one(status, ns::SAMLP, "StatusCode", "StatusCode")?;
    let value = code.attribute("Value").unwrap_or_default();
    if value == STATUS_SUCCESS {
        return Ok(());
    }
    // An error answer is normally unsigned, so these checks prove nothing about its origin;
    // they make sure that the page we show ("you cancelled", …) is about this login and not a
    // stale or foreign one, and that such a mix-up is logged as what it is.
    if let Some(in_response_to) = root.attribute("InResponseTo")
        && in_response_to != expected.request_id
    {
        return Err(ResponseError::InResponseTo);
    }
    if let Some(destination) = root.attribute("Destination")
        && destination != expected.acs_url
    {
        return Err(ResponseError::Destination);
    }
    if let Some(issuer) = optional(root, ns::SAML, "Issuer", "Issuer")?
        && text(issuer) != expected.idp_entity_id
    {
        return Err(ResponseError::Issuer(Part::Response));
    }
    let sub_code = optional(code, ns::SAMLP, "StatusCode", "StatusCode")?
        .and_then(|c| c.attribute("Value"))
        .map(str::to_owned);
    let message = optional(status, ns::SAMLP, "StatusMessage", "StatusMessage")?.map(text);
    let anomaly = message.as_deref().and_then(parse_anomaly);
    Err(ResponseError::Status(Box::new(IdpStatus {
        code: value.to_owned(),
        sub_code,
        message,
        anomaly,
    })))
}

/// "ErrorCode nr19" → 19. Only the user anomalies 19–25: other numbers are system or request
/// anomalies (our fault or the IdP's), for which the user gets the generic page.
fn parse_anomaly(message: &str) -> Option<u8> {
    let rest = message.trim().strip_prefix("ErrorCode")?.trim_start();
    let rest = rest.strip_prefix("nr")?.trim_start();
    let digits: &str = &rest[..rest.bytes().take_while(u8::is_ascii_digit).count()];
    // Followed by nothing, or by a separator and a description, never by more of the word.
    if rest[digits.len()..]
        .chars()
        .next()
        .is_some_and(char::is_alphanumeric)
    {
        return None;
    }
    let code: u8 = digits.parse().ok()?;
    (19..=25).contains(&code).then_some(code)
}

/// The structural pins, before any signature is checked. Returns the assertion.
fn pin_structure<'a, 'i>(
    doc: &'a roxmltree::Document<'i>,
    root: Node<'a, 'i>,
) -> Result<Node<'a, 'i>, ResponseError> {
    let mut ids = HashSet::new();
    let mut assertions = 0usize;
    for node in doc.descendants().filter(Node::is_element) {
        let name = node.tag_name();
        if name.namespace() == Some(ns::XENC)
            || (name.namespace() == Some(ns::SAML) && name.name().starts_with("Encrypted"))
        {
            return Err(ResponseError::Encrypted(name.name().to_owned()));
        }
        if xml::is(node, ns::SAML, "Assertion") {
            assertions += 1;
        }
        // Unique IDs: a reference that could resolve to two elements is the classic wrapping
        // set-up, even though our verifier follows the node, never a lookup.
        if let Some(id) = node.attribute("ID")
            && !ids.insert(id)
        {
            return Err(ResponseError::DuplicateId(id.to_owned()));
        }
    }
    // SPID responses hold nothing else; an unknown child (Extensions, a second Status…) is a
    // place to hide a wrapped assertion or a value someone may read by mistake.
    for child in xml::element_children(root) {
        let allowed = xml::is(child, ns::SAML, "Issuer")
            || xml::is(child, ns::DS, "Signature")
            || xml::is(child, ns::SAMLP, "Status")
            || xml::is(child, ns::SAML, "Assertion");
        if !allowed {
            return Err(ResponseError::UnexpectedElement(expanded_name(child)));
        }
    }
    let mut direct = xml::children(root, ns::SAML, "Assertion");
    match (direct.next(), direct.next()) {
        (Some(assertion), None) if assertions == 1 => Ok(assertion),
        _ => Err(ResponseError::AssertionCount(assertions)),
    }
}

/// The checks on the Response element itself (cases 8–31). Returns its ID.
fn check_response(
    response: Node<'_, '_>,
    expected: &Expected<'_>,
) -> Result<String, ResponseError> {
    if !xml::is(response, ns::SAMLP, "Response") {
        return Err(ResponseError::NotAResponse);
    }
    let id = non_empty(response.attribute("ID")).ok_or(ResponseError::Id(Part::Response))?;
    if response.attribute("Version") != Some("2.0") {
        return Err(ResponseError::Version(Part::Response));
    }
    let issued = utc_instant(response.attribute("IssueInstant"), "Response IssueInstant")?;
    if !in_issue_window(issued, expected) {
        return Err(ResponseError::IssueInstant(Part::Response));
    }
    if response.attribute("InResponseTo") != Some(expected.request_id) {
        return Err(ResponseError::InResponseTo);
    }
    if response.attribute("Destination") != Some(expected.acs_url) {
        return Err(ResponseError::Destination);
    }
    let issuer = one(response, ns::SAML, "Issuer", "Response Issuer")?;
    if text(issuer) != expected.idp_entity_id {
        return Err(ResponseError::Issuer(Part::Response));
    }
    // Optional on the Response (case 31 is OK), but if present it must be the entity format.
    if !matches!(issuer.attribute("Format"), None | Some(NAMEID_ENTITY)) {
        return Err(ResponseError::IssuerFormat(Part::Response));
    }
    Ok(id.to_owned())
}

/// Every check on the signed assertion; `assertion` is the root of its verified document.
fn check_assertion(
    assertion: Node<'_, '_>,
    expected: &Expected<'_>,
    response_id: String,
) -> Result<Login, ResponseError> {
    if !xml::is(assertion, ns::SAML, "Assertion") {
        return Err(ResponseError::AssertionCount(0));
    }
    let assertion_id =
        non_empty(assertion.attribute("ID")).ok_or(ResponseError::Id(Part::Assertion))?;
    if assertion.attribute("Version") != Some("2.0") {
        return Err(ResponseError::Version(Part::Assertion));
    }
    let issued = utc_instant(
        assertion.attribute("IssueInstant"),
        "Assertion IssueInstant",
    )?;
    if !in_issue_window(issued, expected) {
        return Err(ResponseError::IssueInstant(Part::Assertion));
    }

    let issuer_node = one(assertion, ns::SAML, "Issuer", "Assertion Issuer")?;
    let issuer = text(issuer_node);
    if issuer != expected.idp_entity_id {
        return Err(ResponseError::Issuer(Part::Assertion));
    }
    let format_ok = match (issuer_node.attribute("Format"), expected.profile) {
        (Some(NAMEID_ENTITY), _) => true,
        // CIE id may omit it (AgID skips cases 70/71 for CIE); a wrong value is still refused.
        (None | Some(""), Profile::Cie) => true,
        _ => false,
    };
    if !format_ok {
        return Err(ResponseError::IssuerFormat(Part::Assertion));
    }

    let subject = one(assertion, ns::SAML, "Subject", "Subject")?;
    let name_id_node = one(subject, ns::SAML, "NameID", "NameID")?;
    let name_id = text(name_id_node);
    if name_id.is_empty() {
        return Err(ResponseError::NameIdEmpty);
    }
    if name_id_node.attribute("Format") != Some(NAMEID_TRANSIENT) {
        return Err(ResponseError::NameIdFormat);
    }
    let name_id_qualifier =
        non_empty(name_id_node.attribute("NameQualifier")).ok_or(ResponseError::NameIdQualifier)?;

    let confirmation = one(
        subject,
        ns::SAML,
        "SubjectConfirmation",
        "SubjectConfirmation",
    )?;
    if confirmation.attribute("Method") != Some(CM_BEARER) {
        return Err(ResponseError::SubjectConfirmationMethod);
    }
    let data = one(
        confirmation,
        ns::SAML,
        "SubjectConfirmationData",
        "SubjectConfirmationData",
    )?;
    if data.attribute("Recipient") != Some(expected.acs_url) {
        return Err(ResponseError::Recipient);
    }
    if data.attribute("InResponseTo") != Some(expected.request_id) {
        return Err(ResponseError::SubjectInResponseTo);
    }
    let subject_until = utc_instant(
        data.attribute("NotOnOrAfter"),
        "SubjectConfirmationData NotOnOrAfter",
    )?;
    if !still_valid(subject_until, expected) {
        return Err(ResponseError::SubjectExpired);
    }

    let conditions = one(assertion, ns::SAML, "Conditions", "Conditions")?;
    let not_before = utc_instant(conditions.attribute("NotBefore"), "Conditions NotBefore")?;
    if not_before > later(expected.now, expected.skew) {
        return Err(ResponseError::NotYetValid);
    }
    let conditions_until = utc_instant(
        conditions.attribute("NotOnOrAfter"),
        "Conditions NotOnOrAfter",
    )?;
    if !still_valid(conditions_until, expected) {
        return Err(ResponseError::Expired);
    }
    let restriction = one(
        conditions,
        ns::SAML,
        "AudienceRestriction",
        "AudienceRestriction",
    )?;
    let audience = one(restriction, ns::SAML, "Audience", "Audience")?;
    if text(audience) != expected.sp_entity_id {
        return Err(ResponseError::Audience);
    }

    let statement = one(assertion, ns::SAML, "AuthnStatement", "AuthnStatement")?;
    let context = one(statement, ns::SAML, "AuthnContext", "AuthnContext")?;
    let class_ref = text(one(
        context,
        ns::SAML,
        "AuthnContextClassRef",
        "AuthnContextClassRef",
    )?);
    let level =
        SpidLevel::from_uri(&class_ref).ok_or(ResponseError::UnknownAuthnContext(class_ref))?;
    // Comparison="minimum", the only one we send.
    if level < expected.level {
        return Err(ResponseError::LevelTooLow {
            requested: expected.level,
            got: level,
        });
    }
    // AgID's suite leaves SessionIndex out at L2/L3; an empty one is the same as none.
    let session_index = non_empty(statement.attribute("SessionIndex")).map(str::to_owned);

    let attributes = attributes(assertion)?;

    Ok(Login {
        response_id,
        assertion_id: assertion_id.to_owned(),
        issuer,
        name_id,
        name_id_qualifier: name_id_qualifier.to_owned(),
        session_index,
        level,
        not_on_or_after: later(subject_until.min(conditions_until), expected.skew),
        attributes,
    })
}

/// The released attributes: every `AttributeStatement` must hold at least one `Attribute`, and
/// each exactly one non-empty, text-only value (SPID attributes are single-valued; accepting a
/// second value or a repeated name would leave the choice of which one counts to chance).
fn attributes(assertion: Node<'_, '_>) -> Result<BTreeMap<String, String>, ResponseError> {
    let mut out = BTreeMap::new();
    for statement in xml::children(assertion, ns::SAML, "AttributeStatement") {
        let mut any = false;
        for attribute in xml::element_children(statement) {
            if !xml::is(attribute, ns::SAML, "Attribute") {
                return Err(ResponseError::UnexpectedElement(expanded_name(attribute)));
            }
            any = true;
            let name = non_empty(attribute.attribute("Name"))
                .ok_or(ResponseError::AttributeWithoutName)?;
            let mut values = xml::children(attribute, ns::SAML, "AttributeValue");
            let value = match (values.next(), values.next()) {
                (None, _) => return Err(ResponseError::AttributeWithoutValue(name.to_owned())),
                (Some(value), None) => value,
                (Some(_), Some(_)) => {
                    return Err(ResponseError::AttributeMultipleValues(name.to_owned()));
                }
            };
            if value.children().any(|c| c.is_element()) {
                return Err(ResponseError::AttributeNotText(name.to_owned()));
            }
            let value = text(value);
            if value.is_empty() {
                return Err(ResponseError::AttributeWithoutValue(name.to_owned()));
            }
            if out.insert(name.to_owned(), value).is_some() {
                return Err(ResponseError::DuplicateAttribute(name.to_owned()));
            }
        }
        if !any {
            return Err(ResponseError::EmptyAttributeStatement);
        }
    }
    Ok(out)
}

/// The one child `{ns}local` of `node`; `what` names it in the error.
fn one<'a, 'i>(
    node: Node<'a, 'i>,
    ns: &str,
    local: &str,
    what: &'static str,
) -> Result<Node<'a, 'i>, ResponseError> {
    optional(node, ns, local, what)?.ok_or(ResponseError::Missing(what))
}

/// The child `{ns}local` of `node` if present; an error if repeated.
fn optional<'a, 'i>(
    node: Node<'a, 'i>,
    ns: &str,
    local: &str,
    what: &'static str,
) -> Result<Option<Node<'a, 'i>>, ResponseError> {
    let mut found = node.children().filter(|c| xml::is(*c, ns, local));
    match (found.next(), found.next()) {
        (first, None) => Ok(first),
        (_, Some(_)) => Err(ResponseError::Repeated(what)),
    }
}

fn text(node: Node<'_, '_>) -> String {
    xml::trimmed_string_value(node)
}

fn non_empty(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.is_empty())
}

fn expanded_name(node: Node<'_, '_>) -> String {
    match node.tag_name().namespace() {
        Some(ns) => format!("{{{ns}}}{}", node.tag_name().name()),
        None => node.tag_name().name().to_owned(),
    }
}

/// `YYYY-MM-DDThh:mm:ss(.f{1,9})?Z` only: AgID's suite sends `2018-09-04`, `2018-09-06 16:00`,
/// `2018.09.18`, `2018/09/10` and `10-09-2018` to be refused, and 6-digit fractions to be
/// accepted. An offset other than `Z` is refused too (SAML times are UTC).
fn utc_instant(value: Option<&str>, field: &'static str) -> Result<Timestamp, ResponseError> {
    let bad = || ResponseError::Timestamp {
        field,
        value: value.map(str::to_owned),
    };
    xml::parse_instant(value.ok_or_else(bad)?).ok_or_else(bad)
}

/// `[request IssueInstant − skew, now + skew]`, both ends included: AgID's suite issues its
/// responses in the same second as the request.
fn in_issue_window(issued: Timestamp, expected: &Expected<'_>) -> bool {
    let earliest = expected
        .request_instant
        .saturating_sub(expected.skew)
        .unwrap_or(Timestamp::MIN);
    earliest <= issued && issued <= later(expected.now, expected.skew)
}

/// `now < not_on_or_after + skew`.
fn still_valid(not_on_or_after: Timestamp, expected: &Expected<'_>) -> bool {
    expected.now < later(not_on_or_after, expected.skew)
}

fn later(t: Timestamp, skew: SignedDuration) -> Timestamp {
    t.saturating_add(skew).unwrap_or(Timestamp::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_timestamps() {
        for ok in [
            "2026-11-26T17:07:07Z",
            "2026-11-26T17:07:07.123456Z",
            "2026-11-26T17:07:07.1Z",
        ] {
            assert!(utc_instant(Some(ok), "t").is_ok(), "{ok}");
        }
        for bad in [
            "2018-09-04",
            "2018-09-06 16:00",
            "2018.09.18",
            "2018/09/10",
            "10-09-2018",
            "",
            "2026-11-26T17:07:07",
            "2026-11-26T17:07:07+00:00",
            "2026-11-26T17:07:07.Z",
            "2026-11-26T17:07:07.1234567890Z",
            "2026-11-26t17:07:07Z",
            "2026-13-26T17:07:07Z",
            " 2026-11-26T17:07:07Z",
        ] {
            assert!(utc_instant(Some(bad), "t").is_err(), "{bad}");
        }
        assert!(utc_instant(None, "t").is_err());
    }

    #[test]
    fn anomaly_codes() {
        for code in 19..=25 {
            assert_eq!(parse_anomaly(&format!("ErrorCode nr{code}")), Some(code));
        }
        assert_eq!(
            parse_anomaly("  ErrorCode nr22 - consenso negato "),
            Some(22)
        );
        assert_eq!(parse_anomaly("ErrorCode nr18"), None);
        assert_eq!(parse_anomaly("ErrorCode nr2"), None);
        assert_eq!(parse_anomaly("ErrorCode nr190"), None);
        assert_eq!(parse_anomaly("ErrorCode nr19x"), None);
        assert_eq!(parse_anomaly("ErrorCode nr"), None);
        assert_eq!(parse_anomaly("something else"), None);
    }

    #[test]
    fn base64_tolerates_whitespace_and_missing_padding() {
        assert_eq!(decode("PGE+\r\n PC9h Pg==").unwrap(), b"<a></a>");
        assert_eq!(decode("PGE+PC9hPg").unwrap(), b"<a></a>");
        assert!(matches!(decode("PGE+PC9hPg=!"), Err(ResponseError::Base64)));
        let huge = "A".repeat(MAX_RESPONSE_BYTES * 3);
        assert!(matches!(decode(&huge), Err(ResponseError::TooLarge(_))));
    }
}
