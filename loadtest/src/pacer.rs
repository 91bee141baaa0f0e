//! Open loop: a global scheduler that releases `rate` action tokens per second in total.
//!
//! A player whose turn it is takes one token before it moves, so the offered load is
//! fixed by the scheduler rather than by the server's latency. Unused tokens are banked
//! for at most [`BANK`], so a stall is not followed by an unbounded burst.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{watch, Semaphore};
use tokio::time::MissedTickBehavior;

/// How often tokens are released (tokio's timer has millisecond resolution).
const TICK: Duration = Duration::from_millis(5);
/// Most tokens kept for players that were not ready, as time at the target rate.
const BANK: Duration = Duration::from_millis(50);

/// Starts the scheduler; it stops, and closes the semaphore, when `stop` turns true.
pub fn start(rate: f64, mut stop: watch::Receiver<bool>) -> Arc<Semaphore> {
    let tokens = Arc::new(Semaphore::new(0));
    let pacer = Arc::clone(&tokens);
    tokio::spawn(async move {
        let bank = (rate * BANK.as_secs_f64()).ceil().max(1.0) as usize;
        let mut interval = tokio::time::interval(TICK);
        interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut last = Instant::now();
        let mut credit = 0.0_f64;
        loop {
            tokio::select! {
                _ = interval.tick() => {}
                _ = stop.changed() => break,
            }
            let now = Instant::now();
            credit += rate * now.duration_since(last).as_secs_f64();
            last = now;
            let whole = credit.floor();
            credit -= whole;
            let room = bank.saturating_sub(pacer.available_permits());
            pacer.add_permits((whole as usize).min(room));
        }
        pacer.close();
    });
    tokens
}
