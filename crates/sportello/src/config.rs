//! Configuration: a TOML file plus `SPORTELLO_*` environment variables (`SPORTELLO_SERVER__LISTEN`
//! sets `server.listen`; `DATABASE_URL` sets `database.url`; a secret may be read from a file with
//! the `_FILE` suffix, e.g. `SPORTELLO_DATABASE__URL_FILE`). Every key is known: an unknown key,
//! a value of the wrong kind or an unsafe combination is a problem, and all problems are reported
//! together, each with where the value came from and what to do.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

/// A value that must never be printed: `Debug` and `Display` show it redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Secret {
        Secret(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A database URL with its password replaced, for logs and `check-config`.
    pub fn redacted_url(&self) -> String {
        let Some((scheme, rest)) = self.0.split_once("://") else {
            return "[redacted]".to_owned();
        };
        match rest.rsplit_once('@') {
            Some((credentials, host)) => {
                let user = credentials.split(':').next().unwrap_or_default();
                format!("{scheme}://{user}:***@{host}")
            }
            None => self.0.clone(),
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Human,
    Json,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub public_url: Option<String>,
    pub secure_cookies: bool,
    pub platform_hosts: Vec<String>,
    pub body_limit: usize,
    pub request_timeout: Duration,
    pub shutdown_grace: Duration,
    pub database_url: Secret,
    pub max_connections: u32,
    pub auto_migrate: bool,
    pub log_format: LogFormat,
    pub log_level: String,
    pub outbox_enabled: bool,
    pub outbox_batch: u32,
    pub outbox_lease: Duration,
    pub outbox_poll: Duration,
    pub spid: SpidConfig,
    pub storage: StorageConfig,
    pub pagopa: PagoPaConfig,
    pub appio: AppIoConfig,
    /// The SMTP relay; without it no e-mail is sent.
    pub mail: Option<MailConfig>,
}

/// The `[appio]` section: where App IO is. Each comune's service keys are not configuration:
/// they are sealed in the database (`sportello appio key set`).
#[derive(Debug, Clone)]
pub struct AppIoConfig {
    pub api_base: String,
    pub timeout: Duration,
    /// IO's rate limit per service key, in calls per 5 seconds (0: none).
    pub calls_per_5s: u32,
}

impl AppIoConfig {
    pub const PRODUCTION: &'static str = "https://api.io.pagopa.it/api/v1";
}

/// The `[mail]` section: the SMTP relay that sends the comuni's e-mails.
#[derive(Debug, Clone)]
pub struct MailConfig {
    pub host: String,
    pub port: u16,
    /// `starttls` (default), `tls` (implicit, port 465) or `plain` (localhost only).
    pub security: String,
    pub username: Option<String>,
    pub password: Option<Secret>,
    /// A PEM certificate to trust besides the public roots (a relay with a private CA).
    pub ca_file: Option<std::path::PathBuf>,
    pub timeout: Duration,
}

/// The `[pagopa]` section: the pagoPA environment and each comune's subscription key.
#[derive(Debug, Clone)]
pub struct PagoPaConfig {
    pub api_base: String,
    pub timeout: Duration,
    /// By comune slug.
    pub keys: BTreeMap<String, Secret>,
}

impl Default for PagoPaConfig {
    fn default() -> Self {
        PagoPaConfig {
            api_base: sportello_pagopa::PagoPaSettings::PRODUCTION.to_owned(),
            timeout: Duration::from_secs(20),
            keys: BTreeMap::new(),
        }
    }
}

impl PagoPaConfig {
    /// The settings of the pagoPA crate; the base URL was checked when read. `public_url` is
    /// the server's, for links in the messages that announce notices.
    pub fn settings(
        &self,
        public_url: Option<&str>,
    ) -> anyhow::Result<sportello_pagopa::PagoPaSettings> {
        Ok(sportello_pagopa::PagoPaSettings {
            api_base: self.api_base.parse()?,
            keys: self
                .keys
                .iter()
                .map(|(slug, key)| {
                    (
                        slug.clone(),
                        sportello_pagopa::SubscriptionKey::new(key.expose()),
                    )
                })
                .collect(),
            timeout: self.timeout,
            public_url: public_url.map(str::to_owned),
        })
    }
}

/// The `[storage]` section: where attachments go, and the two keys of the installation.
#[derive(Debug, Clone, Default)]
pub struct StorageConfig {
    /// Folder of attachment files (default: `attachments` next to a SQLite database).
    pub attachments_dir: Option<std::path::PathBuf>,
    /// Base64 of 32 bytes: seals sensitive attachments (AES-256-GCM).
    pub key: Option<Secret>,
    /// Base64 of 32 bytes: signs the verification codes printed on permits.
    pub verification_key: Option<Secret>,
}

/// The `[spid]` section: how citizens log in.
#[derive(Debug, Clone, Default)]
pub struct SpidConfig {
    pub aggregator: Option<AggregatorConfig>,
    /// Extra identity providers' metadata files (the demo's and test IdPs).
    pub idp_metadata: Vec<std::path::PathBuf>,
    /// AgID's registry of SPID identity providers, as refreshed by `sportello spid
    /// refresh-registry`; the copy built into the binary when unset.
    pub registry_file: Option<std::path::PathBuf>,
    pub session_idle: Duration,
    pub session_absolute: Duration,
    pub clock_skew: Duration,
    pub trace_retention: Duration,
    pub key_bits: usize,
}

/// The hosting provider acting as public *soggetto aggregatore*.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AggregatorConfig {
    pub name: String,
    pub vat_number: String,
    pub fiscal_code: Option<String>,
    pub ipa_code: Option<String>,
    pub email: String,
    pub phone: Option<String>,
    pub locality: String,
}

/// One thing wrong with the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub key: String,
    pub origin: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.key, self.origin, self.message)
    }
}

