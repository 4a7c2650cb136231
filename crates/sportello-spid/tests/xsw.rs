//! XML Signature Wrapping (XSW) and comment injection.
//!
//! AgID's `spid-sp-test` xsw1..xsw8 strip every namespace before posting, so they never reach a
//! namespace-aware signature check. These vectors keep the namespaces: the signed assertion stays
//! byte-identical (its signature verifies) and an evil, unsigned assertion is put where a naive
//! reader would take it. Each must be refused by a structural pin, before any value is read.
//!
//! Two sets: the frozen files of the SPID study (`fixtures/response/xsw/`, made with lxml by
//! `make_xsw_vectors.py`, validated at the instant written in them), and the same wrappings
//! applied as text to a fresh response of the crate's test IdP, signed with a key made now, so
//! the tests do not depend on frozen files only.

use std::path::PathBuf;
use std::sync::LazyLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use jiff::Timestamp;
use sportello_spid::SpidLevel;
use sportello_spid::idp::ResponseBuilder;
use sportello_spid::keys::{Certificate, CertificateSubject, PublicKey, SigningKey};
use sportello_spid::response::{Expected, Login, ResponseError, validate};

const IDP: &str = "https://idp.example.it";
const ACS: &str = "https://sp.example.it/spid/acs";
const SP: &str = "https://sp.example.it/spid/metadata";
const SIGNED_FISCAL_NUMBER: &str = "TINIT-RSSMRA80A01H501U";
const EVIL_FISCAL_NUMBER: &str = "TINIT-EVLMLL66A01H501X";

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn fixture(name: &str) -> String {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "tests",
        "fixtures",
        "response",
        "xsw",
        name,
    ]
    .iter()
    .collect();
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The first `IssueInstant` of a vector: the frozen files were made in the same second as their
/// request, so it serves as request instant and (plus a few seconds) as the validator's clock.
fn issue_instant(xml: &str) -> Timestamp {
    let at = xml.find("IssueInstant=\"").unwrap() + "IssueInstant=\"".len();
    ts(&xml[at..at + 20])
}

fn validate_at(
    xml: &str,
    request_id: &str,
    keys: &[PublicKey],
    at: Timestamp,
) -> Result<Login, ResponseError> {
    let expected = Expected::new(request_id, at, IDP, keys, ACS, SP, SpidLevel::L1)
        .at(at.checked_add(jiff::SignedDuration::from_secs(3)).unwrap());
    validate(&B64.encode(xml), &expected)
}

// ---------------------------------------------------------------------------------------------
// Frozen vectors.

/// The signer of the frozen vectors (taken out of the baseline's KeyInfo into `signer.crt` when
/// the fixtures were copied; the test reads it as "the IdP metadata", never from the message).
fn frozen_keys() -> Vec<PublicKey> {
    vec![
        Certificate::from_pem(&fixture("signer.crt"))
            .unwrap()
            .public_key()
            .clone(),
    ]
}

fn frozen(name: &str) -> Result<Login, ResponseError> {
    let xml = fixture(name);
    let request_id = fixture("req_id.txt");
    validate_at(&xml, request_id.trim(), &frozen_keys(), issue_instant(&xml))
}

#[track_caller]
fn frozen_rejected(name: &str, code: &str) {
    match frozen(name) {
        Ok(login) => panic!("{name} accepted with {:?}", login.attribute("fiscalNumber")),
        Err(e) => assert_eq!(e.code(), code, "{name}: {e}"),
    }
}

#[test]
fn frozen_00_baseline_is_accepted() {
    let login = frozen("00-baseline-assertion-signed-only.xml").unwrap();
    assert_eq!(login.attribute("fiscalNumber"), Some(SIGNED_FISCAL_NUMBER));
}

#[test]
fn frozen_01_evil_sibling_before_is_rejected() {
    frozen_rejected("01-evil-sibling-before.xml", "assertion_count");
}

#[test]
fn frozen_02_evil_sibling_after_is_rejected() {
    frozen_rejected("02-evil-sibling-after.xml", "assertion_count");
}

#[test]
fn frozen_03_duplicate_id_is_rejected() {
    frozen_rejected("03-duplicate-id-evil-first.xml", "duplicate_id");
}

#[test]
fn frozen_04_signed_wrapped_inside_evil_is_rejected() {
    frozen_rejected("04-signed-wrapped-inside-evil.xml", "assertion_count");
}

#[test]
fn frozen_05_signed_in_extensions_is_rejected() {
    frozen_rejected("05-signed-in-extensions.xml", "unexpected_element");
}

#[test]
fn frozen_06_evil_in_ds_object_is_rejected() {
    frozen_rejected("06-evil-in-ds-object.xml", "assertion_count");
}

