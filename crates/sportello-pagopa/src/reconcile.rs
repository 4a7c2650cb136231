//! The nightly reconciliation: Sportello's positions against pagoPA's, so that a difference
//! (a payment never heard of, a position GPD does not have, a notice cancelled in the pagoPA
//! back office) is listed for the comune's staff instead of discovered by a citizen.
//!
//! Two passes, both reads: every open position of ours is read back by `iupd`; then GPD's
//! list of positions paid in the last [`PAID_WINDOW_DAYS`] days is compared with ours. The
//! report is stored (`payment_reconciliations`) and audited; nothing is changed — the receipts
//! watcher records payments, and a person decides about the rest.

use crate::config::PagoPaSettings;
use crate::error::{ApiError, CallError};
use crate::gpd::GpdClient;
use serde::Serialize;
use sportello_domain::Tenant;
use sportello_domain::payment::PositionStatus;
use sportello_store::payments::PositionState;
use sportello_store::{Actor, Store, StoreError};

/// How far back GPD's paid positions are compared (its list allows 30 days at most).
pub const PAID_WINDOW_DAYS: i64 = 2;

/// One position whose state differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub iupd: String,
    /// Ours: `pending`, `valid`, `paid`…; `missing` when we do not have it.
    pub ours: String,
    /// GPD's: `VALID`, `PAID`…; `missing` when GPD does not have it.
    pub theirs: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub checked: u32,
    pub differences: Vec<Difference>,
}

/// Whether our state and GPD's say the same thing. A position of ours still `pending` is a
/// difference only if GPD has it (the outbox has yet to hear back) or it is old.
fn agree(ours: PositionState, theirs: PositionStatus) -> bool {
    match ours {
        PositionState::Gpd(status) => {
            status == theirs
                || (status.is_paid() && theirs.is_paid())
                // GPD moves PUBLISHED to VALID by itself on the validity date.
                || (status == PositionStatus::Published && theirs == PositionStatus::Valid)
        }
        PositionState::Pending | PositionState::Failed => false,
    }
}

/// Reconciles one comune and records the report.
pub async fn reconcile(
    store: &Store,
    gpd: &GpdClient,
    settings: &PagoPaSettings,
    tenant: &Tenant,
) -> Result<Report, CallError> {
    let creditor = settings.creditor(tenant)?;
    let scope = store.scoped(tenant.id);
    let mut differences = Vec::new();
    let mut checked = 0u32;
    let open = [
        PositionState::Pending,
        PositionState::Gpd(PositionStatus::Draft),
        PositionState::Gpd(PositionStatus::Published),
        PositionState::Gpd(PositionStatus::Valid),
        PositionState::Gpd(PositionStatus::PartiallyPaid),
    ];
    let stale_pending = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(1);
    let mut after = None;
    loop {
        let page = scope.positions_in_states(&open, after, 200).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        for stored in &page {
            checked += 1;
            let theirs = match gpd.get(&creditor, stored.iupd().as_str()).await {
                Ok(found) => found.status(),
                Err(ApiError::NotFound { .. }) => None,
                Err(error) => return Err(error.into()),
            };
            let differs = match theirs {
                Some(status) => !agree(stored.state, status),
                None => stored.state != PositionState::Pending || stored.created_at < stale_pending,
            };
            if differs {
                differences.push(Difference {
                    iupd: stored.iupd().to_string(),
                    ours: stored.state.key(),
                    theirs: theirs.map_or("missing".to_owned(), |s| s.gpd_code().to_owned()),
                });
            }
        }
    }
    let today = crate::request::today();
    let from = today
        .checked_sub(jiff::Span::new().days(PAID_WINDOW_DAYS))
        .unwrap_or(today);
    let mut page = 0;
    loop {
        let list = gpd.paid_between(&creditor, from, today, page).await?;
        for theirs in &list.payment_position_list {
            checked += 1;
            let status = theirs.status().unwrap_or(PositionStatus::Paid);
            match scope.position_by_iupd(&theirs.iupd).await? {
                Some(ours) if agree(ours.state, status) => {}
                Some(ours) => {
                    if !differences.iter().any(|d| d.iupd == theirs.iupd) {
                        differences.push(Difference {
                            iupd: theirs.iupd.clone(),
                            ours: ours.state.key(),
                            theirs: status.gpd_code().to_owned(),
                        });
                    }
                }
                None => differences.push(Difference {
                    iupd: theirs.iupd.clone(),
                    ours: "missing".to_owned(),
                    theirs: status.gpd_code().to_owned(),
                }),
            }
        }
        page += 1;
        if i64::from(page) >= list.page_info.total_pages {
            break;
        }
    }
    let report = Report {
        checked,
        differences,
    };
    let json = serde_json::to_value(&report.differences)
        .map_err(|e| StoreError::Invalid(e.to_string()))?;
    scope.record_reconciliation(checked, &json).await?;
    let mut tx = store.begin().await?;
    Actor::system()
        .entry(
            Some(tenant.id),
            "payment.reconciled",
            format!("tenant:{}", tenant.slug),
            serde_json::json!({ "checked": checked, "differences": report.differences.len() }),
        )
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(report)
}

