//! `sportello demo`: the whole product on one machine, with no configuration and no network.
//! SQLite under `--data`, the two fictional comuni of `tenants/demo/` (imported on every start,
//! so the demo always shows the current content), the stand-ins under `/_mock/`.

use crate::commands::read_tenant_file;
use crate::config::LogFormat;
use crate::{logging, server};
use anyhow::Context;
use sportello_domain::tenant::Logo;
use sportello_domain::tenant_file::TenantDefinition;
use sportello_mock::MockServices;
use sportello_store::outbox::{RetryPolicy, WorkerOptions};
use sportello_store::{ConnectOptions, Store};
use sportello_web::{AppState, Metrics, WebConfig};
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// The demo comuni, compiled in so the binary runs from any folder.
const DEMO_TENANTS: [(&str, &str, &[u8]); 2] = [
    (
        include_str!("../../../tenants/demo/borgoverde.toml"),
        "borgoverde.svg",
        include_bytes!("../../../tenants/demo/borgoverde.svg"),
    ),
    (
        include_str!("../../../tenants/demo/valdoro.toml"),
        "valdoro.svg",
        include_bytes!("../../../tenants/demo/valdoro.svg"),
    ),
];

pub fn demo_tenants() -> anyhow::Result<Vec<(TenantDefinition, Logo)>> {
    DEMO_TENANTS
        .iter()
        .map(|(toml, logo_name, logo)| {
            let definition =
                TenantDefinition::from_toml(toml).context("a demo comune file is invalid")?;
            let logo = Logo::from_file(logo_name, logo.to_vec())
                .map_err(|e| anyhow::anyhow!("{logo_name}: {e}"))?;
            Ok((definition, logo))
        })
        .collect()
}

pub async fn run(address: SocketAddr, data: &Path) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    logging::init(LogFormat::Human, "info,sqlx=warn,tower_http=warn");
    let shutdown = server::ShutdownSignal::install();
    std::fs::create_dir_all(data)
        .with_context(|| format!("cannot create the data folder {}", data.display()))?;
    let url = format!("sqlite://{}", data.join("sportello.db").display());
    let store = Store::connect(&url, &ConnectOptions::default())
        .await
        .with_context(|| format!("cannot open {url}"))?;
    store
        .migrate()
        .await
        .context("cannot migrate the demo database")?;
    let tenants = demo_tenants()?;
    for (definition, logo) in &tenants {
        store.import_tenant(definition, logo, "demo").await?;
    }
    // A comune file dropped in the data folder joins the demo, to try one's own content.
    if let Ok(entries) = std::fs::read_dir(data) {
        for path in entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        {
            match read_tenant_file(&path) {
                Ok((definition, logo)) => {
                    store.import_tenant(&definition, &logo, "demo").await?;
                }
                Err(error) => tracing::warn!("skipping {}: {error:#}", path.display()),
            }
        }
    }

    let mocks = MockServices::new();
    let metrics = Metrics::install().context("cannot install the metrics recorder")?;
    let web = WebConfig {
        secure_cookies: false,
        demo: true,
        ..WebConfig::default()
    };
    let state = AppState::with_links(store.clone(), web, metrics, MockServices::links());
    let app = sportello_web::app(state, mocks.router());
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| {
            format!("cannot listen on {address}: is another program using the port? Try --port")
        })?;
    let port = listener
        .local_addr()
        .map(|a| a.port())
        .unwrap_or(address.port());
    let host = if address.ip().is_loopback() || address.ip().is_unspecified() {
        "localhost".to_owned()
    } else {
        address.ip().to_string()
    };
    let base = format!("http://{host}:{port}");

    println!(
        "\nSportello demo — ready in {:.1} s on {base}\n",
        started.elapsed().as_secs_f64()
    );
    for tenant in store.tenants().await? {
        println!("  {:<28} {base}/{}/", tenant.profile.name, tenant.slug);
    }
    println!("  {:<28} {base}/_mock/", "Servizi simulati");
    println!(
        "  {:<28} {base}/healthz  {base}/readyz  {base}/metrics",
        "Operations"
    );
    println!(
        "\nData in {} (delete the folder to start over). Stop with Ctrl-C.\n",
        data.display()
    );

    let options = WorkerOptions {
        id: "demo".into(),
        batch: 16,
        lease: Duration::from_secs(30),
        poll_interval: Duration::from_millis(500),
        retry: RetryPolicy::default(),
    };
    server::run(
        app,
        listener,
        store,
        Some((mocks.sink(), options)),
        Duration::from_secs(5),
        shutdown,
    )
    .await?;
    Ok(ExitCode::SUCCESS)
}
