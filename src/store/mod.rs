//! Room storage: one interface, two backends.
//!
//! [`RoomStore`] is everything the rest of Parlor may ask of storage. [`memory`] keeps
//! rooms in this process (one node, nothing survives a restart); [`redis`] keeps them in
//! Redis (standalone, cluster or sentinel) so any node can serve any room. Both deliver
//! room events to the [`Hub`](crate::hub::Hub), the only path events take to sockets.
//! [`Instrumented`] wraps either one so every operation is timed and its failures counted
//! in one place.

pub mod instrumented;
pub mod keys;
pub mod memory;
pub mod outbox;
pub mod redis;
mod scripts;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;

pub use instrumented::Instrumented;
pub use outbox::OutboxEvent;

use crate::error::StoreError;
use crate::game::{GameKind, Seat};
use crate::model::Envelope;
use crate::model::{RoomDoc, SharedDoc};

/// The result of a compare-and-set write.
#[derive(Debug)]
pub enum CasOutcome {
    /// Written; the envelope went out.
    Applied,
    /// The room had moved on; here is its current document.
    Conflict(Box<RoomDoc>),
    /// The room does not exist (never did, expired or deleted).
    Missing,
}

/// A page of the admin room listing.
#[derive(Debug, Default)]
pub struct RoomPage {
    /// Rooms on this page, in code order.
    pub rooms: Vec<RoomDoc>,
    /// Pass back to get the next page; `None` at the end.
    pub next_cursor: Option<String>,
}

/// What goes with a room write besides the document, in the same atomic step where the
/// store can (see each field).
#[derive(Debug, Default)]
pub struct Extras {
    /// The open-room index (written after the room, best effort: the index is repaired by
    /// later refreshes).
    pub index: IndexChange,
    /// The move log of the room's current game (atomic with the write).
    pub moves: MoveLog,
    /// An event for the game's backend (atomic with the write).
    pub event: Option<OutboxEvent>,
    /// Users this write seats: the room joins their per-user index (sent with the write,
    /// not atomic: the index is a hint its readers check against the room).
    pub users: Vec<String>,
}

impl Extras {
    /// Only an index change.
    #[cfg(test)]
    pub fn index(index: IndexChange) -> Self {
        Extras {
            index,
            ..Extras::default()
        }
    }
}

/// What a write does to the room's move log.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub enum MoveLog {
    /// Nothing.
    #[default]
    Keep,
    /// Append one move.
    Append(Move),
    /// A new game started: empty the log.
    Restart,
}

/// One applied move as the log keeps it. It stays a value until someone reads it as
/// JSON (Redis stores that text; the memory store keeps the value, so a move costs it no
/// serialising unless a result or a history asks for the log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    /// The seat that moved.
    pub seat: Seat,
    /// The action as the player sent it.
    pub action: serde_json::Value,
    /// When it was applied (Unix ms).
    pub at_ms: i64,
}

impl Move {
    /// The log entry: `{"seat", "action", "at"}`, `at` in RFC 3339 with milliseconds.
    pub fn to_json(&self) -> String {
        #[derive(serde::Serialize)]
        struct Entry<'a> {
            seat: Seat,
            action: &'a serde_json::Value,
            at: &'a str,
        }
        let at = outbox::rfc3339_ms(self.at_ms);
        // Serialising a `Value` and two plain fields cannot fail.
        serde_json::to_string(&Entry {
            seat: self.seat,
            action: &self.action,
            at: &at,
        })
        .unwrap_or_default()
    }
}

/// Change to the index of open rooms (public, a free seat) that goes with a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IndexChange {
    /// The room's openness did not change.
    #[default]
    Keep,
    /// The room became open.
    Open,
    /// The room is no longer open.
    Close,
}

impl IndexChange {
    /// What to do to the open-room index when a room goes from `before` to `after`.
    pub fn between(before: &RoomDoc, after: &RoomDoc) -> Self {
        match (offered(before), offered(after)) {
            (false, true) => IndexChange::Open,
            (true, false) => IndexChange::Close,
            _ => IndexChange::Keep,
        }
    }
}

/// Whether `quick_join` and `list_rooms` may offer this room: public, not playing, a
/// free seat, and somebody there to play with. A room whose seated players all dropped stays
/// resumable, but a newcomer must not sit down against empty chairs.
pub fn offered(doc: &RoomDoc) -> bool {
    doc.is_open() && doc.players.iter().any(|p| p.connected)
}

