//! What a request owes and what permit it would produce, by the built-in rules of its
//! procedure kind and the comune's local rules.
//!
//! [`assess`] reads the answers by the ids of the field-id contract (see `docs/tenant-data.md`),
//! checks the rules that span several fields — an occupation that ends before it starts, an
//! address outside every parking zone, a household at its limit, a third plate on a CUDE — and
//! says each problem next to its field in Italian and English. On success it gives the fee with
//! every factor and the terms of the permit: validity, plates, zones, time windows and the
//! lines the permit document shows. The terms never carry health data: a CUDE shows its
//! validity and nothing of why it was granted.
//!
//! Stamp duty is not here: whether a request and its permit owe it is part of each service's
//! procedure in the comune file.
//!
//! Validity periods follow the civil-law count the rest of Sportello uses (c.c. art. 2963):
//! a permit of 12 months issued on 15 March expires on 15 March of the next year, on the last
//! day of the month when that day does not exist; a permit of N days covers N calendar days,
//! the first included.

mod badge;
mod occupation;
mod parking;
mod reader;
mod ztl;

use crate::fees::{FeeBreakdown, Line};
use crate::form::{Answers, FieldError, format_date};
use crate::local_rules::LocalRules;
use crate::plate::Plate;
use crate::procedure::ProcedureKind;
use crate::tenant_file::Issues;
use crate::text::LocalizedText;
use crate::ztl::{TimeWindow, ZtlAuthorisation};
use crate::{Cents, Slug, calendar};
use jiff::ToSpan;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// What a request owes and the permit it would produce.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    /// The fee with its factors; `None` when nothing is owed or when the office sets it.
    pub fee: Option<FeeBreakdown>,
    pub fee_total: Cents,
    /// The place of an occupation was described in words rather than picked from the street
    /// list, so its road category, and the fee, are for the office to set.
    pub fee_set_by_office: bool,
    pub permit: PermitTerms,
    /// The resident parking zone derived from the address.
    pub zone: Option<Slug>,
}

/// The terms of the permit a request would produce, as the permit document, the
/// verification page and the ZTL whitelist show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermitTerms {
    pub valid_from: Date,
    /// The last day of validity, included; `None` when it does not expire.
    pub valid_until: Option<Date>,
    pub plates: Vec<Plate>,
    /// Parking zone (resident parking) or ZTL zones (ZTL access, CUDE) covered.
    pub zones: Vec<Slug>,
    /// When the permit authorises transit; empty means at any time.
    pub windows: Vec<TimeWindow>,
    /// When to remind the holder to renew.
    pub renewal_reminder: Option<Date>,
    /// What the permit document shows besides its validity, in order.
    pub lines: Vec<Line>,
}

impl PermitTerms {
    fn from(valid_from: Date) -> PermitTerms {
        PermitTerms {
            valid_from,
            valid_until: None,
            plates: Vec::new(),
            zones: Vec::new(),
            windows: Vec::new(),
            renewal_reminder: None,
            lines: Vec::new(),
        }
    }

    /// What the ZTL gates must let through for a permit of this kind: a ZTL permit, or the
    /// plates linked to a CUDE (every zone, at any time). `None` for other kinds or without
    /// plates.
    pub fn ztl_authorisation(&self, kind: ProcedureKind) -> Option<ZtlAuthorisation> {
        let gates = matches!(
            kind,
            ProcedureKind::ZtlAccess | ProcedureKind::DisabledBadge
        );
        (gates && !self.plates.is_empty() && !self.zones.is_empty()).then(|| ZtlAuthorisation {
            plates: self.plates.clone(),
            zones: self.zones.clone(),
            windows: self.windows.clone(),
            valid_from: self.valid_from,
            valid_until: self.valid_until,
        })
    }
}

/// How long a permit lasts. In the comune file: `{ days = 1 }`, `{ months = 12 }`,
/// `{ years = 5 }`, `"end-of-year"` (until 31 December of the year of issue), or
/// `{ requested-days = 20 }` (the dates the citizen asks for, at most this many days).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Validity {
    Days(u16),
    Months(u16),
    Years(u8),
    EndOfYear,
    RequestedDays(u16),
}

