//! Canone unico patrimoniale for occupying public land (L. 160/2019 art. 1 c. 816–847).
//!
//! The law fixes standard tariffs per m² by population class — annual for permanent
//! occupations (c. 826, €30–70), daily for temporary ones (c. 827, €0.60–2.00) — and leaves
//! the rest to each comune's regulation: coefficients by road category and by kind of
//! occupation (c. 817, 824), rounding of the area, hourly fractions, minimum amounts. All of
//! that is data here (`[canone]` in the comune file), versioned by validity dates so that a
//! new giunta resolution never changes a quote given under the old one.
//!
//! The fee is
//!
//! * temporary: daily tariff × m² charged × days × road coefficient × kind coefficient, where a
//!   same-day occupation of a kind with an hourly rule pays `hours / hours_per_day` of a day;
//! * permanent: annual tariff × m² charged × years × road coefficient × kind coefficient, each
//!   started year (from the start date) owed in full, as each solar year of a concession is
//!   an obligation of its own.
//!
//! The product is computed exactly in integers and rounded once, half-up to the cent; then
//! the minimum per permit applies. The tariff version is the one in force on the start date.

use super::{Line, PerMille, both, euros_exact, same};
use crate::form::format_date;
use crate::tenant_file::Issues;
use crate::text::LocalizedText;
use crate::{Cents, Slug};
use jiff::Unit;
use jiff::civil::{Date, Time};
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::fmt;

/// The comune's canone rules: the road categories and occupation kinds its regulation names,
/// and the tariff versions that price them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CanoneRules {
    pub road_categories: Vec<RoadCategory>,
    pub occupation_kinds: Vec<OccupationKind>,
    pub tariffs: Vec<TariffVersion>,
}

/// A category of streets of the regulation (zone of the town by commercial value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoadCategory {
    pub id: Slug,
    pub name: LocalizedText,
}

/// A kind of occupation (scaffolding, outdoor seating, removal van…), offered in the form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OccupationKind {
    pub id: Slug,
    pub name: LocalizedText,
    #[serde(default)]
    pub basis: BasisRule,
    /// How an occupation of a few hours within one day is charged; when absent it pays the
    /// whole day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hourly: Option<HourlyRule>,
    /// Why this kind never pays (c. 833 lists the exemptions), shown in the quote.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exempt: Option<LocalizedText>,
}

/// Which tariff a kind of occupation uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BasisRule {
    /// Annual when the occupation lasts a year or more (a concession), daily otherwise.
    #[default]
    ByDuration,
    /// Always the daily tariff (a removal van, a market stall).
    Daily,
    /// Always the annual tariff (a permanent fixture).
    Annual,
}

/// The tariff a quote used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Basis {
    Daily,
    Annual,
}

/// Hourly fractions of the daily tariff for occupations shorter than a day, such as a
/// removal van: `hours / hours_per_day` of a day, each started hour counted whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HourlyRule {
    /// The hours a day is divided into (24, or the 12 daytime hours some regulations use);
    /// from this many hours on the whole day is charged.
    pub hours_per_day: u8,
    /// The fewest hours charged.
    #[serde(default = "one_hour")]
    pub minimum_hours: u8,
}

fn one_hour() -> u8 {
    1
}

/// How the area entered is rounded before pricing; the law leaves it to the regulation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AreaRounding {
    /// Up to the next whole m², at least 1 m² (the most common rule).
    #[default]
    WholeM2Up,
    /// Less than 1 m² counts as 1 m²; above it, up to the next half m² (Ancona, art. 26).
    HalfM2UpAfterFirst,
    /// The area as entered, to the hundredth of a m².
    Exact,
}

impl AreaRounding {
    /// The area charged, in hundredths of a m².
    pub fn apply(self, hundredths: i64) -> i64 {
        let up_to = |step: i64| hundredths.saturating_add(step - 1).div_euclid(step) * step;
        match self {
            AreaRounding::WholeM2Up => up_to(100).max(100),
            AreaRounding::HalfM2UpAfterFirst if hundredths <= 100 => 100,
            AreaRounding::HalfM2UpAfterFirst => up_to(50),
            AreaRounding::Exact => hundredths,
        }
    }

    fn describe(self) -> LocalizedText {
        match self {
            AreaRounding::WholeM2Up => both(
                "Superficie considerata (arrotondata al m² superiore)",
                "Area charged (rounded up to the next whole m²)",
            ),
            AreaRounding::HalfM2UpAfterFirst => both(
                "Superficie considerata (almeno 1 m², oltre arrotondata al mezzo m² superiore)",
                "Area charged (at least 1 m², above that rounded up to the next half m²)",
            ),
            AreaRounding::Exact => both(
                "Superficie considerata (senza arrotondamento)",
                "Area charged (not rounded)",
            ),
        }
    }
}

/// A tariff in euros per m², held in hundredths of a cent: regulations revalued by ISTAT
/// indices print tariffs such as €0,7325. Written in the comune file as a string in euros,
/// `"0.70"` or `"0,7325"`, so that no float is ever read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Rate(i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a tariff: write euros as a string with at most four decimals, e.g. \"0.70\"")]
pub struct RateError(String);

impl Rate {
    pub const fn from_hundredths_of_cent(value: i64) -> Rate {
        Rate(value)
    }

    pub const fn hundredths_of_cent(self) -> i64 {
        self.0
    }

