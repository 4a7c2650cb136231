//! Paying through pagoPA end to end: a clerk approves a ZTL request with a fee, the payment
//! request becomes a debt position on the GPD stand-in (over HTTP, with the real client), the
//! citizen pays it in the stand-in's Checkout, comes back, sees it paid with its receipt, and
//! the pratica moves on. Also: the notice PDF, the spontaneous payments catalogue, and a
//! refused amount that keeps what was typed.

use crate::app_tests;
use crate::auth::{AuthApp, Browser, sign_in_as};
use crate::office::{CLERK, act, file_ztl, grant};
use crate::requests::{CF, TENANT, location};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use sportello_domain::pratica::PraticaState;
use sportello_mock::pagopa::{MockCreditor, MockPagoPa};
use sportello_pagopa::checkout::CheckoutClient;
use sportello_pagopa::gpd::GpdClient;
use sportello_pagopa::{PAYMENT_RECEIVED, PagoPaSettings, PagoPaSink, ReceiptWatcher};
use sportello_store::Store;
use sportello_store::outbox::{DeliveryError, Message, Sink, Worker, WorkerOptions};
use sportello_store::payments::PositionState;
use sportello_web::payments::PaymentServices;
use std::future::IntoFuture;
use std::time::Duration;
use tower::ServiceExt;

/// Borgoverde's codice fiscale (tenants/demo/borgoverde.toml).
const BORGOVERDE_CF: &str = "80000123457";
const KEY: &str = "test-subscription-key";

/// The GPD stand-in on a port of its own, and the application wired to it.
struct Pagopa {
    mock: MockPagoPa,
    sink: PagoPaSink,
}

async fn wire_pagopa(app: &AuthApp) -> Pagopa {
    let mock = MockPagoPa::new(vec![MockCreditor {
        subscription_key: KEY.into(),
        fiscal_code: BORGOVERDE_CF.into(),
        company_name: "Comune di Borgoverde".into(),
        segregation_codes: vec![1],
    }]);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(axum::serve(listener, mock.router()).into_future());
    let settings = PagoPaSettings {
        api_base: format!("http://127.0.0.1:{port}/_mock/pagopa")
            .parse()
            .unwrap(),
        keys: [(
            TENANT.to_owned(),
            sportello_pagopa::SubscriptionKey::new(KEY),
        )]
        .into(),
        timeout: Duration::from_secs(5),
        public_url: None,
    };
    let http = sportello_pagopa::http_client(settings.timeout).unwrap();
    let gpd = GpdClient::new(http.clone(), &settings.api_base).unwrap();
    let store = app.app.store.clone();
    let sink = PagoPaSink::new(store.clone(), gpd.clone(), settings.clone());
    let _ = app.app.state.clone().with_payments(PaymentServices {
        sink: sink.clone(),
        checkout: CheckoutClient::new(http, &settings.api_base).unwrap(),
        watcher: ReceiptWatcher::new(store, gpd, settings),
    });
    Pagopa { mock, sink }
}

/// The outbox as `serve` routes it, minus the protocol system.
struct TestSink {
    store: Store,
    pagopa: PagoPaSink,
}

impl Sink for TestSink {
    async fn deliver(&self, message: &Message) -> Result<(), DeliveryError> {
        if PagoPaSink::handles(&message.topic) {
            self.pagopa.deliver(message).await
        } else if message.topic == PAYMENT_RECEIVED {
            sportello_web::on_payment_received(&self.store, message).await
        } else {
            Ok(())
        }
    }
}

/// Delivers everything due.
async fn drain(app: &AuthApp, pagopa: &Pagopa) {
    let worker = Worker::new(
        app.app.store.clone(),
        TestSink {
            store: app.app.store.clone(),
            pagopa: pagopa.sink.clone(),
        },
        WorkerOptions::default(),
    );
    while worker.run_once().await.unwrap() > 0 {}
}

/// The stand-in's Checkout, as the citizen's browser would use it (same paths, in-process).
async fn checkout(
    mock: &MockPagoPa,
    method: &str,
    path: &str,
    body: &str,
) -> (StatusCode, String, String) {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.to_owned()))
        .unwrap();
    let response = mock.router().oneshot(request).await.unwrap();
    let status = response.status();
    let location = response
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        location,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("{start} in {text}"))
        + start.len();
    let to = from + text[from..].find(end).unwrap();
    &text[from..to]
}

