//! The client against the App IO stand-in over HTTP: every body the client sends validates
//! against the official documents, and every answer of the specification is classified as
//! the client promises.

use axum::body::Body;
use axum::http::Request;
use serde_json::{Value, json};
use sportello_appio::{
    ApiError, AppIoClient, ChannelStatus, ContentError, DeliveryStatus, FeatureLevel, Markdown,
    MessageContent, MessageId, NewMessage, PaymentData, PaymentStatus, ProfileCheck, ReadStatus,
    ServiceKey, Subject, TimeToLive, http_client,
};
use sportello_mock::appio::{Faults, MockAppIo, MockIoService, MockProfile, schema};
use sportello_mock::pagopa::{MockCreditor, MockPagoPa};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const KEY: &str = "io-key-tributi-0123456789abcdef";
const OTHER_KEY: &str = "io-key-anagrafe-fedcba9876543210";
const LIMITED_KEY: &str = "io-key-test-0000";
const SERVICE: &str = "01JAAAAAAAAAAAAAAAAAAAAAAA";
const OTHER_SERVICE: &str = "01JBBBBBBBBBBBBBBBBBBBBBBB";
const LIMITED_SERVICE: &str = "01JCCCCCCCCCCCCCCCCCCCCCCC";
const ORG: &str = "01234567890";
/// Has a profile, accepts everything.
const MARIO: &str = "RSSMRA80A01H501U";
/// Has blocked [`SERVICE`].
const GIUSEPPE: &str = "VRDGPP70B02F205X";
/// Has a profile with the inbox disabled.
const LUCIA: &str = "NRILCU85D44F205Z";
/// Has no profile.
const CLARA: &str = "BNCLRA90C43L219P";
const NAV: &str = "301202500000004228";
const IUV: &str = "01202500000004228";

type Seen = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

struct Stand {
    base: String,
    mock: MockAppIo,
    pagopa: MockPagoPa,
    client: AppIoClient,
    http: reqwest::Client,
    /// Every request body the stand-in received, with its path.
    seen: Seen,
}

fn services() -> Vec<MockIoService> {
    let mut limited = MockIoService::new(
        LIMITED_SERVICE,
        "Servizio in prova",
        "Comune di Prova",
        ORG,
        LIMITED_KEY,
    );
    limited.limited = true;
    limited.authorized_recipients = vec![GIUSEPPE.to_owned()];
    let mut tributi = MockIoService::new(SERVICE, "Tributi", "Comune di Prova", ORG, KEY);
    tributi.advanced = true;
    vec![
        tributi,
        MockIoService::new(OTHER_SERVICE, "Anagrafe", "Comune di Prova", ORG, OTHER_KEY),
        limited,
    ]
}

fn profiles() -> Vec<MockProfile> {
    let mut giuseppe = MockProfile::new(GIUSEPPE);
    giuseppe.blocked_services = vec![SERVICE.to_owned()];
    let mut lucia = MockProfile::new(LUCIA);
    lucia.inbox_enabled = false;
    let mut mario = MockProfile::new(MARIO).with_display_name("Mario Rossi");
    mario.preferred_languages = vec!["it_IT".to_owned(), "en_GB".to_owned()];
    vec![mario, giuseppe, lucia]
}

