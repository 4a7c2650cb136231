//! The local stand-in of pagoPA for a creditor (Ente Creditore): the GPD debt-position API
//! (v1), the GPD receipts API and the Checkout, all under `/_mock/pagopa`. Below the prefix
//! the paths and payloads are the real services' (the vendored OpenAPI documents in
//! `specs/pagopa/` are what requests are validated against), so a client only changes its
//! base URL:
//!
//! - GPD: `{PREFIX}/gpd/debt-positions-service/v1/organizations/{org}/...`
//! - receipts: `{PREFIX}/gpd/payments-receipts-service/v1/payments/{org}/receipts[/{iuv}]`
//! - Checkout: `POST {PREFIX}/checkout/ec/v1/carts` → 302 to the simulated payment page
//!   `{PREFIX}/checkout/carts/{cartId}`
//! - test hooks: `GET|PUT {PREFIX}/_admin/faults`, `GET {PREFIX}/_admin/calls`,
//!   `POST {PREFIX}/_admin/pay/{org}/{nav}`, `POST {PREFIX}/_admin/report/{org}/{nav}`
//!
//! Time-driven transitions (PUBLISHED→VALID, VALID→EXPIRED) are evaluated on each read against
//! an injectable clock ([`MockPagoPa::set_now`]). Faults ([`Faults`]) apply to the GPD and
//! receipts calls only.

mod checkout;
// Shared with the App IO stand-in, which faults its API the same way.
pub(crate) mod faults;
mod gpd;
mod receipts;
pub mod schema;
mod state;

pub use faults::{CallStats, Faults, FaultsError};
pub use state::{FEE_CENTS, PAYMENT_METHOD, PSP_COMPANY};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State as AxumState};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use faults::{Fault, Rng};
use serde::{Deserialize, Serialize};
use serde_json::json;
use state::{GpdError, State};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// Where the stand-in's routes live.
pub const PREFIX: &str = "/_mock/pagopa";
/// The header carrying the API key.
pub const SUBSCRIPTION_KEY_HEADER: &str = "Ocp-Apim-Subscription-Key";
/// The header echoed (or generated) on every API answer.
pub const REQUEST_ID_HEADER: &str = "X-Request-Id";
/// Seconds a rate-limited client is told to wait.
pub const RETRY_AFTER_SECONDS: u64 = 1;

/// A creditor (comune) known to the stand-in, with the API key its intermediary uses. Several
/// creditors may share one key (one intermediary for many ECs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockCreditor {
    pub subscription_key: String,
    /// 11 digits: the `{org}` of the paths.
    pub fiscal_code: String,
    pub company_name: String,
    /// The segregation codes assigned to the creditor's station: an IUV must start with one
    /// of them. Empty: any.
    pub segregation_codes: Vec<u8>,
}

/// A payment made through the (simulated) pagoPA, as its receipt tells it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaidReceipt {
    pub organization_fiscal_code: String,
    pub company_name: String,
    pub iupd: String,
    pub iuv: String,
    pub nav: String,
    /// `idReceipt` of the payment option, `receiptId` of the receipt.
    pub receipt_id: String,
    /// Cents.
    pub amount: i64,
    /// The PSP's commission, in cents, paid on top of `amount`.
    pub fee: i64,
    pub description: String,
    pub debtor_fiscal_code: String,
    pub debtor_full_name: String,
    pub payment_date_time: jiff::Timestamp,
    pub id_psp: String,
    pub psp_company: String,
    pub payment_method: String,
    /// The position's status after the payment: PAID or PARTIALLY_PAID.
    pub position_status: String,
}

/// Why a notice cannot be paid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayError {
    #[error("no payment notice {nav} for organization {org}")]
    UnknownNotice { org: String, nav: String },
    #[error("payment notice {nav} of organization {org} is already paid")]
    AlreadyPaid { org: String, nav: String },
    #[error("the debt position is {status}: the notice is not payable")]
    NotPayable { status: String },
    /// Only a paid notice can be reported.
    #[error("payment notice {nav} of organization {org} is not paid")]
    NotPaid { org: String, nav: String },
}

type PaidListener = Arc<dyn Fn(PaidReceipt) + Send + Sync>;

