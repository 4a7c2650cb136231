//! The pagoPA "avviso di pagamento" (guide 3.x): what a creditor sends a debtor so that the
//! debt can be paid on any pagoPA channel. The modules come in the guide's order: header,
//! amount and due date, creditor, debtor, where to pay, and the payment data (single payment,
//! each instalment, then the Poste "Bollettino Postale PA" when the creditor collects through
//! a postal account). The notice is Italian only: its wording is fixed by pagoPA's guide.

use jiff::civil::Date;
use sportello_domain::codice_fiscale::EnteCodiceFiscale;
use sportello_domain::lang::Lang;
use sportello_domain::money::Cents;
use sportello_domain::pagopa::{NoticeNumber, PostalAccount, PosteDataMatrix, qr_payload};

use crate::DocumentError;
use crate::fonts::{Fonts, Weight};
use crate::layout::{
    BLUE, BODY, Composer, GREY, Group, INK, LABEL, LEFT, Meta, Node, RIGHT, SMALL, Style, WIDTH,
};
use crate::text;
use crate::{data_matrix, qr};

/// The guide's limit for `AVVISO.OGGETTO`.
const SUBJECT_MAX: usize = 90;
/// The pagoPA QR code is printed 25 × 25 mm.
const QR_SIDE: f32 = 70.87;
/// The Poste Data Matrix, the same size as the QR code.
const DATA_MATRIX_SIDE: f32 = 70.87;
/// The label column beside a code.
const SIDE_LABEL_WIDTH: f32 = 130.0;
const GAP: f32 = 10.0;
/// From a code to the rows beside it: holds the four-module quiet zone of even the
/// smallest QR code at 25 mm (21 modules, 13.5 points).
const CODE_GAP: f32 = 24.0;

const BRAND: Style = Style::new(Weight::Bold, 18.0, BLUE);
const CREDITOR: Style = Style::new(Weight::Bold, 13.0, BLUE);
const AMOUNT: Style = Style::new(Weight::Bold, 14.0, INK);

/// A payment notice. Strings are Italian, as the notice is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentNotice {
    /// `AVVISO.OGGETTO`, what the payment is for: at most 90 characters (longer is an
    /// error, as in pagoPA's generation API).
    pub subject: String,
    pub creditor: NoticeCreditor,
    pub debtor: NoticeDebtor,
    /// The causale of the postal block (cut to 110 characters in the Data Matrix).
    pub reason: String,
    pub options: NoticeOptions,
}

/// The creditor (ente creditore) as the notice presents it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeCreditor {
    /// `Comune di Borgoverde`.
    pub name: String,
    pub fiscal_code: EnteCodiceFiscale,
    /// The office or sector that issued the notice: `Ufficio Tributi`.
    pub sector: Option<String>,
    /// How to reach it: office, address, phone.
    pub info: Option<String>,
    /// The creditor's website, named among the channels to pay on.
    pub website: Option<String>,
    /// The creditor's CBILL code, for paying from a bank's CBILL service.
    pub cbill: Option<String>,
    /// When set, the notice carries a "Bollettino Postale PA" for each payment option.
    pub postal_account: Option<PostalAccount>,
    /// Who the postal account is in the name of; the creditor's name when `None`.
    pub postal_account_holder: Option<String>,
}

/// Who the notice is addressed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeDebtor {
    /// Codice fiscale or partita IVA.
    pub fiscal_code: String,
    pub full_name: String,
    pub address: Option<String>,
}

/// One way to pay: the single payment or one instalment, each with its own notice number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeInstalment {
    pub notice_number: NoticeNumber,
    pub amount: Cents,
    /// `None` for a payment without a due date.
    pub due_date: Option<Date>,
}

/// The single payment, the instalments, or both; at least one of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeOptions {
    pub single: Option<NoticeInstalment>,
    pub instalments: Vec<NoticeInstalment>,
}

