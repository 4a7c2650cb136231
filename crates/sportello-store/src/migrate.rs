//! Versioned schema migrations, embedded in the binary, one set per backend.

use crate::db::Db;
use crate::{Store, StoreError};
use sqlx::SqlStr;
use sqlx::migrate::{Migrate, Migration, MigrationType, Migrator};

type Source = (i64, &'static str, &'static str);

const SQLITE: &[Source] = &[
    (
        1,
        "foundation",
        include_str!("../migrations/sqlite/0001_foundation.sql"),
    ),
    (
        2,
        "identity",
        include_str!("../migrations/sqlite/0002_identity.sql"),
    ),
    (
        3,
        "requests",
        include_str!("../migrations/sqlite/0003_requests.sql"),
    ),
    (
        4,
        "payments",
        include_str!("../migrations/sqlite/0004_payments.sql"),
    ),
    (
        5,
        "notifications",
        include_str!("../migrations/sqlite/0005_notifications.sql"),
    ),
];
const POSTGRES: &[Source] = &[
    (
        1,
        "foundation",
        include_str!("../migrations/postgres/0001_foundation.sql"),
    ),
    (
        2,
        "identity",
        include_str!("../migrations/postgres/0002_identity.sql"),
    ),
    (
        3,
        "requests",
        include_str!("../migrations/postgres/0003_requests.sql"),
    ),
    (
        4,
        "payments",
        include_str!("../migrations/postgres/0004_payments.sql"),
    ),
    (
        5,
        "notifications",
        include_str!("../migrations/postgres/0005_notifications.sql"),
    ),
];

/// Which migrations the database has and which it still needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    pub applied: Vec<i64>,
    pub pending: Vec<i64>,
    /// Versions applied to the database that this binary does not know: a newer release ran.
    pub unknown: Vec<i64>,
}

impl MigrationStatus {
    pub fn is_current(&self) -> bool {
        self.pending.is_empty() && self.unknown.is_empty()
    }
}

fn migrator(sources: &[Source]) -> Migrator {
    Migrator::with_migrations(
        sources
            .iter()
            .map(|(version, description, sql)| {
                Migration::new(
                    *version,
                    (*description).into(),
                    MigrationType::Simple,
                    SqlStr::from_static(sql),
                    false,
                )
            })
            .collect(),
    )
}

impl Store {
    fn sources(&self) -> &'static [Source] {
        match self.db {
            Db::Sqlite(_) => SQLITE,
            Db::Postgres(_) => POSTGRES,
        }
    }

    /// Applies every pending migration. Safe to run from several instances at once: PostgreSQL
    /// serialises them with an advisory lock, SQLite with its write lock.
    pub async fn migrate(&self) -> Result<MigrationStatus, StoreError> {
        let migrator = migrator(self.sources());
        on_db!(&self.db, pool => migrator.run(pool).await)?;
        self.migration_status().await
    }

    pub async fn migration_status(&self) -> Result<MigrationStatus, StoreError> {
        let known: Vec<i64> = self.sources().iter().map(|(v, _, _)| *v).collect();
        let applied: Vec<i64> = on_db!(&self.db, pool => {
            let mut conn = pool.acquire().await?;
            conn.ensure_migrations_table("_sqlx_migrations").await?;
            conn.list_applied_migrations("_sqlx_migrations").await?
        })
        .into_iter()
        .map(|m| m.version)
        .collect();
        Ok(MigrationStatus {
            pending: known
                .iter()
                .copied()
                .filter(|v| !applied.contains(v))
                .collect(),
            unknown: applied
                .iter()
                .copied()
                .filter(|v| !known.contains(v))
                .collect(),
            applied,
        })
    }
}
