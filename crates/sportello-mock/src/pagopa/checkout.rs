//! The simulated pagoPA Checkout: `POST /checkout/ec/v1/carts` (the creditor's redirect to
//! pay up to five notices) and the payment page it leads to, where "Paga" pays every notice
//! through [`MockPagoPa::pay`] and "Annulla" goes back.
//!
//! Unlike the real Checkout, which verifies the notices only once the citizen is on its
//! pages, the cart is checked against GPD at once: 404 for an unknown notice, 422 for a
//! notice that is not payable or whose amount differs. An already paid notice is accepted and
//! the page says it is paid, as the real Checkout does.

use super::state::{Cart, CartNotice, NoticeState, random_id};
use super::{MockPagoPa, PREFIX, PayError, Problem, json_body};
use crate::html::escape;
use axum::body::Bytes;
use axum::extract::{Form, Path, State as AxumState};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde_json::Value;
use std::collections::HashMap;

const MAX_NOTICES: usize = 5;
const MAX_TEXT: usize = 140;

/// Cents in the Italian format: `1.020,99 €`.
pub(crate) fn euro(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    let units = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, digit) in units.chars().enumerate() {
        if i > 0 && (units.len() - i).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(digit);
    }
    format!("{sign}{grouped},{:02} €", cents % 100)
}