/// One option as printed: its title, the option, the QR payload.
struct PaymentOption<'a> {
    title: String,
    option: &'a NoticeInstalment,
    qr: String,
}

/// Renders the notice as an A4 PDF.
pub fn render_payment_notice(notice: &PaymentNotice) -> Result<Vec<u8>, DocumentError> {
    let options = options(notice)?;
    let postal = postal_matrices(notice)?;
    let first = options
        .first()
        .map(|option| option.option.notice_number.as_str().to_owned())
        .unwrap_or_default();
    let lang = Lang::It;
    let fonts = Fonts::load()?;
    let creditor = &notice.creditor;
    let running_header = format!("{} · {} · pagoPA", notice.subject, creditor.name);
    let footer = format!("{} · Avviso di pagamento pagoPA", creditor.name);
    let mut page = Composer::new(&fonts, lang, running_header);

    header(&mut page, &fonts, notice);
    amount(&mut page, &notice.options)?;
    creditor_information(&mut page, creditor);
    debtor_information(&mut page, &notice.debtor);
    where_to_pay(&mut page, creditor);

    // Keep the introduction on the page of the first code it introduces.
    page.ensure(PAYMENT_INTRO_HEIGHT);
    page.heading("Dati per il pagamento");
    page.paragraph(
        BODY,
        "Inquadra il codice QR con l'app IO o con l'app della tua banca, oppure indica il \
         codice avviso e il codice fiscale dell'Ente Creditore. Utilizza la parte dell'avviso \
         relativa alla rata che vuoi pagare.",
    );
    for option in &options {
        payment(&mut page, notice, option)?;
    }
    for (option, matrix) in options.iter().zip(&postal) {
        postal_slip(&mut page, notice, option, matrix)?;
    }

    page.finish(Meta {
        lang,
        title: format!("Avviso di pagamento pagoPA: {}", notice.subject),
        author: creditor.name.clone(),
        document_id: format!("sportello:payment-notice:{first}"),
        // The notice carries no issue date and rendering must not read the clock (the same
        // notice must give the same bytes), so the metadata date is a fixed one.
        created: text::in_rome(jiff::Timestamp::UNIX_EPOCH)?,
        footer,
    })
}

/// The options in the order they are printed, each with its QR payload, after checking what
/// the guide limits.
fn options(notice: &PaymentNotice) -> Result<Vec<PaymentOption<'_>>, DocumentError> {
    let subject_length = notice.subject.chars().count();
    if subject_length > SUBJECT_MAX {
        return Err(DocumentError::InvalidNotice(format!(
            "the subject is {subject_length} characters long, at most {SUBJECT_MAX} fit"
        )));
    }
    let count = notice.options.instalments.len();
    let single = notice.options.single.iter().map(|option| {
        (
            if count == 0 {
                "Rata unica".to_owned()
            } else {
                "Rata unica (in alternativa alle rate)".to_owned()
            },
            option,
        )
    });
    let instalments = notice
        .options
        .instalments
        .iter()
        .enumerate()
        .map(|(index, option)| (format!("Rata {} di {count}", index + 1), option));
    let options = single
        .chain(instalments)
        .map(|(title, option)| {
            let qr = qr_payload(
                &option.notice_number,
                &notice.creditor.fiscal_code,
                option.amount,
            )
            .map_err(|error| DocumentError::InvalidNotice(format!("{title}: {error}")))?;
            Ok(PaymentOption { title, option, qr })
        })
        .collect::<Result<Vec<_>, DocumentError>>()?;
    if options.is_empty() {
        return Err(DocumentError::InvalidNotice(
            "there is neither a single payment nor an instalment".into(),
        ));
    }
    Ok(options)
}

