//! The comune's street list (*stradario*, from its toponomastica): the streets a citizen picks
//! an address from, each with the canone road category and the parking and ZTL zones it lies
//! in. A long street may cross two parking zones, so ranges of house numbers can name a zone of
//! their own (`[[streets.segments]]`).

use crate::Slug;
use crate::local_rules::LocalRules;
use crate::tenant_file::Issues;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fmt;

/// A street of the comune.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Street {
    /// Stable identifier stored in answers (`via-roma`).
    pub id: Slug,
    /// The name as the toponomastica writes it: "Via Roma", "Piazza del Municipio".
    pub name: String,
    /// The road category of the canone unico regulation (`[[canone.road_categories]]`).
    pub road_category: Slug,
    /// The resident parking zone (`[[parking.zones]]`) of the street's house numbers that no
    /// segment claims.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parking_zone: Option<Slug>,
    /// The ZTL zone (`[[ztl.zones]]`) the street lies in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ztl_zone: Option<Slug>,
    /// House-number ranges with a parking zone different from the street's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<Segment>,
}

/// A range of house numbers of a street in a parking zone of its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Segment {
    /// First house number of the range.
    pub from: u32,
    /// Last house number of the range, included; open-ended when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<u32>,
    /// Which side of the street: odd numbers, even numbers or both.
    #[serde(default)]
    pub parity: Parity,
    /// The parking zone of these numbers; none means that no resident permit is issued there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parking_zone: Option<Slug>,
}

/// The side of the street a segment covers: Italian streets number one side odd, the other
/// even.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Parity {
    Odd,
    Even,
    #[default]
    All,
}

impl Parity {
    fn admits(self, number: u32) -> bool {
        match self {
            Parity::Odd => number % 2 == 1,
            Parity::Even => number.is_multiple_of(2),
            Parity::All => true,
        }
    }

    fn overlaps(self, other: Parity) -> bool {
        self == other || self == Parity::All || other == Parity::All
    }
}

impl Segment {
    fn contains(&self, number: u32) -> bool {
        number >= self.from && self.to.is_none_or(|to| number <= to) && self.parity.admits(number)
    }

    fn overlaps(&self, other: &Segment) -> bool {
        let (a_to, b_to) = (self.to.unwrap_or(u32::MAX), other.to.unwrap_or(u32::MAX));
        self.parity.overlaps(other.parity) && self.from <= b_to && other.from <= a_to
    }
}

/// A house number as written on Italian doors: `12`, `12/A`, `12 bis`, `12A`, `12-b`, or
/// `snc` (*senza numero civico*, a building without a number).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HouseNumber {
    Number {
        number: u32,
        /// The letter or word after the number, upper case (`A`, `BIS`).
        suffix: Option<String>,
    },
    WithoutNumber,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a house number")]
pub struct HouseNumberError(pub String);

impl HouseNumber {
    pub fn parse(input: &str) -> Result<HouseNumber, HouseNumberError> {
        let value = input.trim();
        let error = || HouseNumberError(value.to_owned());
        if value.eq_ignore_ascii_case("snc") || value.eq_ignore_ascii_case("s.n.c.") {
            return Ok(HouseNumber::WithoutNumber);
        }
        let digits = value.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 5 || value.starts_with('0') {
            return Err(error());
        }
        let number = value[..digits].parse().map_err(|_| error())?;
        let rest = value[digits..].trim_start_matches([' ', '/', '-']).trim();
        if rest.len() > 6 || !rest.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(error());
        }
        Ok(HouseNumber::Number {
            number,
            suffix: (!rest.is_empty()).then(|| rest.to_ascii_uppercase()),
        })
    }

    pub fn number(&self) -> Option<u32> {
        match self {
            HouseNumber::Number { number, .. } => Some(*number),
            HouseNumber::WithoutNumber => None,
        }
    }
}

impl fmt::Display for HouseNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HouseNumber::Number {
                number,
                suffix: Some(suffix),
            } if suffix.len() == 1 => write!(f, "{number}/{suffix}"),
            HouseNumber::Number {
                number,
                suffix: Some(suffix),
            } => write!(f, "{number} {}", suffix.to_ascii_lowercase()),
            HouseNumber::Number { number, .. } => write!(f, "{number}"),
            HouseNumber::WithoutNumber => f.write_str("snc"),
        }
    }
}

