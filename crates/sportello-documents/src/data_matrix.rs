//! Data Matrix (ECC 200) symbols, drawn like the QR codes: the Poste Data Matrix of a
//! payment notice's postal block.

use datamatrix::{DataMatrix, SymbolList};

use crate::DocumentError;
use crate::qr::{Symbol, modules};

/// The Data Matrix of `data` as a square of `side` points whose top left corner is (`x`,
/// `y`), quiet zone (one module) not included.
pub(crate) fn symbol(data: &[u8], x: f32, y: f32, side: f32) -> Result<Symbol, DocumentError> {
    // Square symbols only: Poste's "stampa in proprio" rules print a square, and the
    // pagoPA generator forces one too.
    let code = DataMatrix::encode(data, SymbolList::default().enforce_square())
        .map_err(|error| DocumentError::DataMatrix(format!("{error:?}")))?;
    let bitmap = code.bitmap();
    let (width, height) = (bitmap.width(), bitmap.height());
    let mut dark = vec![false; width * height];
    for (column, row) in bitmap.pixels() {
        if let Some(module) = dark.get_mut(row * width + column) {
            *module = true;
        }
    }
    Ok(modules(&dark, width, x, y, side / width.max(1) as f32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_poste_payload_round_trips_through_the_drawn_modules() {
        let data = format!(
            "codfase=NBPA;183012025000000042281200001630209310000001500038961P100000000000\
             RSSMRA80A01H501UMARIO ROSSI{}TARI 2025 RATA UNICA{}A",
            " ".repeat(29),
            " ".repeat(102)
        );
        let code =
            DataMatrix::encode(data.as_bytes(), SymbolList::default().enforce_square()).unwrap();
        let width = code.bitmap().width();
        assert_eq!(width, code.bitmap().height());
        let symbol = symbol(data.as_bytes(), 0.0, 0.0, width as f32).unwrap();
        assert_eq!(symbol.module, 1.0);
        // Paint the rectangles back into pixels and let the crate's decoder read them.
        let mut pixels = vec![false; width * width];
        for [x, y, w, _] in symbol.rects {
            for column in x as usize..(x + w) as usize {
                pixels[y as usize * width + column] = true;
            }
        }
        assert_eq!(DataMatrix::decode(&pixels, width).unwrap(), data.as_bytes());
    }

    #[test]
    fn data_too_long_for_any_data_matrix_is_an_error() {
        assert!(matches!(
            symbol(&[b'x'; 5000], 0.0, 0.0, 100.0),
            Err(DocumentError::DataMatrix(_))
        ));
    }
}
