//! The interface language: chosen in the header, remembered in a cookie, otherwise taken from
//! the browser's `Accept-Language`, otherwise Italian.

use crate::cookies::{self, CookieOptions, SameSite};
use crate::tenant::TenantContext;
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sportello_domain::Lang;

pub(crate) const COOKIE: &str = "lang";

pub(crate) fn request_lang(headers: &HeaderMap) -> Lang {
    cookies::read(headers, COOKIE)
        .and_then(Lang::from_code)
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::from_accept_language)
        })
        .unwrap_or_default()
}

#[derive(Deserialize)]
pub(crate) struct Next {
    next: Option<String>,
}

/// A path of this site to go back to; anything else (another site, `//host`) is replaced by
/// the comune's home, so the switch cannot be used to redirect elsewhere.
pub(crate) fn safe_return_path(candidate: Option<&str>, fallback: &str) -> String {
    match candidate {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && !path.chars().any(|c| c.is_control()) =>
        {
            path.to_owned()
        }
        _ => fallback.to_owned(),
    }
}

/// `GET /{tenant}/lingua/{lang}?next=/path`: remembers the language for a year and goes back.
pub(crate) async fn switch(
    ctx: TenantContext,
    Path((_, code)): Path<(String, String)>,
    Query(query): Query<Next>,
) -> Response {
    let home = format!("{}/", ctx.base);
    let target = safe_return_path(query.next.as_deref(), &home);
    let Some(lang) = Lang::from_code(&code) else {
        return Redirect::to(&target).into_response();
    };
    let mut response = Redirect::to(&target).into_response();
    let remember = CookieOptions {
        max_age: Some(365 * 24 * 60 * 60),
        http_only: false,
        secure: ctx.state.0.config.secure_cookies,
        same_site: SameSite::Lax,
    };
    cookies::set(&mut response, COOKIE, lang.code(), remember);
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(
            safe_return_path(Some("/borgoverde/servizi"), "/x/"),
            "/borgoverde/servizi"
        );
        for bad in [
            "https://evil.example/",
            "//evil.example",
            "/\\evil.example",
            "servizi",
            "/a\nb",
        ] {
            assert_eq!(safe_return_path(Some(bad), "/x/"), "/x/", "{bad:?}");
        }
        assert_eq!(safe_return_path(None, "/x/"), "/x/");
    }

    #[test]
    fn the_cookie_wins_over_the_browser() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("en-GB,en;q=0.9"),
        );
        assert_eq!(request_lang(&headers), Lang::En);
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("csrf=abc; lang=it"),
        );
        assert_eq!(request_lang(&headers), Lang::It);
        assert_eq!(request_lang(&HeaderMap::new()), Lang::It);
    }
}
