//! The procedure of an online service: the part of a service that decides how a request is
//! made and handled — form, attachments, term and meaning of silence, stamp duty, the office
//! that decides, the documents produced. It is versioned: the store keeps every procedure a
//! service has had, by [`Procedure::version_hash`], and a request stays bound to the version
//! it was made against, so changing the comune file never alters requests already made.

mod attachment;
mod contract;
mod permit;
mod stamp;
#[cfg(test)]
mod tests;

pub use attachment::{AttachmentSpec, AttachmentType};
pub use permit::{PermitSpec, Validity, ValidityCase};
pub use stamp::{STAMP_DUTY, StampDuty, StampDutyDue, StampRule};

use crate::form::{Answers, Condition, FieldError, FormSchema, Requirement};
use crate::local_rules::LocalRules;
use crate::pratica::{Silence, TermDays};
use crate::tenant_file::Issues;
use crate::{Cents, Slug};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashSet;

/// Which of Sportello's built-in rule sets decides a request's fee, checks and permit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProcedureKind {
    /// A form and a decision, with at most a fixed fee.
    Generic,
    /// Occupazione di suolo pubblico: canone unico quote (L. 160/2019 c. 816–847).
    PublicLandOccupation,
    /// Permesso di sosta per residenti: zone from the address, vehicles per household.
    ResidentParking,
    /// Contrassegno unificato disabili europeo (DPR 495/1992 art. 381).
    DisabledBadge,
    /// Permesso di accesso alla ZTL (DPR 250/1999): plates, zones, time windows.
    ZtlAccess,
}

/// A document a procedure produces. The receipt (L. 241/1990 art. 18-bis) is always
/// produced and is not listed in the comune file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DocumentKind {
    Receipt,
    /// The permit, with its validity and a verification QR code.
    Permit,
    /// A decision (*provvedimento*) without a validity period.
    Decision,
}

/// A term that applies when its condition holds (a longer term for permanent concessions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TermCase {
    pub when: Condition,
    pub term_days: TermDays,
}

/// `[services.procedure]` of an online service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Procedure {
    pub kind: ProcedureKind,
    /// Days the comune has to decide (L. 241/1990 art. 2): 30 unless the comune's table of
    /// procedures says otherwise, never above 180.
    #[serde(default)]
    pub term_days: TermDays,
    /// Terms depending on the answers; the first that holds wins.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub term_cases: Vec<TermCase>,
    /// What silence means when the term passes (art. 20: assent only where the comune says
    /// so, and never for health, environment, heritage and the other matters of c. 4).
    pub silence: Silence,
    /// The office that decides, when not the service's own office.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deciding_office: Option<Slug>,
    pub stamp_duty: StampDuty,
    /// A fixed fee in cents (`generic` procedures only; the other kinds compute theirs from
    /// the local rules).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_fee: Option<Cents>,
    /// The documents produced besides the receipt.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub documents: Vec<DocumentKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permit: Option<PermitSpec>,
    /// The form, as `[[services.procedure.steps]]`.
    #[serde(rename = "steps")]
    pub form: FormSchema,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<AttachmentSpec>,
}

