//! Permesso di sosta per residenti: the zone from the address, the household limit, the fee
//! and the validity.

use super::reader::Reader;
use super::{Assessment, PermitTerms, RequestType, with_fee};
use crate::fees::{Line, both, same};
use crate::form::{Answers, FieldError};
use crate::local_rules::LocalRules;
use crate::parking::{FeeCase, VehicleTitle};
use crate::streets::{self, HouseNumber};
use jiff::civil::Date;

pub(super) fn assess(
    answers: &Answers,
    rules: &LocalRules,
    today: Date,
) -> Result<Assessment, Vec<FieldError>> {
    let mut r = Reader::new(answers);
    let Some(parking) = rules.parking.as_ref() else {
        r.error(
            "street",
            "Il Comune non ha zone di sosta riservate ai residenti.",
            "The Comune has no resident parking zones.",
        );
        return Err(r.errors);
    };

    let street = r
        .required(
            "street",
            (
                "Scegli dall'elenco la via della tua residenza.",
                "Choose the street of your residence from the list.",
            ),
        )
        .and_then(|id| {
            let street = streets::find(&rules.streets, id);
            if street.is_none() {
                r.error(
                    "street",
                    "La via indicata non è nello stradario del Comune: sceglila dall'elenco.",
                    "The street is not in the Comune's street list: choose it from the list.",
                );
            }
            street
        });
    let number = r
        .required(
            "house_number",
            (
                "Indica il numero civico della tua residenza.",
                "Enter the house number of your residence.",
            ),
        )
        .and_then(|number| {
            let parsed = HouseNumber::parse(number).ok();
            if parsed.is_none() {
                r.error(
                    "house_number",
                    "Il numero civico non è valido: scrivilo come sulla targhetta, per esempio 12, 12/A o 12 bis.",
                    "The house number is not valid: write it as on the door, for example 12, 12/A or 12 bis.",
                );
            }
            parsed
        });
    let zone = match (street, &number) {
        (Some(street), Some(number)) => {
            let zone = street
                .parking_zone_at(number)
                .and_then(|id| parking.zone(id.as_str()));
            if zone.is_none() {
                // When part of the street is in a zone, the number is what is out of it.
                let field = if street.has_parking_zone() {
                    "house_number"
                } else {
                    "street"
                };
                r.error(
                    field,
                    "L'indirizzo non rientra in una zona di sosta residenti: il permesso si rilascia solo a chi risiede in una delle zone.",
                    "The address is not in a resident parking zone: the permit is issued only to people living in one of the zones.",
                );
            }
            zone
        }
        _ => None,
    };

    let plates = if r.optional("plate").is_some() {
        r.plates("plate")
    } else {
        r.error(
            "plate",
            "Inserisci la targa del veicolo.",
            "Enter the vehicle's number plate.",
        );
        Vec::new()
    };
    let title = r.choice(
        "vehicle_title",
        (
            "Indica a che titolo usi il veicolo.",
            "Say on what basis you use the vehicle.",
        ),
        VehicleTitle::parse,
    );
    if let Some(title) = title
        && !parking.accepts(title)
    {
        r.error(
            "vehicle_title",
            format!(
                "Il Comune non rilascia il permesso per i veicoli usati a questo titolo ({}).",
                title.label().it.to_lowercase()
            ),
            format!(
                "The Comune does not issue the permit for vehicles used on this basis ({}).",
                title.label().get(crate::Lang::En).to_lowercase()
            ),
        );
    }
    let request = r.choice(
        "request_type",
        (
            "Indica se è la prima richiesta o un rinnovo.",
            "Say whether this is a first request or a renewal.",
        ),
        RequestType::parse,
    );
    let held = r.count(
        "household_permits",
        (
            "Indica quanti permessi di sosta ha già il tuo nucleo familiare (0 se nessuno).",
            "Enter how many parking permits your household already holds (0 if none).",
        ),
    );
    let private_parking = r.optional("private_parking") == Some("yes");
    if let Some(held) = held
        && let Err(limit) = parking.check_household(held, private_parking)
    {
        let message = limit.message();
        r.error(
            "household_permits",
            message.it,
            message.en.unwrap_or_default(),
        );
    }
    let dweller = r.optional("residence_kind") == Some("dweller");
    if dweller && parking.dweller_fee.is_none() {
        r.error(
            "residence_kind",
            "Il Comune rilascia il permesso solo a chi ha la residenza nella zona.",
            "The Comune issues the permit only to people resident in the zone.",
        );
    }
    let electric = answers.is_ticked("electric_vehicle");

    let (Some(zone), Some(plate), Some(_), Some(held)) = (zone, plates.first(), request, held)
    else {
        return Err(r.errors);
    };
    if !r.errors.is_empty() {
        return Err(r.errors);
    }

    // The household's other permits come first, whether this one is new or renewed.
    let (fee, fee_total) = with_fee(parking.fee_for(FeeCase {
        rank: held,
        dweller,
        electric,
    }));
    let mut permit = PermitTerms::from(today);
    permit.valid_until = parking.valid_until(today);
    permit.renewal_reminder = permit
        .valid_until
        .map(|until| parking.renewal_reminder(until));
    permit.plates = vec![plate.clone()];
    permit.zones = vec![zone.id.clone()];
    permit
        .lines
        .push(Line::new(both("Zona", "Zone"), zone.name.clone()));
    permit.lines.push(Line::new(
        both("Targa", "Number plate"),
        same(plate.as_str()),
    ));
    Ok(Assessment {
        fee,
        fee_total,
        fee_set_by_office: false,
        permit,
        zone: Some(zone.id.clone()),
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::{Fields, Pairs, TODAY, answers, fields, rules};
    use super::*;
    use crate::Cents;
    use crate::procedure::ProcedureKind;
    use jiff::civil::date;

    fn run(overrides: &[(&str, &str)]) -> Result<Assessment, Vec<FieldError>> {
        let base = [
            ("street", "via-roma"),
            ("house_number", "3"),
            ("plate", "ab 123 cd"),
            ("vehicle_title", "owned"),
            ("request_type", "first"),
            ("household_permits", "0"),
        ];
        let mut pairs: Vec<(&str, &str)> = base
            .iter()
            .filter(|(field, _)| !overrides.iter().any(|(f, _)| f == field))
            .copied()
            .collect();
        pairs.extend(overrides.iter().filter(|(_, v)| !v.is_empty()));
        super::super::assess(
            ProcedureKind::ResidentParking,
            &answers(&pairs),
            &rules(),
            TODAY,
        )
    }

    #[test]
    fn the_zone_comes_from_the_address() {
        let cases = [
            (&[("street", "via-roma"), ("house_number", "3")], "a"),
            (&[("street", "viale-stazione"), ("house_number", "59")], "b"),
            (
                &[("street", "viale-stazione"), ("house_number", "60 bis")],
                "c",
            ),
            (
                &[("street", "viale-stazione"), ("house_number", "snc")],
                "b",
            ),
        ];
        for (address, zone) in cases {
            let assessment = run(address).unwrap_or_else(|e| panic!("{address:?}: {e:?}"));
            assert_eq!(assessment.zone.as_ref().map(|z| z.as_str()), Some(zone));
            assert_eq!(
                assessment.permit.zones,
                assessment.zone.into_iter().collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn a_first_permit_and_a_renewal() {
        let first = run(&[]).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(first.fee_total, Cents::new(3000));
        assert_eq!(first.permit.valid_from, TODAY);
        assert_eq!(first.permit.valid_until, Some(date(2026, 5, 5)));
        assert_eq!(first.permit.renewal_reminder, Some(date(2026, 4, 5)));
        assert_eq!(
            first
                .permit
                .plates
                .iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>(),
            ["AB123CD"]
        );
        let lines: Vec<(&str, &str)> = first
            .permit
            .lines
            .iter()
            .map(|l| (l.label.it.as_str(), l.value.it.as_str()))
            .collect();
        assert_eq!(lines, [("Zona", "Zona A – Centro"), ("Targa", "AB123CD")]);
        assert_eq!(
            first
                .permit
                .ztl_authorisation(ProcedureKind::ResidentParking),
            None
        );

        let cases: [(Pairs, i64); 7] = [
            (&[("household_permits", "1")], 6000),
            (&[("request_type", "renewal")], 3000),
            (
                &[("request_type", "renewal"), ("household_permits", "1")],
                6000,
            ),
            (&[("residence_kind", "resident")], 3000),
            (
                &[("residence_kind", "dweller"), ("household_permits", "1")],
                9000,
            ),
            (&[("electric_vehicle", "yes")], 1500),
            (
                &[
                    ("electric_vehicle", "yes"),
                    ("private_parking", "no"),
                    ("household_permits", "1"),
                ],
                3000,
            ),
        ];
        for (overrides, fee) in cases {
            let assessment = run(overrides).unwrap_or_else(|e| panic!("{overrides:?}: {e:?}"));
            assert_eq!(assessment.fee_total, Cents::new(fee), "{overrides:?}");
        }
    }

    #[test]
    fn every_problem_is_said_next_to_its_field() {
        let cases: [(Pairs, Fields); 13] = [
            (&[("street", "via-dei-campi")], &["street"]),
            (&[("street", "via-nuova")], &["street"]),
            (&[("house_number", "tre")], &["house_number"]),
            (&[("plate", "AB123")], &["plate"]),
            (&[("plate", "")], &["plate"]),
            (&[("vehicle_title", "loan")], &["vehicle_title"]),
            (&[("vehicle_title", "stolen")], &["vehicle_title"]),
            (&[("request_type", "")], &["request_type"]),
            (&[("household_permits", "2")], &["household_permits"]),
            (&[("household_permits", "-1")], &["household_permits"]),
            (
                &[("request_type", "renewal"), ("household_permits", "2")],
                &["household_permits"],
            ),
            (
                &[("private_parking", "yes"), ("household_permits", "1")],
                &["household_permits"],
            ),
            (&[("request_type", "maybe")], &["request_type"]),
        ];
        for (overrides, expected) in cases {
            assert_eq!(fields(&run(overrides)), expected, "{overrides:?}");
        }
        let outside = run(&[("street", "via-dei-campi")])
            .err()
            .unwrap_or_default();
        assert_eq!(
            outside[0].message.it,
            "L'indirizzo non rientra in una zona di sosta residenti: il permesso si rilascia solo a chi risiede in una delle zone."
        );
        let limit = run(&[("household_permits", "2")]).err().unwrap_or_default();
        assert_eq!(
            limit[0].message.it,
            "Il tuo nucleo familiare ha già 2 permessi di sosta: il massimo consentito è 2."
        );
        let title = run(&[("vehicle_title", "loan")]).err().unwrap_or_default();
        assert_eq!(
            title[0].message.it,
            "Il Comune non rilascia il permesso per i veicoli usati a questo titolo (comodato d'uso)."
        );
    }

    #[test]
    fn a_comune_without_parking_rules_says_so() {
        let mut rules = rules();
        rules.parking = None;
        let result = super::super::assess(
            ProcedureKind::ResidentParking,
            &answers(&[("street", "via-roma")]),
            &rules,
            TODAY,
        );
        assert_eq!(fields(&result), ["street"]);
    }
}
