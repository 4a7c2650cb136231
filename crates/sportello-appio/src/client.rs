//! The HTTP calls.

use crate::error::ApiError;
use crate::model::{MessageId, MessageStatus, NewMessage, ProfileCheck, ServiceKey, StatusBody};
use reqwest::header::{CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode, Url};
use serde::Deserialize;
use std::time::Duration;

/// The production API.
pub const PRODUCTION_API_BASE: &str = "https://api.io.pagopa.it/api/v1";
/// The header carrying the service's key.
pub const SUBSCRIPTION_KEY_HEADER: &str = "Ocp-Apim-Subscription-Key";
/// IO's API gateway tells a rate-limited caller how many seconds to wait here (io-infra's
/// APIM policy), besides or instead of the standard `Retry-After`.
const RATE_LIMIT_RETRY_AFTER_HEADER: &str = "x-rate-limit-retry-after";

/// The HTTP client for IO: rustls with the process's crypto provider, a timeout per call, no
/// redirects (IO's API answers none; following one would resend the key elsewhere).
pub fn http_client(timeout: Duration) -> Result<reqwest::Client, ApiError> {
    // One TLS provider in the whole process: ring, as the database driver uses. Installing it
    // twice is harmless (the second attempt is refused and ignored).
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| ApiError::Config(e.without_url().to_string()))
}

/// A client of the IO services API. Cheap to clone; the key comes with each call.
#[derive(Clone, Debug)]
pub struct AppIoClient {
    http: reqwest::Client,
    base: Url,
}

#[derive(Deserialize)]
struct LimitedProfile {
    sender_allowed: bool,
    #[serde(default)]
    preferred_languages: Vec<String>,
}

#[derive(Deserialize)]
struct CreatedMessage {
    id: Option<String>,
}

#[derive(Deserialize, Default)]
struct Problem {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    detail: Option<String>,
}

impl AppIoClient {
    /// `api_base`: [`PRODUCTION_API_BASE`], or the stand-in's `http://HOST/_mock/appio/api/v1`.
    pub fn new(http: reqwest::Client, api_base: &str) -> Result<AppIoClient, ApiError> {
        let mut base = Url::parse(api_base.trim_end_matches('/'))
            .map_err(|e| ApiError::Config(format!("the API base URL is not valid: {e}")))?;
        if !matches!(base.scheme(), "https" | "http") || base.cannot_be_a_base() {
            return Err(ApiError::Config(
                "the API base URL must be an http(s) URL".to_owned(),
            ));
        }
        if base.query().is_some() || base.fragment().is_some() {
            return Err(ApiError::Config(
                "the API base URL must not have a query or a fragment".to_owned(),
            ));
        }
        base.set_query(None);
        Ok(AppIoClient { http, base })
    }

    /// The base URL, without a trailing slash.
    pub fn api_base(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    fn url(&self, segments: &[&str]) -> Result<Url, ApiError> {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|()| ApiError::Config("the API base URL cannot have a path".to_owned()))?
            .pop_if_empty()
            // Each one percent-encoded: a segment cannot change the path.
            .extend(segments);
        Ok(url)
    }

    async fn call(
        &self,
        key: &ServiceKey,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
    ) -> Result<(StatusCode, HeaderMap, Vec<u8>), ApiError> {
        let mut request = self
            .http
            .request(method, url)
            .header(SUBSCRIPTION_KEY_HEADER, key.expose())
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(body) = body {
            request = request.header(CONTENT_TYPE, "application/json").body(body);
        }
        let response = request.send().await.map_err(ApiError::from_reqwest)?;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.map_err(ApiError::from_reqwest)?;
        Ok((status, headers, bytes.to_vec()))
    }

    /// Whether the citizen can receive this service's messages: `POST /profiles`. Call it
    /// before every [`AppIoClient::send`]: IO accepts a message for anyone and drops it later.
    pub async fn check_profile(
        &self,
        key: &ServiceKey,
        fiscal_code: &str,
    ) -> Result<ProfileCheck, ApiError> {
        let body = serde_json::to_vec(&serde_json::json!({ "fiscal_code": fiscal_code }))
            .map_err(|e| ApiError::Decode(e.to_string()))?;
        let (status, headers, bytes) = self
            .call(key, Method::POST, self.url(&["profiles"])?, Some(body))
            .await?;
        match status {
            StatusCode::OK => {
                let profile: LimitedProfile = decode(&bytes)?;
                Ok(if profile.sender_allowed {
                    ProfileCheck::Allowed {
                        preferred_languages: profile.preferred_languages,
                    }
                } else {
                    ProfileCheck::SenderNotAllowed
                })
            }
            StatusCode::NOT_FOUND => Ok(ProfileCheck::NoProfile),
            other => Err(classify(other, &headers, &bytes)),
        }
    }

