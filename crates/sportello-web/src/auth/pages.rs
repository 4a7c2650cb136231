//! The pages around login: choosing SPID or CIE, the outcome pages, logout, the first page of
//! the personal area and the profile with contact preferences.

use super::provider::Federation;
use super::saml::public_url;
use super::session::SessionUser;
use crate::WebError;
use crate::i18n::Translator;
use crate::lang::safe_return_path;
use crate::notifications::preferences::{self, PreferencesForm};
use crate::pages::layout::{Crumb, Layout, encode_path};
use crate::pages::render;
use crate::tenant::TenantContext;
use askama::Template;
use axum::extract::{Form, Query};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sportello_domain::{Office, Role, Service};
use sportello_spid::SpidLevel;
use sportello_store::ClientInfo;

/// Where a request came from, for the audit log.
pub(crate) fn client(headers: &HeaderMap) -> ClientInfo {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.chars().take(200).collect::<String>())
    };
    ClientInfo {
        // Set by the reverse proxy in front of the service; the first hop is the client.
        ip: header("x-forwarded-for")
            .and_then(|v| v.split(',').next().map(|s| s.trim().to_owned())),
        user_agent: header("user-agent"),
    }
}

/// One identity provider on the login buttons.
pub(crate) struct IdpButton {
    pub entity_id: String,
    pub name: String,
    pub href: String,
    pub test: bool,
}

pub(crate) struct SignInButtons {
    pub spid: Vec<IdpButton>,
    pub cie: Vec<IdpButton>,
}

impl SignInButtons {
    /// Links that start a login with each provider and come back to `next`.
    pub(crate) fn new(ctx: &TenantContext, next: &str, level: SpidLevel) -> SignInButtons {
        if public_url(&ctx.state).is_none() {
            return SignInButtons {
                spid: Vec::new(),
                cie: Vec::new(),
            };
        }
        let settings = &ctx.state.0.spid;
        let button = |idp: &super::TrustedIdp| IdpButton {
            entity_id: idp.provider.entity_id.clone(),
            name: idp.name.clone(),
            href: format!(
                "{}/saml/login?idp={}&level={}&next={}",
                ctx.base,
                encode_path(&idp.provider.entity_id),
                level.number(),
                encode_path(next)
            ),
            test: idp.test,
        };
        SignInButtons {
            spid: settings.idps(Federation::Spid).map(button).collect(),
            cie: settings.idps(Federation::Cie).map(button).collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "sign_in.html")]
pub(crate) struct SignInPage {
    pub layout: Layout,
    pub intro_key: &'static str,
    pub level_note: Option<String>,
    pub notice: Option<String>,
    pub buttons: SignInButtons,
    pub service: Option<Service>,
    pub office: Option<Office>,
}

#[derive(Deserialize)]
pub(crate) struct NextQuery {
    next: Option<String>,
}

/// `GET /{tenant}/accedi?next=/path`: SPID and CIE buttons.
pub(crate) async fn sign_in(
    ctx: TenantContext,
    Query(query): Query<NextQuery>,
) -> Result<Response, WebError> {
    let next = safe_return_path(
        query.next.as_deref(),
        &format!("{}/area-personale/", ctx.base),
    );
    let page = SignInPage {
        buttons: SignInButtons::new(&ctx, &next, SpidLevel::L2),
        layout: Layout::titled(&ctx, "auth.sign_in_title").without_rating(),
        intro_key: "auth.sign_in_intro",
        level_note: None,
        notice: None,
        service: None,
        office: None,
    };
    Ok(render(&page)?.into_response())
}

/// The page shown instead of content that needs a login (or a stronger one).
pub(crate) fn sign_in_required(
    ctx: &TenantContext,
    layout: Layout,
    intro_key: &'static str,
    level: SpidLevel,
    too_low: bool,
    service: Option<Service>,
    office: Option<Office>,
) -> Result<Response, WebError> {
    let t = Translator::new(ctx.lang);
    let level_text = level.number().to_string();
    let page = SignInPage {
        buttons: SignInButtons::new(ctx, &ctx.path, level),
        layout,
        intro_key,
        level_note: (level > SpidLevel::L2)
            .then(|| t.format("auth.level_needed", &[("level", &level_text)])),
        notice: too_low.then(|| t.format("auth.level_too_low", &[("level", &level_text)])),
        service,
        office,
    };
    Ok(render(&page)?.into_response())
}

#[derive(Template)]
#[template(path = "auth_message.html")]
pub(crate) struct MessagePage {
    pub layout: Layout,
    pub is_error: bool,
    pub message: String,
    pub code: Option<String>,
    pub retry_href: Option<String>,
}

impl MessagePage {
    pub(crate) fn error(ctx: &TenantContext, message_key: &str, code: Option<&str>) -> MessagePage {
        let layout = Layout::titled(ctx, "auth.error.title").without_rating();
        let t = layout.t;
        MessagePage {
            message: t.get(message_key).to_owned(),
            layout,
            is_error: true,
            code: code.map(|code| t.format("auth.error.contact", &[("code", code)])),
            retry_href: Some(format!("{}/accedi", ctx.base)),
        }
    }

