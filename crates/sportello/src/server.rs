//! Running the HTTP server and the outbox worker until SIGTERM, then stopping gracefully:
//! no new connections, in-flight requests finish within the grace period, the worker finishes
//! the message in hand.

use crate::config::Config;
use anyhow::Context;
use sportello_store::Store;
use sportello_store::outbox::{DeliveryError, Message, RetryPolicy, Sink, Worker, WorkerOptions};
use sportello_store::protocol::{
    AdapterError, ExternalRef, PROTOCOL_REGISTER_TOPIC, ProtocolAdapter, ProtocolSink, Segnatura,
};
use std::future::IntoFuture;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// SIGTERM (how orchestrators stop a service) and Ctrl-C, caught from the moment this is
/// created: install it before announcing readiness, or an early SIGTERM would kill the process
/// outright instead of stopping it gracefully.
pub struct ShutdownSignal {
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
}

impl ShutdownSignal {
    pub fn install() -> ShutdownSignal {
        #[cfg(unix)]
        let terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => Some(signal),
                Err(error) => {
                    tracing::warn!(%error, "cannot catch SIGTERM; only Ctrl-C stops gracefully");
                    None
                }
            };
        ShutdownSignal {
            #[cfg(unix)]
            terminate,
        }
    }

    async fn wait(self) {
        let ctrl_c = async {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        #[cfg(unix)]
        let terminate = async move {
            match self.terminate {
                Some(mut signal) => {
                    signal.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let terminate = std::future::pending::<()>();
        tokio::select! {
            _ = ctrl_c => {}
            _ = terminate => {}
        }
    }
}

/// The sink of `serve`, by topic:
///
/// - `protocol.register`: the local register is the comune's register of record (its entry
///   was written with the request); without an external protocol system configured, the
///   [`LocalRegister`] adapter records each entry as local-only, so that the outbox shows it
///   handled;
/// - `payment.requested`: held, pending, until the pagoPA integration is installed; the
///   message gets its attempt back each time, so it never runs out of attempts, and is looked
///   at again every [`PAYMENT_HOLD`]. Meanwhile clerks record payments made at the counter;
/// - any other topic: an integration this release does not have. It fails for good, visibly
///   (`outbox_depth().failed`, the log), instead of being retried forever.
pub struct TopicRouter {
    store: Store,
    protocol: ProtocolSink<LocalRegister>,
}

impl TopicRouter {
    pub fn new(store: Store) -> TopicRouter {
        TopicRouter {
            protocol: ProtocolSink::new(store.clone(), LocalRegister),
            store,
        }
    }
}

/// How long a payment request waits between checks while no payment service is configured.
const PAYMENT_HOLD: Duration = Duration::from_secs(6 * 3600);

/// The system name recorded for entries no external protocol system registered.
pub const LOCAL_REGISTER_SYSTEM: &str = "local";

/// The protocol adapter of an installation without an external protocol system: the entry's
/// own number is its reference, under the system name [`LOCAL_REGISTER_SYSTEM`].
pub struct LocalRegister;

impl ProtocolAdapter for LocalRegister {
    async fn register(&self, segnatura: &Segnatura) -> Result<ExternalRef, AdapterError> {
        Ok(ExternalRef {
            system: LOCAL_REGISTER_SYSTEM.to_owned(),
            reference: segnatura.number.to_string(),
        })
    }
}

impl Sink for TopicRouter {
    async fn deliver(&self, message: &Message) -> Result<(), DeliveryError> {
        match message.topic.as_str() {
            PROTOCOL_REGISTER_TOPIC => self.protocol.deliver(message).await,
            "payment.requested" => {
                self.store
                    .hold_outbox_message(message.id)
                    .await
                    .map_err(|e| DeliveryError::Transient {
                        reason: format!("cannot hold the payment request: {e}"),
                        retry_after: None,
                    })?;
                Err(DeliveryError::Transient {
                    reason: "waiting for the pagoPA integration: no payment service is configured on this installation".into(),
                    retry_after: Some(PAYMENT_HOLD),
                })
            }
            topic => Err(DeliveryError::Permanent {
                reason: format!("no handler for topic {topic}"),
            }),
        }
    }
}

pub fn worker_options(config: &Config) -> WorkerOptions {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "sportello".to_owned());
    WorkerOptions {
        id: format!("{host}-{}", std::process::id()),
        batch: config.outbox_batch,
        lease: config.outbox_lease,
        poll_interval: config.outbox_poll,
        retry: RetryPolicy::default(),
    }
}

/// Serves `app` on `listener` and, when `sink` is given, runs the outbox worker beside it.
pub async fn run<S: Sink + 'static>(
    app: axum::Router,
    listener: TcpListener,
    store: Store,
    sink: Option<(S, WorkerOptions)>,
    grace: Duration,
    shutdown: ShutdownSignal,
) -> anyhow::Result<()> {
    let (stop, stopped) = watch::channel(false);
    let worker = sink.map(|(sink, options)| {
        let worker = Worker::new(store.clone(), sink, options);
        let stopped = stopped.clone();
        tokio::spawn(async move { worker.run(stopped).await })
    });

    let housekeeping = tokio::spawn(housekeeping(store.clone(), stopped.clone()));
    let mut server_stopped = stopped.clone();
    let server = axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            let _ = server_stopped.wait_for(|stop| *stop).await;
        })
        .into_future();
    let mut server = tokio::spawn(server);

    tokio::select! {
        result = &mut server => {
            let _ = stop.send(true);
            result.context("the server task failed")?.context("the server stopped")?;
            return Ok(());
        }
        _ = shutdown.wait() => {
            tracing::info!(grace_secs = grace.as_secs(), "shutting down: finishing in-flight requests");
        }
    }
    let _ = stop.send(true);
    match tokio::time::timeout(grace, &mut server).await {
        Ok(result) => result
            .context("the server task failed")?
            .context("the server stopped")?,
        Err(_) => {
            tracing::warn!("grace period over: abandoning the requests still in flight");
            server.abort();
        }
    }
    housekeeping.abort();
    if let Some(worker) = worker
        && tokio::time::timeout(Duration::from_secs(10), worker)
            .await
            .is_err()
    {
        tracing::warn!("the outbox worker did not stop in time; its lease will expire");
    }
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Every quarter of an hour: expired sessions, pending SAML requests and replay-cache entries
/// go, and SAML traces past their legal retention. Each instance does it; the deletes are
/// idempotent.
async fn housekeeping(store: Store, mut stopped: watch::Receiver<bool>) {
    let mut every = tokio::time::interval(Duration::from_secs(15 * 60));
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = stopped.wait_for(|stop| *stop) => return,
        }
        match store
            .purge_expired_identity_state(jiff::Timestamp::now())
            .await
        {
            Ok(purged) => tracing::debug!(?purged, "identity housekeeping"),
            Err(error) => tracing::warn!(%error, "identity housekeeping failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sportello_store::ConnectOptions;
    use sportello_store::outbox::{NewMessage, Status};

    #[tokio::test]
    async fn payment_requests_stay_pending_and_unknown_topics_fail() {
        let dir = std::env::temp_dir().join(format!("sportello-router-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}", dir.join("outbox.db").display());
        let store = Store::connect(&url, &ConnectOptions::default())
            .await
            .unwrap();
        store.migrate().await.unwrap();
        for (topic, key) in [
            ("payment.requested", "payment:x:submission"),
            ("io.message", "io:x"),
        ] {
            store
                .enqueue(&NewMessage {
                    tenant: None,
                    topic: topic.into(),
                    idempotency_key: key.into(),
                    payload: serde_json::json!({}),
                    // Two attempts: a held message must never spend the first.
                    max_attempts: 2,
                })
                .await
                .unwrap();
        }
        let worker = Worker::new(
            store.clone(),
            TopicRouter::new(store.clone()),
            WorkerOptions::default(),
        );
        assert_eq!(worker.run_once().await.unwrap(), 2);
        let payment = store
            .outbox_message_state("payment:x:submission")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(payment.status, Status::Pending);
        assert_eq!(payment.attempts, 0, "the held attempt is given back");
        assert!(payment.available_at.as_timestamp() > jiff::Timestamp::now());
        let unknown = store.outbox_message_state("io:x").await.unwrap().unwrap();
        assert_eq!(unknown.status, Status::Failed);
        store.close().await;
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
