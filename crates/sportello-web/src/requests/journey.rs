//! Filling in a request: the start page with the citizen's drafts, one page per step of the
//! form (saved at every submission, valid or not), the attachments page and the summary that
//! comes before confirming (C.SE.1.4, 1.6, 1.8).

use super::fields::FieldView;
use super::{Crumbs, StepLink, signed_in};
use crate::WebError;
use crate::auth::SessionUser;
use crate::auth::client;
use crate::pages::layout::{Crumb, Layout, Nav};
use crate::pages::render;
use crate::tenant::TenantContext;
use crate::workflow::submission::{self, OpenDraft, SubmitError};
use askama::Template;
use axum::Form;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use sportello_domain::calendar;
use sportello_domain::fees::Line;
use sportello_domain::form::{Answers, FieldError, FormSchema, ValidationContext};
use sportello_domain::pratica::Silence;
use sportello_domain::{Cents, Lang, Office, Service};
use sportello_store::attachments::Attachment;
use sportello_store::{Draft, DraftId};
use uuid::Uuid;

/// The id of the attachments page in the steps indicator.
pub(crate) const ATTACHMENTS: &str = "allegati";
/// The id of the summary page in the steps indicator.
pub(crate) const SUMMARY: &str = "riepilogo";

pub(crate) fn request_path(ctx: &TenantContext, service: &str, draft: DraftId) -> String {
    format!("{}/servizi/{service}/richiesta/{draft}", ctx.base)
}

/// The steps a citizen goes through, with links to those already reached: the way back is
/// always open (C.SE.1.8).
pub(crate) fn step_links(ctx: &TenantContext, open: &OpenDraft, current: &str) -> Vec<StepLink> {
    let answers = &open.draft.answers;
    let base = request_path(ctx, open.draft.service_slug.as_str(), open.draft.id);
    let t = crate::i18n::Translator::new(ctx.lang);
    let mut links: Vec<(String, String, String)> = open
        .procedure
        .form
        .visible_steps(answers)
        .into_iter()
        .map(|step| {
            (
                step.id.to_string(),
                step.title.get(ctx.lang).to_owned(),
                format!("{base}/passi/{}", step.id),
            )
        })
        .collect();
    if !open.procedure.visible_attachments(answers).is_empty() {
        links.push((
            ATTACHMENTS.to_owned(),
            t.get("request.attachments.title").to_owned(),
            format!("{base}/allegati"),
        ));
    }
    links.push((
        SUMMARY.to_owned(),
        t.get("request.summary.title").to_owned(),
        format!("{base}/riepilogo"),
    ));
    let reached = open.draft.step.as_deref().unwrap_or_default();
    let reached_index = links.iter().position(|(id, _, _)| id == reached);
    let current_index = links.iter().position(|(id, _, _)| id == current);
    let last_open = reached_index.max(current_index).unwrap_or(0);
    links
        .into_iter()
        .enumerate()
        .map(|(i, (id, title, href))| StepLink {
            number: i + 1,
            current: id == current,
            href: (i <= last_open).then_some(href),
            title,
        })
        .collect()
}

/// Where to go after `current`: the next visible step, the attachments, the summary.
fn next_page(ctx: &TenantContext, open: &OpenDraft, current: &str) -> String {
    let base = request_path(ctx, open.draft.service_slug.as_str(), open.draft.id);
    let answers = &open.draft.answers;
    if let Some(step) = open.procedure.form.next_step(current, answers) {
        return format!("{base}/passi/{}", step.id);
    }
    if current != ATTACHMENTS && !open.procedure.visible_attachments(answers).is_empty() {
        return format!("{base}/allegati");
    }
    format!("{base}/riepilogo")
}

fn previous_page(ctx: &TenantContext, open: &OpenDraft, current: &str) -> String {
    let base = request_path(ctx, open.draft.service_slug.as_str(), open.draft.id);
    match open
        .procedure
        .form
        .previous_step(current, &open.draft.answers)
    {
        Some(step) => format!("{base}/passi/{}", step.id),
        None => base,
    }
}

