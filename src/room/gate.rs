//! Admission of room writes: at most a fixed number of changes in progress on this node.
//!
//! Past the node's capacity, every change it starts waits behind all the others for the
//! store, so all of them get slow together; once they pass the store timeout they fail
//! after Redis may already have applied them, and settling each one (a re-read, a retry)
//! costs more work than the change itself. The backlog then feeds itself: a node pushed
//! over its knee for a moment stayed there with its core no longer full (decision 40).
//!
//! The gate keeps the backlog in front of the store instead: a change waits for a place
//! before its first store call, places are handed out first come first served, and the
//! changes that hold one finish in store time. A change that cannot get a place within
//! the gate's wait fails with `store_unavailable` without having touched the store, so its
//! outcome is never in doubt.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};

use crate::error::{ErrorCode, ProtoError};
use crate::metrics as m;

/// Room changes in progress on one node before the next one waits (the default of
/// `--max-writes-in-flight`). Enough to keep the store busy: on loopback a change's round
/// trip is a few dozen microseconds, so a handful are in flight at 10 000 changes a
/// second, and a Redis 2 ms away would need 20. Few enough that the ones admitted finish
/// in store time.
pub const PLACES: usize = 64;

/// Places for room changes. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Gate {
    places: Arc<Semaphore>,
    wait: Duration,
}

impl Gate {
    /// A gate of `places`, where a change waits at most `wait` for one.
    pub fn new(places: usize, wait: Duration) -> Self {
        Gate {
            places: Arc::new(Semaphore::new(places.max(1))),
            wait,
        }
    }

    /// Take a place, waiting up to the gate's wait for one; else `store_unavailable`.
    pub async fn enter(&self) -> Result<SemaphorePermit<'_>, ProtoError> {
        // The common case takes a place at once and arms no timer.
        if let Ok(place) = self.places.try_acquire() {
            return Ok(place);
        }
        match tokio::time::timeout(self.wait, self.places.acquire()).await {
            Ok(Ok(place)) => Ok(place),
            // Timed out (the semaphore is never closed).
            _ => {
                m::write_shed();
                Err(ProtoError::new(
                    ErrorCode::StoreUnavailable,
                    "the server is too busy to take this change now; try again",
                ))
            }
        }
    }
}

impl Default for Gate {
    fn default() -> Self {
        Gate::new(PLACES, Duration::from_secs(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_change_waits_for_a_place_then_gives_up_with_store_unavailable() {
        let wait = Duration::from_millis(100);
        let gate = Gate::new(2, wait);
        let a = gate.enter().await.expect("first place");
        let _b = gate.enter().await.expect("second place");
        let started = std::time::Instant::now();
        let err = gate.enter().await.expect_err("no place left");
        assert_eq!(err.code, ErrorCode::StoreUnavailable);
        assert!(started.elapsed() >= wait, "{:?}", started.elapsed());
        // A place given back is taken by the next change.
        drop(a);
        assert!(gate.enter().await.is_ok());
    }

    #[tokio::test]
    async fn places_are_handed_out_in_arrival_order() {
        let gate = Gate::new(1, Duration::from_secs(10));
        let held = gate.enter().await.expect("place");
        let order = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut waiters = Vec::new();
        for i in 0..3 {
            let (gate, order) = (gate.clone(), order.clone());
            waiters.push(tokio::spawn(async move {
                let _p = gate.enter().await.expect("place in time");
                order.lock().unwrap().push(i);
                tokio::time::sleep(Duration::from_millis(1)).await;
            }));
            // Let each waiter queue before the next one starts.
            tokio::task::yield_now().await;
        }
        drop(held);
        for w in waiters {
            w.await.expect("waiter");
        }
        assert_eq!(*order.lock().unwrap(), vec![0, 1, 2]);
    }
}
