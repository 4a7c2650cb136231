//! Why a step cannot be taken on a pratica.

use crate::pratica::{EventActor, PraticaState};
use crate::text::LocalizedText;
use crate::{Cents, Lang};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// Every step of a pratica's life after submission, one per transition method of
/// [`Pratica`](crate::pratica::Pratica).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    TakeCharge,
    Assign,
    RequestDocuments,
    ReceiveDocuments,
    ResumeReview,
    NoticeRefusal,
    FileObservations,
    Approve,
    GrantBySilence,
    Reject,
    RequestPayment,
    RecordPayment,
    IssuePermit,
    Expire,
    Revoke,
    MarkRenewed,
    Withdraw,
}

impl Action {
    pub const ALL: [Action; 17] = [
        Action::TakeCharge,
        Action::Assign,
        Action::RequestDocuments,
        Action::ReceiveDocuments,
        Action::ResumeReview,
        Action::NoticeRefusal,
        Action::FileObservations,
        Action::Approve,
        Action::GrantBySilence,
        Action::Reject,
        Action::RequestPayment,
        Action::RecordPayment,
        Action::IssuePermit,
        Action::Expire,
        Action::Revoke,
        Action::MarkRenewed,
        Action::Withdraw,
    ];

    /// Who normally takes the step (the event records it so).
    pub fn actor(self) -> EventActor {
        match self {
            Action::ReceiveDocuments | Action::FileObservations | Action::Withdraw => {
                EventActor::Citizen
            }
            Action::GrantBySilence
            | Action::RecordPayment
            | Action::Expire
            | Action::MarkRenewed => EventActor::System,
            Action::TakeCharge
            | Action::Assign
            | Action::RequestDocuments
            | Action::ResumeReview
            | Action::NoticeRefusal
            | Action::Approve
            | Action::Reject
            | Action::RequestPayment
            | Action::IssuePermit
            | Action::Revoke => EventActor::Office,
        }
    }

    /// The step as a verb phrase, to complete "Non è possibile …" / "Cannot …".
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Action::TakeCharge, Lang::It) => "prendere in carico la richiesta",
            (Action::TakeCharge, Lang::En) => "take the request in charge",
            (Action::Assign, Lang::It) => "assegnare la richiesta",
            (Action::Assign, Lang::En) => "assign the request",
            (Action::RequestDocuments, Lang::It) => "richiedere un'integrazione",
            (Action::RequestDocuments, Lang::En) => "request documents",
            (Action::ReceiveDocuments, Lang::It) => "inviare l'integrazione",
            (Action::ReceiveDocuments, Lang::En) => "send the documents",
            (Action::ResumeReview, Lang::It) => "riprendere l'istruttoria",
            (Action::ResumeReview, Lang::En) => "resume the review",
            (Action::NoticeRefusal, Lang::It) => "inviare il preavviso di rigetto",
            (Action::NoticeRefusal, Lang::En) => "send a notice of intended refusal",
            (Action::FileObservations, Lang::It) => "presentare osservazioni",
            (Action::FileObservations, Lang::En) => "submit observations",
            (Action::Approve, Lang::It) => "accogliere la richiesta",
            (Action::Approve, Lang::En) => "approve the request",
            (Action::GrantBySilence, Lang::It) => "accogliere la richiesta per silenzio-assenso",
            (Action::GrantBySilence, Lang::En) => "grant the request by silent consent",
            (Action::Reject, Lang::It) => "respingere la richiesta",
            (Action::Reject, Lang::En) => "reject the request",
            (Action::RequestPayment, Lang::It) => "richiedere il pagamento",
            (Action::RequestPayment, Lang::En) => "request the payment",
            (Action::RecordPayment, Lang::It) => "registrare il pagamento",
            (Action::RecordPayment, Lang::En) => "record the payment",
            (Action::IssuePermit, Lang::It) => "rilasciare l'autorizzazione",
            (Action::IssuePermit, Lang::En) => "issue the permit",
            (Action::Expire, Lang::It) => "dichiarare scaduta l'autorizzazione",
            (Action::Expire, Lang::En) => "mark the permit expired",
            (Action::Revoke, Lang::It) => "revocare l'autorizzazione",
            (Action::Revoke, Lang::En) => "revoke the permit",
            (Action::MarkRenewed, Lang::It) => "segnare l'autorizzazione come rinnovata",
            (Action::MarkRenewed, Lang::En) => "mark the permit renewed",
            (Action::Withdraw, Lang::It) => "ritirare la richiesta",
            (Action::Withdraw, Lang::En) => "withdraw the request",
        }
    }
}

