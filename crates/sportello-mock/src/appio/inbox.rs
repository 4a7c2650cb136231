//! The citizen's side: a phone-sized page per profile showing the processed messages as the
//! IO app does (sender, subject, date, read and paid marks), each message's text rendered from
//! its Markdown, and "Paga" through the pagoPA stand-in's Checkout. No scripts and no inline
//! styles (the demo's CSP), Bootstrap Italia classes only.

use super::state::{MockMessageStatus, ReceivedMessage};
use super::{MockAppIo, MockIoService, PREFIX, lock};
use crate::html::escape;
use axum::Router;
use axum::extract::{Path, Query, State as AxumState};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use std::collections::HashMap;

pub(super) fn routes() -> Router<MockAppIo> {
    Router::new()
        .route(
            &format!("{PREFIX}/inbox"),
            get(|| async { Redirect::permanent(&format!("{PREFIX}/inbox/")) }),
        )
        .route(&format!("{PREFIX}/inbox/"), get(index))
        .route(&format!("{PREFIX}/inbox/{{fiscal_code}}"), get(list))
        .route(&format!("{PREFIX}/inbox/{{fiscal_code}}/{{id}}"), get(show))
        .route(
            &format!("{PREFIX}/inbox/{{fiscal_code}}/{{id}}/paga"),
            post(pay),
        )
}

/// Cents in the Italian format: `1.020,99 €`.
fn euro(cents: u64) -> String {
    let units = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, digit) in units.chars().enumerate() {
        if i > 0 && (units.len() - i).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(digit);
    }
    format!("{grouped},{:02} €", cents % 100)
}

/// Date and time in Rome, as the app shows them.
fn when(at: jiff::Timestamp) -> String {
    let zone = jiff::tz::TimeZone::get("Europe/Rome").unwrap_or(jiff::tz::TimeZone::UTC);
    at.to_zoned(zone).strftime("%d/%m/%Y %H:%M").to_string()
}

/// The notice code as printed: groups of four digits.
fn printed_code(nav: &str) -> String {
    nav.chars()
        .collect::<Vec<_>>()
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The message's Markdown as the app renders it: raw HTML is shown as text, never
/// interpreted; links only to web and mail addresses; images as their description; headings
/// one level down, below the page's own `h1`.
pub(super) fn render_markdown(markdown: &str) -> String {
    let mut link_kept = Vec::new();
    let events = Parser::new_ext(markdown, Options::ENABLE_STRIKETHROUGH).filter_map(|event| {
        Some(match event {
            Event::Html(text) | Event::InlineHtml(text) => Event::Text(text),
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let safe = ["https://", "http://", "mailto:"]
                    .iter()
                    .any(|scheme| dest_url.starts_with(scheme));
                link_kept.push(safe);
                if !safe {
                    return None;
                }
                Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                })
            }
            Event::End(TagEnd::Link) => {
                if !link_kept.pop().unwrap_or(false) {
                    return None;
                }
                Event::End(TagEnd::Link)
            }
            Event::Start(Tag::Image { .. }) | Event::End(TagEnd::Image) => return None,
            Event::Start(Tag::Heading {
                level,
                id,
                classes,
                attrs,
            }) => Event::Start(Tag::Heading {
                level: lower(level),
                id,
                classes,
                attrs,
            }),
            Event::End(TagEnd::Heading(level)) => Event::End(TagEnd::Heading(lower(level))),
            other => other,
        })
    });
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events);
    html
}

fn lower(level: HeadingLevel) -> HeadingLevel {
    match level {
        HeadingLevel::H1 => HeadingLevel::H2,
        HeadingLevel::H2 => HeadingLevel::H3,
        HeadingLevel::H3 => HeadingLevel::H4,
        HeadingLevel::H4 => HeadingLevel::H5,
        HeadingLevel::H5 | HeadingLevel::H6 => HeadingLevel::H6,
    }
}

