use crate::citizens::{
    ABSOLUTE, IDLE, IDP, LAURA, MARIO, OTHER_IDP, actions, new_session, session_of, signed_in,
};
use crate::fixtures::{ALFA, BETA, import};
use jiff::Timestamp;
use sportello_store::{
    Actor, ClientInfo, SESSION_TOUCH_INTERVAL, SessionEnd, SessionToken, Store, StoreError,
    backend_tests,
};
use std::time::Duration;

backend_tests!(
    a_new_session_reads_back,
    a_session_ends_when_idle,
    activity_slides_the_idle_deadline_at_most_once_a_minute,
    a_session_ends_at_the_absolute_deadline_however_active,
    an_ended_session_is_gone,
    a_session_is_invisible_through_another_comunes_scope,
    single_logout_ends_the_sessions_of_a_name_id,
    purge_removes_ended_and_expired_sessions_only,
    a_session_needs_a_user_of_its_comune,
);

fn at(from: Timestamp, seconds: u64) -> Timestamp {
    from + Duration::from_secs(seconds)
}

#[test]
fn tokens_round_trip_through_their_cookie_value() {
    let token = SessionToken::generate().unwrap();
    let value = token.as_cookie_value();
    assert_eq!(value.len(), 43);
    assert!(
        value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    let parsed = SessionToken::parse(value).unwrap();
    assert_eq!(parsed, token);
    assert_eq!(parsed.hash(), token.hash());
    assert_ne!(SessionToken::generate().unwrap().hash(), token.hash());
}

#[test]
fn malformed_tokens_are_refused_and_tokens_never_print() {
    let token = SessionToken::generate().unwrap();
    let value = token.as_cookie_value();
    assert!(SessionToken::parse("").is_none());
    assert!(SessionToken::parse(&value[..42]).is_none());
    assert!(SessionToken::parse(&format!("{value}=")).is_none());
    assert!(SessionToken::parse(&value.replace(|_: char| true, "+")).is_none());
    // 43 characters carry 258 bits; a spelling with the two spare bits set is refused, so a
    // token has one accepted spelling.
    let last = value.chars().last().unwrap();
    let sibling = match last {
        'A' => 'B',
        _ => 'A',
    };
    let altered = format!("{}{sibling}", &value[..42]);
    assert!(SessionToken::parse(&altered).is_none_or(|t| t != token));
    assert_eq!(format!("{token:?}"), "SessionToken(<redacted>)");
}

async fn a_new_session_reads_back(store: Store) {
    let alfa = import(&store, &ALFA).await.tenant_id;
    let before = Timestamp::now();
    let (user, token) = session_of(&store, alfa, MARIO).await;
    let session = store.session(&token).await.unwrap().unwrap();
    assert_eq!((session.tenant_id, session.user_id), (alfa, user.id));
    assert_eq!(session.level, 2);
    assert_eq!(session.idp_entity_id, IDP);
    assert_eq!(session.name_id, format!("name-id-{MARIO}"));
    assert_eq!(session.name_id_qualifier.as_deref(), Some(IDP));
    assert_eq!(session.session_index.as_deref(), Some("idx-1"));
    assert_eq!(session.client.ip.as_deref(), Some("203.0.113.7"));
    // Stored instants keep microseconds: `before` may carry nanoseconds more.
    assert!(session.created_at >= before - Duration::from_micros(1));
    assert_eq!(session.idle_expires_at, session.created_at + IDLE);
    assert_eq!(session.absolute_expires_at, session.created_at + ABSOLUTE);

    // The cookie value, parsed back as a browser would send it, finds the session.
    let from_cookie = SessionToken::parse(token.as_cookie_value()).unwrap();
    assert!(store.session(&from_cookie).await.unwrap().is_some());
    assert!(
        store
            .session(&SessionToken::generate().unwrap())
            .await
            .unwrap()
            .is_none()
    );

    let log = store.scoped(alfa).audit_log(1).await.unwrap();
    let entry = &log[0].entry;
    assert_eq!(entry.action, "session.started");
    assert_eq!(entry.actor, format!("user:{}", user.id));
    assert!(entry.subject.starts_with("session:"));
    assert!(
        !entry.subject.contains(token.as_cookie_value()),
        "the token itself is never written"
    );
    assert_eq!(entry.details["idp"], IDP);
}

async fn a_session_ends_when_idle(store: Store) {
    let alfa = import(&store, &ALFA).await.tenant_id;
    let (_, token) = session_of(&store, alfa, MARIO).await;
    let start = store.session(&token).await.unwrap().unwrap().created_at;
    let idle = IDLE.as_secs();
    assert!(
        store
            .session_at(&token, at(start, idle - 1))
            .await
            .unwrap()
            .is_some(),
        "still open a second before the idle deadline"
    );
    // That read slid the deadline; a fresh session read exactly at its deadline is over.
    let (_, other) = session_of(&store, alfa, LAURA).await;
    let other_start = store.session(&other).await.unwrap().unwrap().created_at;
    assert!(
        store
            .session_at(&other, at(other_start, idle))
            .await
            .unwrap()
            .is_none()
    );
}

async fn activity_slides_the_idle_deadline_at_most_once_a_minute(store: Store) {
    let alfa = import(&store, &ALFA).await.tenant_id;
    let (_, token) = session_of(&store, alfa, MARIO).await;
    let created = store.session(&token).await.unwrap().unwrap();
    let start = created.created_at;

    // Within the touch interval nothing is written.
    let early = store
        .session_at(&token, at(start, 30))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(early.last_seen_at, start);
    assert_eq!(early.idle_expires_at, created.idle_expires_at);

    let later = at(start, SESSION_TOUCH_INTERVAL.as_secs() + 600);
    let touched = store.session_at(&token, later).await.unwrap().unwrap();
    assert_eq!(touched.last_seen_at, later);
    assert_eq!(touched.idle_expires_at, later + IDLE);
    // Read back: the slide was stored, so the session outlives its first idle deadline.
    let beyond_first_deadline = at(start, IDLE.as_secs() + 60);
    let still = store
        .session_at(&token, beyond_first_deadline)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(still.user_id, created.user_id);
}

async fn a_session_ends_at_the_absolute_deadline_however_active(store: Store) {
    let alfa = import(&store, &ALFA).await.tenant_id;
    let (_, token) = session_of(&store, alfa, MARIO).await;
    let start = store.session(&token).await.unwrap().unwrap().created_at;
    // Active every 20 minutes: never idle for 30.
    for minutes in [20, 40, 59] {
        assert!(
            store
                .session_at(&token, at(start, minutes * 60))
                .await
                .unwrap()
                .is_some(),
            "open at {minutes} minutes"
        );
    }
    assert!(
        store
            .session_at(&token, at(start, ABSOLUTE.as_secs()))
            .await
            .unwrap()
            .is_none()
    );
}

async fn an_ended_session_is_gone(store: Store) {
    let alfa = import(&store, &ALFA).await.tenant_id;
    let (user, token) = session_of(&store, alfa, MARIO).await;
    let actor = Actor::user(user.id, ClientInfo::default());
    assert!(
        store
            .end_session(&token, SessionEnd::Logout, &actor)
            .await
            .unwrap()
    );
    assert!(store.session(&token).await.unwrap().is_none());
    assert!(
        !store
            .end_session(&token, SessionEnd::Logout, &actor)
            .await
            .unwrap(),
        "already ended"
    );
    let log = store.scoped(alfa).audit_log(1).await.unwrap();
    assert_eq!(log[0].entry.action, "session.ended");
    assert_eq!(log[0].entry.details["reason"], "logout");
    assert_eq!(
        actions(&store, alfa)
            .await
            .iter()
            .filter(|a| *a == "session.ended")
            .count(),
        1
    );
}

async fn a_session_is_invisible_through_another_comunes_scope(store: Store) {
    let alfa = import(&store, &ALFA).await.tenant_id;
    let beta = import(&store, &BETA).await.tenant_id;
    let (_, token) = session_of(&store, alfa, MARIO).await;
    assert!(store.scoped(beta).session(&token).await.unwrap().is_none());
    let in_alfa = store.scoped(alfa).session(&token).await.unwrap().unwrap();
    assert_eq!(in_alfa.tenant_id, alfa);
    // Beta's single logout for the same NameID does not reach Alfa's session.
    let ended = store
        .scoped(beta)
        .end_sessions_by_name_id(IDP, &format!("name-id-{MARIO}"), None, &Actor::system())
        .await
        .unwrap();
    assert!(ended.is_empty());
    assert!(store.session(&token).await.unwrap().is_some());
}

async fn single_logout_ends_the_sessions_of_a_name_id(store: Store) {
    let alfa = import(&store, &ALFA).await.tenant_id;
    let scope = store.scoped(alfa);
    let mario = signed_in(&scope, MARIO).await;
    let laura = signed_in(&scope, LAURA).await;
    let mut tokens = Vec::new();
    for (user, name_id, index) in [
        (&mario, "mario-nameid", Some("idx-phone")),
        (&mario, "mario-nameid", Some("idx-laptop")),
        (&mario, "mario-nameid", None),
        (&laura, "laura-nameid", Some("idx-phone")),
    ] {
        let new = new_session(user, name_id, index);
        tokens.push(scope.create_session(&new).await.unwrap());
    }
    let [phone, laptop, no_index, lauras] = <[_; 4]>::try_from(tokens).unwrap();
    let mut other_idp = new_session(&mario, "mario-nameid", Some("idx-phone"));
    other_idp.idp_entity_id = OTHER_IDP.into();
    let via_other_idp = scope.create_session(&other_idp).await.unwrap();

    let idp = Actor::idp(IDP, ClientInfo::default());
    let ended = scope
        .end_sessions_by_name_id(IDP, "mario-nameid", Some("idx-phone"), &idp)
        .await
        .unwrap();
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0].user_id, mario.id);
    assert_eq!(ended[0].session_index.as_deref(), Some("idx-phone"));
    assert!(store.session(&phone).await.unwrap().is_none());
    assert!(store.session(&laptop).await.unwrap().is_some());

    // Without a SessionIndex: every session of that NameID at that provider.
    let ended = scope
        .end_sessions_by_name_id(IDP, "mario-nameid", None, &idp)
        .await
        .unwrap();
    assert_eq!(ended.len(), 2);
    assert!(store.session(&laptop).await.unwrap().is_none());
    assert!(store.session(&no_index).await.unwrap().is_none());
    assert!(
        store.session(&lauras).await.unwrap().is_some(),
        "another NameID"
    );
    assert!(
        store.session(&via_other_idp).await.unwrap().is_some(),
        "another provider"
    );

    let log = scope.audit_log(3).await.unwrap();
    assert!(log.iter().all(|r| r.entry.action == "session.ended"
        && r.entry.actor == format!("idp:{IDP}")
        && r.entry.details["reason"] == "single_logout"));
}

