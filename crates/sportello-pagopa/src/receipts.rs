//! Learning that a position was paid, promptly and without missing any.
//!
//! Two paths feed the same idempotent [`record_receipt`]:
//! - every [`POLL_INTERVAL`] the receipts list of each comune is read for today and yesterday
//!   (one call per comune, whatever the number of positions): a payment made anywhere — the
//!   App IO, a bank, a shop — is known within a minute or so;
//! - each unpaid position is also read back by `iupd` on its own backoff (a minute, doubling
//!   up to six hours), which catches what the list might miss and follows state changes
//!   (published → valid, expired, invalidated by the comune's back office).
//!
//! A receipt that completes a position writes [`PAYMENT_RECEIVED`] to the outbox in the same
//! transaction, so the owning process moves on exactly once (a paid permit fee moves its
//! pratica to "payment received").

use crate::config::PagoPaSettings;
use crate::error::{ApiError, CallError};
use crate::gpd::model::{OptionResponse, parse_gpd_time};
use crate::gpd::{GpdClient, PositionResponse};
use serde::{Deserialize, Serialize};
use sportello_domain::payment::PositionStatus;
use sportello_domain::{Cents, Tenant, TenantId};
use sportello_store::outbox::NewMessage;
use sportello_store::payments::{PositionState, Receipt, ReceiptRecorded, StoredPosition};
use sportello_store::{Actor, Store, StoreError};
use std::time::Duration;
use tokio::sync::watch;
use uuid::Uuid;

/// The outbox topic telling a process that a position it asked for was paid in full.
pub const PAYMENT_RECEIVED: &str = "payment.received";

/// How often the receipts lists are read and due positions are checked.
pub const POLL_INTERVAL: Duration = Duration::from_secs(30);
const FIRST_CHECK: Duration = Duration::from_secs(60);
const LONGEST_CHECK: Duration = Duration::from_secs(6 * 3600);

/// The payload of [`PAYMENT_RECEIVED`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentReceived {
    pub position: Uuid,
    pub origin: String,
    pub pratica: Option<Uuid>,
    pub paid_at: jiff::Timestamp,
    pub amount: Cents,
}

/// Records a receipt once; when it completes the position, tells the owning process through
/// the outbox and writes the audit entry, all in one transaction.
pub async fn record_receipt(
    store: &Store,
    tenant: TenantId,
    receipt: &Receipt,
) -> Result<Option<ReceiptRecorded>, StoreError> {
    let mut tx = store.begin().await?;
    let Some(recorded) = tx.record_receipt(tenant, receipt).await? else {
        return Ok(None);
    };
    let position = &recorded.position;
    if recorded.position_paid {
        let payload = PaymentReceived {
            position: position.id,
            origin: position.origin.clone(),
            pratica: position.pratica,
            paid_at: receipt.paid_at,
            amount: position.position.total(),
        };
        tx.enqueue(&NewMessage {
            tenant: Some(tenant),
            topic: PAYMENT_RECEIVED.to_owned(),
            idempotency_key: format!("payment.received:{tenant}:{}", position.id),
            payload: serde_json::to_value(&payload)
                .map_err(|e| StoreError::Invalid(e.to_string()))?,
            max_attempts: 20,
        })
        .await?;
    }
    Actor::system()
        .entry(
            Some(tenant),
            "payment.received",
            format!("position:{}", position.id),
            serde_json::json!({
                "notice_number": receipt.notice_number,
                "receipt_id": receipt.receipt_id,
                "amount_cents": receipt.amount.get(),
                "source": receipt.source,
                "position_paid": recorded.position_paid,
            }),
        )
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(Some(recorded))
}

/// The receipt GPD's record of a paid option stands for.
fn receipt_of(option: &OptionResponse, fallback_amount: Cents) -> Receipt {
    let nav = option
        .nav
        .clone()
        .unwrap_or_else(|| format!("3{}", option.iuv));
    Receipt {
        receipt_id: option
            .id_receipt
            .clone()
            .unwrap_or_else(|| format!("GPD-{nav}")),
        notice_number: nav,
        amount: option.amount.map(Cents::new).unwrap_or(fallback_amount),
        fee: option.fee.map(Cents::new),
        paid_at: option
            .payment_date
            .as_deref()
            .and_then(parse_gpd_time)
            .unwrap_or_else(jiff::Timestamp::now),
        psp: option.psp_company.clone(),
        method: option.payment_method.clone(),
        source: "gpd".to_owned(),
    }
}

/// What one check of a position found.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub state: PositionState,
    /// Receipts recorded by this check.
    pub new_receipts: usize,
    pub paid_now: bool,
}

/// Reads positions back from GPD and records what changed.
#[derive(Clone)]
pub struct ReceiptWatcher {
    store: Store,
    gpd: GpdClient,
    settings: PagoPaSettings,
}

impl ReceiptWatcher {
    pub fn new(store: Store, gpd: GpdClient, settings: PagoPaSettings) -> ReceiptWatcher {
        ReceiptWatcher {
            store,
            gpd,
            settings,
        }
    }

