//! The demo's people: fictional citizens and clerks with well-formed codici fiscali (valid
//! check characters), so that every path of the product accepts them as real ones.

/// What a demo identity is for in the comuni of the demo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoRole {
    Citizen,
    /// Clerk of this office in both demo comuni.
    Clerk {
        office: &'static str,
    },
    /// Administrator of both demo comuni.
    TenantAdmin,
}

/// A person the local test IdP can log in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoIdentity {
    pub fiscal_code: &'static str,
    pub given_name: &'static str,
    pub family_name: &'static str,
    pub date_of_birth: &'static str,
    pub place_of_birth: &'static str,
    pub email: &'static str,
    pub mobile: &'static str,
    pub role: DemoRole,
}

pub const DEMO_IDENTITIES: [DemoIdentity; 7] = [
    DemoIdentity {
        fiscal_code: "RSSMRA80A01H501U",
        given_name: "Mario",
        family_name: "Rossi",
        date_of_birth: "1980-01-01",
        place_of_birth: "H501",
        email: "mario.rossi@example.org",
        mobile: "+393331234567",
        role: DemoRole::Citizen,
    },
    DemoIdentity {
        fiscal_code: "VRDNNA85M52F205M",
        given_name: "Anna",
        family_name: "Verdi",
        date_of_birth: "1985-08-12",
        place_of_birth: "F205",
        email: "anna.verdi@example.org",
        mobile: "+393471112233",
        role: DemoRole::Citizen,
    },
    DemoIdentity {
        fiscal_code: "ESPSRA01A41Z404C",
        given_name: "Sara",
        family_name: "Esposito",
        date_of_birth: "2001-01-01",
        place_of_birth: "Z404",
        email: "sara.esposito@example.org",
        mobile: "+393209876543",
        role: DemoRole::Citizen,
    },
    DemoIdentity {
        fiscal_code: "FRRSFN92T15D969C",
        given_name: "Stefano",
        family_name: "Ferri",
        date_of_birth: "1992-12-15",
        place_of_birth: "D969",
        email: "stefano.ferri@example.org",
        mobile: "+393405554433",
        role: DemoRole::Citizen,
    },
    DemoIdentity {
        fiscal_code: "BNCGLI78D45A794Q",
        given_name: "Giulia",
        family_name: "Bianchi",
        date_of_birth: "1978-04-05",
        place_of_birth: "A794",
        email: "giulia.bianchi@example.org",
        mobile: "+393391010101",
        role: DemoRole::Clerk {
            office: "polizia-locale",
        },
    },
    DemoIdentity {
        fiscal_code: "GLLPLA75E20H501Z",
        given_name: "Paolo",
        family_name: "Gallo",
        date_of_birth: "1975-05-20",
        place_of_birth: "H501",
        email: "paolo.gallo@example.org",
        mobile: "+393357778899",
        role: DemoRole::Clerk { office: "suap" },
    },
    DemoIdentity {
        fiscal_code: "NRELCU70C10L219O",
        given_name: "Luca",
        family_name: "Neri",
        date_of_birth: "1970-03-10",
        place_of_birth: "L219",
        email: "luca.neri@example.org",
        mobile: "+393381212121",
        role: DemoRole::TenantAdmin,
    },
];

pub fn find(fiscal_code: &str) -> Option<&'static DemoIdentity> {
    DEMO_IDENTITIES.iter().find(|identity| {
        identity
            .fiscal_code
            .eq_ignore_ascii_case(fiscal_code.trim())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sportello_domain::CodiceFiscale;

    #[test]
    fn every_demo_fiscal_code_is_valid_and_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for identity in DEMO_IDENTITIES {
            assert!(
                CodiceFiscale::parse(identity.fiscal_code).is_ok(),
                "{}",
                identity.fiscal_code
            );
            assert!(seen.insert(identity.fiscal_code));
        }
        assert_eq!(
            find("rssmra80a01h501u").map(|i| i.family_name),
            Some("Rossi")
        );
        assert!(find("XXXXXX00X00X000X").is_none());
    }
}