app_tests!(
    using crate::auth::AuthApp::plain;
    a_permit_fee_is_paid_in_the_checkout_and_the_pratica_moves_on,
    a_spontaneous_payment_keeps_a_refused_amount_and_creates_a_notice,
    paid_at_the_counter_the_notice_cannot_be_paid_again,
);

/// Mario files a ZTL request that Giulia approves; the outbox puts its fee on GPD. Returns
/// the pratica's id and the decision's position.
async fn approved_with_fee(
    app: &AuthApp,
    pagopa: &Pagopa,
    mario: &mut Browser<'_>,
    giulia: &mut Browser<'_>,
) -> (String, sportello_store::payments::StoredPosition) {
    let id = file_ztl(mario).await;
    assert!(
        act(giulia, &id, "take-charge", "")
            .await
            .status
            .is_redirection()
    );
    assert!(
        act(giulia, &id, "approve", "")
            .await
            .status
            .is_redirection()
    );
    drain(app, pagopa).await;
    let tenant = app.app.tenant(TENANT).await;
    let position = app
        .app
        .store
        .scoped(tenant.id)
        .position_by_origin(&format!("pratica:{id}:decision"))
        .await
        .unwrap()
        .expect("the decision's position");
    assert!(position.state.is_payable(), "{:?}", position.state);
    (id, position)
}

async fn paid_at_the_counter_the_notice_cannot_be_paid_again(app: AuthApp) {
    let pagopa = wire_pagopa(&app).await;
    let mut mario = app.browser();
    sign_in_as(&app, &mut mario, TENANT, CF, "Mario", "Rossi").await;
    grant(&app, CLERK, "polizia-locale").await;
    let mut giulia = app.browser();
    sign_in_as(&app, &mut giulia, TENANT, CLERK, "Giulia", "Bianchi").await;
    let tenant = app.app.tenant(TENANT).await;
    let scope = app.app.store.scoped(tenant.id);
    let gpd_status = |iupd: String| {
        let mock = pagopa.mock.clone();
        async move {
            mock.positions(BORGOVERDE_CF)
                .into_iter()
                .find(|p| p["iupd"] == iupd.as_str())
                .map(|p| p["status"].as_str().unwrap_or_default().to_owned())
        }
    };

    // Paid at the counter: GPD is told, the receipt says so, the pratica moves on.
    let (id, position) = approved_with_fee(&app, &pagopa, &mut mario, &mut giulia).await;
    assert!(
        act(&mut giulia, &id, "record-payment", "")
            .await
            .status
            .is_redirection()
    );
    drain(&app, &pagopa).await;
    assert_eq!(
        gpd_status(position.iupd().to_string()).await.as_deref(),
        Some("PAID")
    );
    let receipts = scope.receipts_of_position(position.id).await.unwrap();
    assert_eq!(receipts.len(), 1);
    assert_eq!(receipts[0].source, "counter");
    let office_page = giulia
        .get(&format!("/{TENANT}/ufficio/pratiche/{id}"))
        .await;
    assert!(
        office_page.body.contains("Pagamenti pagoPA"),
        "{}",
        office_page.body
    );
    assert!(office_page.body.contains("counter"), "{}", office_page.body);
    let pratica = scope.pratica(id.parse().unwrap()).await.unwrap().unwrap();
    assert_eq!(pratica.state(), PraticaState::PaymentReceived);

    // The citizen's page no longer offers to pay it.
    let page = mario
        .get(&format!(
            "/{TENANT}/area-personale/pagamenti/{}",
            position.id
        ))
        .await;
    assert!(page.body.contains("Pagato"), "{}", page.body);
    assert!(
        !page.body.contains("name=\"opzione\""),
        "no pay button: {}",
        page.body
    );
}

