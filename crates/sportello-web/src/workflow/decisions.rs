//! The office's steps on a pratica: taking it in charge, asking for documents, the notice of
//! intended refusal (L. 241/1990 art. 10-bis), approving (with the payment it makes due),
//! rejecting, recording a payment made at the counter, issuing the permit with its signed
//! verification code, revoking. Each step is the domain's decision, stored in one transaction
//! with its event, its audit entry and its outbox messages.

use super::notify::{self, PraticaNotice};
use super::payments::{self, LineKind, PaymentLine, PaymentRequest, Purpose};
use crate::documents::Documents;
use crate::requests::pratiche::letterhead;
use crate::{AppState, WebError};
use sportello_documents::{
    Decision, DecisionKind, Permit, Person, ProtocolStamp, Row, Signatory, VerificationCode,
};
use sportello_domain::assessment::Assessment;
use sportello_domain::calendar;
use sportello_domain::pratica::{
    Action, EventKind, PermitValidity, Pratica, Statement, TransitionError,
};
use sportello_domain::procedure::Procedure;
use sportello_domain::protocol::ProtocolNumber;
use sportello_domain::text::LocalizedText;
use sportello_domain::{Cents, Lang, Tenant, UserId};
use sportello_store::attachments::AttachmentSelection;
use sportello_store::protocol::{Correspondent, Direction, NewProtocolEntry};
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

