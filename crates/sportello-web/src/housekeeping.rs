//! What the passing of time does to pratiche, run every quarter of an hour by each instance:
//! a documents suspension that ran its 30 days resumes the term (L. 241/1990 art. 2 c. 7);
//! a silence-assent request whose term passed is granted (art. 20); an issued permit past its
//! last valid day expires; files past their retention are deleted. Each change goes through
//! the same optimistic transition as a clerk's, so a clerk acting at the same moment wins or
//! loses cleanly, and a second instance doing the same run changes nothing twice.

use crate::workflow::decisions::amount_due_on_approval;
use crate::{AppState, WebError};
use sportello_domain::Tenant;
use sportello_domain::calendar;
use sportello_domain::pratica::{PraticaState, Silence};
use sportello_store::{Actor, QueueFilter, StoreError, StoredPratica};
use std::time::Duration;

/// What one run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    pub resumed: u32,
    pub granted_by_silence: u32,
    pub expired: u32,
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
        let outcome = scope
            .transition(pratica.id, pratica.version, None, calendar, &system, |p| {
                p.grant_by_silence(now, calendar, amount)
            })
            .await;
        if matches!(outcome, Ok(Ok(_))) {
            report.granted_by_silence += 1;
        }
    }

    for pratica in pratiche_in(state, tenant, &[PraticaState::PermitIssued]).await? {
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
