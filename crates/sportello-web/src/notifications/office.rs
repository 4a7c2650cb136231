//! The back office's view of notifications: what a pratica's citizen was told (on its page),
//! the comune-wide delivery dashboard with its filters, sending a message again, and the
//! preview of every message's wording for the comune's administrators.
//!
//! Who may resend follows who may see the pratica: a clerk of its deciding office, or an
//! administrator; a message about no pratica (a payment notice, a tax deadline) only an
//! administrator.

use super::{ChannelView, channel_label, channel_views, event_label};
use crate::WebError;
use crate::auth::{SessionUser, client};
use crate::i18n::Translator;
use crate::office::{clerk, needs_login, office_layout};
use crate::pages::layout::{Crumb, Layout};
use crate::pages::render;
use crate::requests::journey::local_time;
use crate::tenant::TenantContext;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sportello_domain::notification::{
    DeliveryStatus, Event, Facts, NotificationSettings, page_url, template,
};
use sportello_domain::{Cents, Channel, Lang, Role};
use sportello_store::notifications::{DeliveryFilter, Notification};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// Notifications listed on the dashboard.
const DASHBOARD_LIMIT: u32 = 100;
/// The dashboard's counts look this far back.
const COUNT_DAYS: i64 = 30;

/// A notification as the office sees it.
pub(crate) struct OfficeRow {
    pub when: String,
    pub event: String,
    pub subject: String,
    pub channels: Vec<ChannelView>,
    /// Where "send again" posts, when this clerk may.
    pub resend: Option<String>,
    /// Names the message for assistive technology: every row has the same button text.
    pub resend_label: String,
    /// This one is itself a resend of an earlier message.
    pub resent: bool,
    pub pratica_href: Option<String>,
}

fn office_row(ctx: &TenantContext, n: &Notification, may_resend: bool) -> OfficeRow {
    let t = Translator::new(ctx.lang);
    OfficeRow {
        when: local_time(n.created_at),
        event: event_label(n.event, ctx.lang),
        subject: n.subject.clone(),
        channels: channel_views(n, ctx.lang),
        resend: may_resend.then(|| format!("{}/ufficio/notifiche/{}/reinvia", ctx.base, n.id)),
        resend_label: t.format(
            "notifications.office.resend_label",
            &[("subject", &n.subject)],
        ),
        resent: n.resend_of.is_some(),
        pratica_href: n
            .pratica
            .map(|p| format!("{}/ufficio/pratiche/{p}", ctx.base)),
    }
}

/// The section "messages to the citizen" of a pratica's office page.
pub(crate) struct PraticaNotifications {
    pub rows: Vec<OfficeRow>,
    /// Just sent one again: say so.
    pub resent: bool,
}

/// What was sent about `pratica`, for a clerk who may already see it (and so resend it).
pub(crate) async fn pratica_notifications(
    ctx: &TenantContext,
    pratica: Uuid,
    resent: bool,
) -> Result<PraticaNotifications, WebError> {
    let notifications = ctx
        .state
        .store()
        .scoped(ctx.tenant.id)
        .notifications_for_pratica(pratica)
        .await?;
    Ok(PraticaNotifications {
        rows: notifications
            .iter()
            .map(|n| office_row(ctx, n, true))
            .collect(),
        resent,
    })
}

/// Decides, once per pratica, whether the user may resend its messages.
struct ResendRights<'a> {
    ctx: &'a TenantContext,
    admin: bool,
    offices: Vec<String>,
    known: HashMap<Uuid, bool>,
}

