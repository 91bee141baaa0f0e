//! This node's subscriptions to rooms' events: taken before a local member's join is
//! written, so it misses nothing, and dropped by the sweeper once no local member is left.
//! Each room has its own async lock, so one room's slow round trip does not hold up
//! another's; the map is never locked across a round trip.

use std::sync::Arc;

use tokio::sync::Mutex as AsyncMutex;

use super::member::ConnHandle;
use super::Rooms;
use crate::error::{ProtoError, StoreError};
use crate::game::Seat;
use crate::hub::Member;

/// One room's subscription flag, behind the lock that orders its round trips.
pub(super) type Subscription = Arc<AsyncMutex<bool>>;

impl Rooms {
    /// Put a connection into a room's local fan-out and make sure this node receives the
    /// room's events, before the change that admits it is written (so it misses nothing).
    pub(super) async fn attach(
        &self,
        code: &str,
        conn: &ConnHandle,
        player_id: &str,
        epoch: u64,
        seat: Option<Seat>,
    ) -> Result<Arc<str>, ProtoError> {
        let key = self.hub.attach(
            code,
            Member {
                conn: conn.id,
                player_id: Arc::from(player_id),
                epoch,
                seat,
                tx: conn.tx.clone(),
                confirmed: false,
            },
        );
        if let Err(e) = self.ensure_subscribed(&key).await {
            self.hub.detach(code, conn.id);
            return Err(e.into());
        }
        Ok(key)
    }

    async fn ensure_subscribed(&self, code: &Arc<str>) -> Result<(), StoreError> {
        if !self.store.is_remote() {
            return Ok(());
        }
        let flag = self.subscription(code);
        let mut subscribed = flag.lock().await;
        if !*subscribed {
            self.store.subscribe(code).await?;
            *subscribed = true;
        }
        Ok(())
    }

    /// The subscription flag of a room, created unsubscribed.
    fn subscription(&self, code: &Arc<str>) -> Subscription {
        let mut map = self.subscribed.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(code.clone()).or_default().clone()
    }

