//! The pratica's state machine against the rules of L. 241/1990.

use super::*;
use crate::Lang;
use crate::calendar::rome;
use jiff::ToSpan;
use jiff::civil::date;

const CAL: Calendar = Calendar { patron_day: None };

/// 10:00 in Rome on `day`.
fn at(day: Date) -> Timestamp {
    day.at(10, 0, 0, 0)
        .to_zoned(rome().clone())
        .unwrap()
        .timestamp()
}

fn s(text: &str) -> Statement {
    Statement::parse(text).unwrap()
}

fn clerk() -> UserId {
    UserId::from_uuid(Uuid::from_u128(1))
}

fn unit(result: &Result<PraticaEvent, TransitionError>) -> Result<(), TransitionError> {
    result.as_ref().map(|_| ()).map_err(Clone::clone)
}

fn validity() -> PermitValidity {
    PermitValidity::new(date(2026, 3, 8), date(2027, 3, 7)).unwrap()
}

/// Received Monday 2 March 2026; 30 days: deadline Wednesday 1 April 2026.
const RECEIVED: Date = date(2026, 3, 2);

fn submitted(silence: Silence) -> Pratica {
    Pratica::submit(TermDays::DEFAULT, silence, at(RECEIVED), &CAL).0
}

fn in_review(silence: Silence) -> Pratica {
    let mut p = submitted(silence);
    p.take_charge(at(date(2026, 3, 3)), clerk()).unwrap();
    p
}

/// A pratica brought to `state` along the shortest ordinary path (one step a day from
/// 3 March 2026; amount due € 16,00).
fn reach(state: PraticaState) -> Pratica {
    use PraticaState as S;
    let mut p = submitted(Silence::Inaction);
    let day = |d| at(date(2026, 3, d));
    if state == S::Submitted {
        return p;
    }
    if state == S::Withdrawn {
        p.withdraw(day(3), None).unwrap();
        return p;
    }
    p.take_charge(day(3), clerk()).unwrap();
    match state {
        S::InReview => return p,
        S::DocumentsRequested => {
            p.request_documents(day(4), &CAL, s("Allegare la planimetria."))
                .unwrap();
            return p;
        }
        S::RefusalNoticed | S::Rejected => {
            p.notice_refusal(day(4), &CAL, s("Area non occupabile."))
                .unwrap();
            if state == S::Rejected {
                p.file_observations(day(5), s("L'area è libera.")).unwrap();
                p.reject(
                    day(6),
                    &CAL,
                    s("Area non occupabile."),
                    Some(s("La foto mostra un passo carrabile.")),
                )
                .unwrap();
            }
            return p;
        }
        _ => {}
    }
    p.approve(day(5), None, Cents::new(1600)).unwrap();
    if state == S::Approved {
        return p;
    }
    p.request_payment(day(6)).unwrap();
    if state == S::AwaitingPayment {
        return p;
    }
    p.record_payment(day(7)).unwrap();
    if state == S::PaymentReceived {
        return p;
    }
    p.issue_permit(day(8), validity()).unwrap();
    match state {
        S::Expired => {
            p.expire(at(date(2027, 3, 8))).unwrap();
        }
        S::Revoked => {
            p.revoke(day(9), s("Uso difforme.")).unwrap();
        }
        S::Renewed => {
            p.mark_renewed(day(9), Uuid::from_u128(7)).unwrap();
        }
        _ => {}
    }
    p
}

/// Takes `action` with plausible data.
fn attempt(
    p: &mut Pratica,
    action: Action,
    when: Timestamp,
) -> Result<PraticaEvent, TransitionError> {
    match action {
        Action::TakeCharge => p.take_charge(when, clerk()),
        Action::Assign => p.assign(when, UserId::from_uuid(Uuid::from_u128(2))),
        Action::RequestDocuments => p.request_documents(when, &CAL, s("Allegare la delega.")),
        Action::ReceiveDocuments => p.receive_documents(when, &CAL, None),
        Action::ResumeReview => p.resume_review(when, &CAL),
        Action::NoticeRefusal => p.notice_refusal(when, &CAL, s("Manca il requisito.")),
        Action::FileObservations => p.file_observations(when, s("Il requisito c'è.")),
        Action::Approve => p.approve(when, None, Cents::ZERO),
        Action::GrantBySilence => p.grant_by_silence(when, &CAL, Cents::ZERO),
        Action::Reject => {
            let rebuttal = p
                .observations_filed()
                .then(|| s("Non provano il requisito."));
            p.reject(when, &CAL, s("Manca il requisito."), rebuttal)
        }
        Action::RequestPayment => p.request_payment(when),
        Action::RecordPayment => p.record_payment(when),
        Action::IssuePermit => p.issue_permit(when, validity()),
        Action::Expire => p.expire(when),
        Action::Revoke => p.revoke(when, s("Uso difforme.")),
        Action::MarkRenewed => p.mark_renewed(when, Uuid::from_u128(9)),
        Action::Withdraw => p.withdraw(when, None),
    }
}

