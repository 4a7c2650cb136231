//! How a call to the IO services API failed.

use std::time::Duration;

/// A failed call. The texts never carry the service key, nor the recipient's fiscal code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// 400: IO refused the payload (ProblemJson `detail`, or `title` without one).
    #[error("App IO refused the request: {detail}")]
    BadRequest { detail: String },
    /// 401: the key is missing or unknown.
    #[error("App IO refused the service key")]
    Unauthorized,
    /// 403: the service may not do this: a test ("limited") service writing to someone who is
    /// not among its authorised recipients, a missing group (payee, ADVANCED), an IP address
    /// outside the allowed ranges, or a message of another service.
    #[error("App IO forbids the call: {detail}")]
    Forbidden { detail: String },
    /// 404: no such message (a missing profile is [`crate::ProfileCheck::NoProfile`]).
    #[error("App IO found nothing at that address")]
    NotFound,
    /// 429: over the rate limit (150 calls in 5 seconds per key in production).
    #[error("App IO rate limit exceeded{}", retry_after.map(|d| format!(", retry after {} s", d.as_secs_f64())).unwrap_or_default())]
    RateLimited { retry_after: Option<Duration> },
    /// 5xx: IO cannot take the call now ("The message cannot be delivered.").
    #[error("App IO is unavailable (HTTP {status})")]
    Unavailable { status: u16 },
    /// An answer the specification does not list for the call.
    #[error("App IO answered with the unexpected HTTP status {status}")]
    UnexpectedStatus { status: u16 },
    #[error("App IO did not answer in time")]
    Timeout,
    /// The connection could not be made: the request never left.
    #[error("cannot connect to App IO: {0}")]
    Unreachable(String),
    /// The connection failed once the request was on its way: IO may have processed it.
    #[error("the connection to App IO failed: {0}")]
    Transport(String),
    #[error("cannot read App IO's answer: {0}")]
    Decode(String),
    #[error("invalid App IO client configuration: {0}")]
    Config(String),
}

impl ApiError {
    /// Whether the same call may succeed later: rate limiting, server errors, timeouts and
    /// connection failures. A 4xx other than 429 will fail again.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ApiError::RateLimited { .. }
                | ApiError::Unavailable { .. }
                | ApiError::Timeout
                | ApiError::Unreachable(_)
                | ApiError::Transport(_)
        )
    }

    /// Whether IO may have acted on the request although no answer says so: a timeout, a
    /// connection lost mid-way, an answer that could not be read. For a message, sending again
    /// could deliver it twice.
    pub fn may_have_arrived(&self) -> bool {
        matches!(
            self,
            ApiError::Timeout | ApiError::Transport(_) | ApiError::Decode(_)
        )
    }

    /// How long IO asked to wait, for a 429 that said so.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ApiError::RateLimited { retry_after } => *retry_after,
            _ => None,
        }
    }

    pub(crate) fn from_reqwest(error: reqwest::Error) -> ApiError {
        if error.is_timeout() {
            ApiError::Timeout
        } else if error.is_connect() {
            ApiError::Unreachable(error.without_url().to_string())
        } else if error.is_decode() || error.is_body() {
            ApiError::Decode(error.without_url().to_string())
        } else {
            // Without the URL: a status URL carries the recipient's fiscal code.
            ApiError::Transport(error.without_url().to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_errors_and_waits() {
        let limited = ApiError::RateLimited {
            retry_after: Some(Duration::from_secs(2)),
        };
        assert!(limited.is_transient());
        assert_eq!(limited.retry_after(), Some(Duration::from_secs(2)));
        assert!(limited.to_string().contains("retry after 2 s"));
        assert!(ApiError::Unavailable { status: 503 }.is_transient());
        assert!(ApiError::Timeout.is_transient());
        assert!(ApiError::Transport("reset".into()).is_transient());
        for permanent in [
            ApiError::BadRequest { detail: "x".into() },
            ApiError::Unauthorized,
            ApiError::Forbidden { detail: "x".into() },
            ApiError::NotFound,
            ApiError::Decode("x".into()),
            ApiError::Config("x".into()),
            ApiError::UnexpectedStatus { status: 409 },
        ] {
            assert!(!permanent.is_transient(), "{permanent:?}");
            assert_eq!(permanent.retry_after(), None);
        }
    }
}
