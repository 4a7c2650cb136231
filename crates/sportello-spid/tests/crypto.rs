//! The cryptographic core against the outside world: documents signed by xmlsec1 (SP metadata,
//! an IdP response, canonicalisation corner cases), signature wrapping and comment injection,
//! tampering, our own signatures (cross-checked with the `xmlsec1` command when installed), and
//! the Avviso 29 certificate.

use std::path::PathBuf;
use std::sync::OnceLock;

use roxmltree::{Document, Node};
use sportello_spid::dsig::{self, DsigError};
use sportello_spid::keys::{
    Certificate, CertificateSubject, DigestAlgorithm, KeyError, PublicKey, SignatureAlgorithm,
    SigningKey,
};
use sportello_spid::xml::{self, Limits, XmlError, ns};

// ---------------------------------------------------------------------------------------------
// Helpers

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/crypto")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The IdP key of the XSW vectors.
fn idp_key() -> PublicKey {
    Certificate::from_pem(&fixture("xsw/idp-vectors.crt"))
        .unwrap()
        .public_key()
        .clone()
}

/// The IdP key of `response-both-signed.xml` (another key than the vectors').
fn response_idp_key() -> PublicKey {
    Certificate::from_pem(&fixture("xsw/idp-response.crt"))
        .unwrap()
        .public_key()
        .clone()
}

const ASSERTION_ID: &str = "_388b95b3be404a2bbc78e9655af95d65";
const FISCAL_NUMBER: &str = "TINIT-RSSMRA80A01H501U";
const EVIL_FISCAL_NUMBER: &str = "TINIT-EVLMLL66A01H501X";

fn by_id<'a, 'i>(doc: &'a Document<'i>, id: &str) -> Node<'a, 'i> {
    doc.descendants()
        .find(|n| n.attribute("ID") == Some(id))
        .unwrap_or_else(|| panic!("no element with ID {id}"))
}

fn assertions<'a, 'i>(doc: &'a Document<'i>) -> Vec<Node<'a, 'i>> {
    doc.descendants()
        .filter(|n| xml::is(*n, ns::SAML, "Assertion"))
        .collect()
}

/// The string-value of the fiscalNumber attribute in `node`'s subtree.
fn fiscal_number(node: Node<'_, '_>) -> Option<String> {
    node.descendants()
        .find(|n| xml::is(*n, ns::SAML, "Attribute") && n.attribute("Name") == Some("fiscalNumber"))
        .map(|a| xml::string_value(xml::only_child(a, ns::SAML, "AttributeValue").unwrap()))
}

fn verify_text(text: &str, id: &str, keys: &[PublicKey]) -> Result<dsig::Verified, DsigError> {
    let doc = xml::parse(text, &Limits::METADATA)?;
    dsig::verify_enveloped(by_id(&doc, id), keys)
}

/// One RSA-2048 key and its Avviso 29 certificate for the whole test binary (keygen is slow).
fn test_identity() -> &'static (SigningKey, Certificate) {
    static IDENTITY: OnceLock<(SigningKey, Certificate)> = OnceLock::new();
    IDENTITY.get_or_init(|| {
        let key = SigningKey::generate(2048).unwrap();
        let cert = Certificate::self_signed(&key, &subject(), jiff::Timestamp::now(), 365).unwrap();
        (key, cert)
    })
}

fn subject() -> CertificateSubject {
    CertificateSubject {
        organization: "Comune di Esempio".into(),
        common_name: "Comune di Esempio".into(),
        entity_id: "https://servizi.comune.esempio.it/spid".into(),
        organization_identifier: "PA:IT-c_h501".into(),
        locality: "Roma".into(),
        country: "IT".into(),
    }
}