/// A step that the law or the life of the pratica forbids. `Display` is for logs; show
/// [`TransitionError::message`] to people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("cannot {action:?} a pratica in state {state}")]
    NotAllowed { action: Action, state: PraticaState },
    #[error("event at {at} is earlier than the last one, at {last}")]
    OutOfOrder { at: Timestamp, last: Timestamp },
    #[error("the term is suspended for documents until {resumes_by}: resume the review first")]
    SuspendedForDocuments { resumes_by: Date },
    #[error("documents were already requested on {on}: art. 2 c. 7 allows one suspension")]
    DocumentsAlreadyRequested { on: Date },
    #[error("a notice of intended refusal was already sent on {on}")]
    RefusalAlreadyNoticed { on: Date },
    #[error("a refusal needs the art. 10-bis notice first")]
    RefusalNoticeRequired,
    #[error("the applicant may file observations until {until}")]
    ObservationWindowOpen { until: Date },
    #[error("observations were already filed on {on}")]
    ObservationsAlreadyFiled { on: Date },
    #[error("observations were due by {deadline}")]
    ObservationsLate { deadline: Date },
    #[error("the refusal must say why the observations were not accepted")]
    ObservationsNotAddressed,
    #[error("no observations were filed, so there are none to answer")]
    NoObservationsToAddress,
    #[error("silence-assent formed when the term ended on {deadline} (art. 20, art. 2 c. 8-bis)")]
    SilenceAssentFormed { deadline: Date },
    #[error("the procedure is not one of silence-assent")]
    SilenceIsNotAssent,
    #[error("the term runs until {deadline}")]
    TermNotExpired { deadline: Date },
    #[error("the term is suspended until {resumes_by}")]
    TermSuspended { resumes_by: Date },
    #[error("the amount due cannot be negative: {amount}")]
    NegativeAmount { amount: Cents },
    #[error("nothing is owed for this request")]
    NothingToPay,
    #[error("{amount} is still to be paid")]
    PaymentOutstanding { amount: Cents },
    #[error("the permit is valid until {until}")]
    PermitStillValid { until: Date },
}

fn day(date: Date) -> String {
    date.strftime("%d/%m/%Y").to_string()
}

