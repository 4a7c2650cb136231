//! The pagoPA stand-in over HTTP: GPD, receipts, Checkout, faults.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use serde_json::{Value, json};
use sportello_mock::pagopa::{Faults, MockCreditor, MockPagoPa, PayError};
use std::sync::{Arc, Mutex};
use tower::ServiceExt;

const ORG: &str = "01234567890";
const OTHER_ORG: &str = "09876543210";
const KEY: &str = "key-comune-di-prova";
const OTHER_KEY: &str = "key-altro-comune";
const IUV: &str = "01202500000004228";
const NAV: &str = "301202500000004228";
const IUV2: &str = "01000000000000144";
const NAV2: &str = "301000000000000144";
const GPD: &str = "/_mock/pagopa/gpd/debt-positions-service/v1/organizations";
const RECEIPTS: &str = "/_mock/pagopa/gpd/payments-receipts-service/v1/payments";

fn t(text: &str) -> jiff::Timestamp {
    text.parse().unwrap()
}

fn mock() -> MockPagoPa {
    let mock = MockPagoPa::new(vec![
        MockCreditor {
            subscription_key: KEY.into(),
            fiscal_code: ORG.into(),
            company_name: "Comune di Prova".into(),
            segregation_codes: vec![1],
        },
        MockCreditor {
            subscription_key: OTHER_KEY.into(),
            fiscal_code: OTHER_ORG.into(),
            company_name: "Altro Comune".into(),
            segregation_codes: vec![2],
        },
    ]);
    mock.set_now(t("2026-06-01T10:00:00Z"));
    mock
}

