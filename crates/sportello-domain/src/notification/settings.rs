//! `[notifications]` of a comune file: who the e-mails come from, the comune's App IO services
//! and its own wording of the messages.

use super::template::TemplateVersion;
use super::{Event, Topic};
use crate::lang::Lang;
use crate::slug::Slug;
use crate::tenant::Email;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationSettings {
    /// The sender of e-mails; without it the comune sends none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<EmailSender>,
    /// The comune's services on App IO (each has its own key), by topic.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub appio_services: Vec<AppIoService>,
    /// The comune's own wording, replacing Sportello's from `valid_from`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub templates: Vec<TemplateVersion>,
}

/// How e-mails from the comune are signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailSender {
    /// The display name, e.g. "Comune di Borgoverde".
    pub name: String,
    /// An address of the comune's domain that the SMTP relay may send from.
    pub address: Email,
    /// Where replies go (an office that reads them), when not the sender address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<Email>,
}

/// One of the comune's services on App IO. Citizens allow or block each service in the app,
/// so topics a citizen may want apart belong to different services.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppIoService {
    /// The comune's name for it, under which its key is stored (`sportello appio key set`).
    pub code: Slug,
    /// IO's `service_id` (`sender_service_id`), from the service card in Area Riservata.
    pub service_id: String,
    /// The name citizens see in the app.
    pub name: String,
    pub topics: Vec<Topic>,
    /// The most IO accepts for a payment through this service (`max_allowed_payment_amount`,
    /// cents); a larger notice goes without the pay button.
    #[serde(default = "default_max_payment")]
    pub max_payment_cents: u64,
}

fn default_max_payment() -> u64 {
    1_000_000
}

impl NotificationSettings {
    /// The IO service that speaks for `topic`, if the comune has one.
    pub fn appio_service(&self, topic: Topic) -> Option<&AppIoService> {
        self.appio_services
            .iter()
            .find(|s| s.topics.contains(&topic))
    }

    pub fn appio_service_by_code(&self, code: &str) -> Option<&AppIoService> {
        self.appio_services.iter().find(|s| s.code.as_str() == code)
    }

    /// The comune's latest wording of `event` in `lang` valid on `day`, if it has one.
    pub fn template(
        &self,
        event: Event,
        lang: Lang,
        day: jiff::civil::Date,
    ) -> Option<&TemplateVersion> {
        self.templates
            .iter()
            .filter(|t| t.event == event && t.lang == lang && t.valid_from <= day)
            .max_by_key(|t| (t.valid_from, t.version))
    }

    pub(crate) fn validate(&self, issues: &mut crate::tenant_file::Issues) {
        if let Some(email) = &self.email
            && email.name.trim().is_empty()
        {
            issues.push("notifications.email.name", "must not be empty");
        }
        let mut codes = HashSet::new();
        let mut topics = HashSet::new();
        for (i, service) in self.appio_services.iter().enumerate() {
            let key = format!("notifications.appio_services[{i}]");
            if !codes.insert(service.code.as_str()) {
                issues.push(format!("{key}.code"), "appears twice");
            }
            if service.service_id.trim().is_empty() || service.service_id.len() > 64 {
                issues.push(
                    format!("{key}.service_id"),
                    "is IO's service id (1 to 64 characters)",
                );
            }
            if service.name.trim().is_empty() {
                issues.push(format!("{key}.name"), "must not be empty");
            }
            if service.topics.is_empty() {
                issues.push(format!("{key}.topics"), "names at least one topic");
            }
            for topic in &service.topics {
                if !topics.insert(*topic) {
                    issues.push(
                        format!("{key}.topics"),
                        format!("topic {topic} already belongs to another service"),
                    );
                }
            }
            if !(1..=9_999_999_999).contains(&service.max_payment_cents) {
                issues.push(
                    format!("{key}.max_payment_cents"),
                    "must be between 1 and 9999999999 cents",
                );
            }
        }
        let mut versions = HashSet::new();
        for (i, template) in self.templates.iter().enumerate() {
            let key = format!("notifications.templates[{i}]");
            if !versions.insert((template.event, template.lang, template.version)) {
                issues.push(
                    format!("{key}.version"),
                    format!(
                        "version {} of {} ({}) appears twice",
                        template.version,
                        template.event,
                        template.lang.code()
                    ),
                );
            }
            if let Err(error) = template.check() {
                issues.push(key, error.to_string());
            }
        }
    }
}