impl Validity {
    /// The last day of validity of a permit starting on `from`; `None` when the citizen
    /// chooses the dates.
    pub fn fixed_until(self, from: Date) -> Option<Date> {
        let saturating = |result: Result<Date, jiff::Error>| result.unwrap_or(Date::MAX);
        match self {
            Validity::Days(days) => Some(calendar::add_days(from, i64::from(days) - 1)),
            Validity::Months(months) => {
                Some(saturating(from.checked_add(i32::from(months).months())))
            }
            Validity::Years(years) => Some(saturating(from.checked_add(i32::from(years).years()))),
            Validity::EndOfYear => Some(from.last_of_year()),
            Validity::RequestedDays(_) => None,
        }
    }

    /// "12 mesi dal rilascio", "fino al 31 dicembre".
    pub fn describe(self) -> LocalizedText {
        let (it, en) = match self {
            Validity::Days(1) => ("1 giorno".to_owned(), "1 day".to_owned()),
            Validity::Days(n) => (format!("{n} giorni"), format!("{n} days")),
            Validity::Months(1) => ("1 mese".to_owned(), "1 month".to_owned()),
            Validity::Months(n) => (format!("{n} mesi"), format!("{n} months")),
            Validity::Years(1) => ("1 anno".to_owned(), "1 year".to_owned()),
            Validity::Years(n) => (format!("{n} anni"), format!("{n} years")),
            Validity::EndOfYear => (
                "fino al 31 dicembre dell'anno di rilascio".to_owned(),
                "until 31 December of the year of issue".to_owned(),
            ),
            Validity::RequestedDays(n) => (
                format!("i giorni richiesti, al massimo {n}"),
                format!("the days requested, at most {n}"),
            ),
        };
        LocalizedText { it, en: Some(en) }
    }

    pub(crate) fn validate(self, key: &str, issues: &mut Issues) {
        let zero = match self {
            Validity::Days(n) | Validity::Months(n) | Validity::RequestedDays(n) => n == 0,
            Validity::Years(n) => n == 0,
            Validity::EndOfYear => false,
        };
        if zero {
            issues.push(key, "must be at least 1");
        }
    }
}

/// A first request or the renewal of a permit (the `request_type` answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RequestType {
    First,
    Renewal,
}

impl RequestType {
    pub fn parse(value: &str) -> Option<RequestType> {
        match value {
            "first" => Some(RequestType::First),
            "renewal" => Some(RequestType::Renewal),
            _ => None,
        }
    }
}

/// What a request of this kind owes and what permit it would produce, given its answers, the
/// comune's rules and today's date in Rome.
pub fn assess(
    kind: ProcedureKind,
    answers: &Answers,
    rules: &LocalRules,
    today: Date,
) -> Result<Assessment, Vec<FieldError>> {
    match kind {
        ProcedureKind::Generic => Ok(Assessment {
            fee: None,
            fee_total: Cents::ZERO,
            fee_set_by_office: false,
            permit: PermitTerms::from(today),
            zone: None,
        }),
        ProcedureKind::PublicLandOccupation => occupation::assess(answers, rules, today),
        ProcedureKind::ResidentParking => parking::assess(answers, rules, today),
        ProcedureKind::DisabledBadge => badge::assess(answers, rules, today),
        ProcedureKind::ZtlAccess => ztl::assess(answers, rules, today),
    }
}

/// "dal 01/03/2025 al 20/03/2025".
fn period(from: Date, until: Date) -> LocalizedText {
    LocalizedText {
        it: format!("dal {} al {}", format_date(from), format_date(until)),
        en: Some(format!(
            "from {} to {}",
            format_date(from),
            format_date(until)
        )),
    }
}

