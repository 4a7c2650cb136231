//! The outbox worker: leases due messages, hands each to the sink, records the outcome.

use super::retry::random_unit;
use super::{Message, Outcome, RetryPolicy};
use crate::{DbTime, Store, StoreError};
use std::future::Future;
use std::time::Duration;
use tokio::sync::watch;

/// Where messages go: the pagoPA client, the App IO client, the mailer… or a fake in tests.
pub trait Sink: Send + Sync {
    /// Performs the effect. Must be idempotent on `message.idempotency_key`: after a crash
    /// between delivery and bookkeeping the same message is delivered again.
    fn deliver(&self, message: &Message) -> impl Future<Output = Result<(), DeliveryError>> + Send;
}

/// Why a delivery did not happen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// Worth trying again: a timeout, a 5xx, a 429 (with the service's `Retry-After`).
    #[error("{reason}")]
    Transient {
        reason: String,
        retry_after: Option<Duration>,
    },
    /// Trying again cannot help: the request is invalid or refused for good.
    #[error("{reason}")]
    Permanent { reason: String },
}

#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Names this worker in leases and in the attempt log (host and process, typically).
    pub id: String,
    /// Messages leased at a time.
    pub batch: u32,
    /// How long a leased message is reserved; a delivery taking longer is abandoned.
    pub lease: Duration,
    /// Pause between polls when nothing was due.
    pub poll_interval: Duration,
    pub retry: RetryPolicy,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions {
            id: format!("worker-{}", std::process::id()),
            batch: 16,
            lease: Duration::from_secs(60),
            poll_interval: Duration::from_secs(1),
            retry: RetryPolicy::default(),
        }
    }
}

pub struct Worker<S> {
    store: Store,
    sink: S,
    options: WorkerOptions,
}

impl<S: Sink> Worker<S> {
    pub fn new(store: Store, sink: S, options: WorkerOptions) -> Worker<S> {
        Worker {
            store,
            sink,
            options,
        }
    }

    pub fn sink(&self) -> &S {
        &self.sink
    }

    /// Leases one batch and delivers it. Returns how many messages were attempted.
    pub async fn run_once(&self) -> Result<usize, StoreError> {
        let messages = self
            .store
            .lease(&self.options.id, self.options.batch, self.options.lease)
            .await?;
        for message in &messages {
            self.attempt(message).await?;
        }
        Ok(messages.len())
    }

    async fn attempt(&self, message: &Message) -> Result<(), StoreError> {
        let started_at = DbTime::now();
        let result =
            match tokio::time::timeout(self.options.lease, self.sink.deliver(message)).await {
                Ok(result) => result,
                Err(_) => Err(DeliveryError::Transient {
                    reason: "delivery timed out".to_owned(),
                    retry_after: None,
                }),
            };
        let outcome = match result {
            Ok(()) => Outcome::Delivered,
            Err(DeliveryError::Permanent { reason }) => Outcome::Failed { error: reason },
            Err(DeliveryError::Transient { reason, .. })
                if message.attempt >= message.max_attempts =>
            {
                Outcome::Failed {
                    error: format!("gave up after {} attempts: {reason}", message.attempt),
                }
            }
            Err(DeliveryError::Transient {
                reason,
                retry_after,
            }) => {
                let delay =
                    self.options
                        .retry
                        .delay_honouring(message.attempt, random_unit(), retry_after);
                Outcome::Retry {
                    at: DbTime::from(DbTime::now().as_timestamp() + delay),
                    error: reason,
                }
            }
        };
        match &outcome {
            Outcome::Delivered => {
                tracing::debug!(topic = %message.topic, attempt = message.attempt, "outbox message delivered")
            }
            Outcome::Retry { error, .. } => {
                tracing::warn!(topic = %message.topic, attempt = message.attempt, %error, "outbox delivery failed, will retry")
            }
            Outcome::Failed { error } => {
                tracing::error!(topic = %message.topic, attempt = message.attempt, %error, "outbox delivery failed for good")
            }
        }
        let kept_lease = self
            .store
            .finish_attempt(message, &self.options.id, started_at, outcome)
            .await?;
        if !kept_lease {
            tracing::warn!(topic = %message.topic, "outbox lease expired during delivery; another worker owns the message");
        }
        Ok(())
    }

    /// Delivers until `shutdown` turns true, then returns after the current message.
    pub async fn run(&self, mut shutdown: watch::Receiver<bool>) {
        loop {
            if *shutdown.borrow() {
                return;
            }
            let idle = match self.run_once().await {
                Ok(0) => true,
                Ok(_) => false,
                Err(error) => {
                    tracing::error!(%error, "outbox worker could not reach the database");
                    true
                }
            };
            if idle {
                tokio::select! {
                    _ = tokio::time::sleep(self.options.poll_interval) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
    }
}
