//! Operations endpoints for load balancers and monitoring.

use crate::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Alive: the process answers. Touches nothing else, so a slow database never restarts it.
pub(crate) async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

/// Ready: the database answers and its schema is the one this binary expects.
pub(crate) async fn readyz(State(state): State<AppState>) -> Response {
    let store = state.store();
    let database = store.ping().await;
    let migrations = store.migration_status().await;
    match (database, migrations) {
        (Ok(()), Ok(status)) if status.is_current() => {
            Json(json!({ "status": "ready", "database": store.backend().name(), "migrations": status.applied }))
                .into_response()
        }
        (Ok(()), Ok(status)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "migrations-pending", "pending": status.pending, "unknown": status.unknown })),
        )
            .into_response(),
        (Err(error), _) | (_, Err(error)) => {
            tracing::warn!(%error, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "database-unavailable" }))).into_response()
        }
    }
}

/// Prometheus text format. The outbox depth is read at scrape time.
pub(crate) async fn metrics(State(state): State<AppState>) -> Response {
    match state.store().outbox_depth().await {
        Ok(depth) => {
            metrics::gauge!("sportello_outbox_messages", "status" => "pending")
                .set(depth.pending as f64);
            metrics::gauge!("sportello_outbox_messages", "status" => "failed")
                .set(depth.failed as f64);
        }
        Err(error) => tracing::warn!(%error, "cannot read the outbox depth"),
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.0.metrics.render(),
    )
        .into_response()
}
