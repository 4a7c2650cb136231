//! The pratica: a citizen's request from submission to its end, as a state machine that knows
//! the terms of L. 241/1990.
//!
//! A pratica is a snapshot ([`Pratica`], stored as JSON) plus an append-only log of
//! [`PraticaEvent`]s. Every transition method checks the step against the state and the law,
//! mutates the snapshot and returns the event to append; a refused step returns a
//! [`TransitionError`] and leaves the pratica untouched. The legal rules, with their articles,
//! are documented where they are enforced: the term arithmetic in [`term`], the steps below.
//!
//! Times: every step takes the instant it happens (`at`); days are reckoned in Rome
//! ([`local_date`]), since terms are counted in calendar days of the comune.

mod error;
mod event;
mod state;
pub mod term;

#[cfg(test)]
mod tests;

pub use error::{Action, TransitionError};
pub use event::{
    EventActor, EventKind, PermitValidity, PraticaEvent, Statement, StatementError, ValidityError,
};
pub use state::PraticaState;
pub use term::{
    DocumentsSuspension, RefusalNoticeSuspension, SuspensionKind, TermClock, TermStatus,
};

use crate::calendar::{Calendar, days_between, local_date};
use crate::{Cents, UserId};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What the citizen's request means when the office does not answer within the term.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Silence {
    /// Silenzio-assenso (L. 241/1990 art. 20): the request is granted when the term passes.
    Assent,
    /// Silenzio-inadempimento: silence grants nothing; the citizen may turn to the holder of
    /// the substitute power (art. 2 c. 9-bis) or to the administrative court.
    Inaction,
}

/// The term of a procedure in days (L. 241/1990 art. 2): 30 unless the comune's table of
/// procedures says otherwise, never above 180.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u16", into = "u16")]
pub struct TermDays(u16);

impl TermDays {
    pub const DEFAULT: TermDays = TermDays(30);
    pub const MAX: u16 = 180;

    pub fn new(days: u16) -> Result<TermDays, String> {
        if (1..=Self::MAX).contains(&days) {
            Ok(TermDays(days))
        } else {
            Err(format!(
                "{days} is not a procedure term: use 1 to {} days (L. 241/1990 art. 2)",
                Self::MAX
            ))
        }
    }

    pub fn get(self) -> u16 {
        self.0
    }
}

impl Default for TermDays {
    fn default() -> Self {
        TermDays::DEFAULT
    }
}

impl TryFrom<u16> for TermDays {
    type Error = String;
    fn try_from(days: u16) -> Result<Self, Self::Error> {
        TermDays::new(days)
    }
}

impl From<TermDays> for u16 {
    fn from(days: TermDays) -> u16 {
        days.0
    }
}

/// A citizen's request, from submission on (drafts are kept elsewhere). Self-contained: the
/// snapshot holds everything the rules need, so it can be stored as JSON and checked again
/// without reading the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pratica {
    state: PraticaState,
    clock: TermClock,
    submitted_at: Timestamp,
    /// The instant of the last event: steps must come in order.
    updated_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    assignee: Option<UserId>,
    /// The decision's instant (approval, silence-assent or refusal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    decided_at: Option<Timestamp>,
    #[serde(default)]
    by_silence: bool,
    /// What the citizen owes before the permit is issued (fees, stamp duty); zero if nothing.
    #[serde(default)]
    amount_due: Cents,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    paid_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    permit: Option<PermitValidity>,
    /// The pratica whose permit this one renews.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    renews: Option<Uuid>,
    /// The renewal pratica whose permit replaced this one's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    renewed_by: Option<Uuid>,
}

impl Pratica {
    /// A request filed at `submitted_at`. The term runs from that day in Rome (art. 18-bis: the
    /// protocol date is the filing date); the event carries the deadline the receipt announces.
    pub fn submit(
        term: TermDays,
        silence: Silence,
        submitted_at: Timestamp,
        calendar: &Calendar,
    ) -> (Pratica, PraticaEvent) {
        Pratica::file(term, silence, submitted_at, calendar, None)
    }

