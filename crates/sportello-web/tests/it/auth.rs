//! SPID login end to end, through the real router: a test identity provider made here (its own
//! key, certificate and metadata) reads the comune's signed AuthnRequest from the redirect and
//! answers with a Response signed as a SPID IdP signs it; single logout goes both ways with
//! signed redirect messages. Every check of the login path is exercised by a message that
//! breaks exactly that check.

use crate::app_tests;
use crate::support::{TestApp, TestResponse};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use sportello_domain::{CodiceFiscale, LoginLevel, Role};
use sportello_spid::SpidLevel;
use sportello_spid::authn_request::{AcsRef, ParsedAuthnRequest, parse_redirect_authn_request};
use sportello_spid::binding::{MessageKind, RedirectQuery, encode_post, form_encode};
use sportello_spid::idp::{Failure, ResponseBuilder};
use sportello_spid::keys::{Certificate, CertificateSubject, SigningKey};
use sportello_spid::logout::{
    ExpectedLogoutRequest, ExpectedLogoutResponse, IncomingLogoutRequest, LogoutRequestBuilder,
    LogoutResponseBuilder, LogoutStatus, PendingLogout, STATUS_PARTIAL_LOGOUT,
    parse_logout_request_redirect, parse_logout_response_redirect,
};
use sportello_spid::metadata::{ServiceProvider, parse_idp_metadata, parse_sp_metadata};
use sportello_store::{Actor, SpKeyOwner, Store};
use sportello_web::WebConfig;
use sportello_web::auth::{Aggregator, Federation, SpidSettings, TrustedIdp, generate_key};
use std::collections::BTreeMap;
use std::sync::LazyLock;

const IDP: &str = "https://idp.test";
const IDP_SSO: &str = "https://idp.test/sso";
const IDP_SLO: &str = "https://idp.test/slo";
const IDP_NAME: &str = "IdP di collaudo";
/// A CIE identity provider (same key: only the federation differs).
const CIE_IDP: &str = "https://cie.test";
const PUBLIC_URL: &str = "http://localhost";
/// Mario Rossi's codice fiscale (valid checksum).
const CF: &str = "RSSMRA80A01H501U";
/// Giuseppe Verdi's.
const OTHER_CF: &str = "VRDGPP75C12F205K";

// ---------------------------------------------------------------------------------------------
// The test identity provider

struct IdpKey {
    key: SigningKey,
    certificate: Certificate,
}

fn idp_key(common_name: &str) -> IdpKey {
    let key = SigningKey::generate(2048).unwrap();
    let subject = CertificateSubject {
        organization: "IdP di collaudo".into(),
        common_name: common_name.into(),
        entity_id: IDP.into(),
        organization_identifier: "VATIT-00000000000".into(),
        locality: "Roma".into(),
        country: "IT".into(),
    };
    let certificate = Certificate::self_signed(&key, &subject, jiff::Timestamp::now(), 30).unwrap();
    IdpKey { key, certificate }
}

/// The key the comuni trust (in the IdP's metadata); one per test process, RSA is slow to make.
static IDP_KEY: LazyLock<IdpKey> = LazyLock::new(|| idp_key("IdP di collaudo"));
/// A key nobody trusts, with the same subject: a forger's.
static ROGUE_KEY: LazyLock<IdpKey> = LazyLock::new(|| idp_key("IdP di collaudo"));

/// An IdP's metadata as the federation would publish it (the shape of the demo's MockIdp):
/// SSO and SLO by HTTP-Redirect at `{entity_id}/sso` and `{entity_id}/slo`.
fn idp_metadata(entity_id: &str, name: &str) -> String {
    let cert = IDP_KEY.certificate.to_base64();
    format!(
        r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{entity_id}"><md:IDPSSODescriptor WantAuthnRequestsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="{entity_id}/slo"/><md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</md:NameIDFormat><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="{entity_id}/sso"/></md:IDPSSODescriptor><md:Organization><md:OrganizationName xml:lang="it">{name}</md:OrganizationName><md:OrganizationDisplayName xml:lang="it">{name}</md:OrganizationDisplayName><md:OrganizationURL xml:lang="it">{entity_id}</md:OrganizationURL></md:Organization></md:EntityDescriptor>"#
    )
}

fn trusted(federation: Federation, entity_id: &str, name: &str) -> TrustedIdp {
    let mut providers = parse_idp_metadata(&idp_metadata(entity_id, name)).unwrap();
    assert_eq!(providers.len(), 1);
    TrustedIdp {
        federation,
        provider: providers.remove(0),
        name: name.into(),
        test: true,
    }
}

// ---------------------------------------------------------------------------------------------
// The application under test

/// The demo comuni with the test IdP trusted, on `http://localhost/{comune}/`.
pub(crate) struct AuthApp {
    pub(crate) app: TestApp,
    secure: bool,
}

struct Options {
    secure_cookies: bool,
    public_url: Option<&'static str>,
    /// Borgoverde answers on `servizi.borgoverde.example`.
    own_domain: bool,
    /// The platform is a soggetto aggregatore.
    aggregator: Option<Aggregator>,
}

impl AuthApp {
    /// Plain HTTP, as the demo runs.
    pub async fn plain(store: Store) -> AuthApp {
        AuthApp::build(
            store,
            Options {
                secure_cookies: false,
                public_url: Some(PUBLIC_URL),
                own_domain: false,
                aggregator: None,
            },
        )
        .await
    }

    /// Cookies as production sends them (`Secure`, `__Host-`).
    pub async fn https(store: Store) -> AuthApp {
        AuthApp::build(
            store,
            Options {
                secure_cookies: true,
                public_url: Some(PUBLIC_URL),
                own_domain: false,
                aggregator: None,
            },
        )
        .await
    }

    /// Borgoverde on its own domain.
    pub async fn own_domain(store: Store) -> AuthApp {
        AuthApp::build(
            store,
            Options {
                secure_cookies: false,
                public_url: Some(PUBLIC_URL),
                own_domain: true,
                aggregator: None,
            },
        )
        .await
    }

    /// No `server.public_url`: no entity ID can be formed.
    pub async fn without_public_url(store: Store) -> AuthApp {
        AuthApp::build(
            store,
            Options {
                secure_cookies: false,
                public_url: None,
                own_domain: false,
                aggregator: None,
            },
        )
        .await
    }

    /// Served at an IPv6 literal, as a developer may run it.
    pub async fn ipv6_literal(store: Store) -> AuthApp {
        AuthApp::build(
            store,
            Options {
                secure_cookies: false,
                public_url: Some("http://[::1]"),
                own_domain: false,
                aggregator: None,
            },
        )
        .await
    }

    /// The hosting provider as public soggetto aggregatore: one service provider for all.
    pub async fn aggregated(store: Store) -> AuthApp {
        AuthApp::build(
            store,
            Options {
                secure_cookies: false,
                public_url: Some(PUBLIC_URL),
                own_domain: false,
                aggregator: Some(Aggregator {
                    name: "Servizi Digitali Associati S.p.A.".into(),
                    vat_number: "IT01234567890".into(),
                    fiscal_code: Some("01234567890".into()),
                    ipa_code: None,
                    email: "spid@servizi-associati.example".into(),
                    phone: Some("+390612345678".into()),
                    locality: "Roma".into(),
                }),
            },
        )
        .await
    }

    async fn build(store: Store, options: Options) -> AuthApp {
        let config = WebConfig {
            secure_cookies: options.secure_cookies,
            public_url: options.public_url.map(str::to_owned),
            ..WebConfig::default()
        };
        let spid = SpidSettings {
            identity_providers: vec![
                trusted(Federation::Spid, IDP, IDP_NAME),
                trusted(Federation::Cie, CIE_IDP, "CIE di collaudo"),
            ],
            key_bits: 2048,
            aggregator: options.aggregator,
            ..SpidSettings::default()
        };
        let own_domain = options.own_domain;
        let app = TestApp::with_setup(store, config, spid, move |definition| {
            if definition.slug.as_str() != "borgoverde" {
                return;
            }
            if own_domain {
                definition.profile.domains = vec![
                    sportello_domain::tenant::HostName::parse("servizi.borgoverde.example")
                        .unwrap(),
                ];
            }
            // The ZTL permit asks for SpidL3 in these tests.
            for service in &mut definition.services {
                if service.slug.as_str() == "permesso-ztl" {
                    service.login_level = LoginLevel::Three;
                }
            }
        })
        .await;
        AuthApp {
            app,
            secure: options.secure_cookies,
        }
    }

    pub(crate) fn browser(&self) -> Browser<'_> {
        Browser {
            app: &self.app,
            host: "localhost".into(),
            jar: BTreeMap::new(),
            secure: self.secure,
        }
    }

    fn session_cookie(&self) -> &'static str {
        if self.secure {
            "__Host-sportello_session"
        } else {
            "sportello_session"
        }
    }

    fn pending_cookie(&self) -> &'static str {
        if self.secure {
            "__Host-sportello_saml"
        } else {
            "sportello_saml"
        }
    }

    /// The comune's service provider as the IdP reads it from the published metadata.
    async fn service_provider(&self, tenant: &str) -> ServiceProvider {
        self.metadata(&format!("/{tenant}/saml/metadata")).await
    }

    async fn metadata(&self, path: &str) -> ServiceProvider {
        let response = self.app.get(path).await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.body);
        parse_sp_metadata(&response.body).unwrap()
    }
}

// ---------------------------------------------------------------------------------------------
// A browser: a cookie jar in front of the router

pub(crate) struct Browser<'a> {
    app: &'a TestApp,
    host: String,
    jar: BTreeMap<String, String>,
    secure: bool,
}