/// Every known key, its kind and what it is for (printed by `check-config` on unknown keys).
const KEYS: &[(&str, &str)] = &[
    (
        "server.listen",
        "address and port to listen on, e.g. \"0.0.0.0:8080\"",
    ),
    (
        "server.public_url",
        "the address citizens use, e.g. \"https://servizi.example.it\"",
    ),
    (
        "server.secure_cookies",
        "send cookies only over HTTPS (default: true when public_url is https)",
    ),
    (
        "server.platform_hosts",
        "host names of the platform itself, never of a comune",
    ),
    (
        "server.body_limit_kib",
        "largest request body, in KiB (default 64)",
    ),
    (
        "server.request_timeout_secs",
        "seconds before a request is abandoned (default 30)",
    ),
    (
        "server.shutdown_grace_secs",
        "seconds to finish in-flight requests on SIGTERM (default 25)",
    ),
    (
        "database.url",
        "sqlite://path or postgres://user:password@host/db (secret)",
    ),
    (
        "database.max_connections",
        "connection pool size (default 10)",
    ),
    (
        "database.auto_migrate",
        "apply pending migrations at start (default false: run `sportello migrate`)",
    ),
    ("log.format", "\"human\" or \"json\" (default human)"),
    (
        "log.level",
        "tracing filter, e.g. \"info\" or \"sportello=debug,info\" (RUST_LOG overrides)",
    ),
    (
        "outbox.enabled",
        "run the outbox worker in this process (default true)",
    ),
    ("outbox.batch", "messages leased at a time (default 16)"),
    (
        "outbox.lease_secs",
        "seconds a leased message is reserved (default 60)",
    ),
    (
        "outbox.poll_interval_ms",
        "pause between polls when idle (default 1000)",
    ),
    (
        "storage.attachments_dir",
        "folder of uploaded attachments (default: \"attachments\" beside a SQLite database)",
    ),
    (
        "storage.key",
        "base64 of 32 random bytes sealing sensitive attachments, e.g. `head -c32 /dev/urandom | base64` (secret)",
    ),
    (
        "storage.verification_key",
        "base64 of 32 random bytes signing permits' verification codes (secret)",
    ),
    (
        "pagopa.api_base",
        "root URL of the pagoPA APIs (default https://api.platform.pagopa.it; UAT https://api.uat.platform.pagopa.it)",
    ),
    (
        "pagopa.timeout_secs",
        "how long one pagoPA call may take (default 20)",
    ),
    (
        "pagopa.keys.<slug>",
        "a comune's GPD subscription key, e.g. SPORTELLO_PAGOPA__KEYS__BORGOVERDE (secret)",
    ),
    (
        "appio.api_base",
        "root URL of the App IO services API (default https://api.io.pagopa.it/api/v1)",
    ),
    (
        "appio.timeout_secs",
        "how long one App IO call may take (default 10)",
    ),
    (
        "appio.calls_per_5s",
        "IO's rate limit per service key: 150 (default), 250 for the ApiRateLimit250 group, 0 for ApiNoRateLimit",
    ),
    (
        "mail.host",
        "the SMTP relay's host name; unset: no e-mail is sent",
    ),
    ("mail.port", "the SMTP relay's port (default 587)"),
    (
        "mail.security",
        "\"starttls\" (default), \"tls\" (implicit TLS, port 465) or \"plain\" (localhost only)",
    ),
    ("mail.username", "SMTP AUTH user name"),
    ("mail.password", "SMTP AUTH password (secret)"),
    (
        "mail.ca_file",
        "a PEM certificate to trust besides the public roots, for a relay with a private CA",
    ),
    (
        "mail.timeout_secs",
        "how long one SMTP exchange may take (default 30)",
    ),
    (
        "spid.idp_metadata",
        "extra identity providers' metadata files, e.g. a test IdP (also --idp-metadata)",
    ),
    (
        "spid.registry_file",
        "AgID's SPID IdP registry as saved by `sportello spid refresh-registry` (default: built in)",
    ),
    (
        "spid.session_idle_minutes",
        "minutes of inactivity that end a session (default 30)",
    ),
    (
        "spid.session_absolute_hours",
        "hours after login that end a session in any case (default 12)",
    ),
    (
        "spid.clock_skew_secs",
        "tolerated clock difference with identity providers (default 60)",
    ),
    (
        "spid.trace_retention_days",
        "days AuthnRequest/Response pairs are kept, as SPID requires (default 730)",
    ),
    (
        "spid.key_bits",
        "RSA size of service provider keys generated on first start (default 3072)",
    ),
    (
        "spid.aggregator.name",
        "legal name of the hosting provider when it is a public soggetto aggregatore; unset: each comune is its own SP",
    ),
    (
        "spid.aggregator.vat_number",
        "the aggregator's VAT number with country prefix, e.g. \"IT01234567890\"",
    ),
    (
        "spid.aggregator.fiscal_code",
        "the aggregator's fiscal code",
    ),
    (
        "spid.aggregator.ipa_code",
        "the aggregator's IPA code, when it is a public body",
    ),
    (
        "spid.aggregator.email",
        "the aggregator's technical contact e-mail",
    ),
    (
        "spid.aggregator.phone",
        "the aggregator's phone, international form without spaces (+39…)",
    ),
    (
        "spid.aggregator.locality",
        "the aggregator's seat, for its certificate",
    ),
];