/// What each step gives on the pratica `reach(state)` one hour after its last step.
fn expected(state: PraticaState, action: Action) -> Result<(), TransitionError> {
    use Action as A;
    use PraticaState as S;
    use TransitionError as E;
    let step_day = date(2026, 3, 4);
    match (state, action) {
        (S::Submitted, A::TakeCharge | A::Assign | A::Withdraw) => Ok(()),
        (S::InReview, A::Assign | A::RequestDocuments | A::NoticeRefusal | A::Approve) => Ok(()),
        (S::InReview, A::Withdraw) => Ok(()),
        (S::DocumentsRequested, A::Assign | A::ReceiveDocuments | A::ResumeReview) => Ok(()),
        (S::DocumentsRequested, A::Withdraw) => Ok(()),
        (S::RefusalNoticed, A::Assign | A::FileObservations | A::Approve | A::Withdraw) => Ok(()),
        (S::Approved, A::Assign | A::RequestPayment) => Ok(()),
        (S::AwaitingPayment, A::Assign | A::RecordPayment) => Ok(()),
        (S::PaymentReceived, A::Assign | A::IssuePermit) => Ok(()),
        (S::PermitIssued, A::Assign | A::Revoke | A::MarkRenewed) => Ok(()),

        // Art. 10-bis: no refusal without the notice.
        (S::Submitted | S::InReview, A::Reject) => Err(E::RefusalNoticeRequired),
        // Art. 2 c. 7: no decision while waiting for documents, and one request only.
        (S::DocumentsRequested, A::Approve | A::Reject | A::NoticeRefusal) => {
            Err(E::SuspendedForDocuments {
                resumes_by: date(2026, 4, 3),
            })
        }
        (S::DocumentsRequested, A::RequestDocuments) => {
            Err(E::DocumentsAlreadyRequested { on: step_day })
        }
        (S::RefusalNoticed, A::NoticeRefusal) => Err(E::RefusalAlreadyNoticed { on: step_day }),
        (S::RefusalNoticed, A::Reject) => Err(E::ObservationWindowOpen {
            until: date(2026, 3, 14),
        }),
        (
            S::Submitted | S::InReview | S::DocumentsRequested | S::RefusalNoticed,
            A::GrantBySilence,
        ) => Err(E::SilenceIsNotAssent),
        (S::Approved | S::AwaitingPayment, A::IssuePermit) => Err(E::PaymentOutstanding {
            amount: Cents::new(1600),
        }),
        (S::PermitIssued, A::Expire) => Err(E::PermitStillValid {
            until: date(2027, 3, 7),
        }),
        _ => Err(E::NotAllowed { action, state }),
    }
}

#[test]
fn every_state_against_every_step() {
    for state in PraticaState::ALL {
        let start = reach(state);
        assert_eq!(start.state(), state);
        let when = start.updated_at() + 1.hour();
        let mut allowed = Vec::new();
        for action in Action::ALL {
            let mut p = start.clone();
            let result = attempt(&mut p, action, when);
            let want = expected(state, action);
            assert_eq!(unit(&result), want, "{state} / {action:?}");
            assert_eq!(
                start.check(action, when, &CAL).is_ok(),
                result.is_ok(),
                "check() disagrees on {state} / {action:?}"
            );
            match result {
                Ok(event) => {
                    allowed.push(action);
                    assert_eq!(event.state, p.state(), "{state} / {action:?}");
                    assert_eq!(event.by, action.actor());
                    assert_eq!(event.at, when);
                    assert_eq!(p.updated_at(), when);
                }
                Err(_) => assert_eq!(p, start, "a refused step changed {state} / {action:?}"),
            }
        }
        assert_eq!(start.allowed_actions(when, &CAL), allowed, "{state}");
    }
}

#[test]
fn withdraw_only_while_open() {
    for state in PraticaState::ALL {
        let mut p = reach(state);
        let when = p.updated_at() + 1.hour();
        let result = p.withdraw(when, Statement::parse_optional("Non serve più.").unwrap());
        assert_eq!(result.is_ok(), state.is_open(), "{state}");
        if let Ok(event) = result {
            assert_eq!(p.state(), PraticaState::Withdrawn);
            assert_eq!(event.by, EventActor::Citizen);
            assert_eq!(p.deadline(&CAL), TermStatus::Closed);
            assert_eq!(p.decided_within_term(&CAL), None);
        }
    }
}

