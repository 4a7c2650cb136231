use crate::citizens::{GIUSEPPE, IDP, LAURA, MARIO, OTHER_IDP, actions, cf, client, login};
use crate::fixtures::{ALFA, BETA, import};
use sportello_domain::{Channel, ContactPreferences, UserId};
use sportello_store::{Actor, Store, StoreError, backend_tests};

backend_tests!(
    first_login_creates_the_citizen,
    later_logins_keep_the_attributes_as_received,
    a_citizen_of_two_comuni_is_two_users,
    contact_preferences_are_kept_across_logins_and_audited,
    preferences_of_an_unknown_or_foreign_user_are_not_written,
    a_login_level_outside_1_to_3_is_refused,
);

async fn first_login_creates_the_citizen(store: Store) {
    let alfa = import(&store, &ALFA).await.tenant_id;
    let scope = store.scoped(alfa);
    assert!(
        scope
            .user_by_fiscal_code(&cf(MARIO))
            .await
            .unwrap()
            .is_none()
    );

    let user = scope.record_login(&login(MARIO), &client()).await.unwrap();
    assert_eq!(user.tenant_id, alfa);
    assert_eq!(user.fiscal_code, cf(MARIO));
    assert_eq!(user.given_name.as_deref(), Some("Mario"));
    assert_eq!(user.date_of_birth.as_deref(), Some("1985-12-10"));
    assert_eq!(
        (user.last_level, user.last_idp_entity_id.as_str()),
        (2, IDP)
    );
    assert_eq!(user.contact_preferences, ContactPreferences::default());
    assert_eq!(user.created_at, user.last_login_at);

    assert_eq!(scope.user(user.id).await.unwrap(), Some(user.clone()));
    assert_eq!(
        scope.user_by_fiscal_code(&cf(MARIO)).await.unwrap(),
        Some(user.clone())
    );
    assert!(scope.user(UserId::generate()).await.unwrap().is_none());

    let log = scope.audit_log(10).await.unwrap();
    let entries: Vec<_> = log.iter().rev().map(|r| &r.entry).collect();
    let names: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(names, ["tenant.created", "user.created", "user.login"]);
    let login_entry = entries[2];
    assert_eq!(login_entry.actor, format!("user:{}", user.id));
    assert_eq!(login_entry.subject, format!("user:{}", user.id));
    assert_eq!(login_entry.source.as_deref(), Some("203.0.113.7"));
    assert_eq!(login_entry.details["idp"], IDP);
    assert_eq!(login_entry.details["level"], 2);
    assert_eq!(login_entry.details["user_agent"], "Mozilla/5.0 (test)");
}

async fn later_logins_keep_the_attributes_as_received(store: Store) {
    let alfa = import(&store, &ALFA).await.tenant_id;
    let scope = store.scoped(alfa);
    let first = scope.record_login(&login(MARIO), &client()).await.unwrap();

    let mut again = login(MARIO);
    again.email = None;
    again.mobile = Some("+393339999999".into());
    again.level = 3;
    again.idp_entity_id = OTHER_IDP.into();
    let second = scope.record_login(&again, &client()).await.unwrap();

    assert_eq!(second.id, first.id, "the same citizen, not a new one");
    assert_eq!(second.created_at, first.created_at);
    assert!(second.last_login_at >= first.last_login_at);
    assert_eq!(
        second.email, None,
        "an attribute not sent this time is not kept from before"
    );
    assert_eq!(second.mobile.as_deref(), Some("+393339999999"));
    assert_eq!(
        (second.last_level, second.last_idp_entity_id.as_str()),
        (3, OTHER_IDP)
    );
    assert_eq!(
        actions(&store, alfa).await,
        ["tenant.created", "user.created", "user.login", "user.login"]
    );
}

