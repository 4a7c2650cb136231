//! The outbox sink of pagoPA: turns payment requests into positions and puts positions on GPD,
//! exactly once although GPD has no idempotency key.
//!
//! - [`PAYMENT_REQUESTED`]: a fresh notice number and a position are written in one
//!   transaction with the [`POSITION_CREATE`] message; a repeat finds the position by origin.
//! - [`POSITION_CREATE`]: creates and publishes the position. The position's `iupd` is
//!   deterministic, so a retry after a timeout or a 5xx first reads the position back by
//!   `iupd` and creates it only if GPD does not have it; a 409 on create is checked the same
//!   way and, if the position is there, the delivery is done.
//! - [`POSITION_SETTLE`]: a position settled outside pagoPA: paid at the counter (GPD is told,
//!   so that nobody pays it twice) or no longer owed (cancelled); a 409 because GPD already
//!   knows counts as done.

use crate::config::PagoPaSettings;
use crate::error::{ApiError, CallError};
use crate::gpd::{Creditor, GpdClient, PaymentPositionModel, PositionResponse};
use crate::request::{PAYMENT_REQUESTED, PaymentRequest, position_for_request, today};
use serde::{Deserialize, Serialize};
use sportello_domain::Tenant;
use sportello_domain::pagopa::IuvBase;
use sportello_domain::payment::PositionStatus;
use sportello_store::outbox::{DeliveryError, Message, NewMessage, Sink};
use sportello_store::payments::{NewPosition, PositionState, StoredPosition};
use sportello_store::{Actor, Store, StoreError};
use std::time::Duration;
use uuid::Uuid;

pub const POSITION_CREATE: &str = "pagopa.position.create";
/// A position settled outside pagoPA: paid at the counter, or no longer owed.
pub const POSITION_SETTLE: &str = "pagopa.position.settle";

/// Until a comune has joined pagoPA (settings and key), its payment requests wait this long
/// between attempts, as they did before the integration existed.
const NOT_CONFIGURED_RETRY: Duration = Duration::from_secs(6 * 3600);
/// A refused key is an operator's problem: retry hourly until it is fixed.
const UNAUTHORIZED_RETRY: Duration = Duration::from_secs(3600);
/// Positions are worth trying for days (GPD outages are rare but long).
const POSITION_MAX_ATTEMPTS: u32 = 40;

/// The payload of [`POSITION_CREATE`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PositionMessage {
    pub position: Uuid,
    pub iupd: String,
}

/// The payload of [`POSITION_SETTLE`]: the position is found by what it pays for, since the
/// process settling it may act before the payment request was delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settle {
    pub origin: String,
    pub outcome: Settlement,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Settlement {
    /// Paid at the comune's counter: GPD is told, so that nobody pays it again.
    PaidElsewhere { at: jiff::Timestamp },
    /// No longer owed (the request was withdrawn): the notice is cancelled.
    Cancelled,
}

impl Settle {
    pub fn idempotency_key(&self) -> String {
        format!("gpd.settle:{}", self.origin)
    }
}

/// A settlement waits this long for its position to be created.
const SETTLE_WAIT: Duration = Duration::from_secs(60);

/// The topics this sink delivers.
pub const TOPICS: [&str; 3] = [PAYMENT_REQUESTED, POSITION_CREATE, POSITION_SETTLE];

/// Delivers the pagoPA topics of the outbox.
#[derive(Clone)]
pub struct PagoPaSink {
    store: Store,
    gpd: GpdClient,
    settings: PagoPaSettings,
}

impl PagoPaSink {
    pub fn new(store: Store, gpd: GpdClient, settings: PagoPaSettings) -> PagoPaSink {
        PagoPaSink {
            store,
            gpd,
            settings,
        }
    }

    pub fn gpd(&self) -> &GpdClient {
        &self.gpd
    }

