//! The outbox sink of notifications: for each notification, App IO first (after the profile
//! check the specification makes mandatory), then e-mail when the citizen asked for it or
//! when IO could not be used.
//!
//! Exactly once, as far as the services allow. Neither App IO nor SMTP takes an idempotency
//! key, so each channel is moved to `sending` by a conditional update *before* the call and
//! to its outcome right after: a second worker, or a second outbox message about the same
//! notification, finds it taken. What only a crash can leave behind is a channel in `sending`
//! whose call may or may not have reached the service: it becomes `uncertain` and is never
//! sent again by itself (a duplicate payment notice is worse than a clerk's deliberate
//! resend). Errors that the service defines as "not done" (429, IO's 500 "cannot be
//! delivered", a refused connection, an SMTP 4xx) put the channel back to `pending` and the
//! outbox retries with backoff, honouring `Retry-After`.

use crate::gate::KeyGate;
use crate::mail::{Email, MailError, Mailer, Sender};
use sportello_appio::{
    ApiError, AppIoClient, FeatureLevel, Markdown, MessageContent, NewMessage, PaymentData,
    ProfileCheck, ServiceKey, Subject,
};
use sportello_domain::notification::{
    DeliveryStatus, EmailSender, SkipReason, page_url, to_html, to_plain_text,
};
use sportello_domain::{Channel, ContactPreferences, Tenant};
use sportello_store::attachments::StorageKey;
pub use sportello_store::notifications::EMAIL_VERIFY;
use sportello_store::notifications::{
    DeliveryUpdate, NOTIFICATION_REQUESTED, Notification, delivery_message,
};
use sportello_store::outbox::{DeliveryError, Message, Sink};
use sportello_store::{EmailToken, Store, StoreError};
use std::time::Duration;
use uuid::Uuid;

/// How long a verification link works.
pub const VERIFICATION_TTL: Duration = Duration::from_secs(48 * 3600);
/// A `sending` channel younger than this may still be in another worker's hands.
const IN_FLIGHT: Duration = Duration::from_secs(120);
/// The first status check of an accepted IO message: IO usually processes within seconds.
pub(crate) const FIRST_CHECK: Duration = Duration::from_secs(3);

/// What the sink needs besides the store.
#[derive(Clone)]
pub struct NotificationSink {
    store: Store,
    appio: AppIoClient,
    mailer: Option<Mailer>,
    /// Unseals the comuni's App IO keys.
    sealing: StorageKey,
    /// `server.public_url`, for links in e-mails.
    public_url: Option<String>,
    /// How long a `sending` claim may be another worker's before it counts as a crash.
    claim_timeout: Duration,
    /// Each IO key's share of IO's rate limit.
    gate: KeyGate,
}

/// How the App IO channel ended for this attempt, for the e-mail's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IoOutcome {
    Reached,
    NotUsed(SkipReason),
    Failed,
}

fn transient(reason: impl Into<String>, retry_after: Option<Duration>) -> DeliveryError {
    DeliveryError::Transient {
        reason: reason.into(),
        retry_after,
    }
}

fn store_error(error: StoreError) -> DeliveryError {
    transient(format!("database: {error}"), None)
}

impl NotificationSink {
    pub fn new(
        store: Store,
        appio: AppIoClient,
        mailer: Option<Mailer>,
        sealing: StorageKey,
        public_url: Option<String>,
    ) -> NotificationSink {
        NotificationSink {
            store,
            appio,
            mailer,
            sealing,
            public_url,
            claim_timeout: IN_FLIGHT,
            gate: KeyGate::default(),
        }
    }

    /// Takes `calls` tokens of `key` (see [`KeyGate`]) without calling IO: a message that finds
    /// too few goes back to the outbox until they are due.
    pub(crate) fn may_call(&self, key: &ServiceKey, calls: u32) -> Result<(), Duration> {
        self.gate.acquire(key, calls)
    }

    /// Notes IO's answer: a 429 closes the key to every message for the time IO asked.
    pub(crate) fn noted(&self, key: &ServiceKey, error: &ApiError) {
        if let ApiError::RateLimited { retry_after } = error {
            self.gate.close(key, *retry_after);
        }
    }

