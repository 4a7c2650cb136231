//! Text a citizen reads, in Italian and optionally English. Italian is the fallback: a comune
//! must publish in Italian, an English version is a courtesy.

use crate::Lang;
use serde::{Deserialize, Serialize};

/// A short text (a title, a label) in Italian with an optional English version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalizedText {
    pub it: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub en: Option<String>,
}

impl LocalizedText {
    pub fn italian(text: impl Into<String>) -> LocalizedText {
        LocalizedText {
            it: text.into(),
            en: None,
        }
    }

    pub fn get(&self, lang: impl Into<Lang>) -> &str {
        match lang.into() {
            Lang::En => self.en.as_deref().unwrap_or(&self.it),
            Lang::It => &self.it,
        }
    }

    /// The language the text is actually shown in, so pages can mark Italian fallbacks with
    /// `lang="it"` for screen readers (WCAG 3.1.2).
    pub fn shown_lang(&self, lang: impl Into<Lang>) -> Lang {
        match (lang.into(), &self.en) {
            (Lang::En, Some(_)) => Lang::En,
            _ => Lang::It,
        }
    }
}

/// A piece of rich text: paragraphs and an optional bulleted list. No markup: the portal
/// renders and escapes it, so tenant data can never inject HTML.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Block {
    #[serde(default)]
    pub paragraphs: Vec<String>,
    #[serde(default)]
    pub items: Vec<String>,
}

impl Block {
    pub fn is_empty(&self) -> bool {
        self.paragraphs.iter().all(|p| p.trim().is_empty())
            && self.items.iter().all(|i| i.trim().is_empty())
    }
}

/// A [`Block`] in Italian with an optional English version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalizedBlock {
    pub it: Block,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub en: Option<Block>,
}

impl LocalizedBlock {
    pub fn get(&self, lang: impl Into<Lang>) -> &Block {
        match lang.into() {
            Lang::En => self.en.as_ref().unwrap_or(&self.it),
            Lang::It => &self.it,
        }
    }

    pub fn shown_lang(&self, lang: impl Into<Lang>) -> Lang {
        match (lang.into(), &self.en) {
            (Lang::En, Some(_)) => Lang::En,
            _ => Lang::It,
        }
    }

    /// `Some("it")` when an English page shows this block's Italian fallback, for its `lang`
    /// attribute.
    pub fn fallback_lang_attr(&self, lang: impl Into<Lang>) -> Option<&'static str> {
        let lang = lang.into();
        (self.shown_lang(lang) != lang).then(|| self.shown_lang(lang).code())
    }
}

/// A list of lines (opening hours, for instance) in Italian with an optional English version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalizedList {
    pub it: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub en: Option<Vec<String>>,
}

impl LocalizedList {
    pub fn get(&self, lang: impl Into<Lang>) -> &[String] {
        match lang.into() {
            Lang::En => self.en.as_deref().unwrap_or(&self.it),
            Lang::It => &self.it,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_falls_back_to_italian() {
        let only_it = LocalizedText::italian("Servizi");
        assert_eq!(only_it.get(Lang::En), "Servizi");
        assert_eq!(only_it.shown_lang(Lang::En), Lang::It);

        let both = LocalizedText {
            it: "Servizi".into(),
            en: Some("Services".into()),
        };
        assert_eq!(both.get(Lang::En), "Services");
        assert_eq!(both.get(Lang::It), "Servizi");
        assert_eq!(both.shown_lang(Lang::En), Lang::En);
    }

    #[test]
    fn blank_blocks_are_empty() {
        assert!(
            Block {
                paragraphs: vec!["  ".into()],
                items: vec![]
            }
            .is_empty()
        );
        assert!(
            !Block {
                paragraphs: vec![],
                items: vec!["x".into()]
            }
            .is_empty()
        );
    }
}
