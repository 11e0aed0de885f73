//! The per-thing update rate limit, counted in one-second windows of the emulator clock
//! (a frozen clock stays in one window until advanced).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

/// Updates allowed per thing per second; 0 allows any number.
#[derive(Debug)]
pub struct RateLimit {
    per_second: AtomicU32,
    /// Thing name → (window second, updates in it).
    windows: Mutex<HashMap<String, (i64, u32)>>,
}

/// Above this many things tracked, windows that have passed are forgotten.
const SWEEP_AT: usize = 10_000;

impl RateLimit {
    pub fn new(per_second: u32) -> Self {
        RateLimit {
            per_second: AtomicU32::new(per_second),
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Changes the limit (0: none).
    pub fn set(&self, per_second: u32) {
        self.per_second.store(per_second, Ordering::Relaxed);
    }

    /// Counts one update of `thing` at `now_ms`; `false` when over the limit.
    pub fn admit(&self, thing: &str, now_ms: i64) -> bool {
        let limit = self.per_second.load(Ordering::Relaxed);
        if limit == 0 {
            return true;
        }
        let second = now_ms.div_euclid(1000);
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() >= SWEEP_AT {
            windows.retain(|_, (s, _)| *s == second);
        }
        let window = windows.entry(thing.to_string()).or_insert((second, 0));
        if window.0 != second {
            *window = (second, 0);
        }
        if window.1 >= limit {
            return false;
        }
        window.1 += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_thing_gets_its_count_per_second() {
        let limit = RateLimit::new(2);
        assert!(limit.admit("a", 1_000));
        assert!(limit.admit("a", 1_999));
        assert!(!limit.admit("a", 1_500));
        assert!(limit.admit("b", 1_500));
        assert!(limit.admit("a", 2_000));
        let open = RateLimit::new(0);
        assert!((0..100).all(|_| open.admit("a", 0)));
    }
}
