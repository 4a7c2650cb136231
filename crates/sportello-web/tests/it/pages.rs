use crate::app_tests;
use crate::support::TestApp;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};

const PERMITS: [&str; 4] = [
    "occupazione-suolo-pubblico",
    "permesso-sosta-residenti",
    "contrassegno-disabili",
    "permesso-ztl",
];

app_tests!(
    operations_endpoints_answer,
    homes_of_both_comuni_in_both_languages,
    the_four_permit_sheets_follow_the_model,
    the_catalogue_lists_every_service_by_category,
    the_catalogue_search_filters,
    footer_carries_the_mandatory_links,
    info_pages_render_from_tenant_data,
    the_language_switch_is_remembered_and_safe,
    rating_is_stored_and_thanked,
    a_refused_rating_explains_and_keeps_the_input,
    static_assets_and_logo_are_served,
    login_pages_say_what_to_do_instead_of_a_dead_end,
);

async fn operations_endpoints_answer(app: TestApp) {
    let health = app.get("/healthz").await;
    assert_eq!(health.status, StatusCode::OK);
    assert!(health.body.contains("\"ok\""));
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.body);
    assert!(ready.body.contains("\"ready\""));
    app.get("/borgoverde/servizi").await;
    let metrics = app.get("/metrics").await;
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(metrics.header("content-type").starts_with("text/plain"));
    assert!(
        metrics.body.contains("http_requests_total{"),
        "{}",
        metrics.body
    );
    assert!(
        metrics.body.contains("route=\"/{tenant}/servizi\""),
        "routes are labelled by template"
    );
    assert!(
        metrics
            .body
            .contains("http_request_duration_seconds_bucket")
    );
    assert!(
        metrics
            .body
            .contains("sportello_outbox_messages{status=\"pending\"} 0")
    );
}

