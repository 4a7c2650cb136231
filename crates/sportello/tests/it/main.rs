//! The `sportello` binary as an operator runs it: demo, migrate, check-config, tenant import,
//! login administration (roles, SPID keys and identity providers: `spid.rs`), App IO keys and
//! the demo's notifications (`notify.rs`)
//! and a graceful stop on SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod notify;
mod spid;

const BIN: &str = env!("CARGO_BIN_EXE_sportello");

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sportello-bin-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn sportello() -> Command {
    let mut command = Command::new(BIN);
    // The tests decide every setting; nothing leaks in from the developer's shell.
    for (key, _) in std::env::vars() {
        if key.starts_with("SPORTELLO_") || key == "DATABASE_URL" || key == "RUST_LOG" {
            command.env_remove(key);
        }
    }
    command
}

/// A plain HTTP/1.1 GET, enough to check status and body without an HTTP client dependency.
fn http_get(port: u16, path: &str, extra_headers: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost:{port}\r\nConnection: close\r\n{extra_headers}\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, response)
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_demo(port: u16, data: &std::path::Path) -> Running {
    start_demo_with(port, data, &[])
}

/// The demo with more command-line arguments.
fn start_demo_with(port: u16, data: &std::path::Path, extra: &[&str]) -> Running {
    let child = sportello()
        .args(["demo", "--port", &port.to_string(), "--data"])
        .arg(data)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Owned by the guard from now on, so every path (a panic included) kills and waits for it.
    let mut running = Running(child);
    let stdout = running.0.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut printed = String::new();
    while Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        printed.push_str(&line);
        printed.push('\n');
        if line.starts_with("Data in") {
            std::thread::spawn(move || for _ in lines {});
            assert!(
                printed.contains(&format!("http://localhost:{port}/borgoverde/")),
                "{printed}"
            );
            assert!(
                printed.contains(&format!("http://localhost:{port}/valdoro/")),
                "{printed}"
            );
            return running;
        }
    }
    panic!("the demo did not start:\n{printed}");
}

#[test]
fn demo_serves_both_comuni_the_permits_and_operations() {
    let data = temp_dir("demo");
    let port = free_port();
    let _demo = start_demo(port, &data);
    for path in [
        "/healthz",
        "/readyz",
        "/metrics",
        "/borgoverde/",
        "/valdoro/",
        "/_mock/",
    ] {
        let (status, body) = http_get(port, path, "");
        assert_eq!(status, 200, "{path}: {body}");
    }
    for comune in ["borgoverde", "valdoro"] {
        for service in [
            "occupazione-suolo-pubblico",
            "permesso-sosta-residenti",
            "contrassegno-disabili",
            "permesso-ztl",
        ] {
            let path = format!("/{comune}/servizi/{service}");
            let (status, it) = http_get(port, &path, "");
            assert_eq!(status, 200, "{path}");
            assert!(it.contains("<html lang=\"it\">"), "{path}");
            let (status, en) = http_get(port, &path, "Cookie: lang=en\r\n");
            assert_eq!(status, 200, "{path} in English");
            assert!(en.contains("<html lang=\"en\">"), "{path} in English");
        }
    }
    let (status, body) = http_get(port, "/comune-inesistente/", "");
    assert_eq!(status, 404);
    assert!(body.contains("Comune non trovato"));
    assert!(
        data.join("sportello.db").exists(),
        "the demo keeps its data in --data"
    );
}

#[test]
fn the_demo_reuses_its_data_folder() {
    let data = temp_dir("reuse");
    for _ in 0..2 {
        let port = free_port();
        let _demo = start_demo(port, &data);
        assert_eq!(http_get(port, "/readyz", "").0, 200);
    }
}

