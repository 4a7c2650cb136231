//! Login administration at the command line: roles (`admin`), service provider keys
//! (`spid keys`), the trusted identity providers (`spid idps`, `--idp-metadata`) and AgID's
//! registry (`spid refresh-registry`).

use super::{free_port, http_get, sportello, start_demo_with, temp_dir};
use sportello_spid::keys::{Certificate, CertificateSubject, SigningKey};
use std::path::{Path, PathBuf};
use std::process::Output;

const CF: &str = "RSSMRA80A01H501U";

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A migrated SQLite database in a fresh folder, with Borgoverde imported.
pub(super) fn prepared_database(name: &str) -> (PathBuf, String) {
    let dir = temp_dir(name);
    let url = format!("sqlite://{}", dir.join("sportello.db").display());
    let migrated = sportello()
        .arg("migrate")
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(migrated.status.success(), "{}", stderr(&migrated));
    let imported = sportello()
        .args(["tenant", "import"])
        .arg(repository().join("tenants/demo/borgoverde.toml"))
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(imported.status.success(), "{}", stderr(&imported));
    (dir, url)
}

pub(super) fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub(super) fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `sportello ARGS` on the database at `url`, with `env` on top.
fn run(url: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = sportello();
    command.args(args).env("DATABASE_URL", url);
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().unwrap()
}

#[test]
fn admin_grants_lists_and_revokes_roles() {
    let (_dir, url) = prepared_database("admin");
    let roles = run(&url, &["admin", "roles", "--tenant", "borgoverde"], &[]);
    assert!(roles.status.success(), "{}", stderr(&roles));
    assert!(
        stdout(&roles).contains("Nobody holds a role"),
        "{}",
        stdout(&roles)
    );

    let grant = |role: &str| {
        run(
            &url,
            &[
                "admin",
                "grant",
                "--tenant",
                "borgoverde",
                "--cf",
                CF,
                "--role",
                role,
            ],
            &[],
        )
    };
    let granted = grant("tenant_admin");
    assert!(granted.status.success(), "{}", stderr(&granted));
    assert!(
        stdout(&granted).contains(&format!("{CF} is now")),
        "{}",
        stdout(&granted)
    );
    let again = grant("tenant_admin");
    assert!(again.status.success(), "granting twice is harmless");
    assert!(stdout(&again).contains("already was"), "{}", stdout(&again));
    let clerk = grant("clerk:polizia-locale");
    assert!(clerk.status.success(), "{}", stderr(&clerk));

    let roles = run(&url, &["admin", "roles", "--tenant", "borgoverde"], &[]);
    let listed = stdout(&roles);
    assert!(roles.status.success());
    assert!(
        listed
            .lines()
            .any(|l| l.contains(CF) && l.contains("tenant_admin")),
        "{listed}"
    );
    assert!(
        listed
            .lines()
            .any(|l| l.contains(CF) && l.contains("clerk:polizia-locale")),
        "{listed}"
    );

    let revoked = run(
        &url,
        &[
            "admin",
            "revoke",
            "--tenant",
            "borgoverde",
            "--cf",
            CF,
            "--role",
            "clerk:polizia-locale",
        ],
        &[],
    );
    assert!(revoked.status.success(), "{}", stderr(&revoked));
    let listed = stdout(&run(
        &url,
        &["admin", "roles", "--tenant", "borgoverde"],
        &[],
    ));
    assert!(!listed.contains("clerk:polizia-locale"), "{listed}");
    assert!(listed.contains("tenant_admin"), "{listed}");
    let revoked_again = run(
        &url,
        &[
            "admin",
            "revoke",
            "--tenant",
            "borgoverde",
            "--cf",
            CF,
            "--role",
            "clerk:polizia-locale",
        ],
        &[],
    );
    assert!(!revoked_again.status.success());
    assert!(
        stderr(&revoked_again).contains("does not hold"),
        "{}",
        stderr(&revoked_again)
    );
}

