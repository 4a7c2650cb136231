//! Sportello as an App IO sender.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::todo)]
