//! The local test identity provider, at `/_mock/idp/` (SPID) and `/_mock/idp/cie/` (CIE).
//!
//! It speaks real SAML: it verifies the comune's signed AuthnRequest against the comune's own
//! certificates, and answers with a Response whose assertion and envelope are signed with its
//! own key, so a demo login goes through exactly the validation a production login does. Its
//! login page lists the demo's fictional people; choosing one (the form field `fiscal_code`)
//! logs that person in. It also answers the comune's single-logout requests.

mod identities;
mod pages;

pub use identities::{DEMO_IDENTITIES, DemoIdentity, DemoRole};

use axum::Router;
use axum::extract::{Form, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use sportello_spid::SpidLevel;
use sportello_spid::authn_request::{self, AcsRef, ParsedAuthnRequest};
use sportello_spid::binding::{MessageKind, RedirectQuery};
use sportello_spid::idp::{Failure, ResponseBuilder};
use sportello_spid::keys::{Certificate, CertificateSubject, PublicKey, SigningKey};
use sportello_spid::logout::{self, ExpectedLogoutRequest, LogoutResponseBuilder};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// A pending login is forgotten after this long at the login page.
const LOGIN_PAGE_FOR: Duration = Duration::from_secs(15 * 60);

/// What the IdP must know of a service provider: what a federation registry would tell it.
#[derive(Debug, Clone)]
pub struct KnownServiceProvider {
    pub name: String,
    pub acs_url: String,
    pub slo_url: String,
    pub certificates: Vec<Certificate>,
}

impl KnownServiceProvider {
    fn keys(&self) -> Vec<PublicKey> {
        self.certificates
            .iter()
            .map(|c| c.public_key().clone())
            .collect()
    }
}

/// Where the IdP looks service providers up, by entity ID (Sportello's own comuni, in the demo).
pub trait ServiceProviders: Send + Sync + 'static {
    fn find<'a>(
        &'a self,
        entity_id: &'a str,
    ) -> Pin<Box<dyn Future<Output = Option<KnownServiceProvider>> + Send + 'a>>;
}

/// Which federation an endpoint of the IdP plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Federation {
    Spid,
    Cie,
}

