//! The Italian legal calendar used to count deadlines.
//!
//! Terms are counted the civil-law way (c.c. art. 2963, c.p.c. art. 155 c. 1-4, which the
//! Cassazione applies as a general principle, also to the public administration): the first
//! day is excluded and the last one counted, holidays in between count, and a term whose last
//! day is a public holiday moves to the next day that is not. Sundays are holidays (L. 260/1949
//! art. 2 lists "tutte le domeniche"); Saturdays are not, outside the procedural acts of c.p.c.
//! art. 155 c. 5, so a deadline may well fall on a Saturday. Tax payments are different: a due
//! date on a Saturday or a holiday moves to the next working day (DL 330/1994 art. 6 c. 8),
//! which [`Calendar::payment_due`] implements.

use crate::Lang;
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

/// The first year in which 4 October is a national holiday again (L. 8 ottobre 2025 n. 151,
/// in force from 1 January 2026, adds it to L. 260/1949 art. 2).
const SAINT_FRANCIS_SINCE: i16 = 2026;

/// The comune's time zone, where "today" and a submission's receipt date are reckoned.
pub fn rome() -> &'static TimeZone {
    static ROME: LazyLock<TimeZone> = LazyLock::new(|| {
        // The tz database is bundled into the binary, so the lookup cannot miss; the POSIX rule
        // (CET/CEST, EU switch dates) is a belt-and-braces fallback that gives the same answers
        // for every date the service handles.
        TimeZone::get("Europe/Rome")
            .or_else(|_| TimeZone::posix("CET-1CEST,M3.5.0,M10.5.0/3"))
            .unwrap_or(TimeZone::UTC)
    });
    &ROME
}

/// The calendar day in Rome at an instant: the receipt date of a submission (L. 241/1990
/// art. 18-bis), the "today" of a deadline check.
pub fn local_date(ts: Timestamp) -> Date {
    ts.to_zoned(rome().clone()).date()
}

/// `date` moved by `days` calendar days, saturating at the ends of the supported range
/// (years -9999 to 9999), which no legal term comes near.
pub(crate) fn add_days(date: Date, days: i64) -> Date {
    match Span::new().try_days(days) {
        Ok(span) => date.saturating_add(span),
        Err(_) if days < 0 => Date::MIN,
        Err(_) => Date::MAX,
    }
}

/// Whole days from `from` to `to` (negative when `to` is earlier).
pub(crate) fn days_between(from: Date, to: Date) -> i32 {
    // The largest unit of a date difference is days, and the whole supported range fits in
    // a span, so this never fails; 0 is only a formal fallback.
    from.until(to).map(|span| span.get_days()).unwrap_or(0)
}

/// A day of the year without a year, written `MM-DD`: the feast of the comune's patron saint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MonthDay {
    month: i8,
    day: i8,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MonthDayError {
    #[error("{0:?} is not a day of the year: write it as MM-DD, e.g. 06-24")]
    Format(String),
    #[error("{month:02}-{day:02} does not exist: the month has 1 to 12, the day 1 to {max}")]
    OutOfRange { month: i8, day: i8, max: i8 },
}

impl MonthDay {
    /// A day of the year. 29 February is accepted: it is a holiday only in leap years.
    pub fn new(month: i8, day: i8) -> Result<MonthDay, MonthDayError> {
        // 2024 is a leap year, so its months have the most days any year can have.
        let max = match Date::new(2024, month, 1) {
            Ok(first) => first.days_in_month(),
            Err(_) => 31,
        };
        if (1..=12).contains(&month) && (1..=max).contains(&day) {
            Ok(MonthDay { month, day })
        } else {
            Err(MonthDayError::OutOfRange { month, day, max })
        }
    }

    /// Parses `MM-DD` (two digits each, as in ISO 8601's `--MM-DD` without the dashes).
    pub fn parse(text: &str) -> Result<MonthDay, MonthDayError> {
        let format_error = || MonthDayError::Format(text.to_owned());
        let (month, day) = text.split_once('-').ok_or_else(format_error)?;
        let two_digits = |part: &str| -> Result<i8, MonthDayError> {
            if part.len() == 2 && part.bytes().all(|b| b.is_ascii_digit()) {
                part.parse().map_err(|_| format_error())
            } else {
                Err(format_error())
            }
        };
        MonthDay::new(two_digits(month)?, two_digits(day)?)
    }

    pub fn month(self) -> i8 {
        self.month
    }

    pub fn day(self) -> i8 {
        self.day
    }

    /// Whether `date` falls on this day of the year.
    pub fn matches(self, date: Date) -> bool {
        date.month() == self.month && date.day() == self.day
    }
}

