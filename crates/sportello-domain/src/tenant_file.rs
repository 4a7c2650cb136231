//! The comune file: one TOML document that defines a tenant, its offices and its service
//! catalogue (format in `docs/tenant-data.md`). Parsing checks the shape of every value;
//! validation then reports every remaining problem at once, each with the key that holds it,
//! so a comune's IT staff can fix a file in one pass.

use crate::local_rules::LocalRules;
use crate::service::{Deadline, Service, ServiceAccess, ServiceCategory, ServiceStatus};
use crate::tenant::{
    Address, Contacts, HostName, IpaCode, Links, Logo, LogoFormat, Office, PrivacyContacts,
};
use crate::text::{LocalizedBlock, LocalizedText};
use crate::{EnteCodiceFiscale, Lang, Slug, TenantProfile};
use serde::Deserialize;
use std::collections::HashSet;
use std::fmt;

/// A problem found in a comune file, with the key that holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub key: String,
    pub message: String,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TenantFileError {
    /// The TOML is malformed, or a value has the wrong shape (the message has line and column).
    #[error("{0}")]
    Syntax(String),
    /// The file parses but breaks rules that span several values.
    #[error("{} problem(s):\n{}", .0.len(), .0.iter().map(|i| format!("  - {i}")).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Issue>),
}

/// A validated comune file, ready to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantDefinition {
    pub slug: Slug,
    pub profile: TenantProfile,
    pub offices: Vec<Office>,
    pub services: Vec<Service>,
    /// File name of the stemma, relative to the comune file.
    pub logo_file: String,
}

impl TenantDefinition {
    pub fn from_toml(text: &str) -> Result<TenantDefinition, TenantFileError> {
        let file: TenantFile =
            toml::from_str(text).map_err(|e| TenantFileError::Syntax(e.to_string()))?;
        file.validate()
    }
}

impl Logo {
    /// Recognises an SVG or PNG stemma from its content, and checks the file name agrees.
    pub fn from_file(name: &str, bytes: Vec<u8>) -> Result<Logo, String> {
        const MAX_BYTES: usize = 512 * 1024;
        if bytes.len() > MAX_BYTES {
            return Err(format!("the logo is larger than {} KiB", MAX_BYTES / 1024));
        }
        let lower = name.to_ascii_lowercase();
        let format = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            LogoFormat::Png
        } else {
            let head =
                String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]).to_ascii_lowercase();
            if head.contains("<svg") {
                LogoFormat::Svg
            } else {
                return Err("the logo must be an SVG or PNG image".to_owned());
            }
        };
        let extension_matches = match format {
            LogoFormat::Png => lower.ends_with(".png"),
            LogoFormat::Svg => lower.ends_with(".svg"),
        };
        if !extension_matches {
            return Err(format!(
                "the content of '{name}' does not match its extension"
            ));
        }
        Ok(Logo { format, bytes })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TenantFile {
    slug: Slug,
    name: String,
    short_name: String,
    codice_fiscale: EnteCodiceFiscale,
    #[serde(default)]
    partita_iva: Option<EnteCodiceFiscale>,
    ipa_code: IpaCode,
    region: String,
    population: u32,
    #[serde(default)]
    domains: Vec<HostName>,
    #[serde(default)]
    pnrr_funded: bool,
    logo: String,
    address: Address,
    contacts: Contacts,
    links: Links,
    privacy: PrivacyContacts,
    #[serde(default)]
    offices: Vec<Office>,
    #[serde(default)]
    services: Vec<ServiceFile>,
    #[serde(default)]
    calendar: crate::calendar::Calendar,
    #[serde(default)]
    streets: Vec<crate::streets::Street>,
    #[serde(default)]
    canone: Option<crate::fees::canone::CanoneRules>,
    #[serde(default)]
    parking: Option<crate::parking::ParkingRules>,
    #[serde(default)]
    ztl: Option<crate::ztl::ZtlRules>,
    #[serde(default)]
    pagopa: Option<crate::payment::Collection>,
    #[serde(default)]
    notifications: crate::notification::NotificationSettings,
}

