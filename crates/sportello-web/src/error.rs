//! Errors at the HTTP edge. Inside, functions return typed errors; here they become a page
//! that says what happened in the user's language (or in both, when the language is not known
//! yet), with the right status. Internal details go to the log, never to the page.

use crate::i18n::Translator;
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use sportello_domain::Lang;
use sportello_store::StoreError;
use std::any::Any;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("page not found")]
    NotFound,
    #[error("unknown comune")]
    UnknownTenant,
    #[error("request refused: {0}")]
    Forbidden(&'static str),
    #[error("storage: {0}")]
    Store(#[from] StoreError),
    #[error("template: {0}")]
    Template(#[from] askama::Error),
    #[error("internal: {0}")]
    Internal(&'static str),
    /// A feature this installation has not configured (e.g. login without a public URL).
    #[error("not configured on this installation")]
    Unavailable,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    status: u16,
    it: Translator,
    en: Translator,
    heading_key: &'static str,
    message_key: &'static str,
}

pub(crate) fn error_page(
    status: StatusCode,
    heading_key: &'static str,
    message_key: &'static str,
) -> Response {
    let page = ErrorPage {
        status: status.as_u16(),
        it: Translator::new(Lang::It),
        en: Translator::new(Lang::En),
        heading_key,
        message_key,
    };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => {
            tracing::error!(%error, "the error page itself failed to render");
            (status, "Errore / Error").into_response()
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match &self {
            WebError::NotFound => error_page(
                StatusCode::NOT_FOUND,
                "error.not_found.title",
                "error.not_found.body",
            ),
            WebError::UnknownTenant => error_page(
                StatusCode::NOT_FOUND,
                "error.unknown_tenant.title",
                "error.unknown_tenant.body",
            ),
            WebError::Forbidden(reason) => {
                tracing::warn!(reason, "request refused");
                error_page(
                    StatusCode::FORBIDDEN,
                    "error.forbidden.title",
                    "error.forbidden.body",
                )
            }
            WebError::Unavailable => error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "error.unavailable.title",
                "error.unavailable.body",
            ),
            WebError::Store(_) | WebError::Template(_) | WebError::Internal(_) => {
                tracing::error!(error = %self, "request failed");
                error_page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "error.internal.title",
                    "error.internal.body",
                )
            }
        }
    }
}

pub(crate) async fn fallback() -> WebError {
    WebError::NotFound
}

pub(crate) fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    tracing::error!(panic = detail, "a request handler panicked");
    error_page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "error.internal.title",
        "error.internal.body",
    )
}