    pub fn settings(&self) -> &PagoPaSettings {
        &self.settings
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn handles(topic: &str) -> bool {
        TOPICS.contains(&topic)
    }

    async fn tenant(&self, message: &Message) -> Result<Tenant, DeliveryError> {
        let id = message
            .tenant
            .ok_or_else(|| permanent("a pagoPA message without a comune"))?;
        self.store
            .tenant(id)
            .await
            .map_err(store_error)?
            .ok_or_else(|| permanent("the comune no longer exists"))
    }

    /// The comune as GPD knows it, or a wait if it has not joined pagoPA yet.
    fn creditor<'a>(&'a self, tenant: &'a Tenant) -> Result<Creditor<'a>, DeliveryError> {
        self.settings
            .creditor(tenant)
            .map_err(|_| DeliveryError::Transient {
                reason: format!(
                    "comune {} has no pagoPA settings or subscription key yet",
                    tenant.slug
                ),
                retry_after: Some(NOT_CONFIGURED_RETRY),
            })
    }

    /// Puts a pending position on GPD at once (the citizen pressed "pay" before the outbox
    /// got to it) and returns its state. Safe beside the outbox delivery: both read back by
    /// `iupd` before creating.
    pub async fn publish_now(
        &self,
        tenant: &Tenant,
        stored: &StoredPosition,
    ) -> Result<PositionState, CallError> {
        if stored.state != PositionState::Pending {
            return Ok(stored.state);
        }
        let creditor = self.settings.creditor(tenant)?;
        match create_once(&self.gpd, &creditor, stored, true).await {
            Ok(response) => {
                let state = state_from(&response);
                let mut tx = self.store.begin().await?;
                record_state(
                    &mut tx,
                    tenant,
                    stored,
                    state,
                    None,
                    self.settings.public_url.as_deref(),
                )
                .await?;
                tx.commit().await?;
                Ok(state)
            }
            Err(error) => Err(CallError::Api(error)),
        }
    }

    async fn request_payment(&self, message: &Message) -> Result<(), DeliveryError> {
        let tenant = self.tenant(message).await?;
        if let Err(wait) = self.creditor(&tenant) {
            // Not an attempt used up: the request waits for the comune to join pagoPA.
            self.store
                .hold_outbox_message(message.id)
                .await
                .map_err(store_error)?;
            return Err(wait);
        }
        let request: PaymentRequest = serde_json::from_value(message.payload.clone())
            .map_err(|e| permanent(&format!("not a payment request: {e}")))?;
        let scope = self.store.scoped(tenant.id);
        if scope
            .position_by_origin(&request.origin())
            .await
            .map_err(store_error)?
            .is_some()
        {
            return Ok(());
        }
        let today = today();
        let mut tx = self.store.begin().await.map_err(store_error)?;
        let year = today.year();
        let base = tx
            .next_iuv_base(tenant.id, year)
            .await
            .map_err(store_error)?;
        let base = IuvBase::new(base).map_err(|e| permanent(&e.to_string()))?;
        let position = position_for_request(&tenant, &request, base, today)
            .map_err(|e| permanent(&e.to_string()))?;
        let (stored, created) = tx
            .insert_position(
                tenant.id,
                &NewPosition {
                    origin: request.origin(),
                    pratica: Some(request.pratica),
                    campaign: None,
                    position: &position,
                },
            )
            .await
            .map_err(store_error)?;
        if !created {
            // Written meanwhile by another worker: give the notice number back.
            return Ok(());
        }
        enqueue_create(&mut tx, &tenant, &stored)
            .await
            .map_err(store_error)?;
        Actor::system()
            .entry(
                Some(tenant.id),
                "payment.position_created",
                format!("pratica:{}", request.pratica),
                serde_json::json!({
                    "iupd": stored.iupd().as_str(),
                    "notice_number": position.options.first().map(|o| o.notice_number.as_str()),
                    "amount_cents": position.total().get(),
                    "purpose": request.purpose.key(),
                }),
            )
            .record(&mut tx)
            .await
            .map_err(store_error)?;
        tx.commit().await.map_err(store_error)
    }

    async fn create_position(&self, message: &Message) -> Result<(), DeliveryError> {
        let tenant = self.tenant(message).await?;
        let creditor = self.creditor(&tenant)?;
        let payload: PositionMessage = serde_json::from_value(message.payload.clone())
            .map_err(|e| permanent(&format!("not a position message: {e}")))?;
        let scope = self.store.scoped(tenant.id);
        let stored = scope
            .position(payload.position)
            .await
            .map_err(store_error)?
            .ok_or_else(|| permanent("the position is gone"))?;
        if stored.state != PositionState::Pending {
            return Ok(());
        }
        let outcome = create_once(&self.gpd, &creditor, &stored, message.attempt > 1).await;
        match outcome {
            Ok(response) => self.acknowledge(&tenant, &stored, &response).await,
            Err(ApiError::Invalid { status, detail }) => {
                let reason = format!("GPD refused the position ({status}): {detail}");
                self.fail(&tenant, &stored, &reason).await?;
                Err(permanent(&reason))
            }
            Err(error) => Err(delivery_error(error)),
        }
    }

    async fn settle(&self, message: &Message) -> Result<(), DeliveryError> {
        let tenant = self.tenant(message).await?;
        let creditor = self.creditor(&tenant)?;
        let settle: Settle = serde_json::from_value(message.payload.clone())
            .map_err(|e| permanent(&format!("not a settlement: {e}")))?;
        let Some(stored) = self
            .store
            .scoped(tenant.id)
            .position_by_origin(&settle.origin)
            .await
            .map_err(store_error)?
        else {
            // Not yet made from its payment request, or never asked for (nothing was owed).
            let request = self
                .store
                .outbox_message_state(&crate::request::request_key(&settle.origin))
                .await
                .map_err(store_error)?;
            return match request {
                Some(state) if state.status != sportello_store::outbox::Status::Failed => {
                    Err(DeliveryError::Transient {
                        reason: format!("no position for {} yet", settle.origin),
                        retry_after: Some(SETTLE_WAIT),
                    })
                }
                _ => Ok(()),
            };
        };
        if stored.state.is_paid() {
            return Ok(());
        }
        let on_gpd = stored.state != PositionState::Pending;
        match settle.outcome {
            Settlement::PaidElsewhere { at } => {
                let Some(option) = stored.position.single().or(stored.position.options.first())
                else {
                    return Err(permanent("a position without options"));
                };
                if on_gpd {
                    match self
                        .gpd
                        .mark_paid(&creditor, option.notice_number.as_str(), at)
                        .await
                    {
                        Ok(_) => {}
                        // Already paid (through pagoPA meanwhile) or no longer payable: the
                        // receipts watcher records what really happened.
                        Err(ApiError::Conflict { .. } | ApiError::Invalid { status: 422, .. }) => {
                            return Ok(());
                        }
                        Err(error) => return Err(delivery_error(error)),
                    }
                }
                let receipt = sportello_store::payments::Receipt {
                    notice_number: option.notice_number.as_str().to_owned(),
                    receipt_id: format!("SPORTELLO-{}", option.notice_number),
                    amount: option.amount(),
                    fee: None,
                    paid_at: at,
                    psp: None,
                    method: Some("counter".to_owned()),
                    source: "counter".to_owned(),
                };
                crate::receipts::record_receipt(&self.store, tenant.id, &receipt)
                    .await
                    .map_err(store_error)?;
                Ok(())
            }
            Settlement::Cancelled if !on_gpd => {
                // Never sent: the pending creation will find it no longer pending.
                let mut tx = self.store.begin().await.map_err(store_error)?;
                tx.set_position_state(
                    tenant.id,
                    stored.id,
                    PositionState::Gpd(PositionStatus::Invalid),
                    Some("cancelled before reaching pagoPA"),
                )
                .await
                .map_err(store_error)?;
                tx.commit().await.map_err(store_error)
            }
            Settlement::Cancelled => {
                let response = match self.gpd.invalidate(&creditor, stored.iupd().as_str()).await {
                    Ok(response) => response,
                    Err(ApiError::Conflict { .. }) => self
                        .gpd
                        .get(&creditor, stored.iupd().as_str())
                        .await
                        .map_err(delivery_error)?,
                    Err(error) => return Err(delivery_error(error)),
                };
                self.acknowledge(&tenant, &stored, &response).await
            }
        }
    }

    /// Records what GPD says the position now is.
    async fn acknowledge(
        &self,
        tenant: &Tenant,
        stored: &StoredPosition,
        response: &PositionResponse,
    ) -> Result<(), DeliveryError> {
        let state = state_from(response);
        if state == stored.state {
            return Ok(());
        }
        let mut tx = self.store.begin().await.map_err(store_error)?;
        record_state(
            &mut tx,
            tenant,
            stored,
            state,
            None,
            self.settings.public_url.as_deref(),
        )
        .await
        .map_err(store_error)?;
        tx.commit().await.map_err(store_error)
    }

    async fn fail(
        &self,
        tenant: &Tenant,
        stored: &StoredPosition,
        reason: &str,
    ) -> Result<(), DeliveryError> {
        let mut tx = self.store.begin().await.map_err(store_error)?;
        record_state(
            &mut tx,
            tenant,
            stored,
            PositionState::Failed,
            Some(reason),
            None,
        )
        .await
        .map_err(store_error)?;
        tx.commit().await.map_err(store_error)
    }
}

/// Records a position's new state in the caller's transaction; a refusal by GPD is also
/// audited (`payment.position_refused`), whoever met it (the outbox, a campaign).
pub async fn record_state(
    tx: &mut sportello_store::Tx,
    tenant: &Tenant,
    stored: &StoredPosition,
    state: PositionState,
    error: Option<&str>,
    public_url: Option<&str>,
) -> Result<(), StoreError> {
    tx.set_position_state(tenant.id, stored.id, state, error)
        .await?;
    // Payable now: the debtor is told, once (the notification's origin is the position).
    // A spontaneous payment is being paid by the citizen on the page: no message for it.
    if stored.state == PositionState::Pending
        && state.is_payable()
        && !stored.origin.starts_with("spontaneous:")
    {
        crate::announce::announce_notice(tx, tenant, stored, public_url).await?;
    }
    if state == PositionState::Failed {
        Actor::system()
            .entry(
                Some(tenant.id),
                "payment.position_refused",
                format!("position:{}", stored.id),
                serde_json::json!({ "iupd": stored.iupd().as_str(), "reason": error }),
            )
            .record(tx)
            .await?;
    }
    Ok(())
}

/// What Sportello records of GPD's answer. Paid states are not taken from it: they come with
/// receipts, which the receipts watcher records (telling the owning process); until then the
/// position is payable.
fn state_from(response: &PositionResponse) -> PositionState {
    match response.status().unwrap_or(PositionStatus::Valid) {
        status if status.is_paid() || status == PositionStatus::PartiallyPaid => {
            PositionState::Gpd(PositionStatus::Valid)
        }
        status => PositionState::Gpd(status),
    }
}

/// Creates the position at GPD unless it is there already. `retry` says an earlier attempt
/// may have reached GPD: then the position is read back first.
pub async fn create_once(
    gpd: &GpdClient,
    creditor: &Creditor<'_>,
    stored: &StoredPosition,
    retry: bool,
) -> Result<PositionResponse, ApiError> {
    let iupd = stored.iupd().as_str();
    if retry {
        match gpd.get(creditor, iupd).await {
            Ok(found) => return Ok(found),
            Err(ApiError::NotFound { .. }) => {}
            Err(error) => return Err(error),
        }
    }
    let model = PaymentPositionModel::from(&stored.position);
    match gpd.create(creditor, &model, true).await {
        Ok(created) => Ok(created),
        // Ours from an attempt whose answer was lost, or a clash of notice numbers: only
        // reading it back tells which.
        Err(ApiError::Conflict { detail }) => match gpd.get(creditor, iupd).await {
            Ok(found) => Ok(found),
            Err(ApiError::NotFound { .. }) => Err(ApiError::Invalid {
                status: 409,
                detail: format!("a notice number of the position is taken: {detail}"),
            }),
            Err(error) => Err(error),
        },
        Err(error) => Err(error),
    }
}

/// Queues the creation of a stored position at GPD, in the caller's transaction.
pub async fn enqueue_create(
    tx: &mut sportello_store::Tx,
    tenant: &Tenant,
    stored: &StoredPosition,
) -> Result<bool, StoreError> {
    tx.enqueue(&NewMessage {
        tenant: Some(tenant.id),
        topic: POSITION_CREATE.to_owned(),
        idempotency_key: format!("gpd.create:{}:{}", tenant.id, stored.iupd()),
        payload: serde_json::to_value(PositionMessage {
            position: stored.id,
            iupd: stored.iupd().as_str().to_owned(),
        })
        .map_err(|e| StoreError::Invalid(e.to_string()))?,
        max_attempts: POSITION_MAX_ATTEMPTS,
    })
    .await
}

impl Sink for PagoPaSink {
    async fn deliver(&self, message: &Message) -> Result<(), DeliveryError> {
        match message.topic.as_str() {
            PAYMENT_REQUESTED => self.request_payment(message).await,
            POSITION_CREATE => self.create_position(message).await,
            POSITION_SETTLE => self.settle(message).await,
            other => Err(permanent(&format!(
                "the pagoPA sink cannot deliver {other:?}"
            ))),
        }
    }
}

pub(crate) fn delivery_error(error: ApiError) -> DeliveryError {
    match error {
        ApiError::Unauthorized { .. } => DeliveryError::Transient {
            reason: error.to_string(),
            retry_after: Some(UNAUTHORIZED_RETRY),
        },
        error if error.is_transient() => DeliveryError::Transient {
            retry_after: error.retry_after(),
            reason: error.to_string(),
        },
        error => DeliveryError::Permanent {
            reason: error.to_string(),
        },
    }
}

pub(crate) fn store_error(error: StoreError) -> DeliveryError {
    DeliveryError::Transient {
        reason: format!("database: {error}"),
        retry_after: None,
    }
}

fn permanent(reason: &str) -> DeliveryError {
    DeliveryError::Permanent {
        reason: reason.to_owned(),
    }
}
