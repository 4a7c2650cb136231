//! The SAML endpoints of each comune: metadata, login, assertion consumer, single logout.
//!
//! Every failure here answers 4xx with a page in the citizen's language: AgID's conformance
//! suite (and common sense) require that a refused login is never a redirect to a page that
//! answers 200.

use super::keys::OwnerKeys;
use super::pages::{MessagePage, message_page};
use super::provider::{Federation, ServiceProviderInfo};
use super::{SpidSettings, TrustedIdp, session};
use crate::cookies::{self, CookieOptions, SameSite};
use crate::lang::safe_return_path;
use crate::tenant::TenantContext;
use crate::{AppState, WebError};
use axum::extract::{Form, Query, RawQuery};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sportello_domain::{CodiceFiscale, Tenant};
use sportello_spid::SpidLevel;
use sportello_spid::keys::CertificateSubject;
use sportello_store::{
    Actor, BrowserToken, LoginRecord, NewPending, NewSession, PendingKey, PendingKind, SamlTrace,
    SessionEnd, SpKeyOwner, TraceDirection, TraceKind,
};
use std::sync::Arc;
use std::time::Duration;

/// How long a citizen may take at the identity provider.
pub(crate) const PENDING_FOR: Duration = Duration::from_secs(15 * 60);

pub(crate) fn pending_cookie(secure: bool) -> &'static str {
    if secure {
        "__Host-sportello_saml"
    } else {
        "sportello_saml"
    }
}

/// An opaque RelayState (SPID wants it present and not a URL): the return path stays here.
pub(crate) fn new_relay_state() -> Result<String, WebError> {
    sportello_spid::binding::new_relay_state()
        .map_err(|_| WebError::Internal("no randomness available"))
}

/// The platform's address, without which no entity ID can be formed.
pub(crate) fn public_url(state: &AppState) -> Option<&str> {
    state.0.config.public_url.as_deref()
}

fn settings(state: &AppState) -> &SpidSettings {
    &state.0.spid
}

/// Who owns the signing key: the comune, or the aggregator for all of them.
pub(crate) fn key_owner(settings: &SpidSettings, tenant: &Tenant) -> SpKeyOwner {
    match settings.aggregator {
        Some(_) => SpKeyOwner::Platform,
        None => SpKeyOwner::Tenant(tenant.id),
    }
}

fn certificate_subject(
    settings: &SpidSettings,
    public_url: &str,
    tenant: &Tenant,
) -> CertificateSubject {
    match &settings.aggregator {
        Some(aggregator) => aggregator.certificate_subject(public_url),
        None => certificate_subject_for(public_url, tenant),
    }
}

/// The subject of a comune's own certificate, as Avviso SPID n.29 shapes it: the comune's
/// name, its entity ID and `PA:IT-` with its IPA code.
pub fn certificate_subject_for(public_url: &str, tenant: &Tenant) -> CertificateSubject {
    CertificateSubject {
        organization: tenant.profile.name.clone(),
        common_name: tenant.profile.name.clone(),
        entity_id: ServiceProviderInfo::new(public_url, tenant, Federation::Spid, false).entity_id,
        organization_identifier: format!("PA:IT-{}", tenant.profile.ipa_code.as_str()),
        locality: tenant.profile.address.city.clone(),
        country: "IT".to_owned(),
    }
}

/// The comune's service provider in `federation`, with the keys it signs with.
pub(crate) async fn service_provider(
    state: &AppState,
    tenant: &Tenant,
    federation: Federation,
) -> Result<(ServiceProviderInfo, Arc<OwnerKeys>), WebError> {
    let public = public_url(state).ok_or(WebError::Unavailable)?;
    let settings = settings(state);
    let info = ServiceProviderInfo::new(public, tenant, federation, settings.aggregator.is_some());
    let keys = state
        .0
        .keys
        .keys(
            state.store(),
            key_owner(settings, tenant),
            &certificate_subject(settings, public, tenant),
            settings.key_bits,
        )
        .await?;
    Ok((info, keys))
}

fn xml_response(xml: String) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/samlmetadata+xml; charset=utf-8",
        )],
        xml,
    )
        .into_response()
}

