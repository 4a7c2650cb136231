//! The citizen's payments: what they owe and have paid to the comune (their debt positions,
//! whatever made them: a request, a campaign, a spontaneous payment), paying through the
//! pagoPA Checkout, the payment notice to pay elsewhere, the receipt, and the comune's
//! catalogue of spontaneous payments. The pagoPA side is `sportello_pagopa`.

mod pages;
mod spontaneous;

use crate::{AppState, WebError};
use axum::Router;
use axum::routing::{get, post};
use sportello_pagopa::checkout::CheckoutClient;
use sportello_pagopa::{PagoPaSink, ReceiptWatcher};

pub(crate) use pages::{
    OfficePayment, PayRefusal, PositionRow, notice_response, office_payments, own_position,
    payable_rows, positions_of_pratica, start_checkout, state_label,
};

/// What the web needs of pagoPA: creating positions now, the Checkout, reading a position.
#[derive(Clone)]
pub struct PaymentServices {
    pub sink: PagoPaSink,
    pub checkout: CheckoutClient,
    pub watcher: ReceiptWatcher,
}

impl AppState {
    /// With the pagoPA clients of this installation; without them the pages still list what
    /// citizens owe and give notices, but "pay now" explains it is unavailable.
    pub fn with_payments(self, payments: PaymentServices) -> AppState {
        let _ = self.0.payments.set(payments);
        self
    }

    pub(crate) fn payments(&self) -> Result<&PaymentServices, WebError> {
        self.0.payments.get().ok_or(WebError::Unavailable)
    }
}

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/area-personale/pagamenti", get(pages::list))
        .route("/area-personale/pagamenti/{position}", get(pages::show))
        .route(
            "/area-personale/pagamenti/{position}/paga",
            post(pages::pay),
        )
        .route(
            "/area-personale/pagamenti/{position}/esito",
            get(pages::outcome),
        )
        .route(
            "/area-personale/pagamenti/{position}/avviso.pdf",
            get(pages::notice_pdf),
        )
        .route(
            "/area-personale/pagamenti/{position}/ricevute/{notice}",
            get(pages::receipt_pdf),
        )
        .route("/pagamenti", get(spontaneous::catalogue))
        .route(
            "/pagamenti/{payment}",
            get(spontaneous::form).post(spontaneous::create),
        )
}
