//! Our SP metadata: structure, signature, and AgID's `spid-sp-test` on the generated files.
//!
//! The `spid_sp_test_*` tests run the real tool (PyPI `spid-sp-test`, with `xmlsec1`) on
//! metadata written by this crate. The tool is looked for in `$SPID_SP_TEST`, then
//! `.venv-test/bin/spid_sp_test` (what `scripts/install-test-deps` installs), then
//! `target/tools/spid-venv/bin/spid_sp_test`. Without it these tests fail, unless
//! `SPORTELLO_TEST_SKIP_SPID=1` says to skip them.
//!
//! `cargo test -p sportello-spid --test metadata -- --ignored write_samples` writes sample
//! metadata, keys and certificates to `target/spid-samples/`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use jiff::Timestamp;
use sportello_spid::dsig;
use sportello_spid::keys::{Certificate, CertificateSubject, SigningKey};
use sportello_spid::metadata::{
    AggregatorContact, AttributeService, Binding, CieContact, Contacts, MetadataError,
    OrganizationInfo, PublicContact, SpMetadata, SpProfile, SpidAttribute, parse_idp_metadata,
    parse_sp_metadata,
};
use sportello_spid::registry::{
    self, AGGREGATE_XML, AGID_SIGNING_CERT_PEM, RegistryError, verify_and_parse_aggregate,
    verify_and_parse_aggregate_at,
};
use sportello_spid::xml::{self, Limits};

// ---------------------------------------------------------------------------------------------
// Fixtures

struct Signer {
    key: SigningKey,
    cert: Certificate,
}

/// One key per entityID (the Avviso 29 certificate names the entityID), made once per run.
fn signer(entity_id: &str) -> &'static Signer {
    static SIGNERS: OnceLock<std::sync::Mutex<Vec<(String, &'static Signer)>>> = OnceLock::new();
    let signers = SIGNERS.get_or_init(Default::default);
    let mut list = signers.lock().unwrap();
    if let Some((_, s)) = list.iter().find(|(e, _)| e == entity_id) {
        return s;
    }
    let key = SigningKey::generate(2048).unwrap();
    let subject = CertificateSubject {
        organization: "Comune di Esempio".into(),
        common_name: "Comune di Esempio".into(),
        entity_id: entity_id.into(),
        organization_identifier: "PA:IT-c_h501".into(),
        locality: "Roma".into(),
        country: "IT".into(),
    };
    // Started a minute ago so that the certificate is valid for the tool right away.
    let not_before = Timestamp::now() - jiff::SignedDuration::from_mins(1);
    let cert = Certificate::self_signed(&key, &subject, not_before, 730).unwrap();
    let s: &'static Signer = Box::leak(Box::new(Signer { key, cert }));
    list.push((entity_id.to_owned(), s));
    s
}

fn organization() -> Vec<OrganizationInfo> {
    vec![
        OrganizationInfo {
            lang: "en".into(),
            name: "Municipality of Esempio".into(),
            display_name: "Esempio".into(),
            url: "https://www.comune.esempio.it/en".into(),
        },
        OrganizationInfo {
            lang: "it".into(),
            name: "Comune di Esempio".into(),
            display_name: "Comune di Esempio".into(),
            url: "https://www.comune.esempio.it".into(),
        },
    ]
}

fn spid_services() -> Vec<AttributeService> {
    use SpidAttribute::*;
    vec![
        AttributeService {
            index: 0,
            names: vec![
                ("it".into(), "Servizi online del Comune".into()),
                ("en".into(), "Online services".into()),
            ],
            attributes: vec![
                SpidCode,
                Name,
                FamilyName,
                FiscalNumber,
                Email,
                MobilePhone,
                DateOfBirth,
                PlaceOfBirth,
                DigitalAddress,
                Address,
            ],
        },
        AttributeService {
            index: 1,
            names: vec![("it".into(), "Solo identificazione".into())],
            attributes: vec![Name, FamilyName, FiscalNumber],
        },
    ]
}

