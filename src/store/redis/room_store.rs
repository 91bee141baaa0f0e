//! The [`RoomStore`] interface on Redis. The room writes are in [`writes`](super::writes),
//! the listings in [`reads`](super::reads), the turn-clock index in [`clock`](super::clock)
//! and node liveness in [`liveness`](super::liveness); the short operations are here:
//! quick play's claim, a room read, (un)subscribing, readiness, pool figures and close.
//! The module docs of [`super`] list every operation's round trips.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use fred::interfaces::{ClientLike, HashesInterface, ListInterface, PubsubInterface};
use futures_util::future::join_all;

use super::codec::parse_doc;
use super::eval::eval;
use super::failure::store_err;
use super::RedisStore;
use crate::error::StoreError;
use crate::game::GameKind;
use crate::model::Envelope;
use crate::model::{RoomDoc, SharedDoc};
use crate::store::{now_ms, CasOutcome, Extras, OutboxEvent, PoolStats, RoomPage, RoomStore};
use crate::store::outbox::Outbox;

#[async_trait]
impl RoomStore for RedisStore {
    fn backend(&self) -> &'static str {
        "redis"
    }

    fn outbox(&self) -> Option<Arc<dyn Outbox>> {
        Some(self.outbox.clone())
    }

    fn is_remote(&self) -> bool {
        true
    }

    async fn create(&self, doc: &RoomDoc) -> Result<bool, StoreError> {
        self.write_create(doc, true).await
    }

    async fn create_unlisted(&self, doc: &RoomDoc) -> Result<bool, StoreError> {
        self.write_create(doc, false).await
    }

    async fn claim_open(
        &self,
        game: GameKind,
        offer: Option<&str>,
    ) -> Result<Option<String>, StoreError> {
        let now = now_ms();
        eval(&self.scripts.claim, &self.conns.pick(), || {
            (
                vec![self.keys.open(game)],
                vec![
                    now.to_string(),
                    offer.unwrap_or_default().to_string(),
                    self.clock.score(now).to_string(),
                ],
            )
        })
        .await
        .map_err(store_err)
    }

    async fn load(&self, code: &str) -> Result<Option<RoomDoc>, StoreError> {
        let doc: Option<String> = self
            .conns
            .pick()
            .hget(self.keys.room(code), "doc")
            .await
            .map_err(store_err)?;
        doc.as_deref().map(parse_doc).transpose()
    }

    async fn update(
        &self,
        expected: u64,
        doc: &SharedDoc,
        env: Envelope,
        extras: Extras,
    ) -> Result<CasOutcome, StoreError> {
        self.write_update(expected, doc, env, extras).await
    }

    async fn delete(
        &self,
        code: &str,
        env: &Envelope,
        event: Option<&OutboxEvent>,
    ) -> Result<bool, StoreError> {
        self.write_delete(code, env, event).await
    }

    async fn delete_at(
        &self,
        code: &str,
        expected: u64,
        env: &Envelope,
        event: Option<&OutboxEvent>,
    ) -> Result<CasOutcome, StoreError> {
        self.write_delete_at(code, expected, env, event).await
    }

    async fn user_rooms(&self, user: &str) -> Result<Vec<RoomDoc>, StoreError> {
        self.read_user_rooms(user).await
    }

    async fn revoke(&self, user: &str, at_ms: i64, ttl: Duration) -> Result<(), StoreError> {
        self.write_revoke(user, at_ms, ttl.as_millis() as i64).await
    }

    async fn revoked_at(&self, user: &str) -> Result<Option<i64>, StoreError> {
        self.read_revoked_at(user).await
    }

    async fn revocations_since(&self, after_ms: i64) -> Result<Vec<(String, i64)>, StoreError> {
        self.read_revocations_since(after_ms).await
    }

    async fn moves(&self, code: &str) -> Result<Vec<String>, StoreError> {
        self.conns
            .pick()
            .lrange(self.keys.moves(code), 0, -1)
            .await
            .map_err(store_err)
    }

    async fn publish(&self, code: &str, env: &Envelope) -> Result<bool, StoreError> {
        self.write_publish(code, env).await
    }

    async fn open_rooms(
        &self,
        game: Option<GameKind>,
        limit: usize,
    ) -> Result<Vec<RoomDoc>, StoreError> {
        self.read_open(game, limit).await
    }

    async fn list_rooms(&self, cursor: Option<&str>, limit: usize) -> Result<RoomPage, StoreError> {
        self.read_page(cursor, limit).await
    }

    async fn subscribe(&self, code: &str) -> Result<(), StoreError> {
        self.subscriber
            .ssubscribe(self.keys.channel(code))
            .await
            .map_err(store_err)
    }

    async fn unsubscribe(&self, code: &str) -> Result<(), StoreError> {
        self.subscriber
            .sunsubscribe(self.keys.channel(code))
            .await
            .map_err(store_err)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        // Ready means every request can be served: commands go round-robin over the whole
        // pool, so one connection still in its reconnect back-off fails every Nth request.
        let clients = self.conns.pool().clients();
        if let Some(down) = clients.iter().position(|c| !c.is_connected()) {
            let reason = format!("pool connection {down} of {} not connected", clients.len());
            return Err(StoreError::Connection(reason.into()));
        }
        let pings = clients.iter().map(|c| c.ping::<String>(None));
        for pong in join_all(pings).await {
            pong.map_err(store_err)?;
        }
        // Without the subscriber this node writes but cannot deliver room events.
        if !self.subscriber.is_connected() {
            return Err(StoreError::Connection(
                "room event subscriber not connected".into(),
            ));
        }
        Ok(())
    }

    async fn heartbeat(
        &self,
        node: &str,
        ttl: Duration,
        rooms: &[Arc<str>],
    ) -> Result<bool, StoreError> {
        self.beat(node, ttl, rooms).await
    }

    async fn dead_nodes(&self) -> Result<Vec<(String, Vec<String>)>, StoreError> {
        self.lapsed().await
    }

    async fn forget_node(&self, node: &str) -> Result<(), StoreError> {
        self.forget(node).await
    }

    fn pool_stats(&self) -> Option<PoolStats> {
        let clients = self.conns.pool().clients();
        Some(PoolStats {
            size: clients.len(),
            connected: clients.iter().filter(|c| c.is_connected()).count(),
            in_flight: 0,
        })
    }

    fn reconnects(&self) -> u64 {
        self.reconnects.load(Ordering::Relaxed)
    }

    async fn close(&self) {
        for sentinel in &self.sentinels {
            let _ = sentinel.quit().await;
        }
        let _ = self.subscriber.quit().await;
        let _ = self.conns.pool().quit().await;
        for t in &self.tasks {
            t.abort();
        }
    }

    async fn arm_deadline(&self, code: &str, at: u64) -> Result<(), StoreError> {
        self.zadd_deadline(code, at).await
    }

    async fn due_deadlines(
        &self,
        now: u64,
        limit: usize,
    ) -> Result<Vec<(String, u64)>, StoreError> {
        self.due(now, limit).await
    }

    async fn disarm_deadline(&self, code: &str, at: u64) -> Result<(), StoreError> {
        self.zrem_deadline(code, at).await
    }
}
