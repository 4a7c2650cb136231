//! The back office through the router: a citizen files a request, a clerk of the deciding
//! office works it to a permit, whose PDF and public verification page follow; clerks of
//! other offices and citizens are kept out.

use crate::app_tests;
use crate::auth::{AuthApp, Browser, sign_in_as};
use crate::requests::{CF, PDF, PNG, TENANT, day, location, start, step, submit, upload};
use crate::support::TestResponse;
use axum::http::StatusCode;
use sportello_domain::{CodiceFiscale, Role};
use sportello_store::Actor;

/// Giulia Bianchi, of the local police (who decides ZTL permits and disabled badges).
pub(crate) const CLERK: &str = "BNCGLI78D45A794Q";
/// Paolo Gallo, of the SUAP.
const OTHER_CLERK: &str = "GLLPLA75E20H501Z";
/// Giuseppe Verdi, Giulia's colleague at the local police.
const COLLEAGUE: &str = "VRDGPP75C12F205K";
/// The comune's administrator.
const ADMIN: &str = "RSSMRA85T10A562S";

pub(crate) async fn grant(app: &AuthApp, cf: &str, office: &str) {
    let tenant = app.app.tenant(TENANT).await;
    app.app
        .store
        .scoped(tenant.id)
        .grant_role(
            &CodiceFiscale::parse(cf).unwrap(),
            &Role::Clerk {
                office: office.into(),
            },
            &Actor::cli("test"),
        )
        .await
        .unwrap();
}

/// Mario files a one-day ZTL permit; returns the id of the pratica.
pub(crate) async fn file_ztl(browser: &mut Browser<'_>) -> String {
    let draft = start(browser, "permesso-ztl").await;
    step(browser, &draft, "categoria", &[("category", "giornaliero")]).await;
    step(
        browser,
        &draft,
        "veicoli-e-zone",
        &[("plates", "AB123CD"), ("zones", "centro-storico")],
    )
    .await;
    step(
        browser,
        &draft,
        "periodo",
        &[
            ("start_date", &day(1)),
            ("reason", "Accompagno un familiare a una visita"),
        ],
    )
    .await;
    step(
        browser,
        &draft,
        "dichiarazioni",
        &[("truthful", "si"), ("conditions", "si"), ("privacy", "si")],
    )
    .await;
    let pratica = submit(browser, &draft).await;
    pratica
        .split("/pratiche/")
        .nth(1)
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned()
}

/// The first link of the page whose address contains `part`.
fn link_to(page: &TestResponse, part: &str) -> String {
    let at = page
        .body
        .find(part)
        .unwrap_or_else(|| panic!("a link with {part}: {}", page.body));
    let start = page.body[..at].rfind('"').unwrap() + 1;
    let end = at + page.body[at..].find('"').unwrap();
    page.body[start..end].to_owned()
}

fn version(page: &TestResponse) -> String {
    let at = page
        .body
        .find("name=\"version\" value=\"")
        .expect("a version");
    let rest = &page.body[at + 22..];
    rest[..rest.find('"').unwrap()].to_owned()
}

pub(crate) async fn act(
    browser: &mut Browser<'_>,
    id: &str,
    action: &str,
    text: &str,
) -> TestResponse {
    let page = browser
        .get(&format!("/{TENANT}/ufficio/pratiche/{id}"))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let csrf = browser.csrf().await;
    browser
        .post(
            &format!("/{TENANT}/ufficio/pratiche/{id}/azioni/{action}"),
            &format!(
                "csrf={csrf}&version={}&text={}",
                version(&page),
                crate::requests::enc(text)
            ),
        )
        .await
}

app_tests!(
    using crate::auth::AuthApp::plain;
    a_clerk_works_a_ztl_request_to_a_verifiable_permit,
    other_offices_and_citizens_stay_out,
    a_stale_page_cannot_overwrite_a_colleagues_step,
    a_refusal_needs_the_notice_first_and_a_motivation,
    the_queue_exports_to_csv_and_approves_in_bulk,
    a_health_certificate_is_read_only_by_the_deciding_office,
    a_pratica_is_handed_to_a_colleague_of_the_office,
);