impl Browser<'_> {
    fn on_host(mut self, host: &str) -> Self {
        self.host = host.to_owned();
        self
    }

    fn cookie_header(&self) -> Option<String> {
        (!self.jar.is_empty()).then(|| {
            self.jar
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }

    /// Keeps the cookies the response sets; `Max-Age=0` deletes.
    fn absorb(&mut self, response: &TestResponse) {
        for value in response.headers.get_all(header::SET_COOKIE) {
            let value = value.to_str().unwrap();
            let (pair, attributes) = value.split_once(';').unwrap_or((value, ""));
            let (name, cookie) = pair.split_once('=').unwrap();
            if attributes.contains("Max-Age=0") {
                self.jar.remove(name);
            } else {
                self.jar.insert(name.to_owned(), cookie.to_owned());
            }
        }
    }

    pub(crate) async fn send(
        &mut self,
        request: axum::http::request::Builder,
        body: Body,
    ) -> TestResponse {
        let mut request = request.header(header::HOST, &self.host);
        if let Some(cookies) = self.cookie_header() {
            request = request.header(header::COOKIE, cookies);
        }
        let response = self.app.send(request.body(body).unwrap()).await;
        self.absorb(&response);
        response
    }

    pub(crate) async fn get(&mut self, path: &str) -> TestResponse {
        self.send(Request::get(path), Body::empty()).await
    }

    pub(crate) async fn post(&mut self, path: &str, body: &str) -> TestResponse {
        self.send(
            Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded"),
            Body::from(body.to_owned()),
        )
        .await
    }

    /// The anti-forgery token, after a first visit if needed.
    pub(crate) async fn csrf(&mut self) -> String {
        let name = if self.secure { "__Host-csrf" } else { "csrf" };
        if !self.jar.contains_key(name) {
            self.get("/borgoverde/").await;
        }
        self.jar[name].clone()
    }

    fn cookie(&self, name: &str) -> Option<String> {
        self.jar.get(name).cloned()
    }

    /// A page in `lang`, as after the language switch.
    pub(crate) async fn get_in(&mut self, path: &str, lang: &str) -> TestResponse {
        self.set_cookie("lang", lang);
        self.get(path).await
    }

    fn set_cookie(&mut self, name: &str, value: &str) {
        self.jar.insert(name.to_owned(), value.to_owned());
    }
}

/// The whole `Set-Cookie` line for `name`.
fn set_cookie_line(response: &TestResponse, name: &str) -> String {
    response
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no cookie {name} set"))
        .to_owned()
}

fn attributes(line: &str) -> Vec<String> {
    line.split(';')
        .skip(1)
        .map(|a| a.trim().to_owned())
        .collect()
}

/// Page text with the HTML escapes of quotes undone, to compare with the translations.
fn text(body: &str) -> String {
    body.replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&amp;", "&")
}

/// `https://host/path?query` → `/path?query`, for a URL of the site under test.
fn local(url: &str) -> String {
    let rest = url.split_once("://").unwrap().1;
    format!("/{}", rest.split_once('/').unwrap().1)
}

// ---------------------------------------------------------------------------------------------
// The login, step by step

/// A login the IdP received: the verified request and its RelayState.
struct Started {
    idp: &'static str,
    request: ParsedAuthnRequest,
    relay_state: String,
    /// Where the comune expects the answer (from its metadata, by the request's index).
    acs_url: String,
}

/// Starts a login at `{tenant_path}/saml/login` with `idp`, and reads the AuthnRequest as the
/// IdP does, with the keys of the metadata at `metadata_path`.
async fn start_login_as(
    app: &AuthApp,
    browser: &mut Browser<'_>,
    tenant_path: &str,
    idp: &'static str,
    metadata_path: &str,
    query: &str,
) -> Started {
    let response = browser
        .get(&format!(
            "{tenant_path}/saml/login?idp={}{query}",
            form_encode(idp)
        ))
        .await;
    assert_eq!(response.status, StatusCode::FOUND, "{}", response.body);
    let location = response.header("location");
    let query = location
        .strip_prefix(&format!("{idp}/sso?"))
        .unwrap_or_else(|| panic!("not sent to the IdP: {location}"));
    let sp = app.metadata(metadata_path).await;
    let verified = RedirectQuery::parse(query)
        .unwrap()
        .verify(&sp.signing_keys())
        .expect("the AuthnRequest is signed with a key of the comune's metadata");
    let request = parse_redirect_authn_request(&verified).unwrap();
    assert_eq!(request.issuer, sp.entity_id);
    let AcsRef::Index(index) = request.acs else {
        panic!("the request names its ACS by index: {:?}", request.acs)
    };
    Started {
        idp,
        relay_state: verified.relay_state().unwrap().to_owned(),
        acs_url: sp.acs_by_index(index).unwrap().location.clone(),
        request,
    }
}

async fn start_login(
    app: &AuthApp,
    browser: &mut Browser<'_>,
    tenant: &str,
    query: &str,
) -> Started {
    start_login_as(
        app,
        browser,
        &format!("/{tenant}"),
        IDP,
        &format!("/{tenant}/saml/metadata"),
        query,
    )
    .await
}

/// The IdP's successful answer for Mario Rossi.
fn answer(started: &Started) -> ResponseBuilder {
    ResponseBuilder::for_request(
        started.idp,
        &started.request,
        &started.acs_url,
        jiff::Timestamp::now(),
    )
    .unwrap()
    .attribute("fiscalNumber", format!("TINIT-{CF}"))
    .attribute("name", "Mario")
    .attribute("familyName", "Rossi")
    .attribute("email", "mario.rossi@example.it")
}

fn signed(answer: &ResponseBuilder) -> String {
    answer
        .signed_xml(&IDP_KEY.key, &IDP_KEY.certificate)
        .unwrap()
}

/// The auto-submitted form of the IdP: `SAMLResponse` and `RelayState` to the ACS.
async fn post_answer(
    browser: &mut Browser<'_>,
    tenant_path: &str,
    xml: &str,
    relay_state: &str,
) -> TestResponse {
    browser
        .post(
            &format!("{tenant_path}/saml/acs"),
            &format!(
                "SAMLResponse={}&RelayState={}",
                form_encode(&encode_post(xml)),
                form_encode(relay_state)
            ),
        )
        .await
}

/// A complete SpidL3 login (enough for every service) of anyone at `tenant`.
pub(crate) async fn sign_in_as(
    app: &AuthApp,
    browser: &mut Browser<'_>,
    tenant: &str,
    fiscal_code: &str,
    given_name: &str,
    family_name: &str,
) {
    let started = start_login(app, browser, tenant, "&level=3").await;
    let answer = ResponseBuilder::for_request(
        started.idp,
        &started.request,
        &started.acs_url,
        jiff::Timestamp::now(),
    )
    .unwrap()
    .attribute("fiscalNumber", format!("TINIT-{fiscal_code}"))
    .attribute("name", given_name)
    .attribute("familyName", family_name)
    .attribute("email", "persona@example.it");
    let response = post_answer(
        browser,
        &format!("/{tenant}"),
        &signed(&answer),
        &started.relay_state,
    )
    .await;
    assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
}

/// A complete login of Mario Rossi at `tenant`; returns the IdP's answer.
pub(crate) async fn sign_in(
    app: &AuthApp,
    browser: &mut Browser<'_>,
    tenant: &str,
) -> ResponseBuilder {
    let started = start_login(app, browser, tenant, "").await;
    let answer = answer(&started);
    let response = post_answer(
        browser,
        &format!("/{tenant}"),
        &signed(&answer),
        &started.relay_state,
    )
    .await;
    assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
    assert!(browser.cookie(app.session_cookie()).is_some());
    answer
}

async fn is_signed_in(browser: &mut Browser<'_>, tenant: &str) -> bool {
    let page = browser.get(&format!("/{tenant}/area-personale/")).await;
    assert_eq!(page.status, StatusCode::OK);
    let signed_in = page.body.contains("Benvenuto, Mario Rossi");
    // Signed out, the same address shows the SPID/CIE buttons instead.
    assert_eq!(
        !signed_in,
        page.body.contains("data-element=\"personal-area-login\""),
        "{}",
        page.body
    );
    signed_in
}

/// A refused login: the status, a page that says so, the code for the help desk, no session.
fn assert_refused(response: &TestResponse, status: StatusCode, code: Option<&str>) {
    assert_eq!(response.status, status, "{}", response.body);
    assert!(
        response.body.contains("Accesso non riuscito"),
        "{}",
        response.body
    );
    if let Some(code) = code {
        assert!(
            response.body.contains(code),
            "code {code} not shown: {}",
            response.body
        );
    }
    assert!(
        response.header("location").is_empty(),
        "a refused login is never a redirect"
    );
    assert!(
        !response
            .headers
            .get_all(header::SET_COOKIE)
            .iter()
            .any(|v| v.to_str().unwrap().contains("sportello_session=")),
        "a refused login sets no session"
    );
}

// ---------------------------------------------------------------------------------------------

app_tests!(
    using crate::auth::AuthApp::plain;
    a_citizen_signs_in_with_spid_and_finds_their_personal_area,
    the_return_path_stays_on_the_site,
    an_answer_is_accepted_once,
    a_reused_assertion_id_is_refused_by_the_replay_cache,
    an_answer_counts_only_in_the_browser_that_asked,
    two_tabs_can_each_finish_their_login,
    an_unknown_identity_provider_is_refused,
    an_answer_meant_for_another_comune_is_refused,
    a_tampered_answer_is_refused_in_the_citizens_language,
    an_answer_signed_by_another_key_is_refused,
    a_cancelled_login_shows_agids_message,
    a_fiscal_number_that_is_not_a_codice_fiscale_is_refused,
    each_login_gets_a_new_session_token,
    logout_ends_the_session_here_and_at_the_idp,
    a_failed_logout_at_the_idp_still_logs_out_here,
    a_session_belongs_to_its_comune,
    the_idp_can_end_a_session,
    a_service_needing_level_3_asks_an_l2_citizen_to_sign_in_again,
    an_idp_answering_a_lower_level_is_refused,
    contact_preferences_are_checked_and_saved,
    the_profile_needs_a_session,
    metadata_is_published_per_comune_and_federation,
    login_is_audited_and_traced,
    logins_are_counted_by_outcome,
    a_citizen_signs_in_with_cie,
    a_rotated_key_is_published_before_it_signs,
    roles_granted_by_codice_fiscale_apply_at_the_next_request,
    the_idp_can_end_a_session_by_http_post,
    the_slo_endpoint_refuses_what_it_cannot_verify,
);

async fn a_citizen_signs_in_with_spid_and_finds_their_personal_area(app: AuthApp) {
    let mut browser = app.browser();
    let sign_in_page = browser.get("/borgoverde/accedi").await;
    assert!(
        sign_in_page.body.contains(IDP_NAME),
        "{}",
        sign_in_page.body
    );

    let response = browser
        .get(&format!(
            "/borgoverde/saml/login?idp={}&next=%2Fborgoverde%2Fservizi",
            form_encode(IDP)
        ))
        .await;
    assert_eq!(response.status, StatusCode::FOUND, "{}", response.body);
    let pending = set_cookie_line(&response, "sportello_saml");
    let attrs = attributes(&pending);
    assert!(attrs.contains(&"HttpOnly".into()), "{pending}");
    assert!(attrs.contains(&"Path=/".into()), "{pending}");
    assert!(attrs.contains(&"Max-Age=900".into()), "{pending}");
    // Browsers refuse `SameSite=None` without `Secure`: over plain HTTP it is Lax.
    assert!(attrs.contains(&"SameSite=Lax".into()), "{pending}");
    assert!(!attrs.contains(&"Secure".into()), "{pending}");

    let location = response.header("location");
    let query = location
        .strip_prefix(&format!("{IDP_SSO}?"))
        .unwrap_or_else(|| panic!("{location}"));
    let sp = app.service_provider("borgoverde").await;
    assert_eq!(sp.entity_id, "http://localhost/borgoverde/saml/metadata");
    let unverified = RedirectQuery::parse(query).unwrap();
    assert!(unverified.is_signed());
    assert!(
        unverified
            .clone()
            .verify(&[ROGUE_KEY.key.public_key()])
            .is_err(),
        "a key that is not the comune's does not verify"
    );
    let verified = unverified.verify(&sp.signing_keys()).unwrap();
    assert_eq!(verified.kind(), MessageKind::Request);
    let request = parse_redirect_authn_request(&verified).unwrap();
    assert!(request.force_authn, "SpidL2 always forces authentication");
    assert_eq!(request.level, SpidLevel::L2);
    assert_eq!(request.destination, IDP_SSO);
    assert_eq!(request.issuer, sp.entity_id);
    assert_eq!(request.acs, AcsRef::Index(0));
    assert_eq!(
        sp.acs_by_index(0).unwrap().location,
        "http://localhost/borgoverde/saml/acs"
    );
    let relay_state = verified.relay_state().unwrap().to_owned();
    assert!(
        !relay_state.contains('/'),
        "RelayState is opaque, never the return path: {relay_state}"
    );
    let started = Started {
        idp: IDP,
        request,
        relay_state,
        acs_url: "http://localhost/borgoverde/saml/acs".into(),
    };

    let response = post_answer(
        &mut browser,
        "/borgoverde",
        &signed(&answer(&started)),
        &started.relay_state,
    )
    .await;
    assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
    assert_eq!(response.header("location"), "/borgoverde/servizi");
    let session = set_cookie_line(&response, "sportello_session");
    let attrs = attributes(&session);
    for expected in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(attrs.contains(&expected.into()), "{expected}: {session}");
    }
    assert!(
        !attrs.iter().any(|a| a.starts_with("Max-Age")),
        "a browser-session cookie: {session}"
    );

    let area = browser.get("/borgoverde/area-personale/").await;
    assert_eq!(area.status, StatusCode::OK);
    let area = text(&area.body);
    assert!(area.contains("Benvenuto, Mario Rossi"), "{area}");
    assert!(area.contains(&format!("Accesso con {IDP_NAME}, livello 2")));
    let profile = browser.get("/borgoverde/area-personale/profilo").await;
    assert_eq!(profile.status, StatusCode::OK);
    assert!(profile.body.contains(CF), "{}", profile.body);
    assert!(profile.body.contains("mario.rossi@example.it"));

    // The citizen is in the store, as the IdP described them.
    let tenant = app.app.tenant("borgoverde").await;
    let user = app
        .app
        .store
        .scoped(tenant.id)
        .user_by_fiscal_code(&CodiceFiscale::parse(CF).unwrap())
        .await
        .unwrap()
        .expect("the citizen is recorded");
    assert_eq!(user.given_name.as_deref(), Some("Mario"));
    assert_eq!(user.last_idp_entity_id, IDP);
}

