//! The store test-suite. Every test runs unchanged on SQLite and on PostgreSQL.

mod fixtures;
mod migrations;
mod outbox;
mod tenants;
