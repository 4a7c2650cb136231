//! The GPD REST client: one creditor institution's debt positions (`/organizations/{org}/…`),
//! authenticated by the subscription key of the comune's pagoPA back office.

use super::model::{PaymentPositionModel, PositionResponse, PositionsPage, ReceiptsPage};
use crate::config::SubscriptionKey;
use crate::error::{ApiError, classify};
use reqwest::{Client, Method, Url};
use std::time::Duration;

/// The GPD debt-positions API (v1) and the GPD receipts API of one pagoPA environment.
#[derive(Clone)]
pub struct GpdClient {
    http: Client,
    /// `…/gpd/debt-positions-service/v1`.
    positions: Url,
    /// `…/gpd/payments-receipts-service/v1`.
    receipts: Url,
}

/// One comune as GPD knows it: its fiscal code (the `{org}` of the paths) and its key.
#[derive(Clone)]
pub struct Creditor<'a> {
    pub fiscal_code: &'a str,
    pub key: &'a SubscriptionKey,
}

impl GpdClient {
    /// `base` is the platform's API root (`https://api.platform.pagopa.it`, or the demo's
    /// `http://localhost:8080/_mock/pagopa`).
    pub fn new(http: Client, base: &Url) -> Result<GpdClient, ApiError> {
        Ok(GpdClient {
            http,
            positions: join(base, "gpd/debt-positions-service/v1/")?,
            receipts: join(base, "gpd/payments-receipts-service/v1/")?,
        })
    }

    fn position_url(&self, org: &str, rest: &str) -> Result<Url, ApiError> {
        join(
            &self.positions,
            &format!("organizations/{org}/debtpositions{rest}"),
        )
    }

    /// Creates a position; published at once when `publish` (it becomes payable).
    pub async fn create(
        &self,
        creditor: &Creditor<'_>,
        position: &PaymentPositionModel,
        publish: bool,
    ) -> Result<PositionResponse, ApiError> {
        let mut url = self.position_url(creditor.fiscal_code, "")?;
        url.query_pairs_mut()
            .append_pair("toPublish", if publish { "true" } else { "false" });
        self.send_json(Method::POST, url, creditor, Some(position))
            .await
    }

    pub async fn get(
        &self,
        creditor: &Creditor<'_>,
        iupd: &str,
    ) -> Result<PositionResponse, ApiError> {
        let url = self.position_url(creditor.fiscal_code, &format!("/{}", segment(iupd)))?;
        self.send_json(Method::GET, url, creditor, None::<&()>)
            .await
    }

    /// Replaces a position (only while GPD still allows it: not paid, not invalid).
    pub async fn update(
        &self,
        creditor: &Creditor<'_>,
        position: &PaymentPositionModel,
        publish: bool,
    ) -> Result<PositionResponse, ApiError> {
        let mut url = self.position_url(
            creditor.fiscal_code,
            &format!("/{}", segment(&position.iupd)),
        )?;
        url.query_pairs_mut()
            .append_pair("toPublish", if publish { "true" } else { "false" });
        self.send_json(Method::PUT, url, creditor, Some(position))
            .await
    }

    pub async fn publish(
        &self,
        creditor: &Creditor<'_>,
        iupd: &str,
    ) -> Result<PositionResponse, ApiError> {
        let url =
            self.position_url(creditor.fiscal_code, &format!("/{}/publish", segment(iupd)))?;
        self.send_json(Method::POST, url, creditor, None::<&()>)
            .await
    }

    /// Cancels a published position: it can no longer be paid.
    pub async fn invalidate(
        &self,
        creditor: &Creditor<'_>,
        iupd: &str,
    ) -> Result<PositionResponse, ApiError> {
        let url = self.position_url(
            creditor.fiscal_code,
            &format!("/{}/invalidate", segment(iupd)),
        )?;
        self.send_json(Method::POST, url, creditor, None::<&()>)
            .await
    }

    /// Tells GPD a notice was paid outside pagoPA (at the comune's counter), so that it can
    /// no longer be paid twice.
    pub async fn mark_paid(
        &self,
        creditor: &Creditor<'_>,
        notice: &str,
        paid_at: jiff::Timestamp,
    ) -> Result<super::model::OptionResponse, ApiError> {
        let url = join(
            &self.positions,
            &format!(
                "organizations/{}/paymentoptions/paids/{}",
                creditor.fiscal_code,
                segment(notice)
            ),
        )?;
        let date = paid_at
            .to_zoned(sportello_domain::calendar::rome().clone())
            .datetime()
            .strftime("%Y-%m-%dT%H:%M:%S")
            .to_string();
        let body = serde_json::json!({ "paymentDate": date });
        self.send_json(Method::POST, url, creditor, Some(&body))
            .await
    }

    /// One page (of 50, the most GPD gives) of the positions paid between `from` and `to`
    /// (dates; GPD allows a window of at most 30 days).
    pub async fn paid_between(
        &self,
        creditor: &Creditor<'_>,
        from: jiff::civil::Date,
        to: jiff::civil::Date,
        page: u32,
    ) -> Result<PositionsPage, ApiError> {
        let mut url = self.position_url(creditor.fiscal_code, "")?;
        url.query_pairs_mut()
            .append_pair("limit", "50")
            .append_pair("page", &page.to_string())
            .append_pair("payment_date_from", &from.to_string())
            .append_pair("payment_date_to", &to.to_string());
        self.send_json(Method::GET, url, creditor, None::<&()>)
            .await
    }

    /// One page of the receipts of positions paid between `from` and `to` (dates).
    pub async fn receipts(
        &self,
        creditor: &Creditor<'_>,
        from: jiff::civil::Date,
        to: jiff::civil::Date,
        page: u32,
    ) -> Result<ReceiptsPage, ApiError> {
        let mut url = join(
            &self.receipts,
            &format!("payments/{}/receipts", creditor.fiscal_code),
        )?;
        url.query_pairs_mut()
            .append_pair("pageNum", &page.to_string())
            .append_pair("pageSize", "100")
            .append_pair("from", &from.to_string())
            .append_pair("to", &to.to_string());
        self.send_json(Method::GET, url, creditor, None::<&()>)
            .await
    }

    async fn send_json<B: serde::Serialize, T: serde::de::DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        creditor: &Creditor<'_>,
        body: Option<&B>,
    ) -> Result<T, ApiError> {
        let mut request = self
            .http
            .request(method, url)
            .header("Ocp-Apim-Subscription-Key", creditor.key.expose())
            .header("X-Request-Id", uuid::Uuid::now_v7().to_string())
            .header("Accept", "application/json");
        if let Some(body) = body {
            let bytes = serde_json::to_vec(body).map_err(|e| ApiError::Decode(e.to_string()))?;
            request = request
                .header("Content-Type", "application/json")
                .body(bytes);
        }
        let response = request.send().await.map_err(ApiError::from_transport)?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let bytes = response.bytes().await.map_err(ApiError::from_transport)?;
        if status.is_success() {
            serde_json::from_slice(&bytes).map_err(|e| ApiError::Decode(e.to_string()))
        } else {
            Err(classify(status.as_u16(), &bytes, retry_after))
        }
    }
}

/// A path segment, percent-encoded: an `iupd` is ours but travels in the path.
fn segment(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub(crate) fn join(base: &Url, path: &str) -> Result<Url, ApiError> {
    let mut base = base.clone();
    if !base.path().ends_with('/') {
        let path = format!("{}/", base.path());
        base.set_path(&path);
    }
    base.join(path)
        .map_err(|e| ApiError::Config(format!("bad pagoPA URL: {e}")))
}
