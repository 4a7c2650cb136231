use crate::citizens::{actions, operator};
use crate::fixtures::{ALFA, BETA, import};
use jiff::Timestamp;
use sportello_store::{
    Actor, RETIRED_KEY_PUBLISHED_FOR, SpKeyOwner, SpKeyState, Store, backend_tests,
};
use std::time::Duration;

backend_tests!(
    the_first_key_is_active_at_once,
    of_two_concurrent_first_starts_one_activates,
    rotation_publishes_next_then_promotes_and_retires,
    promotion_without_a_next_key_changes_nothing,
    of_concurrent_promotions_one_wins_and_one_key_stays_active,
    keys_are_kept_per_owner,
);

/// Stand-ins for DER: the store keeps bytes, it does not parse them.
fn key_bytes(tag: &str) -> (Vec<u8>, Vec<u8>) {
    (
        format!("private-{tag}").into_bytes(),
        format!("certificate-{tag}").into_bytes(),
    )
}

fn not_after() -> Timestamp {
    Timestamp::now() + Duration::from_secs(730 * 86_400)
}

async fn insert(store: &Store, owner: SpKeyOwner, tag: &str, activate: bool) -> Option<uuid::Uuid> {
    let (private, certificate) = key_bytes(tag);
    store
        .insert_sp_key(
            owner,
            &private,
            &certificate,
            not_after(),
            activate,
            &Actor::system(),
        )
        .await
        .unwrap()
}

fn states(keys: &[sportello_store::SpKey]) -> Vec<SpKeyState> {
    keys.iter().map(|k| k.state()).collect()
}

async fn the_first_key_is_active_at_once(store: Store) {
    let alfa = import(&store, &ALFA).await.tenant_id;
    let owner = SpKeyOwner::Tenant(alfa);
    assert!(store.sp_keys(owner).await.unwrap().is_empty());
    let id = insert(&store, owner, "one", true).await.unwrap();

    let keys = store.sp_keys(owner).await.unwrap();
    assert_eq!(keys.len(), 1);
    let key = &keys[0];
    assert_eq!((key.id(), key.owner()), (id, owner));
    assert_eq!(key.state(), SpKeyState::Active);
    assert_eq!(key.private_key(), b"private-one");
    assert_eq!(key.certificate(), b"certificate-one");
    assert!(key.is_published());

    let debug = format!("{key:?}");
    assert!(!debug.contains("private-one"), "{debug}");
    assert!(debug.contains("<redacted>"));
    assert!(debug.contains(&key.certificate_fingerprint()));

    // Another first start finds the place taken and stores nothing.
    assert!(insert(&store, owner, "two", true).await.is_none());
    assert_eq!(store.sp_keys(owner).await.unwrap().len(), 1);

    let log = store.scoped(alfa).audit_log(1).await.unwrap();
    let entry = &log[0].entry;
    assert_eq!(entry.action, "sp_key.created");
    assert_eq!(entry.actor, "system");
    assert_eq!(entry.subject, format!("sp_key:{id}"));
    assert_eq!(entry.details["state"], "active");
    assert_eq!(
        entry.details["certificate_sha256"],
        key.certificate_fingerprint()
    );
    assert!(!entry.details.to_string().contains("private"));
}

async fn of_two_concurrent_first_starts_one_activates(store: Store) {
    let alfa = import(&store, &ALFA).await.tenant_id;
    let beta = import(&store, &BETA).await.tenant_id;
    // Three owners, three fresh races.
    for owner in [
        SpKeyOwner::Platform,
        SpKeyOwner::Tenant(alfa),
        SpKeyOwner::Tenant(beta),
    ] {
        let tasks: Vec<_> = (0..2)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(
                    async move { insert(&store, owner, &format!("{owner}-{i}"), true).await },
                )
            })
            .collect();
        let mut stored = 0;
        for task in tasks {
            stored += usize::from(task.await.unwrap().is_some());
        }
        assert_eq!(stored, 1, "{owner}");
        let keys = store.sp_keys(owner).await.unwrap();
        assert_eq!(states(&keys), [SpKeyState::Active], "{owner}");
    }
    assert_eq!(
        actions(&store, alfa)
            .await
            .iter()
            .filter(|a| *a == "sp_key.created")
            .count(),
        1
    );
}