fn public_contact() -> PublicContact {
    PublicContact {
        ipa_code: "c_h501".into(),
        vat_number: Some("IT02438750586".into()),
        fiscal_code: Some("02438750586".into()),
        email: "protocollo@comune.esempio.it".into(),
        telephone: Some("+390612345678".into()),
    }
}

fn base(entity_id: &str, base_url: &str, contacts: Contacts) -> SpMetadata {
    SpMetadata {
        entity_id: entity_id.into(),
        acs_url: format!("{base_url}/acs"),
        slo_redirect_url: format!("{base_url}/slo"),
        slo_post_url: format!("{base_url}/slo"),
        signing_certificates: vec![signer(entity_id).cert.clone()],
        organization: organization(),
        attribute_services: spid_services(),
        contacts,
    }
}

fn public_sp(entity_id: &str, base_url: &str) -> SpMetadata {
    base(entity_id, base_url, Contacts::PublicSp(public_contact()))
}

fn aggregated(entity_id: &str, base_url: &str) -> SpMetadata {
    base(
        entity_id,
        base_url,
        Contacts::Aggregated {
            aggregator: AggregatorContact {
                company: "Aggregatore Servizi Pubblici S.p.A.".into(),
                vat_number: Some("IT01234567890".into()),
                ipa_code: Some("agg_srv".into()),
                fiscal_code: Some("01234567890".into()),
                email: "spid@aggregatore.example.it".into(),
                telephone: Some("+390611111111".into()),
            },
            aggregated: public_contact(),
        },
    )
}

fn cie(entity_id: &str, base_url: &str) -> SpMetadata {
    let mut md = base(
        entity_id,
        base_url,
        Contacts::Cie {
            administrative: CieContact {
                company: None,
                ipa_code: Some("c_h501".into()),
                municipality: "H501".into(),
                province: Some("RM".into()),
                country: Some("IT".into()),
                email: "protocollo@comune.esempio.it".into(),
                telephone: Some("+390612345678".into()),
            },
            technical: Some(CieContact {
                company: Some("Comune di Esempio - Servizi informativi".into()),
                ipa_code: None,
                municipality: "H501".into(),
                province: None,
                country: None,
                email: "ced@comune.esempio.it".into(),
                telephone: None,
            }),
        },
    );
    use SpidAttribute::*;
    md.attribute_services = vec![AttributeService {
        index: 0,
        names: vec![("it".into(), "Servizi online del Comune (CIE)".into())],
        attributes: vec![Name, FamilyName, FiscalNumber, DateOfBirth],
    }];
    md
}

fn sign(md: &SpMetadata) -> String {
    let s = signer(&md.entity_id);
    md.to_signed_xml(&s.key, &s.cert).unwrap()
}

