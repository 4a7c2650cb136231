//! `sportello pagopa campaign`: the tax office's bulk billing (TARI, canteen) from a CSV file.
//!
//! `import` runs four phases, each resumable, so an interrupted run is finished by running the
//! same command again:
//!
//! 1. validate the whole file (nothing is written if a row is wrong);
//! 2. write the positions in batches, each batch one transaction with its notice numbers and
//!    the GPD creation job in the outbox (so the server finishes the job if this command never
//!    comes back);
//! 3. publish the pending positions to GPD, rate limited, exactly once ([`create_once`]); the
//!    transaction that records a position as published also creates the debtor's payment
//!    notice message (App IO, e-mail), whoever publishes it;
//! 4. optionally render each notice as PDF.
//!
//! Memory stays flat however long the file: it is read twice as a stream, and positions are
//! read back a page at a time.

use crate::commands::{load, open};
use crate::server;
use anyhow::{Context, bail};
use sha2::{Digest, Sha256};
use sportello_domain::Tenant;
use sportello_domain::pagopa::IuvBase;
use sportello_domain::payment::campaign::{
    CampaignRow, Header, Problem, Record, RecordSplitter, Totals, Validator,
};
use sportello_domain::payment::{Collection, PositionStatus};
use sportello_pagopa::ApiError;
use sportello_pagopa::SubscriptionKey;
use sportello_pagopa::delivery::{create_once, enqueue_create};
use sportello_pagopa::gpd::{Creditor, GpdClient};
use sportello_store::campaigns::Campaign;
use sportello_store::payments::{NewPosition, PositionState, StoredPosition};
use sportello_store::{Actor, Store, campaign_origin};
use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, Semaphore, mpsc};
use tokio::task::JoinSet;

/// Rows per transaction: large enough to amortise the commit, small enough that a crash
/// loses little work and other writers are not held up for long.
const BATCH_ROWS: usize = 500;
/// Positions read back per page when publishing or rendering.
const PAGE: u32 = 256;
/// Attempts per position on transient errors before leaving it to the outbox worker. With
/// GET and POST each failing a third of the time, 30 attempts all fail once in 10⁹: giving
/// up means GPD is down, and then the rest of the campaign is left to the outbox too.
const MAX_ATTEMPTS: u32 = 30;
/// Problems printed before the rest are only counted: the first few hundred tell the
/// office what is wrong, a million lines would not.
const PROBLEMS_SHOWN: u64 = 500;

pub struct ImportOptions {
    pub tenant: String,
    pub file: PathBuf,
    pub name: Option<String>,
    pub rate: u32,
    pub concurrency: usize,
    pub notices: Option<PathBuf>,
    pub dry_run: bool,
}

/// What the first pass over the file found.
struct Scan {
    digest: String,
    totals: Totals,
    problems: u64,
    today: jiff::civil::Date,
}

