//! The public fee calculator of the canone unico (L. 160/2019 c. 816–847) for public-land
//! occupation: the same quote the request's summary shows, with every factor, before any
//! login. A GET form, so a result can be linked and bookmarked.

use crate::WebError;
use crate::pages::layout::{Crumb, Layout, Nav};
use crate::pages::render;
use crate::tenant::TenantContext;
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sportello_domain::fees::canone::{self, QuoteInput};
use sportello_domain::form::{Decimal, parse_date, parse_time};
use sportello_domain::procedure::ProcedureKind;

#[derive(Deserialize, Default)]
pub(crate) struct FeeQuery {
    #[serde(default)]
    categoria: String,
    #[serde(default)]
    tipo: String,
    #[serde(default)]
    superficie: String,
    #[serde(default)]
    dal: String,
    #[serde(default)]
    al: String,
    #[serde(default)]
    ora_inizio: String,
    #[serde(default)]
    ora_fine: String,
}

#[derive(Template)]
#[template(path = "public_fee.html")]
struct FeePage {
    layout: Layout,
    query: FeeQuery,
    categories: Vec<(String, String)>,
    kinds: Vec<(String, String)>,
    lines: Vec<(String, String)>,
    total: Option<String>,
    tariff: Option<String>,
    error: Option<(String, String)>,
}

pub(crate) async fn show(
    ctx: TenantContext,
    Path((_, slug)): Path<(String, String)>,
    Query(query): Query<FeeQuery>,
) -> Result<Response, WebError> {
    let lang = ctx.lang;
    let t = crate::i18n::Translator::new(lang);
    let scope = ctx.state.store().scoped(ctx.tenant.id);
    let service = scope.service(&slug).await?.ok_or(WebError::NotFound)?;
    let is_occupation = service
        .procedure
        .as_ref()
        .is_some_and(|p| p.kind == ProcedureKind::PublicLandOccupation);
    let Some(rules) = ctx
        .tenant
        .profile
        .rules
        .canone
        .as_ref()
        .filter(|_| is_occupation)
    else {
        return Err(WebError::NotFound);
    };
    let title = t.get("fee.title").to_owned();
    let crumbs = vec![
        Crumb {
            label: t.get("catalogue.title").to_owned(),
            href: Some(format!("{}/servizi", ctx.base)),
        },
        Crumb {
            label: service.title.get(lang).to_owned(),
            href: Some(format!("{}/servizi/{}", ctx.base, service.slug)),
        },
        Crumb {
            label: title.clone(),
            href: None,
        },
    ];
    let layout = Layout::new(&ctx, title, service.title.get(lang).to_owned(), crumbs)
        .with_nav(Nav::Services);
    let mut page = FeePage {
        layout,
        categories: rules
            .road_categories
            .iter()
            .map(|c| (c.id.to_string(), c.name.get(lang).to_owned()))
            .collect(),
        kinds: rules
            .occupation_kinds
            .iter()
            .map(|k| (k.id.to_string(), k.name.get(lang).to_owned()))
            .collect(),
        lines: Vec::new(),
        total: None,
        tariff: None,
        error: None,
        query,
    };
    if page.query.tipo.is_empty() {
        return Ok(render(&page)?.into_response());
    }
    let q = &page.query;
    let say = |field: &str, key: &str| Some((field.to_owned(), t.get(key).to_owned()));
    let area = Decimal::parse(&q.superficie).ok();
    let start = parse_date(&q.dal);
    let end = if q.al.trim().is_empty() {
        start
    } else {
        parse_date(&q.al)
    };
    let times = match (parse_time(&q.ora_inizio), parse_time(&q.ora_fine)) {
        (Some(from), Some(to)) => Some((from, to)),
        _ => None,
    };
    page.error = match (area, start, end) {
        (None, _, _) => say("superficie", "fee.error.area"),
        (_, None, _) => say("dal", "fee.error.date"),
        (_, _, None) => say("al", "fee.error.date"),
        (Some(area), Some(start), Some(end)) => {
            let input = QuoteInput {
                road_category: &q.categoria,
                occupation_kind: &q.tipo,
                area_hundredths_m2: area.hundredths(),
                start,
                end,
                times,
            };
            match canone::quote(rules, &input) {
                Ok(quote) => {
                    page.lines = quote
                        .lines
                        .iter()
                        .map(|l| (l.label.get(lang).to_owned(), l.value.get(lang).to_owned()))
                        .collect();
                    page.total = Some(quote.total.to_string());
                    page.tariff = Some(t.format(
                        "fee.tariff",
                        &[(
                            "date",
                            &sportello_domain::form::format_date(quote.tariff_valid_from),
                        )],
                    ));
                    None
                }
                Err(error) => Some((
                    error.field().to_owned(),
                    error.message().get(lang).to_owned(),
                )),
            }
        }
    };
    let status = if page.error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, render(&page)?).into_response())
}
