//! Online requests end to end through the router: a citizen signs in with the test IdP, fills
//! in each of the four services step by step (with a mistake corrected and a draft resumed),
//! uploads what the form asks for, confirms the summary and gets the receipt, in HTML and PDF.

use crate::app_tests;
use crate::auth::{AuthApp, Browser, sign_in_as};
use crate::support::TestResponse;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use sportello_domain::calendar::{Calendar, local_date};
use sportello_domain::form::format_date;

pub(crate) const TENANT: &str = "borgoverde";
/// Mario Rossi, the citizen of these tests.
pub(crate) const CF: &str = "RSSMRA80A01H501U";

/// A tiny but real PDF: its magic number is what the upload checks.
pub(crate) const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
/// A PNG signature with an empty image.
pub(crate) const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0";

pub(crate) fn location(response: &TestResponse) -> String {
    assert!(
        response.status.is_redirection(),
        "expected a redirect, got {}: {}",
        response.status,
        response.body
    );
    response.header("location").to_owned()
}

pub(crate) fn enc(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

pub(crate) fn day(offset: i64) -> String {
    let today = local_date(jiff::Timestamp::now());
    today
        .checked_add(jiff::Span::new().days(offset))
        .unwrap()
        .to_string()
}

/// Starts a request of `service` and returns the address of its draft.
pub(crate) async fn start(browser: &mut Browser<'_>, service: &str) -> String {
    let page = browser
        .get(&format!("/{TENANT}/servizi/{service}/richiesta"))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("Inizia una nuova richiesta"),
        "{}",
        page.body
    );
    let csrf = browser.csrf().await;
    let created = browser
        .post(
            &format!("/{TENANT}/servizi/{service}/richiesta"),
            &format!("csrf={csrf}"),
        )
        .await;
    location(&created).trim_end_matches('/').to_owned()
}

/// Posts one step (pairs of name and value) and returns where the form goes next.
pub(crate) async fn step(
    browser: &mut Browser<'_>,
    draft: &str,
    id: &str,
    answers: &[(&str, &str)],
) -> String {
    let csrf = browser.csrf().await;
    let mut body = format!("csrf={csrf}&azione=avanti");
    for (name, value) in answers {
        body.push_str(&format!("&{name}={}", enc(value)));
    }
    let response = browser.post(&format!("{draft}/passi/{id}"), &body).await;
    location(&response)
}

pub(crate) async fn upload(
    browser: &mut Browser<'_>,
    draft: &str,
    spec: &str,
    name: &str,
    bytes: &[u8],
) -> TestResponse {
    let csrf = browser.csrf().await;
    let boundary = "----sportello-test-boundary";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"spec\"\r\n\r\n{spec}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    browser
        .send(
            Request::post(format!("{draft}/allegati?csrf={csrf}")).header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            ),
            Body::from(body),
        )
        .await
}

/// Confirms the summary; returns the pratica page.
pub(crate) async fn submit(browser: &mut Browser<'_>, draft: &str) -> String {
    let summary = browser.get(&format!("{draft}/riepilogo")).await;
    assert_eq!(summary.status, StatusCode::OK, "{}", summary.body);
    assert!(
        summary.body.contains("Invia la richiesta"),
        "{}",
        summary.body
    );
    assert!(
        !summary.body.contains("Controlla questi dati"),
        "{}",
        summary.body
    );
    let csrf = browser.csrf().await;
    let sent = browser
        .post(&format!("{draft}/invia"), &format!("csrf={csrf}"))
        .await;
    let pratica = location(&sent);
    assert!(pratica.contains("/area-personale/pratiche/"), "{pratica}");
    pratica
}

/// The receipt says what art. 18-bis requires; its PDF is a PDF.
pub(crate) async fn check_receipt(browser: &mut Browser<'_>, pratica: &str) -> String {
    let page = browser.get(pratica).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for text in [
        "Richiesta inviata",
        "Numero di protocollo",
        "Termine del procedimento",
        "Se il Comune non risponde",
        "Quanto è stato facile usare questo servizio?",
    ] {
        assert!(page.body.contains(text), "{text} missing: {}", page.body);
    }
    let year = local_date(jiff::Timestamp::now()).year();
    let protocol_start = page
        .body
        .find(&format!("/{year}"))
        .expect("a protocol number");
    let protocol = page.body[protocol_start - 7..protocol_start + 5].to_owned();
    assert!(
        protocol[..7].bytes().all(|b| b.is_ascii_digit()),
        "seven digits: {protocol}"
    );
    let path = pratica.split('?').next().unwrap();
    let pdf = browser.get(&format!("{path}/ricevuta.pdf")).await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(pdf.header("content-type"), "application/pdf");
    assert!(pdf.body.starts_with("%PDF-"));
    protocol
}

