//! The GPD v1 wire format (`PaymentPositionModel` and its parts), built from the domain's
//! [`DebtPosition`]. Field names and limits follow `openapi_external_v1.json`.

use serde::{Deserialize, Serialize};
use sportello_domain::payment::{DebtPosition, Destination, PositionStatus};

/// The body of a create or update.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentPositionModel {
    pub iupd: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub fiscal_code: String,
    pub full_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub company_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub office_name: Option<String>,
    pub switch_to_expired: bool,
    pub payment_option: Vec<PaymentOptionModel>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentOptionModel {
    /// The IUV: GPD derives the notice number as `3` + IUV.
    pub iuv: String,
    pub amount: i64,
    pub description: String,
    pub is_partial_payment: bool,
    /// A local date-time as GPD's Java side reads it: the end of the due day.
    pub due_date: String,
    pub transfer: Vec<TransferModel>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransferModel {
    pub id_transfer: String,
    pub amount: i64,
    pub remittance_information: String,
    pub category: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iban: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_iban: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stamp: Option<StampModel>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StampModel {
    pub hash_document: String,
    pub stamp_type: String,
    pub provincial_residence: String,
}

impl From<&DebtPosition> for PaymentPositionModel {
    fn from(position: &DebtPosition) -> Self {
        PaymentPositionModel {
            iupd: position.iupd.as_str().to_owned(),
            kind: position.debtor.kind.gpd_code().to_owned(),
            fiscal_code: position.debtor.fiscal_code.clone(),
            full_name: position.debtor.full_name.clone(),
            email: position.debtor.email.clone(),
            company_name: position.company_name.clone(),
            office_name: position.office_name.clone(),
            switch_to_expired: position.switch_to_expired,
            payment_option: position
                .options
                .iter()
                .map(|option| PaymentOptionModel {
                    iuv: option.notice_number.iuv().as_str().to_owned(),
                    amount: option.amount().get(),
                    description: option.description.clone(),
                    is_partial_payment: option.instalment,
                    due_date: format!("{}T23:59:59", option.due_date),
                    transfer: option
                        .transfers
                        .iter()
                        .enumerate()
                        .map(|(i, transfer)| {
                            let (iban, postal_iban, stamp) = match &transfer.destination {
                                Destination::Account { iban, postal_iban } => (
                                    Some(iban.as_str().to_owned()),
                                    postal_iban.as_ref().map(|p| p.as_str().to_owned()),
                                    None,
                                ),
                                Destination::Stamp(stamp) => (
                                    None,
                                    None,
                                    Some(StampModel {
                                        hash_document: stamp.document_hash.clone(),
                                        stamp_type: stamp.stamp_type.clone(),
                                        provincial_residence: stamp.province.clone(),
                                    }),
                                ),
                            };
                            TransferModel {
                                id_transfer: (i + 1).to_string(),
                                amount: transfer.amount.get(),
                                remittance_information: transfer.remittance.clone(),
                                category: transfer.category.as_str().to_owned(),
                                iban,
                                postal_iban,
                                stamp,
                            }
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// What GPD answers about a position (`PaymentPositionModelBaseResponse`, and the parts of
/// `PaymentPositionModel` a create returns). Unknown fields are ignored: GPD adds some.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PositionResponse {
    pub iupd: String,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub payment_date: Option<String>,
    #[serde(default)]
    pub payment_option: Vec<OptionResponse>,
}

impl PositionResponse {
    pub fn status(&self) -> Option<PositionStatus> {
        self.status
            .as_deref()
            .and_then(PositionStatus::from_gpd_code)
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OptionResponse {
    #[serde(default)]
    pub nav: Option<String>,
    pub iuv: String,
    #[serde(default)]
    pub amount: Option<i64>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub payment_date: Option<String>,
    #[serde(default)]
    pub payment_method: Option<String>,
    #[serde(default)]
    pub psp_company: Option<String>,
    #[serde(default)]
    pub id_receipt: Option<String>,
    #[serde(default)]
    pub fee: Option<i64>,
}

impl OptionResponse {
    pub fn is_paid(&self) -> bool {
        matches!(
            self.status.as_deref(),
            Some("PO_PAID" | "PO_PARTIALLY_REPORTED" | "PO_REPORTED")
        )
    }
}

/// A page of the receipts list (`gpd_payments.json`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptsPage {
    #[serde(default)]
    pub current_page_number: i64,
    #[serde(default)]
    pub total_pages: i64,
    #[serde(default)]
    pub results: Vec<ReceiptSummary>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptSummary {
    pub organization_fiscal_code: String,
    pub iuv: String,
    #[serde(default)]
    pub debtor: Option<String>,
    #[serde(default)]
    pub payment_date_time: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
}

/// Parses GPD's date-times: with an offset, or local (GPD's Java `LocalDateTime`, which is
/// the time of Rome).
pub fn parse_gpd_time(value: &str) -> Option<jiff::Timestamp> {
    if let Ok(ts) = value.parse::<jiff::Timestamp>() {
        return Some(ts);
    }
    let local: jiff::civil::DateTime = value.parse().ok()?;
    local
        .to_zoned(sportello_domain::calendar::rome().clone())
        .ok()
        .map(|z| z.timestamp())
}

/// A page of positions (`PaymentPositionsInfo`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PositionsPage {
    #[serde(default)]
    pub payment_position_list: Vec<PositionResponse>,
    pub page_info: PageInfo,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PageInfo {
    pub page: i64,
    #[serde(default)]
    pub total_pages: i64,
}
