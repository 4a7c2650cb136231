//! The back office's pages: queue (with its CSV export and bulk approval), detail, steps,
//! documents, and requests filed at the counter.

use super::permit::{letter_response, permit_response};
use super::{clerk, needs_login};
use crate::WebError;
use crate::auth::{SessionUser, client};
use crate::pages::layout::{Crumb, Layout};
use crate::pages::render;
use crate::requests::journey::local_time;
use crate::requests::pratiche::{event_text, term_text};
use crate::tenant::TenantContext;
use crate::workflow::decisions::{self, ClerkAction, ClerkInput};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sportello_domain::calendar;
use sportello_domain::pratica::{Action, PraticaState};
use sportello_domain::{Cents, Role, UserId};
use sportello_store::attachments::{AttachmentId, Reader};
use sportello_store::{AssigneeFilter, QueueFilter, StoredEvent, StoredPratica, TenantScope};
use std::collections::HashMap;
use uuid::Uuid;

/// Rows of the queue on one page.
const PAGE_SIZE: usize = 50;

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

/// Names of the people in a pratica's history and in the queue, looked up once each.
struct People<'a> {
    scope: TenantScope<'a>,
    names: HashMap<UserId, String>,
}

impl<'a> People<'a> {
    fn new(scope: TenantScope<'a>) -> People<'a> {
        People {
            scope,
            names: HashMap::new(),
        }
    }

    async fn name(&mut self, id: UserId) -> Result<String, WebError> {
        if let Some(name) = self.names.get(&id) {
            return Ok(name.clone());
        }
        let name = match self.scope.user(id).await? {
            Some(user) => match (user.given_name, user.family_name) {
                (Some(given), Some(family)) => format!("{given} {family}"),
                _ => user.fiscal_code.to_string(),
            },
            None => id.to_string(),
        };
        self.names.insert(id, name.clone());
        Ok(name)
    }

    /// Who an event's actor is (`user:<id>`, `system`, `cli:<name>`), in words.
    async fn actor(
        &mut self,
        actor: &str,
        lang: sportello_domain::Lang,
    ) -> Result<String, WebError> {
        let t = crate::i18n::Translator::new(lang);
        if let Some(id) = actor
            .strip_prefix("user:")
            .and_then(|id| id.parse::<Uuid>().ok())
        {
            return self.name(UserId::from_uuid(id)).await;
        }
        Ok(match actor {
            "system" => t.get("office.by_system").to_owned(),
            other => other.to_owned(),
        })
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
    #[serde(default)]
    pagina: String,
}

impl QueueQuery {
    /// The filters as a query string, without the page.
    fn filters(&self) -> String {
        format!(
            "stato={}&servizio={}&scadute={}&assegnate={}&testo={}",
            enc(&self.stato),
            enc(&self.servizio),
            enc(&self.scadute),
            enc(&self.assegnate),
            enc(&self.testo)
        )
    }

    fn page(&self) -> usize {
        self.pagina.parse::<usize>().unwrap_or(1).max(1)
    }
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
    pub assignee: Option<String>,
}

/// The queue of the clerk's offices under the filters, nearest deadline first.
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
        limit: 0,
        offset: 0,
    };
    let mut pratiche = Vec::new();
    for office in offices {
        pratiche.extend(scope.office_queue(office, &filter).await?);
    }
    // Each office's queue comes sorted; an administrator's spans offices.
    pratiche.sort_by_key(|p| {
        (
            p.deadline.is_none(),
            p.deadline,
            p.pratica.submitted_at(),
            p.id,
        )
    });
    let mut people = People::new(scope);
    let mut rows = Vec::with_capacity(pratiche.len());
    for p in pratiche {
        let assignee = match p.pratica.assignee() {
            Some(id) => Some(people.name(id).await?),
            None => None,
        };
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
            days_left: p.pratica.days_left(today, calendar),
            assignee,
        });
    }
    Ok(rows)
}

