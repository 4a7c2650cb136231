//! `sportello pagopa campaign import` against the pagoPA stand-in with 30% of its calls
//! failing, killed mid-way and run again: every row billed exactly once.

use sportello_mock::pagopa::{Faults, MockCreditor, MockPagoPa};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_sportello");
const KEY: &str = "campaign-test-key";
const ROWS: usize = 10_000;

fn temp_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("sportello-campaign-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn borgoverde_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tenants/demo/borgoverde.toml")
}

/// The comune's codice fiscale: GPD's `{org}`.
fn borgoverde_org() -> String {
    let text = std::fs::read_to_string(borgoverde_file()).unwrap();
    let value: toml::Table = toml::from_str(&text).unwrap();
    value["codice_fiscale"].as_str().unwrap().to_owned()
}

fn sportello(database_url: &str, api_base: &str) -> Command {
    let mut command = Command::new(BIN);
    // The test decides every setting; nothing leaks in from the developer's shell.
    for (key, _) in std::env::vars() {
        if key.starts_with("SPORTELLO_") || key == "DATABASE_URL" || key == "RUST_LOG" {
            command.env_remove(key);
        }
    }
    command
        .env("DATABASE_URL", database_url)
        .env("SPORTELLO_PAGOPA__API_BASE", api_base)
        .env("SPORTELLO_PAGOPA__KEYS__BORGOVERDE", KEY)
        .env("SPORTELLO_PAGOPA__TIMEOUT_SECS", "5");
    command
}

