//! The back office (`/{comune}/ufficio/`): the queue of the clerk's offices with the days left
//! to each deadline, the pratica with its answers, attachments and full history, and the
//! office's steps. Only clerks of the deciding office (or the comune's administrators) get in.

mod pages;
pub(crate) mod permit;

use crate::AppState;
use axum::Router;
use axum::routing::{get, post};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/ufficio/", get(pages::queue))
        .route("/ufficio/pratiche.csv", get(pages::export))
        .route("/ufficio/approva", post(pages::bulk_approve))
        .route(
            "/ufficio/sportello",
            get(pages::counter).post(pages::start_at_counter),
        )
        .route("/ufficio/pratiche/{pratica}", get(pages::detail))
        .route(
            "/ufficio/pratiche/{pratica}/azioni/{action}",
            post(pages::act),
        )
        .route(
            "/ufficio/pratiche/{pratica}/allegati/{attachment}",
            get(pages::attachment),
        )
        .route(
            "/ufficio/pratiche/{pratica}/permesso.pdf",
            get(pages::permit_pdf),
        )
        .route(
            "/ufficio/pratiche/{pratica}/lettere/{seq}",
            get(pages::letter_pdf),
        )
        .route(
            "/area-personale/pratiche/{pratica}/permesso.pdf",
            get(permit::citizen_pdf),
        )
        .route("/verifica/{code}", get(permit::verify))
}