fn position(iupd: &str, iuv: &str, amount: i64) -> Value {
    json!({
        "iupd": iupd, "type": "F", "fiscalCode": "RSSMRA80A01H501U", "fullName": "Mario Rossi",
        "companyName": "Comune di Prova", "switchToExpired": false,
        "paymentOption": [{
            "iuv": iuv, "amount": amount, "description": "Diritti SUAP pratica 42",
            "isPartialPayment": false, "dueDate": "2026-12-31T23:59:59",
            "transfer": [{"idTransfer": "1", "amount": amount,
                "remittanceInformation": "Diritti istruttoria 42", "category": "9/0101108TS/",
                "iban": "IT60X0542811101000000123456"}]
        }]
    })
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
    fn detail(&self) -> String {
        self.json()["detail"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
    fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    }
}

async fn send(
    router: &Router,
    method: &str,
    uri: &str,
    key: Option<&str>,
    body: Option<Value>,
) -> Answer {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(key) = key {
        request = request.header("Ocp-Apim-Subscription-Key", key);
    }
    let request = match body {
        Some(body) => request
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string())),
        None => request.body(Body::empty()),
    }
    .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    Answer {
        status,
        headers,
        text: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

async fn create(router: &Router, body: Value, publish: bool) -> Answer {
    send(
        router,
        "POST",
        &format!("{GPD}/{ORG}/debtpositions?toPublish={publish}"),
        Some(KEY),
        Some(body),
    )
    .await
}

async fn get_position(router: &Router, iupd: &str) -> Answer {
    send(
        router,
        "GET",
        &format!("{GPD}/{ORG}/debtpositions/{iupd}"),
        Some(KEY),
        None,
    )
    .await
}

#[tokio::test]
async fn the_key_must_be_known_and_own_the_organization_and_the_segregation_code() {
    let mock = mock();
    let router = mock.router();
    let uri = format!("{GPD}/{ORG}/debtpositions");
    let body = position("iupd-1", IUV, 15000);
    let missing = send(&router, "POST", &uri, None, Some(body.clone())).await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    assert_eq!(missing.json()["status"], 401);
    let unknown = send(&router, "POST", &uri, Some("nope"), Some(body.clone())).await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    let other = send(&router, "POST", &uri, Some(OTHER_KEY), Some(body.clone())).await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);
    // Segregation code 47 is not the creditor's (01).
    let foreign = create(&router, position("iupd-2", "47123456789012389", 100), false).await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN, "{}", foreign.text);
    assert!(mock.positions(ORG).is_empty());
    let get = send(&router, "GET", &format!("{uri}/iupd-1"), None, None).await;
    assert_eq!(get.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn schema_violations_are_400_with_the_path() {
    let router = mock().router();
    let mut body = position("iupd-1", IUV, 15000);
    body.as_object_mut().unwrap().remove("companyName");
    body["paymentOption"][0]["transfer"][0]["iban"] = json!("IT60 X054");
    body["country"] = json!("ITA");
    let answer = create(&router, body, false).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.json()["status"], 400);
    assert_eq!(answer.json()["title"], "Bad Request");
    let detail = answer.detail();
    assert!(detail.contains("companyName: is required"), "{detail}");
    assert!(
        detail.contains("paymentOption[0].transfer[0].iban: must match"),
        "{detail}"
    );
    assert!(detail.contains("country"), "{detail}");

    let malformed = send(
        &router,
        "POST",
        &format!("{GPD}/{ORG}/debtpositions"),
        Some(KEY),
        None,
    )
    .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_rules_outside_the_schema_are_400() {
    let mock = mock();
    let router = mock.router();
    let mut sum = position("iupd-1", IUV, 15000);
    sum["paymentOption"][0]["transfer"][0]["amount"] = json!(14000);
    let answer = create(&router, sum, false).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(
        answer.detail().contains("sum of the transfers"),
        "{}",
        answer.text
    );

    let mut both = position("iupd-1", IUV, 15000);
    both["paymentOption"][0]["transfer"][0]["stamp"] =
        json!({"hashDocument": "abc", "stampType": "01", "provincialResidence": "RM"});
    let answer = create(&router, both, false).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(
        answer.detail().contains("mutually exclusive"),
        "{}",
        answer.text
    );

    let mut postal = position("iupd-1", IUV, 15000);
    let transfer = postal["paymentOption"][0]["transfer"][0]
        .as_object_mut()
        .unwrap();
    transfer.remove("iban");
    transfer.insert(
        "stamp".into(),
        json!({"hashDocument": "abc", "stampType": "01", "provincialResidence": "RM"}),
    );
    transfer.insert("postalIban".into(), json!("IT60X0542811101000000123456"));
    let answer = create(&router, postal, false).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.detail().contains("postalIban"), "{}", answer.text);

    let mut past = position("iupd-1", IUV, 15000);
    past["paymentOption"][0]["dueDate"] = json!("2026-05-01T00:00:00");
    let answer = create(&router, past, false).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.detail().contains("dueDate"), "{}", answer.text);

    let mut validity = position("iupd-1", IUV, 15000);
    validity["validityDate"] = json!("2026-05-01T00:00:00");
    let answer = create(&router, validity, false).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.detail().contains("validityDate"), "{}", answer.text);

    let mut metadata = position("iupd-1", IUV, 15000);
    metadata["paymentOption"][0]["paymentOptionMetadata"] =
        json!([{"key": "a", "value": "1"}, {"key": "a", "value": "2"}]);
    let answer = create(&router, metadata, false).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.detail().contains("unique"), "{}", answer.text);

    let mut six = position("iupd-1", IUV, 600);
    let one = six["paymentOption"][0]["transfer"][0].clone();
    six["paymentOption"][0]["transfer"] = json!(
        (1..=6)
            .map(|i| {
                let mut t = one.clone();
                t["idTransfer"] = json!(((i - 1) % 5 + 1).to_string());
                t["amount"] = json!(100);
                t
            })
            .collect::<Vec<_>>()
    );
    let answer = create(&router, six, false).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.detail().contains("at most 5"), "{}", answer.text);
    assert!(answer.detail().contains("idTransfer"), "{}", answer.text);
    assert!(mock.positions(ORG).is_empty());
}

#[tokio::test]
async fn duplicates_are_409() {
    let mock = mock();
    let router = mock.router();
    assert_eq!(
        create(&router, position("iupd-1", IUV, 15000), false)
            .await
            .status,
        StatusCode::CREATED
    );
    let again = create(&router, position("iupd-1", IUV2, 15000), false).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let same_iuv = create(&router, position("iupd-2", IUV, 15000), false).await;
    assert_eq!(same_iuv.status, StatusCode::CONFLICT);
    assert!(same_iuv.detail().contains(NAV), "{}", same_iuv.text);
    assert_eq!(mock.creations(ORG, "iupd-1"), 1);
    assert_eq!(mock.creations(ORG, "iupd-2"), 0);
    assert_eq!(mock.positions(ORG).len(), 1);
}

