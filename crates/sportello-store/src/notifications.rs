//! Notifications to citizens, as stored: each message composed when its event happened, its
//! state on each channel (App IO, e-mail) and the log of every attempt; the links that verify
//! e-mail addresses; the comuni's App IO keys, sealed with the storage key.
//!
//! A notification is created in the same transaction as the event it tells, together with its
//! outbox message ([`NOTIFICATION_REQUESTED`]): the event and the promise to tell it commit or
//! roll back together. Delivery moves each channel through [`DeliveryStatus`] with conditional
//! updates, so two workers can never both send the same channel of the same notification.

use crate::attachments::StorageKey;
use crate::audit::Actor;
use crate::outbox::NewMessage;
use crate::token::EmailToken;
use crate::users::parse_fiscal_code;
use crate::{DbTime, Store, StoreError, TenantScope, Tx};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sportello_domain::notification::{Composed, DeliveryStatus, Event, Topic};
use sportello_domain::{Channel, CodiceFiscale, ContactPreferences, Lang, TenantId, UserId};
use sqlx::types::Json;
use std::time::Duration;
use uuid::Uuid;

/// The outbox topic that delivers a notification.
pub const NOTIFICATION_REQUESTED: &str = "notification.requested";
/// The outbox topic that mails the link verifying a citizen's e-mail address.
pub const EMAIL_VERIFY: &str = "email.verify";
/// Attempts of the outbox message before it gives up: with the worker's backoff capped at an
/// hour, about a day of App IO or the mail relay being unreachable.
const DELIVERY_ATTEMPTS: u32 = 40;

/// What a payment notice lets the citizen pay from the message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentFacts {
    pub amount_cents: i64,
    /// 18 digits.
    pub notice_number: String,
    pub due_date: Date,
    /// Whether pagoPA refuses the notice after its due date.
    pub invalid_after_due_date: bool,
}

/// A notification to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewNotification {
    pub tenant: TenantId,
    /// Names the event: creating a notification with an origin that exists does nothing.
    pub origin: String,
    pub recipient: CodiceFiscale,
    pub user: Option<UserId>,
    pub event: Event,
    pub lang: Lang,
    pub composed: Composed,
    pub pratica: Option<Uuid>,
    pub position: Option<Uuid>,
    pub payment: Option<PaymentFacts>,
    pub due_date: Option<Date>,
    /// Who caused it: `system`, a clerk's id for a resend.
    pub created_by: String,
}

/// A notification with its state per channel.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub id: Uuid,
    pub tenant: TenantId,
    pub origin: String,
    pub recipient: CodiceFiscale,
    pub user: Option<UserId>,
    pub event: Event,
    pub topic: Topic,
    pub lang: Lang,
    pub subject: String,
    pub markdown: String,
    pub template_version: u32,
    pub pratica: Option<Uuid>,
    pub position: Option<Uuid>,
    pub payment: Option<PaymentFacts>,
    pub due_date: Option<Date>,
    pub resend_of: Option<Uuid>,
    pub created_by: String,
    pub created_at: Timestamp,
    /// App IO first, then e-mail.
    pub deliveries: Vec<Delivery>,
}

impl Notification {
    pub fn delivery(&self, channel: Channel) -> Option<&Delivery> {
        self.deliveries.iter().find(|d| d.channel == channel)
    }
}

/// A notification on one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub channel: Channel,
    pub status: DeliveryStatus,
    /// A [`sportello_domain::notification::SkipReason`] code, or the service's answer.
    pub reason: Option<String>,
    /// The e-mail address, or the App IO service code.
    pub address: Option<String>,
    /// App IO's message id, or the e-mail's Message-ID.
    pub external_id: Option<String>,
    pub attempts: u32,
    pub updated_at: Timestamp,
    pub delivered_at: Option<Timestamp>,
}

/// One line of a notification's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    pub channel: Channel,
    pub at: Timestamp,
    pub status: DeliveryStatus,
    pub detail: Option<String>,
}

/// A change of a delivery's state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryUpdate {
    pub reason: Option<String>,
    pub address: Option<String>,
    pub external_id: Option<String>,
    /// Counts as an attempt (the move to `sending`).
    pub attempt: bool,
    /// When to ask App IO again (while `accepted`).
    pub next_check_at: Option<Timestamp>,
}

