//! The two faces of every document (Titillium Web, the typeface of Bootstrap Italia) and the
//! little text shaping the documents need: one glyph per character, advance widths, no
//! kerning or ligatures.
//!
//! We map characters to glyphs ourselves instead of enabling krilla's `simple-text` (which
//! brings rustybuzz): the layout must measure exactly what it draws, and for Italian and
//! other Latin-script text a character-to-glyph map is all the shaping there is.

use krilla::text::{Font, GlyphId, KrillaGlyph};
use skrifa::charmap::Charmap;
use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::GlyphMetrics;
use skrifa::{FontRef, MetadataProvider};

use crate::DocumentError;

static REGULAR: &[u8] = include_bytes!("../fonts/TitilliumWeb-Regular.ttf");
static BOLD: &[u8] = include_bytes!("../fonts/TitilliumWeb-Bold.ttf");

/// The weight of a run of text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Weight {
    Regular,
    Bold,
}

/// One face: the font for krilla and what measuring needs, read from the same bytes.
pub(crate) struct Face {
    pdf: Font,
    charmap: Charmap<'static>,
    metrics: GlyphMetrics<'static>,
    units_per_em: f32,
    /// Drawn for a character the face lacks (a name in Cyrillic, say). The PDF still maps
    /// the glyph to the original character, so copying the text gives the right name.
    fallback: skrifa::GlyphId,
}

impl Face {
    fn load(bytes: &'static [u8]) -> Result<Face, DocumentError> {
        let font = FontRef::new(bytes).map_err(|_| DocumentError::Font)?;
        let charmap = font.charmap();
        let metrics = font.glyph_metrics(Size::unscaled(), LocationRef::default());
        let units_per_em = f32::from(
            font.metrics(Size::unscaled(), LocationRef::default())
                .units_per_em,
        );
        let fallback = charmap.map('?').ok_or(DocumentError::Font)?;
        let pdf = Font::new(bytes.into(), 0).ok_or(DocumentError::Font)?;
        Ok(Face {
            pdf,
            charmap,
            metrics,
            units_per_em,
            fallback,
        })
    }

    pub(crate) fn pdf_font(&self) -> Font {
        self.pdf.clone()
    }

    /// The glyph of a character and its advance in em.
    fn glyph(&self, ch: char) -> (skrifa::GlyphId, f32) {
        let id = self.charmap.map(ch).unwrap_or(self.fallback);
        let advance = self.metrics.advance_width(id).unwrap_or(0.0) / self.units_per_em;
        (id, advance)
    }

    /// The width of `text` set at `size` points.
    pub(crate) fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|ch| self.glyph(ch).1).sum::<f32>() * size
    }

    /// The glyphs of `text`, each tied to the bytes of its character so that the PDF can map
    /// every glyph back to its text (copy and paste, screen readers, `pdftotext`).
    pub(crate) fn glyphs(&self, text: &str) -> Vec<KrillaGlyph> {
        text.char_indices()
            .map(|(start, ch)| {
                let (id, advance) = self.glyph(ch);
                KrillaGlyph::new(
                    GlyphId::new(id.to_u32()),
                    advance,
                    0.0,
                    0.0,
                    0.0,
                    start..start + ch.len_utf8(),
                    None,
                )
            })
            .collect()
    }
}

/// The faces a document is set in.
pub(crate) struct Fonts {
    regular: Face,
    bold: Face,
}

impl Fonts {
    pub(crate) fn load() -> Result<Fonts, DocumentError> {
        Ok(Fonts {
            regular: Face::load(REGULAR)?,
            bold: Face::load(BOLD)?,
        })
    }

    pub(crate) fn face(&self, weight: Weight) -> &Face {
        match weight {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        }
    }
}

/// Makes caller text safe to set: keeps line breaks and non-breaking spaces (the layout uses
/// them), turns tabs into spaces, and drops the control and invisible formatting characters
/// that have no glyph and that PDF/A forbids in the text mapping (BOM, zero-width
/// characters, private-use code points).
pub(crate) fn sanitize(text: &str) -> String {
    text.chars()
        .filter_map(|ch| match ch {
            '\n' | '\u{2028}' | '\u{2029}' => Some('\n'),
            '\t' => Some(' '),
            '\r' | '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{2060}' | '\u{feff}' => None,
            '\u{e000}'..='\u{f8ff}' | '\u{f0000}'..='\u{10ffff}' => None,
            ch if ch.is_control() => None,
            ch => Some(ch),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn italian_letters_and_the_euro_sign_have_glyphs_of_their_own() {
        let fonts = Fonts::load().unwrap();
        for weight in [Weight::Regular, Weight::Bold] {
            let face = fonts.face(weight);
            for ch in "àèéìíòóùÀÈÉÌÒÙ€ăâîșțçñüöß“”‘’«»–—·°".chars()
            {
                assert!(face.charmap.map(ch).is_some(), "{ch} missing in {weight:?}");
            }
        }
    }

    #[test]
    fn width_grows_with_text_and_size() {
        let fonts = Fonts::load().unwrap();
        let face = fonts.face(Weight::Regular);
        let short = face.width("Comune", 10.0);
        assert!(short > 0.0);
        assert!(face.width("Comune di Borgoverde", 10.0) > short);
        assert!((face.width("Comune", 20.0) - 2.0 * short).abs() < 0.01);
        assert!(fonts.face(Weight::Bold).width("Comune", 10.0) > short);
    }

    #[test]
    fn glyphs_point_back_at_their_characters() {
        let fonts = Fonts::load().unwrap();
        let glyphs = fonts.face(Weight::Regular).glyphs("Città €");
        assert_eq!(glyphs.len(), 7);
        use krilla::text::Glyph;
        assert_eq!(glyphs[4].text_range(), 4..6); // "à" is two bytes
        assert_eq!(glyphs[6].text_range(), 7..10); // "€" is three
    }

    #[test]
    fn sanitize_drops_what_cannot_be_set() {
        assert_eq!(
            sanitize("a\tb\r\nc\u{feff}d\u{200b}e\u{e000}f\u{7}"),
            "a b\ncdef"
        );
        assert_eq!(sanitize("Perché €"), "Perché €");
    }
}