#[derive(Deserialize, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum StatusKey {
    #[default]
    Active,
    Inactive,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ServiceFile {
    slug: Slug,
    category: ServiceCategory,
    title: LocalizedText,
    #[serde(default)]
    status: StatusKey,
    #[serde(default)]
    inactive_reason: Option<LocalizedText>,
    short_description: LocalizedText,
    #[serde(default)]
    description: Option<LocalizedBlock>,
    audience: LocalizedBlock,
    how_to: LocalizedBlock,
    needed: LocalizedBlock,
    achieved: LocalizedBlock,
    calendar: LocalizedBlock,
    #[serde(default)]
    deadlines: Vec<Deadline>,
    #[serde(default)]
    costs: Option<LocalizedBlock>,
    access: ServiceAccess,
    conditions: LocalizedBlock,
    #[serde(default)]
    conditions_url: Option<crate::tenant::HttpsUrl>,
    office: Slug,
    topics: Vec<LocalizedText>,
    #[serde(default)]
    legal_basis: Vec<String>,
    #[serde(default)]
    featured: bool,
    #[serde(default)]
    login_level: crate::service::LoginLevel,
    #[serde(default)]
    procedure: Option<crate::procedure::Procedure>,
}

const SHORT_DESCRIPTION_MAX_CHARS: usize = 160;

pub(crate) struct Issues(pub(crate) Vec<Issue>);

impl Issues {
    pub(crate) fn push(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.0.push(Issue {
            key: key.into(),
            message: message.into(),
        });
    }

    pub(crate) fn require_text(&mut self, key: &str, value: &str) {
        if value.trim().is_empty() {
            self.push(key, "must not be empty");
        }
    }

    pub(crate) fn require_localized(&mut self, key: &str, text: &LocalizedText) {
        self.require_text(&format!("{key}.it"), &text.it);
        if text.en.as_deref().is_some_and(|en| en.trim().is_empty()) {
            self.push(
                format!("{key}.en"),
                "is empty: remove it to fall back to Italian",
            );
        }
    }

    pub(crate) fn require_block(&mut self, key: &str, block: &LocalizedBlock) {
        if block.it.is_empty() {
            self.push(format!("{key}.it"), "needs at least one paragraph or item");
        }
        if block.en.as_ref().is_some_and(|en| en.is_empty()) {
            self.push(
                format!("{key}.en"),
                "is empty: remove it to fall back to Italian",
            );
        }
    }
}