#[tokio::test]
async fn a_created_position_reads_back_with_its_nav() {
    let mock = mock();
    let router = mock.router();
    let mut request = Request::builder()
        .method("POST")
        .uri(format!("{GPD}/{ORG}/debtpositions"))
        .header("Ocp-Apim-Subscription-Key", KEY)
        .header("X-Request-Id", "req-42")
        .body(Body::from(position("iupd-1", IUV, 15000).to_string()))
        .unwrap();
    request
        .headers_mut()
        .insert(header::CONTENT_TYPE, "application/json".parse().unwrap());
    let response = router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.headers()["x-request-id"], "req-42");
    let created: Value = serde_json::from_slice(
        &axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(created["status"], "DRAFT");
    assert_eq!(created["paymentOption"][0]["nav"], NAV);
    assert_eq!(
        created["paymentOption"][0]["dueDate"],
        "2026-12-31T23:59:59"
    );

    let got = get_position(&router, "iupd-1").await;
    assert_eq!(got.status, StatusCode::OK);
    assert!(!got.header("x-request-id").is_empty());
    let got = got.json();
    assert_eq!(got["iupd"], "iupd-1");
    assert_eq!(got["organizationFiscalCode"], ORG);
    assert_eq!(got["status"], "DRAFT");
    assert_eq!(got["paymentOption"][0]["nav"], NAV);
    assert_eq!(got["paymentOption"][0]["iuv"], IUV);
    assert_eq!(got["paymentOption"][0]["amount"], 15000);
    assert_eq!(got["paymentOption"][0]["status"], "PO_UNPAID");
    assert_eq!(
        got["paymentOption"][0]["transfer"][0]["status"],
        "T_UNREPORTED"
    );
    assert_eq!(mock.positions(ORG), vec![got]);
    assert_eq!(
        get_position(&router, "nope").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(mock.calls().endpoint("createPosition"), 1);
    assert_eq!(
        mock.calls().endpoint("getOrganizationDebtPositionByIUPD"),
        2
    );
}

#[tokio::test]
async fn publish_update_invalidate_and_delete_follow_the_status_machine() {
    let mock = mock();
    let router = mock.router();
    let base = format!("{GPD}/{ORG}/debtpositions/iupd-1");
    create(&router, position("iupd-1", IUV, 15000), false).await;
    assert_eq!(
        send(
            &router,
            "POST",
            &format!("{base}/invalidate"),
            Some(KEY),
            None
        )
        .await
        .status,
        StatusCode::CONFLICT,
        "a DRAFT cannot be invalidated"
    );
    let published = send(&router, "POST", &format!("{base}/publish"), Some(KEY), None).await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.text);
    assert_eq!(published.json()["status"], "VALID");
    let again = send(&router, "POST", &format!("{base}/publish"), Some(KEY), None).await;
    assert_eq!(again.status, StatusCode::CONFLICT);

    // A full replace of a VALID position brings it back to DRAFT.
    let updated = send(
        &router,
        "PUT",
        &base,
        Some(KEY),
        Some(position("iupd-1", IUV, 20000)),
    )
    .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.text);
    assert_eq!(updated.json()["status"], "DRAFT");
    assert_eq!(
        get_position(&router, "iupd-1").await.json()["paymentOption"][0]["amount"],
        20000
    );
    let wrong_iupd = send(
        &router,
        "PUT",
        &base,
        Some(KEY),
        Some(position("iupd-9", IUV, 20000)),
    )
    .await;
    assert_eq!(wrong_iupd.status, StatusCode::BAD_REQUEST);
    let republished = send(
        &router,
        "PUT",
        &format!("{base}?toPublish=true"),
        Some(KEY),
        Some(position("iupd-1", IUV, 20000)),
    )
    .await;
    assert_eq!(republished.json()["status"], "VALID");

    let invalidated = send(
        &router,
        "POST",
        &format!("{base}/invalidate"),
        Some(KEY),
        None,
    )
    .await;
    assert_eq!(invalidated.status, StatusCode::OK);
    assert_eq!(invalidated.json()["status"], "INVALID");
    assert_eq!(
        send(
            &router,
            "POST",
            &format!("{base}/invalidate"),
            Some(KEY),
            None
        )
        .await
        .status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        send(
            &router,
            "PUT",
            &base,
            Some(KEY),
            Some(position("iupd-1", IUV, 1))
        )
        .await
        .status,
        StatusCode::CONFLICT,
        "an INVALID position is not updatable"
    );
    assert_eq!(
        mock.pay(ORG, NAV),
        Err(PayError::NotPayable {
            status: "INVALID".into()
        })
    );
    let deleted = send(&router, "DELETE", &base, Some(KEY), None).await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert_eq!(
        get_position(&router, "iupd-1").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        send(&router, "DELETE", &base, Some(KEY), None).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn publishing_refuses_a_begun_validity_or_a_passed_due_date() {
    let mock = mock();
    let router = mock.router();
    let mut body = position("iupd-1", IUV, 15000);
    body["validityDate"] = json!("2026-06-01T12:00:00");
    create(&router, body, false).await;
    mock.set_now(t("2026-06-01T13:00:00Z"));
    let late = send(
        &router,
        "POST",
        &format!("{GPD}/{ORG}/debtpositions/iupd-1/publish"),
        Some(KEY),
        None,
    )
    .await;
    assert_eq!(late.status, StatusCode::CONFLICT, "{}", late.text);
    assert_eq!(
        get_position(&router, "iupd-1").await.json()["status"],
        "DRAFT"
    );
}

#[tokio::test]
async fn a_payment_makes_the_position_paid_with_a_receipt() {
    let mock = mock();
    let router = mock.router();
    let heard = Arc::new(Mutex::new(Vec::new()));
    let sink = heard.clone();
    mock.on_paid(Box::new(move |receipt| sink.lock().unwrap().push(receipt)));
    create(&router, position("iupd-1", IUV, 15000), true).await;
    create(&router, position("iupd-2", IUV2, 5000), true).await;
    assert_eq!(
        send(
            &router,
            "GET",
            &format!("{RECEIPTS}/{ORG}/receipts/{IUV}"),
            Some(KEY),
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND,
        "no receipt before the payment"
    );

    let paid = send(
        &router,
        "POST",
        &format!("/_mock/pagopa/_admin/pay/{ORG}/{NAV}"),
        None,
        None,
    )
    .await;
    assert_eq!(paid.status, StatusCode::OK, "{}", paid.text);
    let receipt = paid.json();
    assert_eq!(receipt["nav"], NAV);
    assert_eq!(receipt["amount"], 15000);
    assert_eq!(receipt["positionStatus"], "PAID");
    assert_eq!(heard.lock().unwrap().len(), 1);
    assert_eq!(heard.lock().unwrap()[0].iuv, IUV);

    let position = get_position(&router, "iupd-1").await.json();
    assert_eq!(position["status"], "PAID");
    assert!(position["paymentDate"].is_string());
    let option = &position["paymentOption"][0];
    assert_eq!(option["status"], "PO_PAID");
    assert_eq!(option["idReceipt"], receipt["receiptId"]);
    assert_eq!(option["pspCompany"], "PSP simulato");
    assert_eq!(option["paymentMethod"], "CP");
    assert_eq!(option["paymentDate"], "2026-06-01T10:00:00");
    assert!(option["fee"].as_i64().unwrap() >= 0);

    let again = send(
        &router,
        "POST",
        &format!("/_mock/pagopa/_admin/pay/{ORG}/{NAV}"),
        None,
        None,
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let unknown = send(
        &router,
        "POST",
        &format!("/_mock/pagopa/_admin/pay/{ORG}/399000000012345609"),
        None,
        None,
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(
        send(
            &router,
            "DELETE",
            &format!("{GPD}/{ORG}/debtpositions/iupd-1"),
            Some(KEY),
            None
        )
        .await
        .status,
        StatusCode::CONFLICT,
        "a paid position cannot be deleted"
    );

    let list = send(
        &router,
        "GET",
        &format!("{RECEIPTS}/{ORG}/receipts"),
        Some(KEY),
        None,
    )
    .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    let list = list.json();
    assert_eq!(list["currentPageNumber"], 0);
    assert_eq!(list["totalPages"], 1);
    assert_eq!(list["length"], 1);
    assert_eq!(list["results"][0]["iuv"], IUV);
    assert_eq!(list["results"][0]["organizationFiscalCode"], ORG);
    assert_eq!(list["results"][0]["debtor"], "RSSMRA80A01H501U");
    assert!(list["results"][0]["paymentDateTime"].is_string());
    let filtered = send(
        &router,
        "GET",
        &format!("{RECEIPTS}/{ORG}/receipts?debtor=XXXXXX80A01H501U"),
        Some(KEY),
        None,
    )
    .await
    .json();
    assert_eq!(filtered["length"], 0);
    let too_big = send(
        &router,
        "GET",
        &format!("{RECEIPTS}/{ORG}/receipts?pageSize=101"),
        Some(KEY),
        None,
    )
    .await;
    assert_eq!(too_big.status, StatusCode::BAD_REQUEST);

    let xml = send(
        &router,
        "GET",
        &format!("{RECEIPTS}/{ORG}/receipts/{IUV}"),
        Some(KEY),
        None,
    )
    .await;
    assert_eq!(xml.status, StatusCode::OK);
    assert_eq!(xml.header("content-type"), "application/xml");
    for needle in [
        "<paf:paSendRTReq",
        &format!("<noticeNumber>{NAV}</noticeNumber>"),
        &format!("<creditorReferenceId>{IUV}</creditorReferenceId>"),
        &format!("<fiscalCode>{ORG}</fiscalCode>"),
        "<outcome>OK</outcome>",
        "<paymentAmount>150.00</paymentAmount>",
        "<entityUniqueIdentifierValue>RSSMRA80A01H501U</entityUniqueIdentifierValue>",
        "<transferAmount>150.00</transferAmount>",
        "<IBAN>IT60X0542811101000000123456</IBAN>",
        "<PSPCompanyName>PSP simulato</PSPCompanyName>",
        &format!(
            "<receiptId>{}</receiptId>",
            receipt["receiptId"].as_str().unwrap()
        ),
    ] {
        assert!(xml.text.contains(needle), "{needle} in {}", xml.text);
    }
    assert_eq!(
        send(
            &router,
            "GET",
            &format!("{RECEIPTS}/{ORG}/receipts/{IUV2}"),
            Some(KEY),
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        send(
            &router,
            "GET",
            &format!("{RECEIPTS}/{ORG}/receipts"),
            Some(OTHER_KEY),
            None
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );

    // The report hook: PAID → REPORTED; an unpaid notice cannot be reported.
    assert!(matches!(
        mock.report(ORG, NAV2),
        Err(PayError::NotPaid { .. })
    ));
    let report = send(
        &router,
        "POST",
        &format!("/_mock/pagopa/_admin/report/{ORG}/{NAV}"),
        None,
        None,
    )
    .await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.text);
    let reported = get_position(&router, "iupd-1").await.json();
    assert_eq!(reported["status"], "REPORTED");
    assert_eq!(reported["paymentOption"][0]["status"], "PO_REPORTED");
    assert_eq!(
        reported["paymentOption"][0]["transfer"][0]["status"],
        "T_REPORTED"
    );
}

#[tokio::test]
async fn a_payment_outside_pagopa_is_recorded_by_paids() {
    let mock = mock();
    let router = mock.router();
    create(&router, position("iupd-1", IUV, 15000), false).await;
    let uri = format!("{GPD}/{ORG}/paymentoptions/paids/{NAV}");
    let body = json!({"paymentDate": "2026-05-30T09:00:00"});
    let draft = send(&router, "POST", &uri, Some(KEY), Some(body.clone())).await;
    assert_eq!(
        draft.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        draft.text
    );
    send(
        &router,
        "POST",
        &format!("{GPD}/{ORG}/debtpositions/iupd-1/publish"),
        Some(KEY),
        None,
    )
    .await;
    let paid = send(&router, "POST", &uri, Some(KEY), Some(body.clone())).await;
    assert_eq!(paid.status, StatusCode::OK, "{}", paid.text);
    assert_eq!(paid.json()["status"], "PO_PAID");
    assert_eq!(paid.json()["paymentDate"], "2026-05-30T09:00:00");
    let again = send(&router, "POST", &uri, Some(KEY), Some(body.clone())).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let unknown = send(
        &router,
        "POST",
        &format!("{GPD}/{ORG}/paymentoptions/paids/301999999999999999"),
        Some(KEY),
        Some(body),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(
        get_position(&router, "iupd-1").await.json()["status"],
        "PAID"
    );
}

#[tokio::test]
async fn time_moves_positions_to_valid_and_expired_on_read() {
    let mock = mock();
    let router = mock.router();
    let mut later = position("iupd-1", IUV, 15000);
    later["validityDate"] = json!("2026-06-01T12:00:00Z");
    later["switchToExpired"] = json!(true);
    later["paymentOption"][0]["dueDate"] = json!("2026-06-03T00:00:00");
    let created = create(&router, later, true).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.json()["status"], "PUBLISHED");
    assert!(matches!(
        mock.pay(ORG, NAV),
        Err(PayError::NotPayable { .. })
    ));

    mock.set_now(t("2026-06-01T12:00:01Z"));
    assert_eq!(
        get_position(&router, "iupd-1").await.json()["status"],
        "VALID"
    );

    mock.set_now(t("2026-06-04T00:00:00Z"));
    assert_eq!(
        get_position(&router, "iupd-1").await.json()["status"],
        "EXPIRED"
    );
    assert_eq!(
        mock.pay(ORG, NAV),
        Err(PayError::NotPayable {
            status: "EXPIRED".into()
        })
    );

    // Without switchToExpired a position stays payable after its due date.
    mock.set_now(t("2026-06-01T10:00:00Z"));
    let mut stays = position("iupd-2", IUV2, 100);
    stays["paymentOption"][0]["dueDate"] = json!("2026-06-02T00:00:00");
    create(&router, stays, true).await;
    mock.set_now(t("2026-06-10T00:00:00Z"));
    assert_eq!(
        get_position(&router, "iupd-2").await.json()["status"],
        "VALID"
    );
    assert!(mock.pay(ORG, NAV2).is_ok());
}

#[tokio::test]
async fn the_list_pages_filters_and_bounds_the_date_window() {
    let mock = mock();
    let router = mock.router();
    create(&router, position("iupd-1", IUV, 15000), true).await;
    create(&router, position("iupd-2", IUV2, 100), false).await;
    let list = |query: &str| {
        let router = router.clone();
        let uri = format!("{GPD}/{ORG}/debtpositions{query}");
        async move { send(&router, "GET", &uri, Some(KEY), None).await }
    };
    let all = list("").await;
    assert_eq!(all.status, StatusCode::OK);
    let all = all.json();
    assert_eq!(all["page_info"]["total_pages"], 1);
    assert_eq!(all["page_info"]["limit"], 10);
    let items = all["payment_position_list"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["iupd"], "iupd-2", "newest first by default");

    let asc = list("?orderby=IUPD&ordering=ASC&limit=1&page=1")
        .await
        .json();
    assert_eq!(asc["payment_position_list"][0]["iupd"], "iupd-2");
    assert_eq!(asc["page_info"]["total_pages"], 2);
    assert_eq!(asc["page_info"]["items_found"], 1);

    let drafts = list("?status=DRAFT").await.json();
    assert_eq!(drafts["payment_position_list"].as_array().unwrap().len(), 1);

    let due = list("?due_date_from=2026-12-15&due_date_to=2026-12-31").await;
    assert_eq!(due.status, StatusCode::OK, "{}", due.text);
    assert_eq!(
        due.json()["payment_position_list"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let none = list("?due_date_from=2026-11-01&due_date_to=2026-11-30").await;
    assert_eq!(
        none.json()["payment_position_list"]
            .as_array()
            .unwrap()
            .len(),
        0
    );

    let wide = list("?due_date_from=2026-01-01&due_date_to=2026-03-01").await;
    assert_eq!(wide.status, StatusCode::BAD_REQUEST);
    assert!(wide.detail().contains("30 days"), "{}", wide.text);
    let wide_time = list(
        "?payment_date_time_from=2026-01-01T00:00:00&payment_date_time_to=2026-02-15T00:00:00",
    )
    .await;
    assert_eq!(wide_time.status, StatusCode::BAD_REQUEST);
    let both = list("?due_date_from=2026-12-01&payment_date_from=2026-12-01").await;
    assert_eq!(both.status, StatusCode::BAD_REQUEST);
    assert_eq!(list("?limit=51").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(list("?status=NOPE").await.status, StatusCode::BAD_REQUEST);

    mock.pay(ORG, NAV).unwrap();
    let paid = list("?payment_date_from=2026-06-01&payment_date_to=2026-06-01")
        .await
        .json();
    let paid = paid["payment_position_list"].as_array().unwrap();
    assert_eq!(paid.len(), 1);
    assert_eq!(paid[0]["iupd"], "iupd-1");
}

#[tokio::test]
async fn an_injected_error_processes_nothing() {
    let mock = mock();
    let router = mock.router();
    mock.set_faults(Faults {
        error_rate: 1.0,
        seed: 7,
        ..Faults::default()
    });
    for _ in 0..3 {
        let answer = create(&router, position("iupd-1", IUV, 15000), false).await;
        assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(answer.json()["status"], 500);
    }
    assert!(mock.positions(ORG).is_empty());
    assert_eq!(mock.creations(ORG, "iupd-1"), 0);
    assert_eq!(mock.calls().fault("error"), 3);
    assert_eq!(mock.calls().endpoint("createPosition"), 3);
}

#[tokio::test]
async fn a_lost_response_still_stores_the_position() {
    let mock = mock();
    let router = mock.router();
    mock.set_faults(Faults {
        lost_response_rate: 1.0,
        ..Faults::default()
    });
    let answer = create(&router, position("iupd-1", IUV, 15000), false).await;
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(mock.positions(ORG).len(), 1);
    assert_eq!(mock.creations(ORG, "iupd-1"), 1);
    // A blind retry is processed too: the duplicate is refused, so still one creation.
    create(&router, position("iupd-1", IUV, 15000), false).await;
    assert_eq!(mock.creations(ORG, "iupd-1"), 1);
    assert_eq!(mock.calls().fault("lost_response"), 2);

    mock.set_faults(Faults::default());
    let retried = create(&router, position("iupd-1", IUV, 15000), false).await;
    assert_eq!(retried.status, StatusCode::CONFLICT);
    assert_eq!(get_position(&router, "iupd-1").await.status, StatusCode::OK);
}

#[tokio::test]
async fn rate_limiting_is_429_with_retry_after_and_faults_are_set_over_http() {
    let mock = mock();
    let router = mock.router();
    let set = send(
        &router,
        "PUT",
        "/_mock/pagopa/_admin/faults",
        None,
        Some(json!({"rate_limit_rate": 1.0, "seed": 3})),
    )
    .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    assert_eq!(mock.faults().rate_limit_rate, 1.0);
    let read = send(&router, "GET", "/_mock/pagopa/_admin/faults", None, None).await;
    assert_eq!(read.json()["seed"], 3);
    let limited = get_position(&router, "iupd-1").await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.header("retry-after").parse::<u64>().unwrap() >= 1);
    assert!(!limited.header("x-request-id").is_empty());
    assert_eq!(mock.calls().fault("rate_limit"), 1);
    let invalid = send(
        &router,
        "PUT",
        "/_mock/pagopa/_admin/faults",
        None,
        Some(json!({"error_rate": 2.0})),
    )
    .await;
    assert_eq!(invalid.status, StatusCode::BAD_REQUEST);
    assert_eq!(mock.faults().rate_limit_rate, 1.0);
    // The checkout page is never faulted.
    let page = send(
        &router,
        "GET",
        "/_mock/pagopa/checkout/carts/none",
        None,
        None,
    )
    .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_timeout_delays_the_answer() {
    let mock = mock();
    let router = mock.router();
    mock.set_faults(Faults {
        timeout_rate: 1.0,
        timeout_ms: 150,
        ..Faults::default()
    });
    let started = std::time::Instant::now();
    let answer = create(&router, position("iupd-1", IUV, 15000), false).await;
    assert!(started.elapsed() >= std::time::Duration::from_millis(150));
    assert_eq!(answer.status, StatusCode::CREATED);
    assert_eq!(mock.calls().fault("timeout"), 1);
}

fn cart(amount: i64) -> Value {
    json!({
        "paymentNotices": [{"noticeNumber": NAV, "fiscalCode": ORG, "amount": amount,
            "companyName": "Comune di Prova", "description": "Diritti SUAP <pratica 42>"}],
        "returnUrls": {"returnOkUrl": "https://comune.example/pagato",
            "returnCancelUrl": "https://comune.example/annullato",
            "returnErrorUrl": "https://comune.example/errore"},
        "emailNotice": "mario.rossi@example.org"
    })
}

async fn post_form(router: &Router, uri: &str, form: &str) -> Answer {
    let request = Request::builder()
        .method("POST")
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form.to_owned()))
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    Answer {
        status: response.status(),
        headers: response.headers().clone(),
        text: String::new(),
    }
}

#[tokio::test]
async fn the_checkout_pays_the_cart_and_returns_to_the_comune() {
    let mock = mock();
    let router = mock.router();
    create(&router, position("iupd-1", IUV, 15000), true).await;
    let carts = "/_mock/pagopa/checkout/ec/v1/carts";

    let created = send(&router, "POST", carts, None, Some(cart(15000))).await;
    assert_eq!(created.status, StatusCode::FOUND, "{}", created.text);
    let location = created.header("location");
    assert!(
        location.starts_with("/_mock/pagopa/checkout/carts/"),
        "{location}"
    );

    let page = send(&router, "GET", &location, None, None).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = &page.text;
    assert!(html.contains("lang=\"it\""));
    assert!(html.contains("SIMULATO"));
    assert!(html.contains("150,00 €"), "{html}");
    assert!(html.contains("3012 0250 0000 0042 28"), "{html}");
    assert!(html.contains("Diritti SUAP &lt;pratica 42&gt;"), "{html}");
    assert!(!html.contains("<pratica"), "escaped");
    assert_eq!(html.matches("<h1").count(), 1);
    assert!(html.contains("bootstrap-italia.min.css"));
    assert!(!html.contains("href=\"\""), "no empty links");
    assert!(html.contains("value=\"paga\""));

    let cancelled = post_form(&router, &location, "azione=annulla").await;
    assert_eq!(cancelled.status, StatusCode::SEE_OTHER);
    assert_eq!(
        cancelled.header("location"),
        "https://comune.example/annullato"
    );
    assert_eq!(
        get_position(&router, "iupd-1").await.json()["status"],
        "VALID"
    );

    let paid = post_form(&router, &location, "azione=paga").await;
    assert_eq!(paid.status, StatusCode::SEE_OTHER);
    assert_eq!(paid.header("location"), "https://comune.example/pagato");
    let position = get_position(&router, "iupd-1").await.json();
    assert_eq!(position["status"], "PAID");
    assert_eq!(position["paymentOption"][0]["pspCompany"], "PSP simulato");

    let after = send(&router, "GET", &location, None, None).await;
    assert!(after.text.contains("già pagati"), "{}", after.text);
    assert!(
        after
            .text
            .contains("href=\"https://comune.example/pagato\"")
    );
    assert!(!after.text.contains("value=\"paga\""));
    // A new cart for a paid notice is accepted and shows it paid.
    let again = send(&router, "POST", carts, None, Some(cart(15000))).await;
    assert_eq!(again.status, StatusCode::FOUND);
    // Paying it again is harmless.
    let repaid = post_form(&router, &again.header("location"), "azione=paga").await;
    assert_eq!(repaid.header("location"), "https://comune.example/pagato");
    assert_eq!(
        send(
            &router,
            "GET",
            &format!("{RECEIPTS}/{ORG}/receipts"),
            Some(KEY),
            None
        )
        .await
        .json()["length"],
        1
    );
}

#[tokio::test]
async fn the_checkout_refuses_bad_carts() {
    let mock = mock();
    let router = mock.router();
    create(&router, position("iupd-1", IUV, 15000), true).await;
    create(&router, position("iupd-2", IUV2, 100), false).await;
    let carts = "/_mock/pagopa/checkout/ec/v1/carts";

    let mut invalid = cart(15000);
    invalid["paymentNotices"][0]["noticeNumber"] = json!("123");
    invalid["returnUrls"]
        .as_object_mut()
        .unwrap()
        .remove("returnErrorUrl");
    let answer = send(&router, "POST", carts, None, Some(invalid)).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.detail().contains("noticeNumber"), "{}", answer.text);
    assert!(
        answer.detail().contains("returnErrorUrl"),
        "{}",
        answer.text
    );

    let mut six = cart(15000);
    let notice = six["paymentNotices"][0].clone();
    six["paymentNotices"] = json!(vec![notice; 6]);
    assert_eq!(
        send(&router, "POST", carts, None, Some(six)).await.status,
        StatusCode::BAD_REQUEST
    );

    let mut unknown = cart(15000);
    unknown["paymentNotices"][0]["noticeNumber"] = json!("301999999999999999");
    assert_eq!(
        send(&router, "POST", carts, None, Some(unknown))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let differs = send(&router, "POST", carts, None, Some(cart(14999))).await;
    assert_eq!(differs.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut draft = cart(100);
    draft["paymentNotices"][0]["noticeNumber"] = json!(NAV2);
    assert_eq!(
        send(&router, "POST", carts, None, Some(draft)).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        get_position(&router, "iupd-1").await.json()["status"],
        "VALID"
    );
}

#[tokio::test]
async fn the_answers_match_the_response_schemas_of_the_vendored_documents() {
    use sportello_mock::pagopa::schema::{gpd_payments, gpd_v1};
    let mock = mock();
    let router = mock.router();
    let mut body = position("iupd-1", IUV, 15000);
    body["paymentOption"][0]["paymentOptionMetadata"] = json!([{"key": "pratica", "value": "42"}]);
    body["paymentOption"][0]["retentionDate"] = json!("2027-12-31T23:59:59");
    let created = create(&router, body, true).await;
    let v1 = gpd_v1().unwrap();
    let no_violations = |schema: &str, value: &Value| {
        let violations = v1.validate(schema, value).unwrap();
        assert!(violations.is_empty(), "{schema}: {violations:?} in {value}");
    };
    no_violations("PaymentPositionModel", &created.json());
    mock.pay(ORG, NAV).unwrap();
    no_violations(
        "PaymentPositionModelBaseResponse",
        &get_position(&router, "iupd-1").await.json(),
    );
    let list = send(
        &router,
        "GET",
        &format!("{GPD}/{ORG}/debtpositions"),
        Some(KEY),
        None,
    )
    .await;
    no_violations("PaymentPositionsInfo", &list.json());
    let problem = get_position(&router, "nope").await.json();
    no_violations("ProblemJson", &problem);
    let receipts = send(
        &router,
        "GET",
        &format!("{RECEIPTS}/{ORG}/receipts"),
        Some(KEY),
        None,
    )
    .await;
    let violations = gpd_payments()
        .unwrap()
        .validate("PaymentsResult", &receipts.json())
        .unwrap();
    assert!(violations.is_empty(), "{violations:?}");
}
