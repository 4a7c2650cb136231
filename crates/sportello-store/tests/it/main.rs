//! The store test-suite. Every test runs unchanged on SQLite and on PostgreSQL.

mod attachments;
mod citizens;
mod drafts;
mod fixtures;
mod migrations;
mod notifications;
mod outbox;
mod pratiche;
mod protocol;
mod requests;
mod roles;
mod saml;
mod service_versions;
mod sessions;
mod sp_keys;
mod tenants;
mod users;
