//! The citizen's positions: the list, one position with its options and receipts, paying it
//! through the Checkout and coming back, the notice and receipt PDFs.

use crate::office::permit::pdf_response;
use crate::pages::layout::{Crumb, Layout};
use crate::pages::render;
use crate::requests::journey::local_time;
use crate::requests::signed_in;
use crate::tenant::TenantContext;
use crate::{WebError, auth};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sportello_domain::form::format_date;
use sportello_domain::payment::PositionStatus;
use sportello_domain::{Lang, Tenant};
use sportello_pagopa::checkout::{Cart, CartNotice, ReturnUrls};
use sportello_store::payments::{PositionState, Receipt, StoredPosition};
use uuid::Uuid;

/// A position as listed.
pub(crate) struct PositionRow {
    pub href: String,
    pub description: String,
    pub amount: String,
    pub due: String,
    pub state: String,
    pub paid: bool,
    pub payable: bool,
}

pub(crate) fn state_label(state: PositionState, lang: Lang) -> String {
    let (it, en) = match state {
        PositionState::Pending => ("In preparazione", "Being prepared"),
        PositionState::Failed => (
            "Non emesso: contatta l'ufficio",
            "Not issued: contact the office",
        ),
        PositionState::Gpd(status) => status.label(),
    };
    match lang {
        Lang::It => it.to_owned(),
        Lang::En => en.to_owned(),
    }
}

fn row(base: &str, stored: &StoredPosition, lang: Lang) -> PositionRow {
    PositionRow {
        href: format!("{base}/area-personale/pagamenti/{}", stored.id),
        description: stored.position.description().to_owned(),
        amount: stored.position.total().to_string(),
        due: stored
            .position
            .first_due_date()
            .map(format_date)
            .unwrap_or_default(),
        state: state_label(stored.state, lang),
        paid: stored.state.is_paid(),
        payable: can_pay(stored),
    }
}

/// Whether "pay now" makes sense: not paid, not cancelled, not refused.
fn can_pay(stored: &StoredPosition) -> bool {
    match stored.state {
        PositionState::Pending => true,
        PositionState::Failed => false,
        PositionState::Gpd(status) => matches!(
            status,
            PositionStatus::Valid
                | PositionStatus::Published
                | PositionStatus::Draft
                | PositionStatus::PartiallyPaid
        ),
    }
}

/// The positions of a pratica, for its page.
pub(crate) async fn positions_of_pratica(
    ctx: &TenantContext,
    pratica: Uuid,
) -> Result<Vec<PositionRow>, WebError> {
    let scope = ctx.state.store().scoped(ctx.tenant.id);
    Ok(scope
        .positions_of_pratica(pratica)
        .await?
        .iter()
        .map(|p| row(&ctx.base, p, ctx.lang))
        .collect())
}

#[derive(Template)]
#[template(path = "payments.html")]
struct ListPage {
    layout: Layout,
    positions: Vec<PositionRow>,
    catalogue: bool,
}

/// `GET /{tenant}/area-personale/pagamenti`.
pub(crate) async fn list(ctx: TenantContext) -> Result<Response, WebError> {
    let Some(user) = ctx.user.as_ref() else {
        return auth::personal_page_needs_login(&ctx, "payments.title");
    };
    let scope = ctx.state.store().scoped(ctx.tenant.id);
    let positions = scope
        .positions_of_debtor(user.user.fiscal_code.as_str(), 200)
        .await?;
    let t = crate::i18n::Translator::new(ctx.lang);
    let layout = Layout::new(
        &ctx,
        t.get("payments.title").to_owned(),
        t.get("payments.title").to_owned(),
        vec![
            Crumb::personal_area(&ctx),
            Crumb {
                label: t.get("payments.title").to_owned(),
                href: None,
            },
        ],
    )
    .without_rating();
    let page = ListPage {
        layout,
        positions: positions
            .iter()
            .map(|p| row(&ctx.base, p, ctx.lang))
            .collect(),
        catalogue: ctx
            .tenant
            .profile
            .pagopa
            .as_ref()
            .is_some_and(|c| !c.spontaneous.is_empty()),
    };
    Ok(render(&page)?.into_response())
}

/// What the citizen still has to pay, for the personal area's desk.
pub(crate) async fn payable_rows(
    ctx: &TenantContext,
    fiscal_code: &str,
) -> Result<Vec<PositionRow>, WebError> {
    let positions = ctx
        .state
        .store()
        .scoped(ctx.tenant.id)
        .positions_of_debtor(fiscal_code, 200)
        .await?;
    Ok(positions
        .iter()
        .filter(|p| can_pay(p))
        .map(|p| row(&ctx.base, p, ctx.lang))
        .collect())
}

