//! The SPID/CIE `AuthnRequest`: building ours, and parsing one on the IdP side.
//!
//! [`AuthnRequestBuilder`] writes exactly the request the SPID technical rules and AgID's
//! `spid-sp-test` want (44 checks for the redirect binding with `--extra`):
//!
//! ```xml
//! <samlp:AuthnRequest ID="_…" Version="2.0" IssueInstant="2026-01-01T10:00:00Z"
//!     Destination="{IdP SSO URL}" ForceAuthn="true"
//!     AssertionConsumerServiceIndex="0" AttributeConsumingServiceIndex="0">
//!   <saml:Issuer Format="…:nameid-format:entity" NameQualifier="{SP}">{SP}</saml:Issuer>
//!   <samlp:NameIDPolicy Format="…:nameid-format:transient"/>
//!   <samlp:RequestedAuthnContext Comparison="minimum">
//!     <saml:AuthnContextClassRef>https://www.spid.gov.it/SpidL2</saml:AuthnContextClassRef>
//!   </samlp:RequestedAuthnContext>
//! </samlp:AuthnRequest>
//! ```
//!
//! (without whitespace between elements). `ForceAuthn="true"` is always written for SpidL2 and
//! SpidL3, and for SpidL1 on request. `NameIDPolicy` has no `AllowCreate` (Avviso n.5), and there
//! is no `IsPassive`. The caller stores the [`PendingAuthnRequest`] in the browser session and
//! sends [`AuthnRequest::redirect_url`].
//!
//! [`parse_authn_request`] is the IdP side (the local test IdP): it enforces the same rules, so
//! a request our builder would not write is refused.

use jiff::Timestamp;
use roxmltree::Node;

use crate::SpidLevel;
use crate::binding::{
    self, BINDING_POST, BindingError, MessageKind, VerifiedRedirect, escape_xml, format_instant,
    parse_instant,
};
use crate::dsig::{self, DsigError};
use crate::keys::{Certificate, PublicKey, SigningKey};
use crate::metadata::NAMEID_TRANSIENT;
use crate::xml::{self, Limits, XmlError, ns};

pub const NAMEID_ENTITY: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity";