async fn start() -> Stand {
    let pagopa = MockPagoPa::new(vec![MockCreditor {
        subscription_key: "gpd-key".into(),
        fiscal_code: ORG.into(),
        company_name: "Comune di Prova".into(),
        segregation_codes: vec![1],
    }]);
    let mock = MockAppIo::new(services(), profiles()).with_pagopa(pagopa.clone());
    let seen: Seen = Arc::default();
    let recorder = seen.clone();
    let router = mock
        .router()
        .merge(pagopa.router())
        .layer(axum::middleware::from_fn(
            move |request: Request<Body>, next: axum::middleware::Next| {
                let recorder = recorder.clone();
                async move {
                    let (parts, body) = request.into_parts();
                    let bytes = axum::body::to_bytes(body, usize::MAX)
                        .await
                        .unwrap_or_default();
                    if parts.method == axum::http::Method::POST {
                        recorder
                            .lock()
                            .unwrap()
                            .push((parts.uri.path().to_owned(), bytes.to_vec()));
                    }
                    next.run(Request::from_parts(parts, Body::from(bytes)))
                        .await
                }
            },
        ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    let base = format!("http://{address}");
    let http = http_client(Duration::from_secs(5)).unwrap();
    let client = AppIoClient::new(http.clone(), &format!("{base}/_mock/appio/api/v1")).unwrap();
    Stand {
        base,
        mock,
        pagopa,
        client,
        http,
        seen,
    }
}

impl Stand {
    /// Validates every body the client sent so far against the official documents.
    fn assert_bodies_follow_the_spec(&self) {
        let seen = self.seen.lock().unwrap().clone();
        assert!(!seen.is_empty());
        for (path, body) in seen {
            let value: Value = serde_json::from_slice(&body).unwrap();
            let violations = if path.ends_with("/api/v1/profiles") {
                schema::services()
                    .unwrap()
                    .validate("FiscalCodePayload", &value)
            } else if path.ends_with("/api/v1/messages") {
                schema::messages().unwrap().validate("NewMessage", &value)
            } else {
                continue;
            }
            .unwrap();
            assert!(violations.is_empty(), "{path}: {violations:?} in {value}");
        }
    }

    async fn raw(&self, method: &str, path: &str, key: &str, body: Option<Value>) -> RawAnswer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("Ocp-Apim-Subscription-Key", key);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        RawAnswer {
            status,
            headers,
            json: serde_json::from_str(&text).unwrap_or(Value::Null),
        }
    }
}

struct RawAnswer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    json: Value,
}

impl RawAnswer {
    fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }

    /// A ProblemJson of the official document, with all five members.
    fn assert_problem(&self, status: u16) {
        assert_eq!(self.status, status, "{}", self.json);
        let violations = schema::messages()
            .unwrap()
            .validate("ProblemJson", &self.json)
            .unwrap();
        assert!(violations.is_empty(), "{violations:?}");
        for member in ["type", "title", "status", "detail", "instance"] {
            assert!(self.json.get(member).is_some(), "{member}: {}", self.json);
        }
    }
}

fn key() -> ServiceKey {
    ServiceKey::new(KEY.to_owned())
}

fn content(subject: &str) -> MessageContent {
    MessageContent::new(
        Subject::new(subject).unwrap(),
        Markdown::new(
            "Gentile cittadina, gentile cittadino,\n\n\
             è disponibile l'avviso di pagamento della **TARI 2026**.\n\n\
             - importo: 120,50 €\n- scadenza: 30 marzo 2026\n",
        )
        .unwrap(),
    )
}

fn paying(fiscal_code: &str, amount: u64) -> NewMessage {
    let mut content = content("Avviso di pagamento TARI 2026");
    content.due_date = Some("2026-03-30T22:59:59Z".parse().unwrap());
    content.payment_data = Some(PaymentData::new(amount, NAV, false).unwrap());
    NewMessage {
        time_to_live: Some(TimeToLive::new(7200).unwrap()),
        ..NewMessage::new(fiscal_code, content)
    }
}

fn at(text: &str) -> jiff::Timestamp {
    text.parse().unwrap()
}