async fn rotation_publishes_next_then_promotes_and_retires(store: Store) {
    let alfa = import(&store, &ALFA).await.tenant_id;
    let owner = SpKeyOwner::Tenant(alfa);
    let first = insert(&store, owner, "first", true).await.unwrap();
    let next = insert(&store, owner, "next", false).await.unwrap();
    let keys = store.sp_keys(owner).await.unwrap();
    assert_eq!(states(&keys), [SpKeyState::Active, SpKeyState::Next]);
    assert!(
        keys.iter().all(|k| k.is_published()),
        "the next key is published before it signs"
    );
    assert!(
        insert(&store, owner, "another", false).await.is_none(),
        "one next key at a time"
    );

    let promoted = store.promote_next_key(owner, &operator()).await.unwrap();
    assert_eq!(promoted, Some(next));
    let keys = store.sp_keys(owner).await.unwrap();
    assert_eq!(states(&keys), [SpKeyState::Retired, SpKeyState::Active]);
    let retired = &keys[0];
    assert_eq!(retired.id(), first);
    let retired_at = retired.retired_at().unwrap();
    assert!(
        retired.is_published_at(retired_at + RETIRED_KEY_PUBLISHED_FOR - Duration::from_secs(1))
    );
    assert!(!retired.is_published_at(retired_at + RETIRED_KEY_PUBLISHED_FOR));
    assert_eq!(keys[1].private_key(), b"private-next");

    assert_eq!(
        actions(&store, alfa).await,
        [
            "tenant.created",
            "sp_key.created",
            "sp_key.created",
            "sp_key.promoted"
        ]
    );
    let log = store.scoped(alfa).audit_log(1).await.unwrap();
    assert_eq!(log[0].entry.actor, "cli:test");
    assert_eq!(log[0].entry.details["retired"], first.to_string());
}

async fn promotion_without_a_next_key_changes_nothing(store: Store) {
    let owner = SpKeyOwner::Platform;
    assert_eq!(
        store.promote_next_key(owner, &operator()).await.unwrap(),
        None
    );
    insert(&store, owner, "only", true).await.unwrap();
    assert_eq!(
        store.promote_next_key(owner, &operator()).await.unwrap(),
        None
    );
    assert_eq!(
        states(&store.sp_keys(owner).await.unwrap()),
        [SpKeyState::Active],
        "the active key is not retired without a successor"
    );
}

async fn of_concurrent_promotions_one_wins_and_one_key_stays_active(store: Store) {
    let owner = SpKeyOwner::Platform;
    insert(&store, owner, "old", true).await.unwrap();
    for round in 0..4 {
        insert(&store, owner, &format!("next-{round}"), false)
            .await
            .unwrap();
        let tasks: Vec<_> = (0..3)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(
                    async move { store.promote_next_key(owner, &operator()).await.unwrap() },
                )
            })
            .collect();
        let mut promoted = 0;
        for task in tasks {
            promoted += usize::from(task.await.unwrap().is_some());
        }
        assert_eq!(promoted, 1, "round {round}");
        let keys = store.sp_keys(owner).await.unwrap();
        let active: Vec<_> = keys
            .iter()
            .filter(|k| k.state() == SpKeyState::Active)
            .collect();
        assert_eq!(active.len(), 1, "round {round}");
        assert_eq!(
            active[0].private_key(),
            format!("private-next-{round}").as_bytes()
        );
        assert!(keys.iter().all(|k| k.state() != SpKeyState::Next));
    }
}

async fn keys_are_kept_per_owner(store: Store) {
    let alfa = import(&store, &ALFA).await.tenant_id;
    insert(&store, SpKeyOwner::Platform, "platform", true)
        .await
        .unwrap();
    insert(&store, SpKeyOwner::Tenant(alfa), "alfa", true)
        .await
        .unwrap();
    let platform = store.sp_keys(SpKeyOwner::Platform).await.unwrap();
    let own = store.sp_keys(SpKeyOwner::Tenant(alfa)).await.unwrap();
    assert_eq!(platform[0].private_key(), b"private-platform");
    assert_eq!(own[0].private_key(), b"private-alfa");
    assert_eq!(SpKeyOwner::parse("platform"), Some(SpKeyOwner::Platform));
    assert_eq!(
        SpKeyOwner::parse(&alfa.to_string()),
        Some(SpKeyOwner::Tenant(alfa))
    );
    assert_eq!(SpKeyOwner::parse("alfa"), None);
}