/// Keys whose values are secrets: they may come from a file named by `<KEY>_FILE`.
const SECRET_KEYS: &[&str] = &[
    "database.url",
    "storage.key",
    "storage.verification_key",
    "mail.password",
];

/// The prefix of the comuni's GPD subscription keys: `pagopa.keys.<slug>`, one per comune.
const PAGOPA_KEYS: &str = "pagopa.keys.";

fn is_secret(key: &str) -> bool {
    SECRET_KEYS.contains(&key) || is_pagopa_key(key)
}

fn is_pagopa_key(key: &str) -> bool {
    key.strip_prefix(PAGOPA_KEYS)
        .is_some_and(|slug| sportello_domain::Slug::parse(slug).is_ok())
}

#[derive(Debug, Clone)]
struct Entry {
    value: toml::Value,
    origin: String,
}

/// The raw key/value pairs from every source, before interpretation.
pub struct Sources {
    entries: BTreeMap<String, Entry>,
    problems: Vec<Problem>,
}

fn flatten(prefix: &str, table: &toml::Table, origin: &str, out: &mut BTreeMap<String, Entry>) {
    for (key, value) in table {
        let full = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::Table(inner) => flatten(&full, inner, origin, out),
            other => {
                out.insert(
                    full,
                    Entry {
                        value: other.clone(),
                        origin: origin.to_owned(),
                    },
                );
            }
        }
    }
}