/// Runs `xmlsec1 --verify` on `xml` for the signature selected by `xpath` (local-name based).
/// `None` when xmlsec1 is not installed (scripts/install-test-deps installs it).
fn xmlsec1_verifies(xml: &str, cert: &Certificate, id_nodes: &[&str], xpath: &str) -> Option<bool> {
    use std::process::Command;
    if Command::new("xmlsec1").arg("--version").output().is_err() {
        eprintln!("xmlsec1 not installed: interop check skipped");
        return None;
    }
    static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir =
        std::env::temp_dir().join(format!("sportello-spid-crypto-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (doc_path, cert_path) = (dir.join("doc.xml"), dir.join("cert.pem"));
    std::fs::write(&doc_path, xml).unwrap();
    std::fs::write(&cert_path, cert.to_pem()).unwrap();
    let mut cmd = Command::new("xmlsec1");
    cmd.arg("--verify").arg("--pubkey-cert-pem").arg(&cert_path);
    for node in id_nodes {
        cmd.arg("--id-attr:ID").arg(node);
    }
    cmd.arg("--node-xpath").arg(xpath).arg(&doc_path);
    let out = cmd.output().unwrap();
    std::fs::remove_dir_all(&dir).ok();
    if !out.status.success() {
        eprintln!("xmlsec1: {}", String::from_utf8_lossy(&out.stderr));
    }
    Some(out.status.success())
}

const ASSERTION_NODE: &str = "urn:oasis:names:tc:SAML:2.0:assertion:Assertion";
const RESPONSE_NODE: &str = "urn:oasis:names:tc:SAML:2.0:protocol:Response";

// ---------------------------------------------------------------------------------------------
// Documents signed by xmlsec1

#[test]
fn xmlsec1_signed_sp_metadata_verifies_with_its_own_certificate() {
    for name in [
        "metadata-spid.xml",
        "metadata-cie.xml",
        "metadata-spid-prod.xml",
    ] {
        let text = fixture(name);
        let doc = xml::parse(&text, &Limits::METADATA).unwrap();
        let root = doc.root_element();
        assert!(xml::is(root, ns::MD, "EntityDescriptor"));
        let cert_node = root
            .descendants()
            .find(|n| {
                xml::is(*n, ns::DS, "X509Certificate")
                    && n.ancestors().any(|a| xml::is(a, ns::MD, "KeyDescriptor"))
            })
            .unwrap();
        let cert = Certificate::from_base64(&xml::string_value(cert_node)).unwrap();
        let verified = dsig::verify_enveloped(root, &[cert.public_key().clone()])
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(verified.algorithm(), SignatureAlgorithm::RsaSha256);
        assert_eq!(verified.digest_algorithm(), DigestAlgorithm::Sha256);
        let signed = verified.document_with_limits(&Limits::METADATA).unwrap();
        assert_eq!(
            signed.root_element().attribute("entityID"),
            root.attribute("entityID")
        );
        assert!(
            xml::children(signed.root_element(), ns::DS, "Signature")
                .next()
                .is_none(),
            "{name}: signature left out"
        );

        // One changed character in the signed content.
        let tampered = text.replacen("entityID=\"http", "entityID=\"hxtp", 1);
        assert_ne!(tampered, text);
        let id = root.attribute("ID").unwrap();
        assert!(matches!(
            verify_text(&tampered, id, &[cert.public_key().clone()]),
            Err(DsigError::DigestMismatch)
        ));
    }
}

#[test]
fn xmlsec1_signed_response_verifies_at_both_levels() {
    let text = fixture("xsw/response-both-signed.xml");
    let doc = xml::parse(&text, &Limits::MESSAGE).unwrap();
    let response = doc.root_element();
    let assertion = xml::only_child(response, ns::SAML, "Assertion").unwrap();
    let r = dsig::verify_enveloped(response, &[response_idp_key()]).unwrap();
    let a = dsig::verify_enveloped(assertion, &[response_idp_key()]).unwrap();
    assert!(matches!(
        dsig::verify_enveloped(assertion, &[idp_key()]),
        Err(DsigError::BadSignature)
    ));
    // The canonical Response keeps the Assertion with its signature, not its own.
    let rdoc = r.document().unwrap();
    assert!(xml::is(rdoc.root_element(), ns::SAMLP, "Response"));
    assert!(
        xml::children(rdoc.root_element(), ns::DS, "Signature")
            .next()
            .is_none()
    );
    let inner = xml::only_child(rdoc.root_element(), ns::SAML, "Assertion").unwrap();
    assert!(xml::children(inner, ns::DS, "Signature").next().is_some());
    let adoc = a.document().unwrap();
    assert!(xml::is(adoc.root_element(), ns::SAML, "Assertion"));
    assert_eq!(
        fiscal_number(adoc.root_element()).as_deref(),
        Some(FISCAL_NUMBER)
    );
}

#[test]
fn xmlsec1_canonicalisation_corner_cases() {
    let cert = Certificate::from_pem(&fixture("xmlsec/xmlsec-test.crt")).unwrap();
    let key = [cert.public_key().clone()];
    let tricky = fixture("xmlsec/tricky-rsa-sha512.xml");
    let v = verify_text(&tricky, "_tricky1", &key).unwrap();
    assert_eq!(v.algorithm(), SignatureAlgorithm::RsaSha512);
    assert_eq!(v.digest_algorithm(), DigestAlgorithm::Sha384);
    assert!(
        v.canonical().contains("&#xD;"),
        "CR character references survive"
    );
    assert!(
        !v.canonical().contains("inner comment"),
        "comments are not canonical"
    );
    assert!(v.canonical().contains("<?my-pi some data?>"));
    // A parser normalises CRLF line ends to LF: the same document with CRLF still verifies.
    let crlf = tricky.replace('\n', "\r\n");
    verify_text(&crlf, "_tricky1", &key).unwrap();
    // A literal tab in an attribute is normalised to a space, unlike &#9;: not the same value.
    let changed = tricky.replacen("&#9;", "\t", 1);
    assert!(matches!(
        verify_text(&changed, "_tricky1", &key),
        Err(DsigError::DigestMismatch)
    ));

    let v = verify_text(&fixture("xmlsec/prefixlist.xml"), "_pl1", &key).unwrap();
    assert_eq!(v.algorithm(), SignatureAlgorithm::RsaSha384);
    assert_eq!(v.digest_algorithm(), DigestAlgorithm::Sha512);
    assert!(
        v.canonical()
            .starts_with(r#"<a:c xmlns="urn:d" xmlns:a="urn:a" xmlns:b="urn:b" ID="_pl1">"#)
    );
}

// ---------------------------------------------------------------------------------------------
// Signature wrapping and comment injection (namespace-correct vectors)

#[test]
fn xsw_00_baseline_verifies() {
    let text = fixture("xsw/00-baseline-assertion-signed-only.xml");
    let doc = xml::parse(&text, &Limits::MESSAGE).unwrap();
    let [assertion] = assertions(&doc)[..] else {
        panic!("one assertion")
    };
    let v = dsig::verify_enveloped(assertion, &[idp_key()]).unwrap();
    assert_eq!(
        fiscal_number(v.document().unwrap().root_element()).as_deref(),
        Some(FISCAL_NUMBER)
    );
    // The Response is not signed in these vectors (the attacker dropped its signature).
    assert!(matches!(
        dsig::verify_enveloped(doc.root_element(), &[idp_key()]),
        Err(DsigError::SignatureMissing)
    ));
}

#[test]
fn xsw_evil_siblings_are_unsigned_and_the_signed_one_keeps_its_values() {
    for (name, evil_id) in [
        ("xsw/01-evil-sibling-before.xml", "_evil1"),
        ("xsw/02-evil-sibling-after.xml", "_evil2"),
    ] {
        let text = fixture(name);
        let doc = xml::parse(&text, &Limits::MESSAGE).unwrap();
        assert_eq!(assertions(&doc).len(), 2);
        assert!(matches!(
            dsig::verify_enveloped(by_id(&doc, evil_id), &[idp_key()]),
            Err(DsigError::SignatureMissing)
        ));
        let v = dsig::verify_enveloped(by_id(&doc, ASSERTION_ID), &[idp_key()]).unwrap();
        assert_eq!(
            fiscal_number(v.document().unwrap().root_element()).as_deref(),
            Some(FISCAL_NUMBER)
        );
        assert!(!v.canonical().contains(EVIL_FISCAL_NUMBER));
    }
}

#[test]
fn xsw_03_duplicate_id_is_rejected_for_both() {
    let text = fixture("xsw/03-duplicate-id-evil-first.xml");
    let doc = xml::parse(&text, &Limits::MESSAGE).unwrap();
    for a in assertions(&doc) {
        assert!(
            matches!(dsig::verify_enveloped(a, &[idp_key()]), Err(DsigError::DuplicateId(id)) if id == ASSERTION_ID)
        );
    }
}

#[test]
fn xsw_wrapped_assertion_the_evil_container_is_unsigned() {
    for (name, evil_id) in [
        ("xsw/04-signed-wrapped-inside-evil.xml", "_evil4"),
        ("xsw/05-signed-in-extensions.xml", "_evil5"),
    ] {
        let text = fixture(name);
        let doc = xml::parse(&text, &Limits::MESSAGE).unwrap();
        assert!(matches!(
            dsig::verify_enveloped(by_id(&doc, evil_id), &[idp_key()]),
            Err(DsigError::SignatureMissing)
        ));
        // The moved assertion is still validly signed: it is response.rs that refuses it because
        // it is not the Response's only direct Assertion child. Its verified content is genuine.
        let v = dsig::verify_enveloped(by_id(&doc, ASSERTION_ID), &[idp_key()]).unwrap();
        assert!(!v.canonical().contains(EVIL_FISCAL_NUMBER));
    }
}

#[test]
fn xsw_06_ds_object_is_rejected() {
    let text = fixture("xsw/06-evil-in-ds-object.xml");
    let doc = xml::parse(&text, &Limits::MESSAGE).unwrap();
    match dsig::verify_enveloped(by_id(&doc, ASSERTION_ID), &[idp_key()]) {
        Err(DsigError::Malformed(m)) => assert!(m.contains("Object"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        dsig::verify_enveloped(by_id(&doc, "_evil6"), &[idp_key()]),
        Err(DsigError::SignatureMissing)
    ));
}

#[test]
fn xsw_07_comment_in_value_verifies_and_reads_whole() {
    let text = fixture("xsw/07-comment-in-fiscalNumber.xml");
    let doc = xml::parse(&text, &Limits::MESSAGE).unwrap();
    let assertion = by_id(&doc, ASSERTION_ID);
    let v = dsig::verify_enveloped(assertion, &[idp_key()]).unwrap();
    // The naive reading is the bug: the first text node stops at the comment.
    let value = assertion
        .descendants()
        .find(|n| n.text() == Some("TINIT-RS"))
        .unwrap();
    assert_eq!(xml::string_value(value), FISCAL_NUMBER);
    assert_eq!(fiscal_number(assertion).as_deref(), Some(FISCAL_NUMBER));
    assert_eq!(
        fiscal_number(v.document().unwrap().root_element()).as_deref(),
        Some(FISCAL_NUMBER)
    );
}

// ---------------------------------------------------------------------------------------------
// Tampering and structure

fn baseline() -> String {
    fixture("xsw/00-baseline-assertion-signed-only.xml")
}

fn verify_baseline_variant(text: &str) -> Result<dsig::Verified, DsigError> {
    let doc = xml::parse(text, &Limits::MESSAGE)?;
    let a = doc
        .descendants()
        .find(|n| xml::is(*n, ns::SAML, "Assertion") && n.attribute("ID").is_some())
        .unwrap();
    dsig::verify_enveloped(a, &[idp_key()])
}

fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert_eq!(text.matches(from).count(), 1, "{from:?} must occur once");
    text.replacen(from, to, 1)
}

#[test]
fn changed_value_is_a_digest_mismatch() {
    let t = replace_once(&baseline(), FISCAL_NUMBER, "TINIT-RSSMRA80A01H501V");
    assert!(matches!(
        verify_baseline_variant(&t),
        Err(DsigError::DigestMismatch)
    ));
    // Attributes are covered too.
    let t = replace_once(
        &baseline(),
        r#"Version="2.0" IssueInstant="2026-11-26T17:07:07Z"><saml:Issuer"#,
        r#"Version="2.0" IssueInstant="2026-11-26T17:07:08Z"><saml:Issuer"#,
    );
    assert!(matches!(
        verify_baseline_variant(&t),
        Err(DsigError::DigestMismatch)
    ));
}

fn signature_value(text: &str) -> String {
    let doc = xml::parse(text, &Limits::MESSAGE).unwrap();
    let sv = doc
        .descendants()
        .find(|n| xml::is(*n, ns::DS, "SignatureValue"))
        .unwrap();
    text[sv.range()].to_owned()
}

#[test]
fn changed_signature_value_is_a_bad_signature() {
    let text = baseline();
    let sv = signature_value(&text);
    // Flip one base64 character in the middle of the value.
    let mid = sv.len() / 2;
    let c = sv.as_bytes()[mid];
    let flipped = if c == b'A' { 'B' } else { 'A' };
    let mut changed = sv.clone();
    changed.replace_range(mid..=mid, &flipped.to_string());
    let t = replace_once(&text, &sv, &changed);
    assert!(matches!(
        verify_baseline_variant(&t),
        Err(DsigError::BadSignature)
    ));
}

#[test]
fn changed_digest_value_is_a_bad_signature() {
    // A digest that matches a changed document still needs SignedInfo's signature.
    let text = baseline();
    let changed = replace_once(&text, FISCAL_NUMBER, EVIL_FISCAL_NUMBER);
    let doc = xml::parse(&changed, &Limits::MESSAGE).unwrap();
    let a = by_id(&doc, ASSERTION_ID);
    let sig = xml::only_child(a, ns::DS, "Signature").unwrap();
    let canonical = sportello_spid::c14n::exclusive(a, Some(sig), &[]);
    use base64::Engine as _;
    let new_digest = base64::engine::general_purpose::STANDARD
        .encode(DigestAlgorithm::Sha256.digest(canonical.as_bytes()));
    let old_digest = "W8XaMTgy2b0sSC3QcUVBjDrcWre1T/tNU9YIsslhZ00=";
    let forged = replace_once(&changed, old_digest, &new_digest);
    assert!(matches!(
        verify_baseline_variant(&forged),
        Err(DsigError::BadSignature)
    ));
}

#[test]
fn wrong_key_is_a_bad_signature_and_any_trusted_key_may_verify() {
    let (key, _) = test_identity();
    let text = baseline();
    let doc = xml::parse(&text, &Limits::MESSAGE).unwrap();
    let a = by_id(&doc, ASSERTION_ID);
    assert!(matches!(
        dsig::verify_enveloped(a, &[key.public_key()]),
        Err(DsigError::BadSignature)
    ));
    assert!(matches!(
        dsig::verify_enveloped(a, &[]),
        Err(DsigError::NoTrustedKeys)
    ));
    let v = dsig::verify_enveloped(a, &[key.public_key(), idp_key()]).unwrap();
    assert_eq!(v.key_index(), 1);
}

#[test]
fn key_info_is_ignored() {
    let (key, cert) = test_identity();
    let text = baseline();
    let doc = xml::parse(&text, &Limits::MESSAGE).unwrap();
    let x509 = doc
        .descendants()
        .find(|n| xml::is(*n, ns::DS, "X509Certificate"))
        .unwrap();
    let embedded = xml::string_value(x509);
    // Another certificate in KeyInfo: still verified with the trusted key only.
    let swapped = replace_once(&text, &embedded, &cert.to_base64());
    verify_baseline_variant(&swapped).unwrap();
    let doc = xml::parse(&swapped, &Limits::MESSAGE).unwrap();
    assert!(matches!(
        dsig::verify_enveloped(by_id(&doc, ASSERTION_ID), &[key.public_key()]),
        Err(DsigError::BadSignature)
    ));
}

#[test]
fn duplicated_id_anywhere_is_rejected() {
    let text = baseline();
    for attr in ["ID", "Id", "id"] {
        let t = replace_once(
            &text,
            "<saml:Subject>",
            &format!(r#"<saml:Subject {attr}="{ASSERTION_ID}">"#),
        );
        assert!(
            matches!(verify_baseline_variant(&t), Err(DsigError::DuplicateId(_))),
            "{attr}"
        );
    }
    let t = replace_once(
        &text,
        "<saml:Subject>",
        &format!(r#"<saml:Subject xml:id="{ASSERTION_ID}">"#),
    );
    assert!(matches!(
        verify_baseline_variant(&t),
        Err(DsigError::DuplicateId(_))
    ));
}

#[test]
fn missing_or_empty_id_is_rejected() {
    let doc = xml::parse(
        r#"<r xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:Signature/></r>"#,
        &Limits::MESSAGE,
    )
    .unwrap();
    assert!(matches!(
        dsig::verify_enveloped(doc.root_element(), &[idp_key()]),
        Err(DsigError::MissingId)
    ));
    let doc = xml::parse(r#"<r ID=""/>"#, &Limits::MESSAGE).unwrap();
    assert!(matches!(
        dsig::verify_enveloped(doc.root_element(), &[idp_key()]),
        Err(DsigError::MissingId)
    ));
}

/// The baseline's assertion Signature element, as text.
fn assertion_signature(text: &str) -> String {
    let doc = xml::parse(text, &Limits::MESSAGE).unwrap();
    let sig = xml::only_child(by_id(&doc, ASSERTION_ID), ns::DS, "Signature").unwrap();
    text[sig.range()].to_owned()
}

#[test]
fn moved_nested_or_repeated_signature_is_rejected() {
    let text = baseline();
    let sig = assertion_signature(&text);
    let without = replace_once(&text, &sig, "");
    assert!(matches!(
        verify_baseline_variant(&without),
        Err(DsigError::SignatureMissing)
    ));

    // Moved into the Subject: no longer a direct child.
    let nested = replace_once(&without, "<saml:Subject>", &format!("<saml:Subject>{sig}"));
    assert!(matches!(
        verify_baseline_variant(&nested),
        Err(DsigError::SignatureNotDirectChild)
    ));

    // Moved up to the Response, still referencing the assertion.
    let up = replace_once(&without, "<samlp:Status>", &format!("{sig}<samlp:Status>"));
    assert!(matches!(
        verify_baseline_variant(&up),
        Err(DsigError::SignatureNotDirectChild)
    ));

    // Twice as a direct child.
    let twice = replace_once(&text, &sig, &format!("{sig}{sig}"));
    assert!(matches!(
        verify_baseline_variant(&twice),
        Err(DsigError::MultipleSignatures)
    ));

    // A second copy elsewhere that references the assertion.
    let elsewhere = replace_once(&text, "<samlp:Status>", &format!("{sig}<samlp:Status>"));
    assert!(matches!(
        verify_baseline_variant(&elsewhere),
        Err(DsigError::MultipleSignatures)
    ));
}

#[test]
fn signature_shape_and_algorithms_are_pinned() {
    let text = baseline();
    let reject = |from: &str, to: &str| verify_baseline_variant(&replace_once(&text, from, to));

    let uri = format!(r##"<Reference URI="#{ASSERTION_ID}">"##);
    assert!(matches!(
        reject(&uri, r##"<Reference URI="#_other">"##),
        Err(DsigError::BadReference(_))
    ));
    assert!(matches!(
        reject(&uri, r#"<Reference URI="">"#),
        Err(DsigError::BadReference(_))
    ));
    assert!(matches!(
        reject(&uri, "<Reference>"),
        Err(DsigError::BadReference(_))
    ));
    assert!(matches!(
        reject(
            "</Reference>\n</SignedInfo>",
            &format!("</Reference>\n{uri}</Reference></SignedInfo>")
        ),
        Err(DsigError::BadReference(_))
    ));

    let rsa_sha256 = "xmldsig-more#rsa-sha256";
    assert!(matches!(
        reject(&format!(r#"http://www.w3.org/2001/04/{rsa_sha256}"#), "http://www.w3.org/2000/09/xmldsig#rsa-sha1"),
        Err(DsigError::UnsupportedAlgorithm(a)) if a.ends_with("rsa-sha1")
    ));
    assert!(matches!(
        reject(
            r#"<DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>"#,
            r#"<DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/>"#
        ),
        Err(DsigError::UnsupportedAlgorithm(_))
    ));
    assert!(matches!(
        reject(
            r#"<CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>"#,
            r#"<CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#WithComments"/>"#
        ),
        Err(DsigError::UnsupportedAlgorithm(_))
    ));
    let exc_transform =
        "<Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>\n</Transforms>";
    assert!(matches!(
        reject(
            exc_transform,
            "<Transform Algorithm=\"http://www.w3.org/TR/2001/REC-xml-c14n-20010315\"/>\n</Transforms>"
        ),
        Err(DsigError::UnsupportedAlgorithm(_))
    ));
    assert!(matches!(
        reject(
            exc_transform,
            "<Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/><Transform Algorithm=\"http://www.w3.org/TR/1999/REC-xpath-19991116\"/></Transforms>"
        ),
        Err(DsigError::UnsupportedAlgorithm(_))
    ));
    assert!(matches!(
        reject(exc_transform, "</Transforms>"),
        Err(DsigError::UnsupportedAlgorithm(_))
    ));
    assert!(matches!(
        reject("</Signature>", "<Object><x/></Object></Signature>"),
        Err(DsigError::Malformed(m)) if m.contains("Object")
    ));
    assert!(matches!(
        reject("<SignatureValue>", "<SignatureValue>!!"),
        Err(DsigError::Malformed(_))
    ));
}

#[test]
fn hostile_xml_is_refused_before_any_crypto() {
    let text = baseline();
    let with_dtd = format!("<!DOCTYPE r [<!ENTITY x \"{FISCAL_NUMBER}\">]>{text}");
    assert!(matches!(
        xml::parse(&with_dtd, &Limits::MESSAGE),
        Err(XmlError::Dtd)
    ));
    let laughs = r#"<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><l>&c;</l>"#;
    assert!(matches!(
        xml::parse(laughs, &Limits::MESSAGE),
        Err(XmlError::Dtd)
    ));
    let big = format!("{}{}", text, " ".repeat(Limits::MESSAGE.max_bytes));
    assert!(matches!(
        xml::parse(&big, &Limits::MESSAGE),
        Err(XmlError::TooLarge(_))
    ));
    let deep = replace_once(
        &text,
        "<saml:Subject>",
        &format!("<saml:Subject>{}{}", "<x>".repeat(40), "</x>".repeat(40)),
    );
    assert!(matches!(
        xml::parse(&deep, &Limits::MESSAGE),
        Err(XmlError::TooDeep(_))
    ));
    let many = replace_once(
        &text,
        "<saml:Subject>",
        &format!("<saml:Subject>{}", "<x/>".repeat(5000)),
    );
    assert!(matches!(
        xml::parse(&many, &Limits::MESSAGE),
        Err(XmlError::TooManyNodes(_))
    ));
}

// ---------------------------------------------------------------------------------------------
// Our signatures

const IDP: &str = "https://idp.example.it";

fn response_template(response_id: &str, assertion_id: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{response_id}" Version="2.0" IssueInstant="2026-01-01T10:00:00Z" Destination="https://sp.example.it/acs" InResponseTo="_req">
  <saml:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">{IDP}</saml:Issuer>
  <samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>
  <saml:Assertion xmlns:xs="http://www.w3.org/2001/XMLSchema" ID="{assertion_id}" Version="2.0" IssueInstant="2026-01-01T10:00:00Z">
    <saml:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">{IDP}</saml:Issuer>
    <saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:transient" NameQualifier="{IDP}">_n &amp; &lt;x&gt;</saml:NameID></saml:Subject>
    <saml:AttributeStatement><saml:Attribute Name="fiscalNumber"><saml:AttributeValue xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string">{FISCAL_NUMBER}</saml:AttributeValue></saml:Attribute></saml:AttributeStatement>
  </saml:Assertion>
</samlp:Response>
"#
    )
}

#[test]
fn sign_assertion_then_response_both_verify_here_and_with_xmlsec1() {
    let (key, cert) = test_identity();
    let text = response_template("_resp1", "_assert1");
    let once = dsig::sign_enveloped(&text, "_assert1", key, cert).unwrap();
    let twice = dsig::sign_enveloped(&once, "_resp1", key, cert).unwrap();

    let doc = xml::parse(&twice, &Limits::MESSAGE).unwrap();
    let response = doc.root_element();
    let assertion = xml::only_child(response, ns::SAML, "Assertion").unwrap();
    for signed in [response, assertion] {
        // Placement: right after the Issuer.
        let children: Vec<_> = xml::element_children(signed).collect();
        assert!(xml::is(children[0], ns::SAML, "Issuer"));
        assert!(xml::is(children[1], ns::DS, "Signature"));
        let v = dsig::verify_enveloped(signed, &[key.public_key()]).unwrap();
        assert_eq!(v.algorithm(), SignatureAlgorithm::RsaSha256);
    }
    // Apart from the inserted signatures, the text is unchanged.
    let stripped = strip_signatures(&twice);
    assert_eq!(stripped, text);

    for xpath in [
        "/*[local-name()='Response']/*[local-name()='Signature']",
        "//*[local-name()='Assertion']/*[local-name()='Signature']",
    ] {
        if let Some(ok) = xmlsec1_verifies(&twice, cert, &[RESPONSE_NODE, ASSERTION_NODE], xpath) {
            assert!(ok, "xmlsec1 rejects {xpath}");
        }
    }
    // And the check is not vacuous: xmlsec1 refuses a changed value.
    let tampered = replace_once(&twice, FISCAL_NUMBER, EVIL_FISCAL_NUMBER);
    let xpath = "//*[local-name()='Assertion']/*[local-name()='Signature']";
    if let Some(ok) = xmlsec1_verifies(&tampered, cert, &[RESPONSE_NODE, ASSERTION_NODE], xpath) {
        assert!(!ok, "xmlsec1 accepts a tampered assertion");
    }
}

/// `text` without its `<ds:Signature>…</ds:Signature>` elements (ours are never nested).
fn strip_signatures(text: &str) -> String {
    let mut out = text.to_owned();
    while let Some(start) = out.find("<ds:Signature ") {
        let end = out[start..].find("</ds:Signature>").unwrap() + start + "</ds:Signature>".len();
        out.replace_range(start..end, "");
    }
    out
}

#[test]
fn sign_metadata_puts_the_signature_first_and_xmlsec1_agrees() {
    let (key, cert) = test_identity();
    // The xmlsec1-signed metadata, without its signature, signed again by us.
    let original = fixture("metadata-spid.xml");
    let doc = xml::parse(&original, &Limits::METADATA).unwrap();
    let sig = xml::only_child(doc.root_element(), ns::DS, "Signature").unwrap();
    let unsigned = format!(
        "{}{}",
        &original[..sig.range().start],
        &original[sig.range().end..]
    );
    let id = doc.root_element().attribute("ID").unwrap();
    let signed = dsig::sign_enveloped(&unsigned, id, key, cert).unwrap();

    let doc = xml::parse(&signed, &Limits::METADATA).unwrap();
    let root = doc.root_element();
    assert!(xml::is(
        root.first_element_child().unwrap(),
        ns::DS,
        "Signature"
    ));
    dsig::verify_enveloped(root, &[key.public_key()]).unwrap();
    if let Some(ok) = xmlsec1_verifies(
        &signed,
        cert,
        &["urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor"],
        "/*/*[local-name()='Signature']",
    ) {
        assert!(ok, "xmlsec1 rejects our metadata signature");
    }
}

#[test]
fn sign_empty_and_self_closing_elements_and_odd_ids() {
    let (key, cert) = test_identity();
    for (text, id) in [
        (
            r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" ID="_e1" entityID="x"/>"#,
            "_e1",
        ),
        (r#"<a xmlns="urn:x" ID="_e2" ></a >"#, "_e2"),
        (
            r#"<a xmlns="urn:x"><b ID="x&amp;y&quot;z"><c/></b></a>"#,
            "x&y\"z",
        ),
    ] {
        let signed = dsig::sign_enveloped(text, id, key, cert).unwrap();
        verify_text(&signed, id, &[key.public_key()]).unwrap_or_else(|e| panic!("{text}: {e}"));
    }
}

#[test]
fn sign_errors() {
    let (key, cert) = test_identity();
    assert!(matches!(
        dsig::sign_enveloped(r#"<a ID="x"/>"#, "y", key, cert),
        Err(DsigError::ElementNotFound(_))
    ));
    assert!(matches!(
        dsig::sign_enveloped(r#"<a><b ID="x"/><c ID="x"/></a>"#, "x", key, cert),
        Err(DsigError::DuplicateId(_))
    ));
    let other = Certificate::from_pem(&fixture("xsw/idp-response.crt")).unwrap();
    assert!(matches!(
        dsig::sign_enveloped(r#"<a ID="x"/>"#, "x", key, &other),
        Err(DsigError::Key(_))
    ));
    let signed = dsig::sign_enveloped(r#"<a ID="x"/>"#, "x", key, cert).unwrap();
    assert!(matches!(
        dsig::sign_enveloped(&signed, "x", key, cert),
        Err(DsigError::MultipleSignatures)
    ));
}

// ---------------------------------------------------------------------------------------------
// Keys and certificates

#[test]
fn raw_signatures_for_every_algorithm() {
    let (key, _) = test_identity();
    let public = key.public_key();
    for alg in SignatureAlgorithm::ALL {
        assert_eq!(SignatureAlgorithm::from_uri(alg.uri()), Some(alg));
        let sig = key.sign(alg, b"SAMLRequest=abc&SigAlg=x").unwrap();
        assert_eq!(sig.len(), 256);
        public
            .verify(alg, b"SAMLRequest=abc&SigAlg=x", &sig)
            .unwrap();
        assert!(matches!(
            public.verify(alg, b"SAMLRequest=abd&SigAlg=x", &sig),
            Err(KeyError::BadSignature)
        ));
        for other in SignatureAlgorithm::ALL.into_iter().filter(|o| *o != alg) {
            assert!(
                public
                    .verify(other, b"SAMLRequest=abc&SigAlg=x", &sig)
                    .is_err()
            );
        }
    }
    assert_eq!(
        SignatureAlgorithm::from_uri("http://www.w3.org/2000/09/xmldsig#rsa-sha1"),
        None
    );
    for d in DigestAlgorithm::ALL {
        assert_eq!(DigestAlgorithm::from_uri(d.uri()), Some(d));
        assert_eq!(d.digest(b"").len(), d.output_len());
    }
    assert_eq!(
        DigestAlgorithm::Sha256.digest(b"abc")[..4],
        [0xba, 0x78, 0x16, 0xbf],
        "FIPS 180-2 test vector"
    );
}

#[test]
fn private_key_round_trips() {
    let (key, _) = test_identity();
    let again = SigningKey::from_pkcs8_der(key.pkcs8_der()).unwrap();
    assert_eq!(again.public_key(), key.public_key());
    let from_pem = SigningKey::from_pem(&key.to_pkcs8_pem()).unwrap();
    let sig = from_pem.sign(SignatureAlgorithm::RsaSha256, b"m").unwrap();
    key.public_key()
        .verify(SignatureAlgorithm::RsaSha256, b"m", &sig)
        .unwrap();

    // PKCS#1 "RSA PRIVATE KEY": the privateKey OCTET STRING inside the PKCS#8 structure.
    let pkcs1 = pkcs8_inner_key(key.pkcs8_der());
    use base64::Engine as _;
    let pem = format!(
        "-----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----\n",
        base64::engine::general_purpose::STANDARD.encode(pkcs1)
    );
    assert_eq!(
        SigningKey::from_pem(&pem).unwrap().public_key(),
        key.public_key()
    );
    assert!(matches!(
        SigningKey::from_pem("nothing"),
        Err(KeyError::Pem(_))
    ));
    assert!(matches!(
        SigningKey::from_pkcs8_der(b"\x30\x00"),
        Err(KeyError::InvalidPrivateKey(_))
    ));
    assert!(
        !format!("{key:?}").contains("pkcs8"),
        "Debug must not show the key"
    );
}

/// Content of the last top-level OCTET STRING of a PKCS#8 PrivateKeyInfo (lengths < 64 KiB).
fn pkcs8_inner_key(der: &[u8]) -> &[u8] {
    fn header(d: &[u8]) -> (usize, usize) {
        match d[1] {
            l if l < 0x80 => (2, l as usize),
            0x81 => (3, d[2] as usize),
            0x82 => (4, (d[2] as usize) << 8 | d[3] as usize),
            _ => panic!("unsupported length"),
        }
    }
    let (h, _) = header(der);
    let mut rest = &der[h..];
    loop {
        let (h, len) = header(rest);
        if rest[0] == 0x04 {
            return &rest[h..h + len];
        }
        rest = &rest[h + len..];
    }
}

#[test]
fn key_sizes_are_enforced() {
    assert!(matches!(
        SigningKey::generate(1024),
        Err(KeyError::KeySize(1024, _))
    ));
    assert!(matches!(
        SigningKey::generate(8192),
        Err(KeyError::KeySize(8192, _))
    ));
    // A 1024-bit public key never verifies, whatever the signature.
    use rsa::pkcs8::EncodePublicKey as _;
    let small = rsa::PrivateKey::new(&mut getrandom::SysRng, 1024).unwrap();
    let spki = small.to_public_key().to_public_key_der().unwrap();
    let public = PublicKey::from_spki_der(spki.as_bytes()).unwrap();
    assert_eq!(public.bits(), 1024);
    assert!(matches!(
        public.verify(SignatureAlgorithm::RsaSha256, b"m", &[0; 128]),
        Err(KeyError::KeySize(1024, _))
    ));
    assert_eq!(
        public.spki_der(),
        spki.as_bytes(),
        "SPKI re-encoding is exact"
    );
}

#[test]
fn non_rsa_keys_are_refused() {
    // SubjectPublicKeyInfo of an EC P-256 key (id-ecPublicKey, prime256v1), point elided.
    let mut spki = vec![
        0x30, 0x19, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
    ];
    spki.extend_from_slice(&[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]);
    spki.extend_from_slice(&[0x03, 0x02, 0x00, 0x04]);
    assert!(
        matches!(PublicKey::from_spki_der(&spki), Err(KeyError::UnsupportedKeyType(oid)) if oid == "1.2.840.10045.2.1")
    );
}

#[test]
fn certificate_parsing_and_encodings() {
    let pem = fixture("xsw/idp-response.crt");
    let cert = Certificate::from_pem(&pem).unwrap();
    assert_eq!(cert.subject_summary(), "CN=idp.example.it");
    assert_eq!(
        cert.not_before(),
        "2026-11-25T17:09:41Z".parse::<jiff::Timestamp>().unwrap()
    );
    assert_eq!(
        cert.not_after(),
        "2027-11-26T17:09:41Z".parse::<jiff::Timestamp>().unwrap()
    );
    assert_eq!(cert.public_key().bits(), 2048);
    assert_eq!(cert.to_pem(), pem);
    assert_eq!(Certificate::from_base64(&cert.to_base64()).unwrap(), cert);
    // As in ds:X509Certificate: wrapped lines and indentation.
    let wrapped: String = cert
        .to_base64()
        .as_bytes()
        .chunks(64)
        .map(|c| format!("\n    {}\r", std::str::from_utf8(c).unwrap()))
        .collect();
    assert_eq!(Certificate::from_base64(&wrapped).unwrap(), cert);
    assert_eq!(cert.sha256_fingerprint().len(), 64);
    assert!(matches!(
        Certificate::from_base64("not base64!"),
        Err(KeyError::Base64(_))
    ));
    assert!(matches!(
        Certificate::from_der(&cert.der()[..100]),
        Err(KeyError::InvalidCertificate(_))
    ));
    let mut trailing = cert.der().to_vec();
    trailing.push(0);
    assert!(matches!(
        Certificate::from_der(&trailing),
        Err(KeyError::InvalidCertificate(_))
    ));
    assert!(matches!(
        Certificate::from_pem("nothing"),
        Err(KeyError::Pem(_))
    ));
}

#[test]
fn avviso_29_certificate_has_the_reference_shape() {
    // The reference: made by `openssl req -x509` with the configuration of gen_sp_cert.sh
    // (equivalent to AgID's spid-compliant-certificates), for the same subject, RSA-3072.
    let reference = Certificate::from_pem(&fixture("avviso29-reference.crt")).unwrap();
    let key = SigningKey::generate(3072).unwrap();
    let not_before = "2026-11-26T16:50:13.75Z"
        .parse::<jiff::Timestamp>()
        .unwrap();
    let cert = Certificate::self_signed(&key, &subject(), not_before, 730).unwrap();

    assert_eq!(skeleton(cert.der()), skeleton(reference.der()));
    assert_eq!(cert.subject_summary(), reference.subject_summary());
    assert_eq!(
        cert.subject_summary(),
        "O=Comune di Esempio, CN=Comune di Esempio, uri=https://servizi.comune.esempio.it/spid, \
         organizationIdentifier=PA:IT-c_h501, C=IT, L=Roma"
    );
    assert_eq!(cert.issuer_summary(), cert.subject_summary());
    assert_eq!(
        cert.not_before(),
        "2026-11-26T16:50:13Z".parse::<jiff::Timestamp>().unwrap()
    );
    assert_eq!(
        cert.not_after(),
        "2028-11-25T16:50:13Z".parse::<jiff::Timestamp>().unwrap()
    );
    assert_eq!(cert.not_after(), reference.not_after());
    assert_eq!(cert.public_key(), &key.public_key());
    assert_eq!(cert.serial_hex().len(), 40);
    // Self-signed: the signature over the TBS verifies with the certificate's own key.
    let (tbs, sig) = tbs_and_signature(cert.der());
    cert.public_key()
        .verify(SignatureAlgorithm::RsaSha256, tbs, sig)
        .unwrap();

    let bad = CertificateSubject {
        country: "Italia".into(),
        ..subject()
    };
    assert!(matches!(
        Certificate::self_signed(&key, &bad, not_before, 730),
        Err(KeyError::InvalidSubject(_))
    ));
    let bad = CertificateSubject {
        entity_id: String::new(),
        ..subject()
    };
    assert!(matches!(
        Certificate::self_signed(&key, &bad, not_before, 730),
        Err(KeyError::InvalidSubject(_))
    ));
}

/// Minimal DER walk for the tests: (tag, length, content, header length).
fn tlv(d: &[u8]) -> (u8, usize, usize) {
    match d[1] {
        l if l < 0x80 => (d[0], l as usize, 2),
        0x81 => (d[0], d[2] as usize, 3),
        0x82 => (d[0], (d[2] as usize) << 8 | d[3] as usize, 4),
        _ => panic!("length"),
    }
}

/// The certificate's structure with the values that must differ between two certificates
/// (serial, times, key, signature, key identifiers) masked out; everything else verbatim.
fn skeleton(der: &[u8]) -> Vec<String> {
    fn walk(d: &[u8], out: &mut Vec<String>) {
        let mut rest = d;
        while !rest.is_empty() {
            let (tag, len, h) = tlv(rest);
            let content = &rest[h..h + len];
            if tag & 0x20 != 0 {
                out.push(format!("{tag:02x} {len} {{"));
                walk(content, out);
                out.push("}".into());
            } else {
                let masked = matches!(tag, 0x02 | 0x03 | 0x17 | 0x18)
                    || (tag == 0x04
                        && (content.starts_with(&[0x04, 0x14])
                            || content.starts_with(&[0x30, 0x16, 0x80, 0x14])));
                if masked {
                    out.push(format!("{tag:02x} {len} …"));
                } else {
                    out.push(format!("{tag:02x} {len} {content:02x?}"));
                }
            }
            rest = &rest[h + len..];
        }
    }
    let mut out = Vec::new();
    walk(der, &mut out);
    out
}

fn tbs_and_signature(der: &[u8]) -> (&[u8], &[u8]) {
    let (_, _, h) = tlv(der);
    let body = &der[h..];
    let (_, tbs_len, tbs_h) = tlv(body);
    let tbs = &body[..tbs_h + tbs_len];
    let rest = &body[tbs_h + tbs_len..];
    let (_, alg_len, alg_h) = tlv(rest);
    let rest = &rest[alg_h + alg_len..];
    let (_, sig_len, sig_h) = tlv(rest);
    (tbs, &rest[sig_h + 1..sig_h + sig_len])
}
