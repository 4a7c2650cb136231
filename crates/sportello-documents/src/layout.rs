//! A small page composer for krilla, which places glyphs but does no layout: lines of text,
//! wrapped paragraphs, label/value rows and page breaks on A4.
//!
//! Composing happens in two passes. The first, here, lays everything out into pages of
//! drawing items and a tree of the document's logical structure (headings, paragraphs,
//! tables, figures) whose leaves point at items. The second, in [`crate::pdf`], writes the
//! PDF: each item is marked as tagged content or as an artifact (running headers, footers,
//! rules), and the structure becomes the PDF's tag tree. Two passes keep krilla's borrowed
//! page and surface out of the layout code, and let every footer say "page 1 of N".
//!
//! Coordinates are points from the top left corner, y downwards, as in krilla.

use krilla::tagging::ArtifactType;
use sportello_domain::lang::Lang;

use crate::DocumentError;
use crate::fonts::{Fonts, Weight, sanitize};
use crate::text;

pub(crate) const PAGE_WIDTH: f32 = 595.28;
pub(crate) const PAGE_HEIGHT: f32 = 841.89;
/// 2 cm side margins.
pub(crate) const LEFT: f32 = 56.7;
pub(crate) const RIGHT: f32 = PAGE_WIDTH - LEFT;
pub(crate) const WIDTH: f32 = RIGHT - LEFT;
const TOP: f32 = 50.0;
/// The body ends here; the footer lives below.
const BOTTOM: f32 = PAGE_HEIGHT - 62.0;
const FOOTER_BASELINE: f32 = PAGE_HEIGHT - 36.0;
/// The label column of two-column rows.
const LABEL_WIDTH: f32 = 150.0;
const COLUMN_GAP: f32 = 12.0;
const ROW_PADDING: f32 = 4.0;

/// A colour of the palette.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rgb(pub u8, pub u8, pub u8);

/// Body text.
pub(crate) const INK: Rgb = Rgb(0x1a, 0x1a, 0x1a);
/// Bootstrap Italia's primary blue, for the comune's name, headings and rules.
pub(crate) const BLUE: Rgb = Rgb(0x00, 0x66, 0xcc);
/// Labels and small print; 5.3:1 on white, above the 4.5:1 of WCAG AA.
pub(crate) const GREY: Rgb = Rgb(0x5c, 0x6f, 0x82);
const HAIRLINE: Rgb = Rgb(0xc5, 0xcc, 0xd3);

/// How a run of text is set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Style {
    pub weight: Weight,
    pub size: f32,
    pub color: Rgb,
}

impl Style {
    pub(crate) const fn new(weight: Weight, size: f32, color: Rgb) -> Style {
        Style {
            weight,
            size,
            color,
        }
    }

    pub(crate) fn bold(self) -> Style {
        Style {
            weight: Weight::Bold,
            ..self
        }
    }

    pub(crate) fn line_height(self) -> f32 {
        self.size * 1.4
    }

    /// From the top of a line box to its baseline: the glyphs sit a little below the middle.
    fn ascent(self) -> f32 {
        self.size * 1.05
    }
}

pub(crate) const BODY: Style = Style::new(Weight::Regular, 10.0, INK);
pub(crate) const LABEL: Style = Style::new(Weight::Bold, 9.0, GREY);
pub(crate) const SMALL: Style = Style::new(Weight::Regular, 8.0, GREY);
pub(crate) const TITLE: Style = Style::new(Weight::Bold, 18.0, INK);
pub(crate) const HEADING: Style = Style::new(Weight::Bold, 12.0, BLUE);

/// A group of the logical structure, which becomes a tag of the PDF.
pub(crate) enum Group {
    Title(String),
    Heading(String),
    Paragraph,
    Division,
    Table,
    Row,
    HeaderCell,
    Cell,
    Figure(String),
    Link,
}

/// A node of the logical structure: a group, or a drawn item (by index).
pub(crate) enum Node {
    Group(Group, Vec<Node>),
    Leaf(usize),
}

pub(crate) enum Draw {
    Text {
        x: f32,
        baseline: f32,
        style: Style,
        text: String,
    },
    /// Filled rectangles (x, y, width, height), drawn as one path.
    Rects { rects: Vec<[f32; 4]>, color: Rgb },
    /// A clickable area (x, y, width, height) that opens `url`: an annotation, not a drawing.
    Link { area: [f32; 4], url: String },
}