    pub fn parse(input: &str) -> Result<Rate, RateError> {
        let error = || RateError(input.to_owned());
        let text = input.trim();
        let (whole, fraction) = text.split_once([',', '.']).unwrap_or((text, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty()
            || !digits(whole)
            || !digits(fraction)
            || fraction.len() > 4
            || (text.contains([',', '.']) && fraction.is_empty())
        {
            return Err(error());
        }
        let whole: i64 = whole.parse().map_err(|_| error())?;
        let fraction: i64 = format!("{fraction:0<4}").parse().map_err(|_| error())?;
        whole
            .checked_mul(10_000)
            .and_then(|w| w.checked_add(fraction))
            .map(Rate)
            .ok_or_else(error)
    }

    /// `€ 0,70`, `€ 0,7325`.
    pub fn to_italian_string(self) -> String {
        euros_exact(i128::from(self.0), 1)
    }
}

impl TryFrom<String> for Rate {
    type Error = RateError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Rate::parse(&value)
    }
}

impl From<Rate> for String {
    fn from(rate: Rate) -> String {
        let fraction = format!("{:04}", rate.0 % 10_000);
        let fraction = fraction.trim_end_matches('0');
        format!("{}.{fraction:0<2}", rate.0 / 10_000)
    }
}

/// One version of the tariffs, in force from `valid_from` to `valid_until` (both included;
/// open-ended when absent). Versions may not overlap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TariffVersion {
    #[serde(deserialize_with = "de_date")]
    pub valid_from: Date,
    #[serde(
        default,
        deserialize_with = "de_optional_date",
        skip_serializing_if = "Option::is_none"
    )]
    pub valid_until: Option<Date>,
    /// Standard daily tariff per m² (c. 827), for temporary occupations.
    pub daily_per_m2: Rate,
    /// Standard annual tariff per m² (c. 826), for permanent occupations.
    pub annual_per_m2: Rate,
    #[serde(default)]
    pub area_rounding: AreaRounding,
    /// The least a permit pays, when the computed fee is lower.
    #[serde(default)]
    pub minimum: Cents,
    /// Coefficient per road category id, in thousandths (`700` = ×0,70).
    pub road_coefficients: BTreeMap<Slug, PerMille>,
    /// Coefficient per occupation kind id, in thousandths.
    pub kind_coefficients: BTreeMap<Slug, PerMille>,
}

impl TariffVersion {
    pub fn covers(&self, date: Date) -> bool {
        self.valid_from <= date && self.valid_until.is_none_or(|until| date <= until)
    }
}

/// Reads a date written as a TOML date (`2025-01-01`) or as a string (`"2025-01-01"`).
pub(crate) fn de_date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Date, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Repr {
        Toml(toml::value::Datetime),
        Text(String),
    }
    let text = match Repr::deserialize(deserializer)? {
        Repr::Toml(datetime) if datetime.time.is_none() && datetime.offset.is_none() => {
            datetime.to_string()
        }
        Repr::Toml(datetime) => {
            return Err(serde::de::Error::custom(format!(
                "'{datetime}' is not a date: write only the day, e.g. 2025-01-01"
            )));
        }
        Repr::Text(text) => text,
    };
    // A bare date: jiff would also read a datetime and drop its time.
    if text.len() != 10 {
        return Err(serde::de::Error::custom(format!(
            "'{text}' is not a date: write it as YYYY-MM-DD"
        )));
    }
    text.parse().map_err(|_| {
        serde::de::Error::custom(format!("'{text}' is not a date: write it as YYYY-MM-DD"))
    })
}

fn de_optional_date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Date>, D::Error> {
    de_date(deserializer).map(Some)
}

/// What the citizen asks to occupy, as the fee calculator and the form give it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuoteInput<'a> {
    pub road_category: &'a str,
    pub occupation_kind: &'a str,
    /// The area in hundredths of a m², as entered (`12,40` m² is 1240).
    pub area_hundredths_m2: i64,
    pub start: Date,
    /// Last day of the occupation, included.
    pub end: Date,
    /// From and to, for an occupation within one day; used when the kind has an hourly rule.
    pub times: Option<(Time, Time)>,
}

/// A fee quote with every factor, in the order of the computation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    pub lines: Vec<Line>,
    pub total: Cents,
    /// The first day of the tariff version used.
    pub tariff_valid_from: Date,
    pub basis: Basis,
    /// The area charged after rounding, in hundredths of a m².
    pub area_charged_hundredths_m2: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuoteError {
    #[error("unknown road category '{0}'")]
    UnknownRoadCategory(String),
    #[error("unknown occupation kind '{0}'")]
    UnknownOccupationKind(String),
    #[error("no tariff is in force on {0}")]
    NoTariff(Date),
    #[error("the tariffs in force on {date} price no '{id}'")]
    NotPriced { date: Date, id: String },
    #[error("the area must be above zero")]
    AreaNotPositive,
    #[error("the occupation ends before it starts")]
    EndBeforeStart,
    #[error("the end time is not after the start time")]
    TimesOutOfOrder,
    #[error("the amount is too large to compute")]
    Overflow,
}

impl QuoteError {
    /// The form field the problem belongs to (the field-id contract of
    /// `public-land-occupation`).
    pub fn field(&self) -> &'static str {
        match self {
            QuoteError::UnknownRoadCategory(_) => "street",
            QuoteError::UnknownOccupationKind(_) => "occupation_kind",
            QuoteError::NoTariff(_) | QuoteError::NotPriced { .. } => "start_date",
            QuoteError::AreaNotPositive | QuoteError::Overflow => "area_m2",
            QuoteError::EndBeforeStart => "end_date",
            QuoteError::TimesOutOfOrder => "end_time",
        }
    }

    /// What the citizen reads next to the field.
    pub fn message(&self) -> LocalizedText {
        match self {
            QuoteError::UnknownRoadCategory(_) => both(
                "Per questa strada il regolamento non indica una categoria: il canone sarà calcolato dall'ufficio.",
                "The regulation gives no category for this street: the office will calculate the fee.",
            ),
            QuoteError::UnknownOccupationKind(_) => both(
                "Scegli un tipo di occupazione dall'elenco.",
                "Choose a type of occupation from the list.",
            ),
            QuoteError::NoTariff(date) => LocalizedText {
                it: format!(
                    "Per il {} non ci sono ancora tariffe approvate: scegli una data di inizio più vicina o contatta l'ufficio.",
                    format_date(*date)
                ),
                en: Some(format!(
                    "There are no approved tariffs yet for {}: choose an earlier start date or contact the office.",
                    format_date(*date)
                )),
            },
            QuoteError::NotPriced { .. } => both(
                "Le tariffe in vigore alla data di inizio non prevedono questa occupazione: contatta l'ufficio.",
                "The tariffs in force on the start date do not cover this occupation: contact the office.",
            ),
            QuoteError::AreaNotPositive => both(
                "Indica una superficie maggiore di zero.",
                "Enter an area greater than zero.",
            ),
            QuoteError::EndBeforeStart => both(
                "La data di fine non può essere precedente alla data di inizio.",
                "The end date cannot be before the start date.",
            ),
            QuoteError::TimesOutOfOrder => both(
                "L'ora di fine deve essere successiva all'ora di inizio.",
                "The end time must be after the start time.",
            ),
            QuoteError::Overflow => both(
                "La superficie o la durata sono troppo grandi: controlla i valori inseriti.",
                "The area or the duration is too large: check the values you entered.",
            ),
        }
    }
}

