//! SPID single logout (SAML SLO), both directions.
//!
//! **SP-initiated.** [`LogoutRequestBuilder`] writes our `LogoutRequest` (Issuer with entity
//! format and NameQualifier, the transient `NameID` with the `NameQualifier` the IdP gave us at
//! login, the `SessionIndex` if we got one); the caller keeps the [`PendingLogout`] and sends
//! [`LogoutRequest::redirect_url`]. The IdP answers with a `LogoutResponse`:
//! [`parse_logout_response_redirect`] takes it after [`crate::binding::RedirectQuery::verify`]
//! checked the query signature with the IdP's keys; [`parse_logout_response_post`] verifies the
//! enveloped XML signature itself with [`dsig::verify_enveloped`] and reads only the verified
//! octets. Both check `InResponseTo` (the pending request), `Destination` (our endpoint),
//! `Issuer` (the IdP), the times and the status.
//!
//! **IdP-initiated.** [`parse_logout_request_redirect`] / [`parse_logout_request_post`] read the
//! IdP's `LogoutRequest` (`NameID`, `SessionIndex`es, `NotOnOrAfter`); the caller ends the
//! matching local session ([`IncomingLogoutRequest::matches`]) and answers with
//! [`LogoutResponseBuilder`] (Success, or a failure status), sent back by redirect.
//!
//! Replay: an incoming LogoutRequest is accepted only within [`MAX_REQUEST_AGE`] of its
//! `IssueInstant`; a caller that wants strict one-time use keeps its `ID` until then.

use jiff::{SignedDuration, Timestamp};
use roxmltree::Node;

use crate::authn_request::{NAMEID_ENTITY, is_xml_id};
use crate::binding::{
    self, BindingError, MessageKind, VerifiedRedirect, escape_xml, format_instant, parse_instant,
};
use crate::dsig::{self, DsigError};
use crate::keys::{Certificate, PublicKey, SigningKey};
use crate::metadata::NAMEID_TRANSIENT;
use crate::response::{DEFAULT_SKEW, Login};
use crate::xml::{self, Limits, XmlError, ns};

pub const STATUS_SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
pub const STATUS_REQUESTER: &str = "urn:oasis:names:tc:SAML:2.0:status:Requester";
pub const STATUS_RESPONDER: &str = "urn:oasis:names:tc:SAML:2.0:status:Responder";
pub const STATUS_VERSION_MISMATCH: &str = "urn:oasis:names:tc:SAML:2.0:status:VersionMismatch";
/// Second-level status: some session participants could not be logged out.
pub const STATUS_PARTIAL_LOGOUT: &str = "urn:oasis:names:tc:SAML:2.0:status:PartialLogout";
/// Second-level status: the request was refused (e.g. unknown session).
pub const STATUS_REQUEST_DENIED: &str = "urn:oasis:names:tc:SAML:2.0:status:RequestDenied";
/// Second-level status: the principal is not known (no matching session).
pub const STATUS_UNKNOWN_PRINCIPAL: &str = "urn:oasis:names:tc:SAML:2.0:status:UnknownPrincipal";

/// How old an incoming LogoutRequest may be (plus the skew).
pub const MAX_REQUEST_AGE: SignedDuration = SignedDuration::from_mins(5);

