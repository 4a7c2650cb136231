//! The JSON API of each comune, under `/{tenant}/api/v1/`, described by the OpenAPI document
//! served at `/{tenant}/api/v1/openapi.json` (the file `openapi.json` next to this module, with
//! the comune's own server URL filled in).
//!
//! Errors are Problem Details (RFC 9457, `application/problem+json`) with a title in the
//! language of the request; a refusal of the domain adds its reason as `detail`, and answers
//! to fix add `errors` (field and message).
//!
//! The citizen's and the clerk's actions (`me`, `office`) authenticate with the session cookie
//! of the portal and, like every form, need the anti-forgery token on writes (the
//! `X-CSRF-Token` header, equal to the `csrf` cookie). They call the same use cases as the
//! HTML pages (`crate::workflow`).

mod citizen;
mod office;
mod payments;
mod public;

use crate::WebError;
use crate::i18n::Translator;
use crate::tenant::TenantContext;
use axum::Json;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};
use sportello_domain::form::FieldError;
use sportello_domain::text::LocalizedText;
use sportello_domain::{Lang, Office, Service, ServiceAccess};
use std::sync::OnceLock;

const OPENAPI: &str = include_str!("openapi.json");

/// An API failure, answered as Problem Details.
pub(crate) struct ApiError {
    status: StatusCode,
    title_key: &'static str,
    lang: Lang,
    detail: Option<String>,
    errors: Vec<FieldError>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let t = Translator::new(self.lang);
        let mut body = json!({
            "type": "about:blank",
            "title": t.get(self.title_key),
            "status": self.status.as_u16(),
        });
        if let Some(detail) = self.detail {
            body["detail"] = json!(detail);
        }
        if !self.errors.is_empty() {
            body["errors"] = self
                .errors
                .iter()
                .map(|e| json!({ "field": e.field, "message": e.message.get(self.lang) }))
                .collect();
        }
        (
            self.status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body.to_string(),
        )
            .into_response()
    }
}

impl ApiError {
    fn new(status: StatusCode, title_key: &'static str, lang: Lang) -> ApiError {
        ApiError {
            status,
            title_key,
            lang,
            detail: None,
            errors: Vec::new(),
        }
    }

    pub(crate) fn not_found(lang: Lang) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "error.not_found.title", lang)
    }

    /// No session: the caller must sign in on the portal first.
    pub(crate) fn unauthorised(lang: Lang) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "api.error.unauthorised", lang)
    }

    pub(crate) fn forbidden(lang: Lang) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "error.forbidden.title", lang)
    }

    /// Answers to fix, each next to its field.
    pub(crate) fn invalid(errors: Vec<FieldError>, lang: Lang) -> ApiError {
        ApiError {
            errors,
            ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "api.error.invalid", lang)
        }
    }

    /// The domain refused the step, with its reason.
    pub(crate) fn refused(reason: &LocalizedText, lang: Lang) -> ApiError {
        ApiError {
            detail: Some(reason.get(lang).to_owned()),
            ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "api.error.refused", lang)
        }
    }

    /// The pratica changed since the version the caller saw.
    pub(crate) fn conflict(lang: Lang) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, "api.error.conflict", lang)
    }

    pub(crate) fn from_web(error: impl Into<WebError>, lang: Lang) -> ApiError {
        let error = error.into();
        match error {
            WebError::NotFound => ApiError::not_found(lang),
            WebError::UnknownTenant => {
                ApiError::new(StatusCode::NOT_FOUND, "error.unknown_tenant.title", lang)
            }
            WebError::Forbidden(_) => ApiError::forbidden(lang),
            WebError::Unavailable => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "error.unavailable.title",
                lang,
            ),
            WebError::Store(_) | WebError::Template(_) | WebError::Internal(_) => {
                tracing::error!(%error, "API request failed");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "error.internal.title",
                    lang,
                )
            }
        }
    }
}

/// [`TenantContext`] for API handlers: an unknown comune is a Problem Details 404, not a page.
pub(crate) struct ApiContext(pub(crate) TenantContext);

impl ApiContext {
    /// The signed-in person, or 401.
    pub(crate) fn user(&self) -> Result<&crate::auth::SessionUser, ApiError> {
        self.0
            .user
            .as_ref()
            .ok_or_else(|| ApiError::unauthorised(self.0.lang))
    }

    /// Turns a page-side failure into Problem Details in the request's language.
    pub(crate) fn fail(&self, error: impl Into<WebError>) -> ApiError {
        ApiError::from_web(error, self.0.lang)
    }
}

/// A JSON request body: `None` when empty; anything that is not the expected JSON is a 422
/// Problem (not the framework's plain-text 400), so that clients get one error format.
pub(crate) fn json_body<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    lang: Lang,
) -> Result<Option<T>, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice(bytes)
        .map(Some)
        .map_err(|error| ApiError {
            detail: Some(error.to_string()),
            ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "api.error.invalid", lang)
        })
}

/// The routes of the citizen's and the clerk's actions and of the public lookups.
pub(crate) fn routes() -> axum::Router<crate::AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/api/v1/me/pratiche", get(citizen::list_pratiche))
        .route("/api/v1/me/pratiche/{pratica}", get(citizen::show_pratica))
        .route("/api/v1/me/pratiche/{pratica}/{action}", post(citizen::act))
        .route(
            "/api/v1/me/drafts",
            get(citizen::list_drafts).post(citizen::create_draft),
        )
        .route(
            "/api/v1/me/drafts/{draft}",
            get(citizen::show_draft).put(citizen::save_draft),
        )
        .route("/api/v1/me/drafts/{draft}/submit", post(citizen::submit))
        .route(
            "/api/v1/me/notifications",
            get(crate::notifications::api_list),
        )
        .route("/api/v1/me/payments", get(payments::list))
        .route("/api/v1/me/payments/{position}", get(payments::show))
        .route(
            "/api/v1/me/payments/{position}/checkout",
            post(payments::checkout),
        )
        .route("/api/v1/office/pratiche", get(office::queue))
        .route("/api/v1/office/pratiche/{pratica}", get(office::show))
        .route(
            "/api/v1/office/pratiche/{pratica}/actions/{action}",
            post(office::act),
        )
        .route(
            "/api/v1/services/{service}/fee-quote",
            get(public::fee_quote),
        )
        .route("/api/v1/verify/{code}", get(public::verify))
}

