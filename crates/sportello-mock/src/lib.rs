//! Local stand-ins for the services Sportello talks to, mounted under `/_mock/` by
//! `sportello demo` and used by the tests. They follow the official specifications below the
//! prefix, so a client only changes its base URL. `sportello serve` never mounts them: no
//! production configuration can switch them on.
//!
//! Today: the outbox sink, which records every side effect the demo would send to the outside
//! world and shows it at `/_mock/outbox`. The identity provider, pagoPA and App IO stand-ins
//! land here with their integrations.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::todo)]

pub mod idp;

use axum::extract::State;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::{Json, Router};
use sportello_store::outbox::{DeliveryError, Message, Sink};
use std::sync::{Arc, Mutex, MutexGuard};

/// A side effect the demo performed, as the outside world would have received it.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivered {
    pub topic: String,
    pub idempotency_key: String,
    pub payload: serde_json::Value,
    pub attempt: u32,
}

/// The stand-ins of one demo process.
#[derive(Clone, Default)]
pub struct MockServices {
    delivered: Arc<Mutex<Vec<Delivered>>>,
}

/// Delivers outbox messages into the [`MockServices`] that made it.
#[derive(Clone)]
pub struct MockSink {
    delivered: Arc<Mutex<Vec<Delivered>>>,
}

fn lock(list: &Mutex<Vec<Delivered>>) -> MutexGuard<'_, Vec<Delivered>> {
    // A panic while holding the lock cannot leave the list half-written: pushes are atomic.
    list.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Sink for MockSink {
    async fn deliver(&self, message: &Message) -> Result<(), DeliveryError> {
        let mut delivered = lock(&self.delivered);
        // Idempotent on the key, as the real services must be made to be.
        if !delivered
            .iter()
            .any(|d| d.idempotency_key == message.idempotency_key)
        {
            delivered.push(Delivered {
                topic: message.topic.clone(),
                idempotency_key: message.idempotency_key.clone(),
                payload: message.payload.clone(),
                attempt: message.attempt,
            });
        }
        Ok(())
    }
}

impl MockServices {
    pub fn new() -> MockServices {
        MockServices::default()
    }

    pub fn sink(&self) -> MockSink {
        MockSink {
            delivered: self.delivered.clone(),
        }
    }

    pub fn delivered(&self) -> Vec<Delivered> {
        lock(&self.delivered).clone()
    }

    /// Links for the demo's start page.
    pub fn links() -> Vec<(String, String)> {
        vec![(
            "/_mock/".to_owned(),
            "Servizi simulati / Simulated services".to_owned(),
        )]
    }

    /// The stand-ins' routes, to merge into the application.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/_mock/", get(index))
            .route("/_mock/outbox", get(outbox))
            .with_state(self.clone())
    }
}

async fn index() -> impl IntoResponse {
    Html(
        "<!doctype html><html lang=\"it\"><head><meta charset=\"utf-8\"><title>Servizi simulati</title>\
         <link rel=\"stylesheet\" href=\"/static/vendor/bootstrap-italia/css/bootstrap-italia.min.css\"></head>\
         <body><main class=\"container py-5\"><h1>Servizi simulati della demo</h1>\
         <p>Questi servizi sostituiscono in locale quelli esterni. Non sono mai attivi in produzione.</p>\
         <ul><li><a href=\"/_mock/outbox\">Effetti verso l'esterno consegnati dalla coda (outbox), in JSON</a></li></ul>\
         <p lang=\"en\">Local stand-ins for outside services, never enabled in production.</p>\
         </main></body></html>",
    )
}

async fn outbox(State(mocks): State<MockServices>) -> impl IntoResponse {
    let delivered: Vec<serde_json::Value> = mocks
        .delivered()
        .into_iter()
        .map(|d| {
            serde_json::json!({
                "topic": d.topic, "idempotency_key": d.idempotency_key, "payload": d.payload, "attempt": d.attempt
            })
        })
        .collect();
    Json(delivered)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_sink_records_each_key_once() {
        let mocks = MockServices::new();
        let sink = mocks.sink();
        let message = Message {
            id: uuid::Uuid::nil(),
            tenant: None,
            topic: "demo.effect".into(),
            idempotency_key: "k".into(),
            payload: serde_json::json!({"a": 1}),
            attempt: 1,
            max_attempts: 3,
        };
        assert!(sink.deliver(&message).await.is_ok());
        assert!(
            sink.deliver(&Message {
                attempt: 2,
                ..message.clone()
            })
            .await
            .is_ok()
        );
        assert_eq!(mocks.delivered().len(), 1);
        assert_eq!(mocks.delivered()[0].topic, "demo.effect");
    }
}
