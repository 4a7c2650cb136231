//! Pieces every document shares: the comune's letterhead and the signature block.

use sportello_domain::lang::Lang;

use crate::fonts::Weight;
use crate::layout::{BLUE, BODY, Composer, GREY, Group, LEFT, Node, RIGHT, SMALL, Style, WIDTH};
use crate::model::{Letterhead, Signatory};
use crate::text::tr;

const COMUNE: Style = Style::new(Weight::Bold, 16.0, BLUE);
const HEAD: Style = Style::new(Weight::Regular, 9.0, GREY);

/// The comune's name, seat, codice fiscale and PEC, then a rule. It identifies the issuing
/// authority, so it is content (not an artifact) on the first page.
pub(crate) fn letterhead(page: &mut Composer, lang: Lang, comune: &Letterhead) {
    let name = page.lines(LEFT, WIDTH, COMUNE, &comune.name);
    page.space(2.0);
    let address = page.lines(LEFT, WIDTH, HEAD, &comune.address);
    let ids = format!(
        "{} {} · PEC {}",
        tr(lang, "Codice fiscale", "Tax code"),
        comune.codice_fiscale,
        comune.pec
    );
    let ids = page.lines(LEFT, WIDTH, HEAD, &ids);
    let paragraphs = [name, address, ids]
        .into_iter()
        .map(|lines| Node::Group(Group::Paragraph, lines))
        .collect();
    page.push(Node::Group(Group::Division, paragraphs));
    page.space(6.0);
    page.rule(LEFT, WIDTH, 1.5, BLUE);
    page.space(18.0);
}

/// The office on the left; role, name and the note on the printed signature on the right.
pub(crate) fn signature(page: &mut Composer, lang: Lang, office: &str, signatory: &Signatory) {
    page.space(18.0);
    let role = signatory.role.as_deref().unwrap_or(tr(
        lang,
        "Il Responsabile del servizio",
        "The head of service",
    ));
    // The block is short: keep it whole.
    page.ensure(BODY.size * 1.4 * 4.0 + 12.0);
    let column = WIDTH / 2.0 - 10.0;
    let top = page.y();
    let mut left = page.lines(LEFT, column, SMALL, tr(lang, "Ufficio", "Office"));
    left.extend(page.lines(LEFT, column, BODY, office));
    let left_end = page.y();

    page.set_y(top);
    let right_x = RIGHT - column;
    let mut right = page.lines(right_x, column, BODY, role);
    right.extend(page.lines(right_x, column, BODY.bold(), &signatory.name));
    right.extend(page.lines(
        right_x,
        column,
        SMALL,
        tr(
            lang,
            "Firma autografa sostituita a mezzo stampa ai sensi dell'art. 3, comma 2, del D.Lgs. 39/1993",
            "Handwritten signature replaced by its printed name under art. 3(2) of Legislative Decree 39/1993",
        ),
    ));
    page.set_y(page.y().max(left_end));
    page.push(Node::Group(Group::Paragraph, left));
    page.push(Node::Group(Group::Paragraph, right));
}
