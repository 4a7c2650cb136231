use super::*;
use crate::Lang;
use crate::local_rules::LocalRules;
use crate::tenant_file::Issues;
use jiff::civil::{Date, date};

#[derive(serde::Deserialize)]
struct Holder {
    steps: FormSchema,
}

fn schema(toml_text: &str) -> FormSchema {
    toml::from_str::<Holder>(toml_text)
        .unwrap_or_else(|e| panic!("{e}"))
        .steps
}

fn parse_error(toml_text: &str) -> String {
    match toml::from_str::<Holder>(toml_text) {
        Ok(_) => panic!("accepted:\n{toml_text}"),
        Err(e) => e.to_string(),
    }
}

const FORM: &str = r#"
[[steps]]
id = "luogo"
title = { it = "Luogo", en = "Place" }

[[steps.fields]]
id = "place_kind"
kind = "choice"
label = { it = "Dove si trova l'area?", en = "Where is the area?" }
options = [
    { value = "street", label = { it = "In una via", en = "In a street" } },
    { value = "description", label = { it = "Altrove", en = "Elsewhere" } },
]

[[steps.fields]]
id = "house_number"
kind = "text"
pattern = "house-number"
label = { it = "Numero civico", en = "House number" }
when = { field = "place_kind", any_of = ["street"] }

[[steps.fields]]
id = "place_description"
kind = "textarea"
max_length = 20
label = { it = "Descrizione del luogo", en = "Description of the place" }
when = { field = "place_kind", any_of = ["description"] }

[[steps]]
id = "date-e-orari"
title = { it = "Date e orari", en = "Dates and times" }

[[steps.fields]]
id = "start_date"
kind = "date"
min_days_ahead = 1
max_days_ahead = 365
label = { it = "Data di inizio", en = "Start date" }

[[steps.fields]]
id = "end_date"
kind = "date"
not_before = "start_date"
max_days_after = 30
label = { it = "Data di fine", en = "End date" }

[[steps.fields]]
id = "hourly"
kind = "checkbox"
label = { it = "Solo per alcune ore", en = "Only for a few hours" }

[[steps.fields]]
id = "start_time"
kind = "time"
label = { it = "Ora di inizio", en = "Start time" }
when = { field = "hourly", any_of = ["yes"] }

[[steps.fields]]
id = "end_time"
kind = "time"
later_than = "start_time"
label = { it = "Ora di fine", en = "End time" }
when = { field = "hourly", any_of = ["yes"] }

[[steps]]
id = "veicolo"
title = { it = "Veicolo", en = "Vehicle" }
when = { field = "place_kind", any_of = ["street"] }

[[steps.fields]]
id = "area_m2"
kind = "decimal"
min = "0.5"
max = 100
unit = { it = "m²" }
label = { it = "Superficie", en = "Area" }

[[steps.fields]]
id = "vehicles"
kind = "integer"
min = 0
max = 5
label = { it = "Veicoli", en = "Vehicles" }

[[steps.fields]]
id = "plates"
kind = "plates"
max = 2
required = false
label = { it = "Targhe", en = "Number plates" }

[[steps.fields]]
id = "owner_cf"
kind = "text"
pattern = "codice-fiscale"
label = { it = "Codice fiscale del proprietario", en = "Owner's codice fiscale" }
required = { field = "vehicles", any_of = ["1", "2", "3", "4", "5"] }

[[steps.fields]]
id = "email"
kind = "email"
required = false
label = { it = "Email", en = "Email" }

[[steps.fields]]
id = "phone"
kind = "phone"
required = false
label = { it = "Telefono", en = "Phone" }

[[steps]]
id = "dichiarazioni"
title = { it = "Dichiarazioni", en = "Declarations" }

[[steps.fields]]
id = "truthful"
kind = "declaration"
label = { it = "Dichiaro che quanto indicato è vero (D.P.R. 445/2000, artt. 46 e 47).", en = "I declare that the above is true (Presidential Decree 445/2000, arts. 46 and 47)." }
"#;

const TODAY: Date = date(2025, 3, 10);

fn answers(pairs: &[(&str, &[&str])]) -> Answers {
    let mut answers = Answers::new();
    for (field, values) in pairs {
        answers.set(*field, values.iter().map(|v| (*v).to_owned()).collect());
    }
    answers
}