    /// A renewal: a new request that, once its permit is issued, supersedes the permit of
    /// `renews` (call [`Pratica::mark_renewed`] on that one).
    pub fn submit_renewal(
        term: TermDays,
        silence: Silence,
        submitted_at: Timestamp,
        calendar: &Calendar,
        renews: Uuid,
    ) -> (Pratica, PraticaEvent) {
        Pratica::file(term, silence, submitted_at, calendar, Some(renews))
    }

    fn file(
        term: TermDays,
        silence: Silence,
        submitted_at: Timestamp,
        calendar: &Calendar,
        renews: Option<Uuid>,
    ) -> (Pratica, PraticaEvent) {
        let clock = TermClock::new(term, silence, local_date(submitted_at));
        let event = PraticaEvent {
            at: submitted_at,
            by: EventActor::Citizen,
            kind: EventKind::Submitted {
                term_days: term,
                silence,
                deadline: clock.nominal_deadline(calendar),
                renews,
            },
            state: PraticaState::Submitted,
        };
        let pratica = Pratica {
            state: PraticaState::Submitted,
            clock,
            submitted_at,
            updated_at: submitted_at,
            assignee: None,
            decided_at: None,
            by_silence: false,
            amount_due: Cents::ZERO,
            paid_at: None,
            permit: None,
            renews,
            renewed_by: None,
        };
        (pratica, event)
    }

    pub fn state(&self) -> PraticaState {
        self.state
    }

    pub fn clock(&self) -> &TermClock {
        &self.clock
    }

    pub fn term(&self) -> TermDays {
        self.clock.term()
    }

    pub fn silence(&self) -> Silence {
        self.clock.silence()
    }

    /// The receipt date: the day in Rome the request was filed.
    pub fn received_on(&self) -> Date {
        self.clock.received_on()
    }

    pub fn submitted_at(&self) -> Timestamp {
        self.submitted_at
    }

    pub fn updated_at(&self) -> Timestamp {
        self.updated_at
    }

    pub fn assignee(&self) -> Option<UserId> {
        self.assignee
    }

    pub fn decided_at(&self) -> Option<Timestamp> {
        self.decided_at
    }

    /// Whether the request was granted by silence-assent (art. 20) rather than expressly.
    pub fn by_silence(&self) -> bool {
        self.by_silence
    }

    pub fn amount_due(&self) -> Cents {
        self.amount_due
    }

    pub fn paid_at(&self) -> Option<Timestamp> {
        self.paid_at
    }

    /// The amount the citizen still has to pay before the permit, if any.
    pub fn payment_outstanding(&self) -> Option<Cents> {
        let owes = matches!(
            self.state,
            PraticaState::Approved | PraticaState::AwaitingPayment
        ) && self.amount_due > Cents::ZERO;
        owes.then_some(self.amount_due)
    }

    pub fn permit(&self) -> Option<PermitValidity> {
        self.permit
    }

    pub fn renews(&self) -> Option<Uuid> {
        self.renews
    }

    pub fn renewed_by(&self) -> Option<Uuid> {
        self.renewed_by
    }

    /// Whether the citizen filed observations after the art. 10-bis notice: then a refusal
    /// must answer them.
    pub fn observations_filed(&self) -> bool {
        self.clock
            .refusal_notice()
            .is_some_and(|notice| notice.observations_on.is_some())
    }

    /// Whether the permit of this pratica is in force on `day` (for the verification page).
    pub fn permit_valid_on(&self, day: Date) -> bool {
        self.state == PraticaState::PermitIssued
            && self.permit.is_some_and(|validity| validity.contains(day))
    }

    // --- The term -------------------------------------------------------------------------

    fn open_suspension(&self) -> Option<SuspensionKind> {
        match self.state {
            PraticaState::DocumentsRequested => Some(SuspensionKind::Documents),
            PraticaState::RefusalNoticed => Some(SuspensionKind::RefusalNotice),
            _ => None,
        }
    }

