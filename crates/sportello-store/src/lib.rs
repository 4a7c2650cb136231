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
//! Identity lives here too: citizens and their roles per comune, sessions (the store keeps a
//! hash of the cookie's token, never the token), the state of SAML exchanges (one-shot pending
//! requests, the assertion replay cache, SPID's tracing log) and the service provider's keys.
//! Every change there writes its audit entry in the same transaction, with an [`Actor`].
//!
//! Online requests: each service's procedure is versioned at every import of the comune file,
//! drafts are saved step by step, the protocol register numbers each submission (see
//! [`protocol`]), [`attachments`] keeps uploaded files (sensitive ones encrypted), and each
//! pratica is a snapshot of the domain's state machine with its append-only history
//! ([`StoredPratica`], [`TenantScope::submit_draft`], [`TenantScope::apply_transition`]).
//!
//! Errors: every function returns [`StoreError`]; callers at the HTTP edge map it to a page.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::todo)]

#[macro_use]
mod db;
pub mod attachments;
mod audit;
pub mod campaigns;
mod drafts;
mod error;
mod jobs;
mod migrate;
pub mod notifications;
pub mod outbox;
pub mod payments;
mod pratiche;
pub mod protocol;
mod roles;
mod saml;
mod scope;
mod service_versions;
mod sessions;
mod sp_keys;
mod tenants;
#[cfg(feature = "test-support")]
#[allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]
pub mod testing;
mod time;
mod token;
mod users;

pub use audit::{Actor, AuditEntry, AuditRecord, ClientInfo};
pub use campaigns::{Campaign, campaign_origin};
pub use db::{Backend, ConnectOptions, Store, Tx};
pub use drafts::{Applicant, Draft, DraftId};
pub use error::StoreError;
pub use migrate::MigrationStatus;
pub use pratiche::{
    AssigneeFilter, QueueFilter, StoredEvent, StoredPratica, Submission, Submitted,
};
pub use saml::{
    NewPending, Pending, PendingKey, PendingKind, Purged, SamlTrace, TraceDirection, TraceKind,
    TracedMessage,
};
pub use scope::{RatingSummary, TenantScope};
pub use service_versions::{NewProcedureVersion, ProcedureVersion};
pub use sessions::{ActiveSession, EndedSession, NewSession, SESSION_TOUCH_INTERVAL, SessionEnd};
pub use sp_keys::{RETIRED_KEY_PUBLISHED_FOR, SpKey, SpKeyOwner, SpKeyState};
pub use tenants::ImportOutcome;
pub use time::DbTime;
pub use token::{BrowserToken, EmailToken, SessionToken};
pub use users::{LoginRecord, User};
// The persisted shape of a user's choices, re-exported for callers of `User`.
pub use sportello_domain::ContactPreferences;
