//! Redis's clock as this node last saw it, so a script can tell whether it runs in time
//! for its writer to still be waiting for the reply (see `LocalWrite` in `ops.rs`).
//!
//! Each update script reports Redis's `TIME`; the node keeps the offset between that and
//! its own monotonic clock. The sample is taken when the reply is read, so it runs a
//! little behind Redis (by the reply's trip): deadlines made from it come early, which
//! only makes a write publish when it need not have.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Instant;

/// Offset not known yet.
const UNKNOWN: i64 = i64::MIN;

pub(super) struct RedisClock {
    origin: Instant,
    /// Redis Unix ms minus ms since `origin`.
    offset_ms: AtomicI64,
}

impl RedisClock {
    pub(super) fn new() -> Self {
        RedisClock {
            origin: Instant::now(),
            offset_ms: AtomicI64::new(UNKNOWN),
        }
    }

    fn local_ms(&self) -> i64 {
        i64::try_from(self.origin.elapsed().as_millis()).unwrap_or(i64::MAX)
    }

    /// Redis's time now (Unix ms), or `None` before any script has reported it.
    pub(super) fn now(&self) -> Option<u64> {
        match self.offset_ms.load(Ordering::Relaxed) {
            UNKNOWN => None,
            offset => u64::try_from(self.local_ms().saturating_add(offset)).ok(),
        }
    }

    /// Record Redis's time (Unix ms) as a reply just reported it.
    pub(super) fn observe(&self, redis_ms: u64) {
        let redis_ms = i64::try_from(redis_ms).unwrap_or(i64::MAX);
        self.offset_ms
            .store(redis_ms.saturating_sub(self.local_ms()), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_until_observed_then_follows_the_local_clock() {
        let clock = RedisClock::new();
        assert_eq!(clock.now(), None);
        clock.observe(1_000_000);
        let now = clock.now().expect("observed");
        assert!((1_000_000..1_000_100).contains(&now), "{now}");
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(clock.now().expect("observed") >= now + 20);
    }
}
