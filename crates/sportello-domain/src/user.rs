//! A citizen known to a comune: identified by SPID or CIE, with their choices about how the
//! comune may reach them.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use uuid::Uuid;

/// The identifier of a citizen in one comune. The same person in two comuni has two ids: a
/// comune sees only its own citizens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(Uuid);

impl UserId {
    /// A new, time-ordered identifier.
    pub fn generate() -> UserId {
        UserId(Uuid::now_v7())
    }

    pub const fn from_uuid(id: Uuid) -> UserId {
        UserId(id)
    }

    pub const fn as_uuid(&self) -> &Uuid {
        &self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A way the comune can send a citizen a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// The App IO, the public administration's app.
    Io,
    Email,
}

impl Channel {
    /// As stored and in the JSON API: `io`, `email`.
    pub fn code(self) -> &'static str {
        match self {
            Channel::Io => "io",
            Channel::Email => "email",
        }
    }

    pub fn parse(code: &str) -> Option<Channel> {
        [Channel::Io, Channel::Email]
            .into_iter()
            .find(|c| c.code() == code)
    }
}

/// How a citizen wants to be contacted. Stored as JSON: every field has a default, and unknown
/// fields are ignored, so rows written by an older or a newer release both still read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ContactPreferences {
    /// Messages through App IO: on unless the citizen turns it off, since IO is the channel the
    /// public administration is meant to use (and IO itself honours the citizen's own opt-outs).
    pub io: bool,
    /// Messages by e-mail: off until the citizen asks for it.
    pub email: bool,
    /// Where e-mail goes when the citizen chose an address; otherwise the one from SPID, if any.
    pub email_address: Option<String>,
    /// Per-topic choices (e.g. `"tari" → [io]`) that replace the two switches above for that
    /// topic. Topics are the keys the sending feature defines; the store does not interpret them.
    pub topics: BTreeMap<String, Vec<Channel>>,
    /// The address the citizen proved to read, by opening the link sent to it. E-mail goes
    /// only to a verified address: a typo must not send a comune's messages to a stranger.
    pub email_verified: Option<String>,
    /// The language of messages; Italian unless the citizen chose otherwise.
    pub language: Option<crate::lang::Lang>,
}

impl Default for ContactPreferences {
    fn default() -> Self {
        ContactPreferences {
            io: true,
            email: false,
            email_address: None,
            topics: BTreeMap::new(),
            email_verified: None,
            language: None,
        }
    }
}

impl ContactPreferences {
    /// The address e-mail may go to: the chosen one, once verified.
    pub fn verified_email(&self) -> Option<&str> {
        match (&self.email_address, &self.email_verified) {
            (Some(address), Some(verified)) if address.eq_ignore_ascii_case(verified) => {
                Some(address)
            }
            _ => None,
        }
    }

    /// Whether the citizen wants `channel` for messages on `topic`.
    pub fn wants(&self, topic: &str, channel: Channel) -> bool {
        self.channels_for(topic).contains(&channel)
    }

    /// The channels to use for a message on `topic`.
    pub fn channels_for(&self, topic: &str) -> Vec<Channel> {
        if let Some(channels) = self.topics.get(topic) {
            return channels.clone();
        }
        let mut channels = Vec::new();
        if self.io {
            channels.push(Channel::Io);
        }
        if self.email {
            channels.push(Channel::Email);
        }
        channels
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_unknown_fields_read_as_defaults() {
        // TOML rather than JSON only because this crate already reads TOML; serde is the same.
        let prefs: ContactPreferences = toml::from_str("email = true\nfuture_field = 1").unwrap();
        assert_eq!(
            prefs,
            ContactPreferences {
                email: true,
                ..ContactPreferences::default()
            }
        );
    }

    #[test]
    fn a_topic_choice_replaces_the_general_switches() {
        let mut prefs = ContactPreferences::default();
        assert_eq!(prefs.channels_for("tari"), [Channel::Io]);
        prefs.topics.insert("tari".into(), vec![Channel::Email]);
        assert_eq!(prefs.channels_for("tari"), [Channel::Email]);
        assert_eq!(prefs.channels_for("scuola"), [Channel::Io]);
        let read: ContactPreferences = toml::from_str("[topics]\ntari = [\"email\"]").unwrap();
        assert_eq!(read.topics, prefs.topics);
    }
}