/// What bulk approval did to one pratica.
pub(crate) struct BulkOutcome {
    pub protocol: String,
    pub href: String,
    pub done: bool,
    pub message: String,
}

#[derive(Template)]
#[template(path = "office_queue.html")]
struct QueuePage {
    layout: Layout,
    rows: Vec<QueueRow>,
    states: Vec<(&'static str, &'static str, bool)>,
    services: Vec<(String, String, bool)>,
    query: QueueQuery,
    export: String,
    bulk: String,
    previous: Option<String>,
    next: Option<String>,
    page_note: String,
    outcomes: Vec<BulkOutcome>,
}

/// The layout of a back-office page: the office's home in the breadcrumb, no rating widget.
pub(crate) fn office_layout(ctx: &TenantContext, title: String, mut crumbs: Vec<Crumb>) -> Layout {
    let t = crate::i18n::Translator::new(ctx.lang);
    let mut all = vec![Crumb {
        label: t.get("office.title").to_owned(),
        href: Some(format!("{}/ufficio/", ctx.base)),
    }];
    all.append(&mut crumbs);
    let description = format!("{} – {}", t.get("office.title"), ctx.tenant.profile.name);
    Layout::new(ctx, title, description, all).without_rating()
}

async fn queue_page(
    ctx: &TenantContext,
    user: &SessionUser,
    offices: &[String],
    query: QueueQuery,
    outcomes: Vec<BulkOutcome>,
) -> Result<QueuePage, WebError> {
    let t = crate::i18n::Translator::new(ctx.lang);
    let rows = queue_rows(ctx, user, offices, &query).await?;
    let total = rows.len();
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    let page = query.page().min(pages);
    let link = |page: usize| format!("{}/ufficio/?{}&pagina={page}", ctx.base, query.filters());
    let services = online_services(ctx, &query.servizio).await?;
    Ok(QueuePage {
        layout: office_layout(ctx, t.get("office.title").to_owned(), Vec::new()),
        rows: rows
            .into_iter()
            .skip((page - 1) * PAGE_SIZE)
            .take(PAGE_SIZE)
            .collect(),
        states: PraticaState::ALL
            .iter()
            .map(|s| (s.key(), s.label(ctx.lang), s.key() == query.stato))
            .collect(),
        services,
        export: format!("{}/ufficio/pratiche.csv?{}", ctx.base, query.filters()),
        bulk: format!("{}/ufficio/approva", ctx.base),
        previous: (page > 1).then(|| link(page - 1)),
        next: (page < pages).then(|| link(page + 1)),
        page_note: t.format(
            "office.page",
            &[
                ("page", &page.to_string()),
                ("pages", &pages.to_string()),
                ("total", &total.to_string()),
            ],
        ),
        outcomes,
        query,
    })
}

/// `GET /ufficio/`: the queue.
pub(crate) async fn queue(
    ctx: TenantContext,
    Query(query): Query<QueueQuery>,
) -> Result<Response, WebError> {
    if ctx.user.is_none() {
        return needs_login(&ctx, "office.title");
    }
    let (user, offices) = clerk(&ctx).await?;
    let page = queue_page(&ctx, user, &offices, query, Vec::new()).await?;
    Ok(render(&page)?.into_response())
}

