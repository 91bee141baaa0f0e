//! Counters shared by every player task, the progress line and the final report.
//!
//! Hot counters are atomics; the latency histogram and the by-name maps sit behind std
//! `Mutex`es, which is right here: nothing awaits while holding them and each hold is a
//! few nanoseconds (a map is only touched on an error, which is rare).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use hdrhistogram::Histogram;

use crate::timeline::{Second, Timeline, MAX_LATENCY_US};

/// The measured part of the run: actions sent in `[start, end)` count.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    /// When warm-up ends.
    pub start: Instant,
    /// When the run stops.
    pub end: Instant,
}

impl Window {
    /// Whether `at` falls in the measured part.
    pub fn contains(&self, at: Instant) -> bool {
        at >= self.start && at < self.end
    }
}

/// Everything counted during a run.
pub struct Stats {
    /// Actions whose `state` came back, warm-up included (for the progress line).
    pub applied_all: AtomicU64,
    /// Actions sent in the window whose `state` came back.
    pub applied: AtomicU64,
    /// Actions sent, warm-up included.
    pub sent: AtomicU64,
    /// Games that reached `finished` in the window (counted once per room, by seat 0).
    pub games_finished: AtomicU64,
    /// `error` frames received, all codes.
    pub error_frames: AtomicU64,
    /// Frames that were not the JSON the protocol promises.
    pub bad_frames: AtomicU64,
    /// Players (or idle connections) seated / connected.
    pub connected: AtomicU64,
    /// Idle connections whose `ping` got its `pong`.
    pub pongs: AtomicU64,
    /// Connections open right now (idle mode).
    pub open: AtomicU64,
    /// Rooms fully set up.
    pub rooms_ready: AtomicU64,
    /// Actions (or rematches) the server never answered within the watchdog time.
    pub unanswered: AtomicU64,
    /// Set when the players are told to stop.
    stopped: AtomicBool,
    latency: Mutex<Histogram<u64>>,
    opponent_latency: Mutex<Histogram<u64>>,
    timeline: Timeline,
    errors: Mutex<BTreeMap<String, u64>>,
    errors_after_stop: Mutex<BTreeMap<String, u64>>,
    connect_failures: Mutex<BTreeMap<String, u64>>,
    unexpected_closes: Mutex<BTreeMap<String, u64>>,
    setup_failures: Mutex<BTreeMap<String, u64>>,
}

impl Stats {
    /// Empty counters.
    pub fn new() -> Self {
        let histogram = Histogram::new_with_bounds(1, MAX_LATENCY_US, 3)
            .expect("constant histogram bounds are valid");
        Self {
            applied_all: AtomicU64::new(0),
            applied: AtomicU64::new(0),
            sent: AtomicU64::new(0),
            games_finished: AtomicU64::new(0),
            error_frames: AtomicU64::new(0),
            bad_frames: AtomicU64::new(0),
            connected: AtomicU64::new(0),
            pongs: AtomicU64::new(0),
            open: AtomicU64::new(0),
            rooms_ready: AtomicU64::new(0),
            unanswered: AtomicU64::new(0),
            stopped: AtomicBool::new(false),
            opponent_latency: Mutex::new(histogram.clone()),
            latency: Mutex::new(histogram),
            timeline: Timeline::default(),
            errors: Mutex::new(BTreeMap::new()),
            errors_after_stop: Mutex::new(BTreeMap::new()),
            connect_failures: Mutex::new(BTreeMap::new()),
            unexpected_closes: Mutex::new(BTreeMap::new()),
            setup_failures: Mutex::new(BTreeMap::new()),
        }
    }

    /// Records an applied action sent at `sent_at`; only the window's count.
    pub fn action_applied(&self, window: &Window, sent_at: Instant, now: Instant) {
        self.applied_all.fetch_add(1, Relaxed);
        if !window.contains(sent_at) {
            return;
        }
        self.applied.fetch_add(1, Relaxed);
        record(&self.latency, sent_at, now);
        self.timeline.record(
            sent_at.duration_since(window.start),
            now.duration_since(sent_at),
        );
    }

    /// Records the other player's view of an action sent at `sent_at`: when the `state`
    /// reached the player who did not send it. Only the window's count.
    pub fn opponent_saw(&self, window: &Window, sent_at: Instant, now: Instant) {
        if window.contains(sent_at) {
            record(&self.opponent_latency, sent_at, now);
        }
    }

    /// Counts an `error` frame by its code.
    ///
    /// Errors read after the stop are kept apart: players leave one by one as they see
    /// the stop, and a move of the other player that crosses its opponent's `leave_room`
    /// is rightly refused (`game_not_active`, the room is back to waiting). That is the
    /// run ending, not an error of the server under load.
    pub fn error(&self, code: &str) {
        self.error_frames.fetch_add(1, Relaxed);
        if self.stopped.load(Relaxed) {
            bump(&self.errors_after_stop, code);
        } else {
            bump(&self.errors, code);
        }
    }

