//! The payment port of the workflow. A pratica that owes money (stamp duty on the request, the
//! fee and the stamp on the permit) asks for a payment by writing a `payment.requested`
//! message to the outbox in the same transaction as the state change that makes the amount
//! due; the pagoPA sink turns it into a debt position (see `sportello_pagopa::delivery`).
//! When the position is paid in full, `payment.received` comes back through the outbox and
//! [`on_payment_received`] moves the pratica on.

use sportello_domain::TenantId;
use sportello_domain::pratica::PraticaState;
use sportello_pagopa::PaymentReceived;
use sportello_pagopa::delivery::{POSITION_SETTLE, Settle, Settlement};
pub(crate) use sportello_pagopa::request::{LineKind, PaymentLine, PaymentRequest, Purpose};
use sportello_store::outbox::{DeliveryError, Message, NewMessage};
use sportello_store::{Actor, Store, StoreError, Tx};
use uuid::Uuid;

/// Enqueues the request in the caller's transaction. Asking twice for the same pratica and
/// purpose stores one message (the idempotency key), so a retried action never bills twice.
pub(crate) async fn request_payment(
    tx: &mut Tx,
    tenant: TenantId,
    request: &PaymentRequest,
) -> Result<bool, StoreError> {
    let mut payload = serde_json::to_value(request)
        .map_err(|e| StoreError::Invalid(format!("payment request: {e}")))?;
    if let Some(map) = payload.as_object_mut() {
        map.insert("total".to_owned(), request.total().get().into());
    }
    tx.enqueue(&NewMessage {
        tenant: Some(tenant),
        topic: sportello_pagopa::PAYMENT_REQUESTED.to_owned(),
        idempotency_key: request.idempotency_key(),
        payload,
        max_attempts: 20,
    })
    .await
}

/// Settles what `pratica` owes for `purpose` outside pagoPA, in the caller's transaction: paid
/// at the counter (GPD is told, so that nobody pays it twice) or no longer owed (the notice is
/// cancelled). Nothing happens if nothing was asked for that purpose.
pub(crate) async fn settle(
    tx: &mut Tx,
    tenant: TenantId,
    pratica: Uuid,
    purpose: Purpose,
    outcome: Settlement,
) -> Result<bool, StoreError> {
    let settle = Settle {
        origin: format!("pratica:{pratica}:{}", purpose.key()),
        outcome,
    };
    tx.enqueue(&NewMessage {
        tenant: Some(tenant),
        topic: POSITION_SETTLE.to_owned(),
        idempotency_key: settle.idempotency_key(),
        payload: serde_json::to_value(&settle)
            .map_err(|e| StoreError::Invalid(format!("settlement: {e}")))?,
        max_attempts: 30,
    })
    .await
}

/// Delivers `payment.received`: the fee of an approved request was paid, so the pratica
/// records the payment (and the office can issue the permit). A payment for anything else, or
/// for a pratica that moved on meanwhile (withdrawn, already recorded at the counter), changes
/// nothing. A concurrent change by a clerk is retried.
pub async fn on_payment_received(store: &Store, message: &Message) -> Result<(), DeliveryError> {
    let permanent = |reason: String| DeliveryError::Permanent { reason };
    let transient = |reason: String| DeliveryError::Transient {
        reason,
        retry_after: None,
    };
    let tenant_id = message
        .tenant
        .ok_or_else(|| permanent("payment.received without a comune".into()))?;
    let paid: PaymentReceived = serde_json::from_value(message.payload.clone())
        .map_err(|e| permanent(format!("not a payment.received payload: {e}")))?;
    let Some(pratica_id) = paid.pratica else {
        return Ok(());
    };
    if !paid
        .origin
        .ends_with(&format!(":{}", Purpose::Decision.key()))
    {
        return Ok(());
    }
    let tenant = store
        .tenant(tenant_id)
        .await
        .map_err(|e| transient(e.to_string()))?
        .ok_or_else(|| permanent("the comune no longer exists".into()))?;
    let scope = store.scoped(tenant_id);
    let Some(current) = scope
        .pratica(pratica_id)
        .await
        .map_err(|e| transient(e.to_string()))?
    else {
        return Ok(());
    };
    if current.state() != PraticaState::AwaitingPayment {
        return Ok(());
    }
    // The event carries the payment's own time unless the pratica's history is later (a clock
    // skew between pagoPA and us must not refuse a real payment).
    let now = jiff::Timestamp::now();
    let result = scope
        .transition(
            pratica_id,
            current.version,
            None,
            &tenant.profile.calendar,
            &Actor::system(),
            |p| {
                p.record_payment(paid.paid_at)
                    .or_else(|_| p.record_payment(now))
            },
        )
        .await;
    match result {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(refused)) => Err(permanent(format!(
            "the pratica refused the payment: {}",
            refused.message().it
        ))),
        Err(StoreError::Conflict(reason)) => Err(transient(reason)),
        Err(error) => Err(transient(error.to_string())),
    }
}
