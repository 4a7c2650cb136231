//! The IdP side of a SPID login, for the local test IdP only (the demo and the tests).
//!
//! [`ResponseBuilder`] writes the Response a SPID IdP sends to the SP's ACS: the same shape as
//! the real IdPs and AgID's `spid-sp-test` (transient NameID with NameQualifier, bearer
//! confirmation bound to the request and the ACS, audience, SpidL1–3, `TINIT-` fiscal number…),
//! with the Assertion signed and then the Response signed, both RSA-SHA256/exc-c14n. Tests build
//! their fixtures with it, so none can go stale, and mutate the unsigned text before signing to
//! exercise one check at a time. [`Failure`] writes the unsigned error answers (the SPID user
//! anomalies), and [`post_form`] the fields of the auto-submitted form.
//!
//! Nothing here is used to *accept* a login: production code only validates (see
//! [`crate::response`]).

use std::fmt::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use jiff::{SignedDuration, Timestamp};

use crate::SpidLevel;
use crate::authn_request::ParsedAuthnRequest;
use crate::dsig::{self, DsigError};
use crate::keys::{Certificate, SigningKey};
use crate::response::{
    CM_BEARER, NAMEID_ENTITY, NAMEID_TRANSIENT, STATUS_AUTHN_FAILED, STATUS_RESPONDER,
    STATUS_SUCCESS,
};
use crate::xml::ns;

#[derive(Debug, thiserror::Error)]
pub enum IdpError {
    #[error("signing failed: {0}")]
    Sign(#[from] DsigError),
    #[error("no randomness for the message IDs: {0}")]
    Random(String),
}

/// The data of one successful SPID answer. Every field is public so that tests can set any of
/// them; [`ResponseBuilder::new`] fills sensible defaults.
#[derive(Debug, Clone)]
pub struct ResponseBuilder {
    pub idp_entity_id: String,
    /// `ID` of the AuthnRequest answered: `InResponseTo` of the Response and of the assertion's
    /// `SubjectConfirmationData`.
    pub request_id: String,
    /// `IssueInstant` of that request: the answer is never dated before it.
    pub request_instant: Timestamp,
    /// The SP's AssertionConsumerService: `Destination` and `Recipient`.
    pub acs_url: String,
    /// The SP's entity ID: the `Audience`.
    pub sp_entity_id: String,
    pub level: SpidLevel,
    /// SPID attribute name and value, in this order (e.g. `("fiscalNumber", "TINIT-…")`).
    pub attributes: Vec<(String, String)>,
    pub name_id: String,
    /// `None` leaves the attribute out, as several IdPs do at SpidL2/L3.
    pub session_index: Option<String>,
    pub now: Timestamp,
    /// How long the assertion may be used: the `NotOnOrAfter` of the confirmation and conditions.
    pub validity: SignedDuration,
    pub response_id: String,
    pub assertion_id: String,
}

impl ResponseBuilder {
    /// A SpidL1 answer issued at `now`, valid five minutes, no attributes yet, with fresh random
    /// IDs, NameID and SessionIndex.
    pub fn new(
        idp_entity_id: impl Into<String>,
        request_id: impl Into<String>,
        request_instant: Timestamp,
        acs_url: impl Into<String>,
        sp_entity_id: impl Into<String>,
        now: Timestamp,
    ) -> Result<Self, IdpError> {
        Ok(Self {
            idp_entity_id: idp_entity_id.into(),
            request_id: request_id.into(),
            request_instant,
            acs_url: acs_url.into(),
            sp_entity_id: sp_entity_id.into(),
            level: SpidLevel::L1,
            attributes: Vec::new(),
            name_id: random_id()?,
            session_index: Some(random_id()?),
            now,
            validity: SignedDuration::from_mins(5),
            response_id: random_id()?,
            assertion_id: random_id()?,
        })
    }

    /// The answer to a request the test IdP received: its ID, instant, SP (the `Issuer`, also
    /// the audience) and level. `acs_url` is the SP's ACS the IdP resolved from the request's
    /// index or URL and the SP metadata.
    pub fn for_request(
        idp_entity_id: impl Into<String>,
        request: &ParsedAuthnRequest,
        acs_url: impl Into<String>,
        now: Timestamp,
    ) -> Result<Self, IdpError> {
        Ok(Self::new(
            idp_entity_id,
            request.id.clone(),
            request.issue_instant,
            acs_url,
            request.issuer.clone(),
            now,
        )?
        .level(request.level))
    }

    pub fn level(mut self, level: SpidLevel) -> Self {
        self.level = level;
        self
    }

    /// Add one attribute (SPID name, value).
    pub fn attribute(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.attributes.push((name.into(), value.into()));
        self
    }

    pub fn name_id(mut self, name_id: impl Into<String>) -> Self {
        self.name_id = name_id.into();
        self
    }

    pub fn session_index(mut self, session_index: Option<String>) -> Self {
        self.session_index = session_index;
        self
    }

    pub fn validity(mut self, validity: SignedDuration) -> Self {
        self.validity = validity;
        self
    }