#[test]
fn full_lifecycle_with_payment_and_both_suspensions() {
    let (mut p, submitted) =
        Pratica::submit(TermDays::DEFAULT, Silence::Inaction, at(RECEIVED), &CAL);
    assert_eq!(
        submitted.kind,
        EventKind::Submitted {
            term_days: TermDays::DEFAULT,
            silence: Silence::Inaction,
            deadline: date(2026, 4, 1),
            renews: None,
        }
    );
    let d = |m, day| at(date(2026, m, day));
    let mut log = vec![submitted];
    log.push(p.take_charge(d(3, 3), clerk()).unwrap());
    assert_eq!(p.assignee(), Some(clerk()));
    log.push(
        p.request_documents(d(3, 12), &CAL, s("Allegare la planimetria."))
            .unwrap(),
    );
    log.push(p.receive_documents(d(3, 17), &CAL, None).unwrap());
    log.push(
        p.notice_refusal(d(3, 25), &CAL, s("Il passo carrabile è ostruito."))
            .unwrap(),
    );
    log.push(
        p.file_observations(d(3, 28), s("Lo spostiamo di due metri."))
            .unwrap(),
    );
    log.push(
        p.approve(
            d(4, 2),
            Some(s("Con lo spostamento indicato.")),
            Cents::new(4250),
        )
        .unwrap(),
    );
    assert_eq!(p.payment_outstanding(), Some(Cents::new(4250)));
    log.push(p.request_payment(d(4, 3)).unwrap());
    log.push(p.record_payment(d(4, 4)).unwrap());
    assert_eq!(p.payment_outstanding(), None);
    assert_eq!(p.paid_at(), Some(d(4, 4)));
    let validity = PermitValidity::new(date(2026, 4, 10), date(2026, 4, 20)).unwrap();
    log.push(p.issue_permit(d(4, 7), validity).unwrap());
    assert!(p.permit_valid_on(date(2026, 4, 15)));
    assert!(!p.permit_valid_on(date(2026, 4, 21)));
    assert!(matches!(
        p.expire(d(4, 20)),
        Err(TransitionError::PermitStillValid { .. })
    ));
    log.push(p.expire(d(4, 21)).unwrap());
    assert!(!p.permit_valid_on(date(2026, 4, 15)));

    let states: Vec<_> = log.iter().map(|e| e.state).collect();
    use PraticaState as S;
    assert_eq!(
        states,
        [
            S::Submitted,
            S::InReview,
            S::DocumentsRequested,
            S::InReview,
            S::RefusalNoticed,
            S::RefusalNoticed,
            S::Approved,
            S::AwaitingPayment,
            S::PaymentReceived,
            S::PermitIssued,
            S::Expired,
        ]
    );
    let actors: Vec<_> = log.iter().map(|e| e.by).collect();
    use EventActor::{Citizen, Office, System};
    assert_eq!(
        actors,
        [
            Citizen, Office, Office, Citizen, Office, Citizen, Office, Office, System, Office,
            System
        ]
    );
    // Documents: 12 → 17 March (5 days); notice 25 March, observations 28 March, term runs
    // again after 7 April (13 days): 1 April + 18 = 19 April, a Sunday → 20 April.
    assert_eq!(
        log[3].kind,
        EventKind::DocumentsReceived {
            note: None,
            deadline: date(2026, 4, 7)
        }
    );
    assert_eq!(
        log[5].kind,
        EventKind::ObservationsFiled {
            text: s("Lo spostiamo di due metri."),
            term_resumes_after: date(2026, 4, 7)
        }
    );
    assert_eq!(p.clock().deadline(&CAL), date(2026, 4, 20));
    assert_eq!(p.decided_within_term(&CAL), Some(true));
    assert!(p.state().is_final());
    for event in &log {
        assert_ne!(event.title(Lang::It), event.title(Lang::En));
    }
}

#[test]
fn term_through_the_transitions() {
    let cal = &CAL;
    let d = |m, day| date(2026, m, day);

    // Documents on day 10 answered on day 15.
    let mut p = in_review(Silence::Inaction);
    assert_eq!(p.deadline(cal), TermStatus::Running { deadline: d(4, 1) });
    p.request_documents(at(d(3, 12)), cal, s("Delega")).unwrap();
    let suspended = TermStatus::Suspended {
        kind: SuspensionKind::Documents,
        since: d(3, 12),
        resumes_by: d(4, 11),
        deadline_if_resumed_then: d(5, 2),
    };
    assert_eq!(p.deadline(cal), suspended);
    assert_eq!(p.days_left(d(3, 20), cal), None);
    let event = p.receive_documents(at(d(3, 17)), cal, None).unwrap();
    // 1 April + 5 = 6 April, Easter Monday → 7 April.
    assert_eq!(
        event.kind,
        EventKind::DocumentsReceived {
            note: None,
            deadline: d(4, 7)
        }
    );
    assert_eq!(p.deadline(cal), TermStatus::Running { deadline: d(4, 7) });

    // Unanswered: the suspension lapses after day 30 by itself.
    let mut p = in_review(Silence::Inaction);
    p.request_documents(at(d(3, 12)), cal, s("Delega")).unwrap();
    let cases = [
        (d(3, 13), suspended),
        (d(4, 11), suspended),
        (d(4, 12), TermStatus::Running { deadline: d(5, 2) }),
        (d(5, 3), TermStatus::Running { deadline: d(5, 2) }),
    ];
    for (today, status) in cases {
        assert_eq!(p.term_status(today, cal), status, "{today}");
    }
    assert_eq!(p.days_left(d(4, 12), cal), Some(20));
    assert!(!p.is_overdue(d(5, 2), cal));
    assert!(p.is_overdue(d(5, 3), cal));
    // The office resuming later (or documents arriving later) does not stretch it further.
    let event = p.resume_review(at(d(4, 20)), cal).unwrap();
    assert_eq!(event.kind, EventKind::ReviewResumed { deadline: d(5, 2) });
    assert_eq!(p.deadline(cal), TermStatus::Running { deadline: d(5, 2) });

    // 10-bis with observations on day 4: the term restarts 10 days after them.
    let mut p = in_review(Silence::Inaction);
    p.notice_refusal(at(d(3, 20)), cal, s("Motivi")).unwrap();
    assert_eq!(
        p.deadline(cal),
        TermStatus::Suspended {
            kind: SuspensionKind::RefusalNotice,
            since: d(3, 20),
            resumes_by: d(3, 30),
            deadline_if_resumed_then: d(4, 11),
        }
    );
    p.file_observations(at(d(3, 24)), s("Osservazioni"))
        .unwrap();
    let cases = [
        (
            d(4, 3),
            TermStatus::Suspended {
                kind: SuspensionKind::RefusalNotice,
                since: d(3, 20),
                resumes_by: d(4, 3),
                deadline_if_resumed_then: d(4, 15),
            },
        ),
        (d(4, 4), TermStatus::Running { deadline: d(4, 15) }),
    ];
    for (today, status) in cases {
        assert_eq!(p.term_status(today, cal), status, "{today}");
    }

    // 10-bis without observations: the term restarts when the 10 days lapse.
    let mut p = in_review(Silence::Inaction);
    p.notice_refusal(at(d(3, 20)), cal, s("Motivi")).unwrap();
    assert!(matches!(
        p.term_status(d(3, 30), cal),
        TermStatus::Suspended { .. }
    ));
    assert_eq!(
        p.term_status(d(3, 31), cal),
        TermStatus::Running { deadline: d(4, 11) }
    );
    assert_eq!(p.days_left(d(3, 31), cal), Some(11));
}

