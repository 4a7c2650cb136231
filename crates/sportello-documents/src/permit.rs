//! A permit, authorisation or badge, with the QR code of its public verification page.

use jiff::civil::Date;
use sportello_domain::lang::Lang;

use crate::DocumentError;
use crate::fonts::Fonts;
use crate::layout::{BODY, Composer, Group, INK, LEFT, Meta, Node, RIGHT, SMALL};
use crate::model::{Letterhead, ProtocolStamp, Row, Signatory};
use crate::parts::{letterhead, signature};
use crate::qr;
use crate::text::{self, tr};

/// Side of the printed QR code, quiet zone excluded: 3.5 cm, read by any phone at arm's
/// length.
const QR_SIDE: f32 = 99.2;

/// Everything a permit shows. Strings arrive localized in `lang`.
///
/// The holder is shown by name only, and `rows` must carry only what the permit itself
/// grants (plates, zones, time windows, place, dates): a disabled badge (CUDE) carries no
/// health data at all, and the public verification page shows no more than the permit does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permit {
    pub lang: Lang,
    pub comune: Letterhead,
    /// `Autorizzazione all'occupazione di suolo pubblico`, `Contrassegno di parcheggio per
    /// disabili (CUDE)`.
    pub title: String,
    /// The permit's own number.
    pub number: String,
    /// The registration of the permit in the protocol register.
    pub protocol: ProtocolStamp,
    /// The holder's name.
    pub holder: String,
    /// What the permit grants, in order.
    pub rows: Vec<Row>,
    pub valid_from: Date,
    /// `None` for a permit valid until revoked.
    pub valid_until: Option<Date>,
    /// The issuing office.
    pub office: String,
    pub signatory: Signatory,
    /// The public verification page, `https://…/{tenant}/verifica/{code}`: encoded in the QR
    /// code and printed under it.
    pub verification_url: String,
    /// Paragraphs after the data: how to display the permit, how the stamp duty was paid.
    pub notes: Vec<String>,
}

/// Renders the permit as an A4 PDF.
pub fn render_permit(permit: &Permit) -> Result<Vec<u8>, DocumentError> {
    let lang = permit.lang;
    let fonts = Fonts::load()?;
    let protocol = text::protocol(lang, &permit.protocol)?;
    let footer = format!(
        "{} · {} {}",
        permit.comune.name,
        tr(lang, "N.", "No."),
        permit.number
    );
    let mut page = Composer::new(&fonts, lang, footer.clone());

    letterhead(&mut page, lang, &permit.comune);
    page.title(&permit.title);
    page.paragraph(
        BODY.bold(),
        &format!(
            "{} {} · {} {protocol}",
            tr(lang, "N.", "No."),
            permit.number,
            tr(lang, "Prot. n.", "Protocol no.")
        ),
    );
    page.space(6.0);

    let mut rows = vec![(
        tr(lang, "Titolare", "Holder"),
        permit.holder.as_str(),
        BODY.bold(),
    )];
    rows.extend(
        permit
            .rows
            .iter()
            .map(|row| (row.label.as_str(), row.value.as_str(), BODY)),
    );
    let from = text::date(permit.valid_from);
    let until = permit.valid_until.map(text::date);
    rows.push((
        tr(lang, "Valido dal", "Valid from"),
        from.as_str(),
        BODY.bold(),
    ));
    rows.push(match &until {
        Some(until) => (
            tr(lang, "Valido fino al", "Valid until"),
            until.as_str(),
            BODY.bold(),
        ),
        None => (
            tr(lang, "Scadenza", "Expiry"),
            tr(
                lang,
                "nessuna, valido fino a revoca",
                "none, valid until revoked",
            ),
            BODY.bold(),
        ),
    });
    page.rows(rows);

    verification(&mut page, lang, &permit.verification_url)?;

    for note in &permit.notes {
        page.paragraph(BODY, note);
    }
    signature(&mut page, lang, &permit.office, &permit.signatory);

    page.finish(Meta {
        lang,
        title: format!(
            "{} {} {}",
            permit.title,
            tr(lang, "n.", "no."),
            permit.number
        ),
        author: permit.comune.name.clone(),
        document_id: format!("sportello:permit:{}", permit.number),
        created: text::in_rome(permit.protocol.registered_at)?,
        footer,
    })
}

/// The QR code on the left, what it is for on its right, and the URL under it.
fn verification(page: &mut Composer, lang: Lang, url: &str) -> Result<(), DocumentError> {
    page.space(12.0);
    page.ensure(QR_SIDE + 4.0 * BODY.size * 1.4);
    // The 12 points of space above are more than the quiet zone (four modules of at most
    // 3 points); on the left the quiet zone lies in the margin.
    let top = page.y();
    let symbol = qr::symbol(url, LEFT, top, QR_SIDE)?;
    let quiet = 4.0 * symbol.module;
    let code = page.shapes(symbol.rects, INK);
    let alt = format!(
        "{} {url}",
        tr(
            lang,
            "Codice QR della pagina di verifica:",
            "QR code of the verification page:"
        )
    );
    page.push(Node::Group(Group::Figure(alt), vec![code]));

    let text_x = LEFT + QR_SIDE + quiet;
    let text_width = RIGHT - text_x;
    page.set_y(top + 4.0);
    let heading = page.lines(
        text_x,
        text_width,
        BODY.bold(),
        tr(
            lang,
            "Verifica dell'autenticità",
            "Check that it is genuine",
        ),
    );
    page.push(Node::Group(Group::Paragraph, heading));
    let explanation = page.lines(
        text_x,
        text_width,
        BODY,
        tr(
            lang,
            "Inquadra il codice QR o apri l'indirizzo qui sotto: la pagina del Comune indica se \
             il permesso è valido in questo momento.",
            "Scan the QR code or open the address below: the comune's page says whether the \
             permit is valid right now.",
        ),
    );
    page.push(Node::Group(Group::Paragraph, explanation));

    page.set_y(top + QR_SIDE + quiet);
    page.link(SMALL, url);
    page.space(4.0);
    Ok(())
}
