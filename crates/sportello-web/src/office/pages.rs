//! The back office's pages: queue (with its CSV export and bulk approval), detail, steps.

use super::permit::{pdf_response, permit_document};
use crate::WebError;
use crate::auth::{SessionUser, client};
use crate::pages::layout::{Crumb, Layout};
use crate::pages::render;
use crate::requests::journey::local_time;
use crate::requests::pratiche::{TimelineEntry, term_text, timeline};
use crate::tenant::TenantContext;
use crate::workflow::decisions::{self, ClerkAction, ClerkInput};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sportello_domain::Role;
use sportello_domain::calendar;
use sportello_domain::pratica::PraticaState;
use sportello_store::attachments::{AttachmentId, Reader};
use sportello_store::{AssigneeFilter, QueueFilter, StoredPratica};
use uuid::Uuid;

/// The clerk and the offices whose requests they handle (every office for an administrator).
async fn clerk(ctx: &TenantContext) -> Result<(&SessionUser, Vec<String>), WebError> {
    let user = ctx
        .user
        .as_ref()
        .ok_or(WebError::Forbidden("the back office needs a session"))?;
    let offices: Vec<String> = if user.roles.contains(&Role::TenantAdmin) {
        ctx.state
            .store()
            .scoped(ctx.tenant.id)
            .offices()
            .await?
            .into_iter()
            .map(|o| o.id.to_string())
            .collect()
    } else {
        user.roles
            .iter()
            .filter_map(|role| match role {
                Role::Clerk { office } => Some(office.clone()),
                Role::TenantAdmin => None,
            })
            .collect()
    };
    if offices.is_empty() {
        return Err(WebError::Forbidden("not a clerk of this comune"));
    }
    Ok((user, offices))
}

