//! An e-mail to a citizen, and its RFC 5322 form.

use super::MailError;
use lettre::Message;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};

/// Who the message is from: the comune's name and its sending address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    pub name: String,
    pub address: String,
}

/// One e-mail: a plain-text and an HTML alternative of the same content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub from: Sender,
    /// Where answers go when not to `from`, e.g. the office's mailbox. An address, with or
    /// without a display name (`Ufficio Tributi <tributi@comune.example.it>`).
    pub reply_to: Option<String>,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The Message-ID, angle brackets included (`<notification-uuid@sportello.example>`).
    /// Derived from the notification, so that a repeat after a crash carries the same id and
    /// both the citizen's client and the comune's relay can tell it is the same message.
    pub message_id: String,
    /// The content's language (`it`, `en`), as Content-Language.
    pub language: String,
    /// An https URL that unsubscribes with one POST (RFC 8058); mail clients show it as an
    /// "unsubscribe" button.
    pub list_unsubscribe: Option<String>,
    /// Extra `X-` headers, e.g. `X-Sportello-Notification`. Other names are refused, so that
    /// no caller can override the ones set here.
    pub headers: Vec<(String, String)>,
}

fn invalid(what: &str, detail: impl std::fmt::Display) -> MailError {
    MailError::Invalid(format!("{what}: {detail}"))
}

fn has_line_break(value: &str) -> bool {
    value.contains(['\r', '\n'])
}

fn mailbox(what: &str, value: &str) -> Result<Mailbox, MailError> {
    value
        .trim()
        .parse::<Mailbox>()
        .map_err(|e| invalid(what, format_args!("«{value}»: {e}")))
}

fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c)
}

/// `<left@right>` with both sides dot-atoms (RFC 5322 msg-id, without the obsolete forms).
fn is_message_id(id: &str) -> bool {
    let Some(inner) = id.strip_prefix('<').and_then(|s| s.strip_suffix('>')) else {
        return false;
    };
    let Some((left, right)) = inner.split_once('@') else {
        return false;
    };
    let dot_atom = |s: &str| {
        !s.is_empty()
            && s.chars().all(is_atext)
            && !s.starts_with('.')
            && !s.ends_with('.')
            && !s.contains("..")
    };
    dot_atom(left) && dot_atom(right) && id.len() <= 250
}

/// A language tag as BCP 47 spells it: letters, digits and hyphens.
fn is_language_tag(tag: &str) -> bool {
    !tag.is_empty()
        && tag.len() <= 35
        && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !tag.starts_with('-')
}

fn is_unsubscribe_url(url: &str) -> bool {
    url.len() > "https://".len()
        && url.len() <= 900
        && url
            .get(..8)
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
        && url
            .chars()
            .all(|c| c.is_ascii_graphic() && !matches!(c, '<' | '>' | ',' | '"'))
}

