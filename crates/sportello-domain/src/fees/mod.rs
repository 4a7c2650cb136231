//! Fees a request owes, each shown with every factor that makes it up, so that a citizen (and
//! the clerk who checks it) can redo the sum by hand.
//!
//! Money is integer cents ([`Cents`]); intermediate products are exact integers (`i128`) and
//! the only rounding is half-up to the cent at the end, which a quote shows as a line of its
//! own when it changes anything.

pub mod canone;

use crate::Cents;
use crate::text::LocalizedText;
use serde::{Deserialize, Serialize};

/// One line of a fee breakdown or of a permit: what it is and its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub label: LocalizedText,
    pub value: LocalizedText,
}

impl Line {
    pub fn new(label: LocalizedText, value: LocalizedText) -> Line {
        Line { label, value }
    }

    /// A line whose value reads the same in both languages (an amount, a date, a plate).
    pub(crate) fn plain(it: &str, en: &str, value: impl Into<String>) -> Line {
        Line {
            label: both(it, en),
            value: same(value),
        }
    }
}

/// A fee with its factors, for the citizen's summary, the receipt and the pagoPA notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeBreakdown {
    pub lines: Vec<Line>,
    pub total: Cents,
}

pub(crate) fn both(it: &str, en: &str) -> LocalizedText {
    LocalizedText {
        it: it.to_owned(),
        en: Some(en.to_owned()),
    }
}

/// A value that does not change with the language: numbers and amounts are written the
/// Italian way on every page, as [`Cents`] does.
pub(crate) fn same(value: impl Into<String>) -> LocalizedText {
    let value = value.into();
    LocalizedText {
        en: Some(value.clone()),
        it: value,
    }
}

/// A coefficient in thousandths, as regulations write them: `800` is ×0,80.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PerMille(pub u32);

impl PerMille {
    pub const ONE: PerMille = PerMille(1000);

    pub const fn get(self) -> u32 {
        self.0
    }

    /// `0,80`, `1,25`, `0,333`: at least two decimals, as regulations print them.
    pub fn to_italian_string(self) -> String {
        let whole = self.0 / 1000;
        let mut fraction = format!("{:03}", self.0 % 1000);
        if fraction.ends_with('0') {
            fraction.pop();
        }
        format!("{whole},{fraction}")
    }
}

/// An amount in euros given as `numerator / denominator` hundredths of a cent, written the
/// Italian way with as many decimals as needed up to six (`€ 6,912`); `≈` marks a value that
/// six decimals do not hold exactly. For showing exact intermediate amounts.
pub(crate) fn euros_exact(numerator: i128, denominator: i128) -> String {
    if denominator <= 0 {
        return String::new();
    }
    // Millionths of a euro are hundredths of a cent times 100.
    let scaled = numerator.saturating_mul(100);
    let micros = scaled / denominator;
    let exact = scaled % denominator == 0;
    let cents = i64::try_from(micros / 10_000).unwrap_or(i64::MAX);
    let mut extra = format!("{:04}", (micros % 10_000).unsigned_abs());
    while extra.ends_with('0') {
        extra.pop();
    }
    format!(
        "{}{}{extra}",
        if exact { "" } else { "≈ " },
        Cents::new(cents).to_italian_string()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coefficients_print_like_the_regulation() {
        for (per_mille, printed) in [
            (1000, "1,00"),
            (800, "0,80"),
            (1250, "1,25"),
            (333, "0,333"),
            (0, "0,00"),
            (2500, "2,50"),
            (75, "0,075"),
        ] {
            assert_eq!(PerMille(per_mille).to_italian_string(), printed);
        }
    }

    #[test]
    fn exact_amounts_keep_their_decimals() {
        // Hundredths of a cent over a denominator.
        for (numerator, denominator, printed) in [
            (69_120, 1, "€ 6,912"),
            (70, 1, "€ 0,007"),
            (18_200_000, 1, "€ 1.820,00"),
            (1_000_000, 3, "≈ € 33,333333"),
            (1_234_567, 1, "€ 123,4567"),
        ] {
            assert_eq!(euros_exact(numerator, denominator), printed);
        }
    }
}
