//! Latency second by second over the measured window.
//!
//! One p99 for a whole run cannot tell a server that is a little slow all the time from
//! one that stalls for a second now and then; the two need different fixes. So each
//! action is also counted in the second of the window it was sent in, and the report
//! lists every second's count, p99 and maximum.
//!
//! A second's histogram keeps one significant digit (a value is known to within about
//! a tenth of itself, plenty to see which seconds went wrong) in about 1.5 KiB; only the
//! first [`MAX_SECONDS`] of a window are kept, so a long soak run stays small.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use hdrhistogram::Histogram;

/// Seconds of a window that are kept (one hour).
pub const MAX_SECONDS: usize = 3600;
/// Highest latency any of the load tester's histograms tells apart, in microseconds;
/// above it values saturate.
pub const MAX_LATENCY_US: u64 = 60_000_000;

/// Per-second histograms, grown as the window goes on.
#[derive(Default)]
pub struct Timeline {
    seconds: Mutex<Vec<Histogram<u32>>>,
}

/// One second of the window as the report shows it.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Second {
    /// Seconds since the window started (the action's send time).
    pub second: u64,
    /// Actions sent in that second whose `state` came back.
    pub actions: u64,
    /// Their 99th percentile latency, in milliseconds.
    pub p99_ms: f64,
    /// Their largest latency, in milliseconds.
    pub max_ms: f64,
}

impl Timeline {
    /// Count an action sent `offset` after the window started that took `latency`.
    pub fn record(&self, offset: Duration, latency: Duration) {
        let Ok(second) = usize::try_from(offset.as_secs()) else {
            return;
        };
        if second >= MAX_SECONDS {
            return;
        }
        let micros = u64::try_from(latency.as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        let mut seconds = self.seconds.lock().unwrap_or_else(PoisonError::into_inner);
        while seconds.len() <= second {
            let Ok(empty) = Histogram::new_with_bounds(1, MAX_LATENCY_US, 1) else {
                return;
            };
            seconds.push(empty);
        }
        seconds[second].saturating_record(micros);
    }

    /// Every second up to the last one with an action, in order.
    pub fn seconds(&self) -> Vec<Second> {
        let seconds = self.seconds.lock().unwrap_or_else(PoisonError::into_inner);
        let ms = |micros: u64| micros as f64 / 1000.0;
        seconds
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let (p99_ms, max_ms) = if h.is_empty() {
                    (0.0, 0.0)
                } else {
                    (ms(h.value_at_quantile(0.99)), ms(h.max()))
                };
                Second {
                    second: i as u64,
                    actions: h.len(),
                    p99_ms,
                    max_ms,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_slow_second_stands_out_from_its_neighbours() {
        let timeline = Timeline::default();
        for i in 0..100 {
            timeline.record(ms(i * 10), ms(2)); // second 0: all 2 ms
            timeline.record(ms(2000 + i * 10), ms(2)); // second 2: all 2 ms ...
        }
        timeline.record(ms(2500), ms(300)); // ... but for one stall
        timeline.record(ms(2600), ms(310));

        let seconds = timeline.seconds();
        assert_eq!(seconds.len(), 3, "{seconds:?}");
        assert_eq!(seconds[0].actions, 100);
        assert!(seconds[0].p99_ms < 2.5, "{:?}", seconds[0]);
        assert_eq!(
            seconds[1].actions, 0,
            "an empty second is listed, not skipped"
        );
        assert_eq!(seconds[2].actions, 102);
        assert!(seconds[2].p99_ms >= 270.0, "{:?}", seconds[2]);
        assert!(seconds[2].max_ms >= 300.0, "{:?}", seconds[2]);
    }

    #[test]
    fn seconds_past_the_cap_are_not_kept() {
        let timeline = Timeline::default();
        timeline.record(Duration::from_secs(MAX_SECONDS as u64), ms(1));
        assert!(timeline.seconds().is_empty());
        timeline.record(Duration::from_secs(MAX_SECONDS as u64 - 1), ms(1));
        assert_eq!(timeline.seconds().len(), MAX_SECONDS);
    }
}