/// A complete, valid set of answers; tests change one thing at a time.
fn valid() -> Answers {
    answers(&[
        ("place_kind", &["street"]),
        ("house_number", &["12/A"]),
        ("start_date", &["2025-03-20"]),
        ("end_date", &["22/03/2025"]),
        ("area_m2", &["12,5"]),
        ("vehicles", &["0"]),
        ("plates", &["ab 123 cd", "CH:ZH 1234"]),
        ("truthful", &["on"]),
    ])
}

fn errors(form: &FormSchema, step: &str, answers: &Answers) -> Vec<(String, String)> {
    let rules = LocalRules::default();
    let context = ValidationContext {
        today: TODAY,
        rules: &rules,
    };
    form.validate_step(step, answers, &context)
        .into_iter()
        .map(|e| (e.field, e.message.it))
        .collect()
}

#[test]
fn a_form_round_trips_through_json_unchanged() {
    let form = schema(FORM);
    assert_eq!(form.steps.len(), 4);
    let json = serde_json::to_string(&form).unwrap();
    let back: FormSchema = serde_json::from_str(&json).unwrap();
    assert_eq!(back, form);

    let field = form.field("place_description").unwrap();
    assert_eq!(field.kind, FieldKind::Textarea { max_length: 20 });
    assert_eq!(field.required, Requirement::Always);
    assert!(matches!(
        form.field("house_number").unwrap().kind,
        FieldKind::Text {
            max_length: 200,
            pattern: Some(TextPattern::HouseNumber)
        }
    ));
    assert_eq!(form.field("hourly").unwrap().required, Requirement::Never);
    assert_eq!(
        form.field("area_m2").unwrap().kind,
        FieldKind::Decimal {
            min: Some(Decimal::from_hundredths(50)),
            max: Some(Decimal::from_integer(100)),
            unit: Some(crate::LocalizedText::italian("m²")),
        }
    );
    assert_eq!(
        form.step_of("plates").map(|s| s.id.as_str()),
        Some("veicolo")
    );
}

#[test]
fn keys_that_do_not_fit_the_kind_are_refused() {
    let cases = [
        (
            r#"id = "d"
kind = "date"
max_length = 3
label = { it = "Data" }"#,
            "`max_length` is not allowed",
        ),
        (
            r#"id = "c"
kind = "checkbox"
required = true
label = { it = "Spunta" }"#,
            "a checkbox is never required",
        ),
        (
            r#"id = "d"
kind = "declaration"
required = false
label = { it = "Dichiaro" }"#,
            "remove `required`",
        ),
        (
            r#"id = "p"
kind = "plates"
label = { it = "Targhe" }"#,
            "needs `max`",
        ),
        (
            r#"id = "p"
kind = "plates"
max = 11
label = { it = "Targhe" }"#,
            "between 1 and 10",
        ),
        (
            r#"id = "a"
kind = "decimal"
max = 0.5
label = { it = "Area" }"#,
            "as a string",
        ),
        (
            r#"id = "n"
kind = "integer"
max = "5.5"
label = { it = "Numero" }"#,
            "whole number",
        ),
        (
            r#"id = "c"
kind = "choice"
label = { it = "Scelta" }"#,
            "needs `options` or `options_from`",
        ),
        (
            r#"id = "c"
kind = "choice"
options_from = "ztl.zones"
options = []
label = { it = "Scelta" }"#,
            "not both",
        ),
        (
            r#"id = "Start"
kind = "date"
label = { it = "Data" }"#,
            "not a field id",
        ),
        (
            r#"id = "x"
kind = "colour"
label = { it = "Colore" }"#,
            "colour",
        ),
        (
            r#"id = "x"
kind = "text"
lable = { it = "Refuso" }"#,
            "lable",
        ),
    ];
    for (field, expected) in cases {
        let text =
            format!("[[steps]]\nid = \"s\"\ntitle = {{ it = \"S\" }}\n[[steps.fields]]\n{field}\n");
        let message = parse_error(&text);
        assert!(message.contains(expected), "{expected}:\n{message}");
    }
}

