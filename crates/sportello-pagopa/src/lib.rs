//! Sportello as a pagoPA creditor (*Ente Creditore*) through GPD, the platform's archive of
//! debt positions ("integrazione asincrona"):
//!
//! - [`request`]: payment requests of Sportello's processes and the positions made of them;
//! - [`delivery`]: the outbox sink that creates, publishes and cancels positions at GPD,
//!   exactly once although GPD has no idempotency key;
//! - [`announce`]: the payment notice message to the debtor once a position is payable;
//! - [`receipts`]: learning of payments (the receipts list and per-position reads) and
//!   telling the owning process through the outbox;
//! - [`spontaneous`]: positions a citizen creates by paying from the comune's catalogue;
//! - [`reconcile`]: the nightly comparison of Sportello's positions with pagoPA's;
//! - [`checkout`]: pagoPA Checkout for paying at once from Sportello;
//! - [`notice`]: the payment notice (*avviso di pagamento*) and receipt of a position as PDF;
//! - [`gpd`]: the GPD v1 wire model and client; [`config`]: the environment and the keys.
//!
//! Everything that leaves the process goes through the outbox or is a read; secrets are
//! never logged.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::todo)]

pub mod announce;
pub mod checkout;
pub mod config;
pub mod delivery;
mod digest;
pub mod error;
pub mod gpd;
pub mod notice;
pub mod receipts;
pub mod reconcile;
pub mod request;
pub mod spontaneous;

pub use config::{PagoPaSettings, SubscriptionKey, http_client};
pub use delivery::PagoPaSink;
pub use error::ApiError;
pub use receipts::{PAYMENT_RECEIVED, PaymentReceived, ReceiptWatcher, record_receipt};
pub use request::{LineKind, PAYMENT_REQUESTED, PaymentLine, PaymentRequest, Purpose};
