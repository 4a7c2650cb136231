//! Money: integer euro cents everywhere, as pagoPA does.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An amount of money in euro cents. Never a float.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Cents(i64);

impl Cents {
    pub const ZERO: Cents = Cents(0);

    pub const fn new(cents: i64) -> Cents {
        Cents(cents)
    }

    pub const fn from_euros(euros: i64) -> Cents {
        Cents(euros * 100)
    }

    pub const fn get(self) -> i64 {
        self.0
    }

    pub fn checked_add(self, other: Cents) -> Option<Cents> {
        self.0.checked_add(other.0).map(Cents)
    }

    /// Formats the amount the Italian way: `€ 1.234,50`.
    pub fn to_italian_string(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let euros = (abs / 100).to_string();
        let mut grouped = String::with_capacity(euros.len() + euros.len() / 3);
        for (i, digit) in euros.chars().enumerate() {
            if i > 0 && (euros.len() - i).is_multiple_of(3) {
                grouped.push('.');
            }
            grouped.push(digit);
        }
        format!("{sign}€ {grouped},{:02}", abs % 100)
    }
}

impl fmt::Display for Cents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_italian_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_an_italian_invoice() {
        assert_eq!(Cents::new(1600).to_string(), "€ 16,00");
        assert_eq!(Cents::new(123_456_789).to_string(), "€ 1.234.567,89");
        assert_eq!(Cents::new(5).to_string(), "€ 0,05");
        assert_eq!(Cents::new(-250).to_string(), "-€ 2,50");
    }

    #[test]
    fn addition_does_not_overflow_silently() {
        assert_eq!(Cents::new(i64::MAX).checked_add(Cents::new(1)), None);
        assert_eq!(
            Cents::from_euros(16).checked_add(Cents::new(50)),
            Some(Cents::new(1650))
        );
    }
}