impl CanoneRules {
    pub fn road_category(&self, id: &str) -> Option<&RoadCategory> {
        self.road_categories.iter().find(|c| c.id.as_str() == id)
    }

    pub fn occupation_kind(&self, id: &str) -> Option<&OccupationKind> {
        self.occupation_kinds.iter().find(|k| k.id.as_str() == id)
    }

    /// The tariff version in force on a date.
    pub fn tariff_on(&self, date: Date) -> Option<&TariffVersion> {
        self.tariffs.iter().find(|t| t.covers(date))
    }

    pub(crate) fn validate(&self, key: &str, issues: &mut Issues) {
        let mut category_ids = HashSet::new();
        if self.road_categories.is_empty() {
            issues.push(
                format!("{key}.road_categories"),
                "needs at least one road category",
            );
        }
        for (i, category) in self.road_categories.iter().enumerate() {
            let item = format!("{key}.road_categories[{i}] ({})", category.id);
            if !category_ids.insert(category.id.as_str()) {
                issues.push(format!("{item}.id"), "is used by another road category");
            }
            issues.require_localized(&format!("{item}.name"), &category.name);
        }
        let mut kind_ids = HashSet::new();
        if self.occupation_kinds.is_empty() {
            issues.push(
                format!("{key}.occupation_kinds"),
                "needs at least one occupation kind",
            );
        }
        for (i, kind) in self.occupation_kinds.iter().enumerate() {
            let item = format!("{key}.occupation_kinds[{i}] ({})", kind.id);
            if !kind_ids.insert(kind.id.as_str()) {
                issues.push(format!("{item}.id"), "is used by another occupation kind");
            }
            issues.require_localized(&format!("{item}.name"), &kind.name);
            if let Some(reason) = &kind.exempt {
                issues.require_localized(&format!("{item}.exempt"), reason);
            }
            if let Some(hourly) = kind.hourly {
                if !(1..=24).contains(&hourly.hours_per_day) {
                    issues.push(
                        format!("{item}.hourly.hours_per_day"),
                        "must be between 1 and 24",
                    );
                }
                if hourly.minimum_hours == 0 || hourly.minimum_hours > hourly.hours_per_day {
                    issues.push(
                        format!("{item}.hourly.minimum_hours"),
                        "must be between 1 and hours_per_day",
                    );
                }
                if kind.basis == BasisRule::Annual {
                    issues.push(
                        format!("{item}.hourly"),
                        "an occupation priced by the year has no hourly fractions",
                    );
                }
            }
        }

        if self.tariffs.is_empty() {
            issues.push(
                format!("{key}.tariffs"),
                "needs at least one tariff version",
            );
        }
        for (i, version) in self.tariffs.iter().enumerate() {
            let item = format!("{key}.tariffs[{i}]");
            if version
                .valid_until
                .is_some_and(|until| until < version.valid_from)
            {
                issues.push(format!("{item}.valid_until"), "is before valid_from");
            }
            for (name, rate) in [
                ("daily_per_m2", version.daily_per_m2),
                ("annual_per_m2", version.annual_per_m2),
            ] {
                if rate.0 == 0 {
                    issues.push(format!("{item}.{name}"), "must be above zero");
                }
            }
            if version.minimum < Cents::ZERO {
                issues.push(format!("{item}.minimum"), "must not be negative");
            }
            check_coefficients(
                &format!("{item}.road_coefficients"),
                &version.road_coefficients,
                &category_ids,
                "road category",
                issues,
            );
            check_coefficients(
                &format!("{item}.kind_coefficients"),
                &version.kind_coefficients,
                &kind_ids,
                "occupation kind",
                issues,
            );
        }
        let mut order: Vec<(usize, &TariffVersion)> = self.tariffs.iter().enumerate().collect();
        order.sort_by_key(|(_, v)| v.valid_from);
        for pair in order.windows(2) {
            let [(i, earlier), (j, later)] = pair else {
                continue;
            };
            match earlier.valid_until {
                None => issues.push(
                    format!("{key}.tariffs[{i}].valid_until"),
                    format!(
                        "is open-ended but tariffs[{j}] starts on {}: end this version the day before",
                        later.valid_from
                    ),
                ),
                Some(until) if until >= later.valid_from => issues.push(
                    format!("{key}.tariffs[{j}].valid_from"),
                    format!("overlaps tariffs[{i}], in force until {until}"),
                ),
                Some(until) if crate::calendar::add_days(until, 1) < later.valid_from => issues
                    .push(
                        format!("{key}.tariffs[{j}].valid_from"),
                        format!(
                            "leaves the days after {until} (end of tariffs[{i}]) without a tariff"
                        ),
                    ),
                Some(_) => {}
            }
        }
    }
}

fn check_coefficients(
    key: &str,
    coefficients: &BTreeMap<Slug, PerMille>,
    ids: &HashSet<&str>,
    what: &str,
    issues: &mut Issues,
) {
    for id in ids {
        if !coefficients.keys().any(|k| k.as_str() == *id) {
            issues.push(key, format!("has no coefficient for the {what} '{id}'"));
        }
    }
    for id in coefficients.keys() {
        if !ids.contains(id.as_str()) {
            issues.push(format!("{key}.{id}"), format!("there is no {what} '{id}'"));
        }
    }
}