/// The draft of the signed-in person, with the service it is for; 404 for anyone else's.
pub(crate) async fn load_draft(
    ctx: &TenantContext,
    user: &SessionUser,
    slug: &str,
    draft: Uuid,
) -> Result<(OpenDraft, Service, Option<Office>), WebError> {
    let scope = ctx.state.store().scoped(ctx.tenant.id);
    let open = submission::open_draft(&scope, DraftId::from_uuid(draft), user.user.id)
        .await?
        .filter(|open| open.draft.service_slug.as_str() == slug)
        .ok_or(WebError::NotFound)?;
    let service = scope.service(slug).await?.ok_or(WebError::NotFound)?;
    let office = scope
        .office(open.procedure.deciding_office(&service.office).as_str())
        .await?;
    Ok((open, service, office))
}

fn request_layout(ctx: &TenantContext, service: &Service, title: String) -> Layout {
    let mut crumbs = Crumbs::service(ctx, service);
    crumbs.push(Crumb {
        label: title.clone(),
        href: None,
    });
    Layout::new(ctx, title, service.title.get(ctx.lang).to_owned(), crumbs)
        .with_nav(Nav::Services)
        .without_rating()
}

// ---------------------------------------------------------------------------------------------
// Start

#[derive(Template)]
#[template(path = "request_start.html")]
struct StartPage {
    layout: Layout,
    service: Service,
    drafts: Vec<DraftRow>,
    action: String,
}

pub(crate) struct DraftRow {
    pub href: String,
    pub saved: String,
    pub for_whom: Option<String>,
}

pub(crate) fn local_time(ts: jiff::Timestamp) -> String {
    ts.to_zoned(calendar::rome().clone())
        .strftime("%d/%m/%Y %H:%M")
        .to_string()
}

/// The request page of a signed-in citizen: their drafts of this service and a way to start.
pub(crate) async fn start_page(
    ctx: &TenantContext,
    user: &SessionUser,
    service: Service,
) -> Result<Response, WebError> {
    let scope = ctx.state.store().scoped(ctx.tenant.id);
    let drafts = scope
        .drafts_of(user.user.id)
        .await?
        .into_iter()
        .filter(|d| d.service_slug == service.slug)
        .map(|d| draft_row(ctx, &d))
        .collect();
    let t = crate::i18n::Translator::new(ctx.lang);
    let page = StartPage {
        layout: request_layout(ctx, &service, t.get("request.start.title").to_owned()),
        action: format!("{}/servizi/{}/richiesta", ctx.base, service.slug),
        service,
        drafts,
    };
    Ok(render(&page)?.into_response())
}

pub(crate) fn draft_row(ctx: &TenantContext, draft: &Draft) -> DraftRow {
    let step = draft
        .step
        .as_deref()
        .filter(|s| *s != SUMMARY && *s != ATTACHMENTS)
        .map(|s| format!("/passi/{s}"))
        .unwrap_or_else(|| match draft.step.as_deref() {
            Some(ATTACHMENTS) => "/allegati".to_owned(),
            Some(SUMMARY) => "/riepilogo".to_owned(),
            _ => String::new(),
        });
    DraftRow {
        href: format!(
            "{}{step}",
            request_path(ctx, draft.service_slug.as_str(), draft.id)
        ),
        saved: local_time(draft.updated_at),
        for_whom: draft
            .on_behalf_of
            .as_ref()
            .map(|a| format!("{} {} ({})", a.given_name, a.family_name, a.fiscal_code)),
    }
}