#[test]
fn frozen_07_comment_in_fiscal_number_gives_the_full_value() {
    let xml = fixture("07-comment-in-fiscalNumber.xml");
    assert!(
        xml.contains("TINIT-RS<!--x-->SMRA80A01H501U"),
        "the vector has the comment"
    );
    let login = frozen("07-comment-in-fiscalNumber.xml").unwrap();
    assert_eq!(login.attribute("fiscalNumber"), Some(SIGNED_FISCAL_NUMBER));
    assert_eq!(login.fiscal_number(), Some("RSSMRA80A01H501U"));
}

#[test]
fn frozen_bench_response_signed_twice_is_accepted() {
    // The Python benchmark's response (python-xmlsec signed both parts), with its own signer.
    let xml = fixture("bench-idp/response.xml");
    let keys = vec![
        Certificate::from_pem(&fixture("bench-idp/idp.crt"))
            .unwrap()
            .public_key()
            .clone(),
    ];
    let request_id = fixture("bench-idp/req_id.txt");
    let login = validate_at(&xml, request_id.trim(), &keys, issue_instant(&xml)).unwrap();
    assert_eq!(login.attribute("fiscalNumber"), Some(SIGNED_FISCAL_NUMBER));
    assert_eq!(login.attributes.len(), 10);
    assert_eq!(login.level, SpidLevel::L2);
    // With the other signer's key (the frozen XSW set's), nothing verifies.
    let e = validate_at(&xml, request_id.trim(), &frozen_keys(), issue_instant(&xml)).unwrap_err();
    assert_eq!(e.code(), "assertion_signature");
}

// ---------------------------------------------------------------------------------------------
// The same wrappings, generated now from the test IdP with a fresh key.

struct Fresh {
    key: SigningKey,
    cert: Certificate,
}

static FRESH: LazyLock<Fresh> = LazyLock::new(|| {
    let key = SigningKey::generate(2048).unwrap();
    let subject = CertificateSubject {
        organization: "Test IdP".into(),
        common_name: "idp.example.it".into(),
        entity_id: IDP.into(),
        organization_identifier: "PA:IT-c_h501".into(),
        locality: "Roma".into(),
        country: "IT".into(),
    };
    let cert = Certificate::self_signed(&key, &subject, ts("2026-01-01T00:00:00Z"), 730).unwrap();
    Fresh { key, cert }
});

const REQUEST_ID: &str = "_a1b2c3d4e5f60718293a4b5c6d7e8f90";
const INSTANT: &str = "2026-11-26T17:07:07Z";

fn fresh_builder() -> ResponseBuilder {
    ResponseBuilder::new(IDP, REQUEST_ID, ts(INSTANT), ACS, SP, ts(INSTANT))
        .unwrap()
        .level(SpidLevel::L2)
        .attribute("name", "Mario")
        .attribute("familyName", "Rossi")
        .attribute("fiscalNumber", SIGNED_FISCAL_NUMBER)
        .attribute("email", "mario@example.it")
}

/// The attacker's starting point: a genuine response whose Response signature they drop (or
/// that never had one), the assertion signed and untouched.
fn baseline(b: &ResponseBuilder) -> String {
    b.assertion_signed_xml(&FRESH.key, &FRESH.cert).unwrap()
}

fn fresh(xml: &str) -> Result<Login, ResponseError> {
    validate_at(xml, REQUEST_ID, &[FRESH.key.public_key()], ts(INSTANT))
}

/// Byte range of the signed assertion in `xml`.
fn assertion_range(xml: &str) -> std::ops::Range<usize> {
    let start = xml.find("<saml:Assertion").unwrap();
    let end = xml.rfind("</saml:Assertion>").unwrap() + "</saml:Assertion>".len();
    start..end
}