    /// Reads one position from GPD: records the receipts of paid options and its new state.
    pub async fn check(
        &self,
        tenant: &Tenant,
        stored: &StoredPosition,
    ) -> Result<Checked, CallError> {
        let creditor = self.settings.creditor(tenant)?;
        let response = self.gpd.get(&creditor, stored.iupd().as_str()).await?;
        self.apply(tenant, stored, &response).await
    }

    async fn apply(
        &self,
        tenant: &Tenant,
        stored: &StoredPosition,
        response: &PositionResponse,
    ) -> Result<Checked, CallError> {
        let mut new_receipts = 0;
        let mut paid_now = false;
        for option in response.payment_option.iter().filter(|o| o.is_paid()) {
            let fallback = stored
                .position
                .options
                .iter()
                .find(|o| o.notice_number.iuv().as_str() == option.iuv)
                .map(|o| o.amount())
                .unwrap_or(Cents::ZERO);
            if let Some(recorded) =
                record_receipt(&self.store, tenant.id, &receipt_of(option, fallback)).await?
            {
                new_receipts += 1;
                paid_now |= recorded.position_paid;
            }
        }
        let mut state = stored.state;
        if let Some(status) = response.status() {
            let now_state = PositionState::Gpd(status);
            // Paid states come from receipts (above); others are GPD's word.
            if now_state != state && !status.is_paid() && status != PositionStatus::PartiallyPaid {
                let mut tx = self.store.begin().await?;
                tx.set_position_state(tenant.id, stored.id, now_state, None)
                    .await?;
                tx.commit().await?;
                state = now_state;
            } else if status.is_paid() {
                state = now_state;
            }
        }
        Ok(Checked {
            state,
            new_receipts,
            paid_now,
        })
    }

    /// Reads the receipts lists (today and yesterday) of every comune and checks each
    /// position paid there that has no receipt yet. Returns the receipts recorded.
    pub async fn poll_lists(&self) -> Result<usize, CallError> {
        let today = crate::request::today();
        let yesterday = today.yesterday().unwrap_or(today);
        let mut recorded = 0;
        for tenant in self.store.tenants().await? {
            let Ok(creditor) = self.settings.creditor(&tenant) else {
                continue;
            };
            let scope = self.store.scoped(tenant.id);
            let mut page = 0;
            loop {
                let list = self.gpd.receipts(&creditor, yesterday, today, page).await?;
                for summary in &list.results {
                    let nav = format!("3{}", summary.iuv);
                    let Some(stored) = scope.position_by_notice(&nav).await? else {
                        continue;
                    };
                    if stored.state.is_paid() {
                        continue;
                    }
                    recorded += self.check(&tenant, &stored).await?.new_receipts;
                }
                page += 1;
                if i64::from(page) >= list.total_pages {
                    break;
                }
            }
        }
        Ok(recorded)
    }

    /// Checks the positions whose turn has come, each on its own backoff.
    pub async fn poll_due(&self) -> Result<usize, CallError> {
        let now = jiff::Timestamp::now();
        let due = self.store.positions_to_check(now, 200).await?;
        let mut checked = 0;
        // The comuni are few and the positions many: each comune is read once per run.
        let mut tenants = std::collections::HashMap::new();
        for item in due {
            if let std::collections::hash_map::Entry::Vacant(slot) = tenants.entry(item.tenant) {
                slot.insert(self.store.tenant(item.tenant).await?);
            }
            let Some(Some(tenant)) = tenants.get(&item.tenant) else {
                continue;
            };
            let Some(stored) = self.store.scoped(item.tenant).position(item.id).await? else {
                continue;
            };
            match self.check(tenant, &stored).await {
                Ok(_) | Err(CallError::Api(ApiError::NotFound { .. })) => {}
                Err(CallError::NotConfigured(_)) => {}
                Err(CallError::Api(error)) if error.is_transient() => {
                    tracing::warn!(%error, "pagoPA position check failed; will retry");
                }
                Err(error) => return Err(error),
            }
            let next = now + backoff(item.checks);
            self.store
                .schedule_check(item.tenant, item.id, now, next)
                .await?;
            checked += 1;
        }
        Ok(checked)
    }

    /// Polls until `shutdown` turns true.
    pub async fn run(&self, mut shutdown: watch::Receiver<bool>) {
        loop {
            if *shutdown.borrow() {
                return;
            }
            if let Err(error) = self.poll_lists().await {
                tracing::warn!(%error, "reading the pagoPA receipts lists failed");
            }
            if let Err(error) = self.poll_due().await {
                tracing::warn!(%error, "checking pagoPA positions failed");
            }
            tokio::select! {
                _ = tokio::time::sleep(POLL_INTERVAL) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}

/// A minute after publication, doubling with each check that brings no news, at most six
/// hours apart.
pub fn backoff(checks: u32) -> jiff::SignedDuration {
    let secs = FIRST_CHECK
        .as_secs()
        .saturating_mul(1u64 << checks.min(20))
        .min(LONGEST_CHECK.as_secs());
    jiff::SignedDuration::from_secs(i64::try_from(secs).unwrap_or(i64::MAX))
}