async fn homes_of_both_comuni_in_both_languages(app: TestApp) {
    for (slug, name) in [
        ("borgoverde", "Comune di Borgoverde"),
        ("valdoro", "Comune di Valdoro"),
    ] {
        let it = app.get(&format!("/{slug}/")).await;
        assert_eq!(it.status, StatusCode::OK);
        assert!(it.body.contains("<html lang=\"it\">"));
        assert!(it.body.contains(name));
        assert!(it.body.contains("Servizi in evidenza"));
        assert!(it.body.contains("data-element=\"personal-area-login\""));
        let en = app.get_in(&format!("/{slug}/"), "en").await;
        assert_eq!(en.status, StatusCode::OK);
        assert!(en.body.contains("<html lang=\"en\">"));
        assert!(en.body.contains("Featured services"));
    }
    let redirect = app.get("/borgoverde").await;
    assert_eq!(redirect.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(redirect.header("location"), "/borgoverde/");
}

/// The model's items, in its order, with its wording and `data-element` markers.
async fn the_four_permit_sheets_follow_the_model(app: TestApp) {
    let markers = [
        "data-element=\"breadcrumb\"",
        "data-element=\"service-title\"",
        "data-element=\"service-status\"",
        "data-element=\"service-description\"",
        "data-element=\"page-index\"",
        "data-element=\"service-addressed\"",
        "data-element=\"service-how-to\"",
        "data-element=\"service-needed\"",
        "data-element=\"service-achieved\"",
        "data-element=\"service-calendar-text\"",
        "id=\"accedi-al-servizio\"",
        "id=\"condizioni-di-servizio\"",
        "data-element=\"service-area\"",
        "data-element=\"service-topic\"",
        "data-element=\"feedback\"",
    ];
    let headings = [
        "A chi è rivolto",
        "Come fare",
        "Cosa serve",
        "Cosa si ottiene",
        "Tempi e scadenze",
        "Accedi al servizio",
        "Condizioni di servizio",
        "Contatti",
    ];
    for slug in ["borgoverde", "valdoro"] {
        for permit in PERMITS {
            let path = format!("/{slug}/servizi/{permit}");
            let page = app.get(&path).await;
            assert_eq!(page.status, StatusCode::OK, "{path}");
            let mut at = 0;
            for marker in markers {
                let found = page.body[at..]
                    .find(marker)
                    .unwrap_or_else(|| panic!("{path}: {marker} missing or out of order"));
                at += found;
            }
            let mut at = page
                .body
                .find("data-element=\"service-addressed\"")
                .unwrap()
                - 200;
            for heading in headings {
                let tag = format!(">{heading}</h2>");
                let found = page.body[at..]
                    .find(&tag)
                    .unwrap_or_else(|| panic!("{path}: heading {heading} missing or out of order"));
                at += found;
            }
            assert!(
                page.body.contains("data-element=\"service-online-access\""),
                "{path}: online access button"
            );
            assert!(
                page.body
                    .contains("Quanto sono chiare le informazioni su questa pagina?")
            );
            assert_eq!(
                page.body
                    .matches("data-element=\"feedback-rating-answer\"")
                    .count(),
                10
            );
            json_ld_is_valid(&page.body, &path);

            let en = app.get_in(&path, "en").await;
            assert_eq!(en.status, StatusCode::OK);
            assert!(en.body.contains(">Who it is for</h2>"), "{path} in English");
            assert!(
                en.body
                    .contains("How clear is the information on this page?")
            );
            json_ld_is_valid(&en.body, &path);
        }
    }
}

fn json_ld_is_valid(body: &str, path: &str) {
    let start = body
        .find("<script type=\"application/ld+json\" data-element=\"metatag\">")
        .unwrap_or_else(|| panic!("{path}: no metatag"));
    let rest = &body[start..];
    let json = &rest[rest.find('>').unwrap() + 1..rest.find("</script>").unwrap()];
    let value: serde_json::Value =
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{path}: JSON-LD invalid: {e}"));
    assert_eq!(value["@type"], "GovernmentService");
    assert!(value["name"].as_str().is_some_and(|n| !n.is_empty()));
}

async fn the_catalogue_lists_every_service_by_category(app: TestApp) {
    for slug in ["borgoverde", "valdoro"] {
        let page = app.get(&format!("/{slug}/servizi")).await;
        assert_eq!(page.status, StatusCode::OK);
        let services = app.store.tenant_by_slug(slug).await.unwrap().unwrap();
        let catalogue = app.store.scoped(services.id).services().await.unwrap();
        assert!(
            catalogue.len() >= 12,
            "{slug} has only {} services",
            catalogue.len()
        );
        assert_eq!(
            page.body.matches("data-element=\"service-link\"").count(),
            catalogue.len()
        );
        for service in &catalogue {
            assert!(
                page.body
                    .contains(&format!("href=\"/{slug}/servizi/{}\"", service.slug)),
                "{}",
                service.slug
            );
            let sheet = app.get(&format!("/{slug}/servizi/{}", service.slug)).await;
            assert_eq!(sheet.status, StatusCode::OK, "{slug}/{}", service.slug);
        }
        let categories: std::collections::BTreeSet<_> =
            catalogue.iter().map(|s| s.category).collect();
        for category in categories {
            assert!(
                page.body
                    .contains(&format!("<h2 id=\"{}\"", category.key())),
                "{slug}: group {category:?}"
            );
        }
    }
}

async fn the_catalogue_search_filters(app: TestApp) {
    let page = app.get("/borgoverde/servizi?q=suolo+pubblico").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains("/borgoverde/servizi/occupazione-suolo-pubblico\"")
    );
    assert!(!page.body.contains("/borgoverde/servizi/permesso-ztl\""));
    let accents = app.get("/borgoverde/servizi?q=MOBILIT%C3%80").await;
    assert!(
        accents.body.contains("/borgoverde/servizi/permesso-ztl"),
        "search ignores accents and case"
    );
    let none = app.get("/borgoverde/servizi?q=zzzzzz").await;
    assert!(
        none.body
            .contains("Nessun servizio corrisponde alla ricerca")
    );
}

async fn footer_carries_the_mandatory_links(app: TestApp) {
    let page = app.get("/valdoro/").await;
    for marker in [
        "privacy-policy-link",
        "legal-notes",
        "accessibility-link",
        "faq",
        "report-inefficiency",
        "appointment-booking",
    ] {
        assert!(
            page.body.contains(&format!("data-element=\"{marker}\"")),
            "footer lacks {marker}"
        );
    }
    for marker in ["management", "news", "all-services", "live"] {
        assert!(
            page.body.contains(&format!("data-element=\"{marker}\"")),
            "menu lacks {marker}"
        );
    }
    assert!(
        page.body.contains("80000678906"),
        "codice fiscale of the ente"
    );
    assert!(page.body.contains("NextGenerationEU"));
    // The model's transversal functions close the catalogue and every service sheet, after
    // the rating and before the footer: help, booking and reporting a problem.
    for path in ["/valdoro/servizi", "/valdoro/servizi/permesso-ztl"] {
        let page = app.get(path).await;
        let body = &page.body;
        let rating = body.find("data-element=\"feedback\"").unwrap();
        let footer = body.find("<footer").unwrap();
        let help = body
            .find("Hai bisogno di assistenza?")
            .unwrap_or_else(|| panic!("{path}: no assistance box"));
        assert!(rating < help && help < footer, "{path}");
        for marker in ["appointment-booking", "report-inefficiency"] {
            assert!(
                body[help..footer].contains(&format!("data-element=\"{marker}\"")),
                "{path}: {marker} in the assistance box"
            );
        }
    }
}