#[derive(Debug, thiserror::Error)]
pub enum MockIdpError {
    #[error("cannot create the test IdP's key: {0}")]
    Key(#[from] sportello_spid::keys::KeyError),
}

struct PendingLogin {
    request: ParsedAuthnRequest,
    relay_state: Option<String>,
    sp: KnownServiceProvider,
    federation: Federation,
    created: Instant,
}

struct Inner {
    /// `http://localhost:8080/_mock/idp`: the SPID entity ID; CIE's is `{base}/cie`.
    base: String,
    key: SigningKey,
    certificate: Certificate,
    providers: Arc<dyn ServiceProviders>,
    logins: Mutex<HashMap<String, PendingLogin>>,
}

/// The test IdP of one demo (or test) process.
#[derive(Clone)]
pub struct MockIdp {
    inner: Arc<Inner>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn random_key() -> String {
    let mut bytes = [0u8; 16];
    // Without randomness the key is all zeros: a login still works, only less private, in a
    // stand-in that never runs in production.
    let _ = getrandom::fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl MockIdp {
    /// A test IdP answering at `{public_base}/_mock/idp`, with a fresh key.
    pub fn new(
        public_base: &str,
        providers: Arc<dyn ServiceProviders>,
    ) -> Result<MockIdp, MockIdpError> {
        let base = format!("{}/_mock/idp", public_base.trim_end_matches('/'));
        let key = SigningKey::generate(2048)?;
        let subject = CertificateSubject {
            organization: "Sportello demo".into(),
            common_name: "IdP di prova Sportello".into(),
            entity_id: base.clone(),
            organization_identifier: "VATIT-00000000000".into(),
            locality: "Roma".into(),
            country: "IT".into(),
        };
        let certificate = Certificate::self_signed(&key, &subject, jiff::Timestamp::now(), 365)?;
        Ok(MockIdp {
            inner: Arc::new(Inner {
                base,
                key,
                certificate,
                providers,
                logins: Mutex::new(HashMap::new()),
            }),
        })
    }

    pub fn entity_id(&self, federation: Federation) -> String {
        match federation {
            Federation::Spid => self.inner.base.clone(),
            Federation::Cie => format!("{}/cie", self.inner.base),
        }
    }

    fn endpoint(&self, federation: Federation, name: &str) -> String {
        format!("{}/{name}", self.entity_id(federation))
    }

    /// The IdP's metadata, as a comune would receive it from the federation.
    pub fn metadata(&self, federation: Federation) -> String {
        let entity_id = self.entity_id(federation);
        let cert = self.inner.certificate.to_base64();
        let sso = self.endpoint(federation, "sso");
        let slo = self.endpoint(federation, "slo");
        let name = match federation {
            Federation::Spid => "IdP di prova Sportello (SPID)",
            Federation::Cie => "IdP di prova Sportello (CIE)",
        };
        format!(
            r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{entity_id}"><md:IDPSSODescriptor WantAuthnRequestsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="{slo}"/><md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</md:NameIDFormat><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="{sso}"/></md:IDPSSODescriptor><md:Organization><md:OrganizationName xml:lang="it">{name}</md:OrganizationName><md:OrganizationDisplayName xml:lang="it">{name}</md:OrganizationDisplayName><md:OrganizationURL xml:lang="it">{entity_id}</md:OrganizationURL></md:Organization></md:EntityDescriptor>"#
        )
    }

    /// The routes under `/_mock/idp/`.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/_mock/idp/", get(pages::home))
            .route("/_mock/idp/metadata", get(metadata_spid))
            .route("/_mock/idp/cie/metadata", get(metadata_cie))
            .route("/_mock/idp/sso", get(sso_spid))
            .route("/_mock/idp/cie/sso", get(sso_cie))
            .route("/_mock/idp/login", post(login))
            .route("/_mock/idp/slo", get(slo))
            .route("/_mock/idp/cie/slo", get(slo))
            .with_state(self.clone())
    }

    fn remember(&self, login: PendingLogin) -> String {
        let key = random_key();
        let mut logins = lock(&self.inner.logins);
        logins.retain(|_, l| l.created.elapsed() < LOGIN_PAGE_FOR);
        logins.insert(key.clone(), login);
        key
    }

    fn take(&self, key: &str) -> Option<PendingLogin> {
        lock(&self.inner.logins)
            .remove(key)
            .filter(|l| l.created.elapsed() < LOGIN_PAGE_FOR)
    }
}

fn xml(body: String) -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/samlmetadata+xml; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

async fn metadata_spid(State(idp): State<MockIdp>) -> Response {
    xml(idp.metadata(Federation::Spid))
}

async fn metadata_cie(State(idp): State<MockIdp>) -> Response {
    xml(idp.metadata(Federation::Cie))
}

fn refuse(status: StatusCode, message: &str) -> Response {
    (status, Html(pages::message_page(message))).into_response()
}

async fn sso_spid(State(idp): State<MockIdp>, RawQuery(raw): RawQuery) -> Response {
    sso(idp, Federation::Spid, raw).await
}

async fn sso_cie(State(idp): State<MockIdp>, RawQuery(raw): RawQuery) -> Response {
    sso(idp, Federation::Cie, raw).await
}

/// The AuthnRequest arrives (HTTP-Redirect): checked as a real IdP checks it, then the login
/// page.
async fn sso(idp: MockIdp, federation: Federation, raw: Option<String>) -> Response {
    let Some(raw) = raw else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "Manca la richiesta SAML (SAMLRequest).",
        );
    };
    let query = match RedirectQuery::parse(&raw) {
        Ok(query) => query,
        Err(error) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                &format!("Richiesta non leggibile: {error}"),
            );
        }
    };
    let Ok(issuer) = query.claimed_issuer() else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "La richiesta non indica il fornitore di servizi.",
        );
    };
    let Some(sp) = idp.inner.providers.find(&issuer).await else {
        return refuse(
            StatusCode::FORBIDDEN,
            &format!("Fornitore di servizi sconosciuto: {issuer}"),
        );
    };
    let verified = match query.verify(&sp.keys()) {
        Ok(verified) => verified,
        Err(error) => {
            return refuse(
                StatusCode::FORBIDDEN,
                &format!("Firma della richiesta non valida: {error}"),
            );
        }
    };
    let request = match authn_request::parse_redirect_authn_request(&verified) {
        Ok(request) => request,
        Err(error) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                &format!("AuthnRequest non valida: {error}"),
            );
        }
    };
    let sso_url = idp.endpoint(federation, "sso");
    if request.destination != sso_url {
        return refuse(
            StatusCode::BAD_REQUEST,
            "Destination della richiesta diversa da questo IdP.",
        );
    }
    let acs_ok = match &request.acs {
        AcsRef::Index(0) => true,
        AcsRef::Index(_) => false,
        AcsRef::Url(url) => *url == sp.acs_url,
    };
    if !acs_ok {
        return refuse(
            StatusCode::BAD_REQUEST,
            "AssertionConsumerService sconosciuto.",
        );
    }
    let relay_state = verified.relay_state().map(str::to_owned);
    let level = request.level;
    let sp_name = sp.name.clone();
    let key = idp.remember(PendingLogin {
        request,
        relay_state,
        sp,
        federation,
        created: Instant::now(),
    });
    Html(pages::login_page(&key, &sp_name, level, federation)).into_response()
}

