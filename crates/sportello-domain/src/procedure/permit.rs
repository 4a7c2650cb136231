//! How long a permit lasts and whether the holder is reminded to renew it.

use crate::form::{Answers, Condition, FieldId, FormSchema};
use jiff::ToSpan;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// How long a permit is valid, counted from the first day of validity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Validity {
    /// `{ days = 7 }`: that many calendar days, the first included.
    #[serde(rename = "days")]
    Days(u16),
    /// `{ years = 5 }`
    #[serde(rename = "years")]
    Years(u8),
    /// `{ months = 12 }`
    #[serde(rename = "months")]
    Months(u8),
    /// `"end-of-year"`: to 31 December of the year it starts in.
    #[serde(rename = "end-of-year")]
    UntilEndOfYear,
    /// `{ until_field = "end_date" }`: to the date the citizen gave in that field (the end of
    /// an occupation, the expiry of a temporary medical certificate).
    #[serde(rename = "until_field")]
    FromAnswers(FieldId),
}

/// A validity that applies when its condition holds (`[[…permit.validity_cases]]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidityCase {
    pub when: Condition,
    pub validity: Validity,
}

fn is_false(value: &bool) -> bool {
    !*value
}

fn is_zero(value: &u16) -> bool {
    *value == 0
}

/// The permit a procedure issues (`[services.procedure.permit]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PermitSpec {
    /// The validity unless a case below applies.
    pub validity: Validity,
    /// Validities depending on the answers; the first that holds wins.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub validity_cases: Vec<ValidityCase>,
    /// A date field the validity starts from when it is answered (the first day of an
    /// occupation, or the day before for a daily ZTL permit bought afterwards); otherwise the
    /// permit is valid from the day of issue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_field: Option<FieldId>,
    /// Whether the holder may ask to renew it.
    #[serde(default, skip_serializing_if = "is_false")]
    pub renewable: bool,
    /// Days before expiry the holder is reminded to renew; 0 for no reminder.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub renewal_reminder_days: u16,
}

impl PermitSpec {
    /// The validity that applies to these answers.
    pub fn validity_for(&self, form: &FormSchema, answers: &Answers) -> &Validity {
        self.validity_cases
            .iter()
            .find(|case| form.condition_holds(&case.when, answers))
            .map_or(&self.validity, |case| &case.validity)
    }

    /// The first and the last day (both included) the permit is valid, for a permit issued
    /// on `issued`. `None` when the validity depends on an answer that is missing, or ends
    /// before it starts. Years and months follow the calendar (c.c. art. 2963, as the local
    /// rules count them): 12 months from 15 March end on 15 March, and on the last day of the
    /// month when that day does not exist.
    pub fn period(
        &self,
        form: &FormSchema,
        answers: &Answers,
        issued: Date,
    ) -> Option<(Date, Date)> {
        let start = self
            .from_field
            .as_ref()
            .and_then(|field| answers.date(field.as_str()))
            .unwrap_or(issued);
        let end = match self.validity_for(form, answers) {
            Validity::Days(days) => start
                .checked_add(i64::from(*days).saturating_sub(1).days())
                .ok()?,
            Validity::Years(years) => start.checked_add(i64::from(*years).years()).ok()?,
            Validity::Months(months) => start.checked_add(i64::from(*months).months()).ok()?,
            Validity::UntilEndOfYear => start.last_of_year(),
            Validity::FromAnswers(field) => answers.date(field.as_str())?,
        };
        (end >= start).then_some((start, end))
    }

    /// The day the renewal reminder is due, for a permit valid until `valid_until`.
    pub fn reminder_on(&self, valid_until: Date) -> Option<Date> {
        (self.renewable && self.renewal_reminder_days > 0)
            .then(|| {
                valid_until
                    .checked_sub(i64::from(self.renewal_reminder_days).days())
                    .ok()
            })
            .flatten()
    }
}
