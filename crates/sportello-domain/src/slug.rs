//! URL-safe identifiers: tenant slugs, service slugs, office ids.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    #[error("is empty")]
    Empty,
    #[error("is longer than {max} characters")]
    TooLong { max: usize },
    #[error(
        "may contain only lower-case letters a–z, digits and '-', and may not start or end with '-'"
    )]
    InvalidCharacters,
}

/// A lower-case, URL-safe identifier such as `borgoverde` or `permesso-ztl`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

impl Slug {
    pub const MAX_LEN: usize = 63;

    pub fn parse(value: &str) -> Result<Slug, SlugError> {
        if value.is_empty() {
            return Err(SlugError::Empty);
        }
        if value.len() > Self::MAX_LEN {
            return Err(SlugError::TooLong { max: Self::MAX_LEN });
        }
        let valid_chars = value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !valid_chars || value.starts_with('-') || value.ends_with('-') {
            return Err(SlugError::InvalidCharacters);
        }
        Ok(Slug(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Slug {
    type Error = SlugError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Slug::parse(&value)
    }
}

impl From<Slug> for String {
    fn from(slug: Slug) -> String {
        slug.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Slug {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_url_safe_identifiers() {
        assert!(Slug::parse("borgoverde").is_ok());
        assert!(Slug::parse("permesso-ztl-2").is_ok());
    }

    #[test]
    fn rejects_everything_else() {
        assert_eq!(Slug::parse(""), Err(SlugError::Empty));
        for bad in ["Borgoverde", "-ztl", "ztl-", "a/b", "a b", "città", "../x"] {
            assert_eq!(Slug::parse(bad), Err(SlugError::InvalidCharacters), "{bad}");
        }
        assert!(matches!(
            Slug::parse(&"a".repeat(64)),
            Err(SlugError::TooLong { .. })
        ));
    }
}
