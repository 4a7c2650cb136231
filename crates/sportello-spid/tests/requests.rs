//! Our messages on the wire: the HTTP-Redirect binding, the AuthnRequest (checked by AgID's
//! `spid-sp-test`, see `tests/metadata.rs` for how the tool is found), single logout.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use jiff::{SignedDuration, Timestamp};
use sportello_spid::SpidLevel;
use sportello_spid::authn_request::{
    AcsRef, AuthnRequestBuilder, AuthnRequestError, parse_redirect_authn_request,
    parse_signed_authn_request,
};
use sportello_spid::binding::{
    self, BindingError, MessageKind, RedirectQuery, deflate_and_encode, form_decode, form_encode,
};
use sportello_spid::keys::{Certificate, CertificateSubject, SignatureAlgorithm, SigningKey};
use sportello_spid::logout::{
    ExpectedLogoutRequest, ExpectedLogoutResponse, LogoutError, LogoutRequestBuilder,
    LogoutResponseBuilder, LogoutStatus, STATUS_UNKNOWN_PRINCIPAL, parse_logout_request_post,
    parse_logout_request_redirect, parse_logout_response_post, parse_logout_response_redirect,
};
use sportello_spid::metadata::{
    AttributeService, Contacts, OrganizationInfo, PublicContact, SpMetadata, SpidAttribute,
    parse_sp_metadata,
};

const SP: &str = "http://localhost:8000/spid/metadata";
/// The SSO endpoint of spid-sp-test's fake IdP: the only Destination the tool accepts.
const TEST_IDP_SSO: &str = "https://localhost:8443/samlsso";
const IDP: &str = "https://idp.example.it";

struct Party {
    key: SigningKey,
    cert: Certificate,
}

fn party(entity_id: &str) -> Party {
    let key = SigningKey::generate(2048).unwrap();
    let subject = CertificateSubject {
        organization: "Comune di Esempio".into(),
        common_name: "Comune di Esempio".into(),
        entity_id: entity_id.into(),
        organization_identifier: "PA:IT-c_h501".into(),
        locality: "Roma".into(),
        country: "IT".into(),
    };
    let not_before = Timestamp::now() - SignedDuration::from_mins(1);
    let cert = Certificate::self_signed(&key, &subject, not_before, 365).unwrap();
    Party { key, cert }
}

fn sp() -> &'static Party {
    static SP_PARTY: OnceLock<Party> = OnceLock::new();
    SP_PARTY.get_or_init(|| party(SP))
}

fn idp() -> &'static Party {
    static IDP_PARTY: OnceLock<Party> = OnceLock::new();
    IDP_PARTY.get_or_init(|| party(IDP))
}

fn sp_metadata() -> SpMetadata {
    SpMetadata {
        entity_id: SP.into(),
        acs_url: "http://localhost:8000/spid/acs".into(),
        slo_redirect_url: "http://localhost:8000/spid/slo".into(),
        slo_post_url: "http://localhost:8000/spid/slo".into(),
        signing_certificates: vec![sp().cert.clone()],
        organization: vec![OrganizationInfo {
            lang: "it".into(),
            name: "Comune di Esempio".into(),
            display_name: "Comune di Esempio".into(),
            url: "https://www.comune.esempio.it".into(),
        }],
        attribute_services: vec![AttributeService {
            index: 0,
            names: vec![("it".into(), "Servizi online".into())],
            attributes: vec![
                SpidAttribute::Name,
                SpidAttribute::FamilyName,
                SpidAttribute::FiscalNumber,
            ],
        }],
        contacts: Contacts::PublicSp(PublicContact {
            ipa_code: "c_h501".into(),
            vat_number: None,
            fiscal_code: None,
            email: "protocollo@comune.esempio.it".into(),
            telephone: Some("+390612345678".into()),
        }),
    }
}

fn query_of(url: &str) -> &str {
    url.split_once('?').map_or("", |(_, q)| q)
}

fn param<'a>(query: &'a str, name: &str) -> &'a str {
    query
        .split('&')
        .find_map(|p| p.strip_prefix(name).and_then(|r| r.strip_prefix('=')))
        .unwrap()
}

// ---------------------------------------------------------------------------------------------
// HTTP-Redirect binding