/// An App IO message waiting for its final state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingCheck {
    pub tenant: TenantId,
    pub notification: Uuid,
    pub recipient: String,
    /// The IO service code whose key sent it.
    pub service_code: String,
    pub message_id: String,
    pub check_count: u32,
    pub accepted_at: Timestamp,
}

/// How many deliveries are in each state, for the dashboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryCount {
    pub event: Event,
    pub channel: Channel,
    pub status: DeliveryStatus,
    pub count: i64,
}

/// Narrows the list of notifications on the dashboard.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryFilter {
    pub channel: Option<Channel>,
    pub status: Option<DeliveryStatus>,
    pub event: Option<Event>,
}

fn parse_channel(code: &str) -> Result<Channel, StoreError> {
    Channel::parse(code).ok_or_else(|| StoreError::corrupt("notification channel", code))
}

fn parse_status(code: &str) -> Result<DeliveryStatus, StoreError> {
    DeliveryStatus::parse(code).ok_or_else(|| StoreError::corrupt("delivery status", code))
}

fn parse_lang(code: &str) -> Result<Lang, StoreError> {
    Lang::ALL
        .into_iter()
        .find(|l| l.code() == code)
        .ok_or_else(|| StoreError::corrupt("notification language", code))
}

fn parse_date(text: &str) -> Result<Date, StoreError> {
    text.parse()
        .map_err(|_| StoreError::corrupt("notification date", text))
}

fn count(value: i32) -> u32 {
    u32::try_from(value).unwrap_or(0)
}

/// The columns of [`NotificationRow`], in order (the tenant is the scope's; the topic
/// follows from the event).
macro_rules! notification_columns {
    () => {
        "id, origin, recipient_fiscal_code, user_id, event, lang, subject, markdown, \
         template_version, pratica_id, position_id, payment, due_date, resend_of, created_by, created_at"
    };
}

/// Every column, for inserting.
macro_rules! insert_columns {
    () => {
        "id, tenant_id, origin, recipient_fiscal_code, user_id, event, topic, lang, subject, markdown, \
         template_version, pratica_id, position_id, payment, due_date, resend_of, created_by, created_at"
    };
}

type NotificationRow = (
    Uuid,
    String,
    String,
    Option<Uuid>,
    String,
    String,
    String,
    String,
    i32,
    Option<Uuid>,
    Option<Uuid>,
    Option<Json<PaymentFacts>>,
    Option<String>,
    Option<Uuid>,
    String,
    DbTime,
);

type CheckRow = (
    Uuid,
    Uuid,
    String,
    Option<String>,
    Option<String>,
    i32,
    DbTime,
);

type DeliveryRow = (
    Uuid,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    i32,
    DbTime,
    Option<DbTime>,
);

fn notification_from_row(tenant: Uuid, row: NotificationRow) -> Result<Notification, StoreError> {
    let (
        id,
        origin,
        recipient,
        user,
        event,
        lang,
        subject,
        markdown,
        template_version,
        pratica,
        position,
        payment,
        due_date,
        resend_of,
        created_by,
        created_at,
    ) = row;
    let event =
        Event::parse(&event).ok_or_else(|| StoreError::corrupt("notification event", &event))?;
    Ok(Notification {
        id,
        tenant: TenantId::from_uuid(tenant),
        origin,
        recipient: parse_fiscal_code(&recipient)?,
        user: user.map(UserId::from_uuid),
        event,
        topic: event.topic(),
        lang: parse_lang(&lang)?,
        subject,
        markdown,
        template_version: count(template_version),
        pratica,
        position,
        payment: payment.map(|p| p.0),
        due_date: due_date.as_deref().map(parse_date).transpose()?,
        resend_of,
        created_by,
        created_at: created_at.as_timestamp(),
        deliveries: Vec::new(),
    })
}

fn delivery_from_row(row: DeliveryRow) -> Result<(Uuid, Delivery), StoreError> {
    let (id, channel, status, reason, address, external_id, attempts, updated_at, delivered_at) =
        row;
    Ok((
        id,
        Delivery {
            channel: parse_channel(&channel)?,
            status: parse_status(&status)?,
            reason,
            address,
            external_id,
            attempts: count(attempts),
            updated_at: updated_at.as_timestamp(),
            delivered_at: delivered_at.map(|t| t.as_timestamp()),
        },
    ))
}

