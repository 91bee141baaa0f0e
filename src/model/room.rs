//! The stored room document, and its views for the wire.
//!
//! One [`RoomDoc`] is the whole truth about a room: the store keeps it as JSON beside its
//! version, every change replaces it under compare-and-set, and snapshots are views of it.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::view::{PlayerInfo, RoomSnapshot, RoomSummary};
use crate::game::{GameKind, GameState, Seat, Viewer};

/// Where a room's game stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Seats are free; the game has not started.
    Waiting,
    /// Every seat is taken and the game is on.
    Playing,
    /// The game ended (win or draw); a rematch may follow.
    Finished,
}

impl Status {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Waiting => "waiting",
            Status::Playing => "playing",
            Status::Finished => "finished",
        }
    }

    /// Parse a wire name.
    pub fn parse(s: &str) -> Option<Status> {
        match s {
            "waiting" => Some(Status::Waiting),
            "playing" => Some(Status::Playing),
            "finished" => Some(Status::Finished),
            _ => None,
        }
    }
}

/// A seated player as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlayerRec {
    /// Stable id within the room.
    pub player_id: String,
    /// Display name.
    pub name: String,
    /// Seat index.
    pub seat: Seat,
    /// Whether a socket currently holds this seat.
    pub connected: bool,
    /// SHA-256 (hex) of the session token; the token itself is never stored.
    pub session_hash: String,
    /// Bumped on every join/resume so a stale socket cannot mark a newer one offline.
    pub epoch: u64,
    /// The account (the token's `sub`) of a player who signed in; `None` when anonymous.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
}

/// The stored room.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoomDoc {
    /// Six-character code.
    pub code: String,
    /// The game played.
    pub game: GameKind,
    /// Game status.
    pub status: Status,
    /// Hidden from lists and quick play.
    pub private: bool,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// RFC 3339 time of the last change.
    pub updated_at: String,
    /// Compare-and-set version; +1 on every change.
    pub version: u64,
    /// Seated players, in seat order. Shared with the document this one was copied from
    /// until one of them changes its players (see [`RoomDoc::players_mut`]): a move copies
    /// the document but not its players.
    pub players: Arc<Vec<PlayerRec>>,
    /// Spectators currently watching (across all nodes).
    pub spectators: u32,
    /// Current game state. Shared with the document this one was copied from until a
    /// change replaces it: a move makes a new state anyway, so copying the old one with
    /// the document would be wasted.
    pub state: Arc<GameState>,
    /// Seat that moved first in the current game (rematches alternate it).
    pub first: Seat,
    /// The turn clock: seconds each move may take; absent for rooms without a clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn_secs: Option<u32>,
    /// When the seats that must act lose (Unix ms); set only while the clock runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<u64>,
    /// Which node holds each seat's socket and each node's spectators, so that when a
    /// node dies another can mark its players offline and stop counting its spectators.
    /// Shared like `players` (see [`RoomDoc::presence_mut`]).
    #[serde(default, skip_serializing_if = "no_presence")]
    pub presence: Arc<Presence>,
    /// Players who asked for a rematch of the finished game; cleared when a game starts
    /// or a seat changes. Kept here so any node can take the request that completes it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rematch: Vec<String>,
    /// The number of the current (or last) game: 1 for the room's first, +1 for each new
    /// one; 0 before the first starts.
    #[serde(default)]
    pub game_number: u64,
    /// RFC 3339 time the current (or last) game started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub game_started_at: Option<String>,
}

fn no_presence(p: &Arc<Presence>) -> bool {
    p.is_empty()
}

/// Where a room's members are connected (node ids). Never shown to clients.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Presence {
    /// Player id → the node holding its seat's socket.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub seats: BTreeMap<String, String>,
    /// Node → how many of the room's spectators it holds. Spectators counted before
    /// nodes recorded this are in the total but in no entry here.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub watchers: BTreeMap<String, u32>,
}

impl Presence {
    /// Nothing recorded (the field is then left out of the stored document).
    pub fn is_empty(&self) -> bool {
        self.seats.is_empty() && self.watchers.is_empty()
    }
}

/// A shared, immutable room document.
pub type SharedDoc = Arc<RoomDoc>;

