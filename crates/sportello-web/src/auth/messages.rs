//! The SAML messages of a login, built and checked with `sportello-spid` and bound to what the
//! store remembers of the request.

use super::TrustedIdp;
use super::keys::OwnerKeys;
use super::provider::{Federation, ServiceProviderInfo};
use crate::WebError;
use base64::Engine as _;
use sportello_spid::SpidLevel;
use sportello_spid::authn_request::AuthnRequestBuilder;
use sportello_spid::response::{self, Expected, Login, Profile, ResponseError};
use sportello_store::Pending;
use std::time::Duration;

/// A signed AuthnRequest ready to be sent.
pub(crate) struct Outgoing {
    pub request_id: String,
    pub issue_instant: jiff::Timestamp,
    pub xml: String,
    /// The IdP's address with the signed query (HTTP-Redirect binding).
    pub location: String,
}

pub(crate) fn authn_request(
    idp: &TrustedIdp,
    info: &ServiceProviderInfo,
    keys: &OwnerKeys,
    level: SpidLevel,
    relay_state: &str,
) -> Result<Outgoing, WebError> {
    let destination = idp
        .provider
        .sso_redirect()
        .ok_or(WebError::Internal(
            "the identity provider has no HTTP-Redirect endpoint",
        ))?
        .location
        .clone();
    let request = AuthnRequestBuilder::new(&info.entity_id, destination, level)
        .build()
        .map_err(|error| {
            tracing::error!(%error, "cannot build an AuthnRequest");
            WebError::Internal("cannot build an AuthnRequest")
        })?;
    let location = request
        .redirect_url(relay_state, &keys.signing)
        .map_err(|error| {
            tracing::error!(%error, "cannot sign an AuthnRequest");
            WebError::Internal("cannot sign an AuthnRequest")
        })?;
    let pending = request.pending();
    Ok(Outgoing {
        request_id: pending.id.clone(),
        issue_instant: pending.issue_instant,
        xml: request.xml().to_owned(),
        location,
    })
}

pub(crate) fn validate_response(
    saml_response: &str,
    pending: &Pending,
    idp: &TrustedIdp,
    info: &ServiceProviderInfo,
    level: SpidLevel,
    skew: Duration,
) -> Result<Login, ResponseError> {
    let keys = idp.provider.signing_keys();
    let profile = match idp.federation {
        Federation::Spid => Profile::Spid,
        Federation::Cie => Profile::Cie,
    };
    let expected = Expected::new(
        &pending.request_id,
        pending.issue_instant,
        &idp.provider.entity_id,
        &keys,
        &info.acs_url,
        &info.entity_id,
        level,
    )
    .with_skew(jiff::SignedDuration::from_secs(skew.as_secs() as i64))
    .with_profile(profile);
    response::validate(saml_response, &expected)
}

/// The message as received, for the tracing log (whatever it contains).
pub(crate) fn decoded(saml_response: &str) -> String {
    let compact: String = saml_response
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .unwrap_or_else(|| compact.chars().take(64 * 1024).collect())
}