async fn a_pratica_is_handed_to_a_colleague_of_the_office(app: AuthApp) {
    let mut mario = app.browser();
    sign_in_as(&app, &mut mario, TENANT, CF, "Mario", "Rossi").await;
    let id = file_ztl(&mut mario).await;
    grant(&app, CLERK, "polizia-locale").await;
    grant(&app, COLLEAGUE, "polizia-locale").await;
    grant(&app, OTHER_CLERK, "suap").await;
    let mut giuseppe = app.browser();
    sign_in_as(&app, &mut giuseppe, TENANT, COLLEAGUE, "Giuseppe", "Verdi").await;
    let mut paolo = app.browser();
    sign_in_as(&app, &mut paolo, TENANT, OTHER_CLERK, "Paolo", "Gallo").await;
    let mut giulia = app.browser();
    sign_in_as(&app, &mut giulia, TENANT, CLERK, "Giulia", "Bianchi").await;
    act(&mut giulia, &id, "take-charge", "").await;

    let tenant = app.app.tenant(TENANT).await;
    let scope = app.app.store.scoped(tenant.id);
    let user_of = |cf: &'static str| {
        let scope = &scope;
        async move {
            scope
                .user_by_fiscal_code(&CodiceFiscale::parse(cf).unwrap())
                .await
                .unwrap()
                .unwrap()
                .id
        }
    };
    let giuseppe_id = user_of(COLLEAGUE).await;
    let paolo_id = user_of(OTHER_CLERK).await;

    let page = giulia
        .get(&format!("/{TENANT}/ufficio/pratiche/{id}"))
        .await;
    assert!(page.body.contains("Giuseppe Verdi"), "{}", page.body);
    assert!(
        !page.body.contains("Paolo Gallo"),
        "only the office's clerks"
    );
    let csrf = giulia.csrf().await;
    // A clerk of another office cannot be given the pratica.
    let wrong = giulia
        .post(
            &format!("/{TENANT}/ufficio/pratiche/{id}/azioni/assign"),
            &format!("csrf={csrf}&version={}&assignee={paolo_id}", version(&page)),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let handed = giulia
        .post(
            &format!("/{TENANT}/ufficio/pratiche/{id}/azioni/assign"),
            &format!(
                "csrf={csrf}&version={}&assignee={giuseppe_id}",
                version(&page)
            ),
        )
        .await;
    assert!(handed.status.is_redirection(), "{}", handed.body);

    // Giuseppe finds it among his own; the history says who handed it over and from where.
    let mine = giuseppe
        .get(&format!("/{TENANT}/ufficio/?assegnate=mie"))
        .await;
    assert!(mine.body.contains(&id), "{}", mine.body);
    let theirs = giulia
        .get(&format!("/{TENANT}/ufficio/?assegnate=mie"))
        .await;
    assert!(!theirs.body.contains(&id), "{}", theirs.body);
    let detail = giuseppe
        .get(&format!("/{TENANT}/ufficio/pratiche/{id}"))
        .await;
    assert!(
        detail.body.contains("Assegnata a un altro operatore"),
        "{}",
        detail.body
    );
    assert!(detail.body.contains("Giulia Bianchi"), "{}", detail.body);
    // The citizen's timeline does not show internal reassignments.
    let citizen = mario
        .get(&format!("/{TENANT}/area-personale/pratiche/{id}"))
        .await;
    assert!(!citizen.body.contains("Assegnata a un altro operatore"));
}

