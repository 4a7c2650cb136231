//! Writes a laid-out document with krilla: every item tagged as content or marked as an
//! artifact, the logical structure as the tag tree, links as tagged annotations, the outline
//! and the metadata; then krilla checks the result against PDF/UA-1 and PDF/A-2a.

use krilla::action::LinkAction;
use krilla::annotation::{Annotation, LinkAnnotation, Target};
use krilla::color::rgb;
use krilla::configure::{Accessibility, Archival, ConfigurationBuilder};
use krilla::destination::XyzDestination;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::{DateTime, Metadata};
use krilla::num::NormalizedF32;
use krilla::outline::{Outline, OutlineNode};
use krilla::page::PageSettings;
use krilla::paint::{Fill, FillRule};
use krilla::surface::Surface;
use krilla::tagging::{
    Artifact, ContentTag, Identifier, Node as TagNode, SpanTag, TableHeaderScope, Tag, TagGroup,
    TagKind, TagTree,
};
use krilla::{Document, SerializeSettings};
use std::num::NonZeroU16;

use crate::DocumentError;
use crate::fonts::{Fonts, sanitize};
use crate::layout::{Draw, Group, LEFT, Laid, Mark, Meta, Node, PAGE_HEIGHT, PAGE_WIDTH, Rgb};

/// The PDF of a laid-out document: A4, tagged (PDF/UA-1), archival (PDF/A-2a), fonts
/// embedded and subset.
pub(crate) fn write(laid: Laid, fonts: &Fonts, meta: Meta) -> Result<Vec<u8>, DocumentError> {
    let configuration = ConfigurationBuilder::new()
        .with_archival_validator(Archival::A2_A)
        .with_accessibility_validator(Accessibility::UA1)
        .finish()
        .map_err(|error| DocumentError::Pdf(format!("{error:?}")))?;
    let mut document = Document::new_with(SerializeSettings {
        configuration,
        enable_tagging: true,
        ..SerializeSettings::default()
    });
    let page_settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT)
        .ok_or_else(|| DocumentError::Pdf("invalid page size".into()))?;
    let mut identifiers: Vec<Option<Identifier>> = vec![None; laid.leaves];
    for items in &laid.pages {
        let mut page = document.start_page_with(page_settings.clone());
        let mut surface = page.surface();
        for item in items {
            let tag = match (item.mark, &item.draw) {
                (_, Draw::Link { .. }) => continue,
                (Mark::Artifact(kind), _) => ContentTag::Artifact(Artifact::with_kind(kind)),
                (Mark::Content(_), Draw::Text { .. }) => ContentTag::Span(SpanTag::empty()),
                (Mark::Content(_), Draw::Rects { .. }) => ContentTag::Other,
            };
            let identifier = surface.start_tagged(tag);
            draw(&mut surface, fonts, &item.draw);
            surface.end_tagged();
            if let Mark::Content(leaf) = item.mark
                && let Some(slot) = identifiers.get_mut(leaf)
            {
                *slot = Some(identifier);
            }
        }
        surface.finish();
        // Annotations go on the page, once its surface is done.
        for item in items {
            if let (Mark::Content(leaf), Draw::Link { area, url }) = (item.mark, &item.draw)
                && let Some(rect) = Rect::from_xywh(area[0], area[1], area[2], area[3])
            {
                let target = Target::Action(LinkAction::new(url.clone()).into());
                let link =
                    Annotation::new_link(LinkAnnotation::new(rect, target), Some(url.clone()));
                let identifier = page.add_tagged_annotation(link);
                if let Some(slot) = identifiers.get_mut(leaf) {
                    *slot = Some(identifier);
                }
            }
        }
        page.finish();
    }

    let mut tree = TagTree::new().with_lang(Some(meta.lang.code().to_owned()));
    for node in laid.nodes {
        if let Some(node) = tag_node(node, &mut identifiers) {
            tree.push(node);
        }
    }
    document.set_tag_tree(tree);

    let mut outline = Outline::new();
    for (text, page, y) in laid.outline {
        let destination = XyzDestination::new(page, Point::from_xy(LEFT, y));
        outline.push_child(OutlineNode::new(sanitize(&text), destination));
    }
    document.set_outline(outline);

    let created = &meta.created;
    let offset = created.offset().seconds();
    let date = DateTime::new(created.year().unsigned_abs())
        .month(created.month().unsigned_abs())
        .day(created.day().unsigned_abs())
        .hour(created.hour().unsigned_abs())
        .minute(created.minute().unsigned_abs())
        .second(created.second().unsigned_abs())
        .utc_offset_hour((offset / 3600) as i8)
        .utc_offset_minute((offset.unsigned_abs() % 3600 / 60) as u8);
    document.set_metadata(
        Metadata::new()
            .title(sanitize(&meta.title))
            .language(meta.lang.code().to_owned())
            .authors(vec![sanitize(&meta.author)])
            .creator("Sportello".to_owned())
            .creation_date(date)
            .document_id(meta.document_id),
    );
    document.finish().map_err(describe)
}

