use super::*;
use crate::form::FieldId;
use crate::local_rules::LocalRules;
use jiff::civil::date;

const BADGE: &str = r#"
kind = "disabled-badge"
term_days = 30
silence = "inaction"
documents = ["permit"]

[stamp_duty]
on_request = { when = { field = "badge_type", any_of = ["temporary"] } }
on_permit = { when = { field = "badge_type", any_of = ["temporary"] } }

[permit]
validity = { years = 5 }
renewable = true
renewal_reminder_days = 90

[[permit.validity_cases]]
when = { field = "badge_type", any_of = ["temporary"] }
validity = { until_field = "temporary_until" }

[[steps]]
id = "richiesta"
title = { it = "La richiesta", en = "Your request" }

[[steps.fields]]
id = "badge_type"
kind = "choice"
label = { it = "Tipo di contrassegno", en = "Type of badge" }
options = [
    { value = "permanent", label = { it = "Permanente", en = "Permanent" } },
    { value = "temporary", label = { it = "Temporaneo", en = "Temporary" } },
]

[[steps.fields]]
id = "request_type"
kind = "choice"
label = { it = "Tipo di richiesta", en = "Type of request" }
options = [
    { value = "first", label = { it = "Primo rilascio", en = "First issue" } },
    { value = "renewal", label = { it = "Rinnovo", en = "Renewal" } },
]

[[steps.fields]]
id = "previous_badge_number"
kind = "text"
max_length = 20
label = { it = "Numero del contrassegno da rinnovare", en = "Number of the badge to renew" }
when = { field = "request_type", any_of = ["renewal"] }

[[steps.fields]]
id = "temporary_until"
kind = "date"
min_days_ahead = 1
label = { it = "Data di fine indicata nel certificato", en = "End date given in the certificate" }
when = { field = "badge_type", any_of = ["temporary"] }

[[steps]]
id = "veicoli"
title = { it = "Veicoli", en = "Vehicles" }

[[steps.fields]]
id = "plates"
kind = "plates"
max = 2
required = false
label = { it = "Targhe da associare", en = "Number plates to link" }

[[attachments]]
id = "medical_certificate"
label = { it = "Certificato medico", en = "Medical certificate" }
sensitive = true
retention_days = 365

[[attachments]]
id = "photo"
label = { it = "Fotografia", en = "Photograph" }
accepted = ["jpeg", "png"]
max_bytes = 5242880

[[attachments]]
id = "old_badge"
label = { it = "Contrassegno scaduto", en = "Expired badge" }
when = { field = "request_type", any_of = ["renewal"] }
required = false
max_files = 2
"#;

fn procedure(text: &str) -> Procedure {
    toml::from_str(text).unwrap_or_else(|e| panic!("{e}"))
}

fn answers(pairs: &[(&str, &str)]) -> Answers {
    let mut answers = Answers::new();
    for (field, value) in pairs {
        answers.set(*field, vec![(*value).to_owned()]);
    }
    answers
}

fn issues_of(procedure: &Procedure) -> Vec<(String, String)> {
    let offices: HashSet<&str> = ["polizia-locale", "mobilita"].into_iter().collect();
    let mut issues = Issues(Vec::new());
    procedure.validate("p", &offices, &LocalRules::default(), &mut issues);
    issues.0.into_iter().map(|i| (i.key, i.message)).collect()
}

#[test]
fn the_badge_procedure_is_valid() {
    assert_eq!(issues_of(&procedure(BADGE)), []);
}

#[test]
fn stamp_duty_follows_the_answers() {
    let badge = procedure(BADGE);
    let cases = [
        (answers(&[("badge_type", "permanent")]), 0, 0),
        (
            answers(&[
                ("badge_type", "temporary"),
                ("temporary_until", "2025-06-30"),
            ]),
            1600,
            1600,
        ),
        (answers(&[]), 0, 0),
    ];
    for (given, on_request, on_permit) in cases {
        let due = badge.stamp_duty_due(&given);
        assert_eq!(due.on_request, Cents::new(on_request), "{given:?}");
        assert_eq!(due.on_permit, Cents::new(on_permit), "{given:?}");
        assert_eq!(due.total(), Cents::new(on_request + on_permit));
    }
    assert_eq!(STAMP_DUTY, Cents::from_euros(16));

    let mut always = badge.clone();
    always.kind = ProcedureKind::Generic;
    always.stamp_duty = StampDuty {
        on_request: StampRule::Always,
        on_permit: StampRule::Never,
    };
    assert_eq!(
        always.stamp_duty_due(&Answers::new()),
        StampDutyDue {
            on_request: STAMP_DUTY,
            on_permit: Cents::ZERO
        }
    );
}

