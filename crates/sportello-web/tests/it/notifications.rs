//! Notifications through the router: a submission and a decision tell the citizen in their
//! own transaction, the disabled badge never names its service, the citizen reads their
//! messages (and nobody else's) on the portal and in the API, chooses channels per topic and
//! confirms an e-mail address by its link; the office sees what each citizen was told,
//! resends, follows the delivery dashboard, and the administrator previews the wording.

use crate::app_tests;
use crate::auth::{AuthApp, Browser, sign_in_as};
use crate::office::{CLERK, act, file_ztl, grant};
use crate::requests::{CF, PDF, PNG, TENANT, day, location, start, step, submit, upload};
use axum::http::StatusCode;
use sportello_domain::notification::{Event, template};
use sportello_domain::{Channel, CodiceFiscale, Lang, Role};
use sportello_store::notifications::NewNotification;
use sportello_store::outbox::{DeliveryError, Message, Sink, Worker, WorkerOptions};
use sportello_store::{Actor, EmailToken};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Giuseppe Verdi, another citizen.
const OTHER_CF: &str = "VRDGPP75C12F205K";
/// The comune's administrator.
const ADMIN: &str = "RSSMRA85T10A562S";

app_tests!(
    using crate::auth::AuthApp::plain;
    a_submission_tells_the_citizen_once_in_its_transaction,
    the_disabled_badge_never_names_its_service,
    the_citizen_reads_their_messages_and_nobody_elses,
    a_new_address_is_confirmed_by_its_link_once,
    channels_per_topic_and_language_round_trip,
    the_office_sees_what_was_sent_and_sends_it_again,
    the_dashboard_counts_and_filters,
    the_wording_preview_is_for_administrators,
    an_approval_tells_the_citizen,
    a_permit_about_to_expire_is_reminded_once,
    one_click_unsubscribes_from_e_mail_on_the_topic,
);

/// Every outbox message, as the worker hands them over (delivered at once).
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<Message>>>);

impl Sink for Capture {
    async fn deliver(&self, message: &Message) -> Result<(), DeliveryError> {
        self.0.lock().unwrap().push(message.clone());
        Ok(())
    }
}

/// Delivers everything due to a capture, and returns what went out.
async fn drain(app: &AuthApp) -> Vec<Message> {
    let capture = Capture::default();
    let worker = Worker::new(
        app.app.store.clone(),
        capture.clone(),
        WorkerOptions::default(),
    );
    while worker.run_once().await.unwrap() > 0 {}
    capture.0.lock().unwrap().clone()
}

async fn signed_in_mario(app: &AuthApp) -> Browser<'_> {
    let mut mario = app.browser();
    sign_in_as(app, &mut mario, TENANT, CF, "Mario", "Rossi").await;
    mario
}

async fn scope_notifications(
    app: &AuthApp,
    pratica: &str,
) -> Vec<sportello_store::notifications::Notification> {
    let tenant = app.app.tenant(TENANT).await;
    app.app
        .store
        .scoped(tenant.id)
        .notifications_for_pratica(pratica.parse().unwrap())
        .await
        .unwrap()
}

async fn a_submission_tells_the_citizen_once_in_its_transaction(app: AuthApp) {
    let mut mario = signed_in_mario(&app).await;
    let id = file_ztl(&mut mario).await;
    let notifications = scope_notifications(&app, &id).await;
    assert_eq!(notifications.len(), 1, "{notifications:?}");
    let n = &notifications[0];
    assert_eq!(n.event, Event::RequestReceived);
    assert_eq!(n.recipient.as_str(), CF);
    assert_eq!(n.lang, Lang::It);
    assert_eq!(
        n.subject,
        "Richiesta ricevuta: Permesso di accesso alla ZTL"
    );
    assert!(
        n.markdown.contains(&format!(
            "(http://localhost/borgoverde/area-personale/pratiche/{id})"
        )),
        "{}",
        n.markdown
    );
    // The protocol number and the latest date for an answer.
    let tenant = app.app.tenant(TENANT).await;
    let scope = app.app.store.scoped(tenant.id);
    let pratica = scope.pratica(id.parse().unwrap()).await.unwrap().unwrap();
    assert!(
        n.markdown.contains(&pratica.protocol.to_string()),
        "{}",
        n.markdown
    );
    let deadline = pratica.deadline.unwrap();
    assert!(
        n.markdown
            .contains(&template::format_date(deadline, Lang::It)),
        "{}",
        n.markdown
    );
    assert_eq!(n.due_date, Some(deadline));
    // Its outbox message was committed with it.
    let state = app
        .app
        .store
        .outbox_message_state(&format!("notify:{}", n.id))
        .await
        .unwrap();
    assert!(state.is_some(), "the delivery message is in the outbox");
    assert_eq!(n.deliveries.len(), 2);

    // The same event again (a retried transaction) tells nothing more.
    let again = app
        .app
        .store
        .create_notification(&NewNotification {
            tenant: tenant.id,
            origin: n.origin.clone(),
            recipient: n.recipient.clone(),
            user: n.user,
            event: n.event,
            lang: n.lang,
            composed: sportello_domain::notification::Composed {
                subject: n.subject.clone(),
                markdown: n.markdown.clone(),
                template_version: 0,
            },
            pratica: n.pratica,
            position: None,
            payment: None,
            due_date: n.due_date,
            created_by: "system".into(),
        })
        .await
        .unwrap();
    assert_eq!(again, None);
    assert_eq!(n.origin, format!("request_received:{id}"));
    assert_eq!(scope_notifications(&app, &id).await.len(), 1);
}

