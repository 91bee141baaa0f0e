//! A connection's outbound queue: the room events waiting for its socket, at most a
//! fixed number of them, and the signal that tells it to drop. [`Kills`] keeps every live
//! connection's queue so that shutdown can signal them all.
//!
//! A bounded `mpsc` channel took a lock each time the socket took an event off it (to
//! hand back its place), and a drop signal of its own (a `CancellationToken`) took two
//! more each turn of the connection's loop: together about 2 % of a node's CPU per move.
//! Here the bound is one counter beside an unbounded channel, and the drop signal is a
//! flag plus one item on the same channel, so the loop waits on one thing and a wake-up
//! is the channel's own.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

use super::{ConnId, Outbound};

/// What goes through the channel: an event, or the drop signal (which only wakes the
/// socket; the flag says it).
#[derive(Debug)]
enum Item {
    Event(Outbound),
    Kill,
}

#[derive(Debug)]
struct Shared {
    /// Events queued and not yet taken.
    queued: AtomicUsize,
    capacity: usize,
    killed: AtomicBool,
}

/// The sending side: the hub's handle on a connection. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Outbox {
    tx: mpsc::UnboundedSender<Item>,
    shared: Arc<Shared>,
}

/// The connection's side.
#[derive(Debug)]
pub struct OutboxRx {
    rx: mpsc::UnboundedReceiver<Item>,
    shared: Arc<Shared>,
}

/// How an [`Outbox::offer`] went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offer {
    /// Queued for the socket.
    Queued,
    /// The queue was full: the connection cannot keep up and has been told to drop.
    Full,
    /// The connection is gone or dropping.
    Closed,
}

/// A queue of at most `capacity` events.
pub fn outbox(capacity: usize) -> (Outbox, OutboxRx) {
    let (tx, rx) = mpsc::unbounded_channel();
    let shared = Arc::new(Shared {
        queued: AtomicUsize::new(0),
        capacity: capacity.max(1),
        killed: AtomicBool::new(false),
    });
    (
        Outbox {
            tx,
            shared: shared.clone(),
        },
        OutboxRx { rx, shared },
    )
}

impl Outbox {
    /// Queue an event without waiting. A full queue means a socket that cannot keep up:
    /// it would otherwise make its whole room wait, so it is told to drop instead (the
    /// player can resume).
    pub fn offer(&self, out: Outbound) -> Offer {
        if self.is_killed() {
            return Offer::Closed;
        }
        if self.shared.queued.fetch_add(1, Ordering::AcqRel) >= self.shared.capacity {
            self.shared.queued.fetch_sub(1, Ordering::AcqRel);
            self.kill();
            return Offer::Full;
        }
        match self.tx.send(Item::Event(out)) {
            Ok(()) => Offer::Queued,
            Err(_) => {
                self.shared.queued.fetch_sub(1, Ordering::AcqRel);
                Offer::Closed
            }
        }
    }

    /// Tell the connection to drop (again is harmless). Events still queued are not sent.
    pub fn kill(&self) {
        if !self.shared.killed.swap(true, Ordering::AcqRel) {
            // Wakes a connection waiting for its next event; it finds the flag set.
            let _ = self.tx.send(Item::Kill);
        }
    }

    /// Whether it has been told to drop.
    pub fn is_killed(&self) -> bool {
        self.shared.killed.load(Ordering::Acquire)
    }
}

impl OutboxRx {
    /// The next event; `None` once the connection has been told to drop (or, which
    /// cannot happen while it holds its own [`Outbox`], every sender is gone).
    pub async fn recv(&mut self) -> Option<Outbound> {
        if self.is_killed() {
            return None;
        }
        match self.rx.recv().await {
            Some(Item::Event(out)) if !self.is_killed() => Some(self.taken(out)),
            _ => None,
        }
    }

