//! SPID and CIE (SAML 2.0) service provider, written for the AgID technical rules only.
//!
//! This is deliberately not a generic SAML library: every message shape SPID does not use is
//! rejected, so that no option of the standard can be turned against us.
//!
//! Layers, from the bottom:
//! - [`xml`]: hardened parsing (no DTD, size, depth and node limits) and the namespaces;
//! - [`c14n`]: exclusive XML canonicalisation, the only one SPID signatures use;
//! - [`keys`]: RSA keys, Avviso 29 certificates, raw signatures;
//! - [`dsig`]: enveloped XML-DSig, verified with pinned structure and trusted keys only;
//! - [`metadata`]: our SP metadata (SPID, CIE, aggregator) and the IdPs' metadata;
//! - [`authn_request`], [`logout`]: the messages we send and the redirect binding;
//! - [`response`]: validation of the IdP's answer, the 111 cases of AgID's suite and more;
//! - [`idp`]: the IdP side, for the local test IdP (the demo and the tests only).
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::todo)]

pub mod authn_request;
pub mod binding;
pub mod c14n;
pub mod dsig;
pub mod idp;
pub mod keys;
pub mod level;
pub mod logout;
pub mod metadata;
pub mod registry;
pub mod response;
pub mod xml;

pub use level::SpidLevel;
