//! The receipt of a request submitted online (L. 241/1990 art. 18-bis), which also carries
//! what the notice of the start of the procedure must say (art. 8), so that it serves as
//! that notice too.

use jiff::civil::Date;
use sportello_domain::lang::Lang;
use sportello_domain::money::Cents;
use sportello_domain::pratica::{Silence, TermDays};

use crate::DocumentError;
use crate::fonts::Fonts;
use crate::fonts::Weight;
use crate::layout::{BODY, Composer, INK, Meta, Style};
use crate::model::{AmountDue, AttachmentEntry, Letterhead, Person, ProtocolStamp, Row};
use crate::parts::letterhead;
use crate::text::{self, tr};

/// Small enough for the 64 hex digits of a SHA-256 digest to fit the value column.
const DIGEST: Style = Style::new(Weight::Regular, 8.0, INK);

/// Everything a receipt states. Strings arrive localized in `lang`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub lang: Lang,
    pub comune: Letterhead,
    /// The registration of the request; its date is the filing date.
    pub protocol: ProtocolStamp,
    /// The service requested: `Permesso di accesso alla ZTL`.
    pub service: String,
    pub applicant: Person,
    /// Who filed the request for the applicant at the counter (`Mario Bianchi, Ufficio
    /// relazioni con il pubblico`); `None` when the applicant filed it online.
    pub filed_by: Option<String>,
    /// The office that handles the request.
    pub office: String,
    /// The person responsible for the procedure (art. 5).
    pub responsible: String,
    /// The holder of the substitute power when the office does not answer in time
    /// (art. 2 c. 9-bis), if the comune names one.
    pub substitute_power: Option<String>,
    pub term_days: TermDays,
    /// The last day for the answer, computed by the domain.
    pub term_ends_on: Date,
    pub silence: Silence,
    /// The personal-area page where the applicant follows the request.
    pub follow_url: String,
    /// The answers of the form, in the form's order.
    pub answers: Vec<Row>,
    pub attachments: Vec<AttachmentEntry>,
    /// Fees and stamp duty still to pay; empty when nothing is due.
    pub amounts: Vec<AmountDue>,
}

