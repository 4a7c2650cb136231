//! The production commands: serve, migrate, check-config, tenant import and list.

use crate::config::{Config, Sources, describe_keys};
use crate::{logging, server};
use anyhow::{Context, bail};
use sportello_domain::tenant::Logo;
use sportello_domain::tenant_file::TenantDefinition;
use sportello_store::{ConnectOptions, Store};
use sportello_web::{AppState, Metrics, WebConfig};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub(crate) fn load(file: Option<&Path>) -> anyhow::Result<Config> {
    Sources::load(file, std::env::vars()).resolve(true).map_err(|problems| {
        let list: Vec<String> = problems.iter().map(|p| format!("  - {p}")).collect();
        anyhow::anyhow!("the configuration has {} problem(s):\n{}\nRun `sportello check-config --explain` for every setting.", problems.len(), list.join("\n"))
    })
}

pub(crate) async fn open(config: &Config) -> anyhow::Result<Store> {
    let options = ConnectOptions {
        max_connections: config.max_connections,
        ..Default::default()
    };
    Store::connect(config.database_url.expose(), &options)
        .await
        .with_context(|| {
            format!(
                "cannot open the database {}",
                config.database_url.redacted_url()
            )
        })
}

pub fn web_config(config: &Config) -> WebConfig {
    WebConfig {
        secure_cookies: config.secure_cookies,
        body_limit: config.body_limit,
        request_timeout: config.request_timeout,
        demo: false,
        platform_hosts: config.platform_hosts.clone(),
        public_url: config.public_url.clone(),
    }
}

pub async fn serve(file: Option<&Path>, idp_metadata: &[String]) -> anyhow::Result<ExitCode> {
    let config = load(file)?;
    let spid = crate::spid::settings(&config.spid, idp_metadata)?;
    logging::init(config.log_format, &config.log_level);
    let shutdown = server::ShutdownSignal::install();
    let store = open(&config).await?;
    let status = store.migration_status().await?;
    if !status.unknown.is_empty() {
        bail!(
            "the database has migrations {:?} that this release does not know: a newer Sportello ran on it",
            status.unknown
        );
    }
    if !status.pending.is_empty() {
        if !config.auto_migrate {
            bail!(
                "the database needs migrations {:?}: run `sportello migrate` first (or set database.auto_migrate = true)",
                status.pending
            );
        }
        store.migrate().await?;
        tracing::info!(applied = ?status.pending, "database migrated");
    }
    let metrics = Metrics::install().context("cannot install the metrics recorder")?;
    let documents = crate::storage::documents(&config.storage, config.database_url.expose())?;
    let state = AppState::with_spid(
        store.clone(),
        web_config(&config),
        metrics,
        Vec::new(),
        spid,
    )
    .with_documents(documents);
    let pagopa = server::PagoPa::new(
        &store,
        config.pagopa.settings(config.public_url.as_deref())?,
    )?;
    let mail = config
        .mail
        .as_ref()
        .map(crate::notify::mail_settings)
        .transpose()?;
    let notify = crate::notify::Notify::new(
        &store,
        &config.appio,
        mail.as_ref(),
        crate::storage::sealing_key(&config.storage)?,
        config.public_url.clone(),
    )?;
    let state = state.with_payments(pagopa.services());
    // Deadlines that lapse, silence that grants, permits that expire, files past retention.
    tokio::spawn(sportello_web::housekeeping::every(
        state.clone(),
        std::time::Duration::from_secs(15 * 60),
    ));
    let app = sportello_web::app(state, axum::Router::new());
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    tracing::info!(listen = %config.listen, database = store.backend().name(), public_url = ?config.public_url, "Sportello is serving");
    let sink = config.outbox_enabled.then(|| {
        (
            server::TopicRouter::new(
                store.clone(),
                server::LocalRegister,
                pagopa.sink.clone(),
                Some(notify.sink.clone()),
                None,
            ),
            server::worker_options(&config),
        )
    });
    // Without the worker nothing reaches pagoPA or App IO, so there is nothing to watch either.
    let pagopa = config.outbox_enabled.then_some(pagopa);
    let notify = config.outbox_enabled.then_some(notify);
    server::run(
        app,
        listener,
        store,
        sink,
        server::Watchers { pagopa, notify },
        config.shutdown_grace,
        shutdown,
    )
    .await?;
    Ok(ExitCode::SUCCESS)
}