/// The pagoPA stand-in of one demo (or test) process.
#[derive(Clone)]
pub struct MockPagoPa {
    state: Arc<Mutex<State>>,
    listeners: Arc<Mutex<Vec<PaidListener>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every change to the state is made under the lock in one go: a panic elsewhere cannot
    // leave it half-written.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl MockPagoPa {
    pub fn new(creditors: Vec<MockCreditor>) -> MockPagoPa {
        MockPagoPa {
            state: Arc::new(Mutex::new(State::new(creditors))),
            listeners: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// Every route, already under [`PREFIX`].
    pub fn router(&self) -> Router {
        let gpd = format!("{PREFIX}/gpd/debt-positions-service/v1/organizations/{{org}}");
        let receipts =
            format!("{PREFIX}/gpd/payments-receipts-service/v1/payments/{{org}}/receipts");
        Router::new()
            .route(
                &format!("{gpd}/debtpositions"),
                get(gpd::list).post(gpd::create),
            )
            .route(
                &format!("{gpd}/debtpositions/{{iupd}}"),
                get(gpd::get_one).put(gpd::update).delete(gpd::delete),
            )
            .route(
                &format!("{gpd}/debtpositions/{{iupd}}/publish"),
                post(gpd::publish),
            )
            .route(
                &format!("{gpd}/debtpositions/{{iupd}}/invalidate"),
                post(gpd::invalidate),
            )
            .route(
                &format!("{gpd}/paymentoptions/paids/{{nav}}"),
                post(gpd::paid_outside),
            )
            .route(&receipts, get(receipts::list))
            .route(&format!("{receipts}/{{iuv}}"), get(receipts::get_one))
            .route(
                &format!("{PREFIX}/checkout/ec/v1/carts"),
                post(checkout::create_cart),
            )
            .route(
                &format!("{PREFIX}/checkout/carts/{{cart}}"),
                get(checkout::page).post(checkout::act),
            )
            .route(
                &format!("{PREFIX}/_admin/faults"),
                get(admin_faults).put(admin_set_faults),
            )
            .route(&format!("{PREFIX}/_admin/calls"), get(admin_calls))
            .route(
                &format!("{PREFIX}/_admin/pay/{{org}}/{{nav}}"),
                post(admin_pay),
            )
            .route(
                &format!("{PREFIX}/_admin/report/{{org}}/{{nav}}"),
                post(admin_report),
            )
            .with_state(self.clone())
    }

    /// Replaces the faults, and restarts their generator from `faults.seed`.
    pub fn set_faults(&self, faults: Faults) {
        let mut state = lock(&self.state);
        state.rng = Rng::new(faults.seed);
        state.faults = faults;
    }

    pub fn faults(&self) -> Faults {
        lock(&self.state).faults.clone()
    }

    /// Pays a notice through the simulated pagoPA (the Checkout's "Paga" does the same): the
    /// option becomes PO_PAID with the receipt's fields, the position PAID (or PARTIALLY_PAID
    /// for an instalment), the receipt appears in the receipts API, and the `on_paid`
    /// listeners are told.
    pub fn pay(&self, org: &str, nav: &str) -> Result<PaidReceipt, PayError> {
        let receipt = lock(&self.state).pay(org, nav)?;
        let listeners: Vec<PaidListener> = lock(&self.listeners).clone();
        for listener in listeners {
            listener(receipt.clone());
        }
        Ok(receipt)
    }

    /// The reporting hook: the paid notice's transfers are reported (PO_REPORTED,
    /// T_REPORTED); a PAID position whose paid options are all reported becomes REPORTED.
    pub fn report(&self, org: &str, nav: &str) -> Result<(), PayError> {
        lock(&self.state).report(org, nav)
    }

    /// Calls `listener` with each receipt as the payment happens, like pagoPA pushing
    /// receipts (`paSendRTV2`) to the creditor's station.
    pub fn on_paid(&self, listener: Box<dyn Fn(PaidReceipt) + Send + Sync>) {
        lock(&self.listeners).push(Arc::from(listener));
    }

    /// The positions of `org` as `GET .../debtpositions/{iupd}` returns them, in creation
    /// order.
    pub fn positions(&self, org: &str) -> Vec<serde_json::Value> {
        lock(&self.state)
            .positions_of(org)
            .into_iter()
            .map(|p| p.base_json())
            .collect()
    }

    /// How many times a create of `iupd` was carried out (stored): a create whose answer a
    /// fault lost counts too, since the position exists.
    pub fn creations(&self, org: &str, iupd: &str) -> u32 {
        lock(&self.state)
            .creations
            .get(&(org.to_owned(), iupd.to_owned()))
            .copied()
            .unwrap_or(0)
    }

    /// Freezes the clock at `now`.
    pub fn set_now(&self, now: jiff::Timestamp) {
        lock(&self.state).clock = Some(now);
    }

    pub fn use_real_clock(&self) {
        lock(&self.state).clock = None;
    }

    pub fn calls(&self) -> CallStats {
        lock(&self.state).stats.clone()
    }

    /// Runs one GPD or receipts API call: counts it, applies the faults, echoes the request
    /// id. `work` runs under the state's lock.
    async fn api_call(
        &self,
        operation: &'static str,
        headers: &HeaderMap,
        work: impl FnOnce(&mut State) -> Response,
    ) -> Response {
        let request_id = headers
            .get(REQUEST_ID_HEADER)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .unwrap_or_else(state::random_id);
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
        let mut response = match fault {
            Fault::RateLimit => {
                let mut response = Problem::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate limit exceeded (injected fault)",
                )
                .into_response();
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
                response
            }
            Fault::Error => Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "service unavailable (injected fault, nothing was processed)",
            )
            .into_response(),
            Fault::Timeout => {
                tokio::time::sleep(Duration::from_millis(faults.timeout_ms)).await;
                work(&mut lock(&self.state))
            }
            Fault::LostResponse { stall } => {
                let _lost = work(&mut lock(&self.state));
                if stall {
                    tokio::time::sleep(Duration::from_millis(faults.timeout_ms)).await;
                }
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "service unavailable (injected fault, after processing)",
                )
                .into_response()
            }
            Fault::None => work(&mut lock(&self.state)),
        };
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            response.headers_mut().insert(REQUEST_ID_HEADER, value);
        }
        response
    }
}

