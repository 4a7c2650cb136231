//! SPID and CIE at the command line and at start-up: which identity providers are trusted,
//! and the service provider keys (`sportello spid …`).

use crate::commands::{load, open};
use crate::config::{AggregatorConfig, SpidConfig};
use anyhow::{Context, bail};
use sportello_domain::Tenant;
use sportello_spid::metadata::{IdentityProvider, parse_idp_metadata};
use sportello_spid::registry::{self, Registry};
use sportello_store::{Actor, SpKeyOwner, SpKeyState, Store};
use sportello_web::auth::{Aggregator, Federation, SpidSettings, TrustedIdp};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// A `--idp-metadata` argument: `FILE` for SPID, `cie:FILE` for CIE.
fn federation_and_path(argument: &str) -> (Federation, PathBuf) {
    match argument.strip_prefix("cie:") {
        Some(path) => (Federation::Cie, PathBuf::from(path)),
        None => (Federation::Spid, PathBuf::from(argument)),
    }
}

/// The identity providers of a metadata file given by configuration (test IdPs).
pub fn idps_from_file(argument: &str) -> anyhow::Result<Vec<TrustedIdp>> {
    let (federation, path) = federation_and_path(argument);
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read the IdP metadata {}", path.display()))?;
    let providers = parse_idp_metadata(&text)
        .with_context(|| format!("{} is not valid IdP metadata", path.display()))?;
    Ok(providers
        .into_iter()
        .map(|provider| trusted(federation, provider, true))
        .collect())
}

pub fn trusted(federation: Federation, provider: IdentityProvider, test: bool) -> TrustedIdp {
    let name = if provider.display_name.is_empty() {
        provider.entity_id.clone()
    } else {
        provider.display_name.clone()
    };
    TrustedIdp {
        federation,
        provider,
        name,
        test,
    }
}

/// Where AgID publishes the signed aggregate of the SPID identity providers.
pub const REGISTRY_URL: &str = "https://registry.spid.gov.it/metadata/idp/spid-entities-idps.xml";

/// The official identity providers: AgID's registry as refreshed into `registry_file`
/// (verified again at every start), or the copy built into this release.
pub fn official_idps(registry_file: Option<&Path>) -> anyhow::Result<Vec<TrustedIdp>> {
    let registry = match registry_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the SPID registry {}", path.display()))?;
            let agid = registry::agid_signing_certificate()?;
            Registry::from_aggregate(&text, &agid)
                .with_context(|| format!("{} is not a valid SPID registry", path.display()))?
        }
        None => Registry::embedded().context("the built-in SPID registry cannot be read")?,
    };
    Ok(registry
        .entries()
        .iter()
        .map(|entry| TrustedIdp {
            federation: Federation::Spid,
            provider: entry.idp.clone(),
            name: entry.name.clone(),
            test: false,
        })
        .collect())
}

/// `sportello spid refresh-registry`: download (or read), verify AgID's signature, and only
/// then replace the saved registry.
pub async fn refresh_registry(
    file: Option<&Path>,
    out: Option<PathBuf>,
    from_file: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let config = crate::config::Sources::load(file, std::env::vars())
        .resolve(false)
        .map_err(|problems| {
            anyhow::anyhow!("the configuration has {} problem(s)", problems.len())
        })?;
    let Some(out) = out.or(config.spid.registry_file.clone()) else {
        bail!("say where to save the registry: --out FILE, or set spid.registry_file");
    };
    let text = match from_file {
        Some(path) => std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?,
        None => download(REGISTRY_URL).await?,
    };
    let agid = registry::agid_signing_certificate()?;
    let providers = registry::verify_and_parse_aggregate(&text, &agid).context(
        "the registry's signature or content is not valid; the saved registry is unchanged",
    )?;
    let temporary = out.with_extension("tmp");
    std::fs::write(&temporary, &text)
        .with_context(|| format!("cannot write {}", temporary.display()))?;
    std::fs::rename(&temporary, &out)
        .with_context(|| format!("cannot replace {}", out.display()))?;
    println!(
        "SPID registry verified ({} identity providers) and saved to {}.",
        providers.len(),
        out.display()
    );
    for provider in providers {
        println!("  {}", provider.entity_id);
    }
    Ok(ExitCode::SUCCESS)
}

async fn download(url: &str) -> anyhow::Result<String> {
    // One TLS provider in the whole binary: ring, as the database driver uses.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .https_only(true)
        .build()
        .context("cannot build the HTTP client")?;
    let response = client
        .get(url)
        .send()
        .await
        .with_context(|| format!("cannot download {url}"))?
        .error_for_status()
        .with_context(|| format!("{url} answered with an error"))?;
    response
        .text()
        .await
        .context("the download was interrupted")
}

fn aggregator(config: &AggregatorConfig) -> Aggregator {
    Aggregator {
        name: config.name.clone(),
        vat_number: config.vat_number.clone(),
        fiscal_code: config.fiscal_code.clone(),
        ipa_code: config.ipa_code.clone(),
        email: config.email.clone(),
        phone: config.phone.clone(),
        locality: config.locality.clone(),
    }
}

