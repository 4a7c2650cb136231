use sportello_store::{Store, backend_tests};

backend_tests!(
    fresh_database_is_current_after_migrate,
    migrating_twice_changes_nothing
);

async fn fresh_database_is_current_after_migrate(store: Store) {
    let status = store.migration_status().await.unwrap();
    assert!(status.is_current(), "{status:?}");
    assert_eq!(status.applied, vec![1, 2, 3, 4, 5]);
    store.ping().await.unwrap();
}

async fn migrating_twice_changes_nothing(store: Store) {
    let before = store.migration_status().await.unwrap();
    let after = store.migrate().await.unwrap();
    assert_eq!(before, after);
}
