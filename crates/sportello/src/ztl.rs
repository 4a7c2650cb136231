//! `sportello ztl export`: the whitelist of plates for the ZTL gate cameras, whole or
//! incremental, with the SHA-256 of what was written so the camera system can check it.

use crate::admin::open_tenant;
use anyhow::{Context, bail};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub async fn export(
    file: Option<&Path>,
    slug: &str,
    since: Option<&str>,
    format: &str,
    output: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let since = since
        .map(|s| {
            s.parse::<jiff::Timestamp>().with_context(|| {
                format!("--since {s}: use an RFC 3339 instant such as 2026-11-27T00:00:00Z")
            })
        })
        .transpose()?;
    let (store, tenant) = open_tenant(file, slug).await?;
    if tenant.profile.rules.ztl.is_none() {
        bail!("the comune {slug} has no [ztl] section in its comune file");
    }
    let rows = sportello_web::ztl::whitelist(&store, &tenant, since).await?;
    let text = match format {
        "csv" => sportello_web::ztl::to_csv(&rows),
        "json" => {
            let mut json = serde_json::to_string_pretty(&rows)?;
            json.push('\n');
            json
        }
        other => bail!("--format {other}: use csv or json"),
    };
    let digest: String = Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    match output {
        Some(path) => {
            std::fs::write(&path, &text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let mut sum = path.clone().into_os_string();
            sum.push(".sha256");
            std::fs::write(&sum, format!("{digest}  {name}\n"))
                .with_context(|| format!("cannot write {}", PathBuf::from(&sum).display()))?;
            eprintln!("{} rows written to {}", rows.len(), path.display());
            println!("{digest}  {name}");
        }
        None => {
            print!("{text}");
            eprintln!("sha256 {digest} ({} rows)", rows.len());
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}
