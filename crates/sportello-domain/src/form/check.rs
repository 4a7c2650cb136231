//! Checks of a form as written in the comune file, reported through [`Issues`] with the key
//! that holds each problem (messages for the comune's IT staff, in English).

use super::options::ChoiceOption;
use super::schema::{
    ChoiceOptions, FieldKind, FormSchema, TEXT_MAX_LENGTH_CAP, TEXTAREA_MAX_LENGTH_CAP,
};
use super::{Condition, Requirement};
use crate::local_rules::LocalRules;
use crate::tenant_file::Issues;
use std::collections::HashSet;

impl FormSchema {
    pub(crate) fn check(&self, key: &str, rules: &LocalRules, issues: &mut Issues) {
        if self.steps.is_empty() {
            issues.push(format!("{key}.steps"), "needs at least one step");
        }
        let mut step_ids = HashSet::new();
        let mut field_ids = HashSet::new();
        let mut position = 0;
        for (s, step) in self.steps.iter().enumerate() {
            let step_key = format!("{key}.steps[{s}] ({})", step.id);
            if !step_ids.insert(step.id.as_str()) {
                issues.push(format!("{step_key}.id"), "is used by another step");
            }
            issues.require_localized(&format!("{step_key}.title"), &step.title);
            if let Some(intro) = &step.intro {
                issues.require_localized(&format!("{step_key}.intro"), intro);
            }
            if let Some(condition) = &step.when {
                // A step's condition may only look at earlier steps, never at its own fields.
                self.check_condition(
                    condition,
                    &format!("{step_key}.when"),
                    Some(position),
                    rules,
                    issues,
                );
            }
            if step.fields.is_empty() {
                issues.push(format!("{step_key}.fields"), "needs at least one field");
            }
            for (f, field) in step.fields.iter().enumerate() {
                let field_key = format!("{step_key}.fields[{f}] ({})", field.id);
                if !field_ids.insert(field.id.as_str()) {
                    issues.push(
                        format!("{field_key}.id"),
                        "is used by another field of the form",
                    );
                }
                issues.require_localized(&format!("{field_key}.label"), &field.label);
                if let Some(help) = &field.help {
                    issues.require_localized(&format!("{field_key}.help"), help);
                }
                if let Some(condition) = &field.when {
                    self.check_condition(
                        condition,
                        &format!("{field_key}.when"),
                        Some(position),
                        rules,
                        issues,
                    );
                }
                if let Requirement::When(condition) = &field.required {
                    self.check_condition(
                        condition,
                        &format!("{field_key}.required"),
                        Some(position),
                        rules,
                        issues,
                    );
                }
                self.check_kind(&field.kind, &field_key, position, rules, issues);
                position += 1;
            }
        }
    }

    fn check_kind(
        &self,
        kind: &FieldKind,
        key: &str,
        position: usize,
        rules: &LocalRules,
        issues: &mut Issues,
    ) {
        match kind {
            FieldKind::Text { max_length, .. } => {
                check_max_length(*max_length, TEXT_MAX_LENGTH_CAP, key, issues);
            }
            FieldKind::Textarea { max_length } => {
                check_max_length(*max_length, TEXTAREA_MAX_LENGTH_CAP, key, issues);
            }
            FieldKind::Integer { min, max, unit } => {
                if let (Some(min), Some(max)) = (min, max)
                    && min > max
                {
                    issues.push(format!("{key}.max"), format!("is below min ({min})"));
                }
                if let Some(unit) = unit {
                    issues.require_localized(&format!("{key}.unit"), unit);
                }
            }
            FieldKind::Decimal { min, max, unit } => {
                if let (Some(min), Some(max)) = (min, max)
                    && min > max
                {
                    issues.push(format!("{key}.max"), format!("is below min ({min})"));
                }
                if let Some(unit) = unit {
                    issues.require_localized(&format!("{key}.unit"), unit);
                }
            }
            FieldKind::Date(dates) => {
                if let (Some(min), Some(max)) = (dates.min_days_ahead, dates.max_days_ahead)
                    && min > max
                {
                    issues.push(
                        format!("{key}.max_days_ahead"),
                        format!("is below min_days_ahead ({min})"),
                    );
                }
                if let Some(other) = &dates.not_before {
                    self.check_reference(
                        other.as_str(),
                        "date",
                        key,
                        "not_before",
                        position,
                        issues,
                    );
                }
                if dates.max_days_after.is_some() && dates.not_before.is_none() {
                    issues.push(
                        format!("{key}.max_days_after"),
                        "counts from the date of `not_before`, which is missing",
                    );
                }
            }
            FieldKind::Time { later_than } => {
                if let Some(other) = later_than {
                    self.check_reference(
                        other.as_str(),
                        "time",
                        key,
                        "later_than",
                        position,
                        issues,
                    );
                }
            }
            FieldKind::Choice { options, .. } | FieldKind::MultiChoice { options } => match options
            {
                ChoiceOptions::Listed(options) => check_listed(options, key, issues),
                ChoiceOptions::From(source) => match source.resolve(rules) {
                    None => issues.push(
                        format!("{key}.options_from"),
                        format!(
                            "\"{}\" needs a {} section in the comune file",
                            source.key(),
                            source.section()
                        ),
                    ),
                    Some(options) if options.is_empty() => issues.push(
                        format!("{key}.options_from"),
                        format!(
                            "\"{}\" lists no options in {}",
                            source.key(),
                            source.section()
                        ),
                    ),
                    Some(_) => {}
                },
            },
            FieldKind::Street => {
                if rules.streets.is_empty() {
                    issues.push(
                        format!("{key}.kind"),
                        "a street field needs the comune's street list ([[streets]])",
                    );
                }
            }
            FieldKind::Checkbox
            | FieldKind::Declaration
            | FieldKind::Plate
            | FieldKind::Plates { .. }
            | FieldKind::Email
            | FieldKind::Phone => {}
        }
    }