async fn a_clerk_works_a_ztl_request_to_a_verifiable_permit(app: AuthApp) {
    let mut mario = app.browser();
    sign_in_as(&app, &mut mario, TENANT, CF, "Mario", "Rossi").await;
    let id = file_ztl(&mut mario).await;

    grant(&app, CLERK, "polizia-locale").await;
    let mut giulia = app.browser();
    sign_in_as(&app, &mut giulia, TENANT, CLERK, "Giulia", "Bianchi").await;
    let queue = giulia.get(&format!("/{TENANT}/ufficio/")).await;
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.body);
    assert!(queue.body.contains(&id), "{}", queue.body);
    assert!(
        queue.body.contains("Giorni alla scadenza"),
        "{}",
        queue.body
    );

    let taken = act(&mut giulia, &id, "take-charge", "").await;
    assert!(location(&taken).ends_with(&id), "{}", taken.body);
    let asked = act(
        &mut giulia,
        &id,
        "request-documents",
        "Allegare la copia del libretto di circolazione.",
    )
    .await;
    assert!(asked.status.is_redirection(), "{}", asked.body);

    // The request for documents went out as a letter with its own (outgoing) protocol
    // number, and the history links its PDF.
    let detail = giulia
        .get(&format!("/{TENANT}/ufficio/pratiche/{id}"))
        .await;
    let letter = link_to(&detail, "/lettere/");
    let pdf = giulia.get(&letter).await;
    assert_eq!(pdf.status, StatusCode::OK, "{}", pdf.body);
    assert!(pdf.body.starts_with("%PDF-"));
    let tenant = app.app.tenant(TENANT).await;
    let today = sportello_domain::calendar::local_date(jiff::Timestamp::now());
    let register = app
        .app
        .store
        .scoped(tenant.id)
        .protocol_register_of_day(today)
        .await
        .unwrap();
    let outgoing: Vec<_> = register
        .iter()
        .filter(|e| e.direction == sportello_store::protocol::Direction::Outgoing)
        .collect();
    assert_eq!(outgoing.len(), 1, "{register:?}");
    assert_eq!(outgoing[0].pratica.map(|p| p.to_string()), Some(id.clone()));
    assert!(outgoing[0].subject.starts_with("Richiesta di integrazione"));
    // Any other event has no letter.
    let none = giulia
        .get(&format!("/{TENANT}/ufficio/pratiche/{id}/lettere/1"))
        .await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);

    // The citizen sees the request for documents, with the term suspended, and answers it.
    let page = mario
        .get(&format!("/{TENANT}/area-personale/pratiche/{id}"))
        .await;
    assert!(
        page.body.contains("Allegare la copia del libretto"),
        "{}",
        page.body
    );
    assert!(page.body.contains("termine sospeso"), "{}", page.body);
    // The request for documents is also a letter the citizen can keep.
    let letter = mario.get(&link_to(&page, "/lettere/")).await;
    assert_eq!(letter.status, StatusCode::OK);
    assert!(letter.body.starts_with("%PDF-"));
    let csrf = mario.csrf().await;
    let replied = mario
        .post(
            &format!("/{TENANT}/area-personale/pratiche/{id}/azioni/documents"),
            &format!("csrf={csrf}&text=Libretto+consegnato+allo+sportello"),
        )
        .await;
    assert!(replied.status.is_redirection(), "{}", replied.body);

    // Approving makes the daily fee due, and the form says so before the clerk approves.
    let detail = giulia
        .get(&format!("/{TENANT}/ufficio/pratiche/{id}"))
        .await;
    assert!(
        detail.body.contains("il richiedente dovrà pagare"),
        "{}",
        detail.body
    );
    let approved = act(&mut giulia, &id, "approve", "").await;
    assert!(approved.status.is_redirection(), "{}", approved.body);
    let detail = giulia
        .get(&format!("/{TENANT}/ufficio/pratiche/{id}"))
        .await;
    assert!(
        detail.body.contains("In attesa di pagamento"),
        "{}",
        detail.body
    );
    let paid = act(&mut giulia, &id, "record-payment", "").await;
    assert!(paid.status.is_redirection(), "{}", paid.body);
    let issued = act(&mut giulia, &id, "issue-permit", "").await;
    assert!(issued.status.is_redirection(), "{}", issued.body);

    let pdf = giulia
        .get(&format!("/{TENANT}/ufficio/pratiche/{id}/permesso.pdf"))
        .await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert!(pdf.body.starts_with("%PDF-"));
    // The citizen finds it on the pratica's page.
    let page = mario
        .get(&format!("/{TENANT}/area-personale/pratiche/{id}"))
        .await;
    let permit_path = format!("/{TENANT}/area-personale/pratiche/{id}/permesso.pdf");
    assert!(
        page.body.contains(&format!("href=\"{permit_path}\"")),
        "{}",
        page.body
    );
    let citizen_pdf = mario.get(&permit_path).await;
    assert!(citizen_pdf.body.starts_with("%PDF-"));

    // The verification code printed on the permit opens its public page.
    let stored = app
        .app
        .store
        .scoped(tenant.id)
        .pratica(id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let code = stored.permit_code.expect("a permit code");
    let check = app
        .browser()
        .get(&format!("/{TENANT}/verifica/{code}"))
        .await;
    assert_eq!(check.status, StatusCode::OK, "{}", check.body);
    assert!(check.body.contains("AB123CD"), "{}", check.body);
    assert!(
        !check.body.contains(CF),
        "no codice fiscale on the public page"
    );
    // Valid from tomorrow: not valid today.
    assert!(
        check.body.contains("fuori dal periodo di validità"),
        "{}",
        check.body
    );
    let mut tampered = code.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let refused = app
        .browser()
        .get(&format!("/{TENANT}/verifica/{tampered}"))
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    assert!(refused.body.contains("Codice non valido"));
}