impl Tx {
    /// Creates the notification, its pending deliveries and the outbox message that sends it,
    /// in this transaction. Returns `None` when a notification with the same origin exists.
    pub async fn create_notification(
        &mut self,
        new: &NewNotification,
    ) -> Result<Option<Uuid>, StoreError> {
        let id = Uuid::now_v7();
        let now = DbTime::now();
        let inserted = on_tx!(self, conn => {
            sqlx::query(concat!(
                "INSERT INTO notifications (", insert_columns!(), ") \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) \
                 ON CONFLICT (tenant_id, origin) DO NOTHING"
            ))
            .bind(id)
            .bind(*new.tenant.as_uuid())
            .bind(&new.origin)
            .bind(new.recipient.as_str())
            .bind(new.user.map(|u| *u.as_uuid()))
            .bind(new.event.code())
            .bind(new.event.topic().code())
            .bind(new.lang.code())
            .bind(&new.composed.subject)
            .bind(&new.composed.markdown)
            .bind(i32::try_from(new.composed.template_version).unwrap_or(i32::MAX))
            .bind(new.pratica)
            .bind(new.position)
            .bind(new.payment.as_ref().map(Json))
            .bind(new.due_date.map(|d| d.to_string()))
            .bind(Option::<Uuid>::None)
            .bind(&new.created_by)
            .bind(now)
            .execute(&mut *conn)
            .await?
            .rows_affected()
        });
        if inserted == 0 {
            return Ok(None);
        }
        self.add_deliveries(id, new.tenant, now).await?;
        Ok(Some(id))
    }

    /// The language a citizen chose for messages, if they are known to the comune.
    pub async fn recipient_language(
        &mut self,
        tenant: TenantId,
        fiscal_code: &CodiceFiscale,
    ) -> Result<Option<Lang>, StoreError> {
        let row: Option<(Json<ContactPreferences>,)> = on_tx!(self, conn => {
            sqlx::query_as("SELECT contact_preferences FROM users WHERE tenant_id = $1 AND fiscal_code = $2")
                .bind(*tenant.as_uuid())
                .bind(fiscal_code.as_str())
                .fetch_optional(conn)
                .await?
        });
        Ok(row.and_then(|(prefs,)| prefs.0.language))
    }

    async fn add_deliveries(
        &mut self,
        id: Uuid,
        tenant: TenantId,
        now: DbTime,
    ) -> Result<(), StoreError> {
        for channel in [Channel::Io, Channel::Email] {
            on_tx!(&mut *self, conn => {
                sqlx::query(
                    "INSERT INTO notification_deliveries (notification_id, channel, tenant_id, status, updated_at) \
                     VALUES ($1, $2, $3, 'pending', $4)",
                )
                .bind(id)
                .bind(channel.code())
                .bind(*tenant.as_uuid())
                .bind(now)
                .execute(&mut *conn)
                .await?;
            });
        }
        self.enqueue(&delivery_message(tenant, id)).await?;
        Ok(())
    }