async fn the_return_path_stays_on_the_site(app: AuthApp) {
    for next in ["https%3A%2F%2Fevil.example%2F", "%2F%2Fevil.example%2F"] {
        let mut browser = app.browser();
        let started = start_login(&app, &mut browser, "borgoverde", &format!("&next={next}")).await;
        let response = post_answer(
            &mut browser,
            "/borgoverde",
            &signed(&answer(&started)),
            &started.relay_state,
        )
        .await;
        assert_eq!(response.status, StatusCode::SEE_OTHER);
        assert_eq!(
            response.header("location"),
            "/borgoverde/area-personale/",
            "next={next}"
        );
    }
}

async fn an_answer_is_accepted_once(app: AuthApp) {
    let mut browser = app.browser();
    let started = start_login(&app, &mut browser, "borgoverde", "").await;
    let xml = signed(&answer(&started));
    let first = post_answer(&mut browser, "/borgoverde", &xml, &started.relay_state).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);

    // The same form again (the back button, or a stolen copy): the pending request is gone.
    let again = post_answer(&mut browser, "/borgoverde", &xml, &started.relay_state).await;
    assert_refused(&again, StatusCode::FORBIDDEN, Some("no-pending-request"));
    assert!(text(&again.body).contains("è scaduta o è già stata usata"));

    // The same answer for a new request of the same browser: it answers another request.
    let fresh = start_login(&app, &mut browser, "borgoverde", "").await;
    let replayed = post_answer(&mut browser, "/borgoverde", &xml, &fresh.relay_state).await;
    assert_refused(&replayed, StatusCode::FORBIDDEN, None);
    // …and the refused answer consumed that request too.
    let genuine = post_answer(
        &mut browser,
        "/borgoverde",
        &signed(&answer(&fresh)),
        &fresh.relay_state,
    )
    .await;
    assert_refused(&genuine, StatusCode::FORBIDDEN, Some("no-pending-request"));
}

/// The replay cache is the last line: an answer that passes every other check (right request,
/// right signature) but carries an assertion ID already accepted is refused. Only an IdP that
/// reuses IDs, or someone with its key, can write one; the test IdP does so on purpose.
async fn a_reused_assertion_id_is_refused_by_the_replay_cache(app: AuthApp) {
    let mut browser = app.browser();
    let first = sign_in(&app, &mut browser, "borgoverde").await;

    let started = start_login(&app, &mut browser, "borgoverde", "").await;
    let mut reused = answer(&started);
    reused.assertion_id = first.assertion_id.clone();
    let response = post_answer(
        &mut browser,
        "/borgoverde",
        &signed(&reused),
        &started.relay_state,
    )
    .await;
    assert_refused(&response, StatusCode::FORBIDDEN, Some("assertion-replayed"));
    assert!(text(&response.body).contains("Questa risposta di accesso è già stata usata"));

    // A new assertion ID for the next request goes through.
    let started = start_login(&app, &mut browser, "borgoverde", "").await;
    let response = post_answer(
        &mut browser,
        "/borgoverde",
        &signed(&answer(&started)),
        &started.relay_state,
    )
    .await;
    assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
}

async fn an_answer_counts_only_in_the_browser_that_asked(app: AuthApp) {
    let mut citizen = app.browser();
    let started = start_login(&app, &mut citizen, "borgoverde", "").await;
    let xml = signed(&answer(&started));

    // A browser that never started a login.
    let mut stranger = app.browser();
    let response = post_answer(&mut stranger, "/borgoverde", &xml, &started.relay_state).await;
    assert_refused(&response, StatusCode::FORBIDDEN, Some("no-pending-cookie"));

    // A browser with a login of its own (an attacker pushing their answer into a victim's
    // browser, or the other way round).
    let mut other = app.browser();
    start_login(&app, &mut other, "borgoverde", "").await;
    let response = post_answer(&mut other, "/borgoverde", &xml, &started.relay_state).await;
    assert_refused(&response, StatusCode::FORBIDDEN, Some("no-pending-request"));
    assert!(!is_signed_in(&mut other, "borgoverde").await);

    // A forged cookie value is no better.
    let mut forger = app.browser();
    forger.set_cookie(app.pending_cookie(), "not-a-token");
    let response = post_answer(&mut forger, "/borgoverde", &xml, &started.relay_state).await;
    assert_refused(&response, StatusCode::FORBIDDEN, Some("no-pending-cookie"));

    // None of that consumed the citizen's pending request.
    let response = post_answer(&mut citizen, "/borgoverde", &xml, &started.relay_state).await;
    assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
    assert!(is_signed_in(&mut citizen, "borgoverde").await);
}