#[derive(Debug, thiserror::Error)]
pub enum LogoutError {
    #[error(transparent)]
    Xml(#[from] XmlError),
    #[error("the message is not a samlp:{0}")]
    WrongMessage(&'static str),
    #[error("{0} is missing")]
    Missing(&'static str),
    #[error("invalid {field}: {value:?}")]
    Invalid { field: &'static str, value: String },
    #[error("unexpected element {0}")]
    UnexpectedElement(String),
    #[error("InResponseTo {found:?} is not the pending request {expected:?}")]
    InResponseTo {
        expected: String,
        found: Option<String>,
    },
    #[error("Destination {found:?} is not our endpoint {expected:?}")]
    Destination {
        expected: String,
        found: Option<String>,
    },
    #[error("Issuer {found:?} is not the IdP {expected:?}")]
    Issuer { expected: String, found: String },
    #[error("IssueInstant {0} is outside the accepted window")]
    IssueInstant(Timestamp),
    #[error("the logout request expired (NotOnOrAfter {0})")]
    Expired(Timestamp),
    #[error("the IdP answered {0}")]
    Status(LogoutStatus),
    #[error("the signature is invalid: {0}")]
    Signature(#[from] DsigError),
    #[error(transparent)]
    Binding(#[from] BindingError),
    #[error("no randomness available: {0}")]
    Random(String),
}

/// A SAML status, as sent or received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutStatus {
    /// Top-level `StatusCode/@Value` (Success, Requester, Responder, VersionMismatch).
    pub code: String,
    pub sub_code: Option<String>,
    pub message: Option<String>,
}

impl LogoutStatus {
    pub fn success() -> Self {
        Self {
            code: STATUS_SUCCESS.into(),
            sub_code: None,
            message: None,
        }
    }

    /// A failure of ours (`Responder`), e.g. with [`STATUS_PARTIAL_LOGOUT`].
    pub fn responder(sub_code: Option<&str>, message: Option<&str>) -> Self {
        Self {
            code: STATUS_RESPONDER.into(),
            sub_code: sub_code.map(str::to_owned),
            message: message.map(str::to_owned),
        }
    }

    /// A failure of the requester (`Requester`), e.g. with [`STATUS_UNKNOWN_PRINCIPAL`].
    pub fn requester(sub_code: Option<&str>, message: Option<&str>) -> Self {
        Self {
            code: STATUS_REQUESTER.into(),
            sub_code: sub_code.map(str::to_owned),
            message: message.map(str::to_owned),
        }
    }

    pub fn is_success(&self) -> bool {
        self.code == STATUS_SUCCESS
    }
}

impl std::fmt::Display for LogoutStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.code)?;
        if let Some(s) = &self.sub_code {
            write!(f, " / {s:?}")?;
        }
        if let Some(m) = &self.message {
            write!(f, " ({m:?})")?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// SP-initiated: our LogoutRequest

/// What the caller keeps until the IdP's LogoutResponse comes back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingLogout {
    pub id: String,
    pub issue_instant: Timestamp,
    /// The IdP SLO endpoint the request went to.
    pub destination: String,
}

/// Builds our LogoutRequest for a SPID session.
#[derive(Debug, Clone)]
pub struct LogoutRequestBuilder {
    sp_entity_id: String,
    destination: String,
    name_id: String,
    name_qualifier: String,
    session_index: Option<String>,
}

impl LogoutRequestBuilder {
    /// `destination` is the IdP's SLO HTTP-Redirect `Location`; `name_id` and `name_qualifier`
    /// are the assertion's `NameID` and its `NameQualifier`, exactly as received.
    pub fn new(
        sp_entity_id: impl Into<String>,
        destination: impl Into<String>,
        name_id: impl Into<String>,
        name_qualifier: impl Into<String>,
    ) -> Self {
        Self {
            sp_entity_id: sp_entity_id.into(),
            destination: destination.into(),
            name_id: name_id.into(),
            name_qualifier: name_qualifier.into(),
            session_index: None,
        }
    }

    /// The request for the session of `login` (its NameID, qualifier and SessionIndex).
    pub fn for_login(
        sp_entity_id: impl Into<String>,
        destination: impl Into<String>,
        login: &Login,
    ) -> Self {
        Self::new(
            sp_entity_id,
            destination,
            login.name_id.clone(),
            login.name_id_qualifier.clone(),
        )
        .session_index(login.session_index.clone())
    }

    /// `AuthnStatement/@SessionIndex` of the login, if the IdP sent one.
    pub fn session_index(mut self, session_index: Option<String>) -> Self {
        self.session_index = session_index;
        self
    }

    pub fn build(&self) -> Result<LogoutRequest, LogoutError> {
        let id = binding::new_message_id().map_err(LogoutError::Random)?;
        self.build_with(&id, Timestamp::now())
    }

    /// With a given `ID` and `IssueInstant` (tests).
    pub fn build_with(&self, id: &str, now: Timestamp) -> Result<LogoutRequest, LogoutError> {
        let invalid = |field: &'static str, value: &str| LogoutError::Invalid {
            field,
            value: value.to_owned(),
        };
        if !is_xml_id(id) {
            return Err(invalid("ID", id));
        }
        check_endpoint(&self.destination)?;
        if self.sp_entity_id.trim().is_empty() {
            return Err(LogoutError::Missing("Issuer"));
        }
        if self.name_id.is_empty() {
            return Err(LogoutError::Missing("NameID"));
        }
        if self.name_qualifier.is_empty() {
            return Err(LogoutError::Missing("NameID NameQualifier"));
        }
        let issue_instant = whole_seconds(now)?;
        let sp = escape_xml(&self.sp_entity_id);
        let session_index = match &self.session_index {
            Some(s) if !s.is_empty() => {
                format!("<samlp:SessionIndex>{}</samlp:SessionIndex>", escape_xml(s))
            }
            _ => String::new(),
        };
        let xml = format!(
            concat!(
                r#"<samlp:LogoutRequest xmlns:samlp="{samlp}" xmlns:saml="{saml}" ID="{id}" Version="2.0" IssueInstant="{instant}" Destination="{dest}">"#,
                r#"<saml:Issuer Format="{entity}" NameQualifier="{sp}">{sp}</saml:Issuer>"#,
                r#"<saml:NameID Format="{transient}" NameQualifier="{qualifier}">{name_id}</saml:NameID>"#,
                "{session_index}</samlp:LogoutRequest>",
            ),
            samlp = ns::SAMLP,
            saml = ns::SAML,
            id = id,
            instant = format_instant(issue_instant),
            dest = escape_xml(&self.destination),
            entity = NAMEID_ENTITY,
            sp = sp,
            transient = NAMEID_TRANSIENT,
            qualifier = escape_xml(&self.name_qualifier),
            name_id = escape_xml(&self.name_id),
            session_index = session_index,
        );
        Ok(LogoutRequest {
            pending: PendingLogout {
                id: id.to_owned(),
                issue_instant,
                destination: self.destination.clone(),
            },
            xml,
        })
    }
}

/// A built LogoutRequest.
#[derive(Debug, Clone)]
pub struct LogoutRequest {
    pending: PendingLogout,
    xml: String,
}

impl LogoutRequest {
    pub fn xml(&self) -> &str {
        &self.xml
    }

    pub fn pending(&self) -> &PendingLogout {
        &self.pending
    }

    pub fn into_pending(self) -> PendingLogout {
        self.pending
    }

    /// The signed HTTP-Redirect `Location` for the IdP's SLO endpoint.
    pub fn redirect_url(&self, relay_state: &str, key: &SigningKey) -> Result<String, LogoutError> {
        Ok(binding::redirect_url(
            &self.pending.destination,
            MessageKind::Request,
            &self.xml,
            Some(relay_state),
            key,
        )?)
    }

    /// With an enveloped signature, for the HTTP-POST binding.
    pub fn signed_xml(&self, key: &SigningKey, cert: &Certificate) -> Result<String, LogoutError> {
        Ok(dsig::sign_enveloped(
            &self.xml,
            &self.pending.id,
            key,
            cert,
        )?)
    }
}

/// What the IdP's LogoutResponse must match.
#[derive(Debug, Clone)]
pub struct ExpectedLogoutResponse<'a> {
    pub pending: &'a PendingLogout,
    pub idp_entity_id: &'a str,
    /// Our SLO endpoint URL that received the response (its `Destination`).
    pub destination: &'a str,
    pub now: Timestamp,
    pub skew: SignedDuration,
}

impl<'a> ExpectedLogoutResponse<'a> {
    pub fn new(pending: &'a PendingLogout, idp_entity_id: &'a str, destination: &'a str) -> Self {
        Self {
            pending,
            idp_entity_id,
            destination,
            now: Timestamp::now(),
            skew: DEFAULT_SKEW,
        }
    }

    pub fn at(mut self, now: Timestamp) -> Self {
        self.now = now;
        self
    }
}

/// A successful LogoutResponse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutResponseInfo {
    pub id: String,
    pub issue_instant: Timestamp,
}

/// The IdP's LogoutResponse by HTTP-Redirect, once its query signature verified with the IdP's
/// keys. A non-success status is [`LogoutError::Status`].
pub fn parse_logout_response_redirect(
    message: &VerifiedRedirect,
    expected: &ExpectedLogoutResponse<'_>,
) -> Result<LogoutResponseInfo, LogoutError> {
    read_redirect(message, MessageKind::Response, "LogoutResponse", |root| {
        check_logout_response(root, expected)
    })
}

/// The IdP's LogoutResponse by HTTP-POST (`saml_response` is the form value, base64): the
/// enveloped signature is verified with `idp_keys`, and values come from the signed octets.
pub fn parse_logout_response_post(
    saml_response: &str,
    idp_keys: &[PublicKey],
    expected: &ExpectedLogoutResponse<'_>,
) -> Result<LogoutResponseInfo, LogoutError> {
    read_signed_post(saml_response, idp_keys, "LogoutResponse", |root| {
        check_logout_response(root, expected)
    })
}

/// A redirect-bound message whose query signature already verified: the right kind, then
/// `read` on its root.
fn read_redirect<T>(
    message: &VerifiedRedirect,
    kind: MessageKind,
    element: &'static str,
    read: impl FnOnce(Node<'_, '_>) -> Result<T, LogoutError>,
) -> Result<T, LogoutError> {
    if message.kind() != kind {
        return Err(LogoutError::WrongMessage(element));
    }
    let doc = xml::parse(message.xml(), &Limits::MESSAGE)?;
    read(doc.root_element())
}

/// A POST-bound message (the base64 form value): its root must be `samlp:{element}` with an
/// enveloped signature by one of `keys`, and `read` sees only the signed octets.
fn read_signed_post<T>(
    saml_message: &str,
    keys: &[PublicKey],
    element: &'static str,
    read: impl FnOnce(Node<'_, '_>) -> Result<T, LogoutError>,
) -> Result<T, LogoutError> {
    let text = binding::decode_post(saml_message)?;
    let doc = xml::parse(&text, &Limits::MESSAGE)?;
    let root = doc.root_element();
    if !xml::is(root, ns::SAMLP, element) {
        return Err(LogoutError::WrongMessage(element));
    }
    let verified = dsig::verify_enveloped(root, keys)?;
    let signed = verified.document()?;
    read(signed.root_element())
}

fn check_logout_response(
    root: Node<'_, '_>,
    expected: &ExpectedLogoutResponse<'_>,
) -> Result<LogoutResponseInfo, LogoutError> {
    if !xml::is(root, ns::SAMLP, "LogoutResponse") {
        return Err(LogoutError::WrongMessage("LogoutResponse"));
    }
    check_children(
        root,
        &[
            (ns::SAML, "Issuer"),
            (ns::DS, "Signature"),
            (ns::SAMLP, "Extensions"),
            (ns::SAMLP, "Status"),
        ],
    )?;
    let common = common_attributes(root)?;
    let in_response_to = root.attribute("InResponseTo");
    if in_response_to != Some(expected.pending.id.as_str()) {
        return Err(LogoutError::InResponseTo {
            expected: expected.pending.id.clone(),
            found: in_response_to.map(str::to_owned),
        });
    }
    check_destination(root, expected.destination)?;
    check_issuer(root, expected.idp_entity_id)?;
    let earliest = expected.pending.issue_instant - expected.skew;
    if common.issue_instant < earliest || common.issue_instant > expected.now + expected.skew {
        return Err(LogoutError::IssueInstant(common.issue_instant));
    }
    let status = read_status(root)?;
    if !status.is_success() {
        return Err(LogoutError::Status(status));
    }
    Ok(LogoutResponseInfo {
        id: common.id,
        issue_instant: common.issue_instant,
    })
}

// ---------------------------------------------------------------------------------------------
// IdP-initiated: their LogoutRequest, our LogoutResponse

/// What an incoming LogoutRequest must match.
#[derive(Debug, Clone)]
pub struct ExpectedLogoutRequest<'a> {
    pub idp_entity_id: &'a str,
    /// Our SLO endpoint URL that received the request.
    pub destination: &'a str,
    pub now: Timestamp,
    pub skew: SignedDuration,
}

