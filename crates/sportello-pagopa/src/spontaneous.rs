//! Spontaneous payments: a citizen asks to pay something of the comune's catalogue (a
//! secretarial fee, a canteen top-up); the position is made there and then and goes to GPD
//! through the outbox.

use crate::delivery::enqueue_create;
use crate::request::today;
use sportello_domain::pagopa::NoticeNumber;
use sportello_domain::pagopa::{IuvBase, NoticeNumberError};
use sportello_domain::payment::{
    DebtPosition, Debtor, Iupd, PaymentOption, PositionError, SpontaneousPayment, Transfer,
};
use sportello_domain::{Cents, Tenant};
use sportello_store::payments::{NewPosition, StoredPosition};
use sportello_store::{Actor, Store, StoreError};
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum SpontaneousError {
    #[error("the comune does not collect through pagoPA")]
    NotCollecting,
    #[error(transparent)]
    Position(#[from] PositionError),
    #[error(transparent)]
    Notice(#[from] NoticeNumberError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Creates the position of a spontaneous payment of `amount` by `payer`, due in the comune's
/// usual number of days, and queues it for GPD. Audited as `payment.position_created`.
pub async fn create(
    store: &Store,
    tenant: &Tenant,
    item: &SpontaneousPayment,
    payer: Debtor,
    amount: Cents,
    actor: &Actor,
) -> Result<StoredPosition, SpontaneousError> {
    let collection = tenant
        .profile
        .pagopa
        .as_ref()
        .ok_or(SpontaneousError::NotCollecting)?;
    let id = Uuid::now_v7();
    let origin = format!("spontaneous:{id}");
    let today = today();
    let mut tx = store.begin().await?;
    let year = today.year();
    let base = IuvBase::new(tx.next_iuv_base(tenant.id, year).await?)?;
    let due = today
        .checked_add(jiff::Span::new().days(i64::from(collection.due_days)))
        .unwrap_or(today);
    let transfer = Transfer::new(
        amount,
        &item.remittance,
        item.taxonomy.clone(),
        collection.fee_destination(),
    )?;
    let option = PaymentOption::new(
        NoticeNumber::new(collection.segregation_code, base),
        &item.remittance,
        due,
        false,
        vec![transfer],
    )?;
    let position = DebtPosition::new(
        Iupd::for_origin(&tenant.profile.codice_fiscale, &format!("S{}", id.simple()))?,
        payer,
        &tenant.profile.name,
        collection.sector.as_deref(),
        false,
        vec![option],
    )?;
    let (stored, _) = tx
        .insert_position(
            tenant.id,
            &NewPosition {
                origin,
                pratica: None,
                campaign: None,
                position: &position,
            },
        )
        .await?;
    enqueue_create(&mut tx, tenant, &stored).await?;
    actor
        .entry(
            Some(tenant.id),
            "payment.position_created",
            format!("position:{}", stored.id),
            serde_json::json!({
                "iupd": stored.iupd().as_str(),
                "spontaneous": item.slug.as_str(),
                "amount_cents": amount.get(),
            }),
        )
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(stored)
}
