use crate::attachments::{upload, vault};
use crate::citizens::{GIUSEPPE, LAURA, MARIO, cf, client, operator, signed_in};
use crate::requests::{MOBILITY_CLERK, People, SOCIAL_CLERK, actor, comune, people};
use jiff::{SignedDuration, Timestamp};
use sportello_domain::calendar::{Calendar, local_date};
use sportello_domain::form::Answers;
use sportello_domain::pratica::{
    EventKind, PermitValidity, Pratica, PraticaEvent, PraticaState, Silence, Statement, TermDays,
    TransitionError,
};
use sportello_domain::{Role, TenantId};
use sportello_store::attachments::{
    AttachmentOwner, AttachmentSelection, AttachmentVault, FsBlobStore, Reader,
};
use sportello_store::{
    Actor, Applicant, AssigneeFilter, DraftId, QueueFilter, Store, StoreError, StoredPratica,
    Submission, Submitted, User, backend_tests,
};
use std::sync::Arc;

backend_tests!(
    a_submission_registers_the_request_moves_its_files_and_deletes_the_draft,
    a_rolled_back_submission_leaves_the_draft_and_spends_no_number,
    a_draft_submitted_twice_at_once_is_filed_once,
    an_assisted_submission_is_for_the_citizen_at_the_counter,
    a_transition_stores_the_snapshot_the_event_and_the_audit_entry,
    two_clerks_cannot_act_on_the_same_version,
    concurrent_transitions_on_one_pratica_let_exactly_one_through,
    the_queue_filters_by_state_deadline_assignee_service_and_text,
    a_sensitive_file_is_read_only_by_a_clerk_of_the_deciding_office,
    retention_removes_the_sensitive_files_of_a_decided_pratica,
    a_permit_is_found_by_its_verification_code,
    one_comune_never_sees_another_comunes_pratiche,
);

const ZTL: &str = "permesso-ztl";
const BADGE: &str = "contrassegno-disabili";
const PDF: &[u8] = b"%PDF-1.7\n% test file\n%%EOF\n";

fn calendar() -> Calendar {
    Calendar::national()
}

fn submission(service: &str) -> Submission {
    let (subject, office) = match service {
        BADGE => ("Richiesta di contrassegno disabili", "sociale"),
        _ => ("Richiesta di permesso ZTL", "mobilita"),
    };
    Submission {
        subject: subject.into(),
        office: office.into(),
        assessment: Some(serde_json::json!({ "fee_cents": 1600 })),
    }
}

fn file(_id: uuid::Uuid, at: Timestamp) -> (Pratica, PraticaEvent) {
    Pratica::submit(TermDays::DEFAULT, Silence::Inaction, at, &calendar())
}

/// A draft of `owner` for `service`, with answers, ready to submit.
async fn filled_draft(store: &Store, tenant: TenantId, owner: &User, service: &str) -> DraftId {
    let scope = store.scoped(tenant);
    let draft = scope
        .create_draft(owner.id, service, None, &actor(owner))
        .await
        .unwrap();
    let mut answers = Answers::new();
    answers.set("plates", vec!["AB123CD".into()]);
    scope
        .save_draft(draft.id, owner.id, &answers, Some("riepilogo"))
        .await
        .unwrap();
    draft.id
}

