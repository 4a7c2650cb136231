//! Notifications to citizens.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::todo)]
pub mod mail;