impl Street {
    /// The parking zone of a house number on this street: the first segment that contains
    /// the number decides, otherwise the street's own zone. A building without a number
    /// (`snc`) is in the street's zone.
    pub fn parking_zone_at(&self, house_number: &HouseNumber) -> Option<&Slug> {
        let segment = house_number
            .number()
            .and_then(|n| self.segments.iter().find(|s| s.contains(n)));
        match segment {
            Some(segment) => segment.parking_zone.as_ref(),
            None => self.parking_zone.as_ref(),
        }
    }

    /// Whether any house number of the street is in a parking zone.
    pub fn has_parking_zone(&self) -> bool {
        self.parking_zone.is_some() || self.segments.iter().any(|s| s.parking_zone.is_some())
    }

    /// "Via Roma 12/A".
    pub fn address(&self, house_number: &HouseNumber) -> String {
        format!("{} {house_number}", self.name)
    }
}

/// The street with this id.
pub fn find<'a>(streets: &'a [Street], id: &str) -> Option<&'a Street> {
    streets.iter().find(|s| s.id.as_str() == id)
}

/// The resident parking zone of an address; `None` when the street is unknown, the house
/// number does not parse, or the address is in no zone.
pub fn parking_zone_for<'a>(
    streets: &'a [Street],
    street_id: &str,
    house_number: &str,
) -> Option<&'a Slug> {
    let number = HouseNumber::parse(house_number).ok()?;
    find(streets, street_id)?.parking_zone_at(&number)
}

pub(crate) fn validate(streets: &[Street], key: &str, issues: &mut Issues) {
    let mut ids = HashSet::new();
    for (i, street) in streets.iter().enumerate() {
        let key = format!("{key}[{i}] ({})", street.id);
        if !ids.insert(street.id.as_str()) {
            issues.push(format!("{key}.id"), "is used by another street");
        }
        issues.require_text(&format!("{key}.name"), &street.name);
        for (s, segment) in street.segments.iter().enumerate() {
            let segment_key = format!("{key}.segments[{s}]");
            if segment.from == 0 {
                issues.push(format!("{segment_key}.from"), "house numbers start from 1");
            }
            if segment.to.is_some_and(|to| to < segment.from) {
                issues.push(
                    format!("{segment_key}.to"),
                    format!("is below from ({})", segment.from),
                );
            }
            for (o, other) in street.segments.iter().enumerate().take(s) {
                if segment.overlaps(other) {
                    issues.push(
                        segment_key.clone(),
                        format!(
                            "covers house numbers also covered by segments[{o}]: say which zone they are in only once"
                        ),
                    );
                }
            }
        }
    }
}

