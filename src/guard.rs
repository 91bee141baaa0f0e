//! Slowing down room-code and session guessing.
//!
//! Room codes are short (32^6 ≈ 10^9) and a `room_not_found` tells a client a code is
//! free, so a client that tries codes quickly could find private rooms. Two limits apply
//! to failed `join_room` / `resume` attempts (a malformed or unknown code, an invalid
//! session) — successful joins never spend anything:
//!
//! - **Per connection** ([`JoinGate`]): after `--join-failures-per-conn` failures, join
//!   and resume attempts are refused with `rate_limited` for `--join-cooldown-secs`
//!   (each new failure after that restarts the cool-down). A connection that reaches
//!   twice the limit in failures and refusals together is closed with 1008.
//! - **Per client IP** ([`JoinGuard`], shared by the node's connections): a token bucket
//!   of `--join-failure-burst` failures refilled at `--join-failures-per-minute`. While
//!   it is empty, every connection from that address is refused the same way, so opening
//!   more sockets does not help. IPv6 addresses count per /64, the block one subscriber
//!   usually gets. Only addresses with recent failures take memory, and at most
//!   `--join-guard-max-ips` of them, the least recently seen forgotten first.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::error::{ErrorCode, ProtoError};
use crate::metrics as m;

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

    /// Addresses currently tracked (for tests and diagnostics).
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

/// The address a limit is kept for: IPv4 as is (also when mapped into IPv6), IPv6 by /64.
pub(super) fn key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// One connection's view of the join limits: its own failures plus its address's bucket.
#[derive(Debug)]
pub struct JoinGate {
    shared: Arc<JoinGuard>,
    ip: Option<IpAddr>,
    /// Failures allowed before the cool-down; 0 turns the per-connection limit off.
    limit: u32,
    cooldown: Duration,
    failures: u32,
    /// Failures plus refused attempts; at twice the limit the connection is closed.
    strikes: u32,
    blocked_until: Option<Instant>,
    close: bool,
}

impl JoinGate {
    /// The gate of a new connection from `ip` (`None` when the address is unknown).
    pub fn new(cfg: &Config, shared: Arc<JoinGuard>, ip: Option<IpAddr>) -> Self {
        JoinGate {
            shared,
            ip,
            limit: cfg.join_failures_per_conn,
            cooldown: Duration::from_secs(cfg.join_cooldown_secs),
            failures: 0,
            strikes: 0,
            blocked_until: None,
            close: false,
        }
    }

    /// Before a join or resume: `rate_limited` while this connection or its address is
    /// cooling down.
    pub fn admit(&mut self) -> Result<(), ProtoError> {
        self.admit_at(Instant::now())
    }

    /// [`admit`](Self::admit) at a given time (testable without sleeping).
    pub fn admit_at(&mut self, now: Instant) -> Result<(), ProtoError> {
        let own = self
            .blocked_until
            .and_then(|until| until.checked_duration_since(now))
            .filter(|d| !d.is_zero());
        let wait = match (own, self.ip.map(|ip| self.shared.check_at(ip, now))) {
            (Some(d), _) => d,
            (None, Some(Err(d))) => d,
            (None, _) => return Ok(()),
        };
        m::ws_rejected(m::RejectReason::JoinLimited);
        self.strike();
        let secs = wait.as_secs_f64().ceil().max(1.0);
        Err(ProtoError::new(
            ErrorCode::RateLimited,
            format!("too many failed joins; try again in {secs} s"),
        ))
    }

    /// After a join or resume: count it if it failed the way a guess fails.
    pub fn outcome<T>(&mut self, result: Result<T, ProtoError>) -> Result<T, ProtoError> {
        if let Err(e) = &result {
            if is_guess_failure(e.code) {
                self.record_failure_at(Instant::now());
            }
        }
        result
    }

    /// Count one failed attempt at `now`.
    pub fn record_failure_at(&mut self, now: Instant) {
        if let Some(ip) = self.ip {
            self.shared.record_failure_at(ip, now);
        }
        if self.limit == 0 {
            return;
        }
        self.failures = self.failures.saturating_add(1);
        if self.failures >= self.limit {
            self.blocked_until = Some(now + self.cooldown);
        }
        self.strike();
    }

    /// The client address the limits are kept for, if known.
    pub fn ip(&self) -> Option<IpAddr> {
        self.ip
    }

    /// Whether the connection has earned a close (1008).
    pub fn should_close(&self) -> bool {
        self.close
    }

    fn strike(&mut self) {
        if self.limit == 0 {
            return;
        }
        self.strikes = self.strikes.saturating_add(1);
        if self.strikes >= self.limit.saturating_mul(2) {
            self.close = true;
        }
    }
}

/// The errors that tell a guesser something: the code is malformed, free, or the
/// session is not valid. `room_full`, store failures and the like are not guesses.
fn is_guess_failure(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::RoomNotFound | ErrorCode::InvalidSession | ErrorCode::BadRequest
    )
}

#[cfg(test)]
#[path = "guard_tests.rs"]
mod tests;
