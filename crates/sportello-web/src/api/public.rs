//! Lookups anyone may make without signing in: the canone quote of an occupation of public
//! land, and whether a permit whose QR code one holds is valid now.

use super::{ApiContext, ApiError};
use axum::Json;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use sportello_documents::VerificationCode;
use sportello_domain::assessment::Assessment;
use sportello_domain::calendar;
use sportello_domain::fees::canone::{self, QuoteInput};
use sportello_domain::form::{Decimal, FieldError, parse_date, parse_time};
use sportello_domain::pratica::PraticaState;
use sportello_domain::procedure::ProcedureKind;
use sportello_domain::streets;

#[derive(Deserialize, Default)]
pub(crate) struct FeeQuery {
    /// A street id of the comune's street list; its road category is used.
    #[serde(default)]
    street: String,
    /// A road category id, for a place not in the list (ignored when `street` is given).
    #[serde(default)]
    road_category: String,
    #[serde(default)]
    occupation_kind: String,
    /// m², up to two decimals, with a comma or a point.
    #[serde(default)]
    area_m2: String,
    #[serde(default)]
    start_date: String,
    /// Last day, included; the start date when absent.
    #[serde(default)]
    end_date: String,
    #[serde(default)]
    start_time: String,
    #[serde(default)]
    end_time: String,
}

fn problem(field: &str, it: &str, en: &str) -> FieldError {
    FieldError::new(field, it, en)
}

/// `GET /services/{service}/fee-quote`: the canone with every factor (public-land
/// occupation services only).
pub(crate) async fn fee_quote(
    api: ApiContext,
    Path((_, slug)): Path<(String, String)>,
    Query(query): Query<FeeQuery>,
) -> Result<Response, ApiError> {
    let ctx = &api.0;
    let lang = ctx.lang;
    let service = ctx
        .state
        .store()
        .scoped(ctx.tenant.id)
        .service(&slug)
        .await
        .map_err(|e| api.fail(e))?
        .ok_or_else(|| ApiError::not_found(lang))?;
    let occupation = service
        .procedure
        .as_ref()
        .is_some_and(|p| p.kind == ProcedureKind::PublicLandOccupation);
    let rules = &ctx.tenant.profile.rules;
    let Some(canone_rules) = rules.canone.as_ref().filter(|_| occupation) else {
        return Err(ApiError::not_found(lang));
    };

    let mut errors = Vec::new();
    let (category, category_field) = if !query.street.trim().is_empty() {
        match streets::find(&rules.streets, query.street.trim()) {
            Some(street) => (Some(street.road_category.to_string()), "street"),
            None => {
                errors.push(problem(
                    "street",
                    "La via non è nello stradario del Comune.",
                    "The street is not in the Comune's street list.",
                ));
                (None, "street")
            }
        }
    } else if !query.road_category.trim().is_empty() {
        (Some(query.road_category.trim().to_owned()), "road_category")
    } else {
        errors.push(problem(
            "road_category",
            "Indica la via oppure la categoria della strada.",
            "Give the street or the road category.",
        ));
        (None, "road_category")
    };
    let area = match Decimal::parse(&query.area_m2) {
        Ok(area) => Some(area),
        Err(_) => {
            errors.push(problem(
                "area_m2",
                "Indica la superficie in metri quadrati, per esempio 12,5.",
                "Give the area in square metres, for example 12.5.",
            ));
            None
        }
    };
    let start = parse_date(&query.start_date);
    if start.is_none() {
        errors.push(problem(
            "start_date",
            "Indica la data di inizio (aaaa-mm-gg).",
            "Give the start date (yyyy-mm-dd).",
        ));
    }
    let end = if query.end_date.trim().is_empty() {
        start
    } else {
        let end = parse_date(&query.end_date);
        if end.is_none() {
            errors.push(problem(
                "end_date",
                "La data di fine non è valida (aaaa-mm-gg).",
                "The end date is not valid (yyyy-mm-dd).",
            ));
        }
        end
    };
    let time = |value: &str, field: &str, errors: &mut Vec<FieldError>| {
        if value.trim().is_empty() {
            return None;
        }
        let parsed = parse_time(value);
        if parsed.is_none() {
            errors.push(problem(
                field,
                "L'ora non è valida (hh:mm).",
                "The time is not valid (hh:mm).",
            ));
        }
        parsed
    };
    let from = time(&query.start_time, "start_time", &mut errors);
    let to = time(&query.end_time, "end_time", &mut errors);
    let (Some(category), Some(area), Some(start), Some(end)) = (category, area, start, end) else {
        return Err(ApiError::invalid(errors, lang));
    };
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors, lang));
    }
    let times = match (from, to) {
        (Some(from), Some(to)) if start == end => Some((from, to)),
        _ => None,
    };
    let quote = canone::quote(
        canone_rules,
        &QuoteInput {
            road_category: &category,
            occupation_kind: query.occupation_kind.trim(),
            area_hundredths_m2: area.hundredths(),
            start,
            end,
            times,
        },
    )
    .map_err(|error| {
        let field = match error.field() {
            "street" => category_field,
            other => other,
        };
        ApiError::invalid(
            vec![FieldError {
                field: field.to_owned(),
                message: error.message(),
            }],
            lang,
        )
    })?;
    Ok(Json(json!({
        "service": service.slug.as_str(),
        "lines": quote.lines.iter().map(|l| json!({
            "label": l.label.get(lang),
            "value": l.value.get(lang),
        })).collect::<Vec<_>>(),
        "total": quote.total.get(),
        "total_text": quote.total.to_string(),
        "tariff_valid_from": quote.tariff_valid_from.to_string(),
        "basis": match quote.basis {
            canone::Basis::Daily => "daily",
            canone::Basis::Annual => "annual",
        },
        "area_charged_m2": Decimal::from_hundredths(quote.area_charged_hundredths_m2).to_string(),
    }))
    .into_response())
}