/// `GET /{tenant}/saml/metadata` (and the aggregated and CIE variants).
pub(crate) async fn metadata(ctx: TenantContext) -> Result<Response, WebError> {
    let federation = if ctx.path.ends_with("/cie/metadata") {
        Federation::Cie
    } else {
        Federation::Spid
    };
    let (info, keys) = service_provider(&ctx.state, &ctx.tenant, federation).await?;
    let xml = super::metadata::render(&ctx.state, &ctx.tenant, &info, &keys)?;
    Ok(xml_response(xml))
}

#[derive(Deserialize)]
pub(crate) struct LoginQuery {
    idp: Option<String>,
    next: Option<String>,
    level: Option<u8>,
}

/// `GET /{tenant}/saml/login?idp={entityID}`: a fresh, signed AuthnRequest on every call, sent
/// with the HTTP-Redirect binding.
pub(crate) async fn login(
    ctx: TenantContext,
    headers: HeaderMap,
    Query(query): Query<LoginQuery>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let Some(public) = public_url(&ctx.state) else {
        return Ok(failure(
            &ctx,
            StatusCode::SERVICE_UNAVAILABLE,
            "auth.error.unavailable",
            None,
        ));
    };
    // The pending-request cookie must be set on the host the identity provider will post back
    // to; a citizen who typed another name for the same server is sent there first.
    let base = super::provider::tenant_base_url(public, &ctx.tenant);
    if let Some(target_host) = host_of(&base)
        && crate::tenant::request_host(&headers, &axum::http::Uri::from_static("/")).as_deref()
            != Some(target_host.as_str())
    {
        let query = raw.map(|q| format!("?{q}")).unwrap_or_default();
        return Ok(found(&format!("{base}/saml/login{query}")));
    }
    let Some(idp) = query
        .idp
        .as_deref()
        .and_then(|e| settings(&ctx.state).idp(e))
        .cloned()
    else {
        return Ok(failure(
            &ctx,
            StatusCode::BAD_REQUEST,
            "auth.error.unknown_idp",
            None,
        ));
    };
    let level = query
        .level
        .and_then(SpidLevel::from_number)
        .unwrap_or(SpidLevel::L2);
    let return_path = safe_return_path(
        query.next.as_deref(),
        &format!("{}/area-personale/", ctx.base),
    );
    let (info, keys) = service_provider(&ctx.state, &ctx.tenant, idp.federation).await?;
    let secure = ctx.state.0.config.secure_cookies;
    // One binding token per browser, kept across logins so that two tabs do not undo each
    // other's pending request.
    let browser =
        match cookies::read(&headers, pending_cookie(secure)).and_then(BrowserToken::parse) {
            Some(token) => token,
            None => BrowserToken::generate()?,
        };
    let relay_state = new_relay_state()?;
    let outgoing = super::messages::authn_request(&idp, &info, &keys, level, &relay_state)?;
    let now = jiff::Timestamp::now();
    ctx.state
        .store()
        .scoped(ctx.tenant.id)
        .put_pending(&NewPending {
            request_id: outgoing.request_id.clone(),
            browser: browser.clone(),
            kind: PendingKind::Authn,
            idp_entity_id: idp.provider.entity_id.clone(),
            issue_instant: outgoing.issue_instant,
            level: level.number(),
            return_path,
            relay_state,
            expires_at: now + PENDING_FOR,
        })
        .await?;
    trace(
        &ctx,
        Traced {
            direction: TraceDirection::Sent,
            kind: TraceKind::AuthnRequest,
            message_id: &outgoing.request_id,
            in_response_to: None,
            idp: &idp,
            fiscal_code: None,
            xml: &outgoing.xml,
        },
        &headers,
    )
    .await;
    let mut response = found(&outgoing.location);
    cookies::set(
        &mut response,
        pending_cookie(secure),
        browser.as_cookie_value(),
        CookieOptions {
            max_age: Some(PENDING_FOR.as_secs() as u32),
            http_only: true,
            secure,
            same_site: SameSite::None,
        },
    );
    Ok(response)
}

/// `302 Found`, the status the SAML HTTP-Redirect binding names (and AgID's suite expects).
pub(crate) fn found(location: &str) -> Response {
    match axum::http::HeaderValue::from_str(location) {
        Ok(value) => (StatusCode::FOUND, [(header::LOCATION, value)]).into_response(),
        Err(_) => WebError::Internal("a redirect address is not a valid header").into_response(),
    }
}

