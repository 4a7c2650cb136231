//! Notifications as people see them: the citizen's messages in the personal area (and as
//! JSON), the e-mail verification link, and the back office's view of what reached citizens
//! (per pratica, a comune-wide dashboard with the resend action, the preview of the wording).
//! Creating notifications is the workflow's (`crate::workflow::notify`); delivering them is the
//! sender's, outside this crate.

pub(crate) mod citizen;
mod office;
pub(crate) mod preferences;
mod unsubscribe;

use crate::AppState;
use crate::i18n::Translator;
use crate::requests::journey::local_time;
use axum::Router;
use axum::routing::{get, post};
use sportello_domain::notification::{DeliveryStatus, Event, SkipReason};
use sportello_domain::{Channel, Lang};
use sportello_store::notifications::{Delivery, Notification};

pub(crate) use citizen::api_list;
pub(crate) use office::{PraticaNotifications, pratica_notifications};

/// The most messages a citizen's page lists: years of a busy citizen's messages.
const CITIZEN_LIMIT: u32 = 500;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/area-personale/notifiche", get(citizen::list))
        .route(
            "/area-personale/notifiche/{notification}",
            get(citizen::show),
        )
        .route(
            "/area-personale/verifica-email",
            get(preferences::verify_email),
        )
        .route(
            "/notifiche/{notification}/disiscrizione",
            get(unsubscribe::confirm).post(unsubscribe::unsubscribe),
        )
        .route("/ufficio/notifiche", get(office::dashboard))
        .route("/ufficio/notifiche/modelli", get(office::templates))
        .route(
            "/ufficio/notifiche/{notification}/reinvia",
            post(office::resend),
        )
}

/// One channel of a notification, in words.
pub(crate) struct ChannelView {
    pub channel: String,
    /// Bootstrap Italia classes of the status badge.
    pub badge: &'static str,
    pub status: String,
    /// Why, or what it means, as a sentence.
    pub sentence: String,
    /// The service's own answer when it is not one of Sportello's reasons: for the office.
    pub detail: Option<String>,
    pub updated: String,
    pub delivered: Option<String>,
}

pub(crate) fn channel_label(channel: Channel, t: Translator) -> &'static str {
    match channel {
        Channel::Io => t.get("notifications.channel.io"),
        Channel::Email => t.get("notifications.channel.email"),
    }
}

pub(crate) fn event_label(event: Event, lang: Lang) -> String {
    Translator::new(lang)
        .get(&format!("notifications.event.{}", event.code()))
        .to_owned()
}

pub(crate) fn status_label(status: DeliveryStatus, lang: Lang) -> String {
    Translator::new(lang)
        .get(&format!("notifications.status.{}", status.code()))
        .to_owned()
}

/// The sentence that explains a channel's state: the skip reason when there is one, else
/// what the state means on that channel.
fn sentence(delivery: &Delivery, lang: Lang) -> (String, Option<String>) {
    let t = Translator::new(lang);
    let reason = delivery.reason.as_deref().and_then(SkipReason::parse);
    let key = match (delivery.status, reason) {
        (DeliveryStatus::Skipped | DeliveryStatus::Rejected, Some(reason)) => {
            format!("notifications.reason.{}", reason.code())
        }
        (DeliveryStatus::Delivered, _) => match delivery.channel {
            Channel::Io => "notifications.sentence.delivered_io".to_owned(),
            Channel::Email => "notifications.sentence.delivered_email".to_owned(),
        },
        (DeliveryStatus::Accepted, _) => "notifications.sentence.accepted".to_owned(),
        (DeliveryStatus::Pending | DeliveryStatus::Sending, _) => {
            "notifications.sentence.in_progress".to_owned()
        }
        (DeliveryStatus::Rejected, None) => "notifications.sentence.rejected".to_owned(),
        (DeliveryStatus::Bounced, _) => "notifications.sentence.bounced".to_owned(),
        (DeliveryStatus::Failed, _) => "notifications.sentence.failed".to_owned(),
        (DeliveryStatus::Uncertain, _) => "notifications.sentence.uncertain".to_owned(),
        (DeliveryStatus::Skipped, None) => "notifications.sentence.skipped".to_owned(),
    };
    // A reason Sportello does not know is the service's answer (an error code, a bounce):
    // useful to the office, noise to the citizen.
    let detail = match (reason, &delivery.reason) {
        (None, Some(raw)) if !raw.trim().is_empty() => Some(raw.chars().take(300).collect()),
        _ => None,
    };
    (t.get(&key).to_owned(), detail)
}