    /// The players are being told to stop.
    pub fn stop(&self) {
        self.stopped.store(true, Relaxed);
    }

    /// Counts a failed connect by its reason class.
    pub fn connect_failure(&self, class: &str) {
        bump(&self.connect_failures, class);
    }

    /// Counts a connection the server (or the network) ended before the run did.
    pub fn unexpected_close(&self, how: &str) {
        bump(&self.unexpected_closes, how);
    }

    /// Counts a connection whose room setup (or ping) failed after it connected.
    pub fn setup_failure(&self, reason: &str) {
        bump(&self.setup_failures, reason);
    }

    /// Counts a frame that was not the JSON the protocol promises.
    pub fn bad_frame(&self) {
        self.bad_frames.fetch_add(1, Relaxed);
    }

    /// The latency at `quantile`, in milliseconds, if anything was recorded.
    pub fn latency_ms(&self, quantile: f64) -> Option<f64> {
        let histogram = lock(&self.latency);
        (!histogram.is_empty()).then(|| histogram.value_at_quantile(quantile) as f64 / 1000.0)
    }

    /// p50, p90, p99, p99.9 and max of the mover's latency, in milliseconds.
    pub fn latency_summary(&self) -> Option<LatencySummary> {
        summary(&lock(&self.latency))
    }

    /// The mover's latency second by second over the window.
    pub fn timeline(&self) -> Vec<Second> {
        self.timeline.seconds()
    }

    /// The same for the opponent's latency.
    pub fn opponent_latency_summary(&self) -> Option<LatencySummary> {
        summary(&lock(&self.opponent_latency))
    }

    /// `error` frames by code.
    pub fn errors(&self) -> BTreeMap<String, u64> {
        lock(&self.errors).clone()
    }

    /// `error` frames read after the stop, by code.
    pub fn errors_after_stop(&self) -> BTreeMap<String, u64> {
        lock(&self.errors_after_stop).clone()
    }

    /// Failed connects by reason class.
    pub fn connect_failures(&self) -> BTreeMap<String, u64> {
        lock(&self.connect_failures).clone()
    }

    /// Unexpected closes by how they happened.
    pub fn unexpected_closes(&self) -> BTreeMap<String, u64> {
        lock(&self.unexpected_closes).clone()
    }

    /// Failed setups by reason.
    pub fn setup_failures(&self) -> BTreeMap<String, u64> {
        lock(&self.setup_failures).clone()
    }

    /// Total failed connects.
    pub fn connect_failure_count(&self) -> u64 {
        lock(&self.connect_failures).values().sum()
    }

    /// Total unexpected closes.
    pub fn unexpected_close_count(&self) -> u64 {
        lock(&self.unexpected_closes).values().sum()
    }
}

/// Latency quantiles in milliseconds.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct LatencySummary {
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Largest value seen.
    pub max: f64,
}

fn record(histogram: &Mutex<Histogram<u64>>, sent_at: Instant, now: Instant) {
    let micros = u64::try_from(now.duration_since(sent_at).as_micros()).unwrap_or(u64::MAX);
    lock(histogram).saturating_record(micros.max(1));
}

fn summary(histogram: &Histogram<u64>) -> Option<LatencySummary> {
    if histogram.is_empty() {
        return None;
    }
    let ms = |micros: u64| micros as f64 / 1000.0;
    Some(LatencySummary {
        p50: ms(histogram.value_at_quantile(0.5)),
        p90: ms(histogram.value_at_quantile(0.9)),
        p99: ms(histogram.value_at_quantile(0.99)),
        p999: ms(histogram.value_at_quantile(0.999)),
        max: ms(histogram.max()),
    })
}

/// A panicking holder cannot leave a counter half-written, so poison is ignored.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn bump(map: &Mutex<BTreeMap<String, u64>>, key: &str) {
    let mut map = lock(map);
    match map.get_mut(key) {
        Some(count) => *count += 1,
        None => {
            // Keys come from the server (error codes); bound the map so a misbehaving
            // server cannot grow it without limit.
            let key = if map.len() < 64 && key.len() <= 40 {
                key
            } else {
                "other"
            };
            *map.entry(key.to_owned()).or_insert(0) += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_after_the_stop_are_kept_apart() {
        let stats = Stats::new();
        stats.error("illegal_move");
        stats.stop();
        stats.error("game_not_active");
        stats.error("game_not_active");
        assert_eq!(stats.errors(), BTreeMap::from([("illegal_move".into(), 1)]));
        assert_eq!(
            stats.errors_after_stop(),
            BTreeMap::from([("game_not_active".into(), 2)])
        );
        assert_eq!(stats.error_frames.load(Relaxed), 3);
    }
}