/// The message for the citizen: AgID's text for the SPID anomalies, otherwise what kind of
/// problem it was (the details go to the log, with the code shown on the page).
pub(crate) fn message_key(error: &ResponseError) -> &'static str {
    match error.anomaly() {
        Some(19) => "auth.error.nr19",
        Some(20) => "auth.error.nr20",
        Some(21) => "auth.error.nr21",
        Some(22) => "auth.error.nr22",
        Some(23) => "auth.error.nr23",
        Some(25) => "auth.error.nr25",
        Some(_) => "auth.error.other",
        None => match error {
            ResponseError::Status(_) => "auth.error.other",
            ResponseError::LevelTooLow { .. } => "auth.error.level",
            _ => "auth.error.invalid",
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Single logout

use super::pages::{MessagePage, client, message_page};
use super::saml::{Traced, failure, new_relay_state, pending_cookie, service_provider, trace};
use super::session;
use crate::cookies::{self, CookieOptions, SameSite};
use crate::tenant::TenantContext;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use sportello_spid::binding::{self, MessageKind, RedirectQuery, VerifiedRedirect};
use sportello_spid::logout::{
    self, ExpectedLogoutRequest, ExpectedLogoutResponse, IncomingLogoutRequest,
    LogoutRequestBuilder, LogoutResponseBuilder, PendingLogout,
};
use sportello_store::{
    Actor, BrowserToken, NewPending, PendingKey, PendingKind, SessionEnd, TraceDirection, TraceKind,
};

/// `POST /{tenant}/esci`: the session ends here at once; then, when the identity provider
/// offers single logout, the browser is sent there to end the IdP's session too.
pub(crate) async fn logout(ctx: TenantContext, headers: HeaderMap) -> Result<Response, WebError> {
    let secure = ctx.state.0.config.secure_cookies;
    let Some(user) = ctx.user.clone() else {
        return Ok(Redirect::to(&format!("{}/", ctx.base)).into_response());
    };
    let actor = user.actor(client(&headers));
    if let Some(token) = session::token(&ctx.state, &headers) {
        ctx.state
            .store()
            .end_session(&token, SessionEnd::Logout, &actor)
            .await?;
    }
    let idp = ctx.state.0.spid.idp(&user.session.idp_entity_id).cloned();
    let slo = idp
        .as_ref()
        .and_then(|idp| idp.provider.slo_redirect().map(|e| e.location.clone()));
    let (Some(idp), Some(destination), Some(qualifier)) =
        (idp, slo, user.session.name_id_qualifier.clone())
    else {
        let mut response = message_page(MessagePage::logged_out(&ctx, true));
        session::clear_cookie(&mut response, secure);
        return Ok(response);
    };
    let (info, keys) = service_provider(&ctx.state, &ctx.tenant, idp.federation).await?;
    let request = LogoutRequestBuilder::new(
        &info.entity_id,
        destination,
        &user.session.name_id,
        qualifier,
    )
    .session_index(user.session.session_index.clone())
    .build()
    .map_err(|error| {
        tracing::error!(%error, "cannot build a LogoutRequest");
        WebError::Internal("cannot build a LogoutRequest")
    })?;
    let relay_state = new_relay_state()?;
    let location = request
        .redirect_url(&relay_state, &keys.signing)
        .map_err(|error| {
            tracing::error!(%error, "cannot sign a LogoutRequest");
            WebError::Internal("cannot sign a LogoutRequest")
        })?;
    let browser =
        match cookies::read(&headers, pending_cookie(secure)).and_then(BrowserToken::parse) {
            Some(token) => token,
            None => BrowserToken::generate()?,
        };
    let pending = request.pending();
    ctx.state
        .store()
        .scoped(ctx.tenant.id)
        .put_pending(&NewPending {
            request_id: pending.id.clone(),
            browser: browser.clone(),
            kind: PendingKind::Logout,
            idp_entity_id: idp.provider.entity_id.clone(),
            issue_instant: pending.issue_instant,
            level: user.session.level,
            return_path: format!("{}/", ctx.base),
            relay_state,
            expires_at: jiff::Timestamp::now() + super::saml::PENDING_FOR,
        })
        .await?;
    trace(
        &ctx,
        Traced {
            direction: TraceDirection::Sent,
            kind: TraceKind::LogoutRequest,
            message_id: &pending.id,
            in_response_to: None,
            idp: &idp,
            fiscal_code: Some(user.fiscal_code()),
            xml: request.xml(),
        },
        &headers,
    )
    .await;
    let mut response = super::saml::found(&location);
    session::clear_cookie(&mut response, secure);
    cookies::set(
        &mut response,
        pending_cookie(secure),
        browser.as_cookie_value(),
        CookieOptions {
            max_age: Some(super::saml::PENDING_FOR.as_secs() as u32),
            http_only: true,
            secure,
            same_site: SameSite::None,
        },
    );
    Ok(response)
}

pub(crate) struct SloForm {
    saml_request: Option<String>,
    saml_response: Option<String>,
    relay_state: Option<String>,
}

impl SloForm {
    /// The HTTP-POST binding's fields, when the body has any.
    pub(crate) fn parse(body: &[u8]) -> Option<SloForm> {
        let mut form = SloForm {
            saml_request: None,
            saml_response: None,
            relay_state: None,
        };
        for (key, value) in form_urlencoded::parse(body) {
            match key.as_ref() {
                "SAMLRequest" => form.saml_request = Some(value.into_owned()),
                "SAMLResponse" => form.saml_response = Some(value.into_owned()),
                "RelayState" => form.relay_state = Some(value.into_owned()),
                _ => {}
            }
        }
        (form.saml_request.is_some() || form.saml_response.is_some()).then_some(form)
    }
}

/// A logout message as the binding delivered it.
enum Received {
    Post(String),
    Redirect(RedirectQuery),
}

/// The same, once a redirect-bound message's signature has been checked.
enum Verified {
    Post(String),
    Redirect(VerifiedRedirect),
}

/// A logout message as it arrived, with the IdP that signed it.
enum Incoming {
    Request(IncomingLogoutRequest, Option<String>),
    Response(Result<(), logout::LogoutError>, Option<String>),
}

/// `GET|POST /{tenant}/saml/slo`.
pub(crate) async fn single_logout(
    ctx: TenantContext,
    headers: HeaderMap,
    raw: Option<String>,
    form: Option<SloForm>,
) -> Result<Response, WebError> {
    let bad = |code: &str| {
        Ok(failure(
            &ctx,
            StatusCode::BAD_REQUEST,
            "auth.error.invalid",
            Some(code),
        ))
    };
    // How the message travelled, what it is, and the IdP it claims to come from: the claimed
    // issuer picks the keys, and only a signature by that IdP's metadata keys makes it count.
    let (received, kind, relay, xml) = match (form, &raw) {
        (Some(form), _) => {
            let (kind, value) = match (form.saml_request, form.saml_response) {
                (Some(request), _) => (MessageKind::Request, request),
                (None, Some(response)) => (MessageKind::Response, response),
                (None, None) => return bad("slo-empty"),
            };
            let Ok(xml) = binding::decode_post(&value) else {
                return bad("slo-encoding");
            };
            (Received::Post(value), kind, form.relay_state, xml)
        }
        (None, Some(raw)) => {
            let Ok(query) = RedirectQuery::parse(raw) else {
                return bad("slo-query");
            };
            let (kind, relay) = (query.kind(), query.relay_state().map(str::to_owned));
            let xml = query.unverified_xml().to_owned();
            (Received::Redirect(query), kind, relay, xml)
        }
        (None, None) => return bad("slo-empty"),
    };
    let Ok(issuer) = binding::peek_issuer(&xml) else {
        return bad("slo-issuer");
    };
    let Some(idp) = ctx.state.0.spid.idp(&issuer).cloned() else {
        return Ok(failure(
            &ctx,
            StatusCode::FORBIDDEN,
            "auth.error.unknown_idp",
            None,
        ));
    };
    let (info, keys) = service_provider(&ctx.state, &ctx.tenant, idp.federation).await?;
    let idp_keys = idp.provider.signing_keys();
    // A redirect-bound message is signed over its query string: verified here, before reading.
    // A POST-bound one carries an enveloped signature, verified as it is read below.
    let received = match received {
        Received::Redirect(query) => match query.verify(&idp_keys) {
            Ok(verified) => Verified::Redirect(verified),
            Err(error) => {
                tracing::warn!(%error, "logout message signature refused");
                return Ok(failure(
                    &ctx,
                    StatusCode::FORBIDDEN,
                    "auth.error.invalid",
                    Some("logout-signature"),
                ));
            }
        },
        Received::Post(value) => Verified::Post(value),
    };
    let secure = ctx.state.0.config.secure_cookies;
    let scope = ctx.state.store().scoped(ctx.tenant.id);

    let incoming = match kind {
        MessageKind::Request => {
            let expected = ExpectedLogoutRequest::new(&idp.provider.entity_id, &info.slo_url);
            let parsed = match &received {
                Verified::Post(value) => {
                    logout::parse_logout_request_post(value, &idp_keys, &expected)
                }
                Verified::Redirect(verified) => {
                    logout::parse_logout_request_redirect(verified, &expected)
                }
            };
            match parsed {
                Ok(parsed) => Incoming::Request(parsed, relay),
                Err(error) => {
                    tracing::warn!(%error, "LogoutRequest refused");
                    return Ok(failure(
                        &ctx,
                        StatusCode::FORBIDDEN,
                        "auth.error.invalid",
                        Some("logout-request"),
                    ));
                }
            }
        }
        MessageKind::Response => {
            // It answers a pending request of this browser: taken first (one-shot).
            let browser =
                cookies::read(&headers, pending_cookie(secure)).and_then(BrowserToken::parse);
            let pending = match (browser, relay) {
                (Some(browser), Some(relay)) => {
                    scope
                        .take_pending(
                            &browser,
                            PendingKey::RelayState(&relay),
                            PendingKind::Logout,
                            jiff::Timestamp::now(),
                        )
                        .await?
                }
                _ => None,
            };
            let Some(pending) = pending else {
                return Ok(failure(
                    &ctx,
                    StatusCode::FORBIDDEN,
                    "auth.error.expired",
                    Some("no-pending-logout"),
                ));
            };
            let pending = pending_logout(&pending, &idp);
            let expected =
                ExpectedLogoutResponse::new(&pending, &idp.provider.entity_id, &info.slo_url);
            let outcome = match &received {
                Verified::Post(value) => {
                    logout::parse_logout_response_post(value, &idp_keys, &expected)
                }
                Verified::Redirect(verified) => {
                    logout::parse_logout_response_redirect(verified, &expected)
                }
            };
            Incoming::Response(outcome.map(|_| ()), Some(pending.id))
        }
    };

    match incoming {
        Incoming::Response(outcome, request_id) => {
            let kind = TraceKind::LogoutResponse;
            trace(
                &ctx,
                Traced {
                    direction: TraceDirection::Received,
                    kind,
                    message_id: "",
                    in_response_to: request_id.as_deref(),
                    idp: &idp,
                    fiscal_code: None,
                    xml: &xml,
                },
                &headers,
            )
            .await;
            if let Err(error) = &outcome {
                tracing::warn!(%error, "the identity provider did not confirm the logout");
            }
            Ok(message_page(MessagePage::logged_out(&ctx, outcome.is_ok())))
        }
        Incoming::Request(request, relay) => {
            trace(
                &ctx,
                Traced {
                    direction: TraceDirection::Received,
                    kind: TraceKind::LogoutRequest,
                    message_id: &request.id,
                    in_response_to: None,
                    idp: &idp,
                    fiscal_code: None,
                    xml: &xml,
                },
                &headers,
            )
            .await;
            let actor = Actor::idp(&idp.provider.entity_id, client(&headers));
            let indexes: Vec<Option<&str>> = if request.session_indexes.is_empty() {
                vec![None]
            } else {
                request
                    .session_indexes
                    .iter()
                    .map(|s| Some(s.as_str()))
                    .collect()
            };
            for index in indexes {
                scope
                    .end_sessions_by_name_id(
                        &idp.provider.entity_id,
                        &request.name_id,
                        index,
                        &actor,
                    )
                    .await?;
            }
            let Some(endpoint) = idp.provider.slo_redirect() else {
                return Ok(message_page(MessagePage::logged_out(&ctx, true)));
            };
            let answer =
                LogoutResponseBuilder::new(&info.entity_id, endpoint.response_url(), &request.id)
                    .build()
                    .map_err(|error| {
                        tracing::error!(%error, "cannot build a LogoutResponse");
                        WebError::Internal("cannot build a LogoutResponse")
                    })?;
            let location = answer
                .redirect_url(relay.as_deref(), &keys.signing)
                .map_err(|error| {
                    tracing::error!(%error, "cannot sign a LogoutResponse");
                    WebError::Internal("cannot sign a LogoutResponse")
                })?;
            trace(
                &ctx,
                Traced {
                    direction: TraceDirection::Sent,
                    kind: TraceKind::LogoutResponse,
                    message_id: answer.id(),
                    in_response_to: Some(&request.id),
                    idp: &idp,
                    fiscal_code: None,
                    xml: answer.xml(),
                },
                &headers,
            )
            .await;
            let mut response = super::saml::found(&location);
            session::clear_cookie(&mut response, secure);
            Ok(response)
        }
    }
}

fn pending_logout(pending: &sportello_store::Pending, idp: &TrustedIdp) -> PendingLogout {
    PendingLogout {
        id: pending.request_id.clone(),
        issue_instant: pending.issue_instant,
        destination: idp
            .provider
            .slo_redirect()
            .map(|e| e.location.clone())
            .unwrap_or_default(),
    }
}