    /// The next event if one is queued now.
    pub fn try_recv(&mut self) -> Option<Outbound> {
        if self.is_killed() {
            return None;
        }
        match self.rx.try_recv() {
            Ok(Item::Event(out)) => Some(self.taken(out)),
            _ => None,
        }
    }

    /// Whether the connection has been told to drop.
    pub fn is_killed(&self) -> bool {
        self.shared.killed.load(Ordering::Acquire)
    }

    fn taken(&self, out: Outbound) -> Outbound {
        self.shared.queued.fetch_sub(1, Ordering::AcqRel);
        out
    }
}

/// The queues of this node's live connections, so that shutdown reaches each of them.
#[derive(Debug, Default)]
pub struct Kills {
    live: Mutex<HashMap<ConnId, Outbox>>,
}

impl Kills {
    /// No connections yet.
    pub fn new() -> Self {
        Self::default()
    }

    fn live(&self) -> std::sync::MutexGuard<'_, HashMap<ConnId, Outbox>> {
        // Plain data: a panic elsewhere mid-update leaves it usable.
        self.live.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keep a connection's queue until [`Kills::remove`]. One that registers after
    /// [`Kills::fire_all`] ran is not told: it checks for shutdown itself once registered.
    pub fn insert(&self, conn: ConnId, outbox: Outbox) {
        self.live().insert(conn, outbox);
    }

    /// Forget a connection that ended.
    pub fn remove(&self, conn: ConnId) {
        self.live().remove(&conn);
    }

    /// Tell every live connection to drop.
    pub fn fire_all(&self) {
        for outbox in self.live().values() {
            outbox.kill();
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
    use std::time::Duration;

    use super::*;
    use crate::hub::RoomEvent;

    fn event(version: u64) -> Outbound {
        Outbound::Event(Arc::new(RoomEvent {
            room: Arc::from("ABCDEF"),
            version: Some(version),
            frames: Arc::from(Vec::new()),
            detach: false,
        }))
    }

    fn version(out: Outbound) -> Option<u64> {
        let Outbound::Event(e) = out;
        e.version
    }

    #[tokio::test]
    async fn a_full_queue_refuses_and_tells_the_connection_to_drop() {
        let (tx, mut rx) = outbox(2);
        assert_eq!(tx.offer(event(1)), Offer::Queued);
        assert_eq!(tx.offer(event(2)), Offer::Queued);
        assert_eq!(tx.offer(event(3)), Offer::Full);
        assert!(tx.is_killed() && rx.is_killed());
        // The backlog of a dropping connection is not sent.
        assert!(rx.recv().await.is_none());
        assert_eq!(tx.offer(event(4)), Offer::Closed);
    }

    #[tokio::test]
    async fn taking_an_event_frees_its_place() {
        let (tx, mut rx) = outbox(1);
        assert_eq!(tx.offer(event(1)), Offer::Queued);
        assert_eq!(rx.recv().await.and_then(version), Some(1));
        assert_eq!(tx.offer(event(2)), Offer::Queued);
        assert_eq!(rx.try_recv().and_then(version), Some(2));
        assert!(rx.try_recv().is_none());
        assert!(!rx.is_killed());
    }

    #[tokio::test]
    async fn a_waiting_connection_wakes_when_told_to_drop() {
        let (tx, mut rx) = outbox(4);
        let waiter = tokio::spawn(async move { rx.recv().await.is_none() });
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        tx.kill();
        let woke = tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("woken")
            .expect("joined");
        assert!(woke);
    }

    #[test]
    fn fire_all_reaches_every_live_connection_and_no_removed_one() {
        let kills = Kills::new();
        let (a, _ra) = outbox(1);
        let (b, _rb) = outbox(1);
        let (gone, _rg) = outbox(1);
        kills.insert(1, a.clone());
        kills.insert(2, b.clone());
        kills.insert(3, gone.clone());
        kills.remove(3);
        kills.fire_all();
        assert!(a.is_killed() && b.is_killed());
        assert!(!gone.is_killed());
        assert_eq!(kills.len(), 2);
    }
}
