use crate::citizens::{GIUSEPPE, MARIO, cf, signed_in};
use crate::fixtures::{ALFA, BETA, import};
use sportello_domain::notification::{Composed, DeliveryStatus, Event};
use sportello_domain::{Channel, Lang, TenantId};
use sportello_store::attachments::StorageKey;
use sportello_store::notifications::{
    DeliveryFilter, DeliveryUpdate, NOTIFICATION_REQUESTED, NewNotification, PaymentFacts,
};
use sportello_store::outbox::Status;
use sportello_store::{Actor, EmailToken, Store, backend_tests};
use std::time::Duration;

backend_tests!(
    a_notification_is_created_once_with_its_deliveries_and_outbox_message,
    a_channel_is_claimed_by_one_worker_only_and_every_change_is_logged,
    a_resend_copies_the_content_and_is_audited,
    notifications_are_scoped_to_their_comune,
    app_io_keys_are_sealed_per_comune_and_service,
    an_e_mail_address_is_verified_once_before_it_expires,
);

fn notification(tenant: TenantId, origin: &str) -> NewNotification {
    NewNotification {
        tenant,
        origin: origin.into(),
        recipient: cf(MARIO),
        user: None,
        event: Event::PaymentNotice,
        lang: Lang::It,
        composed: Composed {
            subject: "Avviso di pagamento: Permesso ZTL".into(),
            markdown: "Gentile cittadina, gentile cittadino, il Comune ti ha inviato un avviso di pagamento pagoPA."
                .into(),
            template_version: 0,
        },
        pratica: None,
        position: None,
        payment: Some(PaymentFacts {
            amount_cents: 1650,
            notice_number: "301202600000004228".into(),
            due_date: jiff::civil::date(2026, 12, 31),
            invalid_after_due_date: false,
        }),
        due_date: Some(jiff::civil::date(2026, 12, 31)),
        created_by: "system".into(),
    }
}

