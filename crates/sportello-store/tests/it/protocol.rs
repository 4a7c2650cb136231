use crate::citizens::{MARIO, cf, operator};
use crate::requests::{comune, incoming};
use jiff::Timestamp;
use sportello_domain::protocol::ProtocolNumber;
use sportello_store::outbox::{Status, Worker, WorkerOptions};
use sportello_store::protocol::{
    AdapterError, AttachmentDigest, ExternalRef, PROTOCOL_REGISTER_TOPIC, ProtocolAdapter,
    ProtocolSink, Segnatura,
};
use sportello_store::{Store, backend_tests};
use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::Duration;

backend_tests!(
    numbers_are_progressive_and_each_entry_is_audited_and_queued,
    a_hundred_concurrent_registrations_get_1_to_100,
    rolled_back_registrations_leave_no_gap,
    numbering_restarts_on_new_year_in_rome,
    new_year_arriving_during_a_registration_gives_the_old_years_number_back,
    register_entries_cannot_be_changed_or_deleted,
    each_comune_has_its_own_register,
    the_daily_register_lists_a_days_entries,
    the_external_protocol_system_gets_each_entry,
    a_failing_external_system_is_retried,
);

fn number(year: i16, n: u32) -> ProtocolNumber {
    ProtocolNumber::new(year, n).unwrap()
}

async fn register(
    store: &Store,
    tenant: sportello_domain::TenantId,
    subject: &str,
) -> ProtocolNumber {
    let scope = store.scoped(tenant);
    let mut tx = store.begin().await.unwrap();
    let entry = scope
        .register_protocol(&mut tx, &incoming(subject), &operator())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    entry.number
}

async fn numbers_are_progressive_and_each_entry_is_audited_and_queued(store: Store) {
    let tenant = comune(&store, "alfa").await;
    let scope = store.scoped(tenant);
    let year = sportello_domain::protocol::registry_year(Timestamp::now());

    let mut new = incoming("Richiesta di permesso ZTL");
    new.attachments = vec![AttachmentDigest {
        name: "libretto.pdf".into(),
        content_type: "application/pdf".into(),
        size: 1234,
        sha256: "ab".repeat(32),
    }];
    let before = Timestamp::now();
    let mut tx = store.begin().await.unwrap();
    let first = scope
        .register_protocol(&mut tx, &new, &operator())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(first.number, number(year, 1));
    assert!(first.registered_at >= before && first.registered_at <= Timestamp::now());
    assert_eq!(first.number.to_string(), format!("0000001/{year}"));
    assert_eq!(
        scope.protocol_entry(first.number).await.unwrap(),
        Some(first.clone())
    );

    assert_eq!(register(&store, tenant, "Seconda").await, number(year, 2));
    assert_eq!(register(&store, tenant, "Terza").await, number(year, 3));

    let audit = scope.audit_log(10).await.unwrap();
    let registered: Vec<&str> = audit
        .iter()
        .filter(|r| r.entry.action == "protocol.registered")
        .map(|r| r.entry.subject.as_str())
        .collect();
    assert_eq!(
        registered,
        [
            format!("protocol:0000003/{year}"),
            format!("protocol:0000002/{year}"),
            format!("protocol:0000001/{year}"),
        ]
    );

    let key = format!("protocol:{tenant}:{year}:1");
    let state = store.outbox_message_state(&key).await.unwrap().unwrap();
    assert_eq!(state.status, Status::Pending);
    assert_eq!(store.outbox_depth().await.unwrap().pending, 3);

    // An empty subject or sender is refused before a number is spent.
    let mut tx = store.begin().await.unwrap();
    assert!(
        scope
            .register_protocol(&mut tx, &incoming(" "), &operator())
            .await
            .is_err()
    );
    drop(tx);
    assert_eq!(register(&store, tenant, "Quarta").await, number(year, 4));
}