/// The Poste Data Matrix of each option, in the order of [`options`]; none without a postal
/// account.
fn postal_matrices(notice: &PaymentNotice) -> Result<Vec<PosteDataMatrix>, DocumentError> {
    let Some(account) = &notice.creditor.postal_account else {
        return Ok(Vec::new());
    };
    let all = notice
        .options
        .single
        .iter()
        .chain(&notice.options.instalments);
    all.map(|option| {
        let matrix = PosteDataMatrix {
            notice: option.notice_number.clone(),
            postal_account: account.clone(),
            amount: option.amount,
            creditor: notice.creditor.fiscal_code.clone(),
            debtor_fiscal_code: notice.debtor.fiscal_code.clone(),
            debtor_name: notice.debtor.full_name.clone(),
            reason: notice.reason.clone(),
        };
        matrix
            .check()
            .map_err(|error| DocumentError::InvalidNotice(format!("postal slip: {error}")))?;
        Ok(matrix)
    })
    .collect()
}

/// `1.020,99 Euro`, as the guide writes amounts.
pub(crate) fn euro(amount: Cents) -> String {
    let italian = amount.to_italian_string();
    format!("{} Euro", italian.replacen("€ ", "", 1))
}

fn due(date: Option<Date>) -> String {
    date.map_or_else(|| "senza scadenza".to_owned(), text::date)
}

/// Module 1: what the notice is for, who sends it, and the pagoPA brand.
fn header(page: &mut Composer, fonts: &Fonts, notice: &PaymentNotice) {
    let top = page.y();
    let kind = page.lines(LEFT, WIDTH / 2.0, LABEL, "AVVISO DI PAGAMENTO");
    let brand_width = fonts.face(BRAND.weight).width("pagoPA", BRAND.size);
    let brand = page.text_at(RIGHT - brand_width, top, BRAND, "pagoPA");
    page.push(Node::Group(Group::Paragraph, kind));
    page.push(Node::Group(Group::Paragraph, brand.into_iter().collect()));
    page.set_y(top + BRAND.line_height());
    page.title(&notice.subject);
    let creditor = page.lines(LEFT, WIDTH, CREDITOR, &notice.creditor.name);
    page.push(Node::Group(Group::Paragraph, creditor));
    page.space(6.0);
    page.rule(LEFT, WIDTH, 1.5, BLUE);
    page.space(6.0);
}

/// Module 2: how much, by when, and whether instalments are possible.
fn amount(page: &mut Composer, options: &NoticeOptions) -> Result<(), DocumentError> {
    page.heading("Quanto e quando pagare?");
    let count = options.instalments.len();
    let (amount, date_label, date) = match &options.single {
        Some(single) => (single.amount, "Entro il", due(single.due_date)),
        None => {
            let total = options
                .instalments
                .iter()
                .try_fold(Cents::ZERO, |sum, option| sum.checked_add(option.amount))
                .ok_or(DocumentError::AmountOverflow)?;
            let first = options
                .instalments
                .first()
                .and_then(|option| option.due_date);
            (total, "Prima scadenza", due(first))
        }
    };
    let amount = euro(amount);
    page.rows([
        ("Importo", amount.as_str(), AMOUNT),
        (date_label, date.as_str(), AMOUNT),
    ]);
    let info = match (&options.single, count) {
        (_, 0) => "Puoi pagare in un'unica soluzione.".to_owned(),
        (Some(_), n) => format!(
            "Puoi pagare in un'unica soluzione o a rate ({n} rate). L'importo complessivo delle \
             rate può essere diverso da quello della rata unica."
        ),
        (None, n) => format!(
            "Puoi pagare a rate: {n} rate, ciascuna con il suo codice avviso e la sua \
             scadenza. L'importo indicato è il totale delle rate."
        ),
    };
    page.paragraph(BODY, &info);
    Ok(())
}

/// Module 3.
fn creditor_information(page: &mut Composer, creditor: &NoticeCreditor) {
    page.heading("Ente Creditore");
    let mut rows = vec![
        ("Ente Creditore", creditor.name.clone()),
        ("Codice fiscale", creditor.fiscal_code.to_string()),
    ];
    let optional = [
        ("Settore", &creditor.sector),
        ("Informazioni", &creditor.info),
        ("Sito web", &creditor.website),
        ("Codice CBILL", &creditor.cbill),
    ];
    rows.extend(
        optional
            .into_iter()
            .filter_map(|(label, value)| value.as_ref().map(|value| (label, value.clone()))),
    );
    page.rows(
        rows.iter()
            .map(|(label, value)| (*label, value.as_str(), BODY)),
    );
}

