//! The transactional outbox.
//!
//! A side effect towards the outside world (a pagoPA call, an App IO message, an e-mail) is a
//! row written in the same transaction as the state change that causes it; a [`Worker`] then
//! delivers it to a [`Sink`]. Rows are *leased* before delivery, so a second worker skips them
//! and a crashed worker's rows come back when the lease ends; every attempt is logged; failed
//! attempts are retried with exponential backoff and jitter, honouring a service's
//! `Retry-After`. Delivery is at least once, so every message carries an idempotency key that
//! the sink passes to the service (or checks itself) to make a repeat harmless.

mod retry;
mod worker;

pub use retry::RetryPolicy;
pub use worker::{DeliveryError, Sink, Worker, WorkerOptions};

use crate::{DbTime, Store, StoreError, Tx};
use sportello_domain::TenantId;
use sqlx::types::Json;
use std::time::Duration;
use uuid::Uuid;

/// A side effect to perform.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMessage {
    pub tenant: Option<TenantId>,
    /// What kind of effect this is, e.g. `pagopa.gpd.create`; the sink dispatches on it.
    pub topic: String,
    /// Unique across the outbox: enqueueing the same key twice stores one message.
    pub idempotency_key: String,
    pub payload: serde_json::Value,
    pub max_attempts: u32,
}

/// A message handed to a sink.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub id: Uuid,
    pub tenant: Option<TenantId>,
    pub topic: String,
    pub idempotency_key: String,
    pub payload: serde_json::Value,
    /// 1 for the first attempt.
    pub attempt: u32,
    pub max_attempts: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pending,
    Delivered,
    Failed,
}

impl Status {
    fn parse(value: &str) -> Result<Status, StoreError> {
        match value {
            "pending" => Ok(Status::Pending),
            "delivered" => Ok(Status::Delivered),
            "failed" => Ok(Status::Failed),
            other => Err(StoreError::corrupt("outbox status", other)),
        }
    }
}

/// A message's state, for dashboards and tests.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageState {
    pub status: Status,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub available_at: DbTime,
}

/// One logged delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub attempt: u32,
    pub worker: String,
    pub outcome: String,
    pub error: Option<String>,
}

/// How many messages wait, by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Depth {
    pub pending: i64,
    pub failed: i64,
}

impl Tx {
    /// Adds a message in this transaction. Returns `false` when a message with the same
    /// idempotency key already exists (nothing is added).
    pub async fn enqueue(&mut self, message: &NewMessage) -> Result<bool, StoreError> {
        let now = DbTime::now();
        let result = on_tx!(self, conn => {
            sqlx::query(
                "INSERT INTO outbox (id, tenant_id, topic, idempotency_key, payload, status, attempts, max_attempts, available_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $7, $7) ON CONFLICT (idempotency_key) DO NOTHING",
            )
            .bind(Uuid::now_v7())
            .bind(message.tenant.map(|t| *t.as_uuid()))
            .bind(&message.topic)
            .bind(&message.idempotency_key)
            .bind(Json(&message.payload))
            .bind(i32::try_from(message.max_attempts.max(1)).unwrap_or(i32::MAX))
            .bind(now)
            .execute(conn)
            .await?
            .rows_affected()
        });
        Ok(result == 1)
    }
}

type LeasedRow = (
    Uuid,
    Option<Uuid>,
    String,
    String,
    Json<serde_json::Value>,
    i32,
    i32,
);

