//! Telling the citizen what happened to their pratica: the notification is composed here and
//! stored in the transaction of the event it tells, so the event and the promise to tell it
//! commit together (the store adds the outbox message that delivers it).
//!
//! What a message may say is deliberately little: that something happened, the file's number,
//! the date that matters and where to read the rest. No clerk's text, no answers, no file
//! names; and for the disabled badge, or any service that collects health documents, not even
//! the service's name, which alone would reveal special-category data (GDPR art. 9) to whoever
//! reads the citizen's phone or mailbox.

use sportello_domain::notification::{Event, Facts, page_url, template};
use sportello_domain::pratica::EventKind;
use sportello_domain::procedure::{Procedure, ProcedureKind};
use sportello_domain::text::LocalizedText;
use sportello_domain::{Lang, Tenant, UserId};
use sportello_store::notifications::NewNotification;
use sportello_store::{StoreError, StoredPratica, TenantScope, Tx};
use uuid::Uuid;

/// One notification about a pratica.
pub(crate) struct PraticaNotice<'a> {
    pub event: Event,
    pub pratica: &'a StoredPratica,
    /// The procedure version the pratica follows: it says whether the service is sensitive.
    pub procedure: &'a Procedure,
    pub service_title: &'a LocalizedText,
    /// The date that matters to the event (latest answer, deadline, expiry).
    pub date: Option<jiff::civil::Date>,
    /// Tells apart two notices of the same event on one pratica (a step's version, an expiry
    /// date); `None` for events that happen once.
    pub step: Option<String>,
}

impl PraticaNotice<'_> {
    /// `<event>:<pratica>[:<step>]`: a retried transaction finds the notification made and
    /// tells nothing twice.
    pub(crate) fn origin(&self) -> String {
        match &self.step {
            Some(step) => format!("{}:{}:{step}", self.event.code(), self.pratica.id),
            None => format!("{}:{}", self.event.code(), self.pratica.id),
        }
    }
}

/// Whether naming the service would tell something about the citizen's health.
pub(crate) fn is_sensitive(procedure: &Procedure) -> bool {
    procedure.kind == ProcedureKind::DisabledBadge
        || procedure.attachments.iter().any(|a| a.sensitive)
}

/// The wording used instead of a sensitive service's name.
pub(crate) fn neutral_service(lang: Lang) -> &'static str {
    match lang {
        Lang::It => "Richiesta al Comune",
        Lang::En => "Request to the comune",
    }
}

/// The language the citizen chose for messages; Italian otherwise. Read outside the caller's
/// transaction: it only reads a committed row the transaction does not touch.
pub(crate) async fn recipient_lang(
    scope: &TenantScope<'_>,
    user: Option<UserId>,
) -> Result<Lang, StoreError> {
    let Some(user) = user else {
        return Ok(Lang::It);
    };
    Ok(scope
        .user(user)
        .await?
        .and_then(|u| u.contact_preferences.language)
        .unwrap_or(Lang::It))
}

/// The page of the pratica in the personal area, absolute: messages are read outside the
/// browser.
pub(crate) fn pratica_link(public_url: Option<&str>, tenant: &Tenant, pratica: Uuid) -> String {
    page_url(
        public_url,
        tenant,
        &format!("/area-personale/pratiche/{pratica}"),
    )
}

/// Composes `notice` in the recipient's language with the comune's wording in force today,
/// and stores it in `tx`. Returns the new notification, or `None` when it existed already
/// (same origin) or could not be composed: a message that cannot be written must not undo
/// the clerk's decision, so that case is logged instead.
pub(crate) async fn pratica_event(
    tx: &mut Tx,
    tenant: &Tenant,
    public_url: Option<&str>,
    lang: Lang,
    notice: &PraticaNotice<'_>,
) -> Result<Option<Uuid>, StoreError> {
    let pratica = notice.pratica;
    let service = if is_sensitive(notice.procedure) {
        neutral_service(lang).to_owned()
    } else {
        notice.service_title.get(lang).to_owned()
    };
    let facts = Facts {
        comune: tenant.profile.name.clone(),
        link: pratica_link(public_url, tenant, pratica.id),
        service: Some(service),
        reference: Some(pratica.protocol.to_string()),
        date: notice.date,
        ..Facts::default()
    };
    let today = sportello_domain::calendar::local_date(jiff::Timestamp::now());
    let composed = match template::compose(
        &tenant.profile.notifications,
        notice.event,
        lang,
        &facts,
        today,
    ) {
        Ok(composed) => composed,
        Err(error) => {
            tracing::error!(event = %notice.event, pratica = %pratica.id, %error, "a notification could not be composed");
            return Ok(None);
        }
    };
    tx.create_notification(&NewNotification {
        tenant: tenant.id,
        origin: notice.origin(),
        recipient: pratica.applicant.fiscal_code.clone(),
        user: pratica.applicant_user,
        event: notice.event,
        lang,
        composed,
        pratica: Some(pratica.id),
        position: None,
        payment: None,
        due_date: notice.date,
        created_by: "system".to_owned(),
    })
    .await
}

/// The notification an office's step sends, with its date, if it sends one.
pub(crate) fn for_step(kind: &EventKind) -> Option<(Event, Option<jiff::civil::Date>)> {
    match kind {
        EventKind::DocumentsRequested { resumes_by, .. } => {
            Some((Event::DocumentsRequested, Some(*resumes_by)))
        }
        EventKind::RefusalNoticed {
            observations_by, ..
        } => Some((Event::RefusalNotice, Some(*observations_by))),
        EventKind::Approved { .. } | EventKind::ApprovedBySilence { .. } => {
            Some((Event::RequestApproved, None))
        }
        EventKind::Rejected { .. } => Some((Event::RequestRejected, None)),
        _ => None,
    }
}

/// The origin's step for an office's event: the documents request and the 10-bis notice
/// happen at most once per pratica today, but the version keeps them apart should the law or
/// the domain ever allow a second; a decision is final, so it has none.
pub(crate) fn step_of(event: Event, version: u64) -> Option<String> {
    matches!(event, Event::DocumentsRequested | Event::RefusalNotice).then(|| version.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn office_steps_map_to_their_notifications() {
        let day = jiff::civil::date(2026, 3, 2);
        assert_eq!(for_step(&EventKind::ReviewResumed { deadline: day }), None);
        assert_eq!(step_of(Event::RequestApproved, 4), None);
        assert_eq!(step_of(Event::DocumentsRequested, 4).as_deref(), Some("4"));
        assert_eq!(neutral_service(Lang::En), "Request to the comune");
    }
}
