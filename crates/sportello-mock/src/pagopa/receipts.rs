//! The GPD receipts API, `/gpd/payments-receipts-service/v1/payments/{org}/receipts[/{iuv}]`,
//! and the receipt XML: a `paSendRTReq` of `paForNode.xsd` (pagopa-api), with its `ctReceipt`
//! elements in the schema's order.

use super::gpd::check_segregation;
use super::state::{ID_CHANNEL, PaymentOption, Position, State, local};
use super::{MockPagoPa, PaidReceipt, Problem, authorize};
use axum::extract::{Path, Query, State as AxumState};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::fmt::Write;

type Params = HashMap<String, String>;

/// The namespace of `paForNode.xsd`.
const PA_FOR_NODE_NS: &str = "http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd";

fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Cents as an `stAmount`: `150.00`.
fn amount(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, (cents % 100).abs())
}

/// Appends `<name>value</name>` if there is a value.
fn element(out: &mut String, name: &str, value: Option<&str>) {
    if let Some(value) = value {
        let _ = write!(out, "<{name}>{}</{name}>", xml_escape(value));
    }
}

/// The receipt of a payment, as the receipts API returns it.
pub(crate) fn receipt_xml(
    position: &Position,
    option: &PaymentOption,
    receipt: &PaidReceipt,
) -> String {
    let p = &position.input;
    let mut x = String::new();
    let _ = write!(
        x,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <paf:paSendRTReq xmlns:paf=\"{PA_FOR_NODE_NS}\">"
    );
    element(&mut x, "idPA", Some(&receipt.organization_fiscal_code));
    element(
        &mut x,
        "idBrokerPA",
        Some(&receipt.organization_fiscal_code),
    );
    element(
        &mut x,
        "idStation",
        Some(&format!("{}_01", receipt.organization_fiscal_code)),
    );
    x.push_str("<receipt>");
    element(&mut x, "receiptId", Some(&receipt.receipt_id));
    element(&mut x, "noticeNumber", Some(&receipt.nav));
    element(
        &mut x,
        "fiscalCode",
        Some(&receipt.organization_fiscal_code),
    );
    element(&mut x, "outcome", Some("OK"));
    element(&mut x, "creditorReferenceId", Some(&receipt.iuv));
    element(&mut x, "paymentAmount", Some(&amount(receipt.amount)));
    element(&mut x, "description", Some(&receipt.description));
    element(&mut x, "companyName", Some(&receipt.company_name));
    element(&mut x, "officeName", p.office_name.as_deref());
    x.push_str("<debtor><uniqueIdentifier>");
    element(&mut x, "entityUniqueIdentifierType", Some(&p.kind));
    element(&mut x, "entityUniqueIdentifierValue", Some(&p.fiscal_code));
    x.push_str("</uniqueIdentifier>");
    element(&mut x, "fullName", Some(&p.full_name));
    element(&mut x, "streetName", p.street_name.as_deref());
    element(&mut x, "civicNumber", p.civic_number.as_deref());
    element(&mut x, "postalCode", p.postal_code.as_deref());
    element(&mut x, "city", p.city.as_deref());
    element(&mut x, "stateProvinceRegion", p.province.as_deref());
    element(&mut x, "country", p.country.as_deref());
    element(&mut x, "e-mail", p.email.as_deref());
    x.push_str("</debtor><transferList>");
    for t in &option.transfers {
        x.push_str("<transfer>");
        element(&mut x, "idTransfer", Some(&t.id_transfer));
        element(&mut x, "transferAmount", Some(&amount(t.amount)));
        element(
            &mut x,
            "fiscalCodePA",
            Some(
                t.organization_fiscal_code
                    .as_deref()
                    .unwrap_or(&receipt.organization_fiscal_code),
            ),
        );
        // A stamp (marca da bollo) transfer has no IBAN: `ctReceipt` cannot carry it.
        element(&mut x, "IBAN", t.iban.as_deref());
        element(
            &mut x,
            "remittanceInformation",
            Some(&t.remittance_information),
        );
        element(&mut x, "transferCategory", Some(&t.category));
        if let Some(metadata) = t.transfer_metadata.as_ref().filter(|m| !m.is_empty()) {
            x.push_str("<metadata>");
            for entry in metadata {
                x.push_str("<mapEntry>");
                element(&mut x, "key", Some(&entry.key));
                element(&mut x, "value", Some(&entry.value));
                x.push_str("</mapEntry>");
            }
            x.push_str("</metadata>");
        }
        x.push_str("</transfer>");
    }
    x.push_str("</transferList>");
    element(&mut x, "idPSP", Some(&receipt.id_psp));
    element(&mut x, "PSPCompanyName", Some(&receipt.psp_company));
    element(&mut x, "idChannel", Some(ID_CHANNEL));
    element(&mut x, "channelDescription", Some("WEB"));
    element(&mut x, "paymentMethod", Some(&receipt.payment_method));
    element(&mut x, "fee", Some(&amount(receipt.fee)));
    element(
        &mut x,
        "paymentDateTime",
        Some(&local(receipt.payment_date_time)),
    );
    let day = receipt
        .payment_date_time
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
        .to_string();
    element(&mut x, "applicationDate", Some(&day));
    element(&mut x, "transferDate", Some(&day));
    x.push_str("</receipt></paf:paSendRTReq>");
    x
}

fn integer(params: &Params, name: &str, default: i64, min: i64, max: i64) -> Result<i64, Problem> {
    let Some(text) = params.get(name) else {
        return Ok(default);
    };
    match text.parse::<i64>() {
        Ok(value) if (min..=max).contains(&value) => Ok(value),
        _ => Err(Problem::new(
            StatusCode::BAD_REQUEST,
            format!("{name} must be an integer between {min} and {max}, is {text}"),
        )),
    }
}

