//! How a pagoPA call failed, sorted by what the caller should do about it.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// No answer in time: the request may or may not have been acted on.
    #[error("pagoPA did not answer in time")]
    Timeout,
    /// The connection failed before an answer.
    #[error("could not reach pagoPA: {0}")]
    Transport(String),
    /// 429: too many requests; wait as long as pagoPA asks.
    #[error("pagoPA is rate limiting (429)")]
    RateLimited { retry_after: Option<Duration> },
    /// 5xx: pagoPA failed; the request may or may not have been acted on.
    #[error("pagoPA failed ({status}): {detail}")]
    Server { status: u16, detail: String },
    /// 401/403: the subscription key is wrong or does not cover this creditor.
    #[error("pagoPA refused the credentials ({status}): {detail}")]
    Unauthorized { status: u16, detail: String },
    #[error("not found at pagoPA: {detail}")]
    NotFound { detail: String },
    /// 409: a duplicate, or a state that does not allow the operation.
    #[error("conflict at pagoPA: {detail}")]
    Conflict { detail: String },
    /// 400/422: the request is invalid; sending it again cannot help.
    #[error("pagoPA refused the request ({status}): {detail}")]
    Invalid { status: u16, detail: String },
    #[error("unexpected answer from pagoPA: {0}")]
    Decode(String),
    #[error("{0}")]
    Config(String),
}

impl ApiError {
    /// Worth trying again later.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ApiError::Timeout
                | ApiError::Transport(_)
                | ApiError::RateLimited { .. }
                | ApiError::Server { .. }
        )
    }

    /// The request may have been acted on although no success came back: read before retrying.
    pub fn outcome_unknown(&self) -> bool {
        matches!(
            self,
            ApiError::Timeout | ApiError::Server { .. } | ApiError::Transport(_)
        )
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ApiError::RateLimited { retry_after } => *retry_after,
            _ => None,
        }
    }

    pub(crate) fn from_transport(error: reqwest::Error) -> ApiError {
        if error.is_timeout() {
            ApiError::Timeout
        } else {
            // The URL may carry a query but never a secret; still, keep only the kind of error.
            ApiError::Transport(error.without_url().to_string())
        }
    }
}

/// Maps a non-success status and its ProblemJson body to an error.
pub(crate) fn classify(status: u16, body: &[u8], retry_after: Option<Duration>) -> ApiError {
    let detail = problem_detail(body);
    match status {
        429 => ApiError::RateLimited { retry_after },
        401 | 403 => ApiError::Unauthorized { status, detail },
        404 => ApiError::NotFound { detail },
        409 => ApiError::Conflict { detail },
        400..=499 => ApiError::Invalid { status, detail },
        _ => ApiError::Server { status, detail },
    }
}

/// `title: detail` of a ProblemJson, or the start of whatever came back.
fn problem_detail(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Problem {
        title: Option<String>,
        detail: Option<String>,
    }
    match serde_json::from_slice::<Problem>(body) {
        Ok(Problem { title, detail }) => match (title, detail) {
            (Some(t), Some(d)) => format!("{t}: {d}"),
            (Some(t), None) => t,
            (None, Some(d)) => d,
            (None, None) => String::new(),
        },
        Err(_) => String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned(),
    }
}

/// Why a pagoPA operation of Sportello's (not a single call) did not complete.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("comune {0} has no pagoPA settings or subscription key")]
    NotConfigured(String),
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Store(#[from] sportello_store::StoreError),
}
