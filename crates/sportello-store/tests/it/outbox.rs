use sportello_store::outbox::{
    DeliveryError, Message, NewMessage, RetryPolicy, Sink, Status, Worker, WorkerOptions,
};
use sportello_store::{Store, backend_tests};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

backend_tests!(
    enqueue_is_idempotent_on_its_key,
    a_message_enqueued_in_a_rolled_back_transaction_never_exists,
    delivers_and_logs_the_attempt,
    transient_failures_back_off_then_succeed,
    retry_after_is_honoured,
    permanent_failure_stops_at_once,
    gives_up_after_max_attempts,
    a_crashed_workers_lease_expires_and_another_worker_delivers,
    two_workers_never_deliver_the_same_message_twice,
);

/// A sink that records deliveries and answers from a script of outcomes per key.
#[derive(Default)]
struct FakeSink {
    delivered: Mutex<Vec<String>>,
    script: Mutex<HashMap<String, Vec<Result<(), DeliveryError>>>>,
}

impl FakeSink {
    fn scripted(key: &str, outcomes: Vec<Result<(), DeliveryError>>) -> FakeSink {
        let sink = FakeSink::default();
        sink.script.lock().unwrap().insert(key.to_owned(), outcomes);
        sink
    }

    fn delivered(&self) -> Vec<String> {
        self.delivered.lock().unwrap().clone()
    }
}

impl Sink for FakeSink {
    async fn deliver(&self, message: &Message) -> Result<(), DeliveryError> {
        let next = {
            let mut script = self.script.lock().unwrap();
            script
                .get_mut(&message.idempotency_key)
                .filter(|s| !s.is_empty())
                .map(|s| s.remove(0))
        };
        let result = next.unwrap_or(Ok(()));
        if result.is_ok() {
            self.delivered
                .lock()
                .unwrap()
                .push(message.idempotency_key.clone());
        }
        result
    }
}

fn message(key: &str, max_attempts: u32) -> NewMessage {
    NewMessage {
        tenant: None,
        topic: "test.effect".into(),
        idempotency_key: key.into(),
        payload: serde_json::json!({ "key": key }),
        max_attempts,
    }
}

fn transient(reason: &str) -> Result<(), DeliveryError> {
    Err(DeliveryError::Transient {
        reason: reason.into(),
        retry_after: None,
    })
}

/// Retries due at once, so a test can drive several attempts without waiting.
fn immediate(id: &str) -> WorkerOptions {
    WorkerOptions {
        id: id.into(),
        batch: 10,
        lease: Duration::from_secs(30),
        poll_interval: Duration::from_millis(10),
        retry: RetryPolicy {
            base: Duration::ZERO,
            cap: Duration::ZERO,
        },
    }
}

async fn enqueue_is_idempotent_on_its_key(store: Store) {
    assert!(store.enqueue(&message("k1", 3)).await.unwrap());
    assert!(!store.enqueue(&message("k1", 3)).await.unwrap());
    assert_eq!(store.outbox_depth().await.unwrap().pending, 1);
}

async fn a_message_enqueued_in_a_rolled_back_transaction_never_exists(store: Store) {
    let mut tx = store.begin().await.unwrap();
    assert!(tx.enqueue(&message("rolled-back", 3)).await.unwrap());
    drop(tx);
    assert!(
        store
            .outbox_message_state("rolled-back")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(store.outbox_depth().await.unwrap().pending, 0);
}

async fn delivers_and_logs_the_attempt(store: Store) {
    store.enqueue(&message("ok", 3)).await.unwrap();
    let worker = Worker::new(store.clone(), FakeSink::default(), immediate("w1"));
    assert_eq!(worker.run_once().await.unwrap(), 1);
    assert_eq!(worker.sink().delivered(), ["ok"]);
    let state = store.outbox_message_state("ok").await.unwrap().unwrap();
    assert_eq!((state.status, state.attempts), (Status::Delivered, 1));
    let attempts = store.outbox_attempts("ok").await.unwrap();
    assert_eq!(attempts.len(), 1);
    assert_eq!(
        (attempts[0].worker.as_str(), attempts[0].outcome.as_str()),
        ("w1", "delivered")
    );
    assert_eq!(
        worker.run_once().await.unwrap(),
        0,
        "a delivered message is never leased again"
    );
    assert_eq!(store.outbox_depth().await.unwrap().pending, 0);
}

async fn transient_failures_back_off_then_succeed(store: Store) {
    store.enqueue(&message("flaky", 5)).await.unwrap();
    let sink = FakeSink::scripted("flaky", vec![transient("HTTP 503"), transient("timeout")]);
    let worker = Worker::new(store.clone(), sink, immediate("w1"));
    for _ in 0..3 {
        worker.run_once().await.unwrap();
    }
    assert_eq!(worker.sink().delivered(), ["flaky"]);
    let outcomes: Vec<(u32, String, Option<String>)> = store
        .outbox_attempts("flaky")
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.attempt, a.outcome, a.error))
        .collect();
    assert_eq!(
        outcomes,
        [
            (1, "retry".into(), Some("HTTP 503".into())),
            (2, "retry".into(), Some("timeout".into())),
            (3, "delivered".into(), None)
        ]
    );
}

