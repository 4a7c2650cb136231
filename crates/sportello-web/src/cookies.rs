//! The site's own cookies: only technical ones (language, anti-forgery token), always
//! `Path=/` and `SameSite=Lax`, `Secure` whenever the portal runs over HTTPS.

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
}

/// Adds a `Set-Cookie` to the response. Names and values here are our own ASCII tokens; a
/// value that could not be a header is dropped rather than sent malformed.
pub(crate) fn set(response: &mut Response, name: &str, value: &str, options: CookieOptions) {
    let mut cookie = format!("{name}={value}; Path=/; SameSite=Lax");
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
