//! Limited traffic zones (ZTL, Codice della strada art. 7 c. 9; gate cameras DPR 250/1999):
//! the zones and the hours they are restricted, the permit categories the giunta defines
//! (residents, businesses, CUDE holders, deliveries, temporary permits…), and the check the
//! traffic police run before a fine is issued: was this plate, in this zone, at this instant,
//! authorised by a permit?
//!
//! Times are local to the comune (Europe/Rome): a window "8:00–20:00" means those hours on the
//! clock in the street, in winter and in summer alike.

use crate::Slug;
use crate::assessment::Validity;
use crate::fees::{FeeBreakdown, Line, both};
use crate::plate::Plate;
use crate::tenant_file::Issues;
use crate::text::LocalizedText;
use crate::{Cents, calendar};
use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Weekday};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::HashSet;
use std::fmt;

/// The comune's ZTL rules (`[ztl]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZtlRules {
    pub zones: Vec<ZtlZone>,
    pub categories: Vec<ZtlCategory>,
    /// Days before a permit's expiry when its holder is reminded to renew it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renewal_reminder_days: Option<u16>,
}

/// A limited traffic zone and the hours it is restricted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZtlZone {
    pub id: Slug,
    pub name: LocalizedText,
    /// When the zone is restricted; outside these windows anyone may drive in.
    pub windows: Vec<TimeWindow>,
}

/// A kind of permit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZtlCategory {
    pub id: Slug,
    pub kind: CategoryKind,
    pub name: LocalizedText,
    /// The zones a permit of this category may cover: `"all"` or a list of zone ids.
    pub zones: ZoneScope,
    /// When a permit of this category authorises transit (deliveries 6:00–10:00); empty
    /// means whenever the zone is restricted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub windows: Vec<TimeWindow>,
    /// The most plates one permit may carry.
    pub max_plates: u8,
    pub validity: Validity,
    /// What the permit costs, in cents; 0 is free.
    #[serde(default)]
    pub fee: Cents,
    #[serde(default)]
    pub fee_per: FeeBasis,
    /// With `fee_per = "plate"`: the fee of every plate after the first, when different.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub further_plate_fee: Option<Cents>,
    /// How many days back a permit may start, to regularise a transit already made (daily
    /// permits bought by midnight of the next day).
    #[serde(default)]
    pub backdate_days: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CategoryKind {
    Resident,
    Business,
    DisabledBadge,
    Delivery,
    Temporary,
    /// Doctors on call, home care, public bodies, taxis…
    Other,
}

/// What the fee of a category is counted on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FeeBasis {
    #[default]
    Permit,
    Plate,
    Day,
}

/// The zones a category covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZoneScope {
    All,
    Only(Vec<Slug>),
}

impl ZoneScope {
    pub fn allows(&self, zone: &str) -> bool {
        match self {
            ZoneScope::All => true,
            ZoneScope::Only(zones) => zones.iter().any(|z| z.as_str() == zone),
        }
    }
}

impl Serialize for ZoneScope {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            ZoneScope::All => serializer.serialize_str("all"),
            ZoneScope::Only(zones) => zones.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for ZoneScope {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Word(String),
            List(Vec<Slug>),
        }
        match Repr::deserialize(deserializer)? {
            Repr::Word(word) if word == "all" => Ok(ZoneScope::All),
            Repr::Word(word) => Err(serde::de::Error::custom(format!(
                "'{word}': write \"all\" or a list of zone ids"
            ))),
            Repr::List(zones) => Ok(ZoneScope::Only(zones)),
        }
    }
}