#[test]
fn redirect_sign_then_verify() {
    let req = AuthnRequestBuilder::new(SP, TEST_IDP_SSO, SpidLevel::L2)
        .build()
        .unwrap();
    let relay = binding::new_relay_state().unwrap();
    let url = req.redirect_url(&relay, &sp().key).unwrap();
    assert!(url.starts_with("https://localhost:8443/samlsso?SAMLRequest="));
    let query = query_of(&url);
    let names: Vec<&str> = query
        .split('&')
        .map(|p| p.split_once('=').unwrap().0)
        .collect();
    assert_eq!(names, ["SAMLRequest", "RelayState", "SigAlg", "Signature"]);
    assert_eq!(
        param(query, "SigAlg"),
        "http%3A%2F%2Fwww.w3.org%2F2001%2F04%2Fxmldsig-more%23rsa-sha256"
    );

    let parsed = RedirectQuery::parse(query).unwrap();
    assert_eq!(parsed.kind(), MessageKind::Request);
    assert_eq!(parsed.relay_state(), Some(relay.as_str()));
    assert_eq!(parsed.claimed_issuer().unwrap(), SP);
    // The IdP finds our keys in our metadata, then verifies.
    let md =
        parse_sp_metadata(&sp_metadata().to_signed_xml(&sp().key, &sp().cert).unwrap()).unwrap();
    let verified = parsed.verify(&md.signing_keys()).unwrap();
    assert_eq!(verified.xml(), req.xml());
    assert_eq!(verified.algorithm(), SignatureAlgorithm::RsaSha256);
    let request = parse_redirect_authn_request(&verified).unwrap();
    assert_eq!(request.id, req.pending().id);
    assert_eq!(request.acs, AcsRef::Index(0));
    assert_eq!(request.level, SpidLevel::L2);
    assert!(request.force_authn);
}

#[test]
fn redirect_signature_is_what_spid_sp_test_recomputes() {
    // spid-sp-test decodes each parameter and re-encodes it with Python's quote_plus before
    // checking the signature: our raw query must be exactly that re-encoding.
    let req = AuthnRequestBuilder::new(SP, TEST_IDP_SSO, SpidLevel::L1)
        .build()
        .unwrap();
    let url = req.redirect_url("a relay/state~*", &sp().key).unwrap();
    let query = query_of(&url);
    for pair in query.split('&') {
        let (name, raw) = pair.split_once('=').unwrap();
        assert_eq!(form_encode(&form_decode(raw, name).unwrap()), raw, "{name}");
    }
    let signed = query.rsplit_once("&Signature=").unwrap().0;
    let signature = B64
        .decode(form_decode(param(query, "Signature"), "Signature").unwrap())
        .unwrap();
    sp().cert
        .public_key()
        .verify(SignatureAlgorithm::RsaSha256, signed.as_bytes(), &signature)
        .unwrap();
}

#[test]
fn redirect_tampering_is_rejected() {
    let req = AuthnRequestBuilder::new(SP, TEST_IDP_SSO, SpidLevel::L1)
        .build()
        .unwrap();
    let url = req.redirect_url("relay123", &sp().key).unwrap();
    let query = query_of(&url).to_owned();
    let keys = [sp().cert.public_key().clone()];
    assert!(RedirectQuery::parse(&query).unwrap().verify(&keys).is_ok());

    let bad = |q: &str| RedirectQuery::parse(q).and_then(|p| p.verify(&keys));
    // Another RelayState.
    let q = query.replace("RelayState=relay123", "RelayState=relay124");
    assert!(matches!(bad(&q), Err(BindingError::BadSignature)));
    // RelayState removed: the signed octets change.
    let q = query.replace("&RelayState=relay123", "");
    assert!(matches!(bad(&q), Err(BindingError::BadSignature)));
    // Another message: a different request from the same SP, with the old signature.
    let other = AuthnRequestBuilder::new(SP, TEST_IDP_SSO, SpidLevel::L3)
        .build()
        .unwrap();
    let q = query.replace(
        param(&query, "SAMLRequest"),
        &form_encode(&deflate_and_encode(other.xml())),
    );
    assert!(matches!(bad(&q), Err(BindingError::BadSignature)));
    // A weaker algorithm claimed.
    let q = query.replace(
        param(&query, "SigAlg"),
        &form_encode("http://www.w3.org/2000/09/xmldsig#rsa-sha1"),
    );
    assert!(matches!(
        bad(&q),
        Err(BindingError::UnsupportedAlgorithm(_))
    ));
    // The wrong key.
    let other_keys = [idp().cert.public_key().clone()];
    assert!(matches!(
        RedirectQuery::parse(&query).unwrap().verify(&other_keys),
        Err(BindingError::BadSignature)
    ));
    // No signature at all.
    let unsigned = query.split("&SigAlg=").next().unwrap();
    assert!(matches!(bad(unsigned), Err(BindingError::NotSigned)));
    // A bit flipped in the signature.
    let sig = param(&query, "Signature");
    let mut bytes = B64.decode(form_decode(sig, "Signature").unwrap()).unwrap();
    bytes[10] ^= 1;
    let q = query.replace(sig, &form_encode(&B64.encode(bytes)));
    assert!(matches!(bad(&q), Err(BindingError::BadSignature)));
}

