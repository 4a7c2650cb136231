//! How to reach a comune's SMTP relay.

use serde::Deserialize;
use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

/// The transport security towards the relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// Plain connection upgraded with STARTTLS (port 587). The upgrade is required: a server
    /// that does not offer it is refused, since an attacker on the path could strip the offer.
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption at all: only towards a relay on this machine (the demo's catch-all, a
    /// local Postfix), where the traffic never leaves the host.
    Plain,
}

/// A secret that never shows in logs: its `Debug` and `Display` print a placeholder.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct SecretString(String);

impl SecretString {
    pub fn new(secret: impl Into<String>) -> SecretString {
        SecretString(secret.into())
    }

    /// The secret itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for SecretString {
    fn from(secret: String) -> SecretString {
        SecretString(secret)
    }
}

impl From<&str> for SecretString {
    fn from(secret: &str) -> SecretString {
        SecretString(secret.to_owned())
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(<redacted>)")
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// SMTP AUTH credentials (PLAIN or LOGIN, whichever the server offers).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Credentials {
    pub username: String,
    pub password: SecretString,
}

/// How many [`MailSettings::timeout`]s one whole send may take. lettre's async transport
/// bounds only the connection, so a server that stops answering would otherwise hold the
/// sender forever.
pub const SEND_TIMEOUT_FACTOR: u32 = 4;

/// A relay and how to talk to it. `Debug` is safe to log: the password is redacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub credentials: Option<Credentials>,
    /// The longest wait to connect; one whole send (greeting, TLS, AUTH, message) may take
    /// [`SEND_TIMEOUT_FACTOR`] times as long before it is abandoned as transient.
    pub timeout: Duration,
    /// PEM certificate(s) trusted in addition to the public roots: a comune's internal relay
    /// signed by a private CA, or the tests' self-signed server.
    pub extra_root_certificate: Option<Vec<u8>>,
    /// The name given in EHLO; the machine's host name when absent. Some relays check it
    /// against the sender's reverse DNS.
    pub hello_name: Option<String>,
}

impl MailSettings {
    /// Defaults for a relay with STARTTLS on the submission port.
    pub fn starttls(host: impl Into<String>) -> MailSettings {
        MailSettings {
            host: host.into(),
            port: 587,
            security: Security::StartTls,
            credentials: None,
            timeout: Duration::from_secs(30),
            extra_root_certificate: None,
            hello_name: None,
        }
    }
}

/// Whether `host` names this machine: `localhost` or a loopback address. Other names that
/// might resolve to a loopback address do not count: what they resolve to can change.
pub(crate) fn is_localhost(host: &str) -> bool {
    let host = host.trim_end_matches('.');
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_password() {
        let settings = MailSettings {
            credentials: Some(Credentials {
                username: "comune".into(),
                password: "s3greto-molto-lungo".into(),
            }),
            ..MailSettings::starttls("smtp.example.org")
        };
        let printed = format!("{settings:?} {settings:#?}");
        assert!(!printed.contains("s3greto"), "{printed}");
        assert!(printed.contains("comune"));
        assert!(printed.contains("redacted"));
    }

    #[test]
    fn only_loopback_names_are_local() {
        for host in [
            "localhost",
            "LOCALHOST",
            "localhost.",
            "127.0.0.1",
            "127.1.2.3",
            "::1",
            "[::1]",
        ] {
            assert!(is_localhost(host), "{host}");
        }
        for host in [
            "smtp.example.org",
            "localhost.example.org",
            "10.0.0.1",
            "0.0.0.0",
            "evil.localhost",
        ] {
            assert!(!is_localhost(host), "{host}");
        }
    }

    #[test]
    fn security_reads_from_configuration() {
        #[derive(Deserialize)]
        struct Config {
            security: Security,
        }
        let read = |s: &str| serde_json::from_str::<Config>(s).map(|c| c.security).ok();
        assert_eq!(read(r#"{"security":"starttls"}"#), Some(Security::StartTls));
        assert_eq!(read(r#"{"security":"tls"}"#), Some(Security::Tls));
        assert_eq!(read(r#"{"security":"plain"}"#), Some(Security::Plain));
        assert_eq!(read(r#"{"security":"ssl"}"#), None);
    }
}
