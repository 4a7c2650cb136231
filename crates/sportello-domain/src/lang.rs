//! The languages of the user interface: Italian first, English second.

use serde::{Deserialize, Serialize};

/// A language the portal speaks. Italian is the default everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    It,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::It, Lang::En];

    /// The BCP 47 code, as used in `lang` attributes and in the language cookie.
    pub fn code(self) -> &'static str {
        match self {
            Lang::It => "it",
            Lang::En => "en",
        }
    }

    /// The language's own name, shown in the language switch.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::It => "Italiano",
            Lang::En => "English",
        }
    }

    /// Parses a code such as `it`, `en`, `en-GB` or `IT`; anything else is `None`.
    pub fn from_code(code: &str) -> Option<Lang> {
        let primary = code.split(['-', '_']).next()?.trim();
        if primary.eq_ignore_ascii_case("it") {
            Some(Lang::It)
        } else if primary.eq_ignore_ascii_case("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// Picks the first supported language of an `Accept-Language` header, by quality.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut candidates: Vec<(Lang, u16)> = header
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.split(';');
                let lang = Lang::from_code(pieces.next()?.trim())?;
                let quality = pieces
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.parse::<f32>().ok())
                    .unwrap_or(1.0);
                // Qualities have at most three decimals (RFC 9110 §12.4.2).
                Some((lang, (quality.clamp(0.0, 1.0) * 1000.0) as u16))
            })
            .filter(|(_, q)| *q > 0)
            .collect();
        candidates.sort_by_key(|(_, quality)| std::cmp::Reverse(*quality));
        candidates.first().map(|(lang, _)| *lang)
    }
}

/// Templates pass arguments by reference; this lets them hand a `&Lang` to the domain.
impl From<&Lang> for Lang {
    fn from(lang: &Lang) -> Lang {
        *lang
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for lang in Lang::ALL {
            assert_eq!(Lang::from_code(lang.code()), Some(lang));
        }
        assert_eq!(Lang::from_code("en-GB"), Some(Lang::En));
        assert_eq!(Lang::from_code("de"), None);
    }

    #[test]
    fn accept_language_respects_quality() {
        assert_eq!(
            Lang::from_accept_language("de-DE,en;q=0.5,it;q=0.8"),
            Some(Lang::It)
        );
        assert_eq!(Lang::from_accept_language("en-US,en;q=0.9"), Some(Lang::En));
        assert_eq!(Lang::from_accept_language("fr, de"), None);
        assert_eq!(
            Lang::from_accept_language("it;q=0, en;q=0.1"),
            Some(Lang::En)
        );
    }
}