#[test]
fn redirect_verifies_the_raw_encoding_not_a_reencoding() {
    // A sender that percent-encodes with lowercase hex and escapes '~' and '-' too: the same
    // values as we would send, different octets. Its signature covers its own octets.
    fn odd_encode(s: &str) -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'_' => char::from(b).to_string(),
                _ => format!("%{b:02x}"),
            })
            .collect()
    }
    let xml = AuthnRequestBuilder::new(SP, TEST_IDP_SSO, SpidLevel::L1)
        .build()
        .unwrap()
        .xml()
        .to_owned();
    let signed_octets = format!(
        "SAMLRequest={}&RelayState={}&SigAlg={}",
        odd_encode(&deflate_and_encode(&xml)),
        odd_encode("r-1~x"),
        odd_encode(SignatureAlgorithm::RsaSha256.uri()),
    );
    assert!(signed_octets.contains("%2f") && signed_octets.contains("%7e"));
    let signature = sp()
        .key
        .sign(SignatureAlgorithm::RsaSha256, signed_octets.as_bytes())
        .unwrap();
    let keys = [sp().cert.public_key().clone()];
    // Parameters in another order than the signed octets, plus an unrelated one.
    let query = format!(
        "foo=bar&Signature={}&{signed_octets}",
        odd_encode(&B64.encode(&signature))
    );
    let verified = RedirectQuery::parse(&query).unwrap().verify(&keys).unwrap();
    assert_eq!(verified.xml(), xml);
    assert_eq!(verified.relay_state(), Some("r-1~x"));

    // The same values re-encoded canonically no longer match that signature: proof that the
    // verifier uses the raw text, as the binding requires.
    let reencoded = format!(
        "SAMLRequest={}&RelayState={}&SigAlg={}&Signature={}",
        form_encode(&deflate_and_encode(&xml)),
        form_encode("r-1~x"),
        form_encode(SignatureAlgorithm::RsaSha256.uri()),
        form_encode(&B64.encode(&signature)),
    );
    assert!(matches!(
        RedirectQuery::parse(&reencoded).unwrap().verify(&keys),
        Err(BindingError::BadSignature)
    ));
}

#[test]
fn redirect_endpoint_with_a_query_string() {
    let xml = "<x/>";
    let url = binding::redirect_url(
        "https://idp.example.it/sso?tenant=a",
        MessageKind::Request,
        xml,
        Some("r"),
        &sp().key,
    )
    .unwrap();
    assert!(url.starts_with("https://idp.example.it/sso?tenant=a&SAMLRequest="));
    let url = binding::redirect_url(
        "https://idp.example.it/sso?",
        MessageKind::Request,
        xml,
        None,
        &sp().key,
    )
    .unwrap();
    assert!(url.starts_with("https://idp.example.it/sso?SAMLRequest="));
    // The IdP receives the whole query, its own parameter included: still verifies.
    let url = binding::redirect_url(
        "https://idp.example.it/sso?tenant=a",
        MessageKind::Request,
        xml,
        Some("r"),
        &sp().key,
    )
    .unwrap();
    let verified = RedirectQuery::parse(query_of(&url))
        .unwrap()
        .verify(&[sp().cert.public_key().clone()])
        .unwrap();
    assert_eq!(verified.xml(), xml);
    assert!(matches!(
        binding::redirect_url(
            "https://idp.example.it/sso#frag",
            MessageKind::Request,
            xml,
            None,
            &sp().key
        ),
        Err(BindingError::BadEndpoint(_))
    ));
}