    /// Unsubscribe from rooms that no longer have local members.
    pub async fn sweep_subscriptions(&self) {
        let idle: Vec<(Arc<str>, Subscription)> = {
            let map = self.subscribed.lock().unwrap_or_else(|e| e.into_inner());
            map.iter()
                .filter(|(c, _)| !self.hub.has_members(c))
                .map(|(c, f)| (c.clone(), f.clone()))
                .collect()
        };
        for (code, flag) in idle {
            {
                let mut subscribed = flag.lock().await;
                // A member may have arrived meanwhile; it attached before it subscribed.
                if self.hub.has_members(&code) {
                    continue;
                }
                if *subscribed {
                    match self.store.unsubscribe(&code).await {
                        Ok(()) => *subscribed = false,
                        Err(e) => {
                            tracing::warn!(error = %e, "unsubscribe failed; will retry");
                            continue;
                        }
                    }
                }
            }
            // Forget the entry unless someone picked it up meanwhile (clones of it are
            // only made under the map's lock, which we hold).
            let mut map = self.subscribed.lock().unwrap_or_else(|e| e.into_inner());
            if Arc::strong_count(&flag) == 2 && flag.try_lock().is_ok_and(|s| !*s) {
                map.remove(&code);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! The subscription locks: one room's slow subscribe round trip does not hold up another
    //! room's (each room has its own lock; the map is never locked across a round trip).

    use std::sync::Arc;
    use std::time::Duration;

    use async_trait::async_trait;
    use tokio::sync::Notify;

    use super::super::Rooms;
    use crate::error::StoreError;
    use crate::game::GameKind;
    use crate::hub::Hub;
    use crate::model::Envelope;
    use crate::model::{RoomDoc, SharedDoc};
    use crate::store::memory::MemoryStore;
    use crate::store::{CasOutcome, Extras, OutboxEvent, RoomPage, RoomStore};

    /// A memory store that acts remote and whose subscribe to `SLOW00` hangs until released:
    /// a Redis round trip stuck behind a slow server.
    struct StuckSubscribe {
        inner: MemoryStore,
        started: Notify,
        release: Notify,
    }

    #[async_trait]
    impl RoomStore for StuckSubscribe {
        fn backend(&self) -> &'static str {
            "memory"
        }
        fn is_remote(&self) -> bool {
            true
        }
        async fn create(&self, doc: &RoomDoc) -> Result<bool, StoreError> {
            self.inner.create(doc).await
        }
        async fn create_unlisted(&self, doc: &RoomDoc) -> Result<bool, StoreError> {
            self.inner.create_unlisted(doc).await
        }
        async fn claim_open(
            &self,
            game: GameKind,
            offer: Option<&str>,
        ) -> Result<Option<String>, StoreError> {
            self.inner.claim_open(game, offer).await
        }
        async fn load(&self, code: &str) -> Result<Option<RoomDoc>, StoreError> {
            self.inner.load(code).await
        }
        async fn update(
            &self,
            expected: u64,
            doc: &SharedDoc,
            env: Envelope,
            extras: Extras,
        ) -> Result<CasOutcome, StoreError> {
            self.inner.update(expected, doc, env, extras).await
        }
        async fn delete(
            &self,
            code: &str,
            env: &Envelope,
            event: Option<&OutboxEvent>,
        ) -> Result<bool, StoreError> {
            self.inner.delete(code, env, event).await
        }
        async fn delete_at(
            &self,
            code: &str,
            expected: u64,
            env: &Envelope,
            event: Option<&OutboxEvent>,
        ) -> Result<CasOutcome, StoreError> {
            self.inner.delete_at(code, expected, env, event).await
        }
        async fn moves(&self, code: &str) -> Result<Vec<String>, StoreError> {
            self.inner.moves(code).await
        }
        async fn user_rooms(&self, user: &str) -> Result<Vec<RoomDoc>, StoreError> {
            self.inner.user_rooms(user).await
        }
        async fn revoke(&self, user: &str, at: i64, ttl: Duration) -> Result<(), StoreError> {
            self.inner.revoke(user, at, ttl).await
        }
        async fn revoked_at(&self, user: &str) -> Result<Option<i64>, StoreError> {
            self.inner.revoked_at(user).await
        }
        async fn revocations_since(&self, after: i64) -> Result<Vec<(String, i64)>, StoreError> {
            self.inner.revocations_since(after).await
        }
        async fn publish(&self, code: &str, env: &Envelope) -> Result<bool, StoreError> {
            self.inner.publish(code, env).await
        }
        async fn arm_deadline(&self, code: &str, at: u64) -> Result<(), StoreError> {
            self.inner.arm_deadline(code, at).await
        }
        async fn due_deadlines(
            &self,
            now: u64,
            limit: usize,
        ) -> Result<Vec<(String, u64)>, StoreError> {
            self.inner.due_deadlines(now, limit).await
        }
        async fn disarm_deadline(&self, code: &str, at: u64) -> Result<(), StoreError> {
            self.inner.disarm_deadline(code, at).await
        }
        async fn open_rooms(
            &self,
            game: Option<GameKind>,
            limit: usize,
        ) -> Result<Vec<RoomDoc>, StoreError> {
            self.inner.open_rooms(game, limit).await
        }
        async fn list_rooms(
            &self,
            cursor: Option<&str>,
            limit: usize,
        ) -> Result<RoomPage, StoreError> {
            self.inner.list_rooms(cursor, limit).await
        }
        async fn subscribe(&self, code: &str) -> Result<(), StoreError> {
            if code == "SLOW00" {
                self.started.notify_one();
                self.release.notified().await;
            }
            Ok(())
        }
        async fn unsubscribe(&self, _code: &str) -> Result<(), StoreError> {
            Ok(())
        }
        async fn ping(&self) -> Result<(), StoreError> {
            Ok(())
        }
        async fn close(&self) {}
    }

    #[tokio::test]
    async fn a_stuck_subscribe_holds_up_only_its_own_room() {
        let hub = Hub::new();
        let ttl = Duration::from_secs(60);
        let store = Arc::new(StuckSubscribe {
            inner: MemoryStore::new(ttl, hub.clone()),
            started: Notify::new(),
            release: Notify::new(),
        });
        let rooms = Rooms::new(store.clone(), hub, ttl);
        let slow_rooms = rooms.clone();
        let slow =
            tokio::spawn(async move { slow_rooms.ensure_subscribed(&Arc::from("SLOW00")).await });
        // The slow subscribe is under way (and holds its room's lock).
        store.started.notified().await;
        let fast = tokio::time::timeout(
            Duration::from_secs(5),
            rooms.ensure_subscribed(&Arc::from("FAST00")),
        )
        .await;
        assert!(
            matches!(fast, Ok(Ok(()))),
            "a subscribe waited for another room's round trip"
        );
        assert!(!slow.is_finished());
        store.release.notify_one();
        assert!(matches!(slow.await, Ok(Ok(()))));
        // The sweep drops both (no local members) without waiting on anything.
        rooms.sweep_subscriptions().await;
        let map = rooms.subscribed.lock().unwrap_or_else(|e| e.into_inner());
        assert!(map.is_empty());
    }
}
