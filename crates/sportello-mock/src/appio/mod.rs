//! The local stand-in of App IO's services API (the API a comune's service calls to message
//! citizens), under `/_mock/appio`. Below the prefix the paths and payloads are the real
//! service's (`https://api.io.pagopa.it/api/v1/...`; the vendored documents in `specs/appio/`
//! are what requests are validated against), so a client only changes its base URL:
//!
//! - `POST {PREFIX}/api/v1/profiles`, `GET {PREFIX}/api/v1/profiles/{fiscal_code}`
//! - `POST {PREFIX}/api/v1/messages`, `POST {PREFIX}/api/v1/messages/{fiscal_code}`
//! - `GET {PREFIX}/api/v1/messages/{fiscal_code}/{id}`
//! - test hooks (never faulted): `GET|PUT {PREFIX}/_admin/faults`, `GET {PREFIX}/_admin/calls`,
//!   `GET {PREFIX}/_admin/messages`
//! - the citizen's phone, `{PREFIX}/inbox/`: each profile's inbox, the messages as the app
//!   shows them, and "Paga" through the pagoPA stand-in's Checkout ([`MockAppIo::with_pagopa`]).
//!
//! As in IO, sending is asynchronous: a message is `ACCEPTED`, then after a processing delay
//! ([`MockAppIo::set_processing_delay`]) `PROCESSED` (in the inbox) or `REJECTED` (no profile,
//! inbox disabled, or the service blocked by the citizen). The transition is evaluated on each
//! read against an injectable clock ([`MockAppIo::set_now`]). Each key has a token bucket of
//! 150 calls per 5 seconds, as IO's gateway ([`MockAppIo::set_rate_limit`]).

mod inbox;
pub mod schema;
mod state;

pub use crate::pagopa::{CallStats, Faults, FaultsError};
pub use state::{MockMessageStatus, ReceivedMessage, ReceivedPayment};

use crate::pagopa::MockPagoPa;
use crate::pagopa::faults::Fault;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State as AxumState};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use state::{Refusal, State};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// Where the stand-in's routes live.
pub const PREFIX: &str = "/_mock/appio";
/// The API's base below the prefix: the real `https://api.io.pagopa.it/api/v1`.
pub const API_BASE: &str = "/_mock/appio/api/v1";
/// The header carrying the service's key.
pub const SUBSCRIPTION_KEY_HEADER: &str = "Ocp-Apim-Subscription-Key";
/// IO's gateway: seconds to wait after a 429.
pub const RATE_LIMIT_RETRY_AFTER_HEADER: &str = "x-rate-limit-retry-after";
/// IO's gateway: calls left in the window, on every answer within the limit.
pub const RATE_LIMIT_REMAINING_HEADER: &str = "x-rate-limit-remaining";
/// Seconds an injected 429 asks to wait.
pub const INJECTED_RETRY_AFTER_SECONDS: u64 = 1;
/// The 500 of the messages API.
pub const CANNOT_DELIVER: &str = "The message cannot be delivered.";

/// A service on IO (one per comune and topic), with its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockIoService {
    /// `sender_service_id`: a ULID-like string.
    pub id: String,
    pub name: String,
    pub organization_name: String,
    /// 11 digits: the payee IO fills in for the service's payment notices.
    pub organization_fiscal_code: String,
    /// The primary key; the stand-in knows one per service.
    pub key: String,
    /// Cents; IO's CMS default is 1000000 (10 000 €).
    pub max_allowed_payment_amount: u64,
    /// Test mode: only `authorized_recipients` can be read and written to (else 403).
    pub limited: bool,
    pub authorized_recipients: Vec<String>,
    /// Holds the `ApiMessageWriteAdvanced` group: may send ADVANCED messages.
    pub advanced: bool,
}

impl MockIoService {
    /// A production (not limited), STANDARD-only service with IO's default maximum amount.
    pub fn new(
        id: &str,
        name: &str,
        organization_name: &str,
        organization_fiscal_code: &str,
        key: &str,
    ) -> MockIoService {
        MockIoService {
            id: id.to_owned(),
            name: name.to_owned(),
            organization_name: organization_name.to_owned(),
            organization_fiscal_code: organization_fiscal_code.to_owned(),
            key: key.to_owned(),
            max_allowed_payment_amount: 1_000_000,
            limited: false,
            authorized_recipients: Vec::new(),
            advanced: false,
        }
    }
}

/// A citizen's IO profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockProfile {
    pub fiscal_code: String,
    /// Without the inbox enabled IO answers 404, as for no profile at all.
    pub inbox_enabled: bool,
    /// Service ids the citizen turned off: `sender_allowed: false`, messages REJECTED.
    pub blocked_services: Vec<String>,
    pub preferred_languages: Vec<String>,
    /// Shown on the inbox's index only.
    pub display_name: Option<String>,
}

