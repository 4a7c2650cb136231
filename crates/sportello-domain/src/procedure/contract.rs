//! The answers each built-in rule set reads: a form of that kind must ask them, with a
//! field kind the rule can read. Checked when the comune file is imported, so a renamed
//! field is an import error instead of a request the rules cannot assess.

use super::{Procedure, ProcedureKind};
use crate::form::{ChoiceOptions, FieldKind, OptionSource};
use crate::local_rules::LocalRules;
use crate::tenant_file::Issues;

/// What a rule needs of a field.
enum Expect {
    /// A choice offering only (some of) these values.
    Choice(&'static [&'static str]),
    /// A choice whose options come from the local rules.
    ChoiceFrom(OptionSource),
    /// A multiple choice whose options come from the local rules.
    MultiChoiceFrom(OptionSource),
    Street,
    Text,
    Textarea,
    Integer,
    Decimal,
    Date,
    Time,
    Plate,
    /// A plates field allowing at most this many plates.
    Plates(u8),
}

impl Expect {
    fn describe(&self) -> String {
        match self {
            Expect::Choice(values) => format!("a choice among {}", values.join(", ")),
            Expect::ChoiceFrom(source) => {
                format!("a choice with options_from = \"{}\"", source.key())
            }
            Expect::MultiChoiceFrom(source) => {
                format!("a multi-choice with options_from = \"{}\"", source.key())
            }
            Expect::Street => "a street field".into(),
            Expect::Text => "a text field".into(),
            Expect::Textarea => "a textarea field".into(),
            Expect::Integer => "an integer field".into(),
            Expect::Decimal => "a decimal field".into(),
            Expect::Date => "a date field".into(),
            Expect::Time => "a time field".into(),
            Expect::Plate => "a plate field".into(),
            Expect::Plates(max) => format!("a plates field with max ≤ {max}"),
        }
    }
}

const VEHICLE_TITLES: &[&str] = &["owned", "leased", "company", "rental", "loan"];
const REQUEST_TYPES: &[&str] = &["first", "renewal"];

/// The field ids of the contract between forms and the built-in rules.
fn contract(kind: ProcedureKind) -> &'static [(&'static str, Expect)] {
    use Expect::*;
    match kind {
        ProcedureKind::Generic => &[],
        ProcedureKind::PublicLandOccupation => &[
            ("place_kind", Choice(&["street", "description"])),
            ("street", Street),
            ("house_number", Text),
            ("place_description", Textarea),
            (
                "occupation_kind",
                ChoiceFrom(OptionSource::CanoneOccupationKinds),
            ),
            ("area_m2", Decimal),
            ("start_date", Date),
            ("end_date", Date),
            ("start_time", Time),
            ("end_time", Time),
            ("purpose", Textarea),
        ],
        ProcedureKind::ResidentParking => &[
            ("street", Street),
            ("house_number", Text),
            ("plate", Plate),
            ("vehicle_title", Choice(VEHICLE_TITLES)),
            ("request_type", Choice(REQUEST_TYPES)),
            ("household_permits", Integer),
        ],
        // At most two plates may be linked to a CUDE on the national platform (DM MIMS
        // 5 July 2021).
        ProcedureKind::DisabledBadge => &[
            ("badge_type", Choice(&["permanent", "temporary"])),
            ("request_type", Choice(REQUEST_TYPES)),
            ("previous_badge_number", Text),
            ("temporary_until", Date),
            ("plates", Plates(2)),
        ],
        ProcedureKind::ZtlAccess => &[
            ("category", ChoiceFrom(OptionSource::ZtlCategories)),
            ("plates", Plates(crate::form::PLATES_MAX_CAP)),
            ("zones", MultiChoiceFrom(OptionSource::ZtlZones)),
            ("start_date", Date),
            ("end_date", Date),
            ("reason", Textarea),
        ],
    }
}