fn write(name: &str, text: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("spid-metadata");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

// ---------------------------------------------------------------------------------------------
// Structure and signature

#[test]
fn round_trip_structure_and_signature() {
    let md = public_sp(
        "http://localhost:8000/spid/metadata",
        "http://localhost:8000/spid",
    );
    let text = sign(&md);
    assert!(text.starts_with(r#"<?xml version="1.0" encoding="UTF-8"?><md:EntityDescriptor "#));

    // Parsed back as an IdP would.
    let sp = parse_sp_metadata(&text).unwrap();
    assert_eq!(sp.entity_id, md.entity_id);
    assert!(sp.authn_requests_signed && sp.want_assertions_signed);
    assert_eq!(sp.signing_certificates, md.signing_certificates);
    let acs = sp.default_acs().unwrap();
    assert_eq!((acs.index, acs.is_default), (0, true));
    assert_eq!(acs.binding, Binding::HttpPost);
    assert_eq!(acs.location, "http://localhost:8000/spid/acs");
    assert_eq!(sp.slo.len(), 2);
    assert_eq!(
        sp.requested_attributes(1).unwrap(),
        ["name", "familyName", "fiscalNumber"]
    );
    assert_eq!(sp.organization_name.as_deref(), Some("Comune di Esempio"));

    // The enveloped signature verifies with the published certificate, and covers the content.
    let doc = xml::parse(&text, &Limits::METADATA).unwrap();
    let root = doc.root_element();
    let first = root.children().find(|n| n.is_element()).unwrap();
    assert_eq!(
        first.tag_name().name(),
        "Signature",
        "signature must be the first child"
    );
    let key = signer(&md.entity_id).cert.public_key().clone();
    dsig::verify_enveloped(root, std::slice::from_ref(&key)).unwrap();
    let tampered = text.replace("protocollo@comune", "attacker@comune");
    let doc = xml::parse(&tampered, &Limits::METADATA).unwrap();
    assert!(dsig::verify_enveloped(doc.root_element(), &[key]).is_err());

    // Not an IdP.
    assert!(matches!(
        parse_idp_metadata(&text),
        Err(MetadataError::NoIdentityProvider)
    ));
}

#[test]
fn element_order_and_contacts() {
    let text = sign(&aggregated(
        "https://spid.aggregatore.example.it/pub-ag-full/c_h501",
        "https://spid.aggregatore.example.it/c_h501",
    ));
    let order = [
        "<ds:Signature",
        "<md:SPSSODescriptor",
        "<md:KeyDescriptor",
        "<md:SingleLogoutService",
        "<md:NameIDFormat",
        "<md:AssertionConsumerService",
        "<md:AttributeConsumingService",
        "<md:Organization>",
        r#"<md:ContactPerson contactType="other" spid:entityType="spid:aggregator">"#,
        "<spid:IPACode>agg_srv</spid:IPACode>",
        "<spid:PublicServicesFullAggregator/>",
        "<md:Company>Aggregatore Servizi Pubblici S.p.A.</md:Company>",
        r#"<md:ContactPerson contactType="other" spid:entityType="spid:aggregated">"#,
        "<spid:IPACode>c_h501</spid:IPACode>",
        "<spid:VATNumber>IT02438750586</spid:VATNumber>",
        "<spid:FiscalCode>02438750586</spid:FiscalCode>",
        "<spid:Public/>",
        "<md:Company>Comune di Esempio</md:Company>",
    ];
    let mut at = 0;
    for piece in order {
        let found = text[at..]
            .find(piece)
            .unwrap_or_else(|| panic!("{piece} missing or out of order in\n{text}"));
        at += found + piece.len();
    }
    // Italian organization entries come first, whatever the configured order.
    let it = text.find(r#"<md:OrganizationName xml:lang="it">"#).unwrap();
    let en = text.find(r#"<md:OrganizationName xml:lang="en">"#).unwrap();
    assert!(it < en);
}

#[test]
fn key_rollover_publishes_both_certificates() {
    let entity = "https://servizi.comune.esempio.it/spid/rollover";
    let next = signer("https://servizi.comune.esempio.it/spid/rollover-next");
    let mut md = public_sp(entity, "https://servizi.comune.esempio.it/spid");
    md.signing_certificates.push(next.cert.clone());
    // Signed with the current key; the next one is published alongside.
    let text = sign(&md);
    let sp = parse_sp_metadata(&text).unwrap();
    assert_eq!(sp.signing_certificates.len(), 2);
    // After the switch, signed with the next key.
    let text = md.to_signed_xml(&next.key, &next.cert).unwrap();
    let doc = xml::parse(&text, &Limits::METADATA).unwrap();
    let verified = dsig::verify_enveloped(doc.root_element(), &sp.signing_keys()).unwrap();
    assert_eq!(verified.key_index(), 1);
    // A certificate that is not published cannot sign.
    let other = signer("https://other.example.it/spid");
    assert!(matches!(
        md.to_signed_xml(&other.key, &other.cert),
        Err(MetadataError::SigningCertificateNotPublished)
    ));
}

#[test]
fn validation_refuses_what_agid_refuses() {
    let ok = || {
        public_sp(
            "http://localhost:8000/spid/metadata",
            "http://localhost:8000/spid",
        )
    };
    let id = "_x";
    assert!(ok().to_unsigned_xml(id).is_ok());

    let mut md = ok();
    md.organization.retain(|o| o.lang != "it");
    assert!(matches!(
        md.to_unsigned_xml(id),
        Err(MetadataError::NoItalianOrganization)
    ));

    let mut md = ok();
    md.attribute_services[0]
        .attributes
        .push(SpidAttribute::Name);
    assert!(matches!(
        md.to_unsigned_xml(id),
        Err(MetadataError::DuplicateAttribute {
            index: 0,
            attribute: "name"
        })
    ));

    let mut md = ok();
    md.attribute_services[1].index = 0;
    assert!(matches!(
        md.to_unsigned_xml(id),
        Err(MetadataError::DuplicateServiceIndex(0))
    ));

    let mut md = ok();
    md.attribute_services[1].attributes.clear();
    assert!(matches!(
        md.to_unsigned_xml(id),
        Err(MetadataError::NoRequestedAttributes(1))
    ));

    let mut md = ok();
    md.signing_certificates.clear();
    assert!(matches!(
        md.to_unsigned_xml(id),
        Err(MetadataError::NoSigningCertificate)
    ));

    let mut md = ok();
    if let Contacts::PublicSp(c) = &mut md.contacts {
        c.telephone = Some("06 1234 5678".into());
    }
    assert!(matches!(
        md.to_unsigned_xml(id),
        Err(MetadataError::InvalidTelephone(_))
    ));

    let mut md = ok();
    if let Contacts::PublicSp(c) = &mut md.contacts {
        c.vat_number = Some("02438750586".into());
    }
    assert!(matches!(
        md.to_unsigned_xml(id),
        Err(MetadataError::InvalidVatNumber(_))
    ));

    let mut md = ok();
    md.acs_url = "/spid/acs".into();
    assert!(matches!(
        md.to_unsigned_xml(id),
        Err(MetadataError::InvalidUrl { .. })
    ));

    // Aggregated: the entityID must carry the activity code and no query.
    let md = aggregated("https://agg.example.it/c_h501", "https://agg.example.it");
    assert!(matches!(
        md.to_unsigned_xml(id),
        Err(MetadataError::AggregatorEntityId(_))
    ));
    let md = aggregated(
        "https://agg.example.it/pub-ag-full?x=1",
        "https://agg.example.it",
    );
    assert!(matches!(
        md.to_unsigned_xml(id),
        Err(MetadataError::AggregatorEntityId(_))
    ));

    // CIE: only four attributes; the administrative contact needs the IPA code.
    let mut md = cie(
        "http://localhost:8000/cie/metadata",
        "http://localhost:8000/cie",
    );
    md.attribute_services[0]
        .attributes
        .push(SpidAttribute::Email);
    assert!(matches!(
        md.to_unsigned_xml(id),
        Err(MetadataError::AttributeNotAllowed {
            attribute: "email",
            ..
        })
    ));
    let mut md = cie(
        "http://localhost:8000/cie/metadata",
        "http://localhost:8000/cie",
    );
    if let Contacts::Cie { administrative, .. } = &mut md.contacts {
        administrative.ipa_code = None;
    }
    assert!(matches!(
        md.to_unsigned_xml(id),
        Err(MetadataError::CieWithoutIpaCode)
    ));

    // Production: https and no port.
    assert!(matches!(
        ok().check_production(),
        Err(MetadataError::NotProduction(_))
    ));
    let prod = public_sp(
        "https://servizi.comune.esempio.it/spid/metadata",
        "https://servizi.comune.esempio.it/spid",
    );
    assert!(prod.check_production().is_ok());
    let mut md = prod.clone();
    md.acs_url = "https://servizi.comune.esempio.it:8443/spid/acs".into();
    assert!(matches!(
        md.check_production(),
        Err(MetadataError::NotProduction(_))
    ));
}

#[test]
fn text_is_escaped() {
    let mut md = public_sp(
        "http://localhost:8000/spid/metadata",
        "http://localhost:8000/spid",
    );
    md.organization[1].name = "Comune di A & B <test> \"q\"".into();
    let text = sign(&md);
    assert!(text.contains("Comune di A &amp; B &lt;test&gt; &quot;q&quot;"));
    let sp = parse_sp_metadata(&text).unwrap();
    assert_eq!(
        sp.organization_name.as_deref(),
        Some("Comune di A & B <test> \"q\"")
    );
}

// ---------------------------------------------------------------------------------------------
// The IdP side: AgID's registry aggregate

/// An aggregate shaped like AgID's, holding spid-sp-test's fake IdP, signed by `signer`.
fn signed_aggregate(signer: &Signer, valid_until: Option<&str>) -> String {
    let entity = include_str!("fixtures/md/spid-sp-test-idp.xml");
    let valid_until = valid_until
        .map(|v| format!(r#" validUntil="{v}""#))
        .unwrap_or_default();
    let text = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" ID="_aggregate"{valid_until} Name="https://registry.example"><!-- IdP -->{entity}</md:EntitiesDescriptor>"#
    );
    dsig::sign_enveloped(&text, "_aggregate", &signer.key, &signer.cert).unwrap()
}

#[test]
fn aggregate_signature_is_required() {
    let agid = signer("https://registry.example/agid");
    let text = signed_aggregate(agid, None);
    let idps = verify_and_parse_aggregate(&format!("\n{text}"), &agid.cert).unwrap();
    assert_eq!(idps.len(), 1);
    assert_eq!(idps[0].entity_id, "https://localhost:8443");
    let registry = registry::Registry::from_aggregate(&text, &agid.cert).unwrap();
    assert_eq!(registry.entries()[0].name, "Example Co.");
    assert_eq!(registry.entries()[0].logo, None);

    // Another signer, a changed endpoint, an unsigned document, not an aggregate, expired.
    let other = signer("https://registry.example/other");
    assert!(matches!(
        verify_and_parse_aggregate(&text, &other.cert),
        Err(RegistryError::Signature(_))
    ));
    let moved = text.replace("https://localhost:8443/samlsso", "https://evil.example/sso");
    assert!(matches!(
        verify_and_parse_aggregate(&moved, &agid.cert),
        Err(RegistryError::Signature(_))
    ));
    let unsigned = include_str!("fixtures/md/spid-sp-test-idp.xml");
    assert!(matches!(
        verify_and_parse_aggregate(unsigned, &agid.cert),
        Err(RegistryError::NotAggregate)
    ));
    let expired = signed_aggregate(agid, Some("2020-01-01T00:00:00Z"));
    assert!(matches!(
        verify_and_parse_aggregate(&expired, &agid.cert),
        Err(RegistryError::Expired(_))
    ));
    let later = Timestamp::now() + jiff::SignedDuration::from_hours(24 * 800);
    assert!(matches!(
        verify_and_parse_aggregate_at(&text, &agid.cert, later),
        Err(RegistryError::CertificateExpired(_))
    ));
}

#[test]
fn shipped_aggregate_verifies_with_xmlsec1() {
    // Independent evidence for registry/README.md: xmlsec1 verifies AgID's signature with only
    // the shipped certificate (KeyInfo removed, so nothing embedded can be used).
    if Command::new("xmlsec1").arg("--version").output().is_err() {
        assert_eq!(
            std::env::var("SPORTELLO_TEST_SKIP_SPID").as_deref(),
            Ok("1"),
            "xmlsec1 is missing (scripts/install-test-deps installs it)"
        );
        return;
    }
    let start = AGGREGATE_XML.find("<ds:KeyInfo>").unwrap();
    let end = AGGREGATE_XML.find("</ds:KeyInfo>").unwrap() + "</ds:KeyInfo>".len();
    let without_key_info = format!("{}{}", &AGGREGATE_XML[..start], &AGGREGATE_XML[end..]);
    let xml_path = write("agid-aggregate-no-keyinfo.xml", &without_key_info);
    let cert_path = write("agid-registry-signing.pem", AGID_SIGNING_CERT_PEM);
    let verify = |path: &Path| {
        Command::new("xmlsec1")
            .arg("--verify")
            .arg("--pubkey-cert-pem")
            .arg(&cert_path)
            .args([
                "--id-attr:ID",
                "urn:oasis:names:tc:SAML:2.0:metadata:EntitiesDescriptor",
            ])
            .arg(path)
            .output()
            .unwrap()
    };
    let output = verify(&xml_path);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let tampered = write(
        "agid-aggregate-tampered.xml",
        &without_key_info.replace("ServiceLoginWelcome", "ServiceLoginWelcomX"),
    );
    assert!(!verify(&tampered).status.success());
}

// ---------------------------------------------------------------------------------------------
// AgID's spid-sp-test

/// Where `spid_sp_test` is, or `None` when the caller asked to skip (and panics otherwise).
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

#[derive(Debug)]
struct Outcome {
    executed: u32,
    failed: u32,
    warnings: u32,
    errors: Vec<String>,
}

/// Run the tool on `file`; with `ipa_codes`, as `--production` with IndicePA replaced by that
/// allow-list (the only part of the tool that needs the internet).
fn run(tool: &Path, file: &Path, profile: &str, ipa_codes: Option<&str>) -> Outcome {
    let url = format!("file://{}", file.canonicalize().unwrap().display());
    let mut args: Vec<String> = vec![
        "--metadata-url".into(),
        url,
        "--extra".into(),
        "--profile".into(),
        profile.into(),
    ];
    let output = match ipa_codes {
        None => Command::new(tool).args(&args).output().unwrap(),
        Some(codes) => {
            args.push("--production".into());
            let python = tool.with_file_name("python");
            let script = concat!(
                "import os, runpy, sys\n",
                "import spid_sp_test.metadata_public as mp\n",
                "allowed = set(os.environ['SPID_IPA_CODES'].split(','))\n",
                "mp.get_indicepa_by_ipacode = lambda code: ",
                "(1, {}) if code in allowed else (-1, {})\n",
                "sys.argv = sys.argv[1:]\n",
                "runpy.run_path(sys.argv[0], run_name='__main__')\n",
            );
            Command::new(python)
                .arg("-c")
                .arg(script)
                .arg(tool)
                .args(&args)
                .env("SPID_IPA_CODES", codes)
                .output()
                .unwrap()
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let summary = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with("Spid QA: executed"))
        .unwrap_or_else(|| panic!("no summary from spid_sp_test:\n{stdout}\n{stderr}"));
    // "Spid QA: executed N tests, F failed. W warnings."
    let numbers: Vec<u32> = summary
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    Outcome {
        executed: numbers[0],
        failed: numbers[1],
        warnings: numbers[2],
        errors: stderr
            .lines()
            .filter(|l| l.starts_with("ERROR") || l.starts_with("WARNING"))
            .map(str::to_owned)
            .collect(),
    }
}

fn check(md: &SpMetadata, file: &str, ipa_codes: Option<&str>) {
    let Some(tool) = spid_sp_test() else {
        return;
    };
    let path = write(file, &sign(md));
    let profile = md.profile().spid_sp_test_profile();
    let outcome = run(&tool, &path, profile, ipa_codes);
    eprintln!(
        "spid-sp-test {profile}{} on {file}: {outcome:?}",
        if ipa_codes.is_some() {
            " --production"
        } else {
            ""
        }
    );
    assert!(outcome.executed > 50, "{outcome:?}");
    let problems = outcome.errors.join("\n");
    assert_eq!(
        (outcome.failed, outcome.warnings),
        (0, 0),
        "{profile}:\n{problems}"
    );
}

#[test]
fn spid_sp_test_public() {
    let md = public_sp(
        "http://localhost:8000/spid/metadata",
        "http://localhost:8000/spid",
    );
    assert_eq!(md.profile(), SpProfile::SpidPublic);
    check(&md, "public.xml", None);
}

#[test]
fn spid_sp_test_public_production() {
    let md = public_sp(
        "https://servizi.comune.esempio.it/spid/metadata",
        "https://servizi.comune.esempio.it/spid",
    );
    md.check_production().unwrap();
    check(&md, "public-prod.xml", Some("c_h501"));
}

#[test]
fn spid_sp_test_aggregated() {
    let md = aggregated(
        "http://localhost:8000/pub-ag-full/c_h501",
        "http://localhost:8000/spid",
    );
    assert_eq!(md.profile(), SpProfile::SpidAggregatedPublicFull);
    check(&md, "aggregated.xml", None);
}

#[test]
fn spid_sp_test_aggregated_production() {
    let md = aggregated(
        "https://spid.aggregatore.example.it/pub-ag-full/c_h501",
        "https://spid.aggregatore.example.it/c_h501",
    );
    md.check_production().unwrap();
    check(&md, "aggregated-prod.xml", Some("c_h501,agg_srv"));
}

#[test]
fn spid_sp_test_cie() {
    let md = cie(
        "http://localhost:8000/cie/metadata",
        "http://localhost:8000/cie",
    );
    assert_eq!(md.profile(), SpProfile::CiePublic);
    check(&md, "cie.xml", None);
}

#[test]
fn spid_sp_test_catches_a_broken_file() {
    // The harness must be able to fail: a tampered signature is reported by the tool.
    let Some(tool) = spid_sp_test() else {
        return;
    };
    let md = public_sp(
        "http://localhost:8000/spid/metadata",
        "http://localhost:8000/spid",
    );
    let text = sign(&md).replace("Servizi online del Comune", "Servizi alterati");
    let path = write("tampered.xml", &text);
    let outcome = run(&tool, &path, "spid-sp-public", None);
    assert!(outcome.failed >= 1, "{outcome:?}");
}

/// Sample files for the lead and for manual runs of the tool.
#[test]
#[ignore]
fn write_samples() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("../spid-samples");
    std::fs::create_dir_all(&dir).unwrap();
    let samples = [
        (
            "metadata-spid.xml",
            public_sp(
                "http://localhost:8000/spid/metadata",
                "http://localhost:8000/spid",
            ),
        ),
        (
            "metadata-spid-prod.xml",
            public_sp(
                "https://servizi.comune.esempio.it/spid/metadata",
                "https://servizi.comune.esempio.it/spid",
            ),
        ),
        (
            "metadata-spid-aggregated.xml",
            aggregated(
                "https://spid.aggregatore.example.it/pub-ag-full/c_h501",
                "https://spid.aggregatore.example.it/c_h501",
            ),
        ),
        (
            "metadata-cie.xml",
            cie(
                "http://localhost:8000/cie/metadata",
                "http://localhost:8000/cie",
            ),
        ),
    ];
    for (name, md) in samples {
        std::fs::write(dir.join(name), sign(&md)).unwrap();
        let s = signer(&md.entity_id);
        let stem = name.trim_end_matches(".xml");
        std::fs::write(dir.join(format!("{stem}.key.pem")), s.key.to_pkcs8_pem()).unwrap();
        std::fs::write(dir.join(format!("{stem}.crt.pem")), s.cert.to_pem()).unwrap();
    }
    eprintln!(
        "samples written to {}",
        dir.canonicalize().unwrap().display()
    );
}
