//! The catch-all inbox as a small webmail: the list, one message, its HTML part, its source.
//! Italian first, English alongside; no inline script or style, so the demo's strict policy
//! applies unchanged. A message's HTML is shown only inside a sandboxed frame, under a policy
//! of its own that lets it load nothing.

use super::{MockMail, MockMailbox};
use crate::html::escape;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use std::fmt::Write as _;

const PREFIX: &str = "/_mock/mail";

/// For the HTML part: nothing may load but inline styles and `data:` images (remote images
/// would tell a sender the message was opened), no script runs, the document gets an opaque
/// origin, and only the inbox's own page may frame it.
const HTML_PART_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; \
                                sandbox; frame-ancestors 'self'";

pub(super) fn router(mailbox: MockMailbox) -> Router {
    Router::new()
        .route(PREFIX, get(list))
        .route(&format!("{PREFIX}/"), get(list))
        .route(&format!("{PREFIX}/_admin/messages"), get(admin_messages))
        .route(&format!("{PREFIX}/{{id}}"), get(message_or_source))
        .route(&format!("{PREFIX}/{{id}}/html"), get(html_part))
        .with_state(mailbox)
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"it\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} – Posta simulata</title>\
         <link rel=\"stylesheet\" href=\"/static/vendor/bootstrap-italia/css/bootstrap-italia.min.css\">\
         <link rel=\"stylesheet\" href=\"/static/css/fonts.css\">\
         <link rel=\"stylesheet\" href=\"/static/css/sportello.css\"></head>\
         <body><header class=\"sportello-demo-banner px-3 py-2\">\
         Casella di posta simulata della demo: i messaggi non lasciano questo computer. \
         <span lang=\"en\">Demo mail catch-all: messages never leave this computer.</span></header>\
         <main class=\"container py-5\" id=\"main\">{body}</main></body></html>",
        title = escape(title)
    )
}

/// Europe/Rome, as everything shown to people.
fn local_time(at: jiff::Timestamp) -> String {
    match at.in_tz("Europe/Rome") {
        Ok(zoned) => zoned.strftime("%d/%m/%Y %H:%M:%S").to_string(),
        Err(_) => at.to_string(),
    }
}

fn subject_of(mail: &MockMail) -> String {
    match mail.subject.as_deref().map(str::trim) {
        Some(subject) if !subject.is_empty() => subject.to_owned(),
        _ => "(senza oggetto / no subject)".to_owned(),
    }
}

#[derive(Deserialize)]
struct Filter {
    to: Option<String>,
}

fn filtered(mailbox: &MockMailbox, filter: &Filter) -> Vec<MockMail> {
    let wanted = filter
        .to
        .as_deref()
        .map(|to| to.trim().to_lowercase())
        .filter(|to| !to.is_empty());
    let messages = mailbox.messages();
    match wanted {
        None => messages,
        Some(wanted) => messages
            .into_iter()
            .filter(|m| {
                m.envelope_to
                    .iter()
                    .any(|to| to.to_lowercase().contains(&wanted))
            })
            .collect(),
    }
}