#[test]
fn admin_explains_bad_input() {
    let (_dir, url) = prepared_database("admin-errors");
    for (cf, role, expected) in [
        // Wrong check character.
        ("RSSMRA80A01H501X", "tenant_admin", "--cf RSSMRA80A01H501X"),
        ("RSSMRA80A01H501", "tenant_admin", "--cf RSSMRA80A01H501"),
        (CF, "admin", "--role admin"),
        (CF, "clerk", "--role clerk"),
        (CF, "clerk:ufficio-inesistente", "no office"),
    ] {
        let output = run(
            &url,
            &[
                "admin",
                "grant",
                "--tenant",
                "borgoverde",
                "--cf",
                cf,
                "--role",
                role,
            ],
            &[],
        );
        assert!(!output.status.success(), "{cf} {role}");
        let message = stderr(&output);
        assert!(message.starts_with("error:"), "{message}");
        assert!(message.contains(expected), "{cf} {role}: {message}");
        if role.starts_with("admin") || role == "clerk" {
            assert!(
                message.contains("tenant_admin or clerk:<office>"),
                "the message says what is accepted: {message}"
            );
        }
    }
    let unknown = run(
        &url,
        &[
            "admin",
            "grant",
            "--tenant",
            "nessuno",
            "--cf",
            CF,
            "--role",
            "tenant_admin",
        ],
        &[],
    );
    assert!(!unknown.status.success());
    assert!(
        stderr(&unknown).contains("no comune with slug nessuno"),
        "{}",
        stderr(&unknown)
    );
    let listed = stdout(&run(
        &url,
        &["admin", "roles", "--tenant", "borgoverde"],
        &[],
    ));
    assert!(
        listed.contains("Nobody holds a role"),
        "nothing was granted: {listed}"
    );
}

#[test]
fn spid_keys_rotate_and_promote() {
    let (_dir, url) = prepared_database("keys");
    let public = [
        ("SPORTELLO_SERVER__PUBLIC_URL", "https://servizi.example.it"),
        ("SPORTELLO_SPID__KEY_BITS", "2048"),
    ];
    let keys = |command: &str, env: &[(&str, &str)]| {
        run(
            &url,
            &["spid", "keys", command, "--tenant", "borgoverde"],
            env,
        )
    };

    let list = keys("list", &[]);
    assert!(list.status.success(), "{}", stderr(&list));
    assert!(stdout(&list).contains("No key yet"), "{}", stdout(&list));

    // The certificate names the entity ID: no public URL, no key.
    let refused = keys("rotate", &[]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("server.public_url is required"),
        "{}",
        stderr(&refused)
    );

    let rotated = keys("rotate", &public);
    assert_eq!(rotated.status.code(), Some(0), "{}", stderr(&rotated));
    assert!(
        stdout(&rotated).contains("created and published"),
        "{}",
        stdout(&rotated)
    );
    let again = keys("rotate", &public);
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    assert!(
        stdout(&again).contains("A next key already exists"),
        "{}",
        stdout(&again)
    );
    let listed = stdout(&keys("list", &[]));
    assert_eq!(listed.lines().count(), 1, "{listed}");
    assert!(
        listed.contains("next (published, not yet signing)"),
        "{listed}"
    );
    assert!(listed.contains("published: yes"), "{listed}");

    let promoted = keys("promote", &[]);
    assert_eq!(promoted.status.code(), Some(0), "{}", stderr(&promoted));
    assert!(
        stdout(&promoted).contains("now signs"),
        "{}",
        stdout(&promoted)
    );
    let nothing = keys("promote", &[]);
    assert_eq!(nothing.status.code(), Some(2));
    assert!(
        stdout(&nothing).contains("There is no next key"),
        "{}",
        stdout(&nothing)
    );

    // A second rotation: the old key retires but stays published for IdPs that still hold it.
    assert_eq!(keys("rotate", &public).status.code(), Some(0));
    assert_eq!(keys("promote", &[]).status.code(), Some(0));
    let listed = stdout(&keys("list", &[]));
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 2, "{listed}");
    assert!(lines[0].contains("retired"), "{listed}");
    assert!(lines[0].contains("published: yes"), "{listed}");
    assert!(lines[1].contains("active (signing)"), "{listed}");

    // Whose keys: a comune must be named (each has its own), and it must exist.
    let unnamed = run(&url, &["spid", "keys", "list"], &[]);
    assert!(!unnamed.status.success());
    assert!(
        stderr(&unnamed).contains("--tenant"),
        "{}",
        stderr(&unnamed)
    );
    let unknown = run(
        &url,
        &["spid", "keys", "rotate", "--tenant", "nessuno"],
        &public,
    );
    assert!(!unknown.status.success());
    assert!(
        stderr(&unknown).contains("no comune with slug nessuno"),
        "{}",
        stderr(&unknown)
    );
}

