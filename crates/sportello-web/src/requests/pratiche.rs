//! A submitted request as its citizen sees it: the receipt (HTML and PDF, L. 241/1990 art.
//! 18-bis), the state and the latest date for an answer (C.SE.1.9–1.10), the timeline, and the
//! steps open to the citizen: answering a request for documents, filing observations to a
//! notice of intended refusal, withdrawing.

use super::journey::{human_size, local_time, silence_text};
use super::signed_in;
use crate::WebError;
use crate::auth::SessionUser;
use crate::auth::client;
use crate::pages::layout::{Crumb, Layout, RatingWidget};
use crate::pages::render;
use crate::tenant::TenantContext;
use crate::workflow::citizen::{self, CitizenAction};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sportello_documents::{
    AmountDue, AttachmentEntry, Letterhead, Person, ProtocolStamp, Receipt, Row,
};
use sportello_domain::calendar;
use sportello_domain::form::format_date;
use sportello_domain::pratica::{Action, EventActor, EventKind, TermStatus};
use sportello_domain::{Cents, Lang, Office, Service, Tenant};
use sportello_store::{StoredEvent, StoredPratica};
use uuid::Uuid;

/// The comune's letterhead on every document it issues.
pub(crate) fn letterhead(tenant: &Tenant) -> Letterhead {
    Letterhead::of(&tenant.profile)
}

/// The pratica if the signed-in person may see it as its citizen: the applicant, or the
/// clerk who filed it for them at the counter.
pub(crate) async fn own_pratica(
    ctx: &TenantContext,
    user: &SessionUser,
    id: Uuid,
) -> Result<StoredPratica, WebError> {
    let scope = ctx.state.store().scoped(ctx.tenant.id);
    let pratica = scope.pratica(id).await?.ok_or(WebError::NotFound)?;
    let mine = pratica.applicant.fiscal_code == user.user.fiscal_code
        || pratica.submitted_by == user.user.id;
    if mine {
        Ok(pratica)
    } else {
        Err(WebError::NotFound)
    }
}

/// What an event says beyond its title: the office's message, the citizen's text.
pub(crate) fn event_text(kind: &EventKind, lang: Lang) -> Option<String> {
    let t = crate::i18n::Translator::new(lang);
    match kind {
        EventKind::Submitted { deadline, .. }
        | EventKind::DocumentsReceived { deadline, .. }
        | EventKind::ReviewResumed { deadline } => Some(t.format(
            "pratica.deadline_note",
            &[("date", &format_date(*deadline))],
        )),
        EventKind::DocumentsRequested {
            message,
            resumes_by,
        } => Some(format!(
            "{}\n{}",
            message.as_str(),
            t.format("pratica.reply_by", &[("date", &format_date(*resumes_by))])
        )),
        EventKind::RefusalNoticed {
            reasons,
            observations_by,
        } => Some(format!(
            "{}\n{}",
            reasons.as_str(),
            t.format(
                "pratica.observations_by",
                &[("date", &format_date(*observations_by))]
            )
        )),
        EventKind::ObservationsFiled { text, .. } => Some(text.as_str().to_owned()),
        EventKind::Approved { note, .. } => note.as_ref().map(|n| n.as_str().to_owned()),
        EventKind::Rejected {
            motivation,
            observations_rebuttal,
        } => Some(match observations_rebuttal {
            Some(rebuttal) => format!("{}\n{}", motivation.as_str(), rebuttal.as_str()),
            None => motivation.as_str().to_owned(),
        }),
        EventKind::Revoked { motivation } => Some(motivation.as_str().to_owned()),
        EventKind::PaymentRequested { amount } | EventKind::PaymentReceived { amount } => {
            Some(amount.to_string())
        }
        EventKind::PermitIssued { validity } => Some(t.format(
            "pratica.valid_between",
            &[
                ("from", &format_date(validity.from())),
                ("until", &format_date(validity.until())),
            ],
        )),
        EventKind::Withdrawn { reason } => reason.as_ref().map(|r| r.as_str().to_owned()),
        _ => None,
    }
}