#[test]
fn steps_and_fields_show_according_to_the_answers() {
    let form = schema(FORM);
    let ids = |steps: Vec<&Step>| steps.iter().map(|s| s.id.to_string()).collect::<Vec<_>>();

    let street = valid();
    assert_eq!(
        ids(form.visible_steps(&street)),
        ["luogo", "date-e-orari", "veicolo", "dichiarazioni"]
    );
    let place = form.step("luogo").unwrap();
    let shown: Vec<&str> = form
        .visible_fields(place, &street)
        .iter()
        .map(|f| f.id.as_str())
        .collect();
    assert_eq!(shown, ["place_kind", "house_number"]);

    let elsewhere = answers(&[("place_kind", &["description"])]);
    assert_eq!(
        ids(form.visible_steps(&elsewhere)),
        ["luogo", "date-e-orari", "dichiarazioni"]
    );
    assert_eq!(
        form.next_step("date-e-orari", &elsewhere)
            .map(|s| s.id.as_str()),
        Some("dichiarazioni")
    );
    assert_eq!(
        form.previous_step("dichiarazioni", &elsewhere)
            .map(|s| s.id.as_str()),
        Some("date-e-orari")
    );
    assert_eq!(
        form.next_step("date-e-orari", &street)
            .map(|s| s.id.as_str()),
        Some("veicolo")
    );
    assert!(form.next_step("dichiarazioni", &street).is_none());
    assert!(form.previous_step("luogo", &street).is_none());

    // A tick shows the times; "on" from a browser counts as the value "yes".
    let mut hourly = valid();
    let times = form.step("date-e-orari").unwrap();
    assert_eq!(form.visible_fields(times, &hourly).len(), 3);
    hourly.set("hourly", vec!["on".into()]);
    assert_eq!(form.visible_fields(times, &hourly).len(), 5);

    // The owner's codice fiscale is required only when there are vehicles.
    let owner = form.field("owner_cf").unwrap();
    assert!(!form.is_required(owner, &street));
    let mut with_vehicle = valid();
    with_vehicle.set("vehicles", vec!["2".into()]);
    assert!(form.is_required(owner, &with_vehicle));
    // ...and not at all when its step is hidden.
    with_vehicle.set("place_kind", vec!["description".into()]);
    assert!(!form.is_required(owner, &with_vehicle));
}

#[test]
fn a_valid_form_has_no_errors() {
    let form = schema(FORM);
    let rules = LocalRules::default();
    let context = ValidationContext {
        today: TODAY,
        rules: &rules,
    };
    assert_eq!(form.validate_all(&valid(), &context), []);
}