app_tests!(
    using crate::auth::AuthApp::plain;
    a_ztl_permit_is_requested_with_a_mistake_corrected,
    a_public_land_occupation_is_requested_with_a_site_plan,
    a_resident_parking_permit_is_requested_and_the_draft_resumed,
    a_disabled_badge_is_requested_with_a_sealed_certificate,
    a_draft_and_a_pratica_are_their_owners_only,
    a_second_click_files_one_request,
);

async fn a_ztl_permit_is_requested_with_a_mistake_corrected(app: AuthApp) {
    let mut browser = app.browser();
    sign_in_as(&app, &mut browser, TENANT, CF, "Mario", "Rossi").await;
    let draft = start(&mut browser, "permesso-ztl").await;
    let next = step(
        &mut browser,
        &draft,
        "categoria",
        &[("category", "giornaliero")],
    )
    .await;
    assert!(next.ends_with("/passi/veicoli-e-zone"), "{next}");

    // A plate that is not a plate: the step comes back with the message next to the field
    // and what was typed still there.
    let csrf = browser.csrf().await;
    let refused = browser
        .post(
            &format!("{draft}/passi/veicoli-e-zone"),
            &format!("csrf={csrf}&azione=avanti&plates=AB12&plates=&plates=&zones=centro-storico"),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Enter in a field presses the form's first submit button: it must go on, not back.
    let first_submit = refused
        .body
        .find("type=\"submit\" name=\"azione\"")
        .unwrap();
    assert!(
        refused.body[first_submit..]
            .starts_with("type=\"submit\" name=\"azione\" value=\"avanti\""),
        "the first button of a step saves and continues"
    );
    assert!(
        refused.body.contains("Controlla questi dati"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("value=\"AB12\""), "{}", refused.body);
    assert!(
        refused.body.contains("aria-invalid=\"true\""),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("plates-error"), "{}", refused.body);

    step(
        &mut browser,
        &draft,
        "veicoli-e-zone",
        &[("plates", "AB123CD"), ("zones", "centro-storico")],
    )
    .await;
    step(
        &mut browser,
        &draft,
        "periodo",
        &[
            ("start_date", &day(3)),
            ("reason", "Visita a un parente ricoverato"),
        ],
    )
    .await;
    let after = step(
        &mut browser,
        &draft,
        "dichiarazioni",
        &[("truthful", "si"), ("conditions", "si"), ("privacy", "si")],
    )
    .await;
    assert!(after.ends_with("/riepilogo"), "{after}");
    let pratica = submit(&mut browser, &draft).await;
    check_receipt(&mut browser, &pratica).await;

    let area = browser.get(&format!("/{TENANT}/area-personale/")).await;
    assert!(
        area.body.contains("Permesso di accesso alla ZTL"),
        "{}",
        area.body
    );
    assert!(area.body.contains("Presentata"), "{}", area.body);
}

async fn a_public_land_occupation_is_requested_with_a_site_plan(app: AuthApp) {
    let mut browser = app.browser();
    sign_in_as(&app, &mut browser, TENANT, CF, "Mario", "Rossi").await;
    let draft = start(&mut browser, "occupazione-suolo-pubblico").await;
    step(
        &mut browser,
        &draft,
        "richiedente",
        &[("applicant_role", "self")],
    )
    .await;
    step(
        &mut browser,
        &draft,
        "luogo",
        &[
            ("place_kind", "street"),
            ("street", "via-roma"),
            ("house_number", "12"),
        ],
    )
    .await;
    step(
        &mut browser,
        &draft,
        "occupazione",
        &[
            ("occupation_kind", "cantiere"),
            ("area_m2", "12,5"),
            ("purpose", "Ponteggio per il rifacimento della facciata"),
        ],
    )
    .await;
    step(
        &mut browser,
        &draft,
        "date-e-orari",
        &[
            ("duration", "days"),
            ("start_date", &day(10)),
            ("end_date", &day(40)),
        ],
    )
    .await;
    let next = step(
        &mut browser,
        &draft,
        "dichiarazioni",
        &[("truthful", "si"), ("regulation", "si"), ("privacy", "si")],
    )
    .await;
    assert!(next.ends_with("/allegati"), "{next}");

    // The summary refuses to file without the site plan a building site needs.
    let summary = browser.get(&format!("{draft}/riepilogo")).await;
    assert!(
        summary.body.contains("Controlla questi dati"),
        "{}",
        summary.body
    );

    // A text file named .pdf is refused by its content.
    let fake = upload(
        &mut browser,
        &draft,
        "site_plan",
        "planimetria.pdf",
        b"not a pdf",
    )
    .await;
    assert_eq!(
        fake.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        fake.body
    );
    let uploaded = upload(&mut browser, &draft, "site_plan", "planimetria.pdf", PDF).await;
    assert!(uploaded.status.is_redirection(), "{}", uploaded.body);
    let photo = upload(&mut browser, &draft, "site_photos", "facciata.png", PNG).await;
    assert!(photo.status.is_redirection(), "{}", photo.body);
    let list = browser.get(&format!("{draft}/allegati")).await;
    assert!(list.body.contains("planimetria.pdf"), "{}", list.body);

    let summary = browser.get(&format!("{draft}/riepilogo")).await;
    // The quote shows its factors.
    assert!(
        summary.body.contains("Calcolo del canone"),
        "{}",
        summary.body
    );
    let pratica = submit(&mut browser, &draft).await;
    check_receipt(&mut browser, &pratica).await;
    let page = browser.get(&pratica).await;
    assert!(page.body.contains("SHA-256"), "{}", page.body);
}

async fn a_resident_parking_permit_is_requested_and_the_draft_resumed(app: AuthApp) {
    let mut browser = app.browser();
    sign_in_as(&app, &mut browser, TENANT, CF, "Mario", "Rossi").await;
    let draft = start(&mut browser, "permesso-sosta-residenti").await;
    step(
        &mut browser,
        &draft,
        "richiesta",
        &[("request_type", "first")],
    )
    .await;
    step(
        &mut browser,
        &draft,
        "residenza",
        &[
            ("street", "via-roma"),
            ("house_number", "3"),
            ("household_permits", "0"),
            ("private_parking", "no"),
        ],
    )
    .await;

    // The citizen leaves and comes back: the personal area lists the draft, which resumes
    // on the step reached.
    let area = browser.get(&format!("/{TENANT}/area-personale/")).await;
    assert!(area.body.contains("Richieste in bozza"), "{}", area.body);
    let resumed = browser.get(&format!("{draft}/")).await;
    assert!(location(&resumed).ends_with("/passi/residenza"));
    let residence = browser.get(&format!("{draft}/passi/residenza")).await;
    assert!(residence.body.contains("value=\"3\""), "{}", residence.body);

    step(
        &mut browser,
        &draft,
        "veicolo",
        &[("plate", "ab 123 cd"), ("vehicle_title", "owned")],
    )
    .await;
    step(
        &mut browser,
        &draft,
        "dichiarazioni",
        &[("truthful", "si"), ("conditions", "si"), ("privacy", "si")],
    )
    .await;
    let pratica = submit(&mut browser, &draft).await;
    check_receipt(&mut browser, &pratica).await;
}

async fn a_disabled_badge_is_requested_with_a_sealed_certificate(app: AuthApp) {
    let mut browser = app.browser();
    sign_in_as(&app, &mut browser, TENANT, CF, "Mario", "Rossi").await;
    let draft = start(&mut browser, "contrassegno-disabili").await;
    step(
        &mut browser,
        &draft,
        "richiedente",
        &[("applicant_role", "self")],
    )
    .await;
    step(
        &mut browser,
        &draft,
        "contrassegno",
        &[
            ("badge_type", "temporary"),
            ("request_type", "first"),
            ("temporary_until", &day(120)),
        ],
    )
    .await;
    step(
        &mut browser,
        &draft,
        "targhe",
        &[("plates", "AB123CD"), ("plates", "")],
    )
    .await;
    step(
        &mut browser,
        &draft,
        "dichiarazioni",
        &[("truthful", "si"), ("proper_use", "si"), ("privacy", "si")],
    )
    .await;
    for (spec, name, bytes) in [
        ("medical_certificate", "certificato.pdf", PDF),
        ("photo", "foto.png", PNG),
    ] {
        let response = upload(&mut browser, &draft, spec, name, bytes).await;
        assert!(
            response.status.is_redirection(),
            "{spec}: {}",
            response.body
        );
    }
    let summary = browser.get(&format!("{draft}/riepilogo")).await;
    // A temporary badge owes stamp duty on the request (Circ. AE 1/E/2001).
    assert!(
        summary.body.contains("Imposta di bollo sulla richiesta"),
        "{}",
        summary.body
    );
    let pratica = submit(&mut browser, &draft).await;
    check_receipt(&mut browser, &pratica).await;
    let page = browser.get(&pratica).await;
    assert!(page.body.contains("certificato.pdf"), "{}", page.body);
}

async fn a_draft_and_a_pratica_are_their_owners_only(app: AuthApp) {
    let mut mario = app.browser();
    sign_in_as(&app, &mut mario, TENANT, CF, "Mario", "Rossi").await;
    let draft = start(&mut mario, "permesso-ztl").await;
    step(
        &mut mario,
        &draft,
        "categoria",
        &[("category", "giornaliero")],
    )
    .await;

    let mut other = app.browser();
    crate::auth::sign_in_as(
        &app,
        &mut other,
        TENANT,
        "VRDGPP75C12F205K",
        "Giuseppe",
        "Verdi",
    )
    .await;
    let peek = other.get(&format!("{draft}/passi/categoria")).await;
    assert_eq!(peek.status, StatusCode::NOT_FOUND);
    let anonymous = app.browser().get(&format!("{draft}/passi/categoria")).await;
    assert_eq!(anonymous.status, StatusCode::FORBIDDEN);
}

async fn a_second_click_files_one_request(app: AuthApp) {
    let mut browser = app.browser();
    sign_in_as(&app, &mut browser, TENANT, CF, "Mario", "Rossi").await;
    let draft = start(&mut browser, "permesso-ztl").await;
    step(
        &mut browser,
        &draft,
        "categoria",
        &[("category", "giornaliero")],
    )
    .await;
    step(
        &mut browser,
        &draft,
        "veicoli-e-zone",
        &[("plates", "AB123CD"), ("zones", "centro-storico")],
    )
    .await;
    step(
        &mut browser,
        &draft,
        "periodo",
        &[("start_date", &day(2)), ("reason", "Trasloco di mobili")],
    )
    .await;
    step(
        &mut browser,
        &draft,
        "dichiarazioni",
        &[("truthful", "si"), ("conditions", "si"), ("privacy", "si")],
    )
    .await;
    let pratica = submit(&mut browser, &draft).await;
    let csrf = browser.csrf().await;
    let again = browser
        .post(&format!("{draft}/invia"), &format!("csrf={csrf}"))
        .await;
    assert!(location(&again).ends_with("/area-personale/"));
    let area = browser.get(&format!("/{TENANT}/area-personale/")).await;
    assert_eq!(
        area.body.matches("/area-personale/pratiche/").count(),
        1,
        "{}",
        area.body
    );

    // The receipt's term ends where the domain says it does.
    let page = browser.get(&pratica).await;
    let calendar =
        Calendar::with_patron_day(sportello_domain::calendar::MonthDay::parse("09-29").unwrap());
    let deadline = calendar.deadline(local_date(jiff::Timestamp::now()), 30);
    assert!(page.body.contains(&format_date(deadline)), "{}", page.body);
}

mod demo {
    use crate::support::{TestApp, metrics, test_documents};
    use sportello_domain::pratica::PraticaState;
    use sportello_store::QueueFilter;
    use sportello_web::{AppState, WebConfig};
    use std::collections::BTreeSet;

    crate::app_tests!(the_demo_comuni_get_requests_in_every_state_once);

    async fn the_demo_comuni_get_requests_in_every_state_once(app: TestApp) {
        let state = AppState::new(app.store.clone(), WebConfig::default(), metrics())
            .with_documents(test_documents());
        for slug in ["borgoverde", "valdoro"] {
            let tenant = app.tenant(slug).await;
            let filed = sportello_web::demo_seed::seed_demo_requests(&state, &tenant)
                .await
                .unwrap();
            assert_eq!(filed, 15, "{slug}");
            let scope = app.store.scoped(tenant.id);
            let mut states = BTreeSet::new();
            for office in scope.offices().await.unwrap() {
                for pratica in scope
                    .office_queue(office.id.as_str(), &QueueFilter::default())
                    .await
                    .unwrap()
                {
                    states.insert(pratica.state().key());
                }
            }
            for expected in [
                PraticaState::Submitted,
                PraticaState::InReview,
                PraticaState::DocumentsRequested,
                PraticaState::RefusalNoticed,
                PraticaState::AwaitingPayment,
                PraticaState::PermitIssued,
                PraticaState::Rejected,
                PraticaState::Withdrawn,
                PraticaState::Revoked,
                PraticaState::PaymentReceived,
                PraticaState::Expired,
                PraticaState::Renewed,
            ] {
                assert!(
                    states.contains(expected.key()),
                    "{slug}: no {expected:?} in {states:?}"
                );
            }
            // The published procedure times list every online service.
            let times = app
                .get(&format!("/{slug}/trasparenza/tempi-dei-procedimenti"))
                .await;
            assert_eq!(times.status, axum::http::StatusCode::OK);
            assert!(
                times.body.contains("Concluse entro il termine"),
                "{}",
                times.body
            );
            assert!(
                times.body.contains("<td>10</td>") || times.body.contains("<td>3</td>"),
                "{}",
                times.body
            );
            // A second start files nothing more.
            let again = sportello_web::demo_seed::seed_demo_requests(&state, &tenant)
                .await
                .unwrap();
            assert_eq!(again, 0);
        }
    }
}

mod time_passes {
    use crate::support::{TestApp, metrics, test_documents};
    use sportello_web::{AppState, WebConfig};

    crate::app_tests!(suspensions_lapse_silence_grants_and_permits_expire);

    async fn suspensions_lapse_silence_grants_and_permits_expire(app: TestApp) {
        let state = AppState::new(app.store.clone(), WebConfig::default(), metrics())
            .with_documents(test_documents());
        let tenant = app.tenant("borgoverde").await;
        sportello_web::demo_seed::seed_demo_requests(&state, &tenant)
            .await
            .unwrap();
        // Today nothing is due.
        let now = jiff::Timestamp::now();
        let quiet = sportello_web::housekeeping::run(&state, now).await.unwrap();
        assert_eq!(
            (quiet.resumed, quiet.granted_by_silence, quiet.expired),
            (0, 0, 0)
        );
        // Two hundred days later: the documents suspension has lapsed, the resident parking
        // permit (silence-assent in Borgoverde) is granted, the one-day ZTL permit expired.
        let later = now + jiff::SignedDuration::from_hours(24 * 200);
        let report = sportello_web::housekeeping::run(&state, later)
            .await
            .unwrap();
        assert_eq!(report.resumed, 1, "{report:?}");
        assert!(report.granted_by_silence >= 1, "{report:?}");
        assert!(report.expired >= 1, "{report:?}");
        // Running again changes nothing more.
        let again = sportello_web::housekeeping::run(&state, later)
            .await
            .unwrap();
        assert_eq!((again.resumed, again.expired), (0, 0), "{again:?}");
    }
}

mod fee_calculator {
    use crate::support::TestApp;
    use axum::http::StatusCode;
    use sportello_domain::fees::canone::{QuoteInput, quote};

    crate::app_tests!(the_public_calculator_quotes_like_the_domain);

    async fn the_public_calculator_quotes_like_the_domain(app: TestApp) {
        let tenant = app.tenant("borgoverde").await;
        let rules = tenant.profile.rules.canone.as_ref().unwrap();
        let category = rules.road_categories[0].id.to_string();
        let start = super::day(10);
        let end = super::day(19);
        let expected = quote(
            rules,
            &QuoteInput {
                road_category: &category,
                occupation_kind: "cantiere",
                area_hundredths_m2: 1250,
                start: start.parse().unwrap(),
                end: end.parse().unwrap(),
                times: None,
            },
        )
        .unwrap();
        let base = "/borgoverde/servizi/occupazione-suolo-pubblico/calcolo-canone";
        let page = app
            .get(&format!(
                "{base}?tipo=cantiere&categoria={category}&superficie=12%2C5&dal={start}&al={end}"
            ))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let total = expected.total.to_string().replace('€', "&#8364;");
        assert!(
            page.body.contains(&expected.total.to_string()) || page.body.contains(&total),
            "{} not in {}",
            expected.total,
            page.body
        );
        // Every factor is shown.
        for line in &expected.lines {
            assert!(
                page.body.contains(&line.label.it),
                "{} missing",
                line.label.it
            );
        }
        let bad = app
            .get(&format!(
                "{base}?tipo=cantiere&categoria={category}&superficie=tanti&dal={start}"
            ))
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.body.contains("value=\"tanti\""), "what was typed stays");
        let sheet = app
            .get("/borgoverde/servizi/occupazione-suolo-pubblico")
            .await;
        assert!(sheet.body.contains("calcolo-canone"));
        let other = app
            .get("/borgoverde/servizi/permesso-ztl/calcolo-canone")
            .await;
        assert_eq!(other.status, StatusCode::NOT_FOUND);
    }
}
