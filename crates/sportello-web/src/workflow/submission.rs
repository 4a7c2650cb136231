//! Filing a request: a draft, checked once more in full, becomes a pratica with its protocol
//! number in one transaction, together with the payment request for the stamp duty on the
//! application (L. 241/1990 art. 18-bis: the receipt is immediate, so everything it states is
//! decided here).

use super::notify::{self, PraticaNotice};
use super::payments::{self, LineKind, PaymentLine, PaymentRequest, Purpose};
use crate::AppState;
use sportello_domain::assessment::{self, Assessment};
use sportello_domain::calendar::{self, Calendar};
use sportello_domain::form::{FieldError, ValidationContext};
use sportello_domain::notification::Event;
use sportello_domain::pratica::{Pratica, TermStatus};
use sportello_domain::procedure::Procedure;
use sportello_domain::{Service, Tenant, UserId};
use sportello_store::attachments::Attachment;
use sportello_store::{Actor, Draft, DraftId, StoreError, Submission, Submitted, TenantScope};

/// Why a draft cannot be filed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SubmitError {
    #[error("no such draft")]
    NotFound,
    /// Answers or attachments need fixing: each problem next to its field.
    #[error("{} answer(s) to fix", .0.len())]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A draft with the procedure version it follows.
pub(crate) struct OpenDraft {
    pub draft: Draft,
    pub procedure: Procedure,
}

/// The owner's draft and its procedure, or `None` when it is not theirs or does not exist.
pub(crate) async fn open_draft(
    scope: &TenantScope<'_>,
    id: DraftId,
    owner: UserId,
) -> Result<Option<OpenDraft>, StoreError> {
    let Some(draft) = scope.draft(id, owner).await? else {
        return Ok(None);
    };
    let Some(version) = scope
        .procedure_version(draft.service_slug.as_str(), draft.service_version)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(OpenDraft {
        draft,
        procedure: version.procedure,
    }))
}

/// Everything that is wrong with a draft before filing it: the form, the attachments and
/// the rules of its kind. An empty list means it can be filed.
pub(crate) fn check(
    open: &OpenDraft,
    attachments: &[Attachment],
    tenant: &Tenant,
    today: jiff::civil::Date,
) -> Result<Assessment, Vec<FieldError>> {
    let rules = &tenant.profile.rules;
    let procedure = &open.procedure;
    let answers = procedure.form.normalise(&open.draft.answers);
    let context = ValidationContext { today, rules };
    let mut errors = procedure.form.validate_all(&answers, &context);
    errors.extend(procedure.validate_attachments(&answers, |spec| {
        attachments.iter().filter(|a| a.spec_id == spec).count()
    }));
    if !errors.is_empty() {
        return Err(errors);
    }
    assessment::assess(procedure.kind, &answers, rules, today)
}