/// The host of an absolute URL, lower-case and without the port, in the form
/// [`crate::tenant::request_host`] gives (an IPv6 literal keeps its brackets): the two are
/// compared, and a mismatch would redirect the login to itself for ever.
fn host_of(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split('/').next()?;
    let host = if authority.starts_with('[') {
        authority.split_inclusive(']').next().unwrap_or(authority)
    } else {
        authority.rsplit_once(':').map_or(authority, |(h, _)| h)
    };
    Some(host.to_ascii_lowercase())
}

#[derive(Deserialize)]
pub(crate) struct AcsForm {
    #[serde(rename = "SAMLResponse")]
    saml_response: Option<String>,
    #[serde(rename = "RelayState")]
    relay_state: Option<String>,
}

/// `POST /{tenant}/saml/acs`: the identity provider's answer.
pub(crate) async fn acs(
    ctx: TenantContext,
    headers: HeaderMap,
    Form(form): Form<AcsForm>,
) -> Result<Response, WebError> {
    let secure = ctx.state.0.config.secure_cookies;
    let (Some(saml_response), Some(relay_state)) = (form.saml_response, form.relay_state) else {
        return Ok(failure(
            &ctx,
            StatusCode::BAD_REQUEST,
            "auth.error.invalid",
            Some("missing-parameters"),
        ));
    };
    let Some(browser) =
        cookies::read(&headers, pending_cookie(secure)).and_then(BrowserToken::parse)
    else {
        return Ok(failure(
            &ctx,
            StatusCode::FORBIDDEN,
            "auth.error.expired",
            Some("no-pending-cookie"),
        ));
    };
    let scope = ctx.state.store().scoped(ctx.tenant.id);
    // One-shot: the pending request is removed as it is read, so a replayed answer finds none.
    let Some(pending) = scope
        .take_pending(
            &browser,
            PendingKey::RelayState(&relay_state),
            PendingKind::Authn,
            jiff::Timestamp::now(),
        )
        .await?
    else {
        return Ok(failure(
            &ctx,
            StatusCode::FORBIDDEN,
            "auth.error.expired",
            Some("no-pending-request"),
        ));
    };
    let Some(idp) = settings(&ctx.state).idp(&pending.idp_entity_id).cloned() else {
        return Ok(failure(
            &ctx,
            StatusCode::FORBIDDEN,
            "auth.error.unknown_idp",
            None,
        ));
    };
    let (info, _) = service_provider(&ctx.state, &ctx.tenant, idp.federation).await?;
    let level = SpidLevel::from_number(pending.level).unwrap_or(SpidLevel::L2);
    let outcome = super::messages::validate_response(
        &saml_response,
        &pending,
        &idp,
        &info,
        level,
        settings(&ctx.state).clock_skew,
    );
    let decoded = super::messages::decoded(&saml_response);
    let login = match outcome {
        Ok(login) => login,
        Err(error) => {
            tracing::warn!(tenant = %ctx.tenant.slug, idp = %idp.provider.entity_id, code = error.code(), "SAML response refused");
            metrics::counter!("sportello_logins_total", "outcome" => error.code()).increment(1);
            trace(
                &ctx,
                Traced {
                    direction: TraceDirection::Received,
                    kind: TraceKind::Response,
                    message_id: "",
                    in_response_to: Some(&pending.request_id),
                    idp: &idp,
                    fiscal_code: None,
                    xml: &decoded,
                },
                &headers,
            )
            .await;
            let key = super::messages::message_key(&error);
            return Ok(failure(
                &ctx,
                StatusCode::FORBIDDEN,
                key,
                Some(error.code()),
            ));
        }
    };
    let until = login.not_on_or_after;
    if !ctx
        .state
        .store()
        .remember_assertion(&idp.provider.entity_id, &login.assertion_id, until)
        .await?
    {
        tracing::warn!(tenant = %ctx.tenant.slug, "SAML assertion replayed");
        return Ok(failure(
            &ctx,
            StatusCode::FORBIDDEN,
            "auth.error.replay",
            Some("assertion-replayed"),
        ));
    }
    let Some(fiscal_code) = login
        .fiscal_number()
        .and_then(|cf| CodiceFiscale::parse(cf).ok())
    else {
        return Ok(failure(
            &ctx,
            StatusCode::FORBIDDEN,
            "auth.error.identity",
            Some("fiscal-number"),
        ));
    };
    trace(
        &ctx,
        Traced {
            direction: TraceDirection::Received,
            kind: TraceKind::Response,
            message_id: &login.response_id,
            in_response_to: Some(&pending.request_id),
            idp: &idp,
            fiscal_code: Some(&fiscal_code),
            xml: &decoded,
        },
        &headers,
    )
    .await;
    let client = super::pages::client(&headers);
    let user = scope
        .record_login(
            &LoginRecord {
                fiscal_code,
                given_name: login.attribute("name").map(str::to_owned),
                family_name: login.attribute("familyName").map(str::to_owned),
                email: login.attribute("email").map(str::to_owned),
                mobile: login.attribute("mobilePhone").map(str::to_owned),
                date_of_birth: login.attribute("dateOfBirth").map(str::to_owned),
                level: login.level.number(),
                idp_entity_id: idp.provider.entity_id.clone(),
            },
            &client,
        )
        .await?;
    let actor = Actor::user(user.id, client.clone());
    // A new session at every login (never reuse an identifier the browser had before).
    if let Some(old) = session::token(&ctx.state, &headers) {
        ctx.state
            .store()
            .end_session(&old, SessionEnd::Replaced, &actor)
            .await?;
    }
    let settings = settings(&ctx.state);
    let token = scope
        .create_session(&NewSession {
            user_id: user.id,
            level: login.level.number(),
            idp_entity_id: idp.provider.entity_id.clone(),
            name_id: login.name_id.clone(),
            name_id_qualifier: Some(login.name_id_qualifier.clone()),
            session_index: login.session_index.clone(),
            idle: settings.session_idle,
            absolute: settings.session_absolute,
            client,
        })
        .await?;
    metrics::counter!("sportello_logins_total", "outcome" => "success").increment(1);
    let mut response = Redirect::to(&pending.return_path).into_response();
    *response.status_mut() = StatusCode::SEE_OTHER;
    session::set_cookie(&mut response, secure, &token);
    Ok(response)
}

