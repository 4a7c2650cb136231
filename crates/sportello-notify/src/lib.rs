//! Notifications to citizens, delivered from the outbox: App IO (with the mandatory profile
//! check first, and the message's status followed until it is final) and e-mail over SMTP,
//! by the citizen's preferences per topic, with e-mail standing in when IO cannot reach them.
//!
//! - [`delivery`]: the outbox sink (`notification.requested`, `email.verify`);
//! - [`status`]: asks App IO what became of accepted messages;
//! - [`mail`]: the SMTP mailer.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::todo)]

pub mod delivery;
mod gate;
pub mod mail;
pub mod status;

pub use delivery::{EMAIL_VERIFY, NotificationSink};
pub use status::StatusWatcher;
