//! The citizen's actions as JSON, under `/api/v1/me/`: their requests with the timeline,
//! drafts saved step by step, filing, and the steps on a filed request (documents,
//! observations, withdrawal). Same use cases, same rules as the portal's pages.

use super::{ApiContext, ApiError, json_body};
use crate::auth::client;
use crate::requests::journey::{self, SUMMARY};
use crate::requests::pratiche::{event_text, own_pratica, term_text};
use crate::workflow::citizen::{self, CitizenAction};
use crate::workflow::submission::{self, SubmitError};
use axum::Json;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use sportello_domain::calendar;
use sportello_domain::form::{FieldError, ValidationContext};
use sportello_domain::pratica::{Action, EventActor, TermStatus};
use sportello_domain::{Lang, Service, Tenant};
use sportello_store::{Draft, DraftId, StoredEvent, StoredPratica};
use std::collections::BTreeMap;
use uuid::Uuid;

/// What both the citizen and the office see of a pratica, without its answers.
pub(super) fn pratica_json(
    pratica: &StoredPratica,
    services: &[Service],
    tenant: &Tenant,
    lang: Lang,
) -> Value {
    let calendar = &tenant.profile.calendar;
    let today = calendar::local_date(jiff::Timestamp::now());
    let inner = &pratica.pratica;
    let deadline = match inner.term_status(today, calendar) {
        TermStatus::Running { deadline } => Some(deadline.to_string()),
        _ => None,
    };
    let title = services
        .iter()
        .find(|s| s.slug == pratica.service_slug)
        .map(|s| s.title.get(lang).to_owned());
    json!({
        "id": pratica.id,
        "protocol": pratica.protocol.to_string(),
        "service": pratica.service_slug.as_str(),
        "service_title": title,
        "state": { "key": pratica.state().key(), "label": pratica.state().label(lang) },
        "submitted_at": inner.submitted_at().to_string(),
        "office": pratica.office,
        "deadline": deadline,
        "term": term_text(pratica, tenant, lang),
        "days_left": inner.days_left(today, calendar),
        "overdue": inner.is_overdue(today, calendar),
        "amount_due": inner.payment_outstanding().map(|c| c.get()),
        "permit": inner.permit().map(|v| json!({
            "valid_from": v.from().to_string(),
            "valid_until": v.until().to_string(),
        })),
        "assisted": pratica.assisted,
        "version": pratica.version,
    })
}

/// The history, oldest first; the office's internal steps only when `all`.
pub(super) fn timeline_json(events: &[StoredEvent], lang: Lang, all: bool) -> Vec<Value> {
    events
        .iter()
        .filter(|e| all || e.event.kind.citizen_visible())
        .map(|e| {
            json!({
                "at": e.event.at.to_string(),
                "title": e.event.kind.title(lang),
                "text": event_text(&e.event.kind, lang),
                "by": match e.event.by {
                    EventActor::Citizen => "citizen",
                    EventActor::Office => "office",
                    EventActor::System => "system",
                },
                "state": e.event.state.key(),
            })
        })
        .collect()
}

/// `GET /me/pratiche`: the signed-in person's requests, newest first.
pub(crate) async fn list_pratiche(api: ApiContext) -> Result<Response, ApiError> {
    let user = api.user()?;
    let ctx = &api.0;
    let scope = ctx.state.store().scoped(ctx.tenant.id);
    let services = scope.services().await.map_err(|e| api.fail(e))?;
    let pratiche = scope
        .pratiche_of(user.fiscal_code())
        .await
        .map_err(|e| api.fail(e))?;
    let list: Vec<Value> = pratiche
        .iter()
        .map(|p| pratica_json(p, &services, &ctx.tenant, ctx.lang))
        .collect();
    Ok(Json(list).into_response())
}

async fn pratica_detail(api: &ApiContext, pratica: &StoredPratica) -> Result<Value, ApiError> {
    let ctx = &api.0;
    let scope = ctx.state.store().scoped(ctx.tenant.id);
    let services = scope.services().await.map_err(|e| api.fail(e))?;
    let events = scope
        .pratica_events(pratica.id)
        .await
        .map_err(|e| api.fail(e))?;
    let mut body = pratica_json(pratica, &services, &ctx.tenant, ctx.lang);
    let actions: Vec<&str> = pratica
        .pratica
        .allowed_actions(jiff::Timestamp::now(), &ctx.tenant.profile.calendar)
        .into_iter()
        .filter_map(CitizenAction::from_action)
        .map(CitizenAction::key)
        .collect();
    body["timeline"] = json!(timeline_json(&events, ctx.lang, false));
    body["actions"] = json!(actions);
    let page = format!("{}/area-personale/pratiche/{}", ctx.base, pratica.id);
    body["receipt_pdf"] = json!(format!("{page}/ricevuta.pdf"));
    body["permit_pdf"] = match pratica.permit_code {
        Some(_) => json!(format!("{page}/permesso.pdf")),
        None => Value::Null,
    };
    body["url"] = json!(page);
    Ok(body)
}

