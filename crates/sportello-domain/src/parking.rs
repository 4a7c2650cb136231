//! Resident parking permits (Codice della strada art. 7 c. 11: the comune may reserve parking
//! to residents, free or for a fee). No national rule fixes the details, so the comune file
//! sets them: the zones, how many permits a household may hold, which vehicle titles count,
//! how long a permit lasts, what it costs and when to remind its holder to renew.

use crate::assessment::Validity;
use crate::fees::{FeeBreakdown, Line, PerMille, both, same};
use crate::streets::Street;
use crate::tenant_file::Issues;
use crate::text::LocalizedText;
use crate::{Cents, Slug, calendar};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// The comune's resident parking rules (`[parking]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParkingRules {
    pub zones: Vec<ParkingZone>,
    /// The most permits one household (*nucleo familiare*) may hold at once.
    pub max_permits_per_household: u8,
    pub validity: Validity,
    /// The fee of the household's first permit, in cents; 0 is free.
    #[serde(default)]
    pub fee: Cents,
    /// The fee of the second and further permits of a household, when different.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub further_permit_fee: Option<Cents>,
    /// The fee for people who live in the zone without residence there (*dimoranti*: students
    /// and workers with a registered tenancy), when the comune admits them; answer
    /// `residence_kind = "dweller"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dweller_fee: Option<Cents>,
    /// The reduction for fully electric vehicles, in thousandths of the fee (`500` halves
    /// it); answer `electric_vehicle` ticked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub electric_discount: Option<PerMille>,
    /// The most permits of a household with a private garage or parking space in the zone;
    /// answer `private_parking = "yes"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_permits_with_private_parking: Option<u8>,
    /// Days before expiry when the holder is reminded to renew.
    #[serde(default = "thirty")]
    pub renewal_reminder_days: u16,
    /// On what basis a vehicle may be used for a permit.
    pub vehicle_titles: Vec<VehicleTitle>,
}

fn thirty() -> u16 {
    30
}

/// A resident parking zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParkingZone {
    pub id: Slug,
    pub name: LocalizedText,
}

/// On what basis the household uses the vehicle (the `vehicle_title` answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VehicleTitle {
    /// Owned by a member of the household.
    Owned,
    /// Leased (*leasing*) by a member of the household.
    Leased,
    /// A company car assigned for the exclusive use of a member of the household.
    Company,
    /// Long-term rental (*noleggio a lungo termine*).
    Rental,
    /// Free loan (*comodato d'uso*) recorded on the registration document.
    Loan,
}

impl VehicleTitle {
    pub const ALL: [VehicleTitle; 5] = [
        VehicleTitle::Owned,
        VehicleTitle::Leased,
        VehicleTitle::Company,
        VehicleTitle::Rental,
        VehicleTitle::Loan,
    ];

    /// The value stored in answers.
    pub fn as_str(self) -> &'static str {
        match self {
            VehicleTitle::Owned => "owned",
            VehicleTitle::Leased => "leased",
            VehicleTitle::Company => "company",
            VehicleTitle::Rental => "rental",
            VehicleTitle::Loan => "loan",
        }
    }

    pub fn parse(value: &str) -> Option<VehicleTitle> {
        VehicleTitle::ALL.into_iter().find(|t| t.as_str() == value)
    }

    pub fn label(self) -> LocalizedText {
        match self {
            VehicleTitle::Owned => both("Proprietà", "Owned"),
            VehicleTitle::Leased => both("Leasing", "Leasing"),
            VehicleTitle::Company => both(
                "Veicolo aziendale in uso esclusivo",
                "Company car for exclusive use",
            ),
            VehicleTitle::Rental => both("Noleggio a lungo termine", "Long-term rental"),
            VehicleTitle::Loan => both("Comodato d'uso", "Free loan"),
        }
    }
}

