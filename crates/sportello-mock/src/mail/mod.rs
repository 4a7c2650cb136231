//! The e-mail stand-in: an SMTP server and its catch-all inbox.
//!
//! [`MockMailServer`] speaks enough SMTP (RFC 5321) for a real client: the demo's mailer
//! connects to it on 127.0.0.1 without TLS or AUTH, exactly as it would to a local relay.
//! Every message accepted lands in a [`MockMailbox`], which [`MockMailbox::router`] shows at
//! `/_mock/mail/` as a webmail would. Recipients in a domain ending in `.invalid` (RFC 2606)
//! are refused with `550 5.1.1`, so the demo can show a bounce.

mod pages;
mod smtp;

pub use smtp::MockMailServer;

use mail_parser::{MessageParser, PartType};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

/// How many messages the mailbox keeps; older ones are dropped first.
pub const MAILBOX_CAPACITY: usize = 1000;

/// A message the stand-in accepted, as received and as a mail client reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct MockMail {
    /// Opaque and unique within the process (not a sequence: the demo's links must not point
    /// at another message after a restart).
    pub id: String,
    pub received_at: jiff::Timestamp,
    /// The envelope: MAIL FROM (empty for a bounce) and each accepted RCPT TO.
    pub envelope_from: String,
    pub envelope_to: Vec<String>,
    /// The message as received, after dot-unstuffing, with CRLF line ends.
    pub raw: Vec<u8>,
    pub subject: Option<String>,
    /// The From header, decoded: `Name <address>` or the address alone.
    pub from: Option<String>,
    pub to: Vec<String>,
    /// The Date header, RFC 3339.
    pub date: Option<String>,
    /// Without angle brackets, as mail-parser gives it.
    pub message_id: Option<String>,
    /// The raw List-Unsubscribe header value, e.g. `<https://…>`.
    pub list_unsubscribe: Option<String>,
    /// The first text/plain part, decoded.
    pub text: Option<String>,
    /// The first text/html part, decoded.
    pub html: Option<String>,
    /// Every header as received (name, unfolded raw value), in order.
    pub headers: Vec<(String, String)>,
}