    /// IO's rate limit of the comuni's service keys, in calls per 5 seconds: 150 by default,
    /// 250 for services in IO's `ApiRateLimit250` group, 0 for `ApiNoRateLimit` (no pacing;
    /// a 429 still pauses the key).
    pub fn with_io_rate_limit(mut self, calls_per_5s: u32) -> NotificationSink {
        let capacity = match calls_per_5s {
            0 => f64::INFINITY,
            n => f64::from(n),
        };
        self.gate = KeyGate::new(capacity, crate::gate::WINDOW);
        self
    }

    /// Changes how long a `sending` claim is presumed alive (tests of the crash path).
    pub fn with_claim_timeout(mut self, timeout: Duration) -> NotificationSink {
        self.claim_timeout = timeout;
        self
    }

    pub fn handles(topic: &str) -> bool {
        topic == NOTIFICATION_REQUESTED || topic == EMAIL_VERIFY
    }

    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    pub(crate) fn appio(&self) -> &AppIoClient {
        &self.appio
    }

    /// The key of one of the comune's IO services.
    pub(crate) async fn service_key(
        &self,
        tenant: &Tenant,
        code: &str,
    ) -> Result<Option<ServiceKey>, StoreError> {
        Ok(self
            .store
            .scoped(tenant.id)
            .appio_key(code, &self.sealing)
            .await?
            .map(ServiceKey::new))
    }

    async fn tenant(&self, message: &Message) -> Result<Tenant, DeliveryError> {
        let id = message.tenant.ok_or_else(|| DeliveryError::Permanent {
            reason: "a notification without a comune".into(),
        })?;
        self.store
            .tenant(id)
            .await
            .map_err(store_error)?
            .ok_or_else(|| DeliveryError::Permanent {
                reason: format!("comune {id} no longer exists"),
            })
    }