async fn a_citizen_of_two_comuni_is_two_users(store: Store) {
    let alfa = import(&store, &ALFA).await.tenant_id;
    let beta = import(&store, &BETA).await.tenant_id;
    let in_alfa = store
        .scoped(alfa)
        .record_login(&login(MARIO), &client())
        .await
        .unwrap();
    let in_beta = store
        .scoped(beta)
        .record_login(&login(MARIO), &client())
        .await
        .unwrap();
    assert_ne!(in_alfa.id, in_beta.id);
    assert_eq!(in_beta.tenant_id, beta);

    // Neither comune reaches the other's row, by id or by codice fiscale.
    assert!(store.scoped(beta).user(in_alfa.id).await.unwrap().is_none());
    assert!(store.scoped(alfa).user(in_beta.id).await.unwrap().is_none());
    store
        .scoped(alfa)
        .record_login(&login(LAURA), &client())
        .await
        .unwrap();
    assert!(
        store
            .scoped(beta)
            .user_by_fiscal_code(&cf(LAURA))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        actions(&store, beta).await,
        ["tenant.created", "user.created", "user.login"]
    );
}

async fn contact_preferences_are_kept_across_logins_and_audited(store: Store) {
    let alfa = import(&store, &ALFA).await.tenant_id;
    let scope = store.scoped(alfa);
    let user = scope.record_login(&login(MARIO), &client()).await.unwrap();
    let actor = Actor::user(user.id, client());

    let mut prefs = ContactPreferences {
        email: true,
        email_address: Some("casa@example.org".into()),
        ..ContactPreferences::default()
    };
    prefs.topics.insert("tari".into(), vec![Channel::Email]);
    assert!(
        scope
            .update_contact_preferences(user.id, &prefs, &actor)
            .await
            .unwrap()
    );
    // Saving the same choices again changes nothing and writes no entry.
    assert!(
        scope
            .update_contact_preferences(user.id, &prefs, &actor)
            .await
            .unwrap()
    );

    let relogin = scope.record_login(&login(MARIO), &client()).await.unwrap();
    assert_eq!(
        relogin.contact_preferences, prefs,
        "a login does not reset preferences"
    );
    assert_eq!(
        relogin.contact_preferences.channels_for("tari"),
        [Channel::Email]
    );

    let log = scope.audit_log(10).await.unwrap();
    let updates: Vec<_> = log
        .iter()
        .filter(|r| r.entry.action == "user.contact_preferences_updated")
        .collect();
    assert_eq!(updates.len(), 1);
    let entry = &updates[0].entry;
    assert_eq!(entry.actor, format!("user:{}", user.id));
    assert_eq!(
        entry.details["changed"],
        serde_json::json!(["email", "email_address", "topics"])
    );
    assert!(
        !entry.details.to_string().contains("casa@example.org"),
        "the audit log names fields, not their personal values"
    );
}

async fn preferences_of_an_unknown_or_foreign_user_are_not_written(store: Store) {
    let alfa = import(&store, &ALFA).await.tenant_id;
    let beta = import(&store, &BETA).await.tenant_id;
    let in_alfa = store
        .scoped(alfa)
        .record_login(&login(GIUSEPPE), &client())
        .await
        .unwrap();
    let prefs = ContactPreferences {
        io: false,
        ..ContactPreferences::default()
    };
    let actor = Actor::system();
    assert!(
        !store
            .scoped(beta)
            .update_contact_preferences(in_alfa.id, &prefs, &actor)
            .await
            .unwrap()
    );
    assert!(
        !store
            .scoped(alfa)
            .update_contact_preferences(UserId::generate(), &prefs, &actor)
            .await
            .unwrap()
    );
    let unchanged = store.scoped(alfa).user(in_alfa.id).await.unwrap().unwrap();
    assert_eq!(unchanged.contact_preferences, ContactPreferences::default());
    assert!(
        !actions(&store, beta)
            .await
            .iter()
            .any(|a| a.starts_with("user."))
    );
}

async fn a_login_level_outside_1_to_3_is_refused(store: Store) {
    let alfa = import(&store, &ALFA).await.tenant_id;
    let scope = store.scoped(alfa);
    for level in [0, 4] {
        let mut record = login(MARIO);
        record.level = level;
        let result = scope.record_login(&record, &client()).await;
        assert!(matches!(result, Err(StoreError::Invalid(_))), "{result:?}");
    }
    assert!(
        scope
            .user_by_fiscal_code(&cf(MARIO))
            .await
            .unwrap()
            .is_none()
    );
}
