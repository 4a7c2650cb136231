use crate::requests::{BADGE_PROCEDURE, ZTL_PROCEDURE, definition, import_with};
use sportello_store::{NewProcedureVersion, Store, backend_tests};

backend_tests!(
    the_first_import_creates_version_1_of_each_procedure,
    an_unchanged_procedure_keeps_its_version,
    a_changed_procedure_gets_the_next_version_and_the_old_one_stays,
    a_service_without_procedure_has_no_current_one,
    versions_are_kept_per_comune,
);

const ZTL: &str = "permesso-ztl";
const BADGE: &str = "contrassegno-disabili";

fn created(versions: &[(&str, u32)]) -> Vec<NewProcedureVersion> {
    versions
        .iter()
        .map(|(slug, version)| NewProcedureVersion {
            slug: (*slug).into(),
            version: *version,
        })
        .collect()
}

/// The procedure the fixture's comune file gives `slug` when its ZTL service has `ztl`.
fn procedure_of(slug: &str, ztl: &str, badge: &str) -> sportello_domain::procedure::Procedure {
    definition("alfa", Some(ztl), Some(badge))
        .services
        .into_iter()
        .find(|s| s.slug.as_str() == slug)
        .and_then(|s| s.procedure)
        .unwrap()
}

async fn the_first_import_creates_version_1_of_each_procedure(store: Store) {
    let outcome = import_with(&store, "alfa", Some(ZTL_PROCEDURE), Some(BADGE_PROCEDURE)).await;
    assert_eq!(
        outcome.new_procedure_versions,
        created(&[(ZTL, 1), (BADGE, 1)])
    );
    let scope = store.scoped(outcome.tenant_id);
    let current = scope.current_procedure(ZTL).await.unwrap().unwrap();
    assert_eq!((current.slug.as_str(), current.version), (ZTL, 1));
    assert_eq!(
        current.procedure,
        procedure_of(ZTL, ZTL_PROCEDURE, BADGE_PROCEDURE)
    );
    assert_eq!(current.hash.len(), 64);
    assert_eq!(
        scope.procedure_version(ZTL, 1).await.unwrap(),
        Some(current)
    );
    assert!(scope.current_procedure("nessuno").await.unwrap().is_none());
    assert!(scope.procedure_version(ZTL, 2).await.unwrap().is_none());

    let audit = scope.audit_log(1).await.unwrap();
    assert_eq!(audit[0].entry.action, "tenant.created");
    assert_eq!(
        audit[0].entry.details["new_procedure_versions"],
        serde_json::json!(["permesso-ztl@1", "contrassegno-disabili@1"])
    );
}

async fn an_unchanged_procedure_keeps_its_version(store: Store) {
    import_with(&store, "alfa", Some(ZTL_PROCEDURE), Some(BADGE_PROCEDURE)).await;
    let again = import_with(&store, "alfa", Some(ZTL_PROCEDURE), Some(BADGE_PROCEDURE)).await;
    assert!(!again.created);
    assert_eq!(again.new_procedure_versions, []);
    let scope = store.scoped(again.tenant_id);
    assert_eq!(
        scope
            .current_procedure(ZTL)
            .await
            .unwrap()
            .map(|v| v.version),
        Some(1)
    );
    assert_eq!(scope.procedure_versions(ZTL).await.unwrap().len(), 1);
}

async fn a_changed_procedure_gets_the_next_version_and_the_old_one_stays(store: Store) {
    let first = import_with(&store, "alfa", Some(ZTL_PROCEDURE), Some(BADGE_PROCEDURE)).await;
    let scope = store.scoped(first.tenant_id);
    let v1 = scope.current_procedure(ZTL).await.unwrap().unwrap();

    // The ZTL service takes the badge's procedure: a different procedure for it.
    let second = import_with(&store, "alfa", Some(BADGE_PROCEDURE), Some(BADGE_PROCEDURE)).await;
    assert_eq!(second.new_procedure_versions, created(&[(ZTL, 2)]));
    let v2 = scope.current_procedure(ZTL).await.unwrap().unwrap();
    assert_eq!(v2.version, 2);
    assert_ne!(v2.hash, v1.hash);
    assert_eq!(
        v2.procedure,
        procedure_of(ZTL, BADGE_PROCEDURE, BADGE_PROCEDURE)
    );
    assert_eq!(
        scope.procedure_version(ZTL, 1).await.unwrap(),
        Some(v1.clone()),
        "a request made against version 1 still reads it"
    );

    // Back to the first procedure: still a change from the latest, so version 3.
    let third = import_with(&store, "alfa", Some(ZTL_PROCEDURE), Some(BADGE_PROCEDURE)).await;
    assert_eq!(third.new_procedure_versions, created(&[(ZTL, 3)]));
    let versions: Vec<(u32, String)> = scope
        .procedure_versions(ZTL)
        .await
        .unwrap()
        .into_iter()
        .map(|v| (v.version, v.hash))
        .collect();
    assert_eq!(versions, [(1, v1.hash.clone()), (2, v2.hash), (3, v1.hash)]);
    assert_eq!(
        scope
            .current_procedure(BADGE)
            .await
            .unwrap()
            .map(|v| v.version),
        Some(1)
    );
}

async fn a_service_without_procedure_has_no_current_one(store: Store) {
    let first = import_with(&store, "alfa", Some(ZTL_PROCEDURE), Some(BADGE_PROCEDURE)).await;
    let scope = store.scoped(first.tenant_id);
    let dropped = import_with(&store, "alfa", None, Some(BADGE_PROCEDURE)).await;
    assert_eq!(dropped.new_procedure_versions, []);
    assert!(scope.current_procedure(ZTL).await.unwrap().is_none());
    assert!(scope.procedure_version(ZTL, 1).await.unwrap().is_some());
    // The same procedure coming back is the same version.
    let back = import_with(&store, "alfa", Some(ZTL_PROCEDURE), Some(BADGE_PROCEDURE)).await;
    assert_eq!(back.new_procedure_versions, []);
    assert_eq!(
        scope
            .current_procedure(ZTL)
            .await
            .unwrap()
            .map(|v| v.version),
        Some(1)
    );
}

async fn versions_are_kept_per_comune(store: Store) {
    let alfa = import_with(&store, "alfa", Some(ZTL_PROCEDURE), Some(BADGE_PROCEDURE)).await;
    import_with(&store, "alfa", Some(BADGE_PROCEDURE), Some(BADGE_PROCEDURE)).await;
    let beta = import_with(&store, "beta", Some(ZTL_PROCEDURE), None).await;
    assert_eq!(beta.new_procedure_versions, created(&[(ZTL, 1)]));
    let beta_scope = store.scoped(beta.tenant_id);
    assert!(
        beta_scope
            .procedure_version(ZTL, 2)
            .await
            .unwrap()
            .is_none()
    );
    assert!(beta_scope.current_procedure(BADGE).await.unwrap().is_none());
    assert_eq!(
        store
            .scoped(alfa.tenant_id)
            .current_procedure(ZTL)
            .await
            .unwrap()
            .map(|v| v.version),
        Some(2)
    );
}