#[derive(Clone, Copy)]
pub(crate) enum Mark {
    Artifact(ArtifactType),
    Content(usize),
}

pub(crate) struct Item {
    pub draw: Draw,
    pub mark: Mark,
}

/// A document laid out: what [`crate::pdf::write`] turns into a PDF.
pub(crate) struct Laid {
    pub pages: Vec<Vec<Item>>,
    /// The logical structure, in reading order.
    pub nodes: Vec<Node>,
    /// The title and headings, with their page and position.
    pub outline: Vec<(String, usize, f32)>,
    /// How many items are tagged content (`Mark::Content` indices run up to this).
    pub leaves: usize,
}

/// What the PDF says about itself.
pub(crate) struct Meta {
    pub lang: Lang,
    pub title: String,
    /// The comune, as the document's author.
    pub author: String,
    /// Stable across renderings of the same document, so that re-rendering gives the same
    /// identity (and the same bytes).
    pub document_id: String,
    pub created: jiff::Zoned,
    /// The left part of every footer; the right part is "page i of n".
    pub footer: String,
}

/// Lays out one document.
pub(crate) struct Composer<'f> {
    fonts: &'f Fonts,
    lang: Lang,
    pages: Vec<Vec<Item>>,
    /// Top of the next line box on the last page.
    y: f32,
    leaves: usize,
    nodes: Vec<Node>,
    outline: Vec<(String, usize, f32)>,
    /// Printed at the top of every page after the first.
    running_header: String,
}