/// Login settings from the configuration plus the `--idp-metadata` arguments.
pub fn settings(config: &SpidConfig, extra_idps: &[String]) -> anyhow::Result<SpidSettings> {
    let mut identity_providers = official_idps(config.registry_file.as_deref())?;
    let files = config
        .idp_metadata
        .iter()
        .map(|p| p.display().to_string())
        .chain(extra_idps.iter().cloned());
    for file in files {
        for idp in idps_from_file(&file)? {
            identity_providers.retain(|known| known.provider.entity_id != idp.provider.entity_id);
            identity_providers.push(idp);
        }
    }
    Ok(SpidSettings {
        aggregator: config.aggregator.as_ref().map(aggregator),
        identity_providers,
        session_idle: config.session_idle,
        session_absolute: config.session_absolute,
        clock_skew: config.clock_skew,
        trace_retention: config.trace_retention,
        key_bits: config.key_bits,
    })
}

pub fn list_idps(file: Option<&Path>) -> anyhow::Result<ExitCode> {
    // No database needed to say whom we trust.
    let config = crate::config::Sources::load(file, std::env::vars())
        .resolve(false)
        .map_err(|problems| {
            anyhow::anyhow!("the configuration has {} problem(s)", problems.len())
        })?;
    let settings = settings(&config.spid, &[])?;
    for idp in &settings.identity_providers {
        println!(
            "{:<5} {:<28} {}{}",
            idp.federation.key(),
            idp.name,
            idp.provider.entity_id,
            if idp.test { " (test)" } else { "" }
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Whose keys a command acts on: the comune's (returned too), or the platform's when it is an
/// aggregator.
async fn owner(
    store: &Store,
    aggregated: bool,
    tenant: Option<String>,
) -> anyhow::Result<(SpKeyOwner, Option<Tenant>)> {
    match (aggregated, tenant) {
        (true, None) => Ok((SpKeyOwner::Platform, None)),
        (true, Some(_)) => bail!(
            "this installation is a soggetto aggregatore: one key signs for every comune; omit --tenant"
        ),
        (false, None) => bail!("name the comune with --tenant (each comune has its own key)"),
        (false, Some(slug)) => {
            let tenant = store
                .tenant_by_slug(&slug)
                .await?
                .with_context(|| format!("no comune with slug {slug}"))?;
            Ok((SpKeyOwner::Tenant(tenant.id), Some(tenant)))
        }
    }
}

fn operator() -> String {
    std::env::var("USER").unwrap_or_else(|_| "operator".into())
}

pub async fn keys_list(file: Option<&Path>, tenant: Option<String>) -> anyhow::Result<ExitCode> {
    let config = load(file)?;
    let store = open(&config).await?;
    let (owner, _) = owner(&store, config.spid.aggregator.is_some(), tenant).await?;
    let keys = store.sp_keys(owner).await?;
    if keys.is_empty() {
        println!("No key yet: one is generated at the first metadata request or login.");
    }
    for key in keys {
        let state = match key.state() {
            SpKeyState::Next => "next (published, not yet signing)",
            SpKeyState::Active => "active (signing)",
            SpKeyState::Retired => "retired",
        };
        println!(
            "{}  {state:<34} expires {}  published: {}  sha256 {}",
            key.id(),
            key.not_after(),
            if key.is_published() { "yes" } else { "no" },
            key.certificate_fingerprint()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Starts a rotation: the next key is published at once, so identity providers learn it
/// before it signs anything.
pub async fn keys_rotate(file: Option<&Path>, tenant: Option<String>) -> anyhow::Result<ExitCode> {
    let config = load(file)?;
    let store = open(&config).await?;
    let (owner, tenant) = owner(&store, config.spid.aggregator.is_some(), tenant).await?;
    let Some(public_url) = config.public_url.clone() else {
        bail!("server.public_url is required: it is part of the certificate");
    };
    let subject = match (&config.spid.aggregator, tenant) {
        (Some(a), _) => aggregator(a).certificate_subject(&public_url),
        (None, Some(tenant)) => sportello_web::auth::certificate_subject_for(&public_url, &tenant),
        (None, None) => bail!("name the comune with --tenant"),
    };
    let (key, certificate) =
        sportello_web::auth::generate_key(subject, config.spid.key_bits).await?;
    let created = store
        .insert_sp_key(
            owner,
            key.pkcs8_der(),
            certificate.der(),
            certificate.not_after(),
            false,
            &Actor::cli(&operator()),
        )
        .await?;
    match created {
        Some(id) => {
            println!(
                "Next key {id} created and published (sha256 {}).\nWhen the identity providers have refreshed the metadata, run `sportello spid keys promote`.",
                certificate.sha256_fingerprint()
            );
            Ok(ExitCode::SUCCESS)
        }
        None => {
            println!(
                "A next key already exists: promote it first (`sportello spid keys promote`)."
            );
            Ok(ExitCode::from(2))
        }
    }
}

pub async fn keys_promote(file: Option<&Path>, tenant: Option<String>) -> anyhow::Result<ExitCode> {
    let config = load(file)?;
    let store = open(&config).await?;
    let (owner, _) = owner(&store, config.spid.aggregator.is_some(), tenant).await?;
    match store
        .promote_next_key(owner, &Actor::cli(&operator()))
        .await?
    {
        Some(id) => {
            println!(
                "Key {id} now signs; the previous one stays published for {} days.",
                sportello_store::RETIRED_KEY_PUBLISHED_FOR.as_secs() / 86_400
            );
            Ok(ExitCode::SUCCESS)
        }
        None => {
            println!("There is no next key: run `sportello spid keys rotate` first.");
            Ok(ExitCode::from(2))
        }
    }
}