pub async fn import(
    config_file: Option<&Path>,
    options: ImportOptions,
) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    if options.rate == 0 || options.concurrency == 0 {
        bail!("--rate and --concurrency must be at least 1");
    }
    let config = load(config_file)?;
    let store = open(&config).await?;
    let tenant = store
        .tenant_by_slug(&options.tenant)
        .await?
        .with_context(|| {
            format!(
                "no comune with slug {}: see `sportello tenant list`",
                options.tenant
            )
        })?;
    let Some(collection) = tenant.profile.pagopa.clone() else {
        bail!(
            "the comune {} has no [pagopa] section in its comune file",
            options.tenant
        );
    };

    let today = sportello_pagopa::request::today();
    let path = options.file.clone();
    let scan = tokio::task::spawn_blocking(move || validate(&path, today))
        .await
        .context("the validation thread failed")??;
    if scan.problems > 0 {
        eprintln!(
            "error: {} problem(s) in {}; nothing was imported. Fix the file and run the command again.",
            scan.problems,
            options.file.display()
        );
        return Ok(ExitCode::from(2));
    }
    if scan.totals.rows == 0 {
        eprintln!(
            "error: {} has no rows below its header",
            options.file.display()
        );
        return Ok(ExitCode::from(2));
    }
    print_totals(&scan);
    if options.dry_run {
        println!("dry run: the file is valid; nothing was written.");
        return Ok(ExitCode::SUCCESS);
    }

    let settings = config.pagopa.settings(config.public_url.as_deref())?;
    let Some(key) = settings.key(tenant.slug.as_str()).cloned() else {
        bail!(
            "no GPD subscription key for {}: set pagopa.keys.{} (or SPORTELLO_PAGOPA__KEYS__{})",
            tenant.slug,
            tenant.slug,
            tenant.slug.as_str().to_ascii_uppercase()
        );
    };
    let public_url = settings.public_url.clone();
    let (sink, _, _) = server::pagopa(&store, settings)?;
    let gpd = sink.gpd().clone();

    let name = options.name.clone().unwrap_or_else(|| {
        options
            .file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "campaign".to_owned())
    });
    let rows = u32::try_from(scan.totals.rows).context("too many rows for one campaign")?;
    let (campaign, created) = store
        .scoped(tenant.id)
        .upsert_campaign(&name, &scan.digest, rows)
        .await?;
    if created {
        println!("campaign {} \"{}\" created", campaign.id, campaign.name);
    } else {
        println!(
            "campaign {} \"{}\" resumed (same file, imported before on {})",
            campaign.id,
            campaign.name,
            campaign.created_at.strftime("%Y-%m-%d %H:%M UTC")
        );
    }
    let tenant = Arc::new(tenant);

    let import_started = Instant::now();
    let imported = write_positions(
        &store,
        &tenant,
        &collection,
        &campaign,
        &options.file,
        &scan,
    )
    .await?;
    let import_elapsed = import_started.elapsed();

    let publish_started = Instant::now();
    let published = publish(
        &store,
        &tenant,
        &campaign,
        Arc::new(Publisher {
            gpd,
            fiscal_code: tenant.profile.codice_fiscale.as_str().to_owned(),
            key,
            broken: std::sync::atomic::AtomicBool::new(false),
        }),
        options.rate,
        options.concurrency,
        public_url,
    )
    .await?;
    let publish_elapsed = publish_started.elapsed();

    let notices_started = Instant::now();
    let notices = match &options.notices {
        Some(dir) => Some(render_notices(&store, &tenant, &campaign, dir).await?),
        None => None,
    };
    let notices_elapsed = notices_started.elapsed();

    let counts = store.scoped(tenant.id).campaign_counts(campaign.id).await?;
    let count_of = |wanted: fn(PositionState) -> bool| -> u64 {
        counts
            .iter()
            .filter(|(s, _)| wanted(*s))
            .map(|(_, n)| n)
            .sum()
    };
    let pending = count_of(|s| s == PositionState::Pending);
    let failed = count_of(|s| s == PositionState::Failed);
    let on_gpd = count_of(|s| matches!(s, PositionState::Gpd(_)));

    println!();
    println!("campaign          {} \"{}\"", campaign.id, campaign.name);
    println!("rows              {}", scan.totals.rows);
    println!("created now       {}", imported.created);
    println!("already present   {}", imported.present);
    println!("published now     {}", published.published);
    println!("on GPD            {on_gpd}");
    println!("failed            {failed}");
    for (line, reason) in published.refused.iter().take(20) {
        println!("  {line}: {reason}");
    }
    if published.refused.len() > 20 {
        println!(
            "  … and {} more (see `sportello pagopa campaign status`)",
            published.refused.len() - 20
        );
    }
    println!("pending           {pending}");
    if pending > 0 {
        println!(
            "  not yet on GPD ({}); the server's outbox worker will create them, or run this command again",
            published.gave_up.first().map_or_else(
                || "not attempted".to_owned(),
                |r| format!("last error: {r}")
            )
        );
    }
    if let Some(notices) = &notices {
        println!(
            "notices written   {} ({} already there, {} not on GPD yet)",
            notices.written, notices.existing, notices.not_ready
        );
    }
    let rate = |n: u64, d: Duration| n as f64 / d.as_secs_f64().max(1e-6);
    println!(
        "import            {} rows in {:.2} s ({:.0} rows/s)",
        scan.totals.rows,
        import_elapsed.as_secs_f64(),
        rate(scan.totals.rows, import_elapsed)
    );
    println!(
        "publish           {} positions in {:.2} s ({:.0} rows/s)",
        published.attempted,
        publish_elapsed.as_secs_f64(),
        rate(published.attempted, publish_elapsed)
    );
    if let Some(notices) = &notices {
        println!(
            "notices           {} PDFs in {:.2} s ({:.0} rows/s)",
            notices.written,
            notices_elapsed.as_secs_f64(),
            rate(notices.written, notices_elapsed)
        );
    }
    let elapsed = started.elapsed();
    println!(
        "elapsed           {:.2} s ({:.0} rows/s overall)",
        elapsed.as_secs_f64(),
        rate(scan.totals.rows, elapsed)
    );
    store.close().await;
    Ok(if pending == 0 && failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn print_totals(scan: &Scan) {
    println!(
        "{} rows, {} in total, {} payable in instalments, {} notice numbers (sha256 {})",
        scan.totals.rows,
        scan.totals.amount,
        scan.totals.with_instalments,
        scan.totals.notices,
        scan.digest
    );
}

/// Reads the file record by record, hashing every byte as read. `visit` returns false to
/// stop early (the digest is then of what was read).
fn each_record(
    path: &Path,
    mut visit: impl FnMut(Result<Record, Problem>) -> bool,
) -> anyhow::Result<String> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let mut hasher = Sha256::new();
    let mut splitter = RecordSplitter::new();
    let mut buffer = Vec::new();
    loop {
        buffer.clear();
        let read = reader
            .read_until(b'\n', &mut buffer)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer);
        let line = buffer.strip_suffix(b"\n").unwrap_or(&buffer);
        let text = String::from_utf8_lossy(line);
        if matches!(text, std::borrow::Cow::Owned(_)) {
            let problem = Problem {
                line: splitter.lines() + 1,
                field: String::new(),
                reason: "is not UTF-8 text: save the file as \"CSV UTF-8\"".to_owned(),
            };
            if !visit(Err(problem)) {
                break;
            }
        }
        let keep_going = match splitter.push_line(&text) {
            Ok(Some(record)) => visit(Ok(record)),
            Ok(None) => true,
            Err(problem) => visit(Err(problem)),
        };
        if !keep_going {
            break;
        }
    }
    if let Err(problem) = splitter.finish() {
        visit(Err(problem));
    }
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The first pass: every problem reported on stderr as found, the totals and the digest.
fn validate(path: &Path, today: jiff::civil::Date) -> anyhow::Result<Scan> {
    let mut validator: Option<Validator> = None;
    let mut problems = 0u64;
    let mut header_seen = false;
    let stderr = std::io::stderr();
    let mut report = |problem: &Problem| {
        problems += 1;
        if problems <= PROBLEMS_SHOWN {
            let _ = writeln!(stderr.lock(), "{problem}");
        }
    };
    let digest = each_record(path, |item| {
        let record = match item {
            Ok(record) => record,
            Err(problem) => {
                report(&problem);
                return true;
            }
        };
        match &mut validator {
            Some(validator) => {
                if let Err(found) = validator.check(&record) {
                    found.iter().for_each(&mut report);
                }
                true
            }
            None if header_seen => true,
            None => {
                header_seen = true;
                match Header::parse(&record) {
                    Ok(header) => {
                        validator = Some(Validator::new(header, today));
                        true
                    }
                    Err(found) => {
                        found.iter().for_each(&mut report);
                        // Without a header no row can be read.
                        false
                    }
                }
            }
        }
    })?;
    if !header_seen {
        report(&Problem {
            line: 1,
            field: String::new(),
            reason: "the file is empty: it needs a header row and at least one row".to_owned(),
        });
    }
    if problems > PROBLEMS_SHOWN {
        eprintln!("… and {} more problems", problems - PROBLEMS_SHOWN);
    }
    Ok(Scan {
        digest,
        totals: validator.map(|v| v.totals()).unwrap_or_default(),
        problems,
        today,
    })
}