fn enc(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// A CSV cell: quoted when it holds the separator, quotes or line breaks; a leading `=`,
/// `+`, `-` or `@` is neutralised so a spreadsheet never runs it as a formula (a plain
/// number, such as the negative days of an overdue pratica, stays a number).
fn cell(value: &str) -> String {
    let formula = value.starts_with(['=', '+', '-', '@']) && value.parse::<i64>().is_err();
    let value = if formula {
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

/// `GET /ufficio/pratiche.csv`: the filtered queue, every page, for a spreadsheet (Italian
/// Excel: `;` and a byte-order mark so accents survive).
pub(crate) async fn export(
    ctx: TenantContext,
    Query(query): Query<QueueQuery>,
) -> Result<Response, WebError> {
    if ctx.user.is_none() {
        return needs_login(&ctx, "office.title");
    }
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
        "office.csv.assignee",
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
            row.assignee.unwrap_or_default(),
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

/// An entry of the office's history of a pratica: every event, with who and from where.
pub(crate) struct HistoryEntry {
    pub when: String,
    pub title: String,
    pub text: Vec<String>,
    pub who: String,
    pub source: Option<String>,
    /// The letter the event sent, as PDF.
    pub letter: Option<String>,
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
    assignee: Option<String>,
    version: u64,
    sections: Vec<(String, Vec<(String, String)>)>,
    fee: Vec<(String, String)>,
    /// The pratica's pagoPA positions and receipts.
    payments: Vec<crate::payments::OfficePayment>,
    attachments: Vec<(String, String, bool)>,
    history: Vec<HistoryEntry>,
    actions: Vec<ActionView>,
    assign: Option<AssignView>,
    permit_pdf: Option<String>,
    error: Option<String>,
    /// What the citizen was told, with "send again".
    notifications: crate::notifications::PraticaNotifications,
}

pub(crate) struct ActionView {
    pub key: &'static str,
    pub label: String,
    pub href: String,
    pub text: bool,
    pub text_required: bool,
    pub text_value: String,
    pub rebuttal: bool,
    pub rebuttal_value: String,
    /// What approving makes due, said before the clerk approves.
    pub note: Option<String>,
}

pub(crate) struct AssignView {
    pub href: String,
    /// The office's clerks: id, name, currently assigned.
    pub clerks: Vec<(String, String, bool)>,
}

/// What the clerk had written when a step was refused, to show it again.
#[derive(Default)]
struct Kept {
    action: String,
    text: String,
    rebuttal: String,
}

/// The clerks of an office who have signed in at least once (a user to assign to).
async fn office_clerks(
    scope: &TenantScope<'_>,
    office: &str,
) -> Result<Vec<(UserId, String)>, WebError> {
    let mut clerks = Vec::new();
    for (fiscal_code, role) in scope.role_holders().await? {
        let of_office = matches!(&role, Role::Clerk { office: o } if o == office);
        if !of_office {
            continue;
        }
        if let Some(user) = scope.user_by_fiscal_code(&fiscal_code).await? {
            let name = match (user.given_name, user.family_name) {
                (Some(given), Some(family)) => format!("{given} {family}"),
                _ => fiscal_code.to_string(),
            };
            clerks.push((user.id, name));
        }
    }
    Ok(clerks)
}

async fn detail_page(
    ctx: &TenantContext,
    user: &SessionUser,
    pratica: &StoredPratica,
    error: Option<String>,
    kept: &Kept,
    resent: bool,
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
    let allowed = pratica
        .pratica
        .allowed_actions(jiff::Timestamp::now(), &ctx.tenant.profile.calendar);
    let (due, lines) = decisions::amount_due_on_approval(pratica, &procedure);
    let approval_note = if due > Cents::ZERO {
        let detail: Vec<String> = lines
            .iter()
            .map(|l| format!("{} {}", l.description, l.amount))
            .collect();
        t.format(
            "office.approve_due",
            &[("amount", &due.to_string()), ("detail", &detail.join("; "))],
        )
    } else {
        t.get("office.approve_free").to_owned()
    };
    let actions = allowed
        .iter()
        .filter_map(|action| ClerkAction::ALL.into_iter().find(|c| c.action() == *action))
        .map(|action| {
            let key = action.key();
            let kept_here = kept.action == key;
            ActionView {
                key,
                label: t.get(&format!("office.action.{key}")).to_owned(),
                href: format!("{base}/azioni/{key}"),
                text: action.takes_text(),
                text_required: action.needs_text(),
                text_value: if kept_here {
                    kept.text.clone()
                } else {
                    String::new()
                },
                rebuttal: action == ClerkAction::Reject && pratica.pratica.observations_filed(),
                rebuttal_value: if kept_here {
                    kept.rebuttal.clone()
                } else {
                    String::new()
                },
                note: (action == ClerkAction::Approve).then(|| approval_note.clone()),
            }
        })
        .collect();
    let assign = if allowed.contains(&Action::Assign) {
        let mut clerks = office_clerks(&scope, &pratica.office).await?;
        if !clerks.iter().any(|(id, _)| *id == user.user.id) {
            clerks.insert(0, (user.user.id, t.get("office.me").to_owned()));
        }
        Some(AssignView {
            href: format!("{base}/azioni/assign"),
            clerks: clerks
                .into_iter()
                .map(|(id, name)| {
                    let current = pratica.pratica.assignee() == Some(id);
                    (id.to_string(), name, current)
                })
                .collect(),
        })
    } else {
        None
    };
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
    let mut people = People::new(ctx.state.store().scoped(ctx.tenant.id));
    let history = history(&mut people, &events, &base, lang).await?;
    let assignee = match pratica.pratica.assignee() {
        Some(id) => Some(people.name(id).await?),
        None => None,
    };
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
        assignee,
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
        payments: crate::payments::office_payments(ctx, pratica.id).await?,
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
        history,
        actions,
        assign,
        permit_pdf: pratica
            .permit_code
            .as_ref()
            .map(|_| format!("{base}/permesso.pdf")),
        error,
        notifications: crate::notifications::pratica_notifications(ctx, pratica.id, resent).await?,
    })
}

/// The whole history, oldest first, with who acted and from which address.
async fn history(
    people: &mut People<'_>,
    events: &[StoredEvent],
    base: &str,
    lang: sportello_domain::Lang,
) -> Result<Vec<HistoryEntry>, WebError> {
    let letters = decisions::letters(events);
    let mut entries = Vec::with_capacity(events.len());
    for e in events {
        entries.push(HistoryEntry {
            when: local_time(e.event.at),
            title: e.event.kind.title(lang).to_owned(),
            text: event_text(&e.event.kind, lang)
                .map(|t| t.lines().map(str::to_owned).collect())
                .unwrap_or_default(),
            who: people.actor(&e.actor, lang).await?,
            source: e.source.clone(),
            letter: letters
                .contains(&e.seq)
                .then(|| format!("{base}/lettere/{}", e.seq)),
        });
    }
    Ok(entries)
}

/// `GET /ufficio/pratiche/{id}/pagamenti/{position}/avviso.pdf`: the payment notice, to print
/// for a citizen at the counter.
pub(crate) async fn notice_pdf(
    ctx: TenantContext,
    Path((_, id, position)): Path<(String, Uuid, Uuid)>,
) -> Result<Response, WebError> {
    let (_, offices) = clerk(&ctx).await?;
    office_pratica(&ctx, &offices, id).await?;
    let stored = ctx
        .state
        .store()
        .scoped(ctx.tenant.id)
        .position(position)
        .await?
        .filter(|p| p.pratica == Some(id))
        .ok_or(WebError::NotFound)?;
    crate::payments::notice_response(&ctx.tenant, &stored)
}

#[derive(Deserialize, Default)]
pub(crate) struct DetailQuery {
    /// Back from sending a message again.
    #[serde(default)]
    reinviata: String,
}

/// `GET /ufficio/pratiche/{id}`.
pub(crate) async fn detail(
    ctx: TenantContext,
    Path((_, id)): Path<(String, Uuid)>,
    Query(query): Query<DetailQuery>,
) -> Result<Response, WebError> {
    if ctx.user.is_none() {
        return needs_login(&ctx, "office.title");
    }
    let (user, offices) = clerk(&ctx).await?;
    let pratica = office_pratica(&ctx, &offices, id).await?;
    let resent = !query.reinviata.is_empty();
    let page = detail_page(&ctx, user, &pratica, None, &Kept::default(), resent).await?;
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
    /// For `assign`: the clerk's user id.
    #[serde(default)]
    assignee: String,
}

/// `POST /ufficio/pratiche/{id}/azioni/{action}`: one step of the office, on the pratica as
/// the clerk saw it (`version`). A refusal shows the page again, with what was written.
pub(crate) async fn act(
    ctx: TenantContext,
    headers: HeaderMap,
    Path((_, id, action)): Path<(String, Uuid, String)>,
    Form(form): Form<ActionForm>,
) -> Result<Response, WebError> {
    let (user, offices) = clerk(&ctx).await?;
    let pratica = office_pratica(&ctx, &offices, id).await?;
    let actor = user.actor(client(&headers));
    let outcome = if action == "assign" {
        let scope = ctx.state.store().scoped(ctx.tenant.id);
        let assignee = form
            .assignee
            .parse::<Uuid>()
            .ok()
            .map(UserId::from_uuid)
            .filter(|id| *id == user.user.id);
        let assignee = match assignee {
            Some(me) => Some(me),
            None => office_clerks(&scope, &pratica.office)
                .await?
                .into_iter()
                .map(|(id, _)| id)
                .find(|id| id.to_string() == form.assignee),
        };
        match assignee {
            Some(assignee) => {
                decisions::assign(
                    ctx.state.store(),
                    &ctx.tenant,
                    &pratica,
                    form.version,
                    assignee,
                    &actor,
                )
                .await?
            }
            None => Err(sportello_domain::text::LocalizedText {
                it: "Scegli un operatore dell'ufficio.".to_owned(),
                en: Some("Choose a clerk of the office.".to_owned()),
            }),
        }
    } else {
        let action = ClerkAction::from_key(&action).ok_or(WebError::NotFound)?;
        decisions::act(
            &ctx.state,
            ctx.state.documents()?,
            &ctx.tenant,
            &pratica,
            form.version,
            action,
            &ClerkInput {
                text: form.text.clone(),
                rebuttal: form.rebuttal.clone(),
            },
            user.user.id,
            &actor,
        )
        .await?
    };
    match outcome {
        Ok(_) => Ok(Redirect::to(&format!("{}/ufficio/pratiche/{id}", ctx.base)).into_response()),
        Err(message) => {
            // Shown on the pratica as it is now: a colleague's step may have changed it.
            let current = office_pratica(&ctx, &offices, id).await?;
            let kept = Kept {
                action,
                text: form.text,
                rebuttal: form.rebuttal,
            };
            let page = detail_page(
                &ctx,
                user,
                &current,
                Some(message.get(ctx.lang).to_owned()),
                &kept,
                false,
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
    }
}

/// `POST /ufficio/approva`: approves each selected pratica where the domain allows it, and
/// says, for each, what happened.
pub(crate) async fn bulk_approve(
    ctx: TenantContext,
    headers: HeaderMap,
    Form(posted): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let (user, offices) = clerk(&ctx).await?;
    let documents = ctx.state.documents()?;
    let t = crate::i18n::Translator::new(ctx.lang);
    let mut outcomes = Vec::new();
    for (_, value) in posted.iter().filter(|(k, _)| k == "pratica") {
        let Ok(id) = value.parse::<Uuid>() else {
            continue;
        };
        let pratica = match office_pratica(&ctx, &offices, id).await {
            Ok(pratica) => pratica,
            Err(WebError::Forbidden(_) | WebError::NotFound) => {
                outcomes.push(BulkOutcome {
                    protocol: id.to_string(),
                    href: String::new(),
                    done: false,
                    message: t.get("office.bulk_not_yours").to_owned(),
                });
                continue;
            }
            Err(error) => return Err(error),
        };
        let outcome = decisions::act(
            &ctx.state,
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
        let (done, message) = match outcome {
            Ok(stored) => (true, stored.state().label(ctx.lang).to_owned()),
            Err(reason) => (false, reason.get(ctx.lang).to_owned()),
        };
        outcomes.push(BulkOutcome {
            protocol: pratica.protocol.to_string(),
            href: format!("{}/ufficio/pratiche/{}", ctx.base, pratica.id),
            done,
            message,
        });
    }
    let page = queue_page(&ctx, user, &offices, QueueQuery::default(), outcomes).await?;
    Ok(render(&page)?.into_response())
}

/// `GET /ufficio/pratiche/{id}/lettere/{seq}`: the letter an event sent (documents request,
/// 10-bis notice, refusal), as PDF.
pub(crate) async fn letter_pdf(
    ctx: TenantContext,
    Path((_, id, seq)): Path<(String, Uuid, u64)>,
) -> Result<Response, WebError> {
    if ctx.user.is_none() {
        return needs_login(&ctx, "office.title");
    }
    let (_, offices) = clerk(&ctx).await?;
    let pratica = office_pratica(&ctx, &offices, id).await?;
    letter_response(&ctx, &pratica, seq).await
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
    let scope = ctx.state.store().scoped(ctx.tenant.id);
    let pratica = scope.pratica(id).await?.ok_or(WebError::NotFound)?;
    let vault = &ctx.state.documents()?.vault;
    let id = AttachmentId::from_uuid(attachment);
    let meta = scope
        .attachment(id)
        .await?
        .filter(|a| matches!(a.owner, sportello_store::attachments::AttachmentOwner::Pratica(p) if p == pratica.id))
        .ok_or(WebError::NotFound)?;
    let ours = offices.contains(&pratica.office);
    if !ours && !meta.sensitive {
        return Err(WebError::Forbidden("the pratica belongs to another office"));
    }
    let content = if meta.sensitive {
        // Asked by a clerk of another office too, so that the store records the refusal:
        // who tried to read health data matters as much as who read it.
        let office = if ours {
            pratica.office.as_str()
        } else {
            offices.first().map_or("", String::as_str)
        };
        scope
            .read_sensitive_attachment(vault, id, user.user.id, office, &client(&headers))
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
    if ctx.user.is_none() {
        return needs_login(&ctx, "office.title");
    }
    let (_, offices) = clerk(&ctx).await?;
    let pratica = office_pratica(&ctx, &offices, id).await?;
    permit_response(&ctx, &pratica).await
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

/// The comune's services requested online, as options (slug, title, whether `selected`).
async fn online_services(
    ctx: &TenantContext,
    selected: &str,
) -> Result<Vec<(String, String, bool)>, WebError> {
    Ok(ctx
        .state
        .store()
        .scoped(ctx.tenant.id)
        .services()
        .await?
        .into_iter()
        .filter(|s| s.procedure.is_some())
        .map(|s| {
            (
                s.slug.to_string(),
                s.title.get(ctx.lang).to_owned(),
                s.slug.as_str() == selected,
            )
        })
        .collect())
}

async fn counter_page(
    ctx: &TenantContext,
    form: &CounterForm,
    error: Option<String>,
) -> Result<CounterPage, WebError> {
    let t = crate::i18n::Translator::new(ctx.lang);
    let services = online_services(ctx, &form.service).await?;
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
    if ctx.user.is_none() {
        return needs_login(&ctx, "office.title");
    }
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
    // Only a service filed online has a journey to continue at the counter.
    let service_ok = ctx
        .state
        .store()
        .scoped(ctx.tenant.id)
        .service(form.service.as_str())
        .await?
        .is_some_and(|s| s.procedure.is_some());
    let (Ok(fiscal_code), true) = (fiscal_code, names_ok && service_ok) else {
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

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn csv_cells_are_quoted_and_never_formulas() {
        for (value, expected) in [
            ("Rossi", "Rossi"),
            ("Via Roma; 3", "\"Via Roma; 3\""),
            ("Il \"Bar\"", "\"Il \"\"Bar\"\"\""),
            ("due\nrighe", "\"due\nrighe\""),
            ("=SOMMA(A1)", "'=SOMMA(A1)"),
            ("-3", "-3"),
            ("-3+A1", "'-3+A1"),
            ("@cmd", "'@cmd"),
            ("+39 06", "'+39 06"),
            ("=A;B", "\"'=A;B\""),
            ("", ""),
        ] {
            assert_eq!(cell(value), expected, "{value:?}");
        }
    }
}
