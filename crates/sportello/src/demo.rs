//! `sportello demo`: the whole product on one machine, with no configuration and no network.
//! SQLite under `--data`, the two fictional comuni of `tenants/demo/` (imported on every start,
//! so the demo always shows the current content), the stand-ins under `/_mock/`.

use crate::commands::read_tenant_file;
use crate::config::{LogFormat, Sources};
use crate::{logging, server};
use anyhow::Context;
use sportello_domain::tenant::Logo;
use sportello_domain::tenant_file::TenantDefinition;
use sportello_domain::{CodiceFiscale, Role};
use sportello_mock::MockServices;
use sportello_mock::idp::{
    DEMO_IDENTITIES, DemoRole, Federation as MockFederation, KnownServiceProvider, MockIdp,
    ServiceProviders,
};
use sportello_mock::pagopa::{MockCreditor, MockPagoPa};
use sportello_spid::metadata::parse_idp_metadata;
use sportello_store::Actor;
use sportello_store::outbox::{RetryPolicy, WorkerOptions};
use sportello_store::{ConnectOptions, Store};
use sportello_web::auth::Federation;
use sportello_web::{AppState, Metrics, WebConfig};
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::{Arc, OnceLock};
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

/// The demo's key of one of a comune's App IO services: public, printed on the console, only
/// ever accepted by the stand-in.
pub fn demo_io_key(slug: &str, service: &str) -> String {
    format!("demo-io-key-{slug}-{service}")
}

/// App IO and e-mail for the demo: the IO stand-in knows each comune's services (their keys
/// sealed in the database as `sportello appio key set` would) and the demo citizens' phones;
/// a local SMTP server catches every e-mail for `/_mock/mail/`.
async fn demo_notifications(
    store: &Store,
    tenants: &[sportello_domain::Tenant],
    data: &Path,
    base: &str,
    pagopa: &MockPagoPa,
) -> anyhow::Result<(
    sportello_mock::appio::MockAppIo,
    sportello_mock::mail::MockMailbox,
    crate::notify::Notify,
)> {
    use sportello_mock::appio::{MockAppIo, MockIoService, MockProfile};
    let sealing = crate::storage::demo_sealing_key(data)?;
    let mut services = Vec::new();
    for tenant in tenants {
        let scope = store.scoped(tenant.id);
        for service in &tenant.profile.notifications.appio_services {
            let key = demo_io_key(tenant.slug.as_str(), service.code.as_str());
            services.push(MockIoService::new(
                &service.service_id,
                &service.name,
                &tenant.profile.name,
                tenant.profile.codice_fiscale.as_str(),
                &key,
            ));
            if scope
                .appio_key(service.code.as_str(), &sealing)
                .await?
                .as_deref()
                != Some(&key)
            {
                scope
                    .set_appio_key(service.code.as_str(), &key, &sealing, &Actor::system())
                    .await?;
            }
        }
    }
    // Mario and Stefano read everything on IO; Anna turned off Borgoverde's payments service
    // in the app; Sara has no IO profile: her messages go by e-mail.
    let blocked: Vec<String> = tenants
        .iter()
        .flat_map(|t| t.profile.notifications.appio_services.iter())
        .filter(|s| s.code.as_str() == "pagamenti")
        .map(|s| s.service_id.clone())
        .collect();
    let profiles = DEMO_IDENTITIES
        .iter()
        .filter(|p| p.given_name != "Sara")
        .map(|p| {
            let mut profile = MockProfile::new(p.fiscal_code)
                .with_display_name(&format!("{} {}", p.given_name, p.family_name));
            if p.given_name == "Anna" {
                profile.blocked_services = blocked.clone();
            }
            profile
        })
        .collect();
    let appio = MockAppIo::new(services, profiles).with_pagopa(pagopa.clone());
    let mailbox = sportello_mock::mail::MockMailbox::new();
    let (smtp, _server) = sportello_mock::mail::MockMailServer::start(
        std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        mailbox.clone(),
    )
    .await
    .context("cannot start the demo's mail server")?;
    let mail = sportello_notify::mail::MailSettings {
        host: "127.0.0.1".into(),
        port: smtp.port(),
        security: sportello_notify::mail::Security::Plain,
        credentials: None,
        timeout: Duration::from_secs(10),
        extra_root_certificate: None,
        hello_name: None,
    };
    let notify = crate::notify::Notify::new(
        store,
        &crate::config::AppIoConfig {
            api_base: format!("{base}{}", sportello_mock::appio::API_BASE),
            timeout: Duration::from_secs(10),
            calls_per_5s: 150,
        },
        Some(&mail),
        sealing,
        Some(base.to_owned()),
    )?;
    Ok((appio, mailbox, notify))
}