/// `POST …/richiesta`: a new draft, then its first step.
pub(crate) async fn start(
    ctx: TenantContext,
    headers: HeaderMap,
    Path((_, slug)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let user = signed_in(&ctx)?;
    let scope = ctx.state.store().scoped(ctx.tenant.id);
    let draft = scope
        .create_draft(user.user.id, &slug, None, &user.actor(client(&headers)))
        .await?;
    Ok(Redirect::to(&format!(
        "{}/",
        request_path(&ctx, &slug, draft.id).trim_end_matches('/')
    ))
    .into_response())
}

/// `GET …/richiesta/{draft}`: resumes where the citizen left off.
pub(crate) async fn resume(
    ctx: TenantContext,
    Path((_, slug, draft)): Path<(String, String, Uuid)>,
) -> Result<Response, WebError> {
    let user = signed_in(&ctx)?;
    let (open, _, _) = load_draft(&ctx, user, &slug, draft).await?;
    let row = draft_row(&ctx, &open.draft);
    let first = open
        .procedure
        .form
        .visible_steps(&open.draft.answers)
        .first()
        .map(|s| s.id.to_string());
    let target = match (&open.draft.step, first) {
        (Some(_), _) => row.href,
        (None, Some(first)) => {
            format!("{}/passi/{first}", request_path(&ctx, &slug, open.draft.id))
        }
        (None, None) => format!("{}/riepilogo", request_path(&ctx, &slug, open.draft.id)),
    };
    Ok(Redirect::to(&target).into_response())
}

/// `POST …/{draft}/elimina`: the citizen gives up a draft.
pub(crate) async fn discard(
    ctx: TenantContext,
    headers: HeaderMap,
    Path((_, slug, draft)): Path<(String, String, Uuid)>,
) -> Result<Response, WebError> {
    let user = signed_in(&ctx)?;
    let scope = ctx.state.store().scoped(ctx.tenant.id);
    let (open, _, _) = load_draft(&ctx, user, &slug, draft).await?;
    let vault = &ctx.state.documents()?.vault;
    for attachment in scope.draft_attachments(open.draft.id, user.user.id).await? {
        scope
            .remove_attachment(
                vault,
                attachment.id,
                user.user.id,
                &user.actor(client(&headers)),
            )
            .await?;
    }
    scope
        .delete_draft(open.draft.id, user.user.id, &user.actor(client(&headers)))
        .await?;
    Ok(Redirect::to(&format!("{}/area-personale/", ctx.base)).into_response())
}

// ---------------------------------------------------------------------------------------------
// Steps

#[derive(Template)]
#[template(path = "request_step.html")]
struct StepPage {
    layout: Layout,
    steps: Vec<StepLink>,
    intro: Option<String>,
    fields: Vec<FieldView>,
    errors: Vec<(String, String)>,
    action: String,
}

fn step_page(
    ctx: &TenantContext,
    open: &OpenDraft,
    service: &Service,
    step_id: &str,
    errors: &[FieldError],
) -> Result<StepPage, WebError> {
    let form = &open.procedure.form;
    let step = form.step(step_id).ok_or(WebError::NotFound)?;
    let answers = &open.draft.answers;
    let rules = &ctx.tenant.profile.rules;
    let fields: Vec<FieldView> = shown_fields(form, step_id, answers)
        .into_iter()
        .map(|field| {
            let required = form.is_required(field, answers) || field.when.is_some();
            FieldView::new(field, answers, required, rules, ctx.lang, errors)
        })
        .collect();
    let error_list = fields
        .iter()
        .filter_map(|f| {
            f.error
                .as_ref()
                .map(|e| (f.id.clone(), format!("{}: {e}", f.label)))
        })
        .collect();
    let title = step.title.get(ctx.lang).to_owned();
    let base = request_path(ctx, service.slug.as_str(), open.draft.id);
    Ok(StepPage {
        layout: request_layout(ctx, service, title),
        steps: step_links(ctx, open, step_id),
        intro: step.intro.as_ref().map(|i| i.get(ctx.lang).to_owned()),
        fields,
        errors: error_list,
        action: format!("{base}/passi/{step_id}"),
    })
}

/// The fields drawn on a step: those visible now, and those whose condition depends on an
/// answer of this same step — without scripts the citizen sees them at once, labelled as
/// conditional, and the server ignores them when their condition does not hold.
fn shown_fields<'a>(
    form: &'a FormSchema,
    step_id: &str,
    answers: &Answers,
) -> Vec<&'a sportello_domain::form::Field> {
    let Some(step) = form.step(step_id) else {
        return Vec::new();
    };
    step.fields
        .iter()
        .filter(|field| {
            form.is_field_visible(field, answers)
                || field
                    .when
                    .as_ref()
                    .is_some_and(|condition| step.fields.iter().any(|f| f.id == condition.field))
        })
        .collect()
}

