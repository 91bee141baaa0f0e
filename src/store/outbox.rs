//! The outbox of events for the game's backend (`game.finished`, `room.closed`).
//!
//! An event is recorded by the store in the same atomic write as the room change that
//! causes it (see [`OutboxEvent`] and [`RoomStore::update`](super::RoomStore::update)),
//! so once that write is applied the event exists whatever node dies afterwards. The
//! delivery side reads it back through [`Outbox`]: any node claims pending events,
//! reports each attempt's outcome, and operators manage the dead letters.
//!
//! With Redis the outbox is a stream read through a consumer group (every node delivers;
//! entries a dead node had claimed are taken over), a sorted set of pending ids scored by
//! when each event was recorded, a sorted set of events waiting for their next attempt,
//! and a hash of dead letters (`keys` has the names). With the memory store it is a queue
//! in this process: it lives and dies with the process.

use async_trait::async_trait;
use sha2::{Digest, Sha256};

use crate::error::StoreError;

/// `game.finished`: a game ended.
pub const GAME_FINISHED: &str = "game.finished";
/// `room.closed`: a room went (operator, empty, expired).
pub const ROOM_CLOSED: &str = "room.closed";
/// `room.closed` reason: deleted over the admin API.
pub const CLOSED_BY_OPERATOR: &str = "operator";
/// `room.closed` reason: the last member left.
pub const CLOSED_EMPTY: &str = "empty";
/// `room.closed` reason: no activity for the room TTL.
pub const CLOSED_EXPIRED: &str = "expired";

/// An event recorded with a room write. Its body is `head`, then (when `with_moves`) the
/// moves of the room's current game joined by commas, then `tail`: the moves are kept by
/// the store beside the room, so the writer need not hold them to describe the game.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEvent {
    /// The `webhook-id`: unique per event, the same on every attempt.
    pub id: String,
    /// The event type (`game.finished`, `room.closed`).
    pub kind: &'static str,
    /// The body up to where the moves go (the whole body when not `with_moves`).
    pub head: String,
    /// The body after the moves.
    pub tail: String,
    /// Whether the game's moves go between `head` and `tail`.
    pub with_moves: bool,
    /// When the event was recorded (Unix ms).
    pub created_ms: i64,
}

impl OutboxEvent {
    /// The `room.closed` event of room `code` (a `game` room created at `created_at`),
    /// closed for `reason` (`operator`, `empty`, `expired`), recorded at `now_ms`.
    pub fn room_closed(
        code: &str,
        game: &str,
        created_at: &str,
        reason: &str,
        now_ms: i64,
    ) -> OutboxEvent {
        let body = serde_json::json!({
            "type": ROOM_CLOSED,
            "timestamp": rfc3339_ms(now_ms),
            "data": {"room": code, "game": game, "reason": reason},
        });
        OutboxEvent {
            id: event_id(code, created_at, ROOM_CLOSED, 0),
            kind: ROOM_CLOSED,
            head: body.to_string(),
            tail: String::new(),
            with_moves: false,
            created_ms: now_ms,
        }
    }

    /// The body, given the moves of the game (each one JSON object).
    pub fn body(&self, moves: &[String]) -> String {
        if !self.with_moves {
            return format!("{}{}", self.head, self.tail);
        }
        format!("{}{}{}", self.head, moves.join(","), self.tail)
    }
}

/// The `webhook-id` of an event: the same for the same event whichever node records it
/// (a room is named by its code and creation time, as codes are reused once a room
/// expires), so the backend sees one id per game and one per closed room.
pub fn event_id(code: &str, created_at: &str, kind: &str, game_number: u64) -> String {
    let digest = Sha256::digest(format!("{code}|{created_at}|{kind}|{game_number}"));
    format!("msg_{}", &hex::encode(digest)[..32])
}