/// The phone: a narrow column with the app's bar, the screen and a note that this is a demo.
fn layout(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"it\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} – App IO simulata</title>\
         <link rel=\"stylesheet\" href=\"/static/vendor/bootstrap-italia/css/bootstrap-italia.min.css\"></head>\
         <body class=\"bg-light\"><div class=\"container py-4\"><div class=\"row justify-content-center\">\
         <div class=\"col-12 col-sm-9 col-md-6 col-lg-4\">\
         <div class=\"border border-dark border-3 rounded-4 shadow overflow-hidden bg-white\">\
         <header class=\"bg-primary text-white px-3 py-2\">\
         <p class=\"mb-0 fw-semibold\"><a class=\"text-white\" href=\"{PREFIX}/inbox/\">IO</a> · App IO simulata</p>\
         <p class=\"mb-0 small\" lang=\"en\">Simulated IO app</p></header>\
         <main id=\"main\" class=\"px-3 py-3\">{body}</main>\
         <footer class=\"border-top px-3 py-2 small\"><p class=\"mb-0\">Servizio di prova della demo: \
         nessun messaggio reale. <span lang=\"en\">A demo stand-in: no real messages.</span></p></footer>\
         </div></div></div></div></body></html>",
        title = escape(title)
    )
}

fn not_found(what_it: &str, what_en: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        Html(layout(
            "Non trovato",
            &format!(
                "<h1 class=\"h3\">{it}</h1><p lang=\"en\">{en}</p>\
                 <p><a href=\"{PREFIX}/inbox/\">Torna ai profili <span lang=\"en\">(back to the profiles)</span></a></p>",
                it = escape(what_it),
                en = escape(what_en)
            ),
        )),
    )
        .into_response()
}

async fn index(AxumState(mock): AxumState<MockAppIo>) -> Response {
    let messages = mock.messages();
    let profiles = mock.profiles();
    let mut items = String::new();
    for profile in &profiles {
        let unread = messages
            .iter()
            .filter(|m| {
                m.fiscal_code == profile.fiscal_code
                    && m.status == MockMessageStatus::Processed
                    && !m.read
            })
            .count();
        let name = profile
            .display_name
            .as_deref()
            .map(|n| format!("<strong>{}</strong><br>", escape(n)))
            .unwrap_or_default();
        let state = if !profile.inbox_enabled {
            " <span class=\"badge bg-dark\">Inbox non attiva <span lang=\"en\">(inbox disabled)</span></span>"
                .to_owned()
        } else if unread > 0 {
            format!(
                " <span class=\"badge bg-primary\">{unread} da leggere <span lang=\"en\">({unread} unread)</span></span>"
            )
        } else {
            String::new()
        };
        items.push_str(&format!(
            "<li class=\"list-group-item\"><a href=\"{PREFIX}/inbox/{cf}\">{name}{cf}</a>{state}</li>",
            cf = escape(&profile.fiscal_code),
        ));
    }
    if items.is_empty() {
        items.push_str(
            "<li class=\"list-group-item\">Nessun profilo. <span lang=\"en\">No profiles.</span></li>",
        );
    }
    Html(layout(
        "Profili",
        &format!(
            "<h1 class=\"h3\">Di chi è il telefono? <span lang=\"en\">(whose phone?)</span></h1>\
             <p>I cittadini con un profilo IO nella demo. \
             <span lang=\"en\">The citizens with an IO profile in the demo.</span></p>\
             <ul class=\"list-group\">{items}</ul>"
        ),
    ))
    .into_response()
}

fn sender(services: &[MockIoService], id: &str) -> (String, String) {
    services
        .iter()
        .find(|s| s.id == id)
        .map(|s| (s.organization_name.clone(), s.name.clone()))
        .unwrap_or_else(|| ("Ente sconosciuto".to_owned(), id.to_owned()))
}

fn visible(messages: Vec<ReceivedMessage>, fiscal_code: &str) -> Vec<ReceivedMessage> {
    messages
        .into_iter()
        .filter(|m| m.fiscal_code == fiscal_code && m.status == MockMessageStatus::Processed)
        .collect()
}

