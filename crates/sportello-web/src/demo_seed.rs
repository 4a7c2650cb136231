//! Requests for the demo comuni, in every state a back office meets: filed by the demo
//! citizens through the same use cases as the portal (drafts, attachments, submission, the
//! office's steps), so a newcomer opening `/ufficio/` finds a living queue. Only for the demo:
//! `sportello demo` calls it on a comune that has no requests yet.

use crate::workflow::citizen::{self, CitizenAction};
use crate::workflow::decisions::{self, ClerkAction, ClerkInput};
use crate::workflow::submission;
use crate::{AppState, WebError};
use sportello_domain::calendar;
use sportello_domain::form::{
    Answers, ChoiceOptions, Field, FieldKind, FormSchema, ValidationContext,
};
use sportello_domain::local_rules::LocalRules;
use sportello_domain::procedure::Procedure;
use sportello_domain::{CodiceFiscale, Tenant};
use sportello_store::attachments::NewAttachment;
use sportello_store::{Actor, ClientInfo, LoginRecord, QueueFilter, StoredPratica, User};

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

/// Which state each demo request reaches, and by which steps.
fn scripts() -> Vec<(&'static str, Vec<Step>)> {
    let take = Office(ClerkAction::TakeCharge, "");
    vec![
        ("permesso-ztl", vec![]),
        ("permesso-sosta-residenti", vec![take]),
        (
            "occupazione-suolo-pubblico",
            vec![
                take,
                Office(
                    ClerkAction::RequestDocuments,
                    "Allegare il progetto del ponteggio firmato da un tecnico abilitato.",
                ),
            ],
        ),
        (
            "permesso-ztl",
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
        (
            "occupazione-suolo-pubblico",
            vec![take, Office(ClerkAction::Approve, "")],
        ),
        (
            "permesso-ztl",
            vec![
                take,
                Office(ClerkAction::Approve, ""),
                Office(ClerkAction::RecordPayment, ""),
                Office(ClerkAction::IssuePermit, ""),
            ],
        ),
        (
            "permesso-sosta-residenti",
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
        (
            "occupazione-suolo-pubblico",
            vec![Citizen(
                CitizenAction::Withdraw,
                "Il trasloco è stato rinviato.",
            )],
        ),
        (
            "contrassegno-disabili",
            vec![
                take,
                Office(ClerkAction::Approve, ""),
                Office(ClerkAction::RecordPayment, ""),
                Office(ClerkAction::IssuePermit, ""),
            ],
        ),
        (
            "contrassegno-disabili",
            vec![
                take,
                Office(ClerkAction::Approve, ""),
                Office(ClerkAction::RecordPayment, ""),
                Office(ClerkAction::IssuePermit, ""),
                Office(
                    ClerkAction::Revoke,
                    "Il contrassegno è stato restituito dal titolare.",
                ),
            ],
        ),
    ]
}

/// Files the demo requests of `tenant` unless it has requests already; returns how many.
pub async fn seed_demo_requests(state: &AppState, tenant: &Tenant) -> Result<usize, WebError> {
    let store = state.store();
    let scope = store.scoped(tenant.id);
    let offices = scope.offices().await?;
    for office in &offices {
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
            return Ok(0);
        }
    }
    let documents = state.documents()?;
    let citizens: Vec<User> = {
        let mut users = Vec::new();
        for (cf, given, family) in CITIZENS {
            users.push(demo_user(state, tenant, cf, given, family).await?);
        }
        users
    };
    let clerk = demo_user(state, tenant, CLERK.0, CLERK.1, CLERK.2).await?;
    let clerk_actor = Actor::user(clerk.id, ClientInfo::default());
    let today = calendar::local_date(jiff::Timestamp::now());
    let mut filed = 0;
    for (i, (slug, steps)) in scripts().into_iter().enumerate() {
        let Some(service) = scope.service(slug).await? else {
            continue;
        };
        let citizen = &citizens[i % citizens.len()];
        let actor = Actor::user(citizen.id, ClientInfo::default());
        let draft = scope.create_draft(citizen.id, slug, None, &actor).await?;
        let Some(version) = scope.procedure_version(slug, draft.service_version).await? else {
            continue;
        };
        let procedure = version.procedure;
        let answers = demo_answers(&procedure, &tenant.profile.rules, today);
        scope
            .save_draft(draft.id, citizen.id, &answers, Some("riepilogo"))
            .await?;
        for spec in procedure.visible_attachments(&answers) {
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
        let submitted =
            match submission::submit(store, tenant, &service, draft.id, citizen.id, &actor).await {
                Ok(submitted) => submitted,
                Err(error) => {
                    tracing::warn!(%error, service = slug, "a demo request could not be filed");
                    scope.delete_draft(draft.id, citizen.id, &actor).await?;
                    continue;
                }
            };
        filed += 1;
        let mut pratica: StoredPratica = submitted.pratica;
        for step in steps {
            let outcome = match step {
                Office(action, text) => decisions::act(
                    store,
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
                    clerk.id,
                    &clerk_actor,
                )
                .await?
                .map(|_| ()),
                Citizen(action, text) => {
                    citizen::act(store, tenant, &pratica, action, text, &actor).await?
                }
            };
            if let Err(message) = outcome {
                tracing::warn!(service = slug, reason = %message.it, "a demo step was refused");
                break;
            }
            match scope.pratica(pratica.id).await? {
                Some(fresh) => pratica = fresh,
                None => break,
            }
        }
    }
    Ok(filed)
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
