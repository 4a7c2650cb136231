//! A debt position: what one debtor owes the comune for one thing, with the ways to pay it
//! (one payment option, or a single payment plus instalments) and where each euro goes (up to
//! five transfers per option: the comune's account, a digital stamp). The rules here are those
//! pagoPA's GPD applies on creation, checked before anything is sent so a bad position is
//! refused in the citizen's or the clerk's language, not by a remote 400.

use super::iban::Iban;
use crate::pagopa::NoticeNumber;
use crate::{Cents, CodiceFiscale, EnteCodiceFiscale};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fmt;

/// GPD's limits on free text (company name, descriptions, remittance information).
pub const TEXT_MAX: usize = 140;
/// At most five transfers per payment option (`idTransfer` 1..5).
pub const MAX_TRANSFERS: usize = 5;
/// At most 100 payment options per position.
pub const MAX_OPTIONS: usize = 100;
/// The largest amount a notice can carry (eleven digits of cents).
pub const MAX_AMOUNT: Cents = Cents::new(99_999_999_999);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PositionError {
    #[error("the position identifier must be 1 to 70 letters, digits, '-', '_' or '.'")]
    Iupd,
    #[error("{field} is empty or longer than {TEXT_MAX} characters")]
    Text { field: &'static str },
    #[error("a position needs 1 to {MAX_OPTIONS} payment options")]
    OptionCount,
    #[error("a payment option needs 1 to {MAX_TRANSFERS} transfers")]
    TransferCount,
    #[error("every amount must be between 0,01 and 999.999.999,99 euro")]
    Amount,
    #[error("notice number {0} appears twice in the position")]
    DuplicateNotice(String),
    #[error("a position offers at most one single payment beside its instalments")]
    SinglePayments,
    #[error("a position with one option cannot be an instalment")]
    LoneInstalment,
    #[error("the debtor's identifier is neither a codice fiscale nor an 11-digit one")]
    Debtor,
    #[error(
        "a digital stamp needs the SHA-256 of the document (base64), a 2-character type and a province of 2 letters"
    )]
    Stamp,
    #[error("the taxonomy code {0:?} is not in the form 9/0101108TS/")]
    Category(String),
}

/// GPD's `iupd`: the position's identifier, unique per creditor and chosen by us. Sportello
/// derives it from what the position is for, so that asking twice (after a crash, a timeout)
/// names the same position and GPD's 409 tells us it exists.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Iupd(String);

impl Iupd {
    pub fn parse(value: &str) -> Result<Iupd, PositionError> {
        let ok = (1..=70).contains(&value.len())
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if ok {
            Ok(Iupd(value.to_owned()))
        } else {
            Err(PositionError::Iupd)
        }
    }

    /// `<creditor CF>-<origin>`, the form the GPD documentation suggests (creditor first).
    pub fn for_origin(creditor: &EnteCodiceFiscale, origin: &str) -> Result<Iupd, PositionError> {
        Iupd::parse(&format!("{}-{origin}", creditor.as_str()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Iupd {
    type Error = PositionError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Iupd::parse(&value)
    }
}

impl From<Iupd> for String {
    fn from(value: Iupd) -> Self {
        value.0
    }
}

impl fmt::Display for Iupd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// GPD's `type`: a natural person (`F`) or a legal person (`G`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DebtorKind {
    Person,
    Company,
}

impl DebtorKind {
    pub fn gpd_code(self) -> &'static str {
        match self {
            DebtorKind::Person => "F",
            DebtorKind::Company => "G",
        }
    }
}

/// Who owes: identified by codice fiscale (a person) or by the 11-digit one of a company.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Debtor {
    pub kind: DebtorKind,
    pub fiscal_code: String,
    pub full_name: String,
    pub email: Option<String>,
}

impl Debtor {
    pub fn person(fiscal_code: &CodiceFiscale, full_name: &str) -> Result<Debtor, PositionError> {
        Ok(Debtor {
            kind: DebtorKind::Person,
            fiscal_code: fiscal_code.as_str().to_owned(),
            full_name: text("debtor name", full_name)?,
            email: None,
        })
    }