impl<'f> Composer<'f> {
    pub(crate) fn new(fonts: &'f Fonts, lang: Lang, running_header: String) -> Composer<'f> {
        Composer {
            fonts,
            lang,
            pages: vec![Vec::new()],
            y: TOP,
            leaves: 0,
            nodes: Vec::new(),
            outline: Vec::new(),
            running_header: sanitize(&running_header),
        }
    }

    pub(crate) fn y(&self) -> f32 {
        self.y
    }

    pub(crate) fn set_y(&mut self, y: f32) {
        self.y = y;
    }

    /// Vertical space; at the foot of a page it is simply dropped by the next break.
    pub(crate) fn space(&mut self, height: f32) {
        self.y += height;
    }

    fn page_index(&self) -> usize {
        self.pages.len().saturating_sub(1)
    }

    fn push_item(&mut self, draw: Draw, mark: Mark) {
        if let Some(page) = self.pages.last_mut() {
            page.push(Item { draw, mark });
        }
    }

    pub(crate) fn page_break(&mut self) {
        self.pages.push(Vec::new());
        self.y = TOP;
        let header = self.running_header.clone();
        self.artifact_text(LEFT, TOP - 18.0, SMALL, header, ArtifactType::Header);
    }

    /// Breaks the page unless `height` more points fit on it.
    pub(crate) fn ensure(&mut self, height: f32) {
        if self.y + height > BOTTOM && self.y > TOP {
            self.page_break();
        }
    }

    /// Adds a finished piece of structure at the top level of the document.
    pub(crate) fn push(&mut self, node: Node) {
        self.nodes.push(node);
    }

    fn artifact_text(
        &mut self,
        x: f32,
        baseline: f32,
        style: Style,
        text: String,
        kind: ArtifactType,
    ) {
        if !text.trim().is_empty() {
            self.push_item(
                Draw::Text {
                    x,
                    baseline,
                    style,
                    text,
                },
                Mark::Artifact(kind),
            );
        }
    }

    /// Sets one line of text whose box starts at `top`; `None` for a blank line, which has
    /// nothing to tag.
    pub(crate) fn text_at(&mut self, x: f32, top: f32, style: Style, line: &str) -> Option<Node> {
        if line.trim().is_empty() {
            return None;
        }
        let leaf = self.leaves;
        self.leaves += 1;
        self.push_item(
            Draw::Text {
                x,
                baseline: top + style.ascent(),
                style,
                text: line.to_owned(),
            },
            Mark::Content(leaf),
        );
        Some(Node::Leaf(leaf))
    }

    /// Filled rectangles that mean something (a QR code): tagged content of a figure.
    pub(crate) fn shapes(&mut self, rects: Vec<[f32; 4]>, color: Rgb) -> Node {
        let leaf = self.leaves;
        self.leaves += 1;
        self.push_item(Draw::Rects { rects, color }, Mark::Content(leaf));
        Node::Leaf(leaf)
    }

    /// A URL as a paragraph of its own whose lines open it when clicked.
    pub(crate) fn link(&mut self, style: Style, url: &str) {
        let mut links = Vec::new();
        for line in self.wrap(style, url, WIDTH) {
            self.ensure(style.line_height());
            let top = self.y;
            if let Some(text) = self.text_at(LEFT, top, style, &line) {
                let width = self.fonts.face(style.weight).width(&line, style.size);
                let leaf = self.leaves;
                self.leaves += 1;
                let area = [LEFT, top, width, style.line_height()];
                let url = url.to_owned();
                self.push_item(Draw::Link { area, url }, Mark::Content(leaf));
                links.push(Node::Group(Group::Link, vec![text, Node::Leaf(leaf)]));
            }
            self.y += style.line_height();
        }
        self.push(Node::Group(Group::Paragraph, links));
        self.space(4.0);
    }

    /// A horizontal rule at the cursor: decoration, so an artifact.
    pub(crate) fn rule(&mut self, x: f32, width: f32, thickness: f32, color: Rgb) {
        let rects = vec![[x, self.y, width, thickness]];
        self.push_item(
            Draw::Rects { rects, color },
            Mark::Artifact(ArtifactType::Layout),
        );
    }

    /// Breaks `text` into lines no wider than `width`: at spaces, and inside a word only when
    /// the word alone is wider than the line (URLs, digests). Line breaks in the text are
    /// kept, and so are the non-breaking spaces of [`glue`]. A line broken at a space keeps
    /// that space at its end, so that text extraction and screen readers see the word
    /// boundary (PDF/UA asks for explicit spaces).
    pub(crate) fn wrap(&self, style: Style, text: &str, width: f32) -> Vec<String> {
        let face = self.fonts.face(style.weight);
        let space = face.width(" ", style.size);
        let mut lines = Vec::new();
        for paragraph in glue(&sanitize(text)).split('\n') {
            let mut line = String::new();
            let mut line_width = 0.0;
            for word in paragraph.split(' ').filter(|word| !word.is_empty()) {
                let word_width = face.width(word, style.size);
                if !line.is_empty() && line_width + space + word_width <= width {
                    line.push(' ');
                    line.push_str(word);
                    line_width += space + word_width;
                    continue;
                }
                if !line.is_empty() {
                    line.push(' ');
                    lines.push(std::mem::take(&mut line));
                }
                line_width = 0.0;
                for ch in word.chars() {
                    let ch_width = face.width(ch.encode_utf8(&mut [0; 4]), style.size);
                    if !line.is_empty() && line_width + ch_width > width {
                        lines.push(std::mem::take(&mut line));
                        line_width = 0.0;
                    }
                    line.push(ch);
                    line_width += ch_width;
                }
            }
            lines.push(line);
        }
        // The glue did its job; the PDF gets plain spaces, which is what readers search for.
        lines
            .iter()
            .map(|line| line.replace('\u{a0}', " "))
            .collect()
    }

    /// Sets wrapped text at the cursor, breaking pages between lines.
    pub(crate) fn lines(&mut self, x: f32, width: f32, style: Style, text: &str) -> Vec<Node> {
        let mut nodes = Vec::new();
        for line in self.wrap(style, text, width) {
            self.ensure(style.line_height());
            let top = self.y;
            nodes.extend(self.text_at(x, top, style, &line));
            self.y += style.line_height();
        }
        nodes
    }

    /// The document's title (one per document), listed in the outline.
    pub(crate) fn title(&mut self, title: &str) {
        self.ensure(TITLE.line_height() * 2.0);
        self.outline
            .push((title.to_owned(), self.page_index(), self.y));
        let lines = self.lines(LEFT, WIDTH, TITLE, title);
        self.push(Node::Group(Group::Title(title.to_owned()), lines));
        self.space(4.0);
    }

    /// A section heading, kept on the same page as the first lines that follow it.
    pub(crate) fn heading(&mut self, heading: &str) {
        self.space(10.0);
        self.ensure(HEADING.line_height() + 3.0 * BODY.line_height());
        self.outline
            .push((heading.to_owned(), self.page_index(), self.y));
        let lines = self.lines(LEFT, WIDTH, HEADING, heading);
        self.push(Node::Group(Group::Heading(heading.to_owned()), lines));
        self.space(2.0);
    }

    /// A paragraph across the full width.
    pub(crate) fn paragraph(&mut self, style: Style, text: &str) {
        let lines = self.lines(LEFT, WIDTH, style, text);
        self.push(Node::Group(Group::Paragraph, lines));
        self.space(4.0);
    }

    /// Label/value rows across the page, as a table whose labels are row headers; each value
    /// is set in its own style (bold for a total, smaller for a digest).
    pub(crate) fn rows<'a>(&mut self, rows: impl IntoIterator<Item = (&'a str, &'a str, Style)>) {
        let value_x = LEFT + LABEL_WIDTH + COLUMN_GAP;
        let value_width = WIDTH - LABEL_WIDTH - COLUMN_GAP;
        let mut table = Vec::new();
        for (label, value, value_style) in rows {
            let labels = self.wrap(LABEL, label, LABEL_WIDTH);
            let values = self.wrap(value_style, value, value_width);
            let count = labels.len().max(values.len());
            let pitch = value_style.line_height();
            // Keep short rows whole and never strand one line of a long one.
            self.ensure(pitch * count.min(3) as f32 + 2.0 * ROW_PADDING);
            self.y += ROW_PADDING;
            let (mut header, mut cell) = (Vec::new(), Vec::new());
            for index in 0..count {
                if self.y + pitch > BOTTOM {
                    self.page_break();
                }
                let top = self.y;
                // The label shares the value's baseline although it is set smaller.
                let label_top = top + value_style.ascent() - LABEL.ascent();
                if let Some(line) = labels.get(index) {
                    header.extend(self.text_at(LEFT, label_top, LABEL, line));
                }
                if let Some(line) = values.get(index) {
                    cell.extend(self.text_at(value_x, top, value_style, line));
                }
                self.y += pitch;
            }
            self.y += ROW_PADDING;
            self.rule(LEFT, WIDTH, 0.5, HAIRLINE);
            table.push(Node::Group(
                Group::Row,
                vec![
                    Node::Group(Group::HeaderCell, header),
                    Node::Group(Group::Cell, cell),
                ],
            ));
        }
        self.push(Node::Group(Group::Table, table));
        self.space(4.0);
    }