#[tokio::test]
async fn an_allowed_citizen_gets_the_message_with_its_notice() {
    let stand = start().await;
    stand.mock.set_now(at("2026-03-01T09:00:00Z"));
    assert_eq!(
        stand.client.check_profile(&key(), MARIO).await.unwrap(),
        ProfileCheck::Allowed {
            preferred_languages: vec!["it_IT".into(), "en_GB".into()]
        }
    );
    let message = paying(MARIO, 12_050);
    let sent_json = serde_json::to_value(&message).unwrap();
    let violations = schema::messages()
        .unwrap()
        .validate("NewMessage", &sent_json)
        .unwrap();
    assert!(violations.is_empty(), "{violations:?}");
    assert_eq!(sent_json["content"]["due_date"], "2026-03-30T22:59:59.000Z");
    let id = stand.client.send(&key(), &message).await.unwrap();
    assert!(schema::is_ulid(id.as_str()), "{id}");

    let accepted = stand.client.status(&key(), MARIO, &id).await.unwrap();
    assert_eq!(accepted.status, DeliveryStatus::Accepted);
    assert!(!accepted.status.is_final());
    assert_eq!((accepted.email, accepted.webhook), (None, None));

    stand.mock.set_now(at("2026-03-01T09:00:02Z"));
    let processed = stand.client.status(&key(), MARIO, &id).await.unwrap();
    assert_eq!(processed.status, DeliveryStatus::Processed);
    assert!(processed.status.is_final());
    assert_eq!(processed.email, Some(ChannelStatus::Sent));
    assert_eq!(processed.webhook, Some(ChannelStatus::Sent));
    assert_eq!(processed.read_status, None, "STANDARD messages have none");
    assert_eq!(processed.payment_status, None);

    let received = stand.mock.messages_for(MARIO);
    assert_eq!(received.len(), 1);
    let payment = received[0].payment_data.as_ref().unwrap();
    assert_eq!(
        (payment.amount, payment.payee_fiscal_code.as_str()),
        (12_050, ORG)
    );
    assert_eq!(received[0].time_to_live, 7200);
    assert_eq!(received[0].service_id, SERVICE);
    assert_eq!(stand.mock.calls().endpoint("getMessage"), 2);
    stand.assert_bodies_follow_the_spec();
}

#[tokio::test]
async fn the_status_answer_is_the_spec_s_with_location_and_rate_headers() {
    let stand = start().await;
    stand.mock.set_processing_delay(Duration::ZERO);
    let body = serde_json::to_value(paying(MARIO, 100)).unwrap();
    let created = stand
        .raw("POST", "/_mock/appio/api/v1/messages", KEY, Some(body))
        .await;
    assert_eq!(created.status, 201);
    let id = created.json["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.header("location"),
        format!("/api/v1/messages/{MARIO}/{id}")
    );
    assert_eq!(created.header("x-rate-limit-remaining"), "149");
    let read = stand
        .raw(
            "GET",
            &format!("/_mock/appio/api/v1/messages/{MARIO}/{id}"),
            KEY,
            None,
        )
        .await;
    assert_eq!(read.status, 200);
    let violations = schema::messages()
        .unwrap()
        .validate("ExternalMessageResponseWithContent", &read.json)
        .unwrap();
    assert!(violations.is_empty(), "{violations:?} in {}", read.json);
    assert_eq!(
        read.json["message"]["content"]["payment_data"]["payee"]["fiscal_code"],
        ORG
    );
    assert_eq!(read.json["message"]["feature_level_type"], "STANDARD");
    let profile = stand
        .raw(
            "POST",
            "/_mock/appio/api/v1/profiles",
            KEY,
            Some(json!({"fiscal_code": MARIO})),
        )
        .await;
    let violations = schema::services()
        .unwrap()
        .validate("LimitedProfile", &profile.json)
        .unwrap();
    assert!(violations.is_empty(), "{violations:?}");
    // The deprecated GET form answers alike.
    let by_get = stand
        .raw(
            "GET",
            &format!("/_mock/appio/api/v1/profiles/{MARIO}"),
            KEY,
            None,
        )
        .await;
    assert_eq!(by_get.json, profile.json);
    // And so does sending with the fiscal code in the path instead.
    let mut in_path = serde_json::to_value(paying(MARIO, 100)).unwrap();
    in_path.as_object_mut().unwrap().remove("fiscal_code");
    let created = stand
        .raw(
            "POST",
            &format!("/_mock/appio/api/v1/messages/{MARIO}"),
            KEY,
            Some(in_path),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.json);
}

