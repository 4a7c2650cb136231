//! Pages every comune site must link from its footer: contacts and offices, the privacy notice
//! and the legal notes. Built from tenant data when the comune has no page of its own.

use super::layout::Layout;
use super::render;
use crate::WebError;
use crate::tenant::TenantContext;
use askama::Template;
use axum::response::{IntoResponse, Redirect, Response};
use sportello_domain::Office;

#[derive(Template)]
#[template(path = "contacts.html")]
struct ContactsPage {
    layout: Layout,
    offices: Vec<Office>,
}

#[derive(Template)]
#[template(path = "privacy.html")]
struct PrivacyPage {
    layout: Layout,
}

#[derive(Template)]
#[template(path = "legal_notes.html")]
struct LegalNotesPage {
    layout: Layout,
}

pub(crate) async fn contacts(ctx: TenantContext) -> Result<Response, WebError> {
    let offices = ctx.state.store().scoped(ctx.tenant.id).offices().await?;
    Ok(render(&ContactsPage {
        layout: Layout::titled(&ctx, "contacts.title"),
        offices,
    })?
    .into_response())
}

pub(crate) async fn privacy(ctx: TenantContext) -> Result<Response, WebError> {
    if let Some(url) = &ctx.tenant.profile.links.privacy_policy {
        return Ok(Redirect::to(url.as_str()).into_response());
    }
    Ok(render(&PrivacyPage {
        layout: Layout::titled(&ctx, "privacy.title"),
    })?
    .into_response())
}

pub(crate) async fn legal_notes(ctx: TenantContext) -> Result<Response, WebError> {
    if let Some(url) = &ctx.tenant.profile.links.legal_notes {
        return Ok(Redirect::to(url.as_str()).into_response());
    }
    Ok(render(&LegalNotesPage {
        layout: Layout::titled(&ctx, "legal.title"),
    })?
    .into_response())
}
