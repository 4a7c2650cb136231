//! What the passing of time does to pratiche, run every quarter of an hour by each instance:
//! a documents suspension that ran its 30 days resumes the term (L. 241/1990 art. 2 c. 7);
//! a silence-assent request whose term passed is granted (art. 20); an issued permit past its
//! last valid day expires, and 30 days before that its holder is reminded to renew it (once
//! per permit); files past their retention are deleted. Each change goes through
//! the same optimistic transition as a clerk's, so a clerk acting at the same moment wins or
//! loses cleanly, and a second instance doing the same run changes nothing twice.

use crate::workflow::decisions::amount_due_on_approval;
use crate::workflow::notify::{self, PraticaNotice};
use crate::{AppState, WebError};
use sportello_domain::Tenant;
use sportello_domain::calendar;
use sportello_domain::notification::Event;
use sportello_domain::pratica::{PraticaState, Silence};
use sportello_store::{Actor, QueueFilter, StoreError, StoredPratica};
use std::time::Duration;

/// How long before a permit's last valid day its holder is reminded to renew it.
const EXPIRY_NOTICE_DAYS: i64 = 30;

/// What one run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    pub resumed: u32,
    pub granted_by_silence: u32,
    pub expired: u32,
    /// Reminders that a permit runs out within [`EXPIRY_NOTICE_DAYS`].
    pub expiry_notices: u32,
    pub files_deleted: u64,
}

/// Runs the jobs for every comune.
pub async fn run(state: &AppState, now: jiff::Timestamp) -> Result<Report, WebError> {
    let mut report = Report::default();
    for tenant in state.store().tenants().await? {
        run_for(state, &tenant, now, &mut report).await?;
    }
    if let Ok(documents) = state.documents() {
        report.files_deleted = state
            .store()
            .purge_expired_attachments(&documents.vault, now)
            .await?;
    }
    Ok(report)
}

/// Every `period`, for as long as the process lives.
pub async fn every(state: AppState, period: Duration) {
    let mut tick = tokio::time::interval(period);
    loop {
        tick.tick().await;
        match run(&state, jiff::Timestamp::now()).await {
            Ok(report) if report != Report::default() => {
                tracing::info!(?report, "pratiche housekeeping");
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "pratiche housekeeping failed; retrying later"),
        }
    }
}

async fn pratiche_in(
    state: &AppState,
    tenant: &Tenant,
    states: &[PraticaState],
) -> Result<Vec<StoredPratica>, StoreError> {
    let scope = state.store().scoped(tenant.id);
    let mut all = Vec::new();
    for office in scope.offices().await? {
        all.extend(
            scope
                .office_queue(
                    office.id.as_str(),
                    &QueueFilter {
                        states: states.to_vec(),
                        ..QueueFilter::default()
                    },
                )
                .await?,
        );
    }
    Ok(all)
}

async fn run_for(
    state: &AppState,
    tenant: &Tenant,
    now: jiff::Timestamp,
    report: &mut Report,
) -> Result<(), WebError> {
    let scope = state.store().scoped(tenant.id);
    let calendar = &tenant.profile.calendar;
    let today = calendar::local_date(now);
    let system = Actor::system();

    for pratica in pratiche_in(state, tenant, &[PraticaState::DocumentsRequested]).await? {
        let lapsed = pratica
            .pratica
            .clock()
            .documents()
            .is_some_and(|s| s.lapses_on() < today);
        if lapsed {
            let outcome = scope
                .transition(pratica.id, pratica.version, None, calendar, &system, |p| {
                    p.resume_review(now, calendar)
                })
                .await;
            if matches!(outcome, Ok(Ok(_))) {
                report.resumed += 1;
            }
        }
    }

    let open = [
        PraticaState::Submitted,
        PraticaState::InReview,
        PraticaState::DocumentsRequested,
        PraticaState::RefusalNoticed,
    ];
    for pratica in pratiche_in(state, tenant, &open).await? {
        if pratica.pratica.silence() != Silence::Assent
            || pratica
                .pratica
                .silence_assent_formed(today, calendar)
                .is_none()
        {
            continue;
        }
        let Some(version) = scope
            .procedure_version(pratica.service_slug.as_str(), pratica.service_version)
            .await?
        else {
            continue;
        };
        let (amount, _) = amount_due_on_approval(&pratica, &version.procedure);
        if grant_by_silence(state, tenant, &pratica, &version.procedure, amount, now).await? {
            report.granted_by_silence += 1;
        }
    }

    for pratica in pratiche_in(state, tenant, &[PraticaState::PermitIssued]).await? {
        if remind_expiry(state, tenant, &pratica, today).await? {
            report.expiry_notices += 1;
        }
        if pratica.pratica.permit().is_some_and(|v| v.until() < today) {
            let outcome = scope
                .transition(pratica.id, pratica.version, None, calendar, &system, |p| {
                    p.expire(now)
                })
                .await;
            if matches!(outcome, Ok(Ok(_))) {
                report.expired += 1;
            }
        }
    }
    Ok(())
}

