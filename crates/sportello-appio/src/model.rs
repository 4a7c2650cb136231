//! The payloads of the IO services API, with the limits of its specification (the vendored
//! `io-messages` `services-func` and `io-functions-services` OpenAPI documents) built into the
//! types: a value that exists here is one IO accepts.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// The API key of one service on IO (primary or secondary). A secret: `Debug` hides it and
/// there is no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct ServiceKey(String);

impl ServiceKey {
    pub fn new(key: String) -> ServiceKey {
        ServiceKey(key)
    }

    /// The key itself, for the request header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ServiceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ServiceKey(***)")
    }
}

/// Why a message's content cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContentError {
    #[error("the subject must be 10 to 120 characters long, is {0}")]
    SubjectLength(usize),
    #[error("the text must be 80 to 10000 characters long, is {0}")]
    MarkdownLength(usize),
    #[error("the time to live must be 3600 to 604800 seconds, is {0}")]
    TimeToLive(u32),
    #[error("the amount must be 1 to 9999999999 cents, is {0}")]
    Amount(u64),
    #[error("the notice number must be 18 digits starting with 0, 1, 2 or 3")]
    NoticeNumber,
    #[error("a message id is made of letters and digits only")]
    MessageId,
}

fn char_count_within(text: &str, min: usize, max: usize) -> Result<(), usize> {
    let count = text.chars().count();
    if (min..=max).contains(&count) {
        Ok(())
    } else {
        Err(count)
    }
}

/// A message's subject: 10 to 120 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Subject(String);

impl Subject {
    pub fn new(text: &str) -> Result<Subject, ContentError> {
        char_count_within(text, 10, 120).map_err(ContentError::SubjectLength)?;
        Ok(Subject(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A message's text, in the Markdown the app renders (headings, emphasis, lists): 80 to
/// 10000 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Markdown(String);

impl Markdown {
    pub fn new(text: &str) -> Result<Markdown, ContentError> {
        char_count_within(text, 80, 10_000).map_err(ContentError::MarkdownLength)?;
        Ok(Markdown(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// For how long IO tries to deliver the notifications: 3600 (the default) to 604800 seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct TimeToLive(u32);

impl TimeToLive {
    pub fn new(seconds: u32) -> Result<TimeToLive, ContentError> {
        if (3600..=604_800).contains(&seconds) {
            Ok(TimeToLive(seconds))
        } else {
            Err(ContentError::TimeToLive(seconds))
        }
    }

    pub fn seconds(self) -> u32 {
        self.0
    }
}

/// A pagoPA notice to pay from the message. There is no payee: IO fills in the service's
/// organization (naming another one needs a group Sportello's services do not have).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentData {
    amount: u64,
    notice_number: String,
    invalid_after_due_date: bool,
}

impl PaymentData {
    /// `amount_cents` must be 1..=9999999999 (and, checked by IO only, at most the service's
    /// maximum, 1000000 by default); `notice_number` is the 18-digit *numero avviso*;
    /// `invalid_after_due_date` makes the app refuse payment after the message's due date.
    pub fn new(
        amount_cents: u64,
        notice_number: &str,
        invalid_after_due_date: bool,
    ) -> Result<PaymentData, ContentError> {
        if !(1..=9_999_999_999).contains(&amount_cents) {
            return Err(ContentError::Amount(amount_cents));
        }
        let bytes = notice_number.as_bytes();
        let valid = bytes.len() == 18
            && matches!(bytes[0], b'0'..=b'3')
            && bytes.iter().all(u8::is_ascii_digit);
        if !valid {
            return Err(ContentError::NoticeNumber);
        }
        Ok(PaymentData {
            amount: amount_cents,
            notice_number: notice_number.to_owned(),
            invalid_after_due_date,
        })
    }

    pub fn amount_cents(&self) -> u64 {
        self.amount
    }

    pub fn notice_number(&self) -> &str {
        &self.notice_number
    }

    pub fn invalid_after_due_date(&self) -> bool {
        self.invalid_after_due_date
    }
}

/// What the message says. Absent options are left out of the JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessageContent {
    pub subject: Subject,
    pub markdown: Markdown,
    /// Shown by the app as a deadline (with a reminder); sent as `2026-03-30T23:59:59.000Z`.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_utc_millis"
    )]
    pub due_date: Option<jiff::Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_data: Option<PaymentData>,
    /// `true`: push notification only, no e-mail (for content not to travel by e-mail).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub require_secure_channels: Option<bool>,
}

impl MessageContent {
    /// A plain message: no due date, no payment.
    pub fn new(subject: Subject, markdown: Markdown) -> MessageContent {
        MessageContent {
            subject,
            markdown,
            due_date: None,
            payment_data: None,
            require_secure_channels: None,
        }
    }
}

fn serialize_utc_millis<S: Serializer>(
    value: &Option<jiff::Timestamp>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        // The spec's `Timestamp` example and ts-commons' UTCISODateFromString: UTC, `Z`,
        // milliseconds.
        Some(ts) => serializer.serialize_str(&ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()),
        None => serializer.serialize_none(),
    }
}

/// STANDARD messages, or ADVANCED ("premium": read and payment status in
/// [`MessageStatus`]), which needs a group on the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FeatureLevel {
    Standard,
    Advanced,
}

/// A message to one citizen (`NewMessage`). The fiscal code goes in the body, not the path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewMessage {
    pub fiscal_code: String,
    /// IO's default when absent: 3600 seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_to_live: Option<TimeToLive>,
    pub content: MessageContent,
    /// IO's default when absent: STANDARD.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feature_level_type: Option<FeatureLevel>,
}

impl NewMessage {
    pub fn new(fiscal_code: &str, content: MessageContent) -> NewMessage {
        NewMessage {
            fiscal_code: fiscal_code.to_owned(),
            time_to_live: None,
            content,
            feature_level_type: None,
        }
    }
}

/// The id IO gives a message (a ULID). Letters and digits only, so it can go in a path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MessageId(String);

impl MessageId {
    pub fn new(id: String) -> Result<MessageId, ContentError> {
        if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(ContentError::MessageId);
        }
        Ok(MessageId(id))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for MessageId {
    type Error = ContentError;
    fn try_from(id: String) -> Result<MessageId, ContentError> {
        MessageId::new(id)
    }
}

impl From<MessageId> for String {
    fn from(id: MessageId) -> String {
        id.0
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the profile check says about sending to a citizen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileCheck {
    /// Send. The languages are the citizen's, in order of preference (`it_IT`, `en_GB`, ...).
    Allowed { preferred_languages: Vec<String> },
    /// The citizen turned this service off in the app: do not send.
    SenderNotAllowed,
    /// No IO profile, or the inbox is not enabled (IO does not say which): do not send.
    NoProfile,
}

/// Where a message is in IO's processing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeliveryStatus {
    /// Queued, not processed yet.
    Accepted,
    /// A temporary failure; IO retries (up to seven days).
    Throttled,
    /// A permanent failure.
    Failed,
    /// In the citizen's inbox; notifications attempted.
    Processed,
    /// Not delivered: no profile, or the sender is blocked.
    Rejected,
}

impl DeliveryStatus {
    /// Whether the status will not change any more (FAILED, PROCESSED, REJECTED).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            DeliveryStatus::Failed | DeliveryStatus::Processed | DeliveryStatus::Rejected
        )
    }
}

/// The state of one notification channel (e-mail, push).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ChannelStatus {
    Sent,
    Throttled,
    Expired,
    Failed,
}