#[tokio::test]
async fn a_blocked_sender_is_told_and_what_it_sends_anyway_is_rejected() {
    let stand = start().await;
    stand.mock.set_processing_delay(Duration::ZERO);
    assert_eq!(
        stand.client.check_profile(&key(), GIUSEPPE).await.unwrap(),
        ProfileCheck::SenderNotAllowed
    );
    // Another service of the same comune is not blocked.
    assert!(matches!(
        stand
            .client
            .check_profile(&ServiceKey::new(OTHER_KEY.into()), GIUSEPPE)
            .await
            .unwrap(),
        ProfileCheck::Allowed { .. }
    ));
    for nobody in [LUCIA, CLARA] {
        assert_eq!(
            stand.client.check_profile(&key(), nobody).await.unwrap(),
            ProfileCheck::NoProfile,
            "{nobody}"
        );
    }
    // POST does not check the profile: 201, then REJECTED.
    for recipient in [GIUSEPPE, LUCIA, CLARA] {
        let id = stand
            .client
            .send(
                &key(),
                &NewMessage::new(recipient, content("Comunicazione del Comune")),
            )
            .await
            .unwrap();
        let status = stand.client.status(&key(), recipient, &id).await.unwrap();
        assert_eq!(status.status, DeliveryStatus::Rejected, "{recipient}");
        assert!(status.status.is_final());
        assert_eq!(status.email, None);
    }
    stand.assert_bodies_follow_the_spec();
}

#[tokio::test]
async fn invalid_content_is_400_problem_json() {
    let stand = start().await;
    // What the client's types refuse, the stand-in refuses too.
    assert!(matches!(
        Subject::new("Breve"),
        Err(ContentError::SubjectLength(5))
    ));
    assert!(matches!(
        Markdown::new("Troppo corto"),
        Err(ContentError::MarkdownLength(_))
    ));
    assert_eq!(
        PaymentData::new(100, "401202500000004228", false),
        Err(ContentError::NoticeNumber)
    );
    let valid = serde_json::to_value(paying(MARIO, 100)).unwrap();
    let mut cases = Vec::new();
    let mut short_subject = valid.clone();
    short_subject["content"]["subject"] = json!("Breve");
    cases.push(("subject", short_subject));
    let mut short_markdown = valid.clone();
    short_markdown["content"]["markdown"] = json!("Troppo corto");
    cases.push(("markdown", short_markdown));
    let mut bad_notice = valid.clone();
    bad_notice["content"]["payment_data"]["notice_number"] = json!("401202500000004228");
    cases.push(("notice_number", bad_notice));
    let mut bad_ttl = valid.clone();
    bad_ttl["time_to_live"] = json!(60);
    cases.push(("time_to_live", bad_ttl));
    let mut bad_level = valid.clone();
    bad_level["feature_level_type"] = json!("PREMIUM");
    cases.push(("feature_level_type", bad_level));
    let mut no_cf = valid.clone();
    no_cf.as_object_mut().unwrap().remove("fiscal_code");
    cases.push(("missing", no_cf));
    for (what, body) in cases {
        let answer = stand
            .raw("POST", "/_mock/appio/api/v1/messages", KEY, Some(body))
            .await;
        answer.assert_problem(400);
        assert!(
            answer.json["detail"].as_str().unwrap().contains(what),
            "{what}: {}",
            answer.json
        );
    }
    // The fiscal code in the path and in the body.
    let answer = stand
        .raw(
            "POST",
            &format!("/_mock/appio/api/v1/messages/{MARIO}"),
            KEY,
            Some(valid.clone()),
        )
        .await;
    answer.assert_problem(400);
    assert!(answer.json["detail"].as_str().unwrap().contains("both"));
    assert!(stand.mock.messages().is_empty());

    // What the client can send, it classifies.
    let bad_cf = stand
        .client
        .send(
            &key(),
            &NewMessage::new("rssmra80a01h501u", content("Oggetto valido qui")),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&bad_cf, ApiError::BadRequest { detail } if detail.contains("fiscal_code")),
        "{bad_cf:?}"
    );
    assert!(!bad_cf.is_transient());
    let profile = stand
        .client
        .check_profile(&key(), "NOTACF")
        .await
        .unwrap_err();
    assert!(
        matches!(profile, ApiError::BadRequest { .. }),
        "{profile:?}"
    );
    let too_much = stand
        .client
        .send(&key(), &paying(MARIO, 1_000_001))
        .await
        .unwrap_err();
    assert!(
        matches!(&too_much, ApiError::BadRequest { detail } if detail.contains("exceeds")),
        "{too_much:?}"
    );
    assert!(stand.mock.messages().is_empty());
}