impl Sources {
    /// Reads the file (if any) and the environment.
    pub fn load(file: Option<&Path>, env: impl Iterator<Item = (String, String)>) -> Sources {
        let mut entries = BTreeMap::new();
        let mut problems = Vec::new();
        if let Some(path) = file {
            let origin = path.display().to_string();
            match std::fs::read_to_string(path) {
                Ok(text) => match toml::from_str::<toml::Table>(&text) {
                    Ok(table) => flatten("", &table, &origin, &mut entries),
                    Err(e) => problems.push(Problem {
                        key: "(file)".into(),
                        origin,
                        message: format!("not valid TOML: {e}"),
                    }),
                },
                Err(e) => problems.push(Problem {
                    key: "(file)".into(),
                    origin,
                    message: format!("cannot be read: {e}"),
                }),
            }
        }
        let mut env: Vec<(String, String)> = env.collect();
        env.sort();
        for (name, value) in env {
            let (key, from_file) = if name == "DATABASE_URL" {
                if entries
                    .get("database.url")
                    .is_some_and(|e: &Entry| e.origin.starts_with("SPORTELLO_"))
                {
                    continue;
                }
                ("database.url".to_owned(), false)
            } else if let Some(rest) = name.strip_prefix("SPORTELLO_") {
                if rest == "CONFIG" || rest.starts_with("TEST_") {
                    continue;
                }
                let lower = rest.to_ascii_lowercase();
                // `_FILE` reads a secret from a file; a setting whose own name ends in `_file`
                // (spid.registry_file) is a plain value.
                match lower.strip_suffix("_file").map(|b| b.replace("__", ".")) {
                    Some(base) if is_secret(&base) => (base, true),
                    Some(base) if KEYS.iter().any(|(k, _)| *k == base) => (base, true),
                    _ => (lower.replace("__", "."), false),
                }
            } else {
                continue;
            };
            if from_file {
                if !is_secret(&key) {
                    problems.push(Problem {
                        key,
                        origin: name,
                        message: format!(
                            "only secrets can be read from a file ({})",
                            SECRET_KEYS.join(", ")
                        ),
                    });
                    continue;
                }
                match std::fs::read_to_string(&value) {
                    Ok(secret) => {
                        entries.insert(
                            key,
                            Entry {
                                value: toml::Value::String(secret.trim().to_owned()),
                                origin: name,
                            },
                        );
                    }
                    Err(e) => problems.push(Problem {
                        key,
                        origin: name,
                        message: format!("cannot read {value}: {e}"),
                    }),
                }
                continue;
            }
            entries.insert(
                key,
                Entry {
                    value: toml::Value::String(value),
                    origin: name,
                },
            );
        }
        Sources { entries, problems }
    }

    /// Interprets the sources, collecting every problem. `require_database` is false for
    /// commands (like `demo`) that choose their own database.
    pub fn resolve(mut self, require_database: bool) -> Result<Config, Vec<Problem>> {
        for key in self.entries.keys() {
            if !KEYS.iter().any(|(known, _)| known == key) && !is_pagopa_key(key) {
                let suggestion = KEYS
                    .iter()
                    .map(|(known, _)| *known)
                    .min_by_key(|known| edit_distance(known, key))
                    .filter(|known| edit_distance(known, key) <= 3)
                    .map(|k| format!(" Did you mean {k}?"))
                    .unwrap_or_default();
                let origin = self
                    .entries
                    .get(key)
                    .map(|e| e.origin.clone())
                    .unwrap_or_default();
                self.problems.push(Problem {
                    key: key.clone(),
                    origin,
                    message: format!("unknown setting.{suggestion}"),
                });
            }
        }
        let mut r = Reader {
            entries: &self.entries,
            problems: &mut self.problems,
        };
        let listen = r
            .parse::<SocketAddr>("server.listen", "an address such as 0.0.0.0:8080")
            .unwrap_or(SocketAddr::from(([0, 0, 0, 0], 8080)));
        let public_url = r.string("server.public_url");
        if let Some(url) = &public_url
            && (!(url.starts_with("https://") || url.starts_with("http://"))
                || url.contains(char::is_whitespace))
        {
            r.problem(
                "server.public_url",
                "must be an absolute URL such as https://servizi.comune.example.it",
            );
        }
        // Production runs over HTTPS: cookies are Secure unless the public URL says plain
        // HTTP (browsers also accept Secure cookies from http://localhost).
        let plain_http = public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("http://"));
        let secure_cookies = r.boolean("server.secure_cookies").unwrap_or(!plain_http);
        if secure_cookies && plain_http {
            r.problem(
                "server.secure_cookies",
                "is true but public_url is http://: browsers would drop the cookies",
            );
        }
        let platform_hosts = r
            .string_list("server.platform_hosts")
            .unwrap_or_else(|| vec!["localhost".into(), "127.0.0.1".into(), "[::1]".into()]);
        let body_limit = r
            .integer("server.body_limit_kib", 1, 1024 * 1024)
            .unwrap_or(64) as usize
            * 1024;
        let request_timeout = Duration::from_secs(
            r.integer("server.request_timeout_secs", 1, 3600)
                .unwrap_or(30) as u64,
        );
        let shutdown_grace = Duration::from_secs(
            r.integer("server.shutdown_grace_secs", 0, 3600)
                .unwrap_or(25) as u64,
        );
        let database_url = r.string("database.url");
        match &database_url {
            None if require_database => r.problem_missing(
                "database.url",
                "is required: set DATABASE_URL or database.url to sqlite:///var/lib/sportello/sportello.db or postgres://…",
            ),
            Some(url) if !(url.starts_with("sqlite:") || url.starts_with("postgres:") || url.starts_with("postgresql:")) => {
                r.problem("database.url", "must start with sqlite:// or postgres://")
            }
            _ => {}
        }
        let max_connections = r.integer("database.max_connections", 1, 1000).unwrap_or(10) as u32;
        let auto_migrate = r.boolean("database.auto_migrate").unwrap_or(false);
        let log_format = match r.string("log.format").as_deref() {
            None | Some("human") => LogFormat::Human,
            Some("json") => LogFormat::Json,
            Some(_) => {
                r.problem("log.format", "must be \"human\" or \"json\"");
                LogFormat::Human
            }
        };
        let log_level = r.string("log.level").unwrap_or_else(|| "info".into());
        if tracing_subscriber::EnvFilter::try_new(&log_level).is_err() {
            r.problem(
                "log.level",
                "is not a valid filter; try \"info\" or \"sportello=debug,info\"",
            );
        }
        let outbox_enabled = r.boolean("outbox.enabled").unwrap_or(true);
        let outbox_batch = r.integer("outbox.batch", 1, 1000).unwrap_or(16) as u32;
        let outbox_lease =
            Duration::from_secs(r.integer("outbox.lease_secs", 5, 86_400).unwrap_or(60) as u64);
        let outbox_poll = Duration::from_millis(
            r.integer("outbox.poll_interval_ms", 10, 600_000)
                .unwrap_or(1000) as u64,
        );