async fn other_offices_and_citizens_stay_out(app: AuthApp) {
    let mut mario = app.browser();
    sign_in_as(&app, &mut mario, TENANT, CF, "Mario", "Rossi").await;
    let id = file_ztl(&mut mario).await;
    let queue = mario.get(&format!("/{TENANT}/ufficio/")).await;
    assert_eq!(queue.status, StatusCode::FORBIDDEN);

    grant(&app, OTHER_CLERK, "suap").await;
    let mut paolo = app.browser();
    sign_in_as(&app, &mut paolo, TENANT, OTHER_CLERK, "Paolo", "Gallo").await;
    let own_queue = paolo.get(&format!("/{TENANT}/ufficio/")).await;
    assert_eq!(own_queue.status, StatusCode::OK);
    assert!(!own_queue.body.contains(&id));
    let detail = paolo.get(&format!("/{TENANT}/ufficio/pratiche/{id}")).await;
    assert_eq!(detail.status, StatusCode::FORBIDDEN);
    let csrf = paolo.csrf().await;
    let step = paolo
        .post(
            &format!("/{TENANT}/ufficio/pratiche/{id}/azioni/take-charge"),
            &format!("csrf={csrf}&version=1"),
        )
        .await;
    assert_eq!(step.status, StatusCode::FORBIDDEN);

    // Without a session the back office asks for a login, as the personal area does.
    let anonymous = app.browser().get(&format!("/{TENANT}/ufficio/")).await;
    assert_eq!(anonymous.status, StatusCode::OK);
    assert!(
        anonymous.body.contains("riservato agli operatori"),
        "{}",
        anonymous.body
    );
    assert!(!anonymous.body.contains(&id));

    // The comune's administrator sees every office's pratiche.
    let tenant = app.app.tenant(TENANT).await;
    app.app
        .store
        .scoped(tenant.id)
        .grant_role(
            &CodiceFiscale::parse(ADMIN).unwrap(),
            &Role::TenantAdmin,
            &Actor::cli("test"),
        )
        .await
        .unwrap();
    let mut admin = app.browser();
    sign_in_as(&app, &mut admin, TENANT, ADMIN, "Anna", "Esposito").await;
    let all = admin.get(&format!("/{TENANT}/ufficio/")).await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.body);
    assert!(all.body.contains(&id), "{}", all.body);
}

async fn a_stale_page_cannot_overwrite_a_colleagues_step(app: AuthApp) {
    let mut mario = app.browser();
    sign_in_as(&app, &mut mario, TENANT, CF, "Mario", "Rossi").await;
    let id = file_ztl(&mut mario).await;
    grant(&app, CLERK, "polizia-locale").await;
    let mut giulia = app.browser();
    sign_in_as(&app, &mut giulia, TENANT, CLERK, "Giulia", "Bianchi").await;
    let seen = giulia
        .get(&format!("/{TENANT}/ufficio/pratiche/{id}"))
        .await;
    let stale = version(&seen);
    act(&mut giulia, &id, "take-charge", "").await;
    let csrf = giulia.csrf().await;
    let late = giulia
        .post(
            &format!("/{TENANT}/ufficio/pratiche/{id}/azioni/approve"),
            &format!("csrf={csrf}&version={stale}&text="),
        )
        .await;
    assert_eq!(late.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        late.body.contains("modificata da un altro operatore"),
        "{}",
        late.body
    );
    // What the clerk wrote is still there, to send again on the current version.
    let late = giulia
        .post(
            &format!("/{TENANT}/ufficio/pratiche/{id}/azioni/request-documents"),
            &format!("csrf={csrf}&version={stale}&text=Serve+il+libretto+di+circolazione"),
        )
        .await;
    assert_eq!(late.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        late.body
            .contains(">Serve il libretto di circolazione</textarea>"),
        "{}",
        late.body
    );
}

async fn a_refusal_needs_the_notice_first_and_a_motivation(app: AuthApp) {
    let mut mario = app.browser();
    sign_in_as(&app, &mut mario, TENANT, CF, "Mario", "Rossi").await;
    let id = file_ztl(&mut mario).await;
    grant(&app, CLERK, "polizia-locale").await;
    let mut giulia = app.browser();
    sign_in_as(&app, &mut giulia, TENANT, CLERK, "Giulia", "Bianchi").await;
    act(&mut giulia, &id, "take-charge", "").await;
    // Without a 10-bis notice the step is not even offered, and posting it is refused.
    let page = giulia
        .get(&format!("/{TENANT}/ufficio/pratiche/{id}"))
        .await;
    assert!(!page.body.contains("azioni/reject"), "{}", page.body);
    let early = act(&mut giulia, &id, "reject", "Requisiti mancanti").await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
    let no_reasons = act(&mut giulia, &id, "notice-refusal", "").await;
    assert_eq!(no_reasons.status, StatusCode::UNPROCESSABLE_ENTITY);
    let noticed = act(
        &mut giulia,
        &id,
        "notice-refusal",
        "Il veicolo non risulta autorizzato al transito nella zona richiesta.",
    )
    .await;
    assert!(noticed.status.is_redirection(), "{}", noticed.body);
    let detail = giulia
        .get(&format!("/{TENANT}/ufficio/pratiche/{id}"))
        .await;
    let letter = giulia.get(&link_to(&detail, "/lettere/")).await;
    assert_eq!(letter.status, StatusCode::OK, "{}", letter.body);
    assert!(letter.body.starts_with("%PDF-"));
    let citizen = mario
        .get(&format!("/{TENANT}/area-personale/pratiche/{id}"))
        .await;
    assert!(
        citizen.body.contains("Invia le osservazioni"),
        "{}",
        citizen.body
    );
}