    /// The instant written as `IssueInstant`, `NotBefore` and `AuthnInstant`: `now`, but never
    /// before the request (a clock behind the SP's would otherwise date the answer before the
    /// question), whole seconds as the real IdPs write it.
    fn issue_instant(&self) -> Timestamp {
        let t = self.now.max(self.request_instant);
        Timestamp::from_second(t.as_second()).unwrap_or(t)
    }

    /// The Response with no signature at all: the text tests mutate before calling [`sign`].
    pub fn unsigned_xml(&self) -> String {
        let issued = self.issue_instant();
        let until = issued
            .saturating_add(self.validity)
            .unwrap_or(Timestamp::MAX);
        let (issued, until) = (instant(issued), instant(until));
        let idp = escape(&self.idp_entity_id);
        let request_id = escape(&self.request_id);
        let acs = escape(&self.acs_url);

        let mut out = String::with_capacity(4096);
        // `write!` to a String cannot fail; the results are ignored for that reason only.
        let _ = write!(
            out,
            r#"<samlp:Response xmlns:samlp="{samlp}" xmlns:saml="{saml}" ID="{rid}" Version="2.0" IssueInstant="{issued}" Destination="{acs}" InResponseTo="{request_id}">"#,
            samlp = ns::SAMLP,
            saml = ns::SAML,
            rid = escape(&self.response_id),
        );
        let _ = write!(
            out,
            r#"<saml:Issuer Format="{NAMEID_ENTITY}">{idp}</saml:Issuer><samlp:Status><samlp:StatusCode Value="{STATUS_SUCCESS}"/></samlp:Status>"#,
        );
        let _ = write!(
            out,
            concat!(
                r#"<saml:Assertion xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ID="{aid}" Version="2.0" IssueInstant="{issued}">"#,
                r#"<saml:Issuer Format="{entity}">{idp}</saml:Issuer>"#,
                r#"<saml:Subject><saml:NameID Format="{transient}" NameQualifier="{idp}">{name_id}</saml:NameID>"#,
                r#"<saml:SubjectConfirmation Method="{bearer}"><saml:SubjectConfirmationData InResponseTo="{request_id}" NotOnOrAfter="{until}" Recipient="{acs}"/></saml:SubjectConfirmation></saml:Subject>"#,
                r#"<saml:Conditions NotBefore="{issued}" NotOnOrAfter="{until}"><saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions>"#,
                r#"<saml:AuthnStatement AuthnInstant="{issued}"{session}><saml:AuthnContext><saml:AuthnContextClassRef>{acr}</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>"#,
            ),
            aid = escape(&self.assertion_id),
            entity = NAMEID_ENTITY,
            transient = NAMEID_TRANSIENT,
            bearer = CM_BEARER,
            name_id = escape(&self.name_id),
            audience = escape(&self.sp_entity_id),
            session = match &self.session_index {
                Some(index) => format!(r#" SessionIndex="{}""#, escape(index)),
                None => String::new(),
            },
            acr = self.level.uri(),
            issued = issued,
            idp = idp,
            request_id = request_id,
            until = until,
            acs = acs,
        );
        if !self.attributes.is_empty() {
            out.push_str("<saml:AttributeStatement>");
            for (name, value) in &self.attributes {
                // SPID declares the two date attributes as xs:date, everything else xs:string.
                let xs_type = if matches!(name.as_str(), "dateOfBirth" | "expirationDate") {
                    "date"
                } else {
                    "string"
                };
                let _ = write!(
                    out,
                    r#"<saml:Attribute Name="{name}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic"><saml:AttributeValue xsi:type="xs:{xs_type}">{value}</saml:AttributeValue></saml:Attribute>"#,
                    name = escape(name),
                    value = escape(value),
                );
            }
            out.push_str("</saml:AttributeStatement>");
        }
        out.push_str("</saml:Assertion></samlp:Response>");
        out
    }

    /// The Response as a SPID IdP sends it: Assertion signed, then Response signed.
    pub fn signed_xml(
        &self,
        key: &SigningKey,
        certificate: &Certificate,
    ) -> Result<String, IdpError> {
        sign(
            &self.unsigned_xml(),
            Some(&self.response_id),
            Some(&self.assertion_id),
            key,
            certificate,
        )
    }

    /// The Response with only the Assertion signed (the minimum SPID requires).
    pub fn assertion_signed_xml(
        &self,
        key: &SigningKey,
        certificate: &Certificate,
    ) -> Result<String, IdpError> {
        sign(
            &self.unsigned_xml(),
            None,
            Some(&self.assertion_id),
            key,
            certificate,
        )
    }

    /// An error answer to the same request (unsigned, as AgID's test IdP sends the anomalies).
    pub fn failure_xml(&self, failure: &Failure) -> String {
        failure.xml(
            &self.idp_entity_id,
            &self.response_id,
            &self.request_id,
            &self.acs_url,
            self.issue_instant(),
        )
    }
}

/// Sign, in this order, the element with ID `assertion_id` and then the one with `response_id`
/// (the outer signature then covers the inner one, as the IdPs do). `None` skips one.
pub fn sign(
    xml: &str,
    response_id: Option<&str>,
    assertion_id: Option<&str>,
    key: &SigningKey,
    certificate: &Certificate,
) -> Result<String, IdpError> {
    let mut out = xml.to_owned();
    for id in [assertion_id, response_id].into_iter().flatten() {
        out = dsig::sign_enveloped(&out, id, key, certificate)?;
    }
    Ok(out)
}

/// A non-success answer: `Status` with a top-level code, an optional second-level code and an
/// optional message. SPID user anomalies use [`Failure::anomaly`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub status: String,
    pub sub_status: Option<String>,
    pub message: Option<String>,
}

impl Failure {
    /// SPID user anomaly `code` (19–25, see [`crate::response::anomaly`]):
    /// `Responder` / `AuthnFailed` / "ErrorCode nr{code}".
    pub fn anomaly(code: u8) -> Self {
        Self {
            status: STATUS_RESPONDER.to_owned(),
            sub_status: Some(STATUS_AUTHN_FAILED.to_owned()),
            message: Some(format!("ErrorCode nr{code}")),
        }
    }