fn fill(color: Rgb) -> Fill {
    Fill {
        paint: rgb::Color::new(color.0, color.1, color.2).into(),
        opacity: NormalizedF32::ONE,
        rule: FillRule::NonZero,
    }
}

fn draw(surface: &mut Surface, fonts: &Fonts, draw: &Draw) {
    match draw {
        Draw::Text {
            x,
            baseline,
            style,
            text,
        } => {
            let face = fonts.face(style.weight);
            surface.set_fill(Some(fill(style.color)));
            surface.draw_glyphs(
                Point::from_xy(*x, *baseline),
                &face.glyphs(text),
                face.pdf_font(),
                text,
                style.size,
                false,
            );
        }
        Draw::Link { .. } => {}
        Draw::Rects { rects, color } => {
            let mut path = PathBuilder::new();
            for [x, y, width, height] in rects {
                if let Some(rect) = Rect::from_xywh(*x, *y, *width, *height) {
                    path.push_rect(rect);
                }
            }
            if let Some(path) = path.finish() {
                surface.set_fill(Some(fill(*color)));
                surface.draw_path(&path);
            }
        }
    }
}

/// Turns our structure into krilla's tag tree; each leaf's identifier is used exactly once,
/// as krilla requires.
fn tag_node(node: Node, identifiers: &mut [Option<Identifier>]) -> Option<TagNode> {
    match node {
        Node::Leaf(index) => identifiers.get_mut(index)?.take().map(TagNode::from),
        Node::Group(group, children) => {
            let children: Vec<TagNode> = children
                .into_iter()
                .filter_map(|child| tag_node(child, identifiers))
                .collect();
            if children.is_empty() {
                return None;
            }
            let level = |n: u16| NonZeroU16::new(n).unwrap_or(NonZeroU16::MIN);
            let tag: TagKind = match group {
                Group::Title(title) => Tag::Hn(level(1), Some(sanitize(&title))).into(),
                Group::Heading(title) => Tag::Hn(level(2), Some(sanitize(&title))).into(),
                Group::Paragraph => Tag::P.into(),
                Group::Division => Tag::Div.into(),
                Group::Table => Tag::Table.into(),
                Group::Row => Tag::TR.into(),
                Group::HeaderCell => Tag::TH(TableHeaderScope::Row).into(),
                Group::Cell => Tag::TD.into(),
                Group::Figure(alt) => Tag::Figure(Some(sanitize(&alt))).into(),
                Group::Link => Tag::Link.into(),
            };
            Some(TagGroup::with_children(tag, children).into())
        }
    }
}

/// krilla's errors name what broke a standard; keep that in the message for the logs.
fn describe(error: krilla::error::KrillaError) -> DocumentError {
    match error {
        krilla::error::KrillaError::Validation(errors) => DocumentError::Pdf(format!(
            "the PDF would break PDF/A-2a or PDF/UA-1: {:?}",
            errors.iter().map(|(error, _)| error).collect::<Vec<_>>()
        )),
        other => DocumentError::Pdf(other.to_string()),
    }
}