impl MockProfile {
    /// An enabled inbox, Italian, nothing blocked.
    pub fn new(fiscal_code: &str) -> MockProfile {
        MockProfile {
            fiscal_code: fiscal_code.to_owned(),
            inbox_enabled: true,
            blocked_services: Vec::new(),
            preferred_languages: vec!["it_IT".to_owned()],
            display_name: None,
        }
    }

    pub fn with_display_name(mut self, name: &str) -> MockProfile {
        self.display_name = Some(name.to_owned());
        self
    }
}

/// The App IO stand-in of one demo (or test) process.
#[derive(Clone)]
pub struct MockAppIo {
    state: Arc<Mutex<State>>,
    pagopa: Option<MockPagoPa>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every change is made under the lock in one go: a panic elsewhere cannot leave the state
    // half-written.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl MockAppIo {
    pub fn new(services: Vec<MockIoService>, profiles: Vec<MockProfile>) -> MockAppIo {
        MockAppIo {
            state: Arc::new(Mutex::new(State::new(services, profiles))),
            pagopa: None,
        }
    }

    /// Lets the inbox pay notices through `pagopa`'s Checkout and show them paid.
    pub fn with_pagopa(mut self, pagopa: MockPagoPa) -> MockAppIo {
        self.pagopa = Some(pagopa);
        self
    }

    /// Adds a profile, or replaces the one with the same fiscal code.
    pub fn upsert_profile(&self, profile: MockProfile) {
        let mut state = lock(&self.state);
        state
            .profiles
            .retain(|p| p.fiscal_code != profile.fiscal_code);
        state.profiles.push(profile);
    }

    /// Adds a service, or replaces the one with the same id.
    pub fn upsert_service(&self, service: MockIoService) {
        let mut state = lock(&self.state);
        state.services.retain(|s| s.id != service.id);
        state.services.push(service);
    }

    pub fn profiles(&self) -> Vec<MockProfile> {
        lock(&self.state).profiles.clone()
    }

    pub fn services(&self) -> Vec<MockIoService> {
        lock(&self.state).services.clone()
    }

    /// Every message received, in order, with its status as of now.
    pub fn messages(&self) -> Vec<ReceivedMessage> {
        let mut state = lock(&self.state);
        let now = state.now();
        state.settle(now);
        state.messages.clone()
    }

    pub fn messages_for(&self, fiscal_code: &str) -> Vec<ReceivedMessage> {
        self.messages()
            .into_iter()
            .filter(|m| m.fiscal_code == fiscal_code)
            .collect()
    }

    /// Replaces the faults, and restarts their generator from `faults.seed`.
    pub fn set_faults(&self, faults: Faults) {
        let mut state = lock(&self.state);
        state.rng = crate::pagopa::faults::Rng::new(faults.seed);
        state.faults = faults;
    }

    pub fn faults(&self) -> Faults {
        lock(&self.state).faults.clone()
    }

    /// How long a message stays ACCEPTED (1 s by default; zero: processed on the next read).
    pub fn set_processing_delay(&self, delay: Duration) {
        lock(&self.state).processing_delay = delay;
    }

    /// The token bucket of each key: `capacity` calls per `window` (150 per 5 s by default).
    /// A capacity of zero lifts the limit. Empties the current buckets.
    pub fn set_rate_limit(&self, capacity: u32, window: Duration) {
        let mut state = lock(&self.state);
        state.rate_capacity = capacity;
        state.rate_window = window;
        state.reset_rate_limits();
    }

    /// Freezes the clock at `now` (processing and rate limits follow it).
    pub fn set_now(&self, now: jiff::Timestamp) {
        lock(&self.state).clock = Some(now);
    }

    pub fn use_real_clock(&self) {
        lock(&self.state).clock = None;
    }

    pub fn calls(&self) -> CallStats {
        lock(&self.state).stats.clone()
    }

    /// Every route, already under [`PREFIX`].
    pub fn router(&self) -> Router {
        Router::new()
            .route(&format!("{API_BASE}/profiles"), post(profile_by_post))
            .route(
                &format!("{API_BASE}/profiles/{{fiscal_code}}"),
                get(profile),
            )
            .route(&format!("{API_BASE}/messages"), post(submit_in_body))
            .route(
                &format!("{API_BASE}/messages/{{fiscal_code}}"),
                post(submit_in_path),
            )
            .route(
                &format!("{API_BASE}/messages/{{fiscal_code}}/{{id}}"),
                get(get_message),
            )
            .route(
                &format!("{PREFIX}/_admin/faults"),
                get(admin_faults).put(admin_set_faults),
            )
            .route(&format!("{PREFIX}/_admin/calls"), get(admin_calls))
            .route(&format!("{PREFIX}/_admin/messages"), get(admin_messages))
            .merge(inbox::routes())
            .with_state(self.clone())
    }

