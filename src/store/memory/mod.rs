//! The embedded in-memory backend: one node, no Redis, nothing survives a restart.
//!
//! A `std` mutex guards the rooms: nothing awaits while it is held, and events are handed
//! to the hub under the lock so their order matches the order of the writes. Beside the
//! rooms it keeps an ordered index of the rooms it may offer per game, updated on every
//! write, so quick play and the room list read a few entries instead of every room; both
//! live in [`shelf`].

mod outbox;
mod shelf;

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::task::JoinHandle;

pub use self::outbox::MemoryOutbox;
use self::shelf::{Entry, Shelf};
use super::outbox::CLOSED_EXPIRED;
use super::{now_ms, CasOutcome, Extras, Move, MoveLog, OutboxEvent, RoomPage, RoomStore};
use crate::error::StoreError;
use crate::game::GameKind;
use crate::hub::Hub;
use crate::model::Envelope;
use crate::model::{RoomDoc, SharedDoc};

/// Rooms in this process.
pub struct MemoryStore {
    shelf: Arc<Mutex<Shelf>>,
    ttl: Duration,
    hub: Hub,
    sweeper: JoinHandle<()>,
    /// The turn-clock index: (deadline ms, room code).
    deadlines: Mutex<BTreeSet<(u64, String)>>,
    /// Events for the game's backend, recorded with the writes that cause them.
    outbox: Arc<MemoryOutbox>,
    /// Revoked users and when (Unix ms).
    revoked: Mutex<HashMap<String, i64>>,
    /// Whether expiring rooms record `room.closed` (see [`MemoryStore::record_expiries`]).
    results: Arc<AtomicBool>,
}

impl MemoryStore {
    /// A store whose rooms expire after `ttl` without a change, delivering events to `hub`.
    pub fn new(ttl: Duration, hub: Hub) -> Self {
        let shelf = Arc::new(Mutex::new(Shelf::default()));
        let outbox: Arc<MemoryOutbox> = Arc::default();
        let results = Arc::new(AtomicBool::new(false));
        let weak = Arc::downgrade(&shelf);
        let period = (ttl / 4).clamp(Duration::from_millis(100), Duration::from_secs(10));
        let (closures, recording) = (outbox.clone(), results.clone());
        let sweeper = tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            loop {
                tick.tick().await;
                let Some(shelf) = weak.upgrade() else { break };
                let mut shelf = shelf.lock().unwrap_or_else(|e| e.into_inner());
                let gone = shelf.sweep(Instant::now());
                if recording.load(Ordering::Relaxed) {
                    for doc in gone {
                        let event = OutboxEvent::room_closed(
                            &doc.code,
                            doc.game.name(),
                            &doc.created_at,
                            CLOSED_EXPIRED,
                            now_ms(),
                        );
                        closures.push(&event, &[]);
                    }
                }
            }
        });
        MemoryStore {
            shelf,
            ttl,
            hub,
            sweeper,
            deadlines: Mutex::default(),
            outbox,
            revoked: Mutex::default(),
            results,
        }
    }

    /// Record `room.closed` for rooms that expire (results webhooks on).
    pub fn record_expiries(&self) {
        self.results.store(true, Ordering::Relaxed);
    }

    fn lock(&self) -> MutexGuard<'_, Shelf> {
        self.shelf.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn clock(&self) -> MutexGuard<'_, BTreeSet<(u64, String)>> {
        self.deadlines.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn insert(&self, doc: &RoomDoc, listed: bool) -> bool {
        let mut shelf = self.lock();
        if shelf.live(&doc.code).is_some() {
            return false;
        }
        shelf.remove(&doc.code);
        shelf.rooms.insert(
            doc.code.clone(),
            Entry::new(Arc::new(doc.clone()), Instant::now() + self.ttl),
        );
        if listed {
            shelf.follow(&doc.code);
        }
        true
    }
}

impl Drop for MemoryStore {
    fn drop(&mut self) {
        self.sweeper.abort();
    }
}

