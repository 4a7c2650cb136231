//! The attachments of a draft: what the procedure asks for, the files uploaded so far, and
//! the upload itself — checked for size and by content (PDF, JPEG or PNG only, whatever the
//! file's name says) before it is stored.

use super::journey::{ATTACHMENTS, attachment_rows, load_draft, reach, request_path, step_links};
use super::{StepLink, signed_in};
use crate::WebError;
use crate::auth::client;
use crate::pages::layout::{Crumb, Layout, Nav};
use crate::pages::render;
use crate::tenant::TenantContext;
use crate::workflow::submission::OpenDraft;
use askama::Template;
use axum::extract::{Multipart, Path};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use sportello_domain::Service;
use sportello_store::attachments::{AttachmentId, NewAttachment};
use uuid::Uuid;

pub(crate) struct SpecView {
    pub id: String,
    pub label: String,
    pub help: Option<String>,
    pub required: bool,
    pub limits: String,
    pub files: Vec<(String, String, String)>,
    pub can_add: bool,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "request_attachments.html")]
struct AttachmentsPage {
    layout: Layout,
    steps: Vec<StepLink>,
    specs: Vec<SpecView>,
    upload: String,
    remove_base: String,
    next: String,
    back: String,
}

async fn page(
    ctx: &TenantContext,
    user_id: sportello_domain::UserId,
    open: &OpenDraft,
    service: &Service,
    error: Option<(&str, String)>,
) -> Result<AttachmentsPage, WebError> {
    let t = crate::i18n::Translator::new(ctx.lang);
    let scope = ctx.state.store().scoped(ctx.tenant.id);
    let uploaded = scope.draft_attachments(open.draft.id, user_id).await?;
    let answers = &open.draft.answers;
    let specs = open
        .procedure
        .visible_attachments(answers)
        .into_iter()
        .map(|spec| {
            let files = attachment_rows(&uploaded, spec.id.as_str());
            let kinds: Vec<&str> = spec.accepted.iter().map(|a| a.extension()).collect();
            SpecView {
                id: spec.id.to_string(),
                label: spec.label.get(ctx.lang).to_owned(),
                help: spec.help.as_ref().map(|h| h.get(ctx.lang).to_owned()),
                required: open.procedure.is_attachment_required(spec, answers),
                limits: t.format(
                    "request.attachments.limits",
                    &[
                        ("types", &kinds.join(", ").to_uppercase()),
                        ("size", &(spec.max_bytes / (1024 * 1024)).to_string()),
                    ],
                ),
                can_add: files.len() < usize::from(spec.max_files),
                files,
                error: error
                    .as_ref()
                    .filter(|(id, _)| *id == spec.id.as_str())
                    .map(|(_, message)| message.clone()),
            }
        })
        .collect();
    let base = request_path(ctx, service.slug.as_str(), open.draft.id);
    let title = t.get("request.attachments.title").to_owned();
    let mut crumbs = super::Crumbs::service(ctx, service);
    crumbs.push(Crumb {
        label: title.clone(),
        href: None,
    });
    let back = open
        .procedure
        .form
        .visible_steps(answers)
        .last()
        .map_or_else(|| base.clone(), |s| format!("{base}/passi/{}", s.id));
    Ok(AttachmentsPage {
        layout: Layout::new(ctx, title, service.title.get(ctx.lang).to_owned(), crumbs)
            .with_nav(Nav::Services)
            .without_rating(),
        steps: step_links(ctx, open, ATTACHMENTS),
        specs,
        // A form with files cannot send the anti-forgery token in a header without scripts.
        upload: format!("{base}/allegati?csrf={}", ctx.csrf),
        remove_base: format!("{base}/allegati"),
        next: format!("{base}/riepilogo"),
        back,
    })
}

