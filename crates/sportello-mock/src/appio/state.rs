//! The stand-in's state: services, profiles, messages and their processing, the rate limiter,
//! and the rules of `CreateMessage` and `GetLimitedProfile` as io-functions-services applies
//! them.

use super::schema;
use super::{MockIoService, MockProfile};
use crate::pagopa::faults::{CallStats, Faults, Rng};
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::time::Duration;

/// Calls per window per key: the production APIM policy (150 calls in 5 seconds).
pub(crate) const DEFAULT_RATE_CAPACITY: u32 = 150;
pub(crate) const DEFAULT_RATE_WINDOW: Duration = Duration::from_secs(5);
/// How long a message stays ACCEPTED before it is processed.
pub(crate) const DEFAULT_PROCESSING_DELAY: Duration = Duration::from_secs(1);
/// IO's default when `time_to_live` is absent.
const DEFAULT_TIME_TO_LIVE: u64 = 3600;

/// Where a message is in the stand-in's processing (`MessageStatusValue`). THROTTLED and
/// FAILED are never reached: the stand-in's delivery does not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MockMessageStatus {
    Accepted,
    Processed,
    Rejected,
}

impl MockMessageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MockMessageStatus::Accepted => "ACCEPTED",
            MockMessageStatus::Processed => "PROCESSED",
            MockMessageStatus::Rejected => "REJECTED",
        }
    }
}

/// A payment notice carried by a message, with the payee IO filled in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReceivedPayment {
    pub amount: u64,
    pub notice_number: String,
    pub invalid_after_due_date: bool,
    /// The service's organization (the stand-in refuses an explicit payee, as IO does without
    /// the `ApiMessageWriteWithPayee` group).
    pub payee_fiscal_code: String,
}

/// A message the stand-in accepted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReceivedMessage {
    pub id: String,
    pub fiscal_code: String,
    pub service_id: String,
    pub subject: String,
    pub markdown: String,
    pub status: MockMessageStatus,
    pub created_at: jiff::Timestamp,
    pub time_to_live: u64,
    /// `STANDARD` or `ADVANCED`.
    pub feature_level_type: String,
    pub due_date: Option<jiff::Timestamp>,
    pub payment_data: Option<ReceivedPayment>,
    pub require_secure_channels: bool,
    /// Whether the citizen opened it in the inbox.
    pub read: bool,
    /// `notification.email` and `notification.webhook` once processed.
    pub email_notification: Option<String>,
    pub webhook_notification: Option<String>,
}

/// A refusal, as the HTTP status and the ProblemJson detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub status: u16,
    pub detail: String,
}

