//! The wording of each notification, per event and language.
//!
//! Sportello ships a wording for every [`Event`] in Italian and English; a comune may replace
//! any of them in its file (`[[notifications.templates]]`), versioned from a date, so that a
//! message always reads as it did when it was sent. Templates have no logic: the body is the
//! markdown App IO shows, with placeholders such as `{{servizio}}` that take escaped values.
//! A template is checked when the comune file is loaded: only the placeholders its event
//! provides, and within App IO's limits once filled in. If one still fails when a message is
//! composed, Sportello's own wording is used instead: a citizen is never left untold.

use super::Event;
use super::markdown::escape;
use crate::lang::Lang;
use crate::money::Cents;
use serde::{Deserialize, Serialize};

/// App IO's limits on a message (`MessageContent`): the e-mail uses the same text.
pub const SUBJECT_CHARS: std::ops::RangeInclusive<usize> = 10..=120;
pub const BODY_CHARS: std::ops::RangeInclusive<usize> = 80..=10_000;

/// Subject and body, with placeholders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    pub subject: String,
    pub body: String,
}

/// A comune's wording of one event in one language, in force from `valid_from`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateVersion {
    pub event: Event,
    pub lang: Lang,
    pub version: u32,
    pub valid_from: jiff::civil::Date,
    pub subject: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("unknown placeholder {{{{{0}}}}} (this event offers: {1})")]
    UnknownPlaceholder(String, String),
    #[error("placeholder {{{{{0}}}}} has no value for this message")]
    MissingValue(&'static str),
    #[error("an unclosed placeholder: `{{{{` without `}}}}`")]
    Unclosed,
    #[error("the subject has {0} characters once filled in; App IO accepts 10 to 120")]
    SubjectLength(usize),
    #[error("the body has {0} characters once filled in; App IO accepts 80 to 10000")]
    BodyLength(usize),
}

/// The values a message may show. Each event offers some of them (see
/// [`placeholders`]); none is personal beyond the file's number and the amount owed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Facts {
    /// The comune's name: `{{comune}}`.
    pub comune: String,
    /// Where to read the details, an absolute URL: `{{link}}`.
    pub link: String,
    /// The service's title, or a neutral wording for services whose name would reveal health
    /// data: `{{servizio}}`.
    pub service: Option<String>,
    /// The file's number (protocol or pratica): `{{pratica}}`.
    pub reference: Option<String>,
    /// The date that matters to the event (latest answer, deadline, expiry, due date):
    /// `{{data}}`.
    pub date: Option<jiff::civil::Date>,
    /// `{{importo}}`.
    pub amount: Option<Cents>,
    /// The printed notice number: `{{avviso}}`.
    pub notice: Option<String>,
    /// What a payment or a tax is for: `{{causale}}`.
    pub description: Option<String>,
}

/// A message ready to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Composed {
    pub subject: String,
    pub markdown: String,
    /// The comune's template version used, 0 for Sportello's own wording.
    pub template_version: u32,
}

/// The placeholders an event offers.
pub fn placeholders(event: Event) -> &'static [&'static str] {
    match event {
        Event::RequestReceived
        | Event::DocumentsRequested
        | Event::RefusalNotice
        | Event::PermitExpiring => &["comune", "link", "servizio", "pratica", "data"],
        Event::RequestApproved | Event::RequestRejected => {
            &["comune", "link", "servizio", "pratica"]
        }
        Event::PaymentNotice => &["comune", "link", "causale", "importo", "avviso", "data"],
        Event::TaxDeadline => &["comune", "link", "causale", "importo", "data"],
    }
}

impl Facts {
    fn value(&self, name: &str, lang: Lang) -> Option<String> {
        match name {
            "comune" => Some(escape(&self.comune)),
            // A URL goes into a link's destination, where markdown escapes do not apply; it
            // is made by Sportello and has no spaces or brackets.
            "link" => Some(self.link.clone()),
            "servizio" => self.service.as_deref().map(escape),
            "pratica" => self.reference.as_deref().map(escape),
            "data" => self.date.map(|d| format_date(d, lang)),
            "importo" => self.amount.map(|a| format_amount(a, lang)),
            "avviso" => self.notice.as_deref().map(escape),
            "causale" => self.description.as_deref().map(escape),
            _ => None,
        }
    }