        let spid = spid_config(&mut r);
        let storage = storage_config(&mut r);
        let pagopa = pagopa_config(&mut r, self.entries.keys());
        let appio = appio_config(&mut r);
        let mail = mail_config(&mut r);

        if !self.problems.is_empty() {
            return Err(self.problems);
        }
        Ok(Config {
            listen,
            public_url,
            secure_cookies,
            platform_hosts,
            body_limit,
            request_timeout,
            shutdown_grace,
            database_url: Secret::new(database_url.unwrap_or_default()),
            max_connections,
            auto_migrate,
            log_format,
            log_level,
            outbox_enabled,
            outbox_batch,
            outbox_lease,
            outbox_poll,
            spid,
            storage,
            pagopa,
            appio,
            mail,
        })
    }
}

fn http_url(r: &mut Reader<'_>, key: &str, value: &str, example: &str) {
    if reqwest::Url::parse(value).is_err()
        || !(value.starts_with("https://") || value.starts_with("http://"))
    {
        r.problem(key, &format!("must be an http(s) URL such as {example}"));
    }
}

fn appio_config(r: &mut Reader<'_>) -> AppIoConfig {
    let api_base = r
        .string("appio.api_base")
        .unwrap_or_else(|| AppIoConfig::PRODUCTION.to_owned());
    http_url(r, "appio.api_base", &api_base, AppIoConfig::PRODUCTION);
    AppIoConfig {
        api_base,
        timeout: Duration::from_secs(r.integer("appio.timeout_secs", 1, 120).unwrap_or(10) as u64),
        calls_per_5s: r.integer("appio.calls_per_5s", 0, 100_000).unwrap_or(150) as u32,
    }
}

fn mail_config(r: &mut Reader<'_>) -> Option<MailConfig> {
    let host = r.string("mail.host")?;
    let security = r
        .string("mail.security")
        .unwrap_or_else(|| "starttls".into());
    if !["starttls", "tls", "plain"].contains(&security.as_str()) {
        r.problem(
            "mail.security",
            "must be \"starttls\", \"tls\" or \"plain\"",
        );
    }
    let default_port = if security == "tls" { 465 } else { 587 };
    let port = r.integer("mail.port", 1, 65_535).unwrap_or(default_port) as u16;
    let username = r.string("mail.username");
    let password = r.string("mail.password").map(Secret::new);
    if username.is_some() != password.is_some() {
        r.problem(
            "mail.password",
            "mail.username and mail.password go together",
        );
    }
    Some(MailConfig {
        host,
        port,
        security,
        username,
        password,
        ca_file: r.string("mail.ca_file").map(Into::into),
        timeout: Duration::from_secs(r.integer("mail.timeout_secs", 1, 300).unwrap_or(30) as u64),
    })
}