impl MockMail {
    fn parse(
        id: String,
        received_at: jiff::Timestamp,
        envelope_from: String,
        envelope_to: Vec<String>,
        raw: Vec<u8>,
    ) -> MockMail {
        let mut mail = MockMail {
            id,
            received_at,
            envelope_from,
            envelope_to,
            raw: Vec::new(),
            subject: None,
            from: None,
            to: Vec::new(),
            date: None,
            message_id: None,
            list_unsubscribe: None,
            text: None,
            html: None,
            headers: Vec::new(),
        };
        if let Some(message) = MessageParser::default().parse(&raw[..]) {
            mail.subject = message.subject().map(str::to_owned);
            mail.from = message.from().and_then(|a| a.first()).map(|addr| {
                match (addr.name(), addr.address()) {
                    (Some(name), Some(address)) => format!("{name} <{address}>"),
                    (None, Some(address)) => address.to_owned(),
                    (Some(name), None) => name.to_owned(),
                    (None, None) => String::new(),
                }
            });
            mail.to = message
                .to()
                .map(|a| {
                    a.iter()
                        .filter_map(|addr| addr.address().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            mail.date = message.date().map(|d| d.to_rfc3339());
            mail.message_id = message.message_id().map(str::to_owned);
            mail.list_unsubscribe = message
                .header_raw("List-Unsubscribe")
                .map(|v| unfold(v).trim().to_owned());
            // Only parts that really are of each type: mail-parser would otherwise make up an
            // HTML version of a text-only message, and the page must show what was sent.
            mail.text = message.text_bodies().find_map(|part| match &part.body {
                PartType::Text(text) => Some(text.to_string()),
                _ => None,
            });
            mail.html = message.html_bodies().find_map(|part| match &part.body {
                PartType::Html(html) => Some(html.to_string()),
                _ => None,
            });
            mail.headers = message
                .headers_raw()
                .map(|(name, value)| (name.to_owned(), unfold(value).trim().to_owned()))
                .collect();
        }
        mail.raw = raw;
        mail
    }
}

fn unfold(value: &str) -> String {
    value.replace("\r\n", "").replace('\n', "")
}

/// The catch-all inbox: every message the stand-in accepted, newest last inside, at most
/// [`MAILBOX_CAPACITY`]. Clones share the same messages.
#[derive(Clone)]
pub struct MockMailbox {
    messages: Arc<Mutex<VecDeque<MockMail>>>,
    capacity: usize,
}

impl Default for MockMailbox {
    fn default() -> MockMailbox {
        MockMailbox::with_capacity(MAILBOX_CAPACITY)
    }
}

impl std::fmt::Debug for MockMailbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockMailbox")
            .field("messages", &self.lock().len())
            .field("capacity", &self.capacity)
            .finish()
    }
}

fn new_id() -> String {
    let mut bytes = [0u8; 8];
    // Without randomness the time alone still tells messages apart in a demo.
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = jiff::Timestamp::now().as_nanosecond();
        bytes = (nanos as u64).to_be_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl MockMailbox {
    pub fn new() -> MockMailbox {
        MockMailbox::default()
    }

    pub fn with_capacity(capacity: usize) -> MockMailbox {
        MockMailbox {
            messages: Arc::new(Mutex::new(VecDeque::new())),
            capacity: capacity.max(1),
        }
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<MockMail>> {
        // Each change is a single push or pop: a panic elsewhere cannot leave it half-done.
        self.messages
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Records a message as if received over SMTP; the server calls this after DATA.
    pub fn deliver(&self, envelope_from: &str, envelope_to: &[String], raw: Vec<u8>) -> MockMail {
        let mail = MockMail::parse(
            new_id(),
            jiff::Timestamp::now(),
            envelope_from.to_owned(),
            envelope_to.to_vec(),
            raw,
        );
        let mut messages = self.lock();
        messages.push_back(mail.clone());
        while messages.len() > self.capacity {
            messages.pop_front();
        }
        mail
    }

    /// Every message, newest first.
    pub fn messages(&self) -> Vec<MockMail> {
        self.lock().iter().rev().cloned().collect()
    }

    /// The messages whose envelope has `address` among the recipients (case-insensitive),
    /// newest first.
    pub fn messages_to(&self, address: &str) -> Vec<MockMail> {
        let address = address.trim();
        self.lock()
            .iter()
            .rev()
            .filter(|m| {
                m.envelope_to
                    .iter()
                    .any(|to| to.eq_ignore_ascii_case(address))
            })
            .cloned()
            .collect()
    }

    pub fn get(&self, id: &str) -> Option<MockMail> {
        self.lock().iter().find(|m| m.id == id).cloned()
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    pub fn clear(&self) {
        self.lock().clear();
    }

    /// The pages at `/_mock/mail/`, to merge into the demo's application.
    pub fn router(&self) -> axum::Router {
        pages::router(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MULTIPART: &str = "From: \"Comune di Borgoverde\" <noreply@borgoverde.example.it>\r\n\
        To: mario.rossi@example.org\r\n\
        Subject: =?utf-8?b?UmljZXZ1dGEgZGVsbGEgcmljaGllc3RhIG7CsCAxMiDigJQgY2l0dMOg?=\r\n\
        Date: Tue, 3 Mar 2026 10:00:00 +0000\r\n\
        Message-ID: <n-1@sportello.example>\r\n\
        List-Unsubscribe: <https://servizi.example/u/1>\r\n\
        MIME-Version: 1.0\r\n\
        Content-Type: multipart/alternative; boundary=\"b\"\r\n\
        \r\n\
        --b\r\n\
        Content-Type: text/plain; charset=utf-8\r\n\
        Content-Transfer-Encoding: 8bit\r\n\
        \r\n\
        Gentile Mario, città.\r\n\
        --b\r\n\
        Content-Type: text/html; charset=utf-8\r\n\
        \r\n\
        <p>Gentile Mario, citt&agrave;.</p>\r\n\
        --b--\r\n";

    #[test]
    fn a_delivered_message_is_parsed() {
        let mailbox = MockMailbox::new();
        let mail = mailbox.deliver(
            "noreply@borgoverde.example.it",
            &["mario.rossi@example.org".to_owned()],
            MULTIPART.as_bytes().to_vec(),
        );
        assert_eq!(
            mail.subject.as_deref(),
            Some("Ricevuta della richiesta n° 12 — città")
        );
        assert_eq!(
            mail.from.as_deref(),
            Some("Comune di Borgoverde <noreply@borgoverde.example.it>")
        );
        assert_eq!(mail.to, vec!["mario.rossi@example.org".to_owned()]);
        assert_eq!(mail.message_id.as_deref(), Some("n-1@sportello.example"));
        assert_eq!(
            mail.list_unsubscribe.as_deref(),
            Some("<https://servizi.example/u/1>")
        );
        assert_eq!(mail.date.as_deref(), Some("2026-03-03T10:00:00Z"));
        assert_eq!(
            mail.text.as_deref().map(str::trim_end),
            Some("Gentile Mario, città.")
        );
        assert_eq!(
            mail.html.as_deref().map(str::trim_end),
            Some("<p>Gentile Mario, citt&agrave;.</p>")
        );
        assert_eq!(mailbox.get(&mail.id), Some(mail));
    }

    #[test]
    fn a_text_only_message_has_no_html() {
        let mailbox = MockMailbox::new();
        let mail = mailbox.deliver(
            "a@example.org",
            &["b@example.org".to_owned()],
            b"Subject: x\r\n\r\nhello\r\n".to_vec(),
        );
        assert_eq!(mail.text.as_deref().map(str::trim_end), Some("hello"));
        assert_eq!(mail.html, None);
    }

    #[test]
    fn the_mailbox_keeps_the_newest_messages() {
        let mailbox = MockMailbox::with_capacity(3);
        for n in 0..5 {
            mailbox.deliver(
                "a@example.org",
                &[format!("user{}@example.org", n % 2)],
                format!("Subject: {n}\r\n\r\nbody\r\n").into_bytes(),
            );
        }
        let subjects: Vec<_> = mailbox
            .messages()
            .into_iter()
            .filter_map(|m| m.subject)
            .collect();
        assert_eq!(subjects, ["4", "3", "2"]);
        let to_zero: Vec<_> = mailbox
            .messages_to("USER0@example.org")
            .into_iter()
            .filter_map(|m| m.subject)
            .collect();
        assert_eq!(to_zero, ["4", "2"]);
    }
}