/// `GET|POST /{tenant}/saml/slo`: the identity provider's answer to our logout, or its own
/// request to end a session (IdP-initiated single logout).
pub(crate) async fn slo(
    ctx: TenantContext,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    body: axum::body::Bytes,
) -> Result<Response, WebError> {
    let form = super::messages::SloForm::parse(&body);
    super::messages::single_logout(ctx, headers, raw, form).await
}

/// A refused login: 4xx, a page that says why and how to go on.
pub(crate) fn failure(
    ctx: &TenantContext,
    status: StatusCode,
    message_key: &'static str,
    code: Option<&str>,
) -> Response {
    let page = MessagePage::error(ctx, message_key, code);
    let mut response = message_page(page);
    *response.status_mut() = status;
    response
}

/// One message for the tracing log.
pub(crate) struct Traced<'a> {
    pub direction: TraceDirection,
    pub kind: TraceKind,
    pub message_id: &'a str,
    pub in_response_to: Option<&'a str>,
    pub idp: &'a TrustedIdp,
    pub fiscal_code: Option<&'a CodiceFiscale>,
    pub xml: &'a str,
}

/// Keeps a SAML message in the tracing log SPID requires; a failure to write it is logged
/// but does not stop the citizen.
pub(crate) async fn trace(ctx: &TenantContext, message: Traced<'_>, headers: &HeaderMap) {
    let retention = settings(&ctx.state).trace_retention;
    let client = super::pages::client(headers);
    let result = ctx
        .state
        .store()
        .scoped(ctx.tenant.id)
        .trace_saml(&SamlTrace {
            direction: message.direction,
            kind: message.kind,
            message_id: message.message_id.to_owned(),
            in_response_to: message.in_response_to.map(str::to_owned),
            idp_entity_id: message.idp.provider.entity_id.clone(),
            fiscal_code: message.fiscal_code.cloned(),
            client_ip: client.ip,
            xml: message.xml.to_owned(),
            retain_until: jiff::Timestamp::now() + retention,
        })
        .await;
    if let Err(error) = result {
        tracing::error!(%error, "cannot write the SAML tracing log");
    }
}