/// Progress on stderr: redrawn in place on a terminal, a line every few seconds otherwise.
struct Progress {
    label: &'static str,
    total: u64,
    done: Arc<AtomicU64>,
    started: Instant,
}

impl Progress {
    fn start(label: &'static str, total: u64) -> (Arc<AtomicU64>, tokio::task::JoinHandle<()>) {
        let done = Arc::new(AtomicU64::new(0));
        let progress = Progress {
            label,
            total,
            done: done.clone(),
            started: Instant::now(),
        };
        let handle = tokio::spawn(async move {
            let terminal = std::io::stderr().is_terminal();
            let every = if terminal {
                Duration::from_millis(250)
            } else {
                Duration::from_secs(5)
            };
            loop {
                tokio::time::sleep(every).await;
                progress.draw(terminal, false);
            }
        });
        (done, handle)
    }

    fn draw(&self, terminal: bool, last: bool) {
        let done = self.done.load(Ordering::Relaxed);
        let seconds = self.started.elapsed().as_secs_f64().max(1e-6);
        let line = format!(
            "{}: {done}/{} ({:.0} rows/s)",
            self.label,
            self.total,
            done as f64 / seconds
        );
        let mut err = std::io::stderr().lock();
        let _ = if terminal {
            write!(err, "\r\x1b[2K{line}{}", if last { "\n" } else { "" })
        } else {
            writeln!(err, "{line}")
        };
    }
}

