//! What the background jobs of an installation need from the store beyond the public API.

use crate::{Store, StoreError};
use uuid::Uuid;

impl Store {
    /// Gives back the attempt a worker's lease took from a message its sink chose to hold
    /// rather than deliver: a message waiting for an integration this installation does not
    /// have yet (pagoPA for `payment.requested`) must stay pending however long it waits,
    /// instead of running out of attempts and failing. Call it from the sink, before
    /// answering with a transient error whose `retry_after` says when to look again. Every
    /// lease of a held message is then its first attempt, so it needs `max_attempts` of at
    /// least 2 (the worker gives up when the attempt in hand is the last).
    pub async fn hold_outbox_message(&self, id: Uuid) -> Result<(), StoreError> {
        on_db!(&self.db, pool => {
            sqlx::query(
                "UPDATE outbox SET attempts = attempts - 1 \
                 WHERE id = $1 AND status = 'pending' AND attempts > 0",
            )
            .bind(id)
            .execute(pool)
            .await?;
        });
        Ok(())
    }
}
