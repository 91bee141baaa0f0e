//! A connection's outbound queue: the room events waiting for its socket, at most a
//! fixed number of them, and the signal that tells it to drop. [`Kills`] keeps every live
//! connection's queue so that shutdown can signal them all.
//!
//! Why not a tokio channel. A bounded `mpsc` took a lock each time the socket took an
//! event off it, and a drop signal of its own (a `CancellationToken`) took two more each
//! turn of the connection's loop. And any channel wakes its receiver on every send: the
//! player who moves gets the move's own event while its connection is still handling
//! the move, so the wake-up only made the runtime poll that connection once more, for
//! nothing. Here a connection says when it is busy ([`OutboxRx::hold`]: it will look at
//! the queue before it waits again), and only a connection that found its queue empty
//! and is waiting is woken. Together these were about 4 % of a node's CPU per move.

use std::collections::{HashMap, VecDeque};
use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Poll;

use futures_util::task::AtomicWaker;

use super::{ConnId, Outbound};

#[derive(Debug)]
struct Shared {
    queue: Mutex<Queue>,
    /// The connection's task, once it has waited for an event.
    waker: AtomicWaker,
    capacity: usize,
    killed: AtomicBool,
}

#[derive(Debug, Default)]
struct Queue {
    items: VecDeque<Outbound>,
    /// The connection found the queue empty and waits: the next event must wake it.
    waiting: bool,
}

impl Shared {
    fn queue(&self) -> MutexGuard<'_, Queue> {
        // Plain data: a panic elsewhere mid-update leaves it usable.
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn is_killed(&self) -> bool {
        self.killed.load(Ordering::Acquire)
    }
}

/// The sending side: the hub's handle on a connection. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Outbox {
    shared: Arc<Shared>,
}

/// The connection's side.
#[derive(Debug)]
pub struct OutboxRx {
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
    let shared = Arc::new(Shared {
        queue: Mutex::new(Queue::default()),
        waker: AtomicWaker::new(),
        capacity: capacity.max(1),
        killed: AtomicBool::new(false),
    });
    (
        Outbox {
            shared: shared.clone(),
        },
        OutboxRx { shared },
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
        let mut queue = self.shared.queue();
        if queue.items.len() >= self.shared.capacity {
            drop(queue);
            self.kill();
            return Offer::Full;
        }
        queue.items.push_back(out);
        let wake = std::mem::take(&mut queue.waiting);
        drop(queue);
        if wake {
            self.shared.waker.wake();
        }
        Offer::Queued
    }

    /// Tell the connection to drop (again is harmless). Events still queued are not sent.
    pub fn kill(&self) {
        if !self.shared.killed.swap(true, Ordering::AcqRel) {
            self.shared.waker.wake();
        }
    }

    /// Whether it has been told to drop, or is gone.
    pub fn is_killed(&self) -> bool {
        self.shared.is_killed()
    }
}

impl OutboxRx {
    /// The next event; `None` once the connection has been told to drop.
    pub async fn recv(&mut self) -> Option<Outbound> {
        poll_fn(|cx| {
            if self.is_killed() {
                return Poll::Ready(None);
            }
            let mut queue = self.shared.queue();
            if let Some(out) = queue.items.pop_front() {
                return Poll::Ready(Some(out));
            }
            // Registered before `waiting` is seen, so a sender that sees it wakes this
            // waker; under the lock, so no event slips in between the check and this.
            self.shared.waker.register(cx.waker());
            queue.waiting = true;
            drop(queue);
            // Told to drop after the first check: that wake may have found no waker.
            if self.is_killed() {
                return Poll::Ready(None);
            }
            Poll::Pending
        })
        .await
    }

    /// The next event if one is queued now.
    pub fn try_recv(&mut self) -> Option<Outbound> {
        if self.is_killed() {
            return None;
        }
        self.shared.queue().items.pop_front()
    }

    /// The connection is busy and will look at the queue before it waits again: events
    /// queued until then need not wake it.
    pub fn hold(&mut self) {
        self.shared.queue().waiting = false;
    }

    /// Whether the connection has been told to drop.
    pub fn is_killed(&self) -> bool {
        self.shared.is_killed()
    }
}

impl Drop for OutboxRx {
    /// The connection is gone: later offers are refused (`Closed`) rather than queued for
    /// nobody.
    fn drop(&mut self) {
        self.shared.killed.store(true, Ordering::Release);
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
    #[cfg(test)]
    pub fn count(&self) -> usize {
        self.live().len()
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
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

    /// A waker that counts its wake-ups.
    struct Count(std::sync::atomic::AtomicUsize);
    impl std::task::Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn only_a_waiting_connection_is_woken() {
        let count = Arc::new(Count(Default::default()));
        let waker = std::task::Waker::from(count.clone());
        let mut cx = std::task::Context::from_waker(&waker);
        let (tx, mut rx) = outbox(8);
        let wakes = || count.0.load(Ordering::SeqCst);
        {
            let recv = std::pin::pin!(rx.recv());
            assert!(recv.poll(&mut cx).is_pending());
        }
        // Waiting: the first event wakes it, the next (before it looked again) does not.
        assert_eq!(tx.offer(event(1)), Offer::Queued);
        assert_eq!(tx.offer(event(2)), Offer::Queued);
        assert_eq!(wakes(), 1);
        // Busy handling a frame: its own events do not wake it; it finds them after.
        rx.hold();
        assert_eq!(tx.offer(event(3)), Offer::Queued);
        assert_eq!(wakes(), 1);
        let got: Vec<_> = std::iter::from_fn(|| rx.try_recv())
            .filter_map(version)
            .collect();
        assert_eq!(got, vec![1, 2, 3]);
        // Told to drop: a waiting connection is woken, and then sees it.
        {
            let recv = std::pin::pin!(rx.recv());
            assert!(recv.poll(&mut cx).is_pending());
        }
        tx.kill();
        assert_eq!(wakes(), 2);
        let recv = std::pin::pin!(rx.recv());
        assert_eq!(recv.poll(&mut cx).map(|o| o.is_none()), Poll::Ready(true));
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
        assert_eq!(kills.count(), 2);
    }
}
