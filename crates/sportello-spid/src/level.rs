//! SPID authentication levels (the AuthnContextClassRef values, also used by CIE).

use std::fmt;

/// The level of assurance of a login. Ordered: `L1 < L2 < L3`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SpidLevel {
    L1,
    L2,
    L3,
}

impl SpidLevel {
    pub const ALL: [SpidLevel; 3] = [SpidLevel::L1, SpidLevel::L2, SpidLevel::L3];

    /// The AuthnContextClassRef URI, exactly as AgID defines it.
    pub fn uri(self) -> &'static str {
        match self {
            SpidLevel::L1 => "https://www.spid.gov.it/SpidL1",
            SpidLevel::L2 => "https://www.spid.gov.it/SpidL2",
            SpidLevel::L3 => "https://www.spid.gov.it/SpidL3",
        }
    }

    /// Only the exact AgID URIs; the old `urn:oasis:…:SpidL1` form is refused on purpose.
    pub fn from_uri(uri: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|level| level.uri() == uri)
    }

    /// 1, 2 or 3, as stored and configured.
    pub fn number(self) -> u8 {
        match self {
            SpidLevel::L1 => 1,
            SpidLevel::L2 => 2,
            SpidLevel::L3 => 3,
        }
    }

    pub fn from_number(n: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|level| level.number() == n)
    }

    /// Levels above 1 must force a fresh authentication (SPID rules, `ForceAuthn="true"`).
    pub fn forces_authn(self) -> bool {
        self > SpidLevel::L1
    }
}

impl fmt::Display for SpidLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SpidL{}", self.number())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_round_trip_and_order() {
        for level in SpidLevel::ALL {
            assert_eq!(SpidLevel::from_uri(level.uri()), Some(level));
            assert_eq!(SpidLevel::from_number(level.number()), Some(level));
        }
        assert!(SpidLevel::L1 < SpidLevel::L2 && SpidLevel::L2 < SpidLevel::L3);
        assert_eq!(
            SpidLevel::from_uri("urn:oasis:names:tc:SAML:2.0:ac:classes:SpidL1"),
            None
        );
        assert!(!SpidLevel::L1.forces_authn());
        assert!(SpidLevel::L2.forces_authn());
    }
}