/// Files the draft and tells the citizen it was received (in the same transaction). A second
/// call for the same draft (a double click) finds it gone and answers `NotFound`: the store
/// locks the draft for the first.
pub(crate) async fn submit(
    state: &AppState,
    tenant: &Tenant,
    service: &Service,
    draft: DraftId,
    owner: UserId,
    actor: &Actor,
) -> Result<Submitted, SubmitError> {
    let store = state.store();
    let scope = &store.scoped(tenant.id);
    let open = open_draft(scope, draft, owner)
        .await?
        .ok_or(SubmitError::NotFound)?;
    let attachments = scope.draft_attachments(draft, owner).await?;
    let calendar: &Calendar = &tenant.profile.calendar;
    let today = calendar::local_date(jiff::Timestamp::now());
    let assessment = check(&open, &attachments, tenant, today).map_err(SubmitError::Invalid)?;
    let procedure = &open.procedure;
    let answers = procedure.form.normalise(&open.draft.answers);
    // What the receipt states is frozen with the pratica: the normalised answers are saved
    // back first, so the pratica holds exactly what was checked.
    scope
        .save_draft(draft, owner, &answers, open.draft.step.as_deref())
        .await?;
    let term = procedure.term_for(&answers);
    let silence = procedure.silence;
    let stamp = procedure.stamp_duty_due(&answers);
    let submission = Submission {
        subject: format!("Richiesta: {}", service.title.it),
        office: procedure.deciding_office(&service.office).to_string(),
        assessment: serde_json::to_value(&assessment).ok(),
    };
    let renews = renewed_permit(scope, &open, owner, &answers).await?;
    let mut tx = store.begin().await?;
    let submitted = scope
        .submit_draft(
            &mut tx,
            draft,
            owner,
            &submission,
            calendar,
            actor,
            |_, at| match renews {
                Some(previous) => Pratica::submit_renewal(term, silence, at, calendar, previous),
                None => Pratica::submit(term, silence, at, calendar),
            },
        )
        .await?;
    if stamp.on_request > sportello_domain::Cents::ZERO {
        let applicant = &submitted.pratica.applicant;
        let request = PaymentRequest {
            pratica: submitted.pratica.id,
            protocol: submitted.pratica.protocol.to_string(),
            purpose: Purpose::Submission,
            debtor_fiscal_code: applicant.fiscal_code.clone(),
            debtor_name: format!("{} {}", applicant.given_name, applicant.family_name),
            reason: format!(
                "Imposta di bollo sulla richiesta prot. {}",
                submitted.pratica.protocol
            ),
            lines: vec![PaymentLine {
                kind: LineKind::StampDuty,
                description: "Imposta di bollo sull'istanza (DPR 642/1972)".to_owned(),
                amount: stamp.on_request,
            }],
        };
        payments::request_payment(&mut tx, scope.tenant_id(), &request).await?;
    }
    let lang = notify::recipient_lang(scope, submitted.pratica.applicant_user).await?;
    notify::pratica_event(
        &mut tx,
        tenant,
        state.0.config.public_url.as_deref(),
        lang,
        &received_notice(&submitted.pratica, procedure, service, calendar),
    )
    .await?;
    tx.commit().await?;
    Ok(submitted)
}

/// "Request received", with the latest date for an answer (C.SE.1.10).
pub(crate) fn received_notice<'a>(
    pratica: &'a sportello_store::StoredPratica,
    procedure: &'a Procedure,
    service: &'a Service,
    calendar: &Calendar,
) -> PraticaNotice<'a> {
    let date = match pratica.pratica.deadline(calendar) {
        TermStatus::Running { deadline } => Some(deadline),
        TermStatus::Suspended {
            deadline_if_resumed_then,
            ..
        } => Some(deadline_if_resumed_then),
        TermStatus::Closed => pratica.deadline,
    };
    PraticaNotice {
        event: Event::RequestReceived,
        pratica,
        procedure,
        service_title: &service.title,
        date,
        step: None,
    }
}

/// The permit a renewal request renews: with `request_type = renewal`, the applicant's most
/// recent permit of the same service still in force. When the new permit is issued it marks
/// the old one as renewed (superseded).
async fn renewed_permit(
    scope: &TenantScope<'_>,
    open: &OpenDraft,
    owner: UserId,
    answers: &sportello_domain::form::Answers,
) -> Result<Option<uuid::Uuid>, StoreError> {
    if answers.get("request_type") != Some("renewal") {
        return Ok(None);
    }
    let fiscal_code = match &open.draft.on_behalf_of {
        Some(applicant) => applicant.fiscal_code.clone(),
        None => match scope.user(owner).await? {
            Some(user) => user.fiscal_code,
            None => return Ok(None),
        },
    };
    let mut permits: Vec<_> = scope
        .pratiche_of(&fiscal_code)
        .await?
        .into_iter()
        .filter(|p| {
            p.service_slug == open.draft.service_slug
                && p.state() == sportello_domain::pratica::PraticaState::PermitIssued
        })
        .collect();
    permits.sort_by_key(|p| p.pratica.submitted_at());
    Ok(permits.last().map(|p| p.id))
}
