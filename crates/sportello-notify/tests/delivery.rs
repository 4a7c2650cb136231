//! The notification sink against the App IO stand-in and the SMTP stand-in, over the network:
//! which channel each citizen gets and why, the payment data of a notice, the status watcher,
//! the e-mail standing in for IO, bounces, and a send interrupted by a crash.

use sportello_domain::notification::{Composed, DeliveryStatus, Event, SkipReason};
use sportello_domain::tenant::Logo;
use sportello_domain::tenant_file::TenantDefinition;
use sportello_domain::{Channel, CodiceFiscale, ContactPreferences, Lang, Tenant};
use sportello_mock::appio::{MockAppIo, MockIoService, MockMessageStatus, MockProfile};
use sportello_mock::mail::{MockMailServer, MockMailbox};
use sportello_notify::NotificationSink;
use sportello_notify::StatusWatcher;
use sportello_notify::mail::{MailSettings, Mailer, Security};
use sportello_store::attachments::StorageKey;
use sportello_store::notifications::{DeliveryUpdate, NewNotification, Notification, PaymentFacts};
use sportello_store::outbox::{Worker, WorkerOptions};
use sportello_store::{Actor, ClientInfo, LoginRecord, Store, backend_tests};
use std::future::IntoFuture;
use std::time::Duration;
use uuid::Uuid;

const MARIO: &str = "RSSMRA80A01H501U";
const ANNA: &str = "VRDNNA85M52F205M";
const SARA: &str = "ESPSRA01A41Z404C";

backend_tests!(
    a_citizen_on_io_who_wants_e_mail_too_gets_both,
    no_io_profile_means_e_mail_stands_in_and_the_reason_is_kept,
    a_blocked_service_is_respected_and_without_an_address_nothing_is_sent,
    a_payment_notice_carries_its_payment_data_and_due_date,
    the_watcher_follows_io_until_delivered_and_a_rejection_calls_in_e_mail,
    a_refused_address_is_a_bounce,
    a_send_interrupted_by_a_crash_is_uncertain_and_never_repeated,
);

struct Harness {
    store: Store,
    tenant: Tenant,
    io: MockAppIo,
    mailbox: MockMailbox,
    sink: NotificationSink,
}

impl Harness {
    async fn new(store: Store) -> Harness {
        let definition =
            TenantDefinition::from_toml(include_str!("../../../tenants/demo/borgoverde.toml"))
                .unwrap();
        let logo = Logo::from_file(
            "borgoverde.svg",
            include_bytes!("../../../tenants/demo/borgoverde.svg").to_vec(),
        )
        .unwrap();
        store
            .import_tenant(&definition, &logo, "test")
            .await
            .unwrap();
        let tenant = store.tenant_by_slug("borgoverde").await.unwrap().unwrap();
        let sealing = StorageKey::from_bytes(&[9u8; 32]).unwrap();
        let mut services = Vec::new();
        for service in &tenant.profile.notifications.appio_services {
            let key = format!("key-{}", service.code);
            store
                .scoped(tenant.id)
                .set_appio_key(service.code.as_str(), &key, &sealing, &Actor::system())
                .await
                .unwrap();
            services.push(MockIoService::new(
                &service.service_id,
                &service.name,
                &tenant.profile.name,
                tenant.profile.codice_fiscale.as_str(),
                &key,
            ));
        }
        let payments = tenant
            .profile
            .notifications
            .appio_service_by_code("pagamenti")
            .unwrap()
            .service_id
            .clone();
        let mut anna = MockProfile::new(ANNA);
        anna.blocked_services = vec![payments];
        let io = MockAppIo::new(services, vec![MockProfile::new(MARIO), anna]);
        io.set_processing_delay(Duration::ZERO);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(axum::serve(listener, io.router()).into_future());
        let mailbox = MockMailbox::new();
        let (smtp, _) = MockMailServer::start("127.0.0.1:0".parse().unwrap(), mailbox.clone())
            .await
            .unwrap();
        let mailer = Mailer::new(&MailSettings {
            port: smtp.port(),
            security: Security::Plain,
            ..MailSettings::starttls("127.0.0.1")
        })
        .unwrap();
        let http = sportello_appio::http_client(Duration::from_secs(5)).unwrap();
        let client = sportello_appio::AppIoClient::new(
            http,
            &format!("http://127.0.0.1:{port}{}", sportello_mock::appio::API_BASE),
        )
        .unwrap();
        let sink = NotificationSink::new(
            store.clone(),
            client,
            Some(mailer),
            sealing,
            Some("https://servizi.example.it".into()),
        );
        Harness {
            store,
            tenant,
            io,
            mailbox,
            sink,
        }
    }

