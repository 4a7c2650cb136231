//! Response validation, one test per check.
//!
//! Every response is built by the crate's own test IdP (`idp::ResponseBuilder`) with keys made
//! at start-up, then edited as text (before signing, so that only the check under test can
//! refuse it; or after, to test the signature) and validated at a fixed instant. Each rejection
//! test asserts the error's stable `code()`, so it fails if its check is removed and another one
//! happens to catch the message, not only if the message is accepted.

use std::sync::LazyLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use jiff::{SignedDuration, Timestamp};
use sportello_spid::SpidLevel;
use sportello_spid::idp::{self, Failure, ResponseBuilder};
use sportello_spid::keys::{Certificate, CertificateSubject, PublicKey, SigningKey};
use sportello_spid::response::{Expected, Login, Profile, ResponseError, validate};

const IDP: &str = "https://idp.example.it";
const ACS: &str = "https://sp.example.it/spid/acs";
const SP: &str = "https://sp.example.it/spid/metadata";
const REQUEST_ID: &str = "_4f1c2e8a9b7d4c3e8f0a1b2c3d4e5f60";
const REQUEST_INSTANT: &str = "2026-11-26T17:07:07Z";
/// The validator's clock: two seconds after the request.
const NOW: &str = "2026-11-26T17:07:09Z";
const FISCAL_NUMBER: &str = "TINIT-RSSMRA80A01H501U";

struct Keys {
    idp: SigningKey,
    idp_cert: Certificate,
    attacker: SigningKey,
    attacker_cert: Certificate,
}

static KEYS: LazyLock<Keys> = LazyLock::new(|| {
    // Two 2048-bit keys; generated in parallel because key generation is slow in debug builds.
    let (idp, attacker) = std::thread::scope(|s| {
        let other = s.spawn(|| SigningKey::generate(2048).unwrap());
        (SigningKey::generate(2048).unwrap(), other.join().unwrap())
    });
    let cert = |key: &SigningKey, cn: &str| {
        let subject = CertificateSubject {
            organization: "Test IdP".into(),
            common_name: cn.into(),
            entity_id: IDP.into(),
            organization_identifier: "PA:IT-c_h501".into(),
            locality: "Roma".into(),
            country: "IT".into(),
        };
        Certificate::self_signed(key, &subject, ts("2026-01-01T00:00:00Z"), 730).unwrap()
    };
    Keys {
        idp_cert: cert(&idp, "idp.example.it"),
        attacker_cert: cert(&attacker, "evil.example.it"),
        idp,
        attacker,
    }
});

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// A SpidL2 answer like a real IdP's, with the ten attributes of the benchmark.
fn builder() -> ResponseBuilder {
    ResponseBuilder::new(IDP, REQUEST_ID, ts(REQUEST_INSTANT), ACS, SP, ts(NOW))
        .unwrap()
        .level(SpidLevel::L2)
        .attribute("spidCode", "AGID-001")
        .attribute("name", "Mario")
        .attribute("familyName", "Rossi")
        .attribute("fiscalNumber", FISCAL_NUMBER)
        .attribute("email", "mario@example.it")
        .attribute("mobilePhone", "+393331234567")
        .attribute("dateOfBirth", "1980-01-01")
        .attribute("placeOfBirth", "H501")
        .attribute("digitalAddress", "mario@pec.example.it")
        .attribute("address", "Via Roma 1 00100 Roma RM")
}

fn expected(keys: &[PublicKey]) -> Expected<'_> {
    Expected::new(
        REQUEST_ID,
        ts(REQUEST_INSTANT),
        IDP,
        keys,
        ACS,
        SP,
        SpidLevel::L2,
    )
    .at(ts(NOW))
}