async fn list(State(mailbox): State<MockMailbox>, Query(filter): Query<Filter>) -> Html<String> {
    let messages = filtered(&mailbox, &filter);
    let current = filter.to.as_deref().unwrap_or("").trim();
    let mut body = String::new();
    body.push_str(
        "<h1>Posta simulata</h1>\
         <p class=\"lead\">Le e-mail che la demo ha inviato, come le vedrebbe chi le riceve. \
         I destinatari nei domini <code>.invalid</code> sono rifiutati, per mostrare un mancato recapito.</p>\
         <p lang=\"en\">The e-mails the demo sent, as their recipients would see them. \
         Recipients in <code>.invalid</code> domains are refused, to show a bounce.</p>",
    );
    let _ = write!(
        body,
        "<form method=\"get\" action=\"{PREFIX}/\" class=\"row g-3 align-items-end mb-4\" role=\"search\">\
         <div class=\"col-md-6\"><label for=\"to\" class=\"form-label\">Destinatario <span lang=\"en\">(recipient)</span></label>\
         <input type=\"search\" class=\"form-control\" id=\"to\" name=\"to\" value=\"{value}\" autocomplete=\"off\"></div>\
         <div class=\"col-auto\"><button type=\"submit\" class=\"btn btn-primary\">Filtra / Filter</button></div>\
         </form>",
        value = escape(current),
    );
    if messages.is_empty() {
        body.push_str("<p>Nessun messaggio. <span lang=\"en\">No messages.</span></p>");
    } else {
        let _ = write!(
            body,
            "<div class=\"table-responsive\"><table class=\"table\">\
             <caption>{count} messaggi, dal più recente <span lang=\"en\">({count} messages, newest first)</span></caption>\
             <thead><tr><th scope=\"col\">Ricevuto <span lang=\"en\">(received)</span></th>\
             <th scope=\"col\">Destinatario <span lang=\"en\">(to)</span></th>\
             <th scope=\"col\">Oggetto <span lang=\"en\">(subject)</span></th></tr></thead><tbody>",
            count = messages.len()
        );
        for mail in &messages {
            let _ = write!(
                body,
                "<tr><td>{received}</td><td>{to}</td><td><a href=\"{PREFIX}/{id}\">{subject}</a></td></tr>",
                received = escape(&local_time(mail.received_at)),
                to = escape(&mail.envelope_to.join(", ")),
                id = escape(&mail.id),
                subject = escape(&subject_of(mail)),
            );
        }
        body.push_str("</tbody></table></div>");
    }
    let _ = write!(
        body,
        "<p><a href=\"{PREFIX}/_admin/messages\">Gli stessi messaggi in JSON <span lang=\"en\">(the same messages as JSON)</span></a></p>"
    );
    Html(page("Messaggi", &body))
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Html(page(
            "Messaggio non trovato",
            &format!(
                "<h1>Messaggio non trovato</h1><p>Il messaggio non c'è più, o non c'è mai stato: \
                 la casella tiene solo i più recenti e si svuota a ogni riavvio della demo.</p>\
                 <p lang=\"en\">Message not found: the catch-all keeps only the newest messages and \
                 is emptied when the demo restarts.</p><p><a href=\"{PREFIX}/\">Tutti i messaggi / All messages</a></p>"
            ),
        )),
    )
        .into_response()
}

async fn message_or_source(State(mailbox): State<MockMailbox>, Path(id): Path<String>) -> Response {
    if let Some(id) = id.strip_suffix(".eml") {
        return match mailbox.get(id) {
            Some(mail) => (
                [
                    (header::CONTENT_TYPE, "message/rfc822".to_owned()),
                    (
                        header::CONTENT_DISPOSITION,
                        // The id is hex: nothing to quote.
                        format!("attachment; filename=\"{}.eml\"", mail.id),
                    ),
                ],
                mail.raw,
            )
                .into_response(),
            None => not_found(),
        };
    }
    match mailbox.get(&id) {
        Some(mail) => Html(message_page(&mail)).into_response(),
        None => not_found(),
    }
}

fn row(body: &mut String, label: &str, value: &str) {
    let _ = write!(
        body,
        "<tr><th scope=\"row\">{label}</th><td class=\"text-break\">{}</td></tr>",
        escape(value)
    );
}

