//! Prometheus metrics: request counts and latency histograms by route, and the outbox depth.

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

/// Latency buckets in seconds, from a cached page to a slow upstream call.
const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// The process-wide metrics recorder (Prometheus allows one per process).
#[derive(Clone)]
pub struct Metrics {
    handle: PrometheusHandle,
}

impl Metrics {
    /// Installs the recorder on first call; later calls share it.
    pub fn install() -> Result<Metrics, BuildError> {
        static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
        // Two first calls at once (tests do that) must not both install: the second would fail.
        static INSTALLING: Mutex<()> = Mutex::new(());
        let _installing = INSTALLING.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(handle) = HANDLE.get() {
            return Ok(Metrics {
                handle: handle.clone(),
            });
        }
        let handle = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full("http_request_duration_seconds".into()),
                &LATENCY_BUCKETS,
            )?
            .install_recorder()?;
        Ok(Metrics {
            handle: HANDLE.get_or_init(|| handle).clone(),
        })
    }

    pub fn render(&self) -> String {
        self.handle.render()
    }
}

pub(crate) async fn track(request: Request, next: Next) -> Response {
    // The route template (`/{tenant}/servizi/{service}`), never the raw path: bounded labels.
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}
