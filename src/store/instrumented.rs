//! Metrics for every store operation, recorded in one place: this wrapper times each call
//! (`parlor_store_op_duration_seconds`), counts its failures by kind
//! (`parlor_store_op_errors_total`) and keeps the in-flight gauge, whatever the backend.

use std::future::Future;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::outbox::{Claimed, DeadLetter, Outbox, OutboxStats};
use super::{CasOutcome, Extras, OutboxEvent, PoolStats, RoomPage, RoomStore};
use crate::error::{Chain, StoreError};
use crate::game::GameKind;
use crate::metrics::{self as m, StoreOp};
use crate::model::Envelope;
use crate::model::{RoomDoc, SharedDoc};

/// A store that records metrics around another one and enforces the op timeout.
pub struct Instrumented {
    inner: Arc<dyn RoomStore>,
    meter: Meter,
    /// The inner store's outbox, measured the same way.
    outbox: Option<Arc<dyn Outbox>>,
}

/// What times and counts operations: shared by the store and its outbox.
#[derive(Clone)]
struct Meter {
    backend: &'static str,
    timeout: Duration,
    in_flight: Arc<AtomicI64>,
}

impl Instrumented {
    /// Wrap `inner`; every operation fails with [`StoreError::Timeout`] after `timeout`.
    pub fn new(inner: Arc<dyn RoomStore>, timeout: Duration) -> Self {
        let meter = Meter {
            backend: inner.backend(),
            timeout,
            in_flight: Arc::default(),
        };
        let outbox = inner.outbox().map(|o| {
            Arc::new(TimedOutbox {
                inner: o,
                meter: meter.clone(),
            }) as Arc<dyn Outbox>
        });
        Instrumented {
            inner,
            meter,
            outbox,
        }
    }

    async fn run<T>(
        &self,
        op: StoreOp,
        fut: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        self.meter.run(op, fut).await
    }
}

impl Meter {
    async fn run<T>(
        &self,
        op: StoreOp,
        fut: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        let backend = self.backend;
        m::gauge_add_in_flight(&self.in_flight, 1);
        let started = Instant::now();
        // The backend has its own per-command timeout; this one bounds operations made of
        // several commands, so no caller ever waits longer than configured. Its deadline
        // comes from `started`: `timeout` would read the clock once more per operation.
        let deadline = tokio::time::Instant::from_std(started) + self.timeout;
        let result = match tokio::time::timeout_at(deadline, fut).await {
            Ok(r) => r,
            Err(_) => Err(StoreError::Timeout),
        };
        m::store_op(op, backend, started.elapsed());
        if let Err(e) = &result {
            m::store_error(op, e.kind());
            // The one place a store failure's cause is logged, with every error under it:
            // callers map it to an error code (`store_unavailable`, `internal`) that says
            // nothing of why.
            tracing::warn!(op = op.as_str(), backend, error = %Chain(e), "store operation failed");
        }
        m::gauge_add_in_flight(&self.in_flight, -1);
        result
    }
}

