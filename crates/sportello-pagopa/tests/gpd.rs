//! Contract tests of the GPD client against the stand-in, which follows the official OpenAPI
//! document field by field: every request the client builds validates against the document's
//! schema, and each error the spec lists is classified as the delivery needs it.

use sportello_domain::pagopa::{IuvBase, NoticeNumber, SegregationCode};
use sportello_domain::payment::{
    DebtPosition, Debtor, Destination, DigitalStamp, Iban, Iupd, PaymentOption, Taxonomy, Transfer,
};
use sportello_domain::{Cents, EnteCodiceFiscale};
use sportello_mock::pagopa::{Faults, MockCreditor, MockPagoPa, schema};
use sportello_pagopa::gpd::{Creditor, GpdClient, PaymentPositionModel};
use sportello_pagopa::{ApiError, SubscriptionKey};
use std::future::IntoFuture;
use std::time::Duration;

const ORG: &str = "80000123457";
const KEY: &str = "contract-test-key";

async fn stand_in() -> (MockPagoPa, GpdClient) {
    let mock = MockPagoPa::new(vec![MockCreditor {
        subscription_key: KEY.into(),
        fiscal_code: ORG.into(),
        company_name: "Comune di Borgoverde".into(),
        segregation_codes: vec![1],
    }]);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(axum::serve(listener, mock.router()).into_future());
    let http = sportello_pagopa::http_client(Duration::from_secs(2)).unwrap();
    let base = format!("http://127.0.0.1:{port}/_mock/pagopa")
        .parse()
        .unwrap();
    (mock, GpdClient::new(http, &base).unwrap())
}

fn position(n: u64, instalments: usize) -> DebtPosition {
    let creditor = EnteCodiceFiscale::parse(ORG).unwrap();
    let notice = |k: u64| {
        NoticeNumber::new(
            SegregationCode::new(1).unwrap(),
            IuvBase::new(2_026_000_000_000 + n * 10 + k).unwrap(),
        )
    };
    let fee = |amount: i64| {
        Transfer::new(
            Cents::new(amount),
            "TARI 2026",
            Taxonomy::parse("9/0101108TS/").unwrap(),
            Destination::Account {
                iban: Iban::parse("IT29X0306903200100000012345").unwrap(),
                postal_iban: Some(Iban::parse("IT98X0760103200001000123456").unwrap()),
            },
        )
        .unwrap()
    };
    let stamp = Transfer::new(
        Cents::new(1600),
        "Imposta di bollo",
        Taxonomy::parse("9/0301109AP/").unwrap(),
        Destination::Stamp(
            DigitalStamp::new(
                "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=",
                DigitalStamp::STANDARD,
                "BV",
            )
            .unwrap(),
        ),
    )
    .unwrap();
    let due = jiff::civil::date(2099, 12, 31);
    let mut options = vec![
        PaymentOption::new(
            notice(0),
            "TARI 2026 rata unica",
            due,
            false,
            vec![fee(30000), stamp],
        )
        .unwrap(),
    ];
    for k in 1..=instalments {
        options.push(
            PaymentOption::new(
                notice(k as u64),
                &format!("TARI 2026 rata {k}"),
                due,
                true,
                vec![fee(10000)],
            )
            .unwrap(),
        );
    }
    DebtPosition::new(
        Iupd::for_origin(&creditor, &format!("contract-{n}")).unwrap(),
        Debtor::identify("RSSMRA80A01H501U", "Mario Rossi").unwrap(),
        "Comune di Borgoverde",
        Some("Servizio tributi"),
        false,
        options,
    )
    .unwrap()
}

#[test]
fn every_body_the_client_builds_is_valid_against_the_official_schema() {
    let document = schema::gpd_v1().unwrap();
    for instalments in [0, 3] {
        let model = PaymentPositionModel::from(&position(1, instalments));
        let json = serde_json::to_value(&model).unwrap();
        let violations = document.validate("PaymentPositionModel", &json).unwrap();
        assert!(violations.is_empty(), "{violations:?}\n{json:#}");
        // The stamp travels without an IBAN, the fee with both accounts.
        let transfers = &json["paymentOption"][0]["transfer"];
        assert_eq!(transfers[0]["postalIban"], "IT98X0760103200001000123456");
        assert!(transfers[1].get("iban").is_none());
        assert_eq!(transfers[1]["stamp"]["provincialResidence"], "BV");
        assert_eq!(json["paymentOption"][0]["iuv"].as_str().unwrap().len(), 17);
    }
}

#[tokio::test]
async fn a_position_is_created_read_updated_published_and_invalidated() {
    let (mock, gpd) = stand_in().await;
    let key = SubscriptionKey::new(KEY);
    let creditor = Creditor {
        fiscal_code: ORG,
        key: &key,
    };
    let position = position(2, 2);
    let model = PaymentPositionModel::from(&position);
    let created = gpd.create(&creditor, &model, false).await.unwrap();
    assert_eq!(created.status.as_deref(), Some("DRAFT"));
    let read = gpd.get(&creditor, position.iupd.as_str()).await.unwrap();
    assert_eq!(read.payment_option.len(), 3);
    assert_eq!(
        read.payment_option[0].nav.as_deref(),
        Some(position.options[0].notice_number.as_str()),
        "GPD derives the notice number from the IUV as we do"
    );
    let updated = gpd.update(&creditor, &model, false).await.unwrap();
    assert_eq!(updated.status.as_deref(), Some("DRAFT"));
    let published = gpd
        .publish(&creditor, position.iupd.as_str())
        .await
        .unwrap();
    assert_eq!(published.status.as_deref(), Some("VALID"));
    // Publishing twice is a conflict, as the spec says.
    assert!(matches!(
        gpd.publish(&creditor, position.iupd.as_str()).await,
        Err(ApiError::Conflict { .. })
    ));
    let invalid = gpd
        .invalidate(&creditor, position.iupd.as_str())
        .await
        .unwrap();
    assert_eq!(invalid.status.as_deref(), Some("INVALID"));
    assert_eq!(mock.creations(ORG, position.iupd.as_str()), 1);
}

