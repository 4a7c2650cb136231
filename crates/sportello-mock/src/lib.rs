//! Local stand-ins for the services Sportello talks to, mounted under `/_mock/` by
//! `sportello demo` and used by the tests. They follow the official specifications below the
//! prefix, so a client only changes its base URL. `sportello serve` never mounts them: no
//! production configuration can switch them on.
//!
//! Today: the outbox sink, which records the side effects the demo has no stand-in for and
//! shows them at `/_mock/outbox`; an external protocol system ([`MockProtocol`]) that answers
//! each registration with a number of its own; the identity provider (`idp`); pagoPA's GPD,
//! receipts and Checkout (`pagopa`); the App IO services API and the citizen's phone inbox
//! (`appio`); an SMTP server and its catch-all inbox (`mail`).
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::todo)]

pub mod appio;
mod html;
pub mod idp;
pub mod mail;
pub mod pagopa;

use axum::extract::State;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::{Json, Router};
use sportello_store::outbox::{DeliveryError, Message, Sink};
use sportello_store::protocol::{
    AdapterError, ExternalRef, PROTOCOL_REGISTER_TOPIC, ProtocolAdapter, Segnatura,
};
use std::sync::{Arc, Mutex, MutexGuard};

/// A side effect the demo performed, as the outside world would have received it.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivered {
    pub topic: String,
    pub idempotency_key: String,
    pub payload: serde_json::Value,
    pub attempt: u32,
    /// What the simulated external system answered, for a protocol registration.
    pub external_reference: Option<String>,
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
                external_reference: None,
            });
        }
        Ok(())
    }
}

/// The external protocol system of the demo comuni: it gives each entry a number of its own
/// series (`EXT-<year>-<n>`), the same one when the same entry comes again, as a real
/// system must, and shows the registration at `/_mock/outbox`.
#[derive(Clone)]
pub struct MockProtocol {
    delivered: Arc<Mutex<Vec<Delivered>>>,
}

/// The system's name in the recorded reference.
pub const MOCK_PROTOCOL_SYSTEM: &str = "Protocollo esterno simulato";

impl ProtocolAdapter for MockProtocol {
    async fn register(&self, segnatura: &Segnatura) -> Result<ExternalRef, AdapterError> {
        let key = segnatura.idempotency_key();
        let mut delivered = lock(&self.delivered);
        if let Some(reference) = delivered
            .iter()
            .find(|d| d.idempotency_key == key)
            .and_then(|d| d.external_reference.clone())
        {
            return Ok(ExternalRef {
                system: MOCK_PROTOCOL_SYSTEM.to_owned(),
                reference,
            });
        }
        let year = segnatura.number.year();
        let series = delivered
            .iter()
            .filter(|d| d.topic == PROTOCOL_REGISTER_TOPIC)
            .count()
            + 1;
        let reference = format!("EXT-{year}-{series:06}");
        delivered.push(Delivered {
            topic: PROTOCOL_REGISTER_TOPIC.to_owned(),
            idempotency_key: key,
            payload: serde_json::to_value(segnatura).unwrap_or(serde_json::Value::Null),
            attempt: 1,
            external_reference: Some(reference.clone()),
        });
        Ok(ExternalRef {
            system: MOCK_PROTOCOL_SYSTEM.to_owned(),
            reference,
        })
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

    pub fn protocol(&self) -> MockProtocol {
        MockProtocol {
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
         <ul><li><a href=\"/_mock/outbox\">Effetti verso l'esterno consegnati dalla coda (outbox), in JSON: \
         registrazioni nel protocollo esterno simulato (con il suo numero), notifiche in attesa di App IO</a></li>\
         <li><a href=\"/_mock/pagopa/_admin/calls\">pagoPA simulato: chiamate ricevute da GPD, ricevute e Checkout (JSON)</a>; \
         guasti simulati in <code>/_mock/pagopa/_admin/faults</code></li>\
         <li><a href=\"/_mock/appio/inbox/\">App IO: il telefono dei cittadini della demo, con i messaggi ricevuti</a>; \
         API dei servizi in <code>/_mock/appio/api/v1/</code>, messaggi ricevuti in \
         <a href=\"/_mock/appio/_admin/messages\">JSON</a></li>\
         <li><a href=\"/_mock/mail/\">Posta in arrivo: ogni e-mail inviata dalla demo</a></li></ul>\
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
                "topic": d.topic, "idempotency_key": d.idempotency_key, "payload": d.payload,
                "attempt": d.attempt, "external_reference": d.external_reference
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

    #[tokio::test]
    async fn the_mock_protocol_answers_a_repeat_with_its_first_number() {
        let mocks = MockServices::new();
        let protocol = mocks.protocol();
        let segnatura = |number| Segnatura {
            tenant: sportello_domain::TenantId::from_uuid(uuid::Uuid::nil()),
            ipa_code: "c_x000".into(),
            aoo_code: None,
            register_code: "PROTOCOLLO".into(),
            number: sportello_domain::protocol::ProtocolNumber::new(2026, number).unwrap(),
            registered_at: jiff::Timestamp::UNIX_EPOCH,
            registration_date: jiff::civil::date(2026, 1, 1),
            direction: sportello_store::protocol::Direction::Incoming,
            subject: "Richiesta".into(),
            correspondent: sportello_store::protocol::Correspondent {
                name: "Mario Rossi".into(),
                fiscal_code: None,
            },
            pratica: None,
            attachments: Vec::new(),
        };
        let first = protocol.register(&segnatura(1)).await.unwrap();
        let again = protocol.register(&segnatura(1)).await.unwrap();
        let second = protocol.register(&segnatura(2)).await.unwrap();
        assert_eq!(first, again);
        assert_eq!(first.reference, "EXT-2026-000001");
        assert_eq!(second.reference, "EXT-2026-000002");
        assert_eq!(mocks.delivered().len(), 2);
    }
}