/// `50%`, `33,3%`.
fn percent(share: PerMille) -> String {
    match share.get() % 10 {
        0 => format!("{}%", share.get() / 10),
        tenth => format!("{},{tenth}%", share.get() / 10),
    }
}

/// What a permit's fee depends on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeeCase {
    /// How many permits the household already holds besides this one (0 for the first).
    pub rank: u32,
    /// A *dimorante*, living in the zone without residence there.
    pub dweller: bool,
    /// A fully electric vehicle.
    pub electric: bool,
}

/// The household already holds as many permits as the comune allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the household already holds {held} permits, the most allowed is {max}")]
pub struct HouseholdLimitReached {
    pub held: u32,
    pub max: u8,
}

impl HouseholdLimitReached {
    pub fn message(&self) -> LocalizedText {
        LocalizedText {
            it: format!(
                "Il tuo nucleo familiare ha già {} permessi di sosta: il massimo consentito è {}.",
                self.held, self.max
            ),
            en: Some(format!(
                "Your household already holds {} parking permits: the most allowed is {}.",
                self.held, self.max
            )),
        }
    }
}

impl ParkingRules {
    pub fn zone(&self, id: &str) -> Option<&ParkingZone> {
        self.zones.iter().find(|z| z.id.as_str() == id)
    }

    pub fn accepts(&self, title: VehicleTitle) -> bool {
        self.vehicle_titles.contains(&title)
    }

    /// Whether a household already holding `held` permits, besides the one asked for or
    /// renewed, may have one more.
    pub fn check_household(
        &self,
        held: u32,
        private_parking: bool,
    ) -> Result<(), HouseholdLimitReached> {
        let max = match self.max_permits_with_private_parking {
            Some(max) if private_parking => max.min(self.max_permits_per_household),
            _ => self.max_permits_per_household,
        };
        if held.saturating_add(1) > u32::from(max) {
            Err(HouseholdLimitReached { held, max })
        } else {
            Ok(())
        }
    }

    /// The fee of a permit, with its lines; `None` when the permit is free.
    pub fn fee_for(&self, case: FeeCase) -> Option<FeeBreakdown> {
        let (fee, it, en) = match (case.dweller, self.dweller_fee, self.further_permit_fee) {
            (true, Some(fee), _) => (
                fee,
                "non residente dimorante".to_owned(),
                "non-resident dweller".to_owned(),
            ),
            (_, _, Some(further)) if case.rank >= 1 => (
                further,
                format!("{}° permesso del nucleo familiare", case.rank + 1),
                format!("permit no. {} of the household", case.rank + 1),
            ),
            (_, _, Some(_)) => (
                self.fee,
                "1° permesso del nucleo familiare".to_owned(),
                "first permit of the household".to_owned(),
            ),
            _ => (self.fee, "tariffa unica".to_owned(), "flat fee".to_owned()),
        };
        let mut lines = vec![Line::new(
            both("Tariffa del permesso", "Permit fee"),
            LocalizedText {
                it: format!("{} ({it})", fee.to_italian_string()),
                en: Some(format!("{} ({en})", fee.to_italian_string())),
            },
        )];
        let mut total = fee;
        if let Some(discount) = self.electric_discount.filter(|_| case.electric) {
            // Half a cent rounds up, as in every fee.
            let off = (i128::from(fee.get()) * i128::from(discount.get()) * 2 + 1000) / 2000;
            let off = Cents::new(i64::try_from(off).unwrap_or(0));
            total = Cents::new(fee.get() - off.get());
            lines.push(Line::new(
                both(
                    "Riduzione per veicolo elettrico",
                    "Electric vehicle reduction",
                ),
                same(format!(
                    "−{} ({})",
                    off.to_italian_string(),
                    percent(discount)
                )),
            ));
        }
        if total <= Cents::ZERO {
            return None;
        }
        lines.push(Line::new(
            both("Totale da pagare", "Total to pay"),
            same(total.to_italian_string()),
        ));
        Some(FeeBreakdown { lines, total })
    }