async fn the_disabled_badge_never_names_its_service(app: AuthApp) {
    let mut mario = signed_in_mario(&app).await;
    let draft = start(&mut mario, "contrassegno-disabili").await;
    step(
        &mut mario,
        &draft,
        "richiedente",
        &[("applicant_role", "self")],
    )
    .await;
    step(
        &mut mario,
        &draft,
        "contrassegno",
        &[
            ("badge_type", "temporary"),
            ("request_type", "first"),
            ("temporary_until", &day(120)),
        ],
    )
    .await;
    step(
        &mut mario,
        &draft,
        "targhe",
        &[("plates", "AB123CD"), ("plates", "")],
    )
    .await;
    step(
        &mut mario,
        &draft,
        "dichiarazioni",
        &[("truthful", "si"), ("proper_use", "si"), ("privacy", "si")],
    )
    .await;
    for (spec, name, bytes) in [
        ("medical_certificate", "certificato.pdf", PDF),
        ("photo", "foto.png", PNG),
    ] {
        assert!(
            upload(&mut mario, &draft, spec, name, bytes)
                .await
                .status
                .is_redirection()
        );
    }
    let pratica = submit(&mut mario, &draft).await;
    let id = pratica
        .split("/pratiche/")
        .nth(1)
        .unwrap()
        .split('?')
        .next()
        .unwrap();
    let notifications = scope_notifications(&app, id).await;
    assert_eq!(notifications.len(), 1);
    let n = &notifications[0];
    assert_eq!(n.subject, "Richiesta ricevuta: Richiesta al Comune");
    for text in [&n.subject, &n.markdown] {
        let lower = text.to_lowercase();
        for revealing in ["contrassegno", "disabil", "cude", "certificat", "badge"] {
            assert!(!lower.contains(revealing), "{revealing} in {text}");
        }
    }
    // Nor on the citizen's list, which shows the subject.
    let list = mario
        .get(&format!("/{TENANT}/area-personale/notifiche"))
        .await;
    assert!(list.body.contains("Richiesta al Comune"), "{}", list.body);
}

