//! The options of a choice: listed in the comune file, or taken from the comune's local rules
//! so that a form and the rule that reads its answer can never disagree on the values.

use crate::local_rules::LocalRules;
use crate::text::LocalizedText;
use serde::{Deserialize, Serialize};

/// One option of a choice: the value stored in the answers and the label shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChoiceOption {
    pub value: String,
    pub label: LocalizedText,
}

/// A list of options kept in the comune's local rules (`options_from` in the comune file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OptionSource {
    /// The kinds of occupation of the canone unico tariffs (`[canone]`).
    #[serde(rename = "canone.occupation-kinds")]
    CanoneOccupationKinds,
    /// The permit categories of the ZTL (`[ztl]`).
    #[serde(rename = "ztl.categories")]
    ZtlCategories,
    /// The zones of the ZTL (`[ztl]`).
    #[serde(rename = "ztl.zones")]
    ZtlZones,
    /// The resident parking zones (`[parking]`).
    #[serde(rename = "parking.zones")]
    ParkingZones,
}

impl OptionSource {
    /// The key as written in the comune file.
    pub fn key(self) -> &'static str {
        match self {
            OptionSource::CanoneOccupationKinds => "canone.occupation-kinds",
            OptionSource::ZtlCategories => "ztl.categories",
            OptionSource::ZtlZones => "ztl.zones",
            OptionSource::ParkingZones => "parking.zones",
        }
    }

    /// The section of the comune file that holds the options.
    pub fn section(self) -> &'static str {
        match self {
            OptionSource::CanoneOccupationKinds => "[canone]",
            OptionSource::ZtlCategories | OptionSource::ZtlZones => "[ztl]",
            OptionSource::ParkingZones => "[parking]",
        }
    }

    /// The options, or `None` when the comune file has no such section.
    pub fn resolve(self, rules: &LocalRules) -> Option<Vec<ChoiceOption>> {
        match self {
            OptionSource::CanoneOccupationKinds => rules.canone.as_ref().map(|canone| {
                canone
                    .occupation_kinds
                    .iter()
                    .map(|kind| ChoiceOption {
                        value: kind.id.to_string(),
                        label: kind.name.clone(),
                    })
                    .collect()
            }),
            OptionSource::ZtlCategories => rules.ztl.as_ref().map(|ztl| {
                ztl.categories
                    .iter()
                    .map(|category| ChoiceOption {
                        value: category.id.to_string(),
                        label: category.name.clone(),
                    })
                    .collect()
            }),
            OptionSource::ZtlZones => rules.ztl.as_ref().map(|ztl| {
                ztl.zones
                    .iter()
                    .map(|zone| ChoiceOption {
                        value: zone.id.to_string(),
                        label: zone.name.clone(),
                    })
                    .collect()
            }),
            OptionSource::ParkingZones => rules.parking.as_ref().map(|parking| {
                parking
                    .zones
                    .iter()
                    .map(|zone| ChoiceOption {
                        value: zone.id.to_string(),
                        label: zone.name.clone(),
                    })
                    .collect()
            }),
        }
    }
}

/// The comune's streets as options: value = street id, label = its name.
pub(crate) fn streets(rules: &LocalRules) -> Vec<ChoiceOption> {
    rules
        .streets
        .iter()
        .map(|street| ChoiceOption {
            value: street.id.to_string(),
            label: LocalizedText::italian(street.name.clone()),
        })
        .collect()
}