async fn the_queue_exports_to_csv_and_approves_in_bulk(app: AuthApp) {
    let mut mario = app.browser();
    sign_in_as(&app, &mut mario, TENANT, CF, "Mario", "Rossi").await;
    let first = file_ztl(&mut mario).await;
    let second = file_ztl(&mut mario).await;
    grant(&app, CLERK, "polizia-locale").await;
    let mut giulia = app.browser();
    sign_in_as(&app, &mut giulia, TENANT, CLERK, "Giulia", "Bianchi").await;
    let csv = giulia.get(&format!("/{TENANT}/ufficio/pratiche.csv")).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.header("content-type").starts_with("text/csv"));
    let mut lines = csv.body.lines();
    assert_eq!(
        lines.next().unwrap().trim_start_matches('\u{feff}'),
        "Protocollo;Servizio;Richiedente;Presentata il;Stato;Giorni alla scadenza;Scaduta;Assegnata a"
    );
    assert_eq!(lines.filter(|l| l.contains("Rossi")).count(), 2);

    act(&mut giulia, &first, "take-charge", "").await;
    act(&mut giulia, &second, "take-charge", "").await;
    let csrf = giulia.csrf().await;
    let bulk = giulia
        .post(
            &format!("/{TENANT}/ufficio/approva"),
            &format!("csrf={csrf}&pratica={first}&pratica={second}"),
        )
        .await;
    assert_eq!(bulk.status, StatusCode::OK, "{}", bulk.body);
    assert_eq!(
        bulk.body
            .matches("approvata – In attesa di pagamento")
            .count(),
        2,
        "{}",
        bulk.body
    );
    // Approving again is refused, pratica by pratica, with the domain's reason.
    let again = giulia
        .post(
            &format!("/{TENANT}/ufficio/approva"),
            &format!("csrf={csrf}&pratica={first}"),
        )
        .await;
    assert!(again.body.contains("non approvata – "), "{}", again.body);

    // The export follows the filters: nothing is unassigned any more.
    let csv = giulia
        .get(&format!("/{TENANT}/ufficio/pratiche.csv?assegnate=nessuno"))
        .await;
    assert_eq!(csv.body.lines().count(), 1, "{}", csv.body);
}

async fn a_health_certificate_is_read_only_by_the_deciding_office(app: AuthApp) {
    let mut mario = app.browser();
    sign_in_as(&app, &mut mario, TENANT, CF, "Mario", "Rossi").await;
    let draft = start(&mut mario, "contrassegno-disabili").await;
    step(
        &mut mario,
        &draft,
        "richiedente",
        &[("applicant_role", "self")],
    )
    .await;
    step(
        &mut mario,
        &draft,
        "contrassegno",
        &[("badge_type", "permanent"), ("request_type", "first")],
    )
    .await;
    step(&mut mario, &draft, "targhe", &[("plates", "AB123CD")]).await;
    step(
        &mut mario,
        &draft,
        "dichiarazioni",
        &[("truthful", "si"), ("proper_use", "si"), ("privacy", "si")],
    )
    .await;
    upload(
        &mut mario,
        &draft,
        "medical_certificate",
        "certificato.pdf",
        PDF,
    )
    .await;
    upload(&mut mario, &draft, "photo", "foto.png", PNG).await;
    let pratica = submit(&mut mario, &draft).await;
    let id = pratica
        .split("/pratiche/")
        .nth(1)
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();

    grant(&app, CLERK, "polizia-locale").await;
    let mut giulia = app.browser();
    sign_in_as(&app, &mut giulia, TENANT, CLERK, "Giulia", "Bianchi").await;
    let detail = giulia
        .get(&format!("/{TENANT}/ufficio/pratiche/{id}"))
        .await;
    let at = detail.body.find("/allegati/").expect("an attachment link");
    let link_start = detail.body[..at].rfind('"').unwrap() + 1;
    let link_end = at + detail.body[at..].find('"').unwrap();
    let link = detail.body[link_start..link_end].to_owned();
    let file = giulia.get(&link).await;
    assert_eq!(file.status, StatusCode::OK);
    assert!(
        file.body.starts_with("%PDF-"),
        "the deciding office reads the certificate"
    );

    let tenant = app.app.tenant(TENANT).await;
    let log = app.app.store.scoped(tenant.id).audit_log(50).await.unwrap();
    assert!(log.iter().any(|r| r.entry.action == "attachment.read"));

    // A clerk of another office cannot, even with the address.
    grant(&app, OTHER_CLERK, "suap").await;
    let mut paolo = app.browser();
    sign_in_as(&app, &mut paolo, TENANT, OTHER_CLERK, "Paolo", "Gallo").await;
    let refused = paolo.get(&link).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let log = app.app.store.scoped(tenant.id).audit_log(50).await.unwrap();
    assert!(
        log.iter()
            .any(|r| r.entry.action == "attachment.read_denied"),
        "{log:?}"
    );
}