/// Renders the receipt as an A4 PDF.
pub fn render_receipt(receipt: &Receipt) -> Result<Vec<u8>, DocumentError> {
    let lang = receipt.lang;
    let fonts = Fonts::load()?;
    let protocol = text::protocol(lang, &receipt.protocol)?;
    let title = tr(lang, "Ricevuta di presentazione", "Receipt of submission");
    let footer = format!(
        "{} · {} {}",
        receipt.comune.name,
        tr(lang, "Ricevuta prot. n.", "Receipt, protocol no."),
        receipt.protocol.number
    );
    let mut page = Composer::new(&fonts, lang, footer.clone());

    letterhead(&mut page, lang, &receipt.comune);
    page.title(title);
    page.paragraph(
        BODY.bold(),
        &format!("{} {protocol}", tr(lang, "Protocollo n.", "Protocol no.")),
    );
    page.paragraph(
        BODY,
        tr(
            lang,
            "Questa ricevuta attesta che la richiesta descritta sotto è pervenuta ed è stata \
             registrata al protocollo generale dell'ente. Vale anche come comunicazione di avvio \
             del procedimento (artt. 7, 8 e 18-bis della L. 241/1990).",
            "This receipt confirms that the request described below has been received and \
             registered in the general protocol register. It also serves as notice that the \
             procedure has started (arts. 7, 8 and 18-bis of Law 241/1990).",
        ),
    );

    page.heading(tr(lang, "La richiesta", "The request"));
    let applicant = format!(
        "{} ({} {})",
        receipt.applicant.name,
        tr(lang, "C.F.", "tax code"),
        receipt.applicant.codice_fiscale
    );
    let mut rows = vec![
        (tr(lang, "Servizio", "Service"), receipt.service.clone()),
        (tr(lang, "Richiedente", "Applicant"), applicant),
    ];
    if let Some(clerk) = &receipt.filed_by {
        rows.push((
            tr(
                lang,
                "Presentata allo sportello da",
                "Filed at the counter by",
            ),
            clerk.clone(),
        ));
    }
    rows.extend([
        (
            tr(lang, "Data di presentazione", "Filed on"),
            text::date_time(lang, receipt.protocol.registered_at)?,
        ),
        (
            tr(lang, "Ufficio competente", "Office in charge"),
            receipt.office.clone(),
        ),
        (
            tr(lang, "Responsabile del procedimento", "Person responsible"),
            receipt.responsible.clone(),
        ),
        (
            tr(lang, "Domicilio digitale (PEC)", "Certified e-mail (PEC)"),
            receipt.comune.pec.clone(),
        ),
    ]);
    page.rows(
        rows.iter()
            .map(|(label, value)| (*label, value.as_str(), BODY)),
    );

    page.heading(tr(lang, "Termine e silenzio", "Term and silence"));
    let days = receipt.term_days.get();
    let ends = text::date(receipt.term_ends_on);
    let term = match lang {
        Lang::It => {
            format!("{days} giorni: entro il {ends} (salvo sospensioni previste dalla legge)")
        }
        Lang::En => format!("{days} days: by {ends} (unless suspended as the law provides)"),
    };
    let mut rows = vec![(
        tr(lang, "Termine per la risposta", "Term for the answer"),
        term,
    )];
    if let Some(holder) = &receipt.substitute_power {
        rows.push((
            tr(
                lang,
                "Titolare del potere sostitutivo",
                "Holder of the substitute power",
            ),
            holder.clone(),
        ));
    }
    page.rows(
        rows.iter()
            .map(|(label, value)| (*label, value.as_str(), BODY)),
    );
    page.paragraph(BODY, &silence(lang, receipt.silence, &ends));

    page.heading(tr(
        lang,
        "Come seguire la richiesta",
        "How to follow the request",
    ));
    page.paragraph(
        BODY,
        tr(
            lang,
            "Lo stato della richiesta, i documenti e le comunicazioni dell'ufficio sono \
             consultabili nell'area personale, accedendo con SPID o CIE:",
            "The status of the request, its documents and the office's messages are in your \
             personal area, where you log in with SPID or CIE:",
        ),
    );
    page.link(BODY.bold(), &receipt.follow_url);

    if !receipt.answers.is_empty() {
        page.heading(tr(
            lang,
            "Riepilogo della domanda",
            "Summary of the application",
        ));
        page.rows(
            receipt
                .answers
                .iter()
                .map(|row| (row.label.as_str(), row.value.as_str(), BODY)),
        );
    }

    if !receipt.attachments.is_empty() {
        page.heading(tr(lang, "Allegati", "Attachments"));
        page.paragraph(
            BODY,
            tr(
                lang,
                "L'impronta SHA-256 identifica ogni file così come è stato ricevuto ed è \
                 registrata nel protocollo.",
                "The SHA-256 digest identifies each file exactly as received and is recorded \
                 in the protocol register.",
            ),
        );
        let rows: Vec<(String, &str)> = receipt
            .attachments
            .iter()
            .map(|file| {
                let label = format!("{} ({})", file.name, text::size(file.size_bytes));
                (label, file.sha256_hex.as_str())
            })
            .collect();
        page.rows(
            rows.iter()
                .map(|(label, digest)| (label.as_str(), *digest, DIGEST)),
        );
    }

    if !receipt.amounts.is_empty() {
        page.heading(tr(lang, "Importi dovuti", "Amounts due"));
        let mut rows: Vec<(String, String, Style)> = receipt
            .amounts
            .iter()
            .map(|due| (due.label.clone(), due.amount.to_italian_string(), BODY))
            .collect();
        if receipt.amounts.len() > 1 {
            let total = receipt
                .amounts
                .iter()
                .try_fold(Cents::ZERO, |sum, due| sum.checked_add(due.amount))
                .ok_or(DocumentError::AmountOverflow)?;
            rows.push((
                tr(lang, "Totale", "Total").to_owned(),
                total.to_italian_string(),
                BODY.bold(),
            ));
        }
        page.rows(
            rows.iter()
                .map(|(label, value, style)| (label.as_str(), value.as_str(), *style)),
        );
        page.paragraph(
            BODY,
            tr(
                lang,
                "Il pagamento si effettua con pagoPA dall'area personale.",
                "Payment is made with pagoPA from your personal area.",
            ),
        );
    }

    page.finish(Meta {
        lang,
        title: format!(
            "{title} {} {}",
            tr(lang, "prot. n.", "protocol no."),
            receipt.protocol.number
        ),
        author: receipt.comune.name.clone(),
        document_id: format!("sportello:receipt:{}", receipt.protocol.number),
        created: text::in_rome(receipt.protocol.registered_at)?,
        footer,
    })
}

/// What silence means, in the words the receipt must use (art. 18-bis: "the term within which
/// the administration must answer, or after which silence means acceptance").
fn silence(lang: Lang, silence: Silence, ends: &str) -> String {
    match (lang, silence) {
        (Lang::It, Silence::Assent) => format!(
            "Se entro il {ends} l'ufficio non comunica un provvedimento di diniego, la domanda \
             si intende accolta (silenzio-assenso, art. 20 della L. 241/1990)."
        ),
        (Lang::En, Silence::Assent) => format!(
            "If the office does not communicate a refusal by {ends}, the application is deemed \
             granted (silent consent, art. 20 of Law 241/1990)."
        ),
        (Lang::It, Silence::Inaction) => "Il silenzio dell'ufficio non equivale ad accoglimento \
             della domanda. Se il termine scade senza risposta, è possibile rivolgersi al \
             titolare del potere sostitutivo, che conclude il procedimento entro la metà del \
             termine (art. 2, comma 9-ter, della L. 241/1990), oppure ricorrere al Tribunale \
             amministrativo regionale contro il silenzio."
            .to_owned(),
        (Lang::En, Silence::Inaction) => "Silence from the office does not mean the application \
             is granted. If the term ends without an answer, you may turn to the holder of the \
             substitute power, who closes the procedure within half the term (art. 2(9-ter) of \
             Law 241/1990), or appeal to the Regional Administrative Court against the silence."
            .to_owned(),
    }
}