#[test]
fn each_problem_is_named_next_to_its_field() {
    let form = schema(FORM);
    type Change = fn(&mut Answers);
    let cases: Vec<(&str, Change, &str, &str)> = vec![
        (
            "luogo",
            |a| a.remove("place_kind"),
            "place_kind",
            "Scegli una delle opzioni.",
        ),
        (
            "luogo",
            |a| a.set("place_kind", vec!["sky".into()]),
            "place_kind",
            "Scegli una delle opzioni proposte.",
        ),
        (
            "luogo",
            |a| a.set("house_number", vec!["A12".into()]),
            "house_number",
            "numero civico valido",
        ),
        (
            "luogo",
            |a| a.set("house_number", vec!["  ".into()]),
            "house_number",
            "Compila questo campo.",
        ),
        (
            "luogo",
            |a| {
                a.set("place_kind", vec!["description".into()]);
                a.set("place_description", vec!["Nel cortile della scuola".into()]);
            },
            "place_description",
            "al massimo 20 caratteri (ne hai scritti 24)",
        ),
        (
            "date-e-orari",
            |a| a.set("start_date", vec!["2025-03-10".into()]),
            "start_date",
            "Inserisci una data successiva a oggi.",
        ),
        (
            "date-e-orari",
            |a| {
                a.set("start_date", vec!["2026-03-11".into()]);
                a.set("end_date", vec!["2026-03-12".into()]);
            },
            "start_date",
            "non successiva al giorno 10/03/2026",
        ),
        (
            "date-e-orari",
            |a| a.set("start_date", vec!["30/02/2025".into()]),
            "start_date",
            "Inserisci una data valida",
        ),
        (
            "date-e-orari",
            |a| a.set("end_date", vec!["19/03/2025".into()]),
            "end_date",
            "non può essere precedente a quella indicata in «Data di inizio»",
        ),
        (
            "date-e-orari",
            |a| a.set("end_date", vec!["2025-04-20".into()]),
            "end_date",
            "al massimo 30 giorni",
        ),
        (
            "date-e-orari",
            |a| {
                a.set("hourly", vec!["yes".into()]);
                a.set("start_time", vec!["14:00".into()]);
                a.set("end_time", vec!["9:30".into()]);
            },
            "end_time",
            "successivo a quello indicato in «Ora di inizio»",
        ),
        (
            "date-e-orari",
            |a| {
                a.set("hourly", vec!["yes".into()]);
                a.set("start_time", vec!["14:70".into()]);
                a.set("end_time", vec!["15:00".into()]);
            },
            "start_time",
            "Inserisci un orario valido",
        ),
        (
            "veicolo",
            |a| a.set("area_m2", vec!["0,2".into()]),
            "area_m2",
            "compreso tra 0,50 m² e 100 m²",
        ),
        (
            "veicolo",
            |a| a.set("area_m2", vec!["12,345".into()]),
            "area_m2",
            "al massimo due decimali",
        ),
        (
            "veicolo",
            |a| a.set("area_m2", vec!["dodici".into()]),
            "area_m2",
            "Inserisci un numero",
        ),
        (
            "veicolo",
            |a| a.set("vehicles", vec!["2,5".into()]),
            "vehicles",
            "numero intero",
        ),
        (
            "veicolo",
            |a| a.set("vehicles", vec!["9".into()]),
            "vehicles",
            "compreso tra 0 e 5",
        ),
        (
            "veicolo",
            |a| a.set("vehicles", vec!["0".into(), "0".into()]),
            "vehicles",
            "Indica un solo valore.",
        ),
        (
            "veicolo",
            |a| {
                a.set(
                    "plates",
                    vec!["AB123CD".into(), "EF456GH".into(), "XY12345".into()],
                )
            },
            "plates",
            "al massimo 2 targhe",
        ),
        (
            "veicolo",
            |a| a.set("plates", vec!["AB123CD".into(), "ab 123 cd".into()]),
            "plates",
            "La targa AB123CD è indicata due volte.",
        ),
        (
            "veicolo",
            |a| a.set("plates", vec!["AB123CD".into(), "AB12".into()]),
            "plates",
            "«AB12»: La targa non è valida",
        ),
        (
            "veicolo",
            |a| a.set("vehicles", vec!["1".into()]),
            "owner_cf",
            "Compila questo campo.",
        ),
        (
            "veicolo",
            |a| {
                a.set("vehicles", vec!["1".into()]);
                a.set("owner_cf", vec!["RSSMRA80A01H501V".into()]);
            },
            "owner_cf",
            "l'ultimo carattere non corrisponde",
        ),
        (
            "veicolo",
            |a| a.set("email", vec!["mario@".into()]),
            "email",
            "indirizzo email valido",
        ),
        (
            "veicolo",
            |a| a.set("phone", vec!["12-ab".into()]),
            "phone",
            "numero di telefono valido",
        ),
        (
            "dichiarazioni",
            |a| a.remove("truthful"),
            "truthful",
            "devi confermare questa dichiarazione",
        ),
        (
            "dichiarazioni",
            |a| a.set("truthful", vec!["no".into()]),
            "truthful",
            "devi confermare questa dichiarazione",
        ),
    ];
    for (step, change, field, expected) in cases {
        let mut answers = valid();
        change(&mut answers);
        let found = errors(&form, step, &answers);
        assert!(
            found
                .iter()
                .any(|(f, m)| f == field && m.contains(expected)),
            "{field}: expected «{expected}», got {found:?}"
        );
        assert_eq!(found.len(), 1, "{found:?}");
    }
}

#[test]
fn every_message_has_an_english_version() {
    let form = schema(FORM);
    let rules = LocalRules::default();
    let context = ValidationContext {
        today: TODAY,
        rules: &rules,
    };
    let empty = answers(&[("place_kind", &["street"]), ("vehicles", &["1"])]);
    let found = form.validate_all(&empty, &context);
    let fields: Vec<&str> = found.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "house_number",
            "start_date",
            "end_date",
            "area_m2",
            "owner_cf",
            "truthful"
        ]
    );
    for error in found {
        assert!(
            error.message.en.as_deref().is_some_and(|en| !en.is_empty()),
            "{error:?}"
        );
    }
}

