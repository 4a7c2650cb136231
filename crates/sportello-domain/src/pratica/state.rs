//! The states of a pratica.

use crate::Lang;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a pratica stands. Drafts are not pratiche: a pratica exists from submission.
///
/// ```text
/// Submitted ─take_charge→ InReview ─request_documents→ DocumentsRequested
///                            ↑  ←receive_documents / resume_review─┘
///                            ├─notice_refusal→ RefusalNoticed ─reject→ Rejected
///                            │                     │ (file_observations stays here)
///                            └─approve──────────→ Approved ←─approve─┘
/// any open state ─grant_by_silence→ Approved        any open state ─withdraw→ Withdrawn
/// Approved ─request_payment→ AwaitingPayment ─record_payment→ PaymentReceived
/// Approved (nothing owed) / PaymentReceived ─issue_permit→ PermitIssued
/// PermitIssued ─expire→ Expired | ─revoke→ Revoked | ─mark_renewed→ Renewed
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PraticaState {
    /// Filed and protocolled; nobody has taken it in charge yet.
    Submitted,
    /// A clerk is examining it.
    InReview,
    /// The office asked for documents: the term is suspended (art. 2 c. 7).
    DocumentsRequested,
    /// The office announced a refusal and waits for observations (art. 10-bis).
    RefusalNoticed,
    /// Granted, expressly or by silence; a permit is still to be issued.
    Approved,
    /// Granted; the citizen has to pay before the permit is issued.
    AwaitingPayment,
    /// Paid; the permit is to be issued.
    PaymentReceived,
    /// The permit is in force (within its validity dates).
    PermitIssued,
    Rejected,
    /// The citizen withdrew the request before a decision.
    Withdrawn,
    /// The permit's validity ended.
    Expired,
    Revoked,
    /// The permit was replaced by the one of a renewal request.
    Renewed,
}

impl PraticaState {
    pub const ALL: [PraticaState; 13] = [
        PraticaState::Submitted,
        PraticaState::InReview,
        PraticaState::DocumentsRequested,
        PraticaState::RefusalNoticed,
        PraticaState::Approved,
        PraticaState::AwaitingPayment,
        PraticaState::PaymentReceived,
        PraticaState::PermitIssued,
        PraticaState::Rejected,
        PraticaState::Withdrawn,
        PraticaState::Expired,
        PraticaState::Revoked,
        PraticaState::Renewed,
    ];

    /// The stable key, as stored and in URLs (the serde form).
    pub fn key(self) -> &'static str {
        match self {
            PraticaState::Submitted => "submitted",
            PraticaState::InReview => "in-review",
            PraticaState::DocumentsRequested => "documents-requested",
            PraticaState::RefusalNoticed => "refusal-noticed",
            PraticaState::Approved => "approved",
            PraticaState::AwaitingPayment => "awaiting-payment",
            PraticaState::PaymentReceived => "payment-received",
            PraticaState::PermitIssued => "permit-issued",
            PraticaState::Rejected => "rejected",
            PraticaState::Withdrawn => "withdrawn",
            PraticaState::Expired => "expired",
            PraticaState::Revoked => "revoked",
            PraticaState::Renewed => "renewed",
        }
    }

    pub fn from_key(key: &str) -> Option<PraticaState> {
        PraticaState::ALL
            .into_iter()
            .find(|state| state.key() == key)
    }

    /// The name of the state as the citizen and the clerk read it.
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (PraticaState::Submitted, Lang::It) => "Presentata",
            (PraticaState::Submitted, Lang::En) => "Submitted",
            (PraticaState::InReview, Lang::It) => "In istruttoria",
            (PraticaState::InReview, Lang::En) => "Under review",
            (PraticaState::DocumentsRequested, Lang::It) => "Integrazione richiesta",
            (PraticaState::DocumentsRequested, Lang::En) => "Documents requested",
            (PraticaState::RefusalNoticed, Lang::It) => "Preavviso di rigetto",
            (PraticaState::RefusalNoticed, Lang::En) => "Notice of intended refusal",
            (PraticaState::Approved, Lang::It) => "Accolta",
            (PraticaState::Approved, Lang::En) => "Approved",
            (PraticaState::AwaitingPayment, Lang::It) => "In attesa di pagamento",
            (PraticaState::AwaitingPayment, Lang::En) => "Awaiting payment",
            (PraticaState::PaymentReceived, Lang::It) => "Pagamento ricevuto",
            (PraticaState::PaymentReceived, Lang::En) => "Payment received",
            (PraticaState::PermitIssued, Lang::It) => "Autorizzazione rilasciata",
            (PraticaState::PermitIssued, Lang::En) => "Permit issued",
            (PraticaState::Rejected, Lang::It) => "Respinta",
            (PraticaState::Rejected, Lang::En) => "Rejected",
            (PraticaState::Withdrawn, Lang::It) => "Ritirata",
            (PraticaState::Withdrawn, Lang::En) => "Withdrawn",
            (PraticaState::Expired, Lang::It) => "Scaduta",
            (PraticaState::Expired, Lang::En) => "Expired",
            (PraticaState::Revoked, Lang::It) => "Revocata",
            (PraticaState::Revoked, Lang::En) => "Revoked",
            (PraticaState::Renewed, Lang::It) => "Rinnovata",
            (PraticaState::Renewed, Lang::En) => "Renewed",
        }
    }

    /// Waiting for the office's decision: the term of the procedure applies, the citizen may
    /// withdraw, silence-assent can form.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            PraticaState::Submitted
                | PraticaState::InReview
                | PraticaState::DocumentsRequested
                | PraticaState::RefusalNoticed
        )
    }

    /// Nothing can happen to the pratica any more.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            PraticaState::Rejected
                | PraticaState::Withdrawn
                | PraticaState::Expired
                | PraticaState::Revoked
                | PraticaState::Renewed
        )
    }
}

impl fmt::Display for PraticaState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_match_serde() {
        for state in PraticaState::ALL {
            assert_eq!(PraticaState::from_key(state.key()), Some(state));
            let value =
                toml::Value::try_from(std::collections::BTreeMap::from([("s", state)])).unwrap();
            assert_eq!(value.get("s").and_then(|v| v.as_str()), Some(state.key()));
        }
        assert_eq!(PraticaState::from_key("InReview"), None);
        assert_eq!(PraticaState::from_key(""), None);
    }

    #[test]
    fn every_state_is_labelled_in_both_languages() {
        for state in PraticaState::ALL {
            let it = state.label(Lang::It);
            let en = state.label(Lang::En);
            assert!(!it.is_empty() && !en.is_empty());
            assert_ne!(it, state.key());
        }
    }

    #[test]
    fn open_and_final_are_disjoint_and_classify_every_state() {
        let cases = [
            (PraticaState::Submitted, true, false),
            (PraticaState::InReview, true, false),
            (PraticaState::DocumentsRequested, true, false),
            (PraticaState::RefusalNoticed, true, false),
            (PraticaState::Approved, false, false),
            (PraticaState::AwaitingPayment, false, false),
            (PraticaState::PaymentReceived, false, false),
            (PraticaState::PermitIssued, false, false),
            (PraticaState::Rejected, false, true),
            (PraticaState::Withdrawn, false, true),
            (PraticaState::Expired, false, true),
            (PraticaState::Revoked, false, true),
            (PraticaState::Renewed, false, true),
        ];
        assert_eq!(cases.len(), PraticaState::ALL.len());
        for (state, open, last) in cases {
            assert_eq!(state.is_open(), open, "{state}");
            assert_eq!(state.is_final(), last, "{state}");
        }
    }
}
