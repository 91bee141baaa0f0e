//! When to try an event again, or to give up: the back-off after each failed attempt, a
//! receiver's `Retry-After`, and what each answer means.

use std::time::Duration;

use rand::RngExt;

/// Back-off after the first, second, … failed attempt, in units (a second unscaled);
/// every later one waits the last.
const BACKOFF_UNITS: [u64; 6] = [1, 5, 30, 120, 300, 900];

/// The longest `Retry-After` honoured: a receiver asking for more gets this.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// How one attempt went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The receiver answered with this status, and a `Retry-After` in seconds if any.
    Status(u16, Option<u64>),
    /// No answer within the timeout.
    Timeout,
    /// No connection, or the request failed before an answer.
    Failed,
}

/// What to do with the event after an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Done.
    Delivered,
    /// Try again after this long.
    Retry(Duration),
    /// Move it to the dead letters.
    Dead,
}

impl Verdict {
    /// The bounded metric label of this outcome.
    pub fn label(&self) -> &'static str {
        match self {
            Verdict::Delivered => "delivered",
            Verdict::Retry(_) => "retry",
            Verdict::Dead => "dead",
        }
    }
}

impl Answer {
    /// Why the attempt failed, as kept with the event (never the body, never the URL).
    pub fn error(&self) -> String {
        match self {
            Answer::Status(code, _) => format!("HTTP {code}"),
            Answer::Timeout => "timeout".to_string(),
            Answer::Failed => "connection failed".to_string(),
        }
    }
}

/// The retry schedule.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    /// One unit of back-off: a second, or less in tests (`--webhook-backoff-scale`).
    unit: Duration,
    max_attempts: u32,
}

impl Schedule {
    /// A schedule giving up after `max_attempts`, its back-off scaled by `scale` (1 = as
    /// documented; a scale that is not a positive number counts as 1).
    pub fn new(max_attempts: u32, scale: f64) -> Schedule {
        let scale = if scale.is_finite() && scale > 0.0 {
            scale.min(1.0)
        } else {
            1.0
        };
        Schedule {
            unit: Duration::from_secs_f64(scale),
            max_attempts: max_attempts.max(1),
        }
    }

    /// One unit of back-off.
    pub fn unit(&self) -> Duration {
        self.unit
    }

    /// What to do after attempt number `attempt` (1 for the first) answered `answer`.
    pub fn judge(&self, answer: &Answer, attempt: u32) -> Verdict {
        let retry_after = match answer {
            Answer::Status(200..=299, _) => return Verdict::Delivered,
            Answer::Status(410, _) => return Verdict::Dead,
            Answer::Status(429 | 503, Some(secs)) => {
                Some(Duration::from_secs(*secs).min(MAX_RETRY_AFTER))
            }
            _ => None,
        };
        if attempt >= self.max_attempts {
            return Verdict::Dead;
        }
        Verdict::Retry(retry_after.unwrap_or_else(|| self.backoff(attempt)))
    }

    /// The wait after failed attempt number `attempt`, with ±20 % jitter so events that
    /// failed together do not all come back together.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let i = (attempt.max(1) as usize - 1).min(BACKOFF_UNITS.len() - 1);
        let jitter: f64 = rand::rng().random_range(0.8..=1.2);
        self.unit.mul_f64(BACKOFF_UNITS[i] as f64 * jitter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn within(d: Duration, secs: f64) -> bool {
        let s = d.as_secs_f64();
        s >= secs * 0.8 - 1e-9 && s <= secs * 1.2 + 1e-9
    }

    #[test]
    fn the_back_off_grows_then_stays_at_fifteen_minutes() {
        let s = Schedule::new(100, 1.0);
        for (attempt, secs) in [(1, 1.0), (2, 5.0), (3, 30.0), (4, 120.0), (5, 300.0)] {
            assert!(within(s.backoff(attempt), secs), "attempt {attempt}");
        }
        for attempt in [6, 7, 50] {
            assert!(within(s.backoff(attempt), 900.0), "attempt {attempt}");
        }
        let scaled = Schedule::new(100, 0.01);
        assert!(within(scaled.backoff(2), 0.05));
    }

    #[test]
    fn answers_map_to_verdicts() {
        let s = Schedule::new(3, 1.0);
        assert_eq!(s.judge(&Answer::Status(204, None), 1), Verdict::Delivered);
        assert_eq!(s.judge(&Answer::Status(410, None), 1), Verdict::Dead);
        assert!(matches!(s.judge(&Answer::Status(500, None), 1), Verdict::Retry(_)));
        assert!(matches!(s.judge(&Answer::Timeout, 2), Verdict::Retry(_)));
        assert_eq!(s.judge(&Answer::Failed, 3), Verdict::Dead, "out of attempts");
        assert_eq!(
            s.judge(&Answer::Status(429, Some(7)), 1),
            Verdict::Retry(Duration::from_secs(7))
        );
        assert_eq!(
            s.judge(&Answer::Status(503, Some(99_999)), 1),
            Verdict::Retry(MAX_RETRY_AFTER)
        );
        // Retry-After only counts on 429 and 503.
        assert_ne!(
            s.judge(&Answer::Status(500, Some(7)), 1),
            Verdict::Retry(Duration::from_secs(7))
        );
    }
}
