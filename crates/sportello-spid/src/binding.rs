//! The SAML HTTP-Redirect and HTTP-POST bindings, as SPID uses them.
//!
//! **HTTP-Redirect** (SAML Bindings §3.4). A message travels in the query string as
//! `SAMLRequest` (or `SAMLResponse`) = base64(raw DEFLATE(xml)), with an optional `RelayState`,
//! then `SigAlg` and `Signature`. The signature covers the octets
//! `SAMLRequest=…&RelayState=…&SigAlg=…` *exactly as they were URL-encoded by the sender*:
//!
//! - [`redirect_url`] encodes like Python's `urllib.parse.quote_plus` (unreserved characters
//!   `A-Z a-z 0-9 - . _ ~` as they are, space as `+`, everything else `%XX` with uppercase hex),
//!   because AgID's `spid-sp-test` checks our signature by re-encoding the decoded values with
//!   `quote_plus`: any other encoding of the same values would not verify there;
//! - [`RedirectQuery::parse`] keeps each parameter's raw text from the incoming query and
//!   [`RedirectQuery::verify`] rebuilds the signed octets from those raw texts, never from
//!   re-encoded values: senders disagree on encoding details (`%2f` or `%2F`, `~` or `%7E`), and
//!   re-encoding would break valid signatures or, worse, make the verified bytes differ from the
//!   bytes the sender meant.
//!
//! Inflation is capped at [`MAX_MESSAGE_BYTES`] (200 KB, the same bound as every message we
//! parse), so a compressed bomb costs at most that much memory.
//!
//! **HTTP-POST** (SAML Bindings §3.5): the form field is base64(xml); [`decode_post`] reads it
//! whitespace-tolerantly under the same size limit and [`encode_post`] writes it. The HTML
//! auto-submitting form is the web layer's business.

use std::fmt::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use roxmltree::Node;

use crate::keys::{KeyError, PublicKey, SignatureAlgorithm, SigningKey};
use crate::xml::{self, Limits, ns};

/// Largest inflated or decoded message we accept (the size bound of [`Limits::MESSAGE`]).
pub const MAX_MESSAGE_BYTES: usize = 200 * 1024;

/// Largest raw query string we look at. Base64 of a 200 KB message compresses far below this;
/// the HTTP server normally refuses long URLs well before.
pub const MAX_QUERY_BYTES: usize = 2 * MAX_MESSAGE_BYTES;

/// The signature algorithm we sign redirect messages with (AgID: RSA-SHA256 or stronger).
pub const REDIRECT_SIGNATURE_ALGORITHM: SignatureAlgorithm = SignatureAlgorithm::RsaSha256;

pub const BINDING_REDIRECT: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
pub const BINDING_POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
pub const BINDING_SOAP: &str = "urn:oasis:names:tc:SAML:2.0:bindings:SOAP";

#[derive(Debug, thiserror::Error)]
pub enum BindingError {
    #[error("the query string is longer than {0} bytes")]
    QueryTooLarge(usize),
    #[error("the message is larger than {0} bytes once decoded")]
    TooLarge(usize),
    #[error("malformed URL encoding in parameter {0}")]
    UrlEncoding(String),
    #[error("parameter {0} is repeated")]
    DuplicateParameter(String),
    #[error("parameter {0} is missing")]
    MissingParameter(&'static str),
    #[error("the query carries both SAMLRequest and SAMLResponse")]
    AmbiguousMessage,
    #[error("{0} is not valid base64")]
    Base64(&'static str),
    #[error("SAML message is not valid raw DEFLATE data")]
    Inflate,
    #[error("the SAML message is not UTF-8")]
    NotUtf8,
    #[error("the message is not signed (no Signature/SigAlg)")]
    NotSigned,
    #[error("unsupported signature algorithm {0:?}")]
    UnsupportedAlgorithm(String),
    #[error("no trusted key to verify with")]
    NoTrustedKeys,
    #[error("the signature does not verify with any trusted key")]
    BadSignature,
    #[error("the endpoint URL {0:?} is not usable for the redirect binding")]
    BadEndpoint(String),
    #[error("signing failed: {0}")]
    Sign(#[from] KeyError),
    #[error("the message has no usable Issuer: {0}")]
    Issuer(String),
    #[error("no randomness available: {0}")]
    Random(String),
}

/// Which SAML parameter carries the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// `SAMLRequest`: AuthnRequest, LogoutRequest.
    Request,
    /// `SAMLResponse`: LogoutResponse (the login Response always comes by POST).
    Response,
}

impl MessageKind {
    pub fn parameter(self) -> &'static str {
        match self {
            MessageKind::Request => "SAMLRequest",
            MessageKind::Response => "SAMLResponse",
        }
    }
}

// ---------------------------------------------------------------------------------------------
// URL encoding

/// `application/x-www-form-urlencoded` encoding exactly as Python's `quote_plus` does it.
pub fn form_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3 / 2);
    for &b in value.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

