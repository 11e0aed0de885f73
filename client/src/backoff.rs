//! Reconnect backoff: exponential, capped, deterministic (no jitter, so tests and
//! conformance runs are repeatable; a fleet would add jitter on top).

use std::time::Duration;

/// How long to wait before each retry, and how many attempts to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Delay after the first failed attempt.
    pub initial: Duration,
    /// The delay never grows past this.
    pub max: Duration,
    /// Total attempts, the first one included (at least 1).
    pub attempts: u32,
}

impl Default for Backoff {
    /// 250 ms, doubling, capped at 8 s, six attempts: enough for a JITP hang-up.
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(250),
            max: Duration::from_secs(8),
            attempts: 6,
        }
    }
}

impl Backoff {
    /// The wait after failed attempt number `failed` (1-based): initial·2^(failed-1),
    /// capped at `max`.
    pub fn delay(&self, failed: u32) -> Duration {
        let exponent = failed.saturating_sub(1).min(31);
        let factor = 1u32 << exponent;
        self.initial
            .checked_mul(factor)
            .map_or(self.max, |d| d.min(self.max))
    }

    /// Whether another attempt follows failed attempt number `failed`.
    pub fn retries_after(&self, failed: u32) -> bool {
        failed < self.attempts.max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn delays_double_then_cap() {
        let b = Backoff {
            initial: ms(100),
            max: ms(1000),
            attempts: 10,
        };
        let cases = [
            (0, 100),
            (1, 100),
            (2, 200),
            (3, 400),
            (4, 800),
            (5, 1000),
            (9, 1000),
            (40, 1000),
            (u32::MAX, 1000),
        ];
        for (failed, want) in cases {
            assert_eq!(b.delay(failed), ms(want), "after attempt {failed}");
        }
    }

    #[test]
    fn attempts_bound_the_retries() {
        let b = Backoff {
            attempts: 3,
            ..Backoff::default()
        };
        assert!(b.retries_after(1));
        assert!(b.retries_after(2));
        assert!(!b.retries_after(3));
        let once = Backoff {
            attempts: 0,
            ..Backoff::default()
        };
        assert!(!once.retries_after(1), "zero attempts still means one");
    }

    #[test]
    fn huge_initial_delays_saturate_at_the_cap() {
        let b = Backoff {
            initial: Duration::from_secs(u64::MAX / 2),
            max: ms(5),
            attempts: 2,
        };
        assert_eq!(b.delay(3), ms(5));
    }
}