impl<'a> ExpectedLogoutRequest<'a> {
    pub fn new(idp_entity_id: &'a str, destination: &'a str) -> Self {
        Self {
            idp_entity_id,
            destination,
            now: Timestamp::now(),
            skew: DEFAULT_SKEW,
        }
    }

    pub fn at(mut self, now: Timestamp) -> Self {
        self.now = now;
        self
    }
}

/// A LogoutRequest from the IdP, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingLogoutRequest {
    pub id: String,
    pub issue_instant: Timestamp,
    pub issuer: String,
    pub destination: String,
    pub name_id: String,
    pub name_qualifier: Option<String>,
    /// Zero or more `SessionIndex`: none means every session of the NameID.
    pub session_indexes: Vec<String>,
    pub not_on_or_after: Option<Timestamp>,
    /// `Reason` attribute, if any (e.g. `urn:oasis:names:tc:SAML:2.0:logout:user`).
    pub reason: Option<String>,
}

impl IncomingLogoutRequest {
    /// Whether the request ends a local session opened with this NameID and SessionIndex.
    pub fn matches(&self, name_id: &str, session_index: Option<&str>) -> bool {
        self.name_id == name_id
            && (self.session_indexes.is_empty()
                || session_index.is_some_and(|s| self.session_indexes.iter().any(|i| i == s)))
    }
}

