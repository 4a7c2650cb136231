//! Sportello as an App IO sender: a client of the IO services API ("IO API for Public
//! Administration Services", `https://api.io.pagopa.it/api/v1`; the demo's stand-in serves the
//! same API at `/_mock/appio/api/v1`).
//!
//! Each comune's service on IO has its own API key ([`ServiceKey`]); a key *is* the service,
//! so the same client serves every comune and the key travels with each call.
//!
//! # Sending is asynchronous
//!
//! `POST /messages` only queues the message: it answers `201` with an id even when the
//! recipient has no IO profile, has not enabled the inbox, or has blocked the service. Such a
//! message later becomes `REJECTED`, and nobody is told. So the specification makes the sender
//! check the profile first, every time:
//!
//! 1. [`AppIoClient::check_profile`]: send only on [`ProfileCheck::Allowed`]; on
//!    [`ProfileCheck::NoProfile`] or [`ProfileCheck::SenderNotAllowed`] use another channel.
//! 2. [`AppIoClient::send`] with a [`NewMessage`] whose content types ([`Subject`],
//!    [`Markdown`], [`PaymentData`], [`TimeToLive`]) cannot hold what IO would refuse.
//! 3. [`AppIoClient::status`] polled until [`DeliveryStatus::is_final`]: `PROCESSED` means the
//!    message is in the citizen's inbox; `REJECTED` that the profile changed in between;
//!    `THROTTLED` is temporary (IO retries for up to seven days).
//!
//! Failures are [`ApiError`]s; [`ApiError::is_transient`] tells the ones worth retrying
//! (429, 5xx, timeouts, connection failures), honouring [`ApiError::retry_after`].
//!
//! The key is a secret: [`ServiceKey`]'s `Debug` hides it and no error or log line carries
//! it. Fiscal codes are personal data and are not logged either.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::todo)]

mod client;
mod error;
mod model;

pub use client::{AppIoClient, PRODUCTION_API_BASE, SUBSCRIPTION_KEY_HEADER, http_client};
pub use error::ApiError;
pub use model::{
    ChannelStatus, ContentError, DeliveryStatus, FeatureLevel, Markdown, MessageContent, MessageId,
    MessageStatus, NewMessage, PaymentData, PaymentStatus, ProfileCheck, ReadStatus, ServiceKey,
    Subject, TimeToLive,
};
