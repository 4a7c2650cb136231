//! The receipts watcher and the nightly reconciliation against the GPD stand-in, on SQLite
//! and PostgreSQL: a payment made on another channel is learnt from the receipts list and tells
//! the owning process once; what differs between Sportello and pagoPA is listed.

use sportello_domain::tenant::Logo;
use sportello_domain::tenant_file::TenantDefinition;
use sportello_domain::{Cents, CodiceFiscale, Tenant};
use sportello_mock::pagopa::{MockCreditor, MockPagoPa};
use sportello_pagopa::delivery::POSITION_CREATE;
use sportello_pagopa::gpd::GpdClient;
use sportello_pagopa::request::{LineKind, PaymentLine, PaymentRequest, Purpose};
use sportello_pagopa::{
    PAYMENT_REQUESTED, PagoPaSettings, PagoPaSink, ReceiptWatcher, SubscriptionKey,
};
use sportello_store::Store;
use sportello_store::outbox::{NewMessage, Worker, WorkerOptions};
use sportello_store::payments::PositionState;
use std::future::IntoFuture;
use std::time::Duration;

const ORG: &str = "80000123457";
const KEY: &str = "reconcile-test-key";

struct Setup {
    store: Store,
    tenant: Tenant,
    mock: MockPagoPa,
    settings: PagoPaSettings,
    gpd: GpdClient,
}

async fn setup(store: Store) -> Setup {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tenants/demo/");
    let definition = TenantDefinition::from_toml(
        &std::fs::read_to_string(format!("{dir}borgoverde.toml")).unwrap(),
    )
    .unwrap();
    let logo = Logo::from_file(
        &definition.logo_file,
        std::fs::read(format!("{dir}{}", definition.logo_file)).unwrap(),
    )
    .unwrap();
    store
        .import_tenant(&definition, &logo, "test")
        .await
        .unwrap();
    let tenant = store.tenant_by_slug("borgoverde").await.unwrap().unwrap();
    let mock = MockPagoPa::new(vec![MockCreditor {
        subscription_key: KEY.into(),
        fiscal_code: ORG.into(),
        company_name: tenant.profile.name.clone(),
        segregation_codes: vec![1],
    }]);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(axum::serve(listener, mock.router()).into_future());
    let settings = PagoPaSettings {
        api_base: format!("http://127.0.0.1:{port}/_mock/pagopa")
            .parse()
            .unwrap(),
        keys: [("borgoverde".to_owned(), SubscriptionKey::new(KEY))].into(),
        timeout: Duration::from_secs(5),
        public_url: None,
    };
    let http = sportello_pagopa::http_client(settings.timeout).unwrap();
    let gpd = GpdClient::new(http, &settings.api_base).unwrap();
    Setup {
        store,
        tenant,
        mock,
        settings,
        gpd,
    }
}

/// Asks for `n` permit fees through the outbox and delivers them: `n` valid positions.
async fn positions(s: &Setup, n: usize) -> Vec<sportello_store::payments::StoredPosition> {
    let mut out = Vec::new();
    for _ in 0..n {
        let request = PaymentRequest {
            pratica: uuid::Uuid::now_v7(),
            protocol: "0000001/2026".into(),
            purpose: Purpose::Decision,
            debtor_fiscal_code: CodiceFiscale::parse("RSSMRA80A01H501U").unwrap(),
            debtor_name: "Mario Rossi".into(),
            reason: "Autorizzazione prot. 0000001/2026".into(),
            lines: vec![PaymentLine {
                kind: LineKind::Fee,
                description: "Canone".into(),
                amount: Cents::new(4200),
            }],
        };
        s.store
            .enqueue(&NewMessage {
                tenant: Some(s.tenant.id),
                topic: PAYMENT_REQUESTED.into(),
                idempotency_key: request.idempotency_key(),
                payload: serde_json::to_value(&request).unwrap(),
                max_attempts: 5,
            })
            .await
            .unwrap();
        out.push(request.origin());
    }
    let sink = PagoPaSink::new(s.store.clone(), s.gpd.clone(), s.settings.clone());
    let worker = Worker::new(s.store.clone(), sink, WorkerOptions::default());
    while worker.run_once().await.unwrap() > 0 {}
    let scope = s.store.scoped(s.tenant.id);
    let mut stored = Vec::new();
    for origin in out {
        stored.push(scope.position_by_origin(&origin).await.unwrap().unwrap());
    }
    stored
}