/// "12,40 m²", "13 m²".
pub(crate) fn area_string(hundredths: i64) -> String {
    if hundredths % 100 == 0 {
        format!("{} m²", hundredths / 100)
    } else {
        format!("{},{:02} m²", hundredths / 100, hundredths % 100)
    }
}

pub(crate) fn time_string(time: Time) -> String {
    format!("{:02}:{:02}", time.hour(), time.minute())
}

/// The fee for an occupation, with every factor shown.
pub fn quote(rules: &CanoneRules, input: &QuoteInput<'_>) -> Result<Quote, QuoteError> {
    if input.area_hundredths_m2 <= 0 {
        return Err(QuoteError::AreaNotPositive);
    }
    if input.end < input.start {
        return Err(QuoteError::EndBeforeStart);
    }
    let kind = rules
        .occupation_kind(input.occupation_kind)
        .ok_or_else(|| QuoteError::UnknownOccupationKind(input.occupation_kind.to_owned()))?;
    let category = rules
        .road_category(input.road_category)
        .ok_or_else(|| QuoteError::UnknownRoadCategory(input.road_category.to_owned()))?;
    let version = rules
        .tariff_on(input.start)
        .ok_or(QuoteError::NoTariff(input.start))?;
    let not_priced = |id: &Slug| QuoteError::NotPriced {
        date: input.start,
        id: id.to_string(),
    };
    let road = *version
        .road_coefficients
        .get(&category.id)
        .ok_or_else(|| not_priced(&category.id))?;
    let kind_coefficient = *version
        .kind_coefficients
        .get(&kind.id)
        .ok_or_else(|| not_priced(&kind.id))?;

    let whole_years = |end: Date| {
        input
            .start
            .until((Unit::Year, end))
            .map(|span| i64::from(span.get_years()))
            .map_err(|_| QuoteError::Overflow)
    };
    let basis = match kind.basis {
        BasisRule::Daily => Basis::Daily,
        BasisRule::Annual => Basis::Annual,
        BasisRule::ByDuration => {
            if whole_years(crate::calendar::add_days(input.end, 1))? >= 1 {
                Basis::Annual
            } else {
                Basis::Daily
            }
        }
    };

    let mut lines = vec![
        Line::plain(
            "Tariffe in vigore dal",
            "Tariffs in force from",
            format_date(version.valid_from),
        ),
        Line::new(
            both("Tipo di occupazione", "Type of occupation"),
            kind.name.clone(),
        ),
        Line::new(
            both("Categoria della strada", "Street category"),
            category.name.clone(),
        ),
    ];
    let period = LocalizedText {
        it: format!(
            "dal {} al {}",
            format_date(input.start),
            format_date(input.end)
        ),
        en: Some(format!(
            "from {} to {}",
            format_date(input.start),
            format_date(input.end)
        )),
    };
    lines.push(Line::new(both("Periodo", "Period"), period));

    if let Some(reason) = &kind.exempt {
        lines.push(Line::new(both("Esenzione", "Exemption"), reason.clone()));
        lines.push(Line::plain(
            "Totale da pagare",
            "Total to pay",
            Cents::ZERO.to_italian_string(),
        ));
        return Ok(Quote {
            lines,
            total: Cents::ZERO,
            tariff_valid_from: version.valid_from,
            basis,
            area_charged_hundredths_m2: version.area_rounding.apply(input.area_hundredths_m2),
        });
    }

    let (rate, rate_line) = match basis {
        Basis::Daily => (
            version.daily_per_m2,
            LocalizedText {
                it: format!(
                    "{} al m² al giorno (occupazione temporanea)",
                    version.daily_per_m2.to_italian_string()
                ),
                en: Some(format!(
                    "{} per m² per day (temporary occupation)",
                    version.daily_per_m2.to_italian_string()
                )),
            },
        ),
        Basis::Annual => (
            version.annual_per_m2,
            LocalizedText {
                it: format!(
                    "{} al m² all'anno (occupazione permanente)",
                    version.annual_per_m2.to_italian_string()
                ),
                en: Some(format!(
                    "{} per m² per year (permanent occupation)",
                    version.annual_per_m2.to_italian_string()
                )),
            },
        ),
    };
    lines.push(Line::new(
        both("Tariffa standard", "Standard rate"),
        rate_line,
    ));

    let area = version.area_rounding.apply(input.area_hundredths_m2);
    lines.push(Line::plain(
        "Superficie indicata",
        "Area entered",
        area_string(input.area_hundredths_m2),
    ));
    lines.push(Line::new(
        version.area_rounding.describe(),
        same(area_string(area)),
    ));

    // The duration as a fraction `units × numerator / denominator` of the tariff's period.
    let (units, numerator, denominator, duration_text) = match basis {
        Basis::Annual => {
            let years = whole_years(input.end)? + 1;
            lines.push(Line::plain("Anni", "Years", years.to_string()));
            (years, 1, 1, years.to_string())
        }
        Basis::Daily => {
            let hourly = kind
                .hourly
                .filter(|_| input.start == input.end)
                .zip(input.times);
            match hourly {
                Some((rule, (from, to))) => {
                    if to <= from {
                        return Err(QuoteError::TimesOutOfOrder);
                    }
                    let minutes = (i64::from(to.hour()) * 60 + i64::from(to.minute()))
                        - (i64::from(from.hour()) * 60 + i64::from(from.minute()));
                    let per_day = i64::from(rule.hours_per_day.max(1));
                    let hours = ((minutes + 59) / 60).max(i64::from(rule.minimum_hours));
                    lines.push(Line::new(
                        both("Orario", "Time"),
                        LocalizedText {
                            it: format!("dalle {} alle {}", time_string(from), time_string(to)),
                            en: Some(format!("from {} to {}", time_string(from), time_string(to))),
                        },
                    ));
                    if hours >= per_day {
                        lines.push(Line::new(
                            both("Durata considerata", "Duration charged"),
                            both(
                                "1 giorno (occupazione di tutta la giornata)",
                                "1 day (occupation of the whole day)",
                            ),
                        ));
                        (1, 1, 1, "1".to_owned())
                    } else {
                        lines.push(Line::new(
                            both("Durata considerata", "Duration charged"),
                            LocalizedText {
                                it: format!(
                                    "{hours} ore su {per_day} (ogni ora iniziata conta intera, minimo {} ore)",
                                    rule.minimum_hours
                                ),
                                en: Some(format!(
                                    "{hours} hours out of {per_day} (each started hour counts in full, minimum {} hours)",
                                    rule.minimum_hours
                                )),
                            },
                        ));
                        (1, hours, per_day, format!("{hours}/{per_day}"))
                    }
                }
                None => {
                    let days = i64::from(crate::calendar::days_between(input.start, input.end)) + 1;
                    lines.push(Line::plain("Giorni", "Days", days.to_string()));
                    (days, 1, 1, days.to_string())
                }
            }
        }
    };
    lines.push(Line::plain(
        "Coefficiente della categoria della strada",
        "Street category coefficient",
        road.to_italian_string(),
    ));
    lines.push(Line::plain(
        "Coefficiente del tipo di occupazione",
        "Type of occupation coefficient",
        kind_coefficient.to_italian_string(),
    ));
    lines.push(Line::plain(
        "Calcolo",
        "Calculation",
        format!(
            "{} × {duration_text} × {} × {} × {}",
            area_string(area),
            rate.to_italian_string(),
            road.to_italian_string(),
            kind_coefficient.to_italian_string()
        ),
    ));

    // Rate in 1e-4 €, area in 1e-2 m², coefficients in 1e-3: the product is in 1e-12 €,
    // that is 1e-10 cents.
    let exact = [
        i128::from(area),
        i128::from(road.get()),
        i128::from(kind_coefficient.get()),
        i128::from(units),
        i128::from(numerator),
    ]
    .into_iter()
    .try_fold(i128::from(rate.0), i128::checked_mul)
    .ok_or(QuoteError::Overflow)?;
    let per_cent = i128::from(denominator) * 10_000_000_000;
    let rounded = exact
        .checked_mul(2)
        .and_then(|twice| twice.checked_add(per_cent))
        .map(|n| n / (2 * per_cent))
        .ok_or(QuoteError::Overflow)?;
    let computed = Cents::new(i64::try_from(rounded).map_err(|_| QuoteError::Overflow)?);
    if exact % per_cent == 0 {
        lines.push(Line::plain(
            "Importo calcolato",
            "Amount calculated",
            computed.to_italian_string(),
        ));
    } else {
        lines.push(Line::plain(
            "Importo esatto",
            "Exact amount",
            euros_exact(exact, i128::from(denominator) * 100_000_000),
        ));
        lines.push(Line::plain(
            "Importo arrotondato al centesimo (per eccesso da mezzo centesimo)",
            "Amount rounded to the cent (half a cent rounds up)",
            computed.to_italian_string(),
        ));
    }
    let total = if computed < version.minimum {
        lines.push(Line::plain(
            "Canone minimo per autorizzazione (applicato)",
            "Minimum fee per permit (applied)",
            version.minimum.to_italian_string(),
        ));
        version.minimum
    } else {
        computed
    };
    lines.push(Line::plain(
        "Totale da pagare",
        "Total to pay",
        total.to_italian_string(),
    ));
    Ok(Quote {
        lines,
        total,
        tariff_valid_from: version.valid_from,
        basis,
        area_charged_hundredths_m2: area,
    })
}

