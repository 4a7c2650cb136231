//! The test IdP's pages: plain HTML in Bootstrap Italia, Italian with English alongside.

use super::identities::{DEMO_IDENTITIES, DemoRole};
use super::{Federation, MockIdp};
use crate::html::escape;
use axum::extract::State;
use axum::response::Html;
use sportello_spid::SpidLevel;
use sportello_spid::idp::PostForm;

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"it\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} – IdP di prova</title>\
         <link rel=\"stylesheet\" href=\"/static/vendor/bootstrap-italia/css/bootstrap-italia.min.css\">\
         <link rel=\"stylesheet\" href=\"/static/css/fonts.css\">\
         <link rel=\"stylesheet\" href=\"/static/css/sportello.css\"></head>\
         <body><div class=\"sportello-demo-banner px-3 py-2\" role=\"note\">\
         Identity provider di prova della demo: nessuna identità reale. <span lang=\"en\">Demo test identity provider: no real identities.</span></div>\
         <main class=\"container py-5\" id=\"main\">{body}</main></body></html>",
        title = escape(title)
    )
}

pub(super) fn message_page(message: &str) -> String {
    page(
        "Errore",
        &format!(
            "<h1>Richiesta non accettata</h1><p class=\"lead\">{}</p><p lang=\"en\">The test IdP refused the request.</p>",
            escape(message)
        ),
    )
}

fn role_label(role: DemoRole) -> String {
    match role {
        DemoRole::Citizen => "cittadino / citizen".to_owned(),
        DemoRole::Clerk { office } => format!("operatore / clerk – {office}"),
        DemoRole::TenantAdmin => "amministratore / administrator".to_owned(),
    }
}

fn identity_choices() -> String {
    let mut out = String::new();
    for (i, person) in DEMO_IDENTITIES.iter().enumerate() {
        out.push_str(&format!(
            "<div class=\"form-check\"><input class=\"form-check-input\" type=\"radio\" name=\"fiscal_code\" id=\"person-{i}\" value=\"{cf}\"{checked}>\
             <label class=\"form-check-label\" for=\"person-{i}\"><strong>{given} {family}</strong> – <span class=\"font-monospace\">{cf}</span> ({role})</label></div>",
            cf = person.fiscal_code,
            checked = if i == 0 { " checked" } else { "" },
            given = escape(person.given_name),
            family = escape(person.family_name),
            role = escape(&role_label(person.role)),
        ));
    }
    out
}

pub(super) fn login_page(
    key: &str,
    sp_name: &str,
    level: SpidLevel,
    federation: Federation,
) -> String {
    let what = match federation {
        Federation::Spid => "SPID",
        Federation::Cie => "CIE",
    };
    page(
        "Accedi",
        &format!(
            "<h1>Accesso con {what} di prova</h1>\
             <p class=\"lead\"><strong>{sp}</strong> chiede la tua identità, livello {level}.</p>\
             <p lang=\"en\">{sp} asks for your identity, level {level}. Choose a demo person.</p>\
             <form method=\"post\" action=\"/_mock/idp/login\">\
             <input type=\"hidden\" name=\"login\" value=\"{key}\">\
             <fieldset class=\"mb-4\"><legend class=\"h5\">Scegli una persona della demo <span lang=\"en\">(choose a demo person)</span></legend>\
             {choices}</fieldset>\
             <button type=\"submit\" class=\"btn btn-primary me-3\">Accedi / Sign in</button>\
             <button type=\"submit\" name=\"cancel\" value=\"1\" class=\"btn btn-outline-secondary\">Annulla / Cancel</button>\
             </form>",
            sp = escape(sp_name),
            level = level.number(),
            key = escape(key),
            choices = identity_choices(),
        ),
    )
}

pub(super) fn unknown_identity_page(key: &str, fiscal_code: &str) -> String {
    page(
        "Identità sconosciuta",
        &format!(
            "<h1>Identità non presente nella demo</h1>\
             <div class=\"alert alert-danger\" role=\"alert\">Il codice fiscale «{cf}» non è tra le persone della demo. <span lang=\"en\">Not a demo person.</span></div>\
             <form method=\"post\" action=\"/_mock/idp/login\"><input type=\"hidden\" name=\"login\" value=\"{key}\">\
             <fieldset class=\"mb-4\"><legend class=\"h5\">Scegli una persona della demo</legend>{choices}</fieldset>\
             <button type=\"submit\" class=\"btn btn-primary me-3\">Accedi / Sign in</button>\
             <button type=\"submit\" name=\"cancel\" value=\"1\" class=\"btn btn-outline-secondary\">Annulla / Cancel</button></form>",
            cf = escape(fiscal_code),
            key = escape(key),
            choices = identity_choices(),
        ),
    )
}

/// The HTTP-POST binding: a form the browser submits to the comune (at once with JavaScript,
/// by the button without).
pub(super) fn post_page(form: &PostForm) -> String {
    let relay = form
        .relay_state
        .as_deref()
        .map(|r| {
            format!(
                "<input type=\"hidden\" name=\"RelayState\" value=\"{}\">",
                escape(r)
            )
        })
        .unwrap_or_default();
    page(
        "Ritorno al servizio",
        &format!(
            "<h1>Ritorno al portale del Comune</h1>\
             <form method=\"post\" action=\"{action}\" data-autosubmit>\
             <input type=\"hidden\" name=\"SAMLResponse\" value=\"{response}\">{relay}\
             <p>Se la pagina non prosegue da sola, premi il pulsante. <span lang=\"en\">If nothing happens, press the button.</span></p>\
             <button type=\"submit\" class=\"btn btn-primary\">Continua / Continue</button></form>\
             <script src=\"/static/js/autosubmit.js\"></script>",
            action = escape(&form.action),
            response = escape(&form.saml_response),
        ),
    )
}

/// `/_mock/idp/`: what the test IdP is and who can log in.
pub(super) async fn home(State(idp): State<MockIdp>) -> Html<String> {
    let mut rows = String::new();
    for person in DEMO_IDENTITIES {
        rows.push_str(&format!(
            "<tr><td>{} {}</td><td class=\"font-monospace\">{}</td><td>{}</td></tr>",
            escape(person.given_name),
            escape(person.family_name),
            person.fiscal_code,
            escape(&role_label(person.role))
        ));
    }
    Html(page(
        "IdP di prova",
        &format!(
            "<h1>Identity provider di prova</h1>\
             <p>Entity ID SPID: <code>{spid}</code> – <a href=\"/_mock/idp/metadata\">metadata</a><br>\
             Entity ID CIE: <code>{cie}</code> – <a href=\"/_mock/idp/cie/metadata\">metadata</a></p>\
             <h2 class=\"h4\">Persone della demo <span lang=\"en\">(demo people)</span></h2>\
             <table class=\"table\"><thead><tr><th scope=\"col\">Nome</th><th scope=\"col\">Codice fiscale</th><th scope=\"col\">Ruolo</th></tr></thead><tbody>{rows}</tbody></table>",
            spid = escape(&idp.entity_id(Federation::Spid)),
            cie = escape(&idp.entity_id(Federation::Cie)),
        ),
    ))
}