/// The demo citizens have confirmed their SPID e-mail address and want e-mail as well as IO,
/// so that every message shows in both demo inboxes.
async fn demo_contacts(store: &Store, tenant: &sportello_domain::Tenant) -> anyhow::Result<()> {
    let scope = store.scoped(tenant.id);
    for person in DEMO_IDENTITIES
        .iter()
        .filter(|p| matches!(p.role, DemoRole::Citizen))
    {
        let Ok(fiscal_code) = CodiceFiscale::parse(person.fiscal_code) else {
            continue;
        };
        let Some(user) = scope.user_by_fiscal_code(&fiscal_code).await? else {
            continue;
        };
        if user.contact_preferences.email_verified.is_some() {
            continue;
        }
        let prefs = sportello_domain::ContactPreferences {
            email: true,
            email_address: Some(person.email.to_owned()),
            email_verified: Some(person.email.to_owned()),
            ..user.contact_preferences.clone()
        };
        scope
            .update_contact_preferences(user.id, &prefs, &Actor::system())
            .await?;
    }
    Ok(())
}

/// The demo's GPD subscription key of a comune: public, printed on the console, only ever
/// accepted by the stand-in.
pub fn demo_gpd_key(slug: &str) -> String {
    format!("demo-gpd-key-{slug}")
}

/// What `sportello demo` was asked for on the command line.
pub struct DemoOptions {
    pub address: SocketAddr,
    pub data: PathBuf,
    /// More identity providers to trust (e.g. AgID's test suite's).
    pub idp_metadata: Vec<String>,
    /// The address to announce instead of http://localhost:PORT.
    pub public_url: Option<String>,
}

/// The demo's comuni as the test IdP sees them: Sportello's own service providers.
struct DemoServiceProviders(Arc<OnceLock<AppState>>);

impl ServiceProviders for DemoServiceProviders {
    fn find<'a>(
        &'a self,
        entity_id: &'a str,
    ) -> Pin<Box<dyn Future<Output = Option<KnownServiceProvider>> + Send + 'a>> {
        Box::pin(async move {
            let state = self.0.get()?;
            let (name, info, certificates) =
                sportello_web::auth::find_service_provider(state, entity_id).await?;
            Some(KnownServiceProvider {
                name,
                acs_url: info.acs_url,
                slo_url: info.slo_url,
                certificates,
            })
        })
    }
}

/// The demo's people get their roles in both comuni: clerks of their office, the
/// administrator everywhere.
async fn grant_demo_roles(store: &Store) -> anyhow::Result<()> {
    let actor = Actor::system();
    for tenant in store.tenants().await? {
        let scope = store.scoped(tenant.id);
        for person in DEMO_IDENTITIES {
            let role = match person.role {
                DemoRole::Citizen => continue,
                DemoRole::TenantAdmin => Role::TenantAdmin,
                DemoRole::Clerk { office } => Role::Clerk {
                    office: office.to_owned(),
                },
            };
            let cf = CodiceFiscale::parse(person.fiscal_code)
                .map_err(|e| anyhow::anyhow!("demo identity {}: {e}", person.fiscal_code))?;
            // A comune without that office simply has no such clerk.
            if let Err(error) = scope.grant_role(&cf, &role, &actor).await {
                tracing::debug!(%error, tenant = %tenant.slug, "demo role not granted");
            }
        }
    }
    Ok(())
}