/// Checks that every street names a road category of `[canone]` and a zone of `[ztl]` that
/// exist, and that no street names a parking zone when there is no `[parking]` (when there
/// is, [`crate::parking::ParkingRules`] checks the zones itself).
// `LocalRules::validate` is the one caller; until it calls this only tests do.
pub(crate) fn validate_references(rules: &LocalRules, key: &str, issues: &mut Issues) {
    let categories: Option<HashSet<&str>> = rules.canone.as_ref().map(|canone| {
        canone
            .road_categories
            .iter()
            .map(|c| c.id.as_str())
            .collect()
    });
    let ztl_zones: Option<HashSet<&str>> = rules
        .ztl
        .as_ref()
        .map(|ztl| ztl.zones.iter().map(|z| z.id.as_str()).collect());
    for (i, street) in rules.streets.iter().enumerate() {
        let key = format!("{key}[{i}] ({})", street.id);
        if let Some(categories) = &categories
            && !categories.contains(street.road_category.as_str())
        {
            issues.push(
                format!("{key}.road_category"),
                format!(
                    "no [[canone.road_categories]] has id '{}'",
                    street.road_category
                ),
            );
        }
        if let Some(zone) = &street.ztl_zone {
            match &ztl_zones {
                Some(zones) if zones.contains(zone.as_str()) => {}
                Some(_) => issues.push(
                    format!("{key}.ztl_zone"),
                    format!("no [[ztl.zones]] has id '{zone}'"),
                ),
                None => issues.push(
                    format!("{key}.ztl_zone"),
                    "names a ZTL zone but the file has no [ztl] section",
                ),
            }
        }
        if rules.parking.is_none() && street.has_parking_zone() {
            issues.push(
                format!("{key}.parking_zone"),
                "names a parking zone but the file has no [parking] section",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slug(s: &str) -> Slug {
        Slug::parse(s).unwrap()
    }

    /// Via Lunga: zone "a" by default; numbers 1–39 odd are in zone "b", from 100 on there is
    /// no zone.
    fn via_lunga() -> Street {
        toml::from_str(
            r#"
id = "via-lunga"
name = "Via Lunga"
road_category = "cat-1"
parking_zone = "a"

[[segments]]
from = 1
to = 39
parity = "odd"
parking_zone = "b"

[[segments]]
from = 100
"#,
        )
        .unwrap()
    }

    #[test]
    fn house_numbers_are_read_as_written_on_doors() {
        let cases = [
            ("12", Some((12, None)), "12"),
            (" 12/A ", Some((12, Some("A"))), "12/A"),
            ("12a", Some((12, Some("A"))), "12/A"),
            ("12-b", Some((12, Some("B"))), "12/B"),
            ("12 bis", Some((12, Some("BIS"))), "12 bis"),
            ("7 TER", Some((7, Some("TER"))), "7 ter"),
            ("snc", None, "snc"),
            ("SNC", None, "snc"),
        ];
        for (input, expected, shown) in cases {
            let parsed = HouseNumber::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            let want = match expected {
                Some((number, suffix)) => HouseNumber::Number {
                    number,
                    suffix: suffix.map(str::to_owned),
                },
                None => HouseNumber::WithoutNumber,
            };
            assert_eq!(parsed, want, "{input}");
            assert_eq!(parsed.to_string(), shown, "{input}");
        }
        for bad in ["", "A", "012", "12/3", "123456", "12 abcdefg", "12,5", "-3"] {
            assert!(HouseNumber::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn segments_decide_the_parking_zone_by_number_and_side() {
        let streets = vec![via_lunga()];
        let cases = [
            ("1", Some("b")),
            ("39", Some("b")),
            ("39/A", Some("b")),
            ("41", Some("a")),
            ("2", Some("a")),
            ("38", Some("a")),
            ("99", Some("a")),
            ("100", None),
            ("101", None),
            ("5000", None),
            ("snc", Some("a")),
            ("not a number", None),
        ];
        for (number, zone) in cases {
            assert_eq!(
                parking_zone_for(&streets, "via-lunga", number).map(Slug::as_str),
                zone,
                "{number}"
            );
        }
        assert_eq!(parking_zone_for(&streets, "via-corta", "1"), None);
    }

    #[test]
    fn a_street_without_segments_is_in_its_zone() {
        let street = Street {
            id: slug("via-roma"),
            name: "Via Roma".into(),
            road_category: slug("cat-1"),
            parking_zone: None,
            ztl_zone: Some(slug("centro")),
            segments: vec![],
        };
        let number = HouseNumber::parse("3").unwrap();
        assert_eq!(street.parking_zone_at(&number), None);
        assert!(!street.has_parking_zone());
        assert_eq!(street.address(&number), "Via Roma 3");
    }

    #[test]
    fn validation_finds_duplicates_and_overlapping_segments() {
        let mut twin = via_lunga();
        twin.segments.push(Segment {
            from: 21,
            to: Some(25),
            parity: Parity::All,
            parking_zone: None,
        });
        twin.segments.push(Segment {
            from: 50,
            to: Some(40),
            parity: Parity::Even,
            parking_zone: None,
        });
        let streets = vec![via_lunga(), twin];
        let mut issues = Issues(Vec::new());
        validate(&streets, "streets", &mut issues);
        let keys: Vec<&str> = issues.0.iter().map(|i| i.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "streets[1] (via-lunga).id",
                "streets[1] (via-lunga).segments[2]",
                "streets[1] (via-lunga).segments[3].to",
            ]
        );
    }

    #[test]
    fn even_and_odd_sides_do_not_overlap() {
        let odd = Segment {
            from: 1,
            to: Some(99),
            parity: Parity::Odd,
            parking_zone: None,
        };
        let even = Segment {
            parity: Parity::Even,
            ..odd.clone()
        };
        let after = Segment {
            from: 100,
            to: None,
            parity: Parity::All,
            parking_zone: None,
        };
        assert!(!odd.overlaps(&even));
        assert!(!odd.overlaps(&after));
        assert!(after.overlaps(&Segment {
            from: 5000,
            to: None,
            ..even
        }));
    }
}
