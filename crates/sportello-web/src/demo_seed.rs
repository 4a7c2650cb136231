//! Requests for the demo comuni, in every state a back office meets: filed by the demo
//! citizens through the same use cases as the portal (drafts, attachments, the checks and
//! assessment of the submission, the office's steps), so a newcomer opening `/ufficio/` finds
//! a living queue. Only for the demo: `sportello demo` calls it on a comune that has no
//! requests yet.
//!
//! Requests are back-dated (the pratica's clock starts days or months ago) so that remaining
//! days, overdue flags and expired permits look as they do in a real office. The protocol
//! register's instants stay the system's (DPR 445/2000 art. 53): only the pratica's clock is
//! moved. The office's later steps happen now, except for the two permits whose whole story
//! lies in the past (one expired, one renewed), which are built step by step with past times.

use crate::workflow::citizen::{self, CitizenAction};
use crate::workflow::decisions::{self, ClerkAction, ClerkInput};
use crate::workflow::notify;
use crate::workflow::payments::{self, LineKind, PaymentLine, PaymentRequest, Purpose};
use crate::workflow::submission;
use crate::{AppState, WebError};
use jiff::{SignedDuration, Timestamp};
use sportello_documents::VerificationCode;
use sportello_domain::calendar;
use sportello_domain::form::{
    Answers, ChoiceOptions, Field, FieldKind, FormSchema, ValidationContext,
};
use sportello_domain::local_rules::LocalRules;
use sportello_domain::pratica::{
    PermitValidity, Pratica, PraticaEvent, PraticaState, TransitionError,
};
use sportello_domain::procedure::Procedure;
use sportello_domain::{CodiceFiscale, Service, Tenant, UserId};
use sportello_store::attachments::NewAttachment;
use sportello_store::{
    Actor, ClientInfo, LoginRecord, QueueFilter, StoredPratica, Submission, User,
};
use uuid::Uuid;

/// A one-page PDF standing in for every document a demo request attaches.
const SAMPLE_PDF: &[u8] =
    b"%PDF-1.4\n% Documento dimostrativo di Sportello\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

const CITIZENS: [(&str, &str, &str); 4] = [
    ("RSSMRA80A01H501U", "Mario", "Rossi"),
    ("VRDNNA85M52F205M", "Anna", "Verdi"),
    ("ESPSRA01A41Z404C", "Sara", "Esposito"),
    ("FRRSFN92T15D969C", "Stefano", "Ferri"),
];
/// The clerk whose name the demo's decisions carry.
const CLERK: (&str, &str, &str) = ("BNCGLI78D45A794Q", "Giulia", "Bianchi");