/// Metadata of a test identity provider, as the demo's own or AgID's test suite publish it.
fn idp_metadata(entity_id: &str, name: &str) -> String {
    let key = SigningKey::generate(2048).unwrap();
    let subject = CertificateSubject {
        organization: name.into(),
        common_name: name.into(),
        entity_id: entity_id.into(),
        organization_identifier: "VATIT-00000000000".into(),
        locality: "Roma".into(),
        country: "IT".into(),
    };
    let cert = Certificate::self_signed(&key, &subject, jiff::Timestamp::now(), 30)
        .unwrap()
        .to_base64();
    format!(
        r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{entity_id}"><md:IDPSSODescriptor WantAuthnRequestsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="{entity_id}/slo"/><md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</md:NameIDFormat><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="{entity_id}/sso"/></md:IDPSSODescriptor><md:Organization><md:OrganizationName xml:lang="it">{name}</md:OrganizationName><md:OrganizationDisplayName xml:lang="it">{name}</md:OrganizationDisplayName><md:OrganizationURL xml:lang="it">{entity_id}</md:OrganizationURL></md:Organization></md:EntityDescriptor>"#
    )
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn spid_idps_lists_the_official_and_the_configured_providers() {
    let dir = temp_dir("idps");
    let url = format!("sqlite://{}", dir.join("unused.db").display());
    let listed = run(&url, &["spid", "idps"], &[]);
    assert!(listed.status.success(), "{}", stderr(&listed));
    let text = stdout(&listed);
    for expected in [
        "Poste ID",
        "https://posteid.poste.it",
        "Aruba ID",
        "InfoCert ID",
    ] {
        assert!(text.contains(expected), "{expected} missing:\n{text}");
    }
    assert!(text.lines().all(|l| l.starts_with("spid ")), "{text}");
    assert!(
        !text.contains("(test)"),
        "official providers are not test ones"
    );

    // A test IdP from the configuration joins the list, marked as such; `cie:` makes it CIE's.
    let spid = write(
        &dir,
        "collaudo.xml",
        &idp_metadata("https://collaudo.example/idp", "IdP di collaudo"),
    );
    let cie = write(
        &dir,
        "cie.xml",
        &idp_metadata("https://cie.example/idp", "CIE di collaudo"),
    );
    let config = write(
        &dir,
        "sportello.toml",
        &format!(
            "[spid]\nidp_metadata = [{:?}]\n",
            spid.display().to_string()
        ),
    );
    let listed = sportello()
        .args(["spid", "idps", "--config"])
        .arg(&config)
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(listed.status.success(), "{}", stderr(&listed));
    let text = stdout(&listed);
    let line = text
        .lines()
        .find(|l| l.contains("https://collaudo.example/idp"))
        .unwrap_or_else(|| panic!("the configured IdP is not listed:\n{text}"));
    assert!(line.starts_with("spid "), "{line}");
    assert!(line.contains("IdP di collaudo"), "{line}");
    assert!(line.ends_with("(test)"), "{line}");
    assert!(text.contains("Poste ID"), "the official ones stay:\n{text}");

    let config = write(
        &dir,
        "sportello-cie.toml",
        &format!(
            "[spid]\nidp_metadata = [{:?}]\n",
            format!("cie:{}", cie.display())
        ),
    );
    let listed = sportello()
        .args(["spid", "idps", "--config"])
        .arg(&config)
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    let text = stdout(&listed);
    let line = text
        .lines()
        .find(|l| l.contains("https://cie.example/idp"))
        .unwrap_or_else(|| panic!("{text}{}", stderr(&listed)));
    assert!(line.starts_with("cie "), "{line}");

    // Unreadable metadata is an error, not an IdP silently dropped.
    let broken = write(&dir, "rotto.xml", "<md:EntityDescriptor/>");
    let config = write(
        &dir,
        "sportello-broken.toml",
        &format!(
            "[spid]\nidp_metadata = [{:?}]\n",
            broken.display().to_string()
        ),
    );
    let refused = sportello()
        .args(["spid", "idps", "--config"])
        .arg(&config)
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("is not valid IdP metadata"),
        "{}",
        stderr(&refused)
    );
}

#[test]
fn the_demo_trusts_an_extra_idp_metadata_file() {
    let dir = temp_dir("demo-idp");
    let file = write(
        &dir,
        "esterno.xml",
        &idp_metadata("https://esterno.example/idp", "IdP esterno di collaudo"),
    );
    let data = dir.join("data");
    let port = free_port();
    let argument = file.display().to_string();
    let _demo = start_demo_with(port, &data, &["--idp-metadata", &argument]);
    let (status, page) = http_get(port, "/borgoverde/accedi", "");
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("IdP esterno di collaudo"), "{page}");
    assert!(
        page.contains("data-idp=\"https://esterno.example/idp\""),
        "{page}"
    );
    // Next to the demo's own test IdP.
    assert!(page.contains("IdP di prova (demo)"), "{page}");
    // Its button starts a login that goes to that IdP.
    let (status, response) = http_get(
        port,
        "/borgoverde/saml/login?idp=https%3A%2F%2Festerno.example%2Fidp",
        "",
    );
    assert_eq!(status, 302, "{response}");
    assert!(
        response.lines().any(|l| l
            .to_ascii_lowercase()
            .starts_with("location: https://esterno.example/idp/sso?samlrequest=")),
        "{response}"
    );
}