/// The latest date for an answer, or why there is none now.
pub(crate) fn term_text(pratica: &StoredPratica, tenant: &Tenant, lang: Lang) -> String {
    let t = crate::i18n::Translator::new(lang);
    let today = calendar::local_date(jiff::Timestamp::now());
    match pratica.pratica.term_status(today, &tenant.profile.calendar) {
        TermStatus::Running { deadline } => format_date(deadline),
        TermStatus::Suspended { resumes_by, .. } => t.format(
            "pratica.suspended_until",
            &[("date", &format_date(resumes_by))],
        ),
        TermStatus::Closed => t.get("pratica.closed").to_owned(),
    }
}

pub(crate) struct TimelineEntry {
    pub when: String,
    pub title: String,
    pub text: Vec<String>,
    pub by_office: bool,
}

#[derive(Template)]
#[template(path = "pratica.html")]
struct PraticaPage {
    layout: Layout,
    just_filed: bool,
    protocol: String,
    filed_at: String,
    service: String,
    state: String,
    term: String,
    term_days: u16,
    deadline: String,
    silence: String,
    office: Option<Office>,
    receipt_pdf: String,
    /// The permit, once issued.
    permit_pdf: Option<String>,
    timeline: Vec<TimelineEntry>,
    attachments: Vec<(String, String, String)>,
    amounts: Vec<(String, String)>,
    /// The pagoPA positions of the pratica, each with a way to pay it.
    payments: Vec<crate::payments::PositionRow>,
    actions: Vec<ActionForm>,
    /// The office's letters (documents request, notice of intended refusal, refusal) as PDF.
    letters: Vec<(String, String)>,
    error: Option<String>,
    rating: RatingWidget,
}

pub(crate) struct ActionForm {
    pub key: &'static str,
    pub label: String,
    pub href: String,
    /// Whether the action takes a text (observations, a note).
    pub text_label: Option<String>,
    pub text_required: bool,
}

async fn service_and_office(
    ctx: &TenantContext,
    pratica: &StoredPratica,
) -> Result<(Service, Option<Office>), WebError> {
    let scope = ctx.state.store().scoped(ctx.tenant.id);
    let service = scope
        .service(pratica.service_slug.as_str())
        .await?
        .ok_or(WebError::NotFound)?;
    let office = scope.office(&pratica.office).await?;
    Ok((service, office))
}

fn citizen_actions(ctx: &TenantContext, pratica: &StoredPratica) -> Vec<ActionForm> {
    let t = crate::i18n::Translator::new(ctx.lang);
    let base = format!("{}/area-personale/pratiche/{}/azioni", ctx.base, pratica.id);
    pratica
        .pratica
        .allowed_actions(jiff::Timestamp::now(), &ctx.tenant.profile.calendar)
        .into_iter()
        .filter_map(|action| {
            let action = CitizenAction::from_action(action)?;
            Some(ActionForm {
                key: action.key(),
                label: t
                    .get(&format!("pratica.action.{}", action.key()))
                    .to_owned(),
                href: format!("{base}/{}", action.key()),
                text_label: Some(
                    t.get(&format!("pratica.action.{}_text", action.key()))
                        .to_owned(),
                ),
                text_required: action.needs_text(),
            })
        })
        .collect()
}