/// The browser keeps one binding token across logins: a second login started in another tab
/// does not orphan the first.
async fn two_tabs_can_each_finish_their_login(app: AuthApp) {
    let mut browser = app.browser();
    let first = start_login(
        &app,
        &mut browser,
        "borgoverde",
        "&next=%2Fborgoverde%2Fservizi",
    )
    .await;
    let binding = browser.cookie(app.pending_cookie()).unwrap();
    let second = start_login(
        &app,
        &mut browser,
        "borgoverde",
        "&next=%2Fborgoverde%2Fcontatti",
    )
    .await;
    assert_eq!(browser.cookie(app.pending_cookie()).unwrap(), binding);
    assert_ne!(first.relay_state, second.relay_state);
    assert_ne!(first.request.id, second.request.id);

    let response = post_answer(
        &mut browser,
        "/borgoverde",
        &signed(&answer(&first)),
        &first.relay_state,
    )
    .await;
    assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
    assert_eq!(response.header("location"), "/borgoverde/servizi");
    let response = post_answer(
        &mut browser,
        "/borgoverde",
        &signed(&answer(&second)),
        &second.relay_state,
    )
    .await;
    assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
    assert_eq!(response.header("location"), "/borgoverde/contatti");
    assert!(is_signed_in(&mut browser, "borgoverde").await);
}

async fn an_unknown_identity_provider_is_refused(app: AuthApp) {
    let mut browser = app.browser();
    for query in [
        format!("idp={}", form_encode("https://evil.example/idp")),
        String::new(),
    ] {
        let response = browser
            .get(&format!("/borgoverde/saml/login?{query}"))
            .await;
        assert_refused(&response, StatusCode::BAD_REQUEST, None);
        assert!(
            text(&response.body).contains("non è riconosciuto da questo portale"),
            "{}",
            response.body
        );
        assert!(browser.cookie(app.pending_cookie()).is_none());
    }
    // An answer without the form fields.
    let response = browser.post("/borgoverde/saml/acs", "RelayState=x").await;
    assert_refused(
        &response,
        StatusCode::BAD_REQUEST,
        Some("missing-parameters"),
    );
}

async fn an_answer_meant_for_another_comune_is_refused(app: AuthApp) {
    // Started at Borgoverde, posted to Valdoro's ACS: Valdoro has no such pending request…
    let mut browser = app.browser();
    let started = start_login(&app, &mut browser, "borgoverde", "").await;
    let xml = signed(&answer(&started));
    let response = post_answer(&mut browser, "/valdoro", &xml, &started.relay_state).await;
    assert_refused(&response, StatusCode::FORBIDDEN, Some("no-pending-request"));
    assert!(!is_signed_in(&mut browser, "valdoro").await);

    // …and an answer addressed to Valdoro (Destination, Recipient, Audience) does not open a
    // session at Borgoverde, even in reply to Borgoverde's own request.
    let valdoro = app.service_provider("valdoro").await;
    let mut misdirected = answer(&started);
    misdirected.acs_url = valdoro.acs_by_index(0).unwrap().location.clone();
    misdirected.sp_entity_id = valdoro.entity_id.clone();
    let response = post_answer(
        &mut browser,
        "/borgoverde",
        &signed(&misdirected),
        &started.relay_state,
    )
    .await;
    assert_refused(&response, StatusCode::FORBIDDEN, None);

    // Only the audience wrong: still refused.
    let started = start_login(&app, &mut browser, "borgoverde", "").await;
    let mut wrong_audience = answer(&started);
    wrong_audience.sp_entity_id = valdoro.entity_id.clone();
    let response = post_answer(
        &mut browser,
        "/borgoverde",
        &signed(&wrong_audience),
        &started.relay_state,
    )
    .await;
    assert_refused(&response, StatusCode::FORBIDDEN, None);
    assert!(!is_signed_in(&mut browser, "borgoverde").await);
}

async fn a_tampered_answer_is_refused_in_the_citizens_language(app: AuthApp) {
    for lang in ["it", "en"] {
        let mut browser = app.browser();
        browser.set_cookie("lang", lang);
        let started = start_login(&app, &mut browser, "borgoverde", "").await;
        let genuine = signed(&answer(&started));
        let tampered = genuine.replace(CF, OTHER_CF);
        assert_ne!(tampered, genuine);
        let response =
            post_answer(&mut browser, "/borgoverde", &tampered, &started.relay_state).await;
        assert_eq!(response.status, StatusCode::FORBIDDEN, "{}", response.body);
        let page = text(&response.body);
        match lang {
            "it" => {
                assert!(page.contains("<html lang=\"it\""), "{page}");
                assert!(page.contains("Accesso non riuscito"));
                assert!(page.contains("La risposta del gestore di identità non è valida"));
            }
            _ => {
                assert!(page.contains("<html lang=\"en\""), "{page}");
                assert!(page.contains("Sign-in failed"));
                assert!(page.contains("The identity provider's answer is not valid"));
            }
        }
        assert!(!page.contains(OTHER_CF), "nothing of the forged identity");
        assert!(!is_signed_in(&mut browser, "borgoverde").await);
    }
    let tenant = app.app.tenant("borgoverde").await;
    assert!(
        app.app
            .store
            .scoped(tenant.id)
            .user_by_fiscal_code(&CodiceFiscale::parse(OTHER_CF).unwrap())
            .await
            .unwrap()
            .is_none()
    );
}

async fn an_answer_signed_by_another_key_is_refused(app: AuthApp) {
    let mut browser = app.browser();
    let started = start_login(&app, &mut browser, "borgoverde", "").await;
    let forged = answer(&started)
        .signed_xml(&ROGUE_KEY.key, &ROGUE_KEY.certificate)
        .unwrap();
    let response = post_answer(&mut browser, "/borgoverde", &forged, &started.relay_state).await;
    assert_refused(&response, StatusCode::FORBIDDEN, None);
    // An unsigned success is refused too.
    let started = start_login(&app, &mut browser, "borgoverde", "").await;
    let unsigned = answer(&started).unsigned_xml();
    let response = post_answer(&mut browser, "/borgoverde", &unsigned, &started.relay_state).await;
    assert_refused(&response, StatusCode::FORBIDDEN, None);
    assert!(!is_signed_in(&mut browser, "borgoverde").await);
}

async fn a_cancelled_login_shows_agids_message(app: AuthApp) {
    for (lang, message) in [
        (
            "it",
            "Hai annullato l'autenticazione. Puoi riprovare quando vuoi.",
        ),
        (
            "en",
            "You cancelled the authentication. You can try again whenever you like.",
        ),
    ] {
        let mut browser = app.browser();
        browser.set_cookie("lang", lang);
        let started = start_login(&app, &mut browser, "borgoverde", "").await;
        let xml = answer(&started).failure_xml(&Failure::user_cancelled());
        let response = post_answer(&mut browser, "/borgoverde", &xml, &started.relay_state).await;
        assert_eq!(response.status, StatusCode::FORBIDDEN, "{}", response.body);
        let page = text(&response.body);
        assert!(page.contains(message), "{lang}: {page}");
        assert!(page.contains("spid_anomaly_25"), "{page}");
        // A way to try again.
        assert!(page.contains("href=\"/borgoverde/accedi\""), "{page}");
    }
    // Another anomaly gets its own text (nr22: consent denied).
    let mut browser = app.browser();
    let started = start_login(&app, &mut browser, "borgoverde", "").await;
    let xml = answer(&started).failure_xml(&Failure::anomaly(22));
    let response = post_answer(&mut browser, "/borgoverde", &xml, &started.relay_state).await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
    assert!(text(&response.body).contains("Hai negato il consenso"));
}

async fn a_fiscal_number_that_is_not_a_codice_fiscale_is_refused(app: AuthApp) {
    for value in [
        "TINIT-RSSMRA80A01H501X".to_owned(), // wrong check character
        CF.to_owned(),                       // without SPID's TINIT- prefix
        "TINIT-".to_owned(),
    ] {
        let mut browser = app.browser();
        let started = start_login(&app, &mut browser, "borgoverde", "").await;
        let mut builder = answer(&started);
        builder
            .attributes
            .retain(|(name, _)| name != "fiscalNumber");
        builder
            .attributes
            .push(("fiscalNumber".to_owned(), value.clone()));
        let response = post_answer(
            &mut browser,
            "/borgoverde",
            &signed(&builder),
            &started.relay_state,
        )
        .await;
        assert_eq!(response.status, StatusCode::FORBIDDEN, "{value}");
        assert!(
            response.body.contains("Accesso non riuscito"),
            "{value}: {}",
            response.body
        );
        assert!(!is_signed_in(&mut browser, "borgoverde").await, "{value}");
    }
    // No fiscal number at all.
    let mut browser = app.browser();
    let started = start_login(&app, &mut browser, "borgoverde", "").await;
    let mut builder = answer(&started);
    builder
        .attributes
        .retain(|(name, _)| name != "fiscalNumber");
    let response = post_answer(
        &mut browser,
        "/borgoverde",
        &signed(&builder),
        &started.relay_state,
    )
    .await;
    assert_refused(&response, StatusCode::FORBIDDEN, Some("fiscal-number"));
    assert!(text(&response.body).contains("non contiene un codice fiscale valido"));
}