    async fn notify(&self, message: &Message) -> Result<(), DeliveryError> {
        let tenant = self.tenant(message).await?;
        let id: Uuid = message
            .payload
            .get("notification")
            .and_then(|v| v.as_str())
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| DeliveryError::Permanent {
                reason: "the message names no notification".into(),
            })?;
        let Some(notification) = self
            .store
            .scoped(tenant.id)
            .notification(id)
            .await
            .map_err(store_error)?
        else {
            return Err(DeliveryError::Permanent {
                reason: format!("notification {id} does not exist"),
            });
        };
        let prefs = self
            .store
            .scoped(tenant.id)
            .user_by_fiscal_code(&notification.recipient)
            .await
            .map_err(store_error)?
            .map(|u| u.contact_preferences)
            .unwrap_or_default();
        let io = self.via_io(&tenant, &notification, &prefs, message).await?;
        self.via_email(&tenant, &notification, &prefs, io, message)
            .await
    }

    /// Puts the message back until `after` without spending an attempt: waiting for IO's rate
    /// limit or for another worker is not a failed delivery, and a long queue must not run out
    /// of attempts while it waits its turn.
    async fn wait(&self, message: &Message, reason: &str, after: Duration) -> DeliveryError {
        if let Err(error) = self.store.hold_outbox_message(message.id).await {
            return store_error(error);
        }
        transient(reason, Some(after))
    }

    /// Takes a pending channel for this worker before the call that sends (the one-worker rule
    /// of the module's documentation), recording where it goes and counting the attempt. Another
    /// worker that took it between our read and now makes this message wait.
    async fn claim(
        &self,
        notification: &Notification,
        channel: Channel,
        address: String,
        message: &Message,
    ) -> Result<(), DeliveryError> {
        let update = DeliveryUpdate {
            address: Some(address),
            attempt: true,
            ..DeliveryUpdate::default()
        };
        let pending = [DeliveryStatus::Pending];
        if self
            .mark(
                notification,
                channel,
                &pending,
                DeliveryStatus::Sending,
                update,
            )
            .await?
        {
            Ok(())
        } else {
            Err(self
                .wait(message, "another worker is sending it", IN_FLIGHT)
                .await)
        }
    }

    /// Moves a channel, saying why; tells whether this worker did it.
    async fn settle(
        &self,
        notification: &Notification,
        channel: Channel,
        from: &[DeliveryStatus],
        to: DeliveryStatus,
        reason: impl Into<String>,
    ) -> Result<bool, DeliveryError> {
        let update = DeliveryUpdate {
            reason: Some(reason.into()),
            ..DeliveryUpdate::default()
        };
        self.mark(notification, channel, from, to, update).await
    }

    /// Moves a channel and tells whether this worker did it.
    async fn mark(
        &self,
        notification: &Notification,
        channel: Channel,
        from: &[DeliveryStatus],
        to: DeliveryStatus,
        update: DeliveryUpdate,
    ) -> Result<bool, DeliveryError> {
        self.store
            .update_delivery(notification.id, channel, from, to, &update)
            .await
            .map_err(store_error)
    }

    async fn skip(
        &self,
        notification: &Notification,
        channel: Channel,
        reason: SkipReason,
    ) -> Result<(), DeliveryError> {
        self.settle(
            notification,
            channel,
            &[DeliveryStatus::Pending],
            DeliveryStatus::Skipped,
            reason.code().to_owned(),
        )
        .await
        .map(|_| ())
    }

    /// A channel found in `sending`: still in another worker's hands (try later), or left by
    /// a crash (uncertain, never resent by itself).
    async fn found_sending(
        &self,
        notification: &Notification,
        channel: Channel,
        message: &Message,
    ) -> Result<DeliveryStatus, DeliveryError> {
        let Some(delivery) = notification.delivery(channel) else {
            return Ok(DeliveryStatus::Failed);
        };
        let age = jiff::Timestamp::now().duration_since(delivery.updated_at);
        let timeout = jiff::SignedDuration::try_from(self.claim_timeout).unwrap_or_default();
        if age < timeout {
            let left = Duration::try_from(timeout - age).unwrap_or(self.claim_timeout);
            return Err(self
                .wait(message, "another worker is sending it", left)
                .await);
        }
        self.settle(
            notification,
            channel,
            &[DeliveryStatus::Sending],
            DeliveryStatus::Uncertain,
            "interrupted while sending: it may have been delivered",
        )
        .await?;
        Ok(DeliveryStatus::Uncertain)
    }

    async fn via_io(
        &self,
        tenant: &Tenant,
        notification: &Notification,
        prefs: &ContactPreferences,
        message: &Message,
    ) -> Result<IoOutcome, DeliveryError> {
        let status = notification
            .delivery(Channel::Io)
            .map_or(DeliveryStatus::Failed, |d| d.status);
        let status = match status {
            DeliveryStatus::Pending => {
                return self.send_io(tenant, notification, prefs, message).await;
            }
            DeliveryStatus::Sending => {
                self.found_sending(notification, Channel::Io, message)
                    .await?
            }
            other => other,
        };
        Ok(match status {
            // An uncertain IO message probably arrived: no e-mail in its place.
            DeliveryStatus::Accepted | DeliveryStatus::Delivered | DeliveryStatus::Uncertain => {
                IoOutcome::Reached
            }
            DeliveryStatus::Skipped => notification
                .delivery(Channel::Io)
                .and_then(|d| d.reason.as_deref())
                .and_then(SkipReason::parse)
                .map_or(IoOutcome::Failed, IoOutcome::NotUsed),
            _ => IoOutcome::Failed,
        })
    }

    async fn send_io(
        &self,
        tenant: &Tenant,
        notification: &Notification,
        prefs: &ContactPreferences,
        message: &Message,
    ) -> Result<IoOutcome, DeliveryError> {
        let topic = notification.topic;
        if !prefs.wants(topic.code(), Channel::Io) {
            self.skip(notification, Channel::Io, SkipReason::OptedOut)
                .await?;
            return Ok(IoOutcome::NotUsed(SkipReason::OptedOut));
        }
        let settings = &tenant.profile.notifications;
        let Some(service) = settings.appio_service(topic) else {
            self.skip(notification, Channel::Io, SkipReason::NoService)
                .await?;
            return Ok(IoOutcome::NotUsed(SkipReason::NoService));
        };
        let Some(key) = self
            .service_key(tenant, service.code.as_str())
            .await
            .map_err(store_error)?
        else {
            self.skip(notification, Channel::Io, SkipReason::NoService)
                .await?;
            return Ok(IoOutcome::NotUsed(SkipReason::NoService));
        };
        let fiscal_code = notification.recipient.as_str();
        if let Err(wait) = self.may_call(&key, 2) {
            return Err(self
                .wait(
                    message,
                    "App IO rate limit: waiting for the key's turn",
                    wait,
                )
                .await);
        }
        let checked = self.appio.check_profile(&key, fiscal_code).await;
        if let Err(error) = &checked {
            self.noted(&key, error);
        }
        match checked {
            Ok(ProfileCheck::Allowed { .. }) => {}
            Ok(ProfileCheck::NoProfile) => {
                self.skip(notification, Channel::Io, SkipReason::NoProfile)
                    .await?;
                return Ok(IoOutcome::NotUsed(SkipReason::NoProfile));
            }
            Ok(ProfileCheck::SenderNotAllowed) => {
                self.skip(notification, Channel::Io, SkipReason::ServiceBlocked)
                    .await?;
                return Ok(IoOutcome::NotUsed(SkipReason::ServiceBlocked));
            }
            Err(error) if error.is_transient() => {
                return Err(transient(
                    format!("App IO profile check: {error}"),
                    error.retry_after(),
                ));
            }
            Err(error) => {
                self.fail(
                    notification,
                    Channel::Io,
                    &format!("profile check: {error}"),
                )
                .await?;
                return Ok(IoOutcome::Failed);
            }
        }
        let new_message = match io_message(notification, service.max_payment_cents) {
            Ok(built) => built,
            Err(reason) => {
                self.fail(notification, Channel::Io, &reason).await?;
                return Ok(IoOutcome::Failed);
            }
        };
        self.claim(notification, Channel::Io, service.code.to_string(), message)
            .await?;
        match self.appio.send(&key, &new_message).await {
            Ok(id) => {
                self.mark(
                    notification,
                    Channel::Io,
                    &[DeliveryStatus::Sending, DeliveryStatus::Uncertain],
                    DeliveryStatus::Accepted,
                    DeliveryUpdate {
                        external_id: Some(id.as_str().to_owned()),
                        next_check_at: Some(jiff::Timestamp::now() + FIRST_CHECK),
                        ..DeliveryUpdate::default()
                    },
                )
                .await?;
                Ok(IoOutcome::Reached)
            }
            // A timeout, or a connection lost on the way back, may come after IO created the
            // message: never sent again by itself.
            Err(error) if error.may_have_arrived() => {
                self.settle(
                    notification,
                    Channel::Io,
                    &[DeliveryStatus::Sending],
                    DeliveryStatus::Uncertain,
                    format!("{error}: it may have been delivered"),
                )
                .await?;
                Ok(IoOutcome::Reached)
            }
            Err(error) if error.is_transient() => {
                self.noted(&key, &error);
                self.settle(
                    notification,
                    Channel::Io,
                    &[DeliveryStatus::Sending],
                    DeliveryStatus::Pending,
                    error.to_string(),
                )
                .await?;
                Err(transient(format!("App IO: {error}"), error.retry_after()))
            }
            Err(error) => {
                self.settle(
                    notification,
                    Channel::Io,
                    &[DeliveryStatus::Sending],
                    DeliveryStatus::Failed,
                    error.to_string(),
                )
                .await?;
                Ok(IoOutcome::Failed)
            }
        }
    }

    async fn fail(
        &self,
        notification: &Notification,
        channel: Channel,
        reason: &str,
    ) -> Result<(), DeliveryError> {
        self.settle(
            notification,
            channel,
            &[DeliveryStatus::Pending],
            DeliveryStatus::Failed,
            reason.to_owned(),
        )
        .await
        .map(|_| ())
    }

    async fn via_email(
        &self,
        tenant: &Tenant,
        notification: &Notification,
        prefs: &ContactPreferences,
        io: IoOutcome,
        message: &Message,
    ) -> Result<(), DeliveryError> {
        match notification
            .delivery(Channel::Email)
            .map_or(DeliveryStatus::Failed, |d| d.status)
        {
            DeliveryStatus::Pending => {}
            DeliveryStatus::Sending => {
                self.found_sending(notification, Channel::Email, message)
                    .await?;
                return Ok(());
            }
            _ => return Ok(()),
        }
        let wanted = prefs.wants(notification.topic.code(), Channel::Email);
        let stands_in = match io {
            IoOutcome::Reached => false,
            IoOutcome::NotUsed(reason) => reason.calls_for_fallback(),
            IoOutcome::Failed => true,
        };
        if !wanted && !stands_in {
            let reason = if io == IoOutcome::Reached {
                SkipReason::NotNeeded
            } else {
                SkipReason::OptedOut
            };
            return self.skip(notification, Channel::Email, reason).await;
        }
        let (Some(sender), Some(mailer)) = (&tenant.profile.notifications.email, &self.mailer)
        else {
            return self
                .skip(notification, Channel::Email, SkipReason::NotConfigured)
                .await;
        };
        let Some(address) = prefs.verified_email() else {
            return self
                .skip(notification, Channel::Email, SkipReason::NoAddress)
                .await;
        };
        let email = self.email(tenant, sender, notification, address);
        self.claim(notification, Channel::Email, address.to_owned(), message)
            .await?;
        let (to, update) = match mailer.send(&email).await {
            Ok(sent) => (
                DeliveryStatus::Delivered,
                DeliveryUpdate {
                    external_id: Some(sent.message_id),
                    ..DeliveryUpdate::default()
                },
            ),
            Err(MailError::Rejected { code, message }) => (
                DeliveryStatus::Bounced,
                DeliveryUpdate {
                    reason: Some(format!("{code} {message}")),
                    ..DeliveryUpdate::default()
                },
            ),
            Err(error) if error.is_transient() => {
                self.settle(
                    notification,
                    Channel::Email,
                    &[DeliveryStatus::Sending],
                    DeliveryStatus::Pending,
                    error.to_string(),
                )
                .await?;
                return Err(transient(format!("e-mail: {error}"), None));
            }
            Err(error) => (
                DeliveryStatus::Failed,
                DeliveryUpdate {
                    reason: Some(error.to_string()),
                    ..DeliveryUpdate::default()
                },
            ),
        };
        self.mark(
            notification,
            Channel::Email,
            &[DeliveryStatus::Sending, DeliveryStatus::Uncertain],
            to,
            update,
        )
        .await?;
        Ok(())
    }

    fn email(
        &self,
        tenant: &Tenant,
        sender: &EmailSender,
        notification: &Notification,
        address: &str,
    ) -> Email {
        let preferences = page_url(
            self.public_url.as_deref(),
            tenant,
            "/area-personale/profilo",
        );
        let footer = match notification.lang {
            sportello_domain::Lang::It => format!(
                "Ricevi questo messaggio perché hai scelto l'e-mail tra i canali del {}. Puoi cambiare le tue preferenze qui: {preferences}",
                tenant.profile.name
            ),
            sportello_domain::Lang::En => format!(
                "You receive this message because you chose e-mail among the channels of {}. You can change your preferences here: {preferences}",
                tenant.profile.name
            ),
        };
        Email {
            from: Sender {
                name: sender.name.clone(),
                address: sender.address.as_str().to_owned(),
            },
            reply_to: sender.reply_to.as_ref().map(|r| r.as_str().to_owned()),
            to: address.to_owned(),
            subject: notification.subject.clone(),
            text: format!("{}\n-- \n{footer}\n", to_plain_text(&notification.markdown)),
            html: html_page(
                &notification.subject,
                &to_html(&notification.markdown),
                &tenant.profile.name,
                &footer,
                notification.lang.code(),
            ),
            message_id: message_id(&notification.id.to_string(), sender),
            language: notification.lang.code().to_owned(),
            // RFC 8058 one-click: a POST to this address turns e-mail off for the topic. Mail
            // clients honour only https addresses (a demo on http goes without).
            list_unsubscribe: Some(page_url(
                self.public_url.as_deref(),
                tenant,
                &format!("/notifiche/{}/disiscrizione", notification.id),
            ))
            .filter(|url| url.starts_with("https://")),
            headers: vec![(
                "X-Sportello-Notification".to_owned(),
                notification.id.to_string(),
            )],
        }
    }

    /// Sends the link that verifies an address. Each attempt makes a new link (the store
    /// keeps only its hash, so an old one cannot be sent again), and the newest supersedes
    /// the others.
    async fn verify(&self, message: &Message) -> Result<(), DeliveryError> {
        let tenant = self.tenant(message).await?;
        let payload = &message.payload;
        let user = payload
            .get("user")
            .and_then(|v| v.as_str())
            .and_then(|v| v.parse::<Uuid>().ok())
            .map(sportello_domain::UserId::from_uuid);
        let address = payload.get("address").and_then(|v| v.as_str());
        let (Some(user), Some(address)) = (user, address) else {
            return Err(DeliveryError::Permanent {
                reason: "a verification without citizen or address".into(),
            });
        };
        let lang = match payload.get("lang").and_then(|v| v.as_str()) {
            Some("en") => sportello_domain::Lang::En,
            _ => sportello_domain::Lang::It,
        };
        let (Some(sender), Some(mailer)) = (&tenant.profile.notifications.email, &self.mailer)
        else {
            return Err(DeliveryError::Permanent {
                reason: "the comune sends no e-mail: no sender or no mail server configured".into(),
            });
        };
        let token = EmailToken::generate().map_err(store_error)?;
        self.store
            .scoped(tenant.id)
            .start_email_verification(user, address, &token, VERIFICATION_TTL)
            .await
            .map_err(store_error)?;
        let link = page_url(
            self.public_url.as_deref(),
            &tenant,
            &format!(
                "/area-personale/verifica-email?token={}",
                token.as_cookie_value()
            ),
        );
        let (subject, body) = match lang {
            sportello_domain::Lang::It => (
                format!(
                    "Conferma il tuo indirizzo e-mail per il {}",
                    tenant.profile.name
                ),
                format!(
                    "Per ricevere le comunicazioni del {} a questo indirizzo, conferma che è tuo aprendo questo link entro 48 ore:\n\n{link}\n\nSe non hai chiesto tu di usare questo indirizzo, ignora questo messaggio: non riceverai altro.",
                    tenant.profile.name
                ),
            ),
            sportello_domain::Lang::En => (
                format!("Confirm your e-mail address for {}", tenant.profile.name),
                format!(
                    "To receive messages from {} at this address, confirm it is yours by opening this link within 48 hours:\n\n{link}\n\nIf you did not ask to use this address, ignore this message: you will receive nothing else.",
                    tenant.profile.name
                ),
            ),
        };
        let html_body = format!(
            "<p>{}</p><p><a href=\"{}\">{}</a></p>",
            escape_html(body.split("\n\n").next().unwrap_or_default()),
            escape_html(&link),
            match lang {
                sportello_domain::Lang::It => "Conferma l'indirizzo",
                sportello_domain::Lang::En => "Confirm the address",
            }
        );
        let email = Email {
            from: Sender {
                name: sender.name.clone(),
                address: sender.address.as_str().to_owned(),
            },
            reply_to: sender.reply_to.as_ref().map(|r| r.as_str().to_owned()),
            to: address.to_owned(),
            subject: subject.clone(),
            text: body,
            html: html_page(&subject, &html_body, &tenant.profile.name, "", lang.code()),
            message_id: message_id(
                &format!("verify-{}-{}", message.id, message.attempt),
                sender,
            ),
            language: lang.code().to_owned(),
            list_unsubscribe: None,
            headers: Vec::new(),
        };
        match mailer.send(&email).await {
            Ok(_) => Ok(()),
            Err(error) if error.is_transient() => Err(transient(format!("e-mail: {error}"), None)),
            Err(error) => Err(DeliveryError::Permanent {
                reason: error.to_string(),
            }),
        }
    }
}