/// The printed notice code: the 18 digits in groups of four.
fn printed_code(nav: &str) -> String {
    nav.chars()
        .collect::<Vec<_>>()
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

fn digits(text: &str, count: usize) -> bool {
    text.len() == count && text.bytes().all(|b| b.is_ascii_digit())
}

fn url_like(text: &str) -> bool {
    !text.is_empty()
        && (text.starts_with("https://") || text.starts_with("http://") || text.starts_with('/'))
        && !text.chars().any(char::is_whitespace)
}

/// Reads a cart request, listing every problem.
fn parse_cart(body: &Value) -> Result<Cart, Vec<String>> {
    let mut problems = Vec::new();
    let text = |value: Option<&Value>, path: &str, problems: &mut Vec<String>| match value
        .and_then(Value::as_str)
    {
        Some(s) => Some(s.to_owned()),
        None => {
            problems.push(format!("{path}: is required and must be a string"));
            None
        }
    };
    let mut notices = Vec::new();
    match body.get("paymentNotices").and_then(Value::as_array) {
        None => problems.push("paymentNotices: is required and must be an array".to_owned()),
        Some(list) => {
            if list.is_empty() || list.len() > MAX_NOTICES {
                problems.push(format!(
                    "paymentNotices: must have 1 to {MAX_NOTICES} items, has {}",
                    list.len()
                ));
            }
            for (i, notice) in list.iter().enumerate() {
                let at = |f: &str| format!("paymentNotices[{i}].{f}");
                let notice_number = text(
                    notice.get("noticeNumber"),
                    &at("noticeNumber"),
                    &mut problems,
                );
                let fiscal_code = text(notice.get("fiscalCode"), &at("fiscalCode"), &mut problems);
                let company_name =
                    text(notice.get("companyName"), &at("companyName"), &mut problems);
                let description =
                    text(notice.get("description"), &at("description"), &mut problems);
                let amount = notice.get("amount").and_then(Value::as_i64);
                if notice_number.as_deref().is_some_and(|n| !digits(n, 18)) {
                    problems.push(format!("{}: must be 18 digits", at("noticeNumber")));
                }
                if fiscal_code.as_deref().is_some_and(|n| !digits(n, 11)) {
                    problems.push(format!("{}: must be 11 digits", at("fiscalCode")));
                }
                if amount.is_none_or(|a| a < 1) {
                    problems.push(format!("{}: must be an integer of cents ≥ 1", at("amount")));
                }
                for (field, value) in [
                    ("companyName", &company_name),
                    ("description", &description),
                ] {
                    if value
                        .as_deref()
                        .is_some_and(|v| v.chars().count() > MAX_TEXT)
                    {
                        problems.push(format!(
                            "{}: must be at most {MAX_TEXT} characters",
                            at(field)
                        ));
                    }
                }
                if let (
                    Some(notice_number),
                    Some(fiscal_code),
                    Some(company_name),
                    Some(description),
                    Some(amount),
                ) = (
                    notice_number,
                    fiscal_code,
                    company_name,
                    description,
                    amount,
                ) {
                    notices.push(CartNotice {
                        notice_number,
                        fiscal_code,
                        amount,
                        company_name,
                        description,
                    });
                }
            }
        }
    }
    let urls = body.get("returnUrls");
    if urls.is_none_or(|u| !u.is_object()) {
        problems.push("returnUrls: is required and must be an object".to_owned());
    }
    let mut url = |name: &str| {
        let path = format!("returnUrls.{name}");
        let value = text(urls.and_then(|u| u.get(name)), &path, &mut problems);
        if value.as_deref().is_some_and(|v| !url_like(v)) {
            problems.push(format!("{path}: must be a URL"));
        }
        value.unwrap_or_default()
    };
    let return_ok = url("returnOkUrl");
    let return_cancel = url("returnCancelUrl");
    let return_error = url("returnErrorUrl");
    if let Some(email) = body.get("emailNotice")
        && !email.as_str().is_some_and(|e| e.contains('@'))
    {
        problems.push("emailNotice: must be an e-mail address".to_owned());
    }
    if let Some(id) = body.get("idCart")
        && !id.is_string()
    {
        problems.push("idCart: must be a string".to_owned());
    }
    if problems.is_empty() {
        Ok(Cart {
            notices,
            return_ok,
            return_cancel,
            return_error,
        })
    } else {
        Err(problems)
    }
}

pub(super) async fn create_cart(AxumState(mock): AxumState<MockPagoPa>, body: Bytes) -> Response {
    let result = (|| -> Result<String, Problem> {
        let body = json_body(&body)?;
        let cart = parse_cart(&body)
            .map_err(|problems| Problem::new(StatusCode::BAD_REQUEST, problems.join("; ")))?;
        let mut state = super::lock(&mock.state);
        for notice in &cart.notices {
            let nav = &notice.notice_number;
            let amount = match state.notice(&notice.fiscal_code, nav) {
                None => {
                    return Err(Problem::new(
                        StatusCode::NOT_FOUND,
                        format!("payment notice {nav} of {} is unknown", notice.fiscal_code),
                    ));
                }
                Some(NoticeState::NotPayable { status, .. }) => {
                    return Err(Problem::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        format!(
                            "payment notice {nav} is not payable: its debt position is {}",
                            status.as_str()
                        ),
                    ));
                }
                Some(NoticeState::Payable { amount } | NoticeState::Paid { amount }) => amount,
            };
            if amount != notice.amount {
                return Err(Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!(
                        "payment notice {nav}: the amount {} differs from the debt position's {amount}",
                        notice.amount
                    ),
                ));
            }
        }
        let id = random_id();
        state.carts.insert(id.clone(), cart);
        Ok(id)
    })();
    match result {
        Ok(id) => (
            StatusCode::FOUND,
            [(header::LOCATION, format!("{PREFIX}/checkout/carts/{id}"))],
        )
            .into_response(),
        Err(problem) => problem.into_response(),
    }
}

fn layout(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"it\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} – pagoPA simulato</title>\
         <link rel=\"stylesheet\" href=\"/static/vendor/bootstrap-italia/css/bootstrap-italia.min.css\"></head>\
         <body><div class=\"alert alert-warning rounded-0 mb-0\" role=\"note\"><strong>Checkout pagoPA SIMULATO</strong>: \
         servizio di prova della demo, nessun pagamento reale. \
         <span lang=\"en\">SIMULATED pagoPA checkout: a demo stand-in, no real payment.</span></div>\
         <main class=\"container py-5\" id=\"main\">{body}</main></body></html>",
        title = escape(title)
    )
}

