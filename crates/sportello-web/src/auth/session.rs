//! The signed-in citizen's session: a random token in an `HttpOnly`, `SameSite=Lax` cookie
//! (`__Host-` and `Secure` over HTTPS), of which the store keeps only a hash. It ends when
//! unused for the idle timeout, at the absolute timeout, at logout or by the IdP's single logout.

use crate::AppState;
use crate::cookies::{self, CookieOptions, SameSite};
use axum::http::HeaderMap;
use axum::response::Response;
use sportello_domain::{CodiceFiscale, Role, TenantId};
use sportello_store::{ActiveSession, SessionToken, User};
use sportello_store::{Actor, ClientInfo};

/// Who is signed in on this request, as the page needs it.
#[derive(Debug, Clone)]
pub struct SessionUser {
    pub user: User,
    pub session: ActiveSession,
    pub roles: Vec<Role>,
}

impl SessionUser {
    /// This user as the author of a change, for the audit log.
    pub fn actor(&self, client: ClientInfo) -> Actor {
        Actor::user(self.user.id, client)
    }

    pub fn fiscal_code(&self) -> &CodiceFiscale {
        &self.user.fiscal_code
    }

    /// "Mario Rossi", or the fiscal code when the IdP sent no name.
    pub fn display_name(&self) -> String {
        let name = format!(
            "{} {}",
            self.user.given_name.as_deref().unwrap_or_default(),
            self.user.family_name.as_deref().unwrap_or_default()
        );
        let name = name.trim();
        if name.is_empty() {
            self.user.fiscal_code.to_string()
        } else {
            name.to_owned()
        }
    }
}

pub(crate) fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-sportello_session"
    } else {
        "sportello_session"
    }
}

/// The session of this browser for this comune, if it is still valid.
pub(crate) async fn load(
    state: &AppState,
    headers: &HeaderMap,
    tenant: TenantId,
) -> Result<Option<SessionUser>, sportello_store::StoreError> {
    let Some(token) = token(state, headers) else {
        return Ok(None);
    };
    // A session belongs to the comune it was opened for: the scoped lookup ignores another
    // comune's.
    let scope = state.store().scoped(tenant);
    let Some(session) = scope.session(&token).await? else {
        return Ok(None);
    };
    let Some(user) = scope.user(session.user_id).await? else {
        return Ok(None);
    };
    let roles = scope.roles_of(&user.fiscal_code).await?;
    Ok(Some(SessionUser {
        user,
        session,
        roles,
    }))
}

pub(crate) fn set_cookie(response: &mut Response, secure: bool, token: &SessionToken) {
    cookies::set(
        response,
        cookie_name(secure),
        token.as_cookie_value(),
        CookieOptions {
            max_age: None,
            http_only: true,
            secure,
            same_site: SameSite::Lax,
        },
    );
}

pub(crate) fn clear_cookie(response: &mut Response, secure: bool) {
    cookies::set(
        response,
        cookie_name(secure),
        "",
        CookieOptions {
            max_age: Some(0),
            http_only: true,
            secure,
            same_site: SameSite::Lax,
        },
    );
}

pub(crate) fn token(state: &AppState, headers: &HeaderMap) -> Option<SessionToken> {
    cookies::read(headers, cookie_name(state.0.config.secure_cookies)).and_then(SessionToken::parse)
}