/// ADVANCED messages only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReadStatus {
    /// The citizen does not share the read status.
    Unavailable,
    Unread,
    Read,
}

/// ADVANCED payment messages only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PaymentStatus {
    Paid,
    NotPaid,
}

/// A message's state as `GET /messages/{fiscal_code}/{id}` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageStatus {
    pub status: DeliveryStatus,
    pub email: Option<ChannelStatus>,
    /// The push notification.
    pub webhook: Option<ChannelStatus>,
    pub read_status: Option<ReadStatus>,
    pub payment_status: Option<PaymentStatus>,
}

/// The answer's body; the message's content is not read back.
#[derive(Deserialize)]
pub(crate) struct StatusBody {
    status: DeliveryStatus,
    #[serde(default)]
    notification: Option<NotificationBody>,
    #[serde(default, deserialize_with = "lenient")]
    read_status: Option<ReadStatus>,
    #[serde(default, deserialize_with = "lenient")]
    payment_status: Option<PaymentStatus>,
}

#[derive(Deserialize)]
struct NotificationBody {
    #[serde(default, deserialize_with = "lenient")]
    email: Option<ChannelStatus>,
    #[serde(default, deserialize_with = "lenient")]
    webhook: Option<ChannelStatus>,
}

/// The channel, read and payment states are "extensible" enums: a value this client does
/// not know (the spec's own example shows `QUEUED`) is read as unknown rather than failing
/// the whole status.
fn lenient<'de, D: Deserializer<'de>, T: serde::de::DeserializeOwned>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    let value = Option::<serde_json::Value>::deserialize(deserializer)?;
    Ok(value.and_then(|v| serde_json::from_value(v).ok()))
}

