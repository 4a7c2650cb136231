//! Notifications to citizens: what happened ([`Event`]), under which [`Topic`] the citizen
//! chooses channels for it, and the message that tells them ([`template`]).
//!
//! A notification says *that* something happened and where to read it, never the content of
//! the file: no clerk's free text, no answers, no attachment names. The disabled parking badge
//! (CUDE) goes further: its service is never named, because naming it would reveal health data
//! (GDPR art. 9) to whoever reads the citizen's phone or mailbox.

mod delivery;
mod markdown;
mod settings;
pub mod template;

pub use delivery::{DeliveryStatus, SkipReason};
pub use markdown::{escape as escape_markdown, to_html, to_plain_text};
pub use settings::{AppIoService, EmailSender, NotificationSettings};
pub use template::{Composed, Facts, Template, TemplateError, TemplateVersion};

use serde::{Deserialize, Serialize};
use std::fmt;

/// What a notification tells the citizen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// The request was received and registered (protocol number, latest date for an answer).
    RequestReceived,
    /// The office needs documents; the term is suspended until they arrive.
    DocumentsRequested,
    /// Notice of the reasons against the request (L. 241/1990 art. 10-bis): observations within
    /// ten days.
    RefusalNotice,
    RequestApproved,
    RequestRejected,
    /// A permit runs out soon: time to renew it.
    PermitExpiring,
    /// A pagoPA notice to pay, with its amount, notice number and due date.
    PaymentNotice,
    /// A municipal tax instalment falls due (IMU, TARI).
    TaxDeadline,
}

impl Event {
    pub const ALL: [Event; 8] = [
        Event::RequestReceived,
        Event::DocumentsRequested,
        Event::RefusalNotice,
        Event::RequestApproved,
        Event::RequestRejected,
        Event::PermitExpiring,
        Event::PaymentNotice,
        Event::TaxDeadline,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Event::RequestReceived => "request_received",
            Event::DocumentsRequested => "documents_requested",
            Event::RefusalNotice => "refusal_notice",
            Event::RequestApproved => "request_approved",
            Event::RequestRejected => "request_rejected",
            Event::PermitExpiring => "permit_expiring",
            Event::PaymentNotice => "payment_notice",
            Event::TaxDeadline => "tax_deadline",
        }
    }

    pub fn parse(code: &str) -> Option<Event> {
        Event::ALL.into_iter().find(|e| e.code() == code)
    }

    pub fn topic(self) -> Topic {
        match self {
            Event::RequestReceived
            | Event::DocumentsRequested
            | Event::RefusalNotice
            | Event::RequestApproved
            | Event::RequestRejected => Topic::Requests,
            Event::PaymentNotice => Topic::Payments,
            Event::PermitExpiring | Event::TaxDeadline => Topic::Deadlines,
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// What citizens choose channels for: one switch per topic rather than per event, so the
/// profile page stays short.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    /// The progress of the citizen's requests.
    Requests,
    /// Notices to pay.
    Payments,
    /// Expiring permits and tax deadlines.
    Deadlines,
}

impl Topic {
    pub const ALL: [Topic; 3] = [Topic::Requests, Topic::Payments, Topic::Deadlines];

    pub fn code(self) -> &'static str {
        match self {
            Topic::Requests => "requests",
            Topic::Payments => "payments",
            Topic::Deadlines => "deadlines",
        }
    }

    pub fn parse(code: &str) -> Option<Topic> {
        Topic::ALL.into_iter().find(|t| t.code() == code)
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The absolute address of a page of a comune, for links in messages: its own domain when it
/// has one, else the platform's address (`server.public_url`) followed by its slug. Without a
/// public address the link is relative to the platform.
pub fn page_url(public_url: Option<&str>, tenant: &crate::Tenant, path: &str) -> String {
    let base = match (tenant.profile.domains.first(), public_url) {
        (Some(domain), _) => format!("https://{}", domain.as_str()),
        (None, Some(public)) => format!("{}/{}", public.trim_end_matches('/'), tenant.slug),
        (None, None) => format!("/{}", tenant.slug),
    };
    format!("{base}{path}")
}