/// Strict inverse of [`form_encode`] (any sender's variant): `+` is a space, `%XX` a byte in
/// either case; a `%` not followed by two hex digits is an error, and the result must be UTF-8.
pub fn form_decode(raw: &str, name: &str) -> Result<String, BindingError> {
    let bad = || BindingError::UrlEncoding(name.to_owned());
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let hi = bytes
                    .get(i + 1)
                    .and_then(|b| hex_value(*b))
                    .ok_or_else(bad)?;
                let lo = bytes
                    .get(i + 2)
                    .and_then(|b| hex_value(*b))
                    .ok_or_else(bad)?;
                out.push(hi << 4 | lo);
                i += 3;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| bad())
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// DEFLATE + base64

/// base64(raw DEFLATE(`xml`)), the `SAMLRequest`/`SAMLResponse` value before URL encoding.
pub fn deflate_and_encode(xml: &str) -> String {
    B64.encode(miniz_oxide::deflate::compress_to_vec(xml.as_bytes(), 9))
}

/// Inverse of [`deflate_and_encode`], refusing anything that inflates beyond `max_bytes`.
/// ASCII whitespace in the base64 text is ignored (some senders wrap lines).
pub fn decode_and_inflate(value: &str, max_bytes: usize) -> Result<String, BindingError> {
    let compressed = decode_base64(value, "the SAML message", max_bytes)?;
    let inflated = miniz_oxide::inflate::decompress_to_vec_with_limit(&compressed, max_bytes)
        .map_err(|e| match e.status {
            miniz_oxide::inflate::TINFLStatus::HasMoreOutput => BindingError::TooLarge(max_bytes),
            _ => BindingError::Inflate,
        })?;
    String::from_utf8(inflated).map_err(|_| BindingError::NotUtf8)
}

/// Base64 decoding, whitespace tolerant, with a bound on the decoded size checked before
/// decoding (4 characters give at most 3 bytes).
fn decode_base64(
    value: &str,
    what: &'static str,
    max_bytes: usize,
) -> Result<Vec<u8>, BindingError> {
    let compact: String = value.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if compact.len() / 4 * 3 > max_bytes + 3 {
        return Err(BindingError::TooLarge(max_bytes));
    }
    B64.decode(compact).map_err(|_| BindingError::Base64(what))
}

// ---------------------------------------------------------------------------------------------
// HTTP-POST

/// The form value of a POST-bound message: base64 of the XML.
pub fn encode_post(xml: &str) -> String {
    B64.encode(xml.as_bytes())
}

/// The XML of a POST-bound message (`SAMLRequest`/`SAMLResponse` form value), whitespace
/// tolerant, at most [`MAX_MESSAGE_BYTES`].
pub fn decode_post(value: &str) -> Result<String, BindingError> {
    let bytes = decode_base64(value, "the SAML message", MAX_MESSAGE_BYTES)?;
    if bytes.len() > MAX_MESSAGE_BYTES {
        return Err(BindingError::TooLarge(MAX_MESSAGE_BYTES));
    }
    String::from_utf8(bytes).map_err(|_| BindingError::NotUtf8)
}

