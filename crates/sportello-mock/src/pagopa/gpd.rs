//! GPD v1 endpoints: `/gpd/debt-positions-service/v1/organizations/{org}/...`.

use super::schema::{self, parse_date_time};
use super::state::{Position, State, Status};
use super::{MockCreditor, MockPagoPa, Problem, authorize, json_body};
use axum::body::Bytes;
use axum::extract::{Path, Query, State as AxumState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use jiff::civil::Date;
use serde_json::{Value, json};
use std::collections::HashMap;

/// GPD's `max.days.interval`: the widest date window of the list.
const MAX_DAYS: i64 = 30;
const DAY_SECONDS: i64 = 86_400;

type Params = HashMap<String, String>;
type Answer = Result<(StatusCode, Value), Problem>;

fn respond(result: Answer) -> Response {
    match result {
        Ok((status, body)) => (status, axum::Json(body)).into_response(),
        Err(problem) => problem.into_response(),
    }
}

fn bad(detail: impl Into<String>) -> Problem {
    Problem::new(StatusCode::BAD_REQUEST, detail)
}

fn to_publish(params: &Params) -> Result<bool, Problem> {
    match params.get("toPublish").map(String::as_str) {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(bad(format!("toPublish must be true or false, is {other}"))),
    }
}

/// 403 unless the IUV's segregation code (its first two digits) is one of the creditor's.
pub(crate) fn check_segregation(creditor: &MockCreditor, iuv: &str) -> Result<(), Problem> {
    if creditor.segregation_codes.is_empty() {
        return Ok(());
    }
    let code = iuv.get(..2).and_then(|c| c.parse::<u8>().ok());
    if code.is_some_and(|c| creditor.segregation_codes.contains(&c)) {
        Ok(())
    } else {
        Err(Problem::new(
            StatusCode::FORBIDDEN,
            format!("the segregation code of {iuv} is not one of the creditor's"),
        ))
    }
}

pub(super) async fn create(
    AxumState(mock): AxumState<MockPagoPa>,
    Path(org): Path<String>,
    Query(params): Query<Params>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    mock.api_call("createPosition", &headers, |state| {
        respond((|| -> Answer {
            let creditor = authorize(state, &headers, &org)?;
            let publish = to_publish(&params)?;
            let body = json_body(&body)?;
            let created = state.create(&org, &body, &creditor, publish)?;
            Ok((StatusCode::CREATED, created))
        })())
    })
    .await
}

pub(super) async fn update(
    AxumState(mock): AxumState<MockPagoPa>,
    Path((org, iupd)): Path<(String, String)>,
    Query(params): Query<Params>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    mock.api_call("updatePosition", &headers, |state| {
        respond((|| -> Answer {
            let creditor = authorize(state, &headers, &org)?;
            let publish = to_publish(&params)?;
            let body = json_body(&body)?;
            let updated = state.update(&org, &iupd, &body, &creditor, publish)?;
            Ok((StatusCode::OK, updated))
        })())
    })
    .await
}

pub(super) async fn get_one(
    AxumState(mock): AxumState<MockPagoPa>,
    Path((org, iupd)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    mock.api_call("getOrganizationDebtPositionByIUPD", &headers, |state| {
        respond((|| -> Answer {
            authorize(state, &headers, &org)?;
            let position = state.position_mut(&org, &iupd)?;
            Ok((StatusCode::OK, position.base_json()))
        })())
    })
    .await
}

pub(super) async fn delete(
    AxumState(mock): AxumState<MockPagoPa>,
    Path((org, iupd)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    mock.api_call("deletePosition", &headers, |state| {
        respond((|| -> Answer {
            authorize(state, &headers, &org)?;
            state.delete(&org, &iupd)?;
            Ok((StatusCode::OK, json!("OK")))
        })())
    })
    .await
}

pub(super) async fn publish(
    AxumState(mock): AxumState<MockPagoPa>,
    Path((org, iupd)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    mock.api_call("publishPosition", &headers, |state| {
        respond((|| -> Answer {
            authorize(state, &headers, &org)?;
            let now = state.now();
            let position = state.position_mut(&org, &iupd)?;
            position.publish(now)?;
            Ok((StatusCode::OK, position.model_json()))
        })())
    })
    .await
}

pub(super) async fn invalidate(
    AxumState(mock): AxumState<MockPagoPa>,
    Path((org, iupd)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    mock.api_call("invalidatePosition", &headers, |state| {
        respond((|| -> Answer {
            authorize(state, &headers, &org)?;
            let now = state.now();
            let position = state.position_mut(&org, &iupd)?;
            position.invalidate(now)?;
            Ok((StatusCode::OK, position.model_json()))
        })())
    })
    .await
}

pub(super) async fn paid_outside(
    AxumState(mock): AxumState<MockPagoPa>,
    Path((org, nav)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    mock.api_call("setPaymentOptionAsAlreadyPaid", &headers, |state| {
        respond((|| -> Answer {
            let creditor = authorize(state, &headers, &org)?;
            if let Some(iuv) = nav.strip_prefix(super::state::AUX_DIGIT) {
                check_segregation(&creditor, iuv)?;
            }
            let body = json_body(&body)?;
            let violations = schema::gpd_v1()
                .map_err(super::state::GpdError::from)?
                .validate("AlreadyPaidPaymentOptionModel", &body)
                .map_err(super::state::GpdError::from)?;
            if !violations.is_empty() {
                return Err(super::state::GpdError::Invalid(violations).into());
            }
            let date = body
                .get("paymentDate")
                .and_then(Value::as_str)
                .and_then(parse_date_time);
            let answer = state.mark_paid_outside(&org, &nav, date)?;
            Ok((StatusCode::OK, answer))
        })())
    })
    .await
}

pub(super) async fn list(
    AxumState(mock): AxumState<MockPagoPa>,
    Path(org): Path<String>,
    Query(params): Query<Params>,
    headers: HeaderMap,
) -> Response {
    mock.api_call("getOrganizationDebtPositions", &headers, |state| {
        respond((|| -> Answer {
            authorize(state, &headers, &org)?;
            Ok((StatusCode::OK, list_positions(state, &org, &params)?))
        })())
    })
    .await
}

fn integer(params: &Params, name: &str, default: i64, min: i64, max: i64) -> Result<i64, Problem> {
    let Some(text) = params.get(name) else {
        return Ok(default);
    };
    let value: i64 = text
        .parse()
        .map_err(|_| bad(format!("{name} must be an integer, is {text}")))?;
    if !(min..=max).contains(&value) {
        return Err(bad(format!(
            "{name} must be between {min} and {max}, is {value}"
        )));
    }
    Ok(value)
}

fn day_start(date: Date) -> Result<Timestamp, Problem> {
    date.to_zoned(jiff::tz::TimeZone::UTC)
        .map(|z| z.timestamp())
        .map_err(|e| bad(e.to_string()))
}

/// The inclusive window `[from, to]` of a pair of filters: a missing bound is 30 days from
/// the other; wider than 30 days is a 400.
fn window(
    params: &Params,
    from: &str,
    to: &str,
    dates: bool,
) -> Result<Option<(Timestamp, Timestamp)>, Problem> {
    let read = |name: &str| -> Result<Option<Timestamp>, Problem> {
        let Some(text) = params.get(name) else {
            return Ok(None);
        };
        if dates {
            let date: Date = text
                .parse()
                .map_err(|_| bad(format!("{name} must be a date (yyyy-MM-dd), is {text}")))?;
            day_start(date).map(Some)
        } else {
            parse_date_time(text)
                .map(Some)
                .ok_or_else(|| bad(format!("{name} must be a date-time, is {text}")))
        }
    };
    let span = jiff::SignedDuration::from_secs(MAX_DAYS * DAY_SECONDS);
    // A `to` date covers its whole day.
    let end_of = |t: Timestamp| {
        if dates {
            t.checked_add(jiff::SignedDuration::from_secs(DAY_SECONDS - 1))
                .unwrap_or(t)
        } else {
            t
        }
    };
    let (start, end) = match (read(from)?, read(to)?) {
        (None, None) => return Ok(None),
        (Some(start), Some(end)) => (start, end),
        (Some(start), None) => (start, start.checked_add(span).unwrap_or(start)),
        (None, Some(end)) => (end.checked_sub(span).unwrap_or(end), end),
    };
    if end < start {
        return Err(bad(format!("{from} must not be after {to}")));
    }
    if start.duration_until(end) > span {
        return Err(bad(format!(
            "the interval {from}..{to} must not exceed {MAX_DAYS} days"
        )));
    }
    Ok(Some((start, end_of(end))))
}

fn list_positions(state: &mut State, org: &str, params: &Params) -> Result<Value, Problem> {
    let limit = integer(params, "limit", 10, 1, 50)?;
    let page = integer(params, "page", 0, 0, i64::from(i32::MAX))?;
    let status = match params.get("status") {
        Some(text) => {
            Some(Status::parse(text).ok_or_else(|| bad(format!("status {text} is not a status")))?)
        }
        None => None,
    };
    let order_by = params
        .get("orderby")
        .map_or("INSERTED_DATE", String::as_str);
    if !["INSERTED_DATE", "IUPD", "STATUS", "COMPANY_NAME"].contains(&order_by) {
        return Err(bad(format!("orderby {order_by} is not allowed")));
    }
    let descending = match params.get("ordering").map(String::as_str) {
        None | Some("DESC") => true,
        Some("ASC") => false,
        Some(other) => return Err(bad(format!("ordering {other} is not ASC or DESC"))),
    };
    let due = window(params, "due_date_from", "due_date_to", true)?;
    let paid = window(params, "payment_date_from", "payment_date_to", true)?;
    let paid_time = window(
        params,
        "payment_date_time_from",
        "payment_date_time_to",
        false,
    )?;
    if due.is_some() && (paid.is_some() || paid_time.is_some()) {
        return Err(bad(
            "the due dates interval is mutually exclusive with the payment dates interval",
        ));
    }
    if paid.is_some() && paid_time.is_some() {
        return Err(bad(
            "payment_date_* and payment_date_time_* are mutually exclusive",
        ));
    }
    let within = |t: Timestamp, (start, end): (Timestamp, Timestamp)| start <= t && t <= end;
    let paid_window = paid.or(paid_time);
    let mut found: Vec<(usize, &Position)> = state
        .positions_of(org)
        .into_iter()
        .enumerate()
        .filter(|(_, p)| status.is_none_or(|s| p.status == s))
        .filter(|(_, p)| due.is_none_or(|w| p.options.iter().any(|o| within(o.due, w))))
        .filter(|(_, p)| {
            paid_window.is_none_or(|w| {
                p.options
                    .iter()
                    .filter_map(|o| o.payment.as_ref())
                    .any(|pay| within(pay.date, w))
            })
        })
        .collect();
    found.sort_by(|(ia, a), (ib, b)| {
        let order = match order_by {
            "IUPD" => a.iupd().cmp(b.iupd()),
            "STATUS" => a.status.as_str().cmp(b.status.as_str()),
            "COMPANY_NAME" => a.input.company_name.cmp(&b.input.company_name),
            _ => a.inserted.cmp(&b.inserted),
        }
        .then(ia.cmp(ib));
        if descending { order.reverse() } else { order }
    });
    let total = found.len() as i64;
    let total_pages = (total + limit - 1) / limit;
    let items: Vec<Value> = found
        .iter()
        .skip(usize::try_from(page * limit).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(0))
        .map(|(_, p)| p.base_json())
        .collect();
    Ok(json!({
        "payment_position_list": items,
        "page_info": {"page": page, "limit": limit, "items_found": items.len(), "total_pages": total_pages},
    }))
}
