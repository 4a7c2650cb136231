//! Asks App IO what became of the messages it accepted, until each is final: `PROCESSED`
//! (in the citizen's inbox), `REJECTED` (no profile, or the service blocked after the check:
//! e-mail stands in), or `FAILED`. IO keeps trying a `THROTTLED` message for up to seven days;
//! so does this watcher, on a backoff from seconds to an hour.

use crate::delivery::{FIRST_CHECK, NotificationSink, fall_back_to_email};
use sportello_appio::{DeliveryStatus as IoStatus, MessageId};
use sportello_domain::Channel;
use sportello_domain::notification::DeliveryStatus;
use sportello_store::StoreError;
use sportello_store::notifications::{DeliveryUpdate, PendingCheck};
use std::time::Duration;
use tokio::sync::watch;

/// How often the watcher looks for due checks.
const TICK: Duration = Duration::from_secs(2);
const LONGEST_WAIT: Duration = Duration::from_secs(3600);
/// IO gives up on a message after seven days; so does the watcher.
const GIVE_UP_AFTER: Duration = Duration::from_secs(7 * 86_400);

#[derive(Clone)]
pub struct StatusWatcher {
    sink: NotificationSink,
}

impl StatusWatcher {
    pub fn new(sink: NotificationSink) -> StatusWatcher {
        StatusWatcher { sink }
    }

    /// Checks until `stopped`.
    pub async fn run(&self, mut stopped: watch::Receiver<bool>) {
        loop {
            if let Err(error) = self.run_once().await {
                tracing::warn!(%error, "App IO status check failed");
            }
            tokio::select! {
                _ = tokio::time::sleep(TICK) => {}
                _ = stopped.wait_for(|stop| *stop) => return,
            }
        }
    }

    /// Checks every message due now. Returns how many were checked.
    pub async fn run_once(&self) -> Result<usize, StoreError> {
        let due = self.sink.store().deliveries_to_check(200).await?;
        for check in &due {
            self.check(check).await?;
        }
        Ok(due.len())
    }

    async fn check(&self, check: &PendingCheck) -> Result<(), StoreError> {
        let store = self.sink.store();
        let Some(tenant) = store.tenant(check.tenant).await? else {
            return Ok(());
        };
        let backoff = FIRST_CHECK
            .saturating_mul(2u32.saturating_pow(check.check_count.min(20)))
            .min(LONGEST_WAIT);
        let Some(key) = self.sink.service_key(&tenant, &check.service_code).await? else {
            // The key was removed since: nothing to ask with until it is set again.
            return store
                .schedule_delivery_check(check.notification, LONGEST_WAIT)
                .await;
        };
        let Ok(id) = MessageId::new(check.message_id.clone()) else {
            return store
                .update_delivery(
                    check.notification,
                    Channel::Io,
                    &[DeliveryStatus::Accepted],
                    DeliveryStatus::Failed,
                    &DeliveryUpdate {
                        reason: Some("App IO returned a malformed message id".into()),
                        ..DeliveryUpdate::default()
                    },
                )
                .await
                .map(|_| ());
        };
        if let Err(wait) = self.sink.may_call(&key, 1) {
            return store
                .schedule_delivery_check(check.notification, wait)
                .await;
        }
        let answer = self.sink.appio().status(&key, &check.recipient, &id).await;
        if let Err(error) = &answer {
            self.sink.noted(&key, error);
        }
        let (to, reason) = match answer {
            Ok(status) => match status.status {
                IoStatus::Processed => (DeliveryStatus::Delivered, None),
                IoStatus::Rejected => (
                    DeliveryStatus::Rejected,
                    Some("App IO rejected it: no profile, or the service is blocked".to_owned()),
                ),
                IoStatus::Failed => (
                    DeliveryStatus::Failed,
                    Some("App IO could not deliver it".to_owned()),
                ),
                IoStatus::Accepted | IoStatus::Throttled => {
                    return self.wait_or_give_up(check, backoff).await;
                }
            },
            Err(error) if error.is_transient() => {
                let wait = error.retry_after().unwrap_or(backoff).max(backoff);
                return store
                    .schedule_delivery_check(check.notification, wait)
                    .await;
            }
            Err(error) => (DeliveryStatus::Failed, Some(format!("status: {error}"))),
        };
        let moved = store
            .update_delivery(
                check.notification,
                Channel::Io,
                &[DeliveryStatus::Accepted],
                to,
                &DeliveryUpdate {
                    reason,
                    ..DeliveryUpdate::default()
                },
            )
            .await?;
        if moved && to.is_failure() {
            fall_back_to_email(store, check.tenant, check.notification).await?;
        }
        Ok(())
    }

    async fn wait_or_give_up(
        &self,
        check: &PendingCheck,
        backoff: Duration,
    ) -> Result<(), StoreError> {
        let store = self.sink.store();
        let age = jiff::Timestamp::now().duration_since(check.accepted_at);
        if age > jiff::SignedDuration::try_from(GIVE_UP_AFTER).unwrap_or_default() {
            let moved = store
                .update_delivery(
                    check.notification,
                    Channel::Io,
                    &[DeliveryStatus::Accepted],
                    DeliveryStatus::Failed,
                    &DeliveryUpdate {
                        reason: Some("no final state from App IO within seven days".into()),
                        ..DeliveryUpdate::default()
                    },
                )
                .await?;
            if moved {
                fall_back_to_email(store, check.tenant, check.notification).await?;
            }
            return Ok(());
        }
        store
            .schedule_delivery_check(check.notification, backoff)
            .await
    }
}
