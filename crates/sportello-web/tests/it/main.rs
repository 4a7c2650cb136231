//! The portal, driven in-process through its router on SQLite and PostgreSQL.

mod api;
mod auth;
mod notifications;
mod office;
mod pages;
mod payments;
mod public;
mod requests;
mod security;
mod support;
mod tenancy;