// ---------------------------------------------------------------------------------------------
// AuthnRequest

#[test]
fn post_binding_request_is_signed_and_verified() {
    let req = AuthnRequestBuilder::new(SP, TEST_IDP_SSO, SpidLevel::L3)
        .build()
        .unwrap();
    let signed = req.signed_xml(&sp().key, &sp().cert).unwrap();
    // The signature sits right after Issuer, as SAML's schema wants.
    let issuer_end = signed.find("</saml:Issuer>").unwrap();
    assert!(signed[issuer_end..].starts_with("</saml:Issuer><ds:Signature"));
    let parsed = parse_signed_authn_request(&signed, &[sp().cert.public_key().clone()]).unwrap();
    assert_eq!(parsed.id, req.pending().id);
    assert_eq!(parsed.level, SpidLevel::L3);
    let tampered = signed.replace("SpidL3", "SpidL1");
    assert!(matches!(
        parse_signed_authn_request(&tampered, &[sp().cert.public_key().clone()]),
        Err(AuthnRequestError::Signature(_))
    ));
}

fn spid_sp_test() -> Option<PathBuf> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("..");
    let candidates = [
        std::env::var_os("SPID_SP_TEST").map(PathBuf::from),
        Some(workspace.join(".venv-test/bin/spid_sp_test")),
        Some(target.join("tools/spid-venv/bin/spid_sp_test")),
    ];
    if let Some(found) = candidates.into_iter().flatten().find(|p| p.is_file()) {
        return Some(found);
    }
    if std::env::var("SPORTELLO_TEST_SKIP_SPID").as_deref() == Ok("1") {
        eprintln!("spid-sp-test not found: skipped (SPORTELLO_TEST_SKIP_SPID=1)");
        return None;
    }
    panic!(
        "AgID's spid_sp_test was not found (run scripts/install-test-deps, or set SPID_SP_TEST, \
         or SPORTELLO_TEST_SKIP_SPID=1 to skip)"
    );
}

/// Runs the metadata and AuthnRequest checks; returns (executed, failed, warnings, stderr).
fn run_authn_checks(
    tool: &Path,
    name: &str,
    request_file_content: &str,
) -> (u32, u32, u32, String) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("spid-requests");
    std::fs::create_dir_all(&dir).unwrap();
    let md = dir.join(format!("{name}-metadata.xml"));
    std::fs::write(
        &md,
        sp_metadata().to_signed_xml(&sp().key, &sp().cert).unwrap(),
    )
    .unwrap();
    let request = dir.join(format!("{name}-request.txt"));
    std::fs::write(&request, request_file_content).unwrap();
    let file_url = |p: &Path| format!("file://{}", p.canonicalize().unwrap().display());
    let output = Command::new(tool)
        .args(["--metadata-url", &file_url(&md)])
        .args(["--authn-url", &file_url(&request)])
        .arg("--extra")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let summary = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with("Spid QA: executed"))
        .unwrap_or_else(|| panic!("no summary:\n{stdout}\n{stderr}"));
    let n: Vec<u32> = summary
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    let problems = stderr
        .lines()
        .filter(|l| l.starts_with("ERROR") || l.starts_with("WARNING"))
        .collect::<Vec<_>>()
        .join("\n");
    (n[0], n[1], n[2], problems)
}

#[test]
fn spid_sp_test_accepts_our_redirect_authn_requests() {
    let Some(tool) = spid_sp_test() else {
        return;
    };
    for level in SpidLevel::ALL {
        let req = AuthnRequestBuilder::new(SP, TEST_IDP_SSO, level)
            .build()
            .unwrap();
        let relay = binding::new_relay_state().unwrap();
        let url = req.redirect_url(&relay, &sp().key).unwrap();
        let (executed, failed, warnings, problems) =
            run_authn_checks(&tool, &format!("redirect-{level}"), &url);
        eprintln!(
            "spid-sp-test redirect {level}: {executed} executed, {failed} failed, {warnings} warnings"
        );
        // The metadata alone is 105 checks; the AuthnRequest adds 40 (SpidL1) or 44.
        assert!(
            executed >= 145,
            "the AuthnRequest checks did not run: {executed}"
        );
        assert_eq!((failed, warnings), (0, 0), "{level}:\n{problems}");
    }
}

