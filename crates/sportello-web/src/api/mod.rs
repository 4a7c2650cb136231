//! The JSON API of each comune, under `/{tenant}/api/v1/`, described by the OpenAPI document
//! served at `/{tenant}/api/v1/openapi.json` (the file `openapi.json` next to this module, with
//! the comune's own server URL filled in).
//!
//! Errors are Problem Details (RFC 9457, `application/problem+json`) with a title in the
//! language of the request.

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
use sportello_domain::{Lang, Office, Service, ServiceAccess};
use std::sync::OnceLock;

const OPENAPI: &str = include_str!("openapi.json");

/// An API failure, answered as Problem Details.
pub(crate) struct ApiError {
    status: StatusCode,
    title_key: &'static str,
    lang: Lang,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let t = Translator::new(self.lang);
        let body = json!({
            "type": "about:blank",
            "title": t.get(self.title_key),
            "status": self.status.as_u16(),
        });
        (
            self.status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body.to_string(),
        )
            .into_response()
    }
}

impl ApiError {
    fn from_web(error: impl Into<WebError>, lang: Lang) -> ApiError {
        let error = error.into();
        match error {
            WebError::NotFound => ApiError {
                status: StatusCode::NOT_FOUND,
                title_key: "error.not_found.title",
                lang,
            },
            WebError::UnknownTenant => ApiError {
                status: StatusCode::NOT_FOUND,
                title_key: "error.unknown_tenant.title",
                lang,
            },
            WebError::Forbidden(_) => ApiError {
                status: StatusCode::FORBIDDEN,
                title_key: "error.forbidden.title",
                lang,
            },
            WebError::Unavailable => ApiError {
                status: StatusCode::SERVICE_UNAVAILABLE,
                title_key: "error.unavailable.title",
                lang,
            },
            WebError::Store(_) | WebError::Template(_) | WebError::Internal(_) => {
                tracing::error!(%error, "API request failed");
                ApiError {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    title_key: "error.internal.title",
                    lang,
                }
            }
        }
    }
}

/// [`TenantContext`] for API handlers: an unknown comune is a Problem Details 404, not a page.
pub(crate) struct ApiContext(TenantContext);

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
