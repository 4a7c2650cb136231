//! The office's steps on a pratica: taking it in charge, asking for documents, the notice of
//! intended refusal (L. 241/1990 art. 10-bis), approving (with the payment it makes due),
//! rejecting, recording a payment made at the counter, issuing the permit with its signed
//! verification code, revoking. Each step is the domain's decision, stored in one transaction
//! with its event, its audit entry and its outbox messages.

use super::payments::{self, LineKind, PaymentLine, PaymentRequest, Purpose};
use crate::documents::Documents;
use sportello_documents::VerificationCode;
use sportello_domain::assessment::Assessment;
use sportello_domain::calendar;
use sportello_domain::pratica::{Action, PermitValidity, Pratica, Statement, TransitionError};
use sportello_domain::procedure::Procedure;
use sportello_domain::text::LocalizedText;
use sportello_domain::{Cents, Tenant, UserId};
use sportello_store::attachments::AttachmentSelection;
use sportello_store::{Actor, Store, StoreError, StoredPratica};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClerkAction {
    TakeCharge,
    RequestDocuments,
    ResumeReview,
    NoticeRefusal,
    Approve,
    Reject,
    RecordPayment,
    IssuePermit,
    Revoke,
}

impl ClerkAction {
    pub const ALL: [ClerkAction; 9] = [
        ClerkAction::TakeCharge,
        ClerkAction::RequestDocuments,
        ClerkAction::ResumeReview,
        ClerkAction::NoticeRefusal,
        ClerkAction::Approve,
        ClerkAction::Reject,
        ClerkAction::RecordPayment,
        ClerkAction::IssuePermit,
        ClerkAction::Revoke,
    ];

    pub fn action(self) -> Action {
        match self {
            ClerkAction::TakeCharge => Action::TakeCharge,
            ClerkAction::RequestDocuments => Action::RequestDocuments,
            ClerkAction::ResumeReview => Action::ResumeReview,
            ClerkAction::NoticeRefusal => Action::NoticeRefusal,
            ClerkAction::Approve => Action::Approve,
            ClerkAction::Reject => Action::Reject,
            ClerkAction::RecordPayment => Action::RecordPayment,
            ClerkAction::IssuePermit => Action::IssuePermit,
            ClerkAction::Revoke => Action::Revoke,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            ClerkAction::TakeCharge => "take-charge",
            ClerkAction::RequestDocuments => "request-documents",
            ClerkAction::ResumeReview => "resume-review",
            ClerkAction::NoticeRefusal => "notice-refusal",
            ClerkAction::Approve => "approve",
            ClerkAction::Reject => "reject",
            ClerkAction::RecordPayment => "record-payment",
            ClerkAction::IssuePermit => "issue-permit",
            ClerkAction::Revoke => "revoke",
        }
    }

    pub fn from_key(key: &str) -> Option<ClerkAction> {
        Self::ALL.into_iter().find(|a| a.key() == key)
    }

    /// Whether the step needs a text: the message, the reasons, the motivation.
    pub fn needs_text(self) -> bool {
        matches!(
            self,
            ClerkAction::RequestDocuments
                | ClerkAction::NoticeRefusal
                | ClerkAction::Reject
                | ClerkAction::Revoke
        )
    }

    /// Whether the step takes a text at all (required or not).
    pub fn takes_text(self) -> bool {
        self.needs_text() || self == ClerkAction::Approve
    }
}

/// What the clerk wrote with the step.
#[derive(Debug, Clone, Default)]
pub(crate) struct ClerkInput {
    pub text: String,
    /// After a 10-bis notice with observations: why they were not accepted.
    pub rebuttal: String,
}

fn say(it: &str, en: &str) -> LocalizedText {
    LocalizedText {
        it: it.to_owned(),
        en: Some(en.to_owned()),
    }
}

