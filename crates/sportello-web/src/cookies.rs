//! The site's own cookies: only technical ones (language, anti-forgery token, session, SAML
//! login binding), always `Path=/`, `Secure` whenever the portal runs over HTTPS.

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;

/// A cookie's value from the request's `Cookie` headers.
pub(crate) fn read<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim_matches('"'))
}

pub(crate) struct CookieOptions {
    /// Seconds to keep it; `None` for a session cookie.
    pub max_age: Option<u32>,
    /// Hidden from scripts.
    pub http_only: bool,
    pub secure: bool,
    pub same_site: SameSite,
}

/// `Lax` for everything but the short-lived cookie that binds a SAML login to the browser:
/// the identity provider posts its answer from its own site, and only `None` travels with a
/// cross-site POST (browsers accept `None` only with `Secure`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SameSite {
    Lax,
    None,
}

/// Adds a `Set-Cookie` to the response. Names and values here are our own ASCII tokens; a
/// value that could not be a header is dropped rather than sent malformed.
pub(crate) fn set(response: &mut Response, name: &str, value: &str, options: CookieOptions) {
    let same_site = match options.same_site {
        SameSite::None if options.secure => "None",
        _ => "Lax",
    };
    let mut cookie = format!("{name}={value}; Path=/; SameSite={same_site}");
    if let Some(max_age) = options.max_age {
        cookie.push_str(&format!("; Max-Age={max_age}"));
    }
    if options.http_only {
        cookie.push_str("; HttpOnly");
    }
    if options.secure {
        cookie.push_str("; Secure");
    }
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}