/// Stops a progress line and, on a terminal, ends it with its final figures.
fn finish_progress(
    label: &'static str,
    total: u64,
    done: &Arc<AtomicU64>,
    handle: tokio::task::JoinHandle<()>,
    started: Instant,
) {
    handle.abort();
    if std::io::stderr().is_terminal() {
        Progress {
            label,
            total,
            done: done.clone(),
            started,
        }
        .draw(true, true);
    }
}

struct Imported {
    created: u64,
    present: u64,
}

/// The second pass: the rows, validated again (the file must not have changed), in batches.
async fn write_positions(
    store: &Store,
    tenant: &Arc<Tenant>,
    collection: &Collection,
    campaign: &Campaign,
    path: &Path,
    scan: &Scan,
) -> anyhow::Result<Imported> {
    let (sender, mut batches) = mpsc::channel::<Vec<CampaignRow>>(2);
    let owned_path = path.to_owned();
    let today = scan.today;
    let reader = tokio::task::spawn_blocking(move || -> anyhow::Result<(String, bool)> {
        let mut validator: Option<Validator> = None;
        let mut batch = Vec::with_capacity(BATCH_ROWS);
        let mut consistent = true;
        let digest = each_record(&owned_path, |item| {
            let Ok(record) = item else {
                consistent = false;
                return false;
            };
            let Some(validator) = &mut validator else {
                match Header::parse(&record) {
                    Ok(header) => validator = Some(Validator::new(header, today)),
                    Err(_) => consistent = false,
                }
                return consistent;
            };
            match validator.check(&record) {
                Ok(row) => batch.push(row),
                Err(_) => consistent = false,
            }
            if batch.len() == BATCH_ROWS {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH_ROWS));
                if sender.blocking_send(full).is_err() {
                    return false;
                }
            }
            consistent
        })?;
        if consistent && !batch.is_empty() {
            let _ = sender.blocking_send(batch);
        }
        Ok((digest, consistent))
    });

    let (done, progress) = Progress::start("import", scan.totals.rows);
    let started = Instant::now();
    let year = scan.today.year();
    let mut imported = Imported {
        created: 0,
        present: 0,
    };
    while let Some(rows) = batches.recv().await {
        let origins: Vec<String> = rows
            .iter()
            .map(|row| campaign_origin(campaign.id, &row.reference))
            .collect();
        let mut tx = store.begin().await?;
        let present = tx
            .campaign_origins_present(tenant.id, campaign.id, &origins)
            .await?;
        for (row, origin) in rows.iter().zip(origins) {
            if present.contains(&origin) {
                imported.present += 1;
                continue;
            }
            let mut bases = Vec::with_capacity(row.notice_count());
            for _ in 0..row.notice_count() {
                bases.push(IuvBase::new(tx.next_iuv_base(tenant.id, year).await?)?);
            }
            let position = row
                .position(
                    &tenant.profile.codice_fiscale,
                    &tenant.profile.name,
                    collection,
                    &bases,
                )
                .with_context(|| format!("line {}", row.line))?;
            let (stored, created) = tx
                .insert_position(
                    tenant.id,
                    &NewPosition {
                        origin,
                        pratica: None,
                        campaign: Some(campaign.id),
                        position: &position,
                    },
                )
                .await?;
            if !created {
                // Written by a concurrent run of the same file: this transaction's notice
                // numbers are rolled back with nothing else, since nothing else was written.
                imported.present += 1;
                continue;
            }
            enqueue_create(&mut tx, tenant, &stored).await?;
            imported.created += 1;
        }
        tx.commit().await?;
        done.fetch_add(rows.len() as u64, Ordering::Relaxed);
    }
    let (digest, consistent) = reader.await.context("the reading thread failed")??;
    finish_progress("import", scan.totals.rows, &done, progress, started);
    if !consistent || digest != scan.digest {
        bail!(
            "{} changed while it was being imported; run the command again on the final file",
            path.display()
        );
    }
    store
        .scoped(tenant.id)
        .mark_campaign_imported(campaign.id)
        .await?;
    if imported.created > 0 {
        let mut tx = store.begin().await?;
        Actor::cli(&operator())
            .entry(
                Some(tenant.id),
                "payment.campaign_imported",
                format!("campaign:{}", campaign.id),
                serde_json::json!({
                    "name": campaign.name,
                    "file_sha256": campaign.file_sha256,
                    "rows": scan.totals.rows,
                    "created": imported.created,
                    "amount_cents": scan.totals.amount.get(),
                }),
            )
            .record(&mut tx)
            .await?;
        tx.commit().await?;
    }
    Ok(imported)
}

