//! QR codes, and the drawing every 2D symbol shares: modules as vector rectangles, sharp at
//! any zoom and in print, no image to decode.

use qrcode::{Color, EcLevel, QrCode};

use crate::DocumentError;

/// A 2D symbol (QR code, Data Matrix) laid out on the page.
pub(crate) struct Symbol {
    /// The dark modules, one rectangle (x, y, width, height) per horizontal run.
    pub rects: Vec<[f32; 4]>,
    /// The side of one module. Scanners need a quiet zone around the symbol (four modules
    /// for a QR code, one for a Data Matrix), which the caller keeps clear.
    pub module: f32,
}

/// The QR code of `data` as a square of `side` points whose top left corner is (`x`, `y`),
/// quiet zone not included.
pub(crate) fn symbol(data: &str, x: f32, y: f32, side: f32) -> Result<Symbol, DocumentError> {
    // Level M survives a crease or a stain on a printed permit (15% of the modules) and
    // keeps a verification URL at version 5-6, whose modules are ~1 mm at 3.5 cm.
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M)
        .map_err(|error| DocumentError::Qr(error.to_string()))?;
    let width = code.width();
    let dark: Vec<bool> = code.to_colors().iter().map(|c| *c == Color::Dark).collect();
    Ok(modules(&dark, width, x, y, side / width as f32))
}

/// Draws a matrix of modules, `dark` row by row and `width` per row, from (`x`, `y`) with
/// modules of `module` points. Each horizontal run of dark modules is one rectangle: fewer
/// path segments, and no hairline seams between neighbours when a viewer anti-aliases.
pub(crate) fn modules(dark: &[bool], width: usize, x: f32, y: f32, module: f32) -> Symbol {
    let mut rects = Vec::new();
    for (row, line) in dark.chunks(width.max(1)).enumerate() {
        let mut column = 0;
        while column < line.len() {
            if line.get(column) != Some(&true) {
                column += 1;
                continue;
            }
            let start = column;
            while line.get(column) == Some(&true) {
                column += 1;
            }
            rects.push([
                x + start as f32 * module,
                y + row as f32 * module,
                (column - start) as f32 * module,
                module,
            ]);
        }
    }
    Symbol { rects, module }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_cover_exactly_the_dark_modules() {
        let data = "https://borgoverde.example.it/borgoverde/verifica/abc";
        let code = QrCode::with_error_correction_level(data, EcLevel::M).unwrap();
        let width = code.width();
        let symbol = symbol(data, 0.0, 0.0, width as f32).unwrap();
        assert_eq!(symbol.module, 1.0);
        let mut painted = vec![false; width * width];
        for [x, y, w, h] in symbol.rects {
            assert_eq!(h, 1.0);
            let (row, first) = (y as usize, x as usize);
            for column in first..first + w as usize {
                assert!(!painted[row * width + column], "overlap");
                painted[row * width + column] = true;
            }
        }
        let dark: Vec<bool> = code.to_colors().iter().map(|c| *c == Color::Dark).collect();
        assert_eq!(painted, dark);
    }

    #[test]
    fn data_too_long_for_any_qr_code_is_an_error() {
        let data = "x".repeat(5000);
        assert!(matches!(
            symbol(&data, 0.0, 0.0, 100.0),
            Err(DocumentError::Qr(_))
        ));
    }
}