fn check_with(
    xml: &str,
    adjust: impl FnOnce(Expected<'_>) -> Expected<'_>,
) -> Result<Login, ResponseError> {
    let keys = [KEYS.idp.public_key()];
    validate(&B64.encode(xml), &adjust(expected(&keys)))
}

fn check(xml: &str) -> Result<Login, ResponseError> {
    check_with(xml, |e| e)
}

#[track_caller]
fn rejects(xml: &str, code: &str) -> ResponseError {
    match check(xml) {
        Ok(login) => panic!("accepted ({login:?}), expected {code}"),
        Err(e) => {
            assert_eq!(e.code(), code, "wrong rejection: {e}");
            e
        }
    }
}

/// Assertion signed, then Response signed, with the IdP key.
fn signed(b: &ResponseBuilder) -> String {
    b.signed_xml(&KEYS.idp, &KEYS.idp_cert).unwrap()
}

/// Exactly one occurrence of `from` replaced: an edit that silently matched nothing (or too
/// much) would make the test prove nothing.
#[track_caller]
fn replace_once(xml: &str, from: &str, to: &str) -> String {
    assert_eq!(
        xml.matches(from).count(),
        1,
        "{from:?} must occur exactly once"
    );
    xml.replacen(from, to, 1)
}

/// Edit the unsigned text, then sign the Assertion and the Response as the IdP would.
fn edited(b: &ResponseBuilder, edit: impl FnOnce(String) -> String) -> String {
    let xml = edit(b.unsigned_xml());
    idp::sign(
        &xml,
        Some(&b.response_id),
        Some(&b.assertion_id),
        &KEYS.idp,
        &KEYS.idp_cert,
    )
    .unwrap()
}

/// Edit the unsigned text, then sign the Assertion only (for edits of the Response envelope:
/// a Response signature would catch them before the check under test).
fn edited_envelope(b: &ResponseBuilder, edit: impl FnOnce(String) -> String) -> String {
    let xml = edit(b.unsigned_xml());
    idp::sign(&xml, None, Some(&b.assertion_id), &KEYS.idp, &KEYS.idp_cert).unwrap()
}

/// `IssueInstant="…"` of the Response (followed by its Destination) in the builder's text.
fn response_instant(b: &ResponseBuilder) -> String {
    format!(r#"IssueInstant="{}" Destination="#, instant_of(b))
}

fn assertion_instant(b: &ResponseBuilder) -> String {
    format!(
        r#"ID="{}" Version="2.0" IssueInstant="{}""#,
        b.assertion_id,
        instant_of(b)
    )
}

fn instant_of(b: &ResponseBuilder) -> String {
    b.now
        .max(b.request_instant)
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn until_of(b: &ResponseBuilder) -> String {
    let t = b
        .now
        .max(b.request_instant)
        .checked_add(b.validity)
        .unwrap();
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

// ---------------------------------------------------------------------------------------------
// Accepted responses.

#[test]
fn a_spid_response_signed_twice_is_accepted_with_every_value() {
    let b = builder();
    let login = check(&signed(&b)).unwrap();
    assert_eq!(login.response_id, b.response_id);
    assert_eq!(login.assertion_id, b.assertion_id);
    assert_eq!(login.issuer, IDP);
    assert_eq!(login.name_id, b.name_id);
    assert_eq!(login.name_id_qualifier, IDP);
    assert_eq!(login.session_index, b.session_index);
    assert_eq!(login.level, SpidLevel::L2);
    // Five minutes of validity plus the skew: how long the replay cache keeps the ID.
    assert_eq!(login.not_on_or_after, ts("2026-11-26T17:13:09Z"));
    assert_eq!(login.attributes.len(), 10);
    assert_eq!(login.fiscal_number(), Some("RSSMRA80A01H501U"));
    assert_eq!(login.attribute("fiscalNumber"), Some(FISCAL_NUMBER));
    assert_eq!(login.name(), Some("Mario"));
    assert_eq!(login.family_name(), Some("Rossi"));
    assert_eq!(login.email(), Some("mario@example.it"));
    assert_eq!(login.mobile_phone(), Some("+393331234567"));
    assert_eq!(login.digital_address(), Some("mario@pec.example.it"));
    assert_eq!(login.spid_code(), Some("AGID-001"));
    assert_eq!(login.date_of_birth(), Some(jiff::civil::date(1980, 1, 1)));
}

#[test]
fn only_the_assertion_signed_is_accepted() {
    let b = builder();
    let login = check(&b.assertion_signed_xml(&KEYS.idp, &KEYS.idp_cert).unwrap()).unwrap();
    assert_eq!(login.fiscal_number(), Some("RSSMRA80A01H501U"));
}

#[test]
fn missing_session_index_is_accepted() {
    let b = builder().session_index(None);
    assert_eq!(check(&signed(&b)).unwrap().session_index, None);
}

#[test]
fn issue_instant_equal_to_the_request_instant_is_accepted() {
    // AgID's suite answers within the same second as the request: the check is >=, not >.
    let mut b = builder();
    b.now = ts(REQUEST_INSTANT);
    check(&signed(&b)).unwrap();
}

#[test]
fn six_digit_fractional_seconds_are_accepted() {
    // Case 110.
    let b = builder();
    let with_micros = format!(
        r#"IssueInstant="{}.123456Z" Destination="#,
        instant_of(&b).trim_end_matches('Z')
    );
    check(&edited(&b, |x| {
        replace_once(&x, &response_instant(&b), &with_micros)
    }))
    .unwrap();
}

#[test]
fn response_issuer_without_format_is_accepted() {
    // Case 31: optional on the Response.
    let b = builder();
    let xml = edited(&b, |x| {
        let issuer = format!(
            r#"<saml:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">{IDP}</saml:Issuer><samlp:Status>"#
        );
        replace_once(
            &x,
            &issuer,
            &format!("<saml:Issuer>{IDP}</saml:Issuer><samlp:Status>"),
        )
    });
    check(&xml).unwrap();
}

#[test]
fn attributes_without_name_format_and_an_xml_declaration_are_accepted() {
    // Case 109.
    let b = builder();
    let xml = edited(&b, |x| {
        let x = x.replace(
            r#" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic""#,
            "",
        );
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\" ?> \n{x}")
    });
    assert_eq!(check(&xml).unwrap().attributes.len(), 10);
}

#[test]
fn pretty_printed_values_are_trimmed() {
    // spid-sp-test writes the NameID on its own indented line.
    let b = builder();
    let xml = edited(&b, |x| {
        replace_once(
            &x,
            &format!(">{}</saml:NameID>", b.name_id),
            &format!(">\n        {}\n    </saml:NameID>", b.name_id),
        )
    });
    assert_eq!(check(&xml).unwrap().name_id, b.name_id);
}

#[test]
fn a_higher_level_than_requested_is_accepted() {
    let b = builder().level(SpidLevel::L3);
    assert_eq!(check(&signed(&b)).unwrap().level, SpidLevel::L3);
}

#[test]
fn cie_may_omit_the_assertion_issuer_format() {
    // Cases 70/71 are skipped by AgID for CIE.
    let b = builder();
    let xml = edited(&b, |x| drop_assertion_issuer_format(&b, &x, ""));
    let cie = check_with(&xml, |e| e.with_profile(Profile::Cie)).unwrap();
    assert_eq!(cie.issuer, IDP);
    let xml = edited(&b, |x| {
        drop_assertion_issuer_format(&b, &x, r#" Format="""#)
    });
    check_with(&xml, |e| e.with_profile(Profile::Cie)).unwrap();
}

fn drop_assertion_issuer_format(b: &ResponseBuilder, xml: &str, replacement: &str) -> String {
    let from = format!(
        r#"IssueInstant="{}"><saml:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">"#,
        instant_of(b)
    );
    replace_once(
        xml,
        &from,
        &format!(
            r#"IssueInstant="{}"><saml:Issuer{replacement}>"#,
            instant_of(b)
        ),
    )
}

// ---------------------------------------------------------------------------------------------
// Encoding and parsing.

#[test]
fn bad_base64_is_rejected() {
    let keys = [KEYS.idp.public_key()];
    let e = validate("PHNhbWxwOlJlc3BvbnNlLz4=!!", &expected(&keys)).unwrap_err();
    assert_eq!(e.code(), "response_base64");
}

#[test]
fn base64_with_line_breaks_is_accepted() {
    let keys = [KEYS.idp.public_key()];
    let encoded = B64.encode(signed(&builder()));
    let wrapped: Vec<&str> = encoded
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    validate(&wrapped.join("\r\n"), &expected(&keys)).unwrap();
}

#[test]
fn oversized_responses_are_rejected_before_parsing() {
    let b = builder();
    let padding = "x".repeat(300 * 1024);
    let xml = signed(&b).replace(
        "</samlp:Response>",
        &format!("<!-- {padding} --></samlp:Response>"),
    );
    rejects(&xml, "response_too_large");
}

#[test]
fn a_dtd_is_rejected() {
    let xml = format!(
        "<!DOCTYPE samlp:Response [<!ENTITY e \"x\">]>{}",
        signed(&builder())
    );
    rejects(&xml, "response_dtd");
    let xml = format!(
        "<!DOCTYPE r SYSTEM \"file:///etc/passwd\">{}",
        signed(&builder())
    );
    rejects(&xml, "response_dtd");
}

#[test]
fn the_root_must_be_a_samlp_response() {
    let b = builder();
    let xml = signed(&b).replace("samlp:Response", "samlp:ArtifactResponse");
    rejects(&xml, "not_a_response");
    // Same local name, another namespace.
    let xml = signed(&b).replacen(
        r#"xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol""#,
        r#"xmlns:samlp="urn:example:not-saml""#,
        1,
    );
    rejects(&xml, "not_a_response");
}

// ---------------------------------------------------------------------------------------------
// Structure, before cryptography.

#[test]
fn two_assertions_are_rejected() {
    let b = builder();
    let xml = b.assertion_signed_xml(&KEYS.idp, &KEYS.idp_cert).unwrap();
    let start = xml.find("<saml:Assertion").unwrap();
    let end = xml.rfind("</samlp:Response>").unwrap();
    let evil = xml[start..end]
        .replace(&b.assertion_id, "_evil")
        .replace(FISCAL_NUMBER, "TINIT-EVLMLL66A01H501X");
    // After the signed one: a reader of "the last assertion" would use the evil values.
    let after = format!("{}{evil}{}", &xml[..end], &xml[end..]);
    rejects(&after, "assertion_count");
    // Before it.
    let before = format!("{}{evil}{}", &xml[..start], &xml[start..]);
    rejects(&before, "assertion_count");
}

#[test]
fn no_assertion_is_rejected() {
    // Case 32.
    let b = builder();
    let xml = b.unsigned_xml();
    let start = xml.find("<saml:Assertion").unwrap();
    let end = xml.rfind("</samlp:Response>").unwrap();
    let xml = format!("{}{}", &xml[..start], &xml[end..]);
    rejects(&xml, "assertion_count");
}

#[test]
fn an_assertion_nested_anywhere_else_is_rejected() {
    // An extra assertion inside the signed one (e.g. in its Advice) is not read, but a
    // document with one is not SPID: exactly one assertion in the whole response.
    let b = builder();
    let xml = edited(&b, |x| {
        replace_once(
            &x,
            "</saml:Assertion>",
            &format!(
                r#"<saml:Advice><saml:Assertion ID="_inner" Version="2.0" IssueInstant="{NOW}"/></saml:Advice></saml:Assertion>"#
            ),
        )
    });
    rejects(&xml, "assertion_count");
}

#[test]
fn an_encrypted_assertion_is_rejected() {
    let b = builder();
    let xml = b.unsigned_xml();
    let start = xml.find("<saml:Assertion").unwrap();
    let end = xml.rfind("</samlp:Response>").unwrap();
    let encrypted = r#"<saml:EncryptedAssertion><xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#"><xenc:CipherData><xenc:CipherValue>AAAA</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData></saml:EncryptedAssertion>"#;
    // Next to a valid signed assertion, so that only the encryption check can refuse it.
    let signed_xml = b.assertion_signed_xml(&KEYS.idp, &KEYS.idp_cert).unwrap();
    let end_signed = signed_xml.rfind("</samlp:Response>").unwrap();
    let xml_with_both = format!(
        "{}{encrypted}{}",
        &signed_xml[..end_signed],
        &signed_xml[end_signed..]
    );
    rejects(&xml_with_both, "encrypted_content");
    let only_encrypted = format!("{}{encrypted}{}", &xml[..start], &xml[end..]);
    rejects(&only_encrypted, "encrypted_content");
}

#[test]
fn duplicate_ids_are_rejected() {
    let b = builder();
    // Added after signing (the signer refuses duplicate IDs); the Response is not signed.
    let xml = b.assertion_signed_xml(&KEYS.idp, &KEYS.idp_cert).unwrap();
    let xml = replace_once(
        &xml,
        "<samlp:Status>",
        &format!(r#"<samlp:Status ID="{}">"#, b.assertion_id),
    );
    rejects(&xml, "duplicate_id");
}

#[test]
fn unexpected_response_children_are_rejected() {
    // A place to hide a wrapped assertion (see the XSW tests), and nothing SPID uses.
    let b = builder();
    let xml = edited_envelope(&b, |x| {
        replace_once(
            &x,
            "<samlp:Status>",
            "<samlp:Extensions><x:y xmlns:x=\"urn:x\"/></samlp:Extensions><samlp:Status>",
        )
    });
    rejects(&xml, "unexpected_element");
}

// ---------------------------------------------------------------------------------------------
// Signatures.

#[test]
fn an_unsigned_response_is_rejected() {
    // Case 2.
    rejects(&builder().unsigned_xml(), "assertion_signature");
}

#[test]
fn a_signed_response_with_an_unsigned_assertion_is_rejected() {
    // Case 3: the assertion signature is mandatory even when the Response is signed.
    let b = builder();
    let xml = idp::sign(
        &b.unsigned_xml(),
        Some(&b.response_id),
        None,
        &KEYS.idp,
        &KEYS.idp_cert,
    )
    .unwrap();
    rejects(&xml, "assertion_signature");
}

#[test]
fn a_response_signed_by_another_key_with_its_certificate_in_key_info_is_rejected() {
    // Cases 4, 5 and 100: the attacker signs with their key and ships their certificate in
    // KeyInfo. KeyInfo is never used, so only the metadata key counts.
    let b = builder();
    let xml = b.signed_xml(&KEYS.attacker, &KEYS.attacker_cert).unwrap();
    assert!(xml.contains(&KEYS.attacker_cert.to_base64()));
    rejects(&xml, "assertion_signature");
}

#[test]
fn a_signature_by_another_key_carrying_the_idp_certificate_is_rejected() {
    let b = builder();
    let xml = b.signed_xml(&KEYS.attacker, &KEYS.attacker_cert).unwrap();
    let xml = xml.replace(&KEYS.attacker_cert.to_base64(), &KEYS.idp_cert.to_base64());
    rejects(&xml, "assertion_signature");
}

#[test]
fn a_response_signature_by_another_key_is_rejected() {
    // The assertion is genuine; the (optional) Response signature is present, so it must verify.
    let b = builder();
    let xml = idp::sign(
        &b.unsigned_xml(),
        None,
        Some(&b.assertion_id),
        &KEYS.idp,
        &KEYS.idp_cert,
    )
    .unwrap();
    let xml = idp::sign(
        &xml,
        Some(&b.response_id),
        None,
        &KEYS.attacker,
        &KEYS.attacker_cert,
    )
    .unwrap();
    rejects(&xml, "response_signature");
}

#[test]
fn a_value_changed_after_signing_is_rejected() {
    let b = builder();
    let xml = b.assertion_signed_xml(&KEYS.idp, &KEYS.idp_cert).unwrap();
    let xml = replace_once(&xml, FISCAL_NUMBER, "TINIT-EVLMLL66A01H501X");
    rejects(&xml, "assertion_signature");
}

#[test]
fn a_comment_inside_a_signed_value_does_not_truncate_it() {
    // CVE-2017-11427 class: c14n drops comments, so the signature stays valid; a reader of the
    // first text node would see "TINIT-RS".
    let b = builder();
    let xml = b.assertion_signed_xml(&KEYS.idp, &KEYS.idp_cert).unwrap();
    let xml = replace_once(&xml, FISCAL_NUMBER, "TINIT-RS<!--x-->SMRA80A01H501U");
    let login = check(&xml).unwrap();
    assert_eq!(login.attribute("fiscalNumber"), Some(FISCAL_NUMBER));
    let xml = replace_once(
        &b.assertion_signed_xml(&KEYS.idp, &KEYS.idp_cert).unwrap(),
        &b.name_id,
        &format!("{}<!---->{}", &b.name_id[..5], &b.name_id[5..]),
    );
    assert_eq!(check(&xml).unwrap().name_id, b.name_id);
}

#[test]
fn with_no_trusted_key_nothing_validates() {
    let b = builder();
    let e = validate(&B64.encode(signed(&b)), &expected(&[])).unwrap_err();
    assert_eq!(e.code(), "assertion_signature");
}

// ---------------------------------------------------------------------------------------------
// Status (unsigned anomalies).

#[test]
fn spid_user_anomalies_are_reported_with_their_code() {
    // Cases 104-108 and 111.
    let b = builder();
    for code in [19u8, 20, 21, 22, 23, 24, 25] {
        let xml = b.failure_xml(&Failure::anomaly(code));
        let e = rejects(&xml, &format!("spid_anomaly_{code}"));
        assert_eq!(e.anomaly(), Some(code));
        let ResponseError::Status(status) = &e else {
            panic!("{e:?}")
        };
        assert_eq!(
            status.sub_code.as_deref(),
            Some("urn:oasis:names:tc:SAML:2.0:status:AuthnFailed")
        );
        assert_eq!(status.code, "urn:oasis:names:tc:SAML:2.0:status:Responder");
    }
    assert_eq!(
        rejects(
            &b.failure_xml(&Failure::user_cancelled()),
            "spid_anomaly_25"
        )
        .anomaly(),
        Some(25)
    );
}

#[test]
fn other_statuses_are_errors_without_anomaly() {
    // Case 26, and a system anomaly (not one for the user).
    let b = builder();
    let invalid = Failure {
        status: "urn:oasis:names:tc:SAML:2.0:status:statuscodenonvalido".into(),
        sub_status: None,
        message: None,
    };
    assert_eq!(
        rejects(&b.failure_xml(&invalid), "idp_status").anomaly(),
        None
    );
    assert_eq!(
        rejects(&b.failure_xml(&Failure::anomaly(3)), "idp_status").anomaly(),
        None
    );
    // Case 24: an empty StatusCode is not Success.
    let empty = Failure {
        status: String::new(),
        sub_status: None,
        message: None,
    };
    rejects(&b.failure_xml(&empty), "idp_status");
    // A failure status wins even next to an assertion.
    let xml = b.unsigned_xml().replace(
        "urn:oasis:names:tc:SAML:2.0:status:Success",
        "urn:oasis:names:tc:SAML:2.0:status:Requester",
    );
    rejects(&xml, "idp_status");
}

#[test]
fn a_missing_status_is_rejected() {
    // Cases 22 and 23.
    let b = builder();
    let no_code = edited(&b, |x| {
        replace_once(
            &x,
            r#"<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/>"#,
            "",
        )
    });
    rejects(&no_code, "missing_element");
    let no_status = edited(&b, |x| {
        replace_once(
            &x,
            r#"<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>"#,
            "",
        )
    });
    rejects(&no_status, "missing_element");
}

#[test]
fn an_anomaly_for_another_request_is_not_shown_as_ours() {
    let mut b = builder();
    b.request_id = "_someone-elses-request".into();
    rejects(&b.failure_xml(&Failure::user_cancelled()), "in_response_to");
    let mut b = builder();
    b.acs_url = "https://elsewhere.example.it/acs".into();
    rejects(&b.failure_xml(&Failure::user_cancelled()), "destination");
    let mut b = builder();
    b.idp_entity_id = "https://other-idp.example.it".into();
    rejects(
        &b.failure_xml(&Failure::user_cancelled()),
        "response_issuer",
    );
}

// ---------------------------------------------------------------------------------------------
// Response envelope (cases 8-31). The Response is left unsigned so that only the check under
// test can refuse the edit.

#[test]
fn response_id_missing_or_empty_is_rejected() {
    let b = builder();
    let id = format!(r#" ID="{}""#, b.response_id);
    rejects(
        &edited_envelope(&b, |x| replace_once(&x, &id, "")),
        "response_id",
    );
    rejects(
        &edited_envelope(&b, |x| replace_once(&x, &id, r#" ID="""#)),
        "response_id",
    );
}

#[test]
fn response_version_must_be_2_0() {
    let b = builder();
    let from = format!(r#"ID="{}" Version="2.0""#, b.response_id);
    let to = format!(r#"ID="{}" Version="1.0""#, b.response_id);
    rejects(
        &edited_envelope(&b, |x| replace_once(&x, &from, &to)),
        "response_version",
    );
}

#[test]
fn response_issue_instant_formats_are_strict() {
    // Cases 11-13; the formats are AgID's.
    let b = builder();
    for bad in [
        "",
        "2018-09-04",
        "2018-09-06 16:00",
        "2026-11-26T17:07:09",
        "2026-11-26T17:07:09+01:00",
    ] {
        let to = format!(r#"IssueInstant="{bad}" Destination="#);
        rejects(
            &edited_envelope(&b, |x| replace_once(&x, &response_instant(&b), &to)),
            "bad_timestamp",
        );
    }
    let missing = edited_envelope(&b, |x| {
        replace_once(&x, &response_instant(&b), "Destination=")
    });
    rejects(&missing, "bad_timestamp");
}

#[test]
fn response_issue_instant_must_be_within_the_window() {
    // Cases 14 and 15: before the request (less the skew), after now (plus the skew).
    let b = builder();
    for bad in [
        "2018-01-01T00:00:00Z",
        "2026-11-26T17:06:06Z",
        "2026-11-26T17:08:10Z",
        "2099-01-01T00:00:00Z",
    ] {
        let to = format!(r#"IssueInstant="{bad}" Destination="#);
        rejects(
            &edited_envelope(&b, |x| replace_once(&x, &response_instant(&b), &to)),
            "response_issue_instant",
        );
    }
    // The edges are inside.
    for ok in ["2026-11-26T17:06:07Z", "2026-11-26T17:08:09Z"] {
        let to = format!(r#"IssueInstant="{ok}" Destination="#);
        check(&edited_envelope(&b, |x| {
            replace_once(&x, &response_instant(&b), &to)
        }))
        .unwrap();
    }
}

#[test]
fn response_in_response_to_must_be_the_request() {
    // Cases 16-18.
    let b = builder();
    let from = format!(r#"Destination="{ACS}" InResponseTo="{REQUEST_ID}""#);
    for to in [
        format!(r#"Destination="{ACS}" InResponseTo="""#),
        format!(r#"Destination="{ACS}""#),
        format!(r#"Destination="{ACS}" InResponseTo="_other""#),
    ] {
        rejects(
            &edited_envelope(&b, |x| replace_once(&x, &from, &to)),
            "in_response_to",
        );
    }
}

#[test]
fn response_destination_must_be_our_acs() {
    // Cases 19-21.
    let b = builder();
    let from = format!(r#"Destination="{ACS}""#);
    for to in [
        r#"Destination="""#,
        "",
        r#"Destination="diversodaassertionconsumerserviceurl""#,
        r#"Destination="https://sp.example.it/spid/acs/""#,
    ] {
        rejects(
            &edited_envelope(&b, |x| replace_once(&x, &from, to)),
            "destination",
        );
    }
}

#[test]
fn response_issuer_must_be_the_idp_with_entity_format() {
    // Cases 27-30.
    let b = builder();
    let issuer = format!(
        r#"<saml:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">{IDP}</saml:Issuer><samlp:Status>"#
    );
    let empty = r#"<saml:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity"></saml:Issuer><samlp:Status>"#;
    rejects(
        &edited_envelope(&b, |x| replace_once(&x, &issuer, empty)),
        "response_issuer",
    );
    let other = r#"<saml:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">diversodaentityididp</saml:Issuer><samlp:Status>"#;
    rejects(
        &edited_envelope(&b, |x| replace_once(&x, &issuer, other)),
        "response_issuer",
    );
    rejects(
        &edited_envelope(&b, |x| replace_once(&x, &issuer, "<samlp:Status>")),
        "missing_element",
    );
    let format = format!(
        r#"<saml:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:diversodaentity">{IDP}</saml:Issuer><samlp:Status>"#
    );
    rejects(
        &edited_envelope(&b, |x| replace_once(&x, &issuer, &format)),
        "response_issuer_format",
    );
}

// ---------------------------------------------------------------------------------------------
// Assertion (cases 33-99).

#[test]
fn assertion_version_must_be_2_0() {
    // Case 35.
    let b = builder();
    let from = format!(r#"ID="{}" Version="2.0""#, b.assertion_id);
    let to = format!(r#"ID="{}" Version="1.0""#, b.assertion_id);
    rejects(
        &edited(&b, |x| replace_once(&x, &from, &to)),
        "assertion_version",
    );
}

#[test]
fn assertion_issue_instant_formats_are_strict() {
    // Cases 36-38.
    let b = builder();
    for bad in ["", "2018-09-06 16:00", "2026-11-26T17:07:09.Z"] {
        let to = format!(
            r#"ID="{}" Version="2.0" IssueInstant="{bad}""#,
            b.assertion_id
        );
        rejects(
            &edited(&b, |x| replace_once(&x, &assertion_instant(&b), &to)),
            "bad_timestamp",
        );
    }
}

#[test]
fn assertion_issue_instant_must_be_within_the_window() {
    // Cases 39 and 40.
    let b = builder();
    for bad in ["2000-01-01T12:00:00Z", "2099-01-01T00:00:00Z"] {
        let to = format!(
            r#"ID="{}" Version="2.0" IssueInstant="{bad}""#,
            b.assertion_id
        );
        rejects(
            &edited(&b, |x| replace_once(&x, &assertion_instant(&b), &to)),
            "assertion_issue_instant",
        );
    }
}

#[test]
fn assertion_issuer_must_be_the_idp() {
    // Cases 68 and 69.
    let b = builder();
    let xml = edited(&b, |x| {
        let from = format!(r#"entity">{IDP}</saml:Issuer><saml:Subject>"#);
        replace_once(
            &x,
            &from,
            r#"entity">diversodaentityididp</saml:Issuer><saml:Subject>"#,
        )
    });
    rejects(&xml, "assertion_issuer");
}

#[test]
fn assertion_issuer_format_is_required_under_spid() {
    // Cases 70-72.
    let b = builder();
    rejects(
        &edited(&b, |x| drop_assertion_issuer_format(&b, &x, "")),
        "assertion_issuer_format",
    );
    rejects(
        &edited(&b, |x| {
            drop_assertion_issuer_format(&b, &x, r#" Format="""#)
        }),
        "assertion_issuer_format",
    );
    let wrong = r#" Format="urn:oasis:names:tc:SAML:2.0:nameid-format:diversodaentity""#;
    rejects(
        &edited(&b, |x| drop_assertion_issuer_format(&b, &x, wrong)),
        "assertion_issuer_format",
    );
    // A wrong format stays wrong under CIE.
    let xml = edited(&b, |x| drop_assertion_issuer_format(&b, &x, wrong));
    let e = check_with(&xml, |e| e.with_profile(Profile::Cie)).unwrap_err();
    assert_eq!(e.code(), "assertion_issuer_format");
}

#[test]
fn name_id_must_be_a_non_empty_transient_with_a_qualifier() {
    // Cases 43-49.
    let b = builder();
    let name_id = format!(">{}</saml:NameID>", b.name_id);
    rejects(
        &edited(&b, |x| replace_once(&x, &name_id, ">\n   </saml:NameID>")),
        "name_id_empty",
    );
    let transient = r#"<saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:transient""#;
    rejects(
        &edited(&b, |x| replace_once(&x, transient, "<saml:NameID")),
        "name_id_format",
    );
    rejects(
        &edited(&b, |x| {
            replace_once(&x, transient, r#"<saml:NameID Format="""#)
        }),
        "name_id_format",
    );
    let persistent =
        r#"<saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent""#;
    rejects(
        &edited(&b, |x| replace_once(&x, transient, persistent)),
        "name_id_format",
    );
    let qualifier = format!(r#" NameQualifier="{IDP}""#);
    rejects(
        &edited(&b, |x| replace_once(&x, &qualifier, "")),
        "name_id_qualifier",
    );
    rejects(
        &edited(&b, |x| replace_once(&x, &qualifier, r#" NameQualifier="""#)),
        "name_id_qualifier",
    );
}

#[test]
fn subject_confirmation_must_be_bearer() {
    // Cases 53-55.
    let b = builder();
    let bearer = r#"Method="urn:oasis:names:tc:SAML:2.0:cm:bearer""#;
    for to in [
        "",
        r#"Method="""#,
        r#"Method="urn:oasis:names:tc:SAML:2.0:cm:diversodabearer""#,
    ] {
        rejects(
            &edited(&b, |x| replace_once(&x, bearer, to)),
            "subject_confirmation_method",
        );
    }
}

#[test]
fn recipient_must_be_our_acs() {
    // Cases 57-59 (pysaml2 alone accepts 59).
    let b = builder();
    let from = format!(r#" Recipient="{ACS}""#);
    for to in [
        "",
        r#" Recipient="""#,
        r#" Recipient="diversodaassertionconsumerserviceurl""#,
    ] {
        rejects(&edited(&b, |x| replace_once(&x, &from, to)), "recipient");
    }
}

#[test]
fn subject_in_response_to_must_be_the_request() {
    // Cases 60-62.
    let b = builder();
    let from = format!(r#"<saml:SubjectConfirmationData InResponseTo="{REQUEST_ID}""#);
    for to in [
        "<saml:SubjectConfirmationData",
        r#"<saml:SubjectConfirmationData InResponseTo="""#,
        r#"<saml:SubjectConfirmationData InResponseTo="diversodaauthnrequestid""#,
    ] {
        rejects(
            &edited(&b, |x| replace_once(&x, &from, to)),
            "subject_in_response_to",
        );
    }
}

#[test]
fn subject_confirmation_not_on_or_after() {
    // Cases 63-66.
    let b = builder();
    let from = format!(r#"NotOnOrAfter="{}" Recipient="#, until_of(&b));
    for bad in [
        r#"NotOnOrAfter="" Recipient="#,
        "Recipient=",
        r#"NotOnOrAfter="2018.09.18" Recipient="#,
    ] {
        rejects(
            &edited(&b, |x| replace_once(&x, &from, bad)),
            "bad_timestamp",
        );
    }
    rejects(
        &edited(&b, |x| {
            replace_once(
                &x,
                &from,
                r#"NotOnOrAfter="2000-01-01T00:00:00Z" Recipient="#,
            )
        }),
        "subject_expired",
    );
    // Expired by more than the skew only.
    rejects(
        &edited(&b, |x| {
            replace_once(
                &x,
                &from,
                r#"NotOnOrAfter="2026-11-26T17:06:09Z" Recipient="#,
            )
        }),
        "subject_expired",
    );
    check(&edited(&b, |x| {
        replace_once(
            &x,
            &from,
            r#"NotOnOrAfter="2026-11-26T17:06:10Z" Recipient="#,
        )
    }))
    .unwrap();
}

#[test]
fn conditions_not_before() {
    // Cases 75-78.
    let b = builder();
    let from = format!(r#"<saml:Conditions NotBefore="{}""#, instant_of(&b));
    for bad in [
        r#"<saml:Conditions NotBefore="""#,
        "<saml:Conditions",
        r#"<saml:Conditions NotBefore="2018/09/10""#,
    ] {
        rejects(
            &edited(&b, |x| replace_once(&x, &from, bad)),
            "bad_timestamp",
        );
    }
    rejects(
        &edited(&b, |x| {
            replace_once(
                &x,
                &from,
                r#"<saml:Conditions NotBefore="2099-01-01T00:00:00Z""#,
            )
        }),
        "not_yet_valid",
    );
    rejects(
        &edited(&b, |x| {
            replace_once(
                &x,
                &from,
                r#"<saml:Conditions NotBefore="2026-11-26T17:08:10Z""#,
            )
        }),
        "not_yet_valid",
    );
    check(&edited(&b, |x| {
        replace_once(
            &x,
            &from,
            r#"<saml:Conditions NotBefore="2026-11-26T17:08:09Z""#,
        )
    }))
    .unwrap();
}

#[test]
fn conditions_not_on_or_after() {
    // Cases 79-82.
    let b = builder();
    let from = format!(
        r#"NotOnOrAfter="{}"><saml:AudienceRestriction>"#,
        until_of(&b)
    );
    for bad in [
        r#"><saml:AudienceRestriction>"#,
        r#"NotOnOrAfter=""><saml:AudienceRestriction>"#,
        r#"NotOnOrAfter="10-09-2018"><saml:AudienceRestriction>"#,
    ] {
        rejects(
            &edited(&b, |x| replace_once(&x, &from, bad)),
            "bad_timestamp",
        );
    }
    rejects(
        &edited(&b, |x| {
            replace_once(
                &x,
                &from,
                r#"NotOnOrAfter="2000-01-01T00:00:00Z"><saml:AudienceRestriction>"#,
            )
        }),
        "expired",
    );
}

#[test]
fn an_assertion_validated_after_it_expired_is_rejected() {
    let b = builder();
    let xml = signed(&b);
    let later = ts(NOW).checked_add(SignedDuration::from_mins(7)).unwrap();
    // Both the confirmation and the conditions have expired; the first check reports it.
    let e = check_with(&xml, |e| e.at(later)).unwrap_err();
    assert_eq!(e.code(), "subject_expired", "{e}");
    // One second before validity plus skew it is still fine; with no skew it is not.
    let edge = ts(NOW)
        .checked_add(SignedDuration::from_secs(5 * 60 + 59))
        .unwrap();
    check_with(&xml, |e| e.at(edge)).unwrap();
    let e = check_with(&xml, |e| e.at(edge).with_skew(SignedDuration::ZERO)).unwrap_err();
    assert_eq!(e.code(), "subject_expired", "{e}");
}

#[test]
fn audience_must_be_our_entity_id() {
    // Cases 83-87.
    let b = builder();
    let audience = format!("<saml:Audience>{SP}</saml:Audience>");
    rejects(
        &edited(&b, |x| {
            replace_once(&x, &audience, "<saml:Audience></saml:Audience>")
        }),
        "audience",
    );
    rejects(
        &edited(&b, |x| {
            replace_once(
                &x,
                &audience,
                "<saml:Audience>diversodaentityidsp</saml:Audience>",
            )
        }),
        "audience",
    );
    rejects(
        &edited(&b, |x| replace_once(&x, &audience, "")),
        "missing_element",
    );
    let two = format!("{audience}<saml:Audience>https://other.example.it</saml:Audience>");
    rejects(
        &edited(&b, |x| replace_once(&x, &audience, &two)),
        "repeated_element",
    );
}

#[test]
fn required_elements_are_required() {
    // Cases 41-44, 51, 52, 56, 73, 74, 83, 88-93: remove each element.
    let b = builder();
    let x = b.unsigned_xml();
    let cut = |open: &str, close: &str| {
        let start = x.find(open).unwrap();
        let end = x[start..].find(close).unwrap() + start + close.len();
        format!("{}{}", &x[..start], &x[end..])
    };
    let cases = [
        ("<saml:Subject>", "</saml:Subject>"),
        ("<saml:NameID", "</saml:NameID>"),
        ("<saml:SubjectConfirmation ", "</saml:SubjectConfirmation>"),
        ("<saml:SubjectConfirmationData", "/>"),
        ("<saml:Conditions", "</saml:Conditions>"),
        ("<saml:AudienceRestriction>", "</saml:AudienceRestriction>"),
        ("<saml:AuthnStatement", "</saml:AuthnStatement>"),
        ("<saml:AuthnContext>", "</saml:AuthnContext>"),
        (
            "<saml:AuthnContextClassRef>",
            "</saml:AuthnContextClassRef>",
        ),
    ];
    for (open, close) in cases {
        let edited_xml = cut(open, close);
        let xml = idp::sign(
            &edited_xml,
            Some(&b.response_id),
            Some(&b.assertion_id),
            &KEYS.idp,
            &KEYS.idp_cert,
        )
        .unwrap();
        let e = check(&xml).unwrap_err();
        assert_eq!(e.code(), "missing_element", "{open}: {e}");
    }
    // The assertion Issuer too (case 68).
    let issuer = format!(
        r#"<saml:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">{IDP}</saml:Issuer><saml:Subject>"#
    );
    rejects(
        &edited(&b, |x| replace_once(&x, &issuer, "<saml:Subject>")),
        "missing_element",
    );
}

#[test]
fn authn_context_must_be_a_spid_level() {
    // Cases 92 and 97 (the old urn: form is refused).
    let b = builder();
    let acr =
        "<saml:AuthnContextClassRef>https://www.spid.gov.it/SpidL2</saml:AuthnContextClassRef>";
    let old = "<saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:SpidL2</saml:AuthnContextClassRef>";
    rejects(
        &edited(&b, |x| replace_once(&x, acr, old)),
        "unknown_authn_context",
    );
    rejects(
        &edited(&b, |x| {
            replace_once(
                &x,
                acr,
                "<saml:AuthnContextClassRef></saml:AuthnContextClassRef>",
            )
        }),
        "unknown_authn_context",
    );
    let pwd = "<saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef>";
    rejects(
        &edited(&b, |x| replace_once(&x, acr, pwd)),
        "unknown_authn_context",
    );
}

#[test]
fn a_level_lower_than_requested_is_rejected() {
    // Cases 94-96 with SpidL2 requested, Comparison="minimum".
    let e = rejects(&signed(&builder().level(SpidLevel::L1)), "level_too_low");
    assert!(matches!(
        e,
        ResponseError::LevelTooLow {
            requested: SpidLevel::L2,
            got: SpidLevel::L1
        }
    ));
    let xml = signed(&builder().level(SpidLevel::L2));
    let e = check_with(&xml, |e| Expected {
        level: SpidLevel::L3,
        ..e
    })
    .unwrap_err();
    assert_eq!(e.code(), "level_too_low");
}

#[test]
fn an_empty_attribute_statement_is_rejected() {
    // Case 98.
    let b = builder();
    let start = b.unsigned_xml().find("<saml:AttributeStatement>").unwrap();
    let xml = edited(&b, |x| {
        let end = x.find("</saml:AttributeStatement>").unwrap();
        format!("{}<saml:AttributeStatement>{}", &x[..start], &x[end..])
    });
    rejects(&xml, "empty_attribute_statement");
}

#[test]
fn an_attribute_without_value_is_rejected() {
    // Case 99, and an empty or blank value.
    let b = builder();
    let value = r#"<saml:AttributeValue xsi:type="xs:string">AGID-001</saml:AttributeValue>"#;
    rejects(
        &edited(&b, |x| replace_once(&x, value, "")),
        "attribute_without_value",
    );
    rejects(
        &edited(&b, |x| {
            replace_once(
                &x,
                value,
                r#"<saml:AttributeValue xsi:type="xs:string"></saml:AttributeValue>"#,
            )
        }),
        "attribute_without_value",
    );
    rejects(
        &edited(&b, |x| {
            replace_once(
                &x,
                value,
                r#"<saml:AttributeValue xsi:type="xs:string">  </saml:AttributeValue>"#,
            )
        }),
        "attribute_without_value",
    );
}

#[test]
fn ambiguous_attributes_are_rejected() {
    let b = builder();
    let value = r#"<saml:AttributeValue xsi:type="xs:string">AGID-001</saml:AttributeValue>"#;
    let two = format!(
        r#"{value}<saml:AttributeValue xsi:type="xs:string">AGID-002</saml:AttributeValue>"#
    );
    rejects(
        &edited(&b, |x| replace_once(&x, value, &two)),
        "attribute_multiple_values",
    );
    let nested = r#"<saml:AttributeValue xsi:type="xs:string">AGID<x:b xmlns:x="urn:x">-001</x:b></saml:AttributeValue>"#;
    rejects(
        &edited(&b, |x| replace_once(&x, value, nested)),
        "attribute_not_text",
    );
    let dup = builder().attribute("fiscalNumber", "TINIT-EVLMLL66A01H501X");
    rejects(&signed(&dup), "duplicate_attribute");
    let no_name = r#"<saml:Attribute Name="spidCode""#;
    rejects(
        &edited(&b, |x| replace_once(&x, no_name, "<saml:Attribute")),
        "attribute_without_name",
    );
}

// ---------------------------------------------------------------------------------------------
// Replay: the caller's contract.

#[test]
fn a_response_for_another_request_is_rejected() {
    // The caller takes the pending request out of the session before validating (one-shot), so
    // a replayed response meets either no pending request or a newer one, with another ID.
    let b = builder();
    let xml = signed(&b);
    check(&xml).unwrap();
    let keys = [KEYS.idp.public_key()];
    let newer = Expected {
        request_id: "_a-newer-request",
        ..expected(&keys)
    };
    let e = validate(&B64.encode(&xml), &newer).unwrap_err();
    assert_eq!(e.code(), "in_response_to");
    // Even with the Response envelope rewritten for the new request (it is not signed when the
    // attacker drops its signature), the signed assertion still names the old one.
    let replayed = b
        .assertion_signed_xml(&KEYS.idp, &KEYS.idp_cert)
        .unwrap()
        .replacen(
            &format!(r#"InResponseTo="{REQUEST_ID}""#),
            r#"InResponseTo="_a-newer-request""#,
            1,
        );
    let e = validate(&B64.encode(&replayed), &newer).unwrap_err();
    assert_eq!(e.code(), "subject_in_response_to");
}

#[test]
fn the_validator_is_stateless_so_the_assertion_id_cache_is_the_callers() {
    // Same response, same pending request: accepted twice. This is why the caller must make the
    // pending request one-shot and keep `assertion_id` until `not_on_or_after`.
    let xml = signed(&builder());
    let first = check(&xml).unwrap();
    let second = check(&xml).unwrap();
    assert_eq!(first.assertion_id, second.assertion_id);
    assert!(first.not_on_or_after > ts(NOW));
}

// ---------------------------------------------------------------------------------------------
// Test IdP plumbing.

#[test]
fn any_of_several_metadata_keys_verifies() {
    // Key rollover: the IdP metadata lists the old and the new key.
    let keys = [KEYS.attacker.public_key(), KEYS.idp.public_key()];
    validate(&B64.encode(signed(&builder())), &expected(&keys)).unwrap();
}

#[test]
fn the_post_form_carries_the_response_in_base64() {
    let b = builder();
    let xml = signed(&b);
    let form = idp::post_form(ACS, &xml, Some("opaque-relay"));
    assert_eq!(form.action, ACS);
    assert_eq!(form.relay_state.as_deref(), Some("opaque-relay"));
    assert_eq!(B64.decode(&form.saml_response).unwrap(), xml.as_bytes());
    let keys = [KEYS.idp.public_key()];
    validate(&form.saml_response, &expected(&keys)).unwrap();
}

#[test]
fn round_trip_from_our_authn_request_through_the_test_idp() {
    use sportello_spid::authn_request::{AuthnRequestBuilder, parse_authn_request};
    // Our SP's request, as the test IdP reads it; the IdP's answer; our validation against the
    // pending request kept in the session.
    let request = AuthnRequestBuilder::new(SP, "https://idp.example.it/sso", SpidLevel::L2)
        .build_with(REQUEST_ID, ts(REQUEST_INSTANT))
        .unwrap();
    let parsed = parse_authn_request(request.xml()).unwrap();
    let xml = ResponseBuilder::for_request(IDP, &parsed, ACS, ts(NOW))
        .unwrap()
        .attribute("fiscalNumber", FISCAL_NUMBER)
        .signed_xml(&KEYS.idp, &KEYS.idp_cert)
        .unwrap();
    let pending = request.into_pending();
    let keys = [KEYS.idp.public_key()];
    let expected = Expected::for_request(&pending, IDP, &keys, ACS, SP).at(ts(NOW));
    let login = validate(&B64.encode(xml), &expected).unwrap();
    assert_eq!(login.level, SpidLevel::L2);
    assert_eq!(login.fiscal_number(), Some("RSSMRA80A01H501U"));
}
