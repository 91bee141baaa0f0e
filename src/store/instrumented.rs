//! Metrics for every store operation, recorded in one place: this wrapper times each call
//! (`parlor_store_op_duration_seconds`), counts its failures by kind
//! (`parlor_store_op_errors_total`) and keeps the in-flight gauge, whatever the backend.

use std::future::Future;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::{CasOutcome, IndexChange, PoolStats, RoomPage, RoomStore};
use crate::error::StoreError;
use crate::game::GameKind;
use crate::hub::Envelope;
use crate::metrics as m;
use crate::room::model::RoomDoc;

/// A store that records metrics around another one and enforces the op timeout.
pub struct Instrumented {
    inner: Arc<dyn RoomStore>,
    timeout: Duration,
    in_flight: AtomicI64,
}

impl Instrumented {
    /// Wrap `inner`; every operation fails with [`StoreError::Timeout`] after `timeout`.
    pub fn new(inner: Arc<dyn RoomStore>, timeout: Duration) -> Self {
        Instrumented {
            inner,
            timeout,
            in_flight: AtomicI64::new(0),
        }
    }

    async fn run<T>(
        &self,
        op: &'static str,
        fut: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        let backend = self.inner.backend();
        m::gauge_add_in_flight(&self.in_flight, 1);
        let started = Instant::now();
        // The backend has its own per-command timeout; this one bounds operations made of
        // several commands, so no caller ever waits longer than configured.
        let result = match tokio::time::timeout(self.timeout, fut).await {
            Ok(r) => r,
            Err(_) => Err(StoreError::Timeout),
        };
        m::store_op(op, backend, started.elapsed());
        if let Err(e) = &result {
            m::store_error(op, e.kind());
            // The one place a store failure's cause is logged: callers map it to an error
            // code (`store_unavailable`, `internal`) that says nothing of why.
            tracing::warn!(op, backend, error = %e, "store operation failed");
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

    async fn create(&self, doc: &RoomDoc) -> Result<bool, StoreError> {
        self.run("create_room", self.inner.create(doc)).await
    }

    async fn load(&self, code: &str) -> Result<Option<RoomDoc>, StoreError> {
        self.run("load_room", self.inner.load(code)).await
    }

    async fn update(
        &self,
        expected: u64,
        doc: &RoomDoc,
        env: &Envelope,
        index: IndexChange,
    ) -> Result<CasOutcome, StoreError> {
        let result = self
            .run("update_room", self.inner.update(expected, doc, env, index))
            .await;
        if let Ok(CasOutcome::Conflict(_)) = &result {
            m::store_error("update_room", "conflict");
        }
        result
    }

    async fn delete(&self, code: &str, env: &Envelope) -> Result<bool, StoreError> {
        self.run("delete_room", self.inner.delete(code, env)).await
    }

    async fn delete_at(
        &self,
        code: &str,
        expected: u64,
        env: &Envelope,
    ) -> Result<CasOutcome, StoreError> {
        let result = self
            .run("delete_room", self.inner.delete_at(code, expected, env))
            .await;
        if let Ok(CasOutcome::Conflict(_)) = &result {
            m::store_error("delete_room", "conflict");
        }
        result
    }

    async fn publish(&self, code: &str, env: &Envelope) -> Result<bool, StoreError> {
        self.run("publish", self.inner.publish(code, env)).await
    }

    async fn open_rooms(
        &self,
        game: Option<GameKind>,
        limit: usize,
    ) -> Result<Vec<RoomDoc>, StoreError> {
        self.run("open_rooms", self.inner.open_rooms(game, limit))
            .await
    }

    async fn list_rooms(&self, cursor: Option<&str>, limit: usize) -> Result<RoomPage, StoreError> {
        self.run("list_rooms", self.inner.list_rooms(cursor, limit))
            .await
    }

    async fn subscribe(&self, code: &str) -> Result<(), StoreError> {
        self.run("subscribe", self.inner.subscribe(code)).await
    }

    async fn unsubscribe(&self, code: &str) -> Result<(), StoreError> {
        self.run("unsubscribe", self.inner.unsubscribe(code)).await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.run("ping", self.inner.ping()).await
    }

    async fn heartbeat(
        &self,
        node: &str,
        ttl: Duration,
        rooms: &[Arc<str>],
    ) -> Result<bool, StoreError> {
        self.run("heartbeat", self.inner.heartbeat(node, ttl, rooms))
            .await
    }

    async fn dead_nodes(&self) -> Result<Vec<(String, Vec<String>)>, StoreError> {
        self.run("heartbeat", self.inner.dead_nodes()).await
    }

    async fn forget_node(&self, node: &str) -> Result<(), StoreError> {
        self.run("heartbeat", self.inner.forget_node(node)).await
    }

    fn pool_stats(&self) -> Option<PoolStats> {
        self.inner.pool_stats().map(|mut s| {
            s.in_flight = self.in_flight.load(Ordering::Relaxed).max(0) as usize;
            s
        })
    }

    fn reconnects(&self) -> u64 {
        self.inner.reconnects()
    }

    async fn close(&self) {
        self.inner.close().await
    }
}