async fn each_login_gets_a_new_session_token(app: AuthApp) {
    let mut browser = app.browser();
    sign_in(&app, &mut browser, "borgoverde").await;
    let first = browser.cookie(app.session_cookie()).unwrap();
    sign_in(&app, &mut browser, "borgoverde").await;
    let second = browser.cookie(app.session_cookie()).unwrap();
    assert_ne!(first, second, "the session token is rotated at login");
    assert!(is_signed_in(&mut browser, "borgoverde").await);

    // The first token was ended by the second login.
    let mut old = app.browser();
    old.set_cookie(app.session_cookie(), &first);
    assert!(!is_signed_in(&mut old, "borgoverde").await);

    // A token planted before the login (session fixation) is not the one after it.
    let mut victim = app.browser();
    victim.set_cookie(app.session_cookie(), &second);
    sign_in(&app, &mut victim, "borgoverde").await;
    let third = victim.cookie(app.session_cookie()).unwrap();
    assert_ne!(third, second);
    assert!(!is_signed_in(&mut browser, "borgoverde").await);
    assert_eq!(
        session_end_reasons(&app, "borgoverde").await,
        vec!["replaced", "replaced"]
    );
}

/// The reasons of the `session.ended` entries in `tenant`'s audit log.
async fn session_end_reasons(app: &AuthApp, tenant: &str) -> Vec<String> {
    let tenant = app.app.tenant(tenant).await;
    app.app
        .store
        .scoped(tenant.id)
        .audit_log(100)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.entry.action == "session.ended")
        .map(|r| r.entry.details["reason"].as_str().unwrap().to_owned())
        .collect()
}

/// Our LogoutRequest as the IdP reads it.
fn read_logout_request(location: &str, sp: &ServiceProvider) -> (IncomingLogoutRequest, String) {
    let query = location
        .strip_prefix(&format!("{IDP_SLO}?"))
        .unwrap_or_else(|| panic!("not sent to the IdP's SLO: {location}"));
    let verified = RedirectQuery::parse(query)
        .unwrap()
        .verify(&sp.signing_keys())
        .expect("the LogoutRequest is signed with the comune's key");
    let relay_state = verified.relay_state().unwrap().to_owned();
    let request = parse_logout_request_redirect(
        &verified,
        &ExpectedLogoutRequest::new(&sp.entity_id, IDP_SLO),
    )
    .unwrap();
    (request, relay_state)
}

async fn logout_ends_the_session_here_and_at_the_idp(app: AuthApp) {
    let mut browser = app.browser();
    let login = sign_in(&app, &mut browser, "borgoverde").await;
    let token = browser.cookie(app.session_cookie()).unwrap();

    // Without the anti-forgery token the logout form is refused.
    let response = browser.post("/borgoverde/esci", "").await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
    assert!(is_signed_in(&mut browser, "borgoverde").await);

    let csrf = browser.csrf().await;
    let response = browser
        .post("/borgoverde/esci", &format!("csrf={csrf}"))
        .await;
    assert_eq!(response.status, StatusCode::FOUND, "{}", response.body);
    let cleared = set_cookie_line(&response, app.session_cookie());
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    let sp = app.service_provider("borgoverde").await;
    let (request, relay_state) = read_logout_request(response.header("location"), &sp);
    assert_eq!(request.name_id, login.name_id);
    assert_eq!(request.name_qualifier.as_deref(), Some(IDP));
    assert_eq!(
        request.session_indexes,
        vec![login.session_index.clone().unwrap()]
    );

    // Ended here at once, whatever the IdP does.
    let mut old = app.browser();
    old.set_cookie(app.session_cookie(), &token);
    assert!(!is_signed_in(&mut old, "borgoverde").await);
    assert!(!is_signed_in(&mut browser, "borgoverde").await);
    assert_eq!(
        session_end_reasons(&app, "borgoverde").await,
        vec!["logout"]
    );

    // The IdP confirms.
    let answer =
        LogoutResponseBuilder::new(IDP, "http://localhost/borgoverde/saml/slo", &request.id)
            .build()
            .unwrap();
    let url = answer
        .redirect_url(Some(&relay_state), &IDP_KEY.key)
        .unwrap();
    // Answered by another key: refused, and the pending logout stays for the genuine answer.
    let forged = answer
        .redirect_url(Some(&relay_state), &ROGUE_KEY.key)
        .unwrap();
    let response = browser.get(&local(&forged)).await;
    assert_eq!(response.status, StatusCode::FORBIDDEN, "{}", response.body);

    let response = browser.get(&local(&url)).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    let page = text(&response.body);
    assert!(page.contains("Sei uscito"), "{page}");
    assert!(page.contains("La sessione è terminata"), "{page}");

    // The answer is good once.
    let response = browser.get(&local(&url)).await;
    assert_eq!(response.status, StatusCode::FORBIDDEN, "{}", response.body);
    assert!(response.body.contains("no-pending-logout"));
}

async fn a_failed_logout_at_the_idp_still_logs_out_here(app: AuthApp) {
    let mut browser = app.browser();
    sign_in(&app, &mut browser, "borgoverde").await;
    let csrf = browser.csrf().await;
    let response = browser
        .post("/borgoverde/esci", &format!("csrf={csrf}"))
        .await;
    assert_eq!(response.status, StatusCode::FOUND);
    let sp = app.service_provider("borgoverde").await;
    let (request, relay_state) = read_logout_request(response.header("location"), &sp);
    let answer =
        LogoutResponseBuilder::new(IDP, "http://localhost/borgoverde/saml/slo", &request.id)
            .status(LogoutStatus::responder(Some(STATUS_PARTIAL_LOGOUT), None))
            .build()
            .unwrap();
    let url = answer
        .redirect_url(Some(&relay_state), &IDP_KEY.key)
        .unwrap();
    let response = browser.get(&local(&url)).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    assert!(
        text(&response.body).contains("Il gestore di identità non ha confermato l'uscita"),
        "{}",
        response.body
    );
    assert!(!is_signed_in(&mut browser, "borgoverde").await);
}

async fn a_session_belongs_to_its_comune(app: AuthApp) {
    let mut browser = app.browser();
    sign_in(&app, &mut browser, "borgoverde").await;
    assert!(is_signed_in(&mut browser, "borgoverde").await);
    assert!(
        !is_signed_in(&mut browser, "valdoro").await,
        "Borgoverde's session is not recognised at Valdoro"
    );
    let profile = browser.get("/valdoro/area-personale/profilo").await;
    assert!(!profile.body.contains(CF), "{}", profile.body);
    // Logging out at Valdoro does not touch it.
    let csrf = browser.csrf().await;
    let response = browser.post("/valdoro/esci", &format!("csrf={csrf}")).await;
    assert!(response.status.is_redirection(), "{}", response.status);
    assert!(is_signed_in(&mut browser, "borgoverde").await);
}

/// The IdP's own LogoutRequest, sent through the browser to the comune's SLO endpoint.
fn idp_logout_request(
    login: &ResponseBuilder,
    session_index: Option<String>,
    key: &SigningKey,
) -> (String, sportello_spid::logout::LogoutRequest) {
    let request = LogoutRequestBuilder::new(
        IDP,
        "http://localhost/borgoverde/saml/slo",
        &login.name_id,
        IDP,
    )
    .session_index(session_index)
    .build()
    .unwrap();
    let url = request.redirect_url("idp-relay", key).unwrap();
    (local(&url), request)
}

async fn the_idp_can_end_a_session(app: AuthApp) {
    let mut browser = app.browser();
    let login = sign_in(&app, &mut browser, "borgoverde").await;

    // Signed by a key the comune does not trust: refused, the session lives on.
    let (forged, _) = idp_logout_request(&login, login.session_index.clone(), &ROGUE_KEY.key);
    let response = app.browser().get(&forged).await;
    assert_eq!(response.status, StatusCode::FORBIDDEN, "{}", response.body);
    assert!(response.body.contains("logout-signature"));
    assert!(is_signed_in(&mut browser, "borgoverde").await);

    // Another citizen's NameID ends nothing of this one.
    let mut stranger = login.clone();
    stranger.name_id = "_someone-else".into();
    let (path, _) = idp_logout_request(&stranger, None, &IDP_KEY.key);
    let response = app.browser().get(&path).await;
    assert_eq!(response.status, StatusCode::FOUND);
    assert!(is_signed_in(&mut browser, "borgoverde").await);

    // The genuine request (from the IdP's front channel: any browser).
    let (path, request) = idp_logout_request(&login, login.session_index.clone(), &IDP_KEY.key);
    let response = app.browser().get(&path).await;
    assert_eq!(response.status, StatusCode::FOUND, "{}", response.body);
    let location = response.header("location");
    let query = location
        .strip_prefix(&format!("{IDP_SLO}?"))
        .unwrap_or_else(|| panic!("not answered at the IdP's SLO: {location}"));
    let sp = app.service_provider("borgoverde").await;
    let verified = RedirectQuery::parse(query)
        .unwrap()
        .verify(&sp.signing_keys())
        .expect("the LogoutResponse is signed with the comune's key");
    assert_eq!(verified.kind(), MessageKind::Response);
    assert_eq!(verified.relay_state(), Some("idp-relay"));
    let pending = PendingLogout {
        id: request.pending().id.clone(),
        issue_instant: request.pending().issue_instant,
        destination: IDP_SLO.into(),
    };
    parse_logout_response_redirect(
        &verified,
        &ExpectedLogoutResponse::new(&pending, &sp.entity_id, IDP_SLO),
    )
    .expect("a successful LogoutResponse to the IdP's request");
    assert!(!is_signed_in(&mut browser, "borgoverde").await);

    // Audited as the IdP's doing.
    let tenant = app.app.tenant("borgoverde").await;
    let log = app.app.store.scoped(tenant.id).audit_log(50).await.unwrap();
    assert!(
        log.iter()
            .any(|r| r.entry.action == "session.ended" && r.entry.actor == format!("idp:{IDP}")),
        "{log:?}"
    );
    assert_eq!(
        session_end_reasons(&app, "borgoverde").await,
        vec!["single_logout"]
    );
}