    /// Recognises the kind from the identifier: 16 characters, a person; 11 digits, a company.
    pub fn identify(identifier: &str, full_name: &str) -> Result<Debtor, PositionError> {
        let identifier = identifier.trim().to_ascii_uppercase();
        let kind = if let Ok(cf) = CodiceFiscale::parse(&identifier) {
            return Debtor::person(&cf, full_name);
        } else if EnteCodiceFiscale::parse(&identifier).is_ok() {
            DebtorKind::Company
        } else {
            return Err(PositionError::Debtor);
        };
        Ok(Debtor {
            kind,
            fiscal_code: identifier,
            full_name: text("debtor name", full_name)?,
            email: None,
        })
    }
}

/// A *marca da bollo digitale* (DPR 642/1972 paid through pagoPA): bound to the document it
/// stamps by the document's digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigitalStamp {
    /// Base64 of the SHA-256 of the stamped document (GPD's `hashDocument`, ≤ 72 characters).
    pub document_hash: String,
    /// The stamp's type code: `01` for the €16 stamp on applications and permits.
    pub stamp_type: String,
    /// The province of the payer's residence, two letters.
    pub province: String,
}

impl DigitalStamp {
    /// The stamp type of the fixed €16 stamp duty.
    pub const STANDARD: &'static str = "01";

    pub fn new(
        document_hash: &str,
        stamp_type: &str,
        province: &str,
    ) -> Result<DigitalStamp, PositionError> {
        let hash_ok = (1..=72).contains(&document_hash.len())
            && document_hash
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='));
        let type_ok = stamp_type.len() == 2 && stamp_type.bytes().all(|b| b.is_ascii_digit());
        let province_ok = province.len() == 2 && province.bytes().all(|b| b.is_ascii_uppercase());
        if hash_ok && type_ok && province_ok {
            Ok(DigitalStamp {
                document_hash: document_hash.to_owned(),
                stamp_type: stamp_type.to_owned(),
                province: province.to_owned(),
            })
        } else {
            Err(PositionError::Stamp)
        }
    }
}

/// Where a transfer's money goes: an account of the comune, or the Treasury as a digital stamp.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Destination {
    Account {
        iban: Iban,
        /// The postal account's IBAN, when the comune also collects through Poste.
        postal_iban: Option<Iban>,
    },
    Stamp(DigitalStamp),
}

/// A pagoPA taxonomy code (`transferCategory`), e.g. `9/0101108TS/`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Taxonomy(String);

