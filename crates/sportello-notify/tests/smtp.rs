//! The mailer against real SMTP servers: the tests' relay (tests/smtp/server.py, STARTTLS and
//! AUTH required, started by scripts/lib/smtp.sh) and the demo's stand-in
//! (`sportello_mock::mail`), each message read back as a mail client reads it.

use mail_parser::{MessageParser, MimeHeaders, PartType};
use sportello_mock::mail::{MockMailServer, MockMailbox};
use sportello_notify::mail::{
    Credentials, Email, MailError, MailSettings, Mailer, Security, Sender,
};
use std::path::{Path, PathBuf};
use std::time::Duration;

const USERNAME: &str = "sportello";
const PASSWORD: &str = "sportello-test";

struct RealServer {
    port: u16,
    spool: PathBuf,
    certificate: Vec<u8>,
}

/// The relay scripts/test started, or `None` (after saying so) when run without it.
fn real_server() -> Option<RealServer> {
    let port = std::env::var("SPORTELLO_TEST_SMTP_PORT").ok();
    let spool = std::env::var_os("SPORTELLO_TEST_SMTP_SPOOL");
    let ca = std::env::var_os("SPORTELLO_TEST_SMTP_CA");
    let (Some(port), Some(spool), Some(ca)) = (port, spool, ca) else {
        if std::env::var_os("CI").is_some() {
            panic!(
                "SPORTELLO_TEST_SMTP_PORT, _SPOOL and _CA are not set: in CI the SMTP tests must \
                 run through ./scripts/test, which starts the test SMTP server"
            );
        }
        eprintln!(
            "skipped: no test SMTP server (run ./scripts/test, or source scripts/lib/smtp.sh \
             and call smtp_start)"
        );
        return None;
    };
    Some(RealServer {
        port: port
            .trim()
            .parse()
            .expect("SPORTELLO_TEST_SMTP_PORT is a port"),
        spool: PathBuf::from(spool),
        certificate: std::fs::read(ca).expect("SPORTELLO_TEST_SMTP_CA is readable"),
    })
}

fn relay_settings(server: &RealServer, password: &str) -> MailSettings {
    MailSettings {
        host: "localhost".into(),
        port: server.port,
        security: Security::StartTls,
        credentials: Some(Credentials {
            username: USERNAME.into(),
            password: password.into(),
        }),
        timeout: Duration::from_secs(10),
        extra_root_certificate: Some(server.certificate.clone()),
        hello_name: Some("sportello.test".into()),
    }
}

fn unique_message_id() -> String {
    format!(
        "<notification-{}@sportello.borgoverde.example.it>",
        uuid::Uuid::now_v7()
    )
}

fn email(to: &str) -> Email {
    Email {
        from: Sender {
            name: "Comune di Borgoverde".into(),
            address: "noreply@borgoverde.example.it".into(),
        },
        reply_to: Some("Ufficio Tributi <tributi@borgoverde.example.it>".into()),
        to: to.into(),
        subject: "Ricevuta della richiesta n° 12 — città".into(),
        text: "Gentile Mario Rossi,\n\nla richiesta n° 12 è stata ricevuta il 3 marzo.\n\
               Il termine per la risposta è di 30 giorni.\n"
            .into(),
        html: "<!doctype html><html lang=\"it\"><body><p>Gentile Mario Rossi,</p>\
               <p>la richiesta <strong>n° 12</strong> è stata ricevuta il 3 marzo.</p></body></html>"
            .into(),
        message_id: unique_message_id(),
        language: "it".into(),
        list_unsubscribe: Some(
            "https://servizi.borgoverde.example.it/borgoverde/preferenze/disiscrizione?t=abc123"
                .into(),
        ),
        headers: vec![("X-Sportello-Notification".into(), "n-12".into())],
    }
}

/// The spooled `.eml` of a message, and its envelope: the server names each file after the
/// Message-ID, and writes it before answering 250.
fn spooled(spool: &Path, message_id: &str) -> (Vec<u8>, serde_json::Value) {
    let name: String = message_id
        .trim_matches(['<', '>'])
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._@-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let suffix = format!("-{name}.eml");
    let found: Vec<PathBuf> = std::fs::read_dir(spool)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(&suffix))
        })
        .collect();
    assert_eq!(found.len(), 1, "{message_id} in the spool: {found:?}");
    let raw = std::fs::read(&found[0]).unwrap();
    let envelope = std::fs::read(found[0].with_extension("json")).unwrap();
    (raw, serde_json::from_slice(&envelope).unwrap())
}

fn lf(text: &str) -> String {
    text.replace("\r\n", "\n")
}