#[async_trait]
impl RoomStore for Instrumented {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }

    fn is_remote(&self) -> bool {
        self.inner.is_remote()
    }

    /// The backend's own: the delivery side times and logs its calls itself.
    fn outbox(&self) -> Option<Arc<dyn Outbox>> {
        self.outbox.clone()
    }

    async fn create(&self, doc: &RoomDoc) -> Result<bool, StoreError> {
        self.run(StoreOp::CreateRoom, self.inner.create(doc)).await
    }

    async fn create_unlisted(&self, doc: &RoomDoc) -> Result<bool, StoreError> {
        self.run(StoreOp::CreateRoom, self.inner.create_unlisted(doc))
            .await
    }

    async fn claim_open(
        &self,
        game: GameKind,
        offer: Option<&str>,
    ) -> Result<Option<String>, StoreError> {
        self.run(StoreOp::ClaimOpen, self.inner.claim_open(game, offer))
            .await
    }

    async fn load(&self, code: &str) -> Result<Option<RoomDoc>, StoreError> {
        self.run(StoreOp::LoadRoom, self.inner.load(code)).await
    }

    async fn update(
        &self,
        expected: u64,
        doc: &SharedDoc,
        env: Envelope,
        extras: Extras,
    ) -> Result<CasOutcome, StoreError> {
        let result = self
            .run(
                StoreOp::UpdateRoom,
                self.inner.update(expected, doc, env, extras),
            )
            .await;
        if let Ok(CasOutcome::Conflict(_)) = &result {
            m::store_error(StoreOp::UpdateRoom, "conflict");
        }
        result
    }

    async fn delete(
        &self,
        code: &str,
        env: &Envelope,
        event: Option<&OutboxEvent>,
    ) -> Result<bool, StoreError> {
        self.run(StoreOp::DeleteRoom, self.inner.delete(code, env, event))
            .await
    }

    async fn delete_at(
        &self,
        code: &str,
        expected: u64,
        env: &Envelope,
        event: Option<&OutboxEvent>,
    ) -> Result<CasOutcome, StoreError> {
        let result = self
            .run(
                StoreOp::DeleteRoom,
                self.inner.delete_at(code, expected, env, event),
            )
            .await;
        if let Ok(CasOutcome::Conflict(_)) = &result {
            m::store_error(StoreOp::DeleteRoom, "conflict");
        }
        result
    }

    async fn moves(&self, code: &str) -> Result<Vec<String>, StoreError> {
        self.run(StoreOp::LoadMoves, self.inner.moves(code)).await
    }

    async fn user_rooms(&self, user: &str) -> Result<Vec<RoomDoc>, StoreError> {
        self.run(StoreOp::UserRooms, self.inner.user_rooms(user))
            .await
    }

    async fn revoke(&self, user: &str, at_ms: i64, ttl: Duration) -> Result<(), StoreError> {
        self.run(StoreOp::Revoke, self.inner.revoke(user, at_ms, ttl))
            .await
    }

    async fn revoked_at(&self, user: &str) -> Result<Option<i64>, StoreError> {
        self.run(StoreOp::ReadRevocations, self.inner.revoked_at(user))
            .await
    }

    async fn revocations_since(&self, after_ms: i64) -> Result<Vec<(String, i64)>, StoreError> {
        self.run(
            StoreOp::ReadRevocations,
            self.inner.revocations_since(after_ms),
        )
        .await
    }

    async fn publish(&self, code: &str, env: &Envelope) -> Result<bool, StoreError> {
        self.run(StoreOp::Publish, self.inner.publish(code, env))
            .await
    }

    async fn open_rooms(
        &self,
        game: Option<GameKind>,
        limit: usize,
    ) -> Result<Vec<RoomDoc>, StoreError> {
        self.run(StoreOp::OpenRooms, self.inner.open_rooms(game, limit))
            .await
    }

    async fn list_rooms(&self, cursor: Option<&str>, limit: usize) -> Result<RoomPage, StoreError> {
        self.run(StoreOp::ListRooms, self.inner.list_rooms(cursor, limit))
            .await
    }

    async fn subscribe(&self, code: &str) -> Result<(), StoreError> {
        self.run(StoreOp::Subscribe, self.inner.subscribe(code))
            .await
    }

    async fn unsubscribe(&self, code: &str) -> Result<(), StoreError> {
        self.run(StoreOp::Unsubscribe, self.inner.unsubscribe(code))
            .await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.run(StoreOp::Ping, self.inner.ping()).await
    }

    async fn heartbeat(
        &self,
        node: &str,
        ttl: Duration,
        rooms: &[Arc<str>],
    ) -> Result<bool, StoreError> {
        self.run(StoreOp::Heartbeat, self.inner.heartbeat(node, ttl, rooms))
            .await
    }

    async fn dead_nodes(&self) -> Result<Vec<(String, Vec<String>)>, StoreError> {
        self.run(StoreOp::DeadNodes, self.inner.dead_nodes()).await
    }

    async fn forget_node(&self, node: &str) -> Result<(), StoreError> {
        self.run(StoreOp::ForgetNode, self.inner.forget_node(node))
            .await
    }

    fn pool_stats(&self) -> Option<PoolStats> {
        self.inner.pool_stats().map(|mut s| {
            s.in_flight = self.meter.in_flight.load(Ordering::Relaxed).max(0) as usize;
            s
        })
    }

    fn reconnects(&self) -> u64 {
        self.inner.reconnects()
    }

    async fn close(&self) {
        self.inner.close().await
    }

    async fn arm_deadline(&self, code: &str, at: u64) -> Result<(), StoreError> {
        self.run(StoreOp::ArmDeadline, self.inner.arm_deadline(code, at))
            .await
    }

    async fn due_deadlines(
        &self,
        now: u64,
        limit: usize,
    ) -> Result<Vec<(String, u64)>, StoreError> {
        self.run(StoreOp::DueDeadlines, self.inner.due_deadlines(now, limit))
            .await
    }

    async fn disarm_deadline(&self, code: &str, at: u64) -> Result<(), StoreError> {
        self.run(
            StoreOp::DisarmDeadline,
            self.inner.disarm_deadline(code, at),
        )
        .await
    }
}