#[tokio::test]
async fn keys_services_and_recipients_are_checked() {
    let stand = start().await;
    let wrong = ServiceKey::new("not-a-key-of-io".into());
    let id = MessageId::new("01BX9NSMKVXXS5PSP2FATZMYYY".into()).unwrap();
    assert_eq!(
        stand.client.check_profile(&wrong, MARIO).await,
        Err(ApiError::Unauthorized)
    );
    assert_eq!(
        stand.client.send(&wrong, &paying(MARIO, 100)).await,
        Err(ApiError::Unauthorized)
    );
    assert_eq!(
        stand.client.status(&wrong, MARIO, &id).await,
        Err(ApiError::Unauthorized)
    );
    // A limited (test) service reaches its authorised recipients only.
    let limited = ServiceKey::new(LIMITED_KEY.into());
    let refused = stand
        .client
        .check_profile(&limited, MARIO)
        .await
        .unwrap_err();
    assert!(matches!(refused, ApiError::Forbidden { .. }), "{refused:?}");
    let refused = stand
        .client
        .send(&limited, &paying(MARIO, 100))
        .await
        .unwrap_err();
    assert!(matches!(refused, ApiError::Forbidden { .. }), "{refused:?}");
    assert!(matches!(
        stand.client.check_profile(&limited, GIUSEPPE).await,
        Ok(ProfileCheck::Allowed { .. })
    ));
    // ADVANCED needs a group the other service lacks; a payee one no service has.
    let other = ServiceKey::new(OTHER_KEY.into());
    let advanced = NewMessage {
        feature_level_type: Some(FeatureLevel::Advanced),
        ..paying(MARIO, 100)
    };
    assert!(matches!(
        stand.client.send(&other, &advanced).await,
        Err(ApiError::Forbidden { .. })
    ));
    let mut payee = serde_json::to_value(paying(MARIO, 100)).unwrap();
    payee["content"]["payment_data"]["payee"] = json!({"fiscal_code": ORG});
    stand
        .raw("POST", "/_mock/appio/api/v1/messages", KEY, Some(payee))
        .await
        .assert_problem(403);
    // Messages: unknown id, and another service's.
    assert_eq!(
        stand.client.status(&key(), MARIO, &id).await,
        Err(ApiError::NotFound)
    );
    let mine = stand
        .client
        .send(&key(), &paying(MARIO, 100))
        .await
        .unwrap();
    let theirs = stand.client.status(&other, MARIO, &mine).await.unwrap_err();
    assert!(matches!(theirs, ApiError::Forbidden { .. }), "{theirs:?}");
    assert_eq!(
        stand.client.status(&key(), GIUSEPPE, &mine).await,
        Err(ApiError::NotFound),
        "the id belongs to another recipient"
    );
}

#[tokio::test]
async fn the_rate_limit_is_429_with_the_wait_to_honour() {
    let stand = start().await;
    stand.mock.set_rate_limit(2, Duration::from_secs(10));
    for _ in 0..2 {
        stand.client.check_profile(&key(), MARIO).await.unwrap();
    }
    let limited = stand.client.check_profile(&key(), MARIO).await.unwrap_err();
    assert!(limited.is_transient());
    assert_eq!(
        limited.retry_after(),
        Some(Duration::from_secs(5)),
        "{limited:?}"
    );
    // Per key: another service still has its calls.
    assert!(
        stand
            .client
            .check_profile(&ServiceKey::new(OTHER_KEY.into()), MARIO)
            .await
            .is_ok()
    );
    let raw = stand
        .raw(
            "GET",
            &format!("/_mock/appio/api/v1/profiles/{MARIO}"),
            KEY,
            None,
        )
        .await;
    assert_eq!(raw.status, 429);
    assert_eq!(raw.header("x-rate-limit-retry-after"), "5");
}