/// A `from`/`to` filter: a date (its whole day) or a date-time.
fn bound(params: &Params, name: &str, end: bool) -> Result<Option<jiff::Timestamp>, Problem> {
    let Some(text) = params.get(name) else {
        return Ok(None);
    };
    // A plain date is its whole day (`to=2026-11-27` includes that day's payments); only a
    // value with a time is an instant.
    if text.len() > 10
        && let Some(instant) = super::schema::parse_date_time(text)
    {
        return Ok(Some(instant));
    }
    let date: jiff::civil::Date = text.parse().map_err(|_| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            format!("{name} must be a date (yyyy-MM-dd), is {text}"),
        )
    })?;
    let date = if end {
        date.tomorrow().unwrap_or(date)
    } else {
        date
    };
    let start = date
        .to_zoned(jiff::tz::TimeZone::UTC)
        .map(|z| z.timestamp())
        .map_err(|e| Problem::new(StatusCode::BAD_REQUEST, e.to_string()))?;
    Ok(Some(if end {
        start
            .checked_sub(jiff::SignedDuration::from_nanos(1))
            .unwrap_or(start)
    } else {
        start
    }))
}

fn list_receipts(
    state: &State,
    headers: &HeaderMap,
    org: &str,
    params: &Params,
) -> Result<Value, Problem> {
    let creditor = authorize(state, headers, org)?;
    let page = integer(params, "pageNum", 0, 0, i64::from(i32::MAX))?;
    let size = integer(params, "pageSize", 20, 1, 100)?;
    let mut codes: Vec<String> = creditor
        .segregation_codes
        .iter()
        .map(|c| format!("{c:02}"))
        .collect();
    if let Some(asked) = params.get("segregationCodes") {
        let pattern_ok = !asked.is_empty()
            && asked
                .split(',')
                .all(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_digit()));
        if !pattern_ok {
            return Err(Problem::new(
                StatusCode::BAD_REQUEST,
                "segregationCodes must match \\d{2}(,\\d{2})*",
            ));
        }
        let asked: Vec<String> = asked.split(',').map(str::to_owned).collect();
        codes = if codes.is_empty() {
            asked
        } else {
            codes.into_iter().filter(|c| asked.contains(c)).collect()
        };
        if codes.is_empty() {
            return Err(Problem::new(
                StatusCode::FORBIDDEN,
                "the segregation codes asked are not the creditor's",
            ));
        }
    }
    let from = bound(params, "from", false)?;
    let to = bound(params, "to", true)?;
    let mut found: Vec<&super::state::StoredReceipt> = state
        .receipts
        .iter()
        .filter(|((o, _), _)| o == org)
        .map(|(_, r)| r)
        .filter(|r| codes.is_empty() || codes.iter().any(|c| r.receipt.iuv.starts_with(c)))
        .filter(|r| {
            params
                .get("debtor")
                .is_none_or(|d| r.receipt.debtor_fiscal_code == *d)
        })
        .filter(|r| params.get("service").is_none_or(|s| r.service == *s))
        .filter(|r| {
            params.get("debtorOrIuv").is_none_or(|q| {
                r.receipt.debtor_fiscal_code.starts_with(q.as_str())
                    || r.receipt.iuv.starts_with(q.as_str())
            })
        })
        .filter(|r| from.is_none_or(|f| r.receipt.payment_date_time >= f))
        .filter(|r| to.is_none_or(|t| r.receipt.payment_date_time <= t))
        .collect();
    found.sort_by(|a, b| {
        b.receipt
            .payment_date_time
            .cmp(&a.receipt.payment_date_time)
            .then(a.receipt.iuv.cmp(&b.receipt.iuv))
    });
    let total = found.len() as i64;
    let results: Vec<Value> = found
        .iter()
        .skip(usize::try_from(page * size).unwrap_or(usize::MAX))
        .take(usize::try_from(size).unwrap_or(0))
        .map(|r| {
            json!({
                "organizationFiscalCode": r.receipt.organization_fiscal_code,
                "iuv": r.receipt.iuv,
                "debtor": r.receipt.debtor_fiscal_code,
                "paymentDateTime": local(r.receipt.payment_date_time),
                "status": "PAID",
            })
        })
        .collect();
    Ok(json!({
        "currentPageNumber": page,
        "length": results.len(),
        "totalPages": (total + size - 1) / size,
        "results": results,
    }))
}

pub(super) async fn list(
    AxumState(mock): AxumState<MockPagoPa>,
    Path(org): Path<String>,
    Query(params): Query<Params>,
    headers: HeaderMap,
) -> Response {
    mock.api_call(
        "getOrganizationReceipts",
        &headers,
        |state| match list_receipts(state, &headers, &org, &params) {
            Ok(body) => axum::Json(body).into_response(),
            Err(problem) => problem.into_response(),
        },
    )
    .await
}

pub(super) async fn get_one(
    AxumState(mock): AxumState<MockPagoPa>,
    Path((org, iuv)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    mock.api_call("getReceiptByIUV", &headers, |state| {
        let found = (|| -> Result<String, Problem> {
            let creditor = authorize(state, &headers, &org)?;
            check_segregation(&creditor, &iuv)?;
            state
                .receipts
                .get(&(org.clone(), iuv.clone()))
                .map(|r| r.xml.clone())
                .ok_or_else(|| {
                    Problem::new(
                        StatusCode::NOT_FOUND,
                        format!("no receipt for iuv {iuv} of {org}"),
                    )
                })
        })();
        match found {
            Ok(xml) => ([(header::CONTENT_TYPE, "application/xml")], xml).into_response(),
            Err(problem) => problem.into_response(),
        }
    })
    .await
}