async fn page(
    ctx: &TenantContext,
    pratica: &StoredPratica,
    just_filed: bool,
    error: Option<String>,
) -> Result<PraticaPage, WebError> {
    let lang = ctx.lang;
    let t = crate::i18n::Translator::new(lang);
    let scope = ctx.state.store().scoped(ctx.tenant.id);
    let (service, office) = service_and_office(ctx, pratica).await?;
    let events = scope.pratica_events(pratica.id).await?;
    let attachments = scope.pratica_attachments(pratica.id).await?;
    let calendar = &ctx.tenant.profile.calendar;
    let deadline = pratica.pratica.clock().nominal_deadline(calendar);
    let path = format!("{}/area-personale/pratiche/{}", ctx.base, pratica.id);
    let title = t.format(
        "pratica.title",
        &[("protocol", &pratica.protocol.to_string())],
    );
    let crumbs = vec![
        Crumb::personal_area(ctx),
        Crumb {
            label: title.clone(),
            href: None,
        },
    ];
    let mut rating = RatingWidget::new(
        t,
        format!("{}/servizi/{}/richiesta", ctx.base, service.slug),
        false,
    );
    rating.question_key = "rating.service_question";
    Ok(PraticaPage {
        layout: Layout::new(ctx, title, service.title.get(lang).to_owned(), crumbs)
            .without_rating(),
        just_filed,
        protocol: pratica.protocol.to_string(),
        filed_at: local_time(pratica.pratica.submitted_at()),
        service: service.title.get(lang).to_owned(),
        state: pratica.state().label(lang).to_owned(),
        term: term_text(pratica, &ctx.tenant, lang),
        term_days: pratica.pratica.term().get(),
        deadline: format_date(deadline),
        silence: silence_text(pratica.pratica.silence(), lang),
        office,
        receipt_pdf: format!("{path}/ricevuta.pdf"),
        permit_pdf: pratica
            .permit_code
            .as_ref()
            .map(|_| format!("{path}/permesso.pdf")),
        timeline: timeline(&events, lang, false),
        attachments: attachments
            .iter()
            .map(|a| (a.file_name.clone(), human_size(a.size), a.sha256.clone()))
            .collect(),
        amounts: amounts_due(pratica, lang),
        payments: crate::payments::positions_of_pratica(ctx, pratica.id).await?,
        actions: citizen_actions(ctx, pratica),
        letters: crate::workflow::decisions::letters(&events)
            .into_iter()
            .filter_map(|seq| {
                let event = events.iter().find(|e| e.seq == seq)?;
                Some((
                    format!("{path}/lettere/{seq}"),
                    format!(
                        "{} – {}",
                        event.event.kind.title(lang),
                        local_time(event.event.at)
                    ),
                ))
            })
            .collect(),
        error,
        rating,
    })
}

/// The history, oldest first; the office's internal steps only when `all`.
pub(crate) fn timeline(events: &[StoredEvent], lang: Lang, all: bool) -> Vec<TimelineEntry> {
    events
        .iter()
        .filter(|e| all || e.event.kind.citizen_visible())
        .map(|e| TimelineEntry {
            when: local_time(e.event.at),
            title: e.event.kind.title(lang).to_owned(),
            text: event_text(&e.event.kind, lang)
                .map(|t| t.lines().map(str::to_owned).collect())
                .unwrap_or_default(),
            by_office: e.event.by == EventActor::Office,
        })
        .collect()
}

/// What the citizen still has to pay: the stamp duty on the request as assessed at filing.
fn amounts_due(pratica: &StoredPratica, lang: Lang) -> Vec<(String, String)> {
    let t = crate::i18n::Translator::new(lang);
    match pratica.pratica.payment_outstanding() {
        Some(amount) if amount > Cents::ZERO => {
            vec![(t.get("pratica.amount_due").to_owned(), amount.to_string())]
        }
        _ => Vec::new(),
    }
}

#[derive(Deserialize)]
pub(crate) struct ShowQuery {
    inviata: Option<String>,
}

pub(crate) async fn show(
    ctx: TenantContext,
    Path((_, id)): Path<(String, Uuid)>,
    Query(query): Query<ShowQuery>,
) -> Result<Response, WebError> {
    let user = signed_in(&ctx)?;
    let pratica = own_pratica(&ctx, user, id).await?;
    let page = page(&ctx, &pratica, query.inviata.is_some(), None).await?;
    Ok(render(&page)?.into_response())
}

/// `GET …/ricevuta.pdf`: the receipt, as a document to keep.
pub(crate) async fn receipt_pdf(
    ctx: TenantContext,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<Response, WebError> {
    let user = signed_in(&ctx)?;
    let pratica = own_pratica(&ctx, user, id).await?;
    let bytes = receipt_document(&ctx, &pratica).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "inline; filename=\"ricevuta-{}.pdf\"",
                    pratica.protocol.to_string().replace('/', "-")
                ),
            ),
        ],
        bytes,
    )
        .into_response())
}