fn operator() -> String {
    std::env::var("USER").unwrap_or_else(|_| "operator".into())
}

/// What publishing needs in every task.
struct Publisher {
    gpd: GpdClient,
    fiscal_code: String,
    key: SubscriptionKey,
    /// Set when a position gave up: the positions not yet tried are left to the outbox.
    broken: std::sync::atomic::AtomicBool,
}

/// A token bucket: `rate` calls per second on average, bursts of a tenth of a second.
struct Bucket {
    rate: f64,
    capacity: f64,
    state: Mutex<(f64, Instant)>,
}

impl Bucket {
    fn new(rate: u32) -> Bucket {
        let rate = f64::from(rate);
        let capacity = (rate / 10.0).max(1.0);
        Bucket {
            rate,
            capacity,
            state: Mutex::new((capacity, Instant::now())),
        }
    }

    async fn take(&self) {
        loop {
            let wait = {
                let mut state = self.state.lock().await;
                let now = Instant::now();
                let (tokens, last) = *state;
                let tokens = (tokens + now.duration_since(last).as_secs_f64() * self.rate)
                    .min(self.capacity);
                if tokens >= 1.0 {
                    *state = (tokens - 1.0, now);
                    return;
                }
                *state = (tokens, now);
                Duration::from_secs_f64((1.0 - tokens) / self.rate)
            };
            tokio::time::sleep(wait).await;
        }
    }
}

enum Outcome {
    Published(PositionStatus),
    /// GPD refused it for good.
    Refused(String),
    /// Still failing after every attempt: left to the outbox worker.
    GaveUp(String),
}

struct Published {
    attempted: u64,
    published: u64,
    /// `(riferimento, reason)` of the positions GPD refused in this run.
    refused: Vec<(String, String)>,
    gave_up: Vec<String>,
}

/// Backoff after the `attempt`-th failure: 100 ms doubling to 2 s, with jitter so that the
/// positions that failed together do not retry together.
fn backoff(attempt: u32) -> Duration {
    let base = 100u64.saturating_mul(1 << attempt.min(5)).min(2000);
    // The clock's nanoseconds are random enough to spread retries; no generator needed.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let jitter = u64::from(nanos % 256) * base / 512;
    Duration::from_millis(base / 2 + jitter)
}

async fn publish_one(
    publisher: Arc<Publisher>,
    bucket: Arc<Bucket>,
    slots: Arc<Semaphore>,
    stored: StoredPosition,
) -> (StoredPosition, Outcome) {
    let creditor = Creditor {
        fiscal_code: &publisher.fiscal_code,
        key: &publisher.key,
    };
    let mut attempt = 0;
    let outcome = loop {
        if publisher.broken.load(Ordering::Relaxed) {
            break Outcome::GaveUp(
                "not attempted: GPD kept failing for other positions".to_owned(),
            );
        }
        bucket.take().await;
        let result = match slots.acquire().await {
            // The first attempt posts at once: a 409 from an earlier run is read back anyway.
            Ok(_slot) => create_once(&publisher.gpd, &creditor, &stored, attempt > 0).await,
            Err(_) => break Outcome::GaveUp("stopped".to_owned()),
        };
        attempt += 1;
        match result {
            Ok(response) => {
                break Outcome::Published(response.status().unwrap_or(PositionStatus::Valid));
            }
            Err(ApiError::Invalid { status, detail }) => {
                break Outcome::Refused(format!("GPD refused the position ({status}): {detail}"));
            }
            Err(error) if error.is_transient() && attempt < MAX_ATTEMPTS => {
                // Waiting does not hold a request slot: the others keep the pace.
                tokio::time::sleep(error.retry_after().unwrap_or_else(|| backoff(attempt))).await;
            }
            Err(error) => {
                // Persistent failure (GPD down, the key refused): stop calling it.
                publisher.broken.store(true, Ordering::Relaxed);
                break Outcome::GaveUp(error.to_string());
            }
        }
    };
    (stored, outcome)
}

