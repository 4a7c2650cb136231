//! The citizen's side of online requests: filling in a request step by step, its attachments,
//! the summary and the submission, then the pratica with its receipt, timeline and the
//! citizen's actions. The rules live in the domain; the use cases in `workflow`.

mod attachments;
mod fields;
pub(crate) mod journey;
pub(crate) mod pratiche;

use crate::auth::SessionUser;
use crate::pages::layout::Crumb;
use crate::tenant::TenantContext;
use crate::{AppState, WebError};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use sportello_domain::Service;

/// The largest upload accepted: the procedures cap files at 20 MiB, plus the form's overhead.
const UPLOAD_LIMIT: usize = 21 * 1024 * 1024;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/servizi/{service}/richiesta",
            get(crate::pages::service_sheet::request).post(journey::start),
        )
        .route(
            "/servizi/{service}/richiesta/{draft}/",
            get(journey::resume),
        )
        .route(
            "/servizi/{service}/richiesta/{draft}/passi/{step}",
            get(journey::show_step).post(journey::save_step),
        )
        .route(
            "/servizi/{service}/richiesta/{draft}/allegati",
            get(attachments::show)
                .post(attachments::upload)
                .layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .route(
            "/servizi/{service}/richiesta/{draft}/allegati/{attachment}/elimina",
            post(attachments::remove),
        )
        .route(
            "/servizi/{service}/richiesta/{draft}/riepilogo",
            get(journey::summary),
        )
        .route(
            "/servizi/{service}/richiesta/{draft}/invia",
            post(journey::submit),
        )
        .route(
            "/servizi/{service}/richiesta/{draft}/elimina",
            post(journey::discard),
        )
        .route("/area-personale/pratiche/{pratica}", get(pratiche::show))
        .route(
            "/area-personale/pratiche/{pratica}/ricevuta.pdf",
            get(pratiche::receipt_pdf),
        )
        .route(
            "/area-personale/pratiche/{pratica}/azioni/{action}",
            post(pratiche::act),
        )
        .route(
            "/area-personale/pratiche/{pratica}/lettere/{seq}",
            get(pratiche::letter_pdf),
        )
}

/// The signed-in person, or a refusal: every page here is someone's own.
pub(crate) fn signed_in(ctx: &TenantContext) -> Result<&SessionUser, WebError> {
    ctx.user
        .as_ref()
        .ok_or(WebError::Forbidden("sign in first"))
}

/// One entry of the steps indicator.
pub(crate) struct StepLink {
    pub number: usize,
    pub title: String,
    /// Set for steps already reached: the way back is always open.
    pub href: Option<String>,
    pub current: bool,
}

/// Breadcrumbs of pages below a service sheet.
pub(crate) struct Crumbs;

impl Crumbs {
    pub fn service(ctx: &TenantContext, service: &Service) -> Vec<Crumb> {
        let t = crate::i18n::Translator::new(ctx.lang);
        vec![
            Crumb {
                label: t.get("catalogue.title").to_owned(),
                href: Some(format!("{}/servizi", ctx.base)),
            },
            Crumb {
                label: service.title.get(ctx.lang).to_owned(),
                href: Some(format!("{}/servizi/{}", ctx.base, service.slug)),
            },
        ]
    }
}
