//! IN PROGRESS — owned by the pratica helper. The two types below are shared with the
//! procedure module and must keep their names and serde forms.

use serde::{Deserialize, Serialize};

/// What the citizen's request means when the office does not answer within the term.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Silence {
    /// Silenzio-assenso (L. 241/1990 art. 20): the request is granted when the term passes.
    Assent,
    /// Silenzio-inadempimento: silence grants nothing; the citizen may turn to the holder of
    /// the substitute power (art. 2 c. 9-bis) or to the administrative court.
    Inaction,
}

/// The term of a procedure in days (L. 241/1990 art. 2): 30 unless the comune's table of
/// procedures says otherwise, never above 180.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u16", into = "u16")]
pub struct TermDays(u16);

impl TermDays {
    pub const DEFAULT: TermDays = TermDays(30);
    pub const MAX: u16 = 180;

    pub fn new(days: u16) -> Result<TermDays, String> {
        if (1..=Self::MAX).contains(&days) {
            Ok(TermDays(days))
        } else {
            Err(format!(
                "{days} is not a procedure term: use 1 to {} days (L. 241/1990 art. 2)",
                Self::MAX
            ))
        }
    }

    pub fn get(self) -> u16 {
        self.0
    }
}

impl Default for TermDays {
    fn default() -> Self {
        TermDays::DEFAULT
    }
}

impl TryFrom<u16> for TermDays {
    type Error = String;
    fn try_from(days: u16) -> Result<Self, Self::Error> {
        TermDays::new(days)
    }
}

impl From<TermDays> for u16 {
    fn from(days: TermDays) -> u16 {
        days.0
    }
}