/// What the publishing tasks hand to the one writer.
struct StateChange {
    stored: StoredPosition,
    state: PositionState,
    error: Option<String>,
}

/// Records results in batched transactions: one commit per burst instead of per position.
async fn write_states(
    store: Store,
    tenant: Arc<Tenant>,
    public_url: Option<String>,
    mut changes: mpsc::Receiver<StateChange>,
) -> anyhow::Result<()> {
    while let Some(first) = changes.recv().await {
        let mut batch = vec![first];
        while batch.len() < 512 {
            match changes.try_recv() {
                Ok(change) => batch.push(change),
                Err(_) => break,
            }
        }
        let mut tx = store.begin().await?;
        for change in &batch {
            sportello_pagopa::delivery::record_state(
                &mut tx,
                &tenant,
                &change.stored,
                change.state,
                change.error.as_deref(),
                public_url.as_deref(),
            )
            .await?;
        }
        tx.commit().await?;
    }
    Ok(())
}

/// The third phase: every pending position of the campaign to GPD.
async fn publish(
    store: &Store,
    tenant: &Arc<Tenant>,
    campaign: &Campaign,
    publisher: Arc<Publisher>,
    rate: u32,
    concurrency: usize,
    public_url: Option<String>,
) -> anyhow::Result<Published> {
    let scope = store.scoped(tenant.id);
    let pending_total: u64 = scope
        .campaign_counts(campaign.id)
        .await?
        .iter()
        .filter(|(s, _)| *s == PositionState::Pending)
        .map(|(_, n)| n)
        .sum();
    let bucket = Arc::new(Bucket::new(rate));
    let slots = Arc::new(Semaphore::new(concurrency));
    let (changes, receiver) = mpsc::channel(1024);
    let writer = tokio::spawn(write_states(
        store.clone(),
        tenant.clone(),
        public_url,
        receiver,
    ));
    let (done, progress) = Progress::start("publish", pending_total);
    let started = Instant::now();
    // Positions in flight or waiting to retry: bounds memory whatever the campaign's size.
    let window = (concurrency * 32).max(PAGE as usize);
    let mut tasks = JoinSet::new();
    let mut result = Published {
        attempted: 0,
        published: 0,
        refused: Vec::new(),
        gave_up: Vec::new(),
    };
    let mut after = None;
    let prefix = format!("campaign:{}:", campaign.id);
    let settle = |(stored, outcome): (StoredPosition, Outcome), result: &mut Published| {
        done.fetch_add(1, Ordering::Relaxed);
        let reference = stored
            .origin
            .strip_prefix(&prefix)
            .unwrap_or(&stored.origin)
            .to_owned();
        let change = |state, error| StateChange {
            stored,
            state,
            error,
        };
        match outcome {
            Outcome::Published(status) => {
                result.published += 1;
                Some(change(PositionState::Gpd(status), None))
            }
            Outcome::Refused(reason) => {
                if result.refused.len() < 1000 {
                    result.refused.push((reference, reason.clone()));
                }
                Some(change(PositionState::Failed, Some(reason)))
            }
            Outcome::GaveUp(reason) => {
                if result.gave_up.len() < 10 {
                    result.gave_up.push(reason);
                }
                None
            }
        }
    };
    loop {
        let page = scope
            .campaign_positions(campaign.id, PositionState::Pending, after, PAGE)
            .await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        for stored in page {
            while tasks.len() >= window {
                if let Some(joined) = tasks.join_next().await
                    && let Some(change) = settle(joined?, &mut result)
                {
                    changes
                        .send(change)
                        .await
                        .context("the state writer stopped")?;
                }
            }
            result.attempted += 1;
            tasks.spawn(publish_one(
                publisher.clone(),
                bucket.clone(),
                slots.clone(),
                stored,
            ));
        }
    }
    while let Some(joined) = tasks.join_next().await {
        if let Some(change) = settle(joined?, &mut result) {
            changes
                .send(change)
                .await
                .context("the state writer stopped")?;
        }
    }
    drop(changes);
    writer.await.context("the state writer failed")??;
    finish_progress("publish", pending_total, &done, progress, started);
    Ok(result)
}