#[cfg(unix)]
#[test]
fn sigterm_stops_the_server_gracefully() {
    let data = temp_dir("sigterm");
    let port = free_port();
    let mut demo = start_demo(port, &data);
    let pid = demo.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(status) = demo.0.try_wait().unwrap() {
            assert!(status.success(), "exit status after SIGTERM: {status}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not stop within 15 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn check_config_explains_every_problem() {
    let dir = temp_dir("config");
    let file = dir.join("sportello.toml");
    std::fs::write(
        &file,
        "[server]\nlisten = \"nowhere\"\ntimeout = 3\n[database]\nurl = \"mysql://x\"\n",
    )
    .unwrap();
    let output = sportello()
        .args(["check-config", "--config"])
        .arg(&file)
        .env("SPORTELLO_LOG__FORMAT", "yaml")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success());
    assert!(stdout.contains("4 problem(s)"), "{stdout}");
    for expected in [
        "server.listen",
        "server.timeout",
        "database.url",
        "SPORTELLO_LOG__FORMAT",
    ] {
        assert!(
            stdout.contains(expected),
            "{expected} not explained:\n{stdout}"
        );
    }

    std::fs::write(
        &file,
        "[database]\nurl = \"postgres://app:hunter2@db.example/sportello\"\n",
    )
    .unwrap();
    let output = sportello()
        .args(["check-config", "--config"])
        .arg(&file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("postgres://app:***@db.example/sportello"));
    assert!(!stdout.contains("hunter2"), "a secret reached the output");
}

#[test]
fn migrate_and_tenant_import_prepare_a_production_database() {
    let dir = temp_dir("migrate");
    let url = format!("sqlite://{}", dir.join("prod.db").display());
    let status = sportello()
        .args(["migrate", "--status"])
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert_eq!(
        status.status.code(),
        Some(2),
        "pending migrations exit with 2"
    );
    assert!(String::from_utf8_lossy(&status.stdout).contains("pending:  [1, 2, 3, 4, 5]"));
    let migrated = sportello()
        .arg("migrate")
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(
        migrated.status.success(),
        "{}",
        String::from_utf8_lossy(&migrated.stderr)
    );
    let status = sportello()
        .args(["migrate", "--status"])
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(status.status.success());

    let demo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tenants/demo");
    let broken = dir.join("rotto.toml");
    std::fs::write(&broken, "slug = \"rotto\"\n").unwrap();
    let refused = sportello()
        .args(["tenant", "import"])
        .arg(demo.join("borgoverde.toml"))
        .arg(&broken)
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("nothing imported"));
    let listed = sportello()
        .args(["tenant", "list"])
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&listed.stdout).contains("borgoverde"),
        "a refused batch imports nothing"
    );

    let imported = sportello()
        .args(["tenant", "import"])
        .arg(demo.join("borgoverde.toml"))
        .arg(demo.join("valdoro.toml"))
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    let stdout = String::from_utf8_lossy(&imported.stdout);
    assert!(
        stdout.contains("created Comune di Borgoverde (borgoverde)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("new procedure version: permesso-ztl v1"),
        "the first import versions every procedure:\n{stdout}"
    );
    let listed = sportello()
        .args(["tenant", "list"])
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&listed.stdout);
    assert!(
        stdout.contains("borgoverde") && stdout.contains("valdoro"),
        "{stdout}"
    );
}

#[test]
fn serve_refuses_a_database_with_pending_migrations() {
    let dir = temp_dir("serve");
    let url = format!("sqlite://{}", dir.join("new.db").display());
    let output = sportello()
        .arg("serve")
        .env("DATABASE_URL", &url)
        .env("SPORTELLO_SERVER__LISTEN", "127.0.0.1:0")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("run `sportello migrate` first"));
}

/// 32 bytes of base64: a key for settings that need one.
const TEST_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

#[test]
fn serve_refuses_to_start_without_the_storage_keys() {
    let dir = temp_dir("keys");
    let url = format!("sqlite://{}", dir.join("keys.db").display());
    assert!(
        sportello()
            .arg("migrate")
            .env("DATABASE_URL", &url)
            .output()
            .unwrap()
            .status
            .success()
    );
    let output = sportello()
        .arg("serve")
        .env("DATABASE_URL", &url)
        .env("SPORTELLO_SERVER__LISTEN", "127.0.0.1:0")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("SPORTELLO_STORAGE__KEY"), "{stderr}");
}

#[test]
fn every_command_has_help() {
    for args in [
        &["--help"][..],
        &["serve", "--help"],
        &["demo", "--help"],
        &["migrate", "--help"],
        &["check-config", "--help"],
        &["tenant", "import", "--help"],
        &["pagopa", "campaign", "import", "--help"],
        &["pagopa", "reconcile", "--help"],
    ] {
        let output = sportello().args(args).output().unwrap();
        assert!(output.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&output.stdout).contains("Usage:"),
            "{args:?}"
        );
    }
}