async fn submit(
    store: &Store,
    tenant: TenantId,
    owner: &User,
    draft: DraftId,
    service: &str,
) -> Submitted {
    let scope = store.scoped(tenant);
    let mut tx = store.begin().await.unwrap();
    let submitted = scope
        .submit_draft(
            &mut tx,
            draft,
            owner.id,
            &submission(service),
            &calendar(),
            &actor(owner),
            file,
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    submitted
}

async fn submitted(store: &Store, tenant: TenantId, owner: &User, service: &str) -> StoredPratica {
    let draft = filled_draft(store, tenant, owner, service).await;
    submit(store, tenant, owner, draft, service).await.pratica
}

async fn a_submission_registers_the_request_moves_its_files_and_deletes_the_draft(store: Store) {
    let tenant = comune(&store, "alfa").await;
    let people = people(&store, tenant).await;
    let scope = store.scoped(tenant);
    let vault = vault();
    let mario = &people.mario;
    let draft = filled_draft(&store, tenant, mario, BADGE).await;
    for (spec, sensitive) in [("photo", false), ("medical_certificate", true)] {
        scope
            .add_attachment(
                &vault,
                draft,
                mario.id,
                &upload(spec, sensitive),
                PDF,
                &actor(mario),
            )
            .await
            .unwrap()
            .unwrap();
    }
    let files_before = scope.draft_attachments(draft, mario.id).await.unwrap();

    let done = submit(&store, tenant, mario, draft, BADGE).await;
    let (pratica, protocol) = (&done.pratica, &done.protocol);
    assert_eq!(protocol.number.number(), 1);
    assert_eq!(pratica.protocol, protocol.number);
    assert_eq!(protocol.pratica, Some(pratica.id));
    assert_eq!(protocol.subject, "Richiesta di contrassegno disabili");
    assert_eq!(protocol.correspondent.name, "Mario Rossi");
    assert_eq!(protocol.correspondent.fiscal_code, Some(cf(MARIO)));
    assert_eq!(
        protocol.attachments,
        files_before.iter().map(|f| f.digest()).collect::<Vec<_>>(),
        "the register fingerprints every file"
    );
    assert_eq!(pratica.pratica.submitted_at(), protocol.registered_at);
    assert_eq!(pratica.state(), PraticaState::Submitted);
    assert_eq!(
        (pratica.service_slug.as_str(), pratica.service_version),
        (BADGE, 1)
    );
    assert_eq!(pratica.applicant.fiscal_code, cf(MARIO));
    assert_eq!(
        (pratica.applicant_user, pratica.submitted_by),
        (Some(mario.id), mario.id)
    );
    assert!(!pratica.assisted);
    assert_eq!(pratica.office, "sociale");
    assert_eq!(pratica.answers.all("plates"), ["AB123CD"]);
    assert_eq!(
        pratica.assessment,
        Some(serde_json::json!({ "fee_cents": 1600 }))
    );
    assert_eq!(pratica.version, 1);
    assert_eq!(
        scope.pratica(pratica.id).await.unwrap().as_ref(),
        Some(pratica)
    );
    assert_eq!(
        scope
            .pratica_by_protocol(protocol.number)
            .await
            .unwrap()
            .as_ref(),
        Some(pratica)
    );

    let events = scope.pratica_events(pratica.id).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(
        (events[0].seq, events[0].actor.clone()),
        (1, format!("user:{}", mario.id))
    );
    assert_eq!(events[0].source.as_deref(), Some("203.0.113.7"));
    let EventKind::Submitted { deadline, .. } = events[0].event.kind else {
        panic!("{:?}", events[0].event.kind)
    };
    assert_eq!(pratica.deadline, Some(deadline));
    assert_eq!(
        deadline,
        pratica.pratica.clock().nominal_deadline(&calendar())
    );
    assert!(deadline >= local_date(protocol.registered_at) + SignedDuration::from_hours(24 * 30));

    assert_eq!(done.attachments.len(), 2);
    for moved in &done.attachments {
        assert_eq!(moved.owner, AttachmentOwner::Pratica(pratica.id));
    }
    assert_eq!(
        scope.pratica_attachments(pratica.id).await.unwrap(),
        done.attachments
    );
    assert!(scope.draft(draft, mario.id).await.unwrap().is_none());
    assert!(scope.drafts_of(mario.id).await.unwrap().is_empty());
    let mine: Vec<_> = scope
        .pratiche_of(&cf(MARIO))
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(mine, [pratica.id]);

    let actions: Vec<String> = scope
        .audit_log(3)
        .await
        .unwrap()
        .into_iter()
        .rev()
        .map(|r| r.entry.action)
        .collect();
    assert_eq!(
        actions,
        ["protocol.registered", "pratica.submitted", "draft.deleted"]
    );
}

async fn a_rolled_back_submission_leaves_the_draft_and_spends_no_number(store: Store) {
    let tenant = comune(&store, "alfa").await;
    let people = people(&store, tenant).await;
    let scope = store.scoped(tenant);
    let vault = vault();
    let mario = &people.mario;
    let draft = filled_draft(&store, tenant, mario, ZTL).await;
    let photo = scope
        .add_attachment(
            &vault,
            draft,
            mario.id,
            &upload("photo", false),
            PDF,
            &actor(mario),
        )
        .await
        .unwrap()
        .unwrap();
    let mut tx = store.begin().await.unwrap();
    scope
        .submit_draft(
            &mut tx,
            draft,
            mario.id,
            &submission(ZTL),
            &calendar(),
            &actor(mario),
            file,
        )
        .await
        .unwrap();
    drop(tx);
    assert!(scope.draft(draft, mario.id).await.unwrap().is_some());
    assert_eq!(
        scope.attachment(photo.id).await.unwrap().map(|a| a.owner),
        Some(AttachmentOwner::Draft(draft))
    );
    assert!(scope.pratiche_of(&cf(MARIO)).await.unwrap().is_empty());
    let done = submit(&store, tenant, mario, draft, ZTL).await;
    assert_eq!(
        done.protocol.number.number(),
        1,
        "the rolled-back number is given again"
    );

    // Someone else's draft cannot be submitted.
    let lauras = filled_draft(&store, tenant, &people.laura, ZTL).await;
    let mut tx = store.begin().await.unwrap();
    let refused = scope
        .submit_draft(
            &mut tx,
            lauras,
            mario.id,
            &submission(ZTL),
            &calendar(),
            &actor(mario),
            file,
        )
        .await;
    assert!(
        matches!(refused, Err(StoreError::Forbidden(_))),
        "{refused:?}"
    );
}

async fn a_draft_submitted_twice_at_once_is_filed_once(store: Store) {
    let tenant = comune(&store, "alfa").await;
    let people = people(&store, tenant).await;
    let mario = people.mario.clone();
    let draft = filled_draft(&store, tenant, &mario, ZTL).await;
    let start = Arc::new(tokio::sync::Barrier::new(2));
    let tasks: Vec<_> = (0..2)
        .map(|_| {
            let (store, start, mario) = (store.clone(), start.clone(), mario.clone());
            tokio::spawn(async move {
                let scope = store.scoped(tenant);
                start.wait().await;
                let mut tx = store.begin().await.unwrap();
                let result = scope
                    .submit_draft(
                        &mut tx,
                        draft,
                        mario.id,
                        &submission(ZTL),
                        &calendar(),
                        &actor(&mario),
                        file,
                    )
                    .await;
                match result {
                    Ok(done) => {
                        // Hold the draft a moment, as a slow submission would.
                        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                        tx.commit().await.unwrap();
                        Some(done.protocol.number)
                    }
                    Err(StoreError::Forbidden(_)) => None,
                    Err(e) => panic!("{e}"),
                }
            })
        })
        .collect();
    let mut filed = Vec::new();
    for task in tasks {
        filed.extend(task.await.unwrap());
    }
    assert_eq!(filed.len(), 1, "{filed:?}");
    assert_eq!(filed[0].number(), 1);
    assert_eq!(
        store
            .scoped(tenant)
            .pratiche_of(&cf(MARIO))
            .await
            .unwrap()
            .len(),
        1
    );
}

async fn an_assisted_submission_is_for_the_citizen_at_the_counter(store: Store) {
    let tenant = comune(&store, "alfa").await;
    let people = people(&store, tenant).await;
    let scope = store.scoped(tenant);
    let clerk = &people.mobility_clerk;
    let giuseppe = Applicant {
        fiscal_code: cf(GIUSEPPE),
        given_name: "Giuseppe".into(),
        family_name: "Verdi".into(),
    };
    let draft = scope
        .create_draft(clerk.id, ZTL, Some(&giuseppe), &actor(clerk))
        .await
        .unwrap();
    let done = submit(&store, tenant, clerk, draft.id, ZTL).await;
    let pratica = &done.pratica;
    assert!(pratica.assisted);
    assert_eq!(pratica.applicant, giuseppe);
    assert_eq!(
        (pratica.applicant_user, pratica.submitted_by),
        (None, clerk.id)
    );
    assert_eq!(done.protocol.correspondent.name, "Giuseppe Verdi");
    // Giuseppe finds it in his personal area the first time he signs in.
    signed_in(&scope, GIUSEPPE).await;
    let his: Vec<_> = scope
        .pratiche_of(&cf(GIUSEPPE))
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(his, [pratica.id]);
    assert!(
        scope
            .pratiche_of(&cf(MOBILITY_CLERK))
            .await
            .unwrap()
            .is_empty()
    );

    // For a citizen who has an account, the pratica is linked to it.
    let laura = Applicant {
        fiscal_code: cf(LAURA),
        given_name: "Laura".into(),
        family_name: "Bianchi".into(),
    };
    let draft = scope
        .create_draft(clerk.id, ZTL, Some(&laura), &actor(clerk))
        .await
        .unwrap();
    let done = submit(&store, tenant, clerk, draft.id, ZTL).await;
    assert_eq!(done.pratica.applicant_user, Some(people.laura.id));
    assert!(done.pratica.assisted);
}

fn clerk_actor(clerk: &User) -> Actor {
    actor(clerk)
}

async fn a_transition_stores_the_snapshot_the_event_and_the_audit_entry(store: Store) {
    let tenant = comune(&store, "alfa").await;
    let people = people(&store, tenant).await;
    let scope = store.scoped(tenant);
    let pratica = submitted(&store, tenant, &people.mario, ZTL).await;
    let clerk = &people.mobility_clerk;

    let taken = scope
        .transition(pratica.id, 1, None, &calendar(), &clerk_actor(clerk), |p| {
            p.take_charge(Timestamp::now(), clerk.id)
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!((taken.state(), taken.version), (PraticaState::InReview, 2));
    assert_eq!(taken.pratica.assignee(), Some(clerk.id));
    assert_eq!(
        scope.pratica(pratica.id).await.unwrap(),
        Some(taken.clone())
    );

    let message = Statement::parse("Manca la copia del libretto.").unwrap();
    let suspended = scope
        .transition(pratica.id, 2, None, &calendar(), &clerk_actor(clerk), |p| {
            p.request_documents(Timestamp::now(), &calendar(), message.clone())
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(suspended.state(), PraticaState::DocumentsRequested);
    assert!(
        suspended.deadline > pratica.deadline,
        "a suspension moves the deadline on"
    );

    // The domain's refusal comes back untouched, and nothing is stored.
    let refused = scope
        .transition(pratica.id, 3, None, &calendar(), &clerk_actor(clerk), |p| {
            p.approve(Timestamp::now(), None, sportello_domain::Cents::ZERO)
        })
        .await
        .unwrap();
    assert!(
        matches!(refused, Err(TransitionError::SuspendedForDocuments { .. })),
        "{refused:?}"
    );
    assert_eq!(
        scope.pratica(pratica.id).await.unwrap().map(|p| p.version),
        Some(3)
    );

    let events = scope.pratica_events(pratica.id).await.unwrap();
    let kinds: Vec<(u64, PraticaState)> = events.iter().map(|e| (e.seq, e.event.state)).collect();
    assert_eq!(
        kinds,
        [
            (1, PraticaState::Submitted),
            (2, PraticaState::InReview),
            (3, PraticaState::DocumentsRequested)
        ]
    );
    assert!(
        matches!(&events[2].event.kind, EventKind::DocumentsRequested { message: m, .. } if *m == message)
    );
    assert_eq!(events[2].actor, format!("user:{}", clerk.id));
    let audit = scope.audit_log(2).await.unwrap();
    let actions: Vec<&str> = audit.iter().map(|r| r.entry.action.as_str()).collect();
    assert_eq!(
        actions,
        ["pratica.documents-requested", "pratica.taken-in-charge"]
    );
    assert_eq!(audit[0].entry.subject, format!("pratica:{}", pratica.id));
    assert_eq!(audit[0].entry.details["version"], 3);

    // A snapshot that contradicts its event is refused.
    let current = scope.pratica(pratica.id).await.unwrap().unwrap();
    let mut other = current.pratica.clone();
    let event = other.resume_review(Timestamp::now(), &calendar()).unwrap();
    let mut tx = store.begin().await.unwrap();
    let refused = scope
        .apply_transition(
            &mut tx,
            pratica.id,
            3,
            &current.pratica,
            &event,
            None,
            &calendar(),
            &clerk_actor(clerk),
        )
        .await;
    assert!(
        matches!(refused, Err(StoreError::Invalid(_))),
        "{refused:?}"
    );
}

async fn two_clerks_cannot_act_on_the_same_version(store: Store) {
    let tenant = comune(&store, "alfa").await;
    let people = people(&store, tenant).await;
    let scope = store.scoped(tenant);
    let pratica = submitted(&store, tenant, &people.mario, ZTL).await;
    let (first, second) = (&people.mobility_clerk, &people.social_clerk);
    // Both opened the pratica at version 1.
    scope
        .transition(pratica.id, 1, None, &calendar(), &actor(first), |p| {
            p.take_charge(Timestamp::now(), first.id)
        })
        .await
        .unwrap()
        .unwrap();
    let late = scope
        .transition(pratica.id, 1, None, &calendar(), &actor(second), |p| {
            p.assign(Timestamp::now(), second.id)
        })
        .await;
    assert!(matches!(late, Err(StoreError::Conflict(_))), "{late:?}");
    let now = scope.pratica(pratica.id).await.unwrap().unwrap();
    assert_eq!((now.version, now.pratica.assignee()), (2, Some(first.id)));
}

async fn concurrent_transitions_on_one_pratica_let_exactly_one_through(store: Store) {
    let tenant = comune(&store, "alfa").await;
    let people = people(&store, tenant).await;
    let pratica = submitted(&store, tenant, &people.mario, ZTL).await;
    let clerks = [people.mobility_clerk.clone(), people.social_clerk.clone()];
    let start = Arc::new(tokio::sync::Barrier::new(clerks.len() * 4));
    let mut tasks = Vec::new();
    for round in 0..4 {
        for clerk in &clerks {
            let (store, start, clerk, base) =
                (store.clone(), start.clone(), clerk.clone(), pratica.clone());
            tasks.push(tokio::spawn(async move {
                let scope = store.scoped(tenant);
                let mut snapshot = base.pratica.clone();
                let event = snapshot
                    .take_charge(
                        Timestamp::now() + SignedDuration::from_millis(round),
                        clerk.id,
                    )
                    .unwrap();
                start.wait().await;
                let mut tx = store.begin().await.unwrap();
                let result = scope
                    .apply_transition(
                        &mut tx,
                        base.id,
                        1,
                        &snapshot,
                        &event,
                        None,
                        &calendar(),
                        &actor(&clerk),
                    )
                    .await;
                match result {
                    Ok(_) => {
                        tx.commit().await.unwrap();
                        true
                    }
                    Err(StoreError::Conflict(_)) => false,
                    Err(e) => panic!("{e}"),
                }
            }));
        }
    }
    let mut through = 0;
    for task in tasks {
        through += usize::from(task.await.unwrap());
    }
    assert_eq!(through, 1);
    let scope = store.scoped(tenant);
    assert_eq!(
        scope.pratica(pratica.id).await.unwrap().map(|p| p.version),
        Some(2)
    );
    assert_eq!(scope.pratica_events(pratica.id).await.unwrap().len(), 2);
}

async fn queue(store: &Store, tenant: TenantId, office: &str, filter: QueueFilter) -> Vec<u32> {
    store
        .scoped(tenant)
        .office_queue(office, &filter)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.protocol.number())
        .collect()
}

async fn the_queue_filters_by_state_deadline_assignee_service_and_text(store: Store) {
    let tenant = comune(&store, "alfa").await;
    let People {
        mario,
        laura,
        mobility_clerk: clerk,
        ..
    } = people(&store, tenant).await;
    let scope = store.scoped(tenant);
    // Protocol numbers 1 to 4: three ZTL requests (mobilita), one badge request (sociale).
    let p1 = submitted(&store, tenant, &mario, ZTL).await;
    submitted(&store, tenant, &laura, ZTL).await;
    submitted(&store, tenant, &mario, BADGE).await;
    submitted(&store, tenant, &laura, ZTL).await;
    scope
        .transition(p1.id, 1, None, &calendar(), &actor(&clerk), |p| {
            p.take_charge(Timestamp::now(), clerk.id)
        })
        .await
        .unwrap()
        .unwrap();

    let all = QueueFilter::default;
    assert_eq!(queue(&store, tenant, "mobilita", all()).await, [1, 2, 4]);
    assert_eq!(queue(&store, tenant, "sociale", all()).await, [3]);
    let in_review = QueueFilter {
        states: vec![PraticaState::InReview],
        ..all()
    };
    assert_eq!(queue(&store, tenant, "mobilita", in_review).await, [1]);
    let waiting = QueueFilter {
        states: vec![PraticaState::Submitted, PraticaState::DocumentsRequested],
        ..all()
    };
    assert_eq!(queue(&store, tenant, "mobilita", waiting).await, [2, 4]);

    let today = local_date(Timestamp::now());
    let overdue_today = QueueFilter {
        overdue_on: Some(today),
        ..all()
    };
    assert_eq!(
        queue(&store, tenant, "mobilita", overdue_today).await,
        [] as [u32; 0]
    );
    let after_term = QueueFilter {
        overdue_on: Some(p1.deadline.unwrap() + SignedDuration::from_hours(24)),
        ..all()
    };
    assert_eq!(
        queue(&store, tenant, "mobilita", after_term).await,
        [1, 2, 4]
    );

    let mine = QueueFilter {
        assignee: AssigneeFilter::To(clerk.id),
        ..all()
    };
    assert_eq!(queue(&store, tenant, "mobilita", mine).await, [1]);
    let nobody = QueueFilter {
        assignee: AssigneeFilter::Unassigned,
        ..all()
    };
    assert_eq!(queue(&store, tenant, "mobilita", nobody).await, [2, 4]);

    let year = p1.protocol.year();
    let cases: [(&str, &[u32]); 7] = [
        (&format!("0000002/{year}"), &[2]),
        ("2/", &[2]),
        ("bnclra90", &[2, 4]),
        // Every fixture citizen is called Rossi: case and spaces do not matter.
        ("  ROSSI ", &[1, 2, 4]),
        ("verdi", &[]),
        ("%", &[]),
        ("_", &[]),
    ];
    for (text, expected) in cases {
        let filter = QueueFilter {
            text: Some(text.to_owned()),
            ..all()
        };
        assert_eq!(
            queue(&store, tenant, "mobilita", filter).await,
            expected,
            "{text:?}"
        );
    }
    let by_service = QueueFilter {
        service: Some(BADGE.into()),
        ..all()
    };
    assert_eq!(
        queue(&store, tenant, "mobilita", by_service).await,
        [] as [u32; 0]
    );
    let page = QueueFilter {
        limit: 1,
        offset: 1,
        ..all()
    };
    assert_eq!(queue(&store, tenant, "mobilita", page).await, [2]);
}

async fn with_badge_files(
    store: &Store,
    tenant: TenantId,
    people: &People,
    vault: &AttachmentVault<FsBlobStore>,
) -> Submitted {
    let scope = store.scoped(tenant);
    let mario = &people.mario;
    let draft = filled_draft(store, tenant, mario, BADGE).await;
    for (spec, sensitive) in [("photo", false), ("medical_certificate", true)] {
        scope
            .add_attachment(
                vault,
                draft,
                mario.id,
                &upload(spec, sensitive),
                PDF,
                &actor(mario),
            )
            .await
            .unwrap()
            .unwrap();
    }
    submit(store, tenant, mario, draft, BADGE).await
}

async fn a_sensitive_file_is_read_only_by_a_clerk_of_the_deciding_office(store: Store) {
    let tenant = comune(&store, "alfa").await;
    let people = people(&store, tenant).await;
    let scope = store.scoped(tenant);
    let vault = vault();
    let done = with_badge_files(&store, tenant, &people, &vault).await;
    let photo = done.attachments.iter().find(|a| !a.sensitive).unwrap();
    let certificate = done.attachments.iter().find(|a| a.sensitive).unwrap();
    let (social, mobility) = (&people.social_clerk, &people.mobility_clerk);

    let read = scope
        .read_sensitive_attachment(&vault, certificate.id, social.id, "sociale", &client())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.bytes, PDF);
    let audit = scope.audit_log(1).await.unwrap();
    assert_eq!(
        (
            audit[0].entry.action.as_str(),
            audit[0].entry.actor.clone(),
            audit[0].entry.source.clone()
        ),
        (
            "attachment.read",
            format!("user:{}", social.id),
            Some("203.0.113.7".into())
        )
    );
    assert_eq!(audit[0].entry.details["office"], "sociale");

    // Another office's clerk, whatever office they claim; the applicant themselves.
    for (user, office) in [
        (mobility.id, "sociale"),
        (mobility.id, "mobilita"),
        (people.mario.id, "sociale"),
    ] {
        let refused = scope
            .read_sensitive_attachment(&vault, certificate.id, user, office, &client())
            .await;
        assert!(
            matches!(refused, Err(StoreError::Forbidden(_))),
            "{office}: {refused:?}"
        );
        let audit = scope.audit_log(1).await.unwrap();
        assert_eq!(audit[0].entry.action, "attachment.read_denied");
    }
    let refused = scope
        .read_attachment(&vault, certificate.id, &Reader::Owner(people.mario.id))
        .await;
    assert!(matches!(refused, Err(StoreError::Forbidden(_))));

    // The photo: the applicant and the deciding office read it, others do not.
    let social_reader = Reader::Clerk {
        user: social.id,
        office: "sociale".into(),
    };
    for reader in [Reader::Owner(people.mario.id), social_reader.clone()] {
        let read = scope
            .read_attachment(&vault, photo.id, &reader)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(read.bytes, PDF);
    }
    for reader in [
        Reader::Owner(people.laura.id),
        Reader::Clerk {
            user: mobility.id,
            office: "mobilita".into(),
        },
        Reader::Clerk {
            user: mobility.id,
            office: "sociale".into(),
        },
    ] {
        let refused = scope.read_attachment(&vault, photo.id, &reader).await;
        assert!(
            matches!(refused, Err(StoreError::Forbidden(_))),
            "{reader:?}: {refused:?}"
        );
    }

    // A revoked role reads nothing any more, at once.
    scope
        .revoke_role(
            &cf(SOCIAL_CLERK),
            &Role::Clerk {
                office: "sociale".into(),
            },
            &operator(),
        )
        .await
        .unwrap();
    let refused = scope
        .read_sensitive_attachment(&vault, certificate.id, social.id, "sociale", &client())
        .await;
    assert!(
        matches!(refused, Err(StoreError::Forbidden(_))),
        "{refused:?}"
    );
    let refused = scope
        .read_attachment(&vault, photo.id, &social_reader)
        .await;
    assert!(
        matches!(refused, Err(StoreError::Forbidden(_))),
        "{refused:?}"
    );
}

async fn retention_removes_the_sensitive_files_of_a_decided_pratica(store: Store) {
    let tenant = comune(&store, "alfa").await;
    let people = people(&store, tenant).await;
    let scope = store.scoped(tenant);
    let vault = vault();
    let done = with_badge_files(&store, tenant, &people, &vault).await;
    let decided = Timestamp::now();
    let mut tx = store.begin().await.unwrap();
    let scheduled = scope
        .schedule_attachment_deletion(
            &mut tx,
            done.pratica.id,
            AttachmentSelection::Sensitive,
            decided + SignedDuration::from_hours(24 * 90),
        )
        .await
        .unwrap();
    assert_eq!(
        scope
            .schedule_attachment_deletion(
                &mut tx,
                done.pratica.id,
                AttachmentSelection::Spec("nessuno"),
                decided,
            )
            .await
            .unwrap(),
        0
    );
    tx.commit().await.unwrap();
    assert_eq!(scheduled, 1);

    assert_eq!(
        store
            .purge_expired_attachments(&vault, decided)
            .await
            .unwrap(),
        0
    );
    let later = decided + SignedDuration::from_hours(24 * 91);
    assert_eq!(
        store
            .purge_expired_attachments(&vault, later)
            .await
            .unwrap(),
        1
    );
    let left = scope.pratica_attachments(done.pratica.id).await.unwrap();
    assert_eq!(left.len(), 1);
    assert!(!left[0].sensitive, "the photo stays");
    // The register keeps the certificate's fingerprint.
    let entry = scope
        .protocol_entry(done.protocol.number)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(entry.attachments.len(), 2);
    let audit = scope.audit_log(1).await.unwrap();
    assert_eq!(audit[0].entry.action, "attachment.purged");
    assert_eq!(audit[0].entry.actor, "system");
}

async fn a_permit_is_found_by_its_verification_code(store: Store) {
    let tenant = comune(&store, "alfa").await;
    let people = people(&store, tenant).await;
    let scope = store.scoped(tenant);
    let pratica = submitted(&store, tenant, &people.mario, ZTL).await;
    let clerk = &people.mobility_clerk;
    type Step = fn(&mut Pratica, &User) -> Result<PraticaEvent, TransitionError>;
    let steps: [Step; 2] = [
        |p, clerk| p.take_charge(Timestamp::now(), clerk.id),
        |p, _| p.approve(Timestamp::now(), None, sportello_domain::Cents::ZERO),
    ];
    let mut version = pratica.version;
    for step in steps {
        version = scope
            .transition(pratica.id, version, None, &calendar(), &actor(clerk), |p| {
                step(p, clerk)
            })
            .await
            .unwrap()
            .unwrap()
            .version;
    }
    let today = local_date(Timestamp::now());
    let validity =
        PermitValidity::new(today, today + SignedDuration::from_hours(24 * 365)).unwrap();
    let issued = scope
        .transition(
            pratica.id,
            version,
            Some("VRF-123-ABC"),
            &calendar(),
            &actor(clerk),
            |p| p.issue_permit(Timestamp::now(), validity),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(issued.state(), PraticaState::PermitIssued);
    assert_eq!(issued.permit_code.as_deref(), Some("VRF-123-ABC"));
    assert_eq!(issued.deadline, None, "no term runs once decided");
    let found = scope
        .pratica_by_permit_code("VRF-123-ABC")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, pratica.id);
    assert!(found.pratica.permit_valid_on(today));
    assert!(
        scope
            .pratica_by_permit_code("VRF-000")
            .await
            .unwrap()
            .is_none()
    );
}

async fn one_comune_never_sees_another_comunes_pratiche(store: Store) {
    let alfa = comune(&store, "alfa").await;
    let beta = comune(&store, "beta").await;
    let people = people(&store, alfa).await;
    let pratica = submitted(&store, alfa, &people.mario, ZTL).await;
    let other = store.scoped(beta);
    assert!(other.pratica(pratica.id).await.unwrap().is_none());
    assert!(
        other
            .pratica_by_protocol(pratica.protocol)
            .await
            .unwrap()
            .is_none()
    );
    assert!(other.pratiche_of(&cf(MARIO)).await.unwrap().is_empty());
    assert!(
        other
            .office_queue("mobilita", &QueueFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(other.pratica_events(pratica.id).await.unwrap().is_empty());
    let clerk = &people.mobility_clerk;
    let moved = other
        .transition(pratica.id, 1, None, &calendar(), &actor(clerk), |p| {
            p.take_charge(Timestamp::now(), clerk.id)
        })
        .await;
    assert!(matches!(moved, Err(StoreError::Conflict(_))), "{moved:?}");
}
