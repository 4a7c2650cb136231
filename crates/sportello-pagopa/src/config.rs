//! Where pagoPA is and the comuni's keys. The keys are secrets: they are read from the
//! server's configuration (never from a comune file), printed as `***` and never logged.

use reqwest::Url;
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// A GPD subscription key (`Ocp-Apim-Subscription-Key`).
#[derive(Clone, PartialEq, Eq)]
pub struct SubscriptionKey(String);

impl SubscriptionKey {
    pub fn new(key: impl Into<String>) -> SubscriptionKey {
        SubscriptionKey(key.into())
    }

    /// The key itself, for the request header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SubscriptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SubscriptionKey(***)")
    }
}

/// The pagoPA environment and the comuni's credentials.
#[derive(Debug, Clone)]
pub struct PagoPaSettings {
    /// The API root: `https://api.platform.pagopa.it` (production),
    /// `https://api.uat.platform.pagopa.it` (test), or the demo's stand-in.
    pub api_base: Url,
    /// Per comune (by slug): the subscription key of its station.
    pub keys: BTreeMap<String, SubscriptionKey>,
    /// How long one call may take before it counts as a timeout.
    pub timeout: Duration,
    /// `server.public_url`, for the link in the message that announces a notice.
    pub public_url: Option<String>,
}

impl PagoPaSettings {
    pub const PRODUCTION: &'static str = "https://api.platform.pagopa.it";

    pub fn key(&self, tenant_slug: &str) -> Option<&SubscriptionKey> {
        self.keys.get(tenant_slug)
    }

    /// The comune as GPD knows it (its fiscal code and key), if it has joined pagoPA: its
    /// comune file has `[pagopa]` settings and the configuration its key.
    pub fn creditor<'a>(
        &'a self,
        tenant: &'a sportello_domain::Tenant,
    ) -> Result<crate::gpd::Creditor<'a>, crate::error::CallError> {
        match (&tenant.profile.pagopa, self.key(tenant.slug.as_str())) {
            (Some(_), Some(key)) => Ok(crate::gpd::Creditor {
                fiscal_code: tenant.profile.codice_fiscale.as_str(),
                key,
            }),
            _ => Err(crate::error::CallError::NotConfigured(
                tenant.slug.to_string(),
            )),
        }
    }
}

/// The HTTP client for pagoPA: rustls with the process's crypto provider, a timeout per call,
/// no redirects followed (the Checkout answers a cart with one to hand to the browser).
pub fn http_client(timeout: Duration) -> Result<reqwest::Client, crate::ApiError> {
    // One TLS provider in the whole process: ring, as the database driver uses. Installing it
    // twice is harmless (the second attempt is refused and ignored).
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("Sportello/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| crate::ApiError::Config(format!("HTTP client: {e}")))
}