#[test]
fn days_left_and_overdue() {
    let p = in_review(Silence::Inaction);
    let cases = [
        (date(2026, 3, 2), Some(30), false),
        (date(2026, 3, 31), Some(1), false),
        (date(2026, 4, 1), Some(0), false),
        (date(2026, 4, 2), Some(-1), true),
        (date(2026, 5, 1), Some(-30), true),
    ];
    for (today, left, overdue) in cases {
        assert_eq!(p.days_left(today, &CAL), left, "{today}");
        assert_eq!(p.is_overdue(today, &CAL), overdue, "{today}");
    }
    for state in PraticaState::ALL.into_iter().filter(|s| !s.is_open()) {
        let p = reach(state);
        assert_eq!(p.days_left(date(2030, 1, 1), &CAL), None, "{state}");
        assert!(!p.is_overdue(date(2030, 1, 1), &CAL));
    }
}

#[test]
fn receipt_date_is_the_day_in_rome() {
    // 23:30 UTC on 1 March is 00:30 on 2 March in Rome.
    let submitted_at: Timestamp = "2026-03-01T23:30:00Z".parse().unwrap();
    let (p, event) = Pratica::submit(TermDays::DEFAULT, Silence::Assent, submitted_at, &CAL);
    assert_eq!(p.received_on(), RECEIVED);
    assert_eq!(p.submitted_at(), submitted_at);
    assert_eq!(event.at, submitted_at);
    assert_eq!(
        p.deadline(&CAL),
        TermStatus::Running {
            deadline: date(2026, 4, 1)
        }
    );
    // A patron day on the last day gives one more day.
    let cal = Calendar::with_patron_day("04-01".parse().unwrap());
    let (p, event) = Pratica::submit(TermDays::DEFAULT, Silence::Assent, submitted_at, &cal);
    assert_eq!(
        p.deadline(&cal),
        TermStatus::Running {
            deadline: date(2026, 4, 2)
        }
    );
    assert!(matches!(
        event.kind,
        EventKind::Submitted { deadline, .. } if deadline == date(2026, 4, 2)
    ));
}

type Setup = fn(&mut Pratica);