/// The IdP's LogoutRequest by HTTP-Redirect, once its query signature verified with the IdP's
/// keys (choose them with [`crate::binding::RedirectQuery::claimed_issuer`]).
pub fn parse_logout_request_redirect(
    message: &VerifiedRedirect,
    expected: &ExpectedLogoutRequest<'_>,
) -> Result<IncomingLogoutRequest, LogoutError> {
    read_redirect(message, MessageKind::Request, "LogoutRequest", |root| {
        check_logout_request(root, expected)
    })
}

/// The IdP's LogoutRequest by HTTP-POST (`saml_request` is the form value, base64), its
/// enveloped signature verified with `idp_keys`.
pub fn parse_logout_request_post(
    saml_request: &str,
    idp_keys: &[PublicKey],
    expected: &ExpectedLogoutRequest<'_>,
) -> Result<IncomingLogoutRequest, LogoutError> {
    read_signed_post(saml_request, idp_keys, "LogoutRequest", |root| {
        check_logout_request(root, expected)
    })
}

fn check_logout_request(
    root: Node<'_, '_>,
    expected: &ExpectedLogoutRequest<'_>,
) -> Result<IncomingLogoutRequest, LogoutError> {
    if !xml::is(root, ns::SAMLP, "LogoutRequest") {
        return Err(LogoutError::WrongMessage("LogoutRequest"));
    }
    check_children(
        root,
        &[
            (ns::SAML, "Issuer"),
            (ns::DS, "Signature"),
            (ns::SAMLP, "Extensions"),
            (ns::SAML, "NameID"),
            (ns::SAMLP, "SessionIndex"),
        ],
    )?;
    let common = common_attributes(root)?;
    let destination = check_destination(root, expected.destination)?;
    let issuer = check_issuer(root, expected.idp_entity_id)?;
    let oldest = expected.now - MAX_REQUEST_AGE - expected.skew;
    if common.issue_instant < oldest || common.issue_instant > expected.now + expected.skew {
        return Err(LogoutError::IssueInstant(common.issue_instant));
    }
    let not_on_or_after = match root.attribute("NotOnOrAfter") {
        None => None,
        Some(v) => {
            let t = parse_instant(v).ok_or_else(|| LogoutError::Invalid {
                field: "NotOnOrAfter",
                value: v.to_owned(),
            })?;
            if expected.now >= t + expected.skew {
                return Err(LogoutError::Expired(t));
            }
            Some(t)
        }
    };
    let name_id_node =
        xml::optional_child(root, ns::SAML, "NameID")?.ok_or(LogoutError::Missing("NameID"))?;
    let name_id = text(name_id_node);
    if name_id.is_empty() {
        return Err(LogoutError::Missing("NameID"));
    }
    let session_indexes: Vec<String> = xml::children(root, ns::SAMLP, "SessionIndex")
        .map(text)
        .filter(|s| !s.is_empty())
        .collect();
    Ok(IncomingLogoutRequest {
        id: common.id,
        issue_instant: common.issue_instant,
        issuer,
        destination,
        name_id,
        name_qualifier: name_id_node.attribute("NameQualifier").map(str::to_owned),
        session_indexes,
        not_on_or_after,
        reason: root.attribute("Reason").map(str::to_owned),
    })
}