fn missing_cart() -> Response {
    (
        StatusCode::NOT_FOUND,
        Html(layout(
            "Carrello non trovato",
            "<h1>Carrello non trovato <span lang=\"en\">(cart not found)</span></h1>\
             <p>Il carrello di pagamento non esiste o è scaduto. \
             <span lang=\"en\">The payment cart does not exist or has expired.</span></p>",
        )),
    )
        .into_response()
}

pub(super) async fn page(
    AxumState(mock): AxumState<MockPagoPa>,
    Path(cart_id): Path<String>,
) -> Response {
    let mut state = super::lock(&mock.state);
    let Some(cart) = state.carts.get(&cart_id).cloned() else {
        return missing_cart();
    };
    let mut rows = String::new();
    let (mut payable, mut paid, mut blocked, mut total) = (0, 0, 0, 0);
    for notice in &cart.notices {
        let status = match state.notice(&notice.fiscal_code, &notice.notice_number) {
            Some(NoticeState::Payable { .. }) => {
                payable += 1;
                total += notice.amount;
                "Da pagare <span lang=\"en\">(to pay)</span>"
            }
            Some(NoticeState::Paid { .. }) => {
                paid += 1;
                "Già pagato <span lang=\"en\">(already paid)</span>"
            }
            _ => {
                blocked += 1;
                "Non pagabile <span lang=\"en\">(not payable)</span>"
            }
        };
        rows.push_str(&format!(
            "<tr><td>{company}</td><td>{description}</td><td>{code}</td><td class=\"text-end\">{amount}</td><td>{status}</td></tr>",
            company = escape(&notice.company_name),
            description = escape(&notice.description),
            code = escape(&printed_code(&notice.notice_number)),
            amount = escape(&euro(notice.amount)),
        ));
    }
    drop(state);
    let table = format!(
        "<table class=\"table\"><caption>Avvisi nel carrello <span lang=\"en\">(notices in the cart)</span></caption>\
         <thead><tr><th scope=\"col\">Ente creditore</th><th scope=\"col\">Descrizione</th>\
         <th scope=\"col\">Codice avviso</th><th scope=\"col\" class=\"text-end\">Importo</th>\
         <th scope=\"col\">Stato</th></tr></thead><tbody>{rows}</tbody></table>"
    );
    let action = escape(&format!("{PREFIX}/checkout/carts/{cart_id}"));
    let body = if blocked > 0 {
        format!(
            "<h1>Pagamento non possibile <span lang=\"en\">(payment not possible)</span></h1>{table}\
             <p>Uno o più avvisi non sono più pagabili. \
             <span lang=\"en\">One or more notices can no longer be paid.</span></p>\
             <p><a class=\"btn btn-primary\" href=\"{back}\">Torna al sito dell'ente \
             <span lang=\"en\">(back to the creditor's site)</span></a></p>",
            back = escape(&cart.return_error)
        )
    } else if payable == 0 && paid > 0 {
        format!(
            "<h1>Avvisi già pagati <span lang=\"en\">(notices already paid)</span></h1>{table}\
             <p>Gli avvisi di questo carrello risultano già pagati: non serve pagarli di nuovo. \
             <span lang=\"en\">The notices of this cart are already paid.</span></p>\
             <p><a class=\"btn btn-primary\" href=\"{back}\">Torna al sito dell'ente \
             <span lang=\"en\">(back to the creditor's site)</span></a></p>",
            back = escape(&cart.return_ok)
        )
    } else {
        format!(
            "<h1>Paga con pagoPA <span lang=\"en\">(pay with pagoPA)</span></h1>{table}\
             <p>Totale da pagare: <strong>{total}</strong>. Il PSP simulato applica una commissione di {fee} \
             per avviso, in aggiunta all'importo. \
             <span lang=\"en\">Total to pay: {total}, plus a simulated PSP fee of {fee} per notice.</span></p>\
             <form method=\"post\" action=\"{action}\">\
             <button type=\"submit\" name=\"azione\" value=\"paga\" class=\"btn btn-primary me-2\">Paga {total} \
             <span lang=\"en\">(pay)</span></button>\
             <button type=\"submit\" name=\"azione\" value=\"annulla\" class=\"btn btn-outline-primary\">Annulla \
             <span lang=\"en\">(cancel)</span></button></form>",
            total = escape(&euro(total)),
            fee = escape(&euro(super::FEE_CENTS)),
        )
    };
    Html(layout("Pagamento", &body)).into_response()
}

