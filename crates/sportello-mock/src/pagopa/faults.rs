//! Fault injection for the GPD and receipts APIs: latency, errors, lost responses, rate
//! limiting and timeouts, drawn from a deterministic generator so a failing test replays.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What the stand-in does wrong, and how often. Rates are probabilities in `0.0..=1.0`, drawn
/// per API call (the checkout page and the `_admin` routes are never faulted).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// Added to every call before anything else.
    pub latency_ms: u64,
    /// 500 before processing: nothing changes.
    pub error_rate: f64,
    /// The request IS processed, then the answer is lost: a 500, or (half the time) a stall
    /// of `timeout_ms` before that 500. The hard case for idempotency.
    pub lost_response_rate: f64,
    /// 429 with `Retry-After`, before processing.
    pub rate_limit_rate: f64,
    /// Sleep `timeout_ms` before processing and answering (the client times out and, if it
    /// hangs up, the request is never processed).
    pub timeout_rate: f64,
    pub timeout_ms: u64,
    /// Seed of the generator: the same seed and calls give the same faults.
    pub seed: u64,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FaultsError {
    #[error("{0} must be between 0 and 1, is {1}")]
    Rate(&'static str, f64),
}

impl Faults {
    /// Refuses rates that are not probabilities.
    pub fn check(&self) -> Result<(), FaultsError> {
        for (name, rate) in [
            ("error_rate", self.error_rate),
            ("lost_response_rate", self.lost_response_rate),
            ("rate_limit_rate", self.rate_limit_rate),
            ("timeout_rate", self.timeout_rate),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(FaultsError::Rate(name, rate));
            }
        }
        Ok(())
    }
}

/// The fault chosen for one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    None,
    RateLimit,
    Error,
    Timeout,
    /// `stall`: wait `timeout_ms` before the 500.
    LostResponse {
        stall: bool,
    },
}

impl Fault {
    pub(crate) fn name(self) -> Option<&'static str> {
        match self {
            Fault::None => None,
            Fault::RateLimit => Some("rate_limit"),
            Fault::Error => Some("error"),
            Fault::Timeout => Some("timeout"),
            Fault::LostResponse { .. } => Some("lost_response"),
        }
    }
}

/// xorshift64*: tiny, deterministic, good enough to spread faults.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        // Zero is a fixed point of xorshift; mix the seed so 0 and small seeds work.
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0.0..1.0`.
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `rate` (always for 1.0, never for 0.0).
    fn chance(&mut self, rate: f64) -> bool {
        self.unit() < rate
    }

    /// Draws the fault of one call: always the same number of draws, so one rate does not
    /// shift the others' sequence.
    pub(crate) fn draw(&mut self, faults: &Faults) -> Fault {
        let rate_limit = self.chance(faults.rate_limit_rate);
        let error = self.chance(faults.error_rate);
        let timeout = self.chance(faults.timeout_rate);
        let lost = self.chance(faults.lost_response_rate);
        let stall = self.chance(0.5);
        if rate_limit {
            Fault::RateLimit
        } else if error {
            Fault::Error
        } else if timeout {
            Fault::Timeout
        } else if lost {
            Fault::LostResponse { stall }
        } else {
            Fault::None
        }
    }
}

/// Calls received, by endpoint (the operation's `operationId`) and by injected fault.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallStats {
    pub total: u64,
    pub by_endpoint: BTreeMap<String, u64>,
    pub by_fault: BTreeMap<String, u64>,
}

impl CallStats {
    /// Calls to one endpoint.
    pub fn endpoint(&self, operation: &str) -> u64 {
        self.by_endpoint.get(operation).copied().unwrap_or(0)
    }

    /// Calls that got one fault (`error`, `lost_response`, `rate_limit`, `timeout`,
    /// `latency`).
    pub fn fault(&self, name: &str) -> u64 {
        self.by_fault.get(name).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_draws_the_same_faults() {
        let faults = Faults {
            error_rate: 0.3,
            lost_response_rate: 0.3,
            seed: 42,
            ..Faults::default()
        };
        let run = |seed| {
            let mut rng = Rng::new(seed);
            (0..200).map(|_| rng.draw(&faults)).collect::<Vec<_>>()
        };
        assert_eq!(run(42), run(42));
        assert_ne!(run(42), run(43));
        let errors = run(42).iter().filter(|f| **f == Fault::Error).count();
        assert!((30..=90).contains(&errors), "{errors}");
    }

    #[test]
    fn certain_and_impossible_rates() {
        let mut rng = Rng::new(0);
        let always = Faults {
            rate_limit_rate: 1.0,
            ..Faults::default()
        };
        assert!((0..100).all(|_| rng.draw(&always) == Fault::RateLimit));
        assert!((0..100).all(|_| rng.draw(&Faults::default()) == Fault::None));
        assert!(
            Faults {
                error_rate: 1.5,
                ..Faults::default()
            }
            .check()
            .is_err()
        );
        assert!(
            Faults {
                error_rate: f64::NAN,
                ..Faults::default()
            }
            .check()
            .is_err()
        );
    }
}