/// Module 4.
fn debtor_information(page: &mut Composer, debtor: &NoticeDebtor) {
    page.heading("Destinatario dell'avviso");
    let code = debtor.fiscal_code.trim().to_uppercase();
    let mut rows = vec![
        ("Nome e cognome", debtor.full_name.as_str()),
        ("Codice fiscale", code.as_str()),
    ];
    if let Some(address) = &debtor.address {
        rows.push(("Indirizzo", address.as_str()));
    }
    page.rows(rows.into_iter().map(|(label, value)| (label, value, BODY)));
}

/// Module 5: the guide's fixed texts on the channels.
fn where_to_pay(page: &mut Composer, creditor: &NoticeCreditor) {
    page.heading("Dove pagare?");
    page.paragraph(BODY.bold(), "PAGA CON L'APP IO");
    let site = creditor
        .website
        .as_ref()
        .map(|site| format!("sul sito di {} ({site}), ", creditor.name))
        .unwrap_or_default();
    page.paragraph(
        BODY,
        &format!(
            "oppure {site}dal tuo Home Banking, dall'app o dal sito della tua banca o degli \
             altri prestatori di servizi di pagamento (PSP). Potrai pagare con carte, conto \
             corrente o CBILL."
        ),
    );
    page.paragraph(BODY.bold(), "PAGA SUL TERRITORIO");
    page.paragraph(
        BODY,
        "presso banche e sportelli ATM, uffici postali, punti vendita SISAL, Lottomatica e \
         Banca 5, ricevitorie, tabaccherie e supermercati. Potrai pagare in contanti, con carte \
         o conto corrente.",
    );
    page.paragraph(
        SMALL,
        "L'elenco dei canali di pagamento abilitati è su www.pagopa.gov.it.",
    );
}

/// Module 6, one option: its QR code with the data to pay it beside.
fn payment(
    page: &mut Composer,
    notice: &PaymentNotice,
    option: &PaymentOption<'_>,
) -> Result<(), DocumentError> {
    let printed = option.option.notice_number.printed();
    let mut rows = vec![
        ("Codice avviso", printed.clone()),
        (
            "Codice fiscale Ente Creditore",
            notice.creditor.fiscal_code.to_string(),
        ),
    ];
    if let Some(cbill) = &notice.creditor.cbill {
        rows.push(("Codice CBILL", cbill.clone()));
    }
    rows.extend([
        ("Importo", euro(option.option.amount)),
        ("Scadenza", due(option.option.due_date)),
        ("Destinatario", notice.debtor.full_name.clone()),
    ]);
    let alt = format!("Codice QR pagoPA per pagare il codice avviso {printed}");
    let code = |x, y| qr::symbol(&option.qr, x, y, QR_SIDE);
    coded_block(page, &option.title, QR_SIDE, code, alt, &rows)
}

/// The "Bollettino Postale PA" of one option: the Poste Data Matrix and the slip's fields.
fn postal_slip(
    page: &mut Composer,
    notice: &PaymentNotice,
    option: &PaymentOption<'_>,
    matrix: &PosteDataMatrix,
) -> Result<(), DocumentError> {
    let holder = notice
        .creditor
        .postal_account_holder
        .clone()
        .unwrap_or_else(|| notice.creditor.name.clone());
    let rows = vec![
        ("Conto corrente postale", matrix.postal_account.to_string()),
        ("Intestato a", holder),
        ("Importo", euro(matrix.amount)),
        ("Oggetto del pagamento", notice.reason.clone()),
        ("Codice avviso", option.option.notice_number.printed()),
        ("Tipo", "P1".to_owned()),
        (
            "Codice fiscale Ente Creditore",
            notice.creditor.fiscal_code.to_string(),
        ),
        ("Destinatario", notice.debtor.full_name.clone()),
    ];
    let title = format!("Bollettino Postale PA · {}", option.title);
    let alt = format!(
        "Data Matrix di Poste Italiane per pagare con il bollettino il codice avviso {}",
        option.option.notice_number.printed()
    );
    let payload = matrix.payload();
    let code = |x, y| data_matrix::symbol(payload.as_bytes(), x, y, DATA_MATRIX_SIDE);
    coded_block(page, &title, DATA_MATRIX_SIDE, code, alt, &rows)
}

