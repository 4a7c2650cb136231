//! Running the HTTP server and the outbox worker until SIGTERM, then stopping gracefully:
//! no new connections, in-flight requests finish within the grace period, the worker finishes
//! the message in hand.

use crate::config::Config;
use anyhow::Context;
use sportello_notify::NotificationSink;
use sportello_pagopa::checkout::CheckoutClient;
use sportello_pagopa::gpd::GpdClient;
use sportello_pagopa::{PagoPaSettings, PagoPaSink, ReceiptWatcher};
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

/// The outbox's sink, by topic:
///
/// - `protocol.register`: to the comune's protocol system through the adapter `A` (in `serve`
///   the [`LocalRegister`]: the local register is the comune's register of record, each entry
///   is recorded as local-only so that the outbox shows it handled);
/// - the pagoPA topics (`payment.requested`, `pagopa.position.*`): to GPD through
///   [`PagoPaSink`]. A comune without pagoPA settings or key has its payment requests held,
///   without spending attempts, and looked at again every six hours;
/// - `payment.received`: back to the workflow, which moves the paid pratica on;
/// - `notification.requested` and `email.verify`: to App IO and e-mail through
///   [`NotificationSink`]; an installation without it (a command that only needs the other
///   topics) holds them, without spending attempts;
/// - any other topic: to `others` (the demo shows such messages on its stand-ins' page), or,
///   in `serve`, an integration this release does not have: it fails for good, visibly
///   (`outbox_depth().failed`, the log), instead of being retried forever.
pub struct TopicRouter<A> {
    store: Store,
    protocol: ProtocolSink<A>,
    pagopa: PagoPaSink,
    notify: Option<NotificationSink>,
    others: Option<sportello_mock::MockSink>,
}

impl<A: ProtocolAdapter> TopicRouter<A> {
    pub fn new(
        store: Store,
        protocol: A,
        pagopa: PagoPaSink,
        notify: Option<NotificationSink>,
        others: Option<sportello_mock::MockSink>,
    ) -> TopicRouter<A> {
        TopicRouter {
            protocol: ProtocolSink::new(store.clone(), protocol),
            pagopa,
            notify,
            others,
            store,
        }
    }
}

/// How long notifications wait, without spending attempts, in a process without the
/// notification sink.
const NOTIFICATION_HOLD: Duration = Duration::from_secs(6 * 3600);

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

impl<A: ProtocolAdapter> Sink for TopicRouter<A> {
    async fn deliver(&self, message: &Message) -> Result<(), DeliveryError> {
        match message.topic.as_str() {
            PROTOCOL_REGISTER_TOPIC => self.protocol.deliver(message).await,
            topic if PagoPaSink::handles(topic) => self.pagopa.deliver(message).await,
            sportello_pagopa::PAYMENT_RECEIVED => {
                sportello_web::on_payment_received(&self.store, message).await
            }
            topic if NotificationSink::handles(topic) => match &self.notify {
                Some(notify) => notify.deliver(message).await,
                None => {
                    self.store
                        .hold_outbox_message(message.id)
                        .await
                        .map_err(|e| DeliveryError::Transient {
                            reason: format!("cannot hold the notification: {e}"),
                            retry_after: None,
                        })?;
                    Err(DeliveryError::Transient {
                        reason: "this process has no notification sink".into(),
                        retry_after: Some(NOTIFICATION_HOLD),
                    })
                }
            },
            topic => match &self.others {
                Some(others) => others.deliver(message).await,
                None => Err(DeliveryError::Permanent {
                    reason: format!("no handler for topic {topic}"),
                }),
            },
        }
    }
}

/// The pagoPA side of an installation, sharing one HTTP client: the outbox sink, the receipts
/// watcher, the Checkout, and what the nightly reconciliation needs.
#[derive(Clone)]
pub struct PagoPa {
    pub sink: PagoPaSink,
    pub watcher: ReceiptWatcher,
    pub checkout: CheckoutClient,
    gpd: GpdClient,
    settings: PagoPaSettings,
    store: Store,
}

impl PagoPa {
    pub fn new(store: &Store, settings: PagoPaSettings) -> anyhow::Result<PagoPa> {
        let http = sportello_pagopa::http_client(settings.timeout)?;
        let gpd = GpdClient::new(http.clone(), &settings.api_base)?;
        Ok(PagoPa {
            sink: PagoPaSink::new(store.clone(), gpd.clone(), settings.clone()),
            watcher: ReceiptWatcher::new(store.clone(), gpd.clone(), settings.clone()),
            checkout: CheckoutClient::new(http, &settings.api_base)?,
            gpd,
            settings,
            store: store.clone(),
        })
    }