impl RoomDoc {
    /// Whether quick play and `list_rooms` may offer this room: public with a free seat,
    /// waiting for its first game or showing one a player left (taking the seat starts
    /// the next).
    pub fn is_open(&self) -> bool {
        !self.private && self.status != Status::Playing && self.free_seat().is_some()
    }

    /// The lowest free seat, if any.
    pub fn free_seat(&self) -> Option<Seat> {
        (0..self.game.seats()).find(|s| self.players.iter().all(|p| p.seat != *s))
    }

    /// The seated player with this id.
    pub fn player(&self, player_id: &str) -> Option<&PlayerRec> {
        self.players.iter().find(|p| p.player_id == player_id)
    }

    /// Whether every socket in this room is on `node`, as far as the room records: each
    /// connected seat is held there and every spectator is counted there. Rooms written
    /// before nodes recorded presence, or by a node without an id, never qualify.
    pub fn members_only_on(&self, node: &str) -> bool {
        if node.is_empty() {
            return false;
        }
        let seats = &self.presence.seats;
        let watchers = &self.presence.watchers;
        self.players
            .iter()
            .filter(|p| p.connected)
            .all(|p| seats.get(&p.player_id).is_some_and(|n| n == node))
            && seats.values().all(|n| n == node)
            && watchers.keys().all(|n| n == node)
            && watchers.values().sum::<u32>() == self.spectators
    }

    /// Mutable access to the seated player with this id.
    /// Copies the shared players only when the player is there.
    pub fn player_mut(&mut self, player_id: &str) -> Option<&mut PlayerRec> {
        let at = self.players.iter().position(|p| p.player_id == player_id)?;
        self.players_mut().get_mut(at)
    }

    /// The players, to change: copied first if another document still shares them.
    pub fn players_mut(&mut self) -> &mut Vec<PlayerRec> {
        Arc::make_mut(&mut self.players)
    }

    /// Where members are connected, to change: copied first if shared.
    pub fn presence_mut(&mut self) -> &mut Presence {
        Arc::make_mut(&mut self.presence)
    }

    /// Player records as the wire shows them.
    pub fn player_infos(&self) -> Vec<PlayerInfo> {
        self.players.iter().map(PlayerRec::info).collect()
    }

    /// The full snapshot, hidden information included (the REST body of one room, for
    /// operators).
    pub fn snapshot(&self) -> RoomSnapshot {
        RoomSnapshot {
            summary: self.summary(),
            state: self.state_for(None).into_owned(),
        }
    }

    /// The snapshot as `viewer` may see it (the `joined` payload, `resync`).
    pub fn snapshot_for(&self, viewer: Viewer) -> RoomSnapshot {
        RoomSnapshot {
            summary: self.summary(),
            state: self.state_for(Some(viewer)).into_owned(),
        }
    }

    /// How the member with this id sees the room: its seat, or a spectator's view.
    pub fn viewer_of(&self, player_id: &str) -> Viewer {
        self.player(player_id)
            .map_or(Viewer::Spectator, |p| Viewer::Seat(p.seat))
    }

    /// The game state for `viewer` (`None`: everything, for operators), with the turn
    /// clock's `deadline` in rooms that have a clock. Borrowed in the common case: a
    /// game that hides nothing, in a room without a clock.
    pub fn state_for(&self, viewer: Option<Viewer>) -> Cow<'_, GameState> {
        let state = match viewer {
            Some(v) if self.game.hides_information() => Cow::Owned(self.game.view(&self.state, v)),
            _ => Cow::Borrowed(&*self.state),
        };
        if self.turn_secs.is_none() {
            return state;
        }
        let mut state = state.into_owned();
        if let Value::Object(fields) = &mut state {
            fields.insert("deadline".into(), deadline_json(self.deadline));
        }
        Cow::Owned(state)
    }

    /// The snapshot without game state, for lists.
    pub fn summary(&self) -> RoomSummary {
        RoomSummary {
            code: self.code.clone(),
            game: self.game,
            status: self.status.as_str(),
            private: self.private,
            created_at: self.created_at.clone(),
            updated_at: self.updated_at.clone(),
            version: self.version,
            players: self.player_infos(),
            spectators: self.spectators,
        }
    }
}

impl PlayerRec {
    /// The wire view of this player.
    pub fn info(&self) -> PlayerInfo {
        PlayerInfo {
            player_id: self.player_id.clone(),
            name: self.name.clone(),
            seat: Some(self.seat),
            role: "player",
            connected: self.connected,
            user: self.user.clone(),
        }
    }
}