/// `<id@domain>`, the domain of the comune's sender address: stable for a notification, so a
/// deliberate resend or a duplicate is recognisable in the citizen's mailbox.
fn message_id(id: &str, sender: &EmailSender) -> String {
    let domain = sender
        .address
        .as_str()
        .rsplit_once('@')
        .map_or("sportello.invalid", |(_, d)| d);
    format!("<{id}@{domain}>")
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The HTML part: the body in a plain, readable page that mail clients render consistently
/// (inline styles only, no images, no remote content).
fn html_page(subject: &str, body: &str, comune: &str, footer: &str, lang: &str) -> String {
    format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>{}</title></head>\
         <body style=\"margin:0;padding:24px;background:#f5f5f5;font-family:'Titillium Web',Geneva,Tahoma,sans-serif;color:#1a1a1a\">\
         <div style=\"max-width:640px;margin:0 auto;background:#ffffff;padding:24px;border-top:6px solid #0066cc\">\
         <p style=\"margin:0 0 16px;font-weight:bold;color:#0066cc\">{}</p>{body}\
         <hr style=\"border:0;border-top:1px solid #d9d9d9;margin:24px 0 12px\">\
         <p style=\"font-size:13px;color:#5c6f82\">{}</p></div></body></html>",
        escape_html(subject),
        escape_html(comune),
        escape_html(footer)
    )
}