impl Refusal {
    fn new(status: u16, detail: impl Into<String>) -> Refusal {
        Refusal {
            status,
            detail: detail.into(),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: jiff::Timestamp,
}

pub(crate) struct State {
    pub services: Vec<MockIoService>,
    pub profiles: Vec<MockProfile>,
    pub messages: Vec<ReceivedMessage>,
    pub faults: Faults,
    pub rng: Rng,
    pub stats: CallStats,
    pub processing_delay: Duration,
    pub clock: Option<jiff::Timestamp>,
    /// Zero: no limit (the `ApiNoRateLimit` group).
    pub rate_capacity: u32,
    pub rate_window: Duration,
    buckets: HashMap<String, Bucket>,
}

impl State {
    pub fn new(services: Vec<MockIoService>, profiles: Vec<MockProfile>) -> State {
        State {
            services,
            profiles,
            messages: Vec::new(),
            faults: Faults::default(),
            rng: Rng::new(0),
            stats: CallStats::default(),
            processing_delay: DEFAULT_PROCESSING_DELAY,
            clock: None,
            rate_capacity: DEFAULT_RATE_CAPACITY,
            rate_window: DEFAULT_RATE_WINDOW,
            buckets: HashMap::new(),
        }
    }

    pub fn now(&self) -> jiff::Timestamp {
        self.clock.unwrap_or_else(jiff::Timestamp::now)
    }

    pub fn service_by_key(&self, key: &str) -> Option<&MockIoService> {
        self.services
            .iter()
            .find(|s| !key.is_empty() && s.key == key)
    }

    pub fn profile(&self, fiscal_code: &str) -> Option<&MockProfile> {
        self.profiles.iter().find(|p| p.fiscal_code == fiscal_code)
    }

    pub fn reset_rate_limits(&mut self) {
        self.buckets.clear();
    }

    /// Takes one call from `key`'s token bucket: the tokens left, or how long to wait for one.
    pub fn take_token(&mut self, key: &str, now: jiff::Timestamp) -> Result<u64, Duration> {
        if self.rate_capacity == 0 || self.rate_window.is_zero() {
            return Ok(u64::from(u32::MAX));
        }
        let capacity = f64::from(self.rate_capacity);
        let per_second = capacity / self.rate_window.as_secs_f64();
        let bucket = self.buckets.entry(key.to_owned()).or_insert(Bucket {
            tokens: capacity,
            at: now,
        });
        let elapsed = now.duration_since(bucket.at).as_secs_f64().max(0.0);
        bucket.tokens = (bucket.tokens + elapsed * per_second).min(capacity);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(bucket.tokens.floor() as u64)
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / per_second))
        }
    }

    /// Processes the messages whose delay has passed, against the profiles as they are now:
    /// what IO's queue would have done meanwhile.
    pub fn settle(&mut self, now: jiff::Timestamp) {
        let delay = jiff::SignedDuration::try_from(self.processing_delay)
            .unwrap_or(jiff::SignedDuration::MAX);
        let mut decisions = Vec::new();
        for (index, message) in self.messages.iter().enumerate() {
            let due = message.created_at.checked_add(delay).unwrap_or(now);
            if message.status != MockMessageStatus::Accepted || due > now {
                continue;
            }
            let delivered = self.profile(&message.fiscal_code).is_some_and(|p| {
                p.inbox_enabled && !p.blocked_services.contains(&message.service_id)
            });
            decisions.push((index, delivered));
        }
        for (index, delivered) in decisions {
            let Some(message) = self.messages.get_mut(index) else {
                continue;
            };
            if delivered {
                message.status = MockMessageStatus::Processed;
                message.webhook_notification = Some("SENT".to_owned());
                message.email_notification =
                    (!message.require_secure_channels).then(|| "SENT".to_owned());
            } else {
                message.status = MockMessageStatus::Rejected;
            }
        }
    }

    /// `getProfile`/`getProfileByPOST` for `service`.
    pub fn profile_for(
        &self,
        service: &MockIoService,
        fiscal_code: &str,
    ) -> Result<Value, Refusal> {
        if !schema::is_fiscal_code(fiscal_code) {
            return Err(Refusal::new(
                400,
                format!("value [{fiscal_code}] at [fiscal_code] is not a valid FiscalCode"),
            ));
        }
        if service.limited
            && !service
                .authorized_recipients
                .iter()
                .any(|r| r == fiscal_code)
        {
            return Err(Refusal::new(
                403,
                "You are not allowed to read the profile of this recipient: the service is in test mode (not an authorized recipient).",
            ));
        }
        match self.profile(fiscal_code) {
            Some(profile) if profile.inbox_enabled => Ok(json!({
                "sender_allowed": !profile.blocked_services.contains(&service.id),
                "preferred_languages": profile.preferred_languages,
            })),
            _ => Err(Refusal::new(
                404,
                "The profile you requested was not found in the system.",
            )),
        }
    }

    /// `submitMessageforUser[WithFiscalCodeInBody]`: the message, stored as ACCEPTED.
    pub fn submit(
        &mut self,
        service: &MockIoService,
        path_fiscal_code: Option<&str>,
        body: &[u8],
        now: jiff::Timestamp,
        id: String,
    ) -> Result<ReceivedMessage, Refusal> {
        let body: Value = serde_json::from_slice(body)
            .map_err(|e| Refusal::new(400, format!("the body is not valid JSON: {e}")))?;
        let document = schema::messages().map_err(|e| Refusal::new(500, e.to_string()))?;
        let violations = document
            .validate("NewMessage", &body)
            .map_err(|e| Refusal::new(500, e.to_string()))?;
        if !violations.is_empty() {
            let listed: Vec<String> = violations.iter().map(ToString::to_string).collect();
            return Err(Refusal::new(400, listed.join("; ")));
        }
        if let Some(path) = path_fiscal_code
            && !schema::is_fiscal_code(path)
        {
            return Err(Refusal::new(
                400,
                format!("value [{path}] at [fiscal_code] is not a valid FiscalCode"),
            ));
        }
        let body_fiscal_code = body.get("fiscal_code").and_then(Value::as_str);
        let fiscal_code = match (path_fiscal_code, body_fiscal_code) {
            (Some(_), Some(_)) => {
                return Err(Refusal::new(
                    400,
                    "The fiscal code is both in the path and in the body: give it in one place only.",
                ));
            }
            (None, None) => {
                return Err(Refusal::new(
                    400,
                    "The fiscal code is missing: give it in the path or in the body.",
                ));
            }
            (Some(cf), None) | (None, Some(cf)) => cf.to_owned(),
        };
        if service.limited && !service.authorized_recipients.contains(&fiscal_code) {
            return Err(Refusal::new(
                403,
                "You are not allowed to send messages to this recipient: the service is in test mode (not an authorized recipient).",
            ));
        }
        let content = body.get("content").cloned().unwrap_or(Value::Null);
        let level = body
            .get("feature_level_type")
            .and_then(Value::as_str)
            .unwrap_or("STANDARD");
        if level == "ADVANCED" && !service.advanced {
            return Err(Refusal::new(
                403,
                "You are not allowed to send messages with feature level ADVANCED (group ApiMessageWriteAdvanced).",
            ));
        }
        for (field, group) in [
            ("third_party_data", "ApiThirdPartyMessageWrite"),
            ("eu_covid_cert", "ApiMessageWriteEUCovidCert"),
        ] {
            if content.get(field).is_some_and(|v| !v.is_null()) {
                return Err(Refusal::new(
                    403,
                    format!("You are not allowed to send {field} (group {group})."),
                ));
            }
        }
        if body.get("default_addresses").is_some_and(|v| !v.is_null()) {
            return Err(Refusal::new(
                403,
                "You are not allowed to send messages with default addresses (group ApiMessageWriteDefaultAddress).",
            ));
        }
        let payment = content.get("payment_data").filter(|v| !v.is_null());
        if payment
            .and_then(|p| p.get("payee"))
            .is_some_and(|v| !v.is_null())
        {
            return Err(Refusal::new(
                403,
                "You are not allowed to send messages with a payee (group ApiMessageWriteWithPayee).",
            ));
        }
        let payment_data = match payment {
            None => None,
            Some(payment) => {
                let amount = payment.get("amount").and_then(Value::as_u64).unwrap_or(0);
                if amount > service.max_allowed_payment_amount {
                    return Err(Refusal::new(
                        400,
                        format!(
                            "The requested amount ({amount} cents) exceeds the maximum allowed for this service ({} cents)",
                            service.max_allowed_payment_amount
                        ),
                    ));
                }
                Some(ReceivedPayment {
                    amount,
                    notice_number: text(payment, "notice_number"),
                    invalid_after_due_date: payment
                        .get("invalid_after_due_date")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                    payee_fiscal_code: service.organization_fiscal_code.clone(),
                })
            }
        };
        let message = ReceivedMessage {
            id,
            fiscal_code,
            service_id: service.id.clone(),
            subject: text(&content, "subject"),
            markdown: text(&content, "markdown"),
            status: MockMessageStatus::Accepted,
            created_at: now,
            time_to_live: body
                .get("time_to_live")
                .and_then(Value::as_u64)
                .unwrap_or(DEFAULT_TIME_TO_LIVE),
            feature_level_type: level.to_owned(),
            due_date: content
                .get("due_date")
                .and_then(Value::as_str)
                .and_then(|d| d.parse().ok()),
            payment_data,
            require_secure_channels: content
                .get("require_secure_channels")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            read: false,
            email_notification: None,
            webhook_notification: None,
        };
        self.messages.push(message.clone());
        Ok(message)
    }

    /// `getMessage` for `service`.
    pub fn message_for(
        &self,
        service: &MockIoService,
        fiscal_code: &str,
        id: &str,
    ) -> Result<&ReceivedMessage, Refusal> {
        if !schema::is_fiscal_code(fiscal_code) {
            return Err(Refusal::new(
                400,
                format!("value [{fiscal_code}] at [fiscal_code] is not a valid FiscalCode"),
            ));
        }
        let message = self
            .messages
            .iter()
            .find(|m| m.id == id && m.fiscal_code == fiscal_code)
            .ok_or_else(|| Refusal::new(404, "No message found for the provided ID."))?;
        if message.service_id != service.id {
            return Err(Refusal::new(
                403,
                "You are not allowed to read this message: it was sent by another service.",
            ));
        }
        Ok(message)
    }
}

