//! Sportello's HTTP surface: the citizen portal of each comune, operations endpoints and,
//! later, the back office and the JSON API.
//!
//! Handlers are short: they parse the request, call the store or the domain, and render a
//! template. Errors become a [`WebError`], rendered once as a page in [`error`].
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::todo)]

mod api;
mod assets;
pub mod auth;
mod cookies;
mod csrf;
pub mod demo_seed;
pub mod documents;
mod error;
pub mod housekeeping;
pub mod i18n;
mod lang;
mod metrics;
mod notifications;
mod office;
mod ops;
mod pages;
pub mod payments;
mod public;
mod requests;
mod security;
mod tenant;
mod workflow;
pub use workflow::payments::on_payment_received;
pub mod ztl;

pub use error::WebError;
pub use metrics::Metrics;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use sportello_store::Store;
use std::sync::Arc;
use std::time::Duration;
use tower_http::LatencyUnit;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{
    MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};

/// Settings of the HTTP layer.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Send cookies with `Secure` and the `__Host-` prefix: true whenever the portal is served
    /// over HTTPS, which production must be.
    pub secure_cookies: bool,
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
    /// A request taking longer is answered 408 and abandoned.
    pub request_timeout: Duration,
    /// Show the demo banner and the links to the local stand-ins.
    pub demo: bool,
    /// Host names that are the hosting provider's own (no tenant lookup), e.g. `localhost`.
    pub platform_hosts: Vec<String>,
    /// The address citizens use (`https://servizi.example.it`): the base of every comune's
    /// SAML entity ID and endpoints. Without it, login is not available.
    pub public_url: Option<String>,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            secure_cookies: true,
            body_limit: 64 * 1024,
            request_timeout: Duration::from_secs(30),
            demo: false,
            platform_hosts: vec!["localhost".into(), "127.0.0.1".into(), "[::1]".into()],
            public_url: None,
        }
    }
}

pub(crate) struct Shared {
    pub store: Store,
    pub config: WebConfig,
    pub metrics: Metrics,
    pub spid: auth::SpidSettings,
    pub keys: auth::KeyRing,
    /// Extra routes mounted by the caller (the demo's stand-ins under `/_mock/`).
    pub extra_links: Vec<(String, String)>,
    /// Set once at start-up: without it, requests cannot be filed.
    pub documents: std::sync::OnceLock<documents::Documents>,
    /// The pagoPA clients, set once at start-up: without them nobody can pay online.
    pub payments: std::sync::OnceLock<payments::PaymentServices>,
}

/// The state every handler receives.
#[derive(Clone)]
pub struct AppState(pub(crate) Arc<Shared>);

impl AppState {
    pub fn new(store: Store, config: WebConfig, metrics: Metrics) -> AppState {
        AppState::with_links(store, config, metrics, Vec::new())
    }

    /// Links shown on the platform's home page (the demo lists its stand-ins there).
    pub fn with_links(
        store: Store,
        config: WebConfig,
        metrics: Metrics,
        links: Vec<(String, String)>,
    ) -> AppState {
        AppState::with_spid(store, config, metrics, links, auth::SpidSettings::default())
    }

    /// With the identity providers and login settings of this installation.
    pub fn with_spid(
        store: Store,
        config: WebConfig,
        metrics: Metrics,
        links: Vec<(String, String)>,
        spid: auth::SpidSettings,
    ) -> AppState {
        AppState(Arc::new(Shared {
            store,
            config,
            metrics,
            spid,
            keys: auth::KeyRing::new(),
            extra_links: links,
            documents: std::sync::OnceLock::new(),
            payments: std::sync::OnceLock::new(),
        }))
    }

    /// With the attachment vault and the verification key of this installation.
    pub fn with_documents(self, documents: documents::Documents) -> AppState {
        // A second call keeps the first set: keys never change under a running server.
        let _ = self.0.documents.set(documents);
        self
    }