/// The pratica, if it belongs to one of the clerk's offices.
async fn office_pratica(
    ctx: &TenantContext,
    offices: &[String],
    id: Uuid,
) -> Result<StoredPratica, WebError> {
    let pratica = ctx
        .state
        .store()
        .scoped(ctx.tenant.id)
        .pratica(id)
        .await?
        .ok_or(WebError::NotFound)?;
    if offices.contains(&pratica.office) {
        Ok(pratica)
    } else {
        Err(WebError::Forbidden("the pratica belongs to another office"))
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct QueueQuery {
    #[serde(default)]
    stato: String,
    #[serde(default)]
    servizio: String,
    #[serde(default)]
    scadute: String,
    #[serde(default)]
    assegnate: String,
    #[serde(default)]
    testo: String,
}

pub(crate) struct QueueRow {
    pub id: Uuid,
    pub href: String,
    pub protocol: String,
    pub service: String,
    pub applicant: String,
    pub submitted: String,
    pub state: String,
    pub days_left: Option<i32>,
    pub overdue: bool,
    pub assigned: bool,
}

async fn queue_rows(
    ctx: &TenantContext,
    user: &SessionUser,
    offices: &[String],
    query: &QueueQuery,
) -> Result<Vec<QueueRow>, WebError> {
    let scope = ctx.state.store().scoped(ctx.tenant.id);
    let services = scope.services().await?;
    let calendar = &ctx.tenant.profile.calendar;
    let today = calendar::local_date(jiff::Timestamp::now());
    let filter = QueueFilter {
        states: PraticaState::from_key(&query.stato).into_iter().collect(),
        overdue_on: (!query.scadute.is_empty()).then_some(today),
        assignee: match query.assegnate.as_str() {
            "mie" => AssigneeFilter::To(user.user.id),
            "nessuno" => AssigneeFilter::Unassigned,
            _ => AssigneeFilter::Anyone,
        },
        service: (!query.servizio.is_empty()).then(|| query.servizio.clone()),
        text: (!query.testo.trim().is_empty()).then(|| query.testo.trim().to_owned()),
        limit: 500,
        offset: 0,
    };
    let mut rows = Vec::new();
    for office in offices {
        for p in scope.office_queue(office, &filter).await? {
            let days_left = p.pratica.days_left(today, calendar);
            rows.push(QueueRow {
                id: p.id,
                href: format!("{}/ufficio/pratiche/{}", ctx.base, p.id),
                protocol: p.protocol.to_string(),
                service: services
                    .iter()
                    .find(|s| s.slug == p.service_slug)
                    .map_or_else(
                        || p.service_slug.to_string(),
                        |s| s.title.get(ctx.lang).to_owned(),
                    ),
                applicant: format!(
                    "{} {} ({})",
                    p.applicant.given_name, p.applicant.family_name, p.applicant.fiscal_code
                ),
                submitted: local_time(p.pratica.submitted_at()),
                state: p.state().label(ctx.lang).to_owned(),
                overdue: p.pratica.is_overdue(today, calendar),
                days_left,
                assigned: p.pratica.assignee().is_some(),
            });
        }
    }
    Ok(rows)
}

#[derive(Template)]
#[template(path = "office_queue.html")]
struct QueuePage {
    layout: Layout,
    rows: Vec<QueueRow>,
    states: Vec<(&'static str, &'static str, bool)>,
    query: QueueQuery,
    export: String,
    bulk: String,
    notice: Option<String>,
}

fn office_layout(ctx: &TenantContext, title: String, mut crumbs: Vec<Crumb>) -> Layout {
    let t = crate::i18n::Translator::new(ctx.lang);
    let mut all = vec![Crumb {
        label: t.get("office.title").to_owned(),
        href: Some(format!("{}/ufficio/", ctx.base)),
    }];
    all.append(&mut crumbs);
    let description = format!("{} – {}", t.get("office.title"), ctx.tenant.profile.name);
    Layout::new(ctx, title, description, all).without_rating()
}

#[derive(Deserialize, Default)]
pub(crate) struct Notice {
    #[serde(default)]
    esito: String,
}

pub(crate) async fn queue(
    ctx: TenantContext,
    Query(query): Query<QueueQuery>,
    Query(notice): Query<Notice>,
) -> Result<Response, WebError> {
    let (user, offices) = clerk(&ctx).await?;
    let rows = queue_rows(&ctx, user, &offices, &query).await?;
    let t = crate::i18n::Translator::new(ctx.lang);
    let export_query = format!(
        "stato={}&servizio={}&scadute={}&assegnate={}&testo={}",
        enc(&query.stato),
        enc(&query.servizio),
        enc(&query.scadute),
        enc(&query.assegnate),
        enc(&query.testo)
    );
    let page = QueuePage {
        layout: office_layout(&ctx, t.get("office.title").to_owned(), Vec::new()),
        rows,
        states: PraticaState::ALL
            .iter()
            .map(|s| (s.key(), s.label(ctx.lang), s.key() == query.stato))
            .collect(),
        export: format!("{}/ufficio/pratiche.csv?{export_query}", ctx.base),
        bulk: format!("{}/ufficio/approva", ctx.base),
        notice: (!notice.esito.is_empty()).then(|| notice.esito.clone()),
        query,
    };
    Ok(render(&page)?.into_response())
}

fn enc(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// A CSV cell: quoted when it holds the separator, quotes or line breaks; a leading `=`,
/// `+`, `-` or `@` is neutralised so a spreadsheet never runs it as a formula.
fn cell(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// `GET /ufficio/pratiche.csv`: the filtered queue for a spreadsheet (Italian Excel: `;` and
/// a byte-order mark so accents survive).
pub(crate) async fn export(
    ctx: TenantContext,
    Query(query): Query<QueueQuery>,
) -> Result<Response, WebError> {
    let (user, offices) = clerk(&ctx).await?;
    let rows = queue_rows(&ctx, user, &offices, &query).await?;
    let t = crate::i18n::Translator::new(ctx.lang);
    let mut csv = String::from("\u{feff}");
    let header_row = [
        "office.csv.protocol",
        "office.csv.service",
        "office.csv.applicant",
        "office.csv.submitted",
        "office.csv.state",
        "office.csv.days_left",
        "office.csv.overdue",
    ]
    .map(|k| cell(t.get(k)));
    csv.push_str(&header_row.join(";"));
    csv.push_str("\r\n");
    for row in rows {
        let fields = [
            row.protocol,
            row.service,
            row.applicant,
            row.submitted,
            row.state,
            row.days_left.map(|d| d.to_string()).unwrap_or_default(),
            if row.overdue {
                t.get("office.yes")
            } else {
                t.get("office.no")
            }
            .to_owned(),
        ];
        csv.push_str(&fields.map(|f| cell(&f)).join(";"));
        csv.push_str("\r\n");
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"pratiche.csv\"",
            ),
        ],
        csv,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "office_detail.html")]
struct DetailPage {
    layout: Layout,
    protocol: String,
    service: String,
    applicant: String,
    assisted: bool,
    state: String,
    term: String,
    version: u64,
    sections: Vec<(String, Vec<(String, String)>)>,
    fee: Vec<(String, String)>,
    attachments: Vec<(String, String, bool)>,
    timeline: Vec<TimelineEntry>,
    actions: Vec<ActionView>,
    permit_pdf: Option<String>,
    error: Option<String>,
}

pub(crate) struct ActionView {
    pub label: String,
    pub href: String,
    pub text: bool,
    pub text_required: bool,
    pub rebuttal: bool,
}

async fn detail_page(
    ctx: &TenantContext,
    pratica: &StoredPratica,
    error: Option<String>,
) -> Result<DetailPage, WebError> {
    let lang = ctx.lang;
    let t = crate::i18n::Translator::new(lang);
    let scope = ctx.state.store().scoped(ctx.tenant.id);
    let service = scope
        .service(pratica.service_slug.as_str())
        .await?
        .ok_or(WebError::NotFound)?;
    let procedure = scope
        .procedure_version(pratica.service_slug.as_str(), pratica.service_version)
        .await?
        .ok_or(WebError::NotFound)?
        .procedure;
    let events = scope.pratica_events(pratica.id).await?;
    let attachments = scope.pratica_attachments(pratica.id).await?;
    let base = format!("{}/ufficio/pratiche/{}", ctx.base, pratica.id);
    let actions = pratica
        .pratica
        .allowed_actions(jiff::Timestamp::now(), &ctx.tenant.profile.calendar)
        .into_iter()
        .filter_map(|action| ClerkAction::ALL.into_iter().find(|c| c.action() == action))
        .map(|action| ActionView {
            label: t.get(&format!("office.action.{}", action.key())).to_owned(),
            href: format!("{base}/azioni/{}", action.key()),
            text: action.takes_text(),
            text_required: action.needs_text(),
            rebuttal: action == ClerkAction::Reject && pratica.pratica.observations_filed(),
        })
        .collect();
    let title = t.format(
        "pratica.title",
        &[("protocol", &pratica.protocol.to_string())],
    );
    let fee = pratica
        .assessment
        .clone()
        .and_then(|v| serde_json::from_value::<sportello_domain::assessment::Assessment>(v).ok())
        .and_then(|a| a.fee)
        .map(|fee| {
            fee.lines
                .iter()
                .map(|l| (l.label.get(lang).to_owned(), l.value.get(lang).to_owned()))
                .collect()
        })
        .unwrap_or_default();
    Ok(DetailPage {
        layout: office_layout(
            ctx,
            title.clone(),
            vec![Crumb {
                label: title,
                href: None,
            }],
        ),
        protocol: format!(
            "{} – {}",
            pratica.protocol,
            local_time(pratica.pratica.submitted_at())
        ),
        service: service.title.get(lang).to_owned(),
        applicant: format!(
            "{} {} ({})",
            pratica.applicant.given_name,
            pratica.applicant.family_name,
            pratica.applicant.fiscal_code
        ),
        assisted: pratica.assisted,
        state: pratica.state().label(lang).to_owned(),
        term: term_text(pratica, &ctx.tenant, lang),
        version: pratica.version,
        sections: procedure
            .form
            .summary(&pratica.answers, &ctx.tenant.profile.rules)
            .into_iter()
            .map(|s| {
                (
                    s.title.get(lang).to_owned(),
                    s.items
                        .iter()
                        .map(|i| (i.label.get(lang).to_owned(), i.value.get(lang).to_owned()))
                        .collect(),
                )
            })
            .collect(),
        fee,
        attachments: attachments
            .iter()
            .map(|a| {
                (
                    format!("{base}/allegati/{}", a.id),
                    a.file_name.clone(),
                    a.sensitive,
                )
            })
            .collect(),
        timeline: timeline(&events, lang, true),
        actions,
        permit_pdf: pratica
            .permit_code
            .as_ref()
            .map(|_| format!("{base}/permesso.pdf")),
        error,
    })
}

pub(crate) async fn detail(
    ctx: TenantContext,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<Response, WebError> {
    let (_, offices) = clerk(&ctx).await?;
    let pratica = office_pratica(&ctx, &offices, id).await?;
    let page = detail_page(&ctx, &pratica, None).await?;
    Ok(render(&page)?.into_response())
}

#[derive(Deserialize, Default)]
pub(crate) struct ActionForm {
    #[serde(default)]
    version: u64,
    #[serde(default)]
    text: String,
    #[serde(default)]
    rebuttal: String,
}

pub(crate) async fn act(
    ctx: TenantContext,
    headers: HeaderMap,
    Path((_, id, action)): Path<(String, Uuid, String)>,
    Form(form): Form<ActionForm>,
) -> Result<Response, WebError> {
    let (user, offices) = clerk(&ctx).await?;
    let pratica = office_pratica(&ctx, &offices, id).await?;
    let action = ClerkAction::from_key(&action).ok_or(WebError::NotFound)?;
    let outcome = decisions::act(
        ctx.state.store(),
        ctx.state.documents()?,
        &ctx.tenant,
        &pratica,
        form.version,
        action,
        &ClerkInput {
            text: form.text,
            rebuttal: form.rebuttal,
        },
        user.user.id,
        &user.actor(client(&headers)),
    )
    .await?;
    match outcome {
        Ok(_) => Ok(Redirect::to(&format!("{}/ufficio/pratiche/{id}", ctx.base)).into_response()),
        Err(message) => {
            let page = detail_page(&ctx, &pratica, Some(message.get(ctx.lang).to_owned())).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
    }
}

/// `POST /ufficio/approva`: approves each selected pratica where the domain allows it, and
/// says how many were approved.
pub(crate) async fn bulk_approve(
    ctx: TenantContext,
    headers: HeaderMap,
    Form(posted): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let (user, offices) = clerk(&ctx).await?;
    let documents = ctx.state.documents()?;
    let (mut approved, mut refused) = (0, 0);
    for (_, value) in posted.iter().filter(|(k, _)| k == "pratica") {
        let Ok(id) = value.parse::<Uuid>() else {
            refused += 1;
            continue;
        };
        let Ok(pratica) = office_pratica(&ctx, &offices, id).await else {
            refused += 1;
            continue;
        };
        let outcome = decisions::act(
            ctx.state.store(),
            documents,
            &ctx.tenant,
            &pratica,
            pratica.version,
            ClerkAction::Approve,
            &ClerkInput::default(),
            user.user.id,
            &user.actor(client(&headers)),
        )
        .await?;
        match outcome {
            Ok(_) => approved += 1,
            Err(_) => refused += 1,
        }
    }
    let t = crate::i18n::Translator::new(ctx.lang);
    let notice = t.format(
        "office.bulk_result",
        &[
            ("approved", &approved.to_string()),
            ("refused", &refused.to_string()),
        ],
    );
    Ok(Redirect::to(&format!("{}/ufficio/?esito={}", ctx.base, enc(&notice))).into_response())
}

/// `GET /ufficio/pratiche/{id}/allegati/{attachment}`: a file of the pratica. Sensitive files
/// are read through the store's check that the clerk belongs to the deciding office, which
/// also records the reading.
pub(crate) async fn attachment(
    ctx: TenantContext,
    headers: HeaderMap,
    Path((_, id, attachment)): Path<(String, Uuid, Uuid)>,
) -> Result<Response, WebError> {
    let (user, offices) = clerk(&ctx).await?;
    let pratica = office_pratica(&ctx, &offices, id).await?;
    let scope = ctx.state.store().scoped(ctx.tenant.id);
    let vault = &ctx.state.documents()?.vault;
    let id = AttachmentId::from_uuid(attachment);
    let meta = scope
        .attachment(id)
        .await?
        .filter(|a| matches!(a.owner, sportello_store::attachments::AttachmentOwner::Pratica(p) if p == pratica.id))
        .ok_or(WebError::NotFound)?;
    let content = if meta.sensitive {
        scope
            .read_sensitive_attachment(vault, id, user.user.id, &pratica.office, &client(&headers))
            .await
    } else {
        scope
            .read_attachment(
                vault,
                id,
                &Reader::Clerk {
                    user: user.user.id,
                    office: pratica.office.clone(),
                },
            )
            .await
    };
    let content = match content {
        Ok(Some(content)) => content,
        Ok(None) => return Err(WebError::NotFound),
        Err(sportello_store::StoreError::Forbidden(_)) => {
            return Err(WebError::Forbidden("attachment of another office"));
        }
        Err(error) => return Err(error.into()),
    };
    Ok((
        [
            (
                header::CONTENT_TYPE,
                content.attachment.content_type.clone(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"allegato-{}\"",
                    content.attachment.id
                ),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        content.bytes,
    )
        .into_response())
}

pub(crate) async fn permit_pdf(
    ctx: TenantContext,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<Response, WebError> {
    let (_, offices) = clerk(&ctx).await?;
    let pratica = office_pratica(&ctx, &offices, id).await?;
    let bytes = permit_document(&ctx, &pratica).await?;
    Ok(pdf_response(
        &format!(
            "permesso-{}.pdf",
            pratica.protocol.to_string().replace('/', "-")
        ),
        bytes,
    ))
}

#[derive(Template)]
#[template(path = "office_counter.html")]
struct CounterPage {
    layout: Layout,
    services: Vec<(String, String, bool)>,
    fiscal_code: String,
    given_name: String,
    family_name: String,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub(crate) struct CounterForm {
    #[serde(default)]
    service: String,
    #[serde(default)]
    fiscal_code: String,
    #[serde(default)]
    given_name: String,
    #[serde(default)]
    family_name: String,
}

async fn counter_page(
    ctx: &TenantContext,
    form: &CounterForm,
    error: Option<String>,
) -> Result<CounterPage, WebError> {
    let t = crate::i18n::Translator::new(ctx.lang);
    let services = ctx
        .state
        .store()
        .scoped(ctx.tenant.id)
        .services()
        .await?
        .into_iter()
        .filter(|s| s.procedure.is_some())
        .map(|s| {
            let selected = s.slug.as_str() == form.service;
            (
                s.slug.to_string(),
                s.title.get(ctx.lang).to_owned(),
                selected,
            )
        })
        .collect();
    let title = t.get("office.counter.title").to_owned();
    Ok(CounterPage {
        layout: office_layout(
            ctx,
            title.clone(),
            vec![Crumb {
                label: title,
                href: None,
            }],
        ),
        services,
        fiscal_code: form.fiscal_code.clone(),
        given_name: form.given_name.clone(),
        family_name: form.family_name.clone(),
        error,
    })
}

/// `GET /ufficio/sportello`: a request filed at the counter for a citizen who came in person.
pub(crate) async fn counter(ctx: TenantContext) -> Result<Response, WebError> {
    clerk(&ctx).await?;
    let page = counter_page(&ctx, &CounterForm::default(), None).await?;
    Ok(render(&page)?.into_response())
}

/// `POST /ufficio/sportello`: a draft on behalf of the citizen, then the usual form; the
/// pratica records that it was filed at the counter and by whom.
pub(crate) async fn start_at_counter(
    ctx: TenantContext,
    headers: HeaderMap,
    Form(form): Form<CounterForm>,
) -> Result<Response, WebError> {
    let (user, _) = clerk(&ctx).await?;
    let t = crate::i18n::Translator::new(ctx.lang);
    let fiscal_code = sportello_domain::CodiceFiscale::parse(form.fiscal_code.trim());
    let names_ok = !form.given_name.trim().is_empty() && !form.family_name.trim().is_empty();
    let (Ok(fiscal_code), true) = (fiscal_code, names_ok) else {
        let page = counter_page(
            &ctx,
            &form,
            Some(t.get("office.counter.invalid").to_owned()),
        )
        .await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    };
    let applicant = sportello_store::Applicant {
        fiscal_code,
        given_name: form.given_name.trim().to_owned(),
        family_name: form.family_name.trim().to_owned(),
    };
    let draft = ctx
        .state
        .store()
        .scoped(ctx.tenant.id)
        .create_draft(
            user.user.id,
            &form.service,
            Some(&applicant),
            &user.actor(client(&headers)),
        )
        .await?;
    Ok(Redirect::to(&format!(
        "{}/",
        crate::requests::journey::request_path(&ctx, &form.service, draft.id)
    ))
    .into_response())
}