/// `GET /verify/{code}`: the permit a verification code names, and whether it is valid now;
/// only what the permit itself shows (the disabled badge: number and validity only). A code
/// that does not verify is the same 404 as an unknown permit.
pub(crate) async fn verify(
    api: ApiContext,
    Path((_, code)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let ctx = &api.0;
    let lang = ctx.lang;
    let key = &ctx.state.documents().map_err(|e| api.fail(e))?.verification;
    let scope = ctx.state.store().scoped(ctx.tenant.id);
    let pratica = match VerificationCode::verify(key, &code) {
        Ok(id) => scope
            .pratica_by_permit_code(&code)
            .await
            .map_err(|e| api.fail(e))?
            .filter(|p| p.id == id),
        Err(_) => None,
    };
    let Some(pratica) = pratica else {
        return Err(ApiError::not_found(lang));
    };
    let today = calendar::local_date(jiff::Timestamp::now());
    let validity = pratica.pratica.permit();
    let state = pratica.state();
    let valid = state == PraticaState::PermitIssued && validity.is_some_and(|v| v.contains(today));
    let status = match state {
        PraticaState::PermitIssued if valid => "valid",
        PraticaState::PermitIssued => "not-in-period",
        PraticaState::Revoked => "revoked",
        PraticaState::Renewed => "renewed",
        _ => "expired",
    };
    let service = scope
        .service(pratica.service_slug.as_str())
        .await
        .map_err(|e| api.fail(e))?;
    let badge = scope
        .procedure_version(pratica.service_slug.as_str(), pratica.service_version)
        .await
        .map_err(|e| api.fail(e))?
        .is_some_and(|v| v.procedure.kind == ProcedureKind::DisabledBadge);
    // What the permit prints besides holder and dates, from the assessment made at filing.
    let assessment: Option<Assessment> = pratica
        .assessment
        .clone()
        .and_then(|value| serde_json::from_value(value).ok());
    let lines: Vec<_> = match assessment {
        Some(assessment) if !badge => assessment
            .permit
            .lines
            .iter()
            .map(|line| json!({ "label": line.label.get(lang), "value": line.value.get(lang) }))
            .collect(),
        _ => Vec::new(),
    };
    Ok(Json(json!({
        "valid": valid,
        "status": status,
        "service_title": service.map(|s| s.title.get(lang).to_owned()),
        "number": pratica.protocol.to_string(),
        "valid_from": validity.map(|v| v.from().to_string()),
        "valid_until": validity.map(|v| v.until().to_string()),
        "lines": lines,
    }))
    .into_response())
}
