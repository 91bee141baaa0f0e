//! The embedded in-memory backend: one node, no Redis, nothing survives a restart.
//!
//! A `std` mutex guards the map: nothing awaits while it is held, and events are handed to
//! the hub under the lock so their order matches the order of the writes.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::task::JoinHandle;

use super::{CasOutcome, IndexChange, RoomPage, RoomStore};
use crate::error::StoreError;
use crate::game::GameKind;
use crate::hub::{Envelope, Hub};
use crate::room::model::RoomDoc;

struct Entry {
    doc: RoomDoc,
    expires: Instant,
}

/// Rooms in this process.
pub struct MemoryStore {
    rooms: std::sync::Arc<Mutex<BTreeMap<String, Entry>>>,
    ttl: Duration,
    hub: Hub,
    sweeper: JoinHandle<()>,
}

impl MemoryStore {
    /// A store whose rooms expire after `ttl` without a change, delivering events to `hub`.
    pub fn new(ttl: Duration, hub: Hub) -> Self {
        let rooms = std::sync::Arc::new(Mutex::new(BTreeMap::<String, Entry>::new()));
        let weak = std::sync::Arc::downgrade(&rooms);
        let period = (ttl / 4).clamp(Duration::from_millis(100), Duration::from_secs(10));
        let sweeper = tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            loop {
                tick.tick().await;
                let Some(rooms) = weak.upgrade() else { break };
                let now = Instant::now();
                let mut rooms = rooms.lock().unwrap_or_else(|e| e.into_inner());
                rooms.retain(|_, e| e.expires > now);
            }
        });
        MemoryStore {
            rooms,
            ttl,
            hub,
            sweeper,
        }
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Entry>> {
        self.rooms.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The live entry of a room (an expired one counts as absent).
    fn live<'a>(map: &'a mut BTreeMap<String, Entry>, code: &str) -> Option<&'a mut Entry> {
        let now = Instant::now();
        map.get_mut(code).filter(|e| e.expires > now)
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
        let mut rooms = self.lock();
        if Self::live(&mut rooms, &doc.code).is_some() {
            return Ok(false);
        }
        rooms.insert(
            doc.code.clone(),
            Entry {
                doc: doc.clone(),
                expires: Instant::now() + self.ttl,
            },
        );
        Ok(true)
    }

    async fn load(&self, code: &str) -> Result<Option<RoomDoc>, StoreError> {
        Ok(Self::live(&mut self.lock(), code).map(|e| e.doc.clone()))
    }

    async fn update(
        &self,
        expected: u64,
        doc: &RoomDoc,
        env: &Envelope,
        _index: IndexChange,
    ) -> Result<CasOutcome, StoreError> {
        let mut rooms = self.lock();
        let Some(entry) = Self::live(&mut rooms, &doc.code) else {
            return Ok(CasOutcome::Missing);
        };
        if entry.doc.version != expected {
            return Ok(CasOutcome::Conflict(Box::new(entry.doc.clone())));
        }
        entry.doc = doc.clone();
        entry.expires = Instant::now() + self.ttl;
        self.hub.deliver(&doc.code, env.clone());
        Ok(CasOutcome::Applied)
    }

    async fn delete(&self, code: &str, env: &Envelope) -> Result<bool, StoreError> {
        let mut rooms = self.lock();
        let existed = Self::live(&mut rooms, code).is_some();
        rooms.remove(code);
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
        let mut rooms = self.lock();
        let Some(entry) = Self::live(&mut rooms, code) else {
            return Ok(CasOutcome::Missing);
        };
        if entry.doc.version != expected {
            return Ok(CasOutcome::Conflict(Box::new(entry.doc.clone())));
        }
        rooms.remove(code);
        self.hub.deliver(code, env.clone());
        Ok(CasOutcome::Applied)
    }

    async fn publish(&self, code: &str, env: &Envelope) -> Result<bool, StoreError> {
        let mut rooms = self.lock();
        let Some(entry) = Self::live(&mut rooms, code) else {
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
        let now = Instant::now();
        let mut open: Vec<RoomDoc> = self
            .lock()
            .values()
            .filter(|e| e.expires > now && e.doc.is_open())
            .filter(|e| game.is_none_or(|g| g == e.doc.game))
            .map(|e| e.doc.clone())
            .collect();
        open.sort_by(|a, b| a.created_at.cmp(&b.created_at));
        open.truncate(limit);
        Ok(open)
    }

    async fn list_rooms(&self, cursor: Option<&str>, limit: usize) -> Result<RoomPage, StoreError> {
        use std::ops::Bound;
        let now = Instant::now();
        let start = cursor.map_or(Bound::Unbounded, |c| Bound::Excluded(c.to_string()));
        let rooms = self.lock();
        let mut page: Vec<RoomDoc> = Vec::new();
        let mut more = false;
        for entry in rooms
            .range((start, Bound::Unbounded))
            .map(|(_, e)| e)
            .filter(|e| e.expires > now)
        {
            if page.len() == limit {
                more = true;
                break;
            }
            page.push(entry.doc.clone());
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
}
