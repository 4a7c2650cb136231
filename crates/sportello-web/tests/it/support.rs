//! `TestApp`: the real router over a fresh database holding the two demo comuni.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use sportello_documents::VerificationKey;
use sportello_domain::tenant::{HostName, Logo};
use sportello_domain::tenant_file::TenantDefinition;
use sportello_store::Store;
use sportello_store::attachments::{AttachmentVault, FsBlobStore, StorageKey};
use sportello_web::auth::SpidSettings;
use sportello_web::documents::Documents;
use sportello_web::{AppState, Metrics, WebConfig};
use std::path::PathBuf;
use std::sync::OnceLock;
use tower::ServiceExt;

pub struct TestApp {
    pub store: Store,
    pub router: Router,
    /// The router's state: settings set once at start-up (the pagoPA clients) can still be
    /// given to it.
    pub state: AppState,
}

pub struct TestResponse {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl TestResponse {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The value of a `Set-Cookie` named `name`.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| {
                v.strip_prefix(&format!("{name}="))
                    .map(|rest| rest.split(';').next().unwrap_or_default().to_owned())
            })
    }
}

/// The process-wide recorder. `Metrics::install` is check-then-install, so two tests starting
/// together could both try to install it and one would fail: the first call is serialised here.
pub fn metrics() -> Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(|| Metrics::install().unwrap()).clone()
}

pub fn demo_definition(slug: &str) -> (TenantDefinition, Logo) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tenants/demo");
    let text = std::fs::read_to_string(dir.join(format!("{slug}.toml"))).unwrap();
    let definition =
        TenantDefinition::from_toml(&text).unwrap_or_else(|e| panic!("{slug}.toml: {e}"));
    let logo = Logo::from_file(
        &definition.logo_file,
        std::fs::read(dir.join(&definition.logo_file)).unwrap(),
    )
    .unwrap();
    (definition, logo)
}

/// A vault in a fresh folder under the system's temporary directory, with random keys: each
/// test application has its own files and keys.
pub fn test_documents() -> Documents {
    let dir = std::env::temp_dir().join(format!("sportello-test-{}", uuid::Uuid::now_v7()));
    let key = StorageKey::from_base64(&StorageKey::random_base64().unwrap()).unwrap();
    Documents {
        vault: AttachmentVault::new(FsBlobStore::new(dir), key),
        verification: VerificationKey::from_base64(&VerificationKey::generate_base64().unwrap())
            .unwrap(),
    }
}

impl TestApp {
    /// The demo comuni; `borgoverde` also answers on `servizi.borgoverde.example`. Served over
    /// plain HTTP, as in the demo.
    pub async fn new(store: Store) -> TestApp {
        TestApp::with_config(
            store,
            WebConfig {
                secure_cookies: false,
                ..WebConfig::default()
            },
        )
        .await
    }

    pub async fn with_config(store: Store, config: WebConfig) -> TestApp {
        TestApp::with_setup(store, config, SpidSettings::default(), |definition| {
            if definition.slug.as_str() == "borgoverde" {
                definition.profile.domains =
                    vec![HostName::parse("servizi.borgoverde.example").unwrap()];
            }
        })
        .await
    }

    /// The demo comuni as `adjust` leaves them, with these login settings.
    pub async fn with_setup(
        store: Store,
        config: WebConfig,
        spid: SpidSettings,
        adjust: impl Fn(&mut TenantDefinition),
    ) -> TestApp {
        for slug in ["borgoverde", "valdoro"] {
            let (mut definition, logo) = demo_definition(slug);
            adjust(&mut definition);
            store
                .import_tenant(&definition, &logo, "test")
                .await
                .unwrap();
        }
        let state = AppState::with_spid(store.clone(), config, metrics(), Vec::new(), spid)
            .with_documents(test_documents());
        TestApp {
            router: sportello_web::app(state.clone(), Router::new()),
            store,
            state,
        }
    }

    /// A demo comune, as stored.
    pub async fn tenant(&self, slug: &str) -> sportello_domain::Tenant {
        self.store
            .tenant_by_slug(slug)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no comune {slug}"))
    }

    pub async fn send(&self, request: Request<Body>) -> TestResponse {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        TestResponse {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.send(
            Request::get(path)
                .header(header::HOST, "localhost")
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    pub async fn get_in(&self, path: &str, lang: &str) -> TestResponse {
        let request = Request::get(path)
            .header(header::HOST, "localhost")
            .header(header::COOKIE, format!("lang={lang}"))
            .body(Body::empty())
            .unwrap();
        self.send(request).await
    }

    pub async fn get_on_host(&self, host: &str, path: &str) -> TestResponse {
        self.send(
            Request::get(path)
                .header(header::HOST, host)
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    /// A first visit, to obtain the anti-forgery cookie a browser would have.
    pub async fn csrf_token(&self) -> String {
        self.get("/borgoverde/")
            .await
            .cookie("csrf")
            .expect("a first visit sets the anti-forgery cookie")
    }

    pub async fn post_form(&self, path: &str, cookie: Option<&str>, body: &str) -> TestResponse {
        let mut request = Request::post(path)
            .header(header::HOST, "localhost")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(token) = cookie {
            request = request.header(header::COOKIE, format!("csrf={token}"));
        }
        self.send(request.body(Body::from(body.to_owned())).unwrap())
            .await
    }
}

/// Declares each `async fn(TestApp)` test on SQLite and on PostgreSQL. With `using PATH;`
/// first, each test receives what the `async fn(Store) -> T` at `PATH` makes instead (the path
/// is resolved from inside the generated modules: write it from the crate root).
#[macro_export]
macro_rules! app_tests {
    (using $make:path; $($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let store = sportello_store::testing::sqlite_store().await;
                    super::$name($make(store).await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(store) = sportello_store::testing::postgres_store().await {
                        super::$name($make(store).await).await;
                    }
                }
            )*
        }
    };
    ($($name:ident),* $(,)?) => {
        $crate::app_tests!(using $crate::support::TestApp::new; $($name),*);
    };
}
