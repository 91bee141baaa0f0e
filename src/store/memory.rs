//! The embedded in-memory backend: one node, no Redis, nothing survives a restart.
//!
//! A `std` mutex guards the rooms: nothing awaits while it is held, and events are handed
//! to the hub under the lock so their order matches the order of the writes. Beside the
//! rooms it keeps an ordered index of the rooms it may offer per game, updated on every
//! write, so quick play and the room list read a few entries instead of every room.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::task::JoinHandle;

use super::{offered, CasOutcome, IndexChange, RoomPage, RoomStore};
use crate::error::StoreError;
use crate::game::GameKind;
use crate::hub::Hub;
use crate::model::Envelope;
use crate::model::{RoomDoc, SharedDoc};

struct Entry {
    doc: SharedDoc,
    expires: Instant,
    /// Its key on the open index of its game, while listed there.
    listed: Option<u64>,
}

/// The rooms and their open index.
#[derive(Default)]
struct Shelf {
    rooms: BTreeMap<String, Entry>,
    /// Listed rooms per game in listing order (a sequence number → code).
    open: HashMap<GameKind, BTreeMap<u64, String>>,
    next_seq: u64,
}

impl Shelf {
    /// The live entry of a room (an expired one counts as absent).
    fn live(&mut self, code: &str) -> Option<&mut Entry> {
        self.live_at(code, Instant::now())
    }

    /// Like [`Shelf::live`], as of `now`.
    fn live_at(&mut self, code: &str, now: Instant) -> Option<&mut Entry> {
        self.rooms.get_mut(code).filter(|e| e.expires > now)
    }

    /// Put a room at the end of its game's open index (no-op if listed).
    fn list(&mut self, code: &str) {
        let seq = self.next_seq;
        let Some(entry) = self.rooms.get_mut(code) else {
            return;
        };
        if entry.listed.is_some() {
            return;
        }
        entry.listed = Some(seq);
        self.next_seq += 1;
        let game = entry.doc.game;
        self.open
            .entry(game)
            .or_default()
            .insert(seq, code.to_string());
    }

    /// Take a room off its game's open index (no-op if not listed).
    fn unlist(&mut self, code: &str) {
        let Some(entry) = self.rooms.get_mut(code) else {
            return;
        };
        if let Some(seq) = entry.listed.take() {
            if let Some(index) = self.open.get_mut(&entry.doc.game) {
                index.remove(&seq);
            }
        }
    }

    /// Listed exactly when it may be offered (after a write). Most writes (moves) leave
    /// that as it was: then the room is looked up once and nothing else is touched.
    fn follow(&mut self, code: &str) {
        let Some(entry) = self.rooms.get(code) else {
            return;
        };
        match (offered(&entry.doc), entry.listed.is_some()) {
            (true, false) => self.list(code),
            (false, true) => self.unlist(code),
            _ => {}
        }
    }

    fn remove(&mut self, code: &str) {
        self.unlist(code);
        self.rooms.remove(code);
    }

    fn sweep(&mut self, now: Instant) {
        let dead: Vec<String> = self
            .rooms
            .iter()
            .filter(|(_, e)| e.expires <= now)
            .map(|(c, _)| c.clone())
            .collect();
        for code in dead {
            self.remove(&code);
        }
    }

    /// The listed codes of `game`, in listing order.
    fn listed(&self, game: GameKind) -> impl Iterator<Item = (&u64, &String)> {
        self.open
            .get(&game)
            .into_iter()
            .flat_map(|index| index.iter())
    }
}

/// Rooms in this process.
pub struct MemoryStore {
    shelf: Arc<Mutex<Shelf>>,
    ttl: Duration,
    hub: Hub,
    sweeper: JoinHandle<()>,
    /// The turn-clock index: (deadline ms, room code).
    deadlines: Mutex<BTreeSet<(u64, String)>>,
}