/// The position if it is the signed-in citizen's own.
pub(crate) async fn own_position(
    ctx: &TenantContext,
    id: Uuid,
) -> Result<StoredPosition, WebError> {
    let user = signed_in(ctx)?;
    let stored = ctx
        .state
        .store()
        .scoped(ctx.tenant.id)
        .position(id)
        .await?
        .ok_or(WebError::NotFound)?;
    if stored.position.debtor.fiscal_code == user.user.fiscal_code.as_str() {
        Ok(stored)
    } else {
        Err(WebError::NotFound)
    }
}

pub(crate) struct OptionView {
    pub title: String,
    pub notice: String,
    pub amount: String,
    pub due: String,
    pub paid: Option<String>,
    pub receipt_href: Option<String>,
    pub value: String,
}

#[derive(Template)]
#[template(path = "payment.html")]
struct PositionPage {
    layout: Layout,
    description: String,
    amount: String,
    state: String,
    paid: bool,
    payable: bool,
    failed: bool,
    options: Vec<OptionView>,
    pay_href: String,
    notice_href: String,
    pratica_href: Option<String>,
    creditor: String,
    message: Option<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Notice {
    None,
    Paid,
    Checking,
    Cancelled,
    Error,
    Unavailable,
    NotReady,
}

async fn position_page(
    ctx: &TenantContext,
    stored: &StoredPosition,
    notice: Notice,
) -> Result<Response, WebError> {
    let t = crate::i18n::Translator::new(ctx.lang);
    let scope = ctx.state.store().scoped(ctx.tenant.id);
    let receipts = scope.receipts_of_position(stored.id).await?;
    let path = format!("{}/area-personale/pagamenti/{}", ctx.base, stored.id);
    let single_title = t.get("payments.single").to_owned();
    let mut instalment = 0;
    let options = stored
        .position
        .options
        .iter()
        .map(|o| {
            let receipt = receipts
                .iter()
                .find(|r| r.notice_number == o.notice_number.as_str());
            let title = if o.instalment {
                instalment += 1;
                t.format("payments.instalment", &[("n", &instalment.to_string())])
            } else {
                single_title.clone()
            };
            OptionView {
                title,
                notice: o.notice_number.printed(),
                amount: o.amount().to_string(),
                due: format_date(o.due_date),
                paid: receipt.map(|r| local_time(r.paid_at)),
                receipt_href: receipt.map(|r| format!("{path}/ricevute/{}", r.notice_number)),
                value: o.notice_number.as_str().to_owned(),
            }
        })
        .collect();
    let title = t.get("payments.position_title").to_owned();
    let message = match notice {
        Notice::None => None,
        Notice::Paid => Some(("success", t.get("payments.msg_paid"))),
        Notice::Checking => Some(("info", t.get("payments.msg_checking"))),
        Notice::Cancelled => Some(("warning", t.get("payments.msg_cancelled"))),
        Notice::Error => Some(("danger", t.get("payments.msg_error"))),
        Notice::Unavailable => Some(("danger", t.get("payments.msg_unavailable"))),
        Notice::NotReady => Some(("warning", t.get("payments.msg_not_ready"))),
    }
    .map(|(kind, text)| (kind.to_owned(), text.to_owned()));
    let description = stored.position.description().to_owned();
    let page = PositionPage {
        layout: Layout::new(
            ctx,
            title.clone(),
            description.clone(),
            vec![
                Crumb::personal_area(ctx),
                Crumb {
                    label: t.get("payments.title").to_owned(),
                    href: Some(format!("{}/area-personale/pagamenti", ctx.base)),
                },
                Crumb {
                    label: title,
                    href: None,
                },
            ],
        )
        .without_rating(),
        description,
        amount: stored.position.total().to_string(),
        state: state_label(stored.state, ctx.lang),
        paid: stored.state.is_paid(),
        payable: can_pay(stored),
        failed: stored.state == PositionState::Failed,
        options,
        pay_href: format!("{path}/paga"),
        notice_href: format!("{path}/avviso.pdf"),
        pratica_href: stored
            .pratica
            .map(|p| format!("{}/area-personale/pratiche/{p}", ctx.base)),
        creditor: ctx.tenant.profile.name.clone(),
        message,
    };
    Ok(render(&page)?.into_response())
}

/// `GET /{tenant}/area-personale/pagamenti/{id}`.
pub(crate) async fn show(
    ctx: TenantContext,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<Response, WebError> {
    let stored = own_position(&ctx, id).await?;
    position_page(&ctx, &stored, Notice::None).await
}

#[derive(Deserialize)]
pub(crate) struct PayForm {
    /// Which notice to pay: the single payment or one instalment; the first unpaid if absent.
    opzione: Option<String>,
}

/// Why the Checkout cannot start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PayRefusal {
    /// Paid, cancelled, refused, or no such unpaid notice in the position.
    NothingToPay,
    /// pagoPA or its configuration is not available now.
    Unavailable,
    /// GPD has the position but it is not payable yet (published, validity to come).
    NotReady,
}

/// Starts the pagoPA Checkout for the notice `wanted` of the position (the first unpaid one
/// when `None`), putting the position on GPD first if the outbox has not yet; returns where
/// to send the citizen.
pub(crate) async fn start_checkout(
    ctx: &TenantContext,
    stored: &StoredPosition,
    wanted: Option<&str>,
) -> Result<String, PayRefusal> {
    if !can_pay(stored) {
        return Err(PayRefusal::NothingToPay);
    }
    let services = ctx.state.payments().map_err(|_| PayRefusal::Unavailable)?;
    let state = services
        .sink
        .publish_now(&ctx.tenant, stored)
        .await
        .map_err(|error| {
            tracing::warn!(%error, position = %stored.id, "cannot put the position on pagoPA");
            PayRefusal::Unavailable
        })?;
    if !state.is_payable() {
        return Err(PayRefusal::NotReady);
    }
    let scope = ctx.state.store().scoped(ctx.tenant.id);
    let paid: Vec<String> = scope
        .receipts_of_position(stored.id)
        .await
        .map_err(|_| PayRefusal::Unavailable)?
        .into_iter()
        .map(|r| r.notice_number)
        .collect();
    let option = stored
        .position
        .options
        .iter()
        .filter(|o| !paid.iter().any(|p| p == o.notice_number.as_str()))
        .find(|o| wanted.is_none_or(|w| o.notice_number.as_str() == w))
        .ok_or(PayRefusal::NothingToPay)?;
    let back = format!(
        "{}/area-personale/pagamenti/{}/esito",
        return_base(ctx),
        stored.id
    );
    let cart = Cart {
        payment_notices: vec![CartNotice {
            notice_number: option.notice_number.as_str().to_owned(),
            fiscal_code: ctx.tenant.profile.codice_fiscale.as_str().to_owned(),
            amount: option.amount().get(),
            company_name: ctx.tenant.profile.name.clone(),
            description: option.description.clone(),
        }],
        return_urls: ReturnUrls {
            return_ok_url: format!("{back}?esito=ok"),
            return_cancel_url: format!("{back}?esito=annullato"),
            return_error_url: format!("{back}?esito=errore"),
        },
        email_notice: ctx.user.as_ref().and_then(|u| u.user.email.clone()),
        id_cart: None,
    };
    match services.checkout.start(&cart).await {
        Ok(location) => Ok(location.to_string()),
        Err(error) => {
            tracing::warn!(%error, position = %stored.id, "pagoPA Checkout refused the cart");
            Err(PayRefusal::Unavailable)
        }
    }
}

/// `POST /{tenant}/area-personale/pagamenti/{id}/paga`: starts the pagoPA Checkout for the
/// chosen notice and sends the browser there.
pub(crate) async fn pay(
    ctx: TenantContext,
    Path((_, id)): Path<(String, Uuid)>,
    Form(form): Form<PayForm>,
) -> Result<Response, WebError> {
    let stored = own_position(&ctx, id).await?;
    match start_checkout(&ctx, &stored, form.opzione.as_deref()).await {
        Ok(location) => Ok(Redirect::to(&location).into_response()),
        Err(PayRefusal::NothingToPay) => position_page(&ctx, &stored, Notice::None).await,
        Err(PayRefusal::Unavailable) => position_page(&ctx, &stored, Notice::Unavailable).await,
        Err(PayRefusal::NotReady) => position_page(&ctx, &stored, Notice::NotReady).await,
    }
}

/// Where the Checkout sends the citizen back: the comune's public address when the
/// installation has one (pagoPA needs absolute URLs), the path otherwise.
fn return_base(ctx: &TenantContext) -> String {
    match ctx.state.0.config.public_url.as_deref() {
        Some(public) => auth::tenant_base_url(public, &ctx.tenant),
        None => ctx.base.clone(),
    }
}

#[derive(Deserialize)]
pub(crate) struct OutcomeQuery {
    esito: Option<String>,
}

/// `GET …/esito?esito=ok|annullato|errore`: back from the Checkout. After a payment the
/// position is read from pagoPA at once, so the citizen sees it paid without waiting for the
/// receipts poller (which would record it anyway).
pub(crate) async fn outcome(
    ctx: TenantContext,
    Path((_, id)): Path<(String, Uuid)>,
    Query(query): Query<OutcomeQuery>,
) -> Result<Response, WebError> {
    let stored = own_position(&ctx, id).await?;
    let notice = match query.esito.as_deref() {
        Some("ok") => {
            let checked = match ctx.state.payments() {
                Ok(services) => services.watcher.check(&ctx.tenant, &stored).await.ok(),
                Err(_) => None,
            };
            match checked {
                Some(c) if c.state.is_paid() || c.new_receipts > 0 => Notice::Paid,
                _ => Notice::Checking,
            }
        }
        Some("annullato") => Notice::Cancelled,
        _ => Notice::Error,
    };
    let stored = own_position(&ctx, id).await?;
    position_page(&ctx, &stored, notice).await
}

/// `GET …/avviso.pdf`: the pagoPA payment notice, to pay at a bank, a shop or a post office.
pub(crate) async fn notice_pdf(
    ctx: TenantContext,
    Path((_, id)): Path<(String, Uuid)>,
) -> Result<Response, WebError> {
    let stored = own_position(&ctx, id).await?;
    notice_response(&ctx.tenant, &stored)
}

pub(crate) fn notice_response(
    tenant: &Tenant,
    stored: &StoredPosition,
) -> Result<Response, WebError> {
    let bytes =
        sportello_pagopa::notice::notice_pdf(tenant, &stored.position).map_err(|error| {
            tracing::error!(%error, "payment notice not rendered");
            WebError::Internal("payment notice")
        })?;
    let first = stored
        .position
        .options
        .first()
        .map(|o| o.notice_number.as_str().to_owned())
        .unwrap_or_default();
    Ok(pdf_response(&format!("avviso-pagopa-{first}.pdf"), bytes))
}

/// `GET …/ricevute/{notice}`: the receipt of a paid notice.
pub(crate) async fn receipt_pdf(
    ctx: TenantContext,
    Path((_, id, notice)): Path<(String, Uuid, String)>,
) -> Result<Response, WebError> {
    let stored = own_position(&ctx, id).await?;
    receipt_response(&ctx, &stored, &notice).await
}

pub(crate) async fn receipt_response(
    ctx: &TenantContext,
    stored: &StoredPosition,
    notice: &str,
) -> Result<Response, WebError> {
    let scope = ctx.state.store().scoped(ctx.tenant.id);
    let receipts: Vec<Receipt> = scope.receipts_of_position(stored.id).await?;
    let receipt = receipts
        .iter()
        .find(|r| r.notice_number == notice)
        .ok_or(WebError::NotFound)?;
    let bytes = sportello_pagopa::notice::receipt_pdf(&ctx.tenant, stored, receipt, ctx.lang)
        .map_err(|error| {
            tracing::error!(%error, "payment receipt not rendered");
            WebError::Internal("payment receipt")
        })?;
    Ok(pdf_response(
        &format!("ricevuta-pagopa-{notice}.pdf"),
        bytes,
    ))
}

/// A position as the office sees it on a pratica: what it is, where it stands, the notice to
/// print for a citizen at the counter, and how it was paid.
pub(crate) struct OfficePayment {
    pub description: String,
    pub notice: String,
    pub amount: String,
    pub state: String,
    pub notice_href: String,
    pub receipts: Vec<String>,
    pub error: Option<String>,
}

pub(crate) async fn office_payments(
    ctx: &TenantContext,
    pratica: Uuid,
) -> Result<Vec<OfficePayment>, WebError> {
    let scope = ctx.state.store().scoped(ctx.tenant.id);
    let t = crate::i18n::Translator::new(ctx.lang);
    let mut out = Vec::new();
    for stored in scope.positions_of_pratica(pratica).await? {
        let receipts = scope
            .receipts_of_position(stored.id)
            .await?
            .iter()
            .map(|r| {
                t.format(
                    "payments.receipt_line",
                    &[
                        ("when", &local_time(r.paid_at)),
                        ("amount", &r.amount.to_string()),
                        ("source", &r.source),
                        ("id", &r.receipt_id),
                    ],
                )
            })
            .collect();
        out.push(OfficePayment {
            description: stored.position.description().to_owned(),
            notice: stored
                .position
                .options
                .first()
                .map(|o| o.notice_number.printed())
                .unwrap_or_default(),
            amount: stored.position.total().to_string(),
            state: state_label(stored.state, ctx.lang),
            notice_href: format!(
                "{}/ufficio/pratiche/{pratica}/pagamenti/{}/avviso.pdf",
                ctx.base, stored.id
            ),
            receipts,
            error: stored.last_error.clone(),
        });
    }
    Ok(out)
}
