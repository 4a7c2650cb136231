//! pagoPA's GPD (Gestione Posizioni Debitorie): the wire model and the client.

pub mod client;
pub mod model;

pub use client::{Creditor, GpdClient};
pub use model::{PaymentPositionModel, PositionResponse};
