//! The comune's catalogue of spontaneous payments: the list, the form that fixes the amount
//! (a quantity, an amount within limits, or nothing for a fixed price), and the position it
//! creates for the signed-in citizen.

use super::pages::state_label;
use crate::pages::layout::{Crumb, Layout};
use crate::pages::render;
use crate::requests::signed_in;
use crate::tenant::TenantContext;
use crate::{WebError, auth};
use askama::Template;
use axum::Form;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sportello_domain::Lang;
use sportello_domain::payment::{AmountInput, AmountRule, Debtor, SpontaneousPayment};
use sportello_store::payments::PositionState;

pub(crate) struct CatalogueEntry {
    pub href: String,
    pub name: String,
    pub description: String,
    pub price: String,
}

#[derive(Template)]
#[template(path = "spontaneous.html")]
struct CataloguePage {
    layout: Layout,
    entries: Vec<CatalogueEntry>,
}

fn price(rule: &AmountRule, lang: Lang) -> String {
    match (rule, lang) {
        (AmountRule::Fixed { amount }, _) => amount.to_string(),
        (AmountRule::Range { min, max }, Lang::It) => format!("da {min} a {max}"),
        (AmountRule::Range { min, max }, Lang::En) => format!("from {min} to {max}"),
        (
            AmountRule::PerUnit {
                unit_price, unit, ..
            },
            Lang::It,
        ) => {
            format!("{unit_price} per {}", unit.get(lang))
        }
        (
            AmountRule::PerUnit {
                unit_price, unit, ..
            },
            Lang::En,
        ) => {
            format!("{unit_price} a {}", unit.get(lang))
        }
    }
}

fn catalogue_of(ctx: &TenantContext) -> &[SpontaneousPayment] {
    ctx.tenant
        .profile
        .pagopa
        .as_ref()
        .map(|c| c.spontaneous.as_slice())
        .unwrap_or_default()
}

/// `GET /{tenant}/pagamenti`: what can be paid without a prior request.
pub(crate) async fn catalogue(ctx: TenantContext) -> Result<Response, WebError> {
    let entries = catalogue_of(&ctx)
        .iter()
        .map(|p| CatalogueEntry {
            href: format!("{}/pagamenti/{}", ctx.base, p.slug),
            name: p.name.get(ctx.lang).to_owned(),
            description: p.description.get(ctx.lang).to_owned(),
            price: price(&p.amount, ctx.lang),
        })
        .collect();
    let page = CataloguePage {
        layout: Layout::titled(&ctx, "payments.catalogue_title"),
        entries,
    };
    Ok(render(&page)?.into_response())
}

#[derive(Template)]
#[template(path = "spontaneous_form.html")]
struct FormPage {
    layout: Layout,
    description: String,
    office: Option<String>,
    price: String,
    /// `euros`, `units` or `none`: what the form asks for.
    input: &'static str,
    unit: String,
    value: String,
    error: Option<String>,
    signed_in: bool,
    login_href: String,
}

fn form_page(
    ctx: &TenantContext,
    item: &SpontaneousPayment,
    value: String,
    error: Option<String>,
) -> Result<Response, WebError> {
    let t = crate::i18n::Translator::new(ctx.lang);
    let name = item.name.get(ctx.lang).to_owned();
    let (input, unit) = match &item.amount {
        AmountRule::Fixed { .. } => ("none", String::new()),
        AmountRule::Range { .. } => ("euros", String::new()),
        AmountRule::PerUnit { unit, .. } => ("units", unit.get(ctx.lang).to_owned()),
    };
    let path = format!("{}/pagamenti/{}", ctx.base, item.slug);
    let page = FormPage {
        layout: Layout::new(
            ctx,
            name.clone(),
            item.description.get(ctx.lang).to_owned(),
            vec![
                Crumb {
                    label: t.get("payments.catalogue_title").to_owned(),
                    href: Some(format!("{}/pagamenti", ctx.base)),
                },
                Crumb {
                    label: name,
                    href: None,
                },
            ],
        ),
        description: item.description.get(ctx.lang).to_owned(),
        office: item.office.clone(),
        price: price(&item.amount, ctx.lang),
        input,
        unit,
        value,
        error,
        signed_in: ctx.user.is_some(),
        login_href: format!(
            "{}/accedi?next={}",
            ctx.base,
            crate::pages::layout::encode_path(&path)
        ),
    };
    let status = if page.error.is_some() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    Ok((status, render(&page)?).into_response())
}

fn item<'a>(ctx: &'a TenantContext, slug: &str) -> Result<&'a SpontaneousPayment, WebError> {
    catalogue_of(ctx)
        .iter()
        .find(|p| p.slug.as_str() == slug)
        .ok_or(WebError::NotFound)
}

/// `GET /{tenant}/pagamenti/{payment}`.
pub(crate) async fn form(
    ctx: TenantContext,
    Path((_, slug)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let item = item(&ctx, &slug)?;
    form_page(&ctx, item, String::new(), None)
}

#[derive(Deserialize)]
pub(crate) struct AmountForm {
    #[serde(default)]
    valore: String,
}

/// `POST /{tenant}/pagamenti/{payment}`: a refused amount comes back as typed, with the
/// reason; an accepted one creates the position and opens it, ready to pay.
pub(crate) async fn create(
    ctx: TenantContext,
    headers: axum::http::HeaderMap,
    Path((_, slug)): Path<(String, String)>,
    Form(form): Form<AmountForm>,
) -> Result<Response, WebError> {
    let item = item(&ctx, &slug)?;
    let user = signed_in(&ctx)?;
    let input = match &item.amount {
        AmountRule::Fixed { .. } => AmountInput::None,
        AmountRule::Range { .. } => AmountInput::Euros(&form.valore),
        AmountRule::PerUnit { .. } => AmountInput::Units(&form.valore),
    };
    let amount = match item.amount.amount(&input) {
        Ok(amount) => amount,
        Err(error) => {
            return form_page(
                &ctx,
                item,
                form.valore.clone(),
                Some(error.message(ctx.lang)),
            );
        }
    };
    let payer = Debtor::person(&user.user.fiscal_code, &user.display_name())
        .map_err(|_| WebError::Internal("payer"))?;
    let actor = user.actor(auth::client(&headers));
    let stored = sportello_pagopa::spontaneous::create(
        ctx.state.store(),
        &ctx.tenant,
        item,
        payer,
        amount,
        &actor,
    )
    .await
    .map_err(|error| {
        tracing::error!(%error, "spontaneous payment not created");
        WebError::Internal("spontaneous payment")
    })?;
    debug_assert_eq!(
        state_label(stored.state, Lang::It),
        state_label(PositionState::Pending, Lang::It)
    );
    Ok(Redirect::to(&format!(
        "{}/area-personale/pagamenti/{}",
        ctx.base, stored.id
    ))
    .into_response())
}