    /// Adds the footers, now that the number of pages is known, and writes the PDF.
    pub(crate) fn finish(mut self, meta: Meta) -> Result<Vec<u8>, DocumentError> {
        let total = self.pages.len();
        for (index, page) in self.pages.iter_mut().enumerate() {
            let rule = [LEFT, FOOTER_BASELINE - 12.0, WIDTH, 0.5];
            page.push(Item {
                draw: Draw::Rects {
                    rects: vec![rule],
                    color: HAIRLINE,
                },
                mark: Mark::Artifact(ArtifactType::Footer),
            });
            page.push(Item {
                draw: Draw::Text {
                    x: LEFT,
                    baseline: FOOTER_BASELINE,
                    style: SMALL,
                    text: sanitize(&meta.footer),
                },
                mark: Mark::Artifact(ArtifactType::Footer),
            });
            let numbering = text::page_of(self.lang, index + 1, total);
            let x = RIGHT - self.fonts.face(SMALL.weight).width(&numbering, SMALL.size);
            page.push(Item {
                draw: Draw::Text {
                    x,
                    baseline: FOOTER_BASELINE,
                    style: SMALL,
                    text: numbering,
                },
                mark: Mark::Artifact(ArtifactType::PageNumber),
            });
        }

        let laid = Laid {
            pages: self.pages,
            nodes: self.nodes,
            outline: self.outline,
            leaves: self.leaves,
        };
        crate::pdf::write(laid, self.fonts, meta)
    }
}

/// Abbreviations that must not end a line: "L. / 241/1990" or "art. / 20" read badly.
const GLUE_AFTER: [&str; 9] = [
    "L.", "art.", "artt.", "comma", "n.", "D.Lgs.", "DPR", "prot.", "€",
];

/// Joins each abbreviation of [`GLUE_AFTER`] to the word after it with a non-breaking space.
fn glue(text: &str) -> String {
    let mut glued = String::with_capacity(text.len());
    let mut words = text.split(' ').peekable();
    while let Some(word) = words.next() {
        glued.push_str(word);
        if words.peek().is_some() {
            let bare = word.rsplit(['(', '\n']).next().unwrap_or(word);
            glued.push(if GLUE_AFTER.contains(&bare) {
                '\u{a0}'
            } else {
                ' '
            });
        }
    }
    glued
}