/// Every night at [`NIGHTLY_HOUR`] (Rome), each comune with pagoPA is reconciled; a failed run
/// is logged and tried again the next night (the report of the last good run stays).
pub const NIGHTLY_HOUR: i8 = 3;

pub async fn nightly(
    store: Store,
    gpd: GpdClient,
    settings: PagoPaSettings,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        let wait = until_next_run(jiff::Timestamp::now());
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.wait_for(|stop| *stop) => return,
        }
        let tenants = match store.tenants().await {
            Ok(tenants) => tenants,
            Err(error) => {
                tracing::warn!(%error, "reconciliation: cannot list the comuni");
                continue;
            }
        };
        for tenant in tenants
            .iter()
            .filter(|t| settings.key(t.slug.as_str()).is_some())
        {
            match reconcile(&store, &gpd, &settings, tenant).await {
                Ok(report) if report.differences.is_empty() => {
                    tracing::info!(comune = %tenant.slug, checked = report.checked, "pagoPA reconciled: no differences")
                }
                Ok(report) => tracing::warn!(
                    comune = %tenant.slug,
                    checked = report.checked,
                    differences = report.differences.len(),
                    "pagoPA reconciliation found differences"
                ),
                Err(error) => {
                    tracing::warn!(comune = %tenant.slug, %error, "pagoPA reconciliation failed")
                }
            }
        }
    }
}

/// How long until the next [`NIGHTLY_HOUR`] in Rome.
fn until_next_run(now: jiff::Timestamp) -> std::time::Duration {
    let rome = sportello_domain::calendar::rome().clone();
    let local = now.to_zoned(rome.clone());
    let today = local.date().at(NIGHTLY_HOUR, 0, 0, 0);
    let next = match today.to_zoned(rome.clone()) {
        Ok(at) if at.timestamp() > now => at,
        _ => today
            .checked_add(jiff::Span::new().days(1))
            .ok()
            .and_then(|d| d.to_zoned(rome).ok())
            .unwrap_or(local),
    };
    next.timestamp()
        .duration_since(now)
        .try_into()
        .unwrap_or(std::time::Duration::from_secs(3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_run_is_at_three_in_rome() {
        // 01:30 UTC in November is 02:30 in Rome: the run is in half an hour.
        let now: jiff::Timestamp = "2026-11-27T01:30:00Z".parse().unwrap();
        assert_eq!(until_next_run(now).as_secs(), 30 * 60);
        // Just after: tomorrow.
        let now: jiff::Timestamp = "2026-11-27T02:00:01Z".parse().unwrap();
        assert_eq!(until_next_run(now).as_secs(), 24 * 3600 - 1);
    }

    #[test]
    fn states_agree_as_gpd_moves_them() {
        use PositionStatus::*;
        assert!(agree(PositionState::Gpd(Valid), Valid));
        assert!(agree(PositionState::Gpd(Published), Valid));
        assert!(agree(PositionState::Gpd(Paid), Reported));
        assert!(!agree(PositionState::Gpd(Valid), Paid));
        assert!(!agree(PositionState::Pending, Valid));
        assert!(!agree(PositionState::Gpd(Valid), Invalid));
    }
}