struct Notices {
    written: u64,
    existing: u64,
    not_ready: u64,
}

/// The fourth phase: `DIR/<riferimento>.pdf` for each position on GPD, skipping files already
/// there. Rendering is CPU work, done on blocking threads, one per core.
async fn render_notices(
    store: &Store,
    tenant: &Arc<Tenant>,
    campaign: &Campaign,
    dir: &Path,
) -> anyhow::Result<Notices> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let scope = store.scoped(tenant.id);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let prefix = format!("campaign:{}:", campaign.id);
    let mut notices = Notices {
        written: 0,
        existing: 0,
        not_ready: 0,
    };
    let (done, progress) = Progress::start("notices", u64::from(campaign.row_count));
    let started = Instant::now();
    let mut tasks: JoinSet<anyhow::Result<()>> = JoinSet::new();
    let mut after = None;
    loop {
        let page = scope
            .campaign_positions_all(campaign.id, after, PAGE)
            .await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        for stored in page {
            let reference = stored
                .origin
                .strip_prefix(&prefix)
                .unwrap_or(&stored.origin);
            let target = dir.join(format!("{reference}.pdf"));
            if !matches!(stored.state, PositionState::Gpd(_)) {
                // Not payable yet (or refused): a notice would send the citizen to a dead end.
                notices.not_ready += 1;
                done.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            if target.exists() {
                notices.existing += 1;
                done.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            while tasks.len() >= workers {
                if let Some(joined) = tasks.join_next().await {
                    joined??;
                }
            }
            let tenant = tenant.clone();
            let done = done.clone();
            tasks.spawn_blocking(move || {
                let pdf = sportello_pagopa::notice::notice_pdf(&tenant, &stored.position)
                    .with_context(|| format!("the notice of {}", stored.iupd()))?;
                // Written aside and renamed: a run killed mid-write leaves no truncated PDF
                // that the next run would take as done.
                let partial = target.with_extension("pdf.part");
                std::fs::write(&partial, pdf)
                    .with_context(|| format!("cannot write {}", partial.display()))?;
                std::fs::rename(&partial, &target)
                    .with_context(|| format!("cannot write {}", target.display()))?;
                done.fetch_add(1, Ordering::Relaxed);
                Ok(())
            });
            notices.written += 1;
        }
    }
    while let Some(joined) = tasks.join_next().await {
        joined??;
    }
    finish_progress(
        "notices",
        u64::from(campaign.row_count),
        &done,
        progress,
        started,
    );
    Ok(notices)
}

/// `sportello pagopa campaign status`: counts by state, of one file's campaign or of all.
pub async fn status(
    config_file: Option<&Path>,
    slug: &str,
    file: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let (store, tenant) = crate::admin::open_tenant(config_file, slug).await?;
    let scope = store.scoped(tenant.id);
    let campaigns = match file {
        Some(path) => {
            let owned = path.to_owned();
            let digest = tokio::task::spawn_blocking(move || each_record(&owned, |_| true))
                .await
                .context("the reading thread failed")??;
            match scope.campaign_by_digest(&digest).await? {
                Some(campaign) => vec![campaign],
                None => {
                    println!(
                        "{} has not been imported in {} (sha256 {digest})",
                        path.display(),
                        tenant.profile.name
                    );
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
        None => scope.campaigns().await?,
    };
    if campaigns.is_empty() {
        println!("{} has no campaigns yet.", tenant.profile.name);
    }
    let mut complete = true;
    for campaign in campaigns {
        let counts = scope.campaign_counts(campaign.id).await?;
        let written: u64 = counts.iter().map(|(_, n)| n).sum();
        println!(
            "{} \"{}\" — {} rows, {} written, created {}{}",
            campaign.id,
            campaign.name,
            campaign.row_count,
            written,
            campaign.created_at.strftime("%Y-%m-%d %H:%M UTC"),
            campaign
                .imported_at
                .map(|t| format!(", imported {}", t.strftime("%Y-%m-%d %H:%M UTC")))
                .unwrap_or_else(|| ", import not finished".to_owned())
        );
        for (state, count) in &counts {
            println!("  {:<16}{count}", state.key());
            complete &= matches!(state, PositionState::Gpd(_));
        }
        complete &= written == u64::from(campaign.row_count);
    }
    store.close().await;
    Ok(if complete {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