    /// The term as recorded: `Suspended` while the state says so, even if the suspension has
    /// since lapsed by itself (use [`Pratica::term_status`] to account for today).
    pub fn deadline(&self, calendar: &Calendar) -> TermStatus {
        if self.state.is_open() {
            self.clock.status(self.open_suspension(), calendar)
        } else {
            TermStatus::Closed
        }
    }

    /// The term on `today`: a suspension whose last day has passed has ended even if nobody
    /// acted (art. 2 c. 7: 30 days at most; art. 10-bis: the term restarts by itself).
    pub fn term_status(&self, today: Date, calendar: &Calendar) -> TermStatus {
        match self.deadline(calendar) {
            TermStatus::Suspended {
                resumes_by,
                deadline_if_resumed_then,
                ..
            } if today > resumes_by => TermStatus::Running {
                deadline: deadline_if_resumed_then,
            },
            status => status,
        }
    }

    /// Days from `today` to the deadline: 0 on the last day, negative when overdue. `None`
    /// while the term is suspended or once the pratica is decided.
    pub fn days_left(&self, today: Date, calendar: &Calendar) -> Option<i32> {
        match self.term_status(today, calendar) {
            TermStatus::Running { deadline } => Some(days_between(today, deadline)),
            TermStatus::Suspended { .. } | TermStatus::Closed => None,
        }
    }

    pub fn is_overdue(&self, today: Date, calendar: &Calendar) -> bool {
        self.days_left(today, calendar).is_some_and(|days| days < 0)
    }

    /// The deadline that passed without a decision, if the procedure is one of silence-assent
    /// and the request is therefore granted by law (art. 20 c. 1).
    pub fn silence_assent_formed(&self, today: Date, calendar: &Calendar) -> Option<Date> {
        if self.silence() != Silence::Assent {
            return None;
        }
        match self.term_status(today, calendar) {
            TermStatus::Running { deadline } if deadline < today => Some(deadline),
            _ => None,
        }
    }

    /// Whether the office decided within the term (for the transparency statistics of
    /// d.lgs. 33/2013 art. 35). A grant by silence is by definition not a timely decision.
    /// `None` until decided, and for requests withdrawn before a decision.
    pub fn decided_within_term(&self, calendar: &Calendar) -> Option<bool> {
        let decided_at = self.decided_at?;
        Some(!self.by_silence && local_date(decided_at) <= self.clock.deadline(calendar))
    }

    // --- Guards ---------------------------------------------------------------------------

