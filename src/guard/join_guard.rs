//! The per-address failed-join limiter: a token bucket per client address, in a map
//! whose size is capped.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::address::key;
use crate::config::Config;

/// The per-IP failed-join limiter, shared by every connection on this node.
#[derive(Debug)]
pub struct JoinGuard {
    /// Tokens (failures) regained per second; 0 turns the per-IP limit off.
    rate: f64,
    /// Bucket size: failures an address may make in a burst.
    burst: f64,
    /// Most addresses tracked at once.
    max_ips: usize,
    buckets: Mutex<Generations>,
}

/// One address's bucket.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// A bounded map in two generations: new and touched entries live in `current`; when it
/// holds half the cap, it becomes `previous` and the old `previous` is dropped. So memory
/// stays under the cap with O(1) work per access, and what is dropped first is what was
/// touched longest ago. An address dropped early only gets a fresh bucket; that can only
/// happen when more than half the cap of addresses failed since it was last seen.
#[derive(Debug, Default)]
struct Generations {
    current: HashMap<IpAddr, Bucket>,
    previous: HashMap<IpAddr, Bucket>,
}

impl JoinGuard {
    /// A guard with the limits of `cfg`.
    pub fn new(cfg: &Config) -> Self {
        JoinGuard {
            rate: f64::from(cfg.join_failures_per_minute) / 60.0,
            burst: f64::from(cfg.join_failure_burst.max(1)),
            max_ips: cfg.join_guard_max_ips.max(2),
            buckets: Mutex::new(Generations::default()),
        }
    }

    /// Whether `ip` may attempt a join at `now`; if not, how long until it may.
    pub fn check_at(&self, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        if self.rate <= 0.0 {
            return Ok(());
        }
        let key = key(ip);
        let map = self.lock();
        let Some(bucket) = map.current.get(&key).or_else(|| map.previous.get(&key)) else {
            return Ok(());
        };
        let tokens = self.refilled(bucket, now);
        if tokens >= 1.0 {
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - tokens) / self.rate))
        }
    }

    /// Count one failed join from `ip` at `now`.
    pub fn record_failure_at(&self, ip: IpAddr, now: Instant) {
        if self.rate <= 0.0 {
            return;
        }
        let key = key(ip);
        let mut map = self.lock();
        let found = match map.current.get(&key) {
            Some(b) => Some(*b),
            None => map.previous.remove(&key),
        };
        let tokens = found.map_or(self.burst, |b| self.refilled(&b, now));
        if !map.current.contains_key(&key) && map.current.len() >= self.max_ips / 2 {
            map.previous = std::mem::take(&mut map.current);
        }
        map.current.insert(
            key,
            Bucket {
                tokens: (tokens - 1.0).max(0.0),
                last: now,
            },
        );
    }

    /// Addresses currently tracked.
    #[cfg(test)]
    pub fn tracked(&self) -> usize {
        let map = self.lock();
        map.current.len() + map.previous.len()
    }

    fn refilled(&self, b: &Bucket, now: Instant) -> f64 {
        let elapsed = now.saturating_duration_since(b.last).as_secs_f64();
        (b.tokens + elapsed * self.rate).min(self.burst)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Generations> {
        // The map holds plain numbers; a panic elsewhere cannot leave it inconsistent.
        self.buckets.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
