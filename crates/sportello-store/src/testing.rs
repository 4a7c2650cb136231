//! Throw-away databases for tests (feature `test-support`): a fresh SQLite file, or a fresh
//! database in the PostgreSQL cluster named by `SPORTELLO_TEST_POSTGRES_URL`, which
//! `scripts/test` starts. Under CI a missing PostgreSQL is an error, never a silent skip.

use crate::{ConnectOptions, Store};
use uuid::Uuid;

pub const POSTGRES_URL_VAR: &str = "SPORTELLO_TEST_POSTGRES_URL";

/// A migrated store on a new SQLite file in the system's temporary directory.
pub async fn sqlite_store() -> Store {
    let path = std::env::temp_dir().join(format!("sportello-test-{}.db", Uuid::now_v7().simple()));
    let url = format!("sqlite://{}", path.display());
    migrated(&url).await
}

/// The URL of a new, empty PostgreSQL database, or `None` when no test cluster is configured
/// outside CI (the test then reports that it skipped).
pub async fn postgres_database_url() -> Option<String> {
    let Ok(admin_url) = std::env::var(POSTGRES_URL_VAR) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "{POSTGRES_URL_VAR} is not set: under CI the PostgreSQL tests must run (use ./scripts/test)"
        );
        eprintln!(
            "skipped: {POSTGRES_URL_VAR} is not set (./scripts/test starts a PostgreSQL cluster)"
        );
        return None;
    };
    let name = format!("sportello_test_{}", Uuid::now_v7().simple());
    let admin = Store::connect(
        &admin_url,
        &ConnectOptions {
            max_connections: 1,
            ..Default::default()
        },
    )
    .await
    .unwrap_or_else(|e| panic!("cannot connect to the test cluster: {e}"));
    admin
        .execute_unchecked(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap_or_else(|e| panic!("cannot create a test database: {e}"));
    admin.close().await;
    let (base, query) = match admin_url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (admin_url.as_str(), String::new()),
    };
    let prefix = base.rsplit_once('/').map_or(base, |(prefix, _)| prefix);
    Some(format!("{prefix}/{name}{query}"))
}

/// A migrated store on a new PostgreSQL database; see [`postgres_database_url`].
pub async fn postgres_store() -> Option<Store> {
    let url = postgres_database_url().await?;
    Some(migrated(&url).await)
}

async fn migrated(url: &str) -> Store {
    let store = Store::connect(url, &ConnectOptions::default())
        .await
        .unwrap_or_else(|e| panic!("cannot open the test database {url}: {e}"));
    store
        .migrate()
        .await
        .unwrap_or_else(|e| panic!("cannot migrate the test database: {e}"));
    store
}

/// Declares each listed `async fn(Store)` test twice, as `sqlite::name` and `postgres::name`.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::testing::sqlite_store().await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(store) = $crate::testing::postgres_store().await {
                        super::$name(store).await;
                    }
                }
            )*
        }
    };
}