impl TransitionError {
    /// The explanation for the clerk or the citizen who tried the step.
    pub fn message(&self) -> LocalizedText {
        let (it, en) = match self {
            TransitionError::NotAllowed { action, state } => (
                format!(
                    "Non è possibile {}: la pratica è nello stato «{}».",
                    action.label(Lang::It),
                    state.label(Lang::It)
                ),
                format!(
                    "You cannot {}: the request is “{}”.",
                    action.label(Lang::En),
                    state.label(Lang::En)
                ),
            ),
            TransitionError::OutOfOrder { .. } => (
                "La pratica è stata modificata nel frattempo: ricarica la pagina e riprova."
                    .to_owned(),
                "The request changed in the meantime: reload the page and try again.".to_owned(),
            ),
            TransitionError::SuspendedForDocuments { resumes_by } => (
                format!(
                    "Il termine è sospeso in attesa di integrazioni (al più fino al {}): \
                     registra i documenti ricevuti o riprendi l'istruttoria prima di decidere.",
                    day(*resumes_by)
                ),
                format!(
                    "The term is suspended waiting for documents (until {} at the latest): \
                     record the documents or resume the review before deciding.",
                    day(*resumes_by)
                ),
            ),
            TransitionError::DocumentsAlreadyRequested { on } => (
                format!(
                    "Un'integrazione è già stata richiesta il {}: la legge consente di \
                     sospendere il termine una sola volta (L. 241/1990, art. 2, c. 7).",
                    day(*on)
                ),
                format!(
                    "Documents were already requested on {}: the law allows the term to be \
                     suspended only once (L. 241/1990, art. 2(7)).",
                    day(*on)
                ),
            ),
            TransitionError::RefusalAlreadyNoticed { on } => (
                format!(
                    "Il preavviso di rigetto è già stato inviato il {}.",
                    day(*on)
                ),
                format!(
                    "The notice of intended refusal was already sent on {}.",
                    day(*on)
                ),
            ),
            TransitionError::RefusalNoticeRequired => (
                "Prima di respingere la richiesta occorre inviare il preavviso di rigetto \
                 (L. 241/1990, art. 10-bis)."
                    .to_owned(),
                "Before rejecting the request you must send the notice of intended refusal \
                 (L. 241/1990, art. 10-bis)."
                    .to_owned(),
            ),
            TransitionError::ObservationWindowOpen { until } => (
                format!(
                    "Il richiedente può presentare osservazioni fino al {}: attendi prima di \
                     respingere.",
                    day(*until)
                ),
                format!(
                    "The applicant may submit observations until {}: wait before rejecting.",
                    day(*until)
                ),
            ),
            TransitionError::ObservationsAlreadyFiled { on } => (
                format!("Le osservazioni sono già state presentate il {}.", day(*on)),
                format!("Observations were already submitted on {}.", day(*on)),
            ),
            TransitionError::ObservationsLate { deadline } => (
                format!(
                    "Il termine per presentare osservazioni è scaduto il {}.",
                    day(*deadline)
                ),
                format!(
                    "The time to submit observations ended on {}.",
                    day(*deadline)
                ),
            ),
            TransitionError::ObservationsNotAddressed => (
                "Il diniego deve indicare i motivi per cui non sono state accolte le \
                 osservazioni del richiedente (L. 241/1990, art. 10-bis)."
                    .to_owned(),
                "The refusal must state why the applicant's observations were not accepted \
                 (L. 241/1990, art. 10-bis)."
                    .to_owned(),
            ),
            TransitionError::NoObservationsToAddress => (
                "Il richiedente non ha presentato osservazioni: non c'è nulla da confutare."
                    .to_owned(),
                "The applicant submitted no observations: there is nothing to answer.".to_owned(),
            ),
            TransitionError::SilenceAssentFormed { deadline } => (
                format!(
                    "Il termine è scaduto il {} e la richiesta è accolta per silenzio-assenso \
                     (L. 241/1990, art. 20): un provvedimento successivo sarebbe inefficace \
                     (art. 2, c. 8-bis). Resta possibile solo l'annullamento d'ufficio \
                     (art. 21-nonies).",
                    day(*deadline)
                ),
                format!(
                    "The term ended on {} and the request is granted by silent consent \
                     (L. 241/1990, art. 20): a later decision would have no effect \
                     (art. 2(8-bis)). Only annulment in self-redress (art. 21-nonies) remains.",
                    day(*deadline)
                ),
            ),
            TransitionError::SilenceIsNotAssent => (
                "Per questo procedimento il silenzio non equivale ad accoglimento.".to_owned(),
                "For this procedure silence does not mean consent.".to_owned(),
            ),
            TransitionError::TermNotExpired { deadline } => (
                format!("Il termine del procedimento scade il {}.", day(*deadline)),
                format!("The term of the procedure ends on {}.", day(*deadline)),
            ),
            TransitionError::TermSuspended { resumes_by } => (
                format!(
                    "Il termine è sospeso (al più fino al {}).",
                    day(*resumes_by)
                ),
                format!(
                    "The term is suspended (until {} at the latest).",
                    day(*resumes_by)
                ),
            ),
            TransitionError::NegativeAmount { amount } => (
                format!("L'importo dovuto non può essere negativo ({amount})."),
                format!("The amount due cannot be negative ({amount})."),
            ),
            TransitionError::NothingToPay => (
                "Per questa richiesta non è dovuto alcun importo.".to_owned(),
                "Nothing is owed for this request.".to_owned(),
            ),
            TransitionError::PaymentOutstanding { amount } => (
                format!(
                    "L'autorizzazione si rilascia dopo il pagamento di {amount}, non ancora \
                     ricevuto."
                ),
                format!("The permit is issued after the payment of {amount}, not received yet."),
            ),
            TransitionError::PermitStillValid { until } => (
                format!("L'autorizzazione è valida fino al {}.", day(*until)),
                format!("The permit is valid until {}.", day(*until)),
            ),
        };
        LocalizedText { it, en: Some(en) }
    }
}
