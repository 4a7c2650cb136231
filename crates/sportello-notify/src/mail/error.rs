//! What can go wrong sending an e-mail, sorted by what the outbox should do about it.

use lettre::transport::smtp::Error as SmtpError;
use std::error::Error as _;

/// A failed send. [`MailError::is_transient`] tells the outbox whether to try again later.
/// No variant ever carries the password: lettre's errors do not include it, and neither do
/// ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// The server refused the message with a 5xx reply (on MAIL, RCPT or DATA): a bounce
    /// reported during the conversation, so sending it again would fail again.
    #[error("the mail server refused the message ({code}): {message}")]
    Rejected { code: u16, message: String },
    /// A 4xx reply, or the server could not be reached or answered too slowly: worth trying
    /// again later.
    #[error("mail delivery failed for now: {message}")]
    Transient { message: String },
    /// The server refused the credentials (535 and kin): a configuration problem that no
    /// retry fixes.
    #[error("the mail server refused the credentials: {0}")]
    Auth(String),
    /// The message cannot be built or sent as it is: a malformed address, header or id.
    #[error("invalid e-mail: {0}")]
    Invalid(String),
    /// The settings cannot work: plain SMTP towards another machine, an untrusted or
    /// mismatched certificate, a server without the required STARTTLS.
    #[error("mail configuration: {0}")]
    Config(String),
}

impl MailError {
    /// Whether the same send may succeed later without anyone changing anything.
    pub fn is_transient(&self) -> bool {
        matches!(self, MailError::Transient { .. })
    }

    pub(crate) fn from_smtp(error: &SmtpError) -> MailError {
        if let Some(code) = error.status() {
            let code = u16::from(code);
            // For a reply, lettre's source is the server's text, all lines joined.
            let text = error.source().map(ToString::to_string).unwrap_or_default();
            if error.is_transient() {
                return MailError::Transient {
                    message: format!("{code} {text}"),
                };
            }
            return match code {
                // 530 authentication required, 534 mechanism too weak, 535 credentials
                // invalid, 538 encryption required for the mechanism (RFC 4954).
                530 | 534 | 535 | 538 => MailError::Auth(format!("{code} {text}")),
                _ => MailError::Rejected {
                    code,
                    message: text,
                },
            };
        }
        let described = error.to_string();
        if error.is_timeout() {
            return MailError::Transient { message: described };
        }
        if error.is_tls() {
            // Raised while preparing TLS (certificates, versions), before any network.
            return MailError::Config(format!("TLS: {described}"));
        }
        if error.is_client() {
            return if described.contains("authentication mechanism") {
                MailError::Auth(described)
            } else if described.contains("STARTTLS") {
                MailError::Config(format!(
                    "the server does not offer STARTTLS, which these settings require: {described}"
                ))
            } else if described.contains("non-ascii") {
                MailError::Invalid(described)
            } else {
                MailError::Config(described)
            };
        }
        if let Some(io) = io_source(error) {
            // tokio-rustls reports a failed handshake (untrusted or mismatched certificate,
            // a peer that does not speak TLS) as InvalidData: it will fail the same way until
            // someone fixes the certificate or the settings. Resets, refusals, timeouts and
            // early closes are the network's and may pass.
            if io.kind() == std::io::ErrorKind::InvalidData {
                return MailError::Config(format!("TLS handshake failed: {described}"));
            }
            return MailError::Transient { message: described };
        }
        if described.contains("valid DNS name") {
            return MailError::Config(described);
        }
        // A reply that could not be parsed, or a connection lost without an IO error to show.
        MailError::Transient { message: described }
    }
}

fn io_source(error: &SmtpError) -> Option<&std::io::Error> {
    let mut source = error.source();
    while let Some(current) = source {
        if let Some(io) = current.downcast_ref::<std::io::Error>() {
            return Some(io);
        }
        source = current.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_transient_errors_are_retried() {
        assert!(
            MailError::Transient {
                message: "421".into()
            }
            .is_transient()
        );
        for permanent in [
            MailError::Rejected {
                code: 550,
                message: "no".into(),
            },
            MailError::Auth("535".into()),
            MailError::Invalid("address".into()),
            MailError::Config("plain".into()),
        ] {
            assert!(!permanent.is_transient(), "{permanent}");
        }
    }
}