async fn list(AxumState(mock): AxumState<MockAppIo>, Path(fiscal_code): Path<String>) -> Response {
    let Some(profile) = mock
        .profiles()
        .into_iter()
        .find(|p| p.fiscal_code == fiscal_code)
    else {
        return not_found(
            "Nessun profilo IO con questo codice fiscale.",
            "No IO profile with this fiscal code.",
        );
    };
    let services = mock.services();
    let mut messages = visible(mock.messages(), &fiscal_code);
    messages.reverse();
    let mut items = String::new();
    for message in &messages {
        let (organization, service) = sender(&services, &message.service_id);
        let mut badges = String::new();
        if !message.read {
            badges.push_str(
                "<span class=\"badge bg-primary me-1\">Da leggere <span lang=\"en\">(unread)</span></span>",
            );
        }
        if let Some(payment) = &message.payment_data {
            badges.push_str(match mock.paid(payment) {
                Some(true) => {
                    "<span class=\"badge bg-success\">Pagato <span lang=\"en\">(paid)</span></span>"
                }
                _ => "<span class=\"badge bg-dark\">Da pagare <span lang=\"en\">(to pay)</span></span>",
            });
        }
        items.push_str(&format!(
            "<li class=\"list-group-item\"><p class=\"small mb-1\">{organization} · {service}</p>\
             <p class=\"mb-1\"><a class=\"fw-semibold\" href=\"{PREFIX}/inbox/{cf}/{id}\">{subject}</a></p>\
             <p class=\"small mb-1\">{date}</p>{badges}</li>",
            organization = escape(&organization),
            service = escape(&service),
            cf = escape(&fiscal_code),
            id = escape(&message.id),
            subject = escape(&message.subject),
            date = escape(&when(message.created_at)),
        ));
    }
    let body = if items.is_empty() {
        "<p>Nessun messaggio. <span lang=\"en\">No messages.</span></p>".to_owned()
    } else {
        format!("<ul class=\"list-group\">{items}</ul>")
    };
    let who = profile
        .display_name
        .as_deref()
        .map(|n| format!("{} – ", escape(n)))
        .unwrap_or_default();
    Html(layout(
        "Messaggi",
        &format!(
            "<h1 class=\"h3\">Messaggi <span lang=\"en\">(messages)</span></h1>\
             <p class=\"small\">{who}{cf}</p>{body}\
             <p class=\"mt-3\"><a href=\"{PREFIX}/inbox/\">Altri profili <span lang=\"en\">(other profiles)</span></a></p>",
            cf = escape(&fiscal_code)
        ),
    ))
    .into_response()
}

/// The message, marked read, if the citizen can see it.
fn open(mock: &MockAppIo, fiscal_code: &str, id: &str) -> Option<ReceivedMessage> {
    let mut state = lock(&mock.state);
    let now = state.now();
    state.settle(now);
    let message = state.messages.iter_mut().find(|m| {
        m.id == id && m.fiscal_code == fiscal_code && m.status == MockMessageStatus::Processed
    })?;
    message.read = true;
    Some(message.clone())
}

fn message_page(
    mock: &MockAppIo,
    message: &ReceivedMessage,
    notice: Option<(&str, &str)>,
) -> String {
    let (organization, service) = sender(&mock.services(), &message.service_id);
    let mut body = String::new();
    if let Some((class, text)) = notice {
        body.push_str(&format!(
            "<div class=\"alert {class}\" role=\"status\">{text}</div>"
        ));
    }
    body.push_str(&format!(
        "<p class=\"small mb-1\">{organization} · {service}</p><h1 class=\"h3\">{subject}</h1>\
         <p class=\"small\">Ricevuto il <span lang=\"en\">(received)</span> {date}</p>",
        organization = escape(&organization),
        service = escape(&service),
        subject = escape(&message.subject),
        date = escape(&when(message.created_at)),
    ));
    if let Some(due) = message.due_date {
        body.push_str(&format!(
            "<p><strong>Scadenza <span lang=\"en\">(due date)</span>:</strong> {}</p>",
            escape(&when(due))
        ));
    }
    body.push_str(&format!(
        "<div class=\"text-break\">{}</div>",
        render_markdown(&message.markdown)
    ));
    if let Some(payment) = &message.payment_data {
        let action = match (&mock.pagopa, mock.paid(payment)) {
            (_, Some(true)) => {
                "<p><span class=\"badge bg-success\">Pagato <span lang=\"en\">(paid)</span></span></p>"
                    .to_owned()
            }
            (Some(_), _) => format!(
                "<form method=\"post\" action=\"{PREFIX}/inbox/{cf}/{id}/paga\">\
                 <button type=\"submit\" class=\"btn btn-primary w-100\">Paga {amount} \
                 <span lang=\"en\">(pay)</span></button></form>",
                cf = escape(&message.fiscal_code),
                id = escape(&message.id),
                amount = escape(&euro(payment.amount)),
            ),
            (None, _) => "<p>Pagamento non disponibile in questa demo. \
                 <span lang=\"en\">Payment is not available in this demo.</span></p>"
                .to_owned(),
        };
        let expiry = if payment.invalid_after_due_date {
            "<p class=\"small\">Non pagabile dopo la scadenza. \
             <span lang=\"en\">Not payable after the due date.</span></p>"
        } else {
            ""
        };
        body.push_str(&format!(
            "<section class=\"border-top mt-3 pt-3\" aria-labelledby=\"pagamento\">\
             <h2 class=\"h5\" id=\"pagamento\">Avviso di pagamento <span lang=\"en\">(payment notice)</span></h2>\
             <dl><dt>Importo <span lang=\"en\">(amount)</span></dt><dd>{amount}</dd>\
             <dt>Codice avviso <span lang=\"en\">(notice number)</span></dt><dd>{code}</dd>\
             <dt>Ente creditore <span lang=\"en\">(payee)</span></dt><dd>{organization} ({payee})</dd></dl>\
             {expiry}{action}</section>",
            amount = escape(&euro(payment.amount)),
            code = escape(&printed_code(&payment.notice_number)),
            organization = escape(&organization),
            payee = escape(&payment.payee_fiscal_code),
        ));
    }
    body.push_str(&format!(
        "<p class=\"mt-3\"><a href=\"{PREFIX}/inbox/{cf}\">Tutti i messaggi <span lang=\"en\">(all messages)</span></a></p>",
        cf = escape(&message.fiscal_code)
    ));
    layout(&message.subject, &body)
}