fn pagopa_config<'k>(r: &mut Reader<'_>, keys: impl Iterator<Item = &'k String>) -> PagoPaConfig {
    let defaults = PagoPaConfig::default();
    let api_base = r.string("pagopa.api_base").unwrap_or(defaults.api_base);
    if reqwest::Url::parse(&api_base).is_err()
        || !(api_base.starts_with("https://") || api_base.starts_with("http://"))
    {
        r.problem(
            "pagopa.api_base",
            "must be an http(s) URL such as https://api.platform.pagopa.it",
        );
    }
    let timeout =
        Duration::from_secs(r.integer("pagopa.timeout_secs", 1, 300).unwrap_or(20) as u64);
    let names: Vec<String> = keys.filter(|k| is_pagopa_key(k)).cloned().collect();
    let mut secrets = BTreeMap::new();
    for name in names {
        if let Some(value) = r.string(&name).filter(|v| !v.trim().is_empty()) {
            let slug = name.trim_start_matches(PAGOPA_KEYS).to_owned();
            secrets.insert(slug, Secret::new(value.trim().to_owned()));
        }
    }
    PagoPaConfig {
        api_base,
        timeout,
        keys: secrets,
    }
}

fn storage_config(r: &mut Reader<'_>) -> StorageConfig {
    let attachments_dir = r.string("storage.attachments_dir").map(Into::into);
    let mut key = |name: &str| {
        let value = r.string(name)?;
        let valid = sportello_store::attachments::StorageKey::from_base64(&value).is_ok();
        if !valid {
            r.problem(name, "must be the base64 of 32 random bytes");
            return None;
        }
        Some(Secret::new(value))
    };
    StorageConfig {
        attachments_dir,
        key: key("storage.key"),
        verification_key: key("storage.verification_key"),
    }
}

fn spid_config(r: &mut Reader<'_>) -> SpidConfig {
    let minutes = |n: i64| Duration::from_secs(n as u64 * 60);
    let aggregator = r.string("spid.aggregator.name").map(|name| {
        let required = |r: &mut Reader<'_>, key: &str| {
            r.string(key).unwrap_or_else(|| {
                r.problem_missing(key, "is required when spid.aggregator.name is set");
                String::new()
            })
        };
        let vat_number = required(r, "spid.aggregator.vat_number");
        let email = required(r, "spid.aggregator.email");
        let locality = required(r, "spid.aggregator.locality");
        let has_country = vat_number.len() > 2
            && vat_number.as_bytes()[..2]
                .iter()
                .all(u8::is_ascii_uppercase);
        if !vat_number.is_empty() && !has_country {
            r.problem(
                "spid.aggregator.vat_number",
                "must start with the country code, e.g. IT01234567890",
            );
        }
        let phone = r.string("spid.aggregator.phone");
        if phone
            .as_deref()
            .is_some_and(|p| !p.starts_with('+') || p.contains(char::is_whitespace))
        {
            r.problem(
                "spid.aggregator.phone",
                "must be in international form without spaces, e.g. +390612345678",
            );
        }
        AggregatorConfig {
            name,
            vat_number,
            fiscal_code: r.string("spid.aggregator.fiscal_code"),
            ipa_code: r.string("spid.aggregator.ipa_code"),
            email,
            phone,
            locality,
        }
    });
    let key_bits = r.integer("spid.key_bits", 2048, 4096).unwrap_or(3072) as usize;
    if !key_bits.is_multiple_of(1024) {
        r.problem("spid.key_bits", "must be 2048, 3072 or 4096");
    }
    SpidConfig {
        aggregator,
        idp_metadata: r
            .string_list("spid.idp_metadata")
            .unwrap_or_default()
            .into_iter()
            .map(Into::into)
            .collect(),
        registry_file: r.string("spid.registry_file").map(Into::into),
        session_idle: minutes(
            r.integer("spid.session_idle_minutes", 1, 24 * 60)
                .unwrap_or(30),
        ),
        session_absolute: minutes(
            r.integer("spid.session_absolute_hours", 1, 7 * 24)
                .unwrap_or(12)
                * 60,
        ),
        clock_skew: Duration::from_secs(
            r.integer("spid.clock_skew_secs", 0, 600).unwrap_or(60) as u64
        ),
        trace_retention: Duration::from_secs(
            r.integer("spid.trace_retention_days", 1, 3650)
                .unwrap_or(730) as u64
                * 86_400,
        ),
        key_bits,
    }
}

struct Reader<'a> {
    entries: &'a BTreeMap<String, Entry>,
    problems: &'a mut Vec<Problem>,
}