/// Builds our LogoutResponse to an IdP-initiated LogoutRequest.
#[derive(Debug, Clone)]
pub struct LogoutResponseBuilder {
    sp_entity_id: String,
    destination: String,
    in_response_to: String,
    status: LogoutStatus,
}

impl LogoutResponseBuilder {
    /// `destination` is the IdP's SLO `ResponseLocation`, else `Location`
    /// ([`crate::metadata::Endpoint::response_url`]); `in_response_to` the request's `ID`.
    /// The status is Success until [`LogoutResponseBuilder::status`] says otherwise.
    pub fn new(
        sp_entity_id: impl Into<String>,
        destination: impl Into<String>,
        in_response_to: impl Into<String>,
    ) -> Self {
        Self {
            sp_entity_id: sp_entity_id.into(),
            destination: destination.into(),
            in_response_to: in_response_to.into(),
            status: LogoutStatus::success(),
        }
    }

    pub fn status(mut self, status: LogoutStatus) -> Self {
        self.status = status;
        self
    }

    pub fn build(&self) -> Result<LogoutResponse, LogoutError> {
        let id = binding::new_message_id().map_err(LogoutError::Random)?;
        self.build_with(&id, Timestamp::now())
    }

    pub fn build_with(&self, id: &str, now: Timestamp) -> Result<LogoutResponse, LogoutError> {
        if !is_xml_id(id) {
            return Err(LogoutError::Invalid {
                field: "ID",
                value: id.to_owned(),
            });
        }
        if !is_xml_id(&self.in_response_to) {
            return Err(LogoutError::Invalid {
                field: "InResponseTo",
                value: self.in_response_to.clone(),
            });
        }
        check_endpoint(&self.destination)?;
        if self.status.code.is_empty() {
            return Err(LogoutError::Missing("StatusCode"));
        }
        let issue_instant = whole_seconds(now)?;
        let sp = escape_xml(&self.sp_entity_id);
        let status_code = match &self.status.sub_code {
            Some(sub) => format!(
                r#"<samlp:StatusCode Value="{}"><samlp:StatusCode Value="{}"/></samlp:StatusCode>"#,
                escape_xml(&self.status.code),
                escape_xml(sub)
            ),
            None => format!(
                r#"<samlp:StatusCode Value="{}"/>"#,
                escape_xml(&self.status.code)
            ),
        };
        let status_message = self
            .status
            .message
            .as_ref()
            .map(|m| {
                format!(
                    "<samlp:StatusMessage>{}</samlp:StatusMessage>",
                    escape_xml(m)
                )
            })
            .unwrap_or_default();
        let xml = format!(
            concat!(
                r#"<samlp:LogoutResponse xmlns:samlp="{samlp}" xmlns:saml="{saml}" ID="{id}" Version="2.0" IssueInstant="{instant}" Destination="{dest}" InResponseTo="{irt}">"#,
                r#"<saml:Issuer Format="{entity}" NameQualifier="{sp}">{sp}</saml:Issuer>"#,
                "<samlp:Status>{code}{message}</samlp:Status></samlp:LogoutResponse>",
            ),
            samlp = ns::SAMLP,
            saml = ns::SAML,
            id = id,
            instant = format_instant(issue_instant),
            dest = escape_xml(&self.destination),
            irt = self.in_response_to,
            entity = NAMEID_ENTITY,
            sp = sp,
            code = status_code,
            message = status_message,
        );
        Ok(LogoutResponse {
            id: id.to_owned(),
            destination: self.destination.clone(),
            xml,
        })
    }
}

