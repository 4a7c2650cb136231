//! pagoPA Checkout for a creditor's own site: Sportello posts a cart of up to five notices with
//! the addresses to come back to, and sends the citizen's browser where Checkout answers.

use crate::error::{ApiError, classify};
use crate::gpd::client::join;
use reqwest::{Client, Url};
use serde::Serialize;

/// At most five notices per cart.
pub const MAX_NOTICES: usize = 5;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CartNotice {
    pub notice_number: String,
    /// The creditor's fiscal code.
    pub fiscal_code: String,
    pub amount: i64,
    pub company_name: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReturnUrls {
    pub return_ok_url: String,
    pub return_cancel_url: String,
    pub return_error_url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Cart {
    pub payment_notices: Vec<CartNotice>,
    pub return_urls: ReturnUrls,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_notice: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_cart: Option<String>,
}

#[derive(Clone)]
pub struct CheckoutClient {
    http: Client,
    carts: Url,
}

impl CheckoutClient {
    pub fn new(http: Client, base: &Url) -> Result<CheckoutClient, ApiError> {
        Ok(CheckoutClient {
            http,
            carts: join(base, "checkout/ec/v1/carts")?,
        })
    }

    /// Posts the cart; returns where to send the citizen (Checkout's 302 `Location`).
    pub async fn start(&self, cart: &Cart) -> Result<Url, ApiError> {
        if cart.payment_notices.is_empty() || cart.payment_notices.len() > MAX_NOTICES {
            return Err(ApiError::Invalid {
                status: 400,
                detail: format!("a cart holds 1 to {MAX_NOTICES} notices"),
            });
        }
        let body = serde_json::to_vec(cart).map_err(|e| ApiError::Decode(e.to_string()))?;
        let response = self
            .http
            .post(self.carts.clone())
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .map_err(ApiError::from_transport)?;
        let status = response.status();
        if status.is_redirection() {
            let location = response
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| ApiError::Decode("a redirect without Location".into()))?;
            return self
                .carts
                .join(location)
                .map_err(|e| ApiError::Decode(format!("bad Location: {e}")));
        }
        let bytes = response.bytes().await.map_err(ApiError::from_transport)?;
        Err(classify(status.as_u16(), &bytes, None))
    }
}