#[test]
fn hidden_steps_are_not_checked_and_their_answers_not_submitted() {
    let form = schema(FORM);
    let mut elsewhere = valid();
    elsewhere.set("place_kind", vec!["description".into()]);
    elsewhere.set("place_description", vec!["Giardino".into()]);
    elsewhere.set("area_m2", vec!["not a number".into()]);
    assert_eq!(errors(&form, "veicolo", &elsewhere), []);

    let normalised = form.normalise(&elsewhere);
    assert_eq!(normalised.get("area_m2"), None);
    assert_eq!(normalised.get("house_number"), None);
    assert_eq!(normalised.get("place_description"), Some("Giardino"));
}

#[test]
fn submitted_answers_are_canonical() {
    let form = schema(FORM);
    let mut typed = valid();
    typed.set("hourly", vec!["on".into()]);
    typed.set("start_time", vec!["9.05".into()]);
    typed.set("end_time", vec!["11:30".into()]);
    typed.set("email", vec![" Mario.Rossi@Posta.Example ".into()]);
    typed.set("phone", vec!["+39 0123 45.67.89".into()]);
    typed.set("unknown", vec!["dropped".into()]);
    let normalised = form.normalise(&typed);
    let expected = answers(&[
        ("place_kind", &["street"]),
        ("house_number", &["12/A"]),
        ("start_date", &["2025-03-20"]),
        ("end_date", &["2025-03-22"]),
        ("hourly", &["yes"]),
        ("start_time", &["09:05"]),
        ("end_time", &["11:30"]),
        ("area_m2", &["12.50"]),
        ("vehicles", &["0"]),
        ("plates", &["AB123CD", "CH:ZH1234"]),
        ("email", &["Mario.Rossi@posta.example"]),
        ("phone", &["+390123456789"]),
        ("truthful", &["yes"]),
    ]);
    assert_eq!(normalised, expected);
    // Normalising twice changes nothing.
    assert_eq!(form.normalise(&normalised), normalised);
}

#[test]
fn the_summary_reads_the_answers_back() {
    let form = schema(FORM);
    let summary = form.summary(&valid(), &LocalRules::default());
    let titles: Vec<&str> = summary.iter().map(|s| s.title.it.as_str()).collect();
    assert_eq!(
        titles,
        ["Luogo", "Date e orari", "Veicolo", "Dichiarazioni"]
    );
    let item = |field: &str| {
        summary
            .iter()
            .flat_map(|s| &s.items)
            .find(|i| i.field.as_str() == field)
            .map(|i| i.value.clone())
            .unwrap()
    };
    assert_eq!(item("place_kind").it, "In una via");
    assert_eq!(item("place_kind").get(Lang::En), "In a street");
    assert_eq!(item("end_date").it, "22/03/2025");
    assert_eq!(item("area_m2").it, "12,50 m²");
    assert_eq!(item("area_m2").get(Lang::En), "12.50 m²");
    assert_eq!(item("plates").it, "AB123CD, ZH1234 (CH)");
    assert_eq!(item("truthful").get(Lang::En), "Confirmed");
    // Unanswered optional fields are left out.
    assert!(
        summary
            .iter()
            .flat_map(|s| &s.items)
            .all(|i| i.field.as_str() != "email")
    );
}

#[test]
fn options_are_offered_in_the_citizens_language() {
    let form = schema(FORM);
    let field = form.field("place_kind").unwrap();
    assert_eq!(
        field.options(&LocalRules::default(), Lang::En),
        [
            ("street".to_owned(), "In a street".to_owned()),
            ("description".to_owned(), "Elsewhere".to_owned())
        ]
    );
    assert!(
        form.field("start_date")
            .unwrap()
            .options(&LocalRules::default(), Lang::It)
            .is_empty()
    );
}

fn issues_of(form: &FormSchema) -> Vec<(String, String)> {
    let mut issues = Issues(Vec::new());
    form.check("form", &LocalRules::default(), &mut issues);
    issues.0.into_iter().map(|i| (i.key, i.message)).collect()
}

#[test]
fn the_demo_like_form_passes_the_schema_checks() {
    assert_eq!(issues_of(&schema(FORM)), []);
}