#[test]
fn the_term_may_depend_on_the_answers() {
    let mut badge = procedure(BADGE);
    assert_eq!(badge.term_for(&Answers::new()).get(), 30);
    badge.term_cases.push(TermCase {
        when: Condition {
            field: FieldId::parse("badge_type").unwrap(),
            any_of: vec!["temporary".into()],
        },
        term_days: TermDays::new(10).unwrap(),
    });
    assert_eq!(
        badge
            .term_for(&answers(&[("badge_type", "temporary")]))
            .get(),
        10
    );
    assert_eq!(
        badge
            .term_for(&answers(&[("badge_type", "permanent")]))
            .get(),
        30
    );
    assert_eq!(issues_of(&badge), []);
}

#[test]
fn the_version_hash_changes_with_the_procedure_only() {
    let badge = procedure(BADGE);
    let hash = badge.version_hash();
    assert_eq!(hash.len(), 64);
    assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(procedure(BADGE).version_hash(), hash);

    // What the store reads back from JSON is the same version.
    let json = serde_json::to_string(&badge).unwrap();
    let stored: Procedure = serde_json::from_str(&json).unwrap();
    assert_eq!(stored, badge);
    assert_eq!(stored.version_hash(), hash);

    // Defaults written out or left implicit are the same procedure.
    let explicit = BADGE.replace(
        "max_bytes = 5242880",
        "max_bytes = 5242880\nmax_files = 1\nrequired = true",
    );
    assert_eq!(procedure(&explicit).version_hash(), hash);

    for changed in [
        BADGE.replace("term_days = 30", "term_days = 20"),
        BADGE.replace("retention_days = 365", "retention_days = 180"),
        BADGE.replace("Tipo di contrassegno", "Tipo di contrassegno richiesto"),
        BADGE.replace("renewal_reminder_days = 90", "renewal_reminder_days = 60"),
    ] {
        assert_ne!(procedure(&changed).version_hash(), hash);
    }
}

#[test]
fn permits_last_as_the_procedure_says() {
    let badge = procedure(BADGE);
    let permit = badge.permit.clone().unwrap();
    let issued = date(2025, 3, 10);
    let permanent = answers(&[("badge_type", "permanent")]);
    assert_eq!(
        permit.period(&badge.form, &permanent, issued),
        Some((issued, date(2030, 3, 10)))
    );
    let temporary = answers(&[
        ("badge_type", "temporary"),
        ("temporary_until", "30/06/2025"),
    ]);
    assert_eq!(
        permit.validity_for(&badge.form, &temporary),
        &Validity::FromAnswers(FieldId::parse("temporary_until").unwrap())
    );
    assert_eq!(
        permit.period(&badge.form, &temporary, issued),
        Some((issued, date(2025, 6, 30)))
    );
    // A certificate that expired before the badge could be issued gives no period.
    assert_eq!(
        permit.period(&badge.form, &temporary, date(2025, 7, 1)),
        None
    );
    // A first day before the day of issue (a daily permit bought the day after) counts.
    let backdated = PermitSpec {
        validity: Validity::Days(1),
        validity_cases: Vec::new(),
        from_field: FieldId::parse("temporary_until").ok(),
        renewable: false,
        renewal_reminder_days: 0,
    };
    assert_eq!(
        backdated.period(&badge.form, &temporary, date(2025, 7, 1)),
        Some((date(2025, 6, 30), date(2025, 6, 30)))
    );
    assert_eq!(
        permit.reminder_on(date(2030, 3, 10)),
        Some(date(2029, 12, 10))
    );

    let cases = [
        (
            Validity::Months(12),
            None,
            (date(2025, 3, 10), date(2026, 3, 10)),
        ),
        (
            Validity::Months(1),
            None,
            (date(2025, 3, 10), date(2025, 4, 10)),
        ),
        (
            Validity::UntilEndOfYear,
            None,
            (date(2025, 3, 10), date(2025, 12, 31)),
        ),
        (
            Validity::Days(1),
            None,
            (date(2025, 3, 10), date(2025, 3, 10)),
        ),
        (
            Validity::Days(7),
            None,
            (date(2025, 3, 10), date(2025, 3, 16)),
        ),
        // Valid from a first day chosen in the form, then counted from it.
        (
            Validity::Months(12),
            Some("temporary_until"),
            (date(2025, 6, 30), date(2026, 6, 30)),
        ),
    ];
    for (validity, from_field, expected) in cases {
        let spec = PermitSpec {
            validity,
            validity_cases: Vec::new(),
            from_field: from_field.map(|f| FieldId::parse(f).unwrap()),
            renewable: false,
            renewal_reminder_days: 0,
        };
        assert_eq!(spec.period(&badge.form, &temporary, issued), Some(expected));
        assert_eq!(spec.reminder_on(expected.1), None);
    }
    // There is no 31 February: the last day of the month.
    let monthly = PermitSpec {
        validity: Validity::Months(1),
        validity_cases: Vec::new(),
        from_field: None,
        renewable: true,
        renewal_reminder_days: 7,
    };
    assert_eq!(
        monthly.period(&badge.form, &Answers::new(), date(2025, 1, 31)),
        Some((date(2025, 1, 31), date(2025, 2, 28)))
    );
    assert_eq!(
        monthly.reminder_on(date(2025, 2, 28)),
        Some(date(2025, 2, 21))
    );
}