#[async_trait]
impl RoomStore for MemoryStore {
    fn backend(&self) -> &'static str {
        "memory"
    }

    fn is_remote(&self) -> bool {
        false
    }

    async fn create(&self, doc: &RoomDoc) -> Result<bool, StoreError> {
        Ok(self.insert(doc, true))
    }

    async fn create_unlisted(&self, doc: &RoomDoc) -> Result<bool, StoreError> {
        Ok(self.insert(doc, false))
    }

    async fn claim_open(
        &self,
        game: GameKind,
        offer: Option<&str>,
    ) -> Result<Option<String>, StoreError> {
        Ok(self.lock().claim(game, offer))
    }

    async fn load(&self, code: &str) -> Result<Option<RoomDoc>, StoreError> {
        Ok(self.lock().live(code).map(|e| RoomDoc::clone(&e.doc)))
    }

    async fn update(
        &self,
        expected: u64,
        doc: &SharedDoc,
        env: Envelope,
        // The open index follows each write's document here, under the same lock.
        extras: Extras,
    ) -> Result<CasOutcome, StoreError> {
        let mut shelf = self.lock();
        // One clock read for both the liveness check and the new expiry.
        let now = Instant::now();
        let Some(entry) = shelf.live_at(&doc.code, now) else {
            return Ok(CasOutcome::Missing);
        };
        if entry.doc.version != expected {
            return Ok(CasOutcome::Conflict(Box::new(RoomDoc::clone(&entry.doc))));
        }
        entry.doc = doc.clone();
        entry.expires = now + self.ttl;
        match extras.moves {
            MoveLog::Keep => {}
            MoveLog::Append(m) => entry.moves.push(m),
            MoveLog::Restart => entry.moves.clear(),
        }
        if let Some(event) = &extras.event {
            self.outbox.push(event, &entry.moves);
        }
        shelf.follow(&doc.code);
        self.hub.deliver(&doc.code, env);
        Ok(CasOutcome::Applied)
    }

    async fn delete(
        &self,
        code: &str,
        env: &Envelope,
        event: Option<&OutboxEvent>,
    ) -> Result<bool, StoreError> {
        let mut shelf = self.lock();
        let existed = shelf.live(code).is_some();
        shelf.remove(code);
        if existed {
            if let Some(event) = event {
                self.outbox.push(event, &[]);
            }
            self.hub.deliver(code, env.clone());
        }
        Ok(existed)
    }

    async fn delete_at(
        &self,
        code: &str,
        expected: u64,
        env: &Envelope,
        event: Option<&OutboxEvent>,
    ) -> Result<CasOutcome, StoreError> {
        let mut shelf = self.lock();
        let Some(entry) = shelf.live(code) else {
            return Ok(CasOutcome::Missing);
        };
        if entry.doc.version != expected {
            return Ok(CasOutcome::Conflict(Box::new(RoomDoc::clone(&entry.doc))));
        }
        shelf.remove(code);
        if let Some(event) = event {
            self.outbox.push(event, &[]);
        }
        self.hub.deliver(code, env.clone());
        Ok(CasOutcome::Applied)
    }

    async fn user_rooms(&self, user: &str) -> Result<Vec<RoomDoc>, StoreError> {
        let now = Instant::now();
        let shelf = self.lock();
        // One node's rooms, in memory: a scan is cheaper than keeping another index.
        Ok(shelf
            .rooms
            .values()
            .filter(|e| e.expires > now)
            .filter(|e| e.doc.players.iter().any(|p| p.user.as_deref() == Some(user)))
            .map(|e| RoomDoc::clone(&e.doc))
            .collect())
    }

    async fn revoke(&self, user: &str, at_ms: i64, ttl: Duration) -> Result<(), StoreError> {
        let mut revoked = self.revoked.lock().unwrap_or_else(|e| e.into_inner());
        let oldest = at_ms - ttl.as_millis() as i64;
        revoked.retain(|_, at| *at > oldest);
        revoked.insert(user.to_string(), at_ms);
        Ok(())
    }

    async fn revoked_at(&self, user: &str) -> Result<Option<i64>, StoreError> {
        let revoked = self.revoked.lock().unwrap_or_else(|e| e.into_inner());
        Ok(revoked.get(user).copied())
    }

    async fn revocations_since(&self, after_ms: i64) -> Result<Vec<(String, i64)>, StoreError> {
        let revoked = self.revoked.lock().unwrap_or_else(|e| e.into_inner());
        let mut since: Vec<(String, i64)> = revoked
            .iter()
            .filter(|(_, at)| **at > after_ms)
            .map(|(u, at)| (u.clone(), *at))
            .collect();
        since.sort_by_key(|(_, at)| *at);
        Ok(since)
    }

    async fn moves(&self, code: &str) -> Result<Vec<String>, StoreError> {
        Ok(self
            .lock()
            .live(code)
            .map(|e| e.moves.iter().map(Move::to_json).collect())
            .unwrap_or_default())
    }

    async fn publish(&self, code: &str, env: &Envelope) -> Result<bool, StoreError> {
        let mut shelf = self.lock();
        let Some(entry) = shelf.live(code) else {
            return Ok(false);
        };
        entry.expires = Instant::now() + self.ttl;
        self.hub.deliver(code, env.clone());
        Ok(true)
    }

    async fn open_rooms(
        &self,
        game: Option<GameKind>,
        limit: usize,
    ) -> Result<Vec<RoomDoc>, StoreError> {
        let games: Vec<GameKind> = game.map_or_else(|| GameKind::ALL.to_vec(), |g| vec![g]);
        let shelf = self.lock();
        let mut open: Vec<(u64, RoomDoc)> = games
            .into_iter()
            .flat_map(|g| shelf.offered(g, limit))
            .collect();
        drop(shelf);
        open.sort_by_key(|(seq, _)| *seq);
        open.truncate(limit);
        Ok(open.into_iter().map(|(_, doc)| doc).collect())
    }

    async fn list_rooms(&self, cursor: Option<&str>, limit: usize) -> Result<RoomPage, StoreError> {
        Ok(self.lock().page(cursor, limit))
    }

    async fn subscribe(&self, _code: &str) -> Result<(), StoreError> {
        Ok(())
    }

    async fn unsubscribe(&self, _code: &str) -> Result<(), StoreError> {
        Ok(())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }

    async fn close(&self) {}

    fn outbox(&self) -> Option<Arc<dyn super::outbox::Outbox>> {
        Some(self.outbox.clone())
    }

    async fn arm_deadline(&self, code: &str, at: u64) -> Result<(), StoreError> {
        self.clock().insert((at, code.to_string()));
        Ok(())
    }

    async fn due_deadlines(
        &self,
        now: u64,
        limit: usize,
    ) -> Result<Vec<(String, u64)>, StoreError> {
        let clock = self.clock();
        let due = clock.iter().take_while(|(at, _)| *at <= now).take(limit);
        Ok(due.map(|(at, code)| (code.clone(), *at)).collect())
    }

    async fn disarm_deadline(&self, code: &str, at: u64) -> Result<(), StoreError> {
        self.clock().remove(&(at, code.to_string()));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    //! The open index: quick play takes the oldest offered room, never the caller's own,
    //! lists the caller's room when there is none, a room leaves the index when it fills
    //! or its players all drop, and a write that keeps it offered keeps its place in line.

    use super::*;
    use crate::model::{PlayerRec, Status};
    use crate::store::IndexChange;
    use crate::store::offered;

    fn waiting(code: &str) -> RoomDoc {
        let game = GameKind::Tictactoe;
        RoomDoc {
            code: code.to_string(),
            game,
            status: Status::Waiting,
            private: false,
            created_at: "2026-01-01T00:00:00Z".into(),
            updated_at: "2026-01-01T00:00:00Z".into(),
            version: 1,
            players: Arc::new(vec![PlayerRec {
                player_id: format!("p_{code}"),
                name: "host".into(),
                seat: 0,
                connected: true,
                session_hash: String::new(),
                epoch: 1,
                user: None,
            }]),
            spectators: 0,
            state: Arc::new(game.new_state(0)),
            first: 0,
            turn_secs: None,
            deadline: None,
            presence: Default::default(),
            rematch: Vec::new(),
            game_number: 0,
            game_started_at: None,
        }
    }

    async fn write(store: &MemoryStore, before: &RoomDoc, change: impl FnOnce(&mut RoomDoc)) {
        let mut after = before.clone();
        change(&mut after);
        after.version += 1;
        let index = IndexChange::between(before, &after);
        let applied = store
            .update(
                before.version,
                &Arc::new(after),
                Envelope::default(),
                Extras::index(index),
            )
            .await;
        assert!(matches!(applied, Ok(CasOutcome::Applied)));
    }

    #[tokio::test]
    async fn claims_oldest_first_and_lists_its_own_when_none() {
        let store = MemoryStore::new(Duration::from_secs(60), Hub::new());
        for code in ["AAAAAA", "BBBBBB"] {
            assert!(store.create(&waiting(code)).await.unwrap_or(false));
        }
        let own = waiting("CCCCCC");
        assert!(store.create_unlisted(&own).await.unwrap_or(false));
        let game = GameKind::Tictactoe;
        let listed = store.open_rooms(Some(game), 10).await.unwrap_or_default();
        let codes: Vec<&str> = listed.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(codes, ["AAAAAA", "BBBBBB"], "unlisted room shown");
        assert_eq!(
            store
                .claim_open(game, Some("CCCCCC"))
                .await
                .ok()
                .flatten()
                .as_deref(),
            Some("AAAAAA")
        );
        assert_eq!(
            store.claim_open(game, None).await.ok().flatten().as_deref(),
            Some("BBBBBB")
        );
        assert_eq!(
            store.claim_open(game, Some("CCCCCC")).await.ok(),
            Some(None)
        );
        // Listed now, but never handed back to the room that listed it.
        assert_eq!(
            store.claim_open(game, Some("CCCCCC")).await.ok(),
            Some(None)
        );
        assert_eq!(
            store.claim_open(game, None).await.ok().flatten().as_deref(),
            Some("CCCCCC")
        );
    }

    #[tokio::test]
    async fn a_room_leaves_the_index_when_its_players_drop_and_comes_back() {
        let store = MemoryStore::new(Duration::from_secs(60), Hub::new());
        let room = waiting("DDDDDD");
        assert!(store.create(&room).await.unwrap_or(false));
        write(&store, &room, |d| d.players_mut()[0].connected = false).await;
        let game = GameKind::Tictactoe;
        assert!(store
            .open_rooms(Some(game), 10)
            .await
            .is_ok_and(|l| l.is_empty()));
        assert_eq!(store.claim_open(game, None).await.ok(), Some(None));
        let dropped = store.load("DDDDDD").await.ok().flatten().expect("stored");
        assert!(!offered(&dropped));
        write(&store, &dropped, |d| d.players_mut()[0].connected = true).await;
        assert_eq!(
            store.claim_open(game, None).await.ok().flatten().as_deref(),
            Some("DDDDDD")
        );
    }

    #[tokio::test]
    async fn a_write_that_keeps_a_room_offered_keeps_its_place_in_line() {
        let store = MemoryStore::new(Duration::from_secs(60), Hub::new());
        let first = waiting("EEEEEE");
        for room in [&first, &waiting("FFFFFF")] {
            assert!(store.create(room).await.unwrap_or(false));
        }
        // A write that changes nothing about being offered (a rename, a spectator) must
        // neither move the room to the back of the line nor take it off.
        write(&store, &first, |d| {
            d.players_mut()[0].name = "renamed".into()
        })
        .await;
        let game = GameKind::Tictactoe;
        let listed = store.open_rooms(Some(game), 10).await.unwrap_or_default();
        let codes: Vec<&str> = listed.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(codes, ["EEEEEE", "FFFFFF"]);
        assert_eq!(
            listed[0].players[0].name, "renamed",
            "the listing shows the new document"
        );
    }
}
