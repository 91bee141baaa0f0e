//! The Redis key layout, built in one place.
//!
//! Every key of one room shares the hash tag `{CODE}`, so a room lives in one cluster slot
//! and its scripts stay single-slot. Layout version 2:
//!
//! | key | type | holds |
//! |---|---|---|
//! | `{prefix}room:{CODE}` | hash | `v` (version), `doc` (room JSON, incl. session hashes), `ix` (the refresh period of the last index refresh: [`IndexClock::period`](super::IndexClock::period)), `lv` (the last version its writer delivered itself, unpublished) |
//! | `{prefix}room:{CODE}:events` | sharded channel | encoded [`Envelope`](crate::model::Envelope)s |
//! | `{prefix}open:{game}` | sorted set | codes of rooms offered to players, scored by index expiry ms |
//! | `{prefix}rooms` | sorted set | every room code (score 0, lexicographic order) |
//! | `{prefix}expiry` | sorted set | every room code, scored by index expiry ms |
//! | `{prefix}deadlines` | sorted set | turn-clock entries `CODE:ms`, scored by the deadline ms |
//! | `{prefix}schema` | string | the layout version, `2` |
//! | `{prefix}nodes` | sorted set | node ids, scored by when their heartbeat lapses (ms) |
//! | `{prefix}node:{id}:rooms` | string | codes of the rooms the node has members in |
//! | `{prefix}room:{CODE}:moves` | list | the moves of the room's current game, oldest first (JSON each) |
//! | `{prefix}user:{sub}:rooms` | sorted set | codes of rooms where the user held a seat, scored by index expiry ms |
//! | `{prefix}room_meta` | hash | with results webhooks on: code → the room's game and creation time, until its `room.closed` is recorded |
//! | `{prefix}revoked` | sorted set | users whose older tokens are refused, scored by when they were revoked (ms) |
//! | `{prefix}{webhooks}:stream` | stream | events for the backend, read through the consumer group `delivery` |
//! | `{prefix}{webhooks}:retrying` | sorted set | ids of pending events whose attempt failed at least once, scored by when recorded (ms) |
//! | `{prefix}{webhooks}:delayed` | sorted set | events waiting for their next attempt, scored by when it is due (ms) |
//! | `{prefix}{webhooks}:dead` | hash | dead letters by event id |
//!
//! "Index expiry" is the room's own expiry plus a margin (see
//! [`IndexClock`](super::IndexClock)): a periodic sweep trims every entry scored below
//! now, so the indexes hold live rooms plus those that expired within the last margin.
//!
//! The deadline index is one key on purpose: every node polls it, so in a cluster it
//! must be one slot that every node reaches (it is not tied to any room's slot).

use crate::game::GameKind;

/// Layout version written to `{prefix}schema`.
pub const SCHEMA_VERSION: &str = "2";
/// The layout before index scores were expiry times; migrated at start (see
/// `migrations-notes/05-bounded-indexes.md`).
pub const SCHEMA_V1: &str = "1";

/// Key builder for one prefix.
#[derive(Debug, Clone)]
pub struct Keys {
    prefix: String,
}

impl Keys {
    /// Keys under `prefix` (e.g. `parlor:`).
    pub fn new(prefix: &str) -> Self {
        Keys {
            prefix: prefix.to_string(),
        }
    }

    /// The room hash.
    pub fn room(&self, code: &str) -> String {
        format!("{}room:{{{}}}", self.prefix, code)
    }

    /// The room's sharded pub/sub channel.
    pub fn channel(&self, code: &str) -> String {
        format!("{}room:{{{}}}:events", self.prefix, code)
    }