impl fmt::Display for MonthDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}-{:02}", self.month, self.day)
    }
}

impl FromStr for MonthDay {
    type Err = MonthDayError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        MonthDay::parse(text)
    }
}

impl TryFrom<String> for MonthDay {
    type Error = MonthDayError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        MonthDay::parse(&text)
    }
}

impl From<MonthDay> for String {
    fn from(day: MonthDay) -> String {
        day.to_string()
    }
}

/// A public holiday (Sundays aside).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Holiday {
    NewYear,
    Epiphany,
    EasterSunday,
    EasterMonday,
    Liberation,
    Labour,
    Republic,
    Assumption,
    SaintFrancis,
    AllSaints,
    ImmaculateConception,
    Christmas,
    SaintStephen,
    /// The comune's patron saint: a local holiday, closed offices included.
    PatronSaint,
}

impl Holiday {
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Holiday::NewYear, Lang::It) => "Capodanno",
            (Holiday::NewYear, Lang::En) => "New Year's Day",
            (Holiday::Epiphany, Lang::It) => "Epifania",
            (Holiday::Epiphany, Lang::En) => "Epiphany",
            (Holiday::EasterSunday, Lang::It) => "Pasqua",
            (Holiday::EasterSunday, Lang::En) => "Easter Sunday",
            (Holiday::EasterMonday, Lang::It) => "Lunedì dell'Angelo",
            (Holiday::EasterMonday, Lang::En) => "Easter Monday",
            (Holiday::Liberation, Lang::It) => "Festa della Liberazione",
            (Holiday::Liberation, Lang::En) => "Liberation Day",
            (Holiday::Labour, Lang::It) => "Festa del Lavoro",
            (Holiday::Labour, Lang::En) => "Labour Day",
            (Holiday::Republic, Lang::It) => "Festa della Repubblica",
            (Holiday::Republic, Lang::En) => "Republic Day",
            (Holiday::Assumption, Lang::It) => "Ferragosto",
            (Holiday::Assumption, Lang::En) => "Assumption Day",
            (Holiday::SaintFrancis, Lang::It) => "San Francesco d'Assisi, patrono d'Italia",
            (Holiday::SaintFrancis, Lang::En) => "St Francis of Assisi, patron saint of Italy",
            (Holiday::AllSaints, Lang::It) => "Ognissanti",
            (Holiday::AllSaints, Lang::En) => "All Saints' Day",
            (Holiday::ImmaculateConception, Lang::It) => "Immacolata Concezione",
            (Holiday::ImmaculateConception, Lang::En) => "Immaculate Conception",
            (Holiday::Christmas, Lang::It) => "Natale",
            (Holiday::Christmas, Lang::En) => "Christmas Day",
            (Holiday::SaintStephen, Lang::It) => "Santo Stefano",
            (Holiday::SaintStephen, Lang::En) => "St Stephen's Day",
            (Holiday::PatronSaint, Lang::It) => "Festa del santo patrono",
            (Holiday::PatronSaint, Lang::En) => "Patron saint's day",
        }
    }
}

/// Easter Sunday of a Gregorian year (the anonymous algorithm of 1876, a.k.a. Meeus/Jones/
/// Butcher). `None` outside the years a [`Date`] can hold.
pub fn easter_sunday(year: i16) -> Option<Date> {
    let y = i32::from(year);
    let a = y.rem_euclid(19);
    let b = y.div_euclid(100);
    let c = y.rem_euclid(100);
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    // month is 3 or 4 and day 1 to 31 by construction.
    Date::new(year, i8::try_from(month).ok()?, i8::try_from(day).ok()?).ok()
}

/// The holidays of one comune: the national ones plus, if the comune file names it, the feast
/// of its patron saint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Calendar {
    /// The patron saint's day. FLAG (domain-rules §1): it is a local holiday, and whether it
    /// moves deadlines for that comune's offices is not settled; we treat it as a holiday
    /// because the offices are closed, which can only give the citizen one day more.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patron_day: Option<MonthDay>,
}

impl Calendar {
    /// The national calendar only.
    pub fn national() -> Calendar {
        Calendar::default()
    }

    pub fn with_patron_day(patron_day: MonthDay) -> Calendar {
        Calendar {
            patron_day: Some(patron_day),
        }
    }