/// The IO message of a notification. A payment notice carries its payment data, so the
/// citizen pays from the message, unless the amount is above what the comune's service may
/// collect through IO.
fn io_message(notification: &Notification, max_payment_cents: u64) -> Result<NewMessage, String> {
    let subject = Subject::new(&notification.subject).map_err(|e| format!("subject: {e}"))?;
    let markdown = Markdown::new(&notification.markdown).map_err(|e| format!("body: {e}"))?;
    let payment_data = match &notification.payment {
        Some(payment) => {
            let amount = u64::try_from(payment.amount_cents).unwrap_or(0);
            if (1..=max_payment_cents).contains(&amount) {
                Some(
                    PaymentData::new(
                        amount,
                        &payment.notice_number,
                        payment.invalid_after_due_date,
                    )
                    .map_err(|e| format!("payment data: {e}"))?,
                )
            } else {
                None
            }
        }
        None => None,
    };
    // The end of the due day in Rome, as IO wants an instant.
    let due_date = notification.due_date.and_then(|day| {
        day.at(23, 59, 59, 0)
            .in_tz("Europe/Rome")
            .ok()
            .map(|z| z.timestamp())
    });
    Ok(NewMessage {
        fiscal_code: notification.recipient.as_str().to_owned(),
        time_to_live: None,
        content: MessageContent {
            subject,
            markdown,
            due_date,
            payment_data,
            require_secure_channels: None,
        },
        feature_level_type: Some(FeatureLevel::Standard),
    })
}

impl Sink for NotificationSink {
    async fn deliver(&self, message: &Message) -> Result<(), DeliveryError> {
        match message.topic.as_str() {
            NOTIFICATION_REQUESTED => self.notify(message).await,
            EMAIL_VERIFY => self.verify(message).await,
            other => Err(DeliveryError::Permanent {
                reason: format!("not a notification topic: {other}"),
            }),
        }
    }
}

/// Puts the e-mail channel of a notification back to work when IO turned out not to reach
/// the citizen, and queues its delivery.
pub(crate) async fn fall_back_to_email(
    store: &Store,
    tenant: sportello_domain::TenantId,
    notification: Uuid,
) -> Result<(), StoreError> {
    let reopened = store
        .update_delivery(
            notification,
            Channel::Email,
            &[DeliveryStatus::Skipped],
            DeliveryStatus::Pending,
            &DeliveryUpdate::default(),
        )
        .await?;
    if reopened {
        let mut message = delivery_message(tenant, notification);
        message.idempotency_key = format!("{}:fallback", message.idempotency_key);
        store.enqueue(&message).await?;
    }
    Ok(())
}