pub(crate) fn badge(status: DeliveryStatus) -> &'static str {
    match status {
        DeliveryStatus::Delivered => "bg-success",
        DeliveryStatus::Accepted => "bg-primary",
        DeliveryStatus::Pending | DeliveryStatus::Sending => "bg-secondary",
        DeliveryStatus::Skipped => "bg-light text-dark border",
        DeliveryStatus::Uncertain => "bg-warning text-dark",
        DeliveryStatus::Rejected | DeliveryStatus::Bounced | DeliveryStatus::Failed => "bg-danger",
    }
}

pub(crate) fn channel_view(delivery: &Delivery, lang: Lang) -> ChannelView {
    let t = Translator::new(lang);
    let (sentence, detail) = sentence(delivery, lang);
    ChannelView {
        channel: channel_label(delivery.channel, t).to_owned(),
        badge: badge(delivery.status),
        status: status_label(delivery.status, lang),
        sentence,
        detail,
        updated: local_time(delivery.updated_at),
        delivered: delivery.delivered_at.map(local_time),
    }
}

/// The channels of a notification, App IO first, always both (a delivery row missing for a
/// channel reads as "in progress": it is being created).
pub(crate) fn channel_views(notification: &Notification, lang: Lang) -> Vec<ChannelView> {
    [Channel::Io, Channel::Email]
        .into_iter()
        .map(|channel| match notification.delivery(channel) {
            Some(delivery) => channel_view(delivery, lang),
            None => channel_view(
                &Delivery {
                    channel,
                    status: DeliveryStatus::Pending,
                    reason: None,
                    address: None,
                    external_id: None,
                    attempts: 0,
                    updated_at: notification.created_at,
                    delivered_at: None,
                },
                lang,
            ),
        })
        .collect()
}

/// The message's HTML for a page: headings a comune's wording may use become bold paragraphs,
/// so the page's own heading outline stays intact (WCAG 1.3.1). `to_html` escapes everything
/// else.
pub(crate) fn message_html(markdown: &str) -> String {
    let mut html = sportello_domain::notification::to_html(markdown);
    for level in 1..=6 {
        html = html
            .replace(&format!("<h{level}>"), "<p><strong>")
            .replace(&format!("</h{level}>"), "</strong></p>");
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_of_a_message_do_not_break_the_page_outline() {
        let html = message_html("# Titolo\n\nTesto <b>grassetto</b>");
        assert!(html.contains("<p><strong>Titolo</strong></p>"), "{html}");
        assert!(html.contains("&lt;b&gt;"), "{html}");
        assert!(!html.contains("<h1>"));
    }

    #[test]
    fn every_reason_and_status_has_words_in_both_languages() {
        for lang in Lang::ALL {
            let t = Translator::new(lang);
            for reason in SkipReason::ALL {
                let key = format!("notifications.reason.{}", reason.code());
                assert_ne!(t.get(&key), key.as_str());
            }
            for status in DeliveryStatus::ALL {
                let key = format!("notifications.status.{}", status.code());
                assert_ne!(t.get(&key), key.as_str());
            }
            for event in Event::ALL {
                let key = format!("notifications.event.{}", event.code());
                assert_ne!(t.get(&key), key.as_str());
            }
        }
    }
}