    /// Values for checking a template: every placeholder filled, long ones long.
    fn sample() -> Facts {
        Facts {
            comune: "Comune di Borgoverde Sul Fiume Grande".into(),
            link: "https://servizi.comune.example.it/area-personale/richieste/0190a1b2".into(),
            service: Some("Occupazione temporanea di suolo pubblico per cantieri".into()),
            reference: Some("2026/0001234".into()),
            date: Some(jiff::civil::date(2026, 12, 31)),
            amount: Some(Cents::new(123_456)),
            notice: Some("3012 0260 0000 0042 28".into()),
            description: Some("Canone unico patrimoniale, occupazione temporanea".into()),
        }
    }
}

/// `31/12/2026`, or `31 December 2026` in English.
pub fn format_date(date: jiff::civil::Date, lang: Lang) -> String {
    match lang {
        Lang::It => format!("{:02}/{:02}/{}", date.day(), date.month(), date.year()),
        Lang::En => {
            const MONTHS: [&str; 12] = [
                "January",
                "February",
                "March",
                "April",
                "May",
                "June",
                "July",
                "August",
                "September",
                "October",
                "November",
                "December",
            ];
            let month = MONTHS
                .get(usize::try_from(date.month() - 1).unwrap_or(0))
                .copied()
                .unwrap_or("");
            format!("{} {month} {}", date.day(), date.year())
        }
    }
}

/// `€ 1.234,56`, or `€1,234.56` in English.
pub fn format_amount(amount: Cents, lang: Lang) -> String {
    match lang {
        Lang::It => amount.to_italian_string(),
        Lang::En => {
            let cents = amount.get();
            let sign = if cents < 0 { "-" } else { "" };
            let abs = cents.unsigned_abs();
            let euros = (abs / 100).to_string();
            let mut grouped = String::with_capacity(euros.len() + euros.len() / 3);
            for (i, digit) in euros.chars().enumerate() {
                if i > 0 && (euros.len() - i).is_multiple_of(3) {
                    grouped.push(',');
                }
                grouped.push(digit);
            }
            format!("{sign}€{grouped}.{:02}", abs % 100)
        }
    }
}

