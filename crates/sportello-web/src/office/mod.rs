//! The back office (`/{comune}/ufficio/`): the queue of the clerk's offices with the days left
//! to each deadline, the pratica with its answers, attachments and full history, and the
//! office's steps. Only clerks of the deciding office (or the comune's administrators) get in.

mod pages;
pub(crate) mod permit;

pub(crate) use pages::office_layout;

use crate::AppState;
use crate::auth::SessionUser;
use crate::tenant::TenantContext;
use axum::Router;
use axum::routing::{get, post};
use sportello_domain::Role;
use sportello_store::StoreError;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/ufficio/", get(pages::queue))
        .route("/ufficio/pratiche.csv", get(pages::export))
        .route("/ufficio/approva", post(pages::bulk_approve))
        .route(
            "/ufficio/sportello",
            get(pages::counter).post(pages::start_at_counter),
        )
        .route("/ufficio/pratiche/{pratica}", get(pages::detail))
        .route(
            "/ufficio/pratiche/{pratica}/azioni/{action}",
            post(pages::act),
        )
        .route(
            "/ufficio/pratiche/{pratica}/allegati/{attachment}",
            get(pages::attachment),
        )
        .route(
            "/ufficio/pratiche/{pratica}/permesso.pdf",
            get(pages::permit_pdf),
        )
        .route(
            "/ufficio/pratiche/{pratica}/lettere/{seq}",
            get(pages::letter_pdf),
        )
        .route(
            "/ufficio/pratiche/{pratica}/pagamenti/{position}/avviso.pdf",
            get(pages::notice_pdf),
        )
        .route(
            "/area-personale/pratiche/{pratica}/permesso.pdf",
            get(permit::citizen_pdf),
        )
        .route("/verifica/{code}", get(permit::verify))
}

/// The clerk (or administrator) and the offices whose requests they handle; `Forbidden` for
/// anyone else.
pub(crate) async fn clerk(
    ctx: &TenantContext,
) -> Result<(&SessionUser, Vec<String>), crate::WebError> {
    let user = ctx.user.as_ref().ok_or(crate::WebError::Forbidden(
        "the back office needs a session",
    ))?;
    let offices = handled_offices(ctx, user).await?;
    if offices.is_empty() {
        return Err(crate::WebError::Forbidden("not a clerk of this comune"));
    }
    Ok((user, offices))
}

/// A back-office page asked for without a session: the login buttons under the page's title,
/// back to the page.
pub(crate) fn needs_login(
    ctx: &TenantContext,
    title_key: &str,
) -> Result<axum::response::Response, crate::WebError> {
    let layout = crate::pages::layout::Layout::titled(ctx, title_key).without_rating();
    crate::auth::sign_in_required(
        ctx,
        layout,
        "office.login",
        sportello_spid::SpidLevel::L2,
        false,
        None,
        None,
    )
}

/// The offices whose pratiche `user` handles: every office of the comune for an
/// administrator, the offices of their clerk roles otherwise (empty: not a clerk here).
pub(crate) async fn handled_offices(
    ctx: &TenantContext,
    user: &SessionUser,
) -> Result<Vec<String>, StoreError> {
    if user.roles.contains(&Role::TenantAdmin) {
        return Ok(ctx
            .state
            .store()
            .scoped(ctx.tenant.id)
            .offices()
            .await?
            .into_iter()
            .map(|o| o.id.to_string())
            .collect());
    }
    Ok(user
        .roles
        .iter()
        .filter_map(|role| match role {
            Role::Clerk { office } => Some(office.clone()),
            Role::TenantAdmin => None,
        })
        .collect())
}
