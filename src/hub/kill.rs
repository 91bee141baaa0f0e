//! [`Kill`]: the signal that tells one connection to drop, and [`Kills`], every live
//! connection's, so that shutdown can signal them all.
//!
//! A connection's loop checks its signal on every turn. A `CancellationToken` did the
//! same job but takes its lock twice per check (the flag, then its waiter list), about
//! 1.5 % of a node's CPU per move; this is one flag and one waker slot, both atomics.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use futures_util::task::AtomicWaker;

use super::ConnId;

/// Fired to make a connection drop: its outbound queue overflowed (it cannot keep up),
/// or the server is shutting down. Cheap to clone; every clone fires the same signal.
#[derive(Debug, Clone, Default)]
pub struct Kill(Arc<Signal>);

#[derive(Debug, Default)]
struct Signal {
    fired: AtomicBool,
    waker: AtomicWaker,
}

impl Kill {
    /// A signal not yet fired.
    pub fn new() -> Self {
        Self::default()
    }

    /// Fire the signal (again is harmless) and wake the connection waiting on it.
    pub fn cancel(&self) {
        self.0.fired.store(true, Ordering::Release);
        self.0.waker.wake();
    }

    /// Whether it has fired.
    pub fn is_cancelled(&self) -> bool {
        self.0.fired.load(Ordering::Acquire)
    }

    /// Resolves once the signal has fired. One future can be polled for as long as the
    /// connection lives.
    pub fn fired(&self) -> Fired<'_> {
        Fired(self)
    }
}

/// The future of [`Kill::fired`].
#[derive(Debug)]
pub struct Fired<'a>(&'a Kill);

impl Future for Fired<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let signal = &self.0 .0;
        if signal.fired.load(Ordering::Acquire) {
            return Poll::Ready(());
        }
        signal.waker.register(cx.waker());
        // Fired between the check and the registration: its wake may have found no waker.
        if signal.fired.load(Ordering::Acquire) {
            return Poll::Ready(());
        }
        Poll::Pending
    }
}

/// The signals of this node's live connections, so that shutdown reaches each of them.
#[derive(Debug, Default)]
pub struct Kills {
    live: Mutex<HashMap<ConnId, Kill>>,
}

impl Kills {
    /// No connections yet.
    pub fn new() -> Self {
        Self::default()
    }

    fn live(&self) -> std::sync::MutexGuard<'_, HashMap<ConnId, Kill>> {
        // Plain data: a panic elsewhere mid-update leaves it usable.
        self.live.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keep `kill` until [`Kills::remove`]. A connection that registers after
    /// [`Kills::fire_all`] ran is not fired: it checks for shutdown itself once registered.
    pub fn insert(&self, conn: ConnId, kill: Kill) {
        self.live().insert(conn, kill);
    }

    /// Forget a connection that ended.
    pub fn remove(&self, conn: ConnId) {
        self.live().remove(&conn);
    }

    /// Fire every live connection's signal.
    pub fn fire_all(&self) {
        for kill in self.live().values() {
            kill.cancel();
        }
    }

    /// Connections registered.
    pub fn len(&self) -> usize {
        self.live().len()
    }

    /// Whether none is registered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_waiting_connection_wakes_when_its_signal_fires() {
        let kill = Kill::new();
        let waiter = {
            let kill = kill.clone();
            tokio::spawn(async move { kill.fired().await })
        };
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        kill.cancel();
        tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
            .await
            .expect("woken")
            .expect("joined");
        assert!(kill.is_cancelled());
    }

    #[test]
    fn fire_all_reaches_every_live_connection_and_no_removed_one() {
        let kills = Kills::new();
        let (a, b, gone) = (Kill::new(), Kill::new(), Kill::new());
        kills.insert(1, a.clone());
        kills.insert(2, b.clone());
        kills.insert(3, gone.clone());
        kills.remove(3);
        kills.fire_all();
        assert!(a.is_cancelled() && b.is_cancelled());
        assert!(!gone.is_cancelled());
        assert_eq!(kills.len(), 2);
    }
}
