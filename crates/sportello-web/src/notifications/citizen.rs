//! The citizen's messages: every notification addressed to their codice fiscale, newest
//! first, with how far it got on each channel; one message as it was sent; the same as JSON.

use super::{CITIZEN_LIMIT, ChannelView, channel_views, event_label, message_html};
use crate::api::{ApiContext, ApiError};
use crate::i18n::Translator;
use crate::pages::layout::{Crumb, Layout};
use crate::pages::render;
use crate::requests::journey::local_time;
use crate::tenant::TenantContext;
use crate::{WebError, auth};
use askama::Template;
use axum::Json;
use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use sportello_domain::Lang;
use sportello_store::notifications::Notification;
use uuid::Uuid;

pub(crate) struct Row {
    pub href: String,
    pub date: String,
    pub subject: String,
    pub channels: Vec<ChannelView>,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<Row>,
}

fn detail_href(base: &str, id: Uuid) -> String {
    format!("{base}/area-personale/notifiche/{id}")
}

/// `GET /{tenant}/area-personale/notifiche`.
pub(crate) async fn list(ctx: TenantContext) -> Result<Response, WebError> {
    let Some(user) = ctx.user.as_ref() else {
        return auth::personal_page_needs_login(&ctx, "notifications.title");
    };
    let notifications = ctx
        .state
        .store()
        .scoped(ctx.tenant.id)
        .notifications_for_recipient(user.fiscal_code(), CITIZEN_LIMIT)
        .await?;
    let t = Translator::new(ctx.lang);
    let title = t.get("notifications.title").to_owned();
    let layout = Layout::new(
        &ctx,
        title.clone(),
        title.clone(),
        vec![
            Crumb::personal_area(&ctx),
            Crumb {
                label: title,
                href: None,
            },
        ],
    )
    .without_rating();
    let rows = rows(&ctx, &notifications);
    Ok(render(&ListPage { layout, rows })?.into_response())
}

/// The citizen's messages as listed, in their list and on the personal area's desk.
pub(crate) fn rows(ctx: &TenantContext, notifications: &[Notification]) -> Vec<Row> {
    notifications
        .iter()
        .map(|n| Row {
            href: detail_href(&ctx.base, n.id),
            date: local_time(n.created_at),
            subject: n.subject.clone(),
            channels: channel_views(n, ctx.lang),
        })
        .collect()
}

/// The notification if it is addressed to the signed-in citizen; another's is "not found",
/// so its existence is not revealed either.
async fn own(ctx: &TenantContext, id: Uuid) -> Result<Notification, WebError> {
    let user = crate::requests::signed_in(ctx)?;
    ctx.state
        .store()
        .scoped(ctx.tenant.id)
        .notification(id)
        .await?
        .filter(|n| &n.recipient == user.fiscal_code())
        .ok_or(WebError::NotFound)
}

#[derive(Template)]
#[template(path = "notification.html")]
struct DetailPage {
    layout: Layout,
    date: String,
    event: String,
    subject: String,
    /// Rendered by `to_html`, which escapes everything it does not produce itself.
    body: String,
    /// The message's own language, when it differs from the page's.
    body_lang: Option<&'static str>,
    channels: Vec<ChannelView>,
    pratica_href: Option<String>,
}

/// `GET /{tenant}/area-personale/notifiche/{id}`.
pub(crate) async fn show(
    ctx: TenantContext,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<Response, WebError> {
    if ctx.user.is_none() {
        return auth::personal_page_needs_login(&ctx, "notifications.title");
    }
    let notification = own(&ctx, id).await?;
    let t = Translator::new(ctx.lang);
    let date = local_time(notification.created_at);
    let title = t.format("notifications.detail_title", &[("date", &date)]);
    let layout = Layout::new(
        &ctx,
        title.clone(),
        title.clone(),
        vec![
            Crumb::personal_area(&ctx),
            Crumb {
                label: t.get("notifications.title").to_owned(),
                href: Some(format!("{}/area-personale/notifiche", ctx.base)),
            },
            Crumb {
                label: title,
                href: None,
            },
        ],
    )
    .without_rating();
    let page = DetailPage {
        layout,
        date,
        event: event_label(notification.event, ctx.lang),
        subject: notification.subject.clone(),
        body: message_html(&notification.markdown),
        body_lang: (notification.lang != ctx.lang).then(|| notification.lang.code()),
        channels: channel_views(&notification, ctx.lang),
        pratica_href: notification
            .pratica
            .map(|p| format!("{}/area-personale/pratiche/{p}", ctx.base)),
    };
    Ok(render(&page)?.into_response())
}

/// A notification as the API gives it.
pub(crate) fn notification_json(base: &str, n: &Notification, lang: Lang) -> Value {
    let views = channel_views(n, lang);
    let channels: Vec<Value> = [
        sportello_domain::Channel::Io,
        sportello_domain::Channel::Email,
    ]
    .into_iter()
    .zip(views)
    .map(|(channel, view)| {
        let delivery = n.delivery(channel);
        json!({
            "channel": channel.code(),
            "status": delivery.map_or("pending", |d| d.status.code()),
            "label": view.status,
            "description": view.sentence,
            "reason": delivery.and_then(|d| d.reason.as_deref()
                .and_then(sportello_domain::notification::SkipReason::parse)
                .map(|r| r.code())),
            "updated_at": delivery.map_or(n.created_at, |d| d.updated_at).to_string(),
            "delivered_at": delivery.and_then(|d| d.delivered_at).map(|t| t.to_string()),
        })
    })
    .collect();
    json!({
        "id": n.id,
        "event": n.event.code(),
        "topic": n.topic.code(),
        "lang": n.lang.code(),
        "subject": n.subject,
        "markdown": n.markdown,
        "created_at": n.created_at.to_string(),
        "pratica": n.pratica,
        "due_date": n.due_date.map(|d| d.to_string()),
        "channels": channels,
        "url": detail_href(base, n.id),
    })
}

/// `GET /{tenant}/api/v1/me/notifications`: the signed-in person's messages, newest first.
pub(crate) async fn api_list(api: ApiContext) -> Result<Response, ApiError> {
    let user = api.user()?;
    let ctx = &api.0;
    let notifications = ctx
        .state
        .store()
        .scoped(ctx.tenant.id)
        .notifications_for_recipient(user.fiscal_code(), CITIZEN_LIMIT)
        .await
        .map_err(|e| api.fail(e))?;
    let list: Vec<Value> = notifications
        .iter()
        .map(|n| notification_json(&ctx.base, n, ctx.lang))
        .collect();
    Ok(Json(list).into_response())
}