    /// The last day of validity of a permit issued on `from`.
    pub fn valid_until(&self, from: Date) -> Option<Date> {
        self.validity.fixed_until(from)
    }

    /// The day the holder of a permit expiring on `valid_until` is reminded to renew.
    pub fn renewal_reminder(&self, valid_until: Date) -> Date {
        calendar::add_days(valid_until, -i64::from(self.renewal_reminder_days))
    }

    pub(crate) fn validate(&self, key: &str, streets: &[Street], issues: &mut Issues) {
        let mut ids = HashSet::new();
        if self.zones.is_empty() {
            issues.push(format!("{key}.zones"), "needs at least one zone");
        }
        for (i, zone) in self.zones.iter().enumerate() {
            let item = format!("{key}.zones[{i}] ({})", zone.id);
            if !ids.insert(zone.id.as_str()) {
                issues.push(format!("{item}.id"), "is used by another zone");
            }
            issues.require_localized(&format!("{item}.name"), &zone.name);
        }
        if self.max_permits_per_household == 0 {
            issues.push(
                format!("{key}.max_permits_per_household"),
                "must be at least 1",
            );
        }
        self.validity.validate(&format!("{key}.validity"), issues);
        if matches!(self.validity, Validity::RequestedDays(_)) {
            issues.push(
                format!("{key}.validity"),
                "a resident permit lasts a fixed time: use days, months, years or \"end-of-year\"",
            );
        }
        for (name, fee) in [
            ("fee", Some(self.fee)),
            ("further_permit_fee", self.further_permit_fee),
            ("dweller_fee", self.dweller_fee),
        ] {
            if fee.is_some_and(|f| f < Cents::ZERO) {
                issues.push(format!("{key}.{name}"), "must not be negative");
            }
        }
        if self.electric_discount.is_some_and(|d| d.get() > 1000) {
            issues.push(
                format!("{key}.electric_discount"),
                "is in thousandths of the fee: at most 1000",
            );
        }
        if self
            .max_permits_with_private_parking
            .is_some_and(|max| max == 0 || max > self.max_permits_per_household)
        {
            issues.push(
                format!("{key}.max_permits_with_private_parking"),
                "must be between 1 and max_permits_per_household",
            );
        }
        if self.vehicle_titles.is_empty() {
            issues.push(
                format!("{key}.vehicle_titles"),
                "needs at least one vehicle title",
            );
        }
        let titles: HashSet<VehicleTitle> = self.vehicle_titles.iter().copied().collect();
        if titles.len() != self.vehicle_titles.len() {
            issues.push(format!("{key}.vehicle_titles"), "lists a title twice");
        }
        for (i, street) in streets.iter().enumerate() {
            let street_key = format!("streets[{i}] ({})", street.id);
            if let Some(zone) = &street.parking_zone
                && !ids.contains(zone.as_str())
            {
                issues.push(
                    format!("{street_key}.parking_zone"),
                    format!("no [[{key}.zones]] has id '{zone}'"),
                );
            }
            for (s, segment) in street.segments.iter().enumerate() {
                if let Some(zone) = &segment.parking_zone
                    && !ids.contains(zone.as_str())
                {
                    issues.push(
                        format!("{street_key}.segments[{s}].parking_zone"),
                        format!("no [[{key}.zones]] has id '{zone}'"),
                    );
                }
            }
        }
        let unused: Vec<&str> = self
            .zones
            .iter()
            .map(|z| z.id.as_str())
            .filter(|id| {
                !streets.iter().any(|s| {
                    s.parking_zone.as_ref().is_some_and(|z| z.as_str() == *id)
                        || s.segments
                            .iter()
                            .any(|g| g.parking_zone.as_ref().is_some_and(|z| z.as_str() == *id))
                })
            })
            .collect();
        if !unused.is_empty() {
            issues.push(
                format!("{key}.zones"),
                format!(
                    "no street is in zone(s) {}: no address could ever get a permit there",
                    unused.join(", ")
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    const RULES: &str = r#"
max_permits_per_household = 2
validity = { months = 12 }
fee = 3000
further_permit_fee = 6000
vehicle_titles = ["owned", "leased", "company", "loan"]

[[zones]]
id = "a"
name = { it = "Zona A – Centro storico", en = "Zone A – Historic centre" }

[[zones]]
id = "b"
name = { it = "Zona B – Borgo Stazione", en = "Zone B – Station quarter" }
"#;

    const STREETS: &str = r#"
[[streets]]
id = "via-roma"
name = "Via Roma"
road_category = "cat-1"
parking_zone = "a"

[[streets]]
id = "viale-della-stazione"
name = "Viale della Stazione"
road_category = "cat-2"

[[streets.segments]]
from = 1
parking_zone = "b"
"#;

    #[derive(Deserialize)]
    struct Streets {
        streets: Vec<Street>,
    }

    fn rules() -> ParkingRules {
        toml::from_str(RULES).unwrap_or_else(|e| panic!("{e}"))
    }

    fn streets() -> Vec<Street> {
        toml::from_str::<Streets>(STREETS).unwrap().streets
    }

    #[test]
    fn the_household_limit_counts_the_permits_already_held() {
        let rules = ParkingRules {
            max_permits_with_private_parking: Some(1),
            ..rules()
        };
        let cases = [
            (0, false, true),
            (1, false, true),
            (2, false, false),
            (5, false, false),
            (0, true, true),
            (1, true, false),
        ];
        for (held, private_parking, allowed) in cases {
            let result = rules.check_household(held, private_parking);
            assert_eq!(result.is_ok(), allowed, "{held} {private_parking}");
        }
        let error = rules.check_household(2, false).err();
        assert_eq!(
            error.map(|e| e.message().it),
            Some(
                "Il tuo nucleo familiare ha già 2 permessi di sosta: il massimo consentito è 2."
                    .to_owned()
            )
        );
        let error = rules.check_household(1, true).err();
        assert!(error.is_some_and(|e| e.message().it.ends_with("il massimo consentito è 1.")));
    }

    #[test]
    fn fees_by_rank_residence_and_engine() {
        // Valdoro: €40 the first, €90 the others, €120 for dwellers, half for electric cars.
        let rules = ParkingRules {
            fee: Cents::new(4000),
            further_permit_fee: Some(Cents::new(9000)),
            dweller_fee: Some(Cents::new(12_000)),
            electric_discount: Some(PerMille(500)),
            ..rules()
        };
        let case = |rank, dweller, electric| FeeCase {
            rank,
            dweller,
            electric,
        };
        let cases = [
            (case(0, false, false), Some(4000)),
            (case(1, false, false), Some(9000)),
            (case(3, false, false), Some(9000)),
            (case(0, true, false), Some(12_000)),
            (case(1, true, false), Some(12_000)),
            (case(0, false, true), Some(2000)),
            (case(1, true, true), Some(6000)),
        ];
        for (case, total) in cases {
            assert_eq!(
                rules.fee_for(case).map(|f| f.total.get()),
                total,
                "{case:?}"
            );
        }
        let lines = rules
            .fee_for(case(1, false, true))
            .map(|f| f.lines)
            .unwrap_or_default();
        let lines: Vec<(&str, &str)> = lines
            .iter()
            .map(|l| (l.label.it.as_str(), l.value.it.as_str()))
            .collect();
        assert_eq!(
            lines,
            [
                (
                    "Tariffa del permesso",
                    "€ 90,00 (2° permesso del nucleo familiare)"
                ),
                ("Riduzione per veicolo elettrico", "−€ 45,00 (50%)"),
                ("Totale da pagare", "€ 45,00"),
            ]
        );
        // 33,3% off €40 is €13,32; 12,5% off €0,20 is 2,5 cents, rounded up to 3.
        let third = ParkingRules {
            electric_discount: Some(PerMille(333)),
            ..rules.clone()
        };
        assert_eq!(
            third.fee_for(case(0, false, true)).map(|f| f.total.get()),
            Some(4000 - 1332)
        );
        let eighth = ParkingRules {
            fee: Cents::new(20),
            further_permit_fee: None,
            electric_discount: Some(PerMille(125)),
            ..rules.clone()
        };
        let lines = eighth
            .fee_for(case(0, false, true))
            .map(|f| f.lines)
            .unwrap_or_default();
        assert_eq!(lines[1].value.it, "−€ 0,03 (12,5%)");
        assert_eq!(lines[2].value.it, "€ 0,17");
        let flat = ParkingRules {
            further_permit_fee: None,
            ..rules.clone()
        };
        assert_eq!(
            flat.fee_for(case(3, false, false)).map(|f| f.total.get()),
            Some(4000)
        );
        let free = ParkingRules {
            fee: Cents::ZERO,
            further_permit_fee: None,
            dweller_fee: None,
            ..rules
        };
        assert_eq!(free.fee_for(case(0, false, false)), None);
    }

    #[test]
    fn validity_and_reminder_dates() {
        let rules = rules();
        let cases = [
            // 12 months end on the corresponding day (c.c. art. 2963).
            (date(2025, 3, 15), date(2026, 3, 15), date(2026, 2, 13)),
            // No 29 February in 2025: the last day of the month.
            (date(2024, 2, 29), date(2025, 2, 28), date(2025, 1, 29)),
            (date(2025, 1, 1), date(2026, 1, 1), date(2025, 12, 2)),
        ];
        for (from, until, reminder) in cases {
            assert_eq!(rules.valid_until(from), Some(until), "{from}");
            assert_eq!(rules.renewal_reminder(until), reminder, "{from}");
        }
        let yearly = ParkingRules {
            validity: Validity::EndOfYear,
            ..rules
        };
        assert_eq!(
            yearly.valid_until(date(2025, 12, 31)),
            Some(date(2025, 12, 31))
        );
        assert_eq!(
            yearly.valid_until(date(2025, 3, 1)),
            Some(date(2025, 12, 31))
        );
    }

    #[test]
    fn vehicle_titles_are_read_from_answers() {
        let rules = rules();
        assert_eq!(VehicleTitle::parse("company"), Some(VehicleTitle::Company));
        assert_eq!(VehicleTitle::parse("stolen"), None);
        assert!(rules.accepts(VehicleTitle::Loan));
        assert!(!rules.accepts(VehicleTitle::Rental));
        for title in VehicleTitle::ALL {
            assert_eq!(VehicleTitle::parse(title.as_str()), Some(title));
            assert!(title.label().en.is_some());
        }
    }

    #[test]
    fn validation_checks_the_zones_of_the_streets() {
        let mut issues = Issues(Vec::new());
        rules().validate("parking", &streets(), &mut issues);
        assert!(issues.0.is_empty(), "{:?}", issues.0);

        let mut streets = streets();
        streets[0].parking_zone = Slug::parse("z").ok();
        let mut broken = rules();
        broken.max_permits_per_household = 0;
        broken.vehicle_titles.push(VehicleTitle::Owned);
        broken.validity = Validity::RequestedDays(5);
        let mut issues = Issues(Vec::new());
        broken.validate("parking", &streets, &mut issues);
        let keys: Vec<&str> = issues.0.iter().map(|i| i.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "parking.max_permits_per_household",
                "parking.validity",
                "parking.vehicle_titles",
                "streets[0] (via-roma).parking_zone",
                "parking.zones",
            ]
        );
        assert!(
            issues.0[4].message.contains(" a:"),
            "{}",
            issues.0[4].message
        );
    }
}