#[test]
fn schema_mistakes_are_reported_with_their_key() {
    let cases = [
        // A condition on a field asked later.
        (
            FORM.replace(
                "when = { field = \"place_kind\", any_of = [\"street\"] }\n\n[[steps.fields]]\nid = \"place_description\"",
                "when = { field = \"truthful\", any_of = [\"yes\"] }\n\n[[steps.fields]]\nid = \"place_description\"",
            ),
            "fields[1] (house_number).when.field",
            "must be asked before",
        ),
        (
            FORM.replace("any_of = [\"description\"]", "any_of = [\"elsewhere\"]"),
            "fields[2] (place_description).when.any_of",
            "'elsewhere' is not a value of 'place_kind'",
        ),
        (
            FORM.replace("any_of = [\"description\"]", "any_of = []"),
            "when.any_of",
            "needs at least one value",
        ),
        (
            FORM.replace("field = \"hourly\"", "field = \"hourly_typo\""),
            "(start_time).when.field",
            "no field 'hourly_typo'",
        ),
        (
            FORM.replace("id = \"vehicles\"", "id = \"area_m2\""),
            "fields[1] (area_m2).id",
            "is used by another field",
        ),
        (
            FORM.replace("id = \"veicolo\"", "id = \"luogo\""),
            "steps[2] (luogo).id",
            "is used by another step",
        ),
        (
            FORM.replace("min = 0\nmax = 5", "min = 6\nmax = 5"),
            "(vehicles).max",
            "is below min",
        ),
        (
            FORM.replace("min_days_ahead = 1\nmax_days_ahead = 365", "min_days_ahead = 10\nmax_days_ahead = 5"),
            "(start_date).max_days_ahead",
            "is below min_days_ahead",
        ),
        (
            FORM.replace("not_before = \"start_date\"", "not_before = \"hourly\""),
            "(end_date).not_before",
            "'hourly' is not a date field",
        ),
        (
            FORM.replace("later_than = \"start_time\"", "later_than = \"end_time\""),
            "(end_time).later_than",
            "must be asked before this field",
        ),
        (
            FORM.replace("not_before = \"start_date\"\n", ""),
            "(end_date).max_days_after",
            "`not_before`, which is missing",
        ),
        (
            FORM.replace("max_length = 20", "max_length = 20000"),
            "(place_description).max_length",
            "between 1 and 10000",
        ),
        (
            FORM.replace("label = { it = \"Veicoli\", en = \"Vehicles\" }", "label = { it = \" \" }"),
            "(vehicles).label.it",
            "must not be empty",
        ),
        (
            FORM.replace(
                "    { value = \"description\", label = { it = \"Altrove\", en = \"Elsewhere\" } },",
                "    { value = \"street\", label = { it = \"Altrove\", en = \"Elsewhere\" } },",
            ),
            "(place_kind).options[1].value",
            "'street' is listed twice",
        ),
        (
            FORM.replace("kind = \"plates\"\nmax = 2", "kind = \"multi-choice\"\noptions_from = \"ztl.zones\""),
            "(plates).options_from",
            "needs a [ztl] section",
        ),
        (
            FORM.replace("id = \"phone\"\nkind = \"phone\"", "id = \"phone\"\nkind = \"street\""),
            "(phone).kind",
            "street list",
        ),
    ];
    for (text, key, message) in cases {
        let found = issues_of(&schema(&text));
        assert!(
            found
                .iter()
                .any(|(k, m)| k.contains(key) && m.contains(message)),
            "{key}: {message}\n{found:#?}"
        );
    }
    let mut empty = Issues(Vec::new());
    FormSchema::default().check("form", &LocalRules::default(), &mut empty);
    assert_eq!(empty.0.len(), 1);
    assert_eq!(empty.0[0].key, "form.steps");
}

#[test]
fn requirements_read_as_booleans_or_conditions() {
    #[derive(serde::Deserialize, serde::Serialize)]
    struct R {
        required: Requirement,
    }
    let cases = [
        ("required = true", Requirement::Always),
        ("required = false", Requirement::Never),
        (
            "required = { field = \"badge_type\", any_of = [\"temporary\"] }",
            Requirement::When(Condition {
                field: FieldId::parse("badge_type").unwrap(),
                any_of: vec!["temporary".into()],
            }),
        ),
    ];
    for (text, expected) in cases {
        let parsed: R = toml::from_str(text).unwrap();
        assert_eq!(parsed.required, expected);
        let json = serde_json::to_string(&parsed).unwrap();
        assert_eq!(serde_json::from_str::<R>(&json).unwrap().required, expected);
    }
    assert!(toml::from_str::<R>("required = \"yes\"").is_err());
    assert!(toml::from_str::<R>("required = { field = \"x\", any_of = [], extra = 1 }").is_err());
}