async fn purge_removes_ended_and_expired_sessions_only(store: Store) {
    let alfa = import(&store, &ALFA).await.tenant_id;
    let (_, ended) = session_of(&store, alfa, MARIO).await;
    let (_, open) = session_of(&store, alfa, LAURA).await;
    store
        .end_session(&ended, SessionEnd::Replaced, &Actor::system())
        .await
        .unwrap();
    assert_eq!(
        store
            .purge_expired_sessions(Timestamp::now())
            .await
            .unwrap(),
        1
    );
    assert!(store.session(&open).await.unwrap().is_some());
    let after_idle = Timestamp::now() + IDLE + Duration::from_secs(1);
    assert_eq!(store.purge_expired_sessions(after_idle).await.unwrap(), 1);
    assert!(store.session(&open).await.unwrap().is_none());
}

async fn a_session_needs_a_user_of_its_comune(store: Store) {
    let alfa = import(&store, &ALFA).await.tenant_id;
    let beta = import(&store, &BETA).await.tenant_id;
    let user = signed_in(&store.scoped(alfa), MARIO).await;
    let result = store
        .scoped(beta)
        .create_session(&new_session(&user, "x", None))
        .await;
    assert!(matches!(result, Err(StoreError::Invalid(_))), "{result:?}");

    let mut bad = new_session(&user, "x", None);
    bad.idle = Duration::ZERO;
    let result = store.scoped(alfa).create_session(&bad).await;
    assert!(matches!(result, Err(StoreError::Invalid(_))), "{result:?}");
    assert!(
        !actions(&store, beta)
            .await
            .iter()
            .any(|a| a.starts_with("session."))
    );
}