/// A day of the week, as written in the comune file (`mon` … `sun`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Day {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Day {
    pub const ALL: [Day; 7] = [
        Day::Mon,
        Day::Tue,
        Day::Wed,
        Day::Thu,
        Day::Fri,
        Day::Sat,
        Day::Sun,
    ];

    pub fn of(weekday: Weekday) -> Day {
        match weekday {
            Weekday::Monday => Day::Mon,
            Weekday::Tuesday => Day::Tue,
            Weekday::Wednesday => Day::Wed,
            Weekday::Thursday => Day::Thu,
            Weekday::Friday => Day::Fri,
            Weekday::Saturday => Day::Sat,
            Weekday::Sunday => Day::Sun,
        }
    }

    fn previous(self) -> Day {
        Day::ALL[(self as usize + 6) % 7]
    }

    fn names(self) -> (&'static str, &'static str) {
        match self {
            Day::Mon => ("lun", "Mon"),
            Day::Tue => ("mar", "Tue"),
            Day::Wed => ("mer", "Wed"),
            Day::Thu => ("gio", "Thu"),
            Day::Fri => ("ven", "Fri"),
            Day::Sat => ("sab", "Sat"),
            Day::Sun => ("dom", "Sun"),
        }
    }
}

/// A time of day on the clock, from `00:00` to `24:00` (the end of the day), to the minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "ClockRepr", into = "String")]
pub struct ClockTime(u16);

#[derive(Deserialize)]
#[serde(untagged)]
enum ClockRepr {
    Toml(toml::value::Datetime),
    Text(String),
}

impl ClockTime {
    pub const MIDNIGHT: ClockTime = ClockTime(0);
    pub const END_OF_DAY: ClockTime = ClockTime(24 * 60);

    pub fn new(hour: u8, minute: u8) -> Option<ClockTime> {
        let minutes = u16::from(hour) * 60 + u16::from(minute);
        (minute < 60 && minutes <= 24 * 60).then_some(ClockTime(minutes))
    }

    /// `08:00`, `8:30`, `24:00`.
    pub fn parse(input: &str) -> Option<ClockTime> {
        let (hour, minute) = input.trim().split_once(':')?;
        let number = |s: &str| -> Option<u8> {
            (!s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse().ok())
                .flatten()
        };
        if minute.len() != 2 {
            return None;
        }
        ClockTime::new(number(hour)?, number(minute)?)
    }

    pub fn minutes(self) -> u16 {
        self.0
    }

    fn of(datetime: DateTime) -> ClockTime {
        let minutes = i32::from(datetime.hour()) * 60 + i32::from(datetime.minute());
        ClockTime(u16::try_from(minutes).unwrap_or(0))
    }
}

impl TryFrom<ClockRepr> for ClockTime {
    type Error = String;
    fn try_from(value: ClockRepr) -> Result<Self, Self::Error> {
        let text = match value {
            ClockRepr::Toml(datetime) if datetime.date.is_none() => datetime.to_string(),
            ClockRepr::Toml(datetime) => datetime.to_string() + " (a date)",
            ClockRepr::Text(text) => text,
        };
        // A TOML local time carries seconds, which the clock of a ZTL does not need.
        let trimmed = text.strip_suffix(":00").filter(|t| t.len() == 5);
        trimmed
            .and_then(ClockTime::parse)
            .or_else(|| ClockTime::parse(&text))
            .ok_or_else(|| format!("'{text}' is not a time of day: write it as \"08:30\""))
    }
}

impl From<ClockTime> for String {
    fn from(time: ClockTime) -> String {
        time.to_string()
    }
}

impl fmt::Display for ClockTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

/// Days of the week and the hours of each, `from` included and `to` excluded. When `to` is
/// not after `from` the window runs past midnight into the next day (`20:00`–`06:00` on
/// Friday covers Friday night until Saturday 6:00); `00:00`–`24:00` is the whole day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeWindow {
    #[serde(default = "every_day")]
    pub days: Vec<Day>,
    pub from: ClockTime,
    pub to: ClockTime,
}

fn every_day() -> Vec<Day> {
    Day::ALL.to_vec()
}

impl TimeWindow {
    /// Whether a local date and time falls in the window.
    pub fn contains(&self, at: DateTime) -> bool {
        let day = Day::of(at.weekday());
        let time = ClockTime::of(at);
        if self.from < self.to {
            self.days.contains(&day) && self.from <= time && time < self.to
        } else {
            (self.days.contains(&day) && time >= self.from)
                || (self.days.contains(&day.previous()) && time < self.to)
        }
    }

    /// Whether an instant falls in the window, on the clock in Rome.
    pub fn contains_instant(&self, at: Timestamp) -> bool {
        self.contains(at.to_zoned(calendar::rome().clone()).datetime())
    }