    /// The vault and keys, or `Unavailable` when the installation has none configured.
    pub(crate) fn documents(&self) -> Result<&documents::Documents, WebError> {
        self.0.documents.get().ok_or(WebError::Unavailable)
    }

    pub fn store(&self) -> &Store {
        &self.0.store
    }
}

/// The whole application: routes wrapped in the layers every request passes through.
/// `extra` is merged as is (the demo mounts its stand-ins there).
pub fn app(state: AppState, extra: Router) -> Router {
    let config = state.0.config.clone();
    let tenant_routes = Router::new()
        .route("/servizi", get(pages::catalogue::show))
        .route("/servizi/", get(pages::catalogue::show))
        .route("/servizi/{service}", get(pages::service_sheet::show))
        .route("/area-personale/", get(auth::personal_area))
        .route(
            "/area-personale/profilo",
            get(auth::profile).post(auth::save_profile),
        )
        .route("/accedi", get(auth::sign_in))
        .route("/esci", post(auth::logout))
        .route("/saml/metadata", get(auth::metadata))
        .route("/saml/pub-ag-full/metadata", get(auth::metadata))
        .route("/saml/cie/metadata", get(auth::metadata))
        .route("/saml/login", get(auth::login))
        .route("/saml/acs", post(auth::acs))
        .route("/saml/slo", get(auth::slo).post(auth::slo))
        .route("/contatti", get(pages::info::contacts))
        .route("/privacy", get(pages::info::privacy))
        .route("/note-legali", get(pages::info::legal_notes))
        .route("/accessibilita", get(pages::info::accessibility))
        .route("/stemma", get(pages::home::logo))
        .route("/lingua/{lang}", get(lang::switch))
        .route("/valutazione", post(pages::rating::submit))
        .route("/api/v1/openapi.json", get(api::openapi))
        .route("/api/v1/comune", get(api::comune))
        .route("/api/v1/services", get(api::services))
        .route("/api/v1/services/{service}", get(api::service))
        .merge(requests::routes())
        .merge(payments::routes())
        .merge(office::routes())
        .merge(notifications::routes())
        .merge(public::routes())
        .merge(api::routes());

    let router = Router::new()
        .route("/", get(pages::root::show))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        // Only the static assets are compressed: pages carry CSRF tokens next to what the
        // visitor typed, which compression would expose to a BREACH-style attack.
        .route(
            "/static/{*path}",
            get(assets::serve).layer(CompressionLayer::new().gzip(true)),
        )
        .nest("/{tenant}", tenant_routes)
        // A nested "/" would answer `/{tenant}` only; the home is `/{tenant}/`.
        .route("/{tenant}/", get(pages::home::show))
        .route("/{tenant}", get(tenant::add_trailing_slash))
        .with_state(state.clone())
        .merge(extra)
        .fallback(error::fallback)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            csrf::protect,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::headers,
        ))
        .layer(axum::middleware::from_fn(metrics::track))
        .layer(DefaultBodyLimit::max(config.body_limit))
        .layer(TimeoutLayer::with_status_code(
            http::StatusCode::REQUEST_TIMEOUT,
            config.request_timeout,
        ))
        .layer(CatchPanicLayer::custom(error::panic_response))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_response(
                    DefaultOnResponse::new()
                        .level(tracing::Level::INFO)
                        .latency_unit(LatencyUnit::Millis),
                ),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid));
    // Host routing rewrites the path before the inner router matches it, so it wraps the
    // whole router as a fallback service.
    Router::new()
        .fallback_service(router)
        .layer(axum::middleware::from_fn_with_state(
            state,
            tenant::host_routing,
        ))
}

/// One span per request, with the path but never the query string (which may carry tokens),
/// and the request id that is also returned to the client as `x-request-id`.
fn request_span(request: &axum::extract::Request) -> tracing::Span {
    let id = request
        .extensions()
        .get::<RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .unwrap_or_default();
    tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id)
}