pub(crate) async fn show_step(
    ctx: TenantContext,
    Path((_, slug, draft, step)): Path<(String, String, Uuid, String)>,
) -> Result<Response, WebError> {
    let user = signed_in(&ctx)?;
    let (open, service, _) = load_draft(&ctx, user, &slug, draft).await?;
    let page = step_page(&ctx, &open, &service, &step, &[])?;
    Ok(render(&page)?.into_response())
}

/// `POST …/passi/{step}`: keeps what was typed, always; then checks the step and moves on,
/// or shows the problems next to their fields. `azione=indietro` goes back without checking.
pub(crate) async fn save_step(
    ctx: TenantContext,
    Path((_, slug, draft, step_id)): Path<(String, String, Uuid, String)>,
    Form(posted): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let user = signed_in(&ctx)?;
    let (mut open, service, _) = load_draft(&ctx, user, &slug, draft).await?;
    let step = open
        .procedure
        .form
        .step(&step_id)
        .ok_or(WebError::NotFound)?
        .clone();
    for field in &step.fields {
        let id = field.id.to_string();
        let values: Vec<String> = posted
            .iter()
            .filter(|(name, _)| *name == id)
            .map(|(_, value)| value.clone())
            .collect();
        open.draft.answers.set(id, values);
    }
    let going_back = posted.iter().any(|(k, v)| k == "azione" && v == "indietro");
    let reached = furthest(&open, &step_id);
    let scope = ctx.state.store().scoped(ctx.tenant.id);
    scope
        .save_draft(
            open.draft.id,
            user.user.id,
            &open.draft.answers,
            Some(&reached),
        )
        .await?;
    open.draft.step = Some(reached);
    if going_back {
        return Ok(Redirect::to(&previous_page(&ctx, &open, &step_id)).into_response());
    }
    let today = calendar::local_date(jiff::Timestamp::now());
    let context = ValidationContext {
        today,
        rules: &ctx.tenant.profile.rules,
    };
    let errors = open
        .procedure
        .form
        .validate_step(&step_id, &open.draft.answers, &context);
    if errors.is_empty() {
        return Ok(Redirect::to(&next_page(&ctx, &open, &step_id)).into_response());
    }
    let page = step_page(&ctx, &open, &service, &step_id, &errors)?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
}

/// The furthest page reached, kept with the draft so the citizen resumes there and the steps
/// already seen stay open.
pub(crate) fn furthest(open: &OpenDraft, current: &str) -> String {
    let order = |id: &str| -> usize {
        let steps = open.procedure.form.visible_steps(&open.draft.answers);
        match id {
            ATTACHMENTS => steps.len(),
            SUMMARY => steps.len() + 1,
            other => steps
                .iter()
                .position(|s| s.id.as_str() == other)
                .unwrap_or(0),
        }
    };
    match open.draft.step.as_deref() {
        Some(previous) if order(previous) > order(current) => previous.to_owned(),
        _ => current.to_owned(),
    }
}

