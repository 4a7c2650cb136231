//! Delivery throughput of App IO notifications through the outbox, on PostgreSQL: N
//! notifications created, then delivered to the IO stand-in (no faults, no rate limit, processed
//! at once) by one outbox worker, and then N fresh ones by two workers, each with its own
//! connection pool as two processes would have. Prints notifications/s of each run, the ratio
//! two/one, and the peak RSS of the process.
//!
//! Needs `SPORTELLO_TEST_POSTGRES_URL` (each run gets a new database in that cluster);
//! `./bench/notifications.sh` starts a throw-away cluster and runs this in release mode.
//! `SPORTELLO_BENCH_NOTIFICATIONS` sets N (default 5,000).

use sportello_appio::AppIoClient;
use sportello_domain::notification::{Composed, Event};
use sportello_domain::tenant::Logo;
use sportello_domain::tenant_file::TenantDefinition;
use sportello_domain::{Channel, CodiceFiscale, Lang, Tenant};
use sportello_mock::appio::{API_BASE, MockAppIo, MockIoService, MockProfile};
use sportello_notify::NotificationSink;
use sportello_store::attachments::StorageKey;
use sportello_store::notifications::NewNotification;
use sportello_store::outbox::{Worker, WorkerOptions};
use sportello_store::testing::{POSTGRES_URL_VAR, postgres_database_url};
use sportello_store::{Actor, ConnectOptions, Store};
use std::future::IntoFuture;
use std::time::{Duration, Instant};
use tokio::sync::watch;

const RECIPIENT: &str = "RSSMRA80A01H501U";
const IO_KEY: &str = "bench-io-key";
const DEFAULT_NOTIFICATIONS: usize = 5_000;
/// A run that has not delivered everything by then is broken, not slow.
const DEADLINE: Duration = Duration::from_secs(30 * 60);

fn sealing() -> StorageKey {
    StorageKey::from_bytes(&[7u8; 32]).expect("a 32-byte key")
}

fn notifications_wanted() -> usize {
    match std::env::var("SPORTELLO_BENCH_NOTIFICATIONS") {
        Ok(text) => match text.trim().parse::<usize>() {
            Ok(n) if n > 0 => n,
            _ => fail(&format!(
                "SPORTELLO_BENCH_NOTIFICATIONS must be a positive number, is {text:?}"
            )),
        },
        Err(_) => DEFAULT_NOTIFICATIONS,
    }
}

fn fail(message: &str) -> ! {
    eprintln!("delivery bench: {message}");
    std::process::exit(1)
}

/// A new, migrated database in the cluster, and its URL (the second worker's pool opens it
/// again, as a second process would).
async fn fresh_database() -> (Store, String) {
    let Some(url) = postgres_database_url().await else {
        fail(&format!(
            "{POSTGRES_URL_VAR} is not set: run ./bench/notifications.sh"
        ))
    };
    let store = connect(&url).await;
    store
        .migrate()
        .await
        .unwrap_or_else(|e| fail(&format!("migration: {e}")));
    (store, url)
}

async fn connect(url: &str) -> Store {
    Store::connect(url, &ConnectOptions::default())
        .await
        .unwrap_or_else(|e| fail(&format!("cannot open {url}: {e}")))
}

async fn import_borgoverde(store: &Store) -> Tenant {
    let definition =
        TenantDefinition::from_toml(include_str!("../../../tenants/demo/borgoverde.toml"))
            .unwrap_or_else(|e| fail(&format!("the demo comune's file: {e}")));
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tenants/demo/");
    let bytes = std::fs::read(format!("{dir}{}", definition.logo_file))
        .unwrap_or_else(|e| fail(&format!("the demo comune's logo: {e}")));
    let logo = Logo::from_file(&definition.logo_file, bytes).unwrap_or_else(|e| fail(&e));
    store
        .import_tenant(&definition, &logo, "bench")
        .await
        .unwrap_or_else(|e| fail(&format!("import: {e}")));
    let tenant = store
        .tenant_by_slug("borgoverde")
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| fail("the imported comune is missing"));
    store
        .scoped(tenant.id)
        .set_appio_key("pratiche", IO_KEY, &sealing(), &Actor::system())
        .await
        .unwrap_or_else(|e| fail(&format!("sealing the IO key: {e}")));
    tenant
}

/// The IO stand-in with the comune's service and the citizen's profile, served on an
/// ephemeral port; returns the API base URL. Nothing slows it down: what is measured is
/// Sportello's side.
async fn stand_in(tenant: &Tenant) -> (MockAppIo, String) {
    let service = tenant
        .profile
        .notifications
        .appio_service_by_code("pratiche")
        .unwrap_or_else(|| fail("the demo comune has no `pratiche` IO service"));
    let mock = MockAppIo::new(
        vec![MockIoService::new(
            &service.service_id,
            &service.name,
            &tenant.profile.name,
            tenant.profile.codice_fiscale.as_str(),
            IO_KEY,
        )],
        vec![MockProfile::new(RECIPIENT)],
    );
    mock.set_processing_delay(Duration::ZERO);
    mock.set_rate_limit(0, Duration::from_secs(5));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| fail(&format!("no port for the stand-in: {e}")));
    let port = listener
        .local_addr()
        .unwrap_or_else(|e| fail(&e.to_string()))
        .port();
    tokio::spawn(axum::serve(listener, mock.router()).into_future());
    (mock, format!("http://127.0.0.1:{port}{API_BASE}"))
}