impl Reader<'_> {
    fn origin(&self, key: &str) -> String {
        self.entries
            .get(key)
            .map(|e| e.origin.clone())
            .unwrap_or_else(|| "default".into())
    }

    fn problem(&mut self, key: &str, message: &str) {
        let origin = self.origin(key);
        self.problems.push(Problem {
            key: key.into(),
            origin,
            message: message.into(),
        });
    }

    fn problem_missing(&mut self, key: &str, message: &str) {
        self.problems.push(Problem {
            key: key.into(),
            origin: "not set".into(),
            message: message.into(),
        });
    }

    fn string(&mut self, key: &str) -> Option<String> {
        match &self.entries.get(key)?.value {
            toml::Value::String(s) => Some(s.clone()),
            _ => {
                self.problem(key, "must be a string (in quotes)");
                None
            }
        }
    }

    fn parse<T: std::str::FromStr>(&mut self, key: &str, expected: &str) -> Option<T> {
        let text = self.string(key)?;
        match text.parse() {
            Ok(value) => Some(value),
            Err(_) => {
                self.problem(key, &format!("\"{text}\" is not {expected}"));
                None
            }
        }
    }

    fn integer(&mut self, key: &str, min: i64, max: i64) -> Option<i64> {
        let value = match &self.entries.get(key)?.value {
            toml::Value::Integer(n) => Some(*n),
            toml::Value::String(s) => s.trim().parse().ok(),
            _ => None,
        };
        match value {
            Some(n) if (min..=max).contains(&n) => Some(n),
            Some(n) => {
                self.problem(
                    key,
                    &format!("{n} is out of range: between {min} and {max}"),
                );
                None
            }
            None => {
                self.problem(key, "must be a whole number");
                None
            }
        }
    }

    fn boolean(&mut self, key: &str) -> Option<bool> {
        let value = match &self.entries.get(key)?.value {
            toml::Value::Boolean(b) => Some(*b),
            toml::Value::String(s) => match s.trim() {
                "true" | "1" | "yes" => Some(true),
                "false" | "0" | "no" => Some(false),
                _ => None,
            },
            _ => None,
        };
        if value.is_none() {
            self.problem(key, "must be true or false");
        }
        value
    }

    fn string_list(&mut self, key: &str) -> Option<Vec<String>> {
        match &self.entries.get(key)?.value {
            toml::Value::Array(items) => {
                let strings: Option<Vec<String>> = items
                    .iter()
                    .map(|i| i.as_str().map(str::to_owned))
                    .collect();
                if strings.is_none() {
                    self.problem(key, "must be a list of strings");
                }
                strings
            }
            // From the environment: a comma-separated list.
            toml::Value::String(s) => Some(
                s.split(',')
                    .map(|p| p.trim().to_owned())
                    .filter(|p| !p.is_empty())
                    .collect(),
            ),
            _ => {
                self.problem(key, "must be a list of strings");
                None
            }
        }
    }
}

/// Levenshtein distance, to suggest the setting a typo meant.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

