//! App IO keys at the command line (`appio key set|list`) and the demo's notifications reaching
//! the citizen's phone and mailbox.

use super::spid::{prepared_database, stderr, stdout};
use super::{free_port, http_get, sportello, start_demo, temp_dir};
use std::io::Write;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

const STORAGE_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const IO_KEY: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90";

fn appio(url: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = sportello()
        .arg("appio")
        .args(args)
        .env("DATABASE_URL", url)
        .env("SPORTELLO_STORAGE__KEY", STORAGE_KEY)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().unwrap()
}

#[test]
fn app_io_keys_are_sealed_in_the_database_and_listed_by_fingerprint() {
    let (dir, url) = prepared_database("appio-keys");
    let list = appio(&url, &["key", "list", "--tenant", "borgoverde"], None);
    assert_eq!(list.status.code(), Some(1), "no service has a key yet");
    assert!(stdout(&list).contains("pratiche") && stdout(&list).contains("NO KEY"));

    let set = appio(
        &url,
        &[
            "key",
            "set",
            "--tenant",
            "borgoverde",
            "--service",
            "pratiche",
        ],
        Some(&format!("{IO_KEY}\n")),
    );
    assert!(set.status.success(), "{}", stderr(&set));
    let printed = format!("{}{}", stdout(&set), stderr(&set));
    assert!(printed.contains("fingerprint"), "{printed}");
    assert!(!printed.contains(IO_KEY), "the key is never printed");

    let list = appio(&url, &["key", "list", "--tenant", "borgoverde"], None);
    let listed = stdout(&list);
    assert!(!listed.contains(IO_KEY));
    let pratiche = listed.lines().find(|l| l.starts_with("pratiche")).unwrap();
    assert!(!pratiche.contains("NO KEY"), "{listed}");
    let pagamenti = listed.lines().find(|l| l.starts_with("pagamenti")).unwrap();
    assert!(pagamenti.contains("NO KEY"), "{listed}");
    assert_eq!(list.status.code(), Some(1));

    // Sealed: the key's text appears nowhere in the database file.
    let mut bytes = std::fs::read(dir.join("sportello.db")).unwrap();
    for suffix in ["-wal", "-shm"] {
        if let Ok(more) = std::fs::read(dir.join(format!("sportello.db{suffix}"))) {
            bytes.extend(more);
        }
    }
    assert!(
        !bytes.windows(IO_KEY.len()).any(|w| w == IO_KEY.as_bytes()),
        "the key is stored in clear"
    );

    let unknown = appio(
        &url,
        &["key", "set", "--tenant", "borgoverde", "--service", "tari"],
        Some(IO_KEY),
    );
    assert!(!unknown.status.success());
    assert!(
        stderr(&unknown).contains("no App IO service \"tari\""),
        "{}",
        stderr(&unknown)
    );
    let blank = appio(
        &url,
        &[
            "key",
            "set",
            "--tenant",
            "borgoverde",
            "--service",
            "pagamenti",
        ],
        Some("  \n"),
    );
    assert!(!blank.status.success());
}

/// Polls `path` until `accept` holds for its body.
fn wait_for(port: u16, path: &str, accept: impl Fn(&str) -> bool) -> String {
    let started = Instant::now();
    loop {
        let (status, body) = http_get(port, path, "");
        if status == 200 && accept(&body) {
            return body;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{path} never showed what was expected:\n{body}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

#[test]
fn the_demo_tells_its_citizens_on_the_phone_and_by_e_mail() {
    let data = temp_dir("demo-notify");
    let port = free_port();
    let _demo = start_demo(port, &data);
    // The seeded requests were received, decided and billed: each told Mario on IO ...
    let messages = wait_for(port, "/_mock/appio/_admin/messages", |body| {
        body.contains("RSSMRA80A01H501U") && body.contains("PROCESSED")
    });
    assert!(messages.contains("Richiesta ricevuta"), "{messages}");
    let inbox = wait_for(port, "/_mock/appio/inbox/RSSMRA80A01H501U", |body| {
        body.contains("Avviso di pagamento")
    });
    assert!(inbox.contains("Richiesta ricevuta"), "{inbox}");
    // ... and by e-mail, which Mario chose besides IO.
    let mail = wait_for(port, "/_mock/mail/_admin/messages", |body| {
        body.contains("mario.rossi@example.org")
    });
    assert!(mail.contains("Comune di"), "{mail}");
    // Sara has no IO profile: e-mail stands in, and no IO message reached the stand-in.
    let messages = wait_for(port, "/_mock/mail/_admin/messages", |body| {
        body.contains("sara.esposito@example.org")
    });
    assert!(!messages.is_empty());
    let (_, io) = http_get(port, "/_mock/appio/_admin/messages", "");
    assert!(!io.contains("ESPSRA01A41Z404C"), "Sara has no IO profile");
}
