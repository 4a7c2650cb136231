//! The clerk's actions as JSON, under `/api/v1/office/`: the queue of the offices the clerk
//! works for (every office for an administrator), a pratica with its answers, attachments and
//! whole history, and the steps of the decision, each against the version the clerk saw.

use super::citizen::{pratica_json, timeline_json};
use super::{ApiContext, ApiError, json_body};
use crate::auth::{SessionUser, client};
use crate::workflow::decisions::{self, ClerkAction, ClerkInput};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use sportello_domain::calendar;
use sportello_domain::form::FieldError;
use sportello_domain::pratica::PraticaState;
use sportello_store::{AssigneeFilter, QueueFilter, StoredPratica};
use uuid::Uuid;

/// The clerk and the offices whose requests they handle: 401 without a session, 403 for
/// someone who works for no office of this comune.
async fn clerk(api: &ApiContext) -> Result<(&SessionUser, Vec<String>), ApiError> {
    let user = api.user()?;
    let ctx = &api.0;
    let offices = crate::office::handled_offices(ctx, user)
        .await
        .map_err(|e| api.fail(e))?;
    if offices.is_empty() {
        return Err(ApiError::forbidden(ctx.lang));
    }
    Ok((user, offices))
}

/// The pratica, if one of the clerk's offices decides it; another office's is 403.
async fn office_pratica(
    api: &ApiContext,
    offices: &[String],
    id: Uuid,
) -> Result<StoredPratica, ApiError> {
    let ctx = &api.0;
    let pratica = ctx
        .state
        .store()
        .scoped(ctx.tenant.id)
        .pratica(id)
        .await
        .map_err(|e| api.fail(e))?
        .ok_or_else(|| ApiError::not_found(ctx.lang))?;
    if offices.contains(&pratica.office) {
        Ok(pratica)
    } else {
        Err(ApiError::forbidden(ctx.lang))
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct QueueQuery {
    /// A state key (`submitted`, `in-review`…).
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    service: Option<String>,
    /// Only pratiche past their deadline.
    #[serde(default)]
    overdue: Option<bool>,
    /// `mine` or `none`.
    #[serde(default)]
    assigned: Option<String>,
    /// Part of the protocol number, of the applicant's codice fiscale or name.
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    limit: Option<u32>,
    #[serde(default)]
    offset: Option<u32>,
}

fn with_applicant(mut body: Value, pratica: &StoredPratica) -> Value {
    body["applicant"] = json!({
        "fiscal_code": pratica.applicant.fiscal_code.as_str(),
        "given_name": pratica.applicant.given_name,
        "family_name": pratica.applicant.family_name,
    });
    body["assigned"] = json!(pratica.pratica.assignee().is_some());
    body
}

/// `GET /office/pratiche`: the queue, by deadline, with filters.
pub(crate) async fn queue(
    api: ApiContext,
    Query(query): Query<QueueQuery>,
) -> Result<Response, ApiError> {
    let (user, offices) = clerk(&api).await?;
    let ctx = &api.0;
    let lang = ctx.lang;
    let states = match query.state.as_deref().filter(|s| !s.is_empty()) {
        None => Vec::new(),
        Some(key) => match PraticaState::from_key(key) {
            Some(state) => vec![state],
            None => {
                return Err(ApiError::invalid(
                    vec![FieldError::new(
                        "state",
                        "Stato sconosciuto.",
                        "Unknown state.",
                    )],
                    lang,
                ));
            }
        },
    };
    let today = calendar::local_date(jiff::Timestamp::now());
    let filter = QueueFilter {
        states,
        overdue_on: query.overdue.unwrap_or(false).then_some(today),
        assignee: match query.assigned.as_deref() {
            Some("mine") => AssigneeFilter::To(user.user.id),
            Some("none") => AssigneeFilter::Unassigned,
            _ => AssigneeFilter::Anyone,
        },
        service: query.service.filter(|s| !s.is_empty()),
        text: query
            .q
            .map(|q| q.trim().to_owned())
            .filter(|q| !q.is_empty()),
        limit: query.limit.unwrap_or(500).min(500),
        offset: query.offset.unwrap_or(0),
    };
    let scope = ctx.state.store().scoped(ctx.tenant.id);
    let services = scope.services().await.map_err(|e| api.fail(e))?;
    let mut list = Vec::new();
    for office in &offices {
        for pratica in scope
            .office_queue(office, &filter)
            .await
            .map_err(|e| api.fail(e))?
        {
            list.push(with_applicant(
                pratica_json(&pratica, &services, &ctx.tenant, lang),
                &pratica,
            ));
        }
    }
    Ok(Json(list).into_response())
}

async fn detail(api: &ApiContext, pratica: &StoredPratica) -> Result<Value, ApiError> {
    let ctx = &api.0;
    let lang = ctx.lang;
    let scope = ctx.state.store().scoped(ctx.tenant.id);
    let services = scope.services().await.map_err(|e| api.fail(e))?;
    let events = scope
        .pratica_events(pratica.id)
        .await
        .map_err(|e| api.fail(e))?;
    let attachments = scope
        .pratica_attachments(pratica.id)
        .await
        .map_err(|e| api.fail(e))?;
    let allowed = pratica
        .pratica
        .allowed_actions(jiff::Timestamp::now(), &ctx.tenant.profile.calendar);
    let actions: Vec<&str> = ClerkAction::ALL
        .into_iter()
        .filter(|a| allowed.contains(&a.action()))
        .map(ClerkAction::key)
        .collect();
    let mut body = with_applicant(pratica_json(pratica, &services, &ctx.tenant, lang), pratica);
    body["answers"] = json!(pratica.answers);
    body["attachments"] = attachments
        .iter()
        .map(|a| {
            json!({
                "id": a.id.to_string(),
                "spec": a.spec_id,
                "file_name": a.file_name,
                "content_type": a.content_type,
                "size": a.size,
                "sha256": a.sha256,
                "sensitive": a.sensitive,
            })
        })
        .collect();
    body["timeline"] = json!(timeline_json(&events, lang, true));
    body["actions"] = json!(actions);
    body["url"] = json!(format!("{}/ufficio/pratiche/{}", ctx.base, pratica.id));
    Ok(body)
}

/// `GET /office/pratiche/{id}`.
pub(crate) async fn show(
    api: ApiContext,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<Response, ApiError> {
    let (_, offices) = clerk(&api).await?;
    let pratica = office_pratica(&api, &offices, id).await?;
    Ok(Json(detail(&api, &pratica).await?).into_response())
}

#[derive(Deserialize)]
pub(crate) struct ActionBody {
    /// The pratica's `version` as the clerk saw it: a colleague's step in between is a 409.
    version: u64,
    #[serde(default)]
    text: String,
    #[serde(default)]
    rebuttal: String,
}

/// `POST /office/pratiche/{id}/actions/{action}`.
pub(crate) async fn act(
    api: ApiContext,
    headers: HeaderMap,
    Path((_, id, action)): Path<(String, Uuid, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (user, offices) = clerk(&api).await?;
    let ctx = &api.0;
    let lang = ctx.lang;
    let action = ClerkAction::from_key(&action).ok_or_else(|| ApiError::not_found(lang))?;
    let pratica = office_pratica(&api, &offices, id).await?;
    let Some(body) = json_body::<ActionBody>(&body, lang)? else {
        return Err(ApiError::invalid(
            vec![FieldError::new(
                "version",
                "Indica la versione della pratica che hai visto.",
                "Give the version of the pratica you saw.",
            )],
            lang,
        ));
    };
    if body.version != pratica.version {
        return Err(ApiError::conflict(lang));
    }
    let documents = ctx.state.documents().map_err(|e| api.fail(e))?;
    let outcome = decisions::act(
        &ctx.state,
        documents,
        &ctx.tenant,
        &pratica,
        body.version,
        action,
        &ClerkInput {
            text: body.text,
            rebuttal: body.rebuttal,
        },
        user.user.id,
        &user.actor(client(&headers)),
    )
    .await
    .map_err(|e| api.fail(e))?;
    match outcome {
        Ok(updated) => Ok(Json(detail(&api, &updated).await?).into_response()),
        Err(reason) => Err(ApiError::refused(&reason, lang)),
    }
}
