//! The receipt of a payment made through pagoPA, from the receipt (`paSendRT`) the creditor
//! receives: what was paid, by whom, when, through which PSP, and how it splits among the
//! creditor's accounts.

use jiff::Timestamp;
use sportello_domain::lang::Lang;
use sportello_domain::money::Cents;
use sportello_domain::pagopa::NoticeNumber;

use crate::DocumentError;
use crate::fonts::Fonts;
use crate::layout::{BODY, Composer, Meta, Style};
use crate::model::{AmountDue, Letterhead, Person};
use crate::parts::letterhead;
use crate::text::{self, tr};

/// Everything a payment receipt states. Strings arrive localized in `lang`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentReceipt {
    pub lang: Lang,
    pub comune: Letterhead,
    /// The debtor the payment was for.
    pub payer: Person,
    /// What was paid: `TARI 2026, rata unica`.
    pub description: String,
    pub notice_number: NoticeNumber,
    /// The IUV (`creditorReferenceId`).
    pub iuv: String,
    pub amount: Cents,
    pub paid_at: Timestamp,
    /// The payment service provider that collected the payment.
    pub psp: Option<String>,
    /// pagoPA's identifier of the receipt (`receiptId`).
    pub receipt_id: String,
    /// How the amount splits among the creditor's accounts (the transfers of the receipt);
    /// empty when there is only one.
    pub transfers: Vec<AmountDue>,
}

/// Renders the payment receipt as an A4 PDF.
pub fn render_payment_receipt(receipt: &PaymentReceipt) -> Result<Vec<u8>, DocumentError> {
    let lang = receipt.lang;
    let fonts = Fonts::load()?;
    let title = tr(lang, "Ricevuta di pagamento", "Payment receipt");
    let footer = format!("{} · {} {}", receipt.comune.name, title, receipt.receipt_id);
    let mut page = Composer::new(&fonts, lang, footer.clone());

    letterhead(&mut page, lang, &receipt.comune);
    page.title(title);
    page.paragraph(
        BODY,
        tr(
            lang,
            "Il pagamento descritto sotto è stato eseguito con pagoPA e ricevuto dall'ente. \
             Conserva questa ricevuta come prova del pagamento.",
            "The payment described below was made with pagoPA and received by the comune. \
             Keep this receipt as proof of payment.",
        ),
    );

    let payer = format!(
        "{} ({} {})",
        receipt.payer.name,
        tr(lang, "C.F.", "tax code"),
        receipt.payer.codice_fiscale
    );
    let amount = receipt.amount.to_italian_string();
    let paid_at = text::date_time(lang, receipt.paid_at)?;
    let printed = receipt.notice_number.printed();
    let mut rows: Vec<(&str, &str, Style)> = vec![
        (
            tr(lang, "Oggetto del pagamento", "Payment for"),
            receipt.description.as_str(),
            BODY,
        ),
        (tr(lang, "Pagatore", "Payer"), payer.as_str(), BODY),
        (
            tr(lang, "Importo pagato", "Amount paid"),
            amount.as_str(),
            BODY.bold(),
        ),
        (
            tr(lang, "Data del pagamento", "Paid on"),
            paid_at.as_str(),
            BODY,
        ),
        (
            tr(lang, "Codice avviso", "Notice number"),
            printed.as_str(),
            BODY,
        ),
        ("IUV", receipt.iuv.as_str(), BODY),
        (
            tr(lang, "Ente creditore", "Creditor"),
            receipt.comune.name.as_str(),
            BODY,
        ),
        (
            tr(lang, "Codice fiscale dell'ente", "Creditor's tax code"),
            receipt.comune.codice_fiscale.as_str(),
            BODY,
        ),
    ];
    if let Some(psp) = &receipt.psp {
        rows.push((
            tr(
                lang,
                "Prestatore di servizi di pagamento",
                "Payment service provider",
            ),
            psp.as_str(),
            BODY,
        ));
    }
    rows.push((
        tr(lang, "Identificativo della ricevuta", "Receipt ID"),
        receipt.receipt_id.as_str(),
        BODY,
    ));
    page.heading(tr(lang, "Il pagamento", "The payment"));
    page.rows(rows);

    if !receipt.transfers.is_empty() {
        page.heading(tr(
            lang,
            "Dettaglio degli importi",
            "Breakdown of the amount",
        ));
        let amounts: Vec<(&str, String)> = receipt
            .transfers
            .iter()
            .map(|due| (due.label.as_str(), due.amount.to_italian_string()))
            .collect();
        page.rows(
            amounts
                .iter()
                .map(|(label, value)| (*label, value.as_str(), BODY)),
        );
    }

    page.finish(Meta {
        lang,
        title: format!("{title} {}", receipt.receipt_id),
        author: receipt.comune.name.clone(),
        document_id: format!("sportello:payment-receipt:{}", receipt.receipt_id),
        created: text::in_rome(receipt.paid_at)?,
        footer,
    })
}