impl Procedure {
    /// A stable fingerprint of the procedure (SHA-256, hex): equal for equal procedures,
    /// different as soon as anything a citizen or a rule could notice changes. It hashes
    /// the JSON form, whose field order is the struct's and whose lists keep their order;
    /// optional keys left out when empty keep old fingerprints valid when keys are added.
    pub fn version_hash(&self) -> String {
        // Serialising to JSON only fails for maps with non-string keys, which a procedure
        // does not have; the debug form is an equally deterministic fallback.
        let bytes = serde_json::to_vec(self).unwrap_or_else(|_| format!("{self:?}").into_bytes());
        Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The office that decides requests: the procedure's, or else the service's.
    pub fn deciding_office<'a>(&'a self, service_office: &'a Slug) -> &'a Slug {
        self.deciding_office.as_ref().unwrap_or(service_office)
    }

    /// The term of a request with these answers.
    pub fn term_for(&self, answers: &Answers) -> TermDays {
        self.term_cases
            .iter()
            .find(|case| self.form.condition_holds(&case.when, answers))
            .map_or(self.term_days, |case| case.term_days)
    }

    /// Every document produced, the receipt first.
    pub fn produced_documents(&self) -> Vec<DocumentKind> {
        std::iter::once(DocumentKind::Receipt)
            .chain(self.documents.iter().copied())
            .collect()
    }

    fn rule_holds(&self, rule: &StampRule, answers: &Answers) -> bool {
        match rule {
            StampRule::Never => false,
            StampRule::Always => true,
            StampRule::When(condition) => self.form.condition_holds(condition, answers),
        }
    }

    /// The stamp duty a request with these answers owes.
    pub fn stamp_duty_due(&self, answers: &Answers) -> StampDutyDue {
        let due = |rule| {
            if self.rule_holds(rule, answers) {
                STAMP_DUTY
            } else {
                Cents::ZERO
            }
        };
        StampDutyDue {
            on_request: due(&self.stamp_duty.on_request),
            on_permit: due(&self.stamp_duty.on_permit),
        }
    }

    pub fn attachment(&self, id: &str) -> Option<&AttachmentSpec> {
        self.attachments.iter().find(|a| a.id.as_str() == id)
    }

    /// The attachments asked for, given the answers.
    pub fn visible_attachments(&self, answers: &Answers) -> Vec<&AttachmentSpec> {
        self.attachments
            .iter()
            .filter(|a| {
                a.when
                    .as_ref()
                    .is_none_or(|c| self.form.condition_holds(c, answers))
            })
            .collect()
    }

    /// Whether an attachment must be uploaded, given the answers.
    pub fn is_attachment_required(&self, spec: &AttachmentSpec, answers: &Answers) -> bool {
        let shown = spec
            .when
            .as_ref()
            .is_none_or(|c| self.form.condition_holds(c, answers));
        shown
            && match &spec.required {
                Requirement::Always => true,
                Requirement::Never => false,
                Requirement::When(c) => self.form.condition_holds(c, answers),
            }
    }

    /// Problems with the attachments at submission, given how many files of each id were
    /// uploaded (each file already passed [`AttachmentSpec::check_upload`]).
    pub fn validate_attachments(
        &self,
        answers: &Answers,
        uploaded: impl Fn(&str) -> usize,
    ) -> Vec<FieldError> {
        self.visible_attachments(answers)
            .into_iter()
            .filter_map(|spec| {
                let count = uploaded(spec.id.as_str());
                if count == 0 && self.is_attachment_required(spec, answers) {
                    Some(FieldError::new(
                        spec.id.as_str(),
                        "Allega questo documento per proseguire.",
                        "Attach this document to continue.",
                    ))
                } else if count > usize::from(spec.max_files) {
                    Some(FieldError::new(
                        spec.id.as_str(),
                        format!("Puoi allegare al massimo {} file.", spec.max_files),
                        format!("You can attach at most {} files.", spec.max_files),
                    ))
                } else {
                    None
                }
            })
            .collect()
    }

    pub(crate) fn validate(
        &self,
        key: &str,
        office_ids: &HashSet<&str>,
        rules: &LocalRules,
        issues: &mut Issues,
    ) {
        if let Some(office) = &self.deciding_office
            && !office_ids.contains(office.as_str())
        {
            issues.push(
                format!("{key}.deciding_office"),
                format!("no office has id '{office}'"),
            );
        }
        if self.kind == ProcedureKind::DisabledBadge && self.silence == Silence::Assent {
            issues.push(
                format!("{key}.silence"),
                "silence cannot mean assent for a health matter (L. 241/1990 art. 20 c. 4): use \"inaction\"",
            );
        }
        for (i, case) in self.term_cases.iter().enumerate() {
            self.form.check_condition(
                &case.when,
                &format!("{key}.term_cases[{i}].when"),
                None,
                rules,
                issues,
            );
        }

        self.form.check(key, rules, issues);
        self.check_attachments(key, rules, issues);
        self.check_fees_and_documents(key, rules, issues);
        self.check_contract(key, rules, issues);
    }

    fn check_attachments(&self, key: &str, rules: &LocalRules, issues: &mut Issues) {
        let mut ids = HashSet::new();
        for (i, spec) in self.attachments.iter().enumerate() {
            let spec_key = format!("{key}.attachments[{i}] ({})", spec.id);
            if !ids.insert(spec.id.as_str()) {
                issues.push(format!("{spec_key}.id"), "is used by another attachment");
            }
            if self.form.field(spec.id.as_str()).is_some() {
                issues.push(
                    format!("{spec_key}.id"),
                    "is also the id of a form field: use a distinct id",
                );
            }
            issues.require_localized(&format!("{spec_key}.label"), &spec.label);
            if let Some(help) = &spec.help {
                issues.require_localized(&format!("{spec_key}.help"), help);
            }
            if let Some(condition) = &spec.when {
                self.form.check_condition(
                    condition,
                    &format!("{spec_key}.when"),
                    None,
                    rules,
                    issues,
                );
            }
            if let Requirement::When(condition) = &spec.required {
                self.form.check_condition(
                    condition,
                    &format!("{spec_key}.required"),
                    None,
                    rules,
                    issues,
                );
            }
            if let Some(step) = &spec.step
                && self.form.step(step.as_str()).is_none()
            {
                issues.push(
                    format!("{spec_key}.step"),
                    format!("no step '{step}' in the form"),
                );
            }
            match spec.retention_days {
                None if spec.sensitive => issues.push(
                    format!("{spec_key}.retention_days"),
                    "is required for sensitive documents: how many days after the decision they are deleted",
                ),
                Some(days) if days == 0 || days > AttachmentSpec::MAX_RETENTION_DAYS => issues.push(
                    format!("{spec_key}.retention_days"),
                    format!("must be between 1 and {}", AttachmentSpec::MAX_RETENTION_DAYS),
                ),
                _ => {}
            }
            if spec.max_bytes == 0 || spec.max_bytes > AttachmentSpec::MAX_BYTES_CAP {
                issues.push(
                    format!("{spec_key}.max_bytes"),
                    format!(
                        "must be between 1 and {} (20 MiB)",
                        AttachmentSpec::MAX_BYTES_CAP
                    ),
                );
            }
            let distinct: HashSet<_> = spec.accepted.iter().collect();
            if spec.accepted.is_empty() || distinct.len() != spec.accepted.len() {
                issues.push(
                    format!("{spec_key}.accepted"),
                    "must list each accepted type once: \"pdf\", \"jpeg\", \"png\"",
                );
            }
            if spec.max_files == 0 || spec.max_files > AttachmentSpec::MAX_FILES_CAP {
                issues.push(
                    format!("{spec_key}.max_files"),
                    format!("must be between 1 and {}", AttachmentSpec::MAX_FILES_CAP),
                );
            }
        }
    }

    fn check_fees_and_documents(&self, key: &str, rules: &LocalRules, issues: &mut Issues) {
        for (name, rule) in [
            ("on_request", &self.stamp_duty.on_request),
            ("on_permit", &self.stamp_duty.on_permit),
        ] {
            if let StampRule::When(condition) = rule {
                self.form.check_condition(
                    condition,
                    &format!("{key}.stamp_duty.{name}.when"),
                    None,
                    rules,
                    issues,
                );
            }
            if self.kind == ProcedureKind::DisabledBadge && *rule == StampRule::Always {
                issues.push(
                    format!("{key}.stamp_duty.{name}"),
                    "permanent disabled badges are exempt from stamp duty (DPR 642/1972, Tabella B, art. 13-bis): use { when = { field = \"badge_type\", any_of = [\"temporary\"] } }",
                );
            }
        }
        match self.fixed_fee {
            Some(_) if self.kind != ProcedureKind::Generic => issues.push(
                format!("{key}.fixed_fee"),
                format!(
                    "is only for generic procedures; the {} rules compute the fee from the local rules",
                    self.kind.key()
                ),
            ),
            Some(fee) if fee.get() <= 0 => issues.push(
                format!("{key}.fixed_fee"),
                "must be a positive amount in cents; remove it for a free service",
            ),
            _ => {}
        }

        let mut seen = HashSet::new();
        for (i, document) in self.documents.iter().enumerate() {
            if *document == DocumentKind::Receipt {
                issues.push(
                    format!("{key}.documents[{i}]"),
                    "the receipt is always produced: remove it",
                );
            }
            if !seen.insert(document) {
                issues.push(format!("{key}.documents[{i}]"), "is listed twice");
            }
        }
        let issues_permit = self.documents.contains(&DocumentKind::Permit);
        if self.stamp_duty.on_permit != StampRule::Never
            && !issues_permit
            && !self.documents.contains(&DocumentKind::Decision)
        {
            issues.push(
                format!("{key}.stamp_duty.on_permit"),
                "the procedure produces no permit or decision to put the stamp on",
            );
        }
        match (&self.permit, issues_permit) {
            (None, true) => issues.push(
                format!("{key}.permit"),
                "is required when documents lists \"permit\": say how long it is valid",
            ),
            (Some(_), false) => issues.push(
                format!("{key}.permit"),
                "is only allowed when documents lists \"permit\"",
            ),
            (Some(permit), true) => {
                self.check_permit(permit, &format!("{key}.permit"), rules, issues)
            }
            (None, false) => {}
        }
    }

    fn check_permit(
        &self,
        permit: &PermitSpec,
        key: &str,
        rules: &LocalRules,
        issues: &mut Issues,
    ) {
        let validities = std::iter::once((format!("{key}.validity"), &permit.validity)).chain(
            permit.validity_cases.iter().enumerate().map(|(i, case)| {
                (
                    format!("{key}.validity_cases[{i}].validity"),
                    &case.validity,
                )
            }),
        );
        for (validity_key, validity) in validities {
            match validity {
                Validity::Days(n) if !(1..=3660).contains(n) => {
                    issues.push(validity_key, "days must be between 1 and 3660");
                }
                Validity::Years(n) if !(1..=10).contains(n) => {
                    issues.push(validity_key, "years must be between 1 and 10");
                }
                Validity::Months(n) if !(1..=120).contains(n) => {
                    issues.push(validity_key, "months must be between 1 and 120");
                }
                Validity::FromAnswers(field) => {
                    self.require_date_field(field.as_str(), &validity_key, issues)
                }
                _ => {}
            }
        }
        for (i, case) in permit.validity_cases.iter().enumerate() {
            self.form.check_condition(
                &case.when,
                &format!("{key}.validity_cases[{i}].when"),
                None,
                rules,
                issues,
            );
        }
        if let Some(field) = &permit.from_field {
            self.require_date_field(field.as_str(), &format!("{key}.from_field"), issues);
        }
        if permit.renewal_reminder_days > 0 && !permit.renewable {
            issues.push(
                format!("{key}.renewal_reminder_days"),
                "a reminder to renew needs renewable = true",
            );
        }
        if permit.renewal_reminder_days > 365 {
            issues.push(
                format!("{key}.renewal_reminder_days"),
                "must be at most 365",
            );
        }
    }

    fn require_date_field(&self, field: &str, key: &str, issues: &mut Issues) {
        match self.form.field(field) {
            Some(f) if matches!(f.kind, crate::form::FieldKind::Date(_)) => {}
            Some(_) => issues.push(key, format!("'{field}' is not a date field")),
            None => issues.push(key, format!("no field '{field}' in the form")),
        }
    }
}