impl<'a> ResendRights<'a> {
    fn new(ctx: &'a TenantContext, user: &SessionUser, offices: Vec<String>) -> ResendRights<'a> {
        ResendRights {
            ctx,
            admin: user.roles.contains(&Role::TenantAdmin),
            offices,
            known: HashMap::new(),
        }
    }

    async fn allows(&mut self, n: &Notification) -> Result<bool, WebError> {
        if self.admin {
            return Ok(true);
        }
        let Some(pratica) = n.pratica else {
            return Ok(false);
        };
        if let Some(known) = self.known.get(&pratica) {
            return Ok(*known);
        }
        let ours = self
            .ctx
            .state
            .store()
            .scoped(self.ctx.tenant.id)
            .pratica(pratica)
            .await?
            .is_some_and(|p| self.offices.contains(&p.office));
        self.known.insert(pratica, ours);
        Ok(ours)
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct DashboardQuery {
    #[serde(default)]
    canale: String,
    #[serde(default)]
    stato: String,
    #[serde(default)]
    evento: String,
    #[serde(default)]
    reinviata: String,
}

/// One line of the counts: an event on a channel.
pub(crate) struct CountRow {
    pub event: String,
    pub channel: String,
    pub sent: i64,
    pub failed: i64,
    pub pending: i64,
    pub skipped: i64,
}

/// Which column of the counts a state falls in: delivered, failed, pending, skipped.
fn column(status: DeliveryStatus) -> usize {
    match status {
        DeliveryStatus::Delivered => 0,
        DeliveryStatus::Rejected
        | DeliveryStatus::Bounced
        | DeliveryStatus::Failed
        | DeliveryStatus::Uncertain => 1,
        DeliveryStatus::Pending | DeliveryStatus::Sending | DeliveryStatus::Accepted => 2,
        DeliveryStatus::Skipped => 3,
    }
}

/// A `<select>` option: value, label, selected.
type Choice = (String, String, bool);

#[derive(Template)]
#[template(path = "office_notifications.html")]
struct DashboardPage {
    layout: Layout,
    counts: Vec<CountRow>,
    rows: Vec<OfficeRow>,
    channels: Vec<Choice>,
    statuses: Vec<Choice>,
    events: Vec<Choice>,
    resent: bool,
    admin: bool,
}

/// `GET /{tenant}/ufficio/notifiche`: the last 30 days' counts and the latest messages.
pub(crate) async fn dashboard(
    ctx: TenantContext,
    Query(query): Query<DashboardQuery>,
) -> Result<Response, WebError> {
    if ctx.user.is_none() {
        return needs_login(&ctx, "notifications.office.title");
    }
    let (user, offices) = clerk(&ctx).await?;
    let lang = ctx.lang;
    let t = Translator::new(lang);
    let filter = DeliveryFilter {
        channel: Channel::parse(&query.canale),
        status: DeliveryStatus::parse(&query.stato),
        event: Event::parse(&query.evento),
    };
    let scope = ctx.state.store().scoped(ctx.tenant.id);
    let since = jiff::Timestamp::now()
        .checked_sub(jiff::SignedDuration::from_hours(24 * COUNT_DAYS))
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let mut grouped: BTreeMap<(Event, Channel), [i64; 4]> = BTreeMap::new();
    for count in scope.delivery_counts(since).await? {
        grouped.entry((count.event, count.channel)).or_default()[column(count.status)] +=
            count.count;
    }
    let counts = grouped
        .into_iter()
        .map(
            |((event, channel), [sent, failed, pending, skipped])| CountRow {
                event: event_label(event, lang),
                channel: channel_label(channel, t).to_owned(),
                sent,
                failed,
                pending,
                skipped,
            },
        )
        .collect();
    let notifications = scope.recent_notifications(filter, DASHBOARD_LIMIT).await?;
    let mut rights = ResendRights::new(&ctx, user, offices);
    let mut rows = Vec::with_capacity(notifications.len());
    for n in &notifications {
        let may = rights.allows(n).await?;
        rows.push(office_row(&ctx, n, may));
    }
    let title = t.get("notifications.office.title").to_owned();
    let page = DashboardPage {
        layout: office_layout(
            &ctx,
            title.clone(),
            vec![Crumb {
                label: title,
                href: None,
            }],
        ),
        counts,
        rows,
        channels: [Channel::Io, Channel::Email]
            .into_iter()
            .map(|c| {
                let code = c.code();
                (
                    code.to_owned(),
                    channel_label(c, t).to_owned(),
                    query.canale == code,
                )
            })
            .collect(),
        statuses: DeliveryStatus::ALL
            .into_iter()
            // Two states read the same to people ("in progress"): one option says both.
            .filter(|s| *s != DeliveryStatus::Sending)
            .map(|s| {
                (
                    s.code().to_owned(),
                    super::status_label(s, lang),
                    query.stato == s.code(),
                )
            })
            .collect(),
        events: Event::ALL
            .into_iter()
            .map(|e| {
                (
                    e.code().to_owned(),
                    event_label(e, lang),
                    query.evento == e.code(),
                )
            })
            .collect(),
        resent: !query.reinviata.is_empty(),
        admin: user.roles.contains(&Role::TenantAdmin),
    };
    Ok(render(&page)?.into_response())
}

#[derive(Deserialize, Default)]
pub(crate) struct ResendForm {
    /// `pratica` to go back to the pratica's page, anything else to the dashboard.
    #[serde(default)]
    ritorno: String,
}

/// `POST /{tenant}/ufficio/notifiche/{id}/reinvia`: the same message again, as a new
/// notification (audited by the store), then back where the clerk was.
pub(crate) async fn resend(
    ctx: TenantContext,
    headers: HeaderMap,
    Path((_, id)): Path<(String, Uuid)>,
    Form(form): Form<ResendForm>,
) -> Result<Response, WebError> {
    let (user, offices) = clerk(&ctx).await?;
    let scope = ctx.state.store().scoped(ctx.tenant.id);
    let notification = scope.notification(id).await?.ok_or(WebError::NotFound)?;
    let mut rights = ResendRights::new(&ctx, user, offices);
    if !rights.allows(&notification).await? {
        return Err(WebError::Forbidden("a message of another office"));
    }
    scope
        .resend_notification(id, &user.actor(client(&headers)))
        .await?
        .ok_or(WebError::NotFound)?;
    let target = match (form.ritorno.as_str(), notification.pratica) {
        ("pratica", Some(pratica)) => format!(
            "{}/ufficio/pratiche/{pratica}?reinviata=1#comunicazioni",
            ctx.base
        ),
        _ => format!("{}/ufficio/notifiche?reinviata=1", ctx.base),
    };
    let mut response = Redirect::to(&target).into_response();
    *response.status_mut() = StatusCode::SEE_OTHER;
    Ok(response)
}

/// One event in one language as it reads today.
pub(crate) struct Preview {
    pub lang_name: &'static str,
    /// Set when the preview's language is not the page's.
    pub lang_attr: Option<&'static str>,
    pub source: String,
    pub subject: String,
    /// `to_html` of the body: escaped except for its own markup.
    pub body: String,
    pub error: Option<String>,
}

pub(crate) struct EventPreviews {
    pub id: &'static str,
    pub title: String,
    pub previews: Vec<Preview>,
}

#[derive(Template)]
#[template(path = "office_templates.html")]
struct TemplatesPage {
    layout: Layout,
    events: Vec<EventPreviews>,
}

/// Values that show every placeholder: the comune's own name and address, a sample of the
/// rest.
fn sample_facts(ctx: &TenantContext, lang: Lang, today: jiff::civil::Date) -> Facts {
    let t = Translator::new(lang);
    Facts {
        comune: ctx.tenant.profile.name.clone(),
        link: page_url(
            ctx.state.0.config.public_url.as_deref(),
            &ctx.tenant,
            "/area-personale/",
        ),
        service: Some(t.get("notifications.templates.sample_service").to_owned()),
        reference: Some(format!("{}/0000123", today.year())),
        date: today.checked_add(jiff::Span::new().days(30)).ok(),
        amount: Some(Cents::new(1_650)),
        notice: Some("3012 0260 0000 0042 28".to_owned()),
        description: Some(
            t.get("notifications.templates.sample_description")
                .to_owned(),
        ),
    }
}

fn preview(
    ctx: &TenantContext,
    settings: &NotificationSettings,
    event: Event,
    lang: Lang,
    today: jiff::civil::Date,
) -> Preview {
    let t = Translator::new(ctx.lang);
    let facts = sample_facts(ctx, lang, today);
    let custom = settings.template(event, lang, today);
    let composed = template::compose(settings, event, lang, &facts, today);
    let source = match (custom, &composed) {
        (Some(version), Ok(c)) if c.template_version == version.version => t.format(
            "notifications.templates.custom",
            &[
                ("version", &version.version.to_string()),
                ("from", &template::format_date(version.valid_from, ctx.lang)),
            ],
        ),
        (Some(version), _) => t.format(
            "notifications.templates.custom_failed",
            &[("version", &version.version.to_string())],
        ),
        (None, _) => t.get("notifications.templates.default").to_owned(),
    };
    let (subject, body, error) = match composed {
        Ok(c) => (c.subject, super::message_html(&c.markdown), None),
        Err(error) => (String::new(), String::new(), Some(error.to_string())),
    };
    Preview {
        lang_name: lang.native_name(),
        lang_attr: (lang != ctx.lang).then(|| lang.code()),
        source,
        subject,
        body,
        error,
    }
}

/// `GET /{tenant}/ufficio/notifiche/modelli`: every message in both languages as `compose`
/// writes it today, for the comune's administrators.
pub(crate) async fn templates(ctx: TenantContext) -> Result<Response, WebError> {
    let Some(user) = ctx.user.as_ref() else {
        return needs_login(&ctx, "notifications.office.title");
    };
    if !user.roles.contains(&Role::TenantAdmin) {
        return Err(WebError::Forbidden("only the comune's administrators"));
    }
    let t = Translator::new(ctx.lang);
    let today = sportello_domain::calendar::local_date(jiff::Timestamp::now());
    let settings = &ctx.tenant.profile.notifications;
    let events = Event::ALL
        .into_iter()
        .map(|event| EventPreviews {
            id: event.code(),
            title: event_label(event, ctx.lang),
            previews: Lang::ALL
                .into_iter()
                .map(|lang| preview(&ctx, settings, event, lang, today))
                .collect(),
        })
        .collect();
    let title = t.get("notifications.templates.title").to_owned();
    let page = TemplatesPage {
        layout: office_layout(
            &ctx,
            title.clone(),
            vec![
                Crumb {
                    label: t.get("notifications.office.title").to_owned(),
                    href: Some(format!("{}/ufficio/notifiche", ctx.base)),
                },
                Crumb {
                    label: title,
                    href: None,
                },
            ],
        ),
        events,
    };
    Ok(render(&page)?.into_response())
}

#[cfg(test)]
mod tests {
    use super::super::badge;
    use super::*;

    #[test]
    fn every_state_falls_in_one_column() {
        let columns: Vec<usize> = DeliveryStatus::ALL.into_iter().map(column).collect();
        assert_eq!(columns, [2, 2, 2, 0, 1, 1, 1, 3, 1]);
        assert_eq!(badge(DeliveryStatus::Delivered), "bg-success");
    }
}