impl Store {
    /// Enqueues one message in its own transaction.
    pub async fn enqueue(&self, message: &NewMessage) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let added = tx.enqueue(message).await?;
        tx.commit().await?;
        Ok(added)
    }

    /// Leases up to `limit` due messages to `worker` for `lease`. The lease condition is
    /// repeated in the outer `WHERE`, so when two workers race for a row, PostgreSQL re-checks
    /// it on the locked row and only one of them gets it; SQLite runs one writer at a time.
    pub(crate) async fn lease(
        &self,
        worker: &str,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<Message>, StoreError> {
        let now = DbTime::now();
        let until = DbTime::from(now.as_timestamp() + lease);
        let rows: Vec<LeasedRow> = on_db!(&self.db, pool => {
            sqlx::query_as(
                "UPDATE outbox SET lease_owner = $1, lease_until = $2, attempts = attempts + 1 \
                 WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' AND available_at <= $3 \
                              AND (lease_until IS NULL OR lease_until < $3) ORDER BY available_at, id LIMIT $4) \
                 AND status = 'pending' AND (lease_until IS NULL OR lease_until < $3) \
                 RETURNING id, tenant_id, topic, idempotency_key, payload, attempts, max_attempts",
            )
            .bind(worker)
            .bind(until)
            .bind(now)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
        });
        let mut messages: Vec<Message> = rows
            .into_iter()
            .map(
                |(id, tenant, topic, idempotency_key, payload, attempts, max_attempts)| Message {
                    id,
                    tenant: tenant.map(TenantId::from_uuid),
                    topic,
                    idempotency_key,
                    payload: payload.0,
                    attempt: u32::try_from(attempts).unwrap_or(0),
                    max_attempts: u32::try_from(max_attempts).unwrap_or(1),
                },
            )
            .collect();
        messages.sort_by_key(|m| m.id);
        Ok(messages)
    }

    /// Records the end of an attempt and moves the message on. Returns `false` when the lease
    /// was lost (another worker took the message after ours expired): nothing but the attempt
    /// log is changed then.
    pub(crate) async fn finish_attempt(
        &self,
        message: &Message,
        worker: &str,
        started_at: DbTime,
        outcome: Outcome,
    ) -> Result<bool, StoreError> {
        let now = DbTime::now();
        let (status, available_at, error, outcome_name) = match &outcome {
            Outcome::Delivered => ("delivered", None, None, "delivered"),
            Outcome::Retry { at, error } => ("pending", Some(*at), Some(error.as_str()), "retry"),
            Outcome::Failed { error } => ("failed", None, Some(error.as_str()), "failed"),
        };
        let finished_at = if status == "pending" { None } else { Some(now) };
        let mut tx = self.begin().await?;
        let updated = on_tx!(&mut tx, conn => {
            sqlx::query(
                "UPDATE outbox SET status = $1, available_at = COALESCE($2, available_at), last_error = $3, \
                 finished_at = $4, lease_owner = NULL, lease_until = NULL \
                 WHERE id = $5 AND lease_owner = $6 AND status = 'pending'",
            )
            .bind(status)
            .bind(available_at)
            .bind(error)
            .bind(finished_at)
            .bind(message.id)
            .bind(worker)
            .execute(&mut *conn)
            .await?
            .rows_affected()
        }) == 1;
        let logged_outcome = if updated { outcome_name } else { "lease-lost" };
        on_tx!(&mut tx, conn => {
            sqlx::query(
                "INSERT INTO outbox_attempts (outbox_id, attempt, worker, started_at, finished_at, outcome, error) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (outbox_id, attempt) DO NOTHING",
            )
            .bind(message.id)
            .bind(i32::try_from(message.attempt).unwrap_or(i32::MAX))
            .bind(worker)
            .bind(started_at)
            .bind(now)
            .bind(logged_outcome)
            .bind(error)
            .execute(conn)
            .await?;
        });
        tx.commit().await?;
        Ok(updated)
    }

    pub async fn outbox_depth(&self) -> Result<Depth, StoreError> {
        let rows: Vec<(String, i64)> = on_db!(&self.db, pool => {
            sqlx::query_as("SELECT status, COUNT(*) FROM outbox WHERE status <> 'delivered' GROUP BY status")
                .fetch_all(pool)
                .await?
        });
        let mut depth = Depth::default();
        for (status, count) in rows {
            match Status::parse(&status)? {
                Status::Pending => depth.pending = count,
                Status::Failed => depth.failed = count,
                Status::Delivered => {}
            }
        }
        Ok(depth)
    }

    pub async fn outbox_message_state(
        &self,
        idempotency_key: &str,
    ) -> Result<Option<MessageState>, StoreError> {
        let row: Option<(String, i32, Option<String>, DbTime)> = on_db!(&self.db, pool => {
            sqlx::query_as("SELECT status, attempts, last_error, available_at FROM outbox WHERE idempotency_key = $1")
                .bind(idempotency_key)
                .fetch_optional(pool)
                .await?
        });
        row.map(|(status, attempts, last_error, available_at)| {
            Ok(MessageState {
                status: Status::parse(&status)?,
                attempts: u32::try_from(attempts).unwrap_or(0),
                last_error,
                available_at,
            })
        })
        .transpose()
    }

    pub async fn outbox_attempts(&self, idempotency_key: &str) -> Result<Vec<Attempt>, StoreError> {
        let rows: Vec<(i32, String, String, Option<String>)> = on_db!(&self.db, pool => {
            sqlx::query_as(
                "SELECT a.attempt, a.worker, a.outcome, a.error FROM outbox_attempts a \
                 JOIN outbox o ON o.id = a.outbox_id WHERE o.idempotency_key = $1 ORDER BY a.attempt",
            )
            .bind(idempotency_key)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(attempt, worker, outcome, error)| Attempt {
                attempt: u32::try_from(attempt).unwrap_or(0),
                worker,
                outcome,
                error,
            })
            .collect())
    }
}

/// How an attempt ended, as the worker decided.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outcome {
    Delivered,
    Retry { at: DbTime, error: String },
    Failed { error: String },
}