/// The documentation of every key, for `check-config --explain`.
pub fn describe_keys() -> impl Iterator<Item = (&'static str, &'static str)> {
    KEYS.iter().copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Iterator<Item = (String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>()
            .into_iter()
    }

    /// A configuration file that removes itself.
    struct TempFile(std::path::PathBuf);

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    fn file(text: &str) -> TempFile {
        static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("sportello-config-{}-{n}.toml", std::process::id()));
        std::fs::write(&path, text).unwrap();
        TempFile(path)
    }

    #[test]
    fn defaults_need_only_a_database() {
        let config = Sources::load(None, env(&[("DATABASE_URL", "sqlite://x.db")]))
            .resolve(true)
            .unwrap();
        assert_eq!(config.listen, "0.0.0.0:8080".parse().unwrap());
        assert_eq!(config.database_url.expose(), "sqlite://x.db");
        assert_eq!(config.log_format, LogFormat::Human);
        assert!(config.secure_cookies, "secure unless told otherwise");
    }

    #[test]
    fn environment_overrides_the_file() {
        let f =
            file("[server]\nlisten = \"127.0.0.1:9000\"\n[database]\nurl = \"sqlite://file.db\"\n");
        let config = Sources::load(
            Some(&f.0),
            env(&[
                ("SPORTELLO_SERVER__LISTEN", "127.0.0.1:9100"),
                ("SPORTELLO_LOG__FORMAT", "json"),
            ]),
        )
        .resolve(true)
        .unwrap();
        assert_eq!(config.listen.port(), 9100);
        assert_eq!(config.database_url.expose(), "sqlite://file.db");
        assert_eq!(config.log_format, LogFormat::Json);
    }

    #[test]
    fn every_problem_is_reported_with_its_origin() {
        let f = file("[server]\nlisen = \"x\"\nbody_limit_kib = 0\n[log]\nformat = \"xml\"\n");
        let problems = Sources::load(Some(&f.0), env(&[("SPORTELLO_OUTBOX__BATCH", "many")]))
            .resolve(true)
            .unwrap_err();
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        for expected in [
            "server.lisen",
            "server.body_limit_kib",
            "log.format",
            "outbox.batch",
            "database.url",
        ] {
            assert!(
                keys.contains(&expected),
                "{expected} not reported in {problems:?}"
            );
        }
        let batch = problems.iter().find(|p| p.key == "outbox.batch").unwrap();
        assert_eq!(batch.origin, "SPORTELLO_OUTBOX__BATCH");
        let typo = problems.iter().find(|p| p.key == "server.lisen").unwrap();
        assert!(
            typo.message.contains("Did you mean server.listen?"),
            "{}",
            typo.message
        );
    }

    #[test]
    fn each_comune_has_its_pagopa_key_from_the_file_or_the_environment() {
        let secret = file("key-from-a-file\n");
        let f = file(
            "[database]\nurl = \"sqlite://x.db\"\n[pagopa]\napi_base = \"https://api.uat.platform.pagopa.it\"\n[pagopa.keys]\nvaldoro = \"key-in-the-file\"\n",
        );
        let config = Sources::load(
            Some(&f.0),
            env(&[(
                "SPORTELLO_PAGOPA__KEYS__BORGOVERDE_FILE",
                secret.0.to_str().unwrap(),
            )]),
        )
        .resolve(true)
        .unwrap();
        assert_eq!(config.pagopa.api_base, "https://api.uat.platform.pagopa.it");
        assert_eq!(config.pagopa.keys["borgoverde"].expose(), "key-from-a-file");
        assert_eq!(config.pagopa.keys["valdoro"].expose(), "key-in-the-file");
        let printed = format!("{config:?}");
        assert!(!printed.contains("key-from-a-file"), "{printed}");
        assert!(!printed.contains("key-in-the-file"), "{printed}");
        let settings = config.pagopa.settings(None).unwrap();
        assert!(!format!("{settings:?}").contains("key-in-the-file"));
        // A bad address and a misspelt section are problems, named by their key.
        let problems = Sources::load(
            None,
            env(&[
                ("DATABASE_URL", "sqlite://x.db"),
                ("SPORTELLO_PAGOPA__API_BASE", "ftp://pagopa"),
                ("SPORTELLO_PAGOPA__KES__BORGOVERDE", "x"),
            ]),
        )
        .resolve(true)
        .unwrap_err();
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        assert!(keys.contains(&"pagopa.api_base"), "{problems:?}");
        assert!(keys.contains(&"pagopa.kes.borgoverde"), "{problems:?}");
    }

    #[test]
    fn secrets_come_from_files_and_never_print() {
        let secret = file("postgres://app:s3cr3t@db.internal/sportello\n");
        let config = Sources::load(
            None,
            env(&[("SPORTELLO_DATABASE__URL_FILE", secret.0.to_str().unwrap())]),
        )
        .resolve(true)
        .unwrap();
        assert_eq!(
            config.database_url.expose(),
            "postgres://app:s3cr3t@db.internal/sportello"
        );
        let printed = format!("{config:?}");
        assert!(!printed.contains("s3cr3t"), "{printed}");
        assert_eq!(
            config.database_url.redacted_url(),
            "postgres://app:***@db.internal/sportello"
        );
    }

    #[test]
    fn cookies_are_secure_unless_the_public_url_is_plain_http() {
        let config = Sources::load(
            None,
            env(&[
                ("DATABASE_URL", "sqlite://x.db"),
                ("SPORTELLO_SERVER__PUBLIC_URL", "https://servizi.example.it"),
            ]),
        )
        .resolve(true)
        .unwrap();
        assert!(config.secure_cookies);
        let problems = Sources::load(
            None,
            env(&[
                ("DATABASE_URL", "sqlite://x.db"),
                ("SPORTELLO_SERVER__PUBLIC_URL", "http://x.example"),
                ("SPORTELLO_SERVER__SECURE_COOKIES", "true"),
            ]),
        )
        .resolve(true)
        .unwrap_err();
        assert_eq!(problems[0].key, "server.secure_cookies");
        let plain = Sources::load(
            None,
            env(&[
                ("DATABASE_URL", "sqlite://x.db"),
                ("SPORTELLO_SERVER__PUBLIC_URL", "http://x.example"),
            ]),
        )
        .resolve(true)
        .unwrap();
        assert!(!plain.secure_cookies);
    }
}