/// A built LogoutResponse.
#[derive(Debug, Clone)]
pub struct LogoutResponse {
    id: String,
    destination: String,
    xml: String,
}

impl LogoutResponse {
    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn xml(&self) -> &str {
        &self.xml
    }

    /// The signed HTTP-Redirect `Location` (`SAMLResponse`). Echo the request's `RelayState`.
    pub fn redirect_url(
        &self,
        relay_state: Option<&str>,
        key: &SigningKey,
    ) -> Result<String, LogoutError> {
        Ok(binding::redirect_url(
            &self.destination,
            MessageKind::Response,
            &self.xml,
            relay_state,
            key,
        )?)
    }

    /// With an enveloped signature, for the HTTP-POST binding.
    pub fn signed_xml(&self, key: &SigningKey, cert: &Certificate) -> Result<String, LogoutError> {
        Ok(dsig::sign_enveloped(&self.xml, &self.id, key, cert)?)
    }
}

// ---------------------------------------------------------------------------------------------
// Shared checks

struct Common {
    id: String,
    issue_instant: Timestamp,
}

fn common_attributes(root: Node<'_, '_>) -> Result<Common, LogoutError> {
    let id = root.attribute("ID").ok_or(LogoutError::Missing("ID"))?;
    if !is_xml_id(id) {
        return Err(LogoutError::Invalid {
            field: "ID",
            value: id.to_owned(),
        });
    }
    match root.attribute("Version") {
        Some("2.0") => {}
        Some(v) => {
            return Err(LogoutError::Invalid {
                field: "Version",
                value: v.to_owned(),
            });
        }
        None => return Err(LogoutError::Missing("Version")),
    }
    let instant = root
        .attribute("IssueInstant")
        .ok_or(LogoutError::Missing("IssueInstant"))?;
    let issue_instant = parse_instant(instant).ok_or_else(|| LogoutError::Invalid {
        field: "IssueInstant",
        value: instant.to_owned(),
    })?;
    Ok(Common {
        id: id.to_owned(),
        issue_instant,
    })
}

/// `Destination` is required (SAML Bindings §3.4.5.2 for signed redirect messages) and must be
/// the endpoint that received the message.
fn check_destination(root: Node<'_, '_>, expected: &str) -> Result<String, LogoutError> {
    match root.attribute("Destination") {
        Some(d) if d == expected => Ok(d.to_owned()),
        found => Err(LogoutError::Destination {
            expected: expected.to_owned(),
            found: found.map(str::to_owned),
        }),
    }
}