/// Opens `count` transactions at once, each registering one entry; those `rolls_back` picks
/// hold the counter a moment and roll back. Returns the numbers committed.
async fn concurrent_registrations(
    store: &Store,
    tenant: sportello_domain::TenantId,
    count: usize,
    rolls_back: fn(usize) -> bool,
) -> Vec<u32> {
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(count));
    let tasks: Vec<_> = (0..count)
        .map(|i| {
            let store = store.clone();
            let start = start.clone();
            tokio::spawn(async move {
                start.wait().await;
                let scope = store.scoped(tenant);
                let mut tx = store.begin().await.unwrap();
                let entry = scope
                    .register_protocol(&mut tx, &incoming(&format!("Richiesta {i}")), &operator())
                    .await
                    .unwrap();
                if rolls_back(i) {
                    // Keep the counter locked while others queue behind it.
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    drop(tx);
                    None
                } else {
                    tx.commit().await.unwrap();
                    Some(entry.number.number())
                }
            })
        })
        .collect();
    let mut committed = Vec::new();
    for task in tasks {
        committed.extend(task.await.unwrap());
    }
    committed.sort_unstable();
    committed
}

async fn stored_numbers(store: &Store, tenant: sportello_domain::TenantId, year: i16) -> Vec<u32> {
    let scope = store.scoped(tenant);
    let mut numbers = Vec::new();
    // Reads the register back entry by entry, past its end, so that a gap or an extra entry
    // would show.
    for n in 1..=200 {
        if scope
            .protocol_entry(number(year, n))
            .await
            .unwrap()
            .is_some()
        {
            numbers.push(n);
        }
    }
    numbers
}

async fn a_hundred_concurrent_registrations_get_1_to_100(store: Store) {
    let tenant = comune(&store, "alfa").await;
    let year = sportello_domain::protocol::registry_year(Timestamp::now());
    let committed = concurrent_registrations(&store, tenant, 100, |_| false).await;
    let expected: Vec<u32> = (1..=100).collect();
    assert_eq!(committed, expected, "no gaps, no duplicates");
    assert_eq!(stored_numbers(&store, tenant, year).await, expected);
}

async fn rolled_back_registrations_leave_no_gap(store: Store) {
    let tenant = comune(&store, "alfa").await;
    let year = sportello_domain::protocol::registry_year(Timestamp::now());
    let committed = concurrent_registrations(&store, tenant, 60, |i| i % 3 == 0).await;
    let expected: Vec<u32> = (1..=40).collect();
    assert_eq!(
        committed, expected,
        "the numbers of rolled-back transactions are given again"
    );
    assert_eq!(stored_numbers(&store, tenant, year).await, expected);
    assert_eq!(register(&store, tenant, "Dopo").await, number(year, 41));
    assert_eq!(
        store.outbox_depth().await.unwrap().pending,
        41,
        "a rolled-back registration queues nothing"
    );
}

async fn numbering_restarts_on_new_year_in_rome(store: Store) {
    let tenant = comune(&store, "alfa").await;
    let scope = store.scoped(tenant);
    let at = |s: &str| s.parse::<Timestamp>().unwrap();
    let cases = [
        // 23:59 in Rome on 31 December: still 2026.
        ("2026-12-31T22:59:00Z", number(2026, 1)),
        ("2026-12-31T22:59:59Z", number(2026, 2)),
        // 00:30 in Rome on 1 January, although UTC still says 31 December.
        ("2026-12-31T23:30:00Z", number(2027, 1)),
        ("2027-01-01T08:00:00Z", number(2027, 2)),
        // A late registration with an old instant cannot happen in production; here it shows
        // that each year keeps its own counter.
        ("2026-12-31T22:59:59Z", number(2026, 3)),
    ];
    for (instant, expected) in cases {
        let mut tx = store.begin().await.unwrap();
        let entry = scope
            .register_protocol_at(&mut tx, &incoming("Richiesta"), &operator(), at(instant))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(entry.number, expected, "{instant}");
        assert_eq!(entry.registered_at, at(instant));
    }
    let key = format!("protocol:{tenant}:2027:1");
    let payload = outbox_payload(&store, &key).await;
    assert_eq!(payload.registration_date.to_string(), "2027-01-01");
    assert_eq!(payload.number, number(2027, 1));
}