/// Unix ms as RFC 3339 with milliseconds. Every move is stamped, so each thread formats
/// a millisecond once and copies it for the stamps within it.
pub fn rfc3339_ms(ms: i64) -> String {
    thread_local! {
        static LAST: std::cell::RefCell<Option<(i64, String)>> = const { std::cell::RefCell::new(None) };
    }
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        match &*last {
            Some((at, text)) if *at == ms => text.clone(),
            _ => {
                let text = chrono::DateTime::from_timestamp_millis(ms)
                    .unwrap_or_default()
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
                *last = Some((ms, text.clone()));
                text
            }
        }
    })
}

/// A pending event claimed by one node for an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    /// The `webhook-id`.
    pub id: String,
    /// The event type.
    pub kind: String,
    /// The JSON body, as signed and sent.
    pub body: String,
    /// Attempts made before this one.
    pub attempts: u32,
    /// When the event was recorded (Unix ms).
    pub created_ms: i64,
    /// The backend's handle on this claim (the stream entry id in Redis).
    pub receipt: String,
}

/// An event that ran out of attempts (or was refused with 410).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// The `webhook-id`.
    pub id: String,
    /// The event type.
    pub kind: String,
    /// Attempts made.
    pub attempts: u32,
    /// Why the last attempt failed.
    pub last_error: String,
    /// When the last attempt was made (Unix ms).
    pub last_attempt_ms: i64,
    /// The JSON body.
    pub body: String,
    /// When the event was first recorded (Unix ms).
    pub created_ms: i64,
}

/// The outbox's size, for the admin API and the gauges.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxStats {
    /// Events not yet delivered nor dead (waiting, in flight or waiting to retry).
    pub pending: u64,
    /// Dead letters.
    pub dead: u64,
    /// When the oldest pending event was recorded (Unix ms).
    pub oldest_pending_ms: Option<i64>,
}

/// The delivery side of the outbox. Every method is one store operation.
#[async_trait]
pub trait Outbox: Send + Sync + 'static {
    /// Record an event that goes with no room write (e.g. `room.closed` for a room that
    /// expired, found by the index sweep).
    #[cfg(any(test, feature = "internals"))]
    async fn enqueue(&self, event: &OutboxEvent) -> Result<(), StoreError>;

    /// Claim up to `max` events for `consumer` (a node id): events never tried, events
    /// whose retry is due, and events another consumer claimed and left untouched for
    /// longer than the claim timeout (a dead node's).
    async fn claim(&self, consumer: &str, max: usize) -> Result<Vec<Claimed>, StoreError>;

    /// These events were delivered: forget them (one operation for the whole batch, so a
    /// busy outbox costs one store call per batch of deliveries, not one per event).
    async fn delivered(&self, events: &[Claimed]) -> Result<(), StoreError>;

    /// The attempt failed: try again at `due_ms` (Unix ms), with one more attempt counted.
    async fn retry_at(&self, event: &Claimed, due_ms: i64, error: &str)
        -> Result<(), StoreError>;

    /// The event is dead (no attempts left, or refused for good): move it to the dead
    /// letters, with this attempt counted.
    async fn bury(&self, event: &Claimed, error: &str) -> Result<(), StoreError>;

    /// Shutting down: give back everything `consumer` claimed and did not finish, to be
    /// tried at once by another node.
    async fn hand_back(&self, consumer: &str) -> Result<(), StoreError>;

    /// How many events are pending and dead, and the oldest pending one's age.
    async fn stats(&self) -> Result<OutboxStats, StoreError>;

    /// Up to `limit` dead letters, oldest first.
    async fn dead_letters(&self, limit: usize) -> Result<Vec<DeadLetter>, StoreError>;

    /// Put a dead letter back to pending, its attempts starting over. `false`: no such id.
    async fn revive(&self, id: &str) -> Result<bool, StoreError>;

    /// Delete a dead letter. `false`: no such id.
    async fn discard(&self, id: &str) -> Result<bool, StoreError>;
}
