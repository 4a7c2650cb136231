//! Spontaneous payments: what a citizen can pay the comune without a prior request (copy
//! costs, secretarial fees, a canteen top-up). Each entry of the comune's catalogue says how
//! its amount is fixed; the position is created when the citizen asks to pay.

use super::position::{TEXT_MAX, Taxonomy};
use crate::form::Decimal;
use crate::tenant_file::Issues;
use crate::text::LocalizedText;
use crate::{Cents, Lang, Slug};
use serde::{Deserialize, Serialize};

/// How the amount of a spontaneous payment is fixed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum AmountRule {
    /// Always the same amount (a certificate's secretarial fee).
    Fixed { amount: Cents },
    /// The citizen says how much, within limits (a canteen top-up).
    Range { min: Cents, max: Cents },
    /// A price per unit times a quantity (copies, pages).
    PerUnit {
        unit_price: Cents,
        /// What one unit is: `copia`, `pagina`.
        unit: LocalizedText,
        max_units: u32,
    },
}

/// What the citizen entered to fix the amount, if the rule asks for anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AmountInput<'a> {
    None,
    /// Euros as typed (`12,50`).
    Euros(&'a str),
    /// A quantity as typed (`3`).
    Units(&'a str),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("the amount is missing or not a number of euros with at most two decimals")]
    NotAnAmount,
    #[error("the amount must be between {min} and {max}")]
    OutOfRange { min: Cents, max: Cents },
    #[error("the quantity must be a whole number from 1 to {max}")]
    Units { max: u32 },
}

impl AmountError {
    /// For the citizen, in their language.
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (AmountError::NotAnAmount, Lang::It) => {
                "Indica l'importo in euro, per esempio 12,50.".to_owned()
            }
            (AmountError::NotAnAmount, Lang::En) => {
                "Enter the amount in euros, for example 12.50.".to_owned()
            }
            (AmountError::OutOfRange { min, max }, Lang::It) => {
                format!("L'importo deve essere tra {min} e {max}.")
            }
            (AmountError::OutOfRange { min, max }, Lang::En) => {
                format!("The amount must be between {min} and {max}.")
            }
            (AmountError::Units { max }, Lang::It) => {
                format!("Indica un numero intero da 1 a {max}.")
            }
            (AmountError::Units { max }, Lang::En) => {
                format!("Enter a whole number from 1 to {max}.")
            }
        }
    }
}

impl AmountRule {
    pub fn amount(&self, input: &AmountInput<'_>) -> Result<Cents, AmountError> {
        match self {
            AmountRule::Fixed { amount } => Ok(*amount),
            AmountRule::Range { min, max } => {
                let AmountInput::Euros(text) = input else {
                    return Err(AmountError::NotAnAmount);
                };
                let value = Decimal::parse(text).map_err(|_| AmountError::NotAnAmount)?;
                let amount = Cents::new(value.hundredths());
                if amount < *min || amount > *max {
                    return Err(AmountError::OutOfRange {
                        min: *min,
                        max: *max,
                    });
                }
                Ok(amount)
            }
            AmountRule::PerUnit {
                unit_price,
                max_units,
                ..
            } => {
                let AmountInput::Units(text) = input else {
                    return Err(AmountError::Units { max: *max_units });
                };
                let units: u32 = text
                    .trim()
                    .parse()
                    .ok()
                    .filter(|u| (1..=*max_units).contains(u))
                    .ok_or(AmountError::Units { max: *max_units })?;
                unit_price
                    .get()
                    .checked_mul(i64::from(units))
                    .map(Cents::new)
                    .ok_or(AmountError::Units { max: *max_units })
            }
        }
    }
}

/// One entry of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpontaneousPayment {
    pub slug: Slug,
    pub name: LocalizedText,
    pub description: LocalizedText,
    pub amount: AmountRule,
    /// The remittance text (causale) on the notice and the comune's account, in Italian.
    pub remittance: String,
    pub taxonomy: Taxonomy,
    /// The office that receives the money, shown to the citizen.
    #[serde(default)]
    pub office: Option<String>,
}

impl SpontaneousPayment {
    pub(crate) fn validate(&self, key: &str, issues: &mut Issues) {
        if self.name.it.trim().is_empty() {
            issues.push(format!("{key}.name.it"), "must not be empty");
        }
        if self.remittance.trim().is_empty() || self.remittance.chars().count() > TEXT_MAX {
            issues.push(
                format!("{key}.remittance"),
                format!("must be 1 to {TEXT_MAX} characters"),
            );
        }
        let positive = |c: &Cents| c.get() >= 1;
        let ok = match &self.amount {
            AmountRule::Fixed { amount } => positive(amount),
            AmountRule::Range { min, max } => positive(min) && min <= max,
            AmountRule::PerUnit {
                unit_price,
                max_units,
                ..
            } => positive(unit_price) && *max_units >= 1,
        };
        if !ok {
            issues.push(
                format!("{key}.amount"),
                "amounts must be positive (in cents), with min ≤ max and at least one unit",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_rule_fixes_the_amount_from_what_the_citizen_entered() {
        let fixed = AmountRule::Fixed {
            amount: Cents::new(52),
        };
        assert_eq!(fixed.amount(&AmountInput::None), Ok(Cents::new(52)));
        let range = AmountRule::Range {
            min: Cents::new(500),
            max: Cents::new(20000),
        };
        assert_eq!(
            range.amount(&AmountInput::Euros("12,5")),
            Ok(Cents::new(1250))
        );
        assert_eq!(
            range.amount(&AmountInput::Euros("4,99")),
            Err(AmountError::OutOfRange {
                min: Cents::new(500),
                max: Cents::new(20000)
            })
        );
        assert_eq!(
            range.amount(&AmountInput::Euros("dieci")),
            Err(AmountError::NotAnAmount)
        );
        assert_eq!(
            range.amount(&AmountInput::None),
            Err(AmountError::NotAnAmount)
        );
        let copies = AmountRule::PerUnit {
            unit_price: Cents::new(25),
            unit: LocalizedText::italian("copia"),
            max_units: 200,
        };
        assert_eq!(
            copies.amount(&AmountInput::Units(" 12 ")),
            Ok(Cents::new(300))
        );
        assert_eq!(
            copies.amount(&AmountInput::Units("0")),
            Err(AmountError::Units { max: 200 })
        );
        assert_eq!(
            copies.amount(&AmountInput::Units("201")),
            Err(AmountError::Units { max: 200 })
        );
        assert!(
            AmountError::OutOfRange {
                min: Cents::new(500),
                max: Cents::new(20000)
            }
            .message(Lang::It)
            .contains("€ 5,00")
        );
    }
}