async fn new_year_arriving_during_a_registration_gives_the_old_years_number_back(store: Store) {
    let tenant = comune(&store, "alfa").await;
    let scope = store.scoped(tenant);
    // The clock read before taking the counter says 2026; read again once the counter is
    // ours, it says 2027 in Rome.
    let readings = Mutex::new(vec![
        "2026-12-31T22:59:59.999Z",
        "2026-12-31T23:00:00.001Z",
        "2026-12-31T23:00:00.002Z",
    ]);
    let clock = || -> Timestamp { readings.lock().unwrap().remove(0).parse().unwrap() };
    let mut tx = store.begin().await.unwrap();
    let entry = scope
        .register_protocol_clocked(&mut tx, &incoming("Richiesta"), &operator(), &clock)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(entry.number, number(2027, 1));
    assert_eq!(
        entry.registered_at,
        "2026-12-31T23:00:00.002Z".parse().unwrap()
    );
    assert!(readings.lock().unwrap().is_empty());
    // 2026's number 1 was handed back, not lost.
    let mut tx = store.begin().await.unwrap();
    let late = scope
        .register_protocol_at(
            &mut tx,
            &incoming("Richiesta"),
            &operator(),
            "2026-12-31T22:59:59.999Z".parse().unwrap(),
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(late.number, number(2026, 1));
}

/// The segnatura an outbox message carries, read by delivering it to a recording adapter.
async fn outbox_payload(store: &Store, key: &str) -> Segnatura {
    let worker = Worker::new(
        store.clone(),
        ProtocolSink::new(store.clone(), FakeProtocolSystem::default()),
        immediate(),
    );
    while worker.run_once().await.unwrap() > 0 {}
    let seen = worker.sink().adapter().seen.lock().unwrap().clone();
    seen.into_iter()
        .find(|s| s.idempotency_key() == key)
        .unwrap_or_else(|| panic!("no message {key}"))
}

async fn register_entries_cannot_be_changed_or_deleted(store: Store) {
    let tenant = comune(&store, "alfa").await;
    let n = register(&store, tenant, "Originale").await;
    for sql in [
        "UPDATE protocol_entries SET subject = 'Modificato'",
        "DELETE FROM protocol_entries",
    ] {
        assert!(
            store.execute_unchecked(sql).await.is_err(),
            "{sql} succeeded"
        );
    }
    let entry = store
        .scoped(tenant)
        .protocol_entry(n)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(entry.subject, "Originale");
}

async fn each_comune_has_its_own_register(store: Store) {
    let alfa = comune(&store, "alfa").await;
    let beta = comune(&store, "beta").await;
    let year = sportello_domain::protocol::registry_year(Timestamp::now());
    assert_eq!(register(&store, alfa, "A1").await, number(year, 1));
    assert_eq!(register(&store, alfa, "A2").await, number(year, 2));
    assert_eq!(register(&store, beta, "B1").await, number(year, 1));
    let in_beta = store
        .scoped(beta)
        .protocol_entry(number(year, 2))
        .await
        .unwrap();
    assert!(in_beta.is_none(), "beta never sees alfa's entries");
    let b1 = store
        .scoped(beta)
        .protocol_entry(number(year, 1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(b1.subject, "B1");
}

async fn the_daily_register_lists_a_days_entries(store: Store) {
    let tenant = comune(&store, "alfa").await;
    let scope = store.scoped(tenant);
    for instant in [
        "2026-03-09T22:59:00Z", // 23:59 on the 9th in Rome
        "2026-03-09T23:00:00Z", // midnight: the 10th
        "2026-03-10T12:00:00Z",
        "2026-03-10T23:00:00Z", // the 11th
    ] {
        let mut tx = store.begin().await.unwrap();
        scope
            .register_protocol_at(
                &mut tx,
                &incoming(instant),
                &operator(),
                instant.parse().unwrap(),
            )
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    let day = scope
        .protocol_register_of_day(jiff::civil::date(2026, 3, 10))
        .await
        .unwrap();
    let numbers: Vec<u32> = day.iter().map(|e| e.number.number()).collect();
    assert_eq!(numbers, [2, 3]);
}

/// An external protocol system that numbers entries its own way and remembers repeats.
#[derive(Default)]
struct FakeProtocolSystem {
    seen: Mutex<Vec<Segnatura>>,
    failures_left: Mutex<u32>,
}

impl ProtocolAdapter for FakeProtocolSystem {
    async fn register(&self, segnatura: &Segnatura) -> Result<ExternalRef, AdapterError> {
        {
            let mut failures = self.failures_left.lock().unwrap();
            if *failures > 0 {
                *failures -= 1;
                return Err(AdapterError::Transient {
                    reason: "HTTP 503".into(),
                    retry_after: None,
                });
            }
        }
        let mut seen = self.seen.lock().unwrap();
        let position = match seen.iter().position(|s| s.number == segnatura.number) {
            Some(p) => p,
            None => {
                seen.push(segnatura.clone());
                seen.len() - 1
            }
        };
        Ok(ExternalRef {
            system: "fake".into(),
            reference: format!("EXT-{}", position + 1),
        })
    }
}

fn immediate() -> WorkerOptions {
    WorkerOptions {
        id: "protocol-test".into(),
        batch: 10,
        lease: Duration::from_secs(30),
        poll_interval: Duration::from_millis(10),
        retry: sportello_store::outbox::RetryPolicy {
            base: Duration::ZERO,
            cap: Duration::ZERO,
        },
    }
}

async fn the_external_protocol_system_gets_each_entry(store: Store) {
    let tenant = comune(&store, "alfa").await;
    let scope = store.scoped(tenant);
    let mut new = incoming("Richiesta contrassegno");
    new.attachments = vec![AttachmentDigest {
        name: "foto.jpg".into(),
        content_type: "image/jpeg".into(),
        size: 10,
        sha256: "cd".repeat(32),
    }];
    let mut tx = store.begin().await.unwrap();
    let entry = scope
        .register_protocol(&mut tx, &new, &operator())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(
        scope
            .protocol_external_ref(entry.number)
            .await
            .unwrap()
            .is_none()
    );

    let worker = Worker::new(
        store.clone(),
        ProtocolSink::new(store.clone(), FakeProtocolSystem::default()),
        immediate(),
    );
    assert_eq!(worker.run_once().await.unwrap(), 1);
    let seen = worker.sink().adapter().seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    let segnatura = &seen[0];
    assert_eq!(segnatura.tenant, tenant);
    assert_eq!(segnatura.ipa_code, "c_alfa");
    assert_eq!(segnatura.register_code, "PROTOCOLLO");
    assert_eq!(segnatura.number, entry.number);
    assert_eq!(segnatura.registered_at, entry.registered_at);
    assert_eq!(segnatura.subject, "Richiesta contrassegno");
    assert_eq!(segnatura.correspondent.fiscal_code, Some(cf(MARIO)));
    assert_eq!(segnatura.attachments, new.attachments);
    assert_eq!(
        scope.protocol_external_ref(entry.number).await.unwrap(),
        Some(ExternalRef {
            system: "fake".into(),
            reference: "EXT-1".into()
        })
    );
    let key = segnatura.idempotency_key();
    assert_eq!(
        key,
        format!(
            "protocol:{tenant}:{}:{}",
            entry.number.year(),
            entry.number.number()
        )
    );
    let state = store.outbox_message_state(&key).await.unwrap().unwrap();
    assert_eq!(state.status, Status::Delivered);
    // A repeated delivery (after a crash) keeps the first reference.
    store
        .record_protocol_external_ref(
            tenant,
            entry.number,
            &ExternalRef {
                system: "fake".into(),
                reference: "EXT-99".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        scope
            .protocol_external_ref(entry.number)
            .await
            .unwrap()
            .map(|r| r.reference),
        Some("EXT-1".into())
    );
    assert_eq!(PROTOCOL_REGISTER_TOPIC, "protocol.register");
}

async fn a_failing_external_system_is_retried(store: Store) {
    let tenant = comune(&store, "alfa").await;
    let number = register(&store, tenant, "Richiesta").await;
    let system = FakeProtocolSystem::default();
    *system.failures_left.lock().unwrap() = 2;
    let worker = Worker::new(
        store.clone(),
        ProtocolSink::new(store.clone(), system),
        immediate(),
    );
    for _ in 0..3 {
        worker.run_once().await.unwrap();
    }
    let key = format!("protocol:{tenant}:{}:{}", number.year(), number.number());
    let outcomes: Vec<String> = store
        .outbox_attempts(&key)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.outcome)
        .collect();
    assert_eq!(outcomes, ["retry", "retry", "delivered"]);
    let registered: BTreeSet<_> = worker
        .sink()
        .adapter()
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|s| s.number)
        .collect();
    assert_eq!(registered, BTreeSet::from([number]));
}