pub async fn migrate(file: Option<&Path>, status_only: bool) -> anyhow::Result<ExitCode> {
    let config = load(file)?;
    logging::init(config.log_format, &config.log_level);
    let store = open(&config).await?;
    let before = store.migration_status().await?;
    if status_only {
        println!(
            "database: {} ({})",
            config.database_url.redacted_url(),
            store.backend().name()
        );
        println!("applied:  {:?}", before.applied);
        println!("pending:  {:?}", before.pending);
        if !before.unknown.is_empty() {
            println!(
                "unknown:  {:?} (applied by a newer release)",
                before.unknown
            );
        }
        return Ok(if before.is_current() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(2)
        });
    }
    let after = store.migrate().await?;
    if before.pending.is_empty() {
        println!(
            "The database is up to date (migrations {:?}).",
            after.applied
        );
    } else {
        println!(
            "Applied migrations {:?}; the database is up to date.",
            before.pending
        );
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

pub fn check_config(file: Option<&Path>, explain: bool) -> anyhow::Result<ExitCode> {
    if explain {
        println!("Settings (TOML key = environment variable):");
        for (key, meaning) in describe_keys() {
            let env = format!("SPORTELLO_{}", key.to_ascii_uppercase().replace('.', "__"));
            println!("  {key:<28} {env:<38} {meaning}");
        }
        println!(
            "  DATABASE_URL is accepted for database.url; append _FILE to a secret's variable to read it from a file.\n"
        );
    }
    match Sources::load(file, std::env::vars()).resolve(true) {
        Ok(config) => {
            println!("The configuration is valid.");
            println!("  listen:      {}", config.listen);
            println!(
                "  public URL:  {}",
                config.public_url.as_deref().unwrap_or("(not set)")
            );
            println!("  database:    {}", config.database_url.redacted_url());
            println!(
                "  cookies:     {}",
                if config.secure_cookies {
                    "secure (HTTPS only)"
                } else {
                    "not secure: only for plain-HTTP testing, never in production"
                }
            );
            println!(
                "  outbox:      {}",
                if config.outbox_enabled {
                    "worker runs in this process"
                } else {
                    "no worker in this process"
                }
            );
            // The keys themselves are never printed: only whether `serve` will find them.
            let presence = |secret: &Option<crate::config::Secret>| {
                if secret.is_some() {
                    "set"
                } else {
                    "missing (serve refuses to start; see docs/operations.md)"
                }
            };
            println!(
                "  attachments: {}",
                config
                    .storage
                    .attachments_dir
                    .as_ref()
                    .map(|d| d.display().to_string())
                    .unwrap_or_else(|| "(beside a SQLite database)".to_owned())
            );
            println!("  storage key: {}", presence(&config.storage.key));
            println!(
                "  verification key: {}",
                presence(&config.storage.verification_key)
            );
            println!("  pagoPA:      {}", config.pagopa.api_base);
            if config.pagopa.keys.is_empty() {
                println!("  pagoPA keys: none (payment requests wait until a comune has one)");
            }
            for slug in config.pagopa.keys.keys() {
                // Which comuni have a key, never the key.
                println!("  pagoPA key:  {slug} set");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(problems) => {
            println!("The configuration has {} problem(s):", problems.len());
            for problem in &problems {
                println!("  - {problem}");
            }
            Ok(ExitCode::FAILURE)
        }
    }
}

/// Reads and validates a comune file and its logo. Pure of side effects on the database.
pub fn read_tenant_file(path: &Path) -> anyhow::Result<(TenantDefinition, Logo)> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let definition = TenantDefinition::from_toml(&text)
        .with_context(|| format!("{} is not a valid comune file", path.display()))?;
    let logo_path: PathBuf = path
        .parent()
        .unwrap_or(Path::new("."))
        .join(&definition.logo_file);
    let bytes = std::fs::read(&logo_path)
        .with_context(|| format!("cannot read the logo {}", logo_path.display()))?;
    let logo = Logo::from_file(&definition.logo_file, bytes)
        .map_err(|e| anyhow::anyhow!("{}: {e}", logo_path.display()))?;
    Ok((definition, logo))
}

pub async fn tenant_import(file: Option<&Path>, files: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let config = load(file)?;
    logging::init(config.log_format, &config.log_level);
    let mut parsed = Vec::with_capacity(files.len());
    let mut failures = Vec::new();
    for path in files {
        match read_tenant_file(path) {
            Ok(ok) => parsed.push(ok),
            Err(error) => failures.push(format!("{error:#}")),
        }
    }
    if !failures.is_empty() {
        for failure in &failures {
            eprintln!("{failure}\n");
        }
        bail!(
            "nothing imported: {} of {} file(s) have problems",
            failures.len(),
            files.len()
        );
    }
    let store = open(&config).await?;
    let actor = format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "unknown".into())
    );
    for (definition, logo) in &parsed {
        let outcome = store.import_tenant(definition, logo, &actor).await?;
        println!(
            "{} {} ({}): {} services, {} offices",
            if outcome.created {
                "created"
            } else {
                "updated"
            },
            definition.profile.name,
            definition.slug,
            outcome.services,
            outcome.offices
        );
        // A new version applies to requests filed from now on; those already filed keep
        // the version they were made against.
        for changed in &outcome.new_procedure_versions {
            println!(
                "  new procedure version: {} v{}",
                changed.slug, changed.version
            );
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

pub async fn tenant_list(file: Option<&Path>) -> anyhow::Result<ExitCode> {
    let config = load(file)?;
    let store = open(&config).await?;
    for tenant in store.tenants().await? {
        let domains: Vec<&str> = tenant.profile.domains.iter().map(|d| d.as_str()).collect();
        println!(
            "{:<20} {:<40} {}",
            tenant.slug,
            tenant.profile.name,
            domains.join(", ")
        );
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}
