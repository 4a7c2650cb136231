//! The citizen's choices about messages, on the profile page: for each topic, App IO and/or
//! e-mail; the language of messages; the e-mail address, used only once the citizen proved to
//! read it by opening a link sent there. And the page that link opens.
//!
//! The link is made and mailed by the sender, from the outbox message
//! [`EMAIL_VERIFY`] enqueued with the save, in its transaction: the page never holds the
//! token.

use crate::WebError;
use crate::auth::{MessagePage, client, message_page};
use crate::i18n::Translator;
use crate::pages::layout::Layout;
use crate::tenant::TenantContext;
use axum::extract::Query;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sportello_domain::notification::Topic;
use sportello_domain::{Channel, ContactPreferences, Lang, TenantId, UserId};
use sportello_store::outbox::NewMessage;
use sportello_store::{Actor, EmailToken};
use std::collections::BTreeMap;

use sportello_store::notifications::EMAIL_VERIFY;
/// Attempts at mailing the link: a relay down for a few hours still gets it out.
const VERIFY_ATTEMPTS: u32 = 12;

/// One topic's row of check boxes.
pub(crate) struct TopicChoice {
    pub code: &'static str,
    pub label: String,
    pub io: bool,
    pub email: bool,
}

/// Where the address stands, shown next to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EmailState {
    /// No address, or a refused one being corrected.
    None,
    Verified,
    Unverified,
    /// Just saved: a link is on its way.
    LinkSent,
}

/// What the preferences form holds, as entered.
pub(crate) struct PreferencesForm {
    pub topics: Vec<TopicChoice>,
    /// (code, native name, selected).
    pub languages: Vec<(&'static str, &'static str, bool)>,
    pub contact_email: String,
    pub email_state: EmailState,
    pub email_error: Option<&'static str>,
    pub channel_error: Option<&'static str>,
}

impl PreferencesForm {
    pub(crate) fn state_text(&self, t: Translator) -> Option<String> {
        match self.email_state {
            EmailState::None => None,
            EmailState::Verified => Some(t.get("notifications.preferences.verified").to_owned()),
            EmailState::Unverified => {
                Some(t.get("notifications.preferences.unverified").to_owned())
            }
            EmailState::LinkSent => Some(t.format(
                "notifications.preferences.sent",
                &[("address", &self.contact_email)],
            )),
        }
    }

    pub(crate) fn verified(&self) -> bool {
        self.email_state == EmailState::Verified
    }
}

fn topic_label(topic: Topic, t: Translator) -> String {
    t.get(&format!("notifications.topic.{}", topic.code()))
        .to_owned()
}

fn languages(selected: Lang) -> Vec<(&'static str, &'static str, bool)> {
    Lang::ALL
        .into_iter()
        .map(|l| (l.code(), l.native_name(), l == selected))
        .collect()
}

fn email_state(prefs: &ContactPreferences, just_saved: bool) -> EmailState {
    match (&prefs.email_address, prefs.verified_email()) {
        (None, _) => EmailState::None,
        (Some(_), Some(_)) => EmailState::Verified,
        (Some(_), None) if just_saved => EmailState::LinkSent,
        (Some(_), None) => EmailState::Unverified,
    }
}

/// The form showing the stored preferences.
pub(crate) fn stored_form(
    prefs: &ContactPreferences,
    lang: Lang,
    just_saved: bool,
) -> PreferencesForm {
    let t = Translator::new(lang);
    PreferencesForm {
        topics: Topic::ALL
            .into_iter()
            .map(|topic| TopicChoice {
                code: topic.code(),
                label: topic_label(topic, t),
                io: prefs.wants(topic.code(), Channel::Io),
                email: prefs.wants(topic.code(), Channel::Email),
            })
            .collect(),
        languages: languages(prefs.language.unwrap_or(Lang::It)),
        contact_email: prefs.email_address.clone().unwrap_or_default(),
        email_state: email_state(prefs, just_saved),
        email_error: None,
        channel_error: None,
    }
}

/// Reads the posted form (`<topic>_io`, `<topic>_email`, `language`, `contact_email`) against
/// the stored preferences: the new preferences, or the form as entered with each problem next
/// to its field.
pub(crate) fn read_form(
    posted: &[(String, String)],
    current: &ContactPreferences,
    lang: Lang,
) -> Result<ContactPreferences, PreferencesForm> {
    let t = Translator::new(lang);
    let ticked = |name: String| posted.iter().any(|(k, _)| *k == name);
    let value = |name: &str| {
        posted
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    };
    let topics: Vec<TopicChoice> = Topic::ALL
        .into_iter()
        .map(|topic| TopicChoice {
            code: topic.code(),
            label: topic_label(topic, t),
            io: ticked(format!("{}_io", topic.code())),
            email: ticked(format!("{}_email", topic.code())),
        })
        .collect();
    let language = Lang::ALL
        .into_iter()
        .find(|l| l.code() == value("language"))
        .unwrap_or(Lang::It);
    let contact_email = value("contact_email").trim().to_owned();
    let mut email_error = None;
    let address = if contact_email.is_empty() {
        None
    } else {
        match sportello_domain::tenant::Email::parse(&contact_email) {
            Ok(email) => Some(email.as_str().to_owned()),
            Err(_) => {
                email_error = Some("profile.error_email");
                None
            }
        }
    };
    let channel_error =
        (!topics.iter().any(|c| c.io || c.email)).then_some("profile.error_channel");
    if email_error.is_some() || channel_error.is_some() {
        return Err(PreferencesForm {
            topics,
            languages: languages(language),
            contact_email,
            email_state: EmailState::None,
            email_error,
            channel_error,
        });
    }
    let mut choices = BTreeMap::new();
    for choice in &topics {
        let mut channels = Vec::new();
        if choice.io {
            channels.push(Channel::Io);
        }
        if choice.email {
            channels.push(Channel::Email);
        }
        choices.insert(choice.code.to_owned(), channels);
    }
    Ok(ContactPreferences {
        // The general switches answer for topics a later release adds: what the citizen
        // chose for any topic today.
        io: topics.iter().any(|c| c.io),
        email: topics.iter().any(|c| c.email),
        email_address: address,
        topics: choices,
        language: Some(language),
        ..current.clone()
    })
}

