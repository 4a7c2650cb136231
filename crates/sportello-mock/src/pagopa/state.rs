//! What the stand-in remembers, and the GPD rules that change it: validation beyond the
//! schema, the status machine and its guards, payments and receipts.

use super::faults::{CallStats, Faults, Rng};
use super::receipts::receipt_xml;
use super::schema::{self, Violation, parse_date_time};
use super::{MockCreditor, PaidReceipt, PayError};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};

/// The auxiliary digit GPD puts before the IUV to make the NAV (`AUX_DIGIT=3` in production).
pub const AUX_DIGIT: &str = "3";
/// The payment service provider of every simulated payment.
pub const PSP_COMPANY: &str = "PSP simulato";
pub const ID_PSP: &str = "PSPSIMULATO01";
pub const ID_CHANNEL: &str = "PSPSIMULATO01_01";
/// Payment method of a simulated checkout payment: card (`CP`, carta di pagamento).
pub const PAYMENT_METHOD: &str = "CP";
/// The simulated PSP's commission, paid by the citizen on top of the amount (never part of it).
pub const FEE_CENTS: i64 = 100;

/// Why a GPD call is refused, as the real service answers it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(crate) enum GpdError {
    #[error("{}", list(.0))]
    Invalid(Vec<Violation>),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Unprocessable(String),
    #[error("{0}")]
    Internal(String),
}