    /// Whether `action` may be taken at `at`, without its data (texts, amounts, dates) that the
    /// transition methods check on top. `calendar` matters only for the steps that depend on
    /// the term: request_documents, notice_refusal, reject, grant_by_silence.
    pub fn check(
        &self,
        action: Action,
        at: Timestamp,
        calendar: &Calendar,
    ) -> Result<(), TransitionError> {
        use PraticaState as S;
        if at < self.updated_at {
            return Err(TransitionError::OutOfOrder {
                at,
                last: self.updated_at,
            });
        }
        let today = local_date(at);
        let state = self.state;
        let not_allowed = Err(TransitionError::NotAllowed { action, state });
        let documents = self.clock.documents();
        let notice = self.clock.refusal_notice();
        match action {
            Action::TakeCharge if state != S::Submitted => not_allowed,
            Action::Assign if state.is_final() => not_allowed,
            Action::TakeCharge | Action::Assign => Ok(()),

            // Art. 2 c. 7: one suspension for documents, while the review is under way.
            Action::RequestDocuments => {
                if !state.is_open() {
                    return not_allowed;
                }
                if let Some(documents) = documents {
                    return Err(TransitionError::DocumentsAlreadyRequested {
                        on: documents.requested_on,
                    });
                }
                if state != S::InReview {
                    return not_allowed;
                }
                self.assent_guard(today, calendar)
            }
            Action::ReceiveDocuments | Action::ResumeReview => {
                if state == S::DocumentsRequested {
                    Ok(())
                } else {
                    not_allowed
                }
            }

            // Art. 10-bis: one notice, from the review.
            Action::NoticeRefusal => {
                if !state.is_open() {
                    return not_allowed;
                }
                if let Some(notice) = notice {
                    return Err(TransitionError::RefusalAlreadyNoticed {
                        on: notice.noticed_on,
                    });
                }
                self.documents_guard()?;
                if state != S::InReview {
                    return not_allowed;
                }
                self.assent_guard(today, calendar)
            }
            Action::FileObservations => {
                let Some(notice) = notice.filter(|_| state == S::RefusalNoticed) else {
                    return not_allowed;
                };
                if let Some(on) = notice.observations_on {
                    return Err(TransitionError::ObservationsAlreadyFiled { on });
                }
                if today > notice.observations_by {
                    return Err(TransitionError::ObservationsLate {
                        deadline: notice.observations_by,
                    });
                }
                Ok(())
            }

            // Approving is allowed even after a silence-assent term: it confirms what the law
            // already granted.
            Action::Approve => {
                self.documents_guard()?;
                match state {
                    S::InReview | S::RefusalNoticed => Ok(()),
                    _ => not_allowed,
                }
            }
            Action::GrantBySilence => {
                if !state.is_open() {
                    return not_allowed;
                }
                if self.silence() != Silence::Assent {
                    return Err(TransitionError::SilenceIsNotAssent);
                }
                match self.term_status(today, calendar) {
                    TermStatus::Running { deadline } if deadline < today => Ok(()),
                    TermStatus::Running { deadline } => {
                        Err(TransitionError::TermNotExpired { deadline })
                    }
                    TermStatus::Suspended { resumes_by, .. } => {
                        Err(TransitionError::TermSuspended { resumes_by })
                    }
                    TermStatus::Closed => not_allowed,
                }
            }
            Action::Reject => {
                if !state.is_open() {
                    return not_allowed;
                }
                // Art. 2 c. 8-bis: a refusal after the silence-assent term has no effect.
                self.assent_guard(today, calendar)?;
                self.documents_guard()?;
                let Some(notice) = notice.filter(|_| state == S::RefusalNoticed) else {
                    return Err(TransitionError::RefusalNoticeRequired);
                };
                // Without observations the applicant keeps the right to file them until the
                // last day; with them the office may decide as soon as it has read them.
                if notice.observations_on.is_none() && today <= notice.observations_by {
                    return Err(TransitionError::ObservationWindowOpen {
                        until: notice.observations_by,
                    });
                }
                Ok(())
            }

            Action::RequestPayment => match state {
                S::Approved if self.amount_due > Cents::ZERO => Ok(()),
                S::Approved => Err(TransitionError::NothingToPay),
                _ => not_allowed,
            },
            Action::RecordPayment if state == S::AwaitingPayment => Ok(()),
            Action::RecordPayment => not_allowed,
            Action::IssuePermit => match state {
                S::PaymentReceived => Ok(()),
                S::Approved | S::AwaitingPayment if self.amount_due > Cents::ZERO => {
                    Err(TransitionError::PaymentOutstanding {
                        amount: self.amount_due,
                    })
                }
                S::Approved => Ok(()),
                _ => not_allowed,
            },

            Action::Expire => match (state, self.permit) {
                (S::PermitIssued, Some(permit)) if today <= permit.until() => {
                    Err(TransitionError::PermitStillValid {
                        until: permit.until(),
                    })
                }
                (S::PermitIssued, _) => Ok(()),
                _ => not_allowed,
            },
            Action::Revoke | Action::MarkRenewed if state == S::PermitIssued => Ok(()),
            Action::Revoke | Action::MarkRenewed => not_allowed,

            Action::Withdraw if state.is_open() => Ok(()),
            Action::Withdraw => not_allowed,
        }
    }

