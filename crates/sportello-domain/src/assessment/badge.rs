//! Contrassegno unificato disabili europeo (CUDE, DPR 495/1992 art. 381 as amended by DPR
//! 151/2012): permanent badges last 5 years (c. 3), temporary ones the period the medical
//! certificate states (c. 4). Up to two plates may be linked to the badge so that ZTL gates
//! recognise them (national CUDE platform, DM 5 July 2021); badge holders may drive into
//! limited traffic zones (DPR 503/1996 art. 11), so the linked plates are authorised in every
//! zone at any time.
//!
//! The badge carries no health data: its terms show the validity and nothing else, and
//! nothing of the medical certificate is read here. The fee is nil; stamp duty, owed only by
//! temporary badges, is part of the service's procedure.

use super::reader::Reader;
use super::{Assessment, PermitTerms, RequestType, Validity};
use crate::Cents;
use crate::form::{Answers, FieldError, format_date};
use crate::local_rules::LocalRules;
use jiff::civil::Date;

/// The most plates a badge may be linked to on the national platform.
const MAX_PLATES: usize = 2;

/// How long a permanent badge lasts (art. 381 c. 3); a temporary one never lasts longer.
const PERMANENT_VALIDITY: Validity = Validity::Years(5);

pub(super) fn assess(
    answers: &Answers,
    rules: &LocalRules,
    today: Date,
) -> Result<Assessment, Vec<FieldError>> {
    let mut r = Reader::new(answers);
    let permanent = r.choice(
        "badge_type",
        (
            "Scegli se chiedi il contrassegno permanente o temporaneo.",
            "Choose whether you are applying for a permanent or a temporary badge.",
        ),
        |value| match value {
            "permanent" => Some(true),
            "temporary" => Some(false),
            _ => None,
        },
    );
    let request = r.choice(
        "request_type",
        (
            "Indica se è il primo rilascio o un rinnovo.",
            "Say whether this is a first issue or a renewal.",
        ),
        RequestType::parse,
    );
    if request == Some(RequestType::Renewal) {
        r.required(
            "previous_badge_number",
            (
                "Indica il numero del contrassegno da rinnovare.",
                "Enter the number of the badge to renew.",
            ),
        );
    }
    let longest = PERMANENT_VALIDITY.fixed_until(today).unwrap_or(Date::MAX);
    let until = match permanent {
        Some(true) => Some(longest),
        Some(false) => r
            .date(
                "temporary_until",
                Some((
                    "Indica fino a quando vale il contrassegno temporaneo, come scritto nel certificato medico.",
                    "Enter until when the temporary badge is valid, as stated in the medical certificate.",
                )),
            )
            .filter(|&until| {
                if until <= today {
                    r.error(
                        "temporary_until",
                        "La data di scadenza deve essere successiva a oggi.",
                        "The expiry date must be after today.",
                    );
                    false
                } else if until > longest {
                    r.error(
                        "temporary_until",
                        format!(
                            "Un contrassegno temporaneo non può durare più di 5 anni: al massimo fino al {}.",
                            format_date(longest)
                        ),
                        format!(
                            "A temporary badge cannot last more than 5 years: at most until {}.",
                            format_date(longest)
                        ),
                    );
                    false
                } else {
                    true
                }
            }),
        None => None,
    };
    let plates = r.plates("plates");
    if r.answers.all("plates").len() > MAX_PLATES {
        r.error(
            "plates",
            "Puoi associare al contrassegno al massimo 2 targhe.",
            "You can link at most 2 number plates to the badge.",
        );
    }

    let (Some(until), Some(_)) = (until, request) else {
        return Err(r.errors);
    };
    if !r.errors.is_empty() {
        return Err(r.errors);
    }
    let mut permit = PermitTerms::from(today);
    permit.valid_until = Some(until);
    if !plates.is_empty()
        && let Some(ztl) = &rules.ztl
    {
        permit.zones = ztl.zones.iter().map(|z| z.id.clone()).collect();
    }
    permit.plates = plates;
    Ok(Assessment {
        fee: None,
        fee_total: Cents::ZERO,
        fee_set_by_office: false,
        permit,
        zone: None,
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::{Fields, Pairs, TODAY, answers, fields, rules};
    use super::*;
    use crate::procedure::ProcedureKind;
    use jiff::civil::date;

    fn run(pairs: &[(&str, &str)]) -> Result<Assessment, Vec<FieldError>> {
        super::super::assess(
            ProcedureKind::DisabledBadge,
            &answers(pairs),
            &rules(),
            TODAY,
        )
    }

    #[test]
    fn permanent_badges_last_five_years_temporary_ones_as_certified() {
        let cases: [(Pairs, Date); 4] = [
            (
                &[("badge_type", "permanent"), ("request_type", "first")],
                date(2030, 5, 5),
            ),
            (
                &[
                    ("badge_type", "permanent"),
                    ("request_type", "renewal"),
                    ("previous_badge_number", "BV-2020-0042"),
                ],
                date(2030, 5, 5),
            ),
            (
                &[
                    ("badge_type", "temporary"),
                    ("request_type", "first"),
                    ("temporary_until", "2025-11-30"),
                ],
                date(2025, 11, 30),
            ),
            (
                &[
                    ("badge_type", "temporary"),
                    ("request_type", "first"),
                    ("temporary_until", "05/05/2030"),
                ],
                date(2030, 5, 5),
            ),
        ];
        for (pairs, until) in cases {
            let assessment = run(pairs).unwrap_or_else(|e| panic!("{pairs:?}: {e:?}"));
            assert_eq!(assessment.permit.valid_from, TODAY);
            assert_eq!(assessment.permit.valid_until, Some(until), "{pairs:?}");
            assert_eq!(assessment.fee_total, Cents::ZERO);
            assert_eq!(assessment.fee, None);
            // No line of the badge can reveal anything about its holder's health.
            assert!(assessment.permit.lines.is_empty());
        }
    }

    #[test]
    fn linked_plates_pass_every_ztl_gate() {
        let assessment = run(&[
            ("badge_type", "permanent"),
            ("request_type", "first"),
            ("plates", "AB123CD"),
            ("plates", "d:mab 1234"),
        ])
        .unwrap_or_else(|e| panic!("{e:?}"));
        let authorisation = assessment
            .permit
            .ztl_authorisation(ProcedureKind::DisabledBadge)
            .unwrap_or_else(|| panic!("no authorisation"));
        assert_eq!(
            authorisation
                .plates
                .iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>(),
            ["AB123CD", "D:MAB1234"]
        );
        assert_eq!(
            authorisation
                .zones
                .iter()
                .map(|z| z.as_str())
                .collect::<Vec<_>>(),
            ["centro", "borgo"]
        );
        assert!(authorisation.windows.is_empty());
        assert_eq!(authorisation.valid_until, Some(date(2030, 5, 5)));

        let without = run(&[("badge_type", "permanent"), ("request_type", "first")]);
        let without = without.unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            without
                .permit
                .ztl_authorisation(ProcedureKind::DisabledBadge),
            None
        );
    }

    #[test]
    fn every_problem_is_said_next_to_its_field() {
        let cases: [(Pairs, Fields); 9] = [
            (&[], &["badge_type", "request_type"]),
            (
                &[("badge_type", "forever"), ("request_type", "first")],
                &["badge_type"],
            ),
            (
                &[("badge_type", "permanent"), ("request_type", "renewal")],
                &["previous_badge_number"],
            ),
            (
                &[("badge_type", "temporary"), ("request_type", "first")],
                &["temporary_until"],
            ),
            (
                &[
                    ("badge_type", "temporary"),
                    ("request_type", "first"),
                    ("temporary_until", "2025-05-05"),
                ],
                &["temporary_until"],
            ),
            (
                &[
                    ("badge_type", "temporary"),
                    ("request_type", "first"),
                    ("temporary_until", "2030-05-06"),
                ],
                &["temporary_until"],
            ),
            (
                &[
                    ("badge_type", "permanent"),
                    ("request_type", "first"),
                    ("plates", "AB123CD"),
                    ("plates", "EF456GH"),
                    ("plates", "LM789NP"),
                ],
                &["plates"],
            ),
            (
                &[
                    ("badge_type", "permanent"),
                    ("request_type", "first"),
                    ("plates", "AB123CD"),
                    ("plates", "ab 123 cd"),
                ],
                &["plates"],
            ),
            (
                &[
                    ("badge_type", "permanent"),
                    ("request_type", "first"),
                    ("plates", "AB12"),
                ],
                &["plates"],
            ),
        ];
        for (pairs, expected) in cases {
            assert_eq!(fields(&run(pairs)), expected, "{pairs:?}");
        }
        let too_long = run(&[
            ("badge_type", "temporary"),
            ("request_type", "first"),
            ("temporary_until", "2031-01-01"),
        ]);
        assert_eq!(
            too_long.err().unwrap_or_default()[0].message.it,
            "Un contrassegno temporaneo non può durare più di 5 anni: al massimo fino al 05/05/2030."
        );
    }
}
