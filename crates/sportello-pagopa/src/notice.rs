//! The payment notice (*avviso di pagamento pagoPA*) and the payment receipt of a position,
//! as the documents crate renders them: this module only gathers what they print.

use sportello_documents::{
    AmountDue, DocumentError, Letterhead, NoticeCreditor, NoticeDebtor, NoticeInstalment,
    NoticeOptions, PaymentNotice, PaymentReceipt, Person, render_payment_notice,
    render_payment_receipt,
};
use sportello_domain::payment::{DebtPosition, Destination, PaymentOption};
use sportello_domain::{Lang, Tenant};
use sportello_store::payments::{Receipt, StoredPosition};

/// The notice's subject is at most 90 characters.
const SUBJECT_MAX: usize = 90;

fn instalment(option: &PaymentOption) -> NoticeInstalment {
    NoticeInstalment {
        notice_number: option.notice_number.clone(),
        amount: option.amount(),
        due_date: Some(option.due_date),
    }
}

/// What the notice of `position` prints, for the comune `tenant`.
pub fn notice_of(tenant: &Tenant, position: &DebtPosition) -> PaymentNotice {
    let profile = &tenant.profile;
    let collection = profile.pagopa.as_ref();
    let description = position.description().to_owned();
    let address = &profile.address;
    // The postal block only makes sense when the transfers go to the postal account too.
    let postal = position.options.iter().all(|o| {
        o.transfers.iter().all(|t| match &t.destination {
            Destination::Account { postal_iban, .. } => postal_iban.is_some(),
            Destination::Stamp(_) => false,
        })
    });
    PaymentNotice {
        subject: description.chars().take(SUBJECT_MAX).collect(),
        creditor: NoticeCreditor {
            name: profile.name.clone(),
            fiscal_code: profile.codice_fiscale.clone(),
            sector: collection.and_then(|c| c.sector.clone()),
            info: Some(format!(
                "{}, {} {} ({}) · {}",
                address.street,
                address.postal_code,
                address.city,
                address.province,
                profile.contacts.phone
            )),
            website: Some(profile.links.institutional_site.to_string()),
            cbill: collection.and_then(|c| c.cbill.clone()),
            postal_account: collection
                .filter(|_| postal)
                .and_then(|c| c.postal_account.clone()),
            postal_account_holder: collection.and_then(|c| c.postal_account_holder.clone()),
        },
        debtor: NoticeDebtor {
            fiscal_code: position.debtor.fiscal_code.clone(),
            full_name: position.debtor.full_name.clone(),
            address: None,
        },
        reason: description,
        options: NoticeOptions {
            single: position.single().map(instalment),
            instalments: position.instalments().map(instalment).collect(),
        },
    }
}

/// The notice as PDF.
pub fn notice_pdf(tenant: &Tenant, position: &DebtPosition) -> Result<Vec<u8>, DocumentError> {
    render_payment_notice(&notice_of(tenant, position))
}

/// The receipt of one paid notice as PDF, in `lang`.
pub fn receipt_pdf(
    tenant: &Tenant,
    stored: &StoredPosition,
    receipt: &Receipt,
    lang: Lang,
) -> Result<Vec<u8>, DocumentError> {
    let profile = &tenant.profile;
    let option = stored
        .position
        .options
        .iter()
        .find(|o| o.notice_number.as_str() == receipt.notice_number);
    let (notice_number, description, transfers) = match option {
        Some(option) => (
            option.notice_number.clone(),
            option.description.clone(),
            option
                .transfers
                .iter()
                .map(|t| AmountDue {
                    label: t.remittance.clone(),
                    amount: t.amount,
                })
                .collect(),
        ),
        None => {
            return Err(DocumentError::InvalidNotice(format!(
                "notice {} is not part of the position",
                receipt.notice_number
            )));
        }
    };
    render_payment_receipt(&PaymentReceipt {
        lang,
        comune: Letterhead::of(profile),
        payer: Person {
            name: stored.position.debtor.full_name.clone(),
            codice_fiscale: stored.position.debtor.fiscal_code.clone(),
        },
        description,
        iuv: notice_number.iuv().as_str().to_owned(),
        notice_number,
        amount: receipt.amount,
        paid_at: receipt.paid_at,
        psp: receipt.psp.clone(),
        receipt_id: receipt.receipt_id.clone(),
        transfers,
    })
}
