//! The fixed wording of the documents in both languages, and dates the Italian way.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};
use sportello_domain::lang::Lang;

use crate::DocumentError;
use crate::model::ProtocolStamp;

/// Picks the wording of `lang`. Italian is the legally binding one; English is a courtesy.
pub(crate) fn tr(lang: Lang, it: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::It => it,
        Lang::En => en,
    }
}

/// `26/11/2026`: the day-first form that Italian and British readers both read right.
pub(crate) fn date(date: Date) -> String {
    format!("{:02}/{:02}/{}", date.day(), date.month(), date.year())
}

/// An instant on the wall clock of the comune (Europe/Rome), whatever the server's zone.
pub(crate) fn in_rome(at: Timestamp) -> Result<Zoned, DocumentError> {
    let zone = TimeZone::get("Europe/Rome").map_err(|_| DocumentError::TimeZone)?;
    Ok(at.to_zoned(zone))
}

/// `26/11/2026 alle 10:15`, on the wall clock of Rome.
pub(crate) fn date_time(lang: Lang, at: Timestamp) -> Result<String, DocumentError> {
    let at = in_rome(at)?;
    Ok(format!(
        "{} {} {:02}:{:02}",
        date(at.date()),
        tr(lang, "alle", "at"),
        at.hour(),
        at.minute()
    ))
}

/// `0000042/2026 del 26/11/2026 alle 10:15`.
pub(crate) fn protocol(lang: Lang, stamp: &ProtocolStamp) -> Result<String, DocumentError> {
    Ok(format!(
        "{} {} {}",
        stamp.number,
        tr(lang, "del", "of"),
        date_time(lang, stamp.registered_at)?
    ))
}

/// `Pagina 1 di 2`.
pub(crate) fn page_of(lang: Lang, page: usize, pages: usize) -> String {
    match lang {
        Lang::It => format!("Pagina {page} di {pages}"),
        Lang::En => format!("Page {page} of {pages}"),
    }
}

/// `245 KB`: sizes of attachments, in the decimal units that file managers show.
pub(crate) fn size(bytes: u64) -> String {
    match bytes {
        0..1_000 => format!("{bytes} B"),
        1_000..1_000_000 => format!("{} KB", bytes.div_ceil(1_000)),
        _ => {
            let tenths = bytes.div_ceil(100_000);
            format!("{},{} MB", tenths / 10, tenths % 10)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_line_is_on_rome_time() {
        // 09:15 UTC is 10:15 in Rome in November (CET) and 11:15 in July (CEST).
        let winter = ProtocolStamp {
            number: "0000042/2026".into(),
            registered_at: "2026-11-26T09:15:00Z".parse().unwrap(),
        };
        assert_eq!(
            protocol(Lang::It, &winter).unwrap(),
            "0000042/2026 del 26/11/2026 alle 10:15"
        );
        let summer = ProtocolStamp {
            number: "0000007/2026".into(),
            registered_at: "2026-07-01T09:15:00Z".parse().unwrap(),
        };
        assert_eq!(
            protocol(Lang::En, &summer).unwrap(),
            "0000007/2026 of 01/07/2026 at 11:15"
        );
    }

    #[test]
    fn sizes_read_like_a_file_manager() {
        assert_eq!(size(512), "512 B");
        assert_eq!(size(245_300), "246 KB");
        assert_eq!(size(2_450_000), "2,5 MB");
        assert_eq!(size(10_000_000), "10,0 MB");
    }
}
