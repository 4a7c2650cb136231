use crate::citizens::{IDP, MARIO, OTHER_IDP, cf};
use crate::fixtures::{ALFA, BETA, import};
use jiff::Timestamp;
use sportello_domain::TenantId;
use sportello_store::{
    BrowserToken, NewPending, PendingKey, PendingKind, SamlTrace, Store, StoreError,
    TraceDirection, TraceKind, backend_tests,
};
use std::time::Duration;

backend_tests!(
    a_pending_request_is_taken_once,
    a_pending_request_is_bound_to_its_browser_kind_and_comune,
    an_expired_pending_request_is_refused_then_purged,
    of_concurrent_takes_exactly_one_wins,
    a_pending_request_id_or_relay_state_is_unique,
    an_assertion_is_accepted_once,
    of_concurrent_remembers_exactly_one_is_new,
    the_trace_pairs_a_request_with_its_answers,
    the_trace_is_purged_after_retention,
);

const FIFTEEN_MINUTES: Duration = Duration::from_secs(15 * 60);

fn pending(request_id: &str, browser: &BrowserToken, kind: PendingKind) -> NewPending {
    let now = Timestamp::now();
    NewPending {
        request_id: request_id.into(),
        browser: browser.clone(),
        kind,
        idp_entity_id: IDP.into(),
        issue_instant: now,
        level: 2,
        return_path: "/alfa/area-personale/".into(),
        relay_state: format!("relay-{request_id}"),
        expires_at: now + FIFTEEN_MINUTES,
    }
}

fn browser() -> BrowserToken {
    BrowserToken::generate().unwrap()
}