    /// The steps that [`Pratica::check`] allows at `at`, for the buttons of the back office and
    /// of the personal area (filter them by [`Action::actor`]).
    pub fn allowed_actions(&self, at: Timestamp, calendar: &Calendar) -> Vec<Action> {
        Action::ALL
            .into_iter()
            .filter(|action| self.check(*action, at, calendar).is_ok())
            .collect()
    }

    /// Decisions and notices wait for the end of a documents suspension: the office records
    /// the documents or resumes the review first, so the log says when the term restarted.
    fn documents_guard(&self) -> Result<(), TransitionError> {
        match self.clock.documents() {
            Some(documents) if self.state == PraticaState::DocumentsRequested => {
                Err(TransitionError::SuspendedForDocuments {
                    resumes_by: documents.lapses_on(),
                })
            }
            _ => Ok(()),
        }
    }

    /// Once silence-assent has formed the office's power to refuse is spent (art. 20 c. 1,
    /// art. 2 c. 8-bis); only annulment in self-redress (art. 21-nonies) remains, outside this
    /// workflow.
    fn assent_guard(&self, today: Date, calendar: &Calendar) -> Result<(), TransitionError> {
        match self.silence_assent_formed(today, calendar) {
            Some(deadline) => Err(TransitionError::SilenceAssentFormed { deadline }),
            None => Ok(()),
        }
    }

    fn record(&mut self, at: Timestamp, action: Action, kind: EventKind) -> PraticaEvent {
        self.updated_at = at;
        PraticaEvent {
            at,
            by: action.actor(),
            kind,
            state: self.state,
        }
    }

    // --- Transitions ----------------------------------------------------------------------

    /// A clerk takes the request in charge and starts the review.
    pub fn take_charge(
        &mut self,
        at: Timestamp,
        clerk: UserId,
    ) -> Result<PraticaEvent, TransitionError> {
        self.check(Action::TakeCharge, at, &Calendar::national())?;
        self.state = PraticaState::InReview;
        self.assignee = Some(clerk);
        Ok(self.record(at, Action::TakeCharge, EventKind::TakenInCharge { clerk }))
    }

    /// Hands the request to another clerk; the state does not change.
    pub fn assign(
        &mut self,
        at: Timestamp,
        clerk: UserId,
    ) -> Result<PraticaEvent, TransitionError> {
        self.check(Action::Assign, at, &Calendar::national())?;
        self.assignee = Some(clerk);
        Ok(self.record(at, Action::Assign, EventKind::Assigned { clerk }))
    }

    /// Art. 2 c. 7: asks for documents and suspends the term, once, for 30 days at most.
    pub fn request_documents(
        &mut self,
        at: Timestamp,
        calendar: &Calendar,
        message: Statement,
    ) -> Result<PraticaEvent, TransitionError> {
        self.check(Action::RequestDocuments, at, calendar)?;
        let suspension = DocumentsSuspension {
            requested_on: local_date(at),
            resumed_on: None,
        };
        self.clock.set_documents(suspension);
        self.state = PraticaState::DocumentsRequested;
        let kind = EventKind::DocumentsRequested {
            message,
            resumes_by: suspension.lapses_on(),
        };
        Ok(self.record(at, Action::RequestDocuments, kind))
    }

    /// The citizen sent the documents: the term runs again (still capped at 30 days of
    /// suspension if they came late).
    pub fn receive_documents(
        &mut self,
        at: Timestamp,
        calendar: &Calendar,
        note: Option<Statement>,
    ) -> Result<PraticaEvent, TransitionError> {
        self.check(Action::ReceiveDocuments, at, calendar)?;
        self.end_documents_suspension(at);
        let deadline = self.clock.deadline(calendar);
        Ok(self.record(
            at,
            Action::ReceiveDocuments,
            EventKind::DocumentsReceived { note, deadline },
        ))
    }

