//! When to try again: exponential backoff with jitter, capped, and a limit on attempts.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The delay before the second attempt, before jitter.
    pub base: Duration,
    /// No delay exceeds this, whatever the attempt.
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base: Duration::from_secs(5),
            cap: Duration::from_secs(6 * 60 * 60),
        }
    }
}

impl RetryPolicy {
    /// The delay after failed attempt number `attempt` (1-based), given a random `unit` in
    /// `[0, 1)`. "Equal jitter": half the exponential delay is fixed, half is random, so
    /// retries of many messages failing together spread out without ever retrying at once.
    pub fn delay(&self, attempt: u32, unit: f64) -> Duration {
        let exponent = attempt.saturating_sub(1).min(30);
        let exponential = self.base.saturating_mul(1u32 << exponent).min(self.cap);
        let half = exponential / 2;
        half + half.mul_f64(unit.clamp(0.0, 1.0))
    }

    /// The delay when the service asked for one (`Retry-After`): never shorter than it asked,
    /// nor than our own backoff. An absurd request is bounded to a day.
    pub fn delay_honouring(
        &self,
        attempt: u32,
        unit: f64,
        retry_after: Option<Duration>,
    ) -> Duration {
        const LONGEST_RETRY_AFTER: Duration = Duration::from_secs(24 * 60 * 60);
        let computed = self.delay(attempt, unit);
        match retry_after {
            Some(asked) => computed.max(asked.min(LONGEST_RETRY_AFTER)),
            None => computed,
        }
    }
}

/// A uniformly distributed number in `[0, 1)` from the operating system's generator.
pub(crate) fn random_unit() -> f64 {
    let mut bytes = [0u8; 8];
    // Without randomness, fall back to no jitter rather than failing the delivery.
    if getrandom::fill(&mut bytes).is_err() {
        return 0.5;
    }
    (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: RetryPolicy = RetryPolicy {
        base: Duration::from_secs(2),
        cap: Duration::from_secs(60),
    };

    #[test]
    fn grows_exponentially_within_the_jitter_band() {
        for attempt in 1..=5u32 {
            let full = Duration::from_secs(2 * (1 << (attempt - 1)));
            assert_eq!(POLICY.delay(attempt, 0.0), full / 2);
            assert!(POLICY.delay(attempt, 0.999) <= full);
            assert!(POLICY.delay(attempt, 0.999) > full / 2);
        }
    }

    #[test]
    fn is_capped_even_for_huge_attempt_numbers() {
        assert!(POLICY.delay(1000, 0.999) <= Duration::from_secs(60));
        assert!(POLICY.delay(u32::MAX, 0.5) >= Duration::from_secs(30));
    }

    #[test]
    fn honours_retry_after() {
        let asked = Duration::from_secs(3600);
        // The service's word wins over our shorter backoff and over our cap...
        assert_eq!(POLICY.delay_honouring(1, 0.0, Some(asked)), asked);
        // ...but a Retry-After shorter than our backoff does not make us retry sooner.
        assert_eq!(
            POLICY.delay_honouring(6, 0.0, Some(Duration::from_secs(1))),
            POLICY.delay(6, 0.0)
        );
        // An absurd Retry-After is bounded.
        assert_eq!(
            POLICY.delay_honouring(1, 0.0, Some(Duration::from_secs(10_000_000))),
            Duration::from_secs(86_400)
        );
    }

    #[test]
    fn random_units_are_in_range() {
        for _ in 0..1000 {
            let u = random_unit();
            assert!((0.0..1.0).contains(&u));
        }
    }
}
