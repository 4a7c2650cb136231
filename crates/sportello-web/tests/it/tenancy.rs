//! One comune can never show another comune's data, whichever way it is addressed.

use crate::app_tests;
use crate::support::TestApp;
use axum::http::StatusCode;

app_tests!(
    a_service_of_valdoro_is_not_found_through_borgoverde,
    catalogues_list_only_their_own_services,
    a_comune_on_its_own_domain_sees_only_itself,
    unknown_comuni_and_pages_are_404_pages,
);

async fn a_service_of_valdoro_is_not_found_through_borgoverde(app: TestApp) {
    let own = app.get("/valdoro/servizi/mensa-scolastica").await;
    assert_eq!(own.status, StatusCode::OK, "valdoro shows its own service");
    let foreign = app.get("/borgoverde/servizi/mensa-scolastica").await;
    assert_eq!(
        foreign.status,
        StatusCode::NOT_FOUND,
        "borgoverde must not show valdoro's service"
    );
    assert!(!foreign.body.contains("Valdoro"));
    let other_way = app.get("/valdoro/servizi/iscrizione-asilo-nido").await;
    assert_eq!(other_way.status, StatusCode::NOT_FOUND);
    let valdoro_request = app
        .get("/borgoverde/servizi/mensa-scolastica/richiesta")
        .await;
    assert_eq!(valdoro_request.status, StatusCode::NOT_FOUND);
}

async fn catalogues_list_only_their_own_services(app: TestApp) {
    let borgoverde = app.get("/borgoverde/servizi").await;
    assert!(!borgoverde.body.contains("mensa-scolastica"));
    assert!(
        !borgoverde.body.contains("Valdoro"),
        "no trace of the other comune"
    );
    let valdoro = app.get("/valdoro/servizi").await;
    assert!(!valdoro.body.contains("iscrizione-asilo-nido"));
    assert!(!valdoro.body.contains("Borgoverde"));
    // The same slug shows each comune's own text.
    let ztl_b = app.get("/borgoverde/servizi/permesso-ztl").await;
    let ztl_v = app.get("/valdoro/servizi/permesso-ztl").await;
    assert!(
        ztl_b.body.contains("Comune di Borgoverde") && !ztl_b.body.contains("Comune di Valdoro")
    );
    assert!(
        ztl_v.body.contains("Comune di Valdoro") && !ztl_v.body.contains("Comune di Borgoverde")
    );
}

async fn a_comune_on_its_own_domain_sees_only_itself(app: TestApp) {
    let home = app.get_on_host("servizi.borgoverde.example", "/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("Comune di Borgoverde"));
    assert!(
        home.body.contains("href=\"/servizi\""),
        "links drop the slug on the comune's own domain"
    );
    let sheet = app
        .get_on_host("servizi.borgoverde.example:443", "/servizi/permesso-ztl")
        .await;
    assert_eq!(sheet.status, StatusCode::OK);
    let foreign = app
        .get_on_host("servizi.borgoverde.example", "/servizi/mensa-scolastica")
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    let via_slug = app
        .get_on_host("servizi.borgoverde.example", "/valdoro/servizi")
        .await;
    assert_eq!(
        via_slug.status,
        StatusCode::NOT_FOUND,
        "another comune's slug is not reachable on this domain"
    );
    let assets = app
        .get_on_host("servizi.borgoverde.example", "/static/css/sportello.css")
        .await;
    assert_eq!(assets.status, StatusCode::OK);
    let unknown_host = app
        .get_on_host("servizi.nessuno.example", "/borgoverde/")
        .await;
    assert_eq!(
        unknown_host.status,
        StatusCode::OK,
        "an unknown host falls back to the path"
    );
}

async fn unknown_comuni_and_pages_are_404_pages(app: TestApp) {
    for path in [
        "/nessuno/",
        "/nessuno/servizi/permesso-ztl",
        "/Borgoverde/",
        "/borgo%20verde/",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            response.body.contains("Comune non trovato")
                || response.body.contains("Pagina non trovata"),
            "{path}"
        );
        assert!(
            response.body.contains("<html lang=\"it\">"),
            "{path}: an HTML page"
        );
    }
    let unknown_tenant = app.get("/nessuno/").await;
    assert!(
        unknown_tenant.body.contains("Comune non trovato")
            && unknown_tenant.body.contains("Comune not found")
    );
    let unknown_service = app.get("/borgoverde/servizi/non-esiste").await;
    assert_eq!(unknown_service.status, StatusCode::NOT_FOUND);
    assert!(unknown_service.body.contains("Pagina non trovata"));
}