async fn show(
    AxumState(mock): AxumState<MockAppIo>,
    Path((fiscal_code, id)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some(message) = open(&mock, &fiscal_code, &id) else {
        return not_found("Messaggio non trovato.", "Message not found.");
    };
    let notice = match query.get("esito").map(String::as_str) {
        Some("ok") => Some((
            "alert-success",
            "Pagamento completato. <span lang=\"en\">Payment completed.</span>",
        )),
        Some("annullato") => Some((
            "alert-info",
            "Pagamento annullato. <span lang=\"en\">Payment cancelled.</span>",
        )),
        Some("errore") => Some((
            "alert-danger",
            "Il pagamento non è riuscito. <span lang=\"en\">The payment failed.</span>",
        )),
        _ => None,
    };
    Html(message_page(&mock, &message, notice)).into_response()
}

async fn pay(
    AxumState(mock): AxumState<MockAppIo>,
    Path((fiscal_code, id)): Path<(String, String)>,
) -> Response {
    let Some(message) = open(&mock, &fiscal_code, &id) else {
        return not_found("Messaggio non trovato.", "Message not found.");
    };
    let (Some(pagopa), Some(payment)) = (&mock.pagopa, &message.payment_data) else {
        return (
            StatusCode::CONFLICT,
            Html(message_page(
                &mock,
                &message,
                Some((
                    "alert-danger",
                    "Questo messaggio non si può pagare qui. <span lang=\"en\">This message cannot be paid here.</span>",
                )),
            )),
        )
            .into_response();
    };
    let back = format!("{PREFIX}/inbox/{fiscal_code}/{id}");
    match pagopa.checkout_for_notice(
        &payment.payee_fiscal_code,
        &payment.notice_number,
        &message.subject,
        &back,
    ) {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(e) => {
            let text = format!(
                "pagoPA non riconosce questo avviso come pagabile. \
                 <span lang=\"en\">pagoPA does not know this notice as payable: {}.</span>",
                escape(&e.to_string())
            );
            (
                StatusCode::CONFLICT,
                Html(message_page(&mock, &message, Some(("alert-danger", &text)))),
            )
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_is_rendered_without_raw_html_or_unsafe_links() {
        let html = render_markdown(
            "# Titolo\n\nTesto **forte** e <script>alert(1)</script>\n\n<div>blocco</div>\n\n\
             - uno\n- due\n\n[sito](https://example.org) [male](javascript:alert(1)) ![img](x.png)",
        );
        assert!(html.contains("<h2>Titolo</h2>"), "{html}");
        assert!(html.contains("<strong>forte</strong>"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(html.contains("&lt;div&gt;blocco"), "{html}");
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("<li>uno</li>"), "{html}");
        assert!(
            html.contains("<a href=\"https://example.org\">sito</a>"),
            "{html}"
        );
        assert!(!html.contains("javascript:"), "{html}");
        assert!(html.contains("male"), "{html}");
        assert!(!html.contains("<img"), "{html}");
    }

    #[test]
    fn amounts_and_codes_as_printed() {
        assert_eq!(euro(102_099), "1.020,99 €");
        assert_eq!(euro(5), "0,05 €");
        assert_eq!(printed_code("301000000000000017"), "3010 0000 0000 0000 17");
    }
}
