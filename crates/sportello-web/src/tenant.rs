//! Which comune a request is for: from the Host header when the comune has its own domain
//! (`servizi.comune.example.it/servizi`), otherwise from the first path segment
//! (`/borgoverde/servizi`). Both end up on the same routes under `/{tenant}`.

use crate::auth::SessionUser;
use crate::csrf::CsrfToken;
use crate::lang::request_lang;
use crate::{AppState, WebError};
use axum::extract::{FromRequestParts, OriginalUri, RawPathParams, Request, State};
use axum::http::request::Parts;
use axum::http::{Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use sportello_domain::{Lang, Slug, Tenant};

/// Paths that belong to the platform, never to a comune.
const PLATFORM_PREFIXES: [&str; 5] = ["/static/", "/healthz", "/readyz", "/metrics", "/_mock/"];

/// Set when the Host header named the comune, so links are built without the slug.
#[derive(Debug, Clone)]
struct ServedByHost;

/// The host a request was sent to, lower-case and without the port.
pub(crate) fn request_host(headers: &axum::http::HeaderMap, uri: &Uri) -> Option<String> {
    let raw = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| uri.host())?;
    let host = if raw.starts_with('[') {
        raw.split_inclusive(']').next().unwrap_or(raw)
    } else {
        raw.rsplit_once(':').map_or(raw, |(host, _)| host)
    };
    Some(host.to_ascii_lowercase())
}

pub(crate) async fn host_routing(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let host = request_host(request.headers(), request.uri());
    let is_platform_host = host.as_deref().is_none_or(|h| {
        state.0.config.platform_hosts.iter().any(|p| p == h)
            || h.parse::<std::net::IpAddr>().is_ok()
    });
    let path = request.uri().path();
    if !is_platform_host && !PLATFORM_PREFIXES.iter().any(|p| path.starts_with(p)) {
        let host = host.unwrap_or_default();
        match state.store().tenant_by_host(&host).await {
            Ok(Some(tenant)) => {
                let rewritten = match request.uri().query() {
                    Some(query) => format!("/{}{path}?{query}", tenant.slug),
                    None => format!("/{}{path}", tenant.slug),
                };
                if let Ok(uri) = rewritten.parse::<Uri>() {
                    *request.uri_mut() = uri;
                    request.extensions_mut().insert(ServedByHost);
                }
            }
            Ok(None) => {}
            Err(error) => return WebError::from(error).into_response(),
        }
    }
    next.run(request).await
}

/// `/borgoverde` → `/borgoverde/`, so relative links and the home route agree.
pub(crate) async fn add_trailing_slash(OriginalUri(uri): OriginalUri) -> Redirect {
    Redirect::permanent(&format!("{}/", uri.path()))
}

/// Everything a tenant page needs about the request: the comune, the language, where links
/// start, the anti-forgery token and the address of the page itself.
pub struct TenantContext {
    pub state: AppState,
    pub tenant: Tenant,
    pub lang: Lang,
    /// Prefix of every link to this comune's pages: `/borgoverde`, or empty on its own domain.
    pub base: String,
    pub csrf: String,
    /// The path the citizen sees in the address bar (without query).
    pub path: String,
    /// The page was reached after rating it (`?valutazione=grazie`).
    pub rating_thanks: bool,
    /// Who is signed in, if anybody (a session of this comune only).
    pub user: Option<SessionUser>,
}

impl FromRequestParts<AppState> for TenantContext {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| WebError::NotFound)?;
        let slug = params
            .iter()
            .find(|(name, _)| *name == "tenant")
            .map(|(_, value)| value)
            .ok_or(WebError::NotFound)?;
        let slug = Slug::parse(slug).map_err(|_| WebError::UnknownTenant)?;
        let tenant = state
            .store()
            .tenant_by_slug(slug.as_str())
            .await?
            .ok_or(WebError::UnknownTenant)?;
        let base = if parts.extensions.get::<ServedByHost>().is_some() {
            String::new()
        } else {
            format!("/{}", tenant.slug)
        };
        let path = parts
            .extensions
            .get::<OriginalUri>()
            .map_or_else(|| parts.uri.path().to_owned(), |uri| uri.path().to_owned());
        let csrf = parts
            .extensions
            .get::<CsrfToken>()
            .map(|t| t.0.clone())
            .unwrap_or_default();
        let rating_thanks = parts
            .uri
            .query()
            .is_some_and(|q| q.split('&').any(|pair| pair == "valutazione=grazie"));
        let user = crate::auth::current_user(state, &parts.headers, tenant.id).await?;
        Ok(TenantContext {
            user,
            state: state.clone(),
            lang: request_lang(&parts.headers),
            tenant,
            base,
            csrf,
            path,
            rating_thanks,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderMap;

    fn host_of(value: &str) -> Option<String> {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, value.parse().unwrap());
        request_host(&headers, &Uri::from_static("/"))
    }

    #[test]
    fn host_is_lower_case_without_port() {
        assert_eq!(
            host_of("Servizi.Comune.Example:8443").as_deref(),
            Some("servizi.comune.example")
        );
        assert_eq!(host_of("localhost").as_deref(), Some("localhost"));
        assert_eq!(host_of("[::1]:8080").as_deref(), Some("[::1]"));
    }
}