    /// What the web needs to let citizens pay.
    pub fn services(&self) -> sportello_web::payments::PaymentServices {
        sportello_web::payments::PaymentServices {
            sink: self.sink.clone(),
            checkout: self.checkout.clone(),
            watcher: self.watcher.clone(),
        }
    }

    /// The receipts watcher and the nightly reconciliation, until `stopped`.
    fn spawn(self, stopped: &watch::Receiver<bool>) -> Vec<tokio::task::JoinHandle<()>> {
        let watcher = self.watcher;
        let stop = stopped.clone();
        let receipts = tokio::spawn(async move { watcher.run(stop).await });
        let nightly = tokio::spawn(sportello_pagopa::reconcile::nightly(
            self.store,
            self.gpd,
            self.settings,
            stopped.clone(),
        ));
        vec![receipts, nightly]
    }
}

/// The sink, watcher and Checkout of [`PagoPa`], for commands that need only some of them.
pub fn pagopa(
    store: &Store,
    settings: PagoPaSettings,
) -> anyhow::Result<(PagoPaSink, ReceiptWatcher, CheckoutClient)> {
    let pagopa = PagoPa::new(store, settings)?;
    Ok((pagopa.sink, pagopa.watcher, pagopa.checkout))
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

/// What follows the outside services beside the worker: pagoPA's receipts and nightly
/// reconciliation, App IO's message statuses. Absent where the outbox worker does not run.
#[derive(Default)]
pub struct Watchers {
    pub pagopa: Option<PagoPa>,
    pub notify: Option<crate::notify::Notify>,
}

/// Serves `app` on `listener` and, when `sink` is given, runs the outbox worker beside it.
pub async fn run<S: Sink + 'static>(
    app: axum::Router,
    listener: TcpListener,
    store: Store,
    sink: Option<(S, WorkerOptions)>,
    watchers: Watchers,
    grace: Duration,
    shutdown: ShutdownSignal,
) -> anyhow::Result<()> {
    let (stop, stopped) = watch::channel(false);
    let mut pagopa_tasks = watchers
        .pagopa
        .map(|p| p.spawn(&stopped))
        .unwrap_or_default();
    pagopa_tasks.extend(watchers.notify.map(|n| n.spawn(&stopped)));
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
    for task in pagopa_tasks {
        task.abort();
    }
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
    async fn payment_requests_wait_for_a_key_and_unknown_topics_fail() {
        const NIL: &str = "00000000-0000-0000-0000-000000000000";
        let dir = std::env::temp_dir().join(format!("sportello-router-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}", dir.join("outbox.db").display());
        let store = Store::connect(&url, &ConnectOptions::default())
            .await
            .unwrap();
        store.migrate().await.unwrap();
        let (definition, logo) = crate::demo::demo_tenants().unwrap().remove(0);
        store
            .import_tenant(&definition, &logo, "test")
            .await
            .unwrap();
        let tenant = store.tenants().await.unwrap().remove(0);
        let request = serde_json::json!({
            "pratica": NIL, "protocol": "0000001/2026", "purpose": "submission",
            "debtor_fiscal_code": "RSSMRA80A01H501U", "debtor_name": "Mario Rossi",
            "reason": "Imposta di bollo", "lines": [{"kind": "stamp-duty", "description": "Bollo", "amount": 1600}]
        });
        for (topic, key, payload) in [
            ("payment.requested", "payment:x:submission", request),
            ("io.message", "io:x", serde_json::json!({})),
        ] {
            store
                .enqueue(&NewMessage {
                    tenant: Some(tenant.id),
                    topic: topic.into(),
                    idempotency_key: key.into(),
                    payload,
                    // Two attempts: a held message must never spend the first.
                    max_attempts: 2,
                })
                .await
                .unwrap();
        }
        // pagoPA is configured, but this comune has no subscription key yet.
        let settings = PagoPaSettings {
            api_base: "http://127.0.0.1:9/".parse().unwrap(),
            keys: Default::default(),
            timeout: Duration::from_secs(1),
            public_url: None,
        };
        let pagopa = PagoPa::new(&store, settings).unwrap();
        let worker = Worker::new(
            store.clone(),
            TopicRouter::new(store.clone(), LocalRegister, pagopa.sink, None, None),
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
        assert!(
            store
                .scoped(tenant.id)
                .position_by_origin(&format!("pratica:{NIL}:submission"))
                .await
                .unwrap()
                .is_none(),
            "no notice number is spent while waiting"
        );
        let unknown = store.outbox_message_state("io:x").await.unwrap().unwrap();
        assert_eq!(unknown.status, Status::Failed);
        store.close().await;
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