    async fn log_delivery(
        &mut self,
        id: Uuid,
        channel: Channel,
        status: DeliveryStatus,
        detail: Option<&str>,
    ) -> Result<(), StoreError> {
        on_tx!(self, conn => {
            sqlx::query(
                "INSERT INTO notification_log (notification_id, channel, at, status, detail) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id)
            .bind(channel.code())
            .bind(DbTime::now())
            .bind(status.code())
            .bind(detail)
            .execute(conn)
            .await?;
        });
        Ok(())
    }
}

/// The outbox message that sends notification `id`.
pub fn delivery_message(tenant: TenantId, id: Uuid) -> NewMessage {
    NewMessage {
        tenant: Some(tenant),
        topic: NOTIFICATION_REQUESTED.to_owned(),
        idempotency_key: format!("notify:{id}"),
        payload: serde_json::json!({ "notification": id }),
        max_attempts: DELIVERY_ATTEMPTS,
    }
}

impl Store {
    /// Moves a delivery to `to` if it is in one of `from`, logging the change. Returns
    /// `false` (and changes nothing) when it was not: another worker got there first.
    pub async fn update_delivery(
        &self,
        notification: Uuid,
        channel: Channel,
        from: &[DeliveryStatus],
        to: DeliveryStatus,
        update: &DeliveryUpdate,
    ) -> Result<bool, StoreError> {
        let now = DbTime::now();
        let from: Vec<&str> = from.iter().map(|s| s.code()).collect();
        // The accepted states are few and fixed: spelled into the query as literals.
        let list = from
            .iter()
            .map(|s| format!("'{s}'"))
            .collect::<Vec<_>>()
            .join(", ");
        let delivered_at = (to == DeliveryStatus::Delivered).then_some(now);
        let sql = format!(
            "UPDATE notification_deliveries SET status = $1, updated_at = $2, \
             reason = COALESCE($3, reason), address = COALESCE($4, address), \
             external_id = COALESCE($5, external_id), attempts = attempts + $6, \
             delivered_at = COALESCE($7, delivered_at), next_check_at = $8 \
             WHERE notification_id = $9 AND channel = $10 AND status IN ({list})"
        );
        let mut tx = self.begin().await?;
        let updated = on_tx!(&mut tx, conn => {
            sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(to.code())
                .bind(now)
                .bind(update.reason.as_deref())
                .bind(update.address.as_deref())
                .bind(update.external_id.as_deref())
                .bind(i32::from(update.attempt))
                .bind(delivered_at)
                .bind(update.next_check_at.map(DbTime::from))
                .bind(notification)
                .bind(channel.code())
                .execute(&mut *conn)
                .await?
                .rows_affected()
        }) == 1;
        if updated {
            let detail = update.reason.as_deref().or(update.external_id.as_deref());
            tx.log_delivery(notification, channel, to, detail).await?;
        }
        tx.commit().await?;
        Ok(updated)
    }