/// An error answer, `ProblemJson {title, status, detail}`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Problem {
    status: StatusCode,
    detail: String,
    /// APIM's own answers (401, 403) also carry `{statusCode, message}`.
    gateway: bool,
}

impl Problem {
    pub(crate) fn new(status: StatusCode, detail: impl Into<String>) -> Problem {
        Problem {
            status,
            detail: detail.into(),
            gateway: false,
        }
    }

    fn gateway(status: StatusCode, detail: impl Into<String>) -> Problem {
        Problem {
            gateway: true,
            ..Problem::new(status, detail)
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let title = self.status.canonical_reason().unwrap_or("Error");
        let mut body =
            json!({"title": title, "status": self.status.as_u16(), "detail": self.detail});
        if self.gateway
            && let Some(map) = body.as_object_mut()
        {
            map.insert("statusCode".to_owned(), json!(self.status.as_u16()));
            map.insert("message".to_owned(), json!(self.detail));
        }
        (self.status, axum::Json(body)).into_response()
    }
}

impl From<GpdError> for Problem {
    fn from(error: GpdError) -> Problem {
        let status = match &error {
            GpdError::Invalid(_) | GpdError::BadRequest(_) => StatusCode::BAD_REQUEST,
            GpdError::Forbidden(_) => StatusCode::FORBIDDEN,
            GpdError::NotFound(_) => StatusCode::NOT_FOUND,
            GpdError::Conflict(_) => StatusCode::CONFLICT,
            GpdError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            GpdError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        match error {
            GpdError::Forbidden(detail) => Problem::gateway(status, detail),
            other => Problem::new(status, other.to_string()),
        }
    }
}

impl From<PayError> for Problem {
    fn from(error: PayError) -> Problem {
        let status = match error {
            PayError::UnknownNotice { .. } => StatusCode::NOT_FOUND,
            PayError::AlreadyPaid { .. }
            | PayError::NotPayable { .. }
            | PayError::NotPaid { .. } => StatusCode::CONFLICT,
        };
        Problem::new(status, error.to_string())
    }
}

/// The creditor `org`, if the request's key may act for it: 401 without a known key, 403 if
/// the key does not serve `org`.
pub(crate) fn authorize(
    state: &State,
    headers: &HeaderMap,
    org: &str,
) -> Result<MockCreditor, Problem> {
    let key = headers
        .get(SUBSCRIPTION_KEY_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let mut served = state
        .creditors
        .iter()
        .filter(|c| !key.is_empty() && c.subscription_key == key)
        .peekable();
    if served.peek().is_none() {
        return Err(Problem::gateway(
            StatusCode::UNAUTHORIZED,
            "Access denied due to missing or invalid subscription key (Ocp-Apim-Subscription-Key).",
        ));
    }
    served
        .find(|c| c.fiscal_code == org)
        .cloned()
        .ok_or_else(|| {
            Problem::gateway(
                StatusCode::FORBIDDEN,
                "You are not allowed to access this resource.",
            )
        })
}

/// The JSON body of a request, or a 400.
pub(crate) fn json_body(body: &Bytes) -> Result<serde_json::Value, Problem> {
    serde_json::from_slice(body).map_err(|e| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            format!("the body is not valid JSON: {e}"),
        )
    })
}

async fn admin_faults(AxumState(mock): AxumState<MockPagoPa>) -> Response {
    axum::Json(mock.faults()).into_response()
}

async fn admin_set_faults(AxumState(mock): AxumState<MockPagoPa>, body: Bytes) -> Response {
    let faults: Faults = match serde_json::from_slice(&body) {
        Ok(faults) => faults,
        Err(e) => {
            return Problem::new(StatusCode::BAD_REQUEST, format!("invalid faults: {e}"))
                .into_response();
        }
    };
    if let Err(e) = faults.check() {
        return Problem::new(StatusCode::BAD_REQUEST, e.to_string()).into_response();
    }
    mock.set_faults(faults.clone());
    axum::Json(faults).into_response()
}

async fn admin_calls(AxumState(mock): AxumState<MockPagoPa>) -> Response {
    axum::Json(mock.calls()).into_response()
}

async fn admin_pay(
    AxumState(mock): AxumState<MockPagoPa>,
    Path((org, nav)): Path<(String, String)>,
) -> Response {
    match mock.pay(&org, &nav) {
        Ok(receipt) => axum::Json(receipt).into_response(),
        Err(e) => Problem::from(e).into_response(),
    }
}

async fn admin_report(
    AxumState(mock): AxumState<MockPagoPa>,
    Path((org, nav)): Path<(String, String)>,
) -> Response {
    match mock.report(&org, &nav) {
        Ok(()) => axum::Json(json!({"organizationFiscalCode": org, "nav": nav, "reported": true}))
            .into_response(),
        Err(e) => Problem::from(e).into_response(),
    }
}