impl fmt::Display for Basis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Basis::Daily => "daily",
            Basis::Annual => "annual",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    /// Valdoro's regulation (30,001–100,000 inhabitants: €1,20 / €50,00 since 2025, €1,00 /
    /// €45,00 before), as its service sheet prints it.
    pub(crate) const VALDORO: &str = r#"
[[road_categories]]
id = "cat-1"
name = { it = "Categoria 1 – Centro storico", en = "Category 1 – Historic centre" }

[[road_categories]]
id = "cat-2"
name = { it = "Categoria 2 – Quartieri urbani", en = "Category 2 – Urban neighbourhoods" }

[[road_categories]]
id = "cat-3"
name = { it = "Categoria 3 – Frazioni", en = "Category 3 – Outlying villages" }

[[occupation_kinds]]
id = "ponteggio"
name = { it = "Cantiere o ponteggio", en = "Building site or scaffolding" }

[[occupation_kinds]]
id = "dehors"
name = { it = "Dehors e tavolini", en = "Outdoor seating" }

[[occupation_kinds]]
id = "trasloco"
name = { it = "Trasloco", en = "House move" }
basis = "daily"
hourly = { hours_per_day = 12, minimum_hours = 2 }

[[occupation_kinds]]
id = "passo-carrabile"
name = { it = "Passo carrabile", en = "Driveway" }
basis = "annual"

[[occupation_kinds]]
id = "istituzionale"
name = { it = "Iniziativa del Comune", en = "Event of the Comune" }
exempt = { it = "Esente: occupazione del Comune (L. 160/2019, art. 1, comma 833)", en = "Exempt: occupation by the Comune (Law 160/2019, art. 1, para. 833)" }

[[tariffs]]
valid_from = 2021-01-01
valid_until = 2024-12-31
daily_per_m2 = "1.00"
annual_per_m2 = "45.00"
minimum = 1500
road_coefficients = { cat-1 = 1000, cat-2 = 800, cat-3 = 500 }
kind_coefficients = { ponteggio = 1000, dehors = 700, trasloco = 400, passo-carrabile = 500, istituzionale = 0 }

