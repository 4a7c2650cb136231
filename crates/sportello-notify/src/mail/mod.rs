//! E-mail to citizens over SMTP: a comune's relay, reached with STARTTLS or TLS over rustls
//! (the project's one TLS stack), or the demo's catch-all on this machine without TLS.
//!
//! A [`Mailer`] sends one [`Email`] per call, on a connection of its own: the outbox delivers
//! each notification separately, with retries decided by [`MailError::is_transient`]. Each
//! e-mail carries a Message-ID chosen by the caller, so a repeat after a crash is the same
//! message to whoever receives it twice.

mod error;
mod message;
mod settings;

pub use error::MailError;
pub use message::{Email, Sender};
pub use settings::{Credentials, MailSettings, SEND_TIMEOUT_FACTOR, SecretString, Security};

use lettre::transport::smtp::authentication::Credentials as SmtpCredentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::fmt;
use std::time::Duration;

/// What the server answered to an accepted message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMail {
    pub message_id: String,
    /// The server's final reply, code first (`250 2.0.0 Ok: queued as 4Xyz`): relays name
    /// their queue id there, which is what their logs can be searched for.
    pub response: String,
}

/// Sends e-mails through one relay. Cheap to clone; each send opens its own connection.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    host: String,
    port: u16,
    security: Security,
    send_timeout: Duration,
}

impl fmt::Debug for Mailer {
    // lettre's own Debug would print its settings, credentials included.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailer")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .finish_non_exhaustive()
    }
}

fn is_host_name(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']' | '_'))
}

impl Mailer {
    /// Checks the settings and prepares the transport; connects only when sending.
    pub fn new(settings: &MailSettings) -> Result<Mailer, MailError> {
        let host = settings.host.trim();
        if !is_host_name(host) {
            return Err(MailError::Config(format!(
                "«{}» is not a host name or address",
                settings.host
            )));
        }
        if settings.port == 0 {
            return Err(MailError::Config("the SMTP port is 0".to_owned()));
        }
        if settings.timeout.is_zero() {
            return Err(MailError::Config("the SMTP timeout is 0".to_owned()));
        }
        let tls = match settings.security {
            Security::Plain => {
                if !settings::is_localhost(host) {
                    return Err(MailError::Config(format!(
                        "SMTP without TLS is allowed only towards this machine (localhost), \
                         not towards «{host}»: use security = \"starttls\" or \"tls\""
                    )));
                }
                if settings.extra_root_certificate.is_some() {
                    return Err(MailError::Config(
                        "a root certificate is configured, but security is plain: no TLS to use it"
                            .to_owned(),
                    ));
                }
                Tls::None
            }
            Security::StartTls => Tls::Required(tls_parameters(host, settings)?),
            Security::Tls => Tls::Wrapper(tls_parameters(host, settings)?),
        };

        // The server name in TLS is the host without IPv6 brackets; the connection needs them
        // off too, as lettre resolves `host:port`.
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(bare_host(host))
            .port(settings.port)
            .tls(tls)
            .timeout(Some(settings.timeout));
        if let Some(name) = &settings.hello_name {
            let name = name.trim();
            if !is_host_name(name) {
                return Err(MailError::Config(format!(
                    "«{name}» is not a host name to greet the server with"
                )));
            }
            builder = builder.hello_name(ClientId::Domain(name.to_owned()));
        }
        if let Some(credentials) = &settings.credentials {
            builder = builder.credentials(SmtpCredentials::new(
                credentials.username.clone(),
                credentials.password.expose().to_owned(),
            ));
        }
        Ok(Mailer {
            transport: builder.build(),
            host: host.to_owned(),
            port: settings.port,
            security: settings.security,
            send_timeout: settings.timeout.saturating_mul(SEND_TIMEOUT_FACTOR),
        })
    }

    /// Sends one e-mail. `Ok` means the relay took responsibility for it; a bounce may still
    /// come later by mail to the sender's address.
    pub async fn send(&self, email: &Email) -> Result<SentMail, MailError> {
        let message = email.to_message()?;
        let response = tokio::time::timeout(self.send_timeout, self.transport.send(message))
            .await
            .map_err(|_| MailError::Transient {
                message: format!(
                    "{}:{} did not finish the exchange within {:?}",
                    self.host, self.port, self.send_timeout
                ),
            })?
            .map_err(|e| MailError::from_smtp(&e))?;
        let text = response.message().collect::<Vec<_>>().join(" ");
        Ok(SentMail {
            message_id: email.message_id.clone(),
            response: format!("{} {text}", response.code()).trim_end().to_owned(),
        })
    }
}

fn bare_host(host: &str) -> &str {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

fn tls_parameters(host: &str, settings: &MailSettings) -> Result<TlsParameters, MailError> {
    let mut builder = TlsParameters::builder(bare_host(host).to_owned());
    if let Some(pem) = &settings.extra_root_certificate {
        // lettre accepts a PEM without any certificate in it; a typo in the path's content
        // would then silently trust nothing extra.
        if !pem
            .windows(b"-----BEGIN CERTIFICATE-----".len())
            .any(|w| w == b"-----BEGIN CERTIFICATE-----")
        {
            return Err(MailError::Config(
                "the extra root certificate holds no PEM certificate".to_owned(),
            ));
        }
        let certificate = Certificate::from_pem(pem)
            .map_err(|e| MailError::Config(format!("the extra root certificate: {e}")))?;
        builder = builder.add_root_certificate(certificate);
    }
    builder
        .build_rustls()
        .map_err(|e| MailError::Config(format!("TLS settings: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_smtp_is_refused_towards_another_machine() {
        let settings = MailSettings {
            security: Security::Plain,
            port: 25,
            ..MailSettings::starttls("smtp.example.org")
        };
        match Mailer::new(&settings) {
            Err(MailError::Config(message)) => {
                assert!(message.contains("localhost"), "{message}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn plain_smtp_is_allowed_on_this_machine() {
        for host in ["localhost", "127.0.0.1", "[::1]"] {
            let settings = MailSettings {
                security: Security::Plain,
                port: 2525,
                ..MailSettings::starttls(host)
            };
            assert!(Mailer::new(&settings).is_ok(), "{host}");
        }
    }

    #[test]
    fn a_root_certificate_must_be_pem() {
        let settings = MailSettings {
            extra_root_certificate: Some(b"not a certificate".to_vec()),
            ..MailSettings::starttls("smtp.example.org")
        };
        assert!(matches!(Mailer::new(&settings), Err(MailError::Config(_))));
    }

    #[test]
    fn debug_of_a_mailer_hides_the_credentials() {
        let settings = MailSettings {
            credentials: Some(Credentials {
                username: "comune".into(),
                password: "s3greto".into(),
            }),
            ..MailSettings::starttls("smtp.example.org")
        };
        let mailer = Mailer::new(&settings).unwrap();
        let printed = format!("{mailer:?}");
        assert!(!printed.contains("s3greto"), "{printed}");
        assert!(printed.contains("smtp.example.org"), "{printed}");
    }

    #[test]
    fn bad_host_names_are_configuration_errors() {
        for host in ["", "smtp example.org", "smtp.example.org/x"] {
            let settings = MailSettings::starttls(host);
            assert!(
                matches!(Mailer::new(&settings), Err(MailError::Config(_))),
                "{host:?}"
            );
        }
    }
}
