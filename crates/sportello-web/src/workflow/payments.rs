//! The payment port. A pratica that owes money (stamp duty on the request, the fee and the
//! stamp on the permit) asks for a payment by writing a `payment.requested` message to the
//! outbox in the same transaction as the state change that makes the amount due. The pagoPA
//! adapter consumes these messages (creating the debt position and, when the receipt arrives,
//! recording the payment on the pratica); until it is installed, the message waits in the outbox
//! and a clerk can record a payment made at the counter.

use serde::Serialize;
use sportello_domain::{Cents, CodiceFiscale, TenantId};
use sportello_store::outbox::NewMessage;
use sportello_store::{StoreError, Tx};
use uuid::Uuid;

/// The outbox topic of payment requests.
pub(crate) const TOPIC: &str = "payment.requested";

/// What a payment is for: at most one request of each purpose per pratica.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Purpose {
    /// Due when the request is filed: the stamp duty on the application.
    Submission,
    /// Due when the request is approved: the fee and the stamp duty on the permit.
    Decision,
}

impl Purpose {
    fn key(self) -> &'static str {
        match self {
            Purpose::Submission => "submission",
            Purpose::Decision => "decision",
        }
    }
}

/// Which kind of amount a line is: pagoPA pays stamp duty as a *marca da bollo digitale*,
/// everything else to the comune's account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum LineKind {
    Fee,
    StampDuty,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct PaymentLine {
    pub kind: LineKind,
    /// Remittance text for this line, in Italian (what pagoPA shows).
    pub description: String,
    pub amount: Cents,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct PaymentRequest {
    pub pratica: Uuid,
    /// The protocol number of the request, e.g. `0000042/2026`.
    pub protocol: String,
    pub purpose: Purpose,
    pub debtor_fiscal_code: CodiceFiscale,
    pub debtor_name: String,
    /// The remittance reason (causale), in Italian.
    pub reason: String,
    pub lines: Vec<PaymentLine>,
}

impl PaymentRequest {
    pub fn total(&self) -> Cents {
        self.lines.iter().fold(Cents::ZERO, |sum, line| {
            sum.checked_add(line.amount).unwrap_or(sum)
        })
    }
}

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
        topic: TOPIC.to_owned(),
        idempotency_key: format!("payment:{}:{}", request.pratica, request.purpose.key()),
        payload,
        max_attempts: 20,
    })
    .await
}