impl ProcedureKind {
    /// The kebab-case name used in the comune file.
    pub fn key(self) -> &'static str {
        match self {
            ProcedureKind::Generic => "generic",
            ProcedureKind::PublicLandOccupation => "public-land-occupation",
            ProcedureKind::ResidentParking => "resident-parking",
            ProcedureKind::DisabledBadge => "disabled-badge",
            ProcedureKind::ZtlAccess => "ztl-access",
        }
    }

    /// The field ids the kind's rules read.
    pub fn contract_fields(self) -> Vec<&'static str> {
        contract(self).iter().map(|(id, _)| *id).collect()
    }
}

impl Procedure {
    pub(super) fn check_contract(&self, key: &str, rules: &LocalRules, issues: &mut Issues) {
        let kind = self.kind.key();
        for (id, expect) in contract(self.kind) {
            let Some(field) = self.form.field(id) else {
                issues.push(
                    format!("{key}.steps"),
                    format!(
                        "a {kind} form needs a field '{id}' ({}), read by the {kind} rules",
                        expect.describe()
                    ),
                );
                continue;
            };
            let field_key = format!("{key}.steps (field '{id}')");
            let compatible = match (expect, &field.kind) {
                (Expect::Choice(_), FieldKind::Choice { .. }) => true,
                (
                    Expect::ChoiceFrom(source),
                    FieldKind::Choice {
                        options: ChoiceOptions::From(from),
                        ..
                    },
                ) => source == from,
                (
                    Expect::MultiChoiceFrom(source),
                    FieldKind::MultiChoice {
                        options: ChoiceOptions::From(from),
                    },
                ) => source == from,
                (Expect::Street, FieldKind::Street)
                | (Expect::Text, FieldKind::Text { .. })
                | (Expect::Textarea, FieldKind::Textarea { .. })
                | (Expect::Integer, FieldKind::Integer { .. })
                | (Expect::Decimal, FieldKind::Decimal { .. })
                | (Expect::Date, FieldKind::Date(_))
                | (Expect::Time, FieldKind::Time { .. })
                | (Expect::Plate, FieldKind::Plate) => true,
                (Expect::Plates(limit), FieldKind::Plates { max }) => {
                    if max > limit {
                        issues.push(
                            format!("{field_key}.max"),
                            format!("a {kind} request links at most {limit} plates"),
                        );
                    }
                    true
                }
                _ => false,
            };
            if !compatible {
                issues.push(
                    format!("{field_key}.kind"),
                    format!(
                        "must be {} for the {kind} rules, not {}",
                        expect.describe(),
                        field.kind.key()
                    ),
                );
                continue;
            }
            if let Expect::Choice(values) = expect {
                for option in field.choice_options(rules) {
                    if !values.contains(&option.value.as_str()) {
                        issues.push(
                            format!("{field_key}.options"),
                            format!(
                                "'{}' is not a value the {kind} rules know ({})",
                                option.value,
                                values.join(", ")
                            ),
                        );
                    }
                }
            }
        }
        // The vehicle titles a form offers must be ones the parking rules accept.
        if self.kind == ProcedureKind::ResidentParking
            && let (Some(parking), Some(field)) = (&rules.parking, self.form.field("vehicle_title"))
        {
            for option in field.choice_options(rules) {
                let accepted = parking
                    .vehicle_titles
                    .iter()
                    .any(|title| title.as_str() == option.value);
                if !accepted {
                    issues.push(
                        format!("{key}.steps (field 'vehicle_title').options"),
                        format!(
                            "'{}' is not among the vehicle titles of [parking].vehicle_titles",
                            option.value
                        ),
                    );
                }
            }
        }
        if self.kind == ProcedureKind::DisabledBadge {
            match self.attachment("medical_certificate") {
                None => issues.push(
                    format!("{key}.attachments"),
                    "a disabled-badge request needs a 'medical_certificate' attachment",
                ),
                Some(spec) if !spec.sensitive => issues.push(
                    format!("{key}.attachments (medical_certificate).sensitive"),
                    "a medical certificate is health data (GDPR art. 9): set sensitive = true",
                ),
                Some(_) => {}
            }
            if self.attachment("photo").is_none() {
                issues.push(
                    format!("{key}.attachments"),
                    "a disabled-badge request needs a 'photo' attachment (the badge carries the holder's photograph)",
                );
            }
        }
    }
}