    /// The room code a channel name belongs to.
    pub fn code_of_channel<'a>(&self, channel: &'a str) -> Option<&'a str> {
        channel
            .strip_prefix(self.prefix.as_str())?
            .strip_prefix("room:{")?
            .strip_suffix("}:events")
    }

    /// The open-room index of a game.
    pub fn open(&self, game: GameKind) -> String {
        format!("{}open:{}", self.prefix, game.name())
    }

    /// The index of all rooms.
    pub fn all_rooms(&self) -> String {
        format!("{}rooms", self.prefix)
    }

    /// The turn-clock deadline index.
    pub fn deadlines(&self) -> String {
        format!("{}deadlines", self.prefix)
    }

    /// The deadline index member of room `code`'s deadline `at`.
    pub fn deadline_member(code: &str, at: u64) -> String {
        format!("{code}:{at}")
    }

    /// The room and deadline a deadline index member names.
    pub fn parse_deadline_member(member: &str) -> Option<(String, u64)> {
        let (code, at) = member.split_once(':')?;
        Some((code.to_string(), at.parse().ok()?))
    }

    /// Every room code scored by index expiry (the sweep trims `rooms` from it).
    pub fn expiry(&self) -> String {
        format!("{}expiry", self.prefix)
    }

    /// The liveness registry: node ids scored by when their heartbeat lapses (ms).
    pub fn nodes(&self) -> String {
        format!("{}nodes", self.prefix)
    }

    /// The rooms a node last reported having members in (comma separated codes).
    pub fn node_rooms(&self, node: &str) -> String {
        format!("{}node:{}:rooms", self.prefix, node)
    }

    /// The moves of the room's current game (a list in the room's slot).
    pub fn moves(&self, code: &str) -> String {
        format!("{}room:{{{}}}:moves", self.prefix, code)
    }

    /// The rooms where a user held a seat.
    pub fn user_rooms(&self, user: &str) -> String {
        format!("{}user:{}:rooms", self.prefix, user)
    }

    /// What `room.closed` of an expired room needs to know of it (results on).
    pub fn room_meta(&self) -> String {
        format!("{}room_meta", self.prefix)
    }

    /// Revoked users, scored by when (ms).
    pub fn revoked(&self) -> String {
        format!("{}revoked", self.prefix)
    }

    /// The outbox stream. The outbox keys share one hash tag, so the delivery side's
    /// scripts stay in one cluster slot.
    pub fn webhooks_stream(&self) -> String {
        format!("{}{{webhooks}}:stream", self.prefix)
    }

    /// Ids of pending events whose attempt failed at least once, scored by when they
    /// were recorded.
    pub fn webhooks_retrying(&self) -> String {
        format!("{}{{webhooks}}:retrying", self.prefix)
    }

    /// Events waiting for their next attempt, scored by when it is due.
    pub fn webhooks_delayed(&self) -> String {
        format!("{}{{webhooks}}:delayed", self.prefix)
    }

    /// Dead letters by id.
    pub fn webhooks_dead(&self) -> String {
        format!("{}{{webhooks}}:dead", self.prefix)
    }

    /// The layout version marker.
    pub fn schema(&self) -> String {
        format!("{}schema", self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout() {
        let k = Keys::new("parlor:");
        assert_eq!(k.room("K7QXHM"), "parlor:room:{K7QXHM}");
        assert_eq!(k.channel("K7QXHM"), "parlor:room:{K7QXHM}:events");
        assert_eq!(
            k.code_of_channel("parlor:room:{K7QXHM}:events"),
            Some("K7QXHM")
        );
        assert_eq!(k.code_of_channel("other:room:{K7QXHM}:events"), None);
        assert_eq!(k.open(GameKind::Connect4), "parlor:open:connect4");
        assert_eq!(k.deadlines(), "parlor:deadlines");
        let member = Keys::deadline_member("K7QXHM", 1_700_000_000_123);
        assert_eq!(member, "K7QXHM:1700000000123");
        let parsed = Keys::parse_deadline_member(&member);
        assert_eq!(parsed, Some(("K7QXHM".to_string(), 1_700_000_000_123)));
        assert_eq!(Keys::parse_deadline_member("K7QXHM:x"), None);
        assert_eq!(k.expiry(), "parlor:expiry");
        assert_eq!(k.moves("K7QXHM"), "parlor:room:{K7QXHM}:moves");
        assert_eq!(k.webhooks_stream(), "parlor:{webhooks}:stream");
    }
}