fn message_page(mail: &MockMail) -> String {
    let subject = subject_of(mail);
    let mut body = String::new();
    let _ = write!(
        body,
        "<p><a href=\"{PREFIX}/\">← Tutti i messaggi <span lang=\"en\">(all messages)</span></a></p>\
         <h1 class=\"text-break\">{}</h1>",
        escape(&subject)
    );

    body.push_str(
        "<h2>Intestazioni <span lang=\"en\">(headers)</span></h2>\
         <div class=\"table-responsive\"><table class=\"table table-sm\">\
         <caption>Le intestazioni principali, decodificate <span lang=\"en\">(main headers, decoded)</span></caption><tbody>",
    );
    row(
        &mut body,
        "Da <span lang=\"en\">(from)</span>",
        mail.from.as_deref().unwrap_or(""),
    );
    row(
        &mut body,
        "A <span lang=\"en\">(to)</span>",
        &mail.to.join(", "),
    );
    row(
        &mut body,
        "Oggetto <span lang=\"en\">(subject)</span>",
        &subject,
    );
    row(
        &mut body,
        "Data <span lang=\"en\">(date)</span>",
        mail.date.as_deref().unwrap_or(""),
    );
    row(
        &mut body,
        "Message-ID",
        &mail
            .message_id
            .as_deref()
            .map(|id| format!("<{id}>"))
            .unwrap_or_default(),
    );
    row(
        &mut body,
        "List-Unsubscribe",
        mail.list_unsubscribe.as_deref().unwrap_or(""),
    );
    row(
        &mut body,
        "Mittente della busta <span lang=\"en\">(envelope sender)</span>",
        &format!("<{}>", mail.envelope_from),
    );
    row(
        &mut body,
        "Destinatari della busta <span lang=\"en\">(envelope recipients)</span>",
        &mail.envelope_to.join(", "),
    );
    row(
        &mut body,
        "Ricevuto <span lang=\"en\">(received)</span>",
        &local_time(mail.received_at),
    );
    body.push_str("</tbody></table></div>");

    body.push_str(
        "<details class=\"mb-4\"><summary>Tutte le intestazioni, come ricevute <span lang=\"en\">(all headers, as received)</span></summary>\
         <div class=\"table-responsive\"><table class=\"table table-sm\"><caption>Intestazioni originali <span lang=\"en\">(raw headers)</span></caption>\
         <thead><tr><th scope=\"col\">Nome <span lang=\"en\">(name)</span></th><th scope=\"col\">Valore <span lang=\"en\">(value)</span></th></tr></thead><tbody>",
    );
    for (name, value) in &mail.headers {
        let _ = write!(
            body,
            "<tr><td>{}</td><td class=\"text-break\">{}</td></tr>",
            escape(name),
            escape(value)
        );
    }
    let _ = write!(
        body,
        "</tbody></table></div></details>\
         <p><a href=\"{PREFIX}/{id}.eml\" download>Scarica il messaggio originale (.eml) <span lang=\"en\">(download the original message)</span></a></p>",
        id = escape(&mail.id)
    );

    body.push_str("<h2>Testo semplice <span lang=\"en\">(plain text)</span></h2>");
    match &mail.text {
        // Focusable, so that a long line can be scrolled from the keyboard.
        Some(text) => {
            let _ = write!(
                body,
                "<pre class=\"border p-3\" tabindex=\"0\">{}</pre>",
                escape(text)
            );
        }
        None => body.push_str(
            "<p>Il messaggio non ha una parte di testo semplice. <span lang=\"en\">No plain-text part.</span></p>",
        ),
    }

    body.push_str("<h2>HTML</h2>");
    if mail.html.is_some() {
        let _ = write!(
            body,
            "<p>La parte HTML, com'è: senza script e senza immagini esterne. \
             <span lang=\"en\">The HTML part as sent, without scripts or remote images.</span></p>\
             <div class=\"ratio ratio-16x9 border\"><iframe sandbox src=\"{PREFIX}/{id}/html\" \
             title=\"Parte HTML del messaggio / HTML part of the message\"></iframe></div>",
            id = escape(&mail.id)
        );
    } else {
        body.push_str(
            "<p>Il messaggio non ha una parte HTML. <span lang=\"en\">No HTML part.</span></p>",
        );
    }
    page(&subject, &body)
}

async fn html_part(State(mailbox): State<MockMailbox>, Path(id): Path<String>) -> Response {
    match mailbox.get(&id).and_then(|mail| mail.html) {
        Some(html) => (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CONTENT_SECURITY_POLICY, HTML_PART_POLICY),
                (header::X_FRAME_OPTIONS, "SAMEORIGIN"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
                (header::REFERRER_POLICY, "no-referrer"),
            ],
            html,
        )
            .into_response(),
        None => not_found(),
    }
}

