//! Pages every comune site must link from its footer: contacts and offices, the privacy notice,
//! the legal notes and accessibility (with the feedback mechanism AgID's guidelines require). Built from tenant data when the comune has no page of its own.

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

#[derive(Template)]
#[template(path = "accessibility.html")]
struct AccessibilityPage {
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

/// Accessibility: links the comune's official statement on AgID's platform and says how to
/// report a barrier and where to turn when the comune does not answer.
pub(crate) async fn accessibility(ctx: TenantContext) -> Result<Response, WebError> {
    Ok(render(&AccessibilityPage {
        layout: Layout::titled(&ctx, "accessibility.title"),
    })?
    .into_response())
}
