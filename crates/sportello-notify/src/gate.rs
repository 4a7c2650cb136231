//! Keeps each App IO service key within IO's rate limit, in this process.
//!
//! IO allows 150 calls per 5 seconds per key and answers 429 beyond. Honouring `Retry-After`
//! per message is not enough: hundreds of due messages would each try again as soon as their
//! own wait ended, every freed slot would go to some message's profile check, and its send a
//! moment later would meet the limit again, so delivery would all but stop. So calls on a key
//! take a token from a bucket refilled at IO's pace, and a 429 closes the key to every message
//! for the time IO asked. Several instances share IO's limit without sharing this state; the
//! 429s they meet still close the key in each of them.

use sportello_appio::ServiceKey;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// IO's documented limit (io-infra's APIM policy): 150 calls per 5 seconds per key.
pub const DEFAULT_CALLS_PER_WINDOW: u32 = 150;
pub const WINDOW: Duration = Duration::from_secs(5);
/// When IO's 429 says nothing about how long to wait.
const DEFAULT_PAUSE: Duration = Duration::from_secs(1);

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    refilled: Instant,
    closed_until: Option<Instant>,
}

#[derive(Clone, Debug)]
pub(crate) struct KeyGate {
    buckets: Arc<Mutex<HashMap<String, Bucket>>>,
    capacity: f64,
    window: Duration,
}

impl Default for KeyGate {
    fn default() -> Self {
        KeyGate::new(f64::from(DEFAULT_CALLS_PER_WINDOW), WINDOW)
    }
}

/// The map holds fingerprints, not keys: a heap dump shows no credential.
fn name(key: &ServiceKey) -> String {
    sportello_store::notifications::key_fingerprint(key.expose())
}

impl KeyGate {
    /// `capacity` calls per `window`; infinite for a service in IO's `ApiNoRateLimit` group
    /// (429s still close the key).
    pub(crate) fn new(capacity: f64, window: Duration) -> KeyGate {
        KeyGate {
            buckets: Arc::default(),
            capacity,
            window,
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Bucket>> {
        // A panic while holding the lock leaves numbers, never a broken invariant.
        self.buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Takes the tokens of `calls` calls at once, or says how long to wait for them. A message
    /// takes its profile check's and its send's together: taken apart, the send would often
    /// find the bucket empty after the check, and the check would be spent for nothing.
    pub(crate) fn acquire(&self, key: &ServiceKey, calls: u32) -> Result<(), Duration> {
        let calls = f64::from(calls);
        let now = Instant::now();
        let rate = self.capacity / self.window.as_secs_f64();
        let mut buckets = self.lock();
        let bucket = buckets.entry(name(key)).or_insert(Bucket {
            tokens: self.capacity,
            refilled: now,
            closed_until: None,
        });
        if let Some(until) = bucket.closed_until {
            if until > now {
                return Err(until - now);
            }
            bucket.closed_until = None;
        }
        if self.capacity.is_infinite() {
            return Ok(());
        }
        let elapsed = now.duration_since(bucket.refilled).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(self.capacity);
        bucket.refilled = now;
        if bucket.tokens >= calls {
            bucket.tokens -= calls;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((calls - bucket.tokens) / rate))
        }
    }

    /// IO refused a call with 429: no call on this key for `pause`.
    pub(crate) fn close(&self, key: &ServiceKey, pause: Option<Duration>) {
        let until = Instant::now() + pause.unwrap_or(DEFAULT_PAUSE);
        let mut buckets = self.lock();
        let bucket = buckets.entry(name(key)).or_insert(Bucket {
            tokens: 0.0,
            refilled: Instant::now(),
            closed_until: None,
        });
        bucket.tokens = 0.0;
        bucket.closed_until = Some(bucket.closed_until.map_or(until, |u| u.max(until)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_gets_its_capacity_then_waits_for_the_refill() {
        let gate = KeyGate::new(3.0, Duration::from_secs(3));
        let key = ServiceKey::new("k".into());
        let other = ServiceKey::new("o".into());
        assert!(gate.acquire(&key, 2).is_ok());
        assert!(gate.acquire(&key, 1).is_ok());
        let wait = gate.acquire(&key, 1).unwrap_err();
        assert!(wait > Duration::from_millis(500) && wait <= Duration::from_secs(1));
        let wait = gate.acquire(&key, 2).unwrap_err();
        assert!(
            wait > Duration::from_millis(1500),
            "two calls wait for two tokens"
        );
        assert!(
            gate.acquire(&other, 3).is_ok(),
            "each key has its own bucket"
        );
    }

    #[test]
    fn an_unlimited_key_is_paused_only_by_a_429() {
        let gate = KeyGate::new(f64::INFINITY, WINDOW);
        let key = ServiceKey::new("k".into());
        for _ in 0..1000 {
            assert!(gate.acquire(&key, 2).is_ok());
        }
        gate.close(&key, Some(Duration::from_secs(1)));
        assert!(gate.acquire(&key, 1).is_err());
    }

    #[test]
    fn a_429_closes_the_key_for_the_time_asked() {
        let gate = KeyGate::default();
        let key = ServiceKey::new("k".into());
        gate.close(&key, Some(Duration::from_secs(2)));
        let wait = gate.acquire(&key, 1).unwrap_err();
        assert!(wait > Duration::from_millis(1500), "{wait:?}");
        gate.close(&key, Some(Duration::from_millis(10)));
        assert!(
            gate.acquire(&key, 1).unwrap_err() > Duration::from_secs(1),
            "a shorter pause does not reopen a longer one"
        );
    }
}