/// The outbox of an instrumented store: its operations timed and counted like the
/// store's (ops `outbox_claim`, `outbox_report`, `outbox_read`).
struct TimedOutbox {
    inner: Arc<dyn Outbox>,
    meter: Meter,
}

#[async_trait]
impl Outbox for TimedOutbox {
    #[cfg(any(test, feature = "internals"))]
    async fn enqueue(&self, event: &OutboxEvent) -> Result<(), StoreError> {
        let op = StoreOp::OutboxReport;
        self.meter.run(op, self.inner.enqueue(event)).await
    }

    async fn claim(&self, consumer: &str, max: usize) -> Result<Vec<Claimed>, StoreError> {
        let op = StoreOp::OutboxClaim;
        self.meter.run(op, self.inner.claim(consumer, max)).await
    }

    async fn delivered(&self, events: &[Claimed]) -> Result<(), StoreError> {
        let op = StoreOp::OutboxReport;
        self.meter.run(op, self.inner.delivered(events)).await
    }

    async fn retry_at(&self, event: &Claimed, due_ms: i64, error: &str) -> Result<(), StoreError> {
        let op = StoreOp::OutboxReport;
        self.meter
            .run(op, self.inner.retry_at(event, due_ms, error))
            .await
    }

    async fn bury(&self, event: &Claimed, error: &str) -> Result<(), StoreError> {
        let op = StoreOp::OutboxReport;
        self.meter.run(op, self.inner.bury(event, error)).await
    }

    async fn hand_back(&self, consumer: &str) -> Result<(), StoreError> {
        let op = StoreOp::OutboxReport;
        self.meter.run(op, self.inner.hand_back(consumer)).await
    }

    async fn stats(&self) -> Result<OutboxStats, StoreError> {
        self.meter.run(StoreOp::OutboxRead, self.inner.stats()).await
    }

    async fn dead_letters(&self, limit: usize) -> Result<Vec<DeadLetter>, StoreError> {
        let op = StoreOp::OutboxRead;
        self.meter.run(op, self.inner.dead_letters(limit)).await
    }

    async fn revive(&self, id: &str) -> Result<bool, StoreError> {
        let op = StoreOp::OutboxReport;
        self.meter.run(op, self.inner.revive(id)).await
    }

    async fn discard(&self, id: &str) -> Result<bool, StoreError> {
        let op = StoreOp::OutboxReport;
        self.meter.run(op, self.inner.discard(id)).await
    }
}