#[derive(Deserialize)]
struct LoginForm {
    login: String,
    #[serde(default)]
    fiscal_code: String,
    #[serde(default)]
    cancel: Option<String>,
}

/// The person chosen (or "cancel"): a signed Response, posted to the comune by the browser.
async fn login(State(idp): State<MockIdp>, Form(form): Form<LoginForm>) -> Response {
    let Some(pending) = idp.take(&form.login) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "Sessione di accesso scaduta: torna al portale e riprova.",
        );
    };
    let entity_id = idp.entity_id(pending.federation);
    let builder = match ResponseBuilder::new(
        &entity_id,
        &pending.request.id,
        pending.request.issue_instant,
        &pending.sp.acs_url,
        &pending.request.issuer,
        jiff::Timestamp::now(),
    ) {
        Ok(builder) => builder,
        Err(error) => return refuse(StatusCode::INTERNAL_SERVER_ERROR, &error.to_string()),
    };
    let xml = if form.cancel.is_some() {
        builder.failure_xml(&Failure::user_cancelled())
    } else {
        let Some(person) = identities::find(&form.fiscal_code) else {
            let key = idp.remember(pending);
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                Html(pages::unknown_identity_page(&key, &form.fiscal_code)),
            )
                .into_response();
        };
        let level = pending.request.level.max(SpidLevel::L2);
        let mut builder = builder
            .level(level)
            .attribute("name", person.given_name)
            .attribute("familyName", person.family_name)
            .attribute("fiscalNumber", format!("TINIT-{}", person.fiscal_code))
            .attribute("dateOfBirth", person.date_of_birth);
        if pending.federation == Federation::Spid {
            builder = builder
                .attribute("placeOfBirth", person.place_of_birth)
                .attribute("email", person.email)
                .attribute("mobilePhone", person.mobile);
        }
        match builder.signed_xml(&idp.inner.key, &idp.inner.certificate) {
            Ok(xml) => xml,
            Err(error) => return refuse(StatusCode::INTERNAL_SERVER_ERROR, &error.to_string()),
        }
    };
    let form =
        sportello_spid::idp::post_form(&pending.sp.acs_url, &xml, pending.relay_state.as_deref());
    Html(pages::post_page(&form)).into_response()
}

/// The comune's LogoutRequest (HTTP-Redirect): the IdP session ends, a signed LogoutResponse
/// goes back.
async fn slo(State(idp): State<MockIdp>, RawQuery(raw): RawQuery) -> Response {
    let Some(raw) = raw else {
        return refuse(StatusCode::BAD_REQUEST, "Manca la richiesta SAML.");
    };
    let query = match RedirectQuery::parse(&raw) {
        Ok(query) if query.kind() == MessageKind::Request => query,
        _ => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "Richiesta di logout non leggibile.",
            );
        }
    };
    let Ok(issuer) = query.claimed_issuer() else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "La richiesta non indica il fornitore di servizi.",
        );
    };
    let Some(sp) = idp.inner.providers.find(&issuer).await else {
        return refuse(StatusCode::FORBIDDEN, "Fornitore di servizi sconosciuto.");
    };
    let verified = match query.verify(&sp.keys()) {
        Ok(verified) => verified,
        Err(_) => {
            return refuse(
                StatusCode::FORBIDDEN,
                "Firma della richiesta di logout non valida.",
            );
        }
    };
    // The SLO endpoint the request was addressed to tells the federation.
    let destination = [Federation::Spid, Federation::Cie]
        .into_iter()
        .map(|f| (f, idp.endpoint(f, "slo")))
        .find(|(_, url)| verified.xml().contains(url.as_str()));
    let Some((federation, destination)) = destination else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "Destination della richiesta di logout errata.",
        );
    };
    let request = match logout::parse_logout_request_redirect(
        &verified,
        &ExpectedLogoutRequest::new(&issuer, &destination),
    ) {
        Ok(request) => request,
        Err(error) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                &format!("LogoutRequest non valida: {error}"),
            );
        }
    };
    let answer =
        match LogoutResponseBuilder::new(idp.entity_id(federation), &sp.slo_url, &request.id)
            .build()
        {
            Ok(answer) => answer,
            Err(error) => return refuse(StatusCode::INTERNAL_SERVER_ERROR, &error.to_string()),
        };
    match answer.redirect_url(verified.relay_state(), &idp.inner.key) {
        Ok(location) => Redirect::to(&location).into_response(),
        Err(error) => refuse(StatusCode::INTERNAL_SERVER_ERROR, &error.to_string()),
    }
}
