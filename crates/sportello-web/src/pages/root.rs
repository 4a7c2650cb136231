//! The platform's own home page: the comuni this installation serves.

use super::render;
use crate::i18n::Translator;
use crate::lang::request_lang;
use crate::{AppState, WebError};
use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use sportello_domain::{Lang, Tenant};

#[derive(Template)]
#[template(path = "root.html")]
struct RootPage {
    t: Translator,
    lang: Lang,
    tenants: Vec<Tenant>,
    demo: bool,
    links: Vec<(String, String)>,
}

pub(crate) async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let lang = request_lang(&headers);
    let tenants = state.store().tenants().await?;
    let page = RootPage {
        t: Translator::new(lang),
        lang,
        tenants,
        demo: state.0.config.demo,
        links: state.0.extra_links.clone(),
    };
    Ok(render(&page)?.into_response())
}
