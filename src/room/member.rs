//! What a connection is in a room: its handle for events ([`ConnHandle`]), its
//! [`Membership`], and what a join, create or resume answers ([`Joined`]).

use std::sync::Arc;

use crate::game::Seat;
use crate::hub::{ConnId, Outbox};
use crate::model::RoomDoc;
use crate::model::{PlayerInfo, RoomSnapshot};

/// A connection's way to receive room events (given to the hub on join).
#[derive(Debug, Clone)]
pub struct ConnHandle {
    /// The connection id.
    pub id: ConnId,
    /// Its outbound queue (a full one drops the connection).
    pub tx: Outbox,
    /// The account the connection signed in as, if any: it holds at most one seat per
    /// room, and only it may resume that seat.
    pub user: Option<Arc<str>>,
}

/// Whether a member holds a seat or watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Holds a seat.
    Player,
    /// Watches.
    Spectator,
}

impl Role {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Player => "player",
            Role::Spectator => "spectator",
        }
    }
}

/// What a connection knows about the room it is in.
#[derive(Debug, Clone)]
pub struct Membership {
    /// Room code.
    pub code: Arc<str>,
    /// Player (or spectator) id.
    pub player_id: Arc<str>,
    /// Display name.
    pub name: String,
    /// Seat or spectator.
    pub role: Role,
    /// Seat, for players.
    pub seat: Option<Seat>,
    /// Socket epoch of the seat (players).
    pub epoch: u64,
    /// The game played (a metric label).
    pub game: &'static str,
}

impl Membership {
    /// The membership of the player holding `player_id`'s seat in `doc`, if any.
    pub(super) fn seated(code: Arc<str>, doc: &RoomDoc, player_id: &str) -> Option<Membership> {
        let p = doc.player(player_id)?;
        Some(Membership {
            code,
            player_id: Arc::from(player_id),
            name: p.name.clone(),
            role: Role::Player,
            seat: Some(p.seat),
            epoch: p.epoch,
            game: doc.game.name(),
        })
    }
}

/// The result of joining: what the connection now is, and what to tell it.
#[derive(Debug)]
pub struct Joined {
    /// The connection's membership.
    pub membership: Membership,
    /// Session token (players only).
    pub session: Option<String>,
    /// The room as written by the join.
    pub snapshot: RoomSnapshot,
}

/// What a join of `player_id` answers, from the room as the join wrote it (a spectator
/// when the room holds no seat of theirs).
pub(super) fn joined(
    code: Arc<str>,
    doc: &RoomDoc,
    player_id: &str,
    session: Option<String>,
) -> Joined {
    let membership =
        Membership::seated(code.clone(), doc, player_id).unwrap_or_else(|| Membership {
            code,
            player_id: Arc::from(player_id),
            name: String::new(),
            role: Role::Spectator,
            seat: None,
            epoch: 0,
            game: doc.game.name(),
        });
    Joined {
        membership,
        session,
        snapshot: doc.snapshot_for(doc.viewer_of(player_id)),
    }
}

pub(super) fn spectator_info(player_id: &str, name: &str, user: Option<&str>) -> PlayerInfo {
    PlayerInfo {
        player_id: player_id.to_string(),
        name: name.to_string(),
        seat: None,
        role: Role::Spectator.as_str(),
        connected: true,
        user: user.map(str::to_string),
    }
}