    /// A citizen known to the comune, with e-mail at `address` (verified) if given.
    async fn citizen(&self, code: &str, address: Option<&str>, email_too: bool) {
        let scope = self.store.scoped(self.tenant.id);
        let user = scope
            .record_login(
                &LoginRecord {
                    fiscal_code: CodiceFiscale::parse(code).unwrap(),
                    given_name: None,
                    family_name: None,
                    email: None,
                    mobile: None,
                    date_of_birth: None,
                    level: 2,
                    idp_entity_id: "https://idp.example".into(),
                },
                &ClientInfo::default(),
            )
            .await
            .unwrap();
        let prefs = ContactPreferences {
            email: email_too,
            email_address: address.map(str::to_owned),
            email_verified: address.map(str::to_owned),
            ..ContactPreferences::default()
        };
        scope
            .update_contact_preferences(user.id, &prefs, &Actor::system())
            .await
            .unwrap();
    }

    async fn notify(&self, code: &str, event: Event, payment: Option<PaymentFacts>) -> Uuid {
        self.store
            .create_notification(&NewNotification {
                tenant: self.tenant.id,
                origin: format!("test:{}", Uuid::now_v7()),
                recipient: CodiceFiscale::parse(code).unwrap(),
                user: None,
                event,
                lang: Lang::It,
                composed: Composed {
                    subject: "Richiesta ricevuta: Permesso ZTL".into(),
                    markdown: "Gentile cittadina, gentile cittadino, il Comune di Borgoverde ha ricevuto la tua richiesta **Permesso ZTL**.".into(),
                    template_version: 0,
                },
                pratica: None,
                position: None,
                due_date: payment.as_ref().map(|p| p.due_date),
                payment,
                created_by: "system".into(),
            })
            .await
            .unwrap()
            .unwrap()
    }

    /// Runs the outbox until nothing is due.
    async fn deliver(&self) {
        let worker = Worker::new(
            self.store.clone(),
            self.sink.clone(),
            WorkerOptions {
                id: "test".into(),
                ..WorkerOptions::default()
            },
        );
        while worker.run_once().await.unwrap() > 0 {}
    }

    async fn get(&self, id: Uuid) -> Notification {
        self.store
            .scoped(self.tenant.id)
            .notification(id)
            .await
            .unwrap()
            .unwrap()
    }
}

fn state(notification: &Notification, channel: Channel) -> (DeliveryStatus, Option<String>) {
    let delivery = notification.delivery(channel).unwrap();
    (delivery.status, delivery.reason.clone())
}

async fn a_citizen_on_io_who_wants_e_mail_too_gets_both(store: Store) {
    let h = Harness::new(store).await;
    h.citizen(MARIO, Some("mario@example.org"), true).await;
    let id = h.notify(MARIO, Event::RequestReceived, None).await;
    h.deliver().await;
    let n = h.get(id).await;
    assert_eq!(state(&n, Channel::Io).0, DeliveryStatus::Accepted);
    assert_eq!(state(&n, Channel::Email).0, DeliveryStatus::Delivered);
    let sent = h.io.messages_for(MARIO);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].subject, "Richiesta ricevuta: Permesso ZTL");
    // Requests go through the comune's "pratiche" service.
    let pratiche = &h.tenant.profile.notifications.appio_services[0];
    assert_eq!(sent[0].service_id, pratiche.service_id);
    let mails = h.mailbox.messages_to("mario@example.org");
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(
        mail.subject.as_deref(),
        Some("Richiesta ricevuta: Permesso ZTL")
    );
    assert!(
        mail.from
            .as_deref()
            .unwrap()
            .contains("notifiche@comune-borgoverde.example")
    );
    assert_eq!(
        mail.message_id.as_deref(),
        Some(format!("{id}@comune-borgoverde.example").as_str())
    );
    assert!(mail.list_unsubscribe.as_deref().unwrap().contains(&format!(
        "https://servizi.example.it/borgoverde/notifiche/{id}/disiscrizione"
    )));
    // Delivered again (a second outbox message about it): nothing is sent twice.
    h.store
        .enqueue(&sportello_store::outbox::NewMessage {
            idempotency_key: format!("again:{id}"),
            ..sportello_store::notifications::delivery_message(h.tenant.id, id)
        })
        .await
        .unwrap();
    h.deliver().await;
    assert_eq!(h.io.messages_for(MARIO).len(), 1);
    assert_eq!(h.mailbox.messages_to("mario@example.org").len(), 1);
}