async fn a_service_needing_level_3_asks_an_l2_citizen_to_sign_in_again(app: AuthApp) {
    let mut browser = app.browser();
    let anonymous = browser
        .get("/borgoverde/servizi/permesso-ztl/richiesta")
        .await;
    assert_eq!(anonymous.status, StatusCode::OK);
    let page = text(&anonymous.body);
    assert!(
        page.contains("Questo servizio richiede SPID di livello 3"),
        "{page}"
    );
    assert!(!page.contains("Per questo servizio serve un accesso di livello 3"));
    assert!(
        page.contains("level=3"),
        "the buttons ask for SpidL3: {page}"
    );

    sign_in(&app, &mut browser, "borgoverde").await;
    let page = browser
        .get("/borgoverde/servizi/permesso-ztl/richiesta")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let page = text(&page.body);
    assert!(
        page.contains("Per questo servizio serve un accesso di livello 3"),
        "{page}"
    );
    assert!(page.contains("role=\"alert\""));
    // A level-2 service is open to the same session.
    let ready = browser
        .get("/borgoverde/servizi/permesso-sosta-residenti/richiesta")
        .await;
    assert!(
        text(&ready.body).contains("Inizia una nuova richiesta"),
        "{}",
        ready.body
    );

    // A SpidL3 login opens it.
    let started = start_login(&app, &mut browser, "borgoverde", "&level=3").await;
    assert_eq!(started.request.level, SpidLevel::L3);
    assert!(started.request.force_authn);
    let response = post_answer(
        &mut browser,
        "/borgoverde",
        &signed(&answer(&started)),
        &started.relay_state,
    )
    .await;
    assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
    let page = browser
        .get("/borgoverde/servizi/permesso-ztl/richiesta")
        .await;
    let page = text(&page.body);
    assert!(page.contains("Inizia una nuova richiesta"), "{page}");
    assert!(!page.contains("Per questo servizio serve un accesso di livello 3"));
}

async fn an_idp_answering_a_lower_level_is_refused(app: AuthApp) {
    let mut browser = app.browser();
    let started = start_login(&app, &mut browser, "borgoverde", "&level=3").await;
    let lower = answer(&started).level(SpidLevel::L2);
    let response = post_answer(
        &mut browser,
        "/borgoverde",
        &signed(&lower),
        &started.relay_state,
    )
    .await;
    assert_refused(&response, StatusCode::FORBIDDEN, None);
    assert!(
        text(&response.body).contains("un livello di sicurezza inferiore"),
        "{}",
        response.body
    );
}

async fn contact_preferences_are_checked_and_saved(app: AuthApp) {
    let mut browser = app.browser();
    sign_in(&app, &mut browser, "borgoverde").await;
    let csrf = browser.csrf().await;
    let path = "/borgoverde/area-personale/profilo";

    let response = browser
        .post(
            path,
            &format!("csrf={csrf}&requests_email=1&contact_email=mario%40nowhere"),
        )
        .await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = &response.body;
    assert!(
        page.contains("value=\"mario@nowhere\""),
        "kept as entered: {page}"
    );
    assert!(
        page.contains("aria-describedby=\"contact-email-hint contact-email-error\""),
        "{page}"
    );
    assert!(page.contains("aria-invalid=\"true\""));
    assert!(page.contains("id=\"contact-email-error\""));
    assert!(page.contains("Inserisci un indirizzo e-mail valido"));
    assert!(
        page.contains(
            "id=\"requests-email\" type=\"checkbox\" name=\"requests_email\" value=\"1\" checked"
        ),
        "the ticked box stays ticked: {page}"
    );

    let response = browser
        .post(
            path,
            &format!("csrf={csrf}&contact_email=mario.rossi%40example.it"),
        )
        .await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = &response.body;
    assert!(page.contains("Scegli almeno un canale."), "{page}");
    assert!(page.contains("aria-describedby=\"topics-intro channels-error\""));
    assert!(page.contains("id=\"channels-error\""));
    assert!(page.contains("value=\"mario.rossi@example.it\""));

    let response = browser
        .post(
            path,
            &format!(
                "csrf={csrf}&requests_io=1&requests_email=1&payments_io=1&payments_email=1&deadlines_io=1&deadlines_email=1&contact_email=+avvisi%40example.it+"
            ),
        )
        .await;
    assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
    assert_eq!(
        response.header("location"),
        "/borgoverde/area-personale/profilo?salvato=1"
    );
    let page = browser.get(response.header("location")).await;
    assert!(page.body.contains("Preferenze salvate."), "{}", page.body);
    assert!(page.body.contains("value=\"avvisi@example.it\""));
    assert!(
        page.body
            .contains("name=\"requests_io\" value=\"1\" checked")
    );

    let tenant = app.app.tenant("borgoverde").await;
    let scope = app.app.store.scoped(tenant.id);
    let user = scope
        .user_by_fiscal_code(&CodiceFiscale::parse(CF).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(user.contact_preferences.io && user.contact_preferences.email);
    assert_eq!(
        user.contact_preferences.email_address.as_deref(),
        Some("avvisi@example.it")
    );
    let log = scope.audit_log(50).await.unwrap();
    let entry = log
        .iter()
        .find(|r| r.entry.action == "user.contact_preferences_updated")
        .expect("the change is audited");
    assert!(
        !entry
            .entry
            .details
            .to_string()
            .contains("avvisi@example.it"),
        "no address in the audit log"
    );
}

async fn the_profile_needs_a_session(app: AuthApp) {
    let mut browser = app.browser();
    let csrf = browser.csrf().await;
    let response = browser
        .post(
            "/borgoverde/area-personale/profilo",
            &format!("csrf={csrf}&requests_io=1"),
        )
        .await;
    assert_eq!(response.status, StatusCode::SEE_OTHER);
    assert_eq!(
        response.header("location"),
        "/borgoverde/accedi?next=/borgoverde/area-personale/profilo"
    );
    let tenant = app.app.tenant("borgoverde").await;
    assert!(
        app.app
            .store
            .scoped(tenant.id)
            .audit_log(50)
            .await
            .unwrap()
            .iter()
            .all(|r| r.entry.action != "user.contact_preferences_updated")
    );
    let page = browser.get("/borgoverde/area-personale/profilo").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("data-element=\"personal-area-login\""));
    assert!(!page.body.contains("name=\"contact_email\""));
}

async fn metadata_is_published_per_comune_and_federation(app: AuthApp) {
    let mut certificates = Vec::new();
    for (path, entity_id) in [
        (
            "/borgoverde/saml/metadata",
            "http://localhost/borgoverde/saml/metadata",
        ),
        (
            "/borgoverde/saml/cie/metadata",
            "http://localhost/borgoverde/saml/cie/metadata",
        ),
        (
            "/valdoro/saml/metadata",
            "http://localhost/valdoro/saml/metadata",
        ),
    ] {
        let response = app.app.get(path).await;
        assert_eq!(response.status, StatusCode::OK, "{path}: {}", response.body);
        assert_eq!(
            response.header("content-type"),
            "application/samlmetadata+xml; charset=utf-8",
            "{path}"
        );
        let sp = parse_sp_metadata(&response.body).unwrap();
        assert_eq!(sp.entity_id, entity_id);
        assert!(
            sp.authn_requests_signed && sp.want_assertions_signed,
            "{path}"
        );
        assert_eq!(sp.signing_certificates.len(), 1, "{path}");
        certificates.push(sp.signing_certificates[0].der().to_vec());
        assert!(
            response.body.contains("<ds:Signature") || response.body.contains(":Signature"),
            "{path}: the metadata is signed"
        );
    }
    assert_eq!(
        certificates[0], certificates[1],
        "one key per comune for both federations"
    );
    assert_ne!(certificates[0], certificates[2], "each comune its own key");
    // Stable across requests: generated once, then kept in the store.
    let again = app.service_provider("borgoverde").await;
    assert_eq!(again.signing_certificates[0].der(), &certificates[0][..]);
}

async fn login_is_audited_and_traced(app: AuthApp) {
    let mut browser = app.browser();
    let started = start_login(&app, &mut browser, "borgoverde", "").await;
    let answer = answer(&started);
    let response = post_answer(
        &mut browser,
        "/borgoverde",
        &signed(&answer),
        &started.relay_state,
    )
    .await;
    assert_eq!(response.status, StatusCode::SEE_OTHER);

    let tenant = app.app.tenant("borgoverde").await;
    let scope = app.app.store.scoped(tenant.id);
    let user = scope
        .user_by_fiscal_code(&CodiceFiscale::parse(CF).unwrap())
        .await
        .unwrap()
        .unwrap();
    let log = scope.audit_log(50).await.unwrap();
    let actor = format!("user:{}", user.id);
    for action in ["user.created", "user.login", "session.started"] {
        let entry = log
            .iter()
            .find(|r| r.entry.action == action)
            .unwrap_or_else(|| panic!("no {action} in {log:?}"));
        assert_eq!(entry.entry.actor, actor, "{action}");
    }
    let login = log.iter().find(|r| r.entry.action == "user.login").unwrap();
    assert_eq!(login.entry.details["idp"], IDP);
    assert_eq!(login.entry.details["level"], 2);
    // Nothing of it in the other comune's log.
    let valdoro = app.app.tenant("valdoro").await;
    let other = app
        .app
        .store
        .scoped(valdoro.id)
        .audit_log(50)
        .await
        .unwrap();
    assert!(
        !other
            .iter()
            .any(|r| r.entry.action.starts_with("session.") || r.entry.action.starts_with("user.")),
        "{other:?}"
    );

    // SPID's tracing log: the request and its answer, with the codice fiscale.
    let pair = scope.saml_trace_pair(&started.request.id).await.unwrap();
    assert_eq!(pair.len(), 2, "{pair:?}");
    assert!(pair[0].message.xml.contains(&started.request.id));
    assert_eq!(pair[1].message.message_id, answer.response_id);
    assert_eq!(
        pair[1].message.fiscal_code.as_ref().map(|cf| cf.as_str()),
        Some(CF)
    );
    assert!(pair[1].message.xml.contains("<samlp:Response"));
}