async fn info_pages_render_from_tenant_data(app: TestApp) {
    let privacy = app.get("/borgoverde/privacy").await;
    assert_eq!(privacy.status, StatusCode::OK);
    assert!(privacy.body.contains("Titolare del trattamento"));
    assert!(privacy.body.contains("Comune di Borgoverde"));
    let legal = app.get_in("/valdoro/note-legali", "en").await;
    assert_eq!(legal.status, StatusCode::OK);
    assert!(legal.body.contains("CC BY 4.0"));
    // Accessibility, in both languages: the comune's statement on AgID's platform, and the
    // feedback mechanism with the comune's own addresses.
    let page = app.get("/valdoro/").await;
    assert!(page.body.contains("href=\"/valdoro/accessibilita\""));
    let valdoro = app.tenant("valdoro").await;
    for (lang, heading) in [
        ("it", "Segnala un problema di accessibilità"),
        ("en", "Report an accessibility problem"),
    ] {
        let accessibility = app.get_in("/valdoro/accessibilita", lang).await;
        assert_eq!(accessibility.status, StatusCode::OK);
        assert!(
            accessibility
                .body
                .contains(&format!("<html lang=\"{lang}\""))
        );
        assert!(accessibility.body.contains(heading), "{lang}");
        assert!(
            accessibility
                .body
                .contains(valdoro.profile.links.accessibility_declaration.as_str())
        );
        assert!(
            accessibility
                .body
                .contains(&format!("mailto:{}", valdoro.profile.contacts.pec))
        );
    }
    let contacts = app.get("/valdoro/contatti").await;
    assert_eq!(contacts.status, StatusCode::OK);
    let offices = app
        .store
        .scoped(app.tenant("valdoro").await.id)
        .offices()
        .await
        .unwrap();
    for office in offices {
        assert!(
            contacts.body.contains(&html_escape(&office.name.it)),
            "{}",
            office.name.it
        );
    }
}

fn html_escape(text: &str) -> String {
    // As askama escapes.
    text.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

async fn the_language_switch_is_remembered_and_safe(app: TestApp) {
    let page = app.get("/borgoverde/servizi").await;
    assert!(
        page.body
            .contains("href=\"/borgoverde/lingua/en?next=/borgoverde/servizi\"")
    );
    let switch = app
        .get("/borgoverde/lingua/en?next=/borgoverde/servizi")
        .await;
    assert_eq!(switch.status, StatusCode::SEE_OTHER);
    assert_eq!(switch.header("location"), "/borgoverde/servizi");
    assert_eq!(switch.cookie("lang").as_deref(), Some("en"));
    let evil = app
        .get("/borgoverde/lingua/en?next=https://evil.example/")
        .await;
    assert_eq!(evil.header("location"), "/borgoverde/");
    let protocol_relative = app.get("/borgoverde/lingua/it?next=//evil.example/").await;
    assert_eq!(protocol_relative.header("location"), "/borgoverde/");
}

async fn rating_is_stored_and_thanked(app: TestApp) {
    let token = app.csrf_token().await;
    let page = "/borgoverde/servizi/permesso-ztl";
    let body = format!(
        "csrf={token}&page=%2Fborgoverde%2Fservizi%2Fpermesso-ztl&stars=5&answer=clear-instructions&comment=Tutto+chiaro"
    );
    let response = app
        .post_form("/borgoverde/valutazione", Some(&token), &body)
        .await;
    assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
    assert_eq!(
        response.header("location"),
        format!("{page}?valutazione=grazie#valutazione")
    );
    let tenant = app.tenant("borgoverde").await;
    let summary = app
        .store
        .scoped(tenant.id)
        .rating_summary(page)
        .await
        .unwrap();
    assert_eq!((summary.count, summary.average), (1, Some(5.0)));
    let thanked = app.get(&format!("{page}?valutazione=grazie")).await;
    assert!(
        thanked
            .body
            .contains("Grazie, il tuo parere ci aiuterà a migliorare il servizio!")
    );
}

async fn a_refused_rating_explains_and_keeps_the_input(app: TestApp) {
    let token = app.csrf_token().await;
    let body = format!(
        "csrf={token}&page=%2Fborgoverde%2Fservizi&stars=2&answer=clear-instructions&comment=Il+modulo+%C3%A8+lungo"
    );
    let response = app
        .post_form("/borgoverde/valutazione", Some(&token), &body)
        .await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .body
            .contains("La risposta scelta non corrisponde alla valutazione")
    );
    assert!(
        response.body.contains("value=\"Il modulo è lungo\""),
        "the comment typed is kept"
    );
    assert!(
        response
            .body
            .contains("id=\"stars-2\" name=\"stars\" value=\"2\" checked"),
        "the stars chosen are kept"
    );
    let no_stars = app
        .post_form(
            "/borgoverde/valutazione",
            Some(&token),
            &format!("csrf={token}&page=%2Fborgoverde%2F"),
        )
        .await;
    assert_eq!(no_stars.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_stars.body.contains("Scegli da 1 a 5 stelle"));
    let tenant = app.tenant("borgoverde").await;
    assert_eq!(
        app.store
            .scoped(tenant.id)
            .rating_summary("/borgoverde/servizi")
            .await
            .unwrap()
            .count,
        0
    );
}