async fn no_io_profile_means_e_mail_stands_in_and_the_reason_is_kept(store: Store) {
    let h = Harness::new(store).await;
    // Sara did not ask for e-mail: it stands in because IO cannot reach her.
    h.citizen(SARA, Some("sara@example.org"), false).await;
    let id = h.notify(SARA, Event::RequestReceived, None).await;
    h.deliver().await;
    let n = h.get(id).await;
    assert_eq!(
        state(&n, Channel::Io),
        (
            DeliveryStatus::Skipped,
            Some(SkipReason::NoProfile.code().into())
        )
    );
    assert_eq!(state(&n, Channel::Email).0, DeliveryStatus::Delivered);
    assert!(
        h.io.messages().is_empty(),
        "no message without a profile check"
    );
    assert_eq!(h.mailbox.messages_to("sara@example.org").len(), 1);
}

async fn a_blocked_service_is_respected_and_without_an_address_nothing_is_sent(store: Store) {
    let h = Harness::new(store).await;
    h.citizen(ANNA, None, false).await;
    // Anna blocked the payments service, not the requests one.
    let payment = h
        .notify(
            ANNA,
            Event::PaymentNotice,
            Some(PaymentFacts {
                amount_cents: 1650,
                notice_number: "301202600000004228".into(),
                due_date: jiff::civil::date(2030, 1, 31),
                invalid_after_due_date: false,
            }),
        )
        .await;
    let request = h.notify(ANNA, Event::RequestReceived, None).await;
    h.deliver().await;
    let n = h.get(payment).await;
    assert_eq!(
        state(&n, Channel::Io),
        (
            DeliveryStatus::Skipped,
            Some(SkipReason::ServiceBlocked.code().into())
        )
    );
    assert_eq!(
        state(&n, Channel::Email),
        (
            DeliveryStatus::Skipped,
            Some(SkipReason::NoAddress.code().into())
        )
    );
    let n = h.get(request).await;
    assert_eq!(state(&n, Channel::Io).0, DeliveryStatus::Accepted);
    assert_eq!(
        state(&n, Channel::Email),
        (
            DeliveryStatus::Skipped,
            Some(SkipReason::NotNeeded.code().into())
        )
    );
    assert_eq!(h.io.messages_for(ANNA).len(), 1);
}

async fn a_payment_notice_carries_its_payment_data_and_due_date(store: Store) {
    let h = Harness::new(store).await;
    h.citizen(MARIO, None, false).await;
    let id = h
        .notify(
            MARIO,
            Event::PaymentNotice,
            Some(PaymentFacts {
                amount_cents: 1650,
                notice_number: "301202600000004228".into(),
                due_date: jiff::civil::date(2030, 1, 31),
                invalid_after_due_date: true,
            }),
        )
        .await;
    h.deliver().await;
    assert_eq!(
        state(&h.get(id).await, Channel::Io).0,
        DeliveryStatus::Accepted
    );
    let sent = h.io.messages_for(MARIO);
    let payment = sent[0].payment_data.as_ref().unwrap();
    assert_eq!(payment.amount, 1650);
    assert_eq!(payment.notice_number, "301202600000004228");
    assert!(payment.invalid_after_due_date);
    // The end of the due day in Rome (23:59:59 CET is 22:59:59 UTC).
    assert_eq!(
        sent[0].due_date.unwrap().to_string(),
        "2030-01-31T22:59:59Z"
    );
    let pagamenti = h
        .tenant
        .profile
        .notifications
        .appio_service_by_code("pagamenti")
        .unwrap();
    assert_eq!(sent[0].service_id, pagamenti.service_id);
}

