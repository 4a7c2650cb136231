//! Notifications in the server: the outbox sink and the App IO status watcher built from the
//! `[appio]` and `[mail]` settings, and `sportello appio key set|list`, which seals each
//! comune's App IO service keys in the database.

use crate::admin::open_tenant;
use crate::commands::load;
use crate::config::{AppIoConfig, MailConfig};
use anyhow::{Context, bail};
use sportello_notify::mail::{Credentials, MailSettings, Mailer, SecretString, Security};
use sportello_notify::{NotificationSink, StatusWatcher};
use sportello_store::attachments::StorageKey;
use sportello_store::{Actor, Store};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tokio::sync::watch;

/// The notification side of an installation.
#[derive(Clone)]
pub struct Notify {
    pub sink: NotificationSink,
    pub watcher: StatusWatcher,
}

impl Notify {
    pub fn new(
        store: &Store,
        appio: &AppIoConfig,
        mail: Option<&MailSettings>,
        sealing: StorageKey,
        public_url: Option<String>,
    ) -> anyhow::Result<Notify> {
        let http = sportello_appio::http_client(appio.timeout)?;
        let client = sportello_appio::AppIoClient::new(http, &appio.api_base)?;
        let mailer = mail.map(Mailer::new).transpose()?;
        let sink = NotificationSink::new(store.clone(), client, mailer, sealing, public_url)
            .with_io_rate_limit(appio.calls_per_5s);
        Ok(Notify {
            watcher: StatusWatcher::new(sink.clone()),
            sink,
        })
    }

    /// The App IO status watcher, until `stopped`.
    pub fn spawn(self, stopped: &watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
        let stopped = stopped.clone();
        tokio::spawn(async move { self.watcher.run(stopped).await })
    }
}

/// The mailer's settings from `[mail]`.
pub fn mail_settings(config: &MailConfig) -> anyhow::Result<MailSettings> {
    let security = match config.security.as_str() {
        "tls" => Security::Tls,
        "plain" => Security::Plain,
        _ => Security::StartTls,
    };
    let extra_root_certificate = config
        .ca_file
        .as_ref()
        .map(|path| {
            std::fs::read(path)
                .with_context(|| format!("mail.ca_file: cannot read {}", path.display()))
        })
        .transpose()?;
    Ok(MailSettings {
        host: config.host.clone(),
        port: config.port,
        security,
        credentials: match (&config.username, &config.password) {
            (Some(username), Some(password)) => Some(Credentials {
                username: username.clone(),
                password: SecretString::new(password.expose()),
            }),
            _ => None,
        },
        timeout: config.timeout,
        extra_root_certificate,
        hello_name: None,
    })
}

/// `sportello appio key set --tenant T --service CODE [--key-file FILE]`: the key is read from
/// the file or standard input, never from the command line (where `ps` and shell history
/// would keep it), checked against the comune file and sealed with `storage.key`.
pub async fn key_set(
    file: Option<&Path>,
    slug: &str,
    service: &str,
    key_file: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let config = load(file)?;
    let sealing = crate::storage::sealing_key(&config.storage)?;
    let (store, tenant) = open_tenant(file, slug).await?;
    if tenant
        .profile
        .notifications
        .appio_service_by_code(service)
        .is_none()
    {
        bail!(
            "{} has no App IO service \"{service}\": add it to [[notifications.appio_services]] of its comune file first",
            tenant.slug
        );
    }
    let mut key = String::new();
    match key_file {
        Some(path) => {
            key = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?
        }
        None => {
            std::io::stdin()
                .read_to_string(&mut key)
                .context("cannot read the key from standard input")?;
        }
    }
    let key = key.trim();
    if key.is_empty() || key.len() > 256 || key.chars().any(char::is_whitespace) {
        bail!("that is not an App IO subscription key (one word, from the service's card)");
    }
    let operator = std::env::var("USER").unwrap_or_else(|_| "operator".into());
    store
        .scoped(tenant.id)
        .set_appio_key(service, key, &sealing, &Actor::cli(&operator))
        .await?;
    println!(
        "App IO key of {} / {service} stored (fingerprint {}).",
        tenant.slug,
        sportello_store::notifications::key_fingerprint(key)
    );
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// `sportello appio key list --tenant T`: the services of the comune file and whether each has
/// a key, by fingerprint.
pub async fn key_list(file: Option<&Path>, slug: &str) -> anyhow::Result<ExitCode> {
    let (store, tenant) = open_tenant(file, slug).await?;
    let keys = store.scoped(tenant.id).appio_keys().await?;
    let services = &tenant.profile.notifications.appio_services;
    if services.is_empty() {
        println!("{} has no App IO services in its comune file.", tenant.slug);
    }
    let mut missing = false;
    for service in services {
        let topics: Vec<&str> = service.topics.iter().map(|t| t.code()).collect();
        match keys
            .iter()
            .find(|(code, _, _)| code == service.code.as_str())
        {
            Some((_, fingerprint, at)) => println!(
                "{:<16} {:<40} topics {:<28} key {fingerprint} (set {})",
                service.code.as_str(),
                service.name,
                topics.join(","),
                at.strftime("%Y-%m-%d %H:%M UTC")
            ),
            None => {
                missing = true;
                println!(
                    "{:<16} {:<40} topics {:<28} NO KEY: messages on these topics go by e-mail only",
                    service.code.as_str(),
                    service.name,
                    topics.join(",")
                );
            }
        }
    }
    store.close().await;
    Ok(if missing {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