/// A deadline as the contract shows it: RFC 3339 with milliseconds, or `null`.
fn deadline_json(deadline: Option<u64>) -> Value {
    deadline
        .and_then(|ms| chrono::DateTime::from_timestamp_millis(i64::try_from(ms).ok()?))
        .map_or(Value::Null, |t| {
            Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> RoomDoc {
        let player = PlayerRec {
            player_id: "p_1".into(),
            name: "alice".into(),
            seat: 0,
            connected: true,
            session_hash: "h".into(),
            epoch: 1,
            user: None,
        };
        let mut presence = Presence::default();
        presence.seats.insert("p_1".into(), "node-a".into());
        RoomDoc {
            code: "ABCDEF".into(),
            game: GameKind::Tictactoe,
            status: Status::Waiting,
            private: false,
            created_at: String::new(),
            updated_at: String::new(),
            version: 1,
            players: Arc::new(vec![player]),
            spectators: 0,
            state: Arc::new(GameKind::Tictactoe.new_state(0)),
            first: 0,
            turn_secs: None,
            deadline: None,
            presence: Arc::new(presence),
            rematch: Vec::new(),
            game_number: 0,
            game_started_at: None,
        }
    }

    #[test]
    fn a_copy_shares_players_and_state_until_one_side_changes_them() {
        let base = doc();
        let mut next = base.clone();
        assert!(Arc::ptr_eq(&base.players, &next.players));
        assert!(Arc::ptr_eq(&base.presence, &next.presence));
        assert!(Arc::ptr_eq(&base.state, &next.state));

        let (state, _) = next
            .game
            .play(&next.state, 0, &serde_json::json!({"cell": 4}))
            .unwrap();
        next.state = Arc::new(state);
        assert_eq!(
            base.state["board"][4],
            Value::Null,
            "the original keeps its state"
        );
        assert_eq!(next.state["board"][4], 0);

        next.player_mut("p_1").unwrap().connected = false;
        next.presence_mut().seats.remove("p_1");
        assert!(base.players[0].connected, "the original keeps its players");
        assert_eq!(base.presence.seats["p_1"], "node-a");
        assert!(!next.players[0].connected);
        assert!(next.presence.is_empty());
    }

    #[test]
    fn shared_parts_store_as_before() {
        let d = doc();
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["players"][0]["name"], "alice");
        assert_eq!(json["presence"]["seats"]["p_1"], "node-a");
        let mut empty = d.clone();
        empty.presence_mut().seats.clear();
        let json = serde_json::to_value(&empty).unwrap();
        assert!(json.get("presence").is_none(), "{json}");
        let back: RoomDoc = serde_json::from_value(serde_json::to_value(&d).unwrap()).unwrap();
        assert_eq!(back, d);
    }

    #[test]
    fn members_only_on_a_node_needs_every_socket_recorded_there() {
        let d = doc();
        assert!(d.members_only_on("node-a"));
        assert!(!d.members_only_on("node-b"));
        assert!(
            !d.members_only_on(""),
            "a node without an id never qualifies"
        );

        let mut other_seat = d.clone();
        other_seat
            .presence_mut()
            .seats
            .insert("p_1".into(), "node-b".into());
        assert!(!other_seat.members_only_on("node-a"));

        let mut unrecorded = d.clone();
        unrecorded.presence_mut().seats.clear();
        assert!(
            !unrecorded.members_only_on("node-a"),
            "a connected seat with no recorded node may be anywhere"
        );
        unrecorded.player_mut("p_1").unwrap().connected = false;
        assert!(unrecorded.members_only_on("node-a"), "nobody is connected");

        let mut watched = d.clone();
        watched.spectators = 2;
        watched.presence_mut().watchers.insert("node-a".into(), 1);
        assert!(
            !watched.members_only_on("node-a"),
            "one spectator is counted on no node"
        );
        watched.presence_mut().watchers.insert("node-b".into(), 1);
        assert!(!watched.members_only_on("node-a"));
        watched.presence_mut().watchers.remove("node-b");
        watched.presence_mut().watchers.insert("node-a".into(), 2);
        assert!(watched.members_only_on("node-a"));
    }
}