/// The amount the citizen owes once the request is approved: the fee as assessed at filing
/// and the stamp duty on the permit.
pub(crate) fn amount_due_on_approval(
    pratica: &StoredPratica,
    procedure: &Procedure,
) -> (Cents, Vec<PaymentLine>) {
    let mut lines = Vec::new();
    let assessment: Option<Assessment> = pratica
        .assessment
        .clone()
        .and_then(|value| serde_json::from_value(value).ok());
    if let Some(fee) = assessment
        .as_ref()
        .map(|a| a.fee_total)
        .filter(|f| *f > Cents::ZERO)
    {
        lines.push(PaymentLine {
            kind: LineKind::Fee,
            description: "Canone o diritti dovuti per l'autorizzazione".to_owned(),
            amount: fee,
        });
    }
    if let Some(fee) = procedure.fixed_fee.filter(|f| *f > Cents::ZERO) {
        lines.push(PaymentLine {
            kind: LineKind::Fee,
            description: "Diritti di istruttoria".to_owned(),
            amount: fee,
        });
    }
    let stamp = procedure.stamp_duty_due(&pratica.answers).on_permit;
    if stamp > Cents::ZERO {
        lines.push(PaymentLine {
            kind: LineKind::StampDuty,
            description: "Imposta di bollo sull'autorizzazione (DPR 642/1972)".to_owned(),
            amount: stamp,
        });
    }
    let total = lines.iter().fold(Cents::ZERO, |sum, l| {
        sum.checked_add(l.amount).unwrap_or(sum)
    });
    (total, lines)
}

/// The permit's validity: as assessed for the built-in kinds, or by the procedure's rule.
fn permit_validity(
    pratica: &StoredPratica,
    procedure: &Procedure,
    today: jiff::civil::Date,
) -> Option<PermitValidity> {
    let assessed: Option<Assessment> = pratica
        .assessment
        .clone()
        .and_then(|value| serde_json::from_value(value).ok());
    let from_spec = || {
        procedure
            .permit
            .as_ref()
            .and_then(|spec| spec.period(&procedure.form, &pratica.answers, today))
    };
    let (from, until) = match assessed.map(|a| a.permit) {
        Some(terms) => match terms.valid_until {
            Some(until) => (terms.valid_from.max(today), until),
            None => from_spec()?,
        },
        None => from_spec()?,
    };
    PermitValidity::new(from, until.max(from)).ok()
}