    /// "lun–sab 08:00–20:00", "tutti i giorni 00:00–24:00".
    pub fn describe(&self) -> LocalizedText {
        let (it_days, en_days) = describe_days(&self.days);
        LocalizedText {
            it: format!("{it_days} {}–{}", self.from, self.to),
            en: Some(format!("{en_days} {}–{}", self.from, self.to)),
        }
    }

    fn validate(&self, key: &str, issues: &mut Issues) {
        if self.days.is_empty() {
            issues.push(format!("{key}.days"), "needs at least one day");
        }
        let unique: HashSet<Day> = self.days.iter().copied().collect();
        if unique.len() != self.days.len() {
            issues.push(format!("{key}.days"), "lists a day twice");
        }
        if self.from == self.to {
            issues.push(
                format!("{key}.to"),
                "equals from: write 00:00–24:00 for the whole day",
            );
        }
        if self.from == ClockTime::END_OF_DAY {
            issues.push(format!("{key}.from"), "24:00 can only end a window");
        }
    }
}

/// Runs of consecutive days become ranges: `lun–ven, dom`.
fn describe_days(days: &[Day]) -> (String, String) {
    let mut sorted: Vec<Day> = days.to_vec();
    sorted.sort();
    sorted.dedup();
    if sorted.len() == 7 {
        return ("tutti i giorni".to_owned(), "every day".to_owned());
    }
    let mut runs: Vec<(Day, Day)> = Vec::new();
    for day in sorted {
        match runs.last_mut() {
            Some((_, last)) if *last as usize + 1 == day as usize => *last = day,
            _ => runs.push((day, day)),
        }
    }
    let render = |pick: fn(Day) -> &'static str| {
        runs.iter()
            .map(|(first, last)| {
                if first == last {
                    pick(*first).to_owned()
                } else {
                    format!("{}–{}", pick(*first), pick(*last))
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    (render(|d| d.names().0), render(|d| d.names().1))
}

/// A permit's authorisation as the gates and the police check it: these plates, in these
/// zones, in these windows (any time when empty), between these dates (both included, local
/// to Rome; open-ended without `valid_until`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZtlAuthorisation {
    pub plates: Vec<Plate>,
    pub zones: Vec<Slug>,
    #[serde(default)]
    pub windows: Vec<TimeWindow>,
    pub valid_from: Date,
    #[serde(default)]
    pub valid_until: Option<Date>,
}

impl ZtlAuthorisation {
    /// Whether this authorisation lets `plate` into `zone` at the instant `at`.
    pub fn authorises(&self, plate: &Plate, zone: &str, at: Timestamp) -> bool {
        let local = at.to_zoned(calendar::rome().clone()).datetime();
        let date = local.date();
        self.plates.contains(plate)
            && self.zones.iter().any(|z| z.as_str() == zone)
            && self.valid_from <= date
            && self.valid_until.is_none_or(|until| date <= until)
            && (self.windows.is_empty() || self.windows.iter().any(|w| w.contains(local)))
    }
}

/// The answer to "was this transit allowed?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transit {
    /// The zone was not restricted at that instant: no permit was needed.
    NotRestricted,
    /// Allowed by the authorisation at this index of the list checked.
    Authorised(usize),
    NotAuthorised,
    UnknownZone,
}

impl ZtlRules {
    pub fn zone(&self, id: &str) -> Option<&ZtlZone> {
        self.zones.iter().find(|z| z.id.as_str() == id)
    }

    pub fn category(&self, id: &str) -> Option<&ZtlCategory> {
        self.categories.iter().find(|c| c.id.as_str() == id)
    }

    /// Whether a zone is restricted at an instant; `None` for an unknown zone.
    pub fn is_restricted(&self, zone: &str, at: Timestamp) -> Option<bool> {
        let local = at.to_zoned(calendar::rome().clone()).datetime();
        self.zone(zone)
            .map(|z| z.windows.iter().any(|w| w.contains(local)))
    }

    /// Whether a transit was allowed, and by which authorisation (the first that covers it).
    pub fn check_transit<'a>(
        &self,
        zone: &str,
        plate: &Plate,
        at: Timestamp,
        authorisations: impl IntoIterator<Item = &'a ZtlAuthorisation>,
    ) -> Transit {
        match self.is_restricted(zone, at) {
            None => Transit::UnknownZone,
            Some(false) => Transit::NotRestricted,
            Some(true) => authorisations
                .into_iter()
                .position(|a| a.authorises(plate, zone, at))
                .map_or(Transit::NotAuthorised, Transit::Authorised),
        }
    }

    pub(crate) fn validate(&self, key: &str, issues: &mut Issues) {
        let mut zone_ids = HashSet::new();
        if self.zones.is_empty() {
            issues.push(format!("{key}.zones"), "needs at least one zone");
        }
        for (i, zone) in self.zones.iter().enumerate() {
            let item = format!("{key}.zones[{i}] ({})", zone.id);
            if !zone_ids.insert(zone.id.as_str()) {
                issues.push(format!("{item}.id"), "is used by another zone");
            }
            issues.require_localized(&format!("{item}.name"), &zone.name);
            if zone.windows.is_empty() {
                issues.push(
                    format!("{item}.windows"),
                    "needs at least one window: when is the zone restricted?",
                );
            }
            for (w, window) in zone.windows.iter().enumerate() {
                window.validate(&format!("{item}.windows[{w}]"), issues);
            }
        }
        let mut category_ids = HashSet::new();
        if self.categories.is_empty() {
            issues.push(format!("{key}.categories"), "needs at least one category");
        }
        for (i, category) in self.categories.iter().enumerate() {
            let item = format!("{key}.categories[{i}] ({})", category.id);
            if !category_ids.insert(category.id.as_str()) {
                issues.push(format!("{item}.id"), "is used by another category");
            }
            issues.require_localized(&format!("{item}.name"), &category.name);
            match &category.zones {
                ZoneScope::All => {}
                ZoneScope::Only(zones) if zones.is_empty() => issues.push(
                    format!("{item}.zones"),
                    "lists no zone: write \"all\" or at least one zone id",
                ),
                ZoneScope::Only(zones) => {
                    for zone in zones {
                        if !zone_ids.contains(zone.as_str()) {
                            issues.push(
                                format!("{item}.zones"),
                                format!("no [[ztl.zones]] has id '{zone}'"),
                            );
                        }
                    }
                }
            }
            for (w, window) in category.windows.iter().enumerate() {
                window.validate(&format!("{item}.windows[{w}]"), issues);
            }
            if category.max_plates == 0 {
                issues.push(format!("{item}.max_plates"), "must be at least 1");
            }
            category
                .validity
                .validate(&format!("{item}.validity"), issues);
            if category.fee < Cents::ZERO {
                issues.push(format!("{item}.fee"), "must not be negative");
            }
            if category.further_plate_fee.is_some() && category.fee_per != FeeBasis::Plate {
                issues.push(
                    format!("{item}.further_plate_fee"),
                    "only applies with fee_per = \"plate\"",
                );
            }
            if category.further_plate_fee.is_some_and(|f| f < Cents::ZERO) {
                issues.push(format!("{item}.further_plate_fee"), "must not be negative");
            }
        }
    }
}

