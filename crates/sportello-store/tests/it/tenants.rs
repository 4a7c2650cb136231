use crate::fixtures::{ALFA, BETA, definition, import, logo};
use sportello_domain::rating::{PageRating, RatingAnswer, Stars};
use sportello_domain::{Lang, ServiceAccess};
use sportello_store::{Store, StoreError, backend_tests};

backend_tests!(
    imported_tenant_reads_back,
    reimport_keeps_the_id_and_replaces_the_catalogue,
    every_import_is_audited,
    a_domain_serves_one_comune_only,
    a_scope_never_sees_another_tenants_rows,
    ratings_are_kept_per_tenant_and_page,
);

async fn imported_tenant_reads_back(store: Store) {
    let outcome = import(&store, &ALFA).await;
    assert!(outcome.created);
    assert_eq!((outcome.offices, outcome.services), (1, 2));

    let tenant = store.tenant_by_slug("alfa").await.unwrap().unwrap();
    assert_eq!(tenant.id, outcome.tenant_id);
    assert_eq!(tenant.profile, definition(&ALFA).profile);
    assert_eq!(
        store
            .tenant_by_host("servizi.alfa.example")
            .await
            .unwrap()
            .map(|t| t.id),
        Some(tenant.id)
    );
    assert!(store.tenant_by_slug("gamma").await.unwrap().is_none());
    assert!(
        store
            .tenant_by_host("servizi.gamma.example")
            .await
            .unwrap()
            .is_none()
    );

    let scope = store.scoped(tenant.id);
    let services = scope.services().await.unwrap();
    let slugs: Vec<&str> = services.iter().map(|s| s.slug.as_str()).collect();
    assert_eq!(
        slugs,
        ["permesso-ztl", "solo-alfa"],
        "catalogue keeps the file's order"
    );
    assert_eq!(services, definition(&ALFA).services);
    assert!(matches!(services[1].access, ServiceAccess::Booking { .. }));
    assert_eq!(
        scope.office("urp").await.unwrap().map(|o| o.name.it),
        Some("Ufficio Relazioni con il Pubblico di Alfa".into())
    );
    assert_eq!(scope.logo().await.unwrap(), Some(logo()));
}

async fn reimport_keeps_the_id_and_replaces_the_catalogue(store: Store) {
    let first = import(&store, &ALFA).await;
    let mut changed = definition(&ALFA);
    changed.services.truncate(1);
    changed.profile.name = "Comune di Alfa Nuova".into();
    changed.profile.domains.clear();
    let second = store
        .import_tenant(&changed, &logo(), "test")
        .await
        .unwrap();
    assert_eq!(second.tenant_id, first.tenant_id);
    assert!(!second.created);

    let tenant = store.tenant_by_slug("alfa").await.unwrap().unwrap();
    assert_eq!(tenant.profile.name, "Comune di Alfa Nuova");
    assert!(
        store
            .tenant_by_host("servizi.alfa.example")
            .await
            .unwrap()
            .is_none(),
        "dropped domain still resolves"
    );
    let scope = store.scoped(tenant.id);
    assert_eq!(scope.services().await.unwrap().len(), 1);
    assert!(scope.service("solo-alfa").await.unwrap().is_none());
}

async fn every_import_is_audited(store: Store) {
    let outcome = import(&store, &ALFA).await;
    import(&store, &ALFA).await;
    let log = store.scoped(outcome.tenant_id).audit_log(10).await.unwrap();
    let actions: Vec<&str> = log.iter().map(|r| r.entry.action.as_str()).collect();
    assert_eq!(
        actions,
        ["tenant.updated", "tenant.created"],
        "newest first"
    );
    assert_eq!(log[0].entry.actor, "test");
    assert_eq!(log[0].entry.details["services"], 2);
}

async fn a_domain_serves_one_comune_only(store: Store) {
    import(&store, &ALFA).await;
    let mut thief = definition(&BETA);
    thief.profile.domains = definition(&ALFA).profile.domains;
    let result = store.import_tenant(&thief, &logo(), "test").await;
    assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
    assert!(
        store.tenant_by_slug("beta").await.unwrap().is_none(),
        "a failed import must leave nothing behind"
    );
}

async fn a_scope_never_sees_another_tenants_rows(store: Store) {
    let alfa = import(&store, &ALFA).await.tenant_id;
    let beta = import(&store, &BETA).await.tenant_id;
    let alfa_scope = store.scoped(alfa);

    // The slug exists, but only in Beta.
    assert!(alfa_scope.service("solo-beta").await.unwrap().is_none());
    // The shared slug answers with Alfa's own row.
    let shared = alfa_scope.service("permesso-ztl").await.unwrap().unwrap();
    assert_eq!(shared.title.it, "Permesso ZTL di Alfa");
    let titles: Vec<String> = alfa_scope
        .services()
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.title.it)
        .collect();
    assert!(titles.iter().all(|t| !t.contains("Beta")), "{titles:?}");
    let offices = alfa_scope.offices().await.unwrap();
    assert!(offices.iter().all(|o| o.name.it.ends_with("Alfa")));
    assert_eq!(store.scoped(beta).services().await.unwrap().len(), 2);
}

async fn ratings_are_kept_per_tenant_and_page(store: Store) {
    let alfa = import(&store, &ALFA).await.tenant_id;
    let beta = import(&store, &BETA).await.tenant_id;
    let page = "/servizi/permesso-ztl";
    let rate = |stars: u8, answer| {
        PageRating::new(page, Stars::new(stars).unwrap(), answer, Some("Chiaro")).unwrap()
    };
    store
        .scoped(alfa)
        .record_rating(&rate(5, Some(RatingAnswer::ClearInstructions)), Lang::It)
        .await
        .unwrap();
    store
        .scoped(alfa)
        .record_rating(&rate(2, Some(RatingAnswer::TechnicalProblems)), Lang::En)
        .await
        .unwrap();
    store
        .scoped(beta)
        .record_rating(&rate(1, None), Lang::It)
        .await
        .unwrap();

    let alfa_summary = store.scoped(alfa).rating_summary(page).await.unwrap();
    assert_eq!(alfa_summary.count, 2);
    assert_eq!(alfa_summary.average, Some(3.5));
    let beta_summary = store.scoped(beta).rating_summary(page).await.unwrap();
    assert_eq!((beta_summary.count, beta_summary.average), (1, Some(1.0)));
    let nobody = store.scoped(beta).rating_summary("/altro").await.unwrap();
    assert_eq!((nobody.count, nobody.average), (0, None));
}