/// Applies the clerk's step to the pratica as they saw it (`seen_version`). `Err` inside
/// carries what to tell the clerk: the domain's refusal, a missing text, a conflict with a
/// colleague's step.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn act(
    store: &Store,
    documents: &Documents,
    tenant: &Tenant,
    pratica: &StoredPratica,
    seen_version: u64,
    action: ClerkAction,
    input: &ClerkInput,
    clerk: UserId,
    actor: &Actor,
) -> Result<Result<StoredPratica, LocalizedText>, StoreError> {
    let text = match Statement::parse_optional(&input.text) {
        Ok(text) => text,
        Err(error) => return Ok(Err(error.message())),
    };
    if action.needs_text() && text.is_none() {
        return Ok(Err(say(
            "Scrivi il testo richiesto per questa azione.",
            "Write the text this step needs.",
        )));
    }
    let rebuttal = match Statement::parse_optional(&input.rebuttal) {
        Ok(rebuttal) => rebuttal,
        Err(error) => return Ok(Err(error.message())),
    };
    if pratica.version != seen_version {
        return Ok(Err(conflict()));
    }
    let scope = store.scoped(tenant.id);
    let calendar = &tenant.profile.calendar;
    let now = jiff::Timestamp::now();
    let today = calendar::local_date(now);
    let procedure = scope
        .procedure_version(pratica.service_slug.as_str(), pratica.service_version)
        .await?
        .ok_or_else(|| StoreError::Invalid("the pratica's procedure version is gone".into()))?
        .procedure;

    let mut working: Pratica = pratica.pratica.clone();
    let mut tx = store.begin().await?;
    let mut version = seen_version;
    let mut permit_code = None;
    let refused = |e: TransitionError| Ok(Err(e.message()));
    let event = match action {
        ClerkAction::TakeCharge => working.take_charge(now, clerk),
        ClerkAction::RequestDocuments => match text {
            Some(message) => working.request_documents(now, calendar, message),
            None => return Ok(Err(conflict())),
        },
        ClerkAction::ResumeReview => working.resume_review(now, calendar),
        ClerkAction::NoticeRefusal => match text {
            Some(reasons) => working.notice_refusal(now, calendar, reasons),
            None => return Ok(Err(conflict())),
        },
        ClerkAction::Approve => {
            let (amount, _) = amount_due_on_approval(pratica, &procedure);
            working.approve(now, text, amount)
        }
        ClerkAction::Reject => match text {
            Some(motivation) => working.reject(now, calendar, motivation, rebuttal),
            None => return Ok(Err(conflict())),
        },
        ClerkAction::RecordPayment => working.record_payment(now),
        ClerkAction::IssuePermit => match permit_validity(pratica, &procedure, today) {
            Some(validity) => {
                permit_code = Some(VerificationCode::issue(&documents.verification, pratica.id));
                working.issue_permit(now, validity)
            }
            None => {
                return Ok(Err(say(
                    "Questa pratica non ha una validità da assegnare al permesso.",
                    "This pratica has no validity to give a permit.",
                )));
            }
        },
        ClerkAction::Revoke => match text {
            Some(motivation) => working.revoke(now, motivation),
            None => return Ok(Err(conflict())),
        },
    };
    let event = match event {
        Ok(event) => event,
        Err(error) => return refused(error),
    };
    let stored = match scope
        .apply_transition(
            &mut tx,
            pratica.id,
            version,
            &working,
            &event,
            permit_code.as_deref(),
            calendar,
            actor,
        )
        .await
    {
        Ok(stored) => stored,
        Err(StoreError::Conflict(_)) => return Ok(Err(conflict())),
        Err(error) => return Err(error),
    };
    version += 1;
    let mut stored = stored;

    // An approval that makes money due asks for the payment at once, in the same
    // transaction: the citizen is never told "approved" without being told what to pay.
    if action == ClerkAction::Approve {
        let (amount, lines) = amount_due_on_approval(pratica, &procedure);
        if amount > Cents::ZERO {
            let event = match working.request_payment(now) {
                Ok(event) => event,
                Err(error) => return refused(error),
            };
            stored = scope
                .apply_transition(
                    &mut tx, pratica.id, version, &working, &event, None, calendar, actor,
                )
                .await?;
            let applicant = &pratica.applicant;
            payments::request_payment(
                &mut tx,
                tenant.id,
                &PaymentRequest {
                    pratica: pratica.id,
                    protocol: pratica.protocol.to_string(),
                    purpose: Purpose::Decision,
                    debtor_fiscal_code: applicant.fiscal_code.clone(),
                    debtor_name: format!("{} {}", applicant.given_name, applicant.family_name),
                    reason: format!("Autorizzazione prot. {}", pratica.protocol),
                    lines,
                },
            )
            .await?;
        }
    }

    // A decided pratica keeps special-category data only as long as the procedure says.
    let decided = matches!(action, ClerkAction::IssuePermit | ClerkAction::Reject);
    let retention = procedure
        .attachments
        .iter()
        .filter(|a| a.sensitive)
        .filter_map(|a| a.retention_days)
        .max();
    if let (true, Some(days)) = (decided, retention) {
        let after = now
            .checked_add(jiff::SignedDuration::from_hours(24 * i64::from(days)))
            .unwrap_or(now);
        scope
            .schedule_attachment_deletion(
                &mut tx,
                pratica.id,
                AttachmentSelection::Sensitive,
                after,
            )
            .await?;
    }

    // A renewal's permit supersedes the one it renews.
    let renewed = match (action, working.renews()) {
        (ClerkAction::IssuePermit, Some(previous)) => scope.pratica(previous).await?,
        _ => None,
    };
    if let Some(old) = renewed {
        let mut old_pratica = old.pratica.clone();
        if let Ok(event) = old_pratica.mark_renewed(now, pratica.id) {
            scope
                .apply_transition(
                    &mut tx,
                    old.id,
                    old.version,
                    &old_pratica,
                    &event,
                    None,
                    calendar,
                    &Actor::system(),
                )
                .await?;
        }
    }
    tx.commit().await?;
    Ok(Ok(stored))
}

fn conflict() -> LocalizedText {
    say(
        "La pratica è stata modificata da un altro operatore: ricarica la pagina e riprova.",
        "Another clerk changed this pratica: reload the page and try again.",
    )
}