async fn admin_messages(
    State(mailbox): State<MockMailbox>,
    Query(filter): Query<Filter>,
) -> Json<Vec<serde_json::Value>> {
    Json(
        filtered(&mailbox, &filter)
            .into_iter()
            .map(|m| {
                serde_json::json!({
                    "id": m.id,
                    "received_at": m.received_at.to_string(),
                    "envelope_from": m.envelope_from,
                    "envelope_to": m.envelope_to,
                    "subject": m.subject,
                    "from": m.from,
                    "to": m.to,
                    "date": m.date,
                    "message_id": m.message_id,
                    "list_unsubscribe": m.list_unsubscribe,
                    "text": m.text,
                    "html": m.html,
                    "size": m.raw.len(),
                })
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    const MESSAGE: &str = "From: Comune <noreply@comune.example>\r\n\
        To: mario@example.org\r\n\
        Subject: Ricevuta <n. 12>\r\n\
        Message-ID: <n-1@sportello.example>\r\n\
        MIME-Version: 1.0\r\n\
        Content-Type: multipart/alternative; boundary=\"b\"\r\n\r\n\
        --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nTesto & altro\r\n\
        --b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>HTML <script>alert(1)</script></p>\r\n\
        --b--\r\n";

    async fn get(router: &Router, uri: &str) -> (StatusCode, axum::http::HeaderMap, String) {
        let response = router
            .clone()
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (
            status,
            headers,
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    }

    fn mailbox() -> (MockMailbox, MockMail) {
        let mailbox = MockMailbox::new();
        let mail = mailbox.deliver(
            "noreply@comune.example",
            &["mario@example.org".to_owned()],
            MESSAGE.as_bytes().to_vec(),
        );
        mailbox.deliver(
            "noreply@comune.example",
            &["anna@example.org".to_owned()],
            b"Subject: per Anna\r\n\r\nciao\r\n".to_vec(),
        );
        (mailbox, mail)
    }

    #[tokio::test]
    async fn the_list_shows_messages_newest_first_and_filters() {
        let (mailbox, _) = mailbox();
        let router = mailbox.router();
        let (status, _, page) = get(&router, "/_mock/mail/").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.starts_with("<!doctype html><html lang=\"it\">"));
        assert!(page.contains("<main"));
        assert!(page.contains("<label for=\"to\""));
        let anna = page.find("per Anna").unwrap();
        let mario = page.find("Ricevuta &lt;n. 12&gt;").unwrap();
        assert!(anna < mario, "newest first");
        assert!(!page.contains("style="));
        assert!(!page.contains("<script"));

        let (_, _, page) = get(&router, "/_mock/mail/?to=MARIO").await;
        assert!(page.contains("Ricevuta &lt;n. 12&gt;"));
        assert!(!page.contains("per Anna"));
        assert!(page.contains("value=\"MARIO\""));
    }

    #[tokio::test]
    async fn a_message_page_frames_its_html_in_a_sandbox() {
        let (mailbox, mail) = mailbox();
        let router = mailbox.router();
        let (status, _, page) = get(&router, &format!("/_mock/mail/{}", mail.id)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("<h1 class=\"text-break\">Ricevuta &lt;n. 12&gt;</h1>"));
        assert!(page.contains("Testo &amp; altro"));
        assert!(page.contains(&format!(
            "<iframe sandbox src=\"/_mock/mail/{}/html\" title=",
            mail.id
        )));
        assert!(page.contains("&lt;n-1@sportello.example&gt;"));
        assert!(!page.contains("<script"), "the HTML part is never inlined");

        let (status, headers, html) = get(&router, &format!("/_mock/mail/{}/html", mail.id)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("<p>HTML"));
        let policy = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(policy.starts_with("default-src 'none'; style-src 'unsafe-inline'; img-src data:"));
        assert!(policy.contains("sandbox"));
    }

    #[tokio::test]
    async fn the_source_and_json_are_served() {
        let (mailbox, mail) = mailbox();
        let router = mailbox.router();
        let (status, headers, raw) = get(&router, &format!("/_mock/mail/{}.eml", mail.id)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_TYPE], "message/rfc822");
        assert_eq!(raw, MESSAGE);

        let (status, _, json) = get(&router, "/_mock/mail/_admin/messages").await;
        assert_eq!(status, StatusCode::OK);
        let json: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(json.as_array().unwrap().len(), 2);
        assert_eq!(json[1]["subject"], "Ricevuta <n. 12>");
        assert_eq!(json[1]["envelope_to"][0], "mario@example.org");
        assert_eq!(
            json[1]["text"].as_str().unwrap().trim_end(),
            "Testo & altro"
        );
    }

    #[tokio::test]
    async fn unknown_messages_are_not_found() {
        let (mailbox, _) = mailbox();
        let router = mailbox.router();
        for uri in [
            "/_mock/mail/ffff",
            "/_mock/mail/ffff.eml",
            "/_mock/mail/ffff/html",
        ] {
            let (status, _, page) = get(&router, uri).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
            assert!(page.contains("<h1>Messaggio non trovato</h1>"), "{uri}");
        }
        // A text-only message has no HTML part to show.
        let anna = &mailbox.messages_to("anna@example.org")[0];
        let (status, _, _) = get(&router, &format!("/_mock/mail/{}/html", anna.id)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}