sportello_store::backend_tests!(
    a_payment_on_another_channel_is_learnt_from_the_receipts_list_once,
    the_reconciliation_lists_what_differs,
);

async fn a_payment_on_another_channel_is_learnt_from_the_receipts_list_once(store: Store) {
    let s = setup(store).await;
    let made = positions(&s, 3).await;
    for p in &made {
        assert_eq!(p.state.key(), "valid");
    }
    // Each creation was its own outbox message, delivered once.
    let create = s
        .store
        .outbox_message_state(&format!("gpd.create:{}:{}", s.tenant.id, made[0].iupd()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        create.attempts, 1,
        "{POSITION_CREATE} delivered at the first attempt"
    );
    // Mario pays the second one in his bank's app.
    s.mock
        .pay(ORG, made[1].position.options[0].notice_number.as_str())
        .unwrap();
    let watcher = ReceiptWatcher::new(s.store.clone(), s.gpd.clone(), s.settings.clone());
    assert_eq!(watcher.poll_lists().await.unwrap(), 1);
    assert_eq!(
        watcher.poll_lists().await.unwrap(),
        0,
        "a receipt is recorded once"
    );
    let scope = s.store.scoped(s.tenant.id);
    let paid = scope.position(made[1].id).await.unwrap().unwrap();
    assert!(paid.state.is_paid());
    assert!(paid.paid_at.is_some());
    let receipts = scope.receipts_of_position(made[1].id).await.unwrap();
    assert_eq!(receipts.len(), 1);
    assert_eq!(receipts[0].amount, Cents::new(4200));
    assert_eq!(
        receipts[0].psp.as_deref(),
        Some(sportello_mock::pagopa::PSP_COMPANY)
    );
    // The owning process is told once, through the outbox.
    let told = s
        .store
        .outbox_message_state(&format!("payment.received:{}:{}", s.tenant.id, made[1].id))
        .await
        .unwrap();
    assert!(told.is_some());
    for other in [&made[0], &made[2]] {
        let unpaid = scope.position(other.id).await.unwrap().unwrap();
        assert_eq!(
            unpaid.state,
            PositionState::Gpd(sportello_domain::payment::PositionStatus::Valid)
        );
    }
    // The per-position check finds nothing new either.
    let checked = watcher.check(&s.tenant, &paid).await.unwrap();
    assert_eq!(checked.new_receipts, 0);
}

async fn the_reconciliation_lists_what_differs(store: Store) {
    let s = setup(store).await;
    let made = positions(&s, 3).await;
    let report = sportello_pagopa::reconcile::reconcile(&s.store, &s.gpd, &s.settings, &s.tenant)
        .await
        .unwrap();
    assert!(report.differences.is_empty(), "{report:?}");
    assert_eq!(report.checked, 3);
    // Paid elsewhere, not yet heard of; and one GPD never had (created here, the create lost).
    s.mock
        .pay(ORG, made[0].position.options[0].notice_number.as_str())
        .unwrap();
    let report = sportello_pagopa::reconcile::reconcile(&s.store, &s.gpd, &s.settings, &s.tenant)
        .await
        .unwrap();
    assert_eq!(report.differences.len(), 1, "{report:?}");
    assert_eq!(report.differences[0].iupd, made[0].iupd().to_string());
    assert_eq!(report.differences[0].ours, "valid");
    assert_eq!(report.differences[0].theirs, "PAID");
    let runs = s
        .store
        .scoped(s.tenant.id)
        .reconciliations(10)
        .await
        .unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0].differences.as_array().map(Vec::len), Some(1));
    // Once the receipt is recorded, the two agree again.
    let watcher = ReceiptWatcher::new(s.store.clone(), s.gpd.clone(), s.settings.clone());
    watcher.poll_lists().await.unwrap();
    let report = sportello_pagopa::reconcile::reconcile(&s.store, &s.gpd, &s.settings, &s.tenant)
        .await
        .unwrap();
    assert!(report.differences.is_empty(), "{report:?}");
}