#[derive(Debug, thiserror::Error)]
pub enum AuthnRequestError {
    #[error(transparent)]
    Xml(#[from] XmlError),
    #[error("the document is not a samlp:AuthnRequest")]
    NotAuthnRequest,
    #[error("{0} is missing")]
    Missing(&'static str),
    #[error("invalid {field}: {value:?}")]
    Invalid { field: &'static str, value: String },
    #[error("unexpected element {0} in AuthnRequest")]
    UnexpectedElement(String),
    #[error("IsPassive is not allowed in SPID")]
    IsPassive,
    #[error("NameIDPolicy must not carry AllowCreate (SPID Avviso n.5)")]
    AllowCreate,
    #[error("ForceAuthn must be true when SpidL2 or SpidL3 is requested")]
    ForceAuthnRequired,
    #[error("AssertionConsumerServiceIndex and AssertionConsumerServiceURL are exclusive")]
    AmbiguousAcs,
    #[error("the request's signature is invalid: {0}")]
    Signature(#[from] DsigError),
    #[error(transparent)]
    Binding(#[from] BindingError),
    #[error("no randomness available: {0}")]
    Random(String),
}

/// `RequestedAuthnContext/@Comparison`. SPID SPs use [`Comparison::Minimum`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Comparison {
    Exact,
    Minimum,
    Better,
    Maximum,
}

impl Comparison {
    pub fn as_str(self) -> &'static str {
        match self {
            Comparison::Exact => "exact",
            Comparison::Minimum => "minimum",
            Comparison::Better => "better",
            Comparison::Maximum => "maximum",
        }
    }

    pub fn from_name(s: &str) -> Option<Self> {
        [
            Comparison::Exact,
            Comparison::Minimum,
            Comparison::Better,
            Comparison::Maximum,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

/// What the caller keeps (in the browser session, one-shot) to validate the response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingAuthnRequest {
    /// The request `ID`: the response's `InResponseTo`.
    pub id: String,
    /// `IssueInstant`, whole seconds: nothing in the response may be older.
    pub issue_instant: Timestamp,
    /// The IdP SSO URL the request was sent to.
    pub destination: String,
    /// The level requested (with `Comparison="minimum"`).
    pub level: SpidLevel,
    pub force_authn: bool,
}

/// Builds our AuthnRequests. Defaults: ACS index 0, AttributeConsumingService index 0,
/// `Comparison="minimum"`, `ForceAuthn` only for SpidL2/L3.
#[derive(Debug, Clone)]
pub struct AuthnRequestBuilder {
    sp_entity_id: String,
    destination: String,
    level: SpidLevel,
    force_authn: bool,
    acs_index: u16,
    attribute_index: u16,
    comparison: Comparison,
}

impl AuthnRequestBuilder {
    /// A request from `sp_entity_id` to the IdP SSO endpoint `destination` (its HTTP-Redirect
    /// `Location`, see [`crate::metadata::IdentityProvider::sso_redirect`]).
    pub fn new(
        sp_entity_id: impl Into<String>,
        destination: impl Into<String>,
        level: SpidLevel,
    ) -> Self {
        Self {
            sp_entity_id: sp_entity_id.into(),
            destination: destination.into(),
            level,
            force_authn: false,
            acs_index: 0,
            attribute_index: 0,
            comparison: Comparison::Minimum,
        }
    }

    /// Ask for a fresh authentication even at SpidL1 (a service that wants the user to
    /// re-enter credentials). SpidL2 and SpidL3 always force it.
    pub fn force_authn(mut self, force: bool) -> Self {
        self.force_authn = force;
        self
    }

    pub fn acs_index(mut self, index: u16) -> Self {
        self.acs_index = index;
        self
    }

    /// Which `AttributeConsumingService` of our metadata to use.
    pub fn attribute_index(mut self, index: u16) -> Self {
        self.attribute_index = index;
        self
    }

    pub fn comparison(mut self, comparison: Comparison) -> Self {
        self.comparison = comparison;
        self
    }

    /// A request with a fresh random `ID`, issued now.
    pub fn build(&self) -> Result<AuthnRequest, AuthnRequestError> {
        let id = binding::new_message_id().map_err(AuthnRequestError::Random)?;
        self.build_with(&id, Timestamp::now())
    }

    /// A request with the given `ID` and `IssueInstant` (tests; `now` is cut to whole seconds).
    pub fn build_with(&self, id: &str, now: Timestamp) -> Result<AuthnRequest, AuthnRequestError> {
        let invalid = |field: &'static str, value: &str| AuthnRequestError::Invalid {
            field,
            value: value.to_owned(),
        };
        if !is_xml_id(id) {
            return Err(invalid("ID", id));
        }
        if self.sp_entity_id.trim().is_empty() {
            return Err(AuthnRequestError::Missing("Issuer"));
        }
        if !(self.destination.starts_with("https://") || self.destination.starts_with("http://")) {
            return Err(invalid("Destination", &self.destination));
        }
        let issue_instant = Timestamp::from_second(now.as_second())
            .map_err(|_| invalid("IssueInstant", &now.to_string()))?;
        let force_authn = self.force_authn || self.level.forces_authn();
        let sp = escape_xml(&self.sp_entity_id);
        let xml = format!(
            concat!(
                r#"<samlp:AuthnRequest xmlns:samlp="{samlp}" xmlns:saml="{saml}" ID="{id}" Version="2.0" IssueInstant="{instant}" Destination="{dest}"{force} AssertionConsumerServiceIndex="{acs}" AttributeConsumingServiceIndex="{attrs}">"#,
                r#"<saml:Issuer Format="{entity}" NameQualifier="{sp}">{sp}</saml:Issuer>"#,
                r#"<samlp:NameIDPolicy Format="{transient}"/>"#,
                r#"<samlp:RequestedAuthnContext Comparison="{comparison}"><saml:AuthnContextClassRef>{level}</saml:AuthnContextClassRef></samlp:RequestedAuthnContext>"#,
                r#"</samlp:AuthnRequest>"#,
            ),
            samlp = ns::SAMLP,
            saml = ns::SAML,
            id = id,
            instant = format_instant(issue_instant),
            dest = escape_xml(&self.destination),
            force = if force_authn {
                r#" ForceAuthn="true""#
            } else {
                ""
            },
            acs = self.acs_index,
            attrs = self.attribute_index,
            entity = NAMEID_ENTITY,
            sp = sp,
            transient = NAMEID_TRANSIENT,
            comparison = self.comparison.as_str(),
            level = self.level.uri(),
        );
        Ok(AuthnRequest {
            pending: PendingAuthnRequest {
                id: id.to_owned(),
                issue_instant,
                destination: self.destination.clone(),
                level: self.level,
                force_authn,
            },
            xml,
        })
    }
}

/// A built AuthnRequest, not yet sent.
#[derive(Debug, Clone)]
pub struct AuthnRequest {
    pending: PendingAuthnRequest,
    xml: String,
}

impl AuthnRequest {
    /// The unsigned XML (for the SPID trace log).
    pub fn xml(&self) -> &str {
        &self.xml
    }

    pub fn pending(&self) -> &PendingAuthnRequest {
        &self.pending
    }

    pub fn into_pending(self) -> PendingAuthnRequest {
        self.pending
    }

    /// The HTTP-Redirect `Location`: the IdP SSO URL with `SAMLRequest`, `RelayState` (opaque:
    /// see [`binding::new_relay_state`]), `SigAlg` and `Signature`.
    pub fn redirect_url(
        &self,
        relay_state: &str,
        key: &SigningKey,
    ) -> Result<String, AuthnRequestError> {
        Ok(binding::redirect_url(
            &self.pending.destination,
            MessageKind::Request,
            &self.xml,
            Some(relay_state),
            key,
        )?)
    }

    /// The request with an enveloped signature after `Issuer`, for the HTTP-POST binding
    /// (base64 it with [`binding::encode_post`]).
    pub fn signed_xml(
        &self,
        key: &SigningKey,
        cert: &Certificate,
    ) -> Result<String, AuthnRequestError> {
        Ok(dsig::sign_enveloped(
            &self.xml,
            &self.pending.id,
            key,
            cert,
        )?)
    }
}

/// An xs:ID we are willing to write and read: a letter or `_` first, then letters, digits,
/// `_`, `-`, `.`; at most 256 characters.
pub(crate) fn is_xml_id(id: &str) -> bool {
    let mut chars = id.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && id.len() <= 256
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

// ---------------------------------------------------------------------------------------------
// IdP side

/// How the request names the AssertionConsumerService.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AcsRef {
    /// `AssertionConsumerServiceIndex` (what SPID prefers and we send).
    Index(u16),
    /// `AssertionConsumerServiceURL` with `ProtocolBinding` HTTP-POST.
    Url(String),
}

/// An AuthnRequest as an IdP reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedAuthnRequest {
    pub id: String,
    pub issue_instant: Timestamp,
    /// The SP's entityID (`saml:Issuer`).
    pub issuer: String,
    pub destination: String,
    pub acs: AcsRef,
    pub attribute_index: u16,
    pub level: SpidLevel,
    pub comparison: Comparison,
    pub force_authn: bool,
}

/// Parse and check an AuthnRequest the way a SPID IdP must (structure and values only: the
/// signature is checked by the binding, see [`parse_redirect_authn_request`] and
/// [`parse_signed_authn_request`]). The caller still compares `destination` with its own SSO
/// URL, `issuer` with a known SP, and the ACS with that SP's metadata.
pub fn parse_authn_request(text: &str) -> Result<ParsedAuthnRequest, AuthnRequestError> {
    let doc = xml::parse(text, &Limits::MESSAGE)?;
    parse_root(doc.root_element())
}

/// A redirect-bound request whose signature already verified with the SP's metadata keys.
pub fn parse_redirect_authn_request(
    message: &VerifiedRedirect,
) -> Result<ParsedAuthnRequest, AuthnRequestError> {
    if message.kind() != MessageKind::Request {
        return Err(AuthnRequestError::NotAuthnRequest);
    }
    parse_authn_request(message.xml())
}

/// A POST-bound request: its enveloped signature is verified with `sp_keys`, and the values are
/// read from the verified canonical octets only.
pub fn parse_signed_authn_request(
    text: &str,
    sp_keys: &[PublicKey],
) -> Result<ParsedAuthnRequest, AuthnRequestError> {
    let doc = xml::parse(text, &Limits::MESSAGE)?;
    let root = doc.root_element();
    if !xml::is(root, ns::SAMLP, "AuthnRequest") {
        return Err(AuthnRequestError::NotAuthnRequest);
    }
    let verified = dsig::verify_enveloped(root, sp_keys)?;
    let signed = verified.document()?;
    parse_root(signed.root_element())
}

/// The schema order of the AuthnRequest children we accept.
const CHILD_ORDER: [(&str, &str); 8] = [
    (ns::SAML, "Issuer"),
    (ns::DS, "Signature"),
    (ns::SAMLP, "Extensions"),
    (ns::SAML, "Subject"),
    (ns::SAMLP, "NameIDPolicy"),
    (ns::SAML, "Conditions"),
    (ns::SAMLP, "RequestedAuthnContext"),
    (ns::SAMLP, "Scoping"),
];

fn parse_root(root: Node<'_, '_>) -> Result<ParsedAuthnRequest, AuthnRequestError> {
    let invalid = |field: &'static str, value: &str| AuthnRequestError::Invalid {
        field,
        value: value.to_owned(),
    };
    if !xml::is(root, ns::SAMLP, "AuthnRequest") {
        return Err(AuthnRequestError::NotAuthnRequest);
    }
    // Children: known ones, each at most once, in schema order; no text.
    let mut last = 0;
    for child in root.children() {
        if child.is_text() && !child.text().unwrap_or_default().trim().is_empty() {
            return Err(AuthnRequestError::UnexpectedElement("text".into()));
        }
        if !child.is_element() {
            continue;
        }
        let position = CHILD_ORDER
            .iter()
            .position(|(n, l)| xml::is(child, n, l))
            .ok_or_else(|| {
                AuthnRequestError::UnexpectedElement(child.tag_name().name().to_owned())
            })?;
        if position < last || (position == last && last_seen(root, child)) {
            return Err(AuthnRequestError::UnexpectedElement(format!(
                "{} (repeated or out of order)",
                child.tag_name().name()
            )));
        }
        last = position;
    }

    let id = required(root, "ID")?;
    if !is_xml_id(id) {
        return Err(invalid("ID", id));
    }
    let version = required(root, "Version")?;
    if version != "2.0" {
        return Err(invalid("Version", version));
    }
    let instant_text = required(root, "IssueInstant")?;
    let issue_instant =
        parse_instant(instant_text).ok_or_else(|| invalid("IssueInstant", instant_text))?;
    let destination = required(root, "Destination")?.to_owned();
    if root.attribute("IsPassive").is_some() {
        return Err(AuthnRequestError::IsPassive);
    }
    let force_authn = match root.attribute("ForceAuthn") {
        None => false,
        Some("true" | "1") => true,
        Some("false" | "0") => false,
        Some(other) => return Err(invalid("ForceAuthn", other)),
    };

    let acs = match (
        root.attribute("AssertionConsumerServiceIndex"),
        root.attribute("AssertionConsumerServiceURL"),
    ) {
        (Some(index), None) => AcsRef::Index(
            index
                .parse::<u16>()
                .map_err(|_| invalid("AssertionConsumerServiceIndex", index))?,
        ),
        (None, Some(url)) => {
            match root.attribute("ProtocolBinding") {
                Some(BINDING_POST) => {}
                Some(other) => return Err(invalid("ProtocolBinding", other)),
                None => return Err(AuthnRequestError::Missing("ProtocolBinding")),
            }
            if url.is_empty() {
                return Err(invalid("AssertionConsumerServiceURL", url));
            }
            AcsRef::Url(url.to_owned())
        }
        (Some(_), Some(_)) => return Err(AuthnRequestError::AmbiguousAcs),
        (None, None) => return Err(AuthnRequestError::Missing("AssertionConsumerServiceIndex")),
    };
    let attribute_text = required(root, "AttributeConsumingServiceIndex")?;
    let attribute_index = attribute_text
        .parse::<u16>()
        .map_err(|_| invalid("AttributeConsumingServiceIndex", attribute_text))?;

    let issuer_node = xml::optional_child(root, ns::SAML, "Issuer")?
        .ok_or(AuthnRequestError::Missing("Issuer"))?;
    let issuer = text(issuer_node);
    if issuer.is_empty() {
        return Err(AuthnRequestError::Missing("Issuer"));
    }
    match issuer_node.attribute("Format") {
        Some(NAMEID_ENTITY) => {}
        Some(other) => return Err(invalid("Issuer Format", other)),
        None => return Err(AuthnRequestError::Missing("Issuer Format")),
    }
    if issuer_node
        .attribute("NameQualifier")
        .is_none_or(|q| q.trim().is_empty())
    {
        return Err(AuthnRequestError::Missing("Issuer NameQualifier"));
    }

    let policy = xml::optional_child(root, ns::SAMLP, "NameIDPolicy")?
        .ok_or(AuthnRequestError::Missing("NameIDPolicy"))?;
    match policy.attribute("Format") {
        Some(NAMEID_TRANSIENT) => {}
        Some(other) => return Err(invalid("NameIDPolicy Format", other)),
        None => return Err(AuthnRequestError::Missing("NameIDPolicy Format")),
    }
    if policy.attribute("AllowCreate").is_some() {
        return Err(AuthnRequestError::AllowCreate);
    }

    if let Some(conditions) = xml::optional_child(root, ns::SAML, "Conditions")? {
        for attr in ["NotBefore", "NotOnOrAfter"] {
            if let Some(v) = conditions.attribute(attr)
                && parse_instant(v).is_none()
            {
                return Err(invalid("Conditions", v));
            }
        }
    }

    let context = xml::optional_child(root, ns::SAMLP, "RequestedAuthnContext")?
        .ok_or(AuthnRequestError::Missing("RequestedAuthnContext"))?;
    let comparison_text = context
        .attribute("Comparison")
        .ok_or(AuthnRequestError::Missing("Comparison"))?;
    let comparison = Comparison::from_name(comparison_text)
        .ok_or_else(|| invalid("Comparison", comparison_text))?;
    if xml::element_children(context).count() != 1 {
        return Err(invalid(
            "RequestedAuthnContext",
            "exactly one AuthnContextClassRef is required",
        ));
    }
    let class_ref = xml::only_child(context, ns::SAML, "AuthnContextClassRef")?;
    let level_text = text(class_ref);
    let level = SpidLevel::from_uri(&level_text)
        .ok_or_else(|| invalid("AuthnContextClassRef", &level_text))?;
    if level.forces_authn()
        && matches!(comparison, Comparison::Minimum | Comparison::Exact)
        && !force_authn
    {
        return Err(AuthnRequestError::ForceAuthnRequired);
    }

    Ok(ParsedAuthnRequest {
        id: id.to_owned(),
        issue_instant,
        issuer,
        destination,
        acs,
        attribute_index,
        level,
        comparison,
        force_authn,
    })
}

/// Whether an earlier sibling of `child` has the same expanded name.
fn last_seen(root: Node<'_, '_>, child: Node<'_, '_>) -> bool {
    root.children()
        .take_while(|c| *c != child)
        .any(|c| c.is_element() && c.tag_name() == child.tag_name())
}

fn required<'a>(node: Node<'a, '_>, name: &'static str) -> Result<&'a str, AuthnRequestError> {
    match node.attribute(name) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(AuthnRequestError::Missing(name)),
    }
}