    /// App IO messages accepted and due for a status check, oldest first.
    pub async fn deliveries_to_check(&self, limit: u32) -> Result<Vec<PendingCheck>, StoreError> {
        let rows: Vec<CheckRow> = on_db!(&self.db, pool => {
            sqlx::query_as(
                "SELECT d.tenant_id, d.notification_id, n.recipient_fiscal_code, d.address, d.external_id, d.check_count, d.updated_at \
                 FROM notification_deliveries d JOIN notifications n ON n.id = d.notification_id \
                 WHERE d.channel = 'io' AND d.status = 'accepted' AND (d.next_check_at IS NULL OR d.next_check_at <= $1) \
                 ORDER BY d.next_check_at LIMIT $2",
            )
            .bind(DbTime::now())
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .filter_map(
                |(tenant, notification, recipient, address, external_id, checks, updated_at)| {
                    Some(PendingCheck {
                        tenant: TenantId::from_uuid(tenant),
                        notification,
                        recipient,
                        service_code: address?,
                        message_id: external_id?,
                        check_count: count(checks),
                        accepted_at: updated_at.as_timestamp(),
                    })
                },
            )
            .collect())
    }

    /// Asks App IO again about an accepted message after `after`.
    pub async fn schedule_delivery_check(
        &self,
        notification: Uuid,
        after: Duration,
    ) -> Result<(), StoreError> {
        let next = DbTime::from(DbTime::now().as_timestamp() + after);
        on_db!(&self.db, pool => {
            sqlx::query(
                "UPDATE notification_deliveries SET next_check_at = $1, check_count = check_count + 1 \
                 WHERE notification_id = $2 AND channel = 'io' AND status = 'accepted'",
            )
            .bind(next)
            .bind(notification)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Creates a notification in its own transaction (see [`Tx::create_notification`]).
    pub async fn create_notification(
        &self,
        new: &NewNotification,
    ) -> Result<Option<Uuid>, StoreError> {
        let mut tx = self.begin().await?;
        let id = tx.create_notification(new).await?;
        tx.commit().await?;
        Ok(id)
    }
}

impl TenantScope<'_> {
    async fn with_deliveries(
        &self,
        mut notifications: Vec<Notification>,
    ) -> Result<Vec<Notification>, StoreError> {
        if notifications.is_empty() {
            return Ok(notifications);
        }
        let ids: Vec<Uuid> = notifications.iter().map(|n| n.id).collect();
        let mut rows: Vec<DeliveryRow> = Vec::new();
        // In chunks: one query per page of notifications, not one per notification.
        for chunk in ids.chunks(200) {
            let placeholders = (0..chunk.len())
                .map(|i| format!("${}", i + 2))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "SELECT notification_id, channel, status, reason, address, external_id, attempts, updated_at, delivered_at \
                 FROM notification_deliveries WHERE tenant_id = $1 AND notification_id IN ({placeholders}) \
                 ORDER BY notification_id, channel DESC"
            );
            let part: Vec<DeliveryRow> = on_db!(&self.store.db, pool => {
                let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(self.tenant);
                for id in chunk {
                    query = query.bind(*id);
                }
                query.fetch_all(pool).await?
            });
            rows.extend(part);
        }
        for row in rows {
            let (id, delivery) = delivery_from_row(row)?;
            if let Some(n) = notifications.iter_mut().find(|n| n.id == id) {
                n.deliveries.push(delivery);
            }
        }
        for n in &mut notifications {
            n.deliveries.sort_by_key(|d| d.channel);
        }
        Ok(notifications)
    }

    async fn notifications_where(
        &self,
        condition: &str,
        bind: Option<String>,
        bind_uuid: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<Notification>, StoreError> {
        let sql = format!(
            "SELECT {} FROM notifications WHERE tenant_id = $1 {condition} ORDER BY created_at DESC, id DESC LIMIT $2",
            notification_columns!()
        );
        let rows: Vec<NotificationRow> = on_db!(&self.store.db, pool => {
            let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(self.tenant).bind(i64::from(limit));
            if let Some(value) = &bind {
                query = query.bind(value.clone());
            }
            if let Some(value) = bind_uuid {
                query = query.bind(value);
            }
            query.fetch_all(pool).await?
        });
        let notifications = rows
            .into_iter()
            .map(|row| notification_from_row(self.tenant, row))
            .collect::<Result<Vec<_>, _>>()?;
        self.with_deliveries(notifications).await
    }

    pub async fn notification(&self, id: Uuid) -> Result<Option<Notification>, StoreError> {
        Ok(self
            .notifications_where("AND id = $3", None, Some(id), 1)
            .await?
            .pop())
    }

    /// A citizen's notifications, newest first.
    pub async fn notifications_for_recipient(
        &self,
        fiscal_code: &CodiceFiscale,
        limit: u32,
    ) -> Result<Vec<Notification>, StoreError> {
        self.notifications_where(
            "AND recipient_fiscal_code = $3",
            Some(fiscal_code.as_str().to_owned()),
            None,
            limit,
        )
        .await
    }

    /// What was sent about a pratica, newest first.
    pub async fn notifications_for_pratica(
        &self,
        pratica: Uuid,
    ) -> Result<Vec<Notification>, StoreError> {
        self.notifications_where("AND pratica_id = $3", None, Some(pratica), 500)
            .await
    }

    /// The latest notifications with a delivery matching `filter`.
    pub async fn recent_notifications(
        &self,
        filter: DeliveryFilter,
        limit: u32,
    ) -> Result<Vec<Notification>, StoreError> {
        // The filter's values are closed sets of codes, spelled as literals.
        let mut condition = String::new();
        if let Some(event) = filter.event {
            condition.push_str(&format!(" AND event = '{}'", event.code()));
        }
        if filter.channel.is_some() || filter.status.is_some() {
            condition.push_str(
                " AND EXISTS (SELECT 1 FROM notification_deliveries d WHERE d.notification_id = notifications.id",
            );
            if let Some(channel) = filter.channel {
                condition.push_str(&format!(" AND d.channel = '{}'", channel.code()));
            }
            if let Some(status) = filter.status {
                condition.push_str(&format!(" AND d.status = '{}'", status.code()));
            }
            condition.push(')');
        }
        self.notifications_where(&condition, None, None, limit)
            .await
    }

    /// Deliveries by event, channel and state, for notifications created since `since`.
    pub async fn delivery_counts(
        &self,
        since: Timestamp,
    ) -> Result<Vec<DeliveryCount>, StoreError> {
        let rows: Vec<(String, String, String, i64)> = on_db!(&self.store.db, pool => {
            sqlx::query_as(
                "SELECT n.event, d.channel, d.status, COUNT(*) FROM notification_deliveries d \
                 JOIN notifications n ON n.id = d.notification_id \
                 WHERE d.tenant_id = $1 AND n.created_at >= $2 \
                 GROUP BY n.event, d.channel, d.status ORDER BY n.event, d.channel, d.status",
            )
            .bind(self.tenant)
            .bind(DbTime::from(since))
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(event, channel, status, count)| {
                Ok(DeliveryCount {
                    event: Event::parse(&event)
                        .ok_or_else(|| StoreError::corrupt("notification event", &event))?,
                    channel: parse_channel(&channel)?,
                    status: parse_status(&status)?,
                    count,
                })
            })
            .collect()
    }

    /// The history of a notification, oldest first.
    pub async fn notification_log(&self, id: Uuid) -> Result<Vec<LogEntry>, StoreError> {
        let rows: Vec<(String, DbTime, String, Option<String>)> = on_db!(&self.store.db, pool => {
            sqlx::query_as(
                "SELECT l.channel, l.at, l.status, l.detail FROM notification_log l \
                 JOIN notifications n ON n.id = l.notification_id \
                 WHERE n.tenant_id = $1 AND l.notification_id = $2 ORDER BY l.id",
            )
            .bind(self.tenant)
            .bind(id)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(channel, at, status, detail)| {
                Ok(LogEntry {
                    channel: parse_channel(&channel)?,
                    at: at.as_timestamp(),
                    status: parse_status(&status)?,
                    detail,
                })
            })
            .collect()
    }

    /// Sends a notification again, as a new one with the same content (the original keeps its
    /// history). Audited as `notification.resent`. `None` when this comune has no such
    /// notification.
    pub async fn resend_notification(
        &self,
        id: Uuid,
        actor: &Actor,
    ) -> Result<Option<Uuid>, StoreError> {
        let Some(original) = self.notification(id).await? else {
            return Ok(None);
        };
        let copy = Uuid::now_v7();
        let now = DbTime::now();
        let mut tx = self.store.begin().await?;
        on_tx!(&mut tx, conn => {
            sqlx::query(concat!(
                "INSERT INTO notifications (", insert_columns!(), ") \
                 SELECT $1, tenant_id, $2, recipient_fiscal_code, user_id, event, topic, lang, subject, markdown, \
                 template_version, pratica_id, position_id, payment, due_date, id, $3, $4 \
                 FROM notifications WHERE tenant_id = $5 AND id = $6"
            ))
            .bind(copy)
            .bind(format!("resend:{id}:{copy}"))
            .bind(actor.id())
            .bind(now)
            .bind(self.tenant)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        });
        tx.add_deliveries(copy, self.tenant_id(), now).await?;
        actor
            .entry(
                Some(self.tenant_id()),
                "notification.resent",
                format!("notification:{id}"),
                serde_json::json!({ "copy": copy, "event": original.event.code() }),
            )
            .record(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(Some(copy))
    }

    /// Stores the key of one of the comune's App IO services, sealed with `sealing`. Audited
    /// with the key's fingerprint (never the key).
    pub async fn set_appio_key(
        &self,
        service_code: &str,
        key: &str,
        sealing: &StorageKey,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let aad = self.appio_aad(service_code);
        let sealed = sealing.seal(&aad, key.as_bytes())?;
        let fingerprint = key_fingerprint(key);
        let mut tx = self.store.begin().await?;
        on_tx!(&mut tx, conn => {
            sqlx::query(
                "INSERT INTO appio_keys (tenant_id, service_code, sealed, fingerprint, updated_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (tenant_id, service_code) DO UPDATE SET sealed = EXCLUDED.sealed, \
                 fingerprint = EXCLUDED.fingerprint, updated_at = EXCLUDED.updated_at",
            )
            .bind(self.tenant)
            .bind(service_code)
            .bind(&sealed)
            .bind(&fingerprint)
            .bind(DbTime::now())
            .execute(&mut *conn)
            .await?;
        });
        actor
            .entry(
                Some(self.tenant_id()),
                "appio.key_set",
                format!("appio-service:{service_code}"),
                serde_json::json!({ "fingerprint": fingerprint }),
            )
            .record(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The key of one of the comune's App IO services, unsealed.
    pub async fn appio_key(
        &self,
        service_code: &str,
        sealing: &StorageKey,
    ) -> Result<Option<String>, StoreError> {
        let row: Option<(Vec<u8>,)> = on_db!(&self.store.db, pool => {
            sqlx::query_as("SELECT sealed FROM appio_keys WHERE tenant_id = $1 AND service_code = $2")
                .bind(self.tenant)
                .bind(service_code)
                .fetch_optional(pool)
                .await?
        });
        let Some((sealed,)) = row else {
            return Ok(None);
        };
        let plain = sealing.open(&self.appio_aad(service_code), &sealed)?;
        String::from_utf8(plain)
            .map(Some)
            .map_err(|_| StoreError::corrupt("App IO key", "not UTF-8"))
    }

    /// Which services have a key, with its fingerprint and when it was set.
    pub async fn appio_keys(&self) -> Result<Vec<(String, String, Timestamp)>, StoreError> {
        let rows: Vec<(String, String, DbTime)> = on_db!(&self.store.db, pool => {
            sqlx::query_as("SELECT service_code, fingerprint, updated_at FROM appio_keys WHERE tenant_id = $1 ORDER BY service_code")
                .bind(self.tenant)
                .fetch_all(pool)
                .await?
        });
        Ok(rows
            .into_iter()
            .map(|(code, fingerprint, at)| (code, fingerprint, at.as_timestamp()))
            .collect())
    }

    fn appio_aad(&self, service_code: &str) -> Vec<u8> {
        format!("appio-key:{}:{service_code}", self.tenant).into_bytes()
    }

    /// Records a verification link for `address`, valid for `ttl`; an earlier link of the
    /// same citizen stops working.
    pub async fn start_email_verification(
        &self,
        user: UserId,
        address: &str,
        token: &EmailToken,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let now = DbTime::now();
        let mut tx = self.store.begin().await?;
        on_tx!(&mut tx, conn => {
            sqlx::query("UPDATE email_verifications SET used_at = $1 WHERE tenant_id = $2 AND user_id = $3 AND used_at IS NULL")
                .bind(now)
                .bind(self.tenant)
                .bind(*user.as_uuid())
                .execute(&mut *conn)
                .await?;
            sqlx::query(
                "INSERT INTO email_verifications (token_hash, tenant_id, user_id, address, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(token.hash().to_vec())
            .bind(self.tenant)
            .bind(*user.as_uuid())
            .bind(address)
            .bind(now)
            .bind(DbTime::from(now.as_timestamp() + ttl))
            .execute(&mut *conn)
            .await?;
        });
        tx.commit().await?;
        Ok(())
    }

    /// Confirms the address of a verification link, once, before it expires, and only if it
    /// is still the address the citizen chose. Audited as `user.email_verified`. Returns the
    /// citizen and the address.
    pub async fn confirm_email(
        &self,
        token: &EmailToken,
        actor: &Actor,
    ) -> Result<Option<(UserId, String)>, StoreError> {
        let now = DbTime::now();
        let mut tx = self.store.begin().await?;
        let row: Option<(Uuid, String)> = on_tx!(&mut tx, conn => {
            sqlx::query_as(
                "UPDATE email_verifications SET used_at = $1 WHERE token_hash = $2 AND tenant_id = $3 \
                 AND used_at IS NULL AND expires_at > $1 RETURNING user_id, address",
            )
            .bind(now)
            .bind(token.hash().to_vec())
            .bind(self.tenant)
            .fetch_optional(&mut *conn)
            .await?
        });
        let Some((user, address)) = row else {
            return Ok(None);
        };
        let prefs: Option<(Json<ContactPreferences>,)> = on_tx!(&mut tx, conn => {
            sqlx::query_as("SELECT contact_preferences FROM users WHERE tenant_id = $1 AND id = $2")
                .bind(self.tenant)
                .bind(user)
                .fetch_optional(&mut *conn)
                .await?
        });
        let Some((Json(mut prefs),)) = prefs else {
            return Ok(None);
        };
        if !prefs
            .email_address
            .as_deref()
            .is_some_and(|a| a.eq_ignore_ascii_case(&address))
        {
            tx.commit().await?;
            return Ok(None);
        }
        prefs.email_verified = Some(address.clone());
        on_tx!(&mut tx, conn => {
            sqlx::query("UPDATE users SET contact_preferences = $1 WHERE tenant_id = $2 AND id = $3")
                .bind(Json(&prefs))
                .bind(self.tenant)
                .bind(user)
                .execute(&mut *conn)
                .await?;
        });
        actor
            .entry(
                Some(self.tenant_id()),
                "user.email_verified",
                format!("user:{user}"),
                serde_json::json!({}),
            )
            .record(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(Some((UserId::from_uuid(user), address)))
    }
}

/// The first 8 bytes of the key's SHA-256, in hex: enough to tell keys apart in the audit log
/// and on the admin page, useless to an attacker.
pub fn key_fingerprint(key: &str) -> String {
    Sha256::digest(key.as_bytes())[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
