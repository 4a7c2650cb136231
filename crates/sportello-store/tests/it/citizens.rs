//! Fictional citizens and the logins, sessions and requests the identity tests build on.

use sportello_domain::{CodiceFiscale, TenantId};
use sportello_store::{
    Actor, ClientInfo, LoginRecord, NewSession, SessionToken, Store, TenantScope, User,
};
use std::time::Duration;

/// Codici fiscali with valid check characters (Agenzia delle Entrate's textbook example and
/// two made up the same way).
pub const MARIO: &str = "RSSMRA85T10A562S";
pub const LAURA: &str = "BNCLRA90A41H501F";
pub const GIUSEPPE: &str = "VRDGPP80B12F205C";

pub const IDP: &str = "https://idp.example/spid";
pub const OTHER_IDP: &str = "https://other-idp.example/spid";

pub const IDLE: Duration = Duration::from_secs(30 * 60);
pub const ABSOLUTE: Duration = Duration::from_secs(60 * 60);

pub fn cf(code: &str) -> CodiceFiscale {
    CodiceFiscale::parse(code).unwrap()
}

pub fn client() -> ClientInfo {
    ClientInfo {
        ip: Some("203.0.113.7".into()),
        user_agent: Some("Mozilla/5.0 (test)".into()),
    }
}

pub fn operator() -> Actor {
    Actor::cli("test")
}

pub fn login(code: &str) -> LoginRecord {
    LoginRecord {
        fiscal_code: cf(code),
        given_name: Some("Mario".into()),
        family_name: Some("Rossi".into()),
        email: Some("mario.rossi@example.org".into()),
        mobile: Some("+393330000000".into()),
        date_of_birth: Some("1985-12-10".into()),
        level: 2,
        idp_entity_id: IDP.into(),
    }
}

pub async fn signed_in(scope: &TenantScope<'_>, code: &str) -> User {
    scope.record_login(&login(code), &client()).await.unwrap()
}

pub fn new_session(user: &User, name_id: &str, session_index: Option<&str>) -> NewSession {
    NewSession {
        user_id: user.id,
        level: 2,
        idp_entity_id: IDP.into(),
        name_id: name_id.into(),
        name_id_qualifier: Some(IDP.into()),
        session_index: session_index.map(str::to_owned),
        idle: IDLE,
        absolute: ABSOLUTE,
        client: client(),
    }
}

/// A user of `tenant` signed in with a fresh session.
pub async fn session_of(store: &Store, tenant: TenantId, code: &str) -> (User, SessionToken) {
    let scope = store.scoped(tenant);
    let user = signed_in(&scope, code).await;
    let token = scope
        .create_session(&new_session(
            &user,
            &format!("name-id-{code}"),
            Some("idx-1"),
        ))
        .await
        .unwrap();
    (user, token)
}

/// The tenant's audit actions, oldest first.
pub async fn actions(store: &Store, tenant: TenantId) -> Vec<String> {
    let mut log = store.scoped(tenant).audit_log(1000).await.unwrap();
    log.reverse();
    log.into_iter().map(|r| r.entry.action).collect()
}