/// Fills `{{name}}` placeholders; every name must be one of `allowed` and have a value.
fn fill(
    text: &str,
    allowed: &[&'static str],
    value: impl Fn(&str) -> Option<String>,
) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or(TemplateError::Unclosed)?;
        let name = after[..end].trim();
        let Some(known) = allowed.iter().find(|a| **a == name) else {
            return Err(TemplateError::UnknownPlaceholder(
                name.to_owned(),
                allowed.join(", "),
            ));
        };
        out.push_str(&value(name).ok_or(TemplateError::MissingValue(known))?);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

impl Template {
    /// The message for `event`, within App IO's limits: a subject that would be too long is
    /// cut at a word with an ellipsis, since a long service title is no reason to fail.
    pub fn render(
        &self,
        event: Event,
        lang: Lang,
        facts: &Facts,
    ) -> Result<(String, String), TemplateError> {
        let allowed = placeholders(event);
        let value = |name: &str| facts.value(name, lang);
        // The subject is plain text in IO: no markdown escapes there.
        let subject_value = |name: &str| match name {
            "comune" => Some(facts.comune.clone()),
            "servizio" => facts.service.clone(),
            "pratica" => facts.reference.clone(),
            "avviso" => facts.notice.clone(),
            "causale" => facts.description.clone(),
            other => facts.value(other, lang),
        };
        let subject = fill(&self.subject, allowed, subject_value)?;
        let subject = shorten(subject.split_whitespace().collect::<Vec<_>>().join(" "));
        let body = fill(&self.body, allowed, value)?;
        let subject_chars = subject.chars().count();
        if !SUBJECT_CHARS.contains(&subject_chars) {
            return Err(TemplateError::SubjectLength(subject_chars));
        }
        let body_chars = body.chars().count();
        if !BODY_CHARS.contains(&body_chars) {
            return Err(TemplateError::BodyLength(body_chars));
        }
        Ok((subject, body))
    }
}

fn shorten(subject: String) -> String {
    let max = *SUBJECT_CHARS.end();
    if subject.chars().count() <= max {
        return subject;
    }
    let cut: String = subject.chars().take(max - 1).collect();
    let cut = match cut.rfind(' ') {
        Some(space) if space > max / 2 => cut[..space].to_owned(),
        _ => cut,
    };
    format!("{}…", cut.trim_end_matches([' ', ',', ';', ':', '-']))
}

impl TemplateVersion {
    pub fn template(&self) -> Template {
        Template {
            subject: self.subject.clone(),
            body: self.body.clone(),
        }
    }

    /// Refuses what could not be sent: unknown placeholders, or a text outside App IO's
    /// limits once filled in with long values, or with short ones.
    pub fn check(&self) -> Result<(), TemplateError> {
        let template = self.template();
        template.render(self.event, self.lang, &Facts::sample())?;
        let short = Facts {
            comune: "X".into(),
            link: "https://x.it".into(),
            service: Some("X".into()),
            reference: Some("1".into()),
            description: Some("X".into()),
            ..Facts::sample()
        };
        template.render(self.event, self.lang, &short).map(|_| ())
    }
}

/// Composes the message for `event`: the comune's wording in force on `day` when it has one
/// that renders, Sportello's otherwise.
pub fn compose(
    settings: &super::NotificationSettings,
    event: Event,
    lang: Lang,
    facts: &Facts,
    day: jiff::civil::Date,
) -> Result<Composed, TemplateError> {
    if let Some(version) = settings.template(event, lang, day)
        && let Ok((subject, markdown)) = version.template().render(event, lang, facts)
    {
        return Ok(Composed {
            subject,
            markdown,
            template_version: version.version,
        });
    }
    let (subject, markdown) = default_template(event, lang).render(event, lang, facts)?;
    Ok(Composed {
        subject,
        markdown,
        template_version: 0,
    })
}

/// Sportello's own wording.
pub fn default_template(event: Event, lang: Lang) -> Template {
    let (subject, body) = match (event, lang) {
        (Event::RequestReceived, Lang::It) => (
            "Richiesta ricevuta: {{servizio}}",
            "Gentile cittadina, gentile cittadino,\n\n\
             il {{comune}} ha ricevuto la tua richiesta **{{servizio}}**, registrata con il numero **{{pratica}}**.\n\n\
             Riceverai una risposta **entro il {{data}}**. Puoi seguire ogni passaggio e scaricare la ricevuta nella tua area personale.\n\n\
             [Vai alla richiesta]({{link}})\n\n\
             Questo messaggio è inviato automaticamente dal {{comune}}.",
        ),
        (Event::RequestReceived, Lang::En) => (
            "Request received: {{servizio}}",
            "Dear citizen,\n\n\
             {{comune}} has received your request **{{servizio}}**, registered as number **{{pratica}}**.\n\n\
             You will have an answer **by {{data}}**. You can follow every step and download the receipt in your personal area.\n\n\
             [Open the request]({{link}})\n\n\
             This message was sent automatically by {{comune}}.",
        ),
        (Event::DocumentsRequested, Lang::It) => (
            "Servono documenti per la richiesta {{pratica}}",
            "Gentile cittadina, gentile cittadino,\n\n\
             per completare la tua richiesta **{{servizio}}** (n. {{pratica}}) l'ufficio ha bisogno di altri documenti.\n\n\
             Puoi inviarli dalla tua area personale **entro il {{data}}**. Fino ad allora il termine per la risposta è sospeso.\n\n\
             [Vedi cosa serve]({{link}})\n\n\
             Questo messaggio è inviato automaticamente dal {{comune}}.",
        ),
        (Event::DocumentsRequested, Lang::En) => (
            "Documents needed for request {{pratica}}",
            "Dear citizen,\n\n\
             to complete your request **{{servizio}}** (no. {{pratica}}) the office needs further documents.\n\n\
             You can send them from your personal area **by {{data}}**. Until then the time limit for the answer is suspended.\n\n\
             [See what is needed]({{link}})\n\n\
             This message was sent automatically by {{comune}}.",
        ),
        (Event::RefusalNotice, Lang::It) => (
            "Preavviso di rigetto per la richiesta {{pratica}}",
            "Gentile cittadina, gentile cittadino,\n\n\
             l'ufficio ha comunicato i motivi che impediscono di accogliere la tua richiesta **{{servizio}}** (n. {{pratica}}), \
             come prevede l'art. 10-bis della legge 241/1990.\n\n\
             Puoi presentare osservazioni e documenti dalla tua area personale **entro il {{data}}**.\n\n\
             [Leggi la comunicazione]({{link}})\n\n\
             Questo messaggio è inviato automaticamente dal {{comune}}.",
        ),
        (Event::RefusalNotice, Lang::En) => (
            "Notice of intended refusal for request {{pratica}}",
            "Dear citizen,\n\n\
             the office has set out the reasons that prevent it from granting your request **{{servizio}}** (no. {{pratica}}), \
             as article 10-bis of Law 241/1990 provides.\n\n\
             You can submit observations and documents from your personal area **by {{data}}**.\n\n\
             [Read the notice]({{link}})\n\n\
             This message was sent automatically by {{comune}}.",
        ),
        (Event::RequestApproved, Lang::It) => (
            "Richiesta {{pratica}} accolta",
            "Gentile cittadina, gentile cittadino,\n\n\
             la tua richiesta **{{servizio}}** (n. {{pratica}}) è stata **accolta**.\n\n\
             Nella tua area personale trovi il provvedimento e, se è dovuto un pagamento, l'avviso pagoPA per completarla.\n\n\
             [Vai alla richiesta]({{link}})\n\n\
             Questo messaggio è inviato automaticamente dal {{comune}}.",
        ),
        (Event::RequestApproved, Lang::En) => (
            "Request {{pratica}} granted",
            "Dear citizen,\n\n\
             your request **{{servizio}}** (no. {{pratica}}) has been **granted**.\n\n\
             In your personal area you will find the decision and, if a payment is due, the pagoPA notice to complete it.\n\n\
             [Open the request]({{link}})\n\n\
             This message was sent automatically by {{comune}}.",
        ),
        (Event::RequestRejected, Lang::It) => (
            "Decisione sulla richiesta {{pratica}}",
            "Gentile cittadina, gentile cittadino,\n\n\
             l'ufficio ha deciso sulla tua richiesta **{{servizio}}** (n. {{pratica}}): la richiesta **non è stata accolta**.\n\n\
             Nella tua area personale trovi il provvedimento con le motivazioni e i mezzi per impugnarlo.\n\n\
             [Leggi il provvedimento]({{link}})\n\n\
             Questo messaggio è inviato automaticamente dal {{comune}}.",
        ),
        (Event::RequestRejected, Lang::En) => (
            "Decision on request {{pratica}}",
            "Dear citizen,\n\n\
             the office has decided on your request **{{servizio}}** (no. {{pratica}}): the request **has not been granted**.\n\n\
             In your personal area you will find the decision with its reasons and how to appeal against it.\n\n\
             [Read the decision]({{link}})\n\n\
             This message was sent automatically by {{comune}}.",
        ),
        (Event::PermitExpiring, Lang::It) => (
            "Il tuo permesso scade il {{data}}",
            "Gentile cittadina, gentile cittadino,\n\n\
             il permesso rilasciato con la richiesta **{{servizio}}** (n. {{pratica}}) **scade il {{data}}**.\n\n\
             Se ti serve ancora, puoi chiederne il rinnovo dalla tua area personale.\n\n\
             [Rinnova il permesso]({{link}})\n\n\
             Questo messaggio è inviato automaticamente dal {{comune}}.",
        ),
        (Event::PermitExpiring, Lang::En) => (
            "Your permit expires on {{data}}",
            "Dear citizen,\n\n\
             the permit issued on your request **{{servizio}}** (no. {{pratica}}) **expires on {{data}}**.\n\n\
             If you still need it, you can ask to renew it from your personal area.\n\n\
             [Renew the permit]({{link}})\n\n\
             This message was sent automatically by {{comune}}.",
        ),
        (Event::PaymentNotice, Lang::It) => (
            "Avviso di pagamento: {{causale}}",
            "Gentile cittadina, gentile cittadino,\n\n\
             il {{comune}} ti ha inviato un avviso di pagamento pagoPA.\n\n\
             - **Causale:** {{causale}}\n\
             - **Importo:** {{importo}}\n\
             - **Codice avviso:** {{avviso}}\n\
             - **Scadenza:** {{data}}\n\n\
             Puoi pagare da qui con il pulsante di pagamento, oppure su qualsiasi canale pagoPA (banca, ufficio postale, tabaccheria) con il codice avviso.\n\n\
             [Vedi l'avviso e la ricevuta]({{link}})",
        ),
        (Event::PaymentNotice, Lang::En) => (
            "Payment notice: {{causale}}",
            "Dear citizen,\n\n\
             {{comune}} has sent you a pagoPA payment notice.\n\n\
             - **Purpose:** {{causale}}\n\
             - **Amount:** {{importo}}\n\
             - **Notice code:** {{avviso}}\n\
             - **Due date:** {{data}}\n\n\
             You can pay from here with the payment button, or on any pagoPA channel (bank, post office, tobacconist) with the notice code.\n\n\
             [See the notice and the receipt]({{link}})",
        ),
        (Event::TaxDeadline, Lang::It) => (
            "Scadenza {{causale}}: {{data}}",
            "Gentile cittadina, gentile cittadino,\n\n\
             ti ricordiamo che **il {{data}}** scade il pagamento di **{{causale}}** per un importo di {{importo}}.\n\n\
             Nella tua area personale trovi gli avvisi da pagare e quelli già pagati.\n\n\
             [Vai ai pagamenti]({{link}})\n\n\
             Questo messaggio è inviato automaticamente dal {{comune}}.",
        ),
        (Event::TaxDeadline, Lang::En) => (
            "{{causale}} due on {{data}}",
            "Dear citizen,\n\n\
             this is a reminder that **{{causale}}**, for an amount of {{importo}}, is due **on {{data}}**.\n\n\
             In your personal area you will find the notices to pay and those already paid.\n\n\
             [Go to payments]({{link}})\n\n\
             This message was sent automatically by {{comune}}.",
        ),
    };
    Template {
        subject: subject.to_owned(),
        body: body.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notification::NotificationSettings;

    fn facts() -> Facts {
        Facts {
            comune: "Comune di Borgoverde".into(),
            link: "https://borgoverde.example.it/area-personale/richieste/42".into(),
            service: Some("Permesso di accesso alla ZTL".into()),
            reference: Some("2026/0000042".into()),
            date: Some(jiff::civil::date(2026, 12, 24)),
            amount: Some(Cents::new(1_650)),
            notice: Some("3012 0260 0000 0042 28".into()),
            description: Some("Permesso ZTL".into()),
        }
    }

    #[test]
    fn every_default_renders_within_app_io_limits_in_both_languages() {
        for event in Event::ALL {
            for lang in Lang::ALL {
                let (subject, body) = default_template(event, lang)
                    .render(event, lang, &facts())
                    .unwrap_or_else(|e| panic!("{event} {lang:?}: {e}"));
                assert!(
                    SUBJECT_CHARS.contains(&subject.chars().count()),
                    "{subject}"
                );
                assert!(BODY_CHARS.contains(&body.chars().count()));
                assert!(!body.contains("{{"), "{body}");
                // The defaults pass the same check as a comune's own wording.
                let version = TemplateVersion {
                    event,
                    lang,
                    version: 1,
                    valid_from: jiff::civil::date(2026, 1, 1),
                    subject: default_template(event, lang).subject,
                    body: default_template(event, lang).body,
                };
                version
                    .check()
                    .unwrap_or_else(|e| panic!("{event} {lang:?}: {e}"));
            }
        }
    }

    #[test]
    fn a_payment_notice_shows_amount_code_and_due_date_in_each_language() {
        let (subject, body) = default_template(Event::PaymentNotice, Lang::It)
            .render(Event::PaymentNotice, Lang::It, &facts())
            .unwrap();
        assert_eq!(subject, "Avviso di pagamento: Permesso ZTL");
        assert!(body.contains("**Importo:** € 16,50"), "{body}");
        assert!(body.contains("3012 0260 0000 0042 28"));
        assert!(body.contains("24/12/2026"));
        let (_, body) = default_template(Event::PaymentNotice, Lang::En)
            .render(Event::PaymentNotice, Lang::En, &facts())
            .unwrap();
        assert!(
            body.contains("€16.50") && body.contains("24 December 2026"),
            "{body}"
        );
    }

    #[test]
    fn values_are_escaped_in_the_body_but_not_in_the_subject() {
        let facts = Facts {
            service: Some("Permesso *speciale* [centro]".into()),
            ..facts()
        };
        let (subject, body) = default_template(Event::RequestReceived, Lang::It)
            .render(Event::RequestReceived, Lang::It, &facts)
            .unwrap();
        assert_eq!(subject, "Richiesta ricevuta: Permesso *speciale* [centro]");
        assert!(body.contains(r"Permesso \*speciale\* \[centro\]"), "{body}");
    }

    #[test]
    fn a_long_service_title_shortens_the_subject_instead_of_failing() {
        let facts = Facts {
            service: Some("Autorizzazione ".repeat(20)),
            ..facts()
        };
        let (subject, _) = default_template(Event::RequestReceived, Lang::It)
            .render(Event::RequestReceived, Lang::It, &facts)
            .unwrap();
        assert!(
            subject.chars().count() <= 120 && subject.ends_with('…'),
            "{subject}"
        );
    }

    fn version(subject: &str, body: &str) -> TemplateVersion {
        TemplateVersion {
            event: Event::RequestApproved,
            lang: Lang::It,
            version: 2,
            valid_from: jiff::civil::date(2026, 12, 1),
            subject: subject.into(),
            body: body.into(),
        }
    }

    #[test]
    fn a_comune_template_is_checked_for_placeholders_and_limits() {
        let body = "La richiesta {{pratica}} è accolta. Trovi tutto nell'area personale: [apri]({{link}}). Cordiali saluti dal {{comune}}.";
        assert_eq!(
            version("Richiesta {{pratica}} accolta", body).check(),
            Ok(())
        );
        assert_eq!(
            version("Richiesta {{importo}} accolta", body).check(),
            Err(TemplateError::UnknownPlaceholder(
                "importo".into(),
                "comune, link, servizio, pratica".into()
            ))
        );
        assert!(matches!(
            version("Breve", body).check(),
            Err(TemplateError::SubjectLength(5))
        ));
        assert!(matches!(
            version("Richiesta accolta", "Accolta.").check(),
            Err(TemplateError::BodyLength(_))
        ));
        assert_eq!(
            version("Richiesta {{pratica accolta", body).check(),
            Err(TemplateError::Unclosed)
        );
    }

    #[test]
    fn the_comune_wording_applies_from_its_date_and_the_latest_version_wins() {
        let body = "La richiesta {{pratica}} è accolta. Trovi tutto nell'area personale: [apri]({{link}}). Cordiali saluti dal {{comune}}.";
        let mut newer = version("Buone notizie: richiesta {{pratica}}", body);
        newer.version = 3;
        newer.valid_from = jiff::civil::date(2027, 1, 1);
        let settings = NotificationSettings {
            templates: vec![version("Richiesta {{pratica}} accolta", body), newer],
            ..NotificationSettings::default()
        };
        let at = |y, m, d| {
            compose(
                &settings,
                Event::RequestApproved,
                Lang::It,
                &facts(),
                jiff::civil::date(y, m, d),
            )
            .unwrap()
        };
        assert_eq!(at(2026, 11, 30).template_version, 0);
        assert_eq!(at(2026, 12, 1).subject, "Richiesta 2026/0000042 accolta");
        assert_eq!(at(2027, 1, 2).template_version, 3);
        // English has no version of its own: Sportello's wording.
        let en = compose(
            &settings,
            Event::RequestApproved,
            Lang::En,
            &facts(),
            jiff::civil::date(2027, 1, 2),
        )
        .unwrap();
        assert_eq!(en.template_version, 0);
    }

    #[test]
    fn a_missing_value_falls_back_to_the_default_or_fails_plainly() {
        let without_date = Facts {
            date: None,
            ..facts()
        };
        assert_eq!(
            compose(
                &NotificationSettings::default(),
                Event::PaymentNotice,
                Lang::It,
                &without_date,
                jiff::civil::date(2026, 12, 1),
            ),
            Err(TemplateError::MissingValue("data"))
        );
    }
}
