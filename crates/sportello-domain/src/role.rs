//! What a person may do in a comune's back office beyond what every citizen may: administer the
//! comune, or handle the requests of one of its offices.

use crate::Slug;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoleError {
    #[error("unknown role {0:?}: expected tenant_admin or clerk:<office>")]
    Unknown(String),
    #[error("a clerk's role names the office, as clerk:<office>")]
    MissingOffice,
    #[error("only a clerk's role names an office")]
    UnexpectedOffice,
    #[error("the office key {0:?} is not a valid office id")]
    InvalidOffice(String),
}

/// A role granted in one comune. Written `tenant_admin` or `clerk:<office>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Manages the comune: its roles, its content, its settings.
    TenantAdmin,
    /// Handles the requests addressed to one office (by the office's id in the comune file).
    Clerk { office: String },
}

impl Role {
    pub const TENANT_ADMIN: &'static str = "tenant_admin";
    pub const CLERK: &'static str = "clerk";

    /// Parses `tenant_admin` or `clerk:<office>`.
    pub fn parse(value: &str) -> Result<Role, RoleError> {
        match value.split_once(':') {
            None => Role::from_parts(value, None),
            Some((kind, office)) => Role::from_parts(kind, Some(office)),
        }
    }

    /// Builds a role from its two stored columns: the kind and, for a clerk, the office.
    pub fn from_parts(kind: &str, office: Option<&str>) -> Result<Role, RoleError> {
        match (kind, office) {
            (Role::TENANT_ADMIN, None) => Ok(Role::TenantAdmin),
            (Role::TENANT_ADMIN, Some(_)) => Err(RoleError::UnexpectedOffice),
            (Role::CLERK, None) => Err(RoleError::MissingOffice),
            (Role::CLERK, Some(office)) => {
                // Office ids are slugs in the comune file; the same rule here means a role can
                // only ever name an office that could exist.
                Slug::parse(office).map_err(|_| RoleError::InvalidOffice(office.to_owned()))?;
                Ok(Role::Clerk {
                    office: office.to_owned(),
                })
            }
            (other, _) => Err(RoleError::Unknown(other.to_owned())),
        }
    }

    /// `tenant_admin` or `clerk`, without the office.
    pub fn kind(&self) -> &'static str {
        match self {
            Role::TenantAdmin => Role::TENANT_ADMIN,
            Role::Clerk { .. } => Role::CLERK,
        }
    }

    /// The office of a clerk.
    pub fn office(&self) -> Option<&str> {
        match self {
            Role::TenantAdmin => None,
            Role::Clerk { office } => Some(office),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Role::TenantAdmin => f.write_str(Role::TENANT_ADMIN),
            Role::Clerk { office } => write!(f, "{}:{office}", Role::CLERK),
        }
    }
}

impl std::str::FromStr for Role {
    type Err = RoleError;
    fn from_str(value: &str) -> Result<Role, RoleError> {
        Role::parse(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_displays_both_roles() {
        for text in ["tenant_admin", "clerk:urp", "clerk:anagrafe-stato-civile"] {
            assert_eq!(Role::parse(text).unwrap().to_string(), text);
        }
        assert_eq!(
            Role::parse("clerk:urp"),
            Ok(Role::Clerk {
                office: "urp".into()
            })
        );
        assert_eq!(Role::parse("tenant_admin"), Ok(Role::TenantAdmin));
    }

    #[test]
    fn refuses_malformed_roles() {
        assert_eq!(
            Role::parse("admin"),
            Err(RoleError::Unknown("admin".into()))
        );
        assert_eq!(Role::parse("clerk"), Err(RoleError::MissingOffice));
        assert_eq!(
            Role::parse("tenant_admin:urp"),
            Err(RoleError::UnexpectedOffice)
        );
        assert_eq!(
            Role::parse("clerk:URP"),
            Err(RoleError::InvalidOffice("URP".into()))
        );
        assert_eq!(
            Role::parse("clerk:"),
            Err(RoleError::InvalidOffice(String::new()))
        );
    }

    #[test]
    fn stored_parts_round_trip() {
        let clerk = Role::parse("clerk:tributi").unwrap();
        assert_eq!(
            Role::from_parts(clerk.kind(), clerk.office()),
            Ok(clerk.clone())
        );
        assert_eq!(
            Role::from_parts(Role::TenantAdmin.kind(), None),
            Ok(Role::TenantAdmin)
        );
    }
}