#[test]
fn attachments_are_asked_for_as_the_answers_say() {
    let badge = procedure(BADGE);
    let first = answers(&[("badge_type", "permanent"), ("request_type", "first")]);
    let renewal = answers(&[("badge_type", "permanent"), ("request_type", "renewal")]);
    let ids = |a: &Answers| {
        badge
            .visible_attachments(a)
            .iter()
            .map(|s| s.id.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&first), ["medical_certificate", "photo"]);
    assert_eq!(ids(&renewal), ["medical_certificate", "photo", "old_badge"]);

    type Case<'a> = (&'a Answers, &'a [(&'a str, usize)], &'a [&'a str]);
    let cases: [Case; 4] = [
        (&first, &[("medical_certificate", 1), ("photo", 1)], &[]),
        (&first, &[("photo", 1)], &["medical_certificate"]),
        (&renewal, &[("medical_certificate", 1), ("photo", 1)], &[]),
        (
            &renewal,
            &[("medical_certificate", 1), ("photo", 2), ("old_badge", 3)],
            &["photo", "old_badge"],
        ),
    ];
    for (given, uploaded, expected) in cases {
        let count = |id: &str| {
            uploaded
                .iter()
                .find(|(u, _)| *u == id)
                .map_or(0, |(_, n)| *n)
        };
        let errors = badge.validate_attachments(given, count);
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, expected, "{uploaded:?}");
        assert!(errors.iter().all(|e| e.message.en.is_some()));
    }
}

#[test]
fn the_office_and_documents() {
    let badge = procedure(BADGE);
    let own = Slug::parse("polizia-locale").unwrap();
    assert_eq!(badge.deciding_office(&own), &own);
    let mut elsewhere = badge.clone();
    elsewhere.deciding_office = Slug::parse("mobilita").ok();
    assert_eq!(elsewhere.deciding_office(&own).as_str(), "mobilita");
    assert_eq!(
        badge.produced_documents(),
        [DocumentKind::Receipt, DocumentKind::Permit]
    );
}

