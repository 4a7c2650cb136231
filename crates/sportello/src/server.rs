//! Running the HTTP server and the outbox worker until SIGTERM, then stopping gracefully:
//! no new connections, in-flight requests finish within the grace period, the worker finishes
//! the message in hand.

use crate::config::Config;
use anyhow::Context;
use sportello_store::Store;
use sportello_store::outbox::{DeliveryError, Message, RetryPolicy, Sink, Worker, WorkerOptions};
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

/// The sink of `serve` until the pagoPA, App IO and e-mail integrations register their topics:
/// a message nobody can deliver fails for good, visibly, instead of being retried forever.
pub struct TopicRouter;

/// How long a payment request waits between checks while no payment service is configured.
const PAYMENT_HOLD: Duration = Duration::from_secs(6 * 3600);

impl Sink for TopicRouter {
    async fn deliver(&self, message: &Message) -> Result<(), DeliveryError> {
        match message.topic.as_str() {
            // Without an external protocol system the local register is the register: its
            // entry was written with the request, so there is nothing more to do.
            "protocol.register" => Ok(()),
            // Payment requests wait for the pagoPA integration; meanwhile clerks record
            // payments made at the counter.
            "payment.requested" => Err(DeliveryError::Transient {
                reason: "no payment service is configured on this installation".into(),
                retry_after: Some(PAYMENT_HOLD),
            }),
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