    /// The office goes on without the documents: because the 30 days lapsed or because it no
    /// longer needs them. A scheduled job may do this at day 30 (record it as
    /// [`EventActor::System`] with [`PraticaEvent::with_actor`]).
    pub fn resume_review(
        &mut self,
        at: Timestamp,
        calendar: &Calendar,
    ) -> Result<PraticaEvent, TransitionError> {
        self.check(Action::ResumeReview, at, calendar)?;
        self.end_documents_suspension(at);
        let deadline = self.clock.deadline(calendar);
        Ok(self.record(
            at,
            Action::ResumeReview,
            EventKind::ReviewResumed { deadline },
        ))
    }

    fn end_documents_suspension(&mut self, at: Timestamp) {
        if let Some(documents) = self.clock.documents_mut() {
            documents.resumed_on = Some(local_date(at));
        }
        self.state = PraticaState::InReview;
    }

    /// Art. 10-bis: tells the applicant why the request is going to be refused; they have 10
    /// days to file observations, and the term is suspended meanwhile.
    pub fn notice_refusal(
        &mut self,
        at: Timestamp,
        calendar: &Calendar,
        reasons: Statement,
    ) -> Result<PraticaEvent, TransitionError> {
        self.check(Action::NoticeRefusal, at, calendar)?;
        let notice = RefusalNoticeSuspension::new(local_date(at), calendar);
        self.clock.set_refusal_notice(notice);
        self.state = PraticaState::RefusalNoticed;
        let kind = EventKind::RefusalNoticed {
            reasons,
            observations_by: notice.observations_by,
        };
        Ok(self.record(at, Action::NoticeRefusal, kind))
    }

    /// The applicant's observations on the notice of intended refusal (once, within 10 days):
    /// the term restarts 10 days later.
    pub fn file_observations(
        &mut self,
        at: Timestamp,
        text: Statement,
    ) -> Result<PraticaEvent, TransitionError> {
        self.check(Action::FileObservations, at, &Calendar::national())?;
        let mut term_resumes_after = local_date(at);
        if let Some(notice) = self.clock.refusal_notice_mut() {
            notice.observations_on = Some(term_resumes_after);
            term_resumes_after = notice.ends_on();
        }
        let kind = EventKind::ObservationsFiled {
            text,
            term_resumes_after,
        };
        Ok(self.record(at, Action::FileObservations, kind))
    }

    /// The office grants the request. `amount_due` is what the citizen must pay before the
    /// permit is issued (zero if nothing).
    pub fn approve(
        &mut self,
        at: Timestamp,
        note: Option<Statement>,
        amount_due: Cents,
    ) -> Result<PraticaEvent, TransitionError> {
        self.check(Action::Approve, at, &Calendar::national())?;
        if amount_due < Cents::ZERO {
            return Err(TransitionError::NegativeAmount { amount: amount_due });
        }
        self.decide(at, PraticaState::Approved, false, amount_due);
        let kind = EventKind::Approved { note, amount_due };
        Ok(self.record(at, Action::Approve, kind))
    }

    /// Art. 20: the term of a silence-assent procedure passed, with the pratica open and not
    /// suspended, without a refusal: the request is granted by law.
    pub fn grant_by_silence(
        &mut self,
        at: Timestamp,
        calendar: &Calendar,
        amount_due: Cents,
    ) -> Result<PraticaEvent, TransitionError> {
        self.check(Action::GrantBySilence, at, calendar)?;
        if amount_due < Cents::ZERO {
            return Err(TransitionError::NegativeAmount { amount: amount_due });
        }
        let deadline = self.clock.deadline(calendar);
        self.decide(at, PraticaState::Approved, true, amount_due);
        let kind = EventKind::ApprovedBySilence {
            deadline,
            amount_due,
        };
        Ok(self.record(at, Action::GrantBySilence, kind))
    }