/// `sportello_logins_total{outcome="…"}` on /metrics (the recorder is shared by every test
/// of the process, so only growth is certain).
async fn logins_counted(app: &AuthApp, outcome: &str) -> u64 {
    let metrics = app.app.get("/metrics").await;
    let prefix = format!("sportello_logins_total{{outcome=\"{outcome}\"}} ");
    metrics
        .body
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .map_or(0, |n| n.trim().parse().unwrap())
}

async fn logins_are_counted_by_outcome(app: AuthApp) {
    let succeeded = logins_counted(&app, "success").await;
    let cancelled = logins_counted(&app, "spid_anomaly_25").await;
    let mut browser = app.browser();
    sign_in(&app, &mut browser, "borgoverde").await;
    let started = start_login(&app, &mut browser, "borgoverde", "").await;
    let xml = answer(&started).failure_xml(&Failure::user_cancelled());
    post_answer(&mut browser, "/borgoverde", &xml, &started.relay_state).await;
    assert!(logins_counted(&app, "success").await > succeeded);
    assert!(logins_counted(&app, "spid_anomaly_25").await > cancelled);
    let metrics = app.app.get("/metrics").await.body;
    assert!(!metrics.contains(CF), "no identity in the metrics");
}

async fn a_citizen_signs_in_with_cie(app: AuthApp) {
    let mut browser = app.browser();
    let page = browser.get("/borgoverde/accedi").await;
    assert!(
        page.body.contains(&format!("data-idp=\"{CIE_IDP}\""))
            && page.body.contains("sportello-cie-button"),
        "{}",
        page.body
    );

    // The CIE login speaks for the comune's CIE service provider, with the same key.
    let cie_path = "/borgoverde/saml/cie/metadata";
    let started = start_login_as(&app, &mut browser, "/borgoverde", CIE_IDP, cie_path, "").await;
    assert_eq!(
        started.request.issuer,
        "http://localhost/borgoverde/saml/cie/metadata"
    );
    // An answer for the SPID service provider is not one for the CIE one.
    let mut spid_audience = answer(&started);
    spid_audience.sp_entity_id = "http://localhost/borgoverde/saml/metadata".into();
    let response = post_answer(
        &mut browser,
        "/borgoverde",
        &signed(&spid_audience),
        &started.relay_state,
    )
    .await;
    assert_refused(&response, StatusCode::FORBIDDEN, None);

    let started = start_login_as(&app, &mut browser, "/borgoverde", CIE_IDP, cie_path, "").await;
    let response = post_answer(
        &mut browser,
        "/borgoverde",
        &signed(&answer(&started)),
        &started.relay_state,
    )
    .await;
    assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
    let area = text(&browser.get("/borgoverde/area-personale/").await.body);
    assert!(
        area.contains("Accesso con CIE di collaudo, livello 2"),
        "{area}"
    );
}

/// The AuthnRequest of a new login, as it reaches the IdP (not yet verified).
async fn authn_request_query(browser: &mut Browser<'_>) -> RedirectQuery {
    let response = browser
        .get(&format!("/borgoverde/saml/login?idp={}", form_encode(IDP)))
        .await;
    assert_eq!(response.status, StatusCode::FOUND, "{}", response.body);
    let location = response.header("location");
    RedirectQuery::parse(location.strip_prefix(&format!("{IDP_SSO}?")).unwrap()).unwrap()
}

/// `sportello spid keys rotate` then `promote`, as the web layer sees them: the next key is
/// published at once but signs nothing until promoted; then the old one stays published.
async fn a_rotated_key_is_published_before_it_signs(app: AuthApp) {
    // Before any request, so that this instance has cached no key yet.
    let store = app.app.store.clone();
    let tenant = app.app.tenant("borgoverde").await;
    let owner = SpKeyOwner::Tenant(tenant.id);
    let subject = sportello_web::auth::certificate_subject_for(PUBLIC_URL, &tenant);
    let (old_key, old_cert) = generate_key(subject.clone(), 2048).await.unwrap();
    let (new_key, new_cert) = generate_key(subject, 2048).await.unwrap();
    let actor = Actor::cli("test");
    store
        .insert_sp_key(
            owner,
            old_key.pkcs8_der(),
            old_cert.der(),
            old_cert.not_after(),
            true,
            &actor,
        )
        .await
        .unwrap()
        .unwrap();
    store
        .insert_sp_key(
            owner,
            new_key.pkcs8_der(),
            new_cert.der(),
            new_cert.not_after(),
            false,
            &actor,
        )
        .await
        .unwrap()
        .unwrap();
    let published = |sp: &ServiceProvider| {
        sp.signing_certificates
            .iter()
            .map(|c| c.der().to_vec())
            .collect::<Vec<_>>()
    };

    let sp = app.service_provider("borgoverde").await;
    assert_eq!(
        published(&sp),
        vec![old_cert.der().to_vec(), new_cert.der().to_vec()],
        "both keys published during the rotation"
    );
    let mut browser = app.browser();
    let query = authn_request_query(&mut browser).await;
    assert!(
        query
            .clone()
            .verify(&[new_cert.public_key().clone()])
            .is_err(),
        "the next key does not sign yet"
    );
    query.verify(&[old_cert.public_key().clone()]).unwrap();

    store
        .promote_next_key(owner, &actor)
        .await
        .unwrap()
        .unwrap();
    // Another instance (or this one a minute later, once its cache expires).
    let later = AuthApp::plain(store.clone()).await;
    let sp = later.service_provider("borgoverde").await;
    assert_eq!(
        published(&sp),
        vec![old_cert.der().to_vec(), new_cert.der().to_vec()],
        "the retired key stays published for IdPs that still hold it"
    );
    let mut browser = later.browser();
    let query = authn_request_query(&mut browser).await;
    assert!(
        query
            .clone()
            .verify(&[old_cert.public_key().clone()])
            .is_err(),
        "the retired key signs no more"
    );
    query.verify(&[new_cert.public_key().clone()]).unwrap();
    sign_in(&later, &mut browser, "borgoverde").await;
    assert!(is_signed_in(&mut browser, "borgoverde").await);
}

async fn roles_granted_by_codice_fiscale_apply_at_the_next_request(app: AuthApp) {
    let tenant = app.app.tenant("borgoverde").await;
    let scope = app.app.store.scoped(tenant.id);
    let cf = CodiceFiscale::parse(CF).unwrap();
    // Named administrator before ever signing in.
    assert!(
        scope
            .grant_role(&cf, &Role::TenantAdmin, &Actor::cli("test"))
            .await
            .unwrap()
    );
    let mut browser = app.browser();
    sign_in(&app, &mut browser, "borgoverde").await;
    let profile = text(&browser.get("/borgoverde/area-personale/profilo").await.body);
    assert!(profile.contains("Amministratore del Comune"), "{profile}");

    // Revoked: gone at the next request of the same session.
    assert!(
        scope
            .revoke_role(&cf, &Role::TenantAdmin, &Actor::cli("test"))
            .await
            .unwrap()
    );
    let profile = text(&browser.get("/borgoverde/area-personale/profilo").await.body);
    assert!(profile.contains(CF), "still signed in: {profile}");
    assert!(!profile.contains("Amministratore del Comune"), "{profile}");

    // A role in Borgoverde is nothing in Valdoro.
    scope
        .grant_role(&cf, &Role::TenantAdmin, &Actor::cli("test"))
        .await
        .unwrap();
    let mut valdoro = app.browser();
    sign_in(&app, &mut valdoro, "valdoro").await;
    let profile = text(&valdoro.get("/valdoro/area-personale/profilo").await.body);
    assert!(profile.contains(CF), "{profile}");
    assert!(!profile.contains("Amministratore del Comune"), "{profile}");
}

/// The HTTP-POST binding of single logout: the signature is inside the XML.
async fn the_idp_can_end_a_session_by_http_post(app: AuthApp) {
    let mut browser = app.browser();
    let login = sign_in(&app, &mut browser, "borgoverde").await;
    let request = LogoutRequestBuilder::new(
        IDP,
        "http://localhost/borgoverde/saml/slo",
        &login.name_id,
        IDP,
    )
    .session_index(login.session_index.clone())
    .build()
    .unwrap();
    let post = |xml: &str| {
        format!(
            "SAMLRequest={}&RelayState=r",
            form_encode(&encode_post(xml))
        )
    };

    for refused in [
        request
            .signed_xml(&ROGUE_KEY.key, &ROGUE_KEY.certificate)
            .unwrap(),
        request.xml().to_owned(),
    ] {
        let response = app
            .browser()
            .post("/borgoverde/saml/slo", &post(&refused))
            .await;
        assert_eq!(response.status, StatusCode::FORBIDDEN, "{}", response.body);
        assert!(response.body.contains("logout-request"));
        assert!(is_signed_in(&mut browser, "borgoverde").await);
    }

    let genuine = request
        .signed_xml(&IDP_KEY.key, &IDP_KEY.certificate)
        .unwrap();
    let response = app
        .browser()
        .post("/borgoverde/saml/slo", &post(&genuine))
        .await;
    assert_eq!(response.status, StatusCode::FOUND, "{}", response.body);
    let location = response.header("location");
    let sp = app.service_provider("borgoverde").await;
    let verified = RedirectQuery::parse(location.strip_prefix(&format!("{IDP_SLO}?")).unwrap())
        .unwrap()
        .verify(&sp.signing_keys())
        .unwrap();
    assert_eq!(verified.kind(), MessageKind::Response);
    assert_eq!(verified.relay_state(), Some("r"));
    assert!(!is_signed_in(&mut browser, "borgoverde").await);
}