#[tokio::test]
async fn injected_faults_are_classified_as_transient() {
    let stand = start().await;
    stand.mock.set_faults(Faults {
        error_rate: 1.0,
        ..Faults::default()
    });
    let failed = stand
        .client
        .send(&key(), &paying(MARIO, 100))
        .await
        .unwrap_err();
    assert_eq!(failed, ApiError::Unavailable { status: 500 });
    assert!(failed.is_transient());
    let raw = stand
        .raw(
            "POST",
            "/_mock/appio/api/v1/messages",
            KEY,
            Some(serde_json::to_value(paying(MARIO, 100)).unwrap()),
        )
        .await;
    raw.assert_problem(500);
    assert_eq!(raw.json["detail"], "The message cannot be delivered.");
    assert!(stand.mock.messages().is_empty(), "nothing was processed");

    stand.mock.set_faults(Faults {
        rate_limit_rate: 1.0,
        ..Faults::default()
    });
    let limited = stand.client.check_profile(&key(), MARIO).await.unwrap_err();
    assert_eq!(limited.retry_after(), Some(Duration::from_secs(1)));

    stand.mock.set_faults(Faults {
        timeout_rate: 1.0,
        timeout_ms: 2_000,
        ..Faults::default()
    });
    let impatient = AppIoClient::new(
        http_client(Duration::from_millis(300)).unwrap(),
        stand.client.api_base(),
    )
    .unwrap();
    let late = impatient.check_profile(&key(), MARIO).await.unwrap_err();
    assert_eq!(late, ApiError::Timeout);
    assert!(late.is_transient());

    // Over HTTP too, and the admin routes are never faulted.
    let cleared = stand
        .http
        .put(format!("{}/_mock/appio/_admin/faults", stand.base))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status().as_u16(), 200);
    assert!(stand.client.check_profile(&key(), MARIO).await.is_ok());
    let calls: Value = stand
        .http
        .get(format!("{}/_mock/appio/_admin/calls", stand.base))
        .send()
        .await
        .unwrap()
        .json_value()
        .await;
    assert_eq!(calls["by_fault"]["error"], 2);
    assert_eq!(calls["by_fault"]["rate_limit"], 1);

    let closed = AppIoClient::new(
        http_client(Duration::from_secs(2)).unwrap(),
        "http://127.0.0.1:9/_mock/appio/api/v1",
    )
    .unwrap();
    let unreachable = closed.check_profile(&key(), MARIO).await.unwrap_err();
    assert!(
        matches!(unreachable, ApiError::Unreachable(_)),
        "{unreachable:?}"
    );
    assert!(unreachable.is_transient());
    assert!(
        !unreachable.may_have_arrived(),
        "a refused connection sent nothing"
    );
    assert!(ApiError::Timeout.may_have_arrived());
}

trait JsonValue {
    async fn json_value(self) -> Value;
}

impl JsonValue for reqwest::Response {
    async fn json_value(self) -> Value {
        serde_json::from_str(&self.text().await.unwrap()).unwrap()
    }
}

#[tokio::test]
async fn the_key_never_shows() {
    let stand = start().await;
    let secret = ServiceKey::new("io-secret-key-that-must-not-leak".into());
    assert_eq!(format!("{secret:?}"), "ServiceKey(***)");
    let mut errors = vec![
        stand
            .client
            .check_profile(&secret, MARIO)
            .await
            .unwrap_err(),
        stand
            .client
            .send(&secret, &paying(MARIO, 100))
            .await
            .unwrap_err(),
        stand
            .client
            .send(&key(), &paying("BAD", 100))
            .await
            .unwrap_err(),
    ];
    stand.mock.set_faults(Faults {
        error_rate: 1.0,
        ..Faults::default()
    });
    errors.push(
        stand
            .client
            .send(&key(), &paying(MARIO, 100))
            .await
            .unwrap_err(),
    );
    let closed = AppIoClient::new(
        http_client(Duration::from_secs(2)).unwrap(),
        "http://127.0.0.1:9/_mock/appio/api/v1",
    )
    .unwrap();
    errors.push(closed.check_profile(&key(), MARIO).await.unwrap_err());
    for error in errors {
        for text in [error.to_string(), format!("{error:?}")] {
            assert!(!text.contains(secret.expose()), "{text}");
            assert!(!text.contains(KEY), "{text}");
        }
    }
    assert!(!format!("{:?}", stand.client).contains(KEY));
}