    /// Queues a message: `POST /messages` with the fiscal code in the body. The id is IO's;
    /// delivery happens later (see [`AppIoClient::status`]).
    pub async fn send(
        &self,
        key: &ServiceKey,
        message: &NewMessage,
    ) -> Result<MessageId, ApiError> {
        let body = serde_json::to_vec(message).map_err(|e| ApiError::Decode(e.to_string()))?;
        let (status, headers, bytes) = self
            .call(key, Method::POST, self.url(&["messages"])?, Some(body))
            .await?;
        if status != StatusCode::CREATED {
            return Err(classify(status, &headers, &bytes));
        }
        let created: CreatedMessage = decode(&bytes)?;
        let id = created
            .id
            .ok_or_else(|| ApiError::Decode("the created message has no id".to_owned()))?;
        let id = MessageId::new(id).map_err(|e| ApiError::Decode(e.to_string()))?;
        tracing::debug!(message_id = %id, "App IO accepted a message");
        Ok(id)
    }

    /// Where a sent message is: `GET /messages/{fiscal_code}/{id}`.
    pub async fn status(
        &self,
        key: &ServiceKey,
        fiscal_code: &str,
        id: &MessageId,
    ) -> Result<MessageStatus, ApiError> {
        let url = self.url(&["messages", fiscal_code, id.as_str()])?;
        let (status, headers, bytes) = self.call(key, Method::GET, url, None).await?;
        if status != StatusCode::OK {
            return Err(classify(status, &headers, &bytes));
        }
        let body: StatusBody = decode(&bytes)?;
        Ok(body.into())
    }
}

fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| ApiError::Decode(e.to_string()))
}

/// The error for a status the call does not expect.
fn classify(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> ApiError {
    let detail = || {
        let problem: Problem = serde_json::from_slice(body).unwrap_or_default();
        problem
            .detail
            .filter(|d| !d.is_empty())
            .or(problem.title)
            .unwrap_or_else(|| status.canonical_reason().unwrap_or("no detail").to_owned())
    };
    match status.as_u16() {
        400 => ApiError::BadRequest { detail: detail() },
        401 => ApiError::Unauthorized,
        403 => ApiError::Forbidden { detail: detail() },
        404 => ApiError::NotFound,
        429 => ApiError::RateLimited {
            retry_after: retry_after(headers),
        },
        500..=599 => ApiError::Unavailable {
            status: status.as_u16(),
        },
        other => ApiError::UnexpectedStatus { status: other },
    }
}

/// The wait a 429 asks for: IO's gateway header in seconds first, then `Retry-After` in
/// seconds or as an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let seconds = |value: &str| {
        value
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s >= 0.0)
            .and_then(|s| Duration::try_from_secs_f64(s).ok())
    };
    if let Some(wait) = text(RATE_LIMIT_RETRY_AFTER_HEADER).and_then(seconds) {
        return Some(wait);
    }
    let value = text(RETRY_AFTER.as_str())?;
    seconds(value).or_else(|| {
        let at = jiff::fmt::rfc2822::parse(value).ok()?.timestamp();
        let wait = at.duration_since(jiff::Timestamp::now());
        Some(Duration::try_from(wait).unwrap_or(Duration::ZERO))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn the_base_url_is_checked_and_paths_are_encoded() -> Result<(), ApiError> {
        let http = http_client(Duration::from_secs(5))?;
        assert!(AppIoClient::new(http.clone(), "ftp://x").is_err());
        assert!(AppIoClient::new(http.clone(), "not a url").is_err());
        assert!(AppIoClient::new(http.clone(), "https://x/api?a=b").is_err());
        let client = AppIoClient::new(http, "http://127.0.0.1:9/_mock/appio/api/v1/")?;
        assert_eq!(client.api_base(), "http://127.0.0.1:9/_mock/appio/api/v1");
        let url = client.url(&["messages", "A/B?c", "01X"])?;
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9/_mock/appio/api/v1/messages/A%2FB%3Fc/01X"
        );
        Ok(())
    }

    #[test]
    fn waits_are_read_from_either_header() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert(RATE_LIMIT_RETRY_AFTER_HEADER, HeaderValue::from_static("3"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(3)));
        let mut dated = HeaderMap::new();
        dated.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&dated), Some(Duration::ZERO));
    }

    #[test]
    fn problems_give_their_detail_or_title() {
        let headers = HeaderMap::new();
        let bad = classify(
            StatusCode::BAD_REQUEST,
            &headers,
            br#"{"title":"Invalid","detail":"subject too short"}"#,
        );
        assert_eq!(
            bad,
            ApiError::BadRequest {
                detail: "subject too short".into()
            }
        );
        let titled = classify(StatusCode::FORBIDDEN, &headers, br#"{"title":"Nope"}"#);
        assert_eq!(
            titled,
            ApiError::Forbidden {
                detail: "Nope".into()
            }
        );
        assert_eq!(
            classify(StatusCode::FORBIDDEN, &headers, b""),
            ApiError::Forbidden {
                detail: "Forbidden".into()
            }
        );
        assert_eq!(
            classify(StatusCode::BAD_GATEWAY, &headers, b""),
            ApiError::Unavailable { status: 502 }
        );
        assert_eq!(
            classify(StatusCode::CONFLICT, &headers, b""),
            ApiError::UnexpectedStatus { status: 409 }
        );
    }
}