async fn a_pending_request_is_taken_once(store: Store) {
    let alfa = import(&store, &ALFA).await.tenant_id;
    let scope = store.scoped(alfa);
    let me = browser();
    let sent = pending("_req1", &me, PendingKind::Authn);
    scope.put_pending(&sent).await.unwrap();

    let now = Timestamp::now();
    let key = PendingKey::RelayState("relay-_req1");
    let taken = scope
        .take_pending(&me, key, PendingKind::Authn, now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(taken.request_id, "_req1");
    assert_eq!(taken.kind, PendingKind::Authn);
    assert_eq!(taken.idp_entity_id, IDP);
    assert_eq!(taken.level, 2);
    assert_eq!(taken.return_path, "/alfa/area-personale/");
    assert_eq!(taken.relay_state, "relay-_req1");
    assert_eq!(
        taken.issue_instant.as_microsecond(),
        sent.issue_instant.as_microsecond()
    );
    assert!(
        scope
            .take_pending(&me, key, PendingKind::Authn, now)
            .await
            .unwrap()
            .is_none(),
        "a replayed answer finds nothing"
    );

    // By request id (a LogoutResponse's InResponseTo), likewise once.
    scope
        .put_pending(&pending("_logout1", &me, PendingKind::Logout))
        .await
        .unwrap();
    let key = PendingKey::RequestId("_logout1");
    assert!(
        scope
            .take_pending(&me, key, PendingKind::Logout, now)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        scope
            .take_pending(&me, key, PendingKind::Logout, now)
            .await
            .unwrap()
            .is_none()
    );
}

async fn a_pending_request_is_bound_to_its_browser_kind_and_comune(store: Store) {
    let alfa = import(&store, &ALFA).await.tenant_id;
    let beta = import(&store, &BETA).await.tenant_id;
    let scope = store.scoped(alfa);
    let me = browser();
    scope
        .put_pending(&pending("_req2", &me, PendingKind::Authn))
        .await
        .unwrap();
    let key = PendingKey::RelayState("relay-_req2");
    let now = Timestamp::now();

    let attacker = browser();
    assert!(
        scope
            .take_pending(&attacker, key, PendingKind::Authn, now)
            .await
            .unwrap()
            .is_none(),
        "another browser"
    );
    assert!(
        scope
            .take_pending(&me, key, PendingKind::Logout, now)
            .await
            .unwrap()
            .is_none(),
        "another kind"
    );
    assert!(
        store
            .scoped(beta)
            .take_pending(&me, key, PendingKind::Authn, now)
            .await
            .unwrap()
            .is_none(),
        "another comune"
    );
    // None of the failed attempts consumed the genuine request.
    assert!(
        scope
            .take_pending(&me, key, PendingKind::Authn, now)
            .await
            .unwrap()
            .is_some()
    );
}

async fn an_expired_pending_request_is_refused_then_purged(store: Store) {
    let alfa = import(&store, &ALFA).await.tenant_id;
    let scope = store.scoped(alfa);
    let me = browser();
    let sent = pending("_req3", &me, PendingKind::Authn);
    scope.put_pending(&sent).await.unwrap();
    let key = PendingKey::RequestId("_req3");
    assert!(
        scope
            .take_pending(&me, key, PendingKind::Authn, sent.expires_at)
            .await
            .unwrap()
            .is_none(),
        "refused at its deadline"
    );
    assert_eq!(
        store.purge_expired_pending(Timestamp::now()).await.unwrap(),
        0
    );
    assert_eq!(
        store.purge_expired_pending(sent.expires_at).await.unwrap(),
        1
    );
    assert!(
        scope
            .take_pending(&me, key, PendingKind::Authn, Timestamp::now())
            .await
            .unwrap()
            .is_none(),
        "gone"
    );
}

async fn of_concurrent_takes_exactly_one_wins(store: Store) {
    let alfa = import(&store, &ALFA).await.tenant_id;
    let me = browser();
    for round in 0..5 {
        let request_id = format!("_race{round}");
        store
            .scoped(alfa)
            .put_pending(&pending(&request_id, &me, PendingKind::Authn))
            .await
            .unwrap();
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (store, me, relay) = (store.clone(), me.clone(), format!("relay-{request_id}"));
                tokio::spawn(async move {
                    store
                        .scoped(alfa)
                        .take_pending(
                            &me,
                            PendingKey::RelayState(&relay),
                            PendingKind::Authn,
                            Timestamp::now(),
                        )
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut winners = 0;
        for task in tasks {
            winners += usize::from(task.await.unwrap().is_some());
        }
        assert_eq!(winners, 1, "round {round}");
    }
}

async fn a_pending_request_id_or_relay_state_is_unique(store: Store) {
    let alfa = import(&store, &ALFA).await.tenant_id;
    let scope = store.scoped(alfa);
    let first = pending("_dup", &browser(), PendingKind::Authn);
    scope.put_pending(&first).await.unwrap();
    let result = scope.put_pending(&first).await;
    assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
    let mut same_relay = pending("_other", &browser(), PendingKind::Authn);
    same_relay.relay_state = first.relay_state.clone();
    let result = scope.put_pending(&same_relay).await;
    assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
    let mut bad_level = pending("_lvl", &browser(), PendingKind::Authn);
    bad_level.level = 9;
    let result = scope.put_pending(&bad_level).await;
    assert!(matches!(result, Err(StoreError::Invalid(_))), "{result:?}");
}

async fn an_assertion_is_accepted_once(store: Store) {
    let until = Timestamp::now() + Duration::from_secs(300);
    assert!(store.remember_assertion(IDP, "_a1", until).await.unwrap());
    assert!(
        !store.remember_assertion(IDP, "_a1", until).await.unwrap(),
        "replay"
    );
    assert!(
        store
            .remember_assertion(OTHER_IDP, "_a1", until)
            .await
            .unwrap(),
        "ids are unique per identity provider only"
    );
    assert_eq!(
        store
            .purge_expired_assertions(Timestamp::now())
            .await
            .unwrap(),
        0
    );
    assert!(
        !store.remember_assertion(IDP, "_a1", until).await.unwrap(),
        "still remembered before it expires"
    );
    assert_eq!(store.purge_expired_assertions(until).await.unwrap(), 2);
}

async fn of_concurrent_remembers_exactly_one_is_new(store: Store) {
    let until = Timestamp::now() + Duration::from_secs(300);
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(
                async move { store.remember_assertion(IDP, "_same", until).await.unwrap() },
            )
        })
        .collect();
    let mut new = 0;
    for task in tasks {
        new += usize::from(task.await.unwrap());
    }
    assert_eq!(new, 1);
}

fn trace(
    direction: TraceDirection,
    kind: TraceKind,
    id: &str,
    in_response_to: Option<&str>,
    retain_until: Timestamp,
) -> SamlTrace {
    SamlTrace {
        direction,
        kind,
        message_id: id.into(),
        in_response_to: in_response_to.map(str::to_owned),
        idp_entity_id: IDP.into(),
        fiscal_code: (kind == TraceKind::Response).then(|| cf(MARIO)),
        client_ip: Some("203.0.113.7".into()),
        xml: format!("<samlp:{} ID=\"{id}\"/>", kind.as_str()),
        retain_until,
    }
}

async fn write_exchange(store: &Store, tenant: TenantId, request: &str, retain_until: Timestamp) {
    let scope = store.scoped(tenant);
    scope
        .trace_saml(&trace(
            TraceDirection::Sent,
            TraceKind::AuthnRequest,
            request,
            None,
            retain_until,
        ))
        .await
        .unwrap();
    scope
        .trace_saml(&trace(
            TraceDirection::Received,
            TraceKind::Response,
            &format!("{request}-response"),
            Some(request),
            retain_until,
        ))
        .await
        .unwrap();
}

async fn the_trace_pairs_a_request_with_its_answers(store: Store) {
    let alfa = import(&store, &ALFA).await.tenant_id;
    let beta = import(&store, &BETA).await.tenant_id;
    let keep = Timestamp::now() + Duration::from_secs(730 * 86_400);
    write_exchange(&store, alfa, "_t1", keep).await;
    write_exchange(&store, alfa, "_t2", keep).await;
    write_exchange(&store, beta, "_t1", keep).await;
    // A refused answer whose own id could not be read.
    store
        .scoped(alfa)
        .trace_saml(&trace(
            TraceDirection::Received,
            TraceKind::Response,
            "",
            Some("_t1"),
            keep,
        ))
        .await
        .unwrap();

    let pair = store.scoped(alfa).saml_trace_pair("_t1").await.unwrap();
    let kinds: Vec<(TraceDirection, TraceKind, &str)> = pair
        .iter()
        .map(|m| {
            (
                m.message.direction,
                m.message.kind,
                m.message.message_id.as_str(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            (TraceDirection::Sent, TraceKind::AuthnRequest, "_t1"),
            (
                TraceDirection::Received,
                TraceKind::Response,
                "_t1-response"
            ),
            (TraceDirection::Received, TraceKind::Response, ""),
        ],
        "oldest first, this comune's only"
    );
    let response = &pair[1].message;
    assert_eq!(response.fiscal_code, Some(cf(MARIO)));
    assert_eq!(response.in_response_to.as_deref(), Some("_t1"));
    assert_eq!(response.xml, "<samlp:Response ID=\"_t1-response\"/>");
    assert_eq!(
        response.retain_until.as_microsecond(),
        keep.as_microsecond()
    );
    assert!(
        store
            .scoped(alfa)
            .saml_trace_pair("")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .scoped(beta)
            .saml_trace_pair("_t1")
            .await
            .unwrap()
            .len(),
        2
    );
}

async fn the_trace_is_purged_after_retention(store: Store) {
    let alfa = import(&store, &ALFA).await.tenant_id;
    let now = Timestamp::now();
    let short = now + Duration::from_secs(86_400);
    let long = now + Duration::from_secs(730 * 86_400);
    write_exchange(&store, alfa, "_old", short).await;
    write_exchange(&store, alfa, "_new", long).await;
    assert_eq!(store.purge_saml_trace(now).await.unwrap(), 0);
    assert_eq!(store.purge_saml_trace(short).await.unwrap(), 2);
    let scope = store.scoped(alfa);
    assert!(scope.saml_trace_pair("_old").await.unwrap().is_empty());
    assert_eq!(scope.saml_trace_pair("_new").await.unwrap().len(), 2);
    let purged = store.purge_expired_identity_state(long).await.unwrap();
    assert_eq!(purged.trace, 2);
}