#[tokio::test]
async fn errors_are_sorted_by_what_the_caller_must_do() {
    let (mock, gpd) = stand_in().await;
    let key = SubscriptionKey::new(KEY);
    let creditor = Creditor {
        fiscal_code: ORG,
        key: &key,
    };
    let model = PaymentPositionModel::from(&position(3, 0));
    gpd.create(&creditor, &model, true).await.unwrap();

    // 409: the same iupd again.
    assert!(matches!(
        gpd.create(&creditor, &model, true).await,
        Err(ApiError::Conflict { .. })
    ));
    // 404.
    assert!(matches!(
        gpd.get(&creditor, "80000123457-missing").await,
        Err(ApiError::NotFound { .. })
    ));
    // 401: a wrong key; 403: a creditor the key does not cover.
    let wrong = SubscriptionKey::new("nope");
    let error = gpd
        .get(
            &Creditor {
                fiscal_code: ORG,
                key: &wrong,
            },
            "x",
        )
        .await
        .unwrap_err();
    assert!(
        matches!(error, ApiError::Unauthorized { status: 401, .. }),
        "{error:?}"
    );
    assert!(!error.is_transient());
    let error = gpd
        .get(
            &Creditor {
                fiscal_code: "80000678906",
                key: &key,
            },
            "x",
        )
        .await
        .unwrap_err();
    assert!(
        matches!(error, ApiError::Unauthorized { status: 403, .. }),
        "{error:?}"
    );
    // 400: a body the schema refuses (an amount of zero cannot come from the domain, so the
    // model is edited by hand), with the path in the detail.
    let mut bad = PaymentPositionModel::from(&position(4, 0));
    bad.payment_option[0].amount = 0;
    let error = gpd.create(&creditor, &bad, true).await.unwrap_err();
    match &error {
        ApiError::Invalid {
            status: 400,
            detail,
        } => assert!(detail.contains("amount"), "{detail}"),
        other => panic!("expected a 400, got {other:?}"),
    }
    assert!(!error.is_transient());
    // 429 with Retry-After; 500; a timeout: all worth retrying.
    mock.set_faults(Faults {
        rate_limit_rate: 1.0,
        ..Faults::default()
    });
    let error = gpd.get(&creditor, model.iupd.as_str()).await.unwrap_err();
    assert!(error.is_transient());
    assert!(error.retry_after().is_some(), "{error:?}");
    mock.set_faults(Faults {
        error_rate: 1.0,
        ..Faults::default()
    });
    let error = gpd.get(&creditor, model.iupd.as_str()).await.unwrap_err();
    assert!(matches!(error, ApiError::Server { status: 500, .. }) && error.outcome_unknown());
    mock.set_faults(Faults {
        timeout_rate: 1.0,
        timeout_ms: 3_000,
        ..Faults::default()
    });
    let error = gpd.get(&creditor, model.iupd.as_str()).await.unwrap_err();
    assert_eq!(error, ApiError::Timeout);
}

#[tokio::test]
async fn a_create_whose_answer_was_lost_is_found_not_repeated() {
    let (mock, gpd) = stand_in().await;
    let key = SubscriptionKey::new(KEY);
    let creditor = Creditor {
        fiscal_code: ORG,
        key: &key,
    };
    let model = PaymentPositionModel::from(&position(5, 0));
    mock.set_faults(Faults {
        lost_response_rate: 1.0,
        timeout_ms: 3_000,
        seed: 7,
        ..Faults::default()
    });
    let lost = gpd.create(&creditor, &model, true).await.unwrap_err();
    assert!(lost.outcome_unknown(), "{lost:?}");
    mock.set_faults(Faults::default());
    // The retry's create gets 409; reading back by iupd shows the position is there.
    let again = gpd.create(&creditor, &model, true).await.unwrap_err();
    assert!(matches!(again, ApiError::Conflict { .. }));
    let found = gpd.get(&creditor, model.iupd.as_str()).await.unwrap();
    assert_eq!(found.status.as_deref(), Some("VALID"));
    assert_eq!(mock.creations(ORG, model.iupd.as_str()), 1);
}

#[tokio::test]
async fn paid_positions_appear_in_the_receipts_list() {
    let (mock, gpd) = stand_in().await;
    let key = SubscriptionKey::new(KEY);
    let creditor = Creditor {
        fiscal_code: ORG,
        key: &key,
    };
    let position = position(6, 0);
    gpd.create(&creditor, &PaymentPositionModel::from(&position), true)
        .await
        .unwrap();
    let nav = position.options[0].notice_number.as_str();
    let receipt = mock.pay(ORG, nav).unwrap();
    let today = sportello_domain::calendar::local_date(jiff::Timestamp::now());
    let page = gpd
        .receipts(
            &creditor,
            today.yesterday().unwrap(),
            today.tomorrow().unwrap(),
            0,
        )
        .await
        .unwrap();
    assert!(
        page.results.iter().any(|r| format!("3{}", r.iuv) == nav),
        "{page:?}"
    );
    let read = gpd.get(&creditor, position.iupd.as_str()).await.unwrap();
    assert_eq!(read.status.as_deref(), Some("PAID"));
    let option = &read.payment_option[0];
    assert!(option.is_paid());
    assert_eq!(
        option.id_receipt.as_deref(),
        Some(receipt.receipt_id.as_str())
    );
}