fn text(node: Node<'_, '_>) -> String {
    xml::trimmed_string_value(node)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SP: &str = "https://servizi.comune.esempio.it/spid/metadata";
    const SSO: &str = "https://localhost:8443/samlsso";

    fn at() -> Timestamp {
        "2026-11-26T10:00:00.750Z".parse().unwrap()
    }

    #[test]
    fn builds_the_spid_shape_exactly() {
        let req = AuthnRequestBuilder::new(SP, SSO, SpidLevel::L2)
            .build_with("_0123456789abcdef0123456789abcdef", at())
            .unwrap();
        let expected = concat!(
            r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_0123456789abcdef0123456789abcdef" Version="2.0" IssueInstant="2026-11-26T10:00:00Z" Destination="https://localhost:8443/samlsso" ForceAuthn="true" AssertionConsumerServiceIndex="0" AttributeConsumingServiceIndex="0">"#,
            r#"<saml:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity" NameQualifier="https://servizi.comune.esempio.it/spid/metadata">https://servizi.comune.esempio.it/spid/metadata</saml:Issuer>"#,
            r#"<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:2.0:nameid-format:transient"/>"#,
            r#"<samlp:RequestedAuthnContext Comparison="minimum"><saml:AuthnContextClassRef>https://www.spid.gov.it/SpidL2</saml:AuthnContextClassRef></samlp:RequestedAuthnContext>"#,
            r#"</samlp:AuthnRequest>"#
        );
        assert_eq!(req.xml(), expected);
        let p = req.pending();
        assert_eq!(p.issue_instant.as_second(), at().as_second());
        assert_eq!(p.issue_instant.subsec_nanosecond(), 0);
        assert!(p.force_authn);
    }

    #[test]
    fn force_authn_follows_the_level() {
        let l1 = AuthnRequestBuilder::new(SP, SSO, SpidLevel::L1)
            .build()
            .unwrap();
        assert!(!l1.xml().contains("ForceAuthn"));
        assert!(!l1.pending().force_authn);
        let l1_forced = AuthnRequestBuilder::new(SP, SSO, SpidLevel::L1)
            .force_authn(true)
            .build()
            .unwrap();
        assert!(l1_forced.xml().contains(r#"ForceAuthn="true""#));
        let l3 = AuthnRequestBuilder::new(SP, SSO, SpidLevel::L3)
            .build()
            .unwrap();
        assert!(l3.xml().contains(r#"ForceAuthn="true""#));
    }

    #[test]
    fn ids_are_random_and_xml_ids() {
        let a = AuthnRequestBuilder::new(SP, SSO, SpidLevel::L1)
            .build()
            .unwrap();
        let b = AuthnRequestBuilder::new(SP, SSO, SpidLevel::L1)
            .build()
            .unwrap();
        assert_ne!(a.pending().id, b.pending().id);
        assert_eq!(a.pending().id.len(), 33);
        assert!(a.pending().id.starts_with('_'));
        assert!(is_xml_id(&a.pending().id));
        assert!(!is_xml_id("1abc"));
        assert!(!is_xml_id("_a\"b"));
    }

    #[test]
    fn parse_round_trip() {
        let req = AuthnRequestBuilder::new(SP, SSO, SpidLevel::L3)
            .attribute_index(2)
            .build_with("_abc", at())
            .unwrap();
        let parsed = parse_authn_request(req.xml()).unwrap();
        assert_eq!(
            parsed,
            ParsedAuthnRequest {
                id: "_abc".into(),
                issue_instant: req.pending().issue_instant,
                issuer: SP.into(),
                destination: SSO.into(),
                acs: AcsRef::Index(0),
                attribute_index: 2,
                level: SpidLevel::L3,
                comparison: Comparison::Minimum,
                force_authn: true,
            }
        );
    }

    fn mutate(from: &str, to: &str) -> Result<ParsedAuthnRequest, AuthnRequestError> {
        let req = AuthnRequestBuilder::new(SP, SSO, SpidLevel::L2)
            .build_with("_abc", at())
            .unwrap();
        assert!(req.xml().contains(from), "{from}");
        parse_authn_request(&req.xml().replacen(from, to, 1))
    }

    #[test]
    fn parser_is_strict() {
        use AuthnRequestError as E;
        assert!(matches!(
            mutate(r#" ForceAuthn="true""#, ""),
            Err(E::ForceAuthnRequired)
        ));
        assert!(matches!(
            mutate(r#"Version="2.0""#, r#"Version="1.1""#),
            Err(E::Invalid {
                field: "Version",
                ..
            })
        ));
        assert!(matches!(
            mutate("2026-11-26T10:00:00Z", "2026-11-26 10:00"),
            Err(E::Invalid {
                field: "IssueInstant",
                ..
            })
        ));
        assert!(matches!(
            mutate(
                r#"ForceAuthn="true""#,
                r#"ForceAuthn="true" IsPassive="false""#
            ),
            Err(E::IsPassive)
        ));
        assert!(matches!(
            mutate(
                "nameid-format:transient\"/>",
                "nameid-format:transient\" AllowCreate=\"true\"/>"
            ),
            Err(E::AllowCreate)
        ));
        assert!(matches!(
            mutate(
                "https://www.spid.gov.it/SpidL2",
                "urn:oasis:names:tc:SAML:2.0:ac:classes:SpidL2"
            ),
            Err(E::Invalid {
                field: "AuthnContextClassRef",
                ..
            })
        ));
        assert!(matches!(
            mutate(r#"Comparison="minimum""#, ""),
            Err(E::Missing("Comparison"))
        ));
        assert!(matches!(
            mutate(r#" AttributeConsumingServiceIndex="0""#, ""),
            Err(E::Missing("AttributeConsumingServiceIndex"))
        ));
        assert!(matches!(
            mutate(
                r#"AssertionConsumerServiceIndex="0""#,
                r#"AssertionConsumerServiceIndex="0" AssertionConsumerServiceURL="https://sp/acs""#
            ),
            Err(E::AmbiguousAcs)
        ));
        assert!(matches!(
            mutate(
                r#"AssertionConsumerServiceIndex="0""#,
                r#"AssertionConsumerServiceURL="https://sp/acs""#
            ),
            Err(E::Missing("ProtocolBinding"))
        ));
        let url = mutate(
            r#"AssertionConsumerServiceIndex="0""#,
            &format!(
                r#"AssertionConsumerServiceURL="https://sp/acs" ProtocolBinding="{BINDING_POST}""#
            ),
        )
        .unwrap();
        assert_eq!(url.acs, AcsRef::Url("https://sp/acs".into()));
        assert!(matches!(
            mutate(
                r#" Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity""#,
                ""
            ),
            Err(E::Missing("Issuer Format"))
        ));
        assert!(matches!(
            mutate("<samlp:NameIDPolicy", "<saml:Foo/><samlp:NameIDPolicy"),
            Err(E::UnexpectedElement(_))
        ));
        // RequestedAuthnContext before NameIDPolicy: out of schema order.
        let req = AuthnRequestBuilder::new(SP, SSO, SpidLevel::L2)
            .build_with("_abc", at())
            .unwrap();
        let xml = req.xml();
        let (a, b) = (
            xml.find("<samlp:NameIDPolicy").unwrap(),
            xml.find("<samlp:RequestedAuthnContext").unwrap(),
        );
        let end = xml.find("</samlp:AuthnRequest>").unwrap();
        let swapped = format!("{}{}{}{}", &xml[..a], &xml[b..end], &xml[a..b], &xml[end..]);
        assert!(matches!(
            parse_authn_request(&swapped),
            Err(E::UnexpectedElement(_))
        ));
        // The level with Comparison=better does not need ForceAuthn.
        assert!(
            mutate(r#"Comparison="minimum""#, r#"Comparison="better""#)
                .is_ok_and(|p| p.comparison == Comparison::Better)
        );
        assert!(mutate("samlp:AuthnRequest ", "samlp:LogoutRequest ").is_err());
    }
}