// ---------------------------------------------------------------------------------------------
// HTTP-Redirect: sending

/// The signed query string (without `?`) carrying `xml`:
/// `SAMLRequest=…[&RelayState=…]&SigAlg=…&Signature=…`, signed RSA-SHA256 with `key`.
pub fn signed_query(
    kind: MessageKind,
    xml: &str,
    relay_state: Option<&str>,
    key: &SigningKey,
) -> Result<String, BindingError> {
    let mut query = String::new();
    query.push_str(kind.parameter());
    query.push('=');
    query.push_str(&form_encode(&deflate_and_encode(xml)));
    if let Some(relay_state) = relay_state {
        query.push_str("&RelayState=");
        query.push_str(&form_encode(relay_state));
    }
    query.push_str("&SigAlg=");
    query.push_str(&form_encode(REDIRECT_SIGNATURE_ALGORITHM.uri()));
    let signature = key.sign(REDIRECT_SIGNATURE_ALGORITHM, query.as_bytes())?;
    query.push_str("&Signature=");
    query.push_str(&form_encode(&B64.encode(signature)));
    Ok(query)
}

/// The `Location` to redirect the browser to: `endpoint` plus the [`signed_query`]. An endpoint
/// that already has a query string keeps it (the SAML parameters are appended with `&`); one
/// with a fragment is refused, since a fragment cannot precede the query.
pub fn redirect_url(
    endpoint: &str,
    kind: MessageKind,
    xml: &str,
    relay_state: Option<&str>,
    key: &SigningKey,
) -> Result<String, BindingError> {
    if endpoint.contains('#')
        || !(endpoint.starts_with("https://") || endpoint.starts_with("http://"))
    {
        return Err(BindingError::BadEndpoint(endpoint.to_owned()));
    }
    let query = signed_query(kind, xml, relay_state, key)?;
    let separator = match endpoint.find('?') {
        None => '?',
        Some(i) if i + 1 == endpoint.len() || endpoint.ends_with('&') => {
            // `…?` or `…&`: nothing to separate.
            return Ok(format!("{endpoint}{query}"));
        }
        Some(_) => '&',
    };
    Ok(format!("{endpoint}{separator}{query}"))
}

/// A fresh opaque `RelayState`: 128 random bits in hex. SPID wants it present and not
/// intelligible (never a URL), so the web layer keeps the return path server-side under it.
pub fn new_relay_state() -> Result<String, BindingError> {
    random_hex(16).map_err(BindingError::Random)
}

/// `n` random bytes as lowercase hex.
pub(crate) fn random_hex(n: usize) -> Result<String, String> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).map_err(|e| e.to_string())?;
    let mut out = String::with_capacity(2 * n);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    Ok(out)
}

/// A new SAML message `ID`: `_` and 32 hex digits (an xs:ID cannot start with a digit; 128
/// random bits make it unguessable and unique).
pub(crate) fn new_message_id() -> Result<String, String> {
    Ok(format!("_{}", random_hex(16)?))
}

// ---------------------------------------------------------------------------------------------
// Helpers shared by the message modules (metadata, authn_request, logout)

/// Escape for XML text and double-quoted attribute values.
pub(crate) fn escape_xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // Kept literally, attribute-value normalisation would turn them into spaces.
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
    out
}