/// Applies the clerk's step to the pratica as they saw it (`seen_version`), and tells the
/// citizen in the same transaction when the step is one they must hear of. `Err` inside
/// carries what to tell the clerk: the domain's refusal, a missing text, a conflict with a
/// colleague's step.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn act(
    state: &AppState,
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
    let store = state.store();
    let scope = store.scoped(tenant.id);
    let calendar = &tenant.profile.calendar;
    let now = jiff::Timestamp::now();
    let today = calendar::local_date(now);
    let procedure = scope
        .procedure_version(pratica.service_slug.as_str(), pratica.service_version)
        .await?
        .ok_or_else(|| StoreError::Invalid("the pratica's procedure version is gone".into()))?
        .procedure;
    // A service since dropped from the catalogue still has pratiche to decide: its slug
    // names it then.
    let service_title = scope
        .service(pratica.service_slug.as_str())
        .await?
        .map_or_else(
            || LocalizedText {
                it: pratica.service_slug.to_string(),
                en: None,
            },
            |s| s.title,
        );
    let lang = notify::recipient_lang(&scope, pratica.applicant_user).await?;

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

    if let Some((notice, date)) = notify::for_step(&event.kind) {
        notify::pratica_event(
            &mut tx,
            tenant,
            state.0.config.public_url.as_deref(),
            lang,
            &PraticaNotice {
                event: notice,
                pratica: &stored,
                procedure: &procedure,
                service_title: &service_title,
                date,
                step: notify::step_of(notice, stored.version),
            },
        )
        .await?;
    }

    // A letter to the citizen (documents request, 10-bis notice, refusal) is an outgoing
    // document of the comune: it takes its own protocol number (DPR 445/2000 art. 53), in
    // the same transaction as the step it announces.
    if let Some(kind) = event_letter(&event.kind) {
        let applicant = &pratica.applicant;
        scope
            .register_protocol(
                &mut tx,
                &NewProtocolEntry {
                    direction: Direction::Outgoing,
                    correspondent: Correspondent {
                        name: format!("{} {}", applicant.given_name, applicant.family_name),
                        fiscal_code: Some(applicant.fiscal_code.clone()),
                    },
                    subject: letter_subject(kind, &pratica.protocol),
                    pratica: Some(pratica.id),
                    attachments: Vec::new(),
                },
                actor,
            )
            .await?;
    }

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

    // Paid at the counter: the pagoPA notice must not be paid a second time.
    if action == ClerkAction::RecordPayment {
        payments::settle(
            &mut tx,
            tenant.id,
            pratica.id,
            Purpose::Decision,
            sportello_pagopa::delivery::Settlement::PaidElsewhere { at: now },
        )
        .await?;
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

/// Hands the pratica to a clerk of its office (the one acting, or a colleague), as seen at
/// `seen_version`. Whether `assignee` belongs to the office is the caller's check: the
/// domain only knows users.
pub(crate) async fn assign(
    store: &Store,
    tenant: &Tenant,
    pratica: &StoredPratica,
    seen_version: u64,
    assignee: UserId,
    actor: &Actor,
) -> Result<Result<StoredPratica, LocalizedText>, StoreError> {
    if pratica.version != seen_version {
        return Ok(Err(conflict()));
    }
    let outcome = store
        .scoped(tenant.id)
        .transition(
            pratica.id,
            seen_version,
            None,
            &tenant.profile.calendar,
            actor,
            |p| p.assign(jiff::Timestamp::now(), assignee),
        )
        .await;
    match outcome {
        Ok(Ok(stored)) => Ok(Ok(stored)),
        Ok(Err(error)) => Ok(Err(error.message())),
        Err(StoreError::Conflict(_)) => Ok(Err(conflict())),
        Err(error) => Err(error),
    }
}

/// The letter an event of the office sends the citizen, if it sends one.
pub(crate) fn event_letter(kind: &EventKind) -> Option<DecisionKind> {
    match kind {
        EventKind::DocumentsRequested { .. } => Some(DecisionKind::DocumentsRequest),
        EventKind::RefusalNoticed { .. } => Some(DecisionKind::IntendedRefusal),
        EventKind::Rejected { .. } => Some(DecisionKind::Rejection),
        _ => None,
    }
}

/// The *oggetto* of a letter's protocol entry. Each kind of letter goes out at most once
/// per pratica (the domain allows one documents request, one notice, one refusal), so the
/// subject and the pratica find the entry again.
fn letter_subject(kind: DecisionKind, request: &ProtocolNumber) -> String {
    let what = match kind {
        DecisionKind::DocumentsRequest => "Richiesta di integrazione documentale",
        DecisionKind::IntendedRefusal => {
            "Comunicazione dei motivi ostativi all'accoglimento (art. 10-bis L. 241/1990)"
        }
        DecisionKind::Rejection => "Provvedimento di diniego",
    };
    format!("{what} – istanza prot. {request}")
}

/// Where a comune's pages are reached from outside: its own domain, else the platform's
/// public address (or, without one, the site root) followed by its slug. Printed on
/// documents, which leave the browser.
fn tenant_address(state: &AppState, tenant: &Tenant) -> String {
    match state.0.config.public_url.as_deref() {
        Some(url) => crate::auth::tenant_base_url(url, tenant),
        // Without a public address (tests, a misconfigured install) links stay relative.
        None => format!("/{}", tenant.slug),
    }
}

/// What the permit shows besides holder and dates, from the assessment made at filing. The
/// disabled badge's lines carry no health data by construction.
pub(crate) fn permit_rows(pratica: &StoredPratica, lang: Lang) -> Vec<Row> {
    stored_assessment(pratica)
        .map(|a| {
            a.permit
                .lines
                .iter()
                .map(|line| Row::new(line.label.get(lang), line.value.get(lang)))
                .collect()
        })
        .unwrap_or_default()
}

fn stored_assessment(pratica: &StoredPratica) -> Option<Assessment> {
    pratica
        .assessment
        .clone()
        .and_then(|value| serde_json::from_value(value).ok())
}

/// The office's name and who signs for it: its manager, or the office itself when the comune
/// file names none.
async fn office_and_signatory(
    state: &AppState,
    tenant: &Tenant,
    pratica: &StoredPratica,
    lang: Lang,
) -> Result<(String, Signatory), WebError> {
    let office = state
        .store()
        .scoped(tenant.id)
        .office(&pratica.office)
        .await?;
    let name = office
        .as_ref()
        .map_or_else(|| pratica.office.clone(), |o| o.name.get(lang).to_owned());
    let signatory = Signatory {
        name: office
            .and_then(|o| o.manager)
            .unwrap_or_else(|| name.clone()),
        role: None,
    };
    Ok((name, signatory))
}

fn holder(pratica: &StoredPratica) -> String {
    format!(
        "{} {}",
        pratica.applicant.given_name, pratica.applicant.family_name
    )
}

/// The permit of an issued pratica as an A4 PDF, with the QR code of its public
/// verification page. `NotFound` when no permit was issued.
pub(crate) async fn permit_pdf(
    state: &AppState,
    tenant: &Tenant,
    pratica: &StoredPratica,
    lang: Lang,
) -> Result<Vec<u8>, WebError> {
    let (Some(code), Some(validity)) = (&pratica.permit_code, pratica.pratica.permit()) else {
        return Err(WebError::NotFound);
    };
    let service = state
        .store()
        .scoped(tenant.id)
        .service(pratica.service_slug.as_str())
        .await?
        .ok_or(WebError::NotFound)?;
    let (office, signatory) = office_and_signatory(state, tenant, pratica, lang).await?;
    let permit = Permit {
        lang,
        comune: letterhead(tenant),
        title: service.title.get(lang).to_owned(),
        number: pratica.protocol.to_string(),
        protocol: ProtocolStamp {
            number: pratica.protocol.to_string(),
            registered_at: pratica
                .pratica
                .decided_at()
                .unwrap_or(pratica.pratica.submitted_at()),
        },
        holder: holder(pratica),
        rows: permit_rows(pratica, lang),
        valid_from: validity.from(),
        valid_until: Some(validity.until()),
        office,
        signatory,
        verification_url: format!("{}/verifica/{code}", tenant_address(state, tenant)),
        notes: Vec::new(),
    };
    sportello_documents::render_permit(&permit).map_err(|error| {
        tracing::error!(%error, "the permit did not render");
        WebError::Internal("permit rendering")
    })
}

/// The letter sent with the event `seq` of the pratica's history (a documents request, a
/// 10-bis notice, a refusal) as an A4 PDF, under the protocol number it went out with.
/// `NotFound` for any other event.
pub(crate) async fn decision_pdf(
    state: &AppState,
    tenant: &Tenant,
    pratica: &StoredPratica,
    seq: u64,
    lang: Lang,
) -> Result<Vec<u8>, WebError> {
    let scope = state.store().scoped(tenant.id);
    let event = scope
        .pratica_events(pratica.id)
        .await?
        .into_iter()
        .find(|e| e.seq == seq)
        .ok_or(WebError::NotFound)?
        .event;
    let kind = event_letter(&event.kind).ok_or(WebError::NotFound)?;
    let subject = letter_subject(kind, &pratica.protocol);
    // The entry was registered in the step's transaction, a moment after the event's
    // instant: on its day, or just past midnight on the next.
    let day = calendar::local_date(event.at);
    let mut entry = None;
    for day in [Some(day), day.tomorrow().ok()].into_iter().flatten() {
        entry = scope
            .protocol_register_of_day(day)
            .await?
            .into_iter()
            .find(|e| {
                e.direction == Direction::Outgoing
                    && e.pratica == Some(pratica.id)
                    && e.subject == subject
            });
        if entry.is_some() {
            break;
        }
    }
    let entry = entry.ok_or(WebError::NotFound)?;
    let request_registered_at = scope
        .protocol_entry(pratica.protocol)
        .await?
        .map_or(pratica.pratica.submitted_at(), |e| e.registered_at);
    let (body, reply_by) = match &event.kind {
        EventKind::DocumentsRequested {
            message,
            resumes_by,
        } => (paragraphs(message), Some(*resumes_by)),
        EventKind::RefusalNoticed {
            reasons,
            observations_by,
        } => (paragraphs(reasons), Some(*observations_by)),
        EventKind::Rejected {
            motivation,
            observations_rebuttal,
        } => {
            let mut body = paragraphs(motivation);
            if let Some(rebuttal) = observations_rebuttal {
                body.push(
                    match lang {
                        Lang::It => "Sulle osservazioni presentate:",
                        Lang::En => "On the observations submitted:",
                    }
                    .to_owned(),
                );
                body.extend(paragraphs(rebuttal));
            }
            (body, None)
        }
        _ => return Err(WebError::NotFound),
    };
    let service = scope
        .service(pratica.service_slug.as_str())
        .await?
        .map_or_else(
            || pratica.service_slug.to_string(),
            |s| s.title.get(lang).to_owned(),
        );
    let (office, signatory) = office_and_signatory(state, tenant, pratica, lang).await?;
    let decision = Decision {
        lang,
        comune: letterhead(tenant),
        kind,
        protocol: ProtocolStamp {
            number: entry.number.to_string(),
            registered_at: entry.registered_at,
        },
        request_protocol: ProtocolStamp {
            number: pratica.protocol.to_string(),
            registered_at: request_registered_at,
        },
        recipient: Person {
            name: holder(pratica),
            codice_fiscale: pratica.applicant.fiscal_code.to_string(),
        },
        service,
        body,
        reply_by,
        follow_url: format!(
            "{}/area-personale/pratiche/{}",
            tenant_address(state, tenant),
            pratica.id
        ),
        office,
        signatory,
    };
    sportello_documents::render_decision(&decision).map_err(|error| {
        tracing::error!(%error, "the decision letter did not render");
        WebError::Internal("decision rendering")
    })
}

fn paragraphs(text: &Statement) -> Vec<String> {
    text.as_str()
        .split("\n\n")
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect()
}

/// The events of a pratica that sent a letter, by `seq`: what the history links to.
pub(crate) fn letters(events: &[sportello_store::StoredEvent]) -> Vec<u64> {
    events
        .iter()
        .filter(|e| event_letter(&e.event.kind).is_some())
        .map(|e| e.seq)
        .collect()
}