impl MemoryStore {
    /// A store whose rooms expire after `ttl` without a change, delivering events to `hub`.
    pub fn new(ttl: Duration, hub: Hub) -> Self {
        let shelf = Arc::new(Mutex::new(Shelf::default()));
        let weak = Arc::downgrade(&shelf);
        let period = (ttl / 4).clamp(Duration::from_millis(100), Duration::from_secs(10));
        let sweeper = tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            loop {
                tick.tick().await;
                let Some(shelf) = weak.upgrade() else { break };
                let mut shelf = shelf.lock().unwrap_or_else(|e| e.into_inner());
                shelf.sweep(Instant::now());
            }
        });
        MemoryStore {
            shelf,
            ttl,
            hub,
            sweeper,
            deadlines: Mutex::default(),
        }
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
            Entry {
                doc: Arc::new(doc.clone()),
                expires: Instant::now() + self.ttl,
                listed: None,
            },
        );
        if listed {
            shelf.follow(&doc.code);
        }
        true
    }

    /// Rooms listed and offered, `limit` per game at most, in listing order.
    fn offered_rooms(shelf: &Shelf, game: GameKind, limit: usize) -> Vec<(u64, RoomDoc)> {
        let now = Instant::now();
        shelf
            .listed(game)
            .filter_map(|(seq, code)| shelf.rooms.get(code).map(|e| (*seq, e)))
            .filter(|(_, e)| e.expires > now && offered(&e.doc))
            .take(limit)
            .map(|(seq, e)| (seq, RoomDoc::clone(&e.doc)))
            .collect()
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
        let mut shelf = self.lock();
        let now = Instant::now();
        let mut stale = Vec::new();
        let mut taken = None;
        for (_, code) in shelf.listed(game) {
            match shelf.rooms.get(code) {
                Some(e) if e.expires > now && offered(&e.doc) => {
                    if offer != Some(code.as_str()) {
                        taken = Some(code.clone());
                        break;
                    }
                }
                _ => stale.push(code.clone()),
            }
        }
        for code in &stale {
            shelf.unlist(code);
        }
        if let Some(code) = &taken {
            shelf.unlist(code);
        } else if let Some(code) = offer {
            shelf.follow(code);
        }
        Ok(taken)
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
        _index: IndexChange,
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
        shelf.follow(&doc.code);
        self.hub.deliver(&doc.code, env);
        Ok(CasOutcome::Applied)
    }

    async fn delete(&self, code: &str, env: &Envelope) -> Result<bool, StoreError> {
        let mut shelf = self.lock();
        let existed = shelf.live(code).is_some();
        shelf.remove(code);
        if existed {
            self.hub.deliver(code, env.clone());
        }
        Ok(existed)
    }

    async fn delete_at(
        &self,
        code: &str,
        expected: u64,
        env: &Envelope,
    ) -> Result<CasOutcome, StoreError> {
        let mut shelf = self.lock();
        let Some(entry) = shelf.live(code) else {
            return Ok(CasOutcome::Missing);
        };
        if entry.doc.version != expected {
            return Ok(CasOutcome::Conflict(Box::new(RoomDoc::clone(&entry.doc))));
        }
        shelf.remove(code);
        self.hub.deliver(code, env.clone());
        Ok(CasOutcome::Applied)
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
            .flat_map(|g| Self::offered_rooms(&shelf, g, limit))
            .collect();
        drop(shelf);
        open.sort_by_key(|(seq, _)| *seq);
        open.truncate(limit);
        Ok(open.into_iter().map(|(_, doc)| doc).collect())
    }

    async fn list_rooms(&self, cursor: Option<&str>, limit: usize) -> Result<RoomPage, StoreError> {
        use std::ops::Bound;
        let now = Instant::now();
        let start = cursor.map_or(Bound::Unbounded, |c| Bound::Excluded(c.to_string()));
        let shelf = self.lock();
        let mut page: Vec<RoomDoc> = Vec::new();
        let mut more = false;
        for entry in shelf
            .rooms
            .range((start, Bound::Unbounded))
            .map(|(_, e)| e)
            .filter(|e| e.expires > now)
        {
            if page.len() == limit {
                more = true;
                break;
            }
            page.push(RoomDoc::clone(&entry.doc));
        }
        let next_cursor = more.then(|| page.last().map(|d| d.code.clone())).flatten();
        Ok(RoomPage {
            rooms: page,
            next_cursor,
        })
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
#[path = "memory_tests.rs"]
mod tests;