async fn the_slo_endpoint_refuses_what_it_cannot_verify(app: AuthApp) {
    let mut browser = app.browser();
    let login = sign_in(&app, &mut browser, "borgoverde").await;
    let response = app.browser().get("/borgoverde/saml/slo").await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert!(response.body.contains("slo-empty"));
    let response = app
        .browser()
        .get("/borgoverde/saml/slo?SAMLRequest=%%%")
        .await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);

    // From an issuer nobody trusts, whatever it signs with.
    let request = LogoutRequestBuilder::new(
        "https://evil.example/idp",
        "http://localhost/borgoverde/saml/slo",
        &login.name_id,
        IDP,
    )
    .build()
    .unwrap();
    let url = request.redirect_url("r", &ROGUE_KEY.key).unwrap();
    let response = app.browser().get(&local(&url)).await;
    assert_eq!(response.status, StatusCode::FORBIDDEN, "{}", response.body);
    assert!(text(&response.body).contains("non è riconosciuto da questo portale"));

    // Signed by the IdP but addressed to another comune's endpoint.
    let request = LogoutRequestBuilder::new(
        IDP,
        "http://localhost/valdoro/saml/slo",
        &login.name_id,
        IDP,
    )
    .build()
    .unwrap();
    let url = request.redirect_url("r", &IDP_KEY.key).unwrap();
    let response = app
        .browser()
        .get(&local(&url).replace("/valdoro/", "/borgoverde/"))
        .await;
    assert_eq!(response.status, StatusCode::FORBIDDEN, "{}", response.body);
    assert!(response.body.contains("logout-request"));

    // A LogoutResponse nobody asked for.
    let answer =
        LogoutResponseBuilder::new(IDP, "http://localhost/borgoverde/saml/slo", "_nothing")
            .build()
            .unwrap();
    let url = answer.redirect_url(Some("r"), &IDP_KEY.key).unwrap();
    let response = app.browser().get(&local(&url)).await;
    assert_eq!(response.status, StatusCode::FORBIDDEN, "{}", response.body);
    assert!(response.body.contains("no-pending-logout"));
    assert!(is_signed_in(&mut browser, "borgoverde").await);
}

// ---------------------------------------------------------------------------------------------
// Production cookies

mod over_https {
    use super::*;

    app_tests!(
        using crate::auth::AuthApp::https;
        login_cookies_are_secure_and_host_only,
    );

    async fn login_cookies_are_secure_and_host_only(app: AuthApp) {
        let mut browser = app.browser();
        let response = browser
            .get(&format!("/borgoverde/saml/login?idp={}", form_encode(IDP)))
            .await;
        assert_eq!(response.status, StatusCode::FOUND, "{}", response.body);
        assert!(response.cookie("sportello_saml").is_none());
        let pending = set_cookie_line(&response, "__Host-sportello_saml");
        let attrs = attributes(&pending);
        for expected in ["HttpOnly", "Secure", "SameSite=None", "Path=/"] {
            assert!(attrs.contains(&expected.into()), "{expected}: {pending}");
        }
        assert!(!attrs.iter().any(|a| a.starts_with("Domain")), "{pending}");

        // The IdP's form post reaches the comune with the cross-site cookie.
        let mut browser = app.browser();
        let started = start_login(&app, &mut browser, "borgoverde", "").await;
        let response = post_answer(
            &mut browser,
            "/borgoverde",
            &signed(&answer(&started)),
            &started.relay_state,
        )
        .await;
        assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
        assert!(response.cookie("sportello_session").is_none());
        let session = set_cookie_line(&response, "__Host-sportello_session");
        let attrs = attributes(&session);
        for expected in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
            assert!(attrs.contains(&expected.into()), "{expected}: {session}");
        }
        assert!(!attrs.iter().any(|a| a.starts_with("Domain")), "{session}");
        assert!(is_signed_in(&mut browser, "borgoverde").await);

        // The unprefixed names mean nothing here.
        let token = browser.cookie("__Host-sportello_session").unwrap();
        let mut plain = app.browser();
        plain.set_cookie("sportello_session", &token);
        assert!(!is_signed_in(&mut plain, "borgoverde").await);
    }
}

// ---------------------------------------------------------------------------------------------
// A comune on its own domain

mod own_domain {
    use super::*;

    app_tests!(
        using crate::auth::AuthApp::own_domain;
        login_happens_on_the_comunes_own_domain,
    );

    async fn login_happens_on_the_comunes_own_domain(app: AuthApp) {
        // Reached through the platform's address, the login moves to the comune's domain first,
        // where the IdP will post back (and where the pending cookie must live).
        let mut browser = app.browser();
        let query = format!("idp={}&next=%2Fservizi", form_encode(IDP));
        let response = browser
            .get(&format!("/borgoverde/saml/login?{query}"))
            .await;
        assert_eq!(response.status, StatusCode::FOUND, "{}", response.body);
        assert_eq!(
            response.header("location"),
            format!("https://servizi.borgoverde.example/saml/login?{query}")
        );
        assert!(browser.cookie("sportello_saml").is_none());

        let mut browser = app.browser().on_host("servizi.borgoverde.example");
        let started = start_login_as(
            &app,
            &mut browser,
            "",
            IDP,
            "/borgoverde/saml/metadata",
            "&next=%2Fservizi",
        )
        .await;
        assert_eq!(
            started.request.issuer,
            "https://servizi.borgoverde.example/saml/metadata"
        );
        assert_eq!(
            started.acs_url,
            "https://servizi.borgoverde.example/saml/acs"
        );
        let response = post_answer(
            &mut browser,
            "",
            &signed(&answer(&started)),
            &started.relay_state,
        )
        .await;
        assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
        assert_eq!(response.header("location"), "/servizi");
        let area = browser.get("/area-personale/").await;
        assert!(
            area.body.contains("Benvenuto, Mario Rossi"),
            "{}",
            area.body
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Without `server.public_url`

mod without_public_url {
    use super::*;

    app_tests!(
        using crate::auth::AuthApp::without_public_url;
        login_is_unavailable,
    );

    async fn login_is_unavailable(app: AuthApp) {
        let mut browser = app.browser();
        let response = browser
            .get(&format!("/borgoverde/saml/login?idp={}", form_encode(IDP)))
            .await;
        assert_eq!(
            response.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{}",
            response.body
        );
        assert!(
            text(&response.body).contains("L'accesso con SPID e CIE non è configurato"),
            "{}",
            response.body
        );
        assert!(browser.cookie("sportello_saml").is_none());
        let metadata = app.app.get("/borgoverde/saml/metadata").await;
        assert_eq!(metadata.status, StatusCode::SERVICE_UNAVAILABLE);
        // The sign-in page says there is nobody to sign in with, rather than dead buttons.
        let page = browser.get("/borgoverde/accedi").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            text(&page.body).contains("non è ancora configurato nessun gestore di identità"),
            "{}",
            page.body
        );
        assert!(!page.body.contains("saml/login"));
    }
}

// ---------------------------------------------------------------------------------------------
// A soggetto aggregatore

mod aggregated {
    use super::*;

    app_tests!(
        using crate::auth::AuthApp::aggregated;
        one_aggregated_service_provider_signs_for_every_comune,
    );

    async fn one_aggregated_service_provider_signs_for_every_comune(app: AuthApp) {
        let mut certificates = Vec::new();
        for tenant in ["borgoverde", "valdoro"] {
            let path = format!("/{tenant}/saml/pub-ag-full/metadata");
            let sp = app.metadata(&path).await;
            assert_eq!(sp.entity_id, format!("http://localhost{path}"));
            assert_eq!(
                sp.acs_by_index(0).unwrap().location,
                format!("http://localhost/{tenant}/saml/acs")
            );
            certificates.push(sp.signing_certificates[0].der().to_vec());
        }
        assert_eq!(certificates[0], certificates[1], "the aggregator's one key");

        let mut browser = app.browser();
        let metadata = "/borgoverde/saml/pub-ag-full/metadata";
        let started = start_login_as(&app, &mut browser, "/borgoverde", IDP, metadata, "").await;
        assert_eq!(
            started.request.issuer,
            format!("http://localhost{metadata}")
        );
        let response = post_answer(
            &mut browser,
            "/borgoverde",
            &signed(&answer(&started)),
            &started.relay_state,
        )
        .await;
        assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
        assert!(is_signed_in(&mut browser, "borgoverde").await);
        assert!(!is_signed_in(&mut browser, "valdoro").await);
    }
}

// ---------------------------------------------------------------------------------------------
// An IPv6 literal as public address

mod ipv6_literal {
    use super::*;

    app_tests!(
        using crate::auth::AuthApp::ipv6_literal;
        login_at_an_ipv6_literal_goes_to_the_idp,
    );

    async fn login_at_an_ipv6_literal_goes_to_the_idp(app: AuthApp) {
        let mut browser = app.browser().on_host("[::1]");
        let response = browser
            .get(&format!("/borgoverde/saml/login?idp={}", form_encode(IDP)))
            .await;
        assert_eq!(response.status, StatusCode::FOUND, "{}", response.body);
        assert!(
            response
                .header("location")
                .starts_with(&format!("{IDP_SSO}?")),
            "sent to the IdP, not back to the same address: {}",
            response.header("location")
        );
    }
}