/// A step in a demo request's life after submission.
#[derive(Clone, Copy)]
enum Step {
    Office(ClerkAction, &'static str),
    Citizen(CitizenAction, &'static str),
}

use Step::{Citizen, Office};

/// One demo request: its service, how many days ago it was filed, and the steps that bring
/// it to the state it shows. Days are chosen so that nothing is due for the housekeeping
/// jobs on the day the demo starts (silence-assent requests are within their term), while
/// one request is overdue, as offices know them.
struct Script {
    slug: &'static str,
    days_ago: i64,
    steps: Vec<Step>,
}

fn script(slug: &'static str, days_ago: i64, steps: Vec<Step>) -> Script {
    Script {
        slug,
        days_ago,
        steps,
    }
}

/// Which state each demo request reaches, and by which steps.
fn scripts() -> Vec<Script> {
    let take = Office(ClerkAction::TakeCharge, "");
    let approve = Office(ClerkAction::Approve, "");
    let pay = Office(ClerkAction::RecordPayment, "");
    let issue = Office(ClerkAction::IssuePermit, "");
    vec![
        script("permesso-ztl", 2, vec![]),
        script("permesso-sosta-residenti", 8, vec![take]),
        script(
            "occupazione-suolo-pubblico",
            12,
            vec![
                take,
                Office(
                    ClerkAction::RequestDocuments,
                    "Allegare il progetto del ponteggio firmato da un tecnico abilitato.",
                ),
            ],
        ),
        script(
            "permesso-ztl",
            20,
            vec![
                take,
                Office(
                    ClerkAction::NoticeRefusal,
                    "La categoria richiesta è riservata ai residenti nella zona.",
                ),
                Citizen(
                    CitizenAction::FileObservations,
                    "Sono domiciliato nella zona per lavoro: allego il contratto di locazione.",
                ),
            ],
        ),
        script("occupazione-suolo-pubblico", 15, vec![take, approve]),
        script("permesso-ztl", 18, vec![take, approve, pay]),
        script("permesso-ztl", 25, vec![take, approve, pay, issue]),
        script(
            "permesso-sosta-residenti",
            26,
            vec![
                take,
                Office(
                    ClerkAction::NoticeRefusal,
                    "Dall'anagrafe il nucleo familiare risulta già titolare di due permessi.",
                ),
                Citizen(
                    CitizenAction::FileObservations,
                    "Uno dei due veicoli è stato venduto il mese scorso.",
                ),
                Office(
                    ClerkAction::Reject,
                    "Il limite di permessi per nucleo familiare è raggiunto.",
                ),
            ],
        ),
        script(
            "occupazione-suolo-pubblico",
            5,
            vec![Citizen(
                CitizenAction::Withdraw,
                "Il trasloco è stato rinviato.",
            )],
        ),
        script("contrassegno-disabili", 30, vec![take, approve, pay, issue]),
        script(
            "contrassegno-disabili",
            40,
            vec![
                take,
                approve,
                pay,
                issue,
                Office(
                    ClerkAction::Revoke,
                    "Il contrassegno è stato restituito dal titolare.",
                ),
            ],
        ),
        // Overdue: filed 45 days ago, a 30-day term, silence is no answer.
        script("occupazione-suolo-pubblico", 45, vec![take]),
    ]
}

/// Who files and decides the demo requests of one comune.
struct Cast {
    citizens: Vec<User>,
    clerk: User,
}

/// Files the demo requests of `tenant` unless it has requests already; returns how many.
pub async fn seed_demo_requests(state: &AppState, tenant: &Tenant) -> Result<usize, WebError> {
    if has_requests(state, tenant).await? {
        return Ok(0);
    }
    let mut citizens = Vec::new();
    for (cf, given, family) in CITIZENS {
        citizens.push(demo_user(state, tenant, cf, given, family).await?);
    }
    let cast = Cast {
        citizens,
        clerk: demo_user(state, tenant, CLERK.0, CLERK.1, CLERK.2).await?,
    };
    let now = Timestamp::now();
    let mut filed = 0;
    for (i, script) in scripts().into_iter().enumerate() {
        let citizen = &cast.citizens[i % cast.citizens.len()];
        let at = days_before(now, script.days_ago);
        let Some(pratica) =
            file_request(state, tenant, script.slug, citizen, at, None, &[]).await?
        else {
            continue;
        };
        filed += 1;
        run_steps(state, tenant, &cast, citizen, pratica, &script.steps).await?;
    }
    filed += seed_past_permits(state, tenant, &cast, now).await?;
    settle_past_payments(state, tenant).await?;
    Ok(filed)
}

/// The story the seeded pratiche tell includes their payments: the stamp duty of every
/// request the office has decided, and the fee of every approval that went past "awaiting
/// payment", were paid at the counter (so the demo's pagoPA shows them paid). The requests
/// still being examined, and those awaiting payment, keep their notices open for the demo
/// citizens to pay.
async fn settle_past_payments(state: &AppState, tenant: &Tenant) -> Result<(), WebError> {
    use sportello_domain::pratica::PraticaState as S;
    let scope = state.store().scoped(tenant.id);
    let mut tx = state.store().begin().await?;
    for office in scope.offices().await? {
        for pratica in scope
            .office_queue(office.id.as_str(), &QueueFilter::default())
            .await?
        {
            let open = matches!(
                pratica.state(),
                S::Submitted
                    | S::InReview
                    | S::DocumentsRequested
                    | S::RefusalNoticed
                    | S::AwaitingPayment
            );
            if open {
                continue;
            }
            let at = pratica.pratica.submitted_at();
            let paid = sportello_pagopa::delivery::Settlement::PaidElsewhere { at };
            payments::settle(&mut tx, tenant.id, pratica.id, Purpose::Submission, paid).await?;
            if let Some(paid_at) = pratica.pratica.paid_at() {
                let paid = sportello_pagopa::delivery::Settlement::PaidElsewhere { at: paid_at };
                payments::settle(&mut tx, tenant.id, pratica.id, Purpose::Decision, paid).await?;
            }
        }
    }
    tx.commit().await?;
    Ok(())
}

/// A permit's code for the demo's start page, so that `/verifica/{code}` can be tried at once.
pub async fn demo_permit_code(
    state: &AppState,
    tenant: &Tenant,
) -> Result<Option<String>, WebError> {
    let scope = state.store().scoped(tenant.id);
    for office in scope.offices().await? {
        let issued = scope
            .office_queue(
                office.id.as_str(),
                &QueueFilter {
                    states: vec![PraticaState::PermitIssued],
                    ..QueueFilter::default()
                },
            )
            .await?;
        if let Some(code) = issued.into_iter().find_map(|p| p.permit_code) {
            return Ok(Some(code));
        }
    }
    Ok(None)
}

async fn has_requests(state: &AppState, tenant: &Tenant) -> Result<bool, WebError> {
    let scope = state.store().scoped(tenant.id);
    for office in scope.offices().await? {
        let existing = scope
            .office_queue(
                office.id.as_str(),
                &QueueFilter {
                    limit: 1,
                    ..QueueFilter::default()
                },
            )
            .await?;
        if !existing.is_empty() {
            return Ok(true);
        }
    }
    Ok(false)
}

fn days_before(now: Timestamp, days: i64) -> Timestamp {
    now.checked_sub(SignedDuration::from_hours(24 * days))
        .unwrap_or(now)
}

/// Files a request of `citizen` for `slug` as the portal does (draft, attachments, the full
/// check and assessment, the stamp duty's payment request), with the pratica's clock started
/// at `submitted_at`. `None` when the comune lacks the service or the demo answers do not
/// pass its checks (a comune file dropped into the demo may ask for things the demo cannot
/// guess): the draft is then removed and the demo goes on.
async fn file_request(
    state: &AppState,
    tenant: &Tenant,
    slug: &str,
    citizen: &User,
    submitted_at: Timestamp,
    renews: Option<Uuid>,
    overrides: &[(&str, &str)],
) -> Result<Option<StoredPratica>, WebError> {
    let store = state.store();
    let scope = store.scoped(tenant.id);
    let documents = state.documents()?;
    let Some(service) = scope.service(slug).await? else {
        return Ok(None);
    };
    let actor = Actor::user(citizen.id, ClientInfo::default());
    let today = calendar::local_date(Timestamp::now());
    let draft = scope.create_draft(citizen.id, slug, None, &actor).await?;
    let Some(version) = scope.procedure_version(slug, draft.service_version).await? else {
        scope.delete_draft(draft.id, citizen.id, &actor).await?;
        return Ok(None);
    };
    let mut answers = demo_answers(&version.procedure, &tenant.profile.rules, today);
    for (field, value) in overrides {
        answers.set((*field).to_owned(), vec![(*value).to_owned()]);
    }
    scope
        .save_draft(draft.id, citizen.id, &answers, Some("riepilogo"))
        .await?;
    for spec in version.procedure.visible_attachments(&answers) {
        scope
            .add_attachment(
                &documents.vault,
                draft.id,
                citizen.id,
                &NewAttachment {
                    spec_id: spec.id.to_string(),
                    file_name: format!("{}.pdf", spec.id),
                    content_type: "application/pdf".to_owned(),
                    sensitive: spec.sensitive,
                },
                SAMPLE_PDF,
                &actor,
            )
            .await?;
    }
    let Some(open) = submission::open_draft(&scope, draft.id, citizen.id).await? else {
        return Ok(None);
    };
    let attachments = scope.draft_attachments(draft.id, citizen.id).await?;
    let assessment = match submission::check(&open, &attachments, tenant, today) {
        Ok(assessment) => assessment,
        Err(errors) => {
            for error in &errors {
                tracing::warn!(service = slug, field = %error.field, reason = %error.message.it, "a demo request could not be filed");
            }
            scope.delete_draft(draft.id, citizen.id, &actor).await?;
            return Ok(None);
        }
    };
    let procedure = &open.procedure;
    let answers = procedure.form.normalise(&open.draft.answers);
    scope
        .save_draft(draft.id, citizen.id, &answers, open.draft.step.as_deref())
        .await?;
    let term = procedure.term_for(&answers);
    let silence = procedure.silence;
    let stamp = procedure.stamp_duty_due(&answers);
    let calendar = &tenant.profile.calendar;
    let mut tx = store.begin().await?;
    let submitted = scope
        .submit_draft(
            &mut tx,
            draft.id,
            citizen.id,
            &Submission {
                subject: format!("Richiesta: {}", service_title(&service)),
                office: procedure.deciding_office(&service.office).to_string(),
                assessment: serde_json::to_value(&assessment).ok(),
            },
            calendar,
            &actor,
            |_, _| match renews {
                Some(previous) => {
                    Pratica::submit_renewal(term, silence, submitted_at, calendar, previous)
                }
                None => Pratica::submit(term, silence, submitted_at, calendar),
            },
        )
        .await?;
    if stamp.on_request > sportello_domain::Cents::ZERO {
        let pratica = &submitted.pratica;
        let applicant = &pratica.applicant;
        payments::request_payment(
            &mut tx,
            tenant.id,
            &PaymentRequest {
                pratica: pratica.id,
                protocol: pratica.protocol.to_string(),
                purpose: Purpose::Submission,
                debtor_fiscal_code: applicant.fiscal_code.clone(),
                debtor_name: format!("{} {}", applicant.given_name, applicant.family_name),
                reason: format!(
                    "Imposta di bollo sulla richiesta prot. {}",
                    pratica.protocol
                ),
                lines: vec![PaymentLine {
                    kind: LineKind::StampDuty,
                    description: "Imposta di bollo sull'istanza (DPR 642/1972)".to_owned(),
                    amount: stamp.on_request,
                }],
            },
        )
        .await?;
    }
    // The citizen's phone gets the receipt as a real submission sends it.
    let lang = notify::recipient_lang(&scope, submitted.pratica.applicant_user).await?;
    notify::pratica_event(
        &mut tx,
        tenant,
        state.0.config.public_url.as_deref(),
        lang,
        &submission::received_notice(&submitted.pratica, procedure, &service, calendar),
    )
    .await?;
    tx.commit().await?;
    Ok(Some(submitted.pratica))
}

fn service_title(service: &Service) -> &str {
    &service.title.it
}

/// The office's and the citizen's steps, now, through the use cases of the back office and
/// of the personal area. A payment step is skipped when nothing is owed.
async fn run_steps(
    state: &AppState,
    tenant: &Tenant,
    cast: &Cast,
    citizen: &User,
    mut pratica: StoredPratica,
    steps: &[Step],
) -> Result<(), WebError> {
    let store = state.store();
    let scope = store.scoped(tenant.id);
    let documents = state.documents()?;
    let clerk_actor = Actor::user(cast.clerk.id, ClientInfo::default());
    let actor = Actor::user(citizen.id, ClientInfo::default());
    for step in steps {
        if matches!(step, Office(ClerkAction::RecordPayment, _))
            && pratica.state() != PraticaState::AwaitingPayment
        {
            continue;
        }
        let outcome = match *step {
            Office(action, text) => decisions::act(
                state,
                documents,
                tenant,
                &pratica,
                pratica.version,
                action,
                &ClerkInput {
                    text: text.to_owned(),
                    rebuttal: "Le osservazioni non dimostrano il venir meno del requisito."
                        .to_owned(),
                },
                cast.clerk.id,
                &clerk_actor,
            )
            .await?
            .map(|_| ()),
            Citizen(action, text) => {
                citizen::act(store, tenant, &pratica, action, text, &actor).await?
            }
        };
        if let Err(message) = outcome {
            tracing::warn!(service = %pratica.service_slug, reason = %message.it, "a demo step was refused");
            break;
        }
        match scope.pratica(pratica.id).await? {
            Some(fresh) => pratica = fresh,
            None => break,
        }
    }
    Ok(())
}

/// Two resident parking permits whose story lies in the past: one issued last year and
/// expired, one about to expire and renewed by a request filed a few days ago (its new
/// permit issued today, which marks the old one renewed).
async fn seed_past_permits(
    state: &AppState,
    tenant: &Tenant,
    cast: &Cast,
    now: Timestamp,
) -> Result<usize, WebError> {
    const SLUG: &str = "permesso-sosta-residenti";
    let today = calendar::local_date(now);
    let mut filed = 0;
    let expired_citizen = &cast.citizens[1];
    let until = today
        .checked_sub(jiff::Span::new().days(12))
        .unwrap_or(today);
    if let Some(issued) =
        past_permit(state, tenant, cast, expired_citizen, SLUG, now, 380, until).await?
    {
        filed += 1;
        let scope = state.store().scoped(tenant.id);
        let calendar = &tenant.profile.calendar;
        scope
            .transition(
                issued.id,
                issued.version,
                None,
                calendar,
                &Actor::system(),
                |p| p.expire(now),
            )
            .await?
            .map_err(|_| WebError::Internal("a demo permit could not expire"))?;
    }
    let renewing_citizen = &cast.citizens[2];
    let until = today
        .checked_add(jiff::Span::new().days(20))
        .unwrap_or(today);
    if let Some(old) =
        past_permit(state, tenant, cast, renewing_citizen, SLUG, now, 345, until).await?
    {
        filed += 1;
        let at = days_before(now, 4);
        if let Some(renewal) = file_request(
            state,
            tenant,
            SLUG,
            renewing_citizen,
            at,
            Some(old.id),
            &[("request_type", "renewal")],
        )
        .await?
        {
            filed += 1;
            let take = Office(ClerkAction::TakeCharge, "");
            let steps = [
                take,
                Office(ClerkAction::Approve, ""),
                Office(ClerkAction::RecordPayment, ""),
                Office(ClerkAction::IssuePermit, ""),
            ];
            run_steps(state, tenant, cast, renewing_citizen, renewal, &steps).await?;
        }
    }
    Ok(filed)
}

/// A request filed `days_ago`, decided and paid over the following days, its permit issued
/// with a code and valid until `until`: every step at its own past time, by the demo clerk.
#[allow(clippy::too_many_arguments)]
async fn past_permit(
    state: &AppState,
    tenant: &Tenant,
    cast: &Cast,
    citizen: &User,
    slug: &str,
    now: Timestamp,
    days_ago: i64,
    until: jiff::civil::Date,
) -> Result<Option<StoredPratica>, WebError> {
    let filed_at = days_before(now, days_ago);
    let Some(pratica) = file_request(state, tenant, slug, citizen, filed_at, None, &[]).await?
    else {
        return Ok(None);
    };
    let scope = state.store().scoped(tenant.id);
    let calendar = &tenant.profile.calendar;
    let documents = state.documents()?;
    let Some(version) = scope
        .procedure_version(pratica.service_slug.as_str(), pratica.service_version)
        .await?
    else {
        return Ok(None);
    };
    let (amount, _) = decisions::amount_due_on_approval(&pratica, &version.procedure);
    let clerk: UserId = cast.clerk.id;
    let clerk_actor = Actor::user(clerk, ClientInfo::default());
    let day = move |n: i64| days_before(now, days_ago - n);
    let issued_at = day(3);
    let validity = PermitValidity::new(calendar::local_date(issued_at), until)
        .map_err(|_| WebError::Internal("a demo permit's validity"))?;
    let code = VerificationCode::issue(&documents.verification, pratica.id);
    let mut current = pratica;
    type Transition = Box<dyn FnOnce(&mut Pratica) -> Result<PraticaEvent, TransitionError> + Send>;
    let mut steps: Vec<(Transition, Option<&str>)> = vec![
        (
            Box::new(move |p: &mut Pratica| p.take_charge(day(1), clerk)),
            None,
        ),
        (
            Box::new(move |p: &mut Pratica| p.approve(day(2), None, amount)),
            None,
        ),
    ];
    if amount > sportello_domain::Cents::ZERO {
        let asked = day(2) + SignedDuration::from_mins(1);
        steps.push((
            Box::new(move |p: &mut Pratica| p.request_payment(asked)),
            None,
        ));
        steps.push((
            Box::new(move |p: &mut Pratica| {
                p.record_payment(day(3) - SignedDuration::from_hours(2))
            }),
            None,
        ));
    }
    steps.push((
        Box::new(move |p: &mut Pratica| p.issue_permit(issued_at, validity)),
        Some(code.as_str()),
    ));
    for (step, permit_code) in steps {
        match scope
            .transition(
                current.id,
                current.version,
                permit_code,
                calendar,
                &clerk_actor,
                step,
            )
            .await?
        {
            Ok(next) => current = next,
            Err(error) => {
                tracing::warn!(service = slug, reason = %error.message().it, "a demo permit's past step was refused");
                return Ok(None);
            }
        }
    }
    Ok(Some(current))
}

async fn demo_user(
    state: &AppState,
    tenant: &Tenant,
    fiscal_code: &str,
    given: &str,
    family: &str,
) -> Result<User, WebError> {
    let fiscal_code = CodiceFiscale::parse(fiscal_code)
        .map_err(|_| WebError::Internal("a demo codice fiscale"))?;
    Ok(state
        .store()
        .scoped(tenant.id)
        .record_login(
            &LoginRecord {
                fiscal_code,
                given_name: Some(given.to_owned()),
                family_name: Some(family.to_owned()),
                email: None,
                mobile: None,
                date_of_birth: None,
                level: 2,
                idp_entity_id: "demo-seed".to_owned(),
            },
            &ClientInfo::default(),
        )
        .await?)
}

/// Plausible answers for any procedure: each visible field gets a value its kind accepts,
/// preferring the choices that make a simple request (for oneself, a first request, a few
/// days). Checked against the form, so a demo file whose form changes still seeds.
fn demo_answers(procedure: &Procedure, rules: &LocalRules, today: jiff::civil::Date) -> Answers {
    const PREFERRED: [&str; 10] = [
        "self",
        "first",
        "temporary",
        "days",
        "no",
        "owned",
        "street",
        "giornaliero",
        "cantiere",
        "trasloco",
    ];
    let form: &FormSchema = &procedure.form;
    let mut answers = Answers::new();
    // Conditions refer to earlier answers: fill step by step, field by field.
    for step in &form.steps {
        for field in &step.fields {
            if !form.is_field_visible(field, &answers) {
                continue;
            }
            let values = value_for(field, rules, today, &PREFERRED);
            answers.set(field.id.to_string(), values);
        }
    }
    let context = ValidationContext { today, rules };
    let errors = form.validate_all(&answers, &context);
    for error in errors {
        tracing::debug!(field = %error.field, message = %error.message.it, "demo answer refused");
    }
    form.normalise(&answers)
}

fn value_for(
    field: &Field,
    rules: &LocalRules,
    today: jiff::civil::Date,
    preferred: &[&str],
) -> Vec<String> {
    let day = |offset: i64| {
        today
            .checked_add(jiff::Span::new().days(offset))
            .unwrap_or(today)
            .to_string()
    };
    let id = field.id.as_str();
    let one = |v: &str| vec![v.to_owned()];
    match &field.kind {
        FieldKind::Choice { options, .. } => {
            let values: Vec<String> = match options {
                ChoiceOptions::Listed(list) => list.iter().map(|o| o.value.clone()).collect(),
                ChoiceOptions::From(source) => source
                    .resolve(rules)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|o| o.value)
                    .collect(),
            };
            let pick = preferred
                .iter()
                .find(|p| values.iter().any(|v| v == *p))
                .map(|p| (*p).to_owned())
                .or_else(|| values.first().cloned())
                .unwrap_or_default();
            vec![pick]
        }
        FieldKind::MultiChoice { .. } => field
            .choice_options(rules)
            .into_iter()
            .take(1)
            .map(|o| o.value)
            .collect(),
        FieldKind::Street => rules
            .streets
            .iter()
            .find(|s| s.parking_zone.is_some())
            .or(rules.streets.first())
            .map(|s| vec![s.id.to_string()])
            .unwrap_or_default(),
        FieldKind::Text { pattern, .. } => match pattern {
            Some(sportello_domain::form::TextPattern::HouseNumber) => one("5"),
            Some(sportello_domain::form::TextPattern::PostalCode) => one("99010"),
            Some(sportello_domain::form::TextPattern::CodiceFiscale) => one("RSSMRA80A01H501U"),
            Some(sportello_domain::form::TextPattern::PartitaIva) => one("80000123457"),
            None if id.contains("number") => one("BV-2021-0042"),
            None => one("Richiesta dimostrativa"),
        },
        FieldKind::Textarea { .. } => one("Richiesta inserita per la dimostrazione di Sportello."),
        FieldKind::Integer { min, .. } => one(&min.unwrap_or(0).max(0).to_string()),
        FieldKind::Decimal { .. } => one("12"),
        FieldKind::Date(rules) => {
            let earliest = i64::from(rules.min_days_ahead.unwrap_or(0)).max(1);
            let offset = if id.contains("end") || id.contains("until") {
                earliest + 20
            } else {
                earliest + 5
            };
            one(&day(offset))
        }
        FieldKind::Time { later_than } => one(if later_than.is_some() {
            "12:00"
        } else {
            "08:00"
        }),
        FieldKind::Checkbox => Vec::new(),
        FieldKind::Declaration => one("si"),
        FieldKind::Plate => one("AB123CD"),
        FieldKind::Plates { .. } => one("AB123CD"),
        FieldKind::Email => one("demo@example.it"),
        FieldKind::Phone => one("+39 0123 456789"),
    }
}
