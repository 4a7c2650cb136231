//! `sportello pagopa reconcile`: the nightly comparison with pagoPA, on demand, for the IT
//! staff after an incident or before closing the accounts.

use crate::admin::open_tenant;
use crate::commands::load;
use std::path::Path;
use std::process::ExitCode;

pub async fn reconcile(file: Option<&Path>, slug: &str) -> anyhow::Result<ExitCode> {
    let config = load(file)?;
    let (store, tenant) = open_tenant(file, slug).await?;
    let settings = config.pagopa.settings(config.public_url.as_deref())?;
    let http = sportello_pagopa::http_client(settings.timeout)?;
    let gpd = sportello_pagopa::gpd::GpdClient::new(http, &settings.api_base)?;
    let report = sportello_pagopa::reconcile::reconcile(&store, &gpd, &settings, &tenant).await?;
    store.close().await;
    println!(
        "{} positions checked with pagoPA, {} difference(s).",
        report.checked,
        report.differences.len()
    );
    for difference in &report.differences {
        println!(
            "  {}  Sportello: {}  pagoPA: {}",
            difference.iupd, difference.ours, difference.theirs
        );
    }
    Ok(if report.differences.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
