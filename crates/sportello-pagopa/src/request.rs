//! Payment requests from Sportello's processes (the `payment.requested` outbox topic) and the
//! debt positions made from them.
//!
//! A process that makes an amount due (a request filed with stamp duty, a permit approved with
//! a fee) writes a [`PaymentRequest`] to the outbox in the same transaction. Its delivery
//! turns it into a position with a fresh notice number (see [`position_for_request`]) and asks
//! for the position's creation at GPD, again through the outbox.

use serde::{Deserialize, Serialize};
use sportello_domain::calendar::local_date;
use sportello_domain::pagopa::{IuvBase, NoticeNumber};
use sportello_domain::payment::{
    Collection, DebtPosition, Debtor, Destination, DigitalStamp, Iupd, PaymentOption, Transfer,
};
use sportello_domain::{Cents, CodiceFiscale, Tenant};
use uuid::Uuid;

/// The outbox topic of payment requests.
pub const PAYMENT_REQUESTED: &str = "payment.requested";

/// What a payment is for: at most one request of each purpose per pratica.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Purpose {
    /// Due when the request is filed: the stamp duty on the application.
    Submission,
    /// Due when the request is approved: the fee and the stamp duty on the permit.
    Decision,
}

impl Purpose {
    pub fn key(self) -> &'static str {
        match self {
            Purpose::Submission => "submission",
            Purpose::Decision => "decision",
        }
    }
}

/// Which kind of amount a line is: pagoPA collects stamp duty as a *marca da bollo digitale*,
/// everything else goes to the comune's account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LineKind {
    Fee,
    StampDuty,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentLine {
    pub kind: LineKind,
    /// Remittance text for this line, in Italian (what pagoPA shows).
    pub description: String,
    pub amount: Cents,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRequest {
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

    /// The position's origin: one per pratica and purpose.
    pub fn origin(&self) -> String {
        format!("pratica:{}:{}", self.pratica, self.purpose.key())
    }

    /// The outbox idempotency key: asking twice for the same pratica and purpose stores one
    /// message, so a retried action never bills twice.
    pub fn idempotency_key(&self) -> String {
        request_key(&self.origin())
    }
}

/// The idempotency key of the payment request of a pratica's `origin`
/// (`pratica:<id>:<purpose>` → `payment:<id>:<purpose>`).
pub fn request_key(origin: &str) -> String {
    format!("payment:{}", origin.trim_start_matches("pratica:"))
}

/// Why a request cannot become a position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("the comune has no pagoPA settings")]
    NotCollecting,
    #[error("nothing to pay")]
    Nothing,
    #[error("{0}")]
    Position(#[from] sportello_domain::payment::PositionError),
}

/// The position that collects `request` for the comune, with the notice number made of
/// `base`. Its due date is the comune's `due_days` after `today`. A stamp line becomes a
/// digital stamp bound to the pratica and purpose (the document it stamps is the request or
/// the permit of that pratica), in the province of the comune.
pub fn position_for_request(
    tenant: &Tenant,
    request: &PaymentRequest,
    base: IuvBase,
    today: jiff::civil::Date,
) -> Result<DebtPosition, RequestError> {
    let collection: &Collection = tenant
        .profile
        .pagopa
        .as_ref()
        .ok_or(RequestError::NotCollecting)?;
    if request.lines.is_empty() {
        return Err(RequestError::Nothing);
    }
    let creditor = &tenant.profile.codice_fiscale;
    let iupd = Iupd::for_origin(
        creditor,
        &format!("P{}-{}", request.pratica.simple(), request.purpose.key()),
    )?;
    let mut transfers = Vec::with_capacity(request.lines.len());
    for line in &request.lines {
        let transfer = match line.kind {
            LineKind::Fee => Transfer::new(
                line.amount,
                &line.description,
                collection.fees_taxonomy.clone(),
                collection.fee_destination(),
            )?,
            LineKind::StampDuty => Transfer::new(
                line.amount,
                &line.description,
                collection.stamp_taxonomy.clone(),
                Destination::Stamp(DigitalStamp::new(
                    &stamped_document_digest(tenant, request),
                    DigitalStamp::STANDARD,
                    &tenant.profile.address.province,
                )?),
            )?,
        };
        transfers.push(transfer);
    }
    let notice = NoticeNumber::new(collection.segregation_code, base);
    let due = today
        .checked_add(jiff::Span::new().days(i64::from(collection.due_days)))
        .unwrap_or(today);
    let reason: String = request.reason.chars().take(140).collect();
    let option = PaymentOption::new(notice, &reason, due, false, transfers)?;
    Ok(DebtPosition::new(
        iupd,
        Debtor::person(&request.debtor_fiscal_code, &request.debtor_name)?,
        &tenant.profile.name,
        collection.sector.as_deref(),
        false,
        vec![option],
    )?)
}

/// Base64 of the SHA-256 that binds a digital stamp to what it stamps: the pratica and the
/// purpose name the document (the application, or the permit it will issue).
fn stamped_document_digest(tenant: &Tenant, request: &PaymentRequest) -> String {
    crate::digest::sha256_base64(
        format!(
            "{}:{}:{}:{}",
            tenant.id,
            request.pratica,
            request.purpose.key(),
            request.protocol
        )
        .as_bytes(),
    )
}

/// Today in Rome, for due dates.
pub fn today() -> jiff::civil::Date {
    local_date(jiff::Timestamp::now())
}