#[test]
fn mistakes_in_a_procedure_are_reported_with_their_key() {
    let cases: [(String, &str, &str); 19] = [
        (
            BADGE.replace("silence = \"inaction\"", "silence = \"assent\""),
            "p.silence",
            "health matter",
        ),
        (
            BADGE.replace("sensitive = true\nretention_days = 365\n", ""),
            "p.attachments (medical_certificate).sensitive",
            "GDPR art. 9",
        ),
        (
            BADGE.replace("retention_days = 365\n", ""),
            "p.attachments[0] (medical_certificate).retention_days",
            "required for sensitive",
        ),
        (
            BADGE.replace("retention_days = 365", "retention_days = 0"),
            "p.attachments[0] (medical_certificate).retention_days",
            "between 1 and 3650",
        ),
        (
            BADGE.replace("kind = \"plates\"\nmax = 2", "kind = \"plates\"\nmax = 3"),
            "p.steps (field 'plates').max",
            "at most 2 plates",
        ),
        (
            BADGE.replace("id = \"photo\"", "id = \"picture\""),
            "p.attachments",
            "'photo' attachment",
        ),
        (
            BADGE.replace("id = \"previous_badge_number\"", "id = \"old_number\""),
            "p.steps",
            "a field 'previous_badge_number' (a text field)",
        ),
        (
            BADGE.replace(
                "id = \"temporary_until\"\nkind = \"date\"\nmin_days_ahead = 1",
                "id = \"temporary_until\"\nkind = \"text\"",
            ),
            "p.steps (field 'temporary_until').kind",
            "must be a date field",
        ),
        (
            BADGE.replace("value = \"renewal\"", "value = \"duplicate\""),
            "p.steps (field 'request_type').options",
            "'duplicate' is not a value",
        ),
        (
            BADGE.replace("term_days = 30", "term_days = 30\nfixed_fee = 1000"),
            "p.fixed_fee",
            "only for generic",
        ),
        (
            BADGE.replace(
                "documents = [\"permit\"]",
                "documents = [\"receipt\", \"permit\"]",
            ),
            "p.documents[0]",
            "always produced",
        ),
        (
            BADGE.replace("documents = [\"permit\"]", "documents = [\"decision\"]"),
            "p.permit",
            "only allowed when documents lists",
        ),
        (
            BADGE.replace("renewable = true\n", ""),
            "p.permit.renewal_reminder_days",
            "renewable = true",
        ),
        (
            BADGE.replace("validity = { years = 5 }", "validity = { years = 50 }"),
            "p.permit.validity",
            "between 1 and 10",
        ),
        (
            BADGE.replace(
                "until_field = \"temporary_until\"",
                "until_field = \"plates\"",
            ),
            "p.permit.validity_cases[0].validity",
            "not a date field",
        ),
        (
            BADGE.replace(
                "term_days = 30",
                "term_days = 30\ndeciding_office = \"ragioneria\"",
            ),
            "p.deciding_office",
            "no office has id 'ragioneria'",
        ),
        (
            BADGE.replace(
                "on_permit = { when = { field = \"badge_type\", any_of = [\"temporary\"] } }",
                "on_permit = \"always\"",
            ),
            "p.stamp_duty.on_permit",
            "Tabella B, art. 13-bis",
        ),
        (
            BADGE.replace(
                "on_request = { when = { field = \"badge_type\", any_of = [\"temporary\"] } }",
                "on_request = { when = { field = \"badge\", any_of = [\"temporary\"] } }",
            ),
            "p.stamp_duty.on_request.when.field",
            "no field 'badge'",
        ),
        (
            BADGE.replace(
                "max_bytes = 5242880",
                "max_bytes = 52428800\nstep = \"foto\"",
            ),
            "p.attachments[1] (photo)",
            "",
        ),
    ];
    for (text, key, message) in cases {
        let found = issues_of(&procedure(&text));
        assert!(
            found
                .iter()
                .any(|(k, m)| k.starts_with(key) && m.contains(message)),
            "{key}: {message}\n{found:#?}"
        );
    }
    let found = issues_of(&procedure(&BADGE.replace(
        "max_bytes = 5242880",
        "max_bytes = 52428800\nstep = \"foto\"",
    )));
    let keys: Vec<&str> = found.iter().map(|(k, _)| k.as_str()).collect();
    assert!(
        keys.contains(&"p.attachments[1] (photo).max_bytes"),
        "{keys:?}"
    );
    assert!(keys.contains(&"p.attachments[1] (photo).step"), "{keys:?}");
}

#[test]
fn a_procedure_file_refuses_unknown_keys_and_values() {
    for (text, expected) in [
        (
            BADGE.replace("silence = \"inaction\"", "silence = \"maybe\""),
            "maybe",
        ),
        (
            BADGE.replace("term_days = 30", "term_days = 200"),
            "1 to 180",
        ),
        (BADGE.replace("term_days = 30", "term_day = 30"), "term_day"),
        (
            BADGE.replace("accepted = [\"jpeg\", \"png\"]", "accepted = [\"gif\"]"),
            "gif",
        ),
        (
            BADGE.replace("validity = { years = 5 }", "validity = { decades = 1 }"),
            "decades",
        ),
        (
            BADGE.replace(
                "on_permit = { when = { field = \"badge_type\", any_of = [\"temporary\"] } }",
                "on_permit = \"sometimes\"",
            ),
            "sometimes",
        ),
    ] {
        let message = match toml::from_str::<Procedure>(&text) {
            Ok(_) => panic!("accepted: {expected}"),
            Err(e) => e.to_string(),
        };
        assert!(message.contains(expected), "{expected}: {message}");
    }
}

#[test]
fn validities_are_written_as_in_the_local_rules() {
    #[derive(serde::Deserialize)]
    struct V {
        validity: Validity,
    }
    let cases = [
        ("validity = { days = 7 }", Validity::Days(7)),
        ("validity = { months = 12 }", Validity::Months(12)),
        ("validity = { years = 5 }", Validity::Years(5)),
        ("validity = \"end-of-year\"", Validity::UntilEndOfYear),
        (
            "validity = { until_field = \"end_date\" }",
            Validity::FromAnswers(FieldId::parse("end_date").unwrap()),
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(
            toml::from_str::<V>(text).unwrap().validity,
            expected,
            "{text}"
        );
    }
    assert!(toml::from_str::<V>("validity = { months = 12, years = 1 }").is_err());
}

#[test]
fn contract_fields_are_listed_per_kind() {
    assert!(ProcedureKind::Generic.contract_fields().is_empty());
    assert_eq!(
        ProcedureKind::ZtlAccess.contract_fields(),
        [
            "category",
            "plates",
            "zones",
            "start_date",
            "end_date",
            "reason"
        ]
    );
    assert!(
        ProcedureKind::PublicLandOccupation
            .contract_fields()
            .contains(&"area_m2")
    );
}
