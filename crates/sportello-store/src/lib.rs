//! Sportello's persistence.
//!
//! One [`Store`] API over two backends: SQLite (embedded, the default) and PostgreSQL. Both run
//! the same SQL text (positional `$n` parameters work on both), each against its own migrations;
//! the [`on_db!`] macro type-checks every query once per backend, so a type that one backend
//! cannot encode fails to compile instead of failing in production.
//!
//! Tenant data is reached only through [`TenantScope`], which binds the tenant id into every
//! query it runs: a query that forgets the tenant cannot be written through it.
//!
//! Errors: every function returns [`StoreError`]; callers at the HTTP edge map it to a page.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::todo)]

#[macro_use]
mod db;
mod audit;
mod error;
mod migrate;
pub mod outbox;
mod scope;
mod tenants;
#[cfg(feature = "test-support")]
#[allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]
pub mod testing;
mod time;

pub use audit::{AuditEntry, AuditRecord};
pub use db::{Backend, ConnectOptions, Store, Tx};
pub use error::StoreError;
pub use migrate::MigrationStatus;
pub use scope::{RatingSummary, TenantScope};
pub use tenants::ImportOutcome;
pub use time::DbTime;