async fn static_assets_and_logo_are_served(app: TestApp) {
    let css = app.get("/static/css/sportello.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.header("content-type"), "text/css; charset=utf-8");
    let kit = app
        .get("/static/vendor/bootstrap-italia/css/bootstrap-italia.min.css")
        .await;
    assert_eq!(
        kit.status,
        StatusCode::OK,
        "Bootstrap Italia is served by the binary"
    );
    assert!(kit.body.contains("--bootstrap-italia-version"));
    // Assets travel compressed to a browser that accepts it; pages never do (BREACH).
    let accepts_gzip = |path: &str| {
        Request::get(path)
            .header(header::HOST, "localhost")
            .header(header::ACCEPT_ENCODING, "gzip, br")
            .body(Body::empty())
            .unwrap()
    };
    let gzipped = app
        .send(accepts_gzip(
            "/static/vendor/bootstrap-italia/css/bootstrap-italia.min.css",
        ))
        .await;
    assert_eq!(gzipped.header("content-encoding"), "gzip");
    assert!(
        gzipped
            .header("vary")
            .to_ascii_lowercase()
            .contains("accept-encoding")
    );
    let page = app.send(accepts_gzip("/borgoverde/servizi")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.headers.get(header::CONTENT_ENCODING).is_none());
    assert_eq!(
        app.get("/static/../Cargo.toml").await.status,
        StatusCode::NOT_FOUND
    );
    let logo = app.get("/valdoro/stemma").await;
    assert_eq!(logo.status, StatusCode::OK);
    assert_eq!(logo.header("content-type"), "image/svg+xml");
    assert!(logo.header("content-security-policy").contains("sandbox"));
}

async fn login_pages_say_what_to_do_instead_of_a_dead_end(app: TestApp) {
    let area = app.get("/valdoro/area-personale/").await;
    assert_eq!(area.status, StatusCode::OK);
    assert!(area.body.contains("SPID"));
    let request = app.get("/valdoro/servizi/permesso-ztl/richiesta").await;
    assert_eq!(request.status, StatusCode::OK);
    let tenant = app.tenant("valdoro").await;
    let scope = app.store.scoped(tenant.id);
    let service = scope.service("permesso-ztl").await.unwrap().unwrap();
    let office = scope
        .office(service.office.as_str())
        .await
        .unwrap()
        .unwrap();
    assert!(
        request.body.contains(&office.phone),
        "the responsible office is shown"
    );
    let not_online = scope
        .services()
        .await
        .unwrap()
        .into_iter()
        .find(|s| !s.is_online())
        .unwrap();
    let refused = app
        .get(&format!("/valdoro/servizi/{}/richiesta", not_online.slug))
        .await;
    assert_eq!(
        refused.status,
        StatusCode::NOT_FOUND,
        "only online services have a request page"
    );
}

/// A database without the schema answers `/healthz` (the process lives) but not `/readyz`, so a
/// load balancer keeps traffic away until `sportello migrate` has run.
#[tokio::test]
async fn readyz_refuses_until_the_database_is_migrated() {
    let path = std::env::temp_dir().join(format!("sportello-unmigrated-{}.db", std::process::id()));
    let url = format!("sqlite://{}", path.display());
    let store = sportello_store::Store::connect(&url, &Default::default())
        .await
        .unwrap();
    let state = sportello_web::AppState::new(
        store.clone(),
        sportello_web::WebConfig::default(),
        sportello_web::Metrics::install().unwrap(),
    );
    let app = TestApp {
        router: sportello_web::app(state.clone(), axum::Router::new()),
        store: store.clone(),
        state,
    };
    assert_eq!(app.get("/healthz").await.status, StatusCode::OK);
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(ready.body.contains("migrations-pending"), "{}", ready.body);
    store.migrate().await.unwrap();
    assert_eq!(app.get("/readyz").await.status, StatusCode::OK);
    store.close().await;
    let _ = std::fs::remove_file(path);
}