/// `YYYY-MM-DDThh:mm:ssZ`: UTC, whole seconds, the form SPID uses for every instant we write.
pub(crate) fn format_instant(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub(crate) use crate::xml::parse_instant;

// ---------------------------------------------------------------------------------------------
// HTTP-Redirect: receiving

/// An incoming redirect-bound message, parsed from the raw query string but **not yet
/// verified**: only [`RedirectQuery::verify`] gives the XML to act upon.
#[derive(Debug, Clone)]
pub struct RedirectQuery {
    kind: MessageKind,
    xml: String,
    relay_state: Option<String>,
    /// `SigAlg` and `Signature`, decoded; `None` if the message is unsigned.
    signature: Option<(String, Vec<u8>)>,
    /// The octets the signature covers, rebuilt from the raw (still encoded) parameters.
    signed_octets: String,
}

impl RedirectQuery {
    /// Parse the raw query string (the part after `?`, not decoded by anyone).
    ///
    /// Exactly one of `SAMLRequest`/`SAMLResponse` must be present; no SAML parameter may be
    /// repeated; other parameters are ignored (they are not covered by the signature).
    pub fn parse(raw_query: &str) -> Result<Self, BindingError> {
        if raw_query.len() > MAX_QUERY_BYTES {
            return Err(BindingError::QueryTooLarge(MAX_QUERY_BYTES));
        }
        let raw_query = raw_query.strip_prefix('?').unwrap_or(raw_query);
        let mut request = None;
        let mut response = None;
        let mut relay_state = None;
        let mut sig_alg = None;
        let mut signature = None;
        for pair in raw_query.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let slot = match name {
                "SAMLRequest" => &mut request,
                "SAMLResponse" => &mut response,
                "RelayState" => &mut relay_state,
                "SigAlg" => &mut sig_alg,
                "Signature" => &mut signature,
                _ => continue,
            };
            if slot.replace(value).is_some() {
                return Err(BindingError::DuplicateParameter(name.to_owned()));
            }
        }
        let (kind, raw_message) = match (request, response) {
            (Some(r), None) => (MessageKind::Request, r),
            (None, Some(r)) => (MessageKind::Response, r),
            (Some(_), Some(_)) => return Err(BindingError::AmbiguousMessage),
            (None, None) => return Err(BindingError::MissingParameter("SAMLRequest")),
        };
        let message = form_decode(raw_message, kind.parameter())?;
        let xml = decode_and_inflate(&message, MAX_MESSAGE_BYTES)?;
        let relay_state_value = relay_state
            .map(|r| form_decode(r, "RelayState"))
            .transpose()?;

        // SAML Bindings §3.4.4.1: the parameters in this order, RelayState only if present.
        let mut signed_octets = format!("{}={raw_message}", kind.parameter());
        if let Some(r) = relay_state {
            signed_octets.push_str("&RelayState=");
            signed_octets.push_str(r);
        }
        let signature = match (sig_alg, signature) {
            (Some(alg), Some(sig)) => {
                signed_octets.push_str("&SigAlg=");
                signed_octets.push_str(alg);
                let alg = form_decode(alg, "SigAlg")?;
                let sig = decode_base64(&form_decode(sig, "Signature")?, "Signature", 1024)?;
                Some((alg, sig))
            }
            (None, None) => None,
            (None, Some(_)) => return Err(BindingError::MissingParameter("SigAlg")),
            (Some(_), None) => return Err(BindingError::MissingParameter("Signature")),
        };
        Ok(RedirectQuery {
            kind,
            xml,
            relay_state: relay_state_value,
            signature,
            signed_octets,
        })
    }

    pub fn kind(&self) -> MessageKind {
        self.kind
    }

    /// `RelayState`, decoded. Not covered by anything until [`RedirectQuery::verify`].
    pub fn relay_state(&self) -> Option<&str> {
        self.relay_state.as_deref()
    }

    pub fn is_signed(&self) -> bool {
        self.signature.is_some()
    }

    /// The inflated XML, **unauthenticated**: only to find out who claims to have sent it
    /// (see [`peek_issuer`]) and so which keys to verify with.
    pub fn unverified_xml(&self) -> &str {
        &self.xml
    }

    /// The `saml:Issuer` the message claims, to choose the keys for [`RedirectQuery::verify`].
    pub fn claimed_issuer(&self) -> Result<String, BindingError> {
        peek_issuer(&self.xml)
    }

    /// Verify the signature with one of `keys` (the sender's metadata signing keys). An unsigned
    /// message is refused: every message SPID sends by redirect is signed.
    pub fn verify(self, keys: &[PublicKey]) -> Result<VerifiedRedirect, BindingError> {
        let Some((alg_uri, signature)) = &self.signature else {
            return Err(BindingError::NotSigned);
        };
        let algorithm = SignatureAlgorithm::from_uri(alg_uri)
            .ok_or_else(|| BindingError::UnsupportedAlgorithm(alg_uri.clone()))?;
        if keys.is_empty() {
            return Err(BindingError::NoTrustedKeys);
        }
        let key_index = keys
            .iter()
            .position(|k| {
                k.verify(algorithm, self.signed_octets.as_bytes(), signature)
                    .is_ok()
            })
            .ok_or(BindingError::BadSignature)?;
        Ok(VerifiedRedirect {
            kind: self.kind,
            xml: self.xml,
            relay_state: self.relay_state,
            algorithm,
            key_index,
        })
    }
}