pub(super) async fn act(
    AxumState(mock): AxumState<MockPagoPa>,
    Path(cart_id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let Some(cart) = super::lock(&mock.state).carts.get(&cart_id).cloned() else {
        return missing_cart();
    };
    match form.get("azione").map(String::as_str) {
        Some("paga") => {
            for notice in &cart.notices {
                match mock.pay(&notice.fiscal_code, &notice.notice_number) {
                    Ok(_) | Err(PayError::AlreadyPaid { .. }) => {}
                    Err(_) => return Redirect::to(&cart.return_error).into_response(),
                }
            }
            Redirect::to(&cart.return_ok).into_response()
        }
        Some("annulla") => Redirect::to(&cart.return_cancel).into_response(),
        _ => {
            Problem::new(StatusCode::BAD_REQUEST, "azione must be paga or annulla").into_response()
        }
    }
}

impl MockPagoPa {
    /// Opens the simulated Checkout on one notice, as a payment app does from its notice
    /// number: the amount is the debt position's (the app verifies the notice with pagoPA
    /// first), and every outcome of the page comes back to `return_url` with `esito=ok`,
    /// `esito=annullato` or `esito=errore` added to its query. Returns the page's path. An
    /// already paid notice opens too: the page says it is paid, as the real Checkout does.
    pub fn checkout_for_notice(
        &self,
        org: &str,
        nav: &str,
        description: &str,
        return_url: &str,
    ) -> Result<String, PayError> {
        let mut state = super::lock(&self.state);
        let amount = match state.notice(org, nav) {
            None => {
                return Err(PayError::UnknownNotice {
                    org: org.to_owned(),
                    nav: nav.to_owned(),
                });
            }
            Some(NoticeState::NotPayable { status, .. }) => {
                return Err(PayError::NotPayable {
                    status: status.as_str().to_owned(),
                });
            }
            Some(NoticeState::Payable { amount } | NoticeState::Paid { amount }) => amount,
        };
        let company_name = state
            .creditors
            .iter()
            .find(|c| c.fiscal_code == org)
            .map(|c| c.company_name.clone())
            .unwrap_or_else(|| org.to_owned());
        let separator = if return_url.contains('?') { '&' } else { '?' };
        let outcome = |esito: &str| format!("{return_url}{separator}esito={esito}");
        let cart = Cart {
            notices: vec![CartNotice {
                notice_number: nav.to_owned(),
                fiscal_code: org.to_owned(),
                amount,
                company_name,
                description: description.chars().take(MAX_TEXT).collect(),
            }],
            return_ok: outcome("ok"),
            return_cancel: outcome("annullato"),
            return_error: outcome("errore"),
        };
        let id = random_id();
        state.carts.insert(id.clone(), cart);
        Ok(format!("{PREFIX}/checkout/carts/{id}"))
    }

    /// Whether notice `nav` of `org` is paid, as a payment app learns it from pagoPA.
    pub fn notice_paid(&self, org: &str, nav: &str) -> bool {
        matches!(
            super::lock(&self.state).notice(org, nav),
            Some(NoticeState::Paid { .. })
        )
    }
}