impl FromRequestParts<crate::AppState> for ApiContext {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &crate::AppState,
    ) -> Result<Self, Self::Rejection> {
        let lang = crate::lang::request_lang(&parts.headers);
        TenantContext::from_request_parts(parts, state)
            .await
            .map(ApiContext)
            .map_err(|error| ApiError::from_web(error, lang))
    }
}

#[derive(Serialize)]
struct Category {
    key: &'static str,
    label: &'static str,
}

#[derive(Serialize)]
struct ServiceSummary {
    slug: String,
    title: String,
    short_description: String,
    category: Category,
    active: bool,
    /// `online`, `external`, `booking` or `office`.
    access: &'static str,
    /// The service sheet on the portal.
    url: String,
}

fn access_kind(access: &ServiceAccess) -> &'static str {
    match access {
        ServiceAccess::Online => "online",
        ServiceAccess::External { .. } => "external",
        ServiceAccess::Booking { .. } => "booking",
        ServiceAccess::Office => "office",
    }
}

fn summary(ctx: &TenantContext, service: &Service) -> ServiceSummary {
    let lang = ctx.lang;
    ServiceSummary {
        slug: service.slug.to_string(),
        title: service.title.get(lang).to_owned(),
        short_description: service.short_description.get(lang).to_owned(),
        category: Category {
            key: service.category.key(),
            label: service.category.label(lang),
        },
        active: service.status.is_active(),
        access: access_kind(&service.access),
        url: format!("{}/servizi/{}", ctx.base, service.slug),
    }
}

/// `GET /{tenant}/api/v1/openapi.json`
pub(crate) async fn openapi(ApiContext(ctx): ApiContext) -> Response {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    let mut document = DOCUMENT
        .get_or_init(|| serde_json::from_str(OPENAPI).unwrap_or(Value::Null))
        .clone();
    document["servers"] =
        json!([{ "url": format!("{}/api/v1", ctx.base), "description": ctx.tenant.profile.name }]);
    Json(document).into_response()
}

/// `GET /{tenant}/api/v1/comune`
pub(crate) async fn comune(ApiContext(ctx): ApiContext) -> Response {
    let profile = &ctx.tenant.profile;
    Json(json!({
        "slug": ctx.tenant.slug,
        "name": profile.name,
        "codice_fiscale": profile.codice_fiscale,
        "ipa_code": profile.ipa_code,
        "address": profile.address,
        "contacts": { "phone": profile.contacts.phone, "email": profile.contacts.email, "pec": profile.contacts.pec },
        "links": profile.links,
    }))
    .into_response()
}

/// `GET /{tenant}/api/v1/services`
pub(crate) async fn services(ApiContext(ctx): ApiContext) -> Result<Response, ApiError> {
    let services = ctx
        .state
        .store()
        .scoped(ctx.tenant.id)
        .services()
        .await
        .map_err(|e| ApiError::from_web(e, ctx.lang))?;
    let list: Vec<ServiceSummary> = services.iter().map(|s| summary(&ctx, s)).collect();
    Ok(Json(list).into_response())
}

/// `GET /{tenant}/api/v1/services/{service}`: the whole sheet, every text in the request's
/// language, and the responsible office.
pub(crate) async fn service(
    ApiContext(ctx): ApiContext,
    Path((_, slug)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let lang = ctx.lang;
    let scope = ctx.state.store().scoped(ctx.tenant.id);
    let service = scope
        .service(&slug)
        .await
        .map_err(|e| ApiError::from_web(e, lang))?;
    let service = service.ok_or_else(|| ApiError::from_web(WebError::NotFound, lang))?;
    let office: Option<Office> = scope
        .office(service.office.as_str())
        .await
        .map_err(|e| ApiError::from_web(e, lang))?;
    let block = |b: &sportello_domain::LocalizedBlock| json!(b.get(lang));
    let mut body = serde_json::to_value(summary(&ctx, &service)).unwrap_or(Value::Null);
    body["sections"] = json!({
        "audience": block(&service.audience),
        "description": service.description.as_ref().map(block),
        "how_to": block(&service.how_to),
        "needed": block(&service.needed),
        "achieved": block(&service.achieved),
        "calendar": block(&service.calendar),
        "costs": service.costs.as_ref().map(block),
        "conditions": block(&service.conditions),
    });
    body["deadlines"] = service
        .deadlines
        .iter()
        .map(|d| json!({ "label": d.label.get(lang), "when": d.when.get(lang) }))
        .collect();
    body["topics"] = service.topics.iter().map(|t| json!(t.get(lang))).collect();
    body["office"] = office.map_or(Value::Null, |o| {
        json!({
            "id": o.id, "name": o.name.get(lang), "address": o.address, "phone": o.phone,
            "email": o.email, "pec": o.pec, "opening_hours": o.opening_hours.get(lang)
        })
    });
    if let ServiceAccess::External { url, .. } | ServiceAccess::Booking { url } = &service.access {
        body["access_url"] = json!(url);
    }
    Ok(Json(body).into_response())
}