async fn the_citizen_reads_their_messages_and_nobody_elses(app: AuthApp) {
    let mut mario = signed_in_mario(&app).await;
    let id = file_ztl(&mut mario).await;
    let n = scope_notifications(&app, &id).await.remove(0);

    // The personal area's desk, as the comuni model lays it out: its sections as tabs, the
    // latest message, the request, the service used and the way to help.
    let area = mario.get(&format!("/{TENANT}/area-personale/")).await;
    assert!(
        area.body.contains("/area-personale/notifiche\""),
        "{}",
        area.body
    );
    for section in [
        "Scrivania",
        "Ultimi messaggi",
        "Le mie richieste",
        "Pagamenti da effettuare",
        "I miei servizi",
        "Impostazioni",
        "Hai bisogno di assistenza?",
    ] {
        assert!(area.body.contains(section), "{section} in {}", area.body);
    }
    assert!(
        area.body
            .contains(&format!("/area-personale/notifiche/{}", n.id))
    );
    assert!(
        area.body
            .contains(&format!("href=\"/{TENANT}/servizi/permesso-ztl\""))
    );
    let english = mario
        .get_in(&format!("/{TENANT}/area-personale/"), "en")
        .await;
    assert!(english.body.contains("Latest messages"), "{}", english.body);
    mario
        .get_in(&format!("/{TENANT}/area-personale/"), "it")
        .await;
    let list = mario
        .get(&format!("/{TENANT}/area-personale/notifiche"))
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let detail_path = format!("/{TENANT}/area-personale/notifiche/{}", n.id);
    assert!(list.body.contains(&detail_path), "{}", list.body);
    assert!(
        list.body
            .contains("Richiesta ricevuta: Permesso di accesso alla ZTL")
    );
    // Not sent yet: both channels say so.
    assert_eq!(
        list.body.matches("L&#39;invio è in corso.").count()
            + list.body.matches("L'invio è in corso.").count(),
        2,
        "{}",
        list.body
    );

    let detail = mario.get(&detail_path).await;
    assert_eq!(detail.status, StatusCode::OK, "{}", detail.body);
    assert!(
        detail
            .body
            .contains("<strong>Permesso di accesso alla ZTL</strong>"),
        "{}",
        detail.body
    );
    assert!(detail.body.contains("App IO") && detail.body.contains("E-mail"));
    assert!(
        detail
            .body
            .contains(&format!("/area-personale/pratiche/{id}"))
    );

    let mut giuseppe = app.browser();
    sign_in_as(&app, &mut giuseppe, TENANT, OTHER_CF, "Giuseppe", "Verdi").await;
    assert_eq!(
        giuseppe.get(&detail_path).await.status,
        StatusCode::NOT_FOUND
    );
    let theirs = giuseppe
        .get(&format!("/{TENANT}/area-personale/notifiche"))
        .await;
    assert!(!theirs.body.contains(&detail_path));
    // Valdoro knows nothing of it (nor of Mario's Borgoverde session).
    let elsewhere = mario
        .get(&format!("/valdoro/area-personale/notifiche/{}", n.id))
        .await;
    assert!(!elsewhere.body.contains(&n.subject), "{}", elsewhere.body);

    let api = mario
        .get(&format!("/{TENANT}/api/v1/me/notifications"))
        .await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    let list: serde_json::Value = serde_json::from_str(&api.body).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    let item = &list[0];
    assert_eq!(item["id"], n.id.to_string());
    assert_eq!(item["event"], "request_received");
    assert_eq!(item["topic"], "requests");
    assert_eq!(item["pratica"], id);
    assert_eq!(item["channels"][0]["channel"], "io");
    assert_eq!(item["channels"][1]["status"], "pending");
    let other = giuseppe
        .get(&format!("/{TENANT}/api/v1/me/notifications"))
        .await;
    assert_eq!(other.body, "[]");
    assert_eq!(
        app.browser()
            .get(&format!("/{TENANT}/api/v1/me/notifications"))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

async fn mario_id(app: &AuthApp) -> sportello_domain::UserId {
    let tenant = app.app.tenant(TENANT).await;
    app.app
        .store
        .scoped(tenant.id)
        .user_by_fiscal_code(&CodiceFiscale::parse(CF).unwrap())
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn a_new_address_is_confirmed_by_its_link_once(app: AuthApp) {
    let mut mario = signed_in_mario(&app).await;
    drain(&app).await;
    let csrf = mario.csrf().await;
    let path = format!("/{TENANT}/area-personale/profilo");
    let saved = mario
        .post(
            &path,
            &format!(
                "csrf={csrf}&requests_io=1&requests_email=1&payments_io=1&deadlines_io=1&language=it&contact_email=mario.rossi%40example.org"
            ),
        )
        .await;
    assert_eq!(location(&saved), format!("{path}?salvato=1"));
    let page = mario.get(&format!("{path}?salvato=1")).await;
    assert!(
        page.body
            .contains("Ti abbiamo inviato un link a mario.rossi@example.org"),
        "{}",
        page.body
    );
    let user = mario_id(&app).await;
    let sent = drain(&app).await;
    let verify: Vec<&Message> = sent.iter().filter(|m| m.topic == "email.verify").collect();
    assert_eq!(verify.len(), 1, "{sent:?}");
    assert!(
        verify[0]
            .idempotency_key
            .starts_with(&format!("email-verify:{user}:"))
    );
    assert_eq!(verify[0].payload["user"], user.to_string());
    assert_eq!(verify[0].payload["address"], "mario.rossi@example.org");
    assert_eq!(verify[0].payload["lang"], "it");

    // The sender's part, as it does it: a token, its hash stored, the link mailed.
    let tenant = app.app.tenant(TENANT).await;
    let scope = app.app.store.scoped(tenant.id);
    let token = EmailToken::generate().unwrap();
    scope
        .start_email_verification(
            user,
            "mario.rossi@example.org",
            &token,
            Duration::from_secs(3600),
        )
        .await
        .unwrap();
    // Opened on another device, without a session.
    let link = format!(
        "/{TENANT}/area-personale/verifica-email?token={}",
        token.as_cookie_value()
    );
    let mut phone = app.browser();
    let opened = phone.get(&link).await;
    assert_eq!(opened.status, StatusCode::OK, "{}", opened.body);
    assert!(
        opened.body.contains("Hai confermato l&#39;indirizzo")
            || opened.body.contains("Hai confermato l'indirizzo"),
        "{}",
        opened.body
    );
    let prefs = scope.user(user).await.unwrap().unwrap().contact_preferences;
    assert_eq!(prefs.verified_email(), Some("mario.rossi@example.org"));
    let page = mario.get(&path).await;
    assert!(page.body.contains("Indirizzo confermato"), "{}", page.body);

    // Once only.
    let reused = phone.get(&link).await;
    assert_eq!(reused.status, StatusCode::GONE);
    assert!(
        reused.body.contains("scaduto o è già stato usato"),
        "{}",
        reused.body
    );
    // Expired.
    let late = EmailToken::generate().unwrap();
    scope
        .start_email_verification(user, "mario.rossi@example.org", &late, Duration::ZERO)
        .await
        .unwrap();
    let expired = phone
        .get(&format!(
            "/{TENANT}/area-personale/verifica-email?token={}",
            late.as_cookie_value()
        ))
        .await;
    assert_eq!(expired.status, StatusCode::GONE);
    let garbage = phone
        .get(&format!(
            "/{TENANT}/area-personale/verifica-email?token=abc"
        ))
        .await;
    assert_eq!(garbage.status, StatusCode::GONE);

    // A confirmed address saved again asks for nothing.
    let csrf = mario.csrf().await;
    mario
        .post(
            &path,
            &format!(
                "csrf={csrf}&requests_io=1&language=it&contact_email=mario.rossi%40example.org"
            ),
        )
        .await;
    assert!(drain(&app).await.iter().all(|m| m.topic != "email.verify"));
}

async fn channels_per_topic_and_language_round_trip(app: AuthApp) {
    let mut mario = signed_in_mario(&app).await;
    let csrf = mario.csrf().await;
    let path = format!("/{TENANT}/area-personale/profilo");
    // Nothing ticked: refused, with what was typed kept.
    let refused = mario
        .post(
            &path,
            &format!("csrf={csrf}&language=en&contact_email=mario%40"),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("value=\"mario@\""),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("Scegli almeno un canale."));
    assert!(
        refused
            .body
            .contains("aria-describedby=\"contact-email-hint contact-email-error\"")
    );
    assert!(
        refused
            .body
            .contains("<option value=\"en\" lang=\"en\" selected>"),
        "{}",
        refused.body
    );

    let saved = mario
        .post(
            &path,
            &format!("csrf={csrf}&requests_io=1&payments_email=1&deadlines_io=1&deadlines_email=1&language=en&contact_email="),
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let user = mario_id(&app).await;
    let tenant = app.app.tenant(TENANT).await;
    let prefs = app
        .app
        .store
        .scoped(tenant.id)
        .user(user)
        .await
        .unwrap()
        .unwrap()
        .contact_preferences;
    assert_eq!(prefs.channels_for("requests"), [Channel::Io]);
    assert_eq!(prefs.channels_for("payments"), [Channel::Email]);
    assert_eq!(
        prefs.channels_for("deadlines"),
        [Channel::Io, Channel::Email]
    );
    assert_eq!(prefs.language, Some(Lang::En));
    let page = mario.get(&path).await;
    for (id, checked) in [
        ("requests-io", true),
        ("requests-email", false),
        ("payments-io", false),
        ("payments-email", true),
        ("deadlines-email", true),
    ] {
        let at = page.body.find(&format!("id=\"{id}\"")).unwrap();
        let tag = &page.body[at..at + page.body[at..].find('>').unwrap()];
        assert_eq!(tag.contains(" checked"), checked, "{id}: {tag}");
    }
    // The next message is written in English.
    let id = file_ztl(&mut mario).await;
    let n = scope_notifications(&app, &id).await.remove(0);
    assert_eq!(n.lang, Lang::En);
    assert_eq!(
        n.subject,
        "Request received: Limited traffic zone (ZTL) access permit"
    );
}

async fn the_office_sees_what_was_sent_and_sends_it_again(app: AuthApp) {
    let mut mario = signed_in_mario(&app).await;
    let id = file_ztl(&mut mario).await;
    grant(&app, CLERK, "polizia-locale").await;
    let mut giulia = app.browser();
    sign_in_as(&app, &mut giulia, TENANT, CLERK, "Giulia", "Bianchi").await;
    let page = giulia
        .get(&format!("/{TENANT}/ufficio/pratiche/{id}"))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("Comunicazioni al cittadino"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("Richiesta ricevuta: Permesso di accesso alla ZTL")
    );
    let original = scope_notifications(&app, &id).await.remove(0);
    let resend = format!("/{TENANT}/ufficio/notifiche/{}/reinvia", original.id);
    assert!(page.body.contains(&resend), "{}", page.body);

    // The citizen cannot.
    let csrf = mario.csrf().await;
    let refused = mario
        .post(&resend, &format!("csrf={csrf}&ritorno=pratica"))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    let csrf = giulia.csrf().await;
    let sent = giulia
        .post(&resend, &format!("csrf={csrf}&ritorno=pratica"))
        .await;
    assert_eq!(
        location(&sent),
        format!("/{TENANT}/ufficio/pratiche/{id}?reinviata=1#comunicazioni")
    );
    let back = giulia
        .get(&format!("/{TENANT}/ufficio/pratiche/{id}?reinviata=1"))
        .await;
    assert!(
        back.body
            .contains("La comunicazione è stata inviata di nuovo."),
        "{}",
        back.body
    );
    let all = scope_notifications(&app, &id).await;
    assert_eq!(all.len(), 2);
    let copy = all.iter().find(|n| n.id != original.id).unwrap();
    assert_eq!(copy.resend_of, Some(original.id));
    assert_eq!(copy.subject, original.subject);
    assert!(
        app.app
            .store
            .outbox_message_state(&format!("notify:{}", copy.id))
            .await
            .unwrap()
            .is_some()
    );
    let tenant = app.app.tenant(TENANT).await;
    let log = app.app.store.scoped(tenant.id).audit_log(50).await.unwrap();
    assert!(
        log.iter().any(|r| r.entry.action == "notification.resent"
            && r.entry.subject == format!("notification:{}", original.id)),
        "the resend is audited"
    );

    // A clerk of another office sees the message on the dashboard, but may not resend it.
    grant(&app, "GLLPLA75E20H501Z", "suap").await;
    let mut paolo = app.browser();
    sign_in_as(
        &app,
        &mut paolo,
        TENANT,
        "GLLPLA75E20H501Z",
        "Paolo",
        "Gallo",
    )
    .await;
    let dashboard = paolo.get(&format!("/{TENANT}/ufficio/notifiche")).await;
    assert_eq!(dashboard.status, StatusCode::OK);
    assert!(!dashboard.body.contains(&resend), "{}", dashboard.body);
    let csrf = paolo.csrf().await;
    let refused = paolo.post(&resend, &format!("csrf={csrf}")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

async fn the_dashboard_counts_and_filters(app: AuthApp) {
    let mut mario = signed_in_mario(&app).await;
    file_ztl(&mut mario).await;
    file_ztl(&mut mario).await;
    grant(&app, CLERK, "polizia-locale").await;
    let mut giulia = app.browser();
    sign_in_as(&app, &mut giulia, TENANT, CLERK, "Giulia", "Bianchi").await;
    let queue = giulia.get(&format!("/{TENANT}/ufficio/")).await;
    assert!(
        queue
            .body
            .contains(&format!("/{TENANT}/ufficio/notifiche\"")),
        "{}",
        queue.body
    );

    let page = giulia.get(&format!("/{TENANT}/ufficio/notifiche")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    // Two requests received, pending on both channels.
    let body = page.body.replace('\n', "");
    assert!(
        body.contains("<tr><th scope=\"row\">Richiesta ricevuta</th><td>App IO</td><td class=\"text-end\">0</td><td class=\"text-end\">0</td><td class=\"text-end\">2</td><td class=\"text-end\">0</td></tr>"),
        "{body}"
    );
    assert!(body.contains("<td>E-mail</td><td class=\"text-end\">0</td><td class=\"text-end\">0</td><td class=\"text-end\">2</td>"));
    assert_eq!(page.body.matches("/reinvia\"").count(), 2);

    let filtered = giulia
        .get(&format!(
            "/{TENANT}/ufficio/notifiche?canale=io&stato=pending&evento=request_received"
        ))
        .await;
    assert_eq!(filtered.body.matches("/reinvia\"").count(), 2);
    assert!(
        filtered
            .body
            .contains("<option value=\"pending\" selected>")
    );
    let none = giulia
        .get(&format!("/{TENANT}/ufficio/notifiche?stato=delivered"))
        .await;
    assert_eq!(none.body.matches("/reinvia\"").count(), 0);
    assert!(
        none.body
            .contains("Nessun messaggio corrisponde ai filtri.")
    );

    // Citizens stay out.
    assert_eq!(
        mario
            .get(&format!("/{TENANT}/ufficio/notifiche"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

async fn the_wording_preview_is_for_administrators(app: AuthApp) {
    grant(&app, CLERK, "polizia-locale").await;
    let mut giulia = app.browser();
    sign_in_as(&app, &mut giulia, TENANT, CLERK, "Giulia", "Bianchi").await;
    let path = format!("/{TENANT}/ufficio/notifiche/modelli");
    assert_eq!(giulia.get(&path).await.status, StatusCode::FORBIDDEN);

    let tenant = app.app.tenant(TENANT).await;
    app.app
        .store
        .scoped(tenant.id)
        .grant_role(
            &CodiceFiscale::parse(ADMIN).unwrap(),
            &Role::TenantAdmin,
            &Actor::cli("test"),
        )
        .await
        .unwrap();
    let mut admin = app.browser();
    sign_in_as(&app, &mut admin, TENANT, ADMIN, "Marco", "Russo").await;
    let page = admin.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(page.body.matches("sportello-template-preview").count(), 16);
    assert_eq!(
        page.body.matches("Testo predefinito di Sportello").count(),
        16
    );
    assert!(
        page.body
            .contains("Avviso di pagamento: Canone unico patrimoniale"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("Request received: Permesso di esempio")
            || page.body.contains("Request received: Sample permit")
    );
    let dashboard = admin.get(&format!("/{TENANT}/ufficio/notifiche")).await;
    assert!(dashboard.body.contains(&path));
}

async fn an_approval_tells_the_citizen(app: AuthApp) {
    let mut mario = signed_in_mario(&app).await;
    let id = file_ztl(&mut mario).await;
    grant(&app, CLERK, "polizia-locale").await;
    let mut giulia = app.browser();
    sign_in_as(&app, &mut giulia, TENANT, CLERK, "Giulia", "Bianchi").await;
    assert!(
        act(&mut giulia, &id, "take-charge", "")
            .await
            .status
            .is_redirection()
    );
    assert!(
        act(&mut giulia, &id, "approve", "")
            .await
            .status
            .is_redirection()
    );
    let notifications = scope_notifications(&app, &id).await;
    let events: Vec<Event> = notifications.iter().map(|n| n.event).collect();
    assert_eq!(events, [Event::RequestApproved, Event::RequestReceived]);
    let approved = &notifications[0];
    assert_eq!(approved.origin, format!("request_approved:{id}"));
    assert!(approved.subject.starts_with("Richiesta ") && approved.subject.ends_with(" accolta"));
    // No clerk's text, ever.
    assert!(!approved.markdown.contains("Accompagno un familiare"));
}

async fn a_permit_about_to_expire_is_reminded_once(app: AuthApp) {
    let mut mario = signed_in_mario(&app).await;
    let draft = start(&mut mario, "permesso-sosta-residenti").await;
    step(
        &mut mario,
        &draft,
        "richiesta",
        &[("request_type", "first")],
    )
    .await;
    step(
        &mut mario,
        &draft,
        "residenza",
        &[
            ("street", "via-roma"),
            ("house_number", "3"),
            ("household_permits", "0"),
            ("private_parking", "no"),
        ],
    )
    .await;
    step(
        &mut mario,
        &draft,
        "veicolo",
        &[("plate", "ab 123 cd"), ("vehicle_title", "owned")],
    )
    .await;
    step(
        &mut mario,
        &draft,
        "dichiarazioni",
        &[("truthful", "si"), ("conditions", "si"), ("privacy", "si")],
    )
    .await;
    let pratica = submit(&mut mario, &draft).await;
    let id = pratica
        .split("/pratiche/")
        .nth(1)
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    grant(&app, CLERK, "polizia-locale").await;
    let mut giulia = app.browser();
    sign_in_as(&app, &mut giulia, TENANT, CLERK, "Giulia", "Bianchi").await;
    for action in ["take-charge", "approve", "record-payment", "issue-permit"] {
        let done = act(&mut giulia, &id, action, "").await;
        assert!(done.status.is_redirection(), "{action}: {}", done.body);
    }
    let tenant = app.app.tenant(TENANT).await;
    let stored = app
        .app
        .store
        .scoped(tenant.id)
        .pratica(id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let until = stored.pratica.permit().expect("a permit").until();
    let expiring = |report: sportello_web::housekeeping::Report| report.expiry_notices;

    // Today the permit has long to run: nothing.
    let now = jiff::Timestamp::now();
    let report = sportello_web::housekeeping::run(&app.app.state, now)
        .await
        .unwrap();
    assert_eq!(expiring(report), 0);
    // Ten days before its end: one reminder, however many runs.
    let near = until
        .checked_sub(jiff::Span::new().days(10))
        .unwrap()
        .at(12, 0, 0, 0)
        .to_zoned(jiff::tz::TimeZone::get("Europe/Rome").unwrap())
        .unwrap()
        .timestamp();
    let first = sportello_web::housekeeping::run(&app.app.state, near)
        .await
        .unwrap();
    let second = sportello_web::housekeeping::run(&app.app.state, near)
        .await
        .unwrap();
    assert_eq!((expiring(first), expiring(second)), (1, 0));
    let reminders: Vec<_> = scope_notifications(&app, &id)
        .await
        .into_iter()
        .filter(|n| n.event == Event::PermitExpiring)
        .collect();
    assert_eq!(reminders.len(), 1);
    assert_eq!(reminders[0].origin, format!("permit_expiring:{id}:{until}"));
    assert_eq!(reminders[0].due_date, Some(until));
    assert!(
        reminders[0]
            .subject
            .contains(&template::format_date(until, Lang::It)),
        "{}",
        reminders[0].subject
    );
}

/// RFC 8058: the mail client posts `List-Unsubscribe=One-Click` without a session or an
/// anti-forgery token; a GET (as link scanners do) changes nothing.
async fn one_click_unsubscribes_from_e_mail_on_the_topic(app: AuthApp) {
    let mut mario = signed_in_mario(&app).await;
    let id = file_ztl(&mut mario).await;
    let n = scope_notifications(&app, &id).await.remove(0);
    let tenant = app.app.tenant(TENANT).await;
    let scope = app.app.store.scoped(tenant.id);
    let user = mario_id(&app).await;
    let mut prefs = scope.user(user).await.unwrap().unwrap().contact_preferences;
    prefs.email = true;
    scope
        .update_contact_preferences(user, &prefs, &Actor::system())
        .await
        .unwrap();
    let path = format!("/{TENANT}/notifiche/{}/disiscrizione", n.id);

    let page = app.app.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("Non inviarmi più e-mail"),
        "{}",
        page.body
    );
    let wants =
        |prefs: &sportello_domain::ContactPreferences| prefs.wants("requests", Channel::Email);
    assert!(wants(
        &scope.user(user).await.unwrap().unwrap().contact_preferences
    ));

    let done = app
        .app
        .post_form(&path, None, "List-Unsubscribe=One-Click")
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let after = scope.user(user).await.unwrap().unwrap().contact_preferences;
    assert!(!wants(&after), "e-mail is off for requests");
    assert!(after.wants("requests", Channel::Io), "IO stays on");
    assert!(
        after.wants("payments", Channel::Email),
        "other topics keep e-mail"
    );
    let audit = scope.audit_log(20).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|r| r.entry.action == "user.contact_preferences_updated")
    );

    let unknown = app
        .app
        .post_form(
            &format!("/{TENANT}/notifiche/{}/disiscrizione", uuid::Uuid::now_v7()),
            None,
            "List-Unsubscribe=One-Click",
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}
