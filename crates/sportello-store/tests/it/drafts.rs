use crate::citizens::{GIUSEPPE, cf, signed_in};
use crate::requests::{BADGE_PROCEDURE, ZTL_PROCEDURE, actor, comune, import_with, people};
use sportello_domain::form::Answers;
use sportello_store::{Applicant, Store, StoreError, backend_tests};

backend_tests!(
    a_new_draft_follows_the_current_procedure,
    only_the_owner_reads_saves_and_deletes_a_draft,
    a_draft_keeps_its_version_when_the_procedure_changes,
    drafts_need_an_online_procedure_and_a_citizen_of_the_comune,
    an_assisted_draft_names_the_citizen,
    drafts_are_listed_most_recent_first,
);

const ZTL: &str = "permesso-ztl";

fn answers(pairs: &[(&str, &[&str])]) -> Answers {
    let mut answers = Answers::new();
    for (field, values) in pairs {
        answers.set(*field, values.iter().map(|v| (*v).to_owned()).collect());
    }
    answers
}

async fn a_new_draft_follows_the_current_procedure(store: Store) {
    let tenant = comune(&store, "alfa").await;
    let people = people(&store, tenant).await;
    let scope = store.scoped(tenant);
    let draft = scope
        .create_draft(people.mario.id, ZTL, None, &actor(&people.mario))
        .await
        .unwrap();
    assert_eq!(draft.owner, people.mario.id);
    assert_eq!(
        (draft.service_slug.as_str(), draft.service_version),
        (ZTL, 1)
    );
    assert_eq!(draft.answers, Answers::new());
    assert_eq!(
        (draft.step.as_deref(), draft.on_behalf_of.as_ref()),
        (None, None)
    );
    assert_eq!(draft.created_at, draft.updated_at);
    assert_eq!(
        scope.draft(draft.id, people.mario.id).await.unwrap(),
        Some(draft.clone())
    );
    let audit = scope.audit_log(1).await.unwrap();
    assert_eq!(
        (
            audit[0].entry.action.as_str(),
            audit[0].entry.subject.clone()
        ),
        ("draft.created", format!("draft:{}", draft.id))
    );
    assert_eq!(audit[0].entry.actor, format!("user:{}", people.mario.id));
}

async fn only_the_owner_reads_saves_and_deletes_a_draft(store: Store) {
    let tenant = comune(&store, "alfa").await;
    let people = people(&store, tenant).await;
    let scope = store.scoped(tenant);
    let (mario, laura) = (people.mario.id, people.laura.id);
    let draft = scope
        .create_draft(mario, ZTL, None, &actor(&people.mario))
        .await
        .unwrap();
    let typed = answers(&[
        ("plates", &["AB123CD", "zz 999"]),
        ("category", &["resident"]),
    ]);

    assert!(
        !scope
            .save_draft(draft.id, laura, &typed, Some("veicoli"))
            .await
            .unwrap()
    );
    assert!(scope.draft(draft.id, laura).await.unwrap().is_none());
    assert!(
        !scope
            .delete_draft(draft.id, laura, &actor(&people.laura))
            .await
            .unwrap()
    );
    assert_eq!(
        scope.draft(draft.id, mario).await.unwrap(),
        Some(draft.clone())
    );

    assert!(
        scope
            .save_draft(draft.id, mario, &typed, Some("veicoli"))
            .await
            .unwrap()
    );
    let saved = scope.draft(draft.id, mario).await.unwrap().unwrap();
    assert_eq!(
        saved.answers, typed,
        "kept as typed, invalid plate included"
    );
    assert_eq!(saved.step.as_deref(), Some("veicoli"));
    assert!(saved.updated_at >= draft.updated_at);
    let audited = scope.audit_log(50).await.unwrap();
    assert!(
        audited.iter().all(|r| !r.entry.action.contains("saved")),
        "saves are not audited"
    );

    // Another comune does not see it even with the right owner id.
    let beta = comune(&store, "beta").await;
    assert!(
        store
            .scoped(beta)
            .draft(draft.id, mario)
            .await
            .unwrap()
            .is_none()
    );

    assert!(
        scope
            .delete_draft(draft.id, mario, &actor(&people.mario))
            .await
            .unwrap()
    );
    assert!(scope.draft(draft.id, mario).await.unwrap().is_none());
    assert!(
        !scope
            .save_draft(draft.id, mario, &typed, None)
            .await
            .unwrap()
    );
    let audit = scope.audit_log(1).await.unwrap();
    assert_eq!(audit[0].entry.action, "draft.deleted");
}

