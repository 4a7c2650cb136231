//! The application's use cases, shared by the HTML pages and the JSON API: each function
//! takes parsed input, asks the domain what may happen and has the store record it, in one
//! transaction with its audit entries and outbox messages. Nothing here knows HTTP.

pub(crate) mod citizen;
pub(crate) mod decisions;
pub(crate) mod notify;
pub mod payments;
pub(crate) mod submission;