pub(crate) async fn show(
    ctx: TenantContext,
    Path((_, slug, draft)): Path<(String, String, Uuid)>,
) -> Result<Response, WebError> {
    let user = signed_in(&ctx)?;
    let (mut open, service, _) = load_draft(&ctx, user, &slug, draft).await?;
    reach(&ctx, user, &mut open, ATTACHMENTS).await?;
    let page = page(&ctx, user.user.id, &open, &service, None).await?;
    Ok(render(&page)?.into_response())
}

/// `POST …/allegati` (multipart: `spec` then `file`).
pub(crate) async fn upload(
    ctx: TenantContext,
    headers: HeaderMap,
    Path((_, slug, draft)): Path<(String, String, Uuid)>,
    mut multipart: Multipart,
) -> Result<Response, WebError> {
    let user = signed_in(&ctx)?;
    let (open, service, _) = load_draft(&ctx, user, &slug, draft).await?;
    let t = crate::i18n::Translator::new(ctx.lang);
    let mut spec_id = String::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut too_large = false;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(_) => {
                too_large = true;
                break;
            }
        };
        match field.name() {
            Some("spec") => spec_id = field.text().await.unwrap_or_default(),
            Some("file") => {
                let name = field
                    .file_name()
                    .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).to_owned())
                    .unwrap_or_default();
                match field.bytes().await {
                    Ok(bytes) => file = Some((name, bytes.to_vec())),
                    Err(_) => too_large = true,
                }
            }
            _ => {}
        }
    }
    let Some(spec) = open
        .procedure
        .visible_attachments(&open.draft.answers)
        .into_iter()
        .find(|s| s.id.as_str() == spec_id)
    else {
        return Err(WebError::NotFound);
    };
    let refuse = |message: String| (spec.id.as_str(), message);
    let problem = match &file {
        _ if too_large => Some(refuse(t.get("request.attachments.too_large").to_owned())),
        None => Some(refuse(t.get("request.attachments.missing").to_owned())),
        Some((name, _)) if name.trim().is_empty() => {
            Some(refuse(t.get("request.attachments.missing").to_owned()))
        }
        Some((_, bytes)) => match spec.check_upload(bytes) {
            Ok(_) => None,
            Err(message) => Some(refuse(message.get(ctx.lang).to_owned())),
        },
    };
    if let Some((id, message)) = problem {
        let page = page(&ctx, user.user.id, &open, &service, Some((id, message))).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    }
    let Some((name, bytes)) = file else {
        return Err(WebError::NotFound);
    };
    let kind = spec
        .check_upload(&bytes)
        .map_err(|_| WebError::Internal("an accepted upload was refused on a second look"))?;
    let scope = ctx.state.store().scoped(ctx.tenant.id);
    let added = scope
        .add_attachment(
            &ctx.state.documents()?.vault,
            open.draft.id,
            user.user.id,
            &NewAttachment {
                spec_id: spec.id.to_string(),
                file_name: name,
                content_type: kind.mime().to_owned(),
                sensitive: spec.sensitive,
            },
            &bytes,
            &user.actor(client(&headers)),
        )
        .await?;
    if added.is_none() {
        return Err(WebError::NotFound);
    }
    Ok(Redirect::to(&format!(
        "{}/allegati#{}",
        request_path(&ctx, &slug, open.draft.id),
        spec.id
    ))
    .into_response())
}

pub(crate) async fn remove(
    ctx: TenantContext,
    headers: HeaderMap,
    Path((_, slug, draft, attachment)): Path<(String, String, Uuid, Uuid)>,
) -> Result<Response, WebError> {
    let user = signed_in(&ctx)?;
    let (open, _, _) = load_draft(&ctx, user, &slug, draft).await?;
    ctx.state
        .store()
        .scoped(ctx.tenant.id)
        .remove_attachment(
            &ctx.state.documents()?.vault,
            AttachmentId::from_uuid(attachment),
            user.user.id,
            &user.actor(client(&headers)),
        )
        .await?;
    Ok(Redirect::to(&format!(
        "{}/allegati",
        request_path(&ctx, &slug, open.draft.id)
    ))
    .into_response())
}