#[tokio::test]
async fn the_citizen_reads_and_pays_the_notice_in_the_inbox() {
    let stand = start().await;
    stand.mock.set_processing_delay(Duration::ZERO);
    // The comune's debt position, published on the pagoPA stand-in.
    let position = json!({
        "iupd": "TARI-2026-1", "type": "F", "fiscalCode": MARIO, "fullName": "Mario Rossi",
        "companyName": "Comune di Prova", "switchToExpired": false,
        "paymentOption": [{
            "iuv": IUV, "amount": 12050, "description": "TARI 2026",
            "isPartialPayment": false, "dueDate": "2099-12-31T23:59:59",
            "transfer": [{"idTransfer": "1", "amount": 12050,
                "remittanceInformation": "TARI 2026", "category": "9/0101108TS/",
                "iban": "IT60X0542811101000000123456"}]
        }]
    });
    let created = stand
        .http
        .post(format!(
            "{}/_mock/pagopa/gpd/debt-positions-service/v1/organizations/{ORG}/debtpositions?toPublish=true",
            stand.base
        ))
        .header("Ocp-Apim-Subscription-Key", "gpd-key")
        .header("content-type", "application/json")
        .body(position.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(
        created.status().as_u16(),
        201,
        "{}",
        created.text().await.unwrap()
    );

    let message = NewMessage {
        feature_level_type: Some(FeatureLevel::Advanced),
        ..paying(MARIO, 12_050)
    };
    let id = stand.client.send(&key(), &message).await.unwrap();
    let before = stand.client.status(&key(), MARIO, &id).await.unwrap();
    assert_eq!(before.read_status, Some(ReadStatus::Unread));
    assert_eq!(before.payment_status, Some(PaymentStatus::NotPaid));

    let page = |path: String| {
        let http = stand.http.clone();
        let base = stand.base.clone();
        async move {
            let response = http.get(format!("{base}{path}")).send().await.unwrap();
            assert_eq!(response.status().as_u16(), 200, "{path}");
            response.text().await.unwrap()
        }
    };
    let index = page("/_mock/appio/inbox/".into()).await;
    assert!(
        index.contains("Mario Rossi") && index.contains("1 da leggere"),
        "{index}"
    );
    let list = page(format!("/_mock/appio/inbox/{MARIO}")).await;
    assert!(list.contains("Avviso di pagamento TARI 2026") && list.contains("Da pagare"));
    let shown = page(format!("/_mock/appio/inbox/{MARIO}/{id}")).await;
    assert!(shown.contains("<strong>TARI 2026</strong>"), "{shown}");
    assert!(shown.contains("120,50 €") && shown.contains("3012 0250 0000 0042 28"));
    assert!(
        shown.contains("/paga\"") && !shown.contains("style="),
        "{shown}"
    );
    assert!(shown.contains("lang=\"it\"") && !shown.contains("<script"));
    assert_eq!(
        stand
            .client
            .status(&key(), MARIO, &id)
            .await
            .unwrap()
            .read_status,
        Some(ReadStatus::Read)
    );

    // "Paga": to the simulated Checkout, which pays and comes back to the message.
    let to_checkout = stand
        .http
        .post(format!(
            "{}/_mock/appio/inbox/{MARIO}/{id}/paga",
            stand.base
        ))
        .send()
        .await
        .unwrap();
    assert!(to_checkout.status().is_redirection());
    let checkout = to_checkout.headers()["location"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        checkout.starts_with("/_mock/pagopa/checkout/carts/"),
        "{checkout}"
    );
    let paid = stand
        .http
        .post(format!("{}{checkout}", stand.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("azione=paga")
        .send()
        .await
        .unwrap();
    let back = paid.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(back, format!("/_mock/appio/inbox/{MARIO}/{id}?esito=ok"));
    let after = page(back).await;
    assert!(
        after.contains("Pagamento completato") && after.contains("Pagato"),
        "{after}"
    );
    assert!(!after.contains("/paga\""));
    assert!(stand.pagopa.notice_paid(ORG, NAV));
    assert_eq!(
        stand
            .client
            .status(&key(), MARIO, &id)
            .await
            .unwrap()
            .payment_status,
        Some(PaymentStatus::Paid)
    );
    let admin: Value = stand
        .http
        .get(format!("{}/_mock/appio/_admin/messages", stand.base))
        .send()
        .await
        .unwrap()
        .json_value()
        .await;
    assert_eq!(admin[0]["fiscal_code"], MARIO);
    assert_eq!(admin[0]["status"], "PROCESSED");
    assert_eq!(admin[0]["service_id"], SERVICE);
    assert!(admin[0]["created_at"].is_string());
}
