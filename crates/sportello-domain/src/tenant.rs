//! A tenant is a comune: its identity, contacts, offices and the links its pages must carry.

use crate::Slug;
use crate::codice_fiscale::EnteCodiceFiscale;
use crate::text::{LocalizedList, LocalizedText};
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// The identifier of a tenant. Every tenant-owned row carries one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TenantId(Uuid);

impl TenantId {
    /// A new, time-ordered identifier.
    pub fn generate() -> TenantId {
        TenantId(Uuid::now_v7())
    }

    pub const fn from_uuid(id: Uuid) -> TenantId {
        TenantId(id)
    }

    pub const fn as_uuid(&self) -> &Uuid {
        &self.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A comune, as stored: its id, its slug and everything it publishes about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    pub id: TenantId,
    pub slug: Slug,
    pub profile: TenantProfile,
}

/// What a comune publishes about itself: identity, address, contacts and mandatory links.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantProfile {
    pub name: String,
    pub short_name: String,
    pub codice_fiscale: EnteCodiceFiscale,
    pub partita_iva: Option<EnteCodiceFiscale>,
    pub ipa_code: IpaCode,
    pub region: String,
    pub population: u32,
    pub domains: Vec<HostName>,
    pub pnrr_funded: bool,
    pub address: Address,
    pub contacts: Contacts,
    pub links: Links,
    pub privacy: PrivacyContacts,
    /// The comune's holidays beyond the national ones (its patron saint), for deadlines.
    #[serde(default)]
    pub calendar: crate::calendar::Calendar,
    /// Streets, tariffs, parking and ZTL rules that the procedures apply.
    #[serde(default)]
    pub rules: crate::local_rules::LocalRules,
    /// How the comune collects through pagoPA; `None` until it has joined.
    #[serde(default)]
    pub pagopa: Option<crate::payment::Collection>,
    /// E-mail sender, App IO services and the comune's own wording of notifications.
    #[serde(default)]
    pub notifications: crate::notification::NotificationSettings,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Address {
    pub street: String,
    pub postal_code: String,
    pub city: String,
    pub province: String,
}

impl Address {
    /// One line, as an Italian address is written: "Piazza Roma 1, 99010 Borgoverde (BV)".
    pub fn one_line(&self) -> String {
        format!(
            "{}, {} {} ({})",
            self.street, self.postal_code, self.city, self.province
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contacts {
    pub phone: String,
    pub email: Email,
    pub pec: Email,
    #[serde(default)]
    pub switchboard_hours: Option<LocalizedText>,
}

/// Links to the comune's institutional site that the header and footer must show
/// (Designers Italia model for comuni). Those Sportello can render itself are optional.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Links {
    pub institutional_site: HttpsUrl,
    pub administration: HttpsUrl,
    pub news: HttpsUrl,
    pub living: HttpsUrl,
    pub transparency: HttpsUrl,
    pub accessibility_declaration: HttpsUrl,
    #[serde(default)]
    pub privacy_policy: Option<HttpsUrl>,
    #[serde(default)]
    pub legal_notes: Option<HttpsUrl>,
    #[serde(default)]
    pub faq: Option<HttpsUrl>,
    #[serde(default)]
    pub booking: Option<HttpsUrl>,
    #[serde(default)]
    pub assistance: Option<HttpsUrl>,
    #[serde(default)]
    pub report_inefficiency: Option<HttpsUrl>,
    #[serde(default)]
    pub site_map: Option<HttpsUrl>,
}

/// The data protection officer named in the privacy notice (GDPR art. 13 and 37).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivacyContacts {
    pub dpo_name: String,
    pub dpo_email: Email,
}

/// An office of the comune, responsible for services (L. 241/1990 art. 5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Office {
    pub id: Slug,
    pub name: LocalizedText,
    #[serde(default)]
    pub description: Option<LocalizedText>,
    pub address: String,
    pub phone: String,
    pub email: Email,
    #[serde(default)]
    pub pec: Option<Email>,
    pub opening_hours: LocalizedList,
    #[serde(default)]
    pub manager: Option<String>,
}

/// The comune's stemma or logo, shown in the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logo {
    pub format: LogoFormat,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogoFormat {
    Svg,
    Png,
}

impl LogoFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            LogoFormat::Svg => "image/svg+xml",
            LogoFormat::Png => "image/png",
        }
    }

    pub fn from_content_type(value: &str) -> Option<LogoFormat> {
        match value {
            "image/svg+xml" => Some(LogoFormat::Svg),
            "image/png" => Some(LogoFormat::Png),
            _ => None,
        }
    }
}

macro_rules! validated_string {
    ($(#[$meta:meta])* $name:ident, $check:expr, $message:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn parse(value: &str) -> Result<$name, InvalidValue> {
                let check: fn(&str) -> bool = $check;
                if check(value) {
                    Ok($name(value.to_owned()))
                } else {
                    Err(InvalidValue { expected: $message })
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidValue;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                $name::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

/// A value that does not have the expected shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected {expected}")]
pub struct InvalidValue {
    pub expected: &'static str,
}

validated_string!(
    /// The code of a body in the IPA index (Indice dei domicili digitali della PA), e.g. `c_h501`.
    IpaCode,
    |v| (2..=20).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'),
    "an IPA code: 2 to 20 letters, digits or '_'"
);

validated_string!(
    /// An absolute `https://` URL without spaces or characters that would need escaping.
    HttpsUrl,
    |v| v.len() <= 2048
        && v.strip_prefix("https://").is_some_and(|rest| {
            !rest.is_empty() && !rest.starts_with('/') && !rest.contains(['"', '<', '>', '\\', '`'])
        })
        && !v.chars().any(|c| c.is_whitespace() || c.is_control()),
    "an absolute https:// URL"
);

validated_string!(
    /// An e-mail or PEC address.
    Email,
    |v| v.len() <= 254
        && !v.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | ','))
        && v.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
                && !domain.contains('@')
        }),
    "an e-mail address"
);

validated_string!(
    /// A DNS host name that serves a comune, such as `servizi.comune.borgoverde.it`.
    HostName,
    |v| (1..=253).contains(&v.len())
        && v.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        }),
    "a lower-case host name such as servizi.comune.example.it"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_urls_only() {
        assert!(HttpsUrl::parse("https://www.comune-borgoverde.example/amministrazione").is_ok());
        for bad in [
            "http://example.org",
            "https://",
            "https:///path",
            "javascript:alert(1)",
            "https://a b",
            "https://x\"onmouseover=1",
        ] {
            assert!(HttpsUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails_and_hosts() {
        assert!(Email::parse("protocollo@pec.comune-borgoverde.example").is_ok());
        for bad in [
            "no-at.example",
            "@example.org",
            "a@b",
            "a@.b",
            "a b@c.d",
            "a@b.c@d.e",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
        assert!(HostName::parse("servizi.comune.borgoverde.it").is_ok());
        assert!(HostName::parse("Servizi.Example").is_err());
        assert!(HostName::parse("bad..example").is_err());
    }

    #[test]
    fn ipa_codes() {
        assert!(IpaCode::parse("c_h501").is_ok());
        assert!(IpaCode::parse("c h501").is_err());
        assert!(IpaCode::parse("").is_err());
    }

    #[test]
    fn address_reads_as_italians_write_it() {
        let address = Address {
            street: "Piazza del Municipio 1".into(),
            postal_code: "99010".into(),
            city: "Borgoverde".into(),
            province: "BV".into(),
        };
        assert_eq!(
            address.one_line(),
            "Piazza del Municipio 1, 99010 Borgoverde (BV)"
        );
    }
}