pub(crate) async fn receipt_document(
    ctx: &TenantContext,
    pratica: &StoredPratica,
) -> Result<Vec<u8>, WebError> {
    let lang = ctx.lang;
    let t = crate::i18n::Translator::new(lang);
    let scope = ctx.state.store().scoped(ctx.tenant.id);
    let (service, office) = service_and_office(ctx, pratica).await?;
    let version = scope
        .procedure_version(pratica.service_slug.as_str(), pratica.service_version)
        .await?
        .ok_or(WebError::NotFound)?;
    let attachments = scope.pratica_attachments(pratica.id).await?;
    let calendar = &ctx.tenant.profile.calendar;
    let answers = version
        .procedure
        .form
        .summary(&pratica.answers, &ctx.tenant.profile.rules)
        .into_iter()
        .flat_map(|section| section.items)
        .map(|item| Row::new(item.label.get(lang), item.value.get(lang)))
        .collect();
    let stamp = version.procedure.stamp_duty_due(&pratica.answers);
    let mut amounts = Vec::new();
    if stamp.on_request > Cents::ZERO {
        amounts.push(AmountDue {
            label: t.get("request.summary.stamp_request").to_owned(),
            amount: stamp.on_request,
        });
    }
    let office_name = office
        .as_ref()
        .map_or_else(|| pratica.office.clone(), |o| o.name.get(lang).to_owned());
    let receipt = Receipt {
        lang,
        comune: letterhead(&ctx.tenant),
        protocol: ProtocolStamp {
            number: pratica.protocol.to_string(),
            registered_at: pratica.pratica.submitted_at(),
        },
        service: service.title.get(lang).to_owned(),
        applicant: Person {
            name: format!(
                "{} {}",
                pratica.applicant.given_name, pratica.applicant.family_name
            ),
            codice_fiscale: pratica.applicant.fiscal_code.to_string(),
        },
        filed_by: pratica
            .assisted
            .then(|| t.get("pratica.filed_at_counter").to_owned()),
        responsible: office
            .as_ref()
            .and_then(|o| o.manager.clone())
            .unwrap_or_else(|| office_name.clone()),
        office: office_name,
        substitute_power: None,
        term_days: pratica.pratica.term(),
        term_ends_on: pratica.pratica.clock().nominal_deadline(calendar),
        silence: pratica.pratica.silence(),
        follow_url: format!(
            "{}{}/area-personale/pratiche/{}",
            ctx.state.0.config.public_url.as_deref().unwrap_or_default(),
            ctx.base,
            pratica.id
        ),
        answers,
        attachments: attachments
            .iter()
            .map(|a| AttachmentEntry {
                name: a.file_name.clone(),
                sha256_hex: a.sha256.clone(),
                size_bytes: a.size,
            })
            .collect(),
        amounts,
    };
    sportello_documents::render_receipt(&receipt).map_err(|error| {
        tracing::error!(%error, "the receipt did not render");
        WebError::Internal("receipt rendering")
    })
}

#[derive(Deserialize)]
pub(crate) struct TextForm {
    #[serde(default)]
    text: String,
}

/// `POST …/azioni/{action}`: a step of the citizen's.
pub(crate) async fn act(
    ctx: TenantContext,
    headers: HeaderMap,
    Path((_, id, action)): Path<(String, Uuid, String)>,
    Form(form): Form<TextForm>,
) -> Result<Response, WebError> {
    let user = signed_in(&ctx)?;
    let pratica = own_pratica(&ctx, user, id).await?;
    let action = Action::ALL
        .into_iter()
        .filter_map(CitizenAction::from_action)
        .find(|a| a.key() == action)
        .ok_or(WebError::NotFound)?;
    match citizen::act(
        ctx.state.store(),
        &ctx.tenant,
        &pratica,
        action,
        &form.text,
        &user.actor(client(&headers)),
    )
    .await?
    {
        Ok(()) => Ok(Redirect::to(&format!(
            "{}/area-personale/pratiche/{}#cronologia",
            ctx.base, pratica.id
        ))
        .into_response()),
        Err(message) => {
            let page = page(
                &ctx,
                &pratica,
                false,
                Some(message.get(ctx.lang).to_owned()),
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
    }
}

/// `GET /area-personale/pratiche/{id}/lettere/{seq}`: a letter of the office, as PDF.
pub(crate) async fn letter_pdf(
    ctx: TenantContext,
    Path((_, id, seq)): Path<(String, Uuid, u64)>,
) -> Result<Response, WebError> {
    let user = signed_in(&ctx)?;
    let pratica = own_pratica(&ctx, user, id).await?;
    crate::office::permit::letter_response(&ctx, &pratica, seq).await
}