pub async fn run(file: Option<&Path>, options: DemoOptions) -> anyhow::Result<ExitCode> {
    let DemoOptions {
        address,
        data,
        idp_metadata,
        public_url,
    } = options;
    let data = data.as_path();
    let started = Instant::now();
    logging::init(LogFormat::Human, "info,sqlx=warn,tower_http=warn");
    // The demo chooses its own database; the configuration may still shape login (e.g. an
    // aggregator), so it is read when present.
    let config = Sources::load(file, std::env::vars())
        .resolve(false)
        .map_err(|problems| {
            let list: Vec<String> = problems.iter().map(|p| format!("  - {p}")).collect();
            anyhow::anyhow!("the configuration has problems:\n{}", list.join("\n"))
        })?;
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

    grant_demo_roles(&store).await?;

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
    let public_url = public_url.unwrap_or_else(|| base.clone());

    let mocks = MockServices::new();
    let directory = Arc::new(OnceLock::new());
    let idp = MockIdp::new(&base, Arc::new(DemoServiceProviders(directory.clone())))
        .context("cannot start the test identity provider")?;
    let mut spid = crate::spid::settings(&config.spid, &idp_metadata)?;
    for (federation, mock_federation) in [
        (Federation::Spid, MockFederation::Spid),
        (Federation::Cie, MockFederation::Cie),
    ] {
        let providers = parse_idp_metadata(&idp.metadata(mock_federation))
            .context("the test IdP's metadata is invalid")?;
        for provider in providers {
            let mut trusted = crate::spid::trusted(federation, provider, true);
            trusted.name = match federation {
                Federation::Spid => "IdP di prova (demo)".into(),
                Federation::Cie => "CIE di prova (demo)".into(),
            };
            spid.identity_providers.insert(0, trusted);
        }
    }
    let metrics = Metrics::install().context("cannot install the metrics recorder")?;
    let web = WebConfig {
        secure_cookies: public_url.starts_with("https://") && !public_url.contains("localhost"),
        demo: true,
        public_url: Some(public_url),
        ..WebConfig::default()
    };
    // pagoPA: the stand-in answers for every demo comune with a key of its own, and the real
    // client talks to it over HTTP, as it would to pagoPA.
    let tenants_now = store.tenants().await?;
    let pagopa_mock = MockPagoPa::new(
        tenants_now
            .iter()
            .filter_map(|t| {
                let collection = t.profile.pagopa.as_ref()?;
                Some(MockCreditor {
                    subscription_key: demo_gpd_key(t.slug.as_str()),
                    fiscal_code: t.profile.codice_fiscale.as_str().to_owned(),
                    company_name: t.profile.name.clone(),
                    segregation_codes: vec![collection.segregation_code.get()],
                })
            })
            .collect(),
    );
    let settings = sportello_pagopa::PagoPaSettings {
        api_base: format!("{base}{}", sportello_mock::pagopa::PREFIX)
            .parse()
            .context("the demo's pagoPA address")?,
        keys: tenants_now
            .iter()
            .map(|t| {
                (
                    t.slug.to_string(),
                    sportello_pagopa::SubscriptionKey::new(demo_gpd_key(t.slug.as_str())),
                )
            })
            .collect(),
        timeout: Duration::from_secs(10),
        public_url: Some(base.to_string()),
    };
    let pagopa = server::PagoPa::new(&store, settings)?;
    let (appio_mock, mailbox, notify) =
        demo_notifications(&store, &tenants_now, data, &base, &pagopa_mock).await?;
    let state = AppState::with_spid(store.clone(), web, metrics, MockServices::links(), spid)
        .with_documents(crate::storage::demo_documents(data)?)
        .with_payments(pagopa.services());
    let _ = directory.set(state.clone());
    // A living back office: requests in every state, filed once per demo database.
    for tenant in store.tenants().await? {
        let filed = sportello_web::demo_seed::seed_demo_requests(&state, &tenant)
            .await
            .map_err(|e| {
                anyhow::anyhow!("cannot file the demo requests of {}: {e}", tenant.slug)
            })?;
        if filed > 0 {
            tracing::info!(comune = %tenant.slug, filed, "demo requests filed");
        }
        demo_contacts(&store, &tenant).await?;
    }
    tokio::spawn(sportello_web::housekeeping::every(
        state.clone(),
        Duration::from_secs(15 * 60),
    ));
    let app = sportello_web::app(
        state.clone(),
        mocks
            .router()
            .merge(idp.router())
            .merge(pagopa_mock.router())
            .merge(appio_mock.router())
            .merge(mailbox.router()),
    );

    println!(
        "\nSportello demo — ready in {:.1} s on {base}\n",
        started.elapsed().as_secs_f64()
    );
    for tenant in store.tenants().await? {
        println!("  {:<28} {base}/{}/", tenant.profile.name, tenant.slug);
    }
    println!("  {:<28} {base}/_mock/", "Servizi simulati");
    println!(
        "  {:<28} {base}{}/gpd/debt-positions-service/v1/",
        "pagoPA GPD simulato",
        sportello_mock::pagopa::PREFIX
    );
    for tenant in &tenants_now {
        println!(
            "  {:<28} Ocp-Apim-Subscription-Key: {}",
            format!("  chiave GPD {}", tenant.slug),
            demo_gpd_key(tenant.slug.as_str())
        );
    }
    println!(
        "  {:<28} {base}{}/",
        "App IO simulato (API)",
        sportello_mock::appio::API_BASE
    );
    for tenant in &tenants_now {
        for service in &tenant.profile.notifications.appio_services {
            println!(
                "  {:<28} Ocp-Apim-Subscription-Key: {}",
                format!("  chiave IO {}/{}", tenant.slug, service.code),
                demo_io_key(tenant.slug.as_str(), service.code.as_str())
            );
        }
    }
    println!(
        "  {:<28} {base}{}/inbox/",
        "App IO: il telefono",
        sportello_mock::appio::PREFIX
    );
    println!("  {:<28} {base}/_mock/mail/", "Posta in arrivo (e-mail)");
    // One permit of the seeded requests, to try the public verification page at once.
    if let Some(tenant) = store.tenants().await?.first()
        && let Some(code) = sportello_web::demo_seed::demo_permit_code(&state, tenant)
            .await
            .map_err(|e| anyhow::anyhow!("cannot find a demo permit: {e}"))?
    {
        println!(
            "  {:<28} {base}/{}/verifica/{code}",
            "Verifica di un permesso", tenant.slug
        );
    }
    println!("\nPersone della demo (IdP di prova, {base}/_mock/idp/):");
    for person in DEMO_IDENTITIES {
        let role = match person.role {
            DemoRole::Citizen => "cittadino".to_owned(),
            DemoRole::Clerk { office } => format!("operatore {office}"),
            DemoRole::TenantAdmin => "amministratore".to_owned(),
        };
        println!(
            "  {:<28} {}  {role}",
            format!("{} {}", person.given_name, person.family_name),
            person.fiscal_code
        );
    }
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
    let sink = server::TopicRouter::new(
        store.clone(),
        mocks.protocol(),
        pagopa.sink.clone(),
        Some(notify.sink.clone()),
        Some(mocks.sink()),
    );
    server::run(
        app,
        listener,
        store,
        Some((sink, options)),
        server::Watchers {
            pagopa: Some(pagopa),
            notify: Some(notify),
        },
        Duration::from_secs(5),
        shutdown,
    )
    .await?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sportello_domain::pratica::PraticaState;
    use sportello_store::QueueFilter;
    use std::collections::BTreeMap;

    /// What the demo's back office shows: how many pratiche are in each state, per comune.
    async fn states(store: &Store) -> BTreeMap<String, BTreeMap<&'static str, usize>> {
        let mut all = BTreeMap::new();
        for tenant in store.tenants().await.unwrap() {
            let scope = store.scoped(tenant.id);
            let mut counts = BTreeMap::new();
            for office in scope.offices().await.unwrap() {
                for pratica in scope
                    .office_queue(office.id.as_str(), &QueueFilter::default())
                    .await
                    .unwrap()
                {
                    *counts.entry(pratica.state().key()).or_insert(0) += 1;
                }
            }
            all.insert(tenant.slug.to_string(), counts);
        }
        all
    }

    #[tokio::test]
    async fn the_demo_seeds_every_state_in_both_comuni_once() {
        let data = std::env::temp_dir().join(format!("sportello-seed-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&data);
        std::fs::create_dir_all(&data).unwrap();
        let url = format!("sqlite://{}", data.join("sportello.db").display());
        let store = Store::connect(&url, &ConnectOptions::default())
            .await
            .unwrap();
        store.migrate().await.unwrap();
        for (definition, logo) in demo_tenants().unwrap() {
            store
                .import_tenant(&definition, &logo, "test")
                .await
                .unwrap();
        }
        let state = AppState::new(
            store.clone(),
            WebConfig::default(),
            Metrics::install().unwrap(),
        )
        .with_documents(crate::storage::demo_documents(&data).unwrap());
        for tenant in store.tenants().await.unwrap() {
            let filed = sportello_web::demo_seed::seed_demo_requests(&state, &tenant)
                .await
                .unwrap();
            assert!(filed >= 14, "{}: {filed}", tenant.slug);
        }
        let seeded = states(&store).await;
        assert_eq!(seeded.len(), 2);
        for (comune, counts) in &seeded {
            for expected in [
                PraticaState::Submitted,
                PraticaState::InReview,
                PraticaState::DocumentsRequested,
                PraticaState::RefusalNoticed,
                PraticaState::AwaitingPayment,
                PraticaState::PaymentReceived,
                PraticaState::PermitIssued,
                PraticaState::Rejected,
                PraticaState::Withdrawn,
                PraticaState::Expired,
                PraticaState::Revoked,
                PraticaState::Renewed,
            ] {
                assert!(
                    counts.contains_key(expected.key()),
                    "{comune}: no {expected:?} in {counts:?}"
                );
            }
        }
        // Observations filed on the 10-bis notice; a renewal that names the permit it renews;
        // an overdue request; a permit whose code verifies.
        for tenant in store.tenants().await.unwrap() {
            let scope = store.scoped(tenant.id);
            let mut all = Vec::new();
            for office in scope.offices().await.unwrap() {
                all.extend(
                    scope
                        .office_queue(office.id.as_str(), &QueueFilter::default())
                        .await
                        .unwrap(),
                );
            }
            assert!(
                all.iter()
                    .any(|p| p.state() == PraticaState::RefusalNoticed
                        && p.pratica.observations_filed()),
                "{}",
                tenant.slug
            );
            assert!(all.iter().any(|p| p.pratica.renews().is_some()));
            let today = sportello_domain::calendar::local_date(jiff::Timestamp::now());
            assert!(
                all.iter()
                    .any(|p| p.pratica.is_overdue(today, &tenant.profile.calendar)),
                "{}: nothing overdue",
                tenant.slug
            );
            let code = sportello_web::demo_seed::demo_permit_code(&state, &tenant)
                .await
                .unwrap()
                .unwrap();
            let documents = crate::storage::demo_documents(&data).unwrap();
            let id = sportello_documents::VerificationCode::verify(&documents.verification, &code)
                .unwrap();
            assert!(all.iter().any(|p| p.id == id));
            // Nothing is due for the housekeeping jobs on the day the demo starts.
            let report = sportello_web::housekeeping::run(&state, jiff::Timestamp::now())
                .await
                .unwrap();
            assert_eq!(
                (report.resumed, report.granted_by_silence, report.expired),
                (0, 0, 0)
            );
        }
        // A second start files nothing more.
        for tenant in store.tenants().await.unwrap() {
            let again = sportello_web::demo_seed::seed_demo_requests(&state, &tenant)
                .await
                .unwrap();
            assert_eq!(again, 0);
        }
        assert_eq!(states(&store).await, seeded);
        store.close().await;
        std::fs::remove_dir_all(&data).unwrap();
    }
}