/// How index entries are scored and how often a room refreshes its own.
///
/// An index entry is scored by the time the *entry* expires: the room's expiry plus
/// [`refresh`](Self::refresh). A room refreshes its entries on a write at most once per
/// `refresh` (so a move stays one round trip), and every write in between pushes the room's
/// expiry by less than `refresh`: an entry therefore never expires before its room. A sweep
/// every [`refresh`](Self::refresh) trims entries scored below now, so an index holds its
/// live rooms plus those that expired within the last two periods.
#[derive(Debug, Clone, Copy)]
pub struct IndexClock {
    ttl: Duration,
    refresh: Duration,
}

impl IndexClock {
    /// The clock for rooms that expire `ttl` after their last change.
    pub fn new(ttl: Duration) -> Self {
        IndexClock {
            ttl,
            refresh: (ttl / 4).clamp(Duration::from_millis(100), Duration::from_secs(5)),
        }
    }

    /// Least time between two index refreshes of one room; also the sweep period.
    pub fn refresh(&self) -> Duration {
        self.refresh
    }

    /// The number of the refresh period `now_ms` falls in. A room's script refreshes its
    /// index entries on its first write in a period it has not refreshed in: two writes
    /// that share a period are less than one period apart, which is all the scoring
    /// needs, and the scripts compare the numbers as strings, never parsing them.
    pub fn period(&self, now_ms: i64) -> i64 {
        now_ms / (self.refresh.as_millis().max(1) as i64)
    }

    /// The score of an entry written at `now_ms`.
    pub fn score(&self, now_ms: i64) -> f64 {
        (now_ms + self.ttl.as_millis() as i64 + self.refresh.as_millis() as i64) as f64
    }
}

/// Wall-clock milliseconds since the Unix epoch (index scores are shared by every node).
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Pool and connection figures for metrics (Redis only).
#[derive(Debug, Clone, Copy, Default)]
pub struct PoolStats {
    /// Connections the pool is configured with.
    pub size: usize,
    /// Connections currently up.
    pub connected: usize,
    /// Commands queued or awaiting a reply.
    pub in_flight: usize,
}