/// The message that has the sender mail a verification link, when the saved address still
/// needs one: new, changed, or saved again without having been confirmed (the citizen lost
/// the link). A new link replaces the previous one.
pub(crate) fn verification_request(
    tenant: TenantId,
    user: UserId,
    saved: &ContactPreferences,
) -> Option<NewMessage> {
    let address = saved.email_address.as_deref()?;
    if saved.verified_email().is_some() {
        return None;
    }
    Some(NewMessage {
        tenant: Some(tenant),
        topic: EMAIL_VERIFY.to_owned(),
        idempotency_key: format!("email-verify:{user}:{}", uuid::Uuid::now_v7()),
        payload: serde_json::json!({
            "user": user,
            "address": address,
            "lang": saved.language.unwrap_or(Lang::It).code(),
        }),
        max_attempts: VERIFY_ATTEMPTS,
    })
}

#[derive(Deserialize)]
pub(crate) struct VerifyQuery {
    #[serde(default)]
    token: String,
}

/// `GET /{tenant}/area-personale/verifica-email?token=…`: confirms the address the link was
/// sent to. Works without a session, since mail is often read on another device; the actor is
/// the citizen when signed in, the system otherwise.
pub(crate) async fn verify_email(
    ctx: TenantContext,
    headers: HeaderMap,
    Query(query): Query<VerifyQuery>,
) -> Result<Response, WebError> {
    let actor = match &ctx.user {
        Some(user) => user.actor(client(&headers)),
        None => Actor::system(),
    };
    let confirmed = match EmailToken::parse(query.token.trim()) {
        Some(token) => {
            ctx.state
                .store()
                .scoped(ctx.tenant.id)
                .confirm_email(&token, &actor)
                .await?
        }
        None => None,
    };
    let layout = Layout::titled(&ctx, "notifications.verify.title").without_rating();
    let t = layout.t;
    let profile = Some(format!("{}/area-personale/profilo", ctx.base));
    let (page, status) = match confirmed {
        Some((_, address)) => (
            MessagePage {
                message: t.format("notifications.verify.done", &[("address", &address)]),
                layout,
                is_error: false,
                code: None,
                retry_href: None,
            },
            StatusCode::OK,
        ),
        None => (
            MessagePage {
                message: t.get("notifications.verify.failed").to_owned(),
                layout,
                is_error: true,
                code: None,
                retry_href: profile,
            },
            StatusCode::GONE,
        ),
    };
    let mut response = message_page(page).into_response();
    *response.status_mut() = status;
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn posted(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn topics_round_trip_and_a_new_address_asks_for_a_link() {
        let current = ContactPreferences::default();
        let prefs = read_form(
            &posted(&[
                ("requests_io", "1"),
                ("requests_email", "1"),
                ("deadlines_email", "1"),
                ("language", "en"),
                ("contact_email", " Mario@Example.it "),
            ]),
            &current,
            Lang::It,
        )
        .unwrap_or_else(|_| panic!("valid"));
        assert!(prefs.wants("requests", Channel::Email) && prefs.wants("requests", Channel::Io));
        assert!(!prefs.wants("payments", Channel::Io) && !prefs.wants("payments", Channel::Email));
        assert_eq!(prefs.language, Some(Lang::En));
        let form = stored_form(&prefs, Lang::It, false);
        assert!(
            form.topics
                .iter()
                .any(|c| c.code == "deadlines" && c.email && !c.io)
        );
        let tenant = TenantId::from_uuid(uuid::Uuid::now_v7());
        let user = UserId::generate();
        let message = verification_request(tenant, user, &prefs).unwrap_or_else(|| panic!());
        assert_eq!(message.topic, EMAIL_VERIFY);
        assert_eq!(message.payload["lang"], "en");
        let verified = ContactPreferences {
            email_verified: prefs.email_address.clone(),
            ..prefs
        };
        assert!(verification_request(tenant, user, &verified).is_none());
    }

    #[test]
    fn no_channel_at_all_or_a_bad_address_keeps_what_was_typed() {
        let Err(form) = read_form(
            &posted(&[("contact_email", "mario@"), ("language", "en")]),
            &ContactPreferences::default(),
            Lang::It,
        ) else {
            panic!("refused");
        };
        assert_eq!(form.contact_email, "mario@");
        assert!(form.email_error.is_some() && form.channel_error.is_some());
        assert!(
            form.languages
                .iter()
                .any(|(code, _, selected)| *code == "en" && *selected)
        );
    }
}
