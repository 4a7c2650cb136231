//! Public pages and endpoints that need no login: the ZTL transit check for the traffic
//! police sits here with its own access rule.

use crate::AppState;
use axum::Router;
use axum::routing::get;

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/ztl/check", get(crate::ztl::check))
}
