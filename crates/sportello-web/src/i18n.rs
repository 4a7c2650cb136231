//! The translation catalogue: every user-visible string of the interface, in Italian and
//! English, from `locales/{it,en}.toml` (nested tables, flattened to dotted keys).
//! Tenant content (service texts) is localised in the tenant data instead.

use sportello_domain::Lang;
use std::collections::HashMap;
use std::sync::OnceLock;

const SOURCES: [(Lang, &str); 2] = [
    (Lang::It, include_str!("../locales/it.toml")),
    (Lang::En, include_str!("../locales/en.toml")),
];

#[derive(Debug, Default)]
pub struct Catalog {
    messages: HashMap<String, String>,
}

impl Catalog {
    pub fn parse(source: &str) -> Result<Catalog, String> {
        let table: toml::Table = toml::from_str(source).map_err(|e| e.to_string())?;
        let mut messages = HashMap::new();
        flatten("", &table, &mut messages)?;
        Ok(Catalog { messages })
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.messages.keys().map(String::as_str)
    }

    pub fn lookup(&self, key: &str) -> Option<&str> {
        self.messages.get(key).map(String::as_str)
    }
}

fn flatten(
    prefix: &str,
    table: &toml::Table,
    out: &mut HashMap<String, String>,
) -> Result<(), String> {
    for (key, value) in table {
        let full = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::String(text) => {
                out.insert(full, text.clone());
            }
            toml::Value::Table(inner) => flatten(&full, inner, out)?,
            _ => return Err(format!("{full}: translations must be strings")),
        }
    }
    Ok(())
}

fn catalogs() -> &'static [(Lang, Catalog)] {
    static CATALOGS: OnceLock<Vec<(Lang, Catalog)>> = OnceLock::new();
    CATALOGS.get_or_init(|| {
        SOURCES
            .iter()
            .map(|(lang, source)| {
                let catalog = Catalog::parse(source).unwrap_or_else(|error| {
                    // The catalogue tests make this unreachable in a released build.
                    tracing::error!(lang = lang.code(), %error, "translation catalogue does not parse");
                    Catalog::default()
                });
                (*lang, catalog)
            })
            .collect()
    })
}

/// Looks up interface strings in one language. Cheap to copy into every template.
#[derive(Debug, Clone, Copy)]
pub struct Translator {
    lang: Lang,
}

impl Translator {
    pub fn new(lang: Lang) -> Translator {
        Translator { lang }
    }

    /// The string for `key`; a missing key shows itself (and the catalogue tests fail).
    pub fn get<'k>(&self, key: &'k str) -> &'k str
    where
        'static: 'k,
    {
        catalogs()
            .iter()
            .find(|(lang, _)| *lang == self.lang)
            .and_then(|(_, catalog)| catalog.lookup(key))
            .unwrap_or(key)
    }

    /// The string for `key` with `{name}` placeholders replaced.
    pub fn format(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut text = self.get(key).to_owned();
        for (name, value) in args {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn keys(lang: Lang) -> BTreeSet<String> {
        let source = SOURCES
            .iter()
            .find(|(l, _)| *l == lang)
            .map(|(_, s)| *s)
            .unwrap_or_default();
        Catalog::parse(source)
            .unwrap()
            .keys()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn both_languages_have_the_same_keys() {
        let it = keys(Lang::It);
        let en = keys(Lang::En);
        assert!(!it.is_empty());
        assert_eq!(
            it.difference(&en).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "missing in English"
        );
        assert_eq!(
            en.difference(&it).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "missing in Italian"
        );
    }

    /// Every key a template or a handler asks for exists, so no page shows a raw key.
    #[test]
    fn every_key_used_in_the_code_exists() {
        let it = keys(Lang::It);
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut missing = Vec::new();
        for dir in ["templates", "src", "src/pages"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                for pattern in ["t.get(\"", "t.format(\""] {
                    for piece in text.split(pattern).skip(1) {
                        let key = piece.split('"').next().unwrap_or_default();
                        if !key.is_empty() && !key.contains('{') && !it.contains(key) {
                            missing.push(format!("{}: {key}", path.display()));
                        }
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "keys without a translation:\n{}",
            missing.join("\n")
        );
    }

    #[test]
    fn placeholders_are_filled() {
        let t = Translator::new(Lang::It);
        let unknown = "no.such.key";
        assert_eq!(t.get(unknown), unknown);
        let text = t.format("rating.stars_label", &[("n", "4")]);
        assert!(text.contains('4') && !text.contains("{n}"), "{text}");
    }
}