impl Taxonomy {
    pub fn parse(value: &str) -> Result<Taxonomy, PositionError> {
        // `<type digit>/<7-character code><2-letter kind>/`: the shape of the pagoPA taxonomy.
        let b = value.as_bytes();
        let ok = b.len() >= 5
            && b[0].is_ascii_digit()
            && b[1] == b'/'
            && b[b.len() - 1] == b'/'
            && b[2..b.len() - 1].iter().all(u8::is_ascii_alphanumeric);
        if ok {
            Ok(Taxonomy(value.to_owned()))
        } else {
            Err(PositionError::Category(value.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Taxonomy {
    type Error = PositionError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Taxonomy::parse(&value)
    }
}

impl From<Taxonomy> for String {
    fn from(value: Taxonomy) -> Self {
        value.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    pub amount: Cents,
    /// The remittance information the comune's treasurer sees (≤ 140 characters).
    pub remittance: String,
    pub category: Taxonomy,
    pub destination: Destination,
}

impl Transfer {
    pub fn new(
        amount: Cents,
        remittance: &str,
        category: Taxonomy,
        destination: Destination,
    ) -> Result<Transfer, PositionError> {
        Ok(Transfer {
            amount: amount_in_range(amount)?,
            remittance: text("remittance information", remittance)?,
            category,
            destination,
        })
    }
}

/// One way to pay the position: its own notice number, due date and transfers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentOption {
    pub notice_number: NoticeNumber,
    pub description: String,
    /// The last day to pay; pagoPA keeps the notice payable after it unless the position
    /// says `switch_to_expired`.
    pub due_date: Date,
    /// An instalment (GPD's `isPartialPayment`), as opposed to the single payment of the whole.
    pub instalment: bool,
    pub transfers: Vec<Transfer>,
}

impl PaymentOption {
    pub fn new(
        notice_number: NoticeNumber,
        description: &str,
        due_date: Date,
        instalment: bool,
        transfers: Vec<Transfer>,
    ) -> Result<PaymentOption, PositionError> {
        if transfers.is_empty() || transfers.len() > MAX_TRANSFERS {
            return Err(PositionError::TransferCount);
        }
        let option = PaymentOption {
            notice_number,
            description: text("description", description)?,
            due_date,
            instalment,
            transfers,
        };
        amount_in_range(option.amount())?;
        Ok(option)
    }

    /// The amount of the option: the sum of its transfers, which GPD requires to match.
    pub fn amount(&self) -> Cents {
        self.transfers
            .iter()
            .try_fold(Cents::ZERO, |sum, t| sum.checked_add(t.amount))
            .unwrap_or(Cents::new(i64::MAX))
    }
}

/// What the comune sends to GPD, and keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DebtPosition {
    pub iupd: Iupd,
    pub debtor: Debtor,
    /// The creditor's name as pagoPA shows it (`Comune di Borgoverde`).
    pub company_name: String,
    /// The office that collects (`Ufficio tributi`).
    pub office_name: Option<String>,
    /// Whether the notice stops being payable after its due date.
    pub switch_to_expired: bool,
    pub options: Vec<PaymentOption>,
}

impl DebtPosition {
    pub fn new(
        iupd: Iupd,
        debtor: Debtor,
        company_name: &str,
        office_name: Option<&str>,
        switch_to_expired: bool,
        options: Vec<PaymentOption>,
    ) -> Result<DebtPosition, PositionError> {
        if options.is_empty() || options.len() > MAX_OPTIONS {
            return Err(PositionError::OptionCount);
        }
        let mut seen = HashSet::new();
        for option in &options {
            if !seen.insert(option.notice_number.as_str().to_owned()) {
                return Err(PositionError::DuplicateNotice(
                    option.notice_number.as_str().to_owned(),
                ));
            }
        }
        let singles = options.iter().filter(|o| !o.instalment).count();
        if singles > 1 {
            return Err(PositionError::SinglePayments);
        }
        if options.len() == 1 && singles == 0 {
            return Err(PositionError::LoneInstalment);
        }
        Ok(DebtPosition {
            iupd,
            debtor,
            company_name: text("company name", company_name)?,
            office_name: office_name.map(|o| text("office name", o)).transpose()?,
            switch_to_expired,
            options,
        })
    }

    /// The single payment of the whole, if the position offers one.
    pub fn single(&self) -> Option<&PaymentOption> {
        self.options.iter().find(|o| !o.instalment)
    }

    pub fn instalments(&self) -> impl Iterator<Item = &PaymentOption> {
        self.options.iter().filter(|o| o.instalment)
    }

    /// What the position is for: the description of its single payment, or of its first
    /// option.
    pub fn description(&self) -> &str {
        self.single()
            .or_else(|| self.options.first())
            .map_or("", |o| o.description.as_str())
    }

    /// What paying the whole costs: the single payment, or the sum of the instalments.
    pub fn total(&self) -> Cents {
        match self.single() {
            Some(single) => single.amount(),
            None => self
                .instalments()
                .try_fold(Cents::ZERO, |sum, o| sum.checked_add(o.amount()))
                .unwrap_or(MAX_AMOUNT),
        }
    }

    pub fn option(&self, notice: &NoticeNumber) -> Option<&PaymentOption> {
        self.options.iter().find(|o| &o.notice_number == notice)
    }

    /// Whether the notices paid so far settle the whole: its single payment, or every
    /// instalment.
    pub fn is_paid_by(&self, paid: &[&str]) -> bool {
        let is_paid = |o: &PaymentOption| paid.contains(&o.notice_number.as_str());
        self.single().is_some_and(is_paid) || {
            let mut instalments = self.instalments().peekable();
            instalments.peek().is_some() && instalments.all(is_paid)
        }
    }

    /// The earliest due date of its options.
    pub fn first_due_date(&self) -> Option<Date> {
        self.options.iter().map(|o| o.due_date).min()
    }
}

/// A position's state at pagoPA (GPD's `status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PositionStatus {
    Draft,
    Published,
    Valid,
    Invalid,
    Expired,
    PartiallyPaid,
    Paid,
    Reported,
}

impl PositionStatus {
    pub const ALL: [PositionStatus; 8] = [
        PositionStatus::Draft,
        PositionStatus::Published,
        PositionStatus::Valid,
        PositionStatus::Invalid,
        PositionStatus::Expired,
        PositionStatus::PartiallyPaid,
        PositionStatus::Paid,
        PositionStatus::Reported,
    ];

    pub fn gpd_code(self) -> &'static str {
        match self {
            PositionStatus::Draft => "DRAFT",
            PositionStatus::Published => "PUBLISHED",
            PositionStatus::Valid => "VALID",
            PositionStatus::Invalid => "INVALID",
            PositionStatus::Expired => "EXPIRED",
            PositionStatus::PartiallyPaid => "PARTIALLY_PAID",
            PositionStatus::Paid => "PAID",
            PositionStatus::Reported => "REPORTED",
        }
    }

    pub fn from_gpd_code(code: &str) -> Option<PositionStatus> {
        PositionStatus::ALL
            .into_iter()
            .find(|s| s.gpd_code() == code)
    }

    /// Whether a citizen can pay it now on any pagoPA channel.
    pub fn is_payable(self) -> bool {
        matches!(self, PositionStatus::Valid | PositionStatus::PartiallyPaid)
    }

    /// Paid in full (reported means paid and settled to the comune's account).
    pub fn is_paid(self) -> bool {
        matches!(self, PositionStatus::Paid | PositionStatus::Reported)
    }

    /// Nothing more will happen to it at pagoPA but reporting.
    pub fn is_settled(self) -> bool {
        matches!(
            self,
            PositionStatus::Paid
                | PositionStatus::Reported
                | PositionStatus::Invalid
                | PositionStatus::Expired
        )
    }

    /// In Italian and English, for the citizen and the clerk.
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            PositionStatus::Draft | PositionStatus::Published => {
                ("In preparazione", "Being prepared")
            }
            PositionStatus::Valid => ("Da pagare", "To pay"),
            PositionStatus::Invalid => ("Annullato", "Cancelled"),
            PositionStatus::Expired => ("Scaduto", "Expired"),
            PositionStatus::PartiallyPaid => ("Pagato in parte", "Partly paid"),
            PositionStatus::Paid | PositionStatus::Reported => ("Pagato", "Paid"),
        }
    }
}