/// A redirect-bound message whose signature verified with a trusted key.
#[derive(Debug, Clone)]
pub struct VerifiedRedirect {
    kind: MessageKind,
    xml: String,
    relay_state: Option<String>,
    algorithm: SignatureAlgorithm,
    key_index: usize,
}

impl VerifiedRedirect {
    pub fn kind(&self) -> MessageKind {
        self.kind
    }

    /// The message XML: its bytes are covered by the verified signature.
    pub fn xml(&self) -> &str {
        &self.xml
    }

    /// `RelayState`, covered by the signature when it was sent.
    pub fn relay_state(&self) -> Option<&str> {
        self.relay_state.as_deref()
    }

    pub fn algorithm(&self) -> SignatureAlgorithm {
        self.algorithm
    }

    /// Index, in the keys given to [`RedirectQuery::verify`], of the key that verified.
    pub fn key_index(&self) -> usize {
        self.key_index
    }
}

/// The text of the root element's `saml:Issuer`, **unauthenticated** (nothing is verified
/// here): only for choosing which IdP's keys to verify the message with.
pub fn peek_issuer(xml_text: &str) -> Result<String, BindingError> {
    let doc =
        xml::parse(xml_text, &Limits::MESSAGE).map_err(|e| BindingError::Issuer(e.to_string()))?;
    let issuer: Node<'_, '_> = xml::only_child(doc.root_element(), ns::SAML, "Issuer")
        .map_err(|e| BindingError::Issuer(e.to_string()))?;
    let value = xml::string_value(issuer);
    let value = value.trim();
    if value.is_empty() {
        return Err(BindingError::Issuer("empty".into()));
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encode_matches_python_quote_plus() {
        // Expected values computed with Python 3 `urllib.parse.quote_plus`.
        assert_eq!(form_encode("a b+c/d=e~f*g"), "a+b%2Bc%2Fd%3De~f%2Ag");
        assert_eq!(
            form_encode("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"),
            "http%3A%2F%2Fwww.w3.org%2F2001%2F04%2Fxmldsig-more%23rsa-sha256"
        );
        assert_eq!(form_encode("è"), "%C3%A8");
        assert_eq!(form_encode("-._~"), "-._~");
    }

    #[test]
    fn form_decode_is_strict_and_case_insensitive() {
        assert_eq!(form_decode("a+b%2bc%2F", "x").unwrap(), "a b+c/");
        assert!(form_decode("%2", "x").is_err());
        assert!(form_decode("%zz", "x").is_err());
        assert!(form_decode("%FF", "x").is_err(), "not UTF-8");
    }

    #[test]
    fn deflate_round_trip_and_limit() {
        let xml = "<a>hello</a>";
        let encoded = deflate_and_encode(xml);
        assert_eq!(decode_and_inflate(&encoded, 100).unwrap(), xml);
        // Whitespace tolerated.
        let wrapped: String = encoded
            .chars()
            .enumerate()
            .flat_map(|(i, c)| if i % 4 == 3 { vec![c, '\n'] } else { vec![c] })
            .collect();
        assert_eq!(decode_and_inflate(&wrapped, 100).unwrap(), xml);
        // A bomb: 10 MB of zeros compresses to a few KB and must stop at the limit.
        let bomb = B64.encode(miniz_oxide::deflate::compress_to_vec(
            &vec![b'0'; 10_000_000],
            9,
        ));
        assert!(bomb.len() < 100_000);
        assert!(matches!(
            decode_and_inflate(&bomb, MAX_MESSAGE_BYTES),
            Err(BindingError::TooLarge(_))
        ));
        assert!(matches!(
            decode_and_inflate("!!!!", 100),
            Err(BindingError::Base64(_))
        ));
        assert!(matches!(
            decode_and_inflate(&B64.encode(b"not deflate at all"), 100),
            Err(BindingError::Inflate | BindingError::TooLarge(_))
        ));
    }

    #[test]
    fn post_decoding() {
        let xml = "<samlp:Response/>";
        let b64 = encode_post(xml);
        let wrapped = format!(" {}\r\n{} ", &b64[..4], &b64[4..]);
        assert_eq!(decode_post(&wrapped).unwrap(), xml);
        let big = B64.encode(vec![b'a'; MAX_MESSAGE_BYTES + 10]);
        assert!(matches!(decode_post(&big), Err(BindingError::TooLarge(_))));
    }

    #[test]
    fn query_parsing_errors() {
        let msg = form_encode(&deflate_and_encode("<x/>"));
        assert!(matches!(
            RedirectQuery::parse(&format!("SAMLRequest={msg}&SAMLRequest={msg}")),
            Err(BindingError::DuplicateParameter(_))
        ));
        assert!(matches!(
            RedirectQuery::parse(&format!("SAMLRequest={msg}&SAMLResponse={msg}")),
            Err(BindingError::AmbiguousMessage)
        ));
        assert!(matches!(
            RedirectQuery::parse("RelayState=x"),
            Err(BindingError::MissingParameter(_))
        ));
        assert!(matches!(
            RedirectQuery::parse(&format!("SAMLRequest={msg}&Signature=AAAA")),
            Err(BindingError::MissingParameter("SigAlg"))
        ));
        let unsigned = RedirectQuery::parse(&format!("SAMLRequest={msg}&foo=bar")).unwrap();
        assert!(!unsigned.is_signed());
        assert!(matches!(unsigned.verify(&[]), Err(BindingError::NotSigned)));
    }

    #[test]
    fn instants() {
        let t = parse_instant("2026-11-26T21:47:33Z").unwrap();
        assert_eq!(format_instant(t), "2026-11-26T21:47:33Z");
        let t = parse_instant("2026-11-26T21:47:33.123456Z").unwrap();
        assert_eq!(format_instant(t), "2026-11-26T21:47:33Z");
        for bad in [
            "2018-09-04",
            "2018-09-06 16:00",
            "2018.09.18",
            "2018/09/10",
            "10-09-2018",
            "2026-11-26T21:47:33+01:00",
            "2026-11-26T21:47:33",
            "2026-11-26T21:47:33.Z",
            "2026-13-26T21:47:33Z",
        ] {
            assert!(parse_instant(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn escaping() {
        assert_eq!(
            escape_xml("a&b<c>\"d\"\n"),
            "a&amp;b&lt;c&gt;&quot;d&quot;&#xA;"
        );
    }

    #[test]
    fn peek_issuer_reads_root_issuer_only() {
        let xml = format!(
            r#"<p:LogoutRequest xmlns:p="{}" xmlns:s="{}"><s:Issuer> https://idp </s:Issuer></p:LogoutRequest>"#,
            ns::SAMLP,
            ns::SAML
        );
        assert_eq!(peek_issuer(&xml).unwrap(), "https://idp");
        assert!(peek_issuer("<a/>").is_err());
    }
}
