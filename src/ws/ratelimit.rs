//! A per-connection token bucket, plus a second bucket of "strikes" that decides when a
//! client is flooding rather than merely bursting.

use std::time::Instant;

/// Verdict on one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Process it.
    Allow,
    /// Refuse it with `rate_limited`.
    Limited,
    /// Refuse it and close the connection (1008): sustained flooding.
    Flood,
}

/// Token bucket: `rate` tokens per second, at most `burst` saved up. A rate of 0 turns
/// limiting off.
#[derive(Debug)]
pub struct RateLimiter {
    rate: f64,
    burst: f64,
    tokens: f64,
    strikes: f64,
    last: Instant,
}

impl RateLimiter {
    /// A full bucket.
    pub fn new(rate_per_sec: u32, burst: u32) -> Self {
        let burst = f64::from(burst.max(1));
        RateLimiter {
            rate: f64::from(rate_per_sec),
            burst,
            tokens: burst,
            strikes: 0.0,
            last: Instant::now(),
        }
    }

    /// Judge one message arriving at `now` (the caller has read the clock already;
    /// tests pass their own).
    pub fn check_at(&mut self, now: Instant) -> Verdict {
        if self.rate <= 0.0 {
            return Verdict::Allow;
        }
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        // Strikes drain at a quarter of the message rate: a client that keeps sending
        // well above its rate piles them up; one that slows down is forgiven.
        self.strikes = (self.strikes - elapsed * self.rate / 4.0).max(0.0);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return Verdict::Allow;
        }
        self.strikes += 1.0;
        if self.strikes > self.burst {
            Verdict::Flood
        } else {
            Verdict::Limited
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn burst_then_limited_then_flood() {
        let t0 = Instant::now();
        let mut rl = RateLimiter::new(20, 40);
        for _ in 0..40 {
            assert_eq!(rl.check_at(t0), Verdict::Allow);
        }
        assert_eq!(rl.check_at(t0), Verdict::Limited);
        let mut last = Verdict::Limited;
        for _ in 0..100 {
            last = rl.check_at(t0);
        }
        assert_eq!(last, Verdict::Flood);
    }

    #[test]
    fn refills_over_time() {
        let t0 = Instant::now();
        let mut rl = RateLimiter::new(20, 40);
        for _ in 0..45 {
            rl.check_at(t0);
        }
        assert_eq!(rl.check_at(t0 + Duration::from_millis(100)), Verdict::Allow);
        // A steady 20/s is always fine.
        for i in 0..200u64 {
            let at = t0 + Duration::from_secs(10) + Duration::from_millis(50 * i);
            assert_eq!(rl.check_at(at), Verdict::Allow);
        }
    }

    #[test]
    fn zero_rate_disables() {
        let mut rl = RateLimiter::new(0, 40);
        let t0 = Instant::now();
        for _ in 0..10_000 {
            assert_eq!(rl.check_at(t0), Verdict::Allow);
        }
    }
}
