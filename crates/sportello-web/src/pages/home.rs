//! The comune's home page in Sportello, and its stemma.

use super::layout::{Layout, Nav};
use super::render;
use crate::WebError;
use crate::tenant::TenantContext;
use askama::Template;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use sportello_domain::{Service, ServiceCategory};

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    featured: Vec<Service>,
    categories: Vec<(ServiceCategory, usize)>,
}

pub(crate) async fn show(ctx: TenantContext) -> Result<Response, WebError> {
    let services = ctx.state.store().scoped(ctx.tenant.id).services().await?;
    let t = crate::i18n::Translator::new(ctx.lang);
    let title = ctx.tenant.profile.name.clone();
    let description = t.format("home.description", &[("comune", &ctx.tenant.profile.name)]);
    let layout = Layout::new(&ctx, title, description, Vec::new()).with_nav(Nav::None);
    let page = HomePage {
        categories: super::catalogue::count_by_category(&services),
        featured: services.into_iter().filter(|s| s.featured).collect(),
        layout,
    };
    Ok(render(&page)?.into_response())
}

/// The stemma. SVG is served with a policy that forbids scripts, whatever the file holds.
pub(crate) async fn logo(ctx: TenantContext) -> Result<Response, WebError> {
    let logo = ctx
        .state
        .store()
        .scoped(ctx.tenant.id)
        .logo()
        .await?
        .ok_or(WebError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, logo.format.content_type()),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; sandbox",
            ),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        logo.bytes,
    )
        .into_response())
}