    /// A date or time field that another one is compared with: it must exist, be of the
    /// same kind and be asked before.
    fn check_reference(
        &self,
        other: &str,
        kind: &str,
        key: &str,
        name: &str,
        position: usize,
        issues: &mut Issues,
    ) {
        match (self.field(other), self.position(other)) {
            (Some(field), Some(at)) => {
                if field.kind.key() != kind {
                    issues.push(
                        format!("{key}.{name}"),
                        format!("'{other}' is not a {kind} field"),
                    );
                } else if at >= position {
                    issues.push(
                        format!("{key}.{name}"),
                        format!("'{other}' must be asked before this field"),
                    );
                }
            }
            _ => issues.push(
                format!("{key}.{name}"),
                format!("no field '{other}' in this form"),
            ),
        }
    }

    /// A condition must name a field of the form asked before the thing it governs (`before`
    /// is that thing's position in form order; `None` for attachments, fees and documents,
    /// which come after the whole form), with values the field can take.
    pub(crate) fn check_condition(
        &self,
        condition: &Condition,
        key: &str,
        before: Option<usize>,
        rules: &LocalRules,
        issues: &mut Issues,
    ) {
        let name = condition.field.as_str();
        let (Some(field), Some(at)) = (self.field(name), self.position(name)) else {
            issues.push(
                format!("{key}.field"),
                format!("no field '{name}' in this form"),
            );
            return;
        };
        if before.is_some_and(|before| at >= before) {
            issues.push(
                format!("{key}.field"),
                format!("'{name}' must be asked before what it governs"),
            );
        }
        if condition.any_of.is_empty() {
            issues.push(format!("{key}.any_of"), "needs at least one value");
        }
        let allowed: Option<Vec<String>> = match &field.kind {
            FieldKind::Checkbox | FieldKind::Declaration => {
                Some(vec![super::values::TICK.to_owned()])
            }
            FieldKind::Choice { .. } | FieldKind::MultiChoice { .. } => Some(
                field
                    .choice_options(rules)
                    .into_iter()
                    .map(|option| option.value)
                    .collect(),
            ),
            _ => None,
        };
        if let Some(allowed) = allowed.filter(|a| !a.is_empty()) {
            for value in &condition.any_of {
                if !allowed.contains(value) {
                    issues.push(
                        format!("{key}.any_of"),
                        format!(
                            "'{value}' is not a value of '{name}' (values: {})",
                            allowed.join(", ")
                        ),
                    );
                }
            }
        }
    }
}

fn check_max_length(max_length: u16, cap: u16, key: &str, issues: &mut Issues) {
    if max_length == 0 || max_length > cap {
        issues.push(
            format!("{key}.max_length"),
            format!("must be between 1 and {cap}"),
        );
    }
}

fn check_listed(options: &[ChoiceOption], key: &str, issues: &mut Issues) {
    if options.is_empty() {
        issues.push(format!("{key}.options"), "needs at least one option");
    }
    let mut values = HashSet::new();
    for (o, option) in options.iter().enumerate() {
        let option_key = format!("{key}.options[{o}]");
        let value = option.value.as_str();
        if value.is_empty() || value.trim() != value || value.len() > 60 {
            issues.push(
                format!("{option_key}.value"),
                "must be a short value without leading or trailing spaces",
            );
        }
        if !values.insert(value) {
            issues.push(
                format!("{option_key}.value"),
                format!("'{value}' is listed twice"),
            );
        }
        issues.require_localized(&format!("{option_key}.label"), &option.label);
    }
}
