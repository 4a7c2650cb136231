//! The store test-suite. Every test runs unchanged on SQLite and on PostgreSQL.

mod citizens;
mod fixtures;
mod migrations;
mod outbox;
mod roles;
mod saml;
mod sessions;
mod sp_keys;
mod tenants;
mod users;