#[test]
fn spid_sp_test_accepts_our_post_authn_request() {
    let Some(tool) = spid_sp_test() else {
        return;
    };
    let req = AuthnRequestBuilder::new(SP, TEST_IDP_SSO, SpidLevel::L2)
        .build()
        .unwrap();
    let signed = req.signed_xml(&sp().key, &sp().cert).unwrap();
    let (executed, failed, warnings, problems) = run_authn_checks(&tool, "post-L2", &signed);
    eprintln!(
        "spid-sp-test POST SpidL2: {executed} executed, {failed} failed, {warnings} warnings"
    );
    // 105 metadata checks and 51 for a POST-bound AuthnRequest.
    assert!(
        executed >= 156,
        "the AuthnRequest checks did not run: {executed}"
    );
    assert_eq!((failed, warnings), (0, 0), "{problems}");
}

#[test]
fn spid_sp_test_rejects_a_broken_request() {
    // The harness can fail: a request without ForceAuthn at SpidL2 is reported.
    let Some(tool) = spid_sp_test() else {
        return;
    };
    let req = AuthnRequestBuilder::new(SP, TEST_IDP_SSO, SpidLevel::L2)
        .build()
        .unwrap();
    let xml = req.xml().replace(r#" ForceAuthn="true""#, "");
    let url = binding::redirect_url(
        TEST_IDP_SSO,
        MessageKind::Request,
        &xml,
        Some("r1"),
        &sp().key,
    )
    .unwrap();
    let (_, failed, _, problems) = run_authn_checks(&tool, "broken", &url);
    assert!(failed >= 1, "{problems}");
}

// ---------------------------------------------------------------------------------------------
// Single logout

#[test]
fn sp_initiated_logout_round_trip() {
    let idp_slo = "https://idp.example.it/slo";
    let our_slo = "http://localhost:8000/spid/slo";
    let request = LogoutRequestBuilder::new(SP, idp_slo, "_transient123", IDP)
        .session_index(Some("_session9".into()))
        .build()
        .unwrap();
    let url = request.redirect_url("relay-out", &sp().key).unwrap();

    // The IdP side: verify with our metadata keys, read NameID and SessionIndex.
    let incoming = RedirectQuery::parse(query_of(&url))
        .unwrap()
        .verify(&[sp().cert.public_key().clone()])
        .unwrap();
    let idp_view =
        parse_logout_request_redirect(&incoming, &ExpectedLogoutRequest::new(SP, idp_slo)).unwrap();
    assert_eq!(idp_view.name_id, "_transient123");
    assert_eq!(idp_view.name_qualifier.as_deref(), Some(IDP));
    assert_eq!(idp_view.session_indexes, ["_session9"]);

    // The IdP answers Success (built here with our builder playing the IdP).
    let answer = LogoutResponseBuilder::new(IDP, our_slo, &request.pending().id)
        .build()
        .unwrap();
    let answer_url = answer.redirect_url(Some("relay-out"), &idp().key).unwrap();
    let pending = request.into_pending();
    let received = RedirectQuery::parse(query_of(&answer_url))
        .unwrap()
        .verify(&[idp().cert.public_key().clone()])
        .unwrap();
    assert_eq!(received.relay_state(), Some("relay-out"));
    let expected = ExpectedLogoutResponse::new(&pending, IDP, our_slo);
    parse_logout_response_redirect(&received, &expected).unwrap();

    // By POST, with an enveloped signature.
    let post = B64.encode(answer.signed_xml(&idp().key, &idp().cert).unwrap());
    parse_logout_response_post(&post, &[idp().cert.public_key().clone()], &expected).unwrap();
    // Signed by someone else: refused.
    let forged = B64.encode(answer.signed_xml(&sp().key, &sp().cert).unwrap());
    assert!(matches!(
        parse_logout_response_post(&forged, &[idp().cert.public_key().clone()], &expected),
        Err(LogoutError::Signature(_))
    ));
    // A LogoutRequest where a LogoutResponse is expected.
    assert!(matches!(
        parse_logout_response_redirect(&incoming, &expected),
        Err(LogoutError::WrongMessage(_))
    ));
    // A response to another request.
    let stray = LogoutResponseBuilder::new(IDP, our_slo, "_other")
        .build()
        .unwrap();
    let stray_url = stray.redirect_url(None, &idp().key).unwrap();
    let stray = RedirectQuery::parse(query_of(&stray_url))
        .unwrap()
        .verify(&[idp().cert.public_key().clone()])
        .unwrap();
    assert!(matches!(
        parse_logout_response_redirect(&stray, &expected),
        Err(LogoutError::InResponseTo { .. })
    ));
    // A failure status is reported as such.
    let partial = LogoutResponseBuilder::new(IDP, our_slo, &pending.id)
        .status(LogoutStatus::responder(
            Some(sportello_spid::logout::STATUS_PARTIAL_LOGOUT),
            None,
        ))
        .build()
        .unwrap();
    let post = B64.encode(partial.signed_xml(&idp().key, &idp().cert).unwrap());
    assert!(matches!(
        parse_logout_response_post(&post, &[idp().cert.public_key().clone()], &expected),
        Err(LogoutError::Status(s)) if s.sub_code.as_deref() == Some(sportello_spid::logout::STATUS_PARTIAL_LOGOUT)
    ));
}

#[test]
fn idp_initiated_logout() {
    let our_slo = "http://localhost:8000/spid/slo";
    let idp_slo = "https://idp.example.it/slo";
    // The IdP's request (our builder playing the IdP: same shape as SPID IdPs send).
    let from_idp = LogoutRequestBuilder::new(IDP, our_slo, "_transient123", IDP)
        .session_index(Some("_session9".into()))
        .build()
        .unwrap();
    let url = from_idp.redirect_url("idp-relay", &idp().key).unwrap();
    let query = RedirectQuery::parse(query_of(&url)).unwrap();
    assert_eq!(query.claimed_issuer().unwrap(), IDP);
    let verified = query.verify(&[idp().cert.public_key().clone()]).unwrap();
    let request =
        parse_logout_request_redirect(&verified, &ExpectedLogoutRequest::new(IDP, our_slo))
            .unwrap();
    assert!(request.matches("_transient123", Some("_session9")));
    assert!(!request.matches("_transient123", Some("_other")));
    assert!(!request.matches("_someone", Some("_session9")));

    // Our answer goes back by redirect, RelayState echoed.
    let answer = LogoutResponseBuilder::new(SP, idp_slo, &request.id)
        .build()
        .unwrap();
    let answer_url = answer
        .redirect_url(verified.relay_state(), &sp().key)
        .unwrap();
    assert!(answer_url.starts_with("https://idp.example.it/slo?SAMLResponse="));
    assert!(answer_url.contains("&RelayState=idp-relay&"));
    let unknown = LogoutResponseBuilder::new(SP, idp_slo, &request.id)
        .status(LogoutStatus::requester(
            Some(STATUS_UNKNOWN_PRINCIPAL),
            None,
        ))
        .build()
        .unwrap();
    assert!(unknown.xml().contains(STATUS_UNKNOWN_PRINCIPAL));

    // Wrong destination, stale request, POST with the wrong key.
    assert!(matches!(
        parse_logout_request_redirect(
            &verified,
            &ExpectedLogoutRequest::new(IDP, "http://localhost:8000/other")
        ),
        Err(LogoutError::Destination { .. })
    ));
    assert!(matches!(
        parse_logout_request_redirect(
            &verified,
            &ExpectedLogoutRequest::new(IDP, our_slo)
                .at(Timestamp::now() + SignedDuration::from_mins(30))
        ),
        Err(LogoutError::IssueInstant(_))
    ));
    assert!(matches!(
        parse_logout_request_redirect(
            &verified,
            &ExpectedLogoutRequest::new("https://other-idp", our_slo)
        ),
        Err(LogoutError::Issuer { .. })
    ));
    let post = B64.encode(from_idp.signed_xml(&idp().key, &idp().cert).unwrap());
    assert!(
        parse_logout_request_post(
            &post,
            &[idp().cert.public_key().clone()],
            &ExpectedLogoutRequest::new(IDP, our_slo)
        )
        .is_ok()
    );
    assert!(matches!(
        parse_logout_request_post(
            &post,
            &[sp().cert.public_key().clone()],
            &ExpectedLogoutRequest::new(IDP, our_slo)
        ),
        Err(LogoutError::Signature(_))
    ));
}