impl ZtlCategory {
    /// The zones a permit covers when the citizen chose none: the only zone, or every zone,
    /// of a category that leaves no choice; `None` when the citizen must choose.
    pub fn default_zones(&self, rules: &ZtlRules) -> Option<Vec<Slug>> {
        match &self.zones {
            ZoneScope::All => Some(rules.zones.iter().map(|z| z.id.clone()).collect()),
            ZoneScope::Only(zones) if zones.len() == 1 => Some(zones.clone()),
            ZoneScope::Only(_) => None,
        }
    }

    /// The fee for a permit with this many plates and days of validity, with its lines.
    pub fn fee_for(&self, plates: usize, days: u32) -> FeeBreakdown {
        // Fees are validated non-negative and counts are small: saturating only guards
        // against absurd data, and never makes a permit cheaper.
        let plates = i64::try_from(plates.max(1)).unwrap_or(i64::MAX);
        let mut lines = Vec::new();
        let total = match self.fee_per {
            FeeBasis::Permit => {
                lines.push(Line::plain(
                    "Tariffa del permesso",
                    "Permit fee",
                    self.fee.to_italian_string(),
                ));
                self.fee
            }
            FeeBasis::Plate => {
                let further = self.further_plate_fee.unwrap_or(self.fee);
                lines.push(Line::plain(
                    "Tariffa per la prima targa",
                    "Fee for the first plate",
                    self.fee.to_italian_string(),
                ));
                if plates > 1 {
                    lines.push(Line::plain(
                        "Tariffa per ogni altra targa",
                        "Fee for each further plate",
                        format!("{} × {}", plates - 1, further.to_italian_string()),
                    ));
                }
                Cents::new(
                    further
                        .get()
                        .saturating_mul(plates - 1)
                        .saturating_add(self.fee.get()),
                )
            }
            FeeBasis::Day => {
                lines.push(Line::plain(
                    "Tariffa giornaliera",
                    "Daily fee",
                    self.fee.to_italian_string(),
                ));
                lines.push(Line::plain("Giorni", "Days", days.to_string()));
                Cents::new(self.fee.get().saturating_mul(i64::from(days)))
            }
        };
        lines.push(Line::new(
            both("Totale da pagare", "Total to pay"),
            crate::fees::same(total.to_italian_string()),
        ));
        FeeBreakdown { lines, total }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    pub(crate) const BORGOVERDE: &str = r#"
renewal_reminder_days = 30

[[zones]]
id = "centro-storico"
name = { it = "ZTL Centro Storico", en = "Historic Centre ZTL" }
windows = [{ from = "08:00", to = "20:00" }]

[[zones]]
id = "movida"
name = { it = "ZTL notturna Lungofiume", en = "Riverside night ZTL" }
windows = [{ days = ["fri", "sat"], from = "21:00", to = "03:00" }]

[[categories]]
id = "residenti"
kind = "resident"
name = { it = "Residenti", en = "Residents" }
zones = ["centro-storico"]
max_plates = 2
validity = { months = 12 }
fee = 2000
fee_per = "plate"

[[categories]]
id = "carico-scarico"
kind = "delivery"
name = { it = "Carico e scarico", en = "Loading and unloading" }
zones = "all"
windows = [
    { days = ["mon", "tue", "wed", "thu", "fri", "sat"], from = "08:00", to = "10:30" },
    { days = ["mon", "tue", "wed", "thu", "fri", "sat"], from = "14:30", to = "16:00" },
]
max_plates = 3
validity = { months = 12 }
fee = 8000
fee_per = "plate"

[[categories]]
id = "giornaliero"
kind = "temporary"
name = { it = "Permesso giornaliero", en = "Daily permit" }
zones = ["centro-storico"]
max_plates = 1
validity = { requested-days = 20 }
fee = 300
fee_per = "day"
backdate_days = 1
"#;

    fn rules() -> ZtlRules {
        toml::from_str(BORGOVERDE).unwrap_or_else(|e| panic!("{e}"))
    }

    fn rome(y: i16, mo: i8, d: i8, h: i8, mi: i8) -> Timestamp {
        date(y, mo, d)
            .at(h, mi, 0, 0)
            .to_zoned(calendar::rome().clone())
            .unwrap()
            .timestamp()
    }

    fn window(days: &[Day], from: &str, to: &str) -> TimeWindow {
        TimeWindow {
            days: days.to_vec(),
            from: ClockTime::parse(from).unwrap(),
            to: ClockTime::parse(to).unwrap(),
        }
    }

    #[test]
    fn windows_include_their_start_and_exclude_their_end() {
        // 2025-05-09 is a Friday.
        let day = window(
            &[Day::Mon, Day::Tue, Day::Wed, Day::Thu, Day::Fri],
            "08:00",
            "20:00",
        );
        let night = window(&[Day::Fri, Day::Sat], "21:00", "03:00");
        let whole = window(&[Day::Sun], "00:00", "24:00");
        let cases = [
            (&day, (2025, 5, 9, 7, 59), false),
            (&day, (2025, 5, 9, 8, 0), true),
            (&day, (2025, 5, 9, 19, 59), true),
            (&day, (2025, 5, 9, 20, 0), false),
            (&day, (2025, 5, 10, 12, 0), false), // Saturday
            (&day, (2025, 5, 12, 12, 0), true),  // Monday
            (&night, (2025, 5, 9, 20, 59), false),
            (&night, (2025, 5, 9, 21, 0), true),
            (&night, (2025, 5, 9, 23, 59), true),
            (&night, (2025, 5, 10, 0, 0), true), // Friday night, after midnight
            (&night, (2025, 5, 10, 2, 59), true),
            (&night, (2025, 5, 10, 3, 0), false),
            (&night, (2025, 5, 11, 2, 0), true), // Saturday night
            (&night, (2025, 5, 12, 2, 0), false), // Sunday night is free
            (&night, (2025, 5, 9, 2, 0), false), // Thursday night is free
            (&whole, (2025, 5, 11, 0, 0), true),
            (&whole, (2025, 5, 11, 23, 59), true),
            (&whole, (2025, 5, 12, 0, 0), false),
        ];
        for (n, (window, (y, mo, d, h, mi), inside)) in cases.into_iter().enumerate() {
            assert_eq!(
                window.contains(date(y, mo, d).at(h, mi, 0, 0)),
                inside,
                "case {n}"
            );
        }
    }

    #[test]
    fn instants_are_read_on_the_clock_in_rome() {
        let rules = rules();
        // 06:30 UTC is 08:30 in Rome in summer, inside the window, and 07:30 in winter,
        // before the ZTL opens.
        let summer: Timestamp = "2025-07-01T06:30:00Z".parse().unwrap();
        let winter: Timestamp = "2025-01-15T06:30:00Z".parse().unwrap();
        assert_eq!(rules.is_restricted("centro-storico", summer), Some(true));
        assert_eq!(rules.is_restricted("centro-storico", winter), Some(false));
        assert_eq!(rules.is_restricted("altrove", winter), None);
        // On the night clocks go back (26 October 2025), 02:30 happens twice: both are
        // inside a Saturday night window ending at 03:00.
        let first: Timestamp = "2025-10-26T00:30:00Z".parse().unwrap();
        let second: Timestamp = "2025-10-26T01:30:00Z".parse().unwrap();
        assert_eq!(rules.is_restricted("movida", first), Some(true));
        assert_eq!(rules.is_restricted("movida", second), Some(true));
        assert_eq!(
            rules.is_restricted("movida", "2025-10-26T02:00:00Z".parse().unwrap()),
            Some(false)
        );
    }

    #[test]
    fn an_authorisation_covers_its_plates_zones_windows_and_days() {
        let plate = Plate::parse("AB123CD").unwrap();
        let other = Plate::parse("EF456GH").unwrap();
        let delivery = ZtlAuthorisation {
            plates: vec![plate.clone()],
            zones: vec![Slug::parse("centro-storico").unwrap()],
            windows: vec![window(
                &[Day::Mon, Day::Tue, Day::Wed, Day::Thu, Day::Fri, Day::Sat],
                "06:00",
                "10:00",
            )],
            valid_from: date(2025, 5, 1),
            valid_until: Some(date(2025, 5, 31)),
        };
        let cases = [
            (&plate, "centro-storico", rome(2025, 5, 9, 6, 0), true),
            (&plate, "centro-storico", rome(2025, 5, 9, 9, 59), true),
            (&plate, "centro-storico", rome(2025, 5, 9, 10, 0), false),
            (&plate, "centro-storico", rome(2025, 5, 9, 5, 59), false),
            (&plate, "centro-storico", rome(2025, 5, 11, 8, 0), false), // Sunday
            (&plate, "movida", rome(2025, 5, 9, 8, 0), false),
            (&other, "centro-storico", rome(2025, 5, 9, 8, 0), false),
            (&plate, "centro-storico", rome(2025, 5, 1, 6, 0), true), // first day
            (&plate, "centro-storico", rome(2025, 5, 31, 9, 0), true), // last day
            (&plate, "centro-storico", rome(2025, 6, 2, 9, 0), false), // expired
            (&plate, "centro-storico", rome(2025, 4, 30, 9, 0), false), // not yet valid
        ];
        for (n, (plate, zone, at, allowed)) in cases.into_iter().enumerate() {
            assert_eq!(delivery.authorises(plate, zone, at), allowed, "case {n}");
        }
        // The last day runs to midnight in Rome, which is 22:00 UTC in summer.
        let whole_days = ZtlAuthorisation {
            windows: vec![],
            ..delivery.clone()
        };
        let zone = "centro-storico";
        assert!(whole_days.authorises(&plate, zone, "2025-05-31T21:59:00Z".parse().unwrap()));
        assert!(!whole_days.authorises(&plate, zone, "2025-05-31T22:00:00Z".parse().unwrap()));
        assert!(!whole_days.authorises(&plate, zone, "2025-04-30T21:59:00Z".parse().unwrap()));
        assert!(whole_days.authorises(&plate, zone, "2025-04-30T22:00:00Z".parse().unwrap()));
        let any_time = ZtlAuthorisation {
            windows: vec![],
            valid_until: None,
            ..delivery.clone()
        };
        assert!(any_time.authorises(&plate, "centro-storico", rome(2030, 1, 6, 23, 59)));
        assert!(!any_time.authorises(&plate, "centro-storico", rome(2025, 4, 30, 23, 59)));
    }

    #[test]
    fn a_transit_check_names_the_permit_that_allowed_it() {
        let rules = rules();
        let plate = Plate::parse("AB123CD").unwrap();
        let resident = ZtlAuthorisation {
            plates: vec![Plate::parse("ZZ999ZZ").unwrap(), plate.clone()],
            zones: vec![Slug::parse("centro-storico").unwrap()],
            windows: vec![],
            valid_from: date(2025, 1, 1),
            valid_until: Some(date(2025, 12, 31)),
        };
        let expired = ZtlAuthorisation {
            valid_until: Some(date(2024, 12, 31)),
            valid_from: date(2024, 1, 1),
            ..resident.clone()
        };
        let list = [expired, resident];
        let cases = [
            (
                "centro-storico",
                rome(2025, 5, 9, 12, 0),
                Transit::Authorised(1),
            ),
            (
                "centro-storico",
                rome(2025, 5, 9, 21, 0),
                Transit::NotRestricted,
            ),
            (
                "centro-storico",
                rome(2026, 1, 2, 12, 0),
                Transit::NotAuthorised,
            ),
            ("movida", rome(2025, 5, 9, 22, 0), Transit::NotAuthorised),
            ("movida", rome(2025, 5, 9, 12, 0), Transit::NotRestricted),
            ("porto", rome(2025, 5, 9, 12, 0), Transit::UnknownZone),
        ];
        for (zone, at, expected) in cases {
            assert_eq!(
                rules.check_transit(zone, &plate, at, &list),
                expected,
                "{zone} {at}"
            );
        }
    }

    #[test]
    fn fees_by_permit_plate_and_day() {
        let rules = rules();
        let fee = |category: &str, plates: usize, days: u32| {
            rules
                .category(category)
                .map(|c| c.fee_for(plates, days).total.get())
        };
        assert_eq!(fee("residenti", 1, 365), Some(2000));
        assert_eq!(fee("residenti", 2, 365), Some(4000));
        assert_eq!(fee("giornaliero", 1, 3), Some(900));
        let mut valdoro = rules.clone();
        if let Some(c) = valdoro.categories.first_mut() {
            c.fee = Cents::new(3500);
            c.further_plate_fee = Some(Cents::new(7000));
        }
        assert_eq!(
            valdoro.categories[0].fee_for(3, 365).total,
            Cents::new(3500 + 2 * 7000)
        );
        let mut permit = rules.categories[0].clone();
        permit.fee_per = FeeBasis::Permit;
        assert_eq!(permit.fee_for(2, 365).total, Cents::new(2000));
    }

    #[test]
    fn windows_describe_themselves_in_both_languages() {
        let cases = [
            (
                Day::ALL.to_vec(),
                "tutti i giorni 08:00–20:00",
                "every day 08:00–20:00",
            ),
            (
                vec![Day::Mon, Day::Tue, Day::Wed, Day::Thu, Day::Fri, Day::Sat],
                "lun–sab 08:00–20:00",
                "Mon–Sat 08:00–20:00",
            ),
            (
                vec![Day::Sat, Day::Fri],
                "ven–sab 08:00–20:00",
                "Fri–Sat 08:00–20:00",
            ),
            (
                vec![Day::Mon, Day::Wed, Day::Thu, Day::Sun],
                "lun, mer–gio, dom 08:00–20:00",
                "Mon, Wed–Thu, Sun 08:00–20:00",
            ),
        ];
        for (days, it, en) in cases {
            let text = TimeWindow {
                days,
                from: ClockTime::parse("08:00").unwrap(),
                to: ClockTime::parse("20:00").unwrap(),
            }
            .describe();
            assert_eq!(text.it, it);
            assert_eq!(text.en.as_deref(), Some(en));
        }
    }

    #[test]
    fn clock_times_are_read_from_strings_or_toml_times() {
        #[derive(Deserialize)]
        struct Holder {
            t: ClockTime,
        }
        for (text, minutes) in [
            ("t = \"08:00\"", Some(480)),
            ("t = \"8:30\"", Some(510)),
            ("t = \"24:00\"", Some(1440)),
            ("t = 06:15:00", Some(375)),
            ("t = \"24:01\"", None),
            ("t = \"12:60\"", None),
            ("t = \"8\"", None),
            ("t = 06:15:30", None),
            ("t = 2025-01-01", None),
        ] {
            let parsed = toml::from_str::<Holder>(text).ok().map(|h| h.t.minutes());
            assert_eq!(parsed, minutes, "{text}");
        }
        assert_eq!(ClockTime::END_OF_DAY.to_string(), "24:00");
    }

    #[test]
    fn validation_reports_every_problem() {
        let mut issues = Issues(Vec::new());
        rules().validate("ztl", &mut issues);
        assert!(issues.0.is_empty(), "{:?}", issues.0);
        let cases = [
            (
                "zones = [\"centro-storico\"]\nmax_plates = 2",
                "zones = [\"porto\"]\nmax_plates = 2",
                "ztl.categories[0] (residenti).zones",
            ),
            (
                "zones = [\"centro-storico\"]\nmax_plates = 2",
                "zones = []\nmax_plates = 2",
                "ztl.categories[0] (residenti).zones",
            ),
            (
                "max_plates = 3",
                "max_plates = 0",
                "ztl.categories[1] (carico-scarico).max_plates",
            ),
            (
                "from = \"21:00\", to = \"03:00\"",
                "from = \"21:00\", to = \"21:00\"",
                "ztl.zones[1] (movida).windows[0].to",
            ),
            (
                "days = [\"fri\", \"sat\"]",
                "days = []",
                "ztl.zones[1] (movida).windows[0].days",
            ),
            (
                "days = [\"fri\", \"sat\"]",
                "days = [\"fri\", \"fri\"]",
                "ztl.zones[1] (movida).windows[0].days",
            ),
            (
                "id = \"movida\"",
                "id = \"centro-storico\"",
                "ztl.zones[1] (centro-storico).id",
            ),
            (
                "validity = { requested-days = 20 }",
                "validity = { requested-days = 0 }",
                "ztl.categories[2] (giornaliero).validity",
            ),
            (
                "fee_per = \"day\"",
                "fee_per = \"day\"\nfurther_plate_fee = 100",
                "ztl.categories[2] (giornaliero).further_plate_fee",
            ),
            (
                "windows = [{ from = \"08:00\", to = \"20:00\" }]",
                "windows = []",
                "ztl.zones[0] (centro-storico).windows",
            ),
        ];
        for (from, to, key) in cases {
            let text = BORGOVERDE.replacen(from, to, 1);
            assert_ne!(text, BORGOVERDE, "{from}");
            let broken: ZtlRules = toml::from_str(&text).unwrap_or_else(|e| panic!("{to}: {e}"));
            let mut issues = Issues(Vec::new());
            broken.validate("ztl", &mut issues);
            let keys: Vec<&str> = issues.0.iter().map(|i| i.key.as_str()).collect();
            assert!(keys.contains(&key), "{to}: {keys:?}");
        }
        assert!(
            toml::from_str::<ZtlRules>(&BORGOVERDE.replace("zones = \"all\"", "zones = \"tutte\""))
                .is_err()
        );
    }
}