fn text(field: &'static str, value: &str) -> Result<String, PositionError> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > TEXT_MAX {
        Err(PositionError::Text { field })
    } else {
        Ok(value.to_owned())
    }
}

fn amount_in_range(amount: Cents) -> Result<Cents, PositionError> {
    if amount.get() >= 1 && amount <= MAX_AMOUNT {
        Ok(amount)
    } else {
        Err(PositionError::Amount)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pagopa::{IuvBase, SegregationCode};
    use jiff::civil::date;

    fn notice(n: u64) -> NoticeNumber {
        NoticeNumber::new(
            SegregationCode::new(1).unwrap(),
            IuvBase::new(2_026_000_000_000 + n).unwrap(),
        )
    }

    fn creditor() -> EnteCodiceFiscale {
        EnteCodiceFiscale::parse("00000000000").unwrap()
    }

    fn account(amount: i64) -> Transfer {
        Transfer::new(
            Cents::new(amount),
            "Canone unico",
            Taxonomy::parse("9/0101108TS/").unwrap(),
            Destination::Account {
                iban: Iban::parse("IT60X0542811101000000123456").unwrap(),
                postal_iban: None,
            },
        )
        .unwrap()
    }

    fn stamp() -> Transfer {
        Transfer::new(
            Cents::new(1600),
            "Imposta di bollo",
            Taxonomy::parse("9/0101108TS/").unwrap(),
            Destination::Stamp(
                DigitalStamp::new(
                    "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=",
                    DigitalStamp::STANDARD,
                    "RM",
                )
                .unwrap(),
            ),
        )
        .unwrap()
    }

    fn debtor() -> Debtor {
        Debtor::identify("rssmra80a01h501u", "Mario Rossi").unwrap()
    }

    #[test]
    fn an_option_costs_the_sum_of_its_transfers() {
        let option = PaymentOption::new(
            notice(1),
            "Permesso ZTL",
            date(2026, 12, 31),
            false,
            vec![account(5000), stamp()],
        )
        .unwrap();
        assert_eq!(option.amount(), Cents::new(6600));
        let position = DebtPosition::new(
            Iupd::for_origin(&creditor(), "pratica-1").unwrap(),
            debtor(),
            "Comune di Borgoverde",
            None,
            false,
            vec![option],
        )
        .unwrap();
        assert_eq!(position.total(), Cents::new(6600));
        assert_eq!(position.iupd.as_str(), "00000000000-pratica-1");
        assert_eq!(position.debtor.kind, DebtorKind::Person);
        assert_eq!(position.debtor.fiscal_code, "RSSMRA80A01H501U");
    }

    #[test]
    fn refuses_what_gpd_would_refuse() {
        let six = (0..6).map(|_| account(100)).collect();
        assert_eq!(
            PaymentOption::new(notice(1), "x", date(2026, 1, 1), false, six),
            Err(PositionError::TransferCount)
        );
        assert!(
            Transfer::new(
                Cents::ZERO,
                "x",
                Taxonomy::parse("9/0101108TS/").unwrap(),
                Destination::Stamp(DigitalStamp::new("aGFzaA==", "01", "RM").unwrap())
            )
            .is_err()
        );
        assert_eq!(
            PaymentOption::new(
                notice(1),
                &"x".repeat(141),
                date(2026, 1, 1),
                false,
                vec![account(1)]
            ),
            Err(PositionError::Text {
                field: "description"
            })
        );
        let option = |n, instalment| {
            PaymentOption::new(
                notice(n),
                "Rata",
                date(2026, 1, 1),
                instalment,
                vec![account(100)],
            )
            .unwrap()
        };
        let iupd = Iupd::parse("x").unwrap();
        let make =
            |options| DebtPosition::new(iupd.clone(), debtor(), "Comune", None, false, options);
        assert_eq!(make(vec![]), Err(PositionError::OptionCount));
        assert_eq!(
            make(vec![option(1, true)]),
            Err(PositionError::LoneInstalment)
        );
        assert_eq!(
            make(vec![option(1, false), option(2, false)]),
            Err(PositionError::SinglePayments)
        );
        assert!(matches!(
            make(vec![option(1, true), option(1, true)]),
            Err(PositionError::DuplicateNotice(_))
        ));
        let tari = make(vec![option(1, false), option(2, true), option(3, true)]).unwrap();
        assert_eq!(tari.instalments().count(), 2);
        assert_eq!(tari.total(), Cents::new(100));
        let n = |k| notice(k).as_str().to_owned();
        assert!(!tari.is_paid_by(&[&n(2)]));
        assert!(tari.is_paid_by(&[&n(2), &n(3)]));
        assert!(tari.is_paid_by(&[&n(1)]));
        assert_eq!(Iupd::parse("a b"), Err(PositionError::Iupd));
        assert_eq!(
            DigitalStamp::new("hash", "1", "RM"),
            Err(PositionError::Stamp)
        );
        assert!(Taxonomy::parse("0101108TS").is_err());
        assert_eq!(Debtor::identify("X", "Y"), Err(PositionError::Debtor));
        assert_eq!(
            Debtor::identify("00000000000", "Ditta").unwrap().kind,
            DebtorKind::Company
        );
    }

    #[test]
    fn statuses_round_trip_through_their_gpd_codes() {
        for status in PositionStatus::ALL {
            assert_eq!(
                PositionStatus::from_gpd_code(status.gpd_code()),
                Some(status)
            );
        }
        assert!(PositionStatus::Valid.is_payable());
        assert!(!PositionStatus::Published.is_payable());
        assert!(PositionStatus::Reported.is_paid());
    }
}