impl TenantFile {
    fn validate(self) -> Result<TenantDefinition, TenantFileError> {
        let mut issues = Issues(Vec::new());
        issues.require_text("name", &self.name);
        issues.require_text("short_name", &self.short_name);
        issues.require_text("region", &self.region);
        issues.require_text("address.street", &self.address.street);
        issues.require_text("address.city", &self.address.city);
        if !(self.address.postal_code.len() == 5
            && self.address.postal_code.bytes().all(|b| b.is_ascii_digit()))
        {
            issues.push("address.postal_code", "must be a five-digit CAP");
        }
        if !(self.address.province.len() == 2
            && self
                .address
                .province
                .bytes()
                .all(|b| b.is_ascii_uppercase()))
        {
            issues.push(
                "address.province",
                "must be the two-letter province code in capitals, e.g. \"BV\"",
            );
        }
        issues.require_text("contacts.phone", &self.contacts.phone);
        issues.require_text("privacy.dpo_name", &self.privacy.dpo_name);
        if self.population == 0 {
            issues.push("population", "must be the resident population, above zero");
        }
        let logo_name_ok = !self.logo.contains(['/', '\\'])
            && !self.logo.starts_with('.')
            && [".svg", ".png"]
                .iter()
                .any(|ext| self.logo.to_ascii_lowercase().ends_with(ext));
        if !logo_name_ok {
            issues.push(
                "logo",
                "must be the file name of an .svg or .png next to the comune file",
            );
        }
        let mut seen_domains = HashSet::new();
        for (i, domain) in self.domains.iter().enumerate() {
            if !seen_domains.insert(domain.as_str()) {
                issues.push(
                    format!("domains[{i}]"),
                    format!("'{domain}' is listed twice"),
                );
            }
        }

        let mut office_ids = HashSet::new();
        for (i, office) in self.offices.iter().enumerate() {
            let key = format!("offices[{i}]");
            if !office_ids.insert(office.id.as_str()) {
                issues.push(
                    format!("{key}.id"),
                    format!("'{}' is used by another office", office.id),
                );
            }
            issues.require_localized(&format!("{key}.name"), &office.name);
            issues.require_text(&format!("{key}.address"), &office.address);
            if office.opening_hours.it.is_empty() {
                issues.push(
                    format!("{key}.opening_hours.it"),
                    "must list at least one line",
                );
            }
        }

        let rules = LocalRules {
            streets: self.streets,
            canone: self.canone,
            parking: self.parking,
            ztl: self.ztl,
        };
        rules.validate(&mut issues);
        if let Some(pagopa) = &self.pagopa {
            pagopa.validate(&mut issues);
        }
        self.notifications.validate(&mut issues);

        let mut slugs = HashSet::new();
        let mut services = Vec::with_capacity(self.services.len());
        for (i, file) in self.services.into_iter().enumerate() {
            let key = format!("services[{i}] ({})", file.slug);
            if !slugs.insert(file.slug.clone()) {
                issues.push(format!("{key}.slug"), "is used by another service");
            }
            if !office_ids.contains(file.office.as_str()) {
                issues.push(
                    format!("{key}.office"),
                    format!("no office has id '{}'", file.office),
                );
            }
            issues.require_localized(&format!("{key}.title"), &file.title);
            issues.require_localized(&format!("{key}.short_description"), &file.short_description);
            for lang in Lang::ALL {
                let chars = file.short_description.get(lang).chars().count();
                if chars > SHORT_DESCRIPTION_MAX_CHARS {
                    issues.push(
                        format!("{key}.short_description.{}", lang.code()),
                        format!("has {chars} characters, at most {SHORT_DESCRIPTION_MAX_CHARS}"),
                    );
                }
            }
            for (name, block) in [
                ("audience", &file.audience),
                ("how_to", &file.how_to),
                ("needed", &file.needed),
                ("achieved", &file.achieved),
                ("calendar", &file.calendar),
                ("conditions", &file.conditions),
            ] {
                issues.require_block(&format!("{key}.{name}"), block);
            }
            for (name, block) in [("description", &file.description), ("costs", &file.costs)] {
                if let Some(block) = block {
                    issues.require_block(&format!("{key}.{name}"), block);
                }
            }
            if file.topics.is_empty() {
                issues.push(format!("{key}.topics"), "needs at least one topic");
            }
            for (t, topic) in file.topics.iter().enumerate() {
                issues.require_localized(&format!("{key}.topics[{t}]"), topic);
            }
            if let ServiceAccess::External { label, .. } = &file.access {
                issues.require_localized(&format!("{key}.access.label"), label);
            }
            let status = match (file.status, file.inactive_reason) {
                (StatusKey::Active, None) => ServiceStatus::Active,
                (StatusKey::Inactive, Some(reason)) => {
                    issues.require_localized(&format!("{key}.inactive_reason"), &reason);
                    ServiceStatus::Inactive { reason }
                }
                (StatusKey::Inactive, None) => {
                    issues.push(
                        format!("{key}.inactive_reason"),
                        "is required when status is \"inactive\"",
                    );
                    ServiceStatus::Active
                }
                (StatusKey::Active, Some(_)) => {
                    issues.push(
                        format!("{key}.inactive_reason"),
                        "is only allowed when status is \"inactive\"",
                    );
                    ServiceStatus::Active
                }
            };
            if let Some(procedure) = &file.procedure {
                if !file.access.is_online() {
                    issues.push(
                        format!("{key}.procedure"),
                        "is only allowed on services with access kind \"online\"",
                    );
                }
                procedure.validate(
                    &format!("{key}.procedure"),
                    &office_ids,
                    &rules,
                    &mut issues,
                );
            }
            services.push(Service {
                slug: file.slug,
                category: file.category,
                title: file.title,
                status,
                short_description: file.short_description,
                description: file.description,
                audience: file.audience,
                how_to: file.how_to,
                needed: file.needed,
                achieved: file.achieved,
                calendar: file.calendar,
                deadlines: file.deadlines,
                costs: file.costs,
                access: file.access,
                conditions: file.conditions,
                conditions_url: file.conditions_url,
                office: file.office,
                topics: file.topics,
                legal_basis: file.legal_basis,
                featured: file.featured,
                login_level: file.login_level,
                procedure: file.procedure,
            });
        }

        if !issues.0.is_empty() {
            return Err(TenantFileError::Invalid(issues.0));
        }
        Ok(TenantDefinition {
            slug: self.slug,
            profile: TenantProfile {
                name: self.name,
                short_name: self.short_name,
                codice_fiscale: self.codice_fiscale,
                partita_iva: self.partita_iva,
                ipa_code: self.ipa_code,
                region: self.region,
                population: self.population,
                domains: self.domains,
                pnrr_funded: self.pnrr_funded,
                address: self.address,
                contacts: self.contacts,
                links: self.links,
                privacy: self.privacy,
                calendar: self.calendar,
                rules,
                pagopa: self.pagopa,
                notifications: self.notifications,
            },
            offices: self.offices,
            services,
            logo_file: self.logo,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const MINIMAL: &str = r#"
slug = "prova"
name = "Comune di Prova"
short_name = "Prova"
codice_fiscale = "80000123457"
ipa_code = "c_m999"
region = "Regione Immaginaria"
population = 1200
logo = "prova.svg"

[address]
street = "Piazza Grande 1"
postal_code = "99099"
city = "Prova"
province = "PV"

[contacts]
phone = "+39 0123 000000"
email = "urp@comune-prova.example"
pec = "protocollo@pec.comune-prova.example"

[links]
institutional_site = "https://www.comune-prova.example/"
administration = "https://www.comune-prova.example/amministrazione"
news = "https://www.comune-prova.example/novita"
living = "https://www.comune-prova.example/vivere"
transparency = "https://www.comune-prova.example/trasparenza"
accessibility_declaration = "https://form.agid.gov.it/view/00000000-0000-0000-0000-000000000009"

[privacy]
dpo_name = "Studio Privacy Immaginario"
dpo_email = "dpo@comune-prova.example"

[[offices]]
id = "urp"
name = { it = "Ufficio Relazioni con il Pubblico", en = "Public Relations Office" }
address = "Piazza Grande 1"
phone = "+39 0123 000001"
email = "urp@comune-prova.example"
opening_hours = { it = ["Lunedì 9:00–12:00"] }

[[services]]
slug = "permesso-ztl"
category = "mobilita-e-trasporti"
title = { it = "Permesso ZTL", en = "ZTL permit" }
short_description = { it = "Chiedi il permesso per entrare nella zona a traffico limitato." }
audience.it.paragraphs = ["Residenti e imprese."]
how_to.it.items = ["Accedi", "Compila", "Invia"]
needed.it.items = ["Targa del veicolo"]
achieved.it.paragraphs = ["Il permesso."]
calendar.it.paragraphs = ["30 giorni."]
access = { kind = "online" }
conditions.it.paragraphs = ["Informativa privacy."]
office = "urp"
topics = [{ it = "Mobilità", en = "Mobility" }]
"#;

    #[test]
    fn a_minimal_file_is_accepted() {
        let definition = TenantDefinition::from_toml(MINIMAL);
        let definition = definition.unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(definition.slug.as_str(), "prova");
        assert_eq!(definition.services.len(), 1);
        assert!(definition.services[0].is_online());
        assert_eq!(definition.services[0].status, ServiceStatus::Active);
    }

    #[test]
    fn every_semantic_problem_is_reported_at_once() {
        let broken = MINIMAL
            .replace("office = \"urp\"", "office = \"ragioneria\"")
            .replace("postal_code = \"99099\"", "postal_code = \"9909\"")
            .replace(
                "topics = [{ it = \"Mobilità\", en = \"Mobility\" }]",
                "topics = []\nstatus = \"inactive\"",
            );
        let Err(TenantFileError::Invalid(issues)) = TenantDefinition::from_toml(&broken) else {
            unreachable!("the broken file was accepted")
        };
        let keys: Vec<&str> = issues.iter().map(|i| i.key.as_str()).collect();
        assert!(keys.contains(&"address.postal_code"), "{keys:?}");
        assert!(keys.iter().any(|k| k.ends_with(".office")), "{keys:?}");
        assert!(keys.iter().any(|k| k.ends_with(".topics")), "{keys:?}");
        assert!(
            keys.iter().any(|k| k.ends_with(".inactive_reason")),
            "{keys:?}"
        );
    }

    #[test]
    fn a_typo_in_a_key_is_an_error_not_a_silent_default() {
        let typo = MINIMAL
            .replace("pnrr_funded", "x")
            .replace("population = 1200", "population = 1200\npopolazione = 3");
        let Err(TenantFileError::Syntax(message)) = TenantDefinition::from_toml(&typo) else {
            unreachable!("the unknown key was accepted")
        };
        assert!(message.contains("popolazione"), "{message}");
    }

    #[test]
    fn a_wrong_check_digit_names_the_line() {
        let bad = MINIMAL.replace("80000123457", "80000123458");
        let Err(TenantFileError::Syntax(message)) = TenantDefinition::from_toml(&bad) else {
            unreachable!("a wrong codice fiscale was accepted")
        };
        assert!(
            message.contains("codice_fiscale") || message.contains("line 6"),
            "{message}"
        );
    }

    const GENERIC_PROCEDURE: &str = r#"
[services.procedure]
kind = "generic"
term_days = 20
silence = "inaction"
fixed_fee = 2500
documents = ["decision"]
stamp_duty = { on_request = "always", on_permit = "never" }

[[services.procedure.steps]]
id = "richiesta"
title = { it = "La richiesta", en = "Your request" }

[[services.procedure.steps.fields]]
id = "reason"
kind = "textarea"
label = { it = "Motivo", en = "Reason" }
"#;

    #[test]
    fn a_procedure_is_read_and_checked_with_its_service() {
        let with_procedure = format!("{MINIMAL}{GENERIC_PROCEDURE}");
        let definition =
            TenantDefinition::from_toml(&with_procedure).unwrap_or_else(|e| unreachable!("{e}"));
        let procedure = definition.services[0].procedure.as_ref();
        assert_eq!(
            procedure.map(|p| (p.kind, p.term_days.get(), p.fixed_fee)),
            Some((
                crate::procedure::ProcedureKind::Generic,
                20,
                Some(crate::Cents::new(2500))
            ))
        );

        let cases = [
            (
                with_procedure.replace(
                    "term_days = 20",
                    "term_days = 20\ndeciding_office = \"ragioneria\"",
                ),
                "services[0] (permesso-ztl).procedure.deciding_office",
            ),
            (
                with_procedure.replace(
                    "access = { kind = \"online\" }",
                    "access = { kind = \"office\" }",
                ),
                "services[0] (permesso-ztl).procedure",
            ),
            (
                with_procedure.replace("kind = \"generic\"", "kind = \"ztl-access\""),
                "services[0] (permesso-ztl).procedure.fixed_fee",
            ),
            (
                with_procedure.replace(
                    "id = \"reason\"\nkind = \"textarea\"",
                    "id = \"zone\"\nkind = \"choice\"\noptions_from = \"ztl.zones\"",
                ),
                "services[0] (permesso-ztl).procedure.steps[0] (richiesta).fields[0] (zone).options_from",
            ),
        ];
        for (text, key) in cases {
            let Err(TenantFileError::Invalid(issues)) = TenantDefinition::from_toml(&text) else {
                unreachable!("accepted: {key}")
            };
            assert!(issues.iter().any(|i| i.key == key), "{key}: {issues:#?}");
        }

        let Err(TenantFileError::Syntax(message)) =
            TenantDefinition::from_toml(&with_procedure.replace("silence = \"inaction\"", ""))
        else {
            unreachable!("a procedure without silence was accepted")
        };
        assert!(message.contains("silence"), "{message}");
    }

    /// The demo comuni are what a newcomer sees first: their files must load, and each online
    /// service must carry a procedure of its kind that says what its sheet says.
    #[test]
    fn the_demo_comuni_have_a_procedure_for_each_online_service() {
        use crate::form::Answers;
        use crate::procedure::{ProcedureKind, STAMP_DUTY};
        let files = [
            (
                "borgoverde",
                include_str!("../../../tenants/demo/borgoverde.toml"),
            ),
            (
                "valdoro",
                include_str!("../../../tenants/demo/valdoro.toml"),
            ),
        ];
        for (name, text) in files {
            let definition =
                TenantDefinition::from_toml(text).unwrap_or_else(|e| unreachable!("{name}: {e}"));
            let procedure = |slug: &str| {
                definition
                    .services
                    .iter()
                    .find(|s| s.slug.as_str() == slug)
                    .and_then(|s| s.procedure.clone())
                    .unwrap_or_else(|| unreachable!("{name}: {slug} has no procedure"))
            };
            for (slug, kind) in [
                (
                    "occupazione-suolo-pubblico",
                    ProcedureKind::PublicLandOccupation,
                ),
                ("permesso-sosta-residenti", ProcedureKind::ResidentParking),
                ("contrassegno-disabili", ProcedureKind::DisabledBadge),
                ("permesso-ztl", ProcedureKind::ZtlAccess),
            ] {
                assert_eq!(procedure(slug).kind, kind, "{name}: {slug}");
            }

            let badge = procedure("contrassegno-disabili");
            let mut answers = Answers::new();
            answers.set("badge_type", vec!["permanent".into()]);
            assert_eq!(badge.stamp_duty_due(&answers).total(), crate::Cents::ZERO);
            answers.set("badge_type", vec!["temporary".into()]);
            let due = badge.stamp_duty_due(&answers);
            assert_eq!((due.on_request, due.on_permit), (STAMP_DUTY, STAMP_DUTY));
            let certificate = badge.attachment("medical_certificate");
            assert!(certificate.is_some_and(|c| c.sensitive && c.retention_days.is_some()));

            // Each online service is its own version.
            let hashes: HashSet<String> = definition
                .services
                .iter()
                .filter_map(|s| s.procedure.as_ref().map(|p| p.version_hash()))
                .collect();
            assert_eq!(hashes.len(), 4, "{name}");
        }
    }

    #[test]
    fn logos_are_recognised_by_content() {
        assert!(Logo::from_file("a.svg", b"<?xml version=\"1.0\"?><svg></svg>".to_vec()).is_ok());
        assert!(Logo::from_file("a.png", b"<svg></svg>".to_vec()).is_err());
        assert!(Logo::from_file("a.svg", b"GIF89a".to_vec()).is_err());
        let png = b"\x89PNG\r\n\x1a\nrest".to_vec();
        assert_eq!(
            Logo::from_file("A.PNG", png).map(|l| l.format),
            Ok(LogoFormat::Png)
        );
    }
}