fn text(value: &Value, field: &str) -> String {
    value
        .get(field)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// A timestamp as IO writes them: UTC, milliseconds, `Z`.
pub(crate) fn utc_millis(at: jiff::Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// `ExternalMessageResponseWithContent`; `paid` tells the payment status of an ADVANCED
/// message with a notice.
pub(crate) fn message_json(message: &ReceivedMessage, paid: Option<bool>) -> Value {
    let mut content = Map::new();
    content.insert("subject".into(), json!(message.subject));
    content.insert("markdown".into(), json!(message.markdown));
    if message.require_secure_channels {
        content.insert("require_secure_channels".into(), json!(true));
    }
    if let Some(due) = message.due_date {
        content.insert("due_date".into(), json!(utc_millis(due)));
    }
    if let Some(payment) = &message.payment_data {
        content.insert(
            "payment_data".into(),
            json!({
                "amount": payment.amount,
                "notice_number": payment.notice_number,
                "invalid_after_due_date": payment.invalid_after_due_date,
                "payee": {"fiscal_code": payment.payee_fiscal_code},
            }),
        );
    }
    let mut body = json!({
        "message": {
            "id": message.id,
            "fiscal_code": message.fiscal_code,
            "time_to_live": message.time_to_live,
            "created_at": utc_millis(message.created_at),
            "content": content,
            "sender_service_id": message.service_id,
            "feature_level_type": message.feature_level_type,
        },
        "status": message.status.as_str(),
    });
    if let Some(map) = body.as_object_mut() {
        if message.status == MockMessageStatus::Processed {
            let mut notification = Map::new();
            if let Some(email) = &message.email_notification {
                notification.insert("email".into(), json!(email));
            }
            if let Some(webhook) = &message.webhook_notification {
                notification.insert("webhook".into(), json!(webhook));
            }
            map.insert("notification".into(), Value::Object(notification));
        }
        if message.feature_level_type == "ADVANCED" {
            let read = if message.read { "READ" } else { "UNREAD" };
            map.insert("read_status".into(), json!(read));
            if let Some(paid) = paid.filter(|_| message.payment_data.is_some()) {
                let status = if paid { "PAID" } else { "NOT_PAID" };
                map.insert("payment_status".into(), json!(status));
            }
        }
    }
    body
}

/// Crockford's base32, as ULIDs use it.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A ULID: 48 bits of milliseconds since the epoch, then 80 random bits, in 26 characters.
pub(crate) fn ulid(now: jiff::Timestamp) -> String {
    let millis = u128::try_from(now.as_millisecond()).unwrap_or(0) & ((1 << 48) - 1);
    let mut random = [0u8; 10];
    // Without randomness the ids of one millisecond collide; the stand-in still answers.
    let _ = getrandom::fill(&mut random);
    let random = random
        .iter()
        .fold(0u128, |acc, byte| (acc << 8) | u128::from(*byte));
    let value = (millis << 80) | random;
    (0..26)
        .rev()
        .map(|i| CROCKFORD[((value >> (i * 5)) & 0x1f) as usize] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CF: &str = "RSSMRA80A01H501U";
    const OTHER: &str = "VRDGPP70B02F205X";

    fn service(id: &str, key: &str) -> MockIoService {
        MockIoService::new(id, "Tributi", "Comune di Prova", "00000000001", key)
    }

    fn state() -> State {
        let mut blocked = MockProfile::new(OTHER);
        blocked.blocked_services = vec!["S2".into()];
        State::new(
            vec![service("S1", "k1"), service("S2", "k2")],
            vec![MockProfile::new(CF), blocked],
        )
    }

    fn body(value: Value) -> Vec<u8> {
        value.to_string().into_bytes()
    }

    fn message(fiscal_code: &str) -> Value {
        json!({"fiscal_code": fiscal_code, "content": {
            "subject": "Avviso di pagamento", "markdown": "m".repeat(80),
            "payment_data": {"amount": 1000, "notice_number": "301000000000000017"}}})
    }

    fn at(seconds: i64) -> jiff::Timestamp {
        jiff::Timestamp::from_second(1_800_000_000 + seconds).unwrap()
    }

    #[test]
    fn ulids_are_26_crockford_characters_in_time_order() {
        let first = ulid(at(0));
        let later = ulid(at(1));
        assert!(schema::is_ulid(&first), "{first}");
        assert!(schema::is_ulid(&later), "{later}");
        assert!(first[..10] < later[..10]);
        assert_eq!(ulid(jiff::Timestamp::UNIX_EPOCH)[..10], *"0000000000");
    }

    #[test]
    fn messages_are_accepted_then_processed_or_rejected() {
        let mut state = state();
        let s1 = state.services[0].clone();
        let s2 = state.services[1].clone();
        let sent = state
            .submit(&s1, None, &body(message(CF)), at(0), "A".into())
            .unwrap();
        assert_eq!(sent.status, MockMessageStatus::Accepted);
        assert_eq!(
            sent.payment_data.as_ref().unwrap().payee_fiscal_code,
            "00000000001"
        );
        state
            .submit(&s2, None, &body(message(OTHER)), at(0), "B".into())
            .unwrap();
        state
            .submit(
                &s1,
                Some("BNCLRA90C43L219P"),
                &body(json!({"content": {
                "subject": "Nessun profilo qui", "markdown": "m".repeat(80),
                "require_secure_channels": true}})),
                at(0),
                "C".into(),
            )
            .unwrap();
        state.settle(at(0));
        assert!(
            state
                .messages
                .iter()
                .all(|m| m.status == MockMessageStatus::Accepted)
        );
        state.settle(at(1));
        let status = |id: &str| state.messages.iter().find(|m| m.id == id).map(|m| m.status);
        assert_eq!(status("A"), Some(MockMessageStatus::Processed));
        assert_eq!(status("B"), Some(MockMessageStatus::Rejected));
        assert_eq!(status("C"), Some(MockMessageStatus::Rejected));
        let processed = &state.messages[0];
        assert_eq!(processed.email_notification.as_deref(), Some("SENT"));
        let json = message_json(processed, None);
        assert_eq!(
            json["notification"],
            json!({"email": "SENT", "webhook": "SENT"})
        );
        let response = schema::messages()
            .unwrap()
            .validate("ExternalMessageResponseWithContent", &json)
            .unwrap();
        assert!(response.is_empty(), "{response:?}");
        assert!(
            message_json(&state.messages[1], None)
                .get("notification")
                .is_none()
        );
        assert_eq!(
            state.message_for(&s2, CF, "A").unwrap_err().status,
            403,
            "another service's message"
        );
        assert_eq!(state.message_for(&s1, OTHER, "A").unwrap_err().status, 404);
        assert_eq!(state.message_for(&s1, CF, "Z").unwrap_err().status, 404);
        assert!(state.message_for(&s1, CF, "A").is_ok());
    }

    #[test]
    fn the_new_message_rules_of_io() {
        let mut state = state();
        let mut s1 = state.services[0].clone();
        let refused = |state: &mut State, service: &MockIoService, path: Option<&str>, v: Value| {
            state
                .submit(service, path, &body(v), at(0), "X".into())
                .unwrap_err()
        };
        let mut short = message(CF);
        short["content"]["subject"] = json!("Breve");
        let r = refused(&mut state, &s1, None, short);
        assert_eq!(r.status, 400);
        assert!(r.detail.contains("content.subject"), "{}", r.detail);
        assert_eq!(refused(&mut state, &s1, Some(CF), message(CF)).status, 400);
        let mut none = message(CF);
        none.as_object_mut().unwrap().remove("fiscal_code");
        assert_eq!(refused(&mut state, &s1, None, none.clone()).status, 400);
        assert!(
            state
                .submit(&s1, Some(CF), &body(none.clone()), at(0), "P".into())
                .is_ok()
        );
        assert_eq!(refused(&mut state, &s1, Some("rssmra"), none).status, 400);
        let mut too_much = message(CF);
        too_much["content"]["payment_data"]["amount"] = json!(1_000_001);
        let r = refused(&mut state, &s1, None, too_much);
        assert_eq!((r.status, r.detail.contains("exceeds")), (400, true));
        let mut bad_notice = message(CF);
        bad_notice["content"]["payment_data"]["notice_number"] = json!("401000000000000017");
        assert_eq!(refused(&mut state, &s1, None, bad_notice).status, 400);
        let mut payee = message(CF);
        payee["content"]["payment_data"]["payee"] = json!({"fiscal_code": "00000000002"});
        assert_eq!(refused(&mut state, &s1, None, payee).status, 403);
        let mut advanced = message(CF);
        advanced["feature_level_type"] = json!("ADVANCED");
        assert_eq!(refused(&mut state, &s1, None, advanced.clone()).status, 403);
        let mut unknown_level = message(CF);
        unknown_level["feature_level_type"] = json!("PREMIUM");
        assert_eq!(refused(&mut state, &s1, None, unknown_level).status, 400);
        let mut ttl = message(CF);
        ttl["time_to_live"] = json!(604_801);
        assert_eq!(refused(&mut state, &s1, None, ttl).status, 400);
        // io-ts strips unknown fields: accepted, and not kept.
        let mut extra = message(CF);
        extra["content"]["prescription_data"] = json!({"nre": "x"});
        extra["colour"] = json!("blue");
        assert!(
            state
                .submit(&s1, None, &body(extra), at(0), "E".into())
                .is_ok()
        );
        s1.limited = true;
        s1.authorized_recipients = vec![OTHER.into()];
        assert_eq!(refused(&mut state, &s1, None, message(CF)).status, 403);
        assert!(
            state
                .submit(&s1, None, &body(message(OTHER)), at(0), "L".into())
                .is_ok()
        );
        s1.advanced = true;
        s1.limited = false;
        assert!(
            state
                .submit(&s1, None, &body(advanced), at(0), "V".into())
                .is_ok()
        );
        assert_eq!(
            refused(&mut state, &s1, None, json!("not an object")).status,
            400
        );
    }

    #[test]
    fn profiles_follow_the_citizen_s_choices() {
        let mut state = state();
        let s1 = state.services[0].clone();
        let s2 = state.services[1].clone();
        assert_eq!(
            state.profile_for(&s1, CF).unwrap(),
            json!({"sender_allowed": true, "preferred_languages": ["it_IT"]})
        );
        assert_eq!(
            state.profile_for(&s2, OTHER).unwrap()["sender_allowed"],
            false
        );
        assert_eq!(
            state
                .profile_for(&s1, "BNCLRA90C43L219P")
                .unwrap_err()
                .status,
            404
        );
        assert_eq!(state.profile_for(&s1, "bad").unwrap_err().status, 400);
        state.profiles[0].inbox_enabled = false;
        assert_eq!(state.profile_for(&s1, CF).unwrap_err().status, 404);
        let mut limited = s1.clone();
        limited.limited = true;
        assert_eq!(state.profile_for(&limited, OTHER).unwrap_err().status, 403);
    }

    #[test]
    fn the_token_bucket_refills_over_its_window() {
        let mut state = state();
        state.rate_capacity = 3;
        state.rate_window = Duration::from_secs(6);
        assert_eq!(state.take_token("k1", at(0)), Ok(2));
        assert_eq!(state.take_token("k1", at(0)), Ok(1));
        assert_eq!(state.take_token("k1", at(0)), Ok(0));
        assert_eq!(state.take_token("k1", at(0)), Err(Duration::from_secs(2)));
        assert_eq!(state.take_token("k2", at(0)), Ok(2), "one bucket per key");
        assert_eq!(state.take_token("k1", at(2)), Ok(0));
        assert!(state.take_token("k1", at(2)).is_err());
        assert_eq!(
            state.take_token("k1", at(60)),
            Ok(2),
            "never above capacity"
        );
        state.rate_capacity = 0;
        assert!((0..1000).all(|_| state.take_token("k1", at(60)).is_ok()));
    }
}