#[cfg(test)]
mod tests {
    use super::*;

    fn composer(fonts: &Fonts) -> Composer<'_> {
        Composer::new(fonts, Lang::It, "Comune di Prova".into())
    }

    fn measure(fonts: &Fonts, style: Style, line: &str) -> f32 {
        fonts.face(style.weight).width(line.trim_end(), style.size)
    }

    #[test]
    fn wrapped_lines_fit_and_keep_every_word() {
        let fonts = Fonts::load().unwrap();
        let page = composer(&fonts);
        let text = "Decorso il termine senza che sia comunicato un provvedimento di diniego, \
                    la domanda si intende accolta: è il silenzio-assenso.";
        for width in [80.0, 150.0, 300.0, 1000.0] {
            let lines = page.wrap(BODY, text, width);
            for line in &lines {
                assert!(
                    measure(&fonts, BODY, line) <= width,
                    "{line:?} wider than {width}"
                );
            }
            // Soft breaks keep their space at the end of the line.
            assert_eq!(lines.concat(), text);
        }
        assert_eq!(page.wrap(BODY, text, 1000.0).len(), 1);
    }

    #[test]
    fn a_word_wider_than_the_line_is_cut() {
        let fonts = Fonts::load().unwrap();
        let page = composer(&fonts);
        let digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        let lines = page.wrap(BODY, &format!("SHA-256 {digest}"), 120.0);
        assert!(lines.len() >= 3, "{lines:?}");
        assert_eq!(lines[0], "SHA-256 ");
        assert_eq!(lines[1..].concat(), digest);
        assert!(
            lines
                .iter()
                .all(|line| measure(&fonts, BODY, line) <= 120.0)
        );
    }

    #[test]
    fn line_breaks_of_the_text_are_kept() {
        let fonts = Fonts::load().unwrap();
        let page = composer(&fonts);
        assert_eq!(
            page.wrap(BODY, "uno\n\ndue\r\ntre", 500.0),
            ["uno", "", "due", "tre"]
        );
        assert_eq!(page.wrap(BODY, "", 500.0), [""]);
    }

    #[test]
    fn legal_references_do_not_break_after_the_abbreviation() {
        let fonts = Fonts::load().unwrap();
        let page = composer(&fonts);
        let width = measure(&fonts, BODY, "ai sensi della L.") + 1.0;
        assert_eq!(
            page.wrap(BODY, "ai sensi della L. 241/1990", width),
            ["ai sensi della ", "L. 241/1990"]
        );
        assert_eq!(glue("(art. 20 e € 16,00)"), "(art.\u{a0}20 e €\u{a0}16,00)");
    }

    #[test]
    fn rows_break_pages_and_never_cross_the_bottom_margin() {
        let fonts = Fonts::load().unwrap();
        let mut page = composer(&fonts);
        let long = "parola ".repeat(900);
        let rows: Vec<(String, String)> = (0..60)
            .map(|n| (format!("Etichetta {n}"), format!("Valore {n}")))
            .chain([("Lunghissimo".to_owned(), long)])
            .collect();
        page.rows(
            rows.iter()
                .map(|(label, value)| (label.as_str(), value.as_str(), BODY)),
        );
        assert!(page.pages.len() >= 4, "{} pages", page.pages.len());
        for items in &page.pages {
            for item in items {
                if let Draw::Text { baseline, .. } = item.draw {
                    assert!(baseline <= BOTTOM, "text at {baseline}");
                }
            }
        }
        // Continuation pages start with the running header, an artifact.
        let second = &page.pages[1][0];
        assert!(matches!(
            (&second.draw, second.mark),
            (Draw::Text { text, .. }, Mark::Artifact(ArtifactType::Header)) if text == "Comune di Prova"
        ));
        // One table with a row per entry, every drawn line a leaf of it.
        let [Node::Group(Group::Table, table)] = page.nodes.as_slice() else {
            panic!("not one table");
        };
        assert_eq!(table.len(), 61);
        assert_eq!(table.iter().map(leaves).sum::<usize>(), page.leaves);
    }

    fn leaves(node: &Node) -> usize {
        match node {
            Node::Leaf(_) => 1,
            Node::Group(_, children) => children.iter().map(leaves).sum(),
        }
    }
}