fn run(mut command: Command) -> Output {
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{command:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// A migrated database holding the demo comune of Borgoverde.
fn prepare(database_url: &str) {
    run({
        let mut c = sportello(database_url, "http://127.0.0.1:9");
        c.arg("migrate");
        c
    });
    run({
        let mut c = sportello(database_url, "http://127.0.0.1:9");
        c.args(["tenant", "import"]).arg(borgoverde_file());
        c
    });
}

fn due(days: i64) -> String {
    let date = jiff::Zoned::now().date() + jiff::Span::new().days(days);
    format!("{:02}/{:02}/{}", date.day(), date.month(), date.year())
}

/// `rows` valid rows; one in ten payable in three instalments, one in seven a company.
fn write_csv(path: &Path, rows: usize) {
    let mut text = String::from(
        "\u{feff}riferimento;codice_fiscale;nominativo;causale;importo;scadenza;rate;email\r\n",
    );
    let (first, second, third) = (due(60), due(120), due(180));
    for n in 1..=rows {
        let (cf, name) = if n % 7 == 0 {
            ("00000000000", "\"Ditta Verde; s.r.l.\"")
        } else {
            ("RSSMRA80A01H501U", "Mario Rossi")
        };
        let rate = if n % 10 == 0 {
            format!("{first}|{second}|{third}")
        } else {
            String::new()
        };
        let euros = 50 + n % 400;
        writeln!(
            text,
            "TARI-{n:06};{cf};{name};TARI 2027 utenza {n};{euros},{:02};{third};{rate};utente{n}@example.it\r",
            n % 100
        )
        .unwrap();
    }
    std::fs::write(path, text).unwrap();
}

/// `(key, count)` rows of a `SELECT key, COUNT(*) … GROUP BY key` on either backend.
async fn counts(database_url: &str, sql: &'static str) -> Vec<(String, i64)> {
    if database_url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(database_url).await.unwrap();
        let rows = sqlx::query_as(sql).fetch_all(&pool).await.unwrap();
        pool.close().await;
        rows
    } else {
        let pool = sqlx::PgPool::connect(database_url).await.unwrap();
        let rows = sqlx::query_as(sql).fetch_all(&pool).await.unwrap();
        pool.close().await;
        rows
    }
}

async fn start_mock(org: &str, faults: Faults) -> (MockPagoPa, String) {
    let mock = MockPagoPa::new(vec![MockCreditor {
        subscription_key: KEY.into(),
        fiscal_code: org.into(),
        company_name: "Comune di Borgoverde".into(),
        segregation_codes: vec![1],
    }]);
    mock.set_faults(faults);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let router = mock.router();
    tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    (mock, format!("http://127.0.0.1:{port}/_mock/pagopa"))
}

async fn killed_and_resumed_import_bills_every_row_once(database_url: String, name: &str) {
    let dir = temp_dir(name);
    let started = Instant::now();
    prepare(&database_url);
    let org = borgoverde_org();
    let (mock, api_base) = start_mock(
        &org,
        Faults {
            error_rate: 0.1,
            lost_response_rate: 0.1,
            rate_limit_rate: 0.1,
            timeout_ms: 20,
            seed: 20_270_531,
            ..Faults::default()
        },
    )
    .await;
    let csv = dir.join("tari-2027.csv");
    write_csv(&csv, ROWS);
    let import = |notices: bool| {
        let mut c = sportello(&database_url, &api_base);
        c.args(["pagopa", "campaign", "import", "--tenant", "borgoverde"])
            .arg(&csv)
            .args(["--rate", "2000", "--concurrency", "8"]);
        if notices {
            c.arg("--notices").arg(dir.join("notices"));
        }
        c
    };

    // First run: killed without warning once GPD holds a good part of the campaign.
    let mut child = import(false)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        if mock.positions(&org).len() >= 3_000 {
            break;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the import ended ({status}) before it could be killed");
        }
        assert!(Instant::now() < deadline, "the import is too slow");
        // Reading the stand-in's positions is not free: not too often.
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let at_kill = mock.positions(&org).len();
    assert!(
        at_kill < ROWS,
        "killed too late to test resuming ({at_kill})"
    );
    let first_run = started.elapsed();

    // Second run: resumes the same campaign and finishes it.
    let mut second = import(false);
    let output = tokio::task::spawn_blocking(move || second.output().unwrap())
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "second run failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("resumed"), "{stdout}");
    eprintln!(
        "[{name}] killed at {at_kill} positions after {:.1} s; whole test {:.1} s\n{stdout}",
        first_run.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );

    let positions = mock.positions(&org);
    assert_eq!(positions.len(), ROWS);
    for position in &positions {
        let iupd = position["iupd"].as_str().unwrap();
        assert_eq!(
            mock.creations(&org, iupd),
            1,
            "{iupd} created more than once"
        );
    }
    let states = counts(
        &database_url,
        "SELECT status, COUNT(*) FROM payment_positions GROUP BY status",
    )
    .await;
    assert_eq!(states, vec![("valid".to_owned(), ROWS as i64)]);
    let topics = counts(
        &database_url,
        "SELECT topic, COUNT(*) FROM outbox GROUP BY topic ORDER BY topic",
    )
    .await;
    // Each debtor who is a person is told of the notice once (App IO reaches people, not
    // companies: one row in seven is a company's VAT number).
    let people = (ROWS - ROWS / 7) as i64;
    assert_eq!(
        topics,
        vec![
            ("notification.requested".to_owned(), people),
            ("pagopa.position.create".to_owned(), ROWS as i64),
        ]
    );
    let told = counts(
        &database_url,
        "SELECT event, COUNT(*) FROM notifications GROUP BY event",
    )
    .await;
    assert_eq!(told, vec![("payment_notice".to_owned(), people)]);
    // One row in ten has three instalments besides the single payment.
    let notices = counts(
        &database_url,
        "SELECT 'notices', COUNT(*) FROM payment_options",
    )
    .await;
    assert_eq!(notices[0].1, (ROWS + ROWS / 10 * 3) as i64);

    let status = sportello(&database_url, &api_base)
        .args([
            "pagopa",
            "campaign",
            "status",
            "--tenant",
            "borgoverde",
            "--file",
        ])
        .arg(&csv)
        .output()
        .unwrap();
    let status_text = String::from_utf8_lossy(&status.stdout);
    assert!(status.status.success(), "{status_text}");
    assert!(
        status_text.contains(&format!("valid           {ROWS}")),
        "{status_text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_killed_and_resumed_import_bills_every_row_once() {
    let dir = temp_dir("sqlite-db");
    let url = format!("sqlite://{}", dir.join("sportello.db").display());
    killed_and_resumed_import_bills_every_row_once(url, "sqlite").await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_killed_and_resumed_import_bills_every_row_once() {
    if let Some(url) = sportello_store::testing::postgres_database_url().await {
        killed_and_resumed_import_bills_every_row_once(url, "postgres").await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_with_bad_rows_writes_nothing_and_reports_each() {
    let dir = temp_dir("bad");
    let url = format!("sqlite://{}", dir.join("sportello.db").display());
    prepare(&url);
    let csv = dir.join("bad.csv");
    let when = due(30);
    std::fs::write(
        &csv,
        format!(
            "riferimento;codice_fiscale;nominativo;causale;importo;scadenza\n\
             R1;RSSMRA80A01H501U;Mario Rossi;TARI;12,50;{when}\n\
             R2;RSSMRA80A01H501U;Mario Rossi;TARI;12,345;{when}\n\
             R3;RSSMRA80A01H501U;Mario Rossi;TARI;10;31/02/2027\n\
             R1;RSSMRA80A01H501U;Mario Rossi;TARI;10;{when}\n\
             R5;XXXXXX;Mario Rossi;TARI;10;{when}\n"
        ),
    )
    .unwrap();
    // Nothing listens there: a bad file must not get as far as pagoPA.
    for dry_run in [true, false] {
        let mut command = sportello(&url, "http://127.0.0.1:9/_mock/pagopa");
        command
            .args(["pagopa", "campaign", "import", "--tenant", "borgoverde"])
            .arg(&csv);
        if dry_run {
            command.arg("--dry-run");
        }
        let output = command.output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        for expected in [
            "line 3, importo: \"12,345\" has more than two decimals",
            "line 4, scadenza: \"31/02/2027\" is not a date",
            "line 5, riferimento: \"R1\" repeats the riferimento of line 2",
            "line 6, codice_fiscale: \"XXXXXX\" is not a codice fiscale",
            "4 problem(s)",
            "nothing was imported",
        ] {
            assert!(
                stderr.contains(expected),
                "missing {expected:?} in:\n{stderr}"
            );
        }
    }
    let written = counts(
        &url,
        "SELECT 'rows', (SELECT COUNT(*) FROM payment_campaigns) + (SELECT COUNT(*) FROM payment_positions) \
         + (SELECT COUNT(*) FROM outbox) + (SELECT COUNT(*) FROM iuv_counters)",
    )
    .await;
    assert_eq!(written[0].1, 0);

    // The same rows without the bad ones pass a dry run, which still writes nothing.
    std::fs::write(
        &csv,
        format!("riferimento;codice_fiscale;nominativo;causale;importo;scadenza\nR1;RSSMRA80A01H501U;Mario Rossi;TARI;12,50;{when}\n"),
    )
    .unwrap();
    let output = sportello(&url, "http://127.0.0.1:9/_mock/pagopa")
        .args([
            "pagopa",
            "campaign",
            "import",
            "--tenant",
            "borgoverde",
            "--dry-run",
        ])
        .arg(&csv)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("1 rows, € 12,50 in total"), "{stdout}");
    assert_eq!(
        counts(&url, "SELECT 'campaigns', COUNT(*) FROM payment_campaigns").await[0].1,
        0
    );
    let _ = std::fs::remove_dir_all(&dir);
}
