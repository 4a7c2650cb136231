//! Protection against cross-site request forgery, on every state-changing request.
//!
//! Two independent checks. First, the browser's own word: a request whose `Sec-Fetch-Site` is
//! `cross-site`, or whose `Origin` is another host, is refused. Second, a token: each browser
//! gets a random token in a cookie (`__Host-` prefixed and `Secure` over HTTPS, so no
//! sub-domain can plant one), every form carries it in a hidden `csrf` field (scripts may send
//! the `X-CSRF-Token` header instead), and the two must match.
//!
//! Exempt: the stand-ins under `/_mock/`, which emulate other services' APIs, each comune's
//! SAML assertion consumer and single-logout endpoints, which identity providers post to from
//! their own sites (there the XML signature and the pending request of this browser do the
//! work of the token), and the one-click unsubscribe that mail clients post to. The JSON API (authenticated by token, not cookie) will join the list.

use crate::cookies::{self, CookieOptions, SameSite};
use crate::tenant::request_host;
use crate::{AppState, WebError};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub(crate) const FIELD: &str = "csrf";
const HEADER: &str = "x-csrf-token";
const EXEMPT_PREFIXES: [&str; 1] = ["/_mock/"];
/// SAML endpoints posted to by identity providers from their own sites; each message there
/// is authenticated by its XML signature and bound to a pending request of this browser. And
/// the one-click unsubscribe of e-mails (RFC 8058), posted by mail clients: the notification's
/// random id is its credential, and all it can do is turn e-mail off.
const EXEMPT_SUFFIXES: [&str; 3] = ["/saml/acs", "/saml/slo", "/disiscrizione"];

/// The token of this browser, for templates to put in forms.
#[derive(Debug, Clone)]
pub(crate) struct CsrfToken(pub String);

fn cookie_name(secure: bool) -> &'static str {
    if secure { "__Host-csrf" } else { "csrf" }
}

fn new_token() -> String {
    let mut bytes = [0u8; 32];
    if getrandom::fill(&mut bytes).is_err() {
        // Without randomness there is no token: every form will be refused, safely.
        return String::new();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn is_token(value: &str) -> bool {
    value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Compares without stopping at the first difference, so timing reveals nothing.
fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn token_in_form(body: &[u8]) -> Option<String> {
    body.split(|b| *b == b'&').find_map(|pair| {
        let pair = std::str::from_utf8(pair).ok()?;
        let (key, value) = pair.split_once('=')?;
        (key == FIELD).then(|| value.to_owned())
    })
}

fn same_origin(request: &Request) -> bool {
    let headers = request.headers();
    if headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("cross-site") {
        return false;
    }
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        None => true,
        Some(origin) => {
            let origin_host = origin
                .split_once("://")
                .map(|(_, rest)| rest)
                .unwrap_or(origin);
            let origin_host = origin_host.trim_end_matches('/').to_ascii_lowercase();
            let origin_host = origin_host
                .rsplit_once(':')
                .map_or(origin_host.as_str(), |(h, _)| h)
                .to_owned();
            request_host(headers, request.uri()).is_some_and(|host| host == origin_host)
        }
    }
}

pub(crate) async fn protect(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let secure = state.0.config.secure_cookies;
    let name = cookie_name(secure);
    let existing = cookies::read(request.headers(), name)
        .filter(|t| is_token(t))
        .map(str::to_owned);
    let unsafe_method = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let path = request.uri().path();
    let exempt = EXEMPT_PREFIXES.iter().any(|p| path.starts_with(p))
        || EXEMPT_SUFFIXES.iter().any(|s| path.ends_with(s));

    let mut request = request;
    if unsafe_method && !exempt {
        if !same_origin(&request) {
            return WebError::Forbidden("cross-site request").into_response();
        }
        let Some(expected) = existing.as_deref() else {
            return WebError::Forbidden("no anti-forgery cookie").into_response();
        };
        let from_header = request
            .headers()
            .get(HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        // A file upload without scripts cannot set a header, and its multipart body is not
        // read here (it may be megabytes): its form names the token in the query instead.
        // Request logs never include query strings.
        let is_multipart = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        let presented = match from_header {
            Some(token) => Some(token),
            None if is_multipart => request
                .uri()
                .query()
                .and_then(|q| token_in_form(q.as_bytes())),
            None => {
                let (parts, body) = request.into_parts();
                let bytes = match axum::body::to_bytes(body, state.0.config.body_limit).await {
                    Ok(bytes) => bytes,
                    Err(_) => {
                        return (
                            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                            "Richiesta troppo grande / Request too large",
                        )
                            .into_response();
                    }
                };
                let token = token_in_form(&bytes);
                request = Request::from_parts(parts, Body::from(bytes));
                token
            }
        };
        if !presented.is_some_and(|token| same_token(&token, expected)) {
            return WebError::Forbidden("missing or wrong anti-forgery token").into_response();
        }
    }

    let token = existing.clone().unwrap_or_else(new_token);
    request.extensions_mut().insert(CsrfToken(token.clone()));
    let mut response = next.run(request).await;
    if existing.is_none() && !token.is_empty() {
        let options = CookieOptions {
            max_age: None,
            http_only: true,
            secure,
            same_site: SameSite::Lax,
        };
        cookies::set(&mut response, name, &token, options);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_hex() {
        let (a, b) = (new_token(), new_token());
        assert!(is_token(&a) && is_token(&b));
        assert_ne!(a, b);
    }

    #[test]
    fn comparison_is_exact() {
        let token = new_token();
        assert!(same_token(&token, &token.clone()));
        assert!(!same_token(&token, &new_token()));
        assert!(!same_token(&token, &token[..63]));
    }

    #[test]
    fn finds_the_field_in_a_form_body() {
        assert_eq!(
            token_in_form(b"stars=4&csrf=abc&page=%2F").as_deref(),
            Some("abc")
        );
        assert_eq!(token_in_form(b"stars=4"), None);
        assert_eq!(token_in_form(b"xcsrf=abc"), None);
    }
}