/// `GET /me/pratiche/{id}`: one request with its timeline and the steps open to the citizen.
pub(crate) async fn show_pratica(
    api: ApiContext,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<Response, ApiError> {
    let user = api.user()?;
    let pratica = own_pratica(&api.0, user, id)
        .await
        .map_err(|e| api.fail(e))?;
    Ok(Json(pratica_detail(&api, &pratica).await?).into_response())
}

#[derive(Deserialize, Default)]
pub(crate) struct TextBody {
    #[serde(default)]
    text: String,
}

/// `POST /me/pratiche/{id}/{documents|observations|withdraw}`.
pub(crate) async fn act(
    api: ApiContext,
    headers: HeaderMap,
    Path((_, id, action)): Path<(String, Uuid, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let user = api.user()?;
    let ctx = &api.0;
    let body: Option<TextBody> = json_body(&body, ctx.lang)?;
    let action = Action::ALL
        .into_iter()
        .filter_map(CitizenAction::from_action)
        .find(|a| a.key() == action)
        .ok_or_else(|| ApiError::not_found(ctx.lang))?;
    let pratica = own_pratica(ctx, user, id).await.map_err(|e| api.fail(e))?;
    let text = body.map(|b| b.text).unwrap_or_default();
    let outcome = citizen::act(
        ctx.state.store(),
        &ctx.tenant,
        &pratica,
        action,
        &text,
        &user.actor(client(&headers)),
    )
    .await
    .map_err(|e| api.fail(e))?;
    if let Err(reason) = outcome {
        return Err(ApiError::refused(&reason, ctx.lang));
    }
    let pratica = own_pratica(ctx, user, id).await.map_err(|e| api.fail(e))?;
    Ok(Json(pratica_detail(&api, &pratica).await?).into_response())
}

fn draft_json(api: &ApiContext, draft: &Draft) -> Value {
    let ctx = &api.0;
    json!({
        "id": draft.id.to_string(),
        "service": draft.service_slug.as_str(),
        "service_version": draft.service_version,
        "step": draft.step,
        "answers": draft.answers,
        "created_at": draft.created_at.to_string(),
        "updated_at": draft.updated_at.to_string(),
        "url": journey::draft_row(ctx, draft).href,
    })
}

/// `GET /me/drafts`.
pub(crate) async fn list_drafts(api: ApiContext) -> Result<Response, ApiError> {
    let user = api.user()?;
    let ctx = &api.0;
    let drafts = ctx
        .state
        .store()
        .scoped(ctx.tenant.id)
        .drafts_of(user.user.id)
        .await
        .map_err(|e| api.fail(e))?;
    let list: Vec<Value> = drafts.iter().map(|d| draft_json(&api, d)).collect();
    Ok(Json(list).into_response())
}

#[derive(Deserialize)]
pub(crate) struct NewDraft {
    service: String,
}

/// `POST /me/drafts` `{"service": slug}`: a new draft on the service's current procedure.
pub(crate) async fn create_draft(
    api: ApiContext,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let user = api.user()?;
    let ctx = &api.0;
    let lang = ctx.lang;
    let Some(body) = json_body::<NewDraft>(&body, lang)? else {
        return Err(ApiError::invalid(
            vec![FieldError::new(
                "service",
                "Indica il servizio.",
                "Give the service.",
            )],
            lang,
        ));
    };
    let scope = ctx.state.store().scoped(ctx.tenant.id);
    let online = scope
        .service(&body.service)
        .await
        .map_err(|e| api.fail(e))?
        .is_some_and(|s| s.procedure.is_some() && s.status.is_active());
    if !online {
        return Err(ApiError::invalid(
            vec![FieldError::new(
                "service",
                "Questo servizio non si richiede online.",
                "This service cannot be requested online.",
            )],
            lang,
        ));
    }
    let draft = scope
        .create_draft(
            user.user.id,
            &body.service,
            None,
            &user.actor(client(&headers)),
        )
        .await
        .map_err(|e| api.fail(e))?;
    Ok((StatusCode::CREATED, Json(draft_json(&api, &draft))).into_response())
}

async fn open(api: &ApiContext, id: Uuid) -> Result<submission::OpenDraft, ApiError> {
    let user = api.user()?;
    let ctx = &api.0;
    let scope = ctx.state.store().scoped(ctx.tenant.id);
    submission::open_draft(&scope, DraftId::from_uuid(id), user.user.id)
        .await
        .map_err(|e| api.fail(e))?
        .ok_or_else(|| ApiError::not_found(ctx.lang))
}

/// `GET /me/drafts/{id}`: the answers saved so far and the steps to fill in.
pub(crate) async fn show_draft(
    api: ApiContext,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<Response, ApiError> {
    let open = open(&api, id).await?;
    let mut body = draft_json(&api, &open.draft);
    body["steps"] = open
        .procedure
        .form
        .visible_steps(&open.draft.answers)
        .iter()
        .map(|s| json!({ "id": s.id.as_str(), "title": s.title.get(api.0.lang) }))
        .collect();
    Ok(Json(body).into_response())
}

/// One value or several (checkboxes, plates).
#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum Values {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
pub(crate) struct DraftUpdate {
    #[serde(default)]
    answers: BTreeMap<String, Values>,
    /// The step these answers belong to: it is checked, and recorded as reached.
    #[serde(default)]
    step: Option<String>,
}

/// `PUT /me/drafts/{id}`: saves the answers given (always, like the portal's steps), then
/// checks the step named, if any: 422 with each problem next to its field.
pub(crate) async fn save_draft(
    api: ApiContext,
    Path((_, id)): Path<(String, Uuid)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let user = api.user()?;
    let ctx = &api.0;
    let lang = ctx.lang;
    let mut open = open(&api, id).await?;
    let Some(update) = json_body::<DraftUpdate>(&body, lang)? else {
        return Err(ApiError::invalid(Vec::new(), lang));
    };
    let form = &open.procedure.form;
    let mut unknown = Vec::new();
    if let Some(step) = update.step.as_deref()
        && step != SUMMARY
        && step != journey::ATTACHMENTS
        && form.step(step).is_none()
    {
        unknown.push(FieldError::new(
            "step",
            "Questo passaggio non esiste nel modulo.",
            "The form has no such step.",
        ));
    }
    for (field, values) in update.answers {
        if form.field(&field).is_none() {
            unknown.push(FieldError::new(
                field,
                "Il modulo non ha questo campo.",
                "The form has no such field.",
            ));
            continue;
        }
        let values = match values {
            Values::One(value) => vec![value],
            Values::Many(values) => values,
        };
        open.draft.answers.set(field, values);
    }
    if !unknown.is_empty() {
        return Err(ApiError::invalid(unknown, lang));
    }
    let reached = update
        .step
        .as_deref()
        .map(|step| journey::furthest(&open, step));
    let scope = ctx.state.store().scoped(ctx.tenant.id);
    scope
        .save_draft(
            open.draft.id,
            user.user.id,
            &open.draft.answers,
            reached.as_deref().or(open.draft.step.as_deref()),
        )
        .await
        .map_err(|e| api.fail(e))?;
    if let Some(reached) = reached {
        open.draft.step = Some(reached);
    }
    if let Some(step) = update.step.as_deref() {
        let context = ValidationContext {
            today: calendar::local_date(jiff::Timestamp::now()),
            rules: &ctx.tenant.profile.rules,
        };
        let errors = open
            .procedure
            .form
            .validate_step(step, &open.draft.answers, &context);
        if !errors.is_empty() {
            return Err(ApiError::invalid(errors, lang));
        }
    }
    let saved = scope
        .draft(open.draft.id, user.user.id)
        .await
        .map_err(|e| api.fail(e))?
        .ok_or_else(|| ApiError::not_found(lang))?;
    Ok(Json(draft_json(&api, &saved)).into_response())
}

/// `POST /me/drafts/{id}/submit`: files the draft; 201 with the pratica, or 422 with
/// everything still to fix (answers, attachments, the rules of the service).
pub(crate) async fn submit(
    api: ApiContext,
    headers: HeaderMap,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<Response, ApiError> {
    let user = api.user()?;
    let ctx = &api.0;
    let lang = ctx.lang;
    let open = open(&api, id).await?;
    let service = ctx
        .state
        .store()
        .scoped(ctx.tenant.id)
        .service(open.draft.service_slug.as_str())
        .await
        .map_err(|e| api.fail(e))?
        .ok_or_else(|| ApiError::not_found(lang))?;
    let submitted = submission::submit(
        &ctx.state,
        &ctx.tenant,
        &service,
        open.draft.id,
        user.user.id,
        &user.actor(client(&headers)),
    )
    .await;
    match submitted {
        Ok(submitted) => {
            let body = pratica_detail(&api, &submitted.pratica).await?;
            Ok((StatusCode::CREATED, Json(body)).into_response())
        }
        Err(SubmitError::NotFound) => Err(ApiError::not_found(lang)),
        Err(SubmitError::Invalid(errors)) => Err(ApiError::invalid(errors, lang)),
        Err(SubmitError::Store(error)) => Err(api.fail(error)),
    }
}