    /// The public holiday on `date`, if any (Sundays are not named here; see [`is_holiday`]).
    /// National holidays: L. 260/1949 art. 2 as amended (the religious feasts of the 1985
    /// Concordat, DPR 792/1985), 25 April and 1 May (L. 260/1949 art. 2), 2 June (restored by
    /// L. 336/2000), 4 October from 2026 (L. 151/2025).
    ///
    /// [`is_holiday`]: Calendar::is_holiday
    pub fn holiday(&self, date: Date) -> Option<Holiday> {
        let fixed = match (date.month(), date.day()) {
            (1, 1) => Some(Holiday::NewYear),
            (1, 6) => Some(Holiday::Epiphany),
            (4, 25) => Some(Holiday::Liberation),
            (5, 1) => Some(Holiday::Labour),
            (6, 2) => Some(Holiday::Republic),
            (8, 15) => Some(Holiday::Assumption),
            (10, 4) if date.year() >= SAINT_FRANCIS_SINCE => Some(Holiday::SaintFrancis),
            (11, 1) => Some(Holiday::AllSaints),
            (12, 8) => Some(Holiday::ImmaculateConception),
            (12, 25) => Some(Holiday::Christmas),
            (12, 26) => Some(Holiday::SaintStephen),
            _ => None,
        };
        if fixed.is_some() {
            return fixed;
        }
        // Easter falls between 22 March and 25 April, its Monday one day later.
        if matches!(date.month(), 3 | 4)
            && let Some(easter) = easter_sunday(date.year())
        {
            if date == easter {
                return Some(Holiday::EasterSunday);
            }
            if date == add_days(easter, 1) {
                return Some(Holiday::EasterMonday);
            }
        }
        match self.patron_day {
            Some(patron) if patron.matches(date) => Some(Holiday::PatronSaint),
            _ => None,
        }
    }

    /// Whether a deadline falling on `date` moves to the next day: Sundays and public holidays.
    /// Saturdays are ordinary days for administrative terms.
    pub fn is_holiday(&self, date: Date) -> bool {
        date.weekday() == Weekday::Sunday || self.holiday(date).is_some()
    }

    /// The last day of a term of `days` days starting on `start`: `start` is excluded, the
    /// last day is counted, and a last day that is a holiday moves to the next non-holiday.
    pub fn deadline(&self, start: Date, days: u32) -> Date {
        self.next_non_holiday(add_days(start, i64::from(days)))
    }

    /// `date` itself if it is not a holiday, otherwise the first day after it that is not.
    pub fn next_non_holiday(&self, date: Date) -> Date {
        let mut day = date;
        while self.is_holiday(day) {
            match day.tomorrow() {
                Ok(next) => day = next,
                Err(_) => break,
            }
        }
        day
    }