async fn the_watcher_follows_io_until_delivered_and_a_rejection_calls_in_e_mail(store: Store) {
    let h = Harness::new(store).await;
    h.citizen(MARIO, Some("mario@example.org"), false).await;
    let kept = h.notify(MARIO, Event::RequestReceived, None).await;
    h.deliver().await;
    // Mario deletes his IO profile after the check: IO rejects the second message.
    let lost = h.notify(MARIO, Event::RequestApproved, None).await;
    h.deliver().await;
    let mut gone = MockProfile::new(MARIO);
    gone.inbox_enabled = false;
    h.io.upsert_profile(gone);
    assert_eq!(
        state(&h.get(lost).await, Channel::Email).0,
        DeliveryStatus::Skipped
    );
    let watcher = StatusWatcher::new(h.sink.clone());
    for _ in 0..50 {
        watcher.run_once().await.unwrap();
        if state(&h.get(lost).await, Channel::Io).0 != DeliveryStatus::Accepted {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        state(&h.get(kept).await, Channel::Io).0,
        DeliveryStatus::Delivered
    );
    let io = h.io.messages_for(MARIO);
    assert!(io.iter().any(|m| m.status == MockMessageStatus::Processed));
    let n = h.get(lost).await;
    assert_eq!(state(&n, Channel::Io).0, DeliveryStatus::Rejected);
    // The e-mail channel reopened and its delivery was queued.
    h.deliver().await;
    assert_eq!(
        state(&h.get(lost).await, Channel::Email).0,
        DeliveryStatus::Delivered
    );
    assert_eq!(h.mailbox.messages_to("mario@example.org").len(), 1);
}

async fn a_refused_address_is_a_bounce(store: Store) {
    let h = Harness::new(store).await;
    h.citizen(SARA, Some("sara@dominio.invalid"), true).await;
    let id = h.notify(SARA, Event::RequestReceived, None).await;
    h.deliver().await;
    let (status, reason) = state(&h.get(id).await, Channel::Email);
    assert_eq!(status, DeliveryStatus::Bounced);
    assert!(reason.unwrap().starts_with("550"));
}

async fn a_send_interrupted_by_a_crash_is_uncertain_and_never_repeated(store: Store) {
    let h = Harness::new(store).await;
    h.citizen(MARIO, None, false).await;
    let id = h.notify(MARIO, Event::RequestReceived, None).await;
    // A worker claimed the channel and died before recording the answer.
    assert!(
        h.store
            .update_delivery(
                id,
                Channel::Io,
                &[DeliveryStatus::Pending],
                DeliveryStatus::Sending,
                &DeliveryUpdate {
                    attempt: true,
                    ..DeliveryUpdate::default()
                },
            )
            .await
            .unwrap()
    );
    // While the claim is recent another worker leaves it alone ...
    h.deliver().await;
    assert_eq!(
        state(&h.get(id).await, Channel::Io).0,
        DeliveryStatus::Sending
    );
    // ... and once it is stale the channel is uncertain: nothing is sent again.
    h.store
        .enqueue(&sportello_store::outbox::NewMessage {
            idempotency_key: format!("again:{id}"),
            ..sportello_store::notifications::delivery_message(h.tenant.id, id)
        })
        .await
        .unwrap();
    let impatient = h.sink.clone().with_claim_timeout(Duration::ZERO);
    let worker = Worker::new(h.store.clone(), impatient, WorkerOptions::default());
    while worker.run_once().await.unwrap() > 0 {}
    let (status, reason) = state(&h.get(id).await, Channel::Io);
    assert_eq!(status, DeliveryStatus::Uncertain);
    assert!(reason.unwrap().contains("may have been delivered"));
    assert!(h.io.messages().is_empty());
}