    pub(crate) fn logged_out(ctx: &TenantContext, idp_confirmed: bool) -> MessagePage {
        let layout = Layout::titled(ctx, "auth.logged_out_title").without_rating();
        let key = if idp_confirmed {
            "auth.logged_out_text"
        } else {
            "auth.logged_out_idp_failed"
        };
        MessagePage {
            message: layout.t.get(key).to_owned(),
            layout,
            is_error: false,
            code: None,
            retry_href: Some(format!("{}/accedi", ctx.base)),
        }
    }
}

pub(crate) fn message_page(page: MessagePage) -> Response {
    match render(&page) {
        Ok(html) => html.into_response(),
        Err(error) => error.into_response(),
    }
}

pub(crate) use super::messages::logout;

/// A page of the personal area asked for without a session: the login buttons, back to it.
pub(crate) fn personal_page_needs_login(
    ctx: &TenantContext,
    title_key: &str,
) -> Result<Response, WebError> {
    let layout = Layout::titled(ctx, title_key).without_rating();
    sign_in_required(
        ctx,
        layout,
        "login.personal_area_text",
        SpidLevel::L2,
        false,
        None,
        None,
    )
}

#[derive(Template)]
#[template(path = "personal_area.html")]
struct PersonalAreaPage {
    layout: Layout,
    welcome: String,
    session_note: String,
    drafts: Vec<(String, crate::requests::journey::DraftRow)>,
    requests: Vec<RequestRow>,
    fiscal_code: String,
    /// The latest messages, newest first.
    messages: Vec<crate::notifications::citizen::Row>,
    /// What is still to be paid.
    payable: Vec<crate::payments::PositionRow>,
    /// The services the citizen has asked something of: link to the sheet, title.
    used_services: Vec<(String, String)>,
    /// A clerk or administrator also gets the way to the back office.
    office: bool,
}

/// How many messages the desk shows; the rest are a click away.
const DESK_MESSAGES: u32 = 3;

/// A request in the personal area (C.SE.1.9–1.10).
struct RequestRow {
    href: String,
    service: String,
    protocol: String,
    submitted: String,
    state: String,
    answer_by: String,
}

/// `GET /{tenant}/area-personale/`.
pub(crate) async fn personal_area(ctx: TenantContext) -> Result<Response, WebError> {
    let Some(user) = ctx.user.clone() else {
        return personal_page_needs_login(&ctx, "personal_area.title");
    };
    let layout = Layout::titled(&ctx, "personal_area.title").without_rating();
    let t = layout.t;
    let idp_name = ctx
        .state
        .0
        .spid
        .idp(&user.session.idp_entity_id)
        .map_or_else(
            || user.session.idp_entity_id.clone(),
            |idp| idp.name.clone(),
        );
    let scope = ctx.state.store().scoped(ctx.tenant.id);
    let services = scope.services().await?;
    let title_of = |slug: &str| {
        services
            .iter()
            .find(|s| s.slug.as_str() == slug)
            .map_or_else(|| slug.to_owned(), |s| s.title.get(ctx.lang).to_owned())
    };
    let drafts = scope
        .drafts_of(user.user.id)
        .await?
        .iter()
        .map(|d| {
            (
                title_of(d.service_slug.as_str()),
                crate::requests::journey::draft_row(&ctx, d),
            )
        })
        .collect();
    let mut pratiche = scope.pratiche_of(user.fiscal_code()).await?;
    pratiche.sort_by_key(|p| std::cmp::Reverse(p.pratica.submitted_at()));
    let requests = pratiche
        .iter()
        .map(|p| RequestRow {
            href: format!("{}/area-personale/pratiche/{}", ctx.base, p.id),
            service: title_of(p.service_slug.as_str()),
            protocol: p.protocol.to_string(),
            submitted: crate::requests::journey::local_time(p.pratica.submitted_at()),
            state: p.state().label(ctx.lang).to_owned(),
            answer_by: crate::requests::pratiche::term_text(p, &ctx.tenant, ctx.lang),
        })
        .collect();
    let mut used_services: Vec<(String, String)> = Vec::new();
    for p in &pratiche {
        let href = format!("{}/servizi/{}", ctx.base, p.service_slug.as_str());
        if !used_services.iter().any(|(h, _)| *h == href) {
            used_services.push((href, title_of(p.service_slug.as_str())));
        }
    }
    let messages = crate::notifications::citizen::rows(
        &ctx,
        &scope
            .notifications_for_recipient(user.fiscal_code(), DESK_MESSAGES)
            .await?,
    );
    let payable = crate::payments::payable_rows(&ctx, user.fiscal_code().as_str()).await?;
    let page = PersonalAreaPage {
        office: !user.roles.is_empty(),
        fiscal_code: user.fiscal_code().to_string(),
        messages,
        payable,
        used_services,
        drafts,
        requests,
        welcome: t.format("personal_area.welcome", &[("name", &user.display_name())]),
        session_note: t.format(
            "personal_area.session_level",
            &[
                ("idp", &idp_name),
                ("level", &user.session.level.to_string()),
            ],
        ),
        layout,
    };
    Ok(render(&page)?.into_response())
}

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    layout: Layout,
    identity: Vec<(&'static str, Option<String>)>,
    roles: Vec<String>,
    form: PreferencesForm,
    /// Where the address stands: confirmed, to confirm, link just sent.
    email_note: Option<String>,
    saved: bool,
}

fn profile_page(
    ctx: &TenantContext,
    user: &SessionUser,
    form: PreferencesForm,
    saved: bool,
) -> Result<Response, WebError> {
    let mut layout = Layout::titled(ctx, "profile.title").without_rating();
    layout.breadcrumbs.insert(1, Crumb::personal_area(ctx));
    let t = layout.t;
    let u = &user.user;
    let page = ProfilePage {
        identity: vec![
            ("profile.given_name", u.given_name.clone()),
            ("profile.family_name", u.family_name.clone()),
            ("profile.fiscal_code", Some(u.fiscal_code.to_string())),
            ("profile.date_of_birth", u.date_of_birth.clone()),
            ("profile.email", u.email.clone()),
            ("profile.mobile", u.mobile.clone()),
        ],
        roles: user
            .roles
            .iter()
            .map(|role| match role {
                Role::TenantAdmin => t.get("profile.role_tenant_admin").to_owned(),
                Role::Clerk { office } => t.format("profile.role_clerk", &[("office", office)]),
            })
            .collect(),
        email_note: form.state_text(t),
        form,
        saved,
        layout,
    };
    Ok(render(&page)?.into_response())
}

#[derive(Deserialize)]
pub(crate) struct SavedQuery {
    salvato: Option<String>,
}

/// `GET /{tenant}/area-personale/profilo`.
pub(crate) async fn profile(
    ctx: TenantContext,
    Query(query): Query<SavedQuery>,
) -> Result<Response, WebError> {
    let Some(user) = ctx.user.clone() else {
        return personal_page_needs_login(&ctx, "profile.title");
    };
    let saved = query.salvato.is_some();
    let form = preferences::stored_form(&user.user.contact_preferences, ctx.lang, saved);
    profile_page(&ctx, &user, form, saved)
}

/// `POST /{tenant}/area-personale/profilo`: a refused form comes back as entered, with the
/// problem next to its field. An address still to confirm gets a verification link.
pub(crate) async fn save_profile(
    ctx: TenantContext,
    headers: HeaderMap,
    Form(posted): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let Some(user) = ctx.user.clone() else {
        return Ok(Redirect::to(&format!(
            "{}/accedi?next={}",
            ctx.base,
            encode_path(&ctx.path)
        ))
        .into_response());
    };
    let current = &user.user.contact_preferences;
    let prefs = match preferences::read_form(&posted, current, ctx.lang) {
        Ok(prefs) => prefs,
        Err(form) => {
            let mut response = profile_page(&ctx, &user, form, false)?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(response);
        }
    };
    // The link that verifies a new address is asked for in the same transaction as the save.
    let verification = preferences::verification_request(ctx.tenant.id, user.user.id, &prefs);
    ctx.state
        .store()
        .scoped(ctx.tenant.id)
        .update_contact_preferences_and_enqueue(
            user.user.id,
            &prefs,
            &user.actor(client(&headers)),
            verification.as_ref(),
        )
        .await?;
    let mut response =
        Redirect::to(&format!("{}/area-personale/profilo?salvato=1", ctx.base)).into_response();
    *response.status_mut() = StatusCode::SEE_OTHER;
    Ok(response)
}