impl From<StatusBody> for MessageStatus {
    fn from(body: StatusBody) -> MessageStatus {
        let (email, webhook) = body
            .notification
            .map(|n| (n.email, n.webhook))
            .unwrap_or_default();
        MessageStatus {
            status: body.status,
            email,
            webhook,
            read_status: body.read_status,
            payment_status: body.payment_status,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn limits_of_the_content() {
        assert!(Subject::new("corto").is_err());
        assert!(Subject::new(&"a".repeat(10)).is_ok());
        assert!(Subject::new(&"è".repeat(120)).is_ok());
        assert_eq!(
            Subject::new(&"a".repeat(121)),
            Err(ContentError::SubjectLength(121))
        );
        assert!(Markdown::new(&"a".repeat(79)).is_err());
        assert!(Markdown::new(&"a".repeat(80)).is_ok());
        assert!(Markdown::new(&"a".repeat(10_000)).is_ok());
        assert!(Markdown::new(&"a".repeat(10_001)).is_err());
        assert!(TimeToLive::new(3599).is_err());
        assert!(TimeToLive::new(3600).is_ok());
        assert!(TimeToLive::new(604_800).is_ok());
        assert!(TimeToLive::new(604_801).is_err());
    }

    #[test]
    fn limits_of_payment_data() {
        assert!(PaymentData::new(1, "301000000000000017", false).is_ok());
        assert!(PaymentData::new(9_999_999_999, "001000000000000017", true).is_ok());
        assert_eq!(
            PaymentData::new(0, "301000000000000017", false),
            Err(ContentError::Amount(0))
        );
        assert!(PaymentData::new(10_000_000_000, "301000000000000017", false).is_err());
        for bad in [
            "401000000000000017",
            "30100000000000001",
            "30100000000000001a",
        ] {
            assert_eq!(
                PaymentData::new(100, bad, false),
                Err(ContentError::NoticeNumber),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_json_is_the_spec_s() -> Result<(), Box<dyn std::error::Error>> {
        let mut content = MessageContent::new(
            Subject::new("Avviso di pagamento TARI")?,
            Markdown::new(&"Testo del messaggio. ".repeat(5))?,
        );
        content.due_date = Some("2026-03-30T23:59:59Z".parse()?);
        content.payment_data = Some(PaymentData::new(12_345, "301000000000000017", true)?);
        let message = NewMessage {
            time_to_live: Some(TimeToLive::new(7200)?),
            feature_level_type: Some(FeatureLevel::Standard),
            ..NewMessage::new("RSSMRA80A01H501U", content)
        };
        let value = serde_json::to_value(&message)?;
        assert_eq!(value["content"]["due_date"], "2026-03-30T23:59:59.000Z");
        assert_eq!(
            value["content"]["payment_data"],
            json!({"amount": 12345, "notice_number": "301000000000000017", "invalid_after_due_date": true})
        );
        assert_eq!(value["time_to_live"], 7200);
        assert_eq!(value["feature_level_type"], "STANDARD");
        assert_eq!(value["fiscal_code"], "RSSMRA80A01H501U");
        assert!(value["content"].get("require_secure_channels").is_none());
        let plain = serde_json::to_value(NewMessage::new(
            "RSSMRA80A01H501U",
            MessageContent::new(
                Subject::new("Oggetto abbastanza lungo")?,
                Markdown::new(&"x".repeat(80))?,
            ),
        ))?;
        assert_eq!(
            plain.as_object().map(|o| o.len()),
            Some(2),
            "only fiscal_code and content: {plain}"
        );
        Ok(())
    }

    #[test]
    fn statuses_are_read_leniently_where_the_spec_is_extensible()
    -> Result<(), Box<dyn std::error::Error>> {
        let body: StatusBody = serde_json::from_value(json!({
            "message": {}, "status": "PROCESSED",
            "notification": {"email": "QUEUED", "webhook": "SENT"},
            "read_status": "READ", "payment_status": "NOT_PAID"
        }))?;
        let status = MessageStatus::from(body);
        assert_eq!(status.status, DeliveryStatus::Processed);
        assert_eq!(status.email, None);
        assert_eq!(status.webhook, Some(ChannelStatus::Sent));
        assert_eq!(status.read_status, Some(ReadStatus::Read));
        assert_eq!(status.payment_status, Some(PaymentStatus::NotPaid));
        assert!(status.status.is_final());
        assert!(!DeliveryStatus::Accepted.is_final());
        assert!(!DeliveryStatus::Throttled.is_final());
        Ok(())
    }

    #[test]
    fn the_key_is_hidden_and_ids_are_checked() {
        let key = ServiceKey::new("super-secret".into());
        assert_eq!(format!("{key:?}"), "ServiceKey(***)");
        assert_eq!(key.expose(), "super-secret");
        assert!(MessageId::new("01BX9NSMKVXXS5PSP2FATZMYYY".into()).is_ok());
        assert!(MessageId::new("../x".into()).is_err());
        assert!(MessageId::new(String::new()).is_err());
    }
}