async fn create_notifications(store: &Store, tenant: &Tenant, n: usize) -> Duration {
    let started = Instant::now();
    let recipient = CodiceFiscale::parse(RECIPIENT).unwrap_or_else(|e| fail(&e.to_string()));
    let numbers: Vec<usize> = (1..=n).collect();
    for chunk in numbers.chunks(250) {
        let mut tx = store.begin().await.unwrap_or_else(|e| fail(&e.to_string()));
        for &i in chunk {
            tx.create_notification(&NewNotification {
                tenant: tenant.id,
                origin: format!("bench-{i:06}"),
                recipient: recipient.clone(),
                user: None,
                event: Event::RequestReceived,
                lang: Lang::It,
                composed: Composed {
                    subject: format!("Richiesta ricevuta n. {i:06}"),
                    markdown: format!(
                        "Il {} ha ricevuto la tua richiesta n. {i:06}. L'ufficio la esaminerà e ti \
                         scriverà di nuovo quando avrà deciso, qui e nella tua area personale.",
                        tenant.profile.name
                    ),
                    template_version: 0,
                },
                pratica: None,
                position: None,
                payment: None,
                due_date: None,
                created_by: "system".to_owned(),
            })
            .await
            .unwrap_or_else(|e| fail(&format!("creating a notification: {e}")));
        }
        tx.commit()
            .await
            .unwrap_or_else(|e| fail(&format!("commit: {e}")));
    }
    started.elapsed()
}

async fn accepted(store: &Store, tenant: &Tenant) -> usize {
    let counts = store
        .scoped(tenant.id)
        .delivery_counts(jiff::Timestamp::UNIX_EPOCH)
        .await
        .unwrap_or_else(|e| fail(&format!("counting deliveries: {e}")));
    counts
        .iter()
        .filter(|c| c.channel == Channel::Io && c.status.reached())
        .map(|c| usize::try_from(c.count).unwrap_or(0))
        .sum()
}

struct RunResult {
    workers: usize,
    created_in: Duration,
    delivered_in: Duration,
    at_stand_in: usize,
}

/// N notifications on a fresh database, delivered by `workers` workers: the time from their
/// start until every one is accepted by IO.
async fn run(n: usize, workers: usize) -> RunResult {
    let (store, url) = fresh_database().await;
    let tenant = import_borgoverde(&store).await;
    let (mock, api_base) = stand_in(&tenant).await;
    let created_in = create_notifications(&store, &tenant, n).await;

    let (stop, shutdown) = watch::channel(false);
    let mut pools = Vec::new();
    let mut handles = Vec::new();
    let started = Instant::now();
    for k in 0..workers {
        // Each worker its own pool and HTTP client, as separate processes would have.
        let pool = if k == 0 {
            store.clone()
        } else {
            connect(&url).await
        };
        let http = sportello_appio::http_client(Duration::from_secs(10))
            .unwrap_or_else(|e| fail(&e.to_string()));
        let appio = AppIoClient::new(http, &api_base).unwrap_or_else(|e| fail(&e.to_string()));
        // A service in IO's `ApiNoRateLimit` group: the bench measures the outbox, not IO's pace.
        let sink =
            NotificationSink::new(pool.clone(), appio, None, sealing(), None).with_io_rate_limit(0);
        let worker = Worker::new(
            pool.clone(),
            sink,
            WorkerOptions {
                id: format!("bench-worker-{k}"),
                poll_interval: Duration::from_millis(50),
                ..WorkerOptions::default()
            },
        );
        let shutdown = shutdown.clone();
        handles.push(tokio::spawn(async move { worker.run(shutdown).await }));
        pools.push(pool);
    }
    loop {
        if accepted(&store, &tenant).await >= n {
            break;
        }
        if started.elapsed() > DEADLINE {
            fail(&format!(
                "{workers} worker(s) delivered {} of {n} in {DEADLINE:?}",
                accepted(&store, &tenant).await
            ));
        }
        // Counting is a query over every delivery: often enough for a precise time, rarely
        // enough not to load the database that is being measured.
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let delivered_in = started.elapsed();
    let _ = stop.send(true);
    for handle in handles {
        let _ = handle.await;
    }
    let failed = store
        .outbox_depth()
        .await
        .unwrap_or_else(|e| fail(&e.to_string()))
        .failed;
    if failed > 0 {
        fail(&format!("{failed} outbox messages failed"));
    }
    let at_stand_in = mock.messages().len();
    for pool in pools {
        pool.close().await;
    }
    RunResult {
        workers,
        created_in,
        delivered_in,
        at_stand_in,
    }
}

/// The process's peak resident set (`VmHWM`), in kB.
fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| fail(&format!("no tokio runtime: {e}")));
    runtime.block_on(async {
        let n = notifications_wanted();
        println!(
            "App IO notifications through the outbox on PostgreSQL, {n} per run, {} CPU(s)",
            std::thread::available_parallelism().map_or(1, |p| p.get())
        );
        let mut results = Vec::new();
        for workers in [1, 2] {
            let result = run(n, workers).await;
            if result.at_stand_in != n {
                fail(&format!(
                    "{} messages at the stand-in for {n} notifications",
                    result.at_stand_in
                ));
            }
            println!(
                "{} worker(s): {:>8.0} notifications/s ({n} in {:.2?}; created at {:.0}/s)",
                result.workers,
                n as f64 / result.delivered_in.as_secs_f64(),
                result.delivered_in,
                n as f64 / result.created_in.as_secs_f64(),
            );
            results.push(result);
        }
        let rate = |r: &RunResult| n as f64 / r.delivered_in.as_secs_f64();
        println!(
            "ratio two/one: {:.2}",
            rate(&results[1]) / rate(&results[0])
        );
        match peak_rss_kb() {
            Some(kb) => println!("peak RSS: {:.1} MB", kb as f64 / 1024.0),
            None => println!("peak RSS: unknown (no /proc/self/status)"),
        }
    });
}