#[test]
fn silence_assent_only_when_the_term_passed_unsuspended() {
    let d = |m, day| date(2026, m, day);
    let none: Setup = |_| {};
    let take: Setup = |p| {
        p.take_charge(at(date(2026, 3, 3)), clerk()).unwrap();
    };
    let docs_pending: Setup = docs_pending_fn;
    let docs_answered: Setup = |p| {
        docs_pending_fn(p);
        p.receive_documents(at(date(2026, 3, 17)), &CAL, None)
            .unwrap();
    };
    let notice: Setup = notice_fn;
    let notice_observed: Setup = |p| {
        notice_fn(p);
        p.file_observations(at(date(2026, 3, 24)), s("Osservazioni"))
            .unwrap();
    };
    let approved: Setup = |p| {
        p.take_charge(at(date(2026, 3, 3)), clerk()).unwrap();
        p.approve(at(date(2026, 3, 4)), None, Cents::ZERO).unwrap();
    };
    use TransitionError as E;
    type Case = (&'static str, Silence, Setup, Date, Result<(), E>);
    let cases: [Case; 17] = [
        (
            "in review, day after the deadline",
            Silence::Assent,
            take,
            d(4, 2),
            Ok(()),
        ),
        (
            "in review, on the deadline",
            Silence::Assent,
            take,
            d(4, 1),
            Err(E::TermNotExpired { deadline: d(4, 1) }),
        ),
        (
            "never taken in charge",
            Silence::Assent,
            none,
            d(4, 2),
            Ok(()),
        ),
        (
            "silence is inaction",
            Silence::Inaction,
            take,
            d(6, 1),
            Err(E::SilenceIsNotAssent),
        ),
        (
            "documents pending",
            Silence::Assent,
            docs_pending,
            d(4, 2),
            Err(E::TermSuspended {
                resumes_by: d(4, 11),
            }),
        ),
        (
            "documents lapsed, term running",
            Silence::Assent,
            docs_pending,
            d(4, 20),
            Err(E::TermNotExpired { deadline: d(5, 2) }),
        ),
        (
            "documents lapsed, on the deadline",
            Silence::Assent,
            docs_pending,
            d(5, 2),
            Err(E::TermNotExpired { deadline: d(5, 2) }),
        ),
        (
            "documents lapsed, term passed",
            Silence::Assent,
            docs_pending,
            d(5, 4),
            Ok(()),
        ),
        (
            "documents answered, on the deadline",
            Silence::Assent,
            docs_answered,
            d(4, 7),
            Err(E::TermNotExpired { deadline: d(4, 7) }),
        ),
        (
            "documents answered, term passed",
            Silence::Assent,
            docs_answered,
            d(4, 8),
            Ok(()),
        ),
        (
            "10-bis window open",
            Silence::Assent,
            notice,
            d(3, 25),
            Err(E::TermSuspended {
                resumes_by: d(3, 30),
            }),
        ),
        (
            "10-bis lapsed, term running",
            Silence::Assent,
            notice,
            d(4, 11),
            Err(E::TermNotExpired { deadline: d(4, 11) }),
        ),
        (
            "10-bis lapsed, term passed",
            Silence::Assent,
            notice,
            d(4, 13),
            Ok(()),
        ),
        (
            "observations, term suspended",
            Silence::Assent,
            notice_observed,
            d(4, 2),
            Err(E::TermSuspended {
                resumes_by: d(4, 3),
            }),
        ),
        (
            "observations, on the deadline",
            Silence::Assent,
            notice_observed,
            d(4, 15),
            Err(E::TermNotExpired { deadline: d(4, 15) }),
        ),
        (
            "observations, term passed",
            Silence::Assent,
            notice_observed,
            d(4, 16),
            Ok(()),
        ),
        (
            "already approved",
            Silence::Assent,
            approved,
            d(6, 1),
            Err(E::NotAllowed {
                action: Action::GrantBySilence,
                state: PraticaState::Approved,
            }),
        ),
    ];
    for (why, silence, setup, today, want) in cases {
        let mut p = submitted(silence);
        setup(&mut p);
        assert_eq!(
            p.silence_assent_formed(today, &CAL).is_some(),
            want.is_ok(),
            "{why}"
        );
        let before = p.clone();
        let result = p.grant_by_silence(at(today), &CAL, Cents::new(1600));
        assert_eq!(unit(&result), want, "{why}");
        match result {
            Ok(event) => {
                assert_eq!(p.state(), PraticaState::Approved, "{why}");
                assert!(p.by_silence());
                assert_eq!(event.by, EventActor::System);
                assert!(
                    matches!(event.kind, EventKind::ApprovedBySilence { amount_due, .. } if amount_due == Cents::new(1600))
                );
                assert_eq!(p.decided_within_term(&CAL), Some(false));
                assert_eq!(p.payment_outstanding(), Some(Cents::new(1600)));
            }
            Err(_) => assert_eq!(p, before, "{why}"),
        }
    }
}

fn docs_pending_fn(p: &mut Pratica) {
    p.take_charge(at(date(2026, 3, 3)), clerk()).unwrap();
    p.request_documents(at(date(2026, 3, 12)), &CAL, s("Delega"))
        .unwrap();
}

fn notice_fn(p: &mut Pratica) {
    p.take_charge(at(date(2026, 3, 3)), clerk()).unwrap();
    p.notice_refusal(at(date(2026, 3, 20)), &CAL, s("Motivi"))
        .unwrap();
}

#[test]
fn no_refusal_once_silence_assent_formed() {
    use TransitionError as E;
    let d = |m, day| date(2026, m, day);
    let formed = |deadline| Err(E::SilenceAssentFormed { deadline });
    // (why, silence, notice + observations?, action, day, expected)
    type Case = (&'static str, Silence, bool, Action, Date, Result<(), E>);
    let cases: [Case; 11] = [
        (
            "refusal notice after the term",
            Silence::Assent,
            false,
            Action::NoticeRefusal,
            d(4, 2),
            formed(d(4, 1)),
        ),
        (
            "documents after the term",
            Silence::Assent,
            false,
            Action::RequestDocuments,
            d(4, 2),
            formed(d(4, 1)),
        ),
        (
            "reject without notice after the term",
            Silence::Assent,
            false,
            Action::Reject,
            d(4, 2),
            formed(d(4, 1)),
        ),
        (
            "approve after the term confirms",
            Silence::Assent,
            false,
            Action::Approve,
            d(4, 2),
            Ok(()),
        ),
        (
            "refusal notice on the last day",
            Silence::Assent,
            false,
            Action::NoticeRefusal,
            d(4, 1),
            Ok(()),
        ),
        (
            "reject after notice, on the deadline",
            Silence::Assent,
            true,
            Action::Reject,
            d(4, 15),
            Ok(()),
        ),
        (
            "reject after notice, term passed",
            Silence::Assent,
            true,
            Action::Reject,
            d(4, 16),
            formed(d(4, 15)),
        ),
        (
            "approve after notice, term passed",
            Silence::Assent,
            true,
            Action::Approve,
            d(4, 16),
            Ok(()),
        ),
        // Under silenzio-inadempimento the office must still decide, late.
        (
            "inaction: late notice",
            Silence::Inaction,
            false,
            Action::NoticeRefusal,
            d(4, 2),
            Ok(()),
        ),
        (
            "inaction: late documents",
            Silence::Inaction,
            false,
            Action::RequestDocuments,
            d(4, 2),
            Ok(()),
        ),
        (
            "inaction: late reject",
            Silence::Inaction,
            true,
            Action::Reject,
            d(4, 16),
            Ok(()),
        ),
    ];
    for (why, silence, noticed, action, today, want) in cases {
        let mut p = in_review(silence);
        if noticed {
            p.notice_refusal(at(d(3, 20)), &CAL, s("Motivi")).unwrap();
            p.file_observations(at(d(3, 24)), s("Osservazioni"))
                .unwrap();
        }
        let result = attempt(&mut p, action, at(today));
        assert_eq!(result.map(|_| ()), want, "{why}");
    }
}

#[test]
fn late_suspensions_do_not_revive_an_expired_term() {
    let mut p = in_review(Silence::Inaction);
    assert!(p.is_overdue(date(2026, 4, 10), &CAL));
    p.notice_refusal(at(date(2026, 4, 10)), &CAL, s("Motivi"))
        .unwrap();
    // Nothing to suspend: still overdue, still the original deadline.
    assert_eq!(
        p.deadline(&CAL),
        TermStatus::Running {
            deadline: date(2026, 4, 1)
        }
    );
    assert!(p.is_overdue(date(2026, 4, 11), &CAL));
    let mut p = in_review(Silence::Inaction);
    p.request_documents(at(date(2026, 4, 10)), &CAL, s("Delega"))
        .unwrap();
    p.receive_documents(at(date(2026, 4, 20)), &CAL, None)
        .unwrap();
    assert_eq!(p.days_left(date(2026, 4, 20), &CAL), Some(-19));
}

#[test]
fn refusal_rules_of_article_10_bis() {
    use TransitionError as E;
    let d = |m, day| date(2026, m, day);
    let noticed = || {
        let mut p = in_review(Silence::Inaction);
        p.notice_refusal(at(d(3, 20)), &CAL, s("Motivi")).unwrap();
        p
    };
    let observed = || {
        let mut p = noticed();
        p.file_observations(at(d(3, 24)), s("Osservazioni"))
            .unwrap();
        p
    };
    let rebuttal = || Some(s("Le osservazioni non superano il motivo."));
    type Case = (
        &'static str,
        Pratica,
        Date,
        Option<Statement>,
        Result<(), E>,
    );
    let cases: Vec<Case> = vec![
        (
            "no observations, window open",
            noticed(),
            d(3, 25),
            None,
            Err(E::ObservationWindowOpen { until: d(3, 30) }),
        ),
        (
            "no observations, last day of the window",
            noticed(),
            d(3, 30),
            None,
            Err(E::ObservationWindowOpen { until: d(3, 30) }),
        ),
        (
            "no observations, window closed",
            noticed(),
            d(3, 31),
            None,
            Ok(()),
        ),
        (
            "no observations but a rebuttal",
            noticed(),
            d(3, 31),
            rebuttal(),
            Err(E::NoObservationsToAddress),
        ),
        (
            "observations unanswered",
            observed(),
            d(3, 25),
            None,
            Err(E::ObservationsNotAddressed),
        ),
        (
            "observations answered, at once",
            observed(),
            d(3, 25),
            rebuttal(),
            Ok(()),
        ),
        (
            "observations answered, later",
            observed(),
            d(4, 10),
            rebuttal(),
            Ok(()),
        ),
    ];
    for (why, mut p, today, rebuttal, want) in cases {
        let before = p.clone();
        let result = p.reject(at(today), &CAL, s("Motivazione"), rebuttal.clone());
        assert_eq!(unit(&result), want, "{why}");
        match result {
            Ok(event) => {
                assert_eq!(p.state(), PraticaState::Rejected);
                assert_eq!(
                    event.kind,
                    EventKind::Rejected {
                        motivation: s("Motivazione"),
                        observations_rebuttal: rebuttal,
                    }
                );
                assert_eq!(p.decided_within_term(&CAL), Some(true));
            }
            Err(_) => assert_eq!(p, before, "{why}"),
        }
    }

    // Observations: once, within the 10 days (last day included).
    let cases = [
        (d(3, 30), Ok(())),
        (d(3, 31), Err(E::ObservationsLate { deadline: d(3, 30) })),
    ];
    for (today, want) in cases {
        let mut p = noticed();
        assert_eq!(
            p.file_observations(at(today), s("Osservazioni"))
                .map(|_| ()),
            want,
            "{today}"
        );
    }
    let mut p = observed();
    assert_eq!(
        p.file_observations(at(d(3, 26)), s("Altre")).map(|_| ()),
        Err(E::ObservationsAlreadyFiled { on: d(3, 24) })
    );
    // Approving stays possible during the window: the office changed its mind.
    let mut p = noticed();
    assert!(p.approve(at(d(3, 21)), None, Cents::ZERO).is_ok());
}

#[test]
fn one_documents_request_per_pratica() {
    let mut p = in_review(Silence::Inaction);
    p.request_documents(at(date(2026, 3, 4)), &CAL, s("Delega"))
        .unwrap();
    p.receive_documents(at(date(2026, 3, 5)), &CAL, Some(s("Ecco la delega.")))
        .unwrap();
    assert_eq!(p.state(), PraticaState::InReview);
    assert_eq!(
        p.request_documents(at(date(2026, 3, 6)), &CAL, s("Altro"))
            .map(|_| ()),
        Err(TransitionError::DocumentsAlreadyRequested {
            on: date(2026, 3, 4)
        })
    );
    // A notice of intended refusal after the documents is fine, and only one.
    p.notice_refusal(at(date(2026, 3, 6)), &CAL, s("Motivi"))
        .unwrap();
    assert_eq!(
        p.request_documents(at(date(2026, 3, 7)), &CAL, s("Altro"))
            .map(|_| ()),
        Err(TransitionError::DocumentsAlreadyRequested {
            on: date(2026, 3, 4)
        })
    );
}

#[test]
fn payment_rules() {
    use TransitionError as E;
    let when = |day| at(date(2026, 3, day));
    // Nothing owed: straight from approval to the permit.
    let mut p = in_review(Silence::Inaction);
    p.approve(when(4), None, Cents::ZERO).unwrap();
    assert_eq!(p.payment_outstanding(), None);
    assert_eq!(p.request_payment(when(5)).map(|_| ()), Err(E::NothingToPay));
    assert!(p.issue_permit(when(5), validity()).is_ok());

    // A negative amount is refused and changes nothing.
    let mut p = in_review(Silence::Inaction);
    let before = p.clone();
    assert_eq!(
        p.approve(when(4), None, Cents::new(-1)).map(|_| ()),
        Err(E::NegativeAmount {
            amount: Cents::new(-1)
        })
    );
    assert_eq!(p, before);

    // Owed: the permit waits for the payment.
    let mut p = reach(PraticaState::AwaitingPayment);
    assert_eq!(
        p.issue_permit(when(10), validity()).map(|_| ()),
        Err(E::PaymentOutstanding {
            amount: Cents::new(1600)
        })
    );
    let event = p.record_payment(when(10)).unwrap();
    assert_eq!(
        event.kind,
        EventKind::PaymentReceived {
            amount: Cents::new(1600)
        }
    );
    assert!(p.issue_permit(when(11), validity()).is_ok());
}

#[test]
fn steps_must_come_in_order() {
    let mut p = in_review(Silence::Inaction);
    let earlier = at(date(2026, 3, 2));
    let before = p.clone();
    assert_eq!(
        p.approve(earlier, None, Cents::ZERO).map(|_| ()),
        Err(TransitionError::OutOfOrder {
            at: earlier,
            last: at(date(2026, 3, 3)),
        })
    );
    assert_eq!(p, before);
    // The same instant is fine (a bulk action stamps several steps at once).
    assert!(p.assign(at(date(2026, 3, 3)), clerk()).is_ok());
}

#[test]
fn renewal_links_both_pratiche() {
    let old_id = Uuid::from_u128(100);
    let new_id = Uuid::from_u128(200);
    let mut old = reach(PraticaState::PermitIssued);
    let (mut renewal, event) = Pratica::submit_renewal(
        TermDays::DEFAULT,
        Silence::Inaction,
        at(date(2027, 2, 1)),
        &CAL,
        old_id,
    );
    assert_eq!(renewal.renews(), Some(old_id));
    assert!(matches!(event.kind, EventKind::Submitted { renews: Some(id), .. } if id == old_id));
    renewal.take_charge(at(date(2027, 2, 2)), clerk()).unwrap();
    renewal
        .approve(at(date(2027, 2, 3)), None, Cents::ZERO)
        .unwrap();
    let next = PermitValidity::new(date(2027, 3, 8), date(2028, 3, 7)).unwrap();
    renewal.issue_permit(at(date(2027, 2, 4)), next).unwrap();
    let event = old.mark_renewed(at(date(2027, 2, 4)), new_id).unwrap();
    assert_eq!(event.kind, EventKind::Renewed { renewal: new_id });
    assert_eq!(event.by, EventActor::System);
    assert_eq!(old.state(), PraticaState::Renewed);
    assert_eq!(old.renewed_by(), Some(new_id));
    // The superseded permit no longer verifies, even within its dates.
    assert!(!old.permit_valid_on(date(2027, 3, 1)));
    assert!(renewal.permit_valid_on(date(2027, 3, 8)));
}

#[test]
fn decided_within_term() {
    let cases = [
        (date(2026, 3, 20), Some(true)),
        (date(2026, 4, 1), Some(true)),
        (date(2026, 4, 2), Some(false)),
    ];
    for (day, within) in cases {
        let mut p = in_review(Silence::Inaction);
        assert_eq!(p.decided_within_term(&CAL), None);
        p.approve(at(day), None, Cents::ZERO).unwrap();
        assert_eq!(p.decided_at(), Some(at(day)));
        assert_eq!(p.decided_within_term(&CAL), within, "{day}");
    }
}

#[test]
fn snapshot_round_trips_through_serde() {
    let mut p = in_review(Silence::Assent);
    p.request_documents(at(date(2026, 3, 12)), &CAL, s("Delega"))
        .unwrap();
    p.receive_documents(at(date(2026, 3, 17)), &CAL, None)
        .unwrap();
    p.notice_refusal(at(date(2026, 3, 20)), &CAL, s("Motivi"))
        .unwrap();
    p.file_observations(at(date(2026, 3, 24)), s("Osservazioni"))
        .unwrap();
    p.approve(at(date(2026, 3, 25)), None, Cents::new(1600))
        .unwrap();
    p.request_payment(at(date(2026, 3, 26))).unwrap();
    let renewal = Pratica::submit_renewal(
        TermDays::new(60).unwrap(),
        Silence::Inaction,
        at(date(2026, 3, 2)),
        &CAL,
        Uuid::from_u128(5),
    )
    .0;
    for pratica in [
        p,
        renewal,
        reach(PraticaState::Renewed),
        reach(PraticaState::Rejected),
    ] {
        let value = toml::Value::try_from(&pratica).unwrap();
        assert_eq!(
            value.get("state").and_then(|v| v.as_str()),
            Some(pratica.state().key())
        );
        let back: Pratica = value.try_into().unwrap();
        assert_eq!(back, pratica);
    }
}

#[test]
fn events_round_trip_through_serde() {
    let mut p = submitted(Silence::Inaction);
    let mut log = vec![];
    log.push(p.take_charge(at(date(2026, 3, 3)), clerk()).unwrap());
    log.push(
        p.request_documents(at(date(2026, 3, 4)), &CAL, s("Delega"))
            .unwrap(),
    );
    log.push(
        p.receive_documents(at(date(2026, 3, 5)), &CAL, Some(s("Ecco")))
            .unwrap(),
    );
    log.push(
        p.notice_refusal(at(date(2026, 3, 6)), &CAL, s("Motivi"))
            .unwrap(),
    );
    log.push(
        p.file_observations(at(date(2026, 3, 7)), s("Osservazioni"))
            .unwrap(),
    );
    log.push(
        p.reject(
            at(date(2026, 3, 8)),
            &CAL,
            s("Motivazione"),
            Some(s("Perché")),
        )
        .unwrap(),
    );
    for event in log {
        let value = toml::Value::try_from(&event).unwrap();
        let back: PraticaEvent = value.clone().try_into().unwrap();
        assert_eq!(back, event);
        let kind = value
            .get("kind")
            .and_then(|k| k.get("type"))
            .and_then(|t| t.as_str());
        assert!(kind.is_some_and(|k| k.chars().all(|c| c.is_ascii_lowercase() || c == '-')));
    }
}

#[test]
fn every_error_explains_itself_in_both_languages() {
    let day = date(2026, 4, 1);
    let errors = [
        TransitionError::NotAllowed {
            action: Action::Approve,
            state: PraticaState::Rejected,
        },
        TransitionError::OutOfOrder {
            at: at(day),
            last: at(day),
        },
        TransitionError::SuspendedForDocuments { resumes_by: day },
        TransitionError::DocumentsAlreadyRequested { on: day },
        TransitionError::RefusalAlreadyNoticed { on: day },
        TransitionError::RefusalNoticeRequired,
        TransitionError::ObservationWindowOpen { until: day },
        TransitionError::ObservationsAlreadyFiled { on: day },
        TransitionError::ObservationsLate { deadline: day },
        TransitionError::ObservationsNotAddressed,
        TransitionError::NoObservationsToAddress,
        TransitionError::SilenceAssentFormed { deadline: day },
        TransitionError::SilenceIsNotAssent,
        TransitionError::TermNotExpired { deadline: day },
        TransitionError::TermSuspended { resumes_by: day },
        TransitionError::NegativeAmount {
            amount: Cents::new(-5),
        },
        TransitionError::NothingToPay,
        TransitionError::PaymentOutstanding {
            amount: Cents::new(1600),
        },
        TransitionError::PermitStillValid { until: day },
    ];
    for error in errors {
        let message = error.message();
        let en = message.en.clone().unwrap();
        assert!(!message.it.is_empty() && !en.is_empty(), "{error}");
        assert_ne!(message.it, en, "{error}");
        let dated = !matches!(error, TransitionError::OutOfOrder { .. });
        if dated && format!("{error:?}").contains("2026") {
            assert!(message.it.contains("01/04/2026"), "{}", message.it);
        }
    }
    let message = TransitionError::NotAllowed {
        action: Action::Approve,
        state: PraticaState::Rejected,
    }
    .message();
    assert_eq!(
        message.it,
        "Non è possibile accogliere la richiesta: la pratica è nello stato «Respinta»."
    );
    for action in Action::ALL {
        assert_ne!(action.label(Lang::It), action.label(Lang::En));
    }
}
