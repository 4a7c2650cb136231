//! Telling the debtor that a notice can be paid: once a position is on pagoPA, a
//! `payment_notice` notification is created in the same transaction that records it, with
//! the payment data App IO needs for its pay button. Whoever publishes the position (the
//! outbox, the "pay" button, a campaign) goes through [`crate::delivery::record_state`], so
//! there is one notification per position, whatever the path.

use sportello_domain::notification::{Event, Facts, page_url, template};
use sportello_domain::{CodiceFiscale, Lang, Tenant};
use sportello_store::notifications::{NewNotification, PaymentFacts};
use sportello_store::payments::StoredPosition;
use sportello_store::{StoreError, Tx};

/// Creates the notification of a payable position, unless its debtor cannot be a citizen of
/// App IO (a company's VAT number) or it was created already.
pub async fn announce_notice(
    tx: &mut Tx,
    tenant: &Tenant,
    stored: &StoredPosition,
    public_url: Option<&str>,
) -> Result<(), StoreError> {
    let position = &stored.position;
    let Ok(recipient) = CodiceFiscale::parse(&position.debtor.fiscal_code) else {
        return Ok(());
    };
    let Some(option) = position.single().or_else(|| position.options.first()) else {
        return Ok(());
    };
    let lang = tx
        .recipient_language(tenant.id, &recipient)
        .await?
        .unwrap_or(Lang::It);
    let facts = Facts {
        comune: tenant.profile.name.clone(),
        link: page_url(
            public_url,
            tenant,
            &format!("/area-personale/pagamenti/{}", stored.id),
        ),
        description: Some(position.description().to_owned()),
        amount: Some(option.amount()),
        notice: Some(option.notice_number.printed()),
        date: Some(option.due_date),
        ..Facts::default()
    };
    let today = jiff::Zoned::now().date();
    let composed = template::compose(
        &tenant.profile.notifications,
        Event::PaymentNotice,
        lang,
        &facts,
        today,
    )
    .map_err(|e| StoreError::Invalid(format!("payment notice message: {e}")))?;
    tx.create_notification(&NewNotification {
        tenant: tenant.id,
        origin: format!("payment_notice:{}", stored.id),
        recipient,
        user: None,
        event: Event::PaymentNotice,
        lang,
        composed,
        pratica: stored.pratica,
        position: Some(stored.id),
        payment: Some(PaymentFacts {
            amount_cents: option.amount().get(),
            notice_number: option.notice_number.as_str().to_owned(),
            due_date: option.due_date,
            invalid_after_due_date: position.switch_to_expired,
        }),
        due_date: Some(option.due_date),
        created_by: "system".to_owned(),
    })
    .await?;
    Ok(())
}