/// A copy of the signed assertion without its signature, the ID changed (or kept) and the
/// fiscal number replaced: what the attacker wants the SP to read.
fn evil_from(signed_assertion: &str, assertion_id: &str, new_id: Option<&str>) -> String {
    let sig_start = signed_assertion.find("<ds:Signature").unwrap();
    let sig_end = signed_assertion.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    let mut evil = format!(
        "{}{}",
        &signed_assertion[..sig_start],
        &signed_assertion[sig_end..]
    );
    if let Some(id) = new_id {
        evil = evil.replacen(
            &format!(r#"ID="{assertion_id}""#),
            &format!(r#"ID="{id}""#),
            1,
        );
    }
    assert!(evil.contains(SIGNED_FISCAL_NUMBER));
    evil.replace(SIGNED_FISCAL_NUMBER, EVIL_FISCAL_NUMBER)
}

/// All wrappings of `make_xsw_vectors.py`, plus one on the Response, as text edits.
fn wrappings(b: &ResponseBuilder) -> Vec<(&'static str, String, &'static str)> {
    let xml = baseline(b);
    let r = assertion_range(&xml);
    let (head, signed, tail) = (&xml[..r.start], &xml[r.clone()], &xml[r.end..]);
    let id = b.assertion_id.as_str();
    let mut out = Vec::new();

    out.push((
        "01 evil sibling before",
        format!(
            "{head}{}{signed}{tail}",
            evil_from(signed, id, Some("_evil1"))
        ),
        "assertion_count",
    ));
    out.push((
        "02 evil sibling after",
        format!(
            "{head}{signed}{}{tail}",
            evil_from(signed, id, Some("_evil2"))
        ),
        "assertion_count",
    ));
    out.push((
        "03 duplicate ID, evil first",
        format!("{head}{}{signed}{tail}", evil_from(signed, id, None)),
        "duplicate_id",
    ));

    // 04: the signed assertion moved inside the evil one, as its last child.
    let evil4 = evil_from(signed, id, Some("_evil4"));
    let close = evil4.rfind("</saml:Assertion>").unwrap();
    let wrapped = format!("{}{signed}{}", &evil4[..close], &evil4[close..]);
    out.push((
        "04 signed wrapped inside evil",
        format!("{head}{wrapped}{tail}"),
        "assertion_count",
    ));

    // 05: the signed assertion in samlp:Extensions (after the Issuer), the evil one in its place.
    let issuer_end = head.find("</saml:Issuer>").unwrap() + "</saml:Issuer>".len();
    let with_ext = format!(
        "{}<samlp:Extensions>{signed}</samlp:Extensions>{}{}{tail}",
        &head[..issuer_end],
        &head[issuer_end..],
        evil_from(signed, id, Some("_evil5")),
    );
    out.push(("05 signed in Extensions", with_ext, "unexpected_element"));

    // 06: the evil assertion inside ds:Object of the signed assertion's signature.
    let sig_close = signed.find("</ds:Signature>").unwrap();
    let in_object = format!(
        "{}<ds:Object>{}</ds:Object>{}",
        &signed[..sig_close],
        evil_from(signed, id, Some("_evil6")),
        &signed[sig_close..]
    );
    out.push((
        "06 evil in ds:Object",
        format!("{head}{in_object}{tail}"),
        "assertion_count",
    ));

    // 08: the whole genuine Response, both parts signed, hidden in an evil Response's
    // Extensions (XSW on the Response signature rather than the assertion's).
    let genuine = b.signed_xml(&FRESH.key, &FRESH.cert).unwrap();
    let evil_response = format!(
        "{}<samlp:Extensions>{genuine}</samlp:Extensions>{}{}{tail}",
        &head[..issuer_end],
        &head[issuer_end..],
        evil_from(signed, id, Some("_evil8")),
    )
    .replacen(
        &format!(r#"ID="{}""#, b.response_id),
        r#"ID="_evil-response""#,
        1,
    );
    out.push((
        "08 signed Response in evil Response's Extensions",
        evil_response,
        "unexpected_element",
    ));
    out
}

#[test]
fn fresh_baseline_is_accepted() {
    let login = fresh(&baseline(&fresh_builder())).unwrap();
    assert_eq!(login.attribute("fiscalNumber"), Some(SIGNED_FISCAL_NUMBER));
}

#[test]
fn fresh_wrappings_are_rejected_by_their_structural_pin() {
    let b = fresh_builder();
    for (name, xml, code) in wrappings(&b) {
        assert!(
            xml.contains(EVIL_FISCAL_NUMBER),
            "{name}: the vector carries the evil value"
        );
        match fresh(&xml) {
            Ok(login) => panic!("{name} accepted with {:?}", login.attribute("fiscalNumber")),
            Err(e) => assert_eq!(e.code(), code, "{name}: {e}"),
        }
    }
}

#[test]
fn fresh_comment_injection_gives_the_full_value() {
    let b = fresh_builder();
    let xml = baseline(&b).replacen(SIGNED_FISCAL_NUMBER, "TINIT-RS<!--x-->SMRA80A01H501U", 1);
    assert_eq!(
        fresh(&xml).unwrap().attribute("fiscalNumber"),
        Some(SIGNED_FISCAL_NUMBER)
    );
    // A comment that splits the value in the middle of an entity-free run, twice.
    let xml = baseline(&b).replacen(
        SIGNED_FISCAL_NUMBER,
        "T<!---->INIT-RSSMRA80A01H501<!-- z -->U",
        1,
    );
    assert_eq!(
        fresh(&xml).unwrap().fiscal_number(),
        Some("RSSMRA80A01H501U")
    );
}