    /// The office refuses the request, after the art. 10-bis notice, with a motivation (art. 3)
    /// and, if the applicant filed observations, the reasons they were not accepted.
    pub fn reject(
        &mut self,
        at: Timestamp,
        calendar: &Calendar,
        motivation: Statement,
        observations_rebuttal: Option<Statement>,
    ) -> Result<PraticaEvent, TransitionError> {
        self.check(Action::Reject, at, calendar)?;
        match (self.observations_filed(), &observations_rebuttal) {
            (true, None) => return Err(TransitionError::ObservationsNotAddressed),
            (false, Some(_)) => return Err(TransitionError::NoObservationsToAddress),
            _ => {}
        }
        self.decide(at, PraticaState::Rejected, false, Cents::ZERO);
        let kind = EventKind::Rejected {
            motivation,
            observations_rebuttal,
        };
        Ok(self.record(at, Action::Reject, kind))
    }

    fn decide(&mut self, at: Timestamp, state: PraticaState, by_silence: bool, amount: Cents) {
        self.state = state;
        self.decided_at = Some(at);
        self.by_silence = by_silence;
        self.amount_due = amount;
    }

    /// The payment notice for the amount due was sent to the citizen.
    pub fn request_payment(&mut self, at: Timestamp) -> Result<PraticaEvent, TransitionError> {
        self.check(Action::RequestPayment, at, &Calendar::national())?;
        self.state = PraticaState::AwaitingPayment;
        let kind = EventKind::PaymentRequested {
            amount: self.amount_due,
        };
        Ok(self.record(at, Action::RequestPayment, kind))
    }

    /// The payment receipt arrived.
    pub fn record_payment(&mut self, at: Timestamp) -> Result<PraticaEvent, TransitionError> {
        self.check(Action::RecordPayment, at, &Calendar::national())?;
        self.state = PraticaState::PaymentReceived;
        self.paid_at = Some(at);
        let kind = EventKind::PaymentReceived {
            amount: self.amount_due,
        };
        Ok(self.record(at, Action::RecordPayment, kind))
    }

    /// Issues the permit: after approval when nothing is owed, after the payment otherwise.
    pub fn issue_permit(
        &mut self,
        at: Timestamp,
        validity: PermitValidity,
    ) -> Result<PraticaEvent, TransitionError> {
        self.check(Action::IssuePermit, at, &Calendar::national())?;
        self.state = PraticaState::PermitIssued;
        self.permit = Some(validity);
        Ok(self.record(
            at,
            Action::IssuePermit,
            EventKind::PermitIssued { validity },
        ))
    }

    /// The permit's last day of validity has passed.
    pub fn expire(&mut self, at: Timestamp) -> Result<PraticaEvent, TransitionError> {
        self.check(Action::Expire, at, &Calendar::national())?;
        self.state = PraticaState::Expired;
        let valid_until = self.permit.map_or(local_date(at), |permit| permit.until());
        Ok(self.record(at, Action::Expire, EventKind::Expired { valid_until }))
    }

    /// Withdraws the permit, with the motivation (art. 21-quinquies).
    pub fn revoke(
        &mut self,
        at: Timestamp,
        motivation: Statement,
    ) -> Result<PraticaEvent, TransitionError> {
        self.check(Action::Revoke, at, &Calendar::national())?;
        self.state = PraticaState::Revoked;
        Ok(self.record(at, Action::Revoke, EventKind::Revoked { motivation }))
    }

    /// The renewal pratica `renewal` got its permit: this one is superseded.
    pub fn mark_renewed(
        &mut self,
        at: Timestamp,
        renewal: Uuid,
    ) -> Result<PraticaEvent, TransitionError> {
        self.check(Action::MarkRenewed, at, &Calendar::national())?;
        self.state = PraticaState::Renewed;
        self.renewed_by = Some(renewal);
        Ok(self.record(at, Action::MarkRenewed, EventKind::Renewed { renewal }))
    }

    /// The citizen withdraws the request while it awaits a decision.
    pub fn withdraw(
        &mut self,
        at: Timestamp,
        reason: Option<Statement>,
    ) -> Result<PraticaEvent, TransitionError> {
        self.check(Action::Withdraw, at, &Calendar::national())?;
        self.state = PraticaState::Withdrawn;
        Ok(self.record(at, Action::Withdraw, EventKind::Withdrawn { reason }))
    }
}
