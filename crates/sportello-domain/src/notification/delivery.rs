//! How far a notification got on one channel.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The state of a notification on one channel (App IO or e-mail).
///
/// `Sending` is written just before the call that sends and replaced as soon as the answer is
/// in. Found after a crash, it means the message may or may not have gone: it becomes
/// [`DeliveryStatus::Uncertain`] and is never sent again automatically, because App IO and
/// SMTP have no idempotency key; a clerk can resend it knowingly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Not tried yet, or to be tried again.
    Pending,
    Sending,
    /// App IO took it (201) and is delivering it to the citizen's app.
    Accepted,
    /// In the citizen's IO inbox (`PROCESSED`), or handed to the mail relay (250).
    Delivered,
    /// IO refused it after accepting: no profile, or the citizen blocked the service.
    Rejected,
    /// The mail server refused the address (5xx): a bounce.
    Bounced,
    /// Refused for good, or given up after retries.
    Failed,
    /// Not used for this notification; the reason says why.
    Skipped,
    /// A crash while sending: it may have gone.
    Uncertain,
}

impl DeliveryStatus {
    pub const ALL: [DeliveryStatus; 9] = [
        DeliveryStatus::Pending,
        DeliveryStatus::Sending,
        DeliveryStatus::Accepted,
        DeliveryStatus::Delivered,
        DeliveryStatus::Rejected,
        DeliveryStatus::Bounced,
        DeliveryStatus::Failed,
        DeliveryStatus::Skipped,
        DeliveryStatus::Uncertain,
    ];

    pub fn code(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Sending => "sending",
            DeliveryStatus::Accepted => "accepted",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Rejected => "rejected",
            DeliveryStatus::Bounced => "bounced",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Skipped => "skipped",
            DeliveryStatus::Uncertain => "uncertain",
        }
    }

    pub fn parse(code: &str) -> Option<DeliveryStatus> {
        DeliveryStatus::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Nothing more will happen on this channel by itself.
    pub fn is_final(self) -> bool {
        !matches!(
            self,
            DeliveryStatus::Pending | DeliveryStatus::Sending | DeliveryStatus::Accepted
        )
    }

    /// The message reached the citizen's inbox or mail server, or is on its way there.
    pub fn reached(self) -> bool {
        matches!(self, DeliveryStatus::Accepted | DeliveryStatus::Delivered)
    }

    /// Ended without reaching the citizen.
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            DeliveryStatus::Rejected
                | DeliveryStatus::Bounced
                | DeliveryStatus::Failed
                | DeliveryStatus::Uncertain
        )
    }
}

impl fmt::Display for DeliveryStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Why a channel was not used, shown to the citizen and the clerk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// The citizen has no App IO profile, or has not enabled the inbox.
    NoProfile,
    /// The citizen blocked this comune's service in the app.
    ServiceBlocked,
    /// The comune has no IO service (or no key) for this topic.
    NoService,
    /// The citizen turned this channel off for this topic.
    OptedOut,
    /// No verified e-mail address.
    NoAddress,
    /// The comune sends no e-mail (no sender configured).
    NotConfigured,
    /// App IO reached the citizen and they did not ask for e-mail too.
    NotNeeded,
}

impl SkipReason {
    pub const ALL: [SkipReason; 7] = [
        SkipReason::NoProfile,
        SkipReason::ServiceBlocked,
        SkipReason::NoService,
        SkipReason::OptedOut,
        SkipReason::NoAddress,
        SkipReason::NotConfigured,
        SkipReason::NotNeeded,
    ];

    pub fn code(self) -> &'static str {
        match self {
            SkipReason::NoProfile => "no_profile",
            SkipReason::ServiceBlocked => "service_blocked",
            SkipReason::NoService => "no_service",
            SkipReason::OptedOut => "opted_out",
            SkipReason::NoAddress => "no_address",
            SkipReason::NotConfigured => "not_configured",
            SkipReason::NotNeeded => "not_needed",
        }
    }

    pub fn parse(code: &str) -> Option<SkipReason> {
        SkipReason::ALL.into_iter().find(|s| s.code() == code)
    }

    /// IO could not be used: the e-mail channel stands in for it.
    pub fn calls_for_fallback(self) -> bool {
        matches!(
            self,
            SkipReason::NoProfile | SkipReason::ServiceBlocked | SkipReason::NoService
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for status in DeliveryStatus::ALL {
            assert_eq!(DeliveryStatus::parse(status.code()), Some(status));
        }
        for reason in SkipReason::ALL {
            assert_eq!(SkipReason::parse(reason.code()), Some(reason));
        }
        assert!(!DeliveryStatus::Accepted.is_final() && DeliveryStatus::Uncertain.is_final());
    }
}