/// Records `current` as reached (unless the citizen had gone further), so that a draft resumed
/// later opens where they were.
pub(crate) async fn reach(
    ctx: &TenantContext,
    user: &SessionUser,
    open: &mut OpenDraft,
    current: &str,
) -> Result<(), WebError> {
    let reached = furthest(open, current);
    if open.draft.step.as_deref() != Some(reached.as_str()) {
        ctx.state
            .store()
            .scoped(ctx.tenant.id)
            .save_draft(
                open.draft.id,
                user.user.id,
                &open.draft.answers,
                Some(&reached),
            )
            .await?;
        open.draft.step = Some(reached);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Summary and submission

#[derive(Template)]
#[template(path = "request_summary.html")]
struct SummaryPage {
    layout: Layout,
    steps: Vec<StepLink>,
    sections: Vec<SummarySectionView>,
    attachments: Vec<(String, String)>,
    fee: Vec<(String, String)>,
    amounts: Vec<(String, String)>,
    term: String,
    silence: String,
    office: Option<String>,
    errors: Vec<(String, String)>,
    action: String,
    discard: String,
}

struct SummarySectionView {
    title: String,
    edit: String,
    items: Vec<(String, String)>,
}

fn line_pairs(lines: &[Line], lang: Lang) -> Vec<(String, String)> {
    lines
        .iter()
        .map(|l| (l.label.get(lang).to_owned(), l.value.get(lang).to_owned()))
        .collect()
}

async fn summary_page(
    ctx: &TenantContext,
    user: &SessionUser,
    open: &OpenDraft,
    service: &Service,
    office: Option<&Office>,
    extra_errors: &[FieldError],
) -> Result<SummaryPage, WebError> {
    let lang = ctx.lang;
    let t = crate::i18n::Translator::new(lang);
    let scope = ctx.state.store().scoped(ctx.tenant.id);
    let attachments = scope.draft_attachments(open.draft.id, user.user.id).await?;
    let today = calendar::local_date(jiff::Timestamp::now());
    let procedure = &open.procedure;
    let answers = procedure.form.normalise(&open.draft.answers);
    let base = request_path(ctx, service.slug.as_str(), open.draft.id);
    let (assessment, mut errors) = match submission::check(open, &attachments, &ctx.tenant, today) {
        Ok(assessment) => (Some(assessment), Vec::new()),
        Err(errors) => (None, errors),
    };
    errors.extend(extra_errors.iter().cloned());
    let sections = procedure
        .form
        .summary(&answers, &ctx.tenant.profile.rules)
        .into_iter()
        .map(|section| SummarySectionView {
            edit: format!("{base}/passi/{}", section.step),
            title: section.title.get(lang).to_owned(),
            items: section
                .items
                .iter()
                .map(|i| (i.label.get(lang).to_owned(), i.value.get(lang).to_owned()))
                .collect(),
        })
        .collect();
    let stamp = procedure.stamp_duty_due(&answers);
    let mut amounts = Vec::new();
    if let Some(assessment) = &assessment {
        if assessment.fee_total > Cents::ZERO {
            amounts.push((
                t.get("request.summary.fee").to_owned(),
                assessment.fee_total.to_string(),
            ));
        }
        if assessment.fee_set_by_office {
            amounts.push((
                t.get("request.summary.fee").to_owned(),
                t.get("request.summary.fee_by_office").to_owned(),
            ));
        }
    }
    if stamp.on_request > Cents::ZERO {
        amounts.push((
            t.get("request.summary.stamp_request").to_owned(),
            stamp.on_request.to_string(),
        ));
    }
    if stamp.on_permit > Cents::ZERO {
        amounts.push((
            t.get("request.summary.stamp_permit").to_owned(),
            stamp.on_permit.to_string(),
        ));
    }
    let error_list = errors
        .iter()
        .map(|e| {
            let label = procedure
                .form
                .field(&e.field)
                .map(|f| f.label.get(lang).to_owned())
                .or_else(|| {
                    procedure
                        .attachment(&e.field)
                        .map(|a| a.label.get(lang).to_owned())
                })
                .unwrap_or_else(|| e.field.clone());
            let href = match procedure.form.step_of(&e.field) {
                Some(step) => format!("{base}/passi/{}#{}", step.id, e.field),
                None => format!("{base}/allegati"),
            };
            (href, format!("{label}: {}", e.message.get(lang)))
        })
        .collect();
    Ok(SummaryPage {
        layout: request_layout(ctx, service, t.get("request.summary.title").to_owned()),
        steps: step_links(ctx, open, SUMMARY),
        sections,
        attachments: attachments
            .iter()
            .map(|a| (a.file_name.clone(), human_size(a.size)))
            .collect(),
        fee: assessment
            .as_ref()
            .and_then(|a| a.fee.as_ref())
            .map(|fee| line_pairs(&fee.lines, lang))
            .unwrap_or_default(),
        amounts,
        term: t.format(
            "request.summary.term",
            &[("days", &procedure.term_for(&answers).get().to_string())],
        ),
        silence: silence_text(procedure.silence, lang),
        office: office.map(|o| o.name.get(lang).to_owned()),
        errors: error_list,
        action: format!("{base}/invia"),
        discard: format!("{base}/elimina"),
    })
}

pub(crate) fn silence_text(silence: Silence, lang: Lang) -> String {
    let t = crate::i18n::Translator::new(lang);
    match silence {
        Silence::Assent => t.get("request.silence.assent"),
        Silence::Inaction => t.get("request.silence.inaction"),
    }
    .to_owned()
}

pub(crate) fn human_size(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

pub(crate) async fn summary(
    ctx: TenantContext,
    Path((_, slug, draft)): Path<(String, String, Uuid)>,
) -> Result<Response, WebError> {
    let user = signed_in(&ctx)?;
    let (mut open, service, office) = load_draft(&ctx, user, &slug, draft).await?;
    reach(&ctx, user, &mut open, SUMMARY).await?;
    let page = summary_page(&ctx, user, &open, &service, office.as_ref(), &[]).await?;
    Ok(render(&page)?.into_response())
}

/// `POST …/invia`: files the request and shows its receipt.
pub(crate) async fn submit(
    ctx: TenantContext,
    headers: HeaderMap,
    Path((_, slug, draft)): Path<(String, String, Uuid)>,
) -> Result<Response, WebError> {
    let user = signed_in(&ctx)?;
    let scope = ctx.state.store().scoped(ctx.tenant.id);
    let Some(service) = scope.service(&slug).await? else {
        return Err(WebError::NotFound);
    };
    let result = submission::submit(
        &ctx.state,
        &ctx.tenant,
        &service,
        DraftId::from_uuid(draft),
        user.user.id,
        &user.actor(client(&headers)),
    )
    .await;
    match result {
        Ok(submitted) => Ok(Redirect::to(&format!(
            "{}/area-personale/pratiche/{}?inviata=1",
            ctx.base, submitted.pratica.id
        ))
        .into_response()),
        // Filed already (a second click): the citizen finds it in their personal area.
        Err(SubmitError::NotFound) => {
            Ok(Redirect::to(&format!("{}/area-personale/", ctx.base)).into_response())
        }
        Err(SubmitError::Invalid(errors)) => {
            let (open, service, office) = load_draft(&ctx, user, &slug, draft).await?;
            let page = summary_page(&ctx, user, &open, &service, office.as_ref(), &errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(SubmitError::Store(error)) => Err(error.into()),
    }
}

/// Files of the draft, listed where the citizen uploads them.
pub(crate) fn attachment_rows(
    attachments: &[Attachment],
    spec: &str,
) -> Vec<(String, String, String)> {
    attachments
        .iter()
        .filter(|a| a.spec_id == spec)
        .map(|a| (a.id.to_string(), a.file_name.clone(), human_size(a.size)))
        .collect()
}