fn is_extension_header_name(name: &str) -> bool {
    name.len() > 2
        && name.len() <= 76
        && name
            .get(..2)
            .is_some_and(|prefix| prefix.eq_ignore_ascii_case("X-"))
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

fn header(name: &'static str, value: String) -> HeaderValue {
    HeaderValue::new(HeaderName::new_from_ascii_str(name), value)
}

impl Email {
    /// The message as lettre sends it, after checking every field.
    pub(crate) fn to_message(&self) -> Result<Message, MailError> {
        if has_line_break(&self.from.name) {
            return Err(invalid("sender name", "contains a line break"));
        }
        let from_address = self.from.address.trim().parse().map_err(|e| {
            invalid(
                "sender address",
                format_args!("«{}»: {e}", self.from.address),
            )
        })?;
        let name = self.from.name.trim();
        let from = Mailbox::new((!name.is_empty()).then(|| name.to_owned()), from_address);
        let to = mailbox("recipient", &self.to)?;
        if has_line_break(&self.subject) {
            return Err(invalid("subject", "contains a line break"));
        }
        if !is_message_id(&self.message_id) {
            return Err(invalid(
                "Message-ID",
                format_args!("«{}» is not of the form <id@domain>", self.message_id),
            ));
        }
        if !is_language_tag(&self.language) {
            return Err(invalid(
                "language",
                format_args!("«{}» is not a language tag", self.language),
            ));
        }

        let mut builder = Message::builder()
            .from(from)
            .to(to)
            .subject(self.subject.as_str())
            .message_id(Some(self.message_id.clone()))
            .raw_header(header("Content-Language", self.language.clone()));
        if let Some(reply_to) = &self.reply_to {
            builder = builder.reply_to(mailbox("Reply-To", reply_to)?);
        }
        if let Some(url) = &self.list_unsubscribe {
            if !is_unsubscribe_url(url) {
                return Err(invalid(
                    "List-Unsubscribe",
                    format_args!("«{url}» is not an https URL"),
                ));
            }
            builder = builder
                .raw_header(header("List-Unsubscribe", format!("<{url}>")))
                .raw_header(header(
                    "List-Unsubscribe-Post",
                    "List-Unsubscribe=One-Click".to_owned(),
                ));
        }
        for (name, value) in &self.headers {
            if !is_extension_header_name(name) {
                return Err(invalid(
                    "header",
                    format_args!("«{name}» is not an X- header name"),
                ));
            }
            if value.chars().any(char::is_control) {
                return Err(invalid(
                    "header",
                    format_args!("the value of {name} contains a control character"),
                ));
            }
            let name = HeaderName::new_from_ascii(name.clone())
                .map_err(|e| invalid("header", format_args!("«{name}»: {e}")))?;
            builder = builder.raw_header(HeaderValue::new(name, value.clone()));
        }

        // lettre picks 7bit, quoted-printable or base64 for each part, so the message is
        // plain ASCII on the wire whatever the server supports.
        builder
            .multipart(MultiPart::alternative_plain_html(
                self.text.clone(),
                self.html.clone(),
            ))
            .map_err(|e| invalid("message", e))
    }

    /// The message as it goes on the wire (RFC 5322, CRLF line ends), for a copy or a
    /// preview. Its Date header is the time of the call.
    pub fn formatted(&self) -> Result<Vec<u8>, MailError> {
        Ok(self.to_message()?.formatted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email() -> Email {
        Email {
            from: Sender {
                name: "Comune di Borgoverde".into(),
                address: "noreply@borgoverde.example.it".into(),
            },
            reply_to: Some("Ufficio Tributi <tributi@borgoverde.example.it>".into()),
            to: "mario.rossi@example.org".into(),
            subject: "Ricevuta della richiesta n° 12 — città".into(),
            text: "Gentile Mario,\nla richiesta è stata ricevuta.\n".into(),
            html: "<p>Gentile Mario,</p><p>la richiesta è stata ricevuta.</p>".into(),
            message_id: "<0190a1b2-c3d4@sportello.borgoverde.example.it>".into(),
            language: "it".into(),
            list_unsubscribe: Some(
                "https://servizi.borgoverde.example.it/disiscrizione/abc".into(),
            ),
            headers: vec![("X-Sportello-Notification".into(), "0190a1b2-c3d4".into())],
        }
    }

    fn formatted(email: &Email) -> String {
        match email.formatted() {
            Ok(bytes) => String::from_utf8(bytes).unwrap(),
            Err(e) => panic!("{e}"),
        }
    }

    /// The header block, with folded lines joined.
    fn header_block(message: &str) -> String {
        let head = message.split("\r\n\r\n").next().unwrap();
        head.replace("\r\n ", " ").replace("\r\n\t", " ")
    }

    #[test]
    fn the_message_carries_every_header() {
        let message = formatted(&email());
        let head = header_block(&message);
        assert!(
            head.contains("From: \"Comune di Borgoverde\" <noreply@borgoverde.example.it>"),
            "{head}"
        );
        assert!(
            head.contains("Reply-To: \"Ufficio Tributi\" <tributi@borgoverde.example.it>"),
            "{head}"
        );
        assert!(head.contains("To: mario.rossi@example.org"), "{head}");
        assert!(
            head.contains("Message-ID: <0190a1b2-c3d4@sportello.borgoverde.example.it>"),
            "{head}"
        );
        assert!(head.contains("Content-Language: it"), "{head}");
        assert!(
            head.contains(
                "List-Unsubscribe: <https://servizi.borgoverde.example.it/disiscrizione/abc>"
            ),
            "{head}"
        );
        assert!(
            head.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
            "{head}"
        );
        assert!(
            head.contains("X-Sportello-Notification: 0190a1b2-c3d4"),
            "{head}"
        );
        assert!(head.contains("MIME-Version: 1.0"), "{head}");
        assert!(
            head.contains("Content-Type: multipart/alternative;"),
            "{head}"
        );
        assert!(head.contains("Date: "), "{head}");
        assert!(message.is_ascii(), "the message must be 7-bit on the wire");
    }

    #[test]
    fn both_parts_are_utf8() {
        let message = formatted(&email());
        let text_at = message
            .find("Content-Type: text/plain; charset=utf-8")
            .unwrap();
        let html_at = message
            .find("Content-Type: text/html; charset=utf-8")
            .unwrap();
        // The last alternative is the preferred one (RFC 2046): HTML after plain text.
        assert!(text_at < html_at);
    }

    #[test]
    fn a_non_ascii_subject_is_encoded() {
        let message = formatted(&email());
        let head = header_block(&message);
        let subject = head
            .lines()
            .find_map(|line| line.strip_prefix("Subject: "))
            .unwrap();
        assert!(subject.contains("=?utf-8?b?"), "{subject}");
        // Decoded back by a mail reader, it is the original.
        let parsed = mail_parser::MessageParser::default()
            .parse(message.as_bytes())
            .unwrap();
        assert_eq!(parsed.subject(), Some(email().subject.as_str()));
    }

    #[test]
    fn a_sender_name_with_accents_is_encoded() {
        let mut email = email();
        email.from.name = "Comune di Città Alta".into();
        let head = header_block(&formatted(&email));
        let from = head.lines().find(|l| l.starts_with("From: ")).unwrap();
        assert!(from.contains("=?utf-8?"), "{from}");
        assert!(from.ends_with("<noreply@borgoverde.example.it>"), "{from}");
    }

    #[test]
    fn optional_headers_are_left_out() {
        let mut email = email();
        email.reply_to = None;
        email.list_unsubscribe = None;
        email.headers.clear();
        let head = header_block(&formatted(&email));
        assert!(!head.contains("Reply-To"));
        assert!(!head.contains("List-Unsubscribe"));
        assert!(!head.contains("X-Sportello"));
    }

    #[test]
    fn bad_fields_are_refused() {
        type Change = fn(&mut Email);
        let cases: Vec<(&str, Change)> = vec![
            ("recipient", |e| e.to = "not an address".into()),
            ("sender address", |e| e.from.address = "nobody".into()),
            ("sender name", |e| {
                e.from.name = "A\r\nBcc: x@example.org".into()
            }),
            ("Reply-To", |e| e.reply_to = Some("@@".into())),
            ("subject", |e| e.subject = "a\nb".into()),
            ("Message-ID", |e| e.message_id = "no-brackets@x".into()),
            ("Message-ID", |e| e.message_id = "<no-at>".into()),
            ("Message-ID", |e| e.message_id = "<a b@c>".into()),
            ("language", |e| e.language = "it IT".into()),
            ("List-Unsubscribe", |e| {
                e.list_unsubscribe = Some("http://x.example/u".into())
            }),
            ("List-Unsubscribe", |e| {
                e.list_unsubscribe = Some("https://x.example/a b".into())
            }),
            ("header", |e| {
                e.headers = vec![("Bcc".into(), "x@example.org".into())]
            }),
            ("header", |e| {
                e.headers = vec![("X-A".into(), "1\r\nBcc: x@example.org".into())]
            }),
        ];
        for (what, change) in cases {
            let mut email = email();
            change(&mut email);
            match email.formatted() {
                Err(MailError::Invalid(message)) => {
                    assert!(message.starts_with(what), "{what}: {message}")
                }
                other => panic!("{what}: {other:?}"),
            }
        }
    }

    #[test]
    fn the_same_email_has_the_same_message_id() {
        let first = header_block(&formatted(&email()));
        let again = header_block(&formatted(&email()));
        let id = |head: &str| {
            head.lines()
                .find(|l| l.starts_with("Message-ID:"))
                .map(str::to_owned)
        };
        assert_eq!(id(&first), id(&again));
    }
}