async fn a_permit_fee_is_paid_in_the_checkout_and_the_pratica_moves_on(app: AuthApp) {
    let pagopa = wire_pagopa(&app).await;
    let mut mario = app.browser();
    sign_in_as(&app, &mut mario, TENANT, CF, "Mario", "Rossi").await;
    let id = file_ztl(&mut mario).await;
    grant(&app, CLERK, "polizia-locale").await;
    let mut giulia = app.browser();
    sign_in_as(&app, &mut giulia, TENANT, CLERK, "Giulia", "Bianchi").await;
    assert!(
        act(&mut giulia, &id, "take-charge", "")
            .await
            .status
            .is_redirection()
    );
    assert!(
        act(&mut giulia, &id, "approve", "")
            .await
            .status
            .is_redirection()
    );

    // The outbox turns the payment request into a position, and the position into a GPD one.
    drain(&app, &pagopa).await;
    let tenant = app.app.tenant(TENANT).await;
    let scope = app.app.store.scoped(tenant.id);
    let pratica_id: uuid::Uuid = id.parse().unwrap();
    let positions = scope.positions_of_pratica(pratica_id).await.unwrap();
    let decision = positions
        .iter()
        .find(|p| p.origin.ends_with(":decision"))
        .expect("the decision's position");
    assert_eq!(
        decision.state,
        PositionState::Gpd(sportello_domain::payment::PositionStatus::Valid)
    );
    let pratica = scope.pratica(pratica_id).await.unwrap().unwrap();
    assert_eq!(pratica.state(), PraticaState::AwaitingPayment);
    assert_eq!(
        Some(decision.position.total()),
        pratica.pratica.payment_outstanding(),
        "the notice asks for exactly what the pratica owes"
    );
    let at_gpd = pagopa.mock.positions(BORGOVERDE_CF);
    assert!(
        at_gpd.iter().any(|p| p["iupd"] == decision.iupd().as_str()),
        "{at_gpd:?}"
    );
    assert_eq!(
        pagopa
            .mock
            .creations(BORGOVERDE_CF, decision.iupd().as_str()),
        1
    );

    // The citizen finds it on the pratica and among their payments, with its notice.
    let page = mario
        .get(&format!("/{TENANT}/area-personale/pratiche/{id}"))
        .await;
    assert!(page.body.contains("Paga con pagoPA"), "{}", page.body);
    let list = mario
        .get(&format!("/{TENANT}/area-personale/pagamenti"))
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let path = format!("/{TENANT}/area-personale/pagamenti/{}", decision.id);
    assert!(list.body.contains(&path), "{}", list.body);
    let position_page = mario.get(&path).await;
    let notice = decision.position.options[0].notice_number.clone();
    assert!(
        position_page.body.contains(&notice.printed()),
        "{}",
        position_page.body
    );
    let pdf = mario.get(&format!("{path}/avviso.pdf")).await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(pdf.header("content-type"), "application/pdf");
    assert!(pdf.body.starts_with("%PDF-"));
    // Someone else's payment is not found.
    let mut paolo = app.browser();
    sign_in_as(
        &app,
        &mut paolo,
        TENANT,
        "GLLPLA75E20H501Z",
        "Paolo",
        "Gallo",
    )
    .await;
    assert_eq!(paolo.get(&path).await.status, StatusCode::NOT_FOUND);

    // "Pay" sends the browser to the Checkout with a cart of this notice.
    let csrf = mario.csrf().await;
    let paid = mario
        .post(
            &format!("{path}/paga"),
            &format!("csrf={csrf}&opzione={}", notice.as_str()),
        )
        .await;
    let cart = location(&paid);
    assert!(cart.contains("/_mock/pagopa/checkout/carts/"), "{cart}");
    let cart_path = &cart[cart.find("/_mock/").unwrap()..];
    let (status, _, cart_page) = checkout(&pagopa.mock, "GET", cart_path, "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(cart_page.contains(notice.as_str()) || cart_page.contains(&notice.printed()));
    let (status, back, _) = checkout(&pagopa.mock, "POST", cart_path, "azione=paga").await;
    assert!(status.is_redirection(), "{status}");
    assert!(back.contains("esito=ok"), "{back}");

    // Back from the Checkout: the position is read at once and shown paid, with its receipt.
    let back_path = &back[back.find(&format!("/{TENANT}/")).unwrap()..];
    let outcome = mario.get(back_path).await;
    assert_eq!(outcome.status, StatusCode::OK, "{}", outcome.body);
    assert!(
        outcome.body.contains("Pagamento ricevuto"),
        "{}",
        outcome.body
    );
    let receipt_href = between(&outcome.body, &format!("{path}/ricevute/"), "\"");
    let receipt = mario.get(&format!("{path}/ricevute/{receipt_href}")).await;
    assert_eq!(receipt.status, StatusCode::OK);
    assert!(receipt.body.starts_with("%PDF-"));

    // The receipt told the workflow: the pratica records the payment, once.
    drain(&app, &pagopa).await;
    let pratica = scope.pratica(pratica_id).await.unwrap().unwrap();
    assert_eq!(pratica.state(), PraticaState::PaymentReceived);
    let paid = scope.position(decision.id).await.unwrap().unwrap();
    assert!(paid.state.is_paid());
    assert_eq!(
        scope.receipts_of_position(decision.id).await.unwrap().len(),
        1
    );
    // A second look at GPD (the poller) changes nothing more.
    let services = ReceiptWatcher::new(
        app.app.store.clone(),
        pagopa.sink.gpd().clone(),
        pagopa.sink.settings().clone(),
    );
    let again = services.check(&tenant, &paid).await.unwrap();
    assert_eq!(again.new_receipts, 0);
    let audit = scope.audit_log(500).await.unwrap();
    assert!(
        audit.iter().any(|a| a.entry.action == "payment.received"),
        "the payment is in the audit log"
    );
}

async fn a_spontaneous_payment_keeps_a_refused_amount_and_creates_a_notice(app: AuthApp) {
    let pagopa = wire_pagopa(&app).await;
    let catalogue = app.browser().get(&format!("/{TENANT}/pagamenti")).await;
    assert_eq!(catalogue.status, StatusCode::OK);
    assert!(
        catalogue.body.contains("Ricarica del conto mensa"),
        "{}",
        catalogue.body
    );
    let mut mario: Browser<'_> = app.browser();
    sign_in_as(&app, &mut mario, TENANT, CF, "Mario", "Rossi").await;
    let form = format!("/{TENANT}/pagamenti/ricarica-mensa");
    let csrf = mario.csrf().await;
    let refused = mario
        .post(&form, &format!("csrf={csrf}&valore=4%2C99"))
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("tra € 5,00 e € 200,00"),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("value=\"4,99\""),
        "what was typed stays: {}",
        refused.body
    );
    assert!(refused.body.contains("aria-describedby=\"valore-error\""));
    let created = mario.post(&form, &format!("csrf={csrf}&valore=25")).await;
    let path = location(&created);
    let tenant = app.app.tenant(TENANT).await;
    let id: uuid::Uuid = path.rsplit('/').next().unwrap().parse().unwrap();
    let stored = app
        .app
        .store
        .scoped(tenant.id)
        .position(id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.position.total(), sportello_domain::Cents::new(2500));
    assert_eq!(stored.position.debtor.fiscal_code, CF);
    drain(&app, &pagopa).await;
    let stored = app
        .app
        .store
        .scoped(tenant.id)
        .position(id)
        .await
        .unwrap()
        .unwrap();
    assert!(stored.state.is_payable(), "{:?}", stored.state);
    let page = mario.get(&path).await;
    assert!(page.body.contains("Da pagare"), "{}", page.body);

    // The same through the JSON API: the list, and the Checkout's address.
    let listed = mario.get(&format!("/{TENANT}/api/v1/me/payments")).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    let listed: serde_json::Value = serde_json::from_str(&listed.body).unwrap();
    assert_eq!(listed[0]["id"], id.to_string());
    assert_eq!(listed[0]["amount"], 2500);
    assert_eq!(listed[0]["state"]["key"], "valid");
    assert_eq!(
        listed[0]["options"][0]["notice_number"],
        stored.position.options[0].notice_number.as_str()
    );
    let csrf = mario.csrf().await;
    let started = mario
        .send(
            Request::post(format!("/{TENANT}/api/v1/me/payments/{id}/checkout"))
                .header("x-csrf-token", csrf)
                .header(header::CONTENT_TYPE, "application/json"),
            Body::empty(),
        )
        .await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.body);
    assert!(
        started.body.contains("/_mock/pagopa/checkout/carts/"),
        "{}",
        started.body
    );
    // Someone else's position is not found through the API either.
    let mut paolo = app.browser();
    sign_in_as(
        &app,
        &mut paolo,
        TENANT,
        "GLLPLA75E20H501Z",
        "Paolo",
        "Gallo",
    )
    .await;
    let other = paolo
        .get(&format!("/{TENANT}/api/v1/me/payments/{id}"))
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    assert_eq!(other.header("content-type"), "application/problem+json");
}
