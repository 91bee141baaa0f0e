//! One connection's view of the join limits: its own failures and cool-down, plus its
//! address's bucket in the shared [`JoinGuard`].

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::join_guard::JoinGuard;
use crate::config::Config;
use crate::error::{ErrorCode, ProtoError};
use crate::metrics as m;

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
mod tests {
    //! Driven by explicit instants instead of sleeping.

    use super::*;
    use crate::guard::address::key;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn cfg(per_conn: u32, per_minute: u32, burst: u32) -> Config {
        let mut cfg = Config::defaults();
        cfg.join_failures_per_conn = per_conn;
        cfg.join_failures_per_minute = per_minute;
        cfg.join_failure_burst = burst;
        cfg.join_cooldown_secs = 30;
        cfg
    }

    fn ip(last: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(10, 0, 0, last))
    }

    fn code(r: Result<(), ProtoError>) -> Option<ErrorCode> {
        r.err().map(|e| e.code)
    }

    #[test]
    fn per_connection_cooldown_then_close() {
        let cfg = cfg(10, 0, 30);
        let shared = Arc::new(JoinGuard::new(&cfg));
        let mut gate = JoinGate::new(&cfg, shared, Some(ip(1)));
        let t0 = Instant::now();
        for _ in 0..9 {
            assert_eq!(code(gate.admit_at(t0)), None);
            gate.record_failure_at(t0);
        }
        assert_eq!(code(gate.admit_at(t0)), None);
        gate.record_failure_at(t0);
        // Ten failures: refused for the cool-down, then one more try is allowed.
        assert_eq!(code(gate.admit_at(t0)), Some(ErrorCode::RateLimited));
        let later = t0 + Duration::from_secs(29);
        assert_eq!(code(gate.admit_at(later)), Some(ErrorCode::RateLimited));
        let after = t0 + Duration::from_secs(31);
        assert_eq!(code(gate.admit_at(after)), None);
        assert!(!gate.should_close());
        // A failure after the cool-down starts a new one right away.
        gate.record_failure_at(after);
        assert_eq!(code(gate.admit_at(after)), Some(ErrorCode::RateLimited));
        // Twenty strikes in all (failures and refusals) close the connection.
        while !gate.should_close() {
            let _ = gate.admit_at(after);
        }
        assert_eq!(gate.strikes, 20);
    }

    #[test]
    fn per_ip_bucket_is_shared_and_refills() {
        let cfg = cfg(0, 30, 5);
        let shared = Arc::new(JoinGuard::new(&cfg));
        let mut a = JoinGate::new(&cfg, shared.clone(), Some(ip(1)));
        let mut b = JoinGate::new(&cfg, shared.clone(), Some(ip(1)));
        let mut other = JoinGate::new(&cfg, shared.clone(), Some(ip(2)));
        let t0 = Instant::now();
        for _ in 0..3 {
            a.record_failure_at(t0);
        }
        for _ in 0..2 {
            assert_eq!(code(b.admit_at(t0)), None);
            b.record_failure_at(t0);
        }
        // The address's five failures are spent, whichever connection made them.
        assert_eq!(code(a.admit_at(t0)), Some(ErrorCode::RateLimited));
        assert_eq!(code(b.admit_at(t0)), Some(ErrorCode::RateLimited));
        assert_eq!(code(other.admit_at(t0)), None);
        // 30 per minute: one failure back every two seconds.
        assert_eq!(
            code(b.admit_at(t0 + Duration::from_millis(1900))),
            Some(ErrorCode::RateLimited)
        );
        assert_eq!(code(b.admit_at(t0 + Duration::from_millis(2100))), None);
        // With the per-connection limit off, refusals never close.
        assert!(!a.should_close() && !b.should_close());
    }

    #[test]
    fn retry_hint_is_in_whole_seconds() {
        let cfg = cfg(1, 0, 30);
        let mut gate = JoinGate::new(&cfg, Arc::new(JoinGuard::new(&cfg)), None);
        let t0 = Instant::now();
        gate.record_failure_at(t0);
        let err = gate
            .admit_at(t0 + Duration::from_millis(500))
            .expect_err("cooling down");
        assert_eq!(err.message, "too many failed joins; try again in 30 s");
    }

    #[test]
    fn disabled_limits_never_refuse() {
        let cfg = cfg(0, 0, 1);
        let shared = Arc::new(JoinGuard::new(&cfg));
        let mut gate = JoinGate::new(&cfg, shared.clone(), Some(ip(1)));
        let t0 = Instant::now();
        for _ in 0..1000 {
            assert_eq!(code(gate.admit_at(t0)), None);
            gate.record_failure_at(t0);
        }
        assert!(!gate.should_close());
        assert_eq!(shared.tracked(), 0);
    }

    #[test]
    fn successes_cost_nothing() {
        let cfg = cfg(10, 30, 30);
        let shared = Arc::new(JoinGuard::new(&cfg));
        let mut gate = JoinGate::new(&cfg, shared.clone(), Some(ip(1)));
        for _ in 0..1000 {
            assert!(gate.admit().is_ok());
            assert!(gate.outcome(Ok::<_, ProtoError>(())).is_ok());
            // Refusals that are not guesses do not count either.
            let full = Err::<(), _>(ProtoError::from(ErrorCode::RoomFull));
            assert!(gate.outcome(full).is_err());
        }
        assert_eq!(shared.tracked(), 0);
        let guess = Err::<(), _>(ProtoError::from(ErrorCode::RoomNotFound));
        assert!(gate.outcome(guess).is_err());
        assert_eq!((gate.failures, shared.tracked()), (1, 1));
    }

    #[test]
    fn map_is_bounded_and_keeps_recent_addresses() {
        let mut cfg = cfg(0, 30, 2);
        cfg.join_guard_max_ips = 100;
        let shared = JoinGuard::new(&cfg);
        let t0 = Instant::now();
        // The address under attack keeps failing while 10 000 others fail once each.
        let hot = ip(1);
        for i in 0..10_000u32 {
            let [_, b, c, d] = i.to_be_bytes();
            shared.record_failure_at(IpAddr::V4(Ipv4Addr::new(11, b, c, d)), t0);
            if i % 10 == 0 {
                shared.record_failure_at(hot, t0);
            }
            assert!(shared.tracked() <= 100);
        }
        assert!(
            shared.check_at(hot, t0).is_err(),
            "recently seen: still limited"
        );
    }

    #[test]
    fn ipv6_counts_per_64_and_mapped_v4_as_v4() {
        let cfg = cfg(0, 30, 1);
        let shared = JoinGuard::new(&cfg);
        let t0 = Instant::now();
        let a: IpAddr = "2001:db8:1:2::1".parse().expect("literal");
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().expect("literal");
        let c: IpAddr = "2001:db8:1:3::1".parse().expect("literal");
        shared.record_failure_at(a, t0);
        assert!(shared.check_at(b, t0).is_err(), "same /64");
        assert!(shared.check_at(c, t0).is_ok(), "another /64");
        let v4 = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7));
        shared.record_failure_at(v4, t0);
        let mapped = IpAddr::V6(Ipv4Addr::new(192, 0, 2, 7).to_ipv6_mapped());
        assert!(shared.check_at(mapped, t0).is_err());
        assert_eq!(
            key(IpAddr::V6(Ipv6Addr::LOCALHOST)),
            IpAddr::V6(Ipv6Addr::UNSPECIFIED)
        );
    }
}