    /// The day a tax or fee falling due on `date` can actually be paid without penalty: a due
    /// date on a Saturday or a holiday moves to the next working day (DL 330/1994 art. 6 c. 8,
    /// local taxes included; D.Lgs. 241/1997 art. 18 for F24). E.g. IMU of Sunday 16 June 2024
    /// was due on Monday 17 June.
    pub fn payment_due(&self, date: Date) -> Date {
        let mut day = date;
        while day.weekday() == Weekday::Saturday || self.is_holiday(day) {
            match day.tomorrow() {
                Ok(next) => day = next,
                Err(_) => break,
            }
        }
        day
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn patron(text: &str) -> Calendar {
        Calendar::with_patron_day(MonthDay::parse(text).unwrap())
    }

    #[test]
    fn easter_sunday_matches_the_published_dates() {
        let cases = [
            (1961, date(1961, 4, 2)),
            (2000, date(2000, 4, 23)),
            (2008, date(2008, 3, 23)),
            (2011, date(2011, 4, 24)),
            (2019, date(2019, 4, 21)),
            (2024, date(2024, 3, 31)),
            (2025, date(2025, 4, 20)),
            (2026, date(2026, 4, 5)),
            (2027, date(2027, 3, 28)),
            (2028, date(2028, 4, 16)),
            (2038, date(2038, 4, 25)),
            (2285, date(2285, 3, 22)),
        ];
        for (year, expected) in cases {
            assert_eq!(easter_sunday(year), Some(expected), "Easter {year}");
            assert_eq!(expected.weekday(), Weekday::Sunday);
        }
    }

    #[test]
    fn national_holidays() {
        let calendar = Calendar::national();
        let cases = [
            (date(2025, 1, 1), Some(Holiday::NewYear)),
            (date(2025, 1, 6), Some(Holiday::Epiphany)),
            (date(2025, 4, 20), Some(Holiday::EasterSunday)),
            (date(2025, 4, 21), Some(Holiday::EasterMonday)),
            (date(2024, 4, 1), Some(Holiday::EasterMonday)),
            (date(2026, 4, 6), Some(Holiday::EasterMonday)),
            (date(2027, 3, 29), Some(Holiday::EasterMonday)),
            (date(2025, 4, 25), Some(Holiday::Liberation)),
            (date(2025, 5, 1), Some(Holiday::Labour)),
            (date(2025, 6, 2), Some(Holiday::Republic)),
            (date(2025, 8, 15), Some(Holiday::Assumption)),
            (date(2025, 11, 1), Some(Holiday::AllSaints)),
            (date(2025, 12, 8), Some(Holiday::ImmaculateConception)),
            (date(2025, 12, 25), Some(Holiday::Christmas)),
            (date(2025, 12, 26), Some(Holiday::SaintStephen)),
            // San Francesco is a national holiday again only from 2026.
            (date(2025, 10, 4), None),
            (date(2026, 10, 4), Some(Holiday::SaintFrancis)),
            (date(2027, 10, 4), Some(Holiday::SaintFrancis)),
            // Ordinary days, including the day before Easter and a Saturday.
            (date(2025, 4, 19), None),
            (date(2025, 4, 22), None),
            (date(2025, 6, 24), None),
            (date(2025, 11, 4), None),
            (date(2025, 3, 19), None),
        ];
        for (day, expected) in cases {
            assert_eq!(calendar.holiday(day), expected, "{day}");
        }
    }

    #[test]
    fn sundays_are_holidays_saturdays_are_not() {
        let calendar = Calendar::national();
        let cases = [
            (date(2025, 3, 15), false), // Saturday
            (date(2025, 3, 16), true),  // Sunday
            (date(2025, 3, 17), false), // Monday
            (date(2025, 12, 25), true), // Thursday, Christmas
            (date(2025, 10, 4), false), // Saturday, not yet San Francesco
            (date(2027, 10, 4), true),  // Monday, San Francesco
        ];
        for (day, expected) in cases {
            assert_eq!(calendar.is_holiday(day), expected, "{day}");
        }
    }

    #[test]
    fn patron_day_is_a_holiday_only_where_declared() {
        let turin = patron("06-24");
        assert_eq!(turin.holiday(date(2025, 6, 24)), Some(Holiday::PatronSaint));
        assert!(turin.is_holiday(date(2025, 6, 24)));
        assert!(!Calendar::national().is_holiday(date(2025, 6, 24)));
        // A patron day that coincides with a national holiday is reported as the latter.
        assert_eq!(
            patron("12-08").holiday(date(2025, 12, 8)),
            Some(Holiday::ImmaculateConception)
        );
        // 29 February exists only in leap years.
        let leap = patron("02-29");
        assert!(leap.is_holiday(date(2028, 2, 29)));
        assert!(!leap.is_holiday(date(2027, 3, 1)));
    }

    #[test]
    fn deadlines() {
        let national = Calendar::national();
        let cases = [
            // (start, days, expected deadline, why)
            (date(2025, 3, 3), 30, date(2025, 4, 2), "ordinary weekday"),
            (date(2025, 3, 3), 0, date(2025, 3, 3), "zero days"),
            (date(2025, 3, 7), 1, date(2025, 3, 8), "Saturday stays"),
            (
                date(2025, 3, 7),
                2,
                date(2025, 3, 10),
                "Sunday moves to Monday",
            ),
            (
                date(2025, 11, 25),
                30,
                date(2025, 12, 27),
                "Christmas, St Stephen, Saturday",
            ),
            (
                date(2022, 11, 25),
                30,
                date(2022, 12, 27),
                "Christmas on Sunday 2022",
            ),
            (
                date(2025, 12, 15),
                10,
                date(2025, 12, 27),
                "Christmas, St Stephen",
            ),
            (date(2025, 3, 22), 30, date(2025, 4, 22), "Easter Monday"),
            (
                date(2024, 3, 1),
                30,
                date(2024, 4, 2),
                "Easter Sunday and Monday 2024",
            ),
            (date(2026, 3, 7), 30, date(2026, 4, 7), "Easter Monday 2026"),
            (
                date(2025, 4, 15),
                10,
                date(2025, 4, 26),
                "Liberation Day Friday",
            ),
            (
                date(2026, 9, 4),
                30,
                date(2026, 10, 5),
                "San Francesco 2026 is a Sunday",
            ),
            (
                date(2027, 9, 4),
                30,
                date(2027, 10, 5),
                "San Francesco 2027 is a Monday",
            ),
            (date(2024, 1, 30), 30, date(2024, 2, 29), "leap day"),
            (date(2025, 12, 2), 30, date(2026, 1, 2), "New Year"),
            (date(2025, 1, 1), 180, date(2025, 6, 30), "longest term"),
        ];
        for (start, days, expected, why) in cases {
            assert_eq!(national.deadline(start, days), expected, "{why}");
        }
    }

    #[test]
    fn deadline_on_the_patron_day_moves() {
        // 24 June 2025 is a Tuesday: a holiday only in a comune whose patron is St John.
        let start = date(2025, 5, 25);
        assert_eq!(patron("06-24").deadline(start, 30), date(2025, 6, 25));
        assert_eq!(Calendar::national().deadline(start, 30), date(2025, 6, 24));
        // Patron day on a Saturday followed by Sunday: both skipped.
        assert_eq!(
            patron("06-28").deadline(date(2025, 5, 29), 30),
            date(2025, 6, 30)
        );
    }

    #[test]
    fn payment_due_dates_skip_saturdays_too() {
        let national = Calendar::national();
        let cases = [
            (date(2024, 6, 16), date(2024, 6, 17)), // IMU, Sunday
            (date(2025, 8, 16), date(2025, 8, 18)), // Saturday after Ferragosto
            (date(2025, 12, 16), date(2025, 12, 16)),
            (date(2025, 4, 19), date(2025, 4, 22)), // Saturday, Easter, Easter Monday
        ];
        for (due, expected) in cases {
            assert_eq!(national.payment_due(due), expected, "{due}");
        }
    }

    #[test]
    fn month_day_parsing() {
        let ok = [
            ("06-24", 6, 24),
            ("01-01", 1, 1),
            ("02-29", 2, 29),
            ("12-31", 12, 31),
        ];
        for (text, month, day) in ok {
            let parsed = MonthDay::parse(text).unwrap();
            assert_eq!((parsed.month(), parsed.day()), (month, day));
            assert_eq!(parsed.to_string(), text);
        }
        let format_errors = [
            "6-24", "0624", "06/24", "06-24-", "", "aa-bb", "+6-24", "06-4",
        ];
        for text in format_errors {
            assert!(
                matches!(MonthDay::parse(text), Err(MonthDayError::Format(_))),
                "{text:?}"
            );
        }
        let range_errors = ["00-10", "13-01", "02-30", "04-31", "06-00"];
        for text in range_errors {
            assert!(
                matches!(MonthDay::parse(text), Err(MonthDayError::OutOfRange { .. })),
                "{text:?}"
            );
        }
    }

    #[test]
    fn calendar_serde() {
        let calendar: Calendar = toml::from_str("patron_day = \"06-24\"").unwrap();
        assert_eq!(calendar, patron("06-24"));
        assert_eq!(
            toml::from_str::<Calendar>("").unwrap(),
            Calendar::national()
        );
        assert!(toml::from_str::<Calendar>("patron_day = \"24-06\"").is_err());
        assert!(toml::from_str::<Calendar>("patron = \"06-24\"").is_err());
        let value = toml::Value::try_from(&calendar).unwrap();
        assert_eq!(
            value.get("patron_day").and_then(|v| v.as_str()),
            Some("06-24")
        );
        assert_eq!(value.try_into::<Calendar>().unwrap(), calendar);
    }

    #[test]
    fn local_date_is_reckoned_in_rome() {
        let cases = [
            // 23:30 UTC in winter is 00:30 of the next day in Rome (CET, +1).
            ("2025-01-14T23:30:00Z", date(2025, 1, 15)),
            ("2025-01-14T22:59:59Z", date(2025, 1, 14)),
            // In summer (CEST, +2) the day starts at 22:00 UTC.
            ("2025-07-14T22:00:00Z", date(2025, 7, 15)),
            ("2025-07-14T21:59:59Z", date(2025, 7, 14)),
            // New Year's Eve: a submission at 23:30 UTC belongs to the new year's register.
            ("2025-12-31T23:30:00Z", date(2026, 1, 1)),
        ];
        for (instant, expected) in cases {
            let ts: Timestamp = instant.parse().unwrap();
            assert_eq!(local_date(ts), expected, "{instant}");
        }
    }

    #[test]
    fn day_arithmetic_saturates() {
        assert_eq!(add_days(date(2025, 1, 1), 31), date(2025, 2, 1));
        assert_eq!(add_days(date(2025, 1, 1), -1), date(2024, 12, 31));
        assert_eq!(add_days(Date::MAX, 1), Date::MAX);
        assert_eq!(add_days(date(2025, 1, 1), i64::MAX), Date::MAX);
        assert_eq!(
            Calendar::national().deadline(Date::MAX, u32::MAX),
            Date::MAX
        );
        assert_eq!(days_between(date(2025, 1, 1), date(2025, 3, 1)), 59);
        assert_eq!(days_between(date(2025, 3, 1), date(2025, 1, 1)), -59);
    }
}
