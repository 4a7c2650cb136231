//! Unsubscribing from e-mail with one click (RFC 8058): every e-mail carries
//! `List-Unsubscribe: <…/notifiche/{id}/disiscrizione>` and `List-Unsubscribe-Post`, so the
//! mail client's "unsubscribe" button POSTs there and the citizen stops receiving e-mail on that
//! message's topic. The notification's id is the credential: random, known only to whoever
//! received the message, and all it can do is turn e-mail off. A GET only shows a button, since
//! mail scanners open links.

use crate::WebError;
use crate::auth::{MessagePage, message_page};
use crate::i18n::Translator;
use crate::pages::layout::Layout;
use crate::tenant::TenantContext;
use askama::Template;
use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use sportello_domain::Channel;
use sportello_store::Actor;
use sportello_store::notifications::Notification;
use uuid::Uuid;

#[derive(Template)]
#[template(path = "unsubscribe.html")]
struct UnsubscribePage {
    layout: Layout,
    topic: String,
    action: String,
}

fn topic_label(notification: &Notification, t: Translator) -> String {
    t.get(&format!(
        "notifications.topic.{}",
        notification.topic.code()
    ))
    .to_owned()
}

async fn find(ctx: &TenantContext, id: &str) -> Result<Option<Notification>, WebError> {
    let Ok(id) = id.parse::<Uuid>() else {
        return Ok(None);
    };
    Ok(ctx
        .state
        .store()
        .scoped(ctx.tenant.id)
        .notification(id)
        .await?)
}

fn not_found(ctx: &TenantContext) -> Response {
    let mut response = message_page(MessagePage::error(
        ctx,
        "notifications.unsubscribe.unknown",
        None,
    ))
    .into_response();
    *response.status_mut() = axum::http::StatusCode::NOT_FOUND;
    response
}

/// `GET /{tenant}/notifiche/{id}/disiscrizione`: the button.
pub(crate) async fn confirm(
    ctx: TenantContext,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let Some(notification) = find(&ctx, &id).await? else {
        return Ok(not_found(&ctx));
    };
    let layout = Layout::titled(&ctx, "notifications.unsubscribe.title").without_rating();
    let page = UnsubscribePage {
        topic: topic_label(&notification, layout.t),
        action: format!("{}/notifiche/{}/disiscrizione", ctx.base, notification.id),
        layout,
    };
    Ok(crate::pages::render(&page)?.into_response())
}

/// `POST /{tenant}/notifiche/{id}/disiscrizione`: e-mail off for the message's topic. Mail
/// clients post `List-Unsubscribe=One-Click` and read only the status.
pub(crate) async fn unsubscribe(
    ctx: TenantContext,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let Some(notification) = find(&ctx, &id).await? else {
        return Ok(not_found(&ctx));
    };
    let scope = ctx.state.store().scoped(ctx.tenant.id);
    if let Some(user) = scope.user_by_fiscal_code(&notification.recipient).await? {
        let mut prefs = user.contact_preferences.clone();
        let topic = notification.topic.code();
        let channels: Vec<Channel> = prefs
            .channels_for(topic)
            .into_iter()
            .filter(|c| *c != Channel::Email)
            .collect();
        prefs.topics.insert(topic.to_owned(), channels);
        scope
            .update_contact_preferences(user.id, &prefs, &Actor::system())
            .await?;
    }
    let layout = Layout::titled(&ctx, "notifications.unsubscribe.title").without_rating();
    let message = layout.t.format(
        "notifications.unsubscribe.done",
        &[("topic", &topic_label(&notification, layout.t))],
    );
    Ok(message_page(MessagePage {
        message,
        layout,
        is_error: false,
        code: None,
        retry_href: Some(format!("{}/area-personale/profilo", ctx.base)),
    }))
}