fn with_fee(fee: Option<FeeBreakdown>) -> (Option<FeeBreakdown>, Cents) {
    let total = fee.as_ref().map_or(Cents::ZERO, |f| f.total);
    (fee.filter(|f| f.total > Cents::ZERO), total)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use jiff::civil::date;

    /// The local rules of a small comune, for the tests of every procedure kind.
    pub(crate) const RULES: &str = r#"
[[streets]]
id = "via-roma"
name = "Via Roma"
road_category = "cat-1"
parking_zone = "a"
ztl_zone = "centro"

[[streets]]
id = "viale-stazione"
name = "Viale della Stazione"
road_category = "cat-2"
parking_zone = "b"

[[streets.segments]]
from = 60
parking_zone = "c"

[[streets]]
id = "via-dei-campi"
name = "Via dei Campi"
road_category = "cat-2"

[canone]
[[canone.road_categories]]
id = "cat-1"
name = { it = "Categoria 1", en = "Category 1" }

[[canone.road_categories]]
id = "cat-2"
name = { it = "Categoria 2", en = "Category 2" }

[[canone.occupation_kinds]]
id = "ponteggio"
name = { it = "Ponteggio", en = "Scaffolding" }

[[canone.occupation_kinds]]
id = "trasloco"
name = { it = "Trasloco", en = "House move" }
basis = "daily"
hourly = { hours_per_day = 24, minimum_hours = 4 }

[[canone.tariffs]]
valid_from = 2021-01-01
daily_per_m2 = "0.70"
annual_per_m2 = "40.00"
minimum = 1000
road_coefficients = { cat-1 = 1000, cat-2 = 700 }
kind_coefficients = { ponteggio = 1000, trasloco = 500 }

[parking]
max_permits_per_household = 2
validity = { months = 12 }
fee = 3000
further_permit_fee = 6000
dweller_fee = 9000
electric_discount = 500
max_permits_with_private_parking = 1
renewal_reminder_days = 30
vehicle_titles = ["owned", "leased", "company"]

[[parking.zones]]
id = "a"
name = { it = "Zona A – Centro", en = "Zone A – Centre" }

[[parking.zones]]
id = "b"
name = { it = "Zona B – Stazione", en = "Zone B – Station" }

[[parking.zones]]
id = "c"
name = { it = "Zona C – Stazione Sud", en = "Zone C – Station South" }

[ztl]
renewal_reminder_days = 30

[[ztl.zones]]
id = "centro"
name = { it = "ZTL Centro", en = "Centre ZTL" }
windows = [{ from = "08:00", to = "20:00" }]

[[ztl.zones]]
id = "borgo"
name = { it = "ZTL Borgo", en = "Borgo ZTL" }
windows = [{ days = ["mon", "tue", "wed", "thu", "fri", "sat"], from = "00:00", to = "24:00" }]

[[ztl.categories]]
id = "residenti"
kind = "resident"
name = { it = "Residenti", en = "Residents" }
zones = ["centro", "borgo"]
max_plates = 2
validity = { months = 12 }
fee = 2000
fee_per = "plate"

[[ztl.categories]]
id = "cude"
kind = "disabled-badge"
name = { it = "Titolari di CUDE", en = "CUDE holders" }
zones = "all"
max_plates = 2
validity = { requested-days = 1827 }

[[ztl.categories]]
id = "carico-scarico"
kind = "delivery"
name = { it = "Carico e scarico", en = "Loading and unloading" }
zones = ["centro"]
windows = [{ days = ["mon", "tue", "wed", "thu", "fri", "sat"], from = "06:00", to = "10:00" }]
max_plates = 3
validity = "end-of-year"
fee = 10000
fee_per = "plate"
further_plate_fee = 5000

[[ztl.categories]]
id = "giornaliero"
kind = "temporary"
name = { it = "Giornaliero", en = "Daily" }
zones = ["centro"]
max_plates = 1
validity = { requested-days = 7 }
fee = 500
fee_per = "day"
backdate_days = 1

[[ztl.categories]]
id = "settimanale"
kind = "temporary"
name = { it = "Settimanale", en = "Weekly" }
zones = ["centro"]
max_plates = 1
validity = { days = 7 }
fee = 2000
"#;

    pub(crate) fn rules() -> LocalRules {
        toml::from_str(RULES).unwrap_or_else(|e| panic!("{e}"))
    }

    pub(crate) fn answers(pairs: &[(&str, &str)]) -> Answers {
        let mut answers = Answers::new();
        for (field, value) in pairs {
            let mut values = answers
                .all(field)
                .iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>();
            values.push((*value).to_owned());
            answers.set(*field, values);
        }
        answers
    }

    /// The fields of the errors, in order.
    pub(crate) fn fields(result: &Result<Assessment, Vec<FieldError>>) -> Vec<&str> {
        match result {
            Ok(_) => Vec::new(),
            Err(errors) => errors.iter().map(|e| e.field.as_str()).collect(),
        }
    }

    pub(crate) const TODAY: Date = date(2025, 5, 5);

    /// Answers as field–value pairs, and the fields of the expected errors, for the tables.
    pub(crate) type Pairs = &'static [(&'static str, &'static str)];
    pub(crate) type Fields = &'static [&'static str];

    #[test]
    fn the_test_rules_are_valid() {
        let rules = rules();
        let mut issues = Issues(Vec::new());
        rules.validate(&mut issues);
        crate::streets::validate_references(&rules, "streets", &mut issues);
        assert!(issues.0.is_empty(), "{:?}", issues.0);
    }

    #[test]
    fn validity_periods_end_on_the_corresponding_day() {
        let cases = [
            (Validity::Days(1), date(2025, 5, 5), Some(date(2025, 5, 5))),
            (Validity::Days(7), date(2025, 5, 5), Some(date(2025, 5, 11))),
            (
                Validity::Months(12),
                date(2025, 5, 5),
                Some(date(2026, 5, 5)),
            ),
            (
                Validity::Months(1),
                date(2025, 1, 31),
                Some(date(2025, 2, 28)),
            ),
            (
                Validity::Years(5),
                date(2024, 2, 29),
                Some(date(2029, 2, 28)),
            ),
            (Validity::Years(5), date(2025, 5, 5), Some(date(2030, 5, 5))),
            (
                Validity::EndOfYear,
                date(2025, 5, 5),
                Some(date(2025, 12, 31)),
            ),
            (
                Validity::EndOfYear,
                date(2025, 12, 31),
                Some(date(2025, 12, 31)),
            ),
            (Validity::RequestedDays(7), date(2025, 5, 5), None),
            (Validity::Years(5), date(9998, 1, 1), Some(Date::MAX)),
        ];
        for (validity, from, until) in cases {
            assert_eq!(validity.fixed_until(from), until, "{validity:?} {from}");
        }
    }

    #[test]
    fn validity_is_written_in_the_comune_file_compactly() {
        #[derive(Deserialize)]
        struct Holder {
            v: Validity,
        }
        let cases = [
            ("v = { days = 1 }", Validity::Days(1)),
            ("v = { months = 12 }", Validity::Months(12)),
            ("v = { years = 5 }", Validity::Years(5)),
            ("v = \"end-of-year\"", Validity::EndOfYear),
            ("v = { requested-days = 20 }", Validity::RequestedDays(20)),
        ];
        for (text, validity) in cases {
            let holder: Holder = toml::from_str(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(holder.v, validity);
            assert!(validity.describe().en.is_some());
        }
        assert!(toml::from_str::<Holder>("v = { weeks = 2 }").is_err());
    }

    /// The local rules of a demo comune file, read on their own so that these tests depend
    /// only on the sections they check.
    fn demo(text: &str) -> LocalRules {
        #[derive(Deserialize)]
        struct Sections {
            #[serde(default)]
            streets: Vec<crate::streets::Street>,
            canone: Option<crate::fees::canone::CanoneRules>,
            parking: Option<crate::parking::ParkingRules>,
            ztl: Option<crate::ztl::ZtlRules>,
        }
        let sections: Sections = toml::from_str(text).unwrap_or_else(|e| panic!("{e}"));
        let rules = LocalRules {
            streets: sections.streets,
            canone: sections.canone,
            parking: sections.parking,
            ztl: sections.ztl,
        };
        let mut issues = Issues(Vec::new());
        rules.validate(&mut issues);
        crate::streets::validate_references(&rules, "streets", &mut issues);
        assert!(issues.0.is_empty(), "{:?}", issues.0);
        assert!((15..=25).contains(&rules.streets.len()));
        assert_eq!(rules.canone.as_ref().map(|c| c.tariffs.len()), Some(2));
        rules
    }

    fn borgoverde() -> LocalRules {
        demo(include_str!("../../../../tenants/demo/borgoverde.toml"))
    }

    fn valdoro() -> LocalRules {
        demo(include_str!("../../../../tenants/demo/valdoro.toml"))
    }

    /// The examples printed in the demo comuni's service sheets ("Costi") come out of their
    /// tariffs.
    #[test]
    fn the_demo_tariffs_give_the_amounts_of_the_service_sheets() {
        use crate::fees::canone::{QuoteInput, quote};
        let (borgoverde, valdoro) = (borgoverde(), valdoro());
        let hours = |from: i8, to: i8| {
            Some((
                jiff::civil::Time::constant(from, 0, 0, 0),
                jiff::civil::Time::constant(to, 0, 0, 0),
            ))
        };
        let (b, v, d) = (&borgoverde, &valdoro, date);
        // (rules, category, kind, area, first day, days, times, total)
        #[rustfmt::skip]
        let cases = [
            // "12,4 m² of scaffolding in Via Roma for 20 days = 13 × 20 × €0,70 = €182,00".
            (b, "zona-1", "cantiere", 1240, d(2026, 3, 2), 20, None, 18_200),
            // "A one-day house move on 20 m² in zone 1 = €7,00, so you pay €10,00".
            (b, "zona-1", "trasloco", 2000, d(2026, 3, 2), 1, None, 1_000),
            // The version that ended on 31 December 2025 (10 × 30 × 0,70 × 0,60 × 0,50) and
            // the current one (10 × 30 × 0,70 × 0,70 × 0,80).
            (b, "zona-2", "dehors", 1000, d(2025, 6, 1), 30, None, 6_300),
            (b, "zona-2", "dehors", 1000, d(2026, 6, 1), 30, None, 11_760),
            // Valdoro's three examples: €1.411,20, €388,80, €6,91 raised to €20,00.
            (v, "categoria-1", "dehors", 1312, d(2026, 4, 1), 120, None, 141_120),
            (v, "categoria-2", "cantiere", 850, d(2026, 3, 2), 45, None, 38_880),
            (v, "categoria-2", "trasloco", 1800, d(2026, 3, 2), 1, None, 2_000),
            // 300 m² for 3 of 12 hours: 300 × 3/12 × 1,20 × 0,80 × 0,40 = 28,80.
            (v, "categoria-2", "trasloco", 30_000, d(2026, 3, 2), 1, hours(8, 11), 2_880),
        ];
        for (rules, category, kind, area, start, days, times, total) in cases {
            let canone = rules.canone.as_ref().unwrap_or_else(|| panic!("no canone"));
            let input = QuoteInput {
                road_category: category,
                occupation_kind: kind,
                area_hundredths_m2: area,
                start,
                end: calendar::add_days(start, days - 1),
                times,
            };
            let quote = quote(canone, &input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert_eq!(quote.total, Cents::new(total), "{input:?}");
        }
    }

    #[test]
    fn the_demo_streets_lead_to_their_parking_zones() {
        let (borgoverde, valdoro) = (borgoverde(), valdoro());
        let cases = [
            (&borgoverde, "via-roma", "12", Some("a")),
            (&borgoverde, "via-cavour", "13", Some("a")),
            (&borgoverde, "via-cavour", "14", Some("b")),
            (&borgoverde, "via-cavour", "27", Some("b")),
            (&borgoverde, "viale-della-stazione", "99", Some("b")),
            (&borgoverde, "viale-della-stazione", "120", None),
            (&borgoverde, "via-san-francesco", "12", None),
            (&valdoro, "viale-della-repubblica", "18", Some("zona-3")),
            (&valdoro, "viale-della-repubblica", "20", Some("zona-4")),
            (&valdoro, "via-garibaldi", "119", Some("zona-2")),
            (&valdoro, "via-garibaldi", "120", None),
        ];
        for (rules, street, number, zone) in cases {
            let found = crate::streets::parking_zone_for(&rules.streets, street, number);
            assert_eq!(found.map(Slug::as_str), zone, "{street} {number}");
        }
        // Every ZTL category of the demo comuni can be requested.
        for rules in [&borgoverde, &valdoro] {
            let ztl = rules.ztl.as_ref().unwrap_or_else(|| panic!("no ztl"));
            let kinds: std::collections::HashSet<_> =
                ztl.categories.iter().map(|c| c.kind).collect();
            assert!(kinds.len() >= 5, "{kinds:?}");
        }
    }

    #[test]
    fn a_generic_procedure_owes_nothing_here() {
        let assessment = assess(ProcedureKind::Generic, &Answers::new(), &rules(), TODAY);
        let assessment = assessment.unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(assessment.fee_total, Cents::ZERO);
        assert_eq!(assessment.permit.valid_from, TODAY);
        assert_eq!(
            assessment.permit.ztl_authorisation(ProcedureKind::Generic),
            None
        );
    }
}