async fn retry_after_is_honoured(store: Store) {
    store.enqueue(&message("limited", 5)).await.unwrap();
    let sink = FakeSink::scripted(
        "limited",
        vec![Err(DeliveryError::Transient {
            reason: "HTTP 429".into(),
            retry_after: Some(Duration::from_secs(3600)),
        })],
    );
    let worker = Worker::new(store.clone(), sink, immediate("w1"));
    worker.run_once().await.unwrap();
    let state = store
        .outbox_message_state("limited")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(state.status, Status::Pending);
    let wait = state
        .available_at
        .as_timestamp()
        .duration_since(jiff::Timestamp::now());
    assert!(
        wait.as_secs() > 3500,
        "retry scheduled in {wait:?}, not after the hour asked"
    );
    assert_eq!(worker.run_once().await.unwrap(), 0, "not due yet");
}

async fn permanent_failure_stops_at_once(store: Store) {
    store.enqueue(&message("bad", 5)).await.unwrap();
    let sink = FakeSink::scripted(
        "bad",
        vec![Err(DeliveryError::Permanent {
            reason: "HTTP 422".into(),
        })],
    );
    let worker = Worker::new(store.clone(), sink, immediate("w1"));
    worker.run_once().await.unwrap();
    assert_eq!(worker.run_once().await.unwrap(), 0);
    let state = store.outbox_message_state("bad").await.unwrap().unwrap();
    assert_eq!(
        (state.status, state.attempts, state.last_error.as_deref()),
        (Status::Failed, 1, Some("HTTP 422"))
    );
    assert_eq!(store.outbox_depth().await.unwrap().failed, 1);
}

async fn gives_up_after_max_attempts(store: Store) {
    store.enqueue(&message("doomed", 2)).await.unwrap();
    let sink = FakeSink::scripted(
        "doomed",
        vec![
            transient("down"),
            transient("still down"),
            transient("never"),
        ],
    );
    let worker = Worker::new(store.clone(), sink, immediate("w1"));
    for _ in 0..4 {
        worker.run_once().await.unwrap();
    }
    let state = store.outbox_message_state("doomed").await.unwrap().unwrap();
    assert_eq!((state.status, state.attempts), (Status::Failed, 2));
    assert!(worker.sink().delivered().is_empty());
    let outcomes: Vec<String> = store
        .outbox_attempts("doomed")
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.outcome)
        .collect();
    assert_eq!(outcomes, ["retry", "failed"]);
}

/// A sink that never answers: it stands for a worker that dies mid-delivery.
struct HangingSink(tokio::sync::mpsc::UnboundedSender<()>);

impl Sink for HangingSink {
    async fn deliver(&self, _: &Message) -> Result<(), DeliveryError> {
        let _ = self.0.send(());
        std::future::pending().await
    }
}

async fn a_crashed_workers_lease_expires_and_another_worker_delivers(store: Store) {
    store.enqueue(&message("orphan", 5)).await.unwrap();
    let (started, mut started_rx) = tokio::sync::mpsc::unbounded_channel();
    // Long enough that the "lease still holds" check below cannot lose a race on a loaded
    // machine, short enough to keep the test quick.
    let lease = Duration::from_secs(2);
    let crashing = Worker::new(
        store.clone(),
        HangingSink(started),
        WorkerOptions {
            lease,
            ..immediate("crashing")
        },
    );
    let task = tokio::spawn(async move { crashing.run_once().await });
    // Wait until it holds the lease and is inside the sink, then kill it.
    let _ = started_rx.recv().await;
    drop(started_rx);
    task.abort();

    let rescuer = Worker::new(store.clone(), FakeSink::default(), immediate("rescuer"));
    assert_eq!(
        rescuer.run_once().await.unwrap(),
        0,
        "the lease still holds"
    );
    tokio::time::sleep(lease + Duration::from_millis(200)).await;
    assert_eq!(rescuer.run_once().await.unwrap(), 1);
    assert_eq!(rescuer.sink().delivered(), ["orphan"]);
    let state = store.outbox_message_state("orphan").await.unwrap().unwrap();
    assert_eq!(
        (state.status, state.attempts),
        (Status::Delivered, 2),
        "the lost attempt still counts"
    );
}

async fn two_workers_never_deliver_the_same_message_twice(store: Store) {
    let count = 60;
    for i in 0..count {
        store
            .enqueue(&message(&format!("m{i:03}"), 3))
            .await
            .unwrap();
    }
    let first = std::sync::Arc::new(Worker::new(
        store.clone(),
        FakeSink::default(),
        WorkerOptions {
            batch: 4,
            ..immediate("a")
        },
    ));
    let second = std::sync::Arc::new(Worker::new(
        store.clone(),
        FakeSink::default(),
        WorkerOptions {
            batch: 4,
            ..immediate("b")
        },
    ));
    let drain = |worker: std::sync::Arc<Worker<FakeSink>>| async move {
        while worker.run_once().await.unwrap() > 0 {
            tokio::task::yield_now().await;
        }
    };
    tokio::join!(drain(first.clone()), drain(second.clone()));
    let mut all = first.sink().delivered();
    all.extend(second.sink().delivered());
    all.sort();
    let mut unique = all.clone();
    unique.dedup();
    assert_eq!(
        all.len(),
        count,
        "every message delivered once: {} deliveries",
        all.len()
    );
    assert_eq!(unique.len(), count);
    assert_eq!(store.outbox_depth().await.unwrap().pending, 0);
}
