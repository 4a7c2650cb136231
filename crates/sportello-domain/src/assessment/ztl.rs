//! Permesso di accesso alla ZTL: category, plates, zones, dates, fee and time windows.

use super::reader::Reader;
use super::{Assessment, PermitTerms, Validity, period, with_fee};
use crate::calendar;
use crate::fees::{Line, both, same};
use crate::form::{Answers, FieldError, format_date};
use crate::local_rules::LocalRules;
use crate::text::LocalizedText;
use jiff::civil::Date;

pub(super) fn assess(
    answers: &Answers,
    rules: &LocalRules,
    today: Date,
) -> Result<Assessment, Vec<FieldError>> {
    let mut r = Reader::new(answers);
    let Some(ztl) = rules.ztl.as_ref() else {
        r.error(
            "category",
            "Il Comune non ha zone a traffico limitato.",
            "The Comune has no limited traffic zones.",
        );
        return Err(r.errors);
    };
    let category = r.choice(
        "category",
        (
            "Scegli la categoria del permesso.",
            "Choose the permit category.",
        ),
        |id| ztl.category(id),
    );

    let plates = r.plates("plates");
    if r.answers.all("plates").is_empty() {
        r.error(
            "plates",
            "Inserisci almeno una targa.",
            "Enter at least one number plate.",
        );
    }
    if let Some(category) = category {
        let max = usize::from(category.max_plates);
        if r.answers.all("plates").len() > max {
            let (it, en) = if max == 1 {
                (
                    "Per questa categoria puoi indicare una sola targa.".to_owned(),
                    "For this category you can enter only one number plate.".to_owned(),
                )
            } else {
                (
                    format!("Per questa categoria puoi indicare al massimo {max} targhe."),
                    format!("For this category you can enter at most {max} number plates."),
                )
            };
            r.error("plates", it, en);
        }
    }

    // Zones: those chosen, each allowed to the category; none chosen is fine only when the
    // category leaves no choice.
    let mut zones = Vec::new();
    for id in r.answers.all("zones") {
        match ztl.zone(id) {
            None => r.error(
                "zones",
                "Scegli le zone dall'elenco.",
                "Choose the zones from the list.",
            ),
            Some(zone) if category.is_some_and(|c| !c.zones.allows(id)) => {
                let name = category.map(|c| c.name.clone());
                let name = name.unwrap_or_else(|| LocalizedText::italian(""));
                r.error(
                    "zones",
                    format!(
                        "Il permesso «{}» non vale nella zona «{}».",
                        name.it, zone.name.it
                    ),
                    format!(
                        "The “{}” permit is not valid in the zone “{}”.",
                        name.get(crate::Lang::En),
                        zone.name.get(crate::Lang::En)
                    ),
                )
            }
            Some(zone) if !zones.contains(&zone.id) => zones.push(zone.id.clone()),
            Some(_) => {}
        }
    }
    if zones.is_empty()
        && !r.has_error("zones")
        && let Some(category) = category
    {
        match category.default_zones(ztl) {
            Some(defaults) => zones = defaults,
            None => r.error(
                "zones",
                "Scegli almeno una zona.",
                "Choose at least one zone.",
            ),
        }
    }

    // Dates: the citizen's for temporary permits, otherwise from the start date (or today).
    let requested = category.and_then(|c| match c.validity {
        Validity::RequestedDays(max) => Some(max),
        _ => None,
    });
    let start = r.date(
        "start_date",
        requested.map(|_| {
            (
                "Indica il primo giorno del permesso.",
                "Enter the first day of the permit.",
            )
        }),
    );
    let end = r.date("end_date", None);
    let earliest = calendar::add_days(today, -i64::from(category.map_or(0, |c| c.backdate_days)));
    if let Some(start) = start
        && start < earliest
    {
        let (it, en) = if earliest == today {
            (
                "Il permesso non può iniziare prima di oggi.".to_owned(),
                "The permit cannot start before today.".to_owned(),
            )
        } else {
            (
                format!(
                    "Il permesso può iniziare al più presto il {}.",
                    format_date(earliest)
                ),
                format!(
                    "The permit can start on {} at the earliest.",
                    format_date(earliest)
                ),
            )
        };
        r.error("start_date", it, en);
    }
    let valid_from = start.unwrap_or(today);
    let valid_until = match (category, requested) {
        (_, Some(max)) => {
            let end = end.unwrap_or(valid_from);
            if end < valid_from {
                r.error(
                    "end_date",
                    "La data di fine non può essere precedente alla data di inizio.",
                    "The end date cannot be before the start date.",
                );
            } else if calendar::days_between(valid_from, end) >= i32::from(max) {
                let (it, en) = if max == 1 {
                    (
                        "Questo permesso vale un solo giorno: la data di fine deve coincidere con quella di inizio.".to_owned(),
                        "This permit is valid for one day only: the end date must be the start date.".to_owned(),
                    )
                } else {
                    (
                        format!("Questo permesso può durare al massimo {max} giorni."),
                        format!("This permit can last at most {max} days."),
                    )
                };
                r.error("end_date", it, en);
            }
            Some(end)
        }
        (Some(category), None) => category.validity.fixed_until(valid_from),
        (None, None) => None,
    };

    let Some(category) = category else {
        return Err(r.errors);
    };
    if !r.errors.is_empty() {
        return Err(r.errors);
    }
    let days = valid_until.map_or(1, |until| calendar::days_between(valid_from, until) + 1);
    let fee = category.fee_for(plates.len(), u32::try_from(days).unwrap_or(1));
    let (fee, fee_total) = with_fee(Some(fee));

    let mut permit = PermitTerms::from(valid_from);
    permit.valid_until = valid_until;
    permit.renewal_reminder = match (requested, valid_until, ztl.renewal_reminder_days) {
        (None, Some(until), Some(days)) => Some(calendar::add_days(until, -i64::from(days))),
        _ => None,
    };
    permit.windows = category.windows.clone();
    permit.lines.push(Line::new(
        both("Categoria", "Category"),
        category.name.clone(),
    ));
    let names: Vec<&LocalizedText> = zones
        .iter()
        .filter_map(|id| ztl.zone(id.as_str()))
        .map(|z| &z.name)
        .collect();
    permit.lines.push(Line::new(
        both("Zone", "Zones"),
        LocalizedText {
            it: names
                .iter()
                .map(|n| n.it.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            en: Some(
                names
                    .iter()
                    .map(|n| n.get(crate::Lang::En))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        },
    ));
    permit.lines.push(Line::new(
        both("Targhe", "Number plates"),
        same(
            plates
                .iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        ),
    ));
    let windows = if category.windows.is_empty() {
        both(
            "in tutti gli orari di attivazione della ZTL",
            "whenever the ZTL is in force",
        )
    } else {
        let described: Vec<LocalizedText> = category.windows.iter().map(|w| w.describe()).collect();
        LocalizedText {
            it: described
                .iter()
                .map(|d| d.it.as_str())
                .collect::<Vec<_>>()
                .join("; "),
            en: Some(
                described
                    .iter()
                    .map(|d| d.get(crate::Lang::En))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
        }
    };
    permit
        .lines
        .push(Line::new(both("Fasce orarie", "Time windows"), windows));
    if let (Some(_), Some(until)) = (requested, valid_until) {
        permit
            .lines
            .push(Line::new(both("Giorni", "Days"), period(valid_from, until)));
    }
    permit.plates = plates;
    permit.zones = zones;
    Ok(Assessment {
        fee,
        fee_total,
        fee_set_by_office: false,
        permit,
        zone: None,
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::{Fields, Pairs, TODAY, answers, fields, rules};
    use super::*;
    use crate::Cents;
    use crate::plate::Plate;
    use crate::procedure::ProcedureKind;
    use jiff::Timestamp;
    use jiff::civil::date;

    fn run(pairs: &[(&str, &str)]) -> Result<Assessment, Vec<FieldError>> {
        super::super::assess(ProcedureKind::ZtlAccess, &answers(pairs), &rules(), TODAY)
    }

    #[test]
    fn permits_by_category() {
        // (answers, fee, valid from, valid until, zones)
        let cases: [(Pairs, i64, Date, Option<Date>, Fields); 7] = [
            (
                &[
                    ("category", "residenti"),
                    ("plates", "AB123CD"),
                    ("zones", "centro"),
                ],
                2000,
                TODAY,
                Some(date(2026, 5, 5)),
                &["centro"],
            ),
            (
                &[
                    ("category", "residenti"),
                    ("plates", "AB123CD"),
                    ("plates", "EF456GH"),
                    ("zones", "borgo"),
                    ("zones", "centro"),
                ],
                4000,
                TODAY,
                Some(date(2026, 5, 5)),
                &["borgo", "centro"],
            ),
            // A later start moves the whole validity.
            (
                &[
                    ("category", "residenti"),
                    ("plates", "AB123CD"),
                    ("zones", "centro"),
                    ("start_date", "2025-06-01"),
                ],
                2000,
                date(2025, 6, 1),
                Some(date(2026, 6, 1)),
                &["centro"],
            ),
            // Deliveries: a single zone needs no choice; until 31 December; 100 + 2 × 50.
            (
                &[
                    ("category", "carico-scarico"),
                    ("plates", "AB123CD"),
                    ("plates", "EF456GH"),
                    ("plates", "LM789NP"),
                ],
                20_000,
                TODAY,
                Some(date(2025, 12, 31)),
                &["centro"],
            ),
            // Daily permit for 3 days: 3 × €5.
            (
                &[
                    ("category", "giornaliero"),
                    ("plates", "AB123CD"),
                    ("start_date", "2025-05-10"),
                    ("end_date", "2025-05-12"),
                ],
                1500,
                date(2025, 5, 10),
                Some(date(2025, 5, 12)),
                &["centro"],
            ),
            // Bought the day after the transit; one day when no end date is given.
            (
                &[
                    ("category", "giornaliero"),
                    ("plates", "AB123CD"),
                    ("start_date", "2025-05-04"),
                ],
                500,
                date(2025, 5, 4),
                Some(date(2025, 5, 4)),
                &["centro"],
            ),
            // CUDE holders: every zone, until the badge expires, free.
            (
                &[
                    ("category", "cude"),
                    ("plates", "AB123CD"),
                    ("start_date", "2025-05-05"),
                    ("end_date", "2030-05-05"),
                ],
                0,
                TODAY,
                Some(date(2030, 5, 5)),
                &["centro", "borgo"],
            ),
        ];
        for (pairs, fee, from, until, zones) in cases {
            let assessment = run(pairs).unwrap_or_else(|e| panic!("{pairs:?}: {e:?}"));
            assert_eq!(assessment.fee_total, Cents::new(fee), "{pairs:?}");
            assert_eq!(assessment.fee.is_some(), fee > 0, "{pairs:?}");
            assert_eq!(assessment.permit.valid_from, from, "{pairs:?}");
            assert_eq!(assessment.permit.valid_until, until, "{pairs:?}");
            assert_eq!(
                assessment
                    .permit
                    .zones
                    .iter()
                    .map(|z| z.as_str())
                    .collect::<Vec<_>>(),
                zones,
                "{pairs:?}"
            );
        }
    }

    #[test]
    fn a_delivery_permit_shows_and_enforces_its_windows() {
        let assessment = run(&[("category", "carico-scarico"), ("plates", "AB123CD")])
            .unwrap_or_else(|e| panic!("{e:?}"));
        let lines: Vec<(&str, &str)> = assessment
            .permit
            .lines
            .iter()
            .map(|l| (l.label.it.as_str(), l.value.it.as_str()))
            .collect();
        assert_eq!(
            lines,
            [
                ("Categoria", "Carico e scarico"),
                ("Zone", "ZTL Centro"),
                ("Targhe", "AB123CD"),
                ("Fasce orarie", "lun–sab 06:00–10:00"),
            ]
        );
        assert_eq!(assessment.permit.renewal_reminder, Some(date(2025, 12, 1)));
        let authorisation = assessment
            .permit
            .ztl_authorisation(ProcedureKind::ZtlAccess)
            .unwrap_or_else(|| panic!("no authorisation"));
        let plate = Plate::parse("AB123CD").unwrap_or_else(|e| panic!("{e}"));
        // 2025-05-06 is a Tuesday; Rome is UTC+2 in May.
        let at = |text: &str| text.parse::<Timestamp>().unwrap_or_else(|e| panic!("{e}"));
        assert!(authorisation.authorises(&plate, "centro", at("2025-05-06T07:30:00+02:00")));
        assert!(!authorisation.authorises(&plate, "centro", at("2025-05-06T10:00:00+02:00")));
        assert!(!authorisation.authorises(&plate, "borgo", at("2025-05-06T07:30:00+02:00")));
    }

    #[test]
    fn every_problem_is_said_next_to_its_field() {
        let cases: [(Pairs, Fields); 12] = [
            (&[], &["category", "plates"]),
            (
                &[("category", "taxi"), ("plates", "AB123CD")],
                &["category"],
            ),
            (
                &[("category", "residenti"), ("plates", "AB123CD")],
                &["zones"],
            ),
            (
                &[
                    ("category", "residenti"),
                    ("plates", "AB123CD"),
                    ("zones", "porto"),
                ],
                &["zones"],
            ),
            (
                &[
                    ("category", "carico-scarico"),
                    ("plates", "AB123CD"),
                    ("zones", "borgo"),
                ],
                &["zones"],
            ),
            (
                &[
                    ("category", "residenti"),
                    ("zones", "centro"),
                    ("plates", "AB123CD"),
                    ("plates", "EF456GH"),
                    ("plates", "LM789NP"),
                ],
                &["plates"],
            ),
            (
                &[("category", "giornaliero"), ("plates", "AB123CD")],
                &["start_date"],
            ),
            (
                &[
                    ("category", "giornaliero"),
                    ("plates", "AB123CD"),
                    ("start_date", "2025-05-03"),
                ],
                &["start_date"],
            ),
            (
                &[
                    ("category", "giornaliero"),
                    ("plates", "AB123CD"),
                    ("start_date", "2025-05-10"),
                    ("end_date", "2025-05-17"),
                ],
                &["end_date"],
            ),
            (
                &[
                    ("category", "giornaliero"),
                    ("plates", "AB123CD"),
                    ("start_date", "2025-05-10"),
                    ("end_date", "2025-05-09"),
                ],
                &["end_date"],
            ),
            (
                &[
                    ("category", "residenti"),
                    ("zones", "centro"),
                    ("plates", "AB123CD"),
                    ("start_date", "2025-05-04"),
                ],
                &["start_date"],
            ),
            (
                &[
                    ("category", "settimanale"),
                    ("plates", "AB123CD"),
                    ("plates", "EF456GH"),
                ],
                &["plates"],
            ),
        ];
        for (pairs, expected) in cases {
            assert_eq!(fields(&run(pairs)), expected, "{pairs:?}");
        }
        let wrong_zone = run(&[
            ("category", "carico-scarico"),
            ("plates", "AB123CD"),
            ("zones", "borgo"),
        ]);
        assert_eq!(
            wrong_zone.err().unwrap_or_default()[0].message.it,
            "Il permesso «Carico e scarico» non vale nella zona «ZTL Borgo»."
        );
        let week = run(&[
            ("category", "giornaliero"),
            ("plates", "AB123CD"),
            ("start_date", "2025-05-10"),
            ("end_date", "2025-05-17"),
        ]);
        assert_eq!(
            week.err().unwrap_or_default()[0].message.it,
            "Questo permesso può durare al massimo 7 giorni."
        );
    }

    #[test]
    fn a_weekly_permit_runs_seven_days_from_its_start() {
        let assessment = run(&[
            ("category", "settimanale"),
            ("plates", "AB123CD"),
            ("start_date", "2025-05-08"),
        ])
        .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(assessment.permit.valid_from, date(2025, 5, 8));
        assert_eq!(assessment.permit.valid_until, Some(date(2025, 5, 14)));
        assert_eq!(assessment.fee_total, Cents::new(2000));
    }
}