fn list(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl From<schema::SchemaError> for GpdError {
    fn from(e: schema::SchemaError) -> GpdError {
        GpdError::Internal(e.to_string())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Status {
    Draft,
    Published,
    Valid,
    Invalid,
    Expired,
    PartiallyPaid,
    Paid,
    Reported,
}

impl Status {
    pub(crate) const ALL: [Status; 8] = [
        Status::Draft,
        Status::Published,
        Status::Valid,
        Status::Invalid,
        Status::Expired,
        Status::PartiallyPaid,
        Status::Paid,
        Status::Reported,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "DRAFT",
            Status::Published => "PUBLISHED",
            Status::Valid => "VALID",
            Status::Invalid => "INVALID",
            Status::Expired => "EXPIRED",
            Status::PartiallyPaid => "PARTIALLY_PAID",
            Status::Paid => "PAID",
            Status::Reported => "REPORTED",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == text)
    }

    fn updatable(self) -> bool {
        !matches!(
            self,
            Status::Invalid | Status::PartiallyPaid | Status::Paid | Status::Reported
        )
    }

    fn invalidatable(self) -> bool {
        matches!(self, Status::Published | Status::Valid)
    }

    fn deletable(self) -> bool {
        !matches!(
            self,
            Status::PartiallyPaid | Status::Paid | Status::Reported
        )
    }

    fn payable(self) -> bool {
        matches!(self, Status::Valid | Status::PartiallyPaid)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OptionStatus {
    Unpaid,
    Paid,
    Reported,
}

impl OptionStatus {
    fn as_str(self) -> &'static str {
        match self {
            OptionStatus::Unpaid => "PO_UNPAID",
            OptionStatus::Paid => "PO_PAID",
            OptionStatus::Reported => "PO_REPORTED",
        }
    }
}

#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Metadata {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Stamp {
    pub hash_document: String,
    pub stamp_type: String,
    pub provincial_residence: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TransferIn {
    pub id_transfer: String,
    pub amount: i64,
    pub organization_fiscal_code: Option<String>,
    pub remittance_information: String,
    pub category: String,
    pub iban: Option<String>,
    pub postal_iban: Option<String>,
    pub stamp: Option<Stamp>,
    pub company_name: Option<String>,
    pub transfer_metadata: Option<Vec<Metadata>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OptionIn {
    pub nav: Option<String>,
    pub iuv: String,
    pub amount: i64,
    pub description: String,
    pub is_partial_payment: bool,
    pub due_date: String,
    pub retention_date: Option<String>,
    pub transfer: Option<Vec<TransferIn>>,
    pub payment_option_metadata: Option<Vec<Metadata>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PositionIn {
    pub iupd: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub pay_stand_in: Option<bool>,
    pub fiscal_code: String,
    pub full_name: String,
    pub street_name: Option<String>,
    pub civic_number: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub province: Option<String>,
    pub region: Option<String>,
    pub country: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub switch_to_expired: bool,
    pub company_name: String,
    pub office_name: Option<String>,
    pub validity_date: Option<String>,
    pub payment_option: Option<Vec<OptionIn>>,
}

/// A payment, through pagoPA (with a receipt) or declared by the creditor (`paids`).
#[derive(Debug, Clone)]
pub(crate) struct Payment {
    pub date: Timestamp,
    pub method: Option<String>,
    pub psp_company: Option<String>,
    pub id_receipt: Option<String>,
    pub fee: i64,
}

#[derive(Debug, Clone)]
pub(crate) struct PaymentOption {
    pub input: OptionIn,
    pub transfers: Vec<TransferIn>,
    pub nav: String,
    pub due: Timestamp,
    pub retention: Option<Timestamp>,
    pub status: OptionStatus,
    pub payment: Option<Payment>,
    pub reporting: Option<(Timestamp, String)>,
    pub last_updated: Timestamp,
}

#[derive(Debug, Clone)]
pub(crate) struct Position {
    pub org: String,
    pub input: PositionIn,
    pub status: Status,
    pub validity: Option<Timestamp>,
    pub inserted: Timestamp,
    pub published: Option<Timestamp>,
    pub last_updated: Timestamp,
    pub payment_date: Option<Timestamp>,
    pub options: Vec<PaymentOption>,
}

/// A receipt kept for the receipts API.
#[derive(Debug, Clone)]
pub(crate) struct StoredReceipt {
    pub receipt: PaidReceipt,
    /// The first transfer's category: what the receipts API's `service` filter matches.
    pub service: String,
    pub xml: String,
}

/// A Checkout cart.
#[derive(Debug, Clone)]
pub(crate) struct Cart {
    pub notices: Vec<CartNotice>,
    pub return_ok: String,
    pub return_cancel: String,
    pub return_error: String,
}

#[derive(Debug, Clone)]
pub(crate) struct CartNotice {
    pub notice_number: String,
    pub fiscal_code: String,
    pub amount: i64,
    pub company_name: String,
    pub description: String,
}

pub(crate) struct State {
    pub creditors: Vec<MockCreditor>,
    /// By (org, iupd), in creation order within `order`.
    pub positions: HashMap<(String, String), Position>,
    pub order: Vec<(String, String)>,
    pub creations: HashMap<(String, String), u32>,
    /// The iupd of each (org, iuv) in use: IUVs are unique per creditor, and a notice is found
    /// by its number without scanning every position.
    pub iuvs: HashMap<(String, String), String>,
    /// By (org, iuv).
    pub receipts: BTreeMap<(String, String), StoredReceipt>,
    pub carts: HashMap<String, Cart>,
    pub clock: Option<Timestamp>,
    pub faults: Faults,
    pub rng: Rng,
    pub stats: CallStats,
}

/// A date-time as GPD writes it: a Java `LocalDateTime`, in UTC.
pub(crate) fn local(ts: Timestamp) -> String {
    ts.to_zoned(jiff::tz::TimeZone::UTC).datetime().to_string()
}

/// 32 random hexadecimal digits.
pub(crate) fn random_id() -> String {
    let mut bytes = [0u8; 16];
    // Without randomness the id is all zeros; the stand-in still works.
    let _ = getrandom::fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Drops the `null` members of objects, as the real service's JSON omits absent fields.
fn strip_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, strip_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(strip_nulls).collect()),
        other => other,
    }
}

fn violation(path: impl Into<String>, reason: impl Into<String>) -> Violation {
    Violation {
        path: path.into(),
        reason: reason.into(),
    }
}

/// Checks a create or update body against the document and GPD's own rules, and builds the
/// position it describes (in DRAFT).
pub(crate) fn parse_position(
    org: &str,
    body: &Value,
    creditor: &MockCreditor,
    now: Timestamp,
) -> Result<Position, GpdError> {
    let violations = schema::gpd_v1()?.validate("PaymentPositionModel", body)?;
    if !violations.is_empty() {
        return Err(GpdError::Invalid(violations));
    }
    let input: PositionIn = serde_json::from_value(body.clone())
        .map_err(|e| GpdError::BadRequest(format!("malformed debt position: {e}")))?;
    let mut problems = Vec::new();
    let validity = match &input.validity_date {
        Some(text) => parse_date_time(text),
        None => None,
    };
    if let Some(validity) = validity
        && validity <= now
    {
        problems.push(violation(
            "validityDate",
            "must be after the current date-time",
        ));
    }
    let mut options = Vec::new();
    let option_inputs = input.payment_option.clone().unwrap_or_default();
    for (i, option) in option_inputs.into_iter().enumerate() {
        let at = |field: &str| format!("paymentOption[{i}].{field}");
        let due = parse_date_time(&option.due_date).unwrap_or(now);
        let retention = option.retention_date.as_deref().and_then(parse_date_time);
        match validity {
            Some(validity) if due < validity => {
                problems.push(violation(at("dueDate"), "must not be before validityDate"))
            }
            None if due < now => problems.push(violation(
                at("dueDate"),
                "must not be before the current date-time",
            )),
            _ => {}
        }
        if let Some(retention) = retention
            && retention < due
        {
            problems.push(violation(at("retentionDate"), "must not be before dueDate"));
        }
        if option.iuv.len() != 17 || !option.iuv.bytes().all(|b| b.is_ascii_digit()) {
            problems.push(violation(
                at("iuv"),
                "must be 17 digits (segregation code, IUV base, check digits: aux digit 3)",
            ));
        }
        let nav = format!("{AUX_DIGIT}{}", option.iuv);
        if let Some(given) = &option.nav
            && *given != nav
        {
            problems.push(violation(
                at("nav"),
                format!("must be {nav} (aux digit 3 + iuv)"),
            ));
        }
        check_metadata(
            &at("paymentOptionMetadata"),
            option.payment_option_metadata.as_deref(),
            &mut problems,
        );
        let transfers = option.transfer.clone().unwrap_or_default();
        if transfers.len() > 5 {
            problems.push(violation(at("transfer"), "must have at most 5 transfers"));
        }
        let mut ids = Vec::new();
        for (j, transfer) in transfers.iter().enumerate() {
            let at = |field: &str| format!("paymentOption[{i}].transfer[{j}].{field}");
            if ids.contains(&transfer.id_transfer) {
                problems.push(violation(at("idTransfer"), "must be unique in the option"));
            }
            ids.push(transfer.id_transfer.clone());
            match (&transfer.iban, &transfer.stamp) {
                (Some(_), Some(_)) => problems.push(violation(
                    at("iban"),
                    "iban and stamp are mutually exclusive",
                )),
                (None, None) => problems.push(violation(at("iban"), "iban or stamp is required")),
                _ => {}
            }
            if transfer
                .postal_iban
                .as_deref()
                .is_some_and(|p| !p.is_empty())
                && transfer.iban.is_none()
            {
                problems.push(violation(at("postalIban"), "is allowed only with iban"));
            }
            check_metadata(
                &at("transferMetadata"),
                transfer.transfer_metadata.as_deref(),
                &mut problems,
            );
        }
        let sum: i64 = transfers.iter().map(|t| t.amount).sum();
        if sum != option.amount {
            problems.push(violation(
                at("amount"),
                format!(
                    "must equal the sum of the transfers' amounts ({sum}), is {}",
                    option.amount
                ),
            ));
        }
        options.push(PaymentOption {
            input: option,
            transfers,
            nav,
            due,
            retention,
            status: OptionStatus::Unpaid,
            payment: None,
            reporting: None,
            last_updated: now,
        });
    }
    if !problems.is_empty() {
        return Err(GpdError::Invalid(problems));
    }
    for (i, option) in options.iter().enumerate() {
        if options[..i].iter().any(|o| o.input.iuv == option.input.iuv) {
            return Err(GpdError::Conflict(format!(
                "iuv {} appears twice in the debt position",
                option.input.iuv
            )));
        }
        if !creditor.segregation_codes.is_empty() {
            let code = option.input.iuv.get(..2).and_then(|c| c.parse::<u8>().ok());
            if !code.is_some_and(|c| creditor.segregation_codes.contains(&c)) {
                return Err(GpdError::Forbidden(format!(
                    "the segregation code of iuv {} is not one of the creditor's",
                    option.input.iuv
                )));
            }
        }
    }
    Ok(Position {
        org: org.to_owned(),
        input,
        status: Status::Draft,
        validity,
        inserted: now,
        published: None,
        last_updated: now,
        payment_date: None,
        options,
    })
}

fn check_metadata(path: &str, metadata: Option<&[Metadata]>, problems: &mut Vec<Violation>) {
    let metadata = metadata.unwrap_or_default();
    if metadata.len() > 10 {
        problems.push(violation(path, "must have at most 10 entries"));
    }
    for (k, entry) in metadata.iter().enumerate() {
        if metadata[..k].iter().any(|m| m.key == entry.key) {
            problems.push(violation(
                format!("{path}[{k}].key"),
                format!("key {} must be unique", entry.key),
            ));
        }
    }
}

impl Position {
    pub(crate) fn iupd(&self) -> &str {
        &self.input.iupd
    }

    /// The time-driven transitions of GPD's batches, applied when the position is read:
    /// PUBLISHED→VALID once the validity date is reached, VALID→EXPIRED after the last due
    /// date when `switchToExpired` and nothing is paid.
    pub(crate) fn refresh(&mut self, now: Timestamp) {
        if self.status == Status::Published && self.validity.is_none_or(|v| v <= now) {
            self.status = Status::Valid;
            self.last_updated = now;
        }
        if self.status == Status::Valid
            && self.input.switch_to_expired
            && !self.options.is_empty()
            && self
                .options
                .iter()
                .all(|o| o.status == OptionStatus::Unpaid && o.due < now)
        {
            self.status = Status::Expired;
            self.last_updated = now;
        }
    }

    /// Publishes a DRAFT position (the guards of `POST .../publish`).
    pub(crate) fn publish(&mut self, now: Timestamp) -> Result<(), GpdError> {
        if self.status != Status::Draft {
            return Err(GpdError::Conflict(format!(
                "the debt position is {}: only a DRAFT position can be published",
                self.status.as_str()
            )));
        }
        if self.validity.is_some_and(|v| v < now) {
            return Err(GpdError::Conflict(
                "the validity date has already begun".to_owned(),
            ));
        }
        for option in &self.options {
            if option.due < now {
                return Err(GpdError::Conflict(format!(
                    "the due date of iuv {} has passed",
                    option.input.iuv
                )));
            }
            if self.validity.is_some_and(|v| option.due < v) {
                return Err(GpdError::Conflict(format!(
                    "the due date of iuv {} is before the validity date",
                    option.input.iuv
                )));
            }
        }
        self.published = Some(now);
        self.last_updated = now;
        match self.validity {
            Some(v) if v > now => self.status = Status::Published,
            _ => {
                self.validity = Some(now);
                self.status = Status::Valid;
            }
        }
        Ok(())
    }

    pub(crate) fn invalidate(&mut self, now: Timestamp) -> Result<(), GpdError> {
        if !self.status.invalidatable() {
            return Err(GpdError::Conflict(format!(
                "the debt position is {}: it cannot be invalidated",
                self.status.as_str()
            )));
        }
        self.status = Status::Invalid;
        self.last_updated = now;
        Ok(())
    }

    pub(crate) fn updatable(&self) -> Result<(), GpdError> {
        if self.status.updatable() {
            Ok(())
        } else {
            Err(GpdError::Conflict(format!(
                "the debt position is {}: it cannot be updated",
                self.status.as_str()
            )))
        }
    }

    pub(crate) fn deletable(&self) -> Result<(), GpdError> {
        if self.status.deletable() {
            Ok(())
        } else {
            Err(GpdError::Conflict(format!(
                "the debt position is {}: a payment exists, it cannot be deleted",
                self.status.as_str()
            )))
        }
    }

    /// Whether option `index` may be paid now, the option's own status aside.
    fn check_payable(&self, index: usize) -> Result<(), PayError> {
        let not_payable = || PayError::NotPayable {
            status: self.status.as_str().to_owned(),
        };
        if !self.status.payable() {
            return Err(not_payable());
        }
        // Once an instalment is paid, the single payment is no longer on offer.
        let partial = self
            .options
            .get(index)
            .is_some_and(|o| o.input.is_partial_payment);
        if self.status == Status::PartiallyPaid && !partial {
            return Err(not_payable());
        }
        Ok(())
    }

    /// Marks option `index` paid and moves the position to PARTIALLY_PAID or PAID.
    fn settle(&mut self, index: usize, payment: Payment, now: Timestamp) {
        let date = payment.date;
        let Some(option) = self.options.get_mut(index) else {
            return;
        };
        option.status = OptionStatus::Paid;
        option.payment = Some(payment);
        option.last_updated = now;
        let single = !option.input.is_partial_payment;
        let instalments_done = self
            .options
            .iter()
            .filter(|o| o.input.is_partial_payment)
            .all(|o| o.status != OptionStatus::Unpaid);
        if single || instalments_done {
            self.status = Status::Paid;
            self.payment_date = Some(date);
        } else {
            self.status = Status::PartiallyPaid;
        }
        self.last_updated = now;
    }

    /// `PaymentPositionModel`: the answer of create, update, publish and invalidate.
    pub(crate) fn model_json(&self) -> Value {
        let p = &self.input;
        let options: Vec<Value> = self
            .options
            .iter()
            .map(|o| {
                json!({
                    "nav": o.nav, "iuv": o.input.iuv, "amount": o.input.amount,
                    "description": o.input.description, "isPartialPayment": o.input.is_partial_payment,
                    "dueDate": local(o.due), "retentionDate": o.retention.map(local),
                    "fee": o.payment.as_ref().map_or(0, |p| p.fee), "notificationFee": 0,
                    "transfer": o.transfers.iter().map(|t| json!({
                        "idTransfer": t.id_transfer, "amount": t.amount,
                        "organizationFiscalCode": t.organization_fiscal_code.clone().unwrap_or_else(|| self.org.clone()),
                        "remittanceInformation": t.remittance_information, "category": t.category,
                        "iban": t.iban, "postalIban": t.postal_iban, "stamp": t.stamp,
                        "companyName": t.company_name,
                        "transferMetadata": t.transfer_metadata.clone().unwrap_or_default(),
                    })).collect::<Vec<_>>(),
                    "paymentOptionMetadata": o.input.payment_option_metadata.clone().unwrap_or_default(),
                })
            })
            .collect();
        strip_nulls(json!({
            "iupd": p.iupd, "type": p.kind, "payStandIn": p.pay_stand_in.unwrap_or(true),
            "fiscalCode": p.fiscal_code, "fullName": p.full_name, "streetName": p.street_name,
            "civicNumber": p.civic_number, "postalCode": p.postal_code, "city": p.city,
            "province": p.province, "region": p.region, "country": p.country, "email": p.email,
            "phone": p.phone, "switchToExpired": p.switch_to_expired, "companyName": p.company_name,
            "officeName": p.office_name, "validityDate": self.validity.map(local),
            "paymentDate": self.payment_date.map(local), "status": self.status.as_str(),
            "paymentOption": options,
        }))
    }

    /// `PaymentOptionModelResponse` of option `o`.
    pub(crate) fn option_json(&self, o: &PaymentOption) -> Value {
        let payment = o.payment.as_ref();
        strip_nulls(json!({
            "nav": o.nav, "iuv": o.input.iuv, "organizationFiscalCode": self.org,
            "amount": o.input.amount, "description": o.input.description,
            "isPartialPayment": o.input.is_partial_payment, "dueDate": local(o.due),
            "retentionDate": o.retention.map(local),
            "paymentDate": payment.map(|p| local(p.date)),
            "reportingDate": o.reporting.as_ref().map(|r| local(r.0)),
            "insertedDate": local(self.inserted),
            "paymentMethod": payment.and_then(|p| p.method.clone()),
            "fee": payment.map_or(0, |p| p.fee), "notificationFee": 0,
            "pspCompany": payment.and_then(|p| p.psp_company.clone()),
            "idReceipt": payment.and_then(|p| p.id_receipt.clone()),
            "idFlowReporting": o.reporting.as_ref().map(|r| r.1.clone()),
            "status": o.status.as_str(), "lastUpdatedDate": local(o.last_updated),
            "paymentOptionMetadata": o.input.payment_option_metadata.clone().unwrap_or_default(),
            "transfer": o.transfers.iter().map(|t| json!({
                "organizationFiscalCode": t.organization_fiscal_code.clone().unwrap_or_else(|| self.org.clone()),
                "companyName": t.company_name, "idTransfer": t.id_transfer, "amount": t.amount,
                "remittanceInformation": t.remittance_information, "category": t.category,
                "iban": t.iban, "postalIban": t.postal_iban, "stamp": t.stamp,
                "insertedDate": local(self.inserted),
                "status": if o.reporting.is_some() { "T_REPORTED" } else { "T_UNREPORTED" },
                "lastUpdatedDate": local(o.last_updated),
                "transferMetadata": t.transfer_metadata.clone().unwrap_or_default(),
            })).collect::<Vec<_>>(),
        }))
    }

    /// `PaymentPositionModelBaseResponse`: the answer of GET and of the list.
    pub(crate) fn base_json(&self) -> Value {
        strip_nulls(json!({
            "iupd": self.input.iupd, "organizationFiscalCode": self.org, "type": self.input.kind,
            "companyName": self.input.company_name, "officeName": self.input.office_name,
            "insertedDate": local(self.inserted), "publishDate": self.published.map(local),
            "validityDate": self.validity.map(local), "paymentDate": self.payment_date.map(local),
            "status": self.status.as_str(), "lastUpdatedDate": local(self.last_updated),
            "paymentOption": self.options.iter().map(|o| self.option_json(o)).collect::<Vec<_>>(),
        }))
    }
}

impl State {
    pub(crate) fn new(creditors: Vec<MockCreditor>) -> State {
        State {
            creditors,
            positions: HashMap::new(),
            order: Vec::new(),
            creations: HashMap::new(),
            iuvs: HashMap::new(),
            receipts: BTreeMap::new(),
            carts: HashMap::new(),
            clock: None,
            faults: Faults::default(),
            rng: Rng::new(0),
            stats: CallStats::default(),
        }
    }

    pub(crate) fn now(&self) -> Timestamp {
        self.clock.unwrap_or_else(Timestamp::now)
    }

    /// A position, brought up to date with the clock.
    pub(crate) fn position_mut(
        &mut self,
        org: &str,
        iupd: &str,
    ) -> Result<&mut Position, GpdError> {
        let now = self.now();
        let position = self
            .positions
            .get_mut(&(org.to_owned(), iupd.to_owned()))
            .ok_or_else(|| GpdError::NotFound(format!("no debt position {iupd} for {org}")))?;
        position.refresh(now);
        Ok(position)
    }

    /// Every position of `org`, brought up to date, in creation order.
    pub(crate) fn positions_of(&mut self, org: &str) -> Vec<&Position> {
        let now = self.now();
        for position in self.positions.values_mut().filter(|p| p.org == org) {
            position.refresh(now);
        }
        self.order
            .iter()
            .filter(|(o, _)| o == org)
            .filter_map(|key| self.positions.get(key))
            .collect()
    }

    /// 409 if an option's IUV (so its NAV) is already used by another position of `org`.
    fn check_unique_iuvs(&self, candidate: &Position) -> Result<(), GpdError> {
        for option in &candidate.options {
            let key = (candidate.org.clone(), option.input.iuv.clone());
            if self
                .iuvs
                .get(&key)
                .is_some_and(|iupd| iupd != candidate.iupd())
            {
                return Err(GpdError::Conflict(format!(
                    "iuv {} (nav {}) already exists for the organization",
                    option.input.iuv, option.nav
                )));
            }
        }
        Ok(())
    }

    /// Records (or forgets) the IUVs of a position in the index.
    fn index_iuvs(&mut self, position: &Position, present: bool) {
        for option in &position.options {
            let key = (position.org.clone(), option.input.iuv.clone());
            if present {
                self.iuvs.insert(key, position.iupd().to_owned());
            } else {
                self.iuvs.remove(&key);
            }
        }
    }

    pub(crate) fn create(
        &mut self,
        org: &str,
        body: &Value,
        creditor: &MockCreditor,
        to_publish: bool,
    ) -> Result<Value, GpdError> {
        let now = self.now();
        let mut position = parse_position(org, body, creditor, now)?;
        let key = (org.to_owned(), position.iupd().to_owned());
        if self.positions.contains_key(&key) {
            return Err(GpdError::Conflict(format!(
                "debt position {} already exists for the organization",
                key.1
            )));
        }
        self.check_unique_iuvs(&position)?;
        if to_publish {
            position.publish(now)?;
        }
        let answer = position.model_json();
        self.index_iuvs(&position, true);
        self.positions.insert(key.clone(), position);
        self.order.push(key.clone());
        *self.creations.entry(key).or_insert(0) += 1;
        Ok(answer)
    }

    pub(crate) fn update(
        &mut self,
        org: &str,
        iupd: &str,
        body: &Value,
        creditor: &MockCreditor,
        to_publish: bool,
    ) -> Result<Value, GpdError> {
        let now = self.now();
        let existing = self.position_mut(org, iupd)?;
        existing.updatable()?;
        let inserted = existing.inserted;
        let mut position = parse_position(org, body, creditor, now)?;
        if position.iupd() != iupd {
            return Err(GpdError::BadRequest(format!(
                "the body's iupd {} differs from the path's {iupd}",
                position.iupd()
            )));
        }
        self.check_unique_iuvs(&position)?;
        position.inserted = inserted;
        if to_publish {
            position.publish(now)?;
        }
        let answer = position.model_json();
        if let Some(old) = self.positions.remove(&(org.to_owned(), iupd.to_owned())) {
            self.index_iuvs(&old, false);
        }
        self.index_iuvs(&position, true);
        self.positions
            .insert((org.to_owned(), iupd.to_owned()), position);
        Ok(answer)
    }

    pub(crate) fn delete(&mut self, org: &str, iupd: &str) -> Result<(), GpdError> {
        self.position_mut(org, iupd)?.deletable()?;
        let key = (org.to_owned(), iupd.to_owned());
        if let Some(old) = self.positions.remove(&key) {
            self.index_iuvs(&old, false);
        }
        self.order.retain(|k| *k != key);
        Ok(())
    }

    fn find_nav(&mut self, org: &str, nav: &str) -> Option<(String, usize)> {
        let now = self.now();
        // GPD's notice numbers are "3" + IUV.
        let iuv = nav.strip_prefix('3')?;
        let iupd = self.iuvs.get(&(org.to_owned(), iuv.to_owned()))?.clone();
        let position = self.positions.get_mut(&(org.to_owned(), iupd.clone()))?;
        let index = position.options.iter().position(|o| o.nav == nav)?;
        position.refresh(now);
        Some((iupd, index))
    }

    /// `POST .../paymentoptions/paids/{nav}`: the creditor was paid outside pagoPA.
    pub(crate) fn mark_paid_outside(
        &mut self,
        org: &str,
        nav: &str,
        payment_date: Option<Timestamp>,
    ) -> Result<Value, GpdError> {
        let now = self.now();
        let (iupd, index) = self
            .find_nav(org, nav)
            .ok_or_else(|| GpdError::NotFound(format!("no payment option {nav} for {org}")))?;
        let position = self.position_mut(org, &iupd)?;
        if position
            .options
            .get(index)
            .is_some_and(|o| o.status != OptionStatus::Unpaid)
        {
            return Err(GpdError::Conflict(format!(
                "payment option {nav} is already paid"
            )));
        }
        position
            .check_payable(index)
            .map_err(|e| GpdError::Unprocessable(e.to_string()))?;
        let payment = Payment {
            date: payment_date.unwrap_or(now),
            method: None,
            psp_company: None,
            id_receipt: None,
            fee: 0,
        };
        position.settle(index, payment, now);
        let option = position
            .options
            .get(index)
            .ok_or_else(|| GpdError::Internal("payment option vanished".to_owned()))?;
        let mut answer = position.option_json(option);
        if let Value::Object(map) = &mut answer {
            map.insert("serviceType".to_owned(), json!("GPD"));
        }
        Ok(answer)
    }

    /// A payment through pagoPA: the option becomes PO_PAID and a receipt is kept.
    pub(crate) fn pay(&mut self, org: &str, nav: &str) -> Result<PaidReceipt, PayError> {
        let now = self.now();
        let unknown = || PayError::UnknownNotice {
            org: org.to_owned(),
            nav: nav.to_owned(),
        };
        let (iupd, index) = self.find_nav(org, nav).ok_or_else(unknown)?;
        let position = self
            .positions
            .get_mut(&(org.to_owned(), iupd))
            .ok_or_else(unknown)?;
        if position
            .options
            .get(index)
            .is_some_and(|o| o.status != OptionStatus::Unpaid)
        {
            return Err(PayError::AlreadyPaid {
                org: org.to_owned(),
                nav: nav.to_owned(),
            });
        }
        position.check_payable(index)?;
        let receipt_id = random_id();
        position.settle(
            index,
            Payment {
                date: now,
                method: Some(PAYMENT_METHOD.to_owned()),
                psp_company: Some(PSP_COMPANY.to_owned()),
                id_receipt: Some(receipt_id.clone()),
                fee: FEE_CENTS,
            },
            now,
        );
        let option = position.options.get(index).ok_or_else(unknown)?;
        let receipt = PaidReceipt {
            organization_fiscal_code: org.to_owned(),
            company_name: position.input.company_name.clone(),
            iupd: position.iupd().to_owned(),
            iuv: option.input.iuv.clone(),
            nav: option.nav.clone(),
            receipt_id,
            amount: option.input.amount,
            fee: FEE_CENTS,
            description: option.input.description.clone(),
            debtor_fiscal_code: position.input.fiscal_code.clone(),
            debtor_full_name: position.input.full_name.clone(),
            payment_date_time: now,
            id_psp: ID_PSP.to_owned(),
            psp_company: PSP_COMPANY.to_owned(),
            payment_method: PAYMENT_METHOD.to_owned(),
            position_status: position.status.as_str().to_owned(),
        };
        let stored = StoredReceipt {
            xml: receipt_xml(position, option, &receipt),
            service: option
                .transfers
                .first()
                .map(|t| t.category.clone())
                .unwrap_or_default(),
            receipt: receipt.clone(),
        };
        self.receipts
            .insert((org.to_owned(), receipt.iuv.clone()), stored);
        Ok(receipt)
    }

    /// The reporting hook: a paid option's transfers appear in a (simulated) reporting flow;
    /// once every paid option is reported, a PAID position becomes REPORTED.
    pub(crate) fn report(&mut self, org: &str, nav: &str) -> Result<(), PayError> {
        let now = self.now();
        let unknown = || PayError::UnknownNotice {
            org: org.to_owned(),
            nav: nav.to_owned(),
        };
        let (iupd, index) = self.find_nav(org, nav).ok_or_else(unknown)?;
        let position = self
            .positions
            .get_mut(&(org.to_owned(), iupd))
            .ok_or_else(unknown)?;
        let option = position.options.get_mut(index).ok_or_else(unknown)?;
        if option.status != OptionStatus::Paid {
            return Err(PayError::NotPaid {
                org: org.to_owned(),
                nav: nav.to_owned(),
            });
        }
        let flow = format!("{}{ID_PSP}-{}", now.strftime("%Y-%m-%d"), &random_id()[..8]);
        option.status = OptionStatus::Reported;
        option.reporting = Some((now, flow));
        option.last_updated = now;
        if position.status == Status::Paid
            && position
                .options
                .iter()
                .all(|o| o.status != OptionStatus::Paid)
        {
            position.status = Status::Reported;
        }
        position.last_updated = now;
        Ok(())
    }
}

/// Where a notice stands, for the Checkout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NoticeState {
    Payable { amount: i64 },
    Paid { amount: i64 },
    NotPayable { amount: i64, status: Status },
}

impl State {
    /// The state of notice `nav` of `org`, if it exists.
    pub(crate) fn notice(&mut self, org: &str, nav: &str) -> Option<NoticeState> {
        let (iupd, index) = self.find_nav(org, nav)?;
        let position = self.positions.get(&(org.to_owned(), iupd))?;
        let option = position.options.get(index)?;
        let amount = option.input.amount;
        Some(if option.status != OptionStatus::Unpaid {
            NoticeState::Paid { amount }
        } else if position.check_payable(index).is_ok() {
            NoticeState::Payable { amount }
        } else {
            NoticeState::NotPayable {
                amount,
                status: position.status,
            }
        })
    }
}