/// Grants a silence-assent request and tells the citizen, in one transaction (as a clerk's
/// approval does). `false` when a clerk or another instance changed the pratica first.
async fn grant_by_silence(
    state: &AppState,
    tenant: &Tenant,
    pratica: &StoredPratica,
    procedure: &sportello_domain::procedure::Procedure,
    amount: sportello_domain::Cents,
    now: jiff::Timestamp,
) -> Result<bool, StoreError> {
    let store = state.store();
    let scope = store.scoped(tenant.id);
    let calendar = &tenant.profile.calendar;
    let mut working = pratica.pratica.clone();
    let Ok(event) = working.grant_by_silence(now, calendar, amount) else {
        return Ok(false);
    };
    let service_title = service_title(&scope, pratica).await?;
    let lang = notify::recipient_lang(&scope, pratica.applicant_user).await?;
    let mut tx = store.begin().await?;
    let stored = match scope
        .apply_transition(
            &mut tx,
            pratica.id,
            pratica.version,
            &working,
            &event,
            None,
            calendar,
            &Actor::system(),
        )
        .await
    {
        Ok(stored) => stored,
        Err(StoreError::Conflict(_)) => return Ok(false),
        Err(error) => return Err(error),
    };
    notify::pratica_event(
        &mut tx,
        tenant,
        state.0.config.public_url.as_deref(),
        lang,
        &PraticaNotice {
            event: Event::RequestApproved,
            pratica: &stored,
            procedure,
            service_title: &service_title,
            date: None,
            step: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Reminds the holder of a permit that runs out within [`EXPIRY_NOTICE_DAYS`], once per
/// permit and expiry date (the origin names both, so a run every quarter of an hour, on every
/// instance, sends one). A permit that was valid for less than that from the start (a day's
/// ZTL access) gets no reminder: its holder knows it is short. `true` when one was created.
async fn remind_expiry(
    state: &AppState,
    tenant: &Tenant,
    pratica: &StoredPratica,
    today: jiff::civil::Date,
) -> Result<bool, StoreError> {
    let Some(validity) = pratica.pratica.permit() else {
        return Ok(false);
    };
    let until = validity.until();
    let Ok(remind_from) = until.checked_sub(jiff::Span::new().days(EXPIRY_NOTICE_DAYS)) else {
        return Ok(false);
    };
    if today < remind_from || today > until || validity.from() > remind_from {
        return Ok(false);
    }
    let scope = state.store().scoped(tenant.id);
    let Some(version) = scope
        .procedure_version(pratica.service_slug.as_str(), pratica.service_version)
        .await?
    else {
        return Ok(false);
    };
    let service_title = service_title(&scope, pratica).await?;
    let lang = notify::recipient_lang(&scope, pratica.applicant_user).await?;
    let mut tx = state.store().begin().await?;
    let created = notify::pratica_event(
        &mut tx,
        tenant,
        state.0.config.public_url.as_deref(),
        lang,
        &PraticaNotice {
            event: Event::PermitExpiring,
            pratica,
            procedure: &version.procedure,
            service_title: &service_title,
            date: Some(until),
            step: Some(until.to_string()),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(created.is_some())
}

/// The service's title; its slug when the service has since left the catalogue, which must not
/// stop its pratiche from being granted or reminded.
async fn service_title(
    scope: &sportello_store::TenantScope<'_>,
    pratica: &StoredPratica,
) -> Result<sportello_domain::LocalizedText, StoreError> {
    Ok(scope
        .service(pratica.service_slug.as_str())
        .await?
        .map_or_else(
            || sportello_domain::LocalizedText {
                it: pratica.service_slug.to_string(),
                en: None,
            },
            |s| s.title,
        ))
}