/// `Issuer` must be the IdP; its `Format`, if given, the entity format.
fn check_issuer(root: Node<'_, '_>, expected: &str) -> Result<String, LogoutError> {
    let issuer =
        xml::optional_child(root, ns::SAML, "Issuer")?.ok_or(LogoutError::Missing("Issuer"))?;
    if let Some(format) = issuer.attribute("Format")
        && format != NAMEID_ENTITY
    {
        return Err(LogoutError::Invalid {
            field: "Issuer Format",
            value: format.to_owned(),
        });
    }
    let value = text(issuer);
    if value != expected {
        return Err(LogoutError::Issuer {
            expected: expected.to_owned(),
            found: value,
        });
    }
    Ok(value)
}

fn read_status(root: Node<'_, '_>) -> Result<LogoutStatus, LogoutError> {
    let status =
        xml::optional_child(root, ns::SAMLP, "Status")?.ok_or(LogoutError::Missing("Status"))?;
    let code = xml::only_child(status, ns::SAMLP, "StatusCode")?;
    let value = code
        .attribute("Value")
        .ok_or(LogoutError::Missing("StatusCode Value"))?;
    let sub_code = xml::optional_child(code, ns::SAMLP, "StatusCode")?
        .and_then(|s| s.attribute("Value"))
        .map(str::to_owned);
    let message = xml::optional_child(status, ns::SAMLP, "StatusMessage")?.map(text);
    Ok(LogoutStatus {
        code: value.to_owned(),
        sub_code,
        message,
    })
}

/// Children must be among `allowed`, in that order (an element may repeat only where the
/// schema lets it: SessionIndex); no text.
fn check_children(root: Node<'_, '_>, allowed: &[(&str, &str)]) -> Result<(), LogoutError> {
    let mut last: Option<usize> = None;
    for child in root.children() {
        if child.is_text() && !child.text().unwrap_or_default().trim().is_empty() {
            return Err(LogoutError::UnexpectedElement("text".into()));
        }
        if !child.is_element() {
            continue;
        }
        let position = allowed
            .iter()
            .position(|(n, l)| xml::is(child, n, l))
            .ok_or_else(|| LogoutError::UnexpectedElement(child.tag_name().name().to_owned()))?;
        let repeatable = xml::is(child, ns::SAMLP, "SessionIndex");
        if let Some(l) = last
            && (position < l || (position == l && !repeatable))
        {
            return Err(LogoutError::UnexpectedElement(format!(
                "{} (repeated or out of order)",
                child.tag_name().name()
            )));
        }
        last = Some(position);
    }
    Ok(())
}

fn check_endpoint(url: &str) -> Result<(), LogoutError> {
    if url.starts_with("https://") || url.starts_with("http://") {
        Ok(())
    } else {
        Err(LogoutError::Invalid {
            field: "Destination",
            value: url.to_owned(),
        })
    }
}

fn whole_seconds(now: Timestamp) -> Result<Timestamp, LogoutError> {
    Timestamp::from_second(now.as_second()).map_err(|_| LogoutError::Invalid {
        field: "IssueInstant",
        value: now.to_string(),
    })
}

