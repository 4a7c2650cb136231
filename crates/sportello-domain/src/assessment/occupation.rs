//! Occupazione di suolo pubblico: the canone quote and the terms of the permit.

use super::reader::Reader;
use super::{Assessment, PermitTerms, period, with_fee};
use crate::fees::canone::{QuoteInput, area_string, quote, time_string};
use crate::fees::{FeeBreakdown, Line, both, same};
use crate::form::{Answers, FieldError};
use crate::local_rules::LocalRules;
use crate::streets::{self, HouseNumber};
use crate::text::LocalizedText;
use jiff::civil::Date;

pub(super) fn assess(
    answers: &Answers,
    rules: &LocalRules,
    today: Date,
) -> Result<Assessment, Vec<FieldError>> {
    let mut r = Reader::new(answers);

    // Where: a street of the list (with a house number, when there is one) or a description.
    let described = match r.optional("place_kind") {
        Some("description") => true,
        Some("street") => false,
        None => r.optional("street").is_none() && r.optional("place_description").is_some(),
        Some(_) => {
            r.error(
                "place_kind",
                "Scegli se indicare una via dell'elenco o descrivere il luogo.",
                "Choose whether to pick a street from the list or describe the place.",
            );
            false
        }
    };
    let mut street = None;
    let mut place = String::new();
    if described {
        if let Some(description) = r.required(
            "place_description",
            (
                "Descrivi il luogo dell'occupazione.",
                "Describe the place of the occupation.",
            ),
        ) {
            place = description.to_owned();
        }
    } else if let Some(id) = r.required(
        "street",
        (
            "Scegli la via dall'elenco.",
            "Choose the street from the list.",
        ),
    ) {
        match streets::find(&rules.streets, id) {
            Some(found) => {
                street = Some(found);
                place = found.name.clone();
            }
            None => r.error(
                "street",
                "La via indicata non è nello stradario del Comune: sceglila dall'elenco o descrivi il luogo.",
                "The street is not in the Comune's street list: choose it from the list or describe the place.",
            ),
        }
        if let Some(number) = r.optional("house_number") {
            match HouseNumber::parse(number) {
                Ok(number) => {
                    if let Some(street) = street {
                        place = street.address(&number);
                    }
                }
                Err(_) => r.error(
                    "house_number",
                    "Il numero civico non è valido: scrivilo come sulla targhetta, per esempio 12, 12/A o 12 bis.",
                    "The house number is not valid: write it as on the door, for example 12, 12/A or 12 bis.",
                ),
            }
        }
    }

    // What, how large.
    let canone = rules.canone.as_ref();
    let kind = r
        .required(
            "occupation_kind",
            (
                "Scegli il tipo di occupazione.",
                "Choose the type of occupation.",
            ),
        )
        .and_then(|id| {
            let kind = canone.and_then(|c| c.occupation_kind(id));
            if kind.is_none() {
                r.error(
                    "occupation_kind",
                    "Scegli un tipo di occupazione dall'elenco.",
                    "Choose a type of occupation from the list.",
                );
            }
            kind
        });
    let area = r
        .decimal(
            "area_m2",
            (
                "Indica la superficie occupata in metri quadrati.",
                "Enter the area occupied in square metres.",
            ),
        )
        .filter(|area| {
            let positive = area.hundredths() > 0;
            if !positive {
                r.error(
                    "area_m2",
                    "La superficie deve essere maggiore di zero.",
                    "The area must be greater than zero.",
                );
            }
            positive
        });

    // When.
    let start = r.date(
        "start_date",
        Some((
            "Indica la data di inizio dell'occupazione.",
            "Enter the start date of the occupation.",
        )),
    );
    let end = r.date(
        "end_date",
        Some((
            "Indica la data di fine dell'occupazione.",
            "Enter the end date of the occupation.",
        )),
    );
    if let Some(start) = start
        && start < today
    {
        r.error(
            "start_date",
            "La data di inizio non può essere nel passato.",
            "The start date cannot be in the past.",
        );
    }
    if let (Some(start), Some(end)) = (start, end)
        && end < start
    {
        r.error(
            "end_date",
            "La data di fine non può essere precedente alla data di inizio.",
            "The end date cannot be before the start date.",
        );
    }
    // A same-day occupation of a kind priced by the hour needs its hours.
    let same_day = start.is_some() && start == end;
    let hourly = same_day && kind.is_some_and(|k| k.hourly.is_some());
    let missing_start = hourly.then_some((
        "Per un'occupazione di poche ore indica l'ora di inizio.",
        "For an occupation of a few hours, enter the start time.",
    ));
    let missing_end = hourly.then_some((
        "Per un'occupazione di poche ore indica l'ora di fine.",
        "For an occupation of a few hours, enter the end time.",
    ));
    let start_time = r.time("start_time", missing_start);
    let end_time = r.time("end_time", missing_end);
    let times = match (start_time, end_time) {
        (Some(from), Some(to)) if same_day => {
            if to <= from {
                r.error(
                    "end_time",
                    "L'ora di fine deve essere successiva all'ora di inizio.",
                    "The end time must be after the start time.",
                );
            }
            Some((from, to))
        }
        _ => None,
    };

    let (Some(kind), Some(area), Some(start), Some(end)) = (kind, area, start, end) else {
        return Err(r.errors);
    };
    if !r.errors.is_empty() {
        return Err(r.errors);
    }

    let fee = match street {
        Some(street) => {
            let quoted = canone.map(|canone| {
                quote(
                    canone,
                    &QuoteInput {
                        road_category: street.road_category.as_str(),
                        occupation_kind: kind.id.as_str(),
                        area_hundredths_m2: area.hundredths(),
                        start,
                        end,
                        times,
                    },
                )
            });
            match quoted {
                Some(Ok(quote)) => Some(FeeBreakdown {
                    lines: quote.lines,
                    total: quote.total,
                }),
                Some(Err(error)) => {
                    r.error(
                        error.field(),
                        error.message().it,
                        error.message().en.unwrap_or_default(),
                    );
                    return Err(r.errors);
                }
                None => None,
            }
        }
        None => None,
    };
    let fee_set_by_office = street.is_none();

    let mut permit = PermitTerms::from(start);
    permit.valid_until = Some(end);
    permit.lines.push(Line::plain("Luogo", "Place", place));
    permit.lines.push(Line::new(
        both("Tipo di occupazione", "Type of occupation"),
        kind.name.clone(),
    ));
    permit.lines.push(Line::plain(
        "Superficie",
        "Area",
        area_string(area.hundredths()),
    ));
    permit
        .lines
        .push(Line::new(both("Periodo", "Period"), period(start, end)));
    if let Some((from, to)) = times {
        permit.lines.push(Line::new(
            both("Orario", "Time"),
            LocalizedText {
                it: format!("dalle {} alle {}", time_string(from), time_string(to)),
                en: Some(format!("from {} to {}", time_string(from), time_string(to))),
            },
        ));
    }
    if let Some(purpose) = r.optional("purpose") {
        permit
            .lines
            .push(Line::new(both("Scopo", "Purpose"), same(purpose)));
    }
    let (fee, fee_total) = with_fee(fee);
    Ok(Assessment {
        fee,
        fee_total,
        fee_set_by_office,
        permit,
        zone: None,
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::{Fields, Pairs, TODAY, answers, fields, rules};
    use super::*;
    use crate::Cents;
    use crate::procedure::ProcedureKind;

    fn run(pairs: &[(&str, &str)]) -> Result<Assessment, Vec<FieldError>> {
        super::super::assess(
            ProcedureKind::PublicLandOccupation,
            &answers(pairs),
            &rules(),
            TODAY,
        )
    }

    const SCAFFOLD: [(&str, &str); 7] = [
        ("place_kind", "street"),
        ("street", "via-roma"),
        ("house_number", "12/a"),
        ("occupation_kind", "ponteggio"),
        ("area_m2", "12,4"),
        ("start_date", "2025-06-01"),
        ("end_date", "2025-06-20"),
    ];

    #[test]
    fn a_scaffold_in_a_listed_street_is_quoted() {
        let assessment = run(&SCAFFOLD).unwrap_or_else(|e| panic!("{e:?}"));
        // 13 m² × 20 days × €0,70 × 1,00 × 1,00.
        assert_eq!(assessment.fee_total, Cents::new(18_200));
        assert!(!assessment.fee_set_by_office);
        assert_eq!(assessment.permit.valid_from, jiff::civil::date(2025, 6, 1));
        assert_eq!(
            assessment.permit.valid_until,
            Some(jiff::civil::date(2025, 6, 20))
        );
        let lines: Vec<(&str, &str)> = assessment
            .permit
            .lines
            .iter()
            .map(|l| (l.label.it.as_str(), l.value.it.as_str()))
            .collect();
        assert_eq!(
            lines,
            [
                ("Luogo", "Via Roma 12/A"),
                ("Tipo di occupazione", "Ponteggio"),
                ("Superficie", "12,40 m²"),
                ("Periodo", "dal 01/06/2025 al 20/06/2025"),
            ]
        );
        let fee = assessment.fee.unwrap_or_else(|| panic!("no fee"));
        assert!(fee.lines.iter().any(|l| l.value.it == "13 m²"));
    }

    #[test]
    fn fees_by_place_kind_and_time() {
        let cases: [(Pairs, i64); 5] = [
            // Category 2: 13 × 20 × 0,70 × 0,70 = 127,40.
            (&[("street", "viale-stazione")], 12_740),
            // A removal van on one day, 3 hours (minimum 4 of 24):
            // 40 × 4/24 × 0,70 × 1,00 × 0,50 = 2,333… → 2,33 → minimum 10,00.
            (
                &[
                    ("occupation_kind", "trasloco"),
                    ("area_m2", "40"),
                    ("end_date", "2025-06-01"),
                    ("start_time", "08:00"),
                    ("end_time", "11:00"),
                ],
                1_000,
            ),
            // 400 m² for 12 hours: 400 × 12/24 × 0,35 = 70,00.
            (
                &[
                    ("occupation_kind", "trasloco"),
                    ("area_m2", "400"),
                    ("end_date", "2025-06-01"),
                    ("start_time", "07:00"),
                    ("end_time", "19:00"),
                ],
                7_000,
            ),
            // Starting today is allowed.
            (
                &[("start_date", "05/05/2025"), ("end_date", "05/05/2025")],
                1_000,
            ),
            // Times on a multi-day scaffold are ignored.
            (&[("start_time", "08:00"), ("end_time", "07:00")], 18_200),
        ];
        for (overrides, total) in cases {
            let mut pairs: Vec<(&str, &str)> = SCAFFOLD
                .iter()
                .filter(|(field, _)| !overrides.iter().any(|(f, _)| f == field))
                .copied()
                .collect();
            pairs.extend_from_slice(overrides);
            let assessment = run(&pairs).unwrap_or_else(|e| panic!("{overrides:?}: {e:?}"));
            assert_eq!(assessment.fee_total, Cents::new(total), "{overrides:?}");
        }
    }

    #[test]
    fn a_described_place_is_priced_by_the_office() {
        let assessment = run(&[
            ("place_kind", "description"),
            ("place_description", "Area verde dietro la scuola"),
            ("occupation_kind", "ponteggio"),
            ("area_m2", "10"),
            ("start_date", "2025-06-01"),
            ("end_date", "2025-06-02"),
            ("purpose", "Festa di quartiere"),
        ])
        .unwrap_or_else(|e| panic!("{e:?}"));
        assert!(assessment.fee_set_by_office);
        assert_eq!(assessment.fee, None);
        assert_eq!(
            assessment.permit.lines[0].value.it,
            "Area verde dietro la scuola"
        );
        assert_eq!(
            assessment.permit.lines.last().map(|l| l.value.it.as_str()),
            Some("Festa di quartiere")
        );
    }

    #[test]
    fn every_problem_is_said_next_to_its_field() {
        let cases: [(Pairs, Fields); 11] = [
            (&[("end_date", "2025-05-31")], &["end_date"]),
            (
                &[("start_date", "2025-05-04"), ("end_date", "2025-05-04")],
                &["start_date"],
            ),
            (&[("area_m2", "0")], &["area_m2"]),
            (&[("area_m2", "12,345")], &["area_m2"]),
            (&[("street", "via-inesistente")], &["street"]),
            (&[("house_number", "dodici")], &["house_number"]),
            (&[("occupation_kind", "giostra")], &["occupation_kind"]),
            (&[("place_kind", "mappa")], &["place_kind"]),
            (&[("start_date", "31/02/2025")], &["start_date"]),
            // Same day, priced by the hour: both hours are needed.
            (
                &[("occupation_kind", "trasloco"), ("end_date", "2025-06-01")],
                &["start_time", "end_time"],
            ),
            (
                &[
                    ("occupation_kind", "trasloco"),
                    ("end_date", "2025-06-01"),
                    ("start_time", "10:00"),
                    ("end_time", "09:30"),
                ],
                &["end_time"],
            ),
        ];
        for (overrides, expected) in cases {
            let mut pairs: Vec<(&str, &str)> = SCAFFOLD
                .iter()
                .filter(|(field, _)| !overrides.iter().any(|(f, _)| f == field))
                .copied()
                .collect();
            pairs.extend_from_slice(overrides);
            let result = run(&pairs);
            assert_eq!(fields(&result), expected, "{overrides:?}");
            for error in result.err().unwrap_or_default() {
                assert!(!error.message.it.is_empty() && error.message.en.is_some());
            }
        }
        // Nothing answered: every required field is named.
        assert_eq!(
            fields(&run(&[])),
            [
                "street",
                "occupation_kind",
                "area_m2",
                "start_date",
                "end_date"
            ]
        );
        let gap = run(&[("place_kind", "description")]);
        assert_eq!(fields(&gap)[0], "place_description");
    }

    #[test]
    fn an_address_error_reads_naturally() {
        let errors = run(&[
            ("street", "via-roma"),
            ("occupation_kind", "ponteggio"),
            ("area_m2", "12"),
            ("start_date", "2025-06-10"),
            ("end_date", "2025-06-01"),
        ])
        .err()
        .unwrap_or_default();
        assert_eq!(
            errors[0].message.it,
            "La data di fine non può essere precedente alla data di inizio."
        );
    }
}