mod counter {
    use super::*;

    crate::app_tests!(using crate::auth::AuthApp::plain; a_clerk_files_a_request_at_the_counter);

    async fn a_clerk_files_a_request_at_the_counter(app: AuthApp) {
        grant(&app, CLERK, "polizia-locale").await;
        let mut giulia = app.browser();
        sign_in_as(&app, &mut giulia, TENANT, CLERK, "Giulia", "Bianchi").await;
        let page = giulia.get(&format!("/{TENANT}/ufficio/sportello")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let csrf = giulia.csrf().await;
        let wrong = giulia
            .post(
                &format!("/{TENANT}/ufficio/sportello"),
                &format!("csrf={csrf}&service=permesso-ztl&fiscal_code=XYZ&given_name=Mario&family_name=Rossi"),
            )
            .await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(wrong.body.contains("value=\"XYZ\""), "what was typed stays");
        let started = giulia
            .post(
                &format!("/{TENANT}/ufficio/sportello"),
                &format!("csrf={csrf}&service=permesso-ztl&fiscal_code={CF}&given_name=Mario&family_name=Rossi"),
            )
            .await;
        let draft = location(&started).trim_end_matches('/').to_owned();
        step(
            &mut giulia,
            &draft,
            "categoria",
            &[("category", "giornaliero")],
        )
        .await;
        step(
            &mut giulia,
            &draft,
            "veicoli-e-zone",
            &[("plates", "AB123CD"), ("zones", "centro-storico")],
        )
        .await;
        step(
            &mut giulia,
            &draft,
            "periodo",
            &[("start_date", &day(1)), ("reason", "Allo sportello")],
        )
        .await;
        step(
            &mut giulia,
            &draft,
            "dichiarazioni",
            &[("truthful", "si"), ("conditions", "si"), ("privacy", "si")],
        )
        .await;
        let pratica = submit(&mut giulia, &draft).await;
        let id = pratica
            .split("/pratiche/")
            .nth(1)
            .unwrap()
            .split('?')
            .next()
            .unwrap()
            .to_owned();
        // The pratica is Mario's, filed at the counter: he finds it in his personal area.
        let detail = giulia
            .get(&format!("/{TENANT}/ufficio/pratiche/{id}"))
            .await;
        assert!(
            detail.body.contains("presentata allo sportello"),
            "{}",
            detail.body
        );
        let mut mario = app.browser();
        sign_in_as(&app, &mut mario, TENANT, CF, "Mario", "Rossi").await;
        let area = mario.get(&format!("/{TENANT}/area-personale/")).await;
        assert!(area.body.contains(&id), "{}", area.body);
    }
}

mod ztl_check {
    use super::*;

    crate::app_tests!(using crate::auth::AuthApp::plain; the_traffic_police_check_a_transit);