/// A titled block kept on one page: a 2D code at the left margin and label/value rows
/// beside it.
fn coded_block(
    page: &mut Composer,
    title: &str,
    side: f32,
    code: impl FnOnce(f32, f32) -> Result<qr::Symbol, DocumentError>,
    alt: String,
    rows: &[(&str, String)],
) -> Result<(), DocumentError> {
    let x = LEFT + side + CODE_GAP;
    let value_x = x + SIDE_LABEL_WIDTH + GAP;
    let value_width = RIGHT - value_x;
    let wrapped: Vec<(Vec<String>, Vec<String>)> = rows
        .iter()
        .map(|(label, value)| {
            (
                page.wrap(LABEL, label, SIDE_LABEL_WIDTH),
                page.wrap(BODY.bold(), value, value_width),
            )
        })
        .collect();
    let pitch = BODY.line_height();
    let lines: usize = wrapped
        .iter()
        .map(|(labels, values)| labels.len().max(values.len()))
        .sum();
    let rows_height = lines as f32 * pitch + wrapped.len() as f32 * 2.0 * ROW_PADDING;
    let height = rows_height.max(side + 14.0);
    // Heading, its spacing, and the whole block: a code is never split from its data.
    page.ensure(10.0 + HEADING_HEIGHT + 2.0 + QUIET_ABOVE + height + 8.0);
    page.heading(title);
    // With the heading's descent this holds the quiet zone above the code; the left margin
    // holds it on the left.
    page.space(QUIET_ABOVE);
    let top = page.y();
    let symbol = code(LEFT, top)?;
    let figure = page.shapes(symbol.rects, INK);
    page.push(Node::Group(Group::Figure(alt), vec![figure]));

    let mut table = Vec::new();
    for (labels, values) in &wrapped {
        let (mut header, mut cell) = (Vec::new(), Vec::new());
        // Padded like the full-width rows: without the air, text extraction reads the
        // labels as one column and the values as another.
        page.space(ROW_PADDING);
        for index in 0..labels.len().max(values.len()) {
            let line_top = page.y();
            if let Some(line) = labels.get(index) {
                // The label shares the value's baseline although it is set smaller.
                let label_top = line_top + (BODY.size - LABEL.size) * 1.05;
                header.extend(page.text_at(x, label_top, LABEL, line));
            }
            if let Some(line) = values.get(index) {
                cell.extend(page.text_at(value_x, line_top, BODY.bold(), line));
            }
            page.space(pitch);
        }
        page.space(ROW_PADDING);
        page.rule(x, RIGHT - x, 0.3, GREY);
        table.push(Node::Group(
            Group::Row,
            vec![
                Node::Group(Group::HeaderCell, header),
                Node::Group(Group::Cell, cell),
            ],
        ));
    }
    page.push(Node::Group(Group::Table, table));
    page.set_y(top + height);
    page.space(8.0);
    Ok(())
}

/// The height of a one-line heading.
const HEADING_HEIGHT: f32 = 12.0 * 1.4;
const QUIET_ABOVE: f32 = 12.0;
const ROW_PADDING: f32 = 4.0;
/// The "Dati per il pagamento" heading, its paragraph and a payment block.
const PAYMENT_INTRO_HEIGHT: f32 = 260.0;