fn text(node: Node<'_, '_>) -> String {
    xml::trimmed_string_value(node)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SP: &str = "https://servizi.comune.esempio.it/spid/metadata";
    const IDP: &str = "https://idp.example.it";
    const IDP_SLO: &str = "https://idp.example.it/slo";
    const OUR_SLO: &str = "https://servizi.comune.esempio.it/spid/slo";

    fn now() -> Timestamp {
        "2026-11-26T10:00:00Z".parse().unwrap()
    }

    #[test]
    fn logout_request_shape() {
        let req = LogoutRequestBuilder::new(SP, IDP_SLO, "_nameid&1", IDP)
            .session_index(Some("_sess".into()))
            .build_with("_req1", now())
            .unwrap();
        assert_eq!(
            req.xml(),
            concat!(
                r#"<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_req1" Version="2.0" IssueInstant="2026-11-26T10:00:00Z" Destination="https://idp.example.it/slo">"#,
                r#"<saml:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity" NameQualifier="https://servizi.comune.esempio.it/spid/metadata">https://servizi.comune.esempio.it/spid/metadata</saml:Issuer>"#,
                r#"<saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:transient" NameQualifier="https://idp.example.it">_nameid&amp;1</saml:NameID>"#,
                r#"<samlp:SessionIndex>_sess</samlp:SessionIndex></samlp:LogoutRequest>"#
            )
        );
        let no_session = LogoutRequestBuilder::new(SP, IDP_SLO, "x", IDP)
            .build_with("_req2", now())
            .unwrap();
        assert!(!no_session.xml().contains("SessionIndex"));
        assert!(matches!(
            LogoutRequestBuilder::new(SP, IDP_SLO, "", IDP).build(),
            Err(LogoutError::Missing("NameID"))
        ));
    }

    fn idp_response(irt: &str, dest: &str, issuer: &str, instant: &str, status: &str) -> String {
        format!(
            r#"<samlp:LogoutResponse xmlns:samlp="{}" xmlns:saml="{}" ID="_resp" Version="2.0" IssueInstant="{instant}" Destination="{dest}" InResponseTo="{irt}"><saml:Issuer Format="{NAMEID_ENTITY}">{issuer}</saml:Issuer><samlp:Status><samlp:StatusCode Value="{status}"/></samlp:Status></samlp:LogoutResponse>"#,
            ns::SAMLP,
            ns::SAML
        )
    }

    #[test]
    fn logout_response_checks() {
        let pending = PendingLogout {
            id: "_req1".into(),
            issue_instant: now(),
            destination: IDP_SLO.into(),
        };
        let expected = ExpectedLogoutResponse::new(&pending, IDP, OUR_SLO)
            .at(now() + SignedDuration::from_secs(5));
        let check = |xml: &str| {
            let doc = xml::parse(xml, &Limits::MESSAGE).unwrap();
            check_logout_response(doc.root_element(), &expected)
        };
        let t = "2026-11-26T10:00:02Z";
        assert!(check(&idp_response("_req1", OUR_SLO, IDP, t, STATUS_SUCCESS)).is_ok());
        assert!(matches!(
            check(&idp_response("_other", OUR_SLO, IDP, t, STATUS_SUCCESS)),
            Err(LogoutError::InResponseTo { .. })
        ));
        assert!(matches!(
            check(&idp_response(
                "_req1",
                "https://evil/slo",
                IDP,
                t,
                STATUS_SUCCESS
            )),
            Err(LogoutError::Destination { .. })
        ));
        assert!(matches!(
            check(&idp_response(
                "_req1",
                OUR_SLO,
                "https://evil",
                t,
                STATUS_SUCCESS
            )),
            Err(LogoutError::Issuer { .. })
        ));
        assert!(matches!(
            check(&idp_response(
                "_req1",
                OUR_SLO,
                IDP,
                "2026-11-26T09:50:00Z",
                STATUS_SUCCESS
            )),
            Err(LogoutError::IssueInstant(_))
        ));
        assert!(matches!(
            check(&idp_response(
                "_req1",
                OUR_SLO,
                IDP,
                "2026-11-26 10:00:02",
                STATUS_SUCCESS
            )),
            Err(LogoutError::Invalid {
                field: "IssueInstant",
                ..
            })
        ));
        assert!(matches!(
            check(&idp_response("_req1", OUR_SLO, IDP, t, STATUS_RESPONDER)),
            Err(LogoutError::Status(s)) if s.code == STATUS_RESPONDER
        ));
    }

    #[test]
    fn our_logout_response_shape() {
        let ok = LogoutResponseBuilder::new(SP, IDP_SLO, "_idpreq")
            .build_with("_r", now())
            .unwrap();
        assert!(
            ok.xml()
                .contains(&format!(r#"<samlp:StatusCode Value="{STATUS_SUCCESS}"/>"#))
        );
        assert!(ok.xml().contains(r#"InResponseTo="_idpreq""#));
        let failed = LogoutResponseBuilder::new(SP, IDP_SLO, "_idpreq")
            .status(LogoutStatus::requester(
                Some(STATUS_UNKNOWN_PRINCIPAL),
                Some("no session"),
            ))
            .build_with("_r", now())
            .unwrap();
        let doc = xml::parse(failed.xml(), &Limits::MESSAGE).unwrap();
        let status = read_status(doc.root_element()).unwrap();
        assert_eq!(
            status,
            LogoutStatus::requester(Some(STATUS_UNKNOWN_PRINCIPAL), Some("no session"))
        );
        assert!(matches!(
            LogoutResponseBuilder::new(SP, IDP_SLO, "bad id").build(),
            Err(LogoutError::Invalid {
                field: "InResponseTo",
                ..
            })
        ));
    }
}