async fn a_draft_keeps_its_version_when_the_procedure_changes(store: Store) {
    let tenant = comune(&store, "alfa").await;
    let people = people(&store, tenant).await;
    let scope = store.scoped(tenant);
    let mario = people.mario.id;
    let old = scope
        .create_draft(mario, ZTL, None, &actor(&people.mario))
        .await
        .unwrap();
    let v1 = scope.current_procedure(ZTL).await.unwrap().unwrap();

    import_with(&store, "alfa", Some(BADGE_PROCEDURE), Some(BADGE_PROCEDURE)).await;
    let old = scope.draft(old.id, mario).await.unwrap().unwrap();
    assert_eq!(old.service_version, 1);
    assert_eq!(
        scope
            .procedure_version(ZTL, old.service_version)
            .await
            .unwrap()
            .map(|v| v.procedure),
        Some(v1.procedure)
    );
    let new = scope
        .create_draft(mario, ZTL, None, &actor(&people.mario))
        .await
        .unwrap();
    assert_eq!(new.service_version, 2);
}

async fn drafts_need_an_online_procedure_and_a_citizen_of_the_comune(store: Store) {
    let tenant = import_with(&store, "alfa", Some(ZTL_PROCEDURE), None)
        .await
        .tenant_id;
    let people = people(&store, tenant).await;
    let scope = store.scoped(tenant);
    let mario = people.mario.id;
    for slug in ["contrassegno-disabili", "nessuno"] {
        let refused = scope
            .create_draft(mario, slug, None, &actor(&people.mario))
            .await;
        assert!(
            matches!(refused, Err(StoreError::Invalid(_))),
            "{slug}: {refused:?}"
        );
    }
    let beta = comune(&store, "beta").await;
    let refused = store
        .scoped(beta)
        .create_draft(mario, ZTL, None, &actor(&people.mario))
        .await;
    assert!(
        matches!(refused, Err(StoreError::Invalid(_))),
        "{refused:?}"
    );
}

async fn an_assisted_draft_names_the_citizen(store: Store) {
    let tenant = comune(&store, "alfa").await;
    let people = people(&store, tenant).await;
    let scope = store.scoped(tenant);
    let citizen = Applicant {
        fiscal_code: cf(GIUSEPPE),
        given_name: "Giuseppe".into(),
        family_name: "Verdi".into(),
    };
    let clerk = &people.mobility_clerk;
    let draft = scope
        .create_draft(clerk.id, ZTL, Some(&citizen), &actor(clerk))
        .await
        .unwrap();
    assert_eq!(draft.owner, clerk.id);
    assert_eq!(draft.on_behalf_of, Some(citizen.clone()));
    assert_eq!(
        scope
            .draft(draft.id, clerk.id)
            .await
            .unwrap()
            .and_then(|d| d.on_behalf_of),
        draft.on_behalf_of
    );
    let audit = scope.audit_log(1).await.unwrap();
    assert_eq!(audit[0].entry.details["assisted"], true);
    // A citizen cannot pass off a request as someone else's.
    let refused = scope
        .create_draft(people.mario.id, ZTL, Some(&citizen), &actor(&people.mario))
        .await;
    assert!(
        matches!(refused, Err(StoreError::Forbidden(_))),
        "{refused:?}"
    );
    // The citizen, should they sign in, does not see the clerk's working copy.
    let giuseppe = signed_in(&scope, GIUSEPPE).await;
    assert!(scope.drafts_of(giuseppe.id).await.unwrap().is_empty());
}

async fn drafts_are_listed_most_recent_first(store: Store) {
    let tenant = comune(&store, "alfa").await;
    let people = people(&store, tenant).await;
    let scope = store.scoped(tenant);
    let mario = people.mario.id;
    let first = scope
        .create_draft(mario, ZTL, None, &actor(&people.mario))
        .await
        .unwrap();
    let second = scope
        .create_draft(mario, "contrassegno-disabili", None, &actor(&people.mario))
        .await
        .unwrap();
    scope
        .create_draft(people.laura.id, ZTL, None, &actor(&people.laura))
        .await
        .unwrap();
    let ids: Vec<_> = scope
        .drafts_of(mario)
        .await
        .unwrap()
        .iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(ids, [second.id, first.id]);
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    scope
        .save_draft(first.id, mario, &Answers::new(), Some("a"))
        .await
        .unwrap();
    let ids: Vec<_> = scope
        .drafts_of(mario)
        .await
        .unwrap()
        .iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(
        ids,
        [first.id, second.id],
        "saving brings a draft to the top"
    );
}