    /// Whether the notice is paid, if the inbox is linked to the pagoPA stand-in.
    fn paid(&self, payment: &ReceivedPayment) -> Option<bool> {
        self.pagopa
            .as_ref()
            .map(|p| p.notice_paid(&payment.payee_fiscal_code, &payment.notice_number))
    }

    /// Runs one API call as IO's gateway and function would: counts it, applies the faults,
    /// checks the key (401) and the rate limit (429), then `work` under the state's lock.
    async fn api_call(
        &self,
        operation: &'static str,
        uri: &Uri,
        headers: &HeaderMap,
        work: impl FnOnce(&mut State, &MockIoService, jiff::Timestamp) -> Response,
    ) -> Response {
        let (fault, faults) = {
            let mut state = lock(&self.state);
            let faults = state.faults.clone();
            let fault = state.rng.draw(&faults);
            let stats = &mut state.stats;
            stats.total += 1;
            *stats.by_endpoint.entry(operation.to_owned()).or_insert(0) += 1;
            if let Some(name) = fault.name() {
                *stats.by_fault.entry(name.to_owned()).or_insert(0) += 1;
            }
            if faults.latency_ms > 0 {
                *stats.by_fault.entry("latency".to_owned()).or_insert(0) += 1;
            }
            (fault, faults)
        };
        if faults.latency_ms > 0 {
            tokio::time::sleep(Duration::from_millis(faults.latency_ms)).await;
        }
        let failure_detail = if operation.starts_with("submit") {
            CANNOT_DELIVER
        } else {
            "Internal server error (injected fault)."
        };
        match fault {
            Fault::RateLimit => return rate_limited(INJECTED_RETRY_AFTER_SECONDS),
            Fault::Error => return problem(500, failure_detail, uri),
            Fault::Timeout => {
                tokio::time::sleep(Duration::from_millis(faults.timeout_ms)).await;
            }
            Fault::None | Fault::LostResponse { .. } => {}
        }
        let mut response = {
            let mut state = lock(&self.state);
            let now = state.now();
            let key = headers
                .get(SUBSCRIPTION_KEY_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            let Some(service) = state.service_by_key(key).cloned() else {
                return gateway(
                    401,
                    "Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.",
                );
            };
            let remaining = match state.take_token(&service.key, now) {
                Ok(remaining) => remaining,
                Err(wait) => return rate_limited(wait.as_secs_f64().ceil().max(1.0) as u64),
            };
            state.settle(now);
            let mut response = work(&mut state, &service, now);
            if let Ok(value) = HeaderValue::from_str(&remaining.to_string()) {
                response
                    .headers_mut()
                    .insert(RATE_LIMIT_REMAINING_HEADER, value);
            }
            response
        };
        if let Fault::LostResponse { stall } = fault {
            if stall {
                tokio::time::sleep(Duration::from_millis(faults.timeout_ms)).await;
            }
            response = problem(500, failure_detail, uri);
        }
        response
    }
}

/// A ProblemJson answer `{type, title, status, detail, instance}`.
fn problem(status: u16, detail: &str, uri: &Uri) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let title = match status {
        400 => "Invalid payload",
        403 => "You are not allowed here",
        404 => "Not found",
        500 => "Internal server error",
        _ => code.canonical_reason().unwrap_or("Error"),
    };
    let body = json!({
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": uri.path(),
    });
    (
        code,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body.to_string(),
    )
        .into_response()
}

fn refusal(refusal: Refusal, uri: &Uri) -> Response {
    problem(refusal.status, &refusal.detail, uri)
}

/// APIM's own answers (401, 429): `{statusCode, message}`.
fn gateway(status: u16, message: &str) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        code,
        axum::Json(json!({"statusCode": status, "message": message})),
    )
        .into_response()
}

