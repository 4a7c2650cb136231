//! `sportello admin`: roles in a comune, granted by codice fiscale (effective at the person's
//! next request: roles are read with every session).

use crate::commands::{load, open};
use anyhow::{Context, bail};
use sportello_domain::{CodiceFiscale, Role};
use sportello_store::{Actor, Store};
use std::path::Path;
use std::process::ExitCode;

fn operator() -> String {
    std::env::var("USER").unwrap_or_else(|_| "operator".into())
}

/// The database and the comune a command acts on.
pub(crate) async fn open_tenant(
    file: Option<&Path>,
    slug: &str,
) -> anyhow::Result<(Store, sportello_domain::Tenant)> {
    let config = load(file)?;
    let store = open(&config).await?;
    let tenant = store
        .tenant_by_slug(slug)
        .await?
        .with_context(|| format!("no comune with slug {slug}: see `sportello tenant list`"))?;
    Ok((store, tenant))
}

fn parse(cf: &str, role: &str) -> anyhow::Result<(CodiceFiscale, Role)> {
    let cf = CodiceFiscale::parse(cf).map_err(|e| anyhow::anyhow!("--cf {cf}: {e}"))?;
    let role = Role::parse(role)
        .map_err(|e| anyhow::anyhow!("--role {role}: {e} (use tenant_admin or clerk:<office>)"))?;
    Ok((cf, role))
}

pub async fn grant(
    file: Option<&Path>,
    slug: &str,
    cf: &str,
    role: &str,
) -> anyhow::Result<ExitCode> {
    let (cf, role) = parse(cf, role)?;
    let (store, tenant) = open_tenant(file, slug).await?;
    let granted = store
        .scoped(tenant.id)
        .grant_role(&cf, &role, &Actor::cli(&operator()))
        .await?;
    if granted {
        println!("{cf} is now {role} of {}.", tenant.profile.name);
    } else {
        println!("{cf} already was {role} of {}.", tenant.profile.name);
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn revoke(
    file: Option<&Path>,
    slug: &str,
    cf: &str,
    role: &str,
) -> anyhow::Result<ExitCode> {
    let (cf, role) = parse(cf, role)?;
    let (store, tenant) = open_tenant(file, slug).await?;
    if !store
        .scoped(tenant.id)
        .revoke_role(&cf, &role, &Actor::cli(&operator()))
        .await?
    {
        bail!("{cf} does not hold {role} in {}", tenant.profile.name);
    }
    println!("{cf} is no longer {role} of {}.", tenant.profile.name);
    Ok(ExitCode::SUCCESS)
}

pub async fn roles(file: Option<&Path>, slug: &str) -> anyhow::Result<ExitCode> {
    let (store, tenant) = open_tenant(file, slug).await?;
    let holders = store.scoped(tenant.id).role_holders().await?;
    if holders.is_empty() {
        println!("Nobody holds a role in {} yet.", tenant.profile.name);
    }
    for (cf, role) in holders {
        println!("{cf}  {role}");
    }
    Ok(ExitCode::SUCCESS)
}