async fn a_notification_is_created_once_with_its_deliveries_and_outbox_message(store: Store) {
    let alfa = import(&store, &ALFA).await.tenant_id;
    let id = store
        .create_notification(&notification(alfa, "payment_notice:1"))
        .await
        .unwrap()
        .unwrap();
    // The same event told again creates nothing.
    assert_eq!(
        store
            .create_notification(&notification(alfa, "payment_notice:1"))
            .await
            .unwrap(),
        None
    );
    let stored = store.scoped(alfa).notification(id).await.unwrap().unwrap();
    assert_eq!(stored.event, Event::PaymentNotice);
    assert_eq!(stored.payment.as_ref().unwrap().amount_cents, 1650);
    assert_eq!(stored.due_date, Some(jiff::civil::date(2026, 12, 31)));
    let channels: Vec<(Channel, DeliveryStatus)> = stored
        .deliveries
        .iter()
        .map(|d| (d.channel, d.status))
        .collect();
    assert_eq!(
        channels,
        vec![
            (Channel::Io, DeliveryStatus::Pending),
            (Channel::Email, DeliveryStatus::Pending)
        ]
    );
    let message = store
        .outbox_message_state(&format!("notify:{id}"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(message.status, Status::Pending);
    assert_eq!(NOTIFICATION_REQUESTED, "notification.requested");
    let mine = store
        .scoped(alfa)
        .notifications_for_recipient(&cf(MARIO), 10)
        .await
        .unwrap();
    assert_eq!(mine.len(), 1);
    assert!(
        store
            .scoped(alfa)
            .notifications_for_recipient(&cf(GIUSEPPE), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn a_channel_is_claimed_by_one_worker_only_and_every_change_is_logged(store: Store) {
    let alfa = import(&store, &ALFA).await.tenant_id;
    let id = store
        .create_notification(&notification(alfa, "payment_notice:2"))
        .await
        .unwrap()
        .unwrap();
    let claim = DeliveryUpdate {
        address: Some("pagamenti".into()),
        attempt: true,
        ..DeliveryUpdate::default()
    };
    let pending = [DeliveryStatus::Pending];
    let first = store.update_delivery(id, Channel::Io, &pending, DeliveryStatus::Sending, &claim);
    let second = store.update_delivery(id, Channel::Io, &pending, DeliveryStatus::Sending, &claim);
    let (first, second) = tokio::join!(first, second);
    assert!(
        first.unwrap() ^ second.unwrap(),
        "exactly one worker claims the channel"
    );
    assert!(
        store
            .update_delivery(
                id,
                Channel::Io,
                &[DeliveryStatus::Sending],
                DeliveryStatus::Accepted,
                &DeliveryUpdate {
                    external_id: Some("01JAAAAAAAAAAAAAAAAAAAAAAA".into()),
                    next_check_at: Some(jiff::Timestamp::now() - Duration::from_secs(1)),
                    ..DeliveryUpdate::default()
                },
            )
            .await
            .unwrap()
    );
    let due = store.deliveries_to_check(10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].message_id, "01JAAAAAAAAAAAAAAAAAAAAAAA");
    assert_eq!(due[0].service_code, "pagamenti");
    store
        .schedule_delivery_check(id, Duration::from_secs(60))
        .await
        .unwrap();
    assert!(store.deliveries_to_check(10).await.unwrap().is_empty());
    let io = store.scoped(alfa).notification(id).await.unwrap().unwrap();
    let delivery = io.delivery(Channel::Io).unwrap();
    assert_eq!(delivery.status, DeliveryStatus::Accepted);
    assert_eq!(delivery.attempts, 1);
    let log = store.scoped(alfa).notification_log(id).await.unwrap();
    let steps: Vec<DeliveryStatus> = log.iter().map(|l| l.status).collect();
    assert_eq!(
        steps,
        vec![DeliveryStatus::Sending, DeliveryStatus::Accepted]
    );
    let counts = store
        .scoped(alfa)
        .delivery_counts(jiff::Timestamp::now() - Duration::from_secs(3600))
        .await
        .unwrap();
    assert!(
        counts.iter().any(|c| c.channel == Channel::Io
            && c.status == DeliveryStatus::Accepted
            && c.count == 1)
    );
    let filtered = store
        .scoped(alfa)
        .recent_notifications(
            DeliveryFilter {
                channel: Some(Channel::Io),
                status: Some(DeliveryStatus::Accepted),
                event: Some(Event::PaymentNotice),
            },
            10,
        )
        .await
        .unwrap();
    assert_eq!(filtered.len(), 1);
    let none = store
        .scoped(alfa)
        .recent_notifications(
            DeliveryFilter {
                status: Some(DeliveryStatus::Failed),
                ..DeliveryFilter::default()
            },
            10,
        )
        .await
        .unwrap();
    assert!(none.is_empty());
}

async fn a_resend_copies_the_content_and_is_audited(store: Store) {
    let alfa = import(&store, &ALFA).await.tenant_id;
    let id = store
        .create_notification(&notification(alfa, "payment_notice:3"))
        .await
        .unwrap()
        .unwrap();
    let scope = store.scoped(alfa);
    let copy = scope
        .resend_notification(id, &Actor::cli("clerk"))
        .await
        .unwrap()
        .unwrap();
    let copied = scope.notification(copy).await.unwrap().unwrap();
    assert_eq!(copied.resend_of, Some(id));
    assert_eq!(copied.subject, "Avviso di pagamento: Permesso ZTL");
    assert_eq!(copied.created_by, "cli:clerk");
    assert!(
        copied
            .deliveries
            .iter()
            .all(|d| d.status == DeliveryStatus::Pending)
    );
    assert!(
        store
            .outbox_message_state(&format!("notify:{copy}"))
            .await
            .unwrap()
            .is_some()
    );
    let audit = scope.audit_log(10).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|r| r.entry.action == "notification.resent")
    );
}

async fn notifications_are_scoped_to_their_comune(store: Store) {
    let alfa = import(&store, &ALFA).await.tenant_id;
    let beta = import(&store, &BETA).await.tenant_id;
    let id = store
        .create_notification(&notification(alfa, "payment_notice:4"))
        .await
        .unwrap()
        .unwrap();
    let other = store.scoped(beta);
    assert!(other.notification(id).await.unwrap().is_none());
    assert!(other.notification_log(id).await.unwrap().is_empty());
    assert!(
        other
            .resend_notification(id, &Actor::system())
            .await
            .unwrap()
            .is_none()
    );
    // The same origin in another comune is another notification.
    assert!(
        store
            .create_notification(&notification(beta, "payment_notice:4"))
            .await
            .unwrap()
            .is_some()
    );
}

async fn app_io_keys_are_sealed_per_comune_and_service(store: Store) {
    let alfa = import(&store, &ALFA).await.tenant_id;
    let beta = import(&store, &BETA).await.tenant_id;
    let sealing = StorageKey::from_bytes(&[7u8; 32]).unwrap();
    let scope = store.scoped(alfa);
    assert_eq!(scope.appio_key("pratiche", &sealing).await.unwrap(), None);
    scope
        .set_appio_key("pratiche", "secret-io-key", &sealing, &Actor::cli("it"))
        .await
        .unwrap();
    assert_eq!(
        scope
            .appio_key("pratiche", &sealing)
            .await
            .unwrap()
            .as_deref(),
        Some("secret-io-key")
    );
    assert_eq!(
        store
            .scoped(beta)
            .appio_key("pratiche", &sealing)
            .await
            .unwrap(),
        None
    );
    let other_key = StorageKey::from_bytes(&[8u8; 32]).unwrap();
    assert!(scope.appio_key("pratiche", &other_key).await.is_err());
    let listed = scope.appio_keys().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        listed[0].1,
        sportello_store::notifications::key_fingerprint("secret-io-key")
    );
    let audit = scope.audit_log(10).await.unwrap();
    let entry = audit
        .iter()
        .find(|r| r.entry.action == "appio.key_set")
        .unwrap();
    assert!(!entry.entry.details.to_string().contains("secret-io-key"));
}

async fn an_e_mail_address_is_verified_once_before_it_expires(store: Store) {
    let alfa = import(&store, &ALFA).await.tenant_id;
    let scope = store.scoped(alfa);
    let user = signed_in(&scope, MARIO).await;
    let prefs = sportello_domain::ContactPreferences {
        email: true,
        email_address: Some("mario@example.org".into()),
        ..user.contact_preferences.clone()
    };
    scope
        .update_contact_preferences(user.id, &prefs, &Actor::system())
        .await
        .unwrap();
    let token = EmailToken::generate().unwrap();
    scope
        .start_email_verification(
            user.id,
            "mario@example.org",
            &token,
            Duration::from_secs(3600),
        )
        .await
        .unwrap();
    // Another comune cannot use the link.
    assert_eq!(
        store
            .scoped(import(&store, &BETA).await.tenant_id)
            .confirm_email(&token, &Actor::system())
            .await
            .unwrap(),
        None
    );
    let confirmed = scope.confirm_email(&token, &Actor::system()).await.unwrap();
    assert_eq!(confirmed, Some((user.id, "mario@example.org".into())));
    assert_eq!(
        scope.confirm_email(&token, &Actor::system()).await.unwrap(),
        None
    );
    let user = scope.user(user.id).await.unwrap().unwrap();
    assert_eq!(
        user.contact_preferences.verified_email(),
        Some("mario@example.org")
    );
    // An expired link does nothing; a newer link supersedes older ones.
    let expired = EmailToken::generate().unwrap();
    scope
        .start_email_verification(user.id, "mario@example.org", &expired, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(
        scope
            .confirm_email(&expired, &Actor::system())
            .await
            .unwrap(),
        None
    );
    let older = EmailToken::generate().unwrap();
    let newer = EmailToken::generate().unwrap();
    for token in [&older, &newer] {
        scope
            .start_email_verification(user.id, "mario@example.org", token, Duration::from_secs(60))
            .await
            .unwrap();
    }
    assert_eq!(
        scope.confirm_email(&older, &Actor::system()).await.unwrap(),
        None
    );
    assert!(
        scope
            .confirm_email(&newer, &Actor::system())
            .await
            .unwrap()
            .is_some()
    );
}
