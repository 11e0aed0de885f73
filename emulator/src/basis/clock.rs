//! The emulator's notion of "now": the system clock or a frozen instant, both advanceable.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use time::OffsetDateTime;

/// A cloneable clock. Every timestamp and expiry check in the emulator reads it, so tests
/// can freeze time for byte-identical snapshots and advance it to expire claims and tokens.
#[derive(Clone, Debug)]
pub struct Clock {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// `None`: follow the system clock; `Some(ms)`: frozen at this epoch millisecond.
    frozen_at_ms: Option<i64>,
    offset_ms: AtomicI64,
}

impl Clock {
    /// Follows the system clock.
    pub fn system() -> Self {
        Self::build(None)
    }

    /// Frozen at `epoch_ms` until advanced.
    pub fn frozen(epoch_ms: i64) -> Self {
        Self::build(Some(epoch_ms))
    }

    fn build(frozen_at_ms: Option<i64>) -> Self {
        Clock {
            inner: Arc::new(Inner {
                frozen_at_ms,
                offset_ms: AtomicI64::new(0),
            }),
        }
    }

    /// Milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> i64 {
        let base = self.inner.frozen_at_ms.unwrap_or_else(system_ms);
        base + self.inner.offset_ms.load(Ordering::SeqCst)
    }

    /// The current instant as a date-time.
    pub fn now(&self) -> OffsetDateTime {
        let nanos = i128::from(self.now_ms()) * 1_000_000;
        OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// Moves the clock forward (or backward, for negative values).
    pub fn advance_ms(&self, delta_ms: i64) {
        self.inner.offset_ms.fetch_add(delta_ms, Ordering::SeqCst);
    }

    /// True when time is frozen.
    pub fn is_frozen(&self) -> bool {
        self.inner.frozen_at_ms.is_some()
    }
}

fn system_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frozen_clock_only_moves_when_advanced() {
        let clock = Clock::frozen(1_000);
        assert_eq!(clock.now_ms(), 1_000);
        clock.advance_ms(300_000);
        assert_eq!(clock.now_ms(), 301_000);
        assert_eq!(clock.now().unix_timestamp(), 301);
    }
}