#[cfg(unix)]
#[test]
fn serve_writes_json_logs_with_request_ids_and_no_query_strings() {
    let dir = temp_dir("logs");
    let url = format!("sqlite://{}", dir.join("logs.db").display());
    assert!(
        sportello()
            .arg("migrate")
            .env("DATABASE_URL", &url)
            .output()
            .unwrap()
            .status
            .success()
    );
    let port = free_port();
    let mut server = sportello()
        .arg("serve")
        .env("DATABASE_URL", &url)
        .env("SPORTELLO_SERVER__LISTEN", format!("127.0.0.1:{port}"))
        .env("SPORTELLO_LOG__FORMAT", "json")
        .env("SPORTELLO_STORAGE__KEY", TEST_KEY)
        .env("SPORTELLO_STORAGE__VERIFICATION_KEY", TEST_KEY)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "serve did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    let (status, response) = http_get(port, "/healthz?token=s3cr3t", "");
    assert_eq!(status, 200);
    assert!(response.to_ascii_lowercase().contains("x-request-id:"));
    assert!(
        Command::new("kill")
            .args(["-TERM", &server.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    let mut logs = String::new();
    server
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    assert!(server.wait().unwrap().success());
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let request = lines
        .iter()
        .find(|l| l["status"] == 200)
        .unwrap_or_else(|| panic!("no request line in:\n{logs}"));
    assert_eq!(request["spans"][0]["path"], "/healthz");
    assert!(
        request["spans"][0]["request_id"]
            .as_str()
            .is_some_and(|id| id.len() == 36)
    );
    assert!(!logs.contains("s3cr3t"), "a query string reached the logs");
}

#[test]
fn the_ztl_whitelist_lists_the_demo_permits_with_a_checksum() {
    let data = temp_dir("ztl");
    {
        let _demo = start_demo(free_port(), &data);
    }
    let url = format!("sqlite://{}", data.join("sportello.db").display());
    let out = data.join("whitelist.csv");
    let output = sportello()
        .args([
            "ztl",
            "export",
            "--tenant",
            "borgoverde",
            "--format",
            "csv",
            "--output",
        ])
        .arg(&out)
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let csv = std::fs::read_to_string(&out).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("action;plate;zone;days;from;to;valid_from;valid_until;permit")
    );
    // The demo's issued ZTL permit and disabled badge carry AB123CD.
    let rows: Vec<&str> = lines.collect();
    assert!(
        rows.iter()
            .any(|r| r.starts_with("add;AB123CD;centro-storico;")),
        "{csv}"
    );
    let sum = std::fs::read_to_string(data.join("whitelist.csv.sha256")).unwrap();
    let printed = String::from_utf8_lossy(&output.stdout);
    assert_eq!(sum, printed);
    assert_eq!(sum.split_whitespace().next().unwrap().len(), 64);

    // Nothing changed after a future instant: the incremental file is only its header.
    let later = sportello()
        .args([
            "ztl",
            "export",
            "--tenant",
            "borgoverde",
            "--since",
            "2099-01-01T00:00:00Z",
        ])
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(later.status.success());
    assert_eq!(String::from_utf8_lossy(&later.stdout).lines().count(), 1);
}

/// The demo's positions agree with its pagoPA stand-in, and the command says so; with pagoPA
/// unreachable it fails with the reason.
#[cfg(unix)]
#[test]
fn reconcile_compares_the_comunes_positions_with_pagopa() {
    let data = temp_dir("reconcile");
    let port = free_port();
    let demo = start_demo(port, &data);
    let url = format!("sqlite://{}", data.join("sportello.db").display());
    let reconcile = |api_base: &str| {
        sportello()
            .args(["pagopa", "reconcile", "--tenant", "borgoverde"])
            .env("DATABASE_URL", &url)
            .env("SPORTELLO_PAGOPA__API_BASE", api_base)
            .env(
                "SPORTELLO_PAGOPA__KEYS__BORGOVERDE",
                "demo-gpd-key-borgoverde",
            )
            .output()
            .unwrap()
    };
    let api = format!("http://127.0.0.1:{port}/_mock/pagopa");
    // The demo's outbox puts its seeded positions on GPD within a few seconds.
    // Until they are, the comparison finds nothing to check: wait for both.
    let checked_some =
        |output: &std::process::Output| !String::from_utf8_lossy(&output.stdout).starts_with("0 ");
    let mut output = reconcile(&api);
    for _ in 0..80 {
        if output.status.success() && checked_some(&output) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
        output = reconcile(&api);
    }
    let printed = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{printed}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(printed.contains("0 difference(s)"), "{printed}");
    let checked: u32 = printed
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(checked > 0, "{printed}");
    drop(demo);
    let down = reconcile(&api);
    assert!(!down.status.success());
    assert!(
        String::from_utf8_lossy(&down.stderr).contains("pagoPA"),
        "{}",
        String::from_utf8_lossy(&down.stderr)
    );
}

#[test]
fn check_config_says_whether_the_storage_keys_are_set_and_never_prints_them() {
    let missing = sportello()
        .arg("check-config")
        .env("DATABASE_URL", "sqlite://x.db")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&missing.stdout);
    assert!(missing.status.success(), "{stdout}");
    assert!(stdout.contains("storage key: missing"), "{stdout}");
    let set = sportello()
        .arg("check-config")
        .env("DATABASE_URL", "sqlite://x.db")
        .env("SPORTELLO_STORAGE__KEY", TEST_KEY)
        .env("SPORTELLO_STORAGE__VERIFICATION_KEY", TEST_KEY)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&set.stdout);
    assert!(stdout.contains("storage key: set"), "{stdout}");
    assert!(stdout.contains("verification key: set"), "{stdout}");
    assert!(
        !stdout.contains(TEST_KEY),
        "a key reached the output:\n{stdout}"
    );
}
