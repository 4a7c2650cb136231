//! Sportello's domain: the types and rules of a comune's digital front desk.
//!
//! This crate does no IO and knows neither HTTP nor SQL. Every value that crosses a trust
//! boundary (a form field, a row, a tenant file) is parsed into a type from here, so that an
//! invalid codice fiscale, an unknown service category or a negative amount cannot exist past
//! the edge of the system.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::todo)]

pub mod assessment;
pub mod calendar;
pub mod codice_fiscale;
pub mod fees;
pub mod form;
pub mod lang;
pub mod local_rules;
pub mod money;
pub mod notification;
pub mod pagopa;
pub mod parking;
pub mod payment;
pub mod plate;
pub mod pratica;
pub mod procedure;
pub mod protocol;
pub mod rating;
pub mod role;
pub mod service;
pub mod slug;
pub mod streets;
pub mod tenant;
pub mod tenant_file;
pub mod text;
pub mod user;
pub mod ztl;

pub use codice_fiscale::{CodiceFiscale, EnteCodiceFiscale};
pub use lang::Lang;
pub use money::Cents;
pub use pagopa::{
    Iuv, IuvBase, NoticeNumber, NoticeNumberError, PostalAccount, PosteDataMatrix, SegregationCode,
    qr_payload,
};
pub use role::{Role, RoleError};
pub use service::{LoginLevel, Service, ServiceAccess, ServiceCategory, ServiceStatus};
pub use slug::Slug;
pub use tenant::{Office, Tenant, TenantId, TenantProfile};
pub use text::{Block, LocalizedBlock, LocalizedList, LocalizedText};
pub use user::{Channel, ContactPreferences, UserId};
