//! Letters that decide or suspend a request: a refusal with its reasons, a request for
//! documents, the notice of the grounds for refusal (L. 241/1990 art. 10-bis).

use jiff::civil::Date;
use sportello_domain::lang::Lang;

use crate::DocumentError;
use crate::fonts::Fonts;
use crate::layout::{BODY, Composer, Meta};
use crate::model::{Letterhead, Person, ProtocolStamp, Signatory};
use crate::parts::{letterhead, signature};
use crate::text::{self, tr};

/// Which letter it is; each has its own title and the legal notice the law requires of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecisionKind {
    /// The final refusal, with its reasons and the remedies (art. 3 c. 4).
    Rejection,
    /// A request for documents, which suspends the term once, for at most 30 days (art. 2
    /// c. 7).
    DocumentsRequest,
    /// The notice of the grounds for refusal: 10 days for written observations (art. 10-bis).
    IntendedRefusal,
}

/// A decision letter. Strings arrive localized in `lang`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub lang: Lang,
    pub comune: Letterhead,
    pub kind: DecisionKind,
    /// The registration of this letter.
    pub protocol: ProtocolStamp,
    /// The registration of the request it answers.
    pub request_protocol: ProtocolStamp,
    pub recipient: Person,
    /// The service of the request.
    pub service: String,
    /// The reasons, or what is requested: one string per paragraph.
    pub body: Vec<String>,
    /// The last day to send documents or observations; ignored for a refusal.
    pub reply_by: Option<Date>,
    /// Where the recipient answers or follows the request (the personal area).
    pub follow_url: String,
    pub office: String,
    pub signatory: Signatory,
}

/// Renders the letter as an A4 PDF.
pub fn render_decision(decision: &Decision) -> Result<Vec<u8>, DocumentError> {
    let lang = decision.lang;
    let fonts = Fonts::load()?;
    let protocol = text::protocol(lang, &decision.protocol)?;
    let request = text::protocol(lang, &decision.request_protocol)?;
    let title = title(lang, decision.kind);
    let footer = format!(
        "{} · {} {}",
        decision.comune.name,
        tr(lang, "Prot. n.", "Protocol no."),
        decision.protocol.number
    );
    let mut page = Composer::new(&fonts, lang, footer.clone());

    letterhead(&mut page, lang, &decision.comune);
    let recipient = format!(
        "{} ({} {})",
        decision.recipient.name,
        tr(lang, "C.F.", "tax code"),
        decision.recipient.codice_fiscale
    );
    let subject = format!(
        "{} — {}",
        decision.service,
        match lang {
            Lang::It => format!("istanza prot. n. {request}"),
            Lang::En => format!("application, protocol no. {request}"),
        }
    );
    let rows = [
        (tr(lang, "Protocollo n.", "Protocol no."), protocol),
        (tr(lang, "Destinatario", "To"), recipient),
        (tr(lang, "Oggetto", "Subject"), subject),
    ];
    page.rows(
        rows.iter()
            .map(|(label, value)| (*label, value.as_str(), BODY)),
    );
    page.space(8.0);

    page.title(title);
    for paragraph in &decision.body {
        page.paragraph(BODY, paragraph);
    }
    let reply_by = match decision.kind {
        DecisionKind::Rejection => None,
        DecisionKind::DocumentsRequest | DecisionKind::IntendedRefusal => {
            decision.reply_by.map(text::date)
        }
    };
    if let Some(date) = &reply_by {
        let line = match (lang, decision.kind) {
            (Lang::It, DecisionKind::IntendedRefusal) => {
                format!("Termine per presentare osservazioni: {date}.")
            }
            (Lang::En, DecisionKind::IntendedRefusal) => {
                format!("Last day to submit observations: {date}.")
            }
            (Lang::It, _) => format!("Termine per inviare i documenti richiesti: {date}."),
            (Lang::En, _) => format!("Last day to send the documents requested: {date}."),
        };
        page.paragraph(BODY.bold(), &line);
    }
    page.paragraph(BODY, notice(lang, decision.kind));
    page.paragraph(
        BODY,
        tr(
            lang,
            "La richiesta, i documenti e le risposte all'ufficio sono nell'area personale:",
            "The request, its documents and your answers to the office are in your personal \
             area:",
        ),
    );
    page.link(BODY.bold(), &decision.follow_url);
    signature(&mut page, lang, &decision.office, &decision.signatory);

    page.finish(Meta {
        lang,
        title: format!(
            "{title} {} {}",
            tr(lang, "prot. n.", "protocol no."),
            decision.protocol.number
        ),
        author: decision.comune.name.clone(),
        document_id: format!("sportello:decision:{}", decision.protocol.number),
        created: text::in_rome(decision.protocol.registered_at)?,
        footer,
    })
}

fn title(lang: Lang, kind: DecisionKind) -> &'static str {
    match kind {
        DecisionKind::Rejection => tr(lang, "Provvedimento di diniego", "Refusal"),
        DecisionKind::DocumentsRequest => tr(
            lang,
            "Richiesta di integrazione documentale",
            "Request for further documents",
        ),
        DecisionKind::IntendedRefusal => tr(
            lang,
            "Comunicazione dei motivi ostativi all'accoglimento dell'istanza",
            "Notice of the grounds for refusing the application",
        ),
    }
}

/// The legal notice each letter must carry.
fn notice(lang: Lang, kind: DecisionKind) -> &'static str {
    match kind {
        DecisionKind::Rejection => tr(
            lang,
            "Contro il presente provvedimento è ammesso ricorso al Tribunale amministrativo \
             regionale entro 60 giorni dalla notifica, oppure ricorso straordinario al \
             Presidente della Repubblica entro 120 giorni (art. 3, comma 4, della L. 241/1990).",
            "This decision may be appealed to the Regional Administrative Court within 60 days \
             of notification, or by extraordinary appeal to the President of the Republic \
             within 120 days (art. 3(4) of Law 241/1990).",
        ),
        DecisionKind::DocumentsRequest => tr(
            lang,
            "Il termine del procedimento è sospeso dalla data di questa richiesta fino al \
             ricevimento dei documenti, e comunque per non più di 30 giorni (art. 2, comma 7, \
             della L. 241/1990).",
            "The term of the procedure is suspended from the date of this request until the \
             documents arrive, and for no more than 30 days (art. 2(7) of Law 241/1990).",
        ),
        DecisionKind::IntendedRefusal => tr(
            lang,
            "Entro 10 giorni dal ricevimento di questa comunicazione è possibile presentare per \
             iscritto osservazioni, eventualmente corredate da documenti. La comunicazione \
             sospende i termini del procedimento, che ricominciano a decorrere dieci giorni dopo \
             la presentazione delle osservazioni o, in mancanza, dalla scadenza dei 10 giorni \
             (art. 10-bis della L. 241/1990).",
            "Within 10 days of receiving this notice you may submit written observations, with \
             documents if needed. This notice suspends the term of the procedure, which starts \
             again ten days after the observations are filed or, if none are, when the 10 days \
             end (art. 10-bis of Law 241/1990).",
        ),
    }
}