/// Everything Parlor asks of room storage. Every method is one logical operation with
/// its own timeout; see each backend for how many round trips it costs.
#[async_trait]
pub trait RoomStore: Send + Sync + 'static {
    /// `redis` or `memory` (the `backend` metric label).
    fn backend(&self) -> &'static str;

    /// Whether rooms live in another process shared with other nodes: then the room
    /// service subscribes to their events and the node keeps a heartbeat.
    fn is_remote(&self) -> bool;

    /// Store a new room unless its code is taken. `false`: pick another code.
    async fn create(&self, doc: &RoomDoc) -> Result<bool, StoreError>;

    /// Store a new room like [`create`](Self::create), but keep it off the open-room
    /// index: `quick_join` lists it later with [`claim_open`](Self::claim_open).
    async fn create_unlisted(&self, doc: &RoomDoc) -> Result<bool, StoreError>;

    /// Atomically take the oldest room on the open index of `game` (other than the room
    /// `offer`) off it and return its code; when there is none and `offer` is given, list
    /// that room instead and return `None`. Players looking for a game at the same moment
    /// thereby pair up: of two, one lists its room and the other takes it.
    async fn claim_open(
        &self,
        game: GameKind,
        offer: Option<&str>,
    ) -> Result<Option<String>, StoreError>;

    /// Read a room.
    async fn load(&self, code: &str) -> Result<Option<RoomDoc>, StoreError>;

    /// Replace a room if it is still at `expected`; on success refresh its TTL, publish
    /// `env` and apply `extras` (see [`Extras`] for what is atomic), atomically.
    /// The document is shared and the envelope handed over: the memory store keeps both
    /// as they are instead of copying them on every move.
    async fn update(
        &self,
        expected: u64,
        doc: &SharedDoc,
        env: Envelope,
        extras: Extras,
    ) -> Result<CasOutcome, StoreError>;

    /// Delete a room, publish `env` to its members and record `event`, atomically.
    /// `false` if there was no room (then nothing is recorded). Unconditional: for
    /// operators; the room service deletes with [`delete_at`].
    ///
    /// [`delete_at`]: RoomStore::delete_at
    async fn delete(
        &self,
        code: &str,
        env: &Envelope,
        event: Option<&OutboxEvent>,
    ) -> Result<bool, StoreError>;

    /// Delete a room only if it is still at `expected` (compare-and-set, like
    /// [`update`](RoomStore::update)), publish `env` and record `event`, atomically. A
    /// leave decided on a stale document must not wipe a room someone else joined
    /// meanwhile.
    async fn delete_at(
        &self,
        code: &str,
        expected: u64,
        env: &Envelope,
        event: Option<&OutboxEvent>,
    ) -> Result<CasOutcome, StoreError>;

    /// The moves of the room's current (or last) game, oldest first, each a JSON object.
    async fn moves(&self, code: &str) -> Result<Vec<String>, StoreError>;

    /// The rooms where `user` holds a seat.
    async fn user_rooms(&self, user: &str) -> Result<Vec<RoomDoc>, StoreError>;

    /// Record that `user` was revoked at `at_ms` (Unix ms); revocations older than
    /// `ttl` may be forgotten.
    async fn revoke(&self, user: &str, at_ms: i64, ttl: Duration) -> Result<(), StoreError>;

    /// When `user` was last revoked (Unix ms), if within the revocation TTL.
    async fn revoked_at(&self, user: &str) -> Result<Option<i64>, StoreError>;

    /// Revocations recorded after `after_ms`, oldest first (every node polls these to
    /// close the sockets of revoked users).
    async fn revocations_since(&self, after_ms: i64) -> Result<Vec<(String, i64)>, StoreError>;

    /// Publish an envelope that changes nothing stored (chat) and refresh the room's TTL.
    /// `false` if the room does not exist.
    async fn publish(&self, code: &str, env: &Envelope) -> Result<bool, StoreError>;

    /// Rooms that may be offered to players ([`offered`]), oldest first.
    async fn open_rooms(
        &self,
        game: Option<GameKind>,
        limit: usize,
    ) -> Result<Vec<RoomDoc>, StoreError>;

    /// All rooms, in code order, after `cursor`.
    async fn list_rooms(&self, cursor: Option<&str>, limit: usize) -> Result<RoomPage, StoreError>;

    /// Start receiving the room's events on this node.
    async fn subscribe(&self, code: &str) -> Result<(), StoreError>;

    /// Stop receiving the room's events on this node.
    async fn unsubscribe(&self, code: &str) -> Result<(), StoreError>;

    /// Check the store answers (readiness).
    async fn ping(&self) -> Result<(), StoreError>;

    /// Renew `node`'s liveness heartbeat for `ttl`, recording the rooms it has members in.
    /// `false` when the node was not registered: its first beat, or other nodes declared
    /// it dead meanwhile. Stores with one node have nothing to record.
    async fn heartbeat(
        &self,
        _node: &str,
        _ttl: Duration,
        _rooms: &[Arc<str>],
    ) -> Result<bool, StoreError> {
        Ok(true)
    }

    /// Nodes whose heartbeat lapsed, each with the rooms it last reported.
    async fn dead_nodes(&self) -> Result<Vec<(String, Vec<String>)>, StoreError> {
        Ok(Vec::new())
    }

    /// Forget a dead node once its rooms are cleaned up.
    async fn forget_node(&self, _node: &str) -> Result<(), StoreError> {
        Ok(())
    }

    /// The delivery side of the outbox of events for the game's backend, where the store
    /// keeps one.
    fn outbox(&self) -> Option<Arc<dyn outbox::Outbox>> {
        None
    }

    /// Pool figures, where there is a pool.
    fn pool_stats(&self) -> Option<PoolStats> {
        None
    }

    /// Reconnections since start, where there are connections.
    fn reconnects(&self) -> u64 {
        0
    }

    /// Release connections (shutdown).
    async fn close(&self);

    /// Add a turn-clock entry to the deadline index every node polls: room `code` is to
    /// be looked at when `at` (Unix ms) passes. Entries are never moved, only added and
    /// removed, so a failed or repeated write cannot make a room's clock fire late.
    async fn arm_deadline(&self, code: &str, at: u64) -> Result<(), StoreError>;

    /// Index entries due at `now` (Unix ms), earliest first, at most `limit`.
    async fn due_deadlines(&self, now: u64, limit: usize)
        -> Result<Vec<(String, u64)>, StoreError>;

    /// Remove one index entry (it fired, or it is no longer the room's deadline).
    async fn disarm_deadline(&self, code: &str, at: u64) -> Result<(), StoreError>;
}