[[tariffs]]
valid_from = "2025-01-01"
daily_per_m2 = "1.20"
annual_per_m2 = "50,00"
minimum = 2000
road_coefficients = { cat-1 = 1000, cat-2 = 800, cat-3 = 500 }
kind_coefficients = { ponteggio = 1000, dehors = 700, trasloco = 400, passo-carrabile = 500, istituzionale = 0 }
"#;

    fn rules(text: &str) -> CanoneRules {
        toml::from_str(text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn t(h: i8, m: i8) -> Time {
        Time::new(h, m, 0, 0).unwrap()
    }

    fn value<'a>(quote: &'a Quote, label_it: &str) -> Option<&'a str> {
        quote
            .lines
            .iter()
            .find(|l| l.label.it.starts_with(label_it))
            .map(|l| l.value.it.as_str())
    }

    #[test]
    fn quotes_match_the_hand_computed_examples() {
        let rules = rules(VALDORO);
        let d = date;
        let hours = |from: (i8, i8), to: (i8, i8)| Some((t(from.0, from.1), t(to.0, to.1)));
        use Basis::{Annual, Daily};
        // (category, kind, area, first day, last day, times, total cents, basis, area charged)
        #[rustfmt::skip]
        let cases = [
            // Valdoro's sheet: 14 × 120 × 1,20 × 1,00 × 0,70 = 1.411,20.
            ("cat-1", "dehors", 1312, d(2025, 4, 1), d(2025, 7, 29), None, 141_120, Daily, 1400),
            // 9 × 45 × 1,20 × 0,80 × 1,00 = 388,80.
            ("cat-2", "ponteggio", 850, d(2025, 3, 1), d(2025, 4, 14), None, 38_880, Daily, 900),
            // 18 × 1 × 1,20 × 0,80 × 0,40 = 6,912 → 6,91 → minimum 20,00.
            ("cat-2", "trasloco", 1800, d(2025, 5, 10), d(2025, 5, 10), None, 2_000, Daily, 1800),
            // Under the 2024 tariffs: 30 × 10 × 1,00 × 1,00 × 1,00 = 300,00.
            ("cat-1", "ponteggio", 3000, d(2024, 12, 20), d(2024, 12, 29), None, 30_000, Daily, 3000),
            // A version is chosen by the start date, even if the occupation runs into the next.
            ("cat-1", "ponteggio", 3000, d(2024, 12, 30), d(2025, 1, 8), None, 30_000, Daily, 3000),
            // 0,4 m² counts as 1 m²: 1 × 3 × 1,20 × 0,50 × 1,00 = 1,80 → minimum 20,00.
            ("cat-3", "ponteggio", 40, d(2025, 6, 1), d(2025, 6, 3), None, 2_000, Daily, 100),
            // A whole year of dehors is a permanent occupation: 14 × 50,00 × 1,00 × 0,70 = 490,00.
            ("cat-1", "dehors", 1312, d(2025, 1, 1), d(2025, 12, 31), None, 49_000, Annual, 1400),
            // One day short of a year stays temporary: 14 × 364 × 1,20 × 0,70 = 4.280,64.
            ("cat-1", "dehors", 1400, d(2025, 1, 1), d(2025, 12, 30), None, 428_064, Daily, 1400),
            // Two started years: 14 × 2 × 50,00 × 0,70 = 980,00.
            ("cat-1", "dehors", 1400, d(2025, 1, 1), d(2026, 1, 1), None, 98_000, Annual, 1400),
            // A driveway is always annual: 5 × 1 × 50,00 × 0,80 × 0,50 = 100,00.
            ("cat-2", "passo-carrabile", 450, d(2025, 2, 1), d(2025, 2, 1), None, 10_000, Annual, 500),
            // A removal van for 2h30 on 40 m² in category 1: 3 of 12 hours →
            // 40 × 3/12 × 1,20 × 1,00 × 0,40 = 4,80 → minimum 20,00.
            ("cat-1", "trasloco", 4000, d(2025, 5, 10), d(2025, 5, 10), hours((8, 0), (10, 30)), 2_000, Daily, 4000),
            // 200 m² for 5 hours: 200 × 5/12 × 1,20 × 1,00 × 0,40 = 40,00.
            ("cat-1", "trasloco", 20_000, d(2025, 5, 10), d(2025, 5, 10), hours((7, 0), (12, 0)), 4_000, Daily, 20_000),
            // 200 m² for 6h01, 7 hours counted: 200 × 7/12 × 0,48 = 56,00.
            ("cat-1", "trasloco", 20_000, d(2025, 5, 10), d(2025, 5, 10), hours((7, 0), (13, 1)), 5_600, Daily, 20_000),
            // 12 hours or more is the whole day: 200 × 1 × 0,48 = 96,00.
            ("cat-1", "trasloco", 20_000, d(2025, 5, 10), d(2025, 5, 10), hours((6, 0), (19, 0)), 9_600, Daily, 20_000),
            // 97 m² in category 2 for 45 minutes counts the minimum 2 hours:
            // 97 × 2/12 × 1,20 × 0,80 × 0,40 = 6,208 → 6,21 → minimum 20,00.
            ("cat-2", "trasloco", 9_700, d(2025, 5, 10), d(2025, 5, 10), hours((9, 0), (9, 45)), 2_000, Daily, 9_700),
            // 310 m² for 2 hours: 310 × 2/12 × 0,384 = 19,84 → minimum 20,00.
            ("cat-2", "trasloco", 31_000, d(2025, 5, 10), d(2025, 5, 10), hours((9, 0), (9, 45)), 2_000, Daily, 31_000),
            // 400 m² for 2 hours: 400 × 2/12 × 0,384 = 25,60.
            ("cat-2", "trasloco", 40_000, d(2025, 5, 10), d(2025, 5, 10), hours((9, 0), (9, 45)), 2_560, Daily, 40_000),
            // Hours on a multi-day occupation are ignored: 2 days × 40 × 0,48 = 38,40.
            ("cat-1", "trasloco", 4000, d(2025, 5, 10), d(2025, 5, 11), hours((8, 0), (9, 0)), 3_840, Daily, 4000),
            // Exempt kinds pay nothing, not even the minimum.
            ("cat-1", "istituzionale", 5000, d(2025, 9, 1), d(2025, 9, 3), None, 0, Daily, 5000),
        ];
        for (n, (category, kind, area, start, end, times, total, basis, charged)) in
            cases.into_iter().enumerate()
        {
            let input = QuoteInput {
                road_category: category,
                occupation_kind: kind,
                area_hundredths_m2: area,
                start,
                end,
                times,
            };
            let quote = quote(&rules, &input).unwrap_or_else(|e| panic!("case {n}: {e}"));
            assert_eq!(
                quote.total,
                Cents::new(total),
                "case {n}: {:#?}",
                quote.lines
            );
            assert_eq!(quote.basis, basis, "case {n}");
            assert_eq!(quote.area_charged_hundredths_m2, charged, "case {n}");
            assert_eq!(
                value(&quote, "Totale da pagare"),
                Some(Cents::new(total).to_italian_string().as_str()),
                "case {n}"
            );
        }
    }

    #[test]
    fn a_quote_shows_every_factor() {
        let rules = rules(VALDORO);
        let quote = quote(
            &rules,
            &QuoteInput {
                road_category: "cat-2",
                occupation_kind: "trasloco",
                area_hundredths_m2: 1800,
                start: date(2025, 5, 10),
                end: date(2025, 5, 10),
                times: None,
            },
        )
        .unwrap();
        let expected = [
            ("Tariffe in vigore dal", "01/01/2025"),
            ("Tipo di occupazione", "Trasloco"),
            ("Categoria della strada", "Categoria 2 – Quartieri urbani"),
            ("Periodo", "dal 10/05/2025 al 10/05/2025"),
            (
                "Tariffa standard",
                "€ 1,20 al m² al giorno (occupazione temporanea)",
            ),
            ("Superficie indicata", "18 m²"),
            (
                "Superficie considerata (arrotondata al m² superiore)",
                "18 m²",
            ),
            ("Giorni", "1"),
            ("Coefficiente della categoria della strada", "0,80"),
            ("Coefficiente del tipo di occupazione", "0,40"),
            ("Calcolo", "18 m² × 1 × € 1,20 × 0,80 × 0,40"),
            ("Importo esatto", "€ 6,912"),
            (
                "Importo arrotondato al centesimo (per eccesso da mezzo centesimo)",
                "€ 6,91",
            ),
            ("Canone minimo per autorizzazione (applicato)", "€ 20,00"),
            ("Totale da pagare", "€ 20,00"),
        ];
        let lines: Vec<(&str, &str)> = quote
            .lines
            .iter()
            .map(|l| (l.label.it.as_str(), l.value.it.as_str()))
            .collect();
        assert_eq!(lines, expected);
        assert!(
            quote
                .lines
                .iter()
                .all(|l| l.label.en.is_some() && l.value.en.is_some())
        );
        assert_eq!(quote.tariff_valid_from, date(2025, 1, 1));
    }

    #[test]
    fn half_a_cent_rounds_up() {
        let mut rules = rules(VALDORO);
        for version in &mut rules.tariffs {
            version.daily_per_m2 = Rate::parse("0.0125").unwrap();
            version.minimum = Cents::ZERO;
        }
        let amount = |area: i64, kind: &str| {
            quote(
                &rules,
                &QuoteInput {
                    road_category: "cat-1",
                    occupation_kind: kind,
                    area_hundredths_m2: area,
                    start: date(2025, 6, 1),
                    end: date(2025, 6, 1),
                    times: None,
                },
            )
            .unwrap()
            .total
        };
        // 1 m² × 0,0125 = 0,0125 → 0,01; 2 m² → 0,025 → 0,03 (half-up); 3 m² → 0,0375 → 0,04.
        assert_eq!(amount(100, "ponteggio"), Cents::new(1));
        assert_eq!(amount(200, "ponteggio"), Cents::new(3));
        assert_eq!(amount(300, "ponteggio"), Cents::new(4));
        // 4 m² × 0,0125 × 0,70 = 0,035 → 0,04.
        assert_eq!(amount(400, "dehors"), Cents::new(4));
    }

    #[test]
    fn area_rounding_rules() {
        let cases = [
            (AreaRounding::WholeM2Up, 1240, 1300),
            (AreaRounding::WholeM2Up, 1200, 1200),
            (AreaRounding::WholeM2Up, 1, 100),
            (AreaRounding::WholeM2Up, 30, 100),
            (AreaRounding::HalfM2UpAfterFirst, 30, 100),
            (AreaRounding::HalfM2UpAfterFirst, 100, 100),
            (AreaRounding::HalfM2UpAfterFirst, 101, 150),
            (AreaRounding::HalfM2UpAfterFirst, 1240, 1250),
            (AreaRounding::HalfM2UpAfterFirst, 1251, 1300),
            (AreaRounding::HalfM2UpAfterFirst, 1250, 1250),
            (AreaRounding::Exact, 1241, 1241),
        ];
        for (rule, entered, charged) in cases {
            assert_eq!(rule.apply(entered), charged, "{rule:?} {entered}");
        }
    }

    #[test]
    fn bad_inputs_are_refused_next_to_their_field() {
        let rules = rules(VALDORO);
        let base = QuoteInput {
            road_category: "cat-1",
            occupation_kind: "ponteggio",
            area_hundredths_m2: 1000,
            start: date(2025, 6, 1),
            end: date(2025, 6, 10),
            times: None,
        };
        let cases = [
            (
                QuoteInput {
                    area_hundredths_m2: 0,
                    ..base.clone()
                },
                QuoteError::AreaNotPositive,
                "area_m2",
            ),
            (
                QuoteInput {
                    end: date(2025, 5, 31),
                    ..base.clone()
                },
                QuoteError::EndBeforeStart,
                "end_date",
            ),
            (
                QuoteInput {
                    occupation_kind: "giostra",
                    ..base.clone()
                },
                QuoteError::UnknownOccupationKind("giostra".into()),
                "occupation_kind",
            ),
            (
                QuoteInput {
                    road_category: "cat-9",
                    ..base.clone()
                },
                QuoteError::UnknownRoadCategory("cat-9".into()),
                "street",
            ),
            (
                QuoteInput {
                    start: date(2020, 12, 31),
                    ..base.clone()
                },
                QuoteError::NoTariff(date(2020, 12, 31)),
                "start_date",
            ),
            (
                QuoteInput {
                    occupation_kind: "trasloco",
                    end: date(2025, 6, 1),
                    times: Some((t(10, 0), t(10, 0))),
                    ..base.clone()
                },
                QuoteError::TimesOutOfOrder,
                "end_time",
            ),
            (
                QuoteInput {
                    area_hundredths_m2: i64::MAX / 2,
                    end: date(2099, 12, 31),
                    ..base.clone()
                },
                QuoteError::Overflow,
                "area_m2",
            ),
        ];
        for (input, error, field) in cases {
            let got = quote(&rules, &input);
            assert_eq!(got.as_ref().err(), Some(&error), "{input:?}");
            assert_eq!(error.field(), field);
            assert!(error.message().en.is_some());
        }
    }

    #[test]
    fn tariffs_are_written_in_euros_without_floats() {
        for (text, hundredths) in [
            ("0.70", 7_000),
            ("0,70", 7_000),
            ("40", 400_000),
            ("1.2", 12_000),
            ("0,7325", 7_325),
            (" 2.00 ", 20_000),
        ] {
            assert_eq!(Rate::parse(text), Ok(Rate(hundredths)), "{text}");
        }
        for bad in ["", "0.", ",5", "0.12345", "-1", "1.000,00", "€1", "1e3"] {
            assert!(Rate::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(String::from(Rate(7_000)), "0.70");
        assert_eq!(String::from(Rate(7_325)), "0.7325");
        assert_eq!(String::from(Rate(500_000)), "50.00");
        assert_eq!(Rate(7_325).to_italian_string(), "€ 0,7325");
        // A float in the file is a type error, not a rounding.
        let float = VALDORO.replace("daily_per_m2 = \"1.20\"", "daily_per_m2 = 1.20");
        assert_ne!(float, VALDORO);
        assert!(toml::from_str::<CanoneRules>(&float).is_err());
    }

    #[test]
    fn dates_are_read_as_toml_dates_or_strings() {
        let rules = rules(VALDORO);
        assert_eq!(rules.tariffs[0].valid_until, Some(date(2024, 12, 31)));
        assert_eq!(rules.tariffs[1].valid_from, date(2025, 1, 1));
        let with_time = VALDORO.replace(
            "valid_from = 2021-01-01",
            "valid_from = 2021-01-01T00:00:00",
        );
        assert!(toml::from_str::<CanoneRules>(&with_time).is_err());
        let datetime_string = VALDORO.replace(
            "valid_from = 2021-01-01",
            "valid_from = \"2021-01-01T10:00\"",
        );
        assert!(toml::from_str::<CanoneRules>(&datetime_string).is_err());
        // A serialised version reads back.
        let json = serde_json::to_string(&rules).unwrap();
        assert_eq!(serde_json::from_str::<CanoneRules>(&json).unwrap(), rules);
    }

    #[test]
    fn the_version_of_the_start_date_applies() {
        let rules = rules(VALDORO);
        assert_eq!(
            rules.tariff_on(date(2024, 12, 31)).map(|v| v.valid_from),
            Some(date(2021, 1, 1))
        );
        assert_eq!(
            rules.tariff_on(date(2025, 1, 1)).map(|v| v.valid_from),
            Some(date(2025, 1, 1))
        );
        assert_eq!(
            rules.tariff_on(date(2040, 1, 1)).map(|v| v.valid_from),
            Some(date(2025, 1, 1))
        );
        assert!(rules.tariff_on(date(2020, 12, 31)).is_none());
    }

    #[test]
    fn validation_reports_overlaps_gaps_and_missing_coefficients() {
        let valid = rules(VALDORO);
        let mut issues = Issues(Vec::new());
        valid.validate("canone", &mut issues);
        assert!(issues.0.is_empty(), "{:?}", issues.0);

        let cases: [(&str, &str, &str); 9] = [
            (
                "valid_until = 2024-12-31",
                "valid_until = 2025-01-01",
                "canone.tariffs[1].valid_from",
            ),
            (
                "valid_until = 2024-12-31",
                "",
                "canone.tariffs[0].valid_until",
            ),
            (
                "valid_until = 2024-12-31",
                "valid_until = 2024-11-30",
                "canone.tariffs[1].valid_from",
            ),
            (
                "valid_until = 2024-12-31",
                "valid_until = 2020-12-31",
                "canone.tariffs[0].valid_until",
            ),
            (
                "annual_per_m2 = \"45.00\"",
                "annual_per_m2 = \"0\"",
                "canone.tariffs[0].annual_per_m2",
            ),
            (
                "kind_coefficients = { ponteggio = 1000, dehors = 700, trasloco = 400, passo-carrabile = 500, istituzionale = 0 }\n\n[[tariffs]]",
                "kind_coefficients = { ponteggio = 1000, trasloco = 400, passo-carrabile = 500, istituzionale = 0, giostra = 1 }\n\n[[tariffs]]",
                "canone.tariffs[0].kind_coefficients",
            ),
            (
                "id = \"cat-3\"",
                "id = \"cat-2\"",
                "canone.road_categories[2] (cat-2).id",
            ),
            (
                "hours_per_day = 12, minimum_hours = 2",
                "hours_per_day = 12, minimum_hours = 13",
                "canone.occupation_kinds[2] (trasloco).hourly.minimum_hours",
            ),
            (
                "basis = \"daily\"",
                "basis = \"annual\"",
                "canone.occupation_kinds[2] (trasloco).hourly",
            ),
        ];
        for (from, to, key) in cases {
            let broken = rules(&VALDORO.replacen(from, to, 1));
            let mut issues = Issues(Vec::new());
            broken.validate("canone", &mut issues);
            let keys: Vec<&str> = issues.0.iter().map(|i| i.key.as_str()).collect();
            assert!(keys.contains(&key), "{to}: {keys:?}");
        }
        // An unknown kind in the coefficients is named.
        let extra =
            rules(&VALDORO.replacen("istituzionale = 0 }", "istituzionale = 0, giostra = 1 }", 1));
        let mut issues = Issues(Vec::new());
        extra.validate("canone", &mut issues);
        assert_eq!(
            issues.0.iter().map(|i| i.key.as_str()).collect::<Vec<_>>(),
            ["canone.tariffs[0].kind_coefficients.giostra"]
        );
    }
}
