//! The page rating of the Designers Italia model: "Quanto sono chiare le informazioni su questa
//! pagina?", one to five stars, then a fixed question whose answers depend on the stars.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RatingError {
    #[error("the rating must be between 1 and 5 stars")]
    StarsOutOfRange,
    #[error("this answer does not belong to a {stars}-star rating")]
    AnswerDoesNotMatchStars { stars: u8 },
    #[error("the comment is longer than {max} characters")]
    CommentTooLong { max: usize },
    #[error("the page address is not a path of this site")]
    InvalidPage,
}

/// One to five stars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Stars(u8);

impl Stars {
    pub fn new(value: u8) -> Result<Stars, RatingError> {
        if (1..=5).contains(&value) {
            Ok(Stars(value))
        } else {
            Err(RatingError::StarsOutOfRange)
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }

    /// Four or five stars ask what the citizen liked; one to three, where they struggled.
    pub fn is_positive(self) -> bool {
        self.0 >= 4
    }
}

impl TryFrom<u8> for Stars {
    type Error = RatingError;
    fn try_from(value: u8) -> Result<Self, Self::Error> {
        Stars::new(value)
    }
}

impl From<Stars> for u8 {
    fn from(stars: Stars) -> u8 {
        stars.0
    }
}

/// The five fixed answers of each follow-up question, as in the model's `cmp-rating`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RatingAnswer {
    // "Quali sono stati gli aspetti che hai preferito?"
    ClearInstructions,
    CompleteInstructions,
    AlwaysKnewProgress,
    NoTechnicalProblems,
    OtherPositive,
    // "Dove hai incontrato le maggiori difficoltà?"
    UnclearInstructions,
    IncompleteInstructions,
    UnsureOfProgress,
    TechnicalProblems,
    OtherNegative,
}

impl RatingAnswer {
    pub const POSITIVE: [RatingAnswer; 5] = [
        RatingAnswer::ClearInstructions,
        RatingAnswer::CompleteInstructions,
        RatingAnswer::AlwaysKnewProgress,
        RatingAnswer::NoTechnicalProblems,
        RatingAnswer::OtherPositive,
    ];
    pub const NEGATIVE: [RatingAnswer; 5] = [
        RatingAnswer::UnclearInstructions,
        RatingAnswer::IncompleteInstructions,
        RatingAnswer::UnsureOfProgress,
        RatingAnswer::TechnicalProblems,
        RatingAnswer::OtherNegative,
    ];

    pub fn key(self) -> &'static str {
        match self {
            RatingAnswer::ClearInstructions => "clear-instructions",
            RatingAnswer::CompleteInstructions => "complete-instructions",
            RatingAnswer::AlwaysKnewProgress => "always-knew-progress",
            RatingAnswer::NoTechnicalProblems => "no-technical-problems",
            RatingAnswer::OtherPositive => "other-positive",
            RatingAnswer::UnclearInstructions => "unclear-instructions",
            RatingAnswer::IncompleteInstructions => "incomplete-instructions",
            RatingAnswer::UnsureOfProgress => "unsure-of-progress",
            RatingAnswer::TechnicalProblems => "technical-problems",
            RatingAnswer::OtherNegative => "other-negative",
        }
    }

    pub fn from_key(key: &str) -> Option<RatingAnswer> {
        Self::POSITIVE
            .into_iter()
            .chain(Self::NEGATIVE)
            .find(|a| a.key() == key)
    }

    pub fn is_positive(self) -> bool {
        Self::POSITIVE.contains(&self)
    }
}

/// A citizen's rating of one page. Anonymous: it carries no personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRating {
    page: String,
    stars: Stars,
    answer: Option<RatingAnswer>,
    comment: Option<String>,
}

impl PageRating {
    pub const COMMENT_MAX_CHARS: usize = 200;
    const PAGE_MAX_LEN: usize = 512;

    pub fn new(
        page: &str,
        stars: Stars,
        answer: Option<RatingAnswer>,
        comment: Option<&str>,
    ) -> Result<PageRating, RatingError> {
        let page_is_local_path = page.starts_with('/')
            && !page.starts_with("//")
            && page.len() <= Self::PAGE_MAX_LEN
            && !page.chars().any(|c| c.is_control() || c.is_whitespace());
        if !page_is_local_path {
            return Err(RatingError::InvalidPage);
        }
        if answer.is_some_and(|a| a.is_positive() != stars.is_positive()) {
            return Err(RatingError::AnswerDoesNotMatchStars { stars: stars.get() });
        }
        let comment = comment.map(str::trim).filter(|c| !c.is_empty());
        if comment.is_some_and(|c| c.chars().count() > Self::COMMENT_MAX_CHARS) {
            return Err(RatingError::CommentTooLong {
                max: Self::COMMENT_MAX_CHARS,
            });
        }
        Ok(PageRating {
            page: page.to_owned(),
            stars,
            answer,
            comment: comment.map(str::to_owned),
        })
    }

    pub fn page(&self) -> &str {
        &self.page
    }

    pub fn stars(&self) -> Stars {
        self.stars
    }

    pub fn answer(&self) -> Option<RatingAnswer> {
        self.answer
    }

    pub fn comment(&self) -> Option<&str> {
        self.comment.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stars(n: u8) -> Stars {
        Stars::new(n).unwrap_or_else(|e| unreachable!("{e}"))
    }

    #[test]
    fn stars_are_one_to_five() {
        assert!(Stars::new(0).is_err());
        assert!(Stars::new(6).is_err());
        assert!(stars(3).get() == 3 && !stars(3).is_positive() && stars(4).is_positive());
    }

    #[test]
    fn answers_must_match_the_polarity_of_the_stars() {
        assert!(
            PageRating::new(
                "/borgoverde/",
                stars(5),
                Some(RatingAnswer::ClearInstructions),
                None
            )
            .is_ok()
        );
        assert_eq!(
            PageRating::new(
                "/borgoverde/",
                stars(2),
                Some(RatingAnswer::ClearInstructions),
                None
            ),
            Err(RatingError::AnswerDoesNotMatchStars { stars: 2 })
        );
        assert!(
            PageRating::new(
                "/borgoverde/",
                stars(2),
                Some(RatingAnswer::TechnicalProblems),
                None
            )
            .is_ok()
        );
    }

    #[test]
    fn comments_are_bounded_and_trimmed() {
        let long = "à".repeat(201);
        assert_eq!(
            PageRating::new("/x", stars(1), None, Some(&long)),
            Err(RatingError::CommentTooLong { max: 200 })
        );
        let ok = PageRating::new("/x", stars(1), None, Some("  ")).ok();
        assert_eq!(ok.and_then(|r| r.comment().map(str::to_owned)), None);
        assert!(PageRating::new("/x", stars(1), None, Some(&"à".repeat(200))).is_ok());
    }

    #[test]
    fn only_local_pages_can_be_rated() {
        for bad in [
            "https://evil.example/",
            "//evil.example/",
            "relative",
            "/a b",
        ] {
            assert_eq!(
                PageRating::new(bad, stars(4), None, None),
                Err(RatingError::InvalidPage),
                "{bad}"
            );
        }
    }

    #[test]
    fn answer_keys_round_trip() {
        for answer in RatingAnswer::POSITIVE
            .into_iter()
            .chain(RatingAnswer::NEGATIVE)
        {
            assert_eq!(RatingAnswer::from_key(answer.key()), Some(answer));
        }
    }
}
