//! Public pages and endpoints: the procedure times every comune publishes, and the ZTL
//! transit check for the traffic police (with its own access rule).

use crate::AppState;
use axum::Router;
use axum::routing::get;

mod fee_calculator;
mod times;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/ztl/check", get(crate::ztl::check))
        .route("/trasparenza/tempi-dei-procedimenti", get(times::show))
        .route(
            "/servizi/{service}/calcolo-canone",
            get(fee_calculator::show),
        )
}