#[test]
fn the_demo_refuses_unreadable_idp_metadata() {
    let dir = temp_dir("demo-bad-idp");
    let file = write(&dir, "rotto.xml", "not xml");
    let output = sportello()
        .args(["demo", "--port", &free_port().to_string(), "--data"])
        .arg(dir.join("data"))
        .arg("--idp-metadata")
        .arg(&file)
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("is not valid IdP metadata"),
        "{}",
        stderr(&output)
    );
}

const REGISTRY: &str = "crates/sportello-spid/registry/spid-entities-idps.xml";

/// `sportello spid idps` with `spid.registry_file` set in a configuration file.
fn idps_with_registry(dir: &Path, url: &str, registry: &Path) -> Output {
    let config = write(
        dir,
        "registry.toml",
        &format!(
            "[spid]\nregistry_file = {:?}\n",
            registry.display().to_string()
        ),
    );
    sportello()
        .args(["spid", "idps", "--config"])
        .arg(config)
        .env("DATABASE_URL", url)
        .output()
        .unwrap()
}

#[test]
fn refresh_registry_verifies_agids_signature_before_saving() {
    let dir = temp_dir("registry");
    let url = format!("sqlite://{}", dir.join("unused.db").display());
    let source = repository().join(REGISTRY);
    let out = dir.join("registry.xml");
    let out_arg = out.display().to_string();
    let source_arg = source.display().to_string();

    let refreshed = run(
        &url,
        &[
            "spid",
            "refresh-registry",
            "--from-file",
            &source_arg,
            "--out",
            &out_arg,
        ],
        &[],
    );
    assert!(refreshed.status.success(), "{}", stderr(&refreshed));
    let text = stdout(&refreshed);
    assert!(text.contains("SPID registry verified ("), "{text}");
    assert!(text.contains("https://posteid.poste.it"), "{text}");
    assert_eq!(
        std::fs::read(&out).unwrap(),
        std::fs::read(&source).unwrap(),
        "saved as downloaded"
    );
    assert!(!dir.join("registry.tmp").exists());

    // The saved registry is what `spid idps` then trusts.
    let listed = idps_with_registry(&dir, &url, &out);
    assert!(listed.status.success(), "{}", stderr(&listed));
    assert!(stdout(&listed).contains("Poste ID"), "{}", stdout(&listed));

    // One changed byte inside the signed document: refused, the saved copy stays as it was.
    let original = std::fs::read_to_string(&source).unwrap();
    let tampered = original.replacen(
        "https://posteid.poste.it/jod-fs/ssoservicepost",
        "https://posteid.evil.example/jod-fs/ssoservicepost",
        1,
    );
    assert_ne!(tampered, original, "the fixture has Poste's SSO endpoint");
    let tampered = write(&dir, "tampered.xml", &tampered);
    let refused = run(
        &url,
        &[
            "spid",
            "refresh-registry",
            "--from-file",
            &tampered.display().to_string(),
            "--out",
            &out_arg,
        ],
        &[],
    );
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("the saved registry is unchanged"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(
        std::fs::read(&out).unwrap(),
        std::fs::read(&source).unwrap(),
        "a refused registry replaces nothing"
    );

    // A tampered file given as the registry is refused at start, not trusted.
    let listed = idps_with_registry(&dir, &url, &tampered);
    assert!(!listed.status.success());
    assert!(
        stderr(&listed).contains("is not a valid SPID registry"),
        "{}",
        stderr(&listed)
    );

    // Where to save it must be said.
    let nowhere = run(
        &url,
        &["spid", "refresh-registry", "--from-file", &source_arg],
        &[],
    );
    assert!(!nowhere.status.success());
    assert!(stderr(&nowhere).contains("--out"), "{}", stderr(&nowhere));
}

/// Every setting can come from the environment (`SPORTELLO_SPID__REGISTRY_FILE` for
/// `spid.registry_file`), although `_FILE` is also the suffix that reads a secret from a file.
#[test]
fn the_registry_file_can_be_set_from_the_environment() {
    let dir = temp_dir("registry-env");
    let url = format!("sqlite://{}", dir.join("unused.db").display());
    let registry = repository().join(REGISTRY).display().to_string();
    let listed = run(
        &url,
        &["spid", "idps"],
        &[("SPORTELLO_SPID__REGISTRY_FILE", &registry)],
    );
    assert!(listed.status.success(), "{}", stderr(&listed));
    assert!(stdout(&listed).contains("Poste ID"), "{}", stdout(&listed));
}
