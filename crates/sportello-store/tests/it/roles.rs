use crate::citizens::{GIUSEPPE, LAURA, MARIO, actions, cf, operator};
use crate::fixtures::{ALFA, BETA, import};
use sportello_domain::Role;
use sportello_store::{Store, StoreError, backend_tests};

backend_tests!(
    a_role_can_be_granted_before_the_first_login,
    granting_twice_grants_once,
    revocation_ends_the_role_and_keeps_history,
    a_clerk_role_names_an_office_of_the_comune,
    roles_are_per_comune,
    concurrent_grants_of_one_role_store_one,
);

fn clerk(office: &str) -> Role {
    Role::Clerk {
        office: office.into(),
    }
}

async fn a_role_can_be_granted_before_the_first_login(store: Store) {
    let alfa = import(&store, &ALFA).await.tenant_id;
    let scope = store.scoped(alfa);
    assert!(
        scope
            .user_by_fiscal_code(&cf(MARIO))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        scope
            .grant_role(&cf(MARIO), &Role::TenantAdmin, &operator())
            .await
            .unwrap()
    );
    assert_eq!(
        scope.roles_of(&cf(MARIO)).await.unwrap(),
        [Role::TenantAdmin]
    );
    let log = scope.audit_log(1).await.unwrap();
    let entry = &log[0].entry;
    assert_eq!(
        (entry.action.as_str(), entry.actor.as_str()),
        ("role.granted", "cli:test")
    );
    assert_eq!(entry.subject, MARIO);
    assert_eq!(entry.details["role"], "tenant_admin");
}

async fn granting_twice_grants_once(store: Store) {
    let alfa = import(&store, &ALFA).await.tenant_id;
    let scope = store.scoped(alfa);
    assert!(
        scope
            .grant_role(&cf(MARIO), &clerk("urp"), &operator())
            .await
            .unwrap()
    );
    assert!(
        !scope
            .grant_role(&cf(MARIO), &clerk("urp"), &operator())
            .await
            .unwrap()
    );
    // Another role of the same person is a separate grant.
    assert!(
        scope
            .grant_role(&cf(MARIO), &Role::TenantAdmin, &operator())
            .await
            .unwrap()
    );
    assert_eq!(
        scope.roles_of(&cf(MARIO)).await.unwrap(),
        [clerk("urp"), Role::TenantAdmin]
    );
    assert_eq!(
        actions(&store, alfa).await,
        ["tenant.created", "role.granted", "role.granted"]
    );
}

async fn revocation_ends_the_role_and_keeps_history(store: Store) {
    let alfa = import(&store, &ALFA).await.tenant_id;
    let scope = store.scoped(alfa);
    scope
        .grant_role(&cf(LAURA), &Role::TenantAdmin, &operator())
        .await
        .unwrap();
    scope
        .grant_role(&cf(LAURA), &clerk("urp"), &operator())
        .await
        .unwrap();
    assert!(
        scope
            .revoke_role(&cf(LAURA), &Role::TenantAdmin, &operator())
            .await
            .unwrap()
    );
    assert!(
        !scope
            .revoke_role(&cf(LAURA), &Role::TenantAdmin, &operator())
            .await
            .unwrap(),
        "nothing left to revoke"
    );
    assert!(
        !scope
            .revoke_role(&cf(GIUSEPPE), &clerk("urp"), &operator())
            .await
            .unwrap()
    );
    assert_eq!(scope.roles_of(&cf(LAURA)).await.unwrap(), [clerk("urp")]);
    // A revoked role can be granted again: the revoked grant is history, not an obstacle.
    assert!(
        scope
            .grant_role(&cf(LAURA), &Role::TenantAdmin, &operator())
            .await
            .unwrap()
    );
    assert_eq!(
        actions(&store, alfa).await,
        [
            "tenant.created",
            "role.granted",
            "role.granted",
            "role.revoked",
            "role.granted"
        ]
    );
    let log = scope.audit_log(10).await.unwrap();
    let revoked = log
        .iter()
        .find(|r| r.entry.action == "role.revoked")
        .unwrap();
    assert_eq!(revoked.entry.details["role"], "tenant_admin");
}

async fn a_clerk_role_names_an_office_of_the_comune(store: Store) {
    let alfa = import(&store, &ALFA).await.tenant_id;
    let scope = store.scoped(alfa);
    let result = scope
        .grant_role(&cf(MARIO), &clerk("tributi"), &operator())
        .await;
    assert!(matches!(result, Err(StoreError::Invalid(_))), "{result:?}");
    assert!(scope.roles_of(&cf(MARIO)).await.unwrap().is_empty());
    assert_eq!(actions(&store, alfa).await, ["tenant.created"]);
}

async fn roles_are_per_comune(store: Store) {
    let alfa = import(&store, &ALFA).await.tenant_id;
    let beta = import(&store, &BETA).await.tenant_id;
    store
        .scoped(alfa)
        .grant_role(&cf(MARIO), &Role::TenantAdmin, &operator())
        .await
        .unwrap();
    store
        .scoped(alfa)
        .grant_role(&cf(LAURA), &clerk("urp"), &operator())
        .await
        .unwrap();
    store
        .scoped(beta)
        .grant_role(&cf(GIUSEPPE), &clerk("urp"), &operator())
        .await
        .unwrap();
    assert!(
        store
            .scoped(beta)
            .roles_of(&cf(MARIO))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.scoped(alfa).role_holders().await.unwrap(),
        [(cf(LAURA), clerk("urp")), (cf(MARIO), Role::TenantAdmin)]
    );
    assert_eq!(
        store.scoped(beta).role_holders().await.unwrap(),
        [(cf(GIUSEPPE), clerk("urp"))]
    );
}

async fn concurrent_grants_of_one_role_store_one(store: Store) {
    let alfa = import(&store, &ALFA).await.tenant_id;
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .scoped(alfa)
                    .grant_role(&cf(MARIO), &Role::TenantAdmin, &operator())
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut granted = 0;
    for task in tasks {
        granted += usize::from(task.await.unwrap());
    }
    assert_eq!(granted, 1);
    assert_eq!(store.scoped(alfa).role_holders().await.unwrap().len(), 1);
    assert_eq!(
        actions(&store, alfa).await,
        ["tenant.created", "role.granted"]
    );
}