/// What a mail client shows of the message: the checks common to both servers.
fn assert_reads_back(raw: &[u8], sent: &Email) {
    let message = MessageParser::default().parse(raw).expect("a message");
    let from = message.from().and_then(|a| a.first()).expect("From");
    assert_eq!(from.name(), Some("Comune di Borgoverde"));
    assert_eq!(from.address(), Some("noreply@borgoverde.example.it"));
    let reply_to = message
        .reply_to()
        .and_then(|a| a.first())
        .expect("Reply-To");
    assert_eq!(reply_to.address(), Some("tributi@borgoverde.example.it"));
    assert_eq!(reply_to.name(), Some("Ufficio Tributi"));
    assert_eq!(
        message
            .to()
            .and_then(|a| a.first())
            .and_then(|a| a.address()),
        Some(sent.to.as_str())
    );
    assert_eq!(message.subject(), Some(sent.subject.as_str()));
    assert_eq!(
        message.message_id().map(|id| format!("<{id}>")),
        Some(sent.message_id.clone())
    );
    let raw_header = |name: &str| message.header_raw(name).map(|v| lf(v).trim().to_owned());
    let url = sent.list_unsubscribe.as_deref().unwrap();
    assert_eq!(raw_header("List-Unsubscribe"), Some(format!("<{url}>")));
    assert_eq!(
        raw_header("List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    assert_eq!(raw_header("Content-Language").as_deref(), Some("it"));
    assert_eq!(
        raw_header("X-Sportello-Notification").as_deref(),
        Some("n-12")
    );
    assert!(message.date().is_some(), "Date");

    let text = message
        .text_bodies()
        .find_map(|p| match &p.body {
            PartType::Text(t) => Some(t.to_string()),
            _ => None,
        })
        .expect("a text/plain part");
    assert_eq!(lf(&text), sent.text);
    let html = message
        .html_bodies()
        .find_map(|p| match &p.body {
            PartType::Html(h) => Some(h.to_string()),
            _ => None,
        })
        .expect("a text/html part");
    assert_eq!(lf(&html), sent.html);
    let content_type = message.content_type().expect("Content-Type");
    assert_eq!(content_type.ctype(), "multipart");
    assert_eq!(content_type.subtype(), Some("alternative"));
}

#[tokio::test]
async fn starttls_and_auth_deliver_a_multipart_email() {
    let Some(server) = real_server() else { return };
    let mailer = Mailer::new(&relay_settings(&server, PASSWORD)).unwrap();
    let sent = email("mario.rossi@example.org");
    let receipt = mailer.send(&sent).await.unwrap();
    assert_eq!(receipt.message_id, sent.message_id);
    assert!(receipt.response.starts_with("250 "), "{}", receipt.response);
    assert!(
        receipt.response.contains("queued as"),
        "{}",
        receipt.response
    );

    let (raw, envelope) = spooled(&server.spool, &sent.message_id);
    assert_eq!(envelope["tls"], true, "STARTTLS was used");
    assert_eq!(envelope["authenticated"], true);
    assert_eq!(envelope["mail_from"], "noreply@borgoverde.example.it");
    assert_eq!(
        envelope["rcpt_tos"],
        serde_json::json!(["mario.rossi@example.org"])
    );
    assert_reads_back(&raw, &sent);
}

#[tokio::test]
async fn a_refused_recipient_is_a_permanent_rejection() {
    let Some(server) = real_server() else { return };
    let mailer = Mailer::new(&relay_settings(&server, PASSWORD)).unwrap();
    let error = mailer
        .send(&email("mario.rossi@comune.invalid"))
        .await
        .unwrap_err();
    match &error {
        MailError::Rejected { code, message } => {
            assert_eq!(*code, 550);
            assert!(message.contains("mailbox unavailable"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert!(!error.is_transient());
}

#[tokio::test]
async fn a_wrong_password_is_an_auth_error() {
    let Some(server) = real_server() else { return };
    let mailer = Mailer::new(&relay_settings(&server, "not-the-password")).unwrap();
    let error = mailer
        .send(&email("mario.rossi@example.org"))
        .await
        .unwrap_err();
    match &error {
        MailError::Auth(message) => assert!(message.starts_with("535"), "{message}"),
        other => panic!("{other:?}"),
    }
    assert!(!error.is_transient());
    assert!(!error.to_string().contains("not-the-password"));
    assert!(!format!("{error:?}").contains("not-the-password"));
}

#[tokio::test]
async fn an_untrusted_certificate_stops_the_send() {
    let Some(server) = real_server() else { return };
    let settings = MailSettings {
        extra_root_certificate: None,
        ..relay_settings(&server, PASSWORD)
    };
    let error = Mailer::new(&settings)
        .unwrap()
        .send(&email("mario.rossi@example.org"))
        .await
        .unwrap_err();
    match &error {
        MailError::Config(message) => assert!(message.contains("certificate"), "{message}"),
        other => panic!("{other:?}"),
    }
    assert!(!error.is_transient(), "retrying does not make it trusted");
}

#[tokio::test]
async fn implicit_tls_towards_a_starttls_port_is_a_configuration_error() {
    let Some(server) = real_server() else { return };
    let settings = MailSettings {
        security: Security::Tls,
        ..relay_settings(&server, PASSWORD)
    };
    let error = Mailer::new(&settings)
        .unwrap()
        .send(&email("mario.rossi@example.org"))
        .await
        .unwrap_err();
    assert!(matches!(error, MailError::Config(_)), "{error:?}");
}

#[tokio::test]
async fn a_closed_port_is_transient() {
    // A port just freed: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let settings = MailSettings {
        host: "127.0.0.1".into(),
        port,
        security: Security::Plain,
        timeout: Duration::from_secs(5),
        ..MailSettings::starttls("127.0.0.1")
    };
    let error = Mailer::new(&settings)
        .unwrap()
        .send(&email("mario.rossi@example.org"))
        .await
        .unwrap_err();
    assert!(error.is_transient(), "{error:?}");
}

#[tokio::test]
async fn a_server_that_stops_answering_is_transient() {
    // Accepts the connection and never says a word, not even the greeting.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let settings = MailSettings {
        host: "127.0.0.1".into(),
        port,
        security: Security::Plain,
        timeout: Duration::from_millis(100),
        ..MailSettings::starttls("127.0.0.1")
    };
    let started = std::time::Instant::now();
    let error = Mailer::new(&settings)
        .unwrap()
        .send(&email("mario.rossi@example.org"))
        .await
        .unwrap_err();
    assert!(error.is_transient(), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    holder.abort();
}

#[test]
fn plain_smtp_towards_another_host_is_refused() {
    let settings = MailSettings {
        security: Security::Plain,
        port: 25,
        ..MailSettings::starttls("smtp.borgoverde.example.it")
    };
    assert!(matches!(Mailer::new(&settings), Err(MailError::Config(_))));
}

async fn mock_server() -> (Mailer, MockMailbox, tokio::task::JoinHandle<()>) {
    let mailbox = MockMailbox::new();
    let (addr, server) = MockMailServer::start(([127, 0, 0, 1], 0).into(), mailbox.clone())
        .await
        .unwrap();
    let settings = MailSettings {
        host: "127.0.0.1".into(),
        port: addr.port(),
        security: Security::Plain,
        timeout: Duration::from_secs(5),
        ..MailSettings::starttls("127.0.0.1")
    };
    (Mailer::new(&settings).unwrap(), mailbox, server)
}

#[tokio::test]
async fn the_mock_server_receives_what_the_mailer_sends() {
    let (mailer, mailbox, server) = mock_server().await;
    let mut sent = email("mario.rossi@example.org");
    // Plain ASCII keeps the part 7bit, so its lines travel as they are and lines starting
    // with a dot are dot-stuffed by the client and unstuffed by the server.
    sent.text = "Riepilogo:\n.riga che inizia con un punto\n..e questa con due\n.\nfine\n".into();
    let receipt = mailer.send(&sent).await.unwrap();
    assert!(receipt.response.starts_with("250 "), "{}", receipt.response);

    let messages = mailbox.messages_to("mario.rossi@example.org");
    assert_eq!(messages.len(), 1);
    let mail = &messages[0];
    assert_eq!(mail.envelope_from, "noreply@borgoverde.example.it");
    assert_eq!(mail.subject.as_deref(), Some(sent.subject.as_str()));
    assert_eq!(
        mail.text.as_deref().map(lf).as_deref(),
        Some(sent.text.as_str())
    );
    assert_eq!(
        mail.html.as_deref().map(lf).as_deref(),
        Some(sent.html.as_str())
    );
    assert_eq!(
        mail.message_id.as_deref().map(|id| format!("<{id}>")),
        Some(sent.message_id.clone())
    );
    let raw = String::from_utf8_lossy(&mail.raw);
    assert!(
        raw.contains("\r\n.riga che inizia con un punto\r\n..e questa con due\r\n.\r\nfine"),
        "{raw}"
    );
    assert_reads_back(&mail.raw, &sent);
    server.abort();
}

#[tokio::test]
async fn the_mock_server_refuses_invalid_domains_and_recognises_a_repeat() {
    let (mailer, mailbox, server) = mock_server().await;
    let error = mailer
        .send(&email("nessuno@dominio.invalid"))
        .await
        .unwrap_err();
    assert_eq!(
        error,
        MailError::Rejected {
            code: 550,
            message: "5.1.1 mailbox unavailable".into()
        }
    );
    assert!(mailbox.is_empty());

    // A notification sent again after a crash is the same message, by its Message-ID.
    let sent = email("anna.bianchi@example.org");
    mailer.send(&sent).await.unwrap();
    mailer.send(&sent).await.unwrap();
    let ids: Vec<_> = mailbox
        .messages()
        .into_iter()
        .map(|m| m.message_id)
        .collect();
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[0], ids[1]);
    server.abort();
}