    /// The user pressed "cancel" at the IdP (anomaly 25).
    pub fn user_cancelled() -> Self {
        Self::anomaly(crate::response::anomaly::CANCELLED_BY_USER)
    }

    fn xml(
        &self,
        idp: &str,
        response_id: &str,
        request_id: &str,
        acs_url: &str,
        issued: Timestamp,
    ) -> String {
        let mut out = String::with_capacity(1024);
        let _ = write!(
            out,
            r#"<samlp:Response xmlns:samlp="{samlp}" xmlns:saml="{saml}" ID="{rid}" Version="2.0" IssueInstant="{issued}" Destination="{acs}" InResponseTo="{req}"><saml:Issuer Format="{NAMEID_ENTITY}">{idp}</saml:Issuer><samlp:Status><samlp:StatusCode Value="{status}">"#,
            samlp = ns::SAMLP,
            saml = ns::SAML,
            rid = escape(response_id),
            issued = instant(issued),
            acs = escape(acs_url),
            req = escape(request_id),
            idp = escape(idp),
            status = escape(&self.status),
        );
        if let Some(sub) = &self.sub_status {
            let _ = write!(out, r#"<samlp:StatusCode Value="{}"/>"#, escape(sub));
        }
        out.push_str("</samlp:StatusCode>");
        if let Some(message) = &self.message {
            let _ = write!(
                out,
                "<samlp:StatusMessage>{}</samlp:StatusMessage>",
                escape(message)
            );
        }
        out.push_str("</samlp:Status></samlp:Response>");
        out
    }
}

/// The fields of the HTML form that carries the Response to the SP (HTTP-POST binding).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostForm {
    /// Where the browser posts: the SP's ACS URL.
    pub action: String,
    /// `SAMLResponse`: the XML, base64 (standard alphabet, no line breaks).
    pub saml_response: String,
    /// `RelayState`, echoed verbatim from the request when it had one.
    pub relay_state: Option<String>,
}

/// The POST form for `xml`, to be posted to `acs_url` with the request's `relay_state`.
pub fn post_form(acs_url: &str, xml: &str, relay_state: Option<&str>) -> PostForm {
    PostForm {
        action: acs_url.to_owned(),
        saml_response: B64.encode(xml),
        relay_state: relay_state.map(str::to_owned),
    }
}

/// `_` + 32 hex digits: an xs:ID (must not start with a digit) with 128 random bits.
fn random_id() -> Result<String, IdpError> {
    crate::binding::new_message_id().map_err(IdpError::Random)
}

/// `YYYY-MM-DDThh:mm:ssZ`, fractions dropped (the form every SPID IdP uses).
fn instant(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Escape for both text and double-quoted attribute values.
fn escape(s: &str) -> String {
    crate::binding::escape_xml(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_ncnames_and_distinct() {
        let a = random_id().unwrap();
        let b = random_id().unwrap();
        assert_eq!(a.len(), 33);
        assert!(a.starts_with('_'));
        assert_ne!(a, b);
    }

    #[test]
    fn instants_are_whole_seconds_utc() {
        let t: Timestamp = "2026-11-26T17:07:07.987654Z".parse().unwrap();
        assert_eq!(instant(t), "2026-11-26T17:07:07Z");
    }

    #[test]
    fn failure_carries_the_anomaly() {
        let xml = Failure::user_cancelled().xml(
            "https://idp",
            "_r",
            "_q",
            "https://sp/acs",
            Timestamp::UNIX_EPOCH,
        );
        assert!(xml.contains("<samlp:StatusMessage>ErrorCode nr25</samlp:StatusMessage>"));
        assert!(xml.contains(STATUS_AUTHN_FAILED));
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(escape(r#"a<b>&"c""#), "a&lt;b&gt;&amp;&quot;c&quot;");
    }
}
