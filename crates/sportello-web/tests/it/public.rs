//! The public verification of a permit in every state it can be in: valid later, revoked,
//! expired — on the page the QR code opens and in the API, with nothing personal shown.

use crate::api::actions::{CLERK, api, file_ztl, get, grant_clerk, send};
use crate::auth::{AuthApp, Browser, sign_in_as};
use crate::requests::{CF, TENANT};
use axum::http::StatusCode;
use serde_json::{Value, json};
use sportello_store::Actor;

crate::app_tests!(
    using crate::auth::AuthApp::plain;
    a_revoked_permit_says_so,
    an_expired_permit_says_so,
);

/// Mario files a one-day ZTL permit for tomorrow and Giulia issues it; returns the pratica
/// as the office sees it and its verification code.
async fn issued(app: &AuthApp, giulia: &mut Browser<'_>) -> (Value, String) {
    let mut mario = app.browser();
    sign_in_as(app, &mut mario, TENANT, CF, "Mario", "Rossi").await;
    let pratica = file_ztl(&mut mario).await;
    let id = pratica["id"].as_str().unwrap().to_owned();
    grant_clerk(app).await;
    sign_in_as(app, giulia, TENANT, CLERK, "Giulia", "Bianchi").await;
    let mut current = pratica;
    for action in ["take-charge", "approve", "record-payment", "issue-permit"] {
        let (status, after) = send(
            giulia,
            "POST",
            &api(&format!("/office/pratiche/{id}/actions/{action}")),
            Some(json!({ "version": current["version"] })),
            true,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{action}: {after}");
        current = after;
    }
    let tenant = app.app.tenant(TENANT).await;
    let code = app
        .app
        .store
        .scoped(tenant.id)
        .pratica(id.parse().unwrap())
        .await
        .unwrap()
        .unwrap()
        .permit_code
        .unwrap();
    (current, code)
}

async fn check(app: &AuthApp, code: &str, status: &str, page_text: &str) {
    let mut anyone = app.browser();
    let (http, verified) = get(&mut anyone, &api(&format!("/verify/{code}"))).await;
    assert_eq!(http, StatusCode::OK, "{verified}");
    assert_eq!(verified["status"], status, "{verified}");
    assert_eq!(verified["valid"], false);
    assert!(!verified.to_string().contains(CF));
    let page = anyone.get(&format!("/{TENANT}/verifica/{code}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(page_text), "{}", page.body);
    assert!(page.body.contains("noindex"));
    assert!(
        !page.body.contains(CF),
        "no codice fiscale on the public page"
    );
    assert!(!page.body.contains("Permesso valido oggi"), "{}", page.body);
}

async fn a_revoked_permit_says_so(app: AuthApp) {
    let mut giulia = app.browser();
    let (pratica, code) = issued(&app, &mut giulia).await;
    check(
        &app,
        &code,
        "not-in-period",
        "fuori dal periodo di validità",
    )
    .await;
    let id = pratica["id"].as_str().unwrap();
    let (status, revoked) = send(
        &mut giulia,
        "POST",
        &api(&format!("/office/pratiche/{id}/actions/revoke")),
        Some(json!({ "version": pratica["version"], "text": "Veicolo venduto" })),
        true,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{revoked}");
    check(&app, &code, "revoked", "Permesso revocato").await;
}

async fn an_expired_permit_says_so(app: AuthApp) {
    let mut giulia = app.browser();
    let (pratica, code) = issued(&app, &mut giulia).await;
    // Time passes: the day after the permit's last day, housekeeping expires it.
    let tenant = app.app.tenant(TENANT).await;
    let after = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 3);
    let expired = app
        .app
        .store
        .scoped(tenant.id)
        .transition(
            pratica["id"].as_str().unwrap().parse().unwrap(),
            pratica["version"].as_u64().unwrap(),
            None,
            &tenant.profile.calendar,
            &Actor::cli("test"),
            |p| p.expire(after),
        )
        .await
        .unwrap();
    assert!(expired.is_ok(), "{expired:?}");
    check(&app, &code, "expired", "Permesso non valido").await;
}