fn rate_limited(seconds: u64) -> Response {
    let mut response = gateway(
        429,
        &format!("Rate limit is exceeded. Try again in {seconds} seconds."),
    );
    let headers = response.headers_mut();
    headers.insert(RATE_LIMIT_RETRY_AFTER_HEADER, HeaderValue::from(seconds));
    headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

async fn profile_by_post(
    AxumState(mock): AxumState<MockAppIo>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    mock.api_call("getProfileByPOST", &uri, &headers, |state, service, _| {
        let payload: serde_json::Value = match serde_json::from_slice(&body) {
            Ok(payload) => payload,
            Err(e) => return problem(400, &format!("the body is not valid JSON: {e}"), &uri),
        };
        let violations =
            match schema::services().and_then(|doc| doc.validate("FiscalCodePayload", &payload)) {
                Ok(violations) => violations,
                Err(e) => return problem(500, &e.to_string(), &uri),
            };
        if !violations.is_empty() {
            let listed: Vec<String> = violations.iter().map(ToString::to_string).collect();
            return problem(400, &listed.join("; "), &uri);
        }
        let fiscal_code = payload
            .get("fiscal_code")
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        match state.profile_for(service, fiscal_code) {
            Ok(profile) => axum::Json(profile).into_response(),
            Err(e) => refusal(e, &uri),
        }
    })
    .await
}

async fn profile(
    AxumState(mock): AxumState<MockAppIo>,
    Path(fiscal_code): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    mock.api_call(
        "getProfile",
        &uri,
        &headers,
        |state, service, _| match state.profile_for(service, &fiscal_code) {
            Ok(profile) => axum::Json(profile).into_response(),
            Err(e) => refusal(e, &uri),
        },
    )
    .await
}

async fn submit(
    mock: MockAppIo,
    operation: &'static str,
    path_fiscal_code: Option<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    mock.api_call(operation, &uri, &headers, |state, service, now| {
        let id = state::ulid(now);
        match state.submit(service, path_fiscal_code.as_deref(), &body, now, id) {
            Ok(message) => {
                let location = format!("/api/v1/messages/{}/{}", message.fiscal_code, message.id);
                let mut response =
                    (StatusCode::CREATED, axum::Json(json!({"id": message.id}))).into_response();
                if let Ok(value) = HeaderValue::from_str(&location) {
                    response.headers_mut().insert(header::LOCATION, value);
                }
                response
            }
            Err(e) => refusal(e, &uri),
        }
    })
    .await
}

async fn submit_in_body(
    AxumState(mock): AxumState<MockAppIo>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    submit(
        mock,
        "submitMessageforUserWithFiscalCodeInBody",
        None,
        uri,
        headers,
        body,
    )
    .await
}

async fn submit_in_path(
    AxumState(mock): AxumState<MockAppIo>,
    Path(fiscal_code): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    submit(
        mock,
        "submitMessageforUser",
        Some(fiscal_code),
        uri,
        headers,
        body,
    )
    .await
}

async fn get_message(
    AxumState(mock): AxumState<MockAppIo>,
    Path((fiscal_code, id)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let handle = mock.clone();
    let found = mock
        .api_call("getMessage", &uri, &headers, |state, service, _| {
            match state.message_for(service, &fiscal_code, &id) {
                Ok(message) => {
                    // The payment status is read outside the lock: pagoPA has its own.
                    let mut response = StatusCode::OK.into_response();
                    response.extensions_mut().insert(message.clone());
                    response
                }
                Err(e) => refusal(e, &uri),
            }
        })
        .await;
    let Some(message) = found.extensions().get::<ReceivedMessage>().cloned() else {
        return found;
    };
    let paid = message
        .payment_data
        .as_ref()
        .and_then(|payment| handle.paid(payment));
    let mut response = axum::Json(state::message_json(&message, paid)).into_response();
    if let Some(value) = found.headers().get(RATE_LIMIT_REMAINING_HEADER) {
        response
            .headers_mut()
            .insert(RATE_LIMIT_REMAINING_HEADER, value.clone());
    }
    response
}

async fn admin_faults(AxumState(mock): AxumState<MockAppIo>) -> Response {
    axum::Json(mock.faults()).into_response()
}

async fn admin_set_faults(AxumState(mock): AxumState<MockAppIo>, body: Bytes) -> Response {
    let faults: Faults = match serde_json::from_slice(&body) {
        Ok(faults) => faults,
        Err(e) => {
            return problem(
                400,
                &format!("invalid faults: {e}"),
                &Uri::from_static("/_mock/appio/_admin/faults"),
            );
        }
    };
    if let Err(e) = faults.check() {
        return problem(
            400,
            &e.to_string(),
            &Uri::from_static("/_mock/appio/_admin/faults"),
        );
    }
    mock.set_faults(faults.clone());
    axum::Json(faults).into_response()
}

async fn admin_calls(AxumState(mock): AxumState<MockAppIo>) -> Response {
    axum::Json(mock.calls()).into_response()
}

async fn admin_messages(AxumState(mock): AxumState<MockAppIo>) -> Response {
    axum::Json(mock.messages()).into_response()
}
