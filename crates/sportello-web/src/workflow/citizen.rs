//! The steps a citizen takes on their own request: answering a request for documents,
//! filing observations to a notice of intended refusal (L. 241/1990 art. 10-bis), withdrawing.

use sportello_domain::Tenant;
use sportello_domain::pratica::{Action, Statement};
use sportello_domain::text::LocalizedText;
use sportello_store::{Actor, Store, StoreError, StoredPratica};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CitizenAction {
    ReceiveDocuments,
    FileObservations,
    Withdraw,
}

impl CitizenAction {
    pub fn from_action(action: Action) -> Option<CitizenAction> {
        match action {
            Action::ReceiveDocuments => Some(CitizenAction::ReceiveDocuments),
            Action::FileObservations => Some(CitizenAction::FileObservations),
            Action::Withdraw => Some(CitizenAction::Withdraw),
            _ => None,
        }
    }

    /// The action's name in URLs and translation keys.
    pub fn key(self) -> &'static str {
        match self {
            CitizenAction::ReceiveDocuments => "documents",
            CitizenAction::FileObservations => "observations",
            CitizenAction::Withdraw => "withdraw",
        }
    }

    /// Observations are a text; a reply to a documents request and a withdrawal may say why.
    pub fn needs_text(self) -> bool {
        matches!(self, CitizenAction::FileObservations)
    }
}

/// Applies the step; `Err` carries what the citizen must be told (in both languages) when
/// the domain refuses it or the text is missing.
pub(crate) async fn act(
    store: &Store,
    tenant: &Tenant,
    pratica: &StoredPratica,
    action: CitizenAction,
    text: &str,
    actor: &Actor,
) -> Result<Result<(), LocalizedText>, StoreError> {
    let statement = match Statement::parse_optional(text) {
        Ok(statement) => statement,
        Err(error) => return Ok(Err(error.message())),
    };
    if action.needs_text() && statement.is_none() {
        return Ok(Err(LocalizedText {
            it: "Scrivi le tue osservazioni prima di inviarle.".into(),
            en: Some("Write your observations before sending them.".into()),
        }));
    }
    let calendar = &tenant.profile.calendar;
    let scope = store.scoped(tenant.id);
    let now = jiff::Timestamp::now();
    let outcome = scope
        .transition(pratica.id, pratica.version, None, calendar, actor, |p| {
            match action {
                CitizenAction::ReceiveDocuments => p.receive_documents(now, calendar, statement),
                CitizenAction::Withdraw => p.withdraw(now, statement),
                CitizenAction::FileObservations => match statement {
                    Some(text) => p.file_observations(now, text),
                    // Checked above: observations always carry a text.
                    None => Err(sportello_domain::pratica::TransitionError::NotAllowed {
                        action: Action::FileObservations,
                        state: p.state(),
                    }),
                },
            }
        })
        .await;
    match outcome {
        Ok(Ok(_)) => Ok(Ok(())),
        Ok(Err(refused)) => Ok(Err(refused.message())),
        Err(StoreError::Conflict(_)) => Ok(Err(LocalizedText {
            it: "La pratica è cambiata nel frattempo: ricarica la pagina e riprova.".into(),
            en: Some("The request changed in the meantime: reload the page and try again.".into()),
        })),
        Err(error) => Err(error),
    }
}