    async fn the_traffic_police_check_a_transit(app: AuthApp) {
        let mut mario = app.browser();
        sign_in_as(&app, &mut mario, TENANT, CF, "Mario", "Rossi").await;
        let id = file_ztl(&mut mario).await;
        grant(&app, CLERK, "polizia-locale").await;
        let mut giulia = app.browser();
        sign_in_as(&app, &mut giulia, TENANT, CLERK, "Giulia", "Bianchi").await;
        for action in ["take-charge", "approve", "record-payment", "issue-permit"] {
            let done = act(&mut giulia, &id, action, "").await;
            assert!(done.status.is_redirection(), "{action}: {}", done.body);
        }
        // Tomorrow at 10:00 in Rome, inside the zone's restricted hours and the permit's day.
        let at = format!("{}T10:00:00%2B01:00", day(1));
        let check = |plate: &str, at: &str| {
            format!("/{TENANT}/api/v1/ztl/check?plate={plate}&zone=centro-storico&at={at}")
        };
        let allowed = giulia.get(&check("AB123CD", &at)).await;
        assert_eq!(allowed.status, StatusCode::OK, "{}", allowed.body);
        let answer: serde_json::Value = serde_json::from_str(&allowed.body).unwrap();
        assert_eq!(answer["authorised"], true, "{answer}");
        assert_eq!(answer["restricted"], true, "{answer}");
        assert!(
            answer["permit"]["number"].as_str().unwrap().contains('/'),
            "{answer}"
        );

        let stranger = giulia.get(&check("ZZ999ZZ", &at)).await;
        let answer: serde_json::Value = serde_json::from_str(&stranger.body).unwrap();
        assert_eq!(answer["authorised"], false, "{answer}");
        assert!(answer["permit"].is_null());

        let bad_zone = giulia
            .get(&format!(
                "/{TENANT}/api/v1/ztl/check?plate=AB123CD&zone=luna"
            ))
            .await;
        assert_eq!(bad_zone.status, StatusCode::NOT_FOUND);
        let bad_plate = giulia.get(&check("AB1", &at)).await;
        assert_eq!(bad_plate.status, StatusCode::UNPROCESSABLE_ENTITY);
        // Citizens may not look up other people's transits; nobody anonymous may.
        assert_eq!(
            mario.get(&check("AB123CD", &at)).await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            app.browser().get(&check("AB123CD", &at)).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
}

mod every_service {
    //! Each of the other three services from filing to a permit whose PDF and verification
    //! page follow (the ZTL permit has its own test above).
    use super::*;

    crate::app_tests!(
        using crate::auth::AuthApp::plain;
        a_public_land_occupation_ends_in_a_verifiable_permit,
        a_resident_parking_permit_ends_in_a_verifiable_permit,
        a_disabled_badge_ends_in_a_verifiable_permit_without_health_data,
        a_renewal_supersedes_the_permit_it_renews,
    );

    fn parking_steps(request_type: &str) -> Vec<(&'static str, Vec<(&'static str, String)>)> {
        vec![
            ("richiesta", vec![("request_type", request_type.to_owned())]),
            (
                "residenza",
                owned(&[
                    ("street", "via-roma"),
                    ("house_number", "3"),
                    ("household_permits", "0"),
                    ("private_parking", "no"),
                ]),
            ),
            (
                "veicolo",
                owned(&[("plate", "AB123CD"), ("vehicle_title", "owned")]),
            ),
            (
                "dichiarazioni",
                owned(&[("truthful", "si"), ("conditions", "si"), ("privacy", "si")]),
            ),
        ]
    }

    async fn a_renewal_supersedes_the_permit_it_renews(app: AuthApp) {
        let clerk = (CLERK, "Giulia", "Bianchi", "polizia-locale");
        to_permit(
            &app,
            "permesso-sosta-residenti",
            &parking_steps("first"),
            &[],
            clerk,
        )
        .await;
        let renewed = to_permit(
            &app,
            "permesso-sosta-residenti",
            &parking_steps("renewal"),
            &[],
            clerk,
        )
        .await;
        assert!(renewed.contains("Permesso valido oggi"), "{renewed}");
        let tenant = app.app.tenant(TENANT).await;
        let mut states: Vec<&str> = app
            .app
            .store
            .scoped(tenant.id)
            .pratiche_of(&CodiceFiscale::parse(CF).unwrap())
            .await
            .unwrap()
            .iter()
            .map(|p| p.state().key())
            .collect();
        states.sort_unstable();
        assert_eq!(states, ["permit-issued", "renewed"]);
    }

    /// Mario files `service` through its steps and uploads; the clerk of `office` takes it in
    /// charge, approves it, records the payment when one is due and issues the permit; the
    /// permit's PDF and public page follow. Returns the public page.
    async fn to_permit(
        app: &AuthApp,
        service: &str,
        steps: &[(&str, Vec<(&str, String)>)],
        uploads: &[(&str, &str, &[u8])],
        clerk: (&str, &str, &str, &str),
    ) -> String {
        let mut mario = app.browser();
        sign_in_as(app, &mut mario, TENANT, CF, "Mario", "Rossi").await;
        let draft = start(&mut mario, service).await;
        for (id, answers) in steps {
            let pairs: Vec<(&str, &str)> = answers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            step(&mut mario, &draft, id, &pairs).await;
        }
        for (spec, name, bytes) in uploads {
            let uploaded = upload(&mut mario, &draft, spec, name, bytes).await;
            assert!(
                uploaded.status.is_redirection(),
                "{spec}: {}",
                uploaded.body
            );
        }
        let pratica = submit(&mut mario, &draft).await;
        let id = pratica
            .split("/pratiche/")
            .nth(1)
            .unwrap()
            .split('?')
            .next()
            .unwrap()
            .to_owned();

        let (cf, given, family, office) = clerk;
        grant(app, cf, office).await;
        let mut clerk_browser = app.browser();
        sign_in_as(app, &mut clerk_browser, TENANT, cf, given, family).await;
        for action in ["take-charge", "approve"] {
            let done = act(&mut clerk_browser, &id, action, "").await;
            assert!(done.status.is_redirection(), "{action}: {}", done.body);
        }
        let detail = clerk_browser
            .get(&format!("/{TENANT}/ufficio/pratiche/{id}"))
            .await;
        if detail.body.contains("azioni/record-payment") {
            let paid = act(&mut clerk_browser, &id, "record-payment", "").await;
            assert!(paid.status.is_redirection(), "{}", paid.body);
        }
        let issued = act(&mut clerk_browser, &id, "issue-permit", "").await;
        assert!(issued.status.is_redirection(), "{}", issued.body);

        let pdf = mario
            .get(&format!(
                "/{TENANT}/area-personale/pratiche/{id}/permesso.pdf"
            ))
            .await;
        assert_eq!(pdf.status, StatusCode::OK);
        assert!(pdf.body.starts_with("%PDF-"));
        let tenant = app.app.tenant(TENANT).await;
        let stored = app
            .app
            .store
            .scoped(tenant.id)
            .pratica(id.parse().unwrap())
            .await
            .unwrap()
            .unwrap();
        let code = stored.permit_code.expect("a permit code");
        let check = app
            .browser()
            .get(&format!("/{TENANT}/verifica/{code}"))
            .await;
        assert_eq!(check.status, StatusCode::OK, "{}", check.body);
        assert!(
            !check.body.contains(CF),
            "no codice fiscale on the public page"
        );
        check.body
    }

    fn owned(pairs: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
        pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()
    }

    async fn a_public_land_occupation_ends_in_a_verifiable_permit(app: AuthApp) {
        let page = to_permit(
            &app,
            "occupazione-suolo-pubblico",
            &[
                ("richiedente", owned(&[("applicant_role", "self")])),
                (
                    "luogo",
                    owned(&[
                        ("place_kind", "street"),
                        ("street", "via-roma"),
                        ("house_number", "8"),
                    ]),
                ),
                (
                    "occupazione",
                    owned(&[
                        ("occupation_kind", "trasloco"),
                        ("area_m2", "20"),
                        ("purpose", "Furgone per un trasloco"),
                    ]),
                ),
                (
                    "date-e-orari",
                    vec![
                        ("duration", "days".to_owned()),
                        ("start_date", day(3)),
                        ("end_date", day(3)),
                    ],
                ),
                (
                    "dichiarazioni",
                    owned(&[("truthful", "si"), ("regulation", "si"), ("privacy", "si")]),
                ),
            ],
            &[("site_photos", "strada.png", PNG)],
            (OTHER_CLERK, "Paolo", "Gallo", "suap"),
        )
        .await;
        assert!(
            page.contains("Via Roma"),
            "the permit shows the place: {page}"
        );
    }

    async fn a_resident_parking_permit_ends_in_a_verifiable_permit(app: AuthApp) {
        let page = to_permit(
            &app,
            "permesso-sosta-residenti",
            &[
                ("richiesta", owned(&[("request_type", "first")])),
                (
                    "residenza",
                    owned(&[
                        ("street", "via-roma"),
                        ("house_number", "3"),
                        ("household_permits", "0"),
                        ("private_parking", "no"),
                    ]),
                ),
                (
                    "veicolo",
                    owned(&[("plate", "AB123CD"), ("vehicle_title", "owned")]),
                ),
                (
                    "dichiarazioni",
                    owned(&[("truthful", "si"), ("conditions", "si"), ("privacy", "si")]),
                ),
            ],
            &[],
            (CLERK, "Giulia", "Bianchi", "polizia-locale"),
        )
        .await;
        assert!(
            page.contains("AB123CD"),
            "the permit shows its plate: {page}"
        );
        assert!(page.contains("Permesso valido oggi"), "{page}");
    }

    async fn a_disabled_badge_ends_in_a_verifiable_permit_without_health_data(app: AuthApp) {
        let page = to_permit(
            &app,
            "contrassegno-disabili",
            &[
                ("richiedente", owned(&[("applicant_role", "self")])),
                (
                    "contrassegno",
                    owned(&[("badge_type", "permanent"), ("request_type", "first")]),
                ),
                ("targhe", owned(&[("plates", "AB123CD")])),
                (
                    "dichiarazioni",
                    owned(&[("truthful", "si"), ("proper_use", "si"), ("privacy", "si")]),
                ),
            ],
            &[
                ("medical_certificate", "certificato.pdf", PDF),
                ("photo", "foto.png", PNG),
            ],
            (CLERK, "Giulia", "Bianchi", "polizia-locale"),
        )
        .await;
        assert!(page.contains("Permesso valido oggi"), "{page}");
        for private in ["certificato", "AB123CD", "Mario", "Rossi"] {
            assert!(
                !page.contains(private),
                "the badge's page shows {private}: {page}"
            );
        }
    }
}
