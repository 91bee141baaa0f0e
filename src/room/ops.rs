//! Taking and giving up seats: create, join, resume, leave, disconnect. Each is a small set
//! of rules handed to [`Rooms::mutate`](super::Rooms::mutate), plus the fan-out bookkeeping
//! around it. Quick play is in `quick`, moves in `play`, operator actions in `operator`.

use std::sync::Arc;

use serde_json::Value;

use super::events::Event;
use super::ids;
use super::{ConnHandle, Membership, Plan, Role, Rooms, Write};
use crate::error::{ErrorCode, ProtoError};
use crate::game::GameKind;
use crate::hub::{Audience, Effect};
use crate::model::{PlayerRec, RoomDoc, Status};
use crate::protocol::{
    normalize_code, PlayerInfo, RoomSnapshot, CLOSE_REASON_EMPTY, KICK_REASON_RESUMED,
};
use crate::store::offered;

/// How many times `create` draws a new code when the one drawn is taken.
const CODE_ATTEMPTS: usize = 8;

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

impl Rooms {
    /// Open a room and seat the creator.
    pub async fn create(
        &self,
        conn: &ConnHandle,
        game: GameKind,
        name: String,
        private: bool,
    ) -> Result<Joined, ProtoError> {
        self.create_with_clock(conn, game, name, private, None)
            .await
    }

    /// Open a room, with a turn clock of `turn_secs` seconds per move if given (the
    /// caller has checked the range), and seat the creator.
    pub async fn create_with_clock(
        &self,
        conn: &ConnHandle,
        game: GameKind,
        name: String,
        private: bool,
        turn_secs: Option<u32>,
    ) -> Result<Joined, ProtoError> {
        self.open_room(conn, game, name, private, turn_secs, true)
            .await
    }

    /// Open a room and seat the creator; `listed`: put it on the open index at once.
    pub(super) async fn open_room(
        &self,
        conn: &ConnHandle,
        game: GameKind,
        name: String,
        private: bool,
        turn_secs: Option<u32>,
        listed: bool,
    ) -> Result<Joined, ProtoError> {
        if !self.games.contains(game) {
            return Err(ErrorCode::UnknownGame.into());
        }
        let player_id = ids::player_id();
        for _ in 0..CODE_ATTEMPTS {
            let code = ids::room_code();
            let token = ids::session_token(&code);
            let now = ids::now_secs();
            let mut doc = RoomDoc {
                code: code.clone(),
                game,
                status: Status::Waiting,
                private,
                created_at: now.clone(),
                updated_at: now,
                version: 1,
                players: Default::default(),
                spectators: 0,
                state: Arc::new(game.new_state(0)),
                first: 0,
                turn_secs,
                deadline: None,
                presence: Default::default(),
            };
            seat_player(&mut doc, &player_id, &name, &token, &self.node)?;
            let key = self.attach(&code, conn, &player_id, 1, Some(0)).await?;
            let created = if listed {
                self.store.create(&doc).await
            } else {
                self.store.create_unlisted(&doc).await
            };
            match created {
                Ok(true) => {
                    let doc = Arc::new(doc);
                    self.hub.remember(doc.clone());
                    let j = joined(key, &doc, &player_id, Some(token));
                    self.confirm(conn, &j);
                    return Ok(j);
                }
                Ok(false) => self.hub.detach(&code, conn.id),
                Err(e) => {
                    self.hub.detach(&code, conn.id);
                    if super::settle::ambiguous(&e) {
                        self.undo_seat(&code, &player_id);
                    }
                    return Err(e.into());
                }
            }
        }
        Err(ProtoError::new(
            ErrorCode::Internal,
            "could not allocate a room code",
        ))
    }

    /// Join a room by code, as a player or a spectator.
    pub async fn join(
        &self,
        conn: &ConnHandle,
        code: &str,
        name: String,
        spectate: bool,
    ) -> Result<Joined, ProtoError> {
        self.join_as(conn, code, name, spectate, false).await
    }

    /// Join a room; `offered_only`: take a seat only where [`offered`] holds (quick play),
    /// else answer `room_full`.
    pub(super) async fn join_as(
        &self,
        conn: &ConnHandle,
        code: &str,
        name: String,
        spectate: bool,
        offered_only: bool,
    ) -> Result<Joined, ProtoError> {
        let code = normalize_code(code)?;
        // A code that names no room costs one read, not a subscription.
        let found = self.current(&code, true).await?;
        if offered_only && !offered(&found) {
            return Err(ErrorCode::RoomFull.into());
        }
        let player_id = ids::player_id();
        let token = (!spectate).then(|| ids::session_token(&code));
        // The seat is known once the join is written; until then the member is shown
        // what a spectator sees, never more.
        let key = self.attach(&code, conn, &player_id, 1, None).await?;
        // The room has a local member now, so the read above can serve the write.
        self.hub.remember(found);
        let result = self
            .mutate(&code, |doc| match &token {
                // Seated by an earlier attempt whose outcome was unknown: done.
                Some(_) if doc.player(&player_id).is_some() => Ok(Plan::skip()),
                Some(_) if offered_only && !offered(doc) => Err(ErrorCode::RoomFull.into()),
                Some(token) => {
                    let started = seat_player(doc, &player_id, &name, token, &self.node)?;
                    let info = doc.player(&player_id).map(PlayerRec::info);
                    let mut frames = Vec::new();
                    if let Some(info) = info {
                        frames.push((Audience::All, Event::PlayerJoined(info)));
                    }
                    if started {
                        frames.push((Audience::All, state_event(None, None)));
                    }
                    Ok(Plan::update(frames))
                }
                None => {
                    doc.spectators = doc.spectators.saturating_add(1);
                    let watching = doc.presence_mut().watchers.entry(self.node.to_string());
                    *watching.or_default() += 1;
                    let info = spectator_info(&player_id, &name);
                    Ok(Plan::update(vec![(
                        Audience::All,
                        Event::PlayerJoined(info),
                    )]))
                }
            })
            .await;
        match result {
            Ok(doc) => {
                let mut j = joined(key, &doc, &player_id, token);
                self.hub.set_seat(&code, conn.id, j.membership.seat);
                if spectate {
                    j.membership.role = Role::Spectator;
                    j.membership.name = name;
                    j.membership.epoch = 0;
                }
                self.confirm(conn, &j);
                Ok(j)
            }
            Err(e) => {
                self.hub.detach(&code, conn.id);
                if token.is_some() && e.code == ErrorCode::StoreUnavailable {
                    self.undo_seat(&code, &player_id);
                }
                Err(e)
            }
        }
    }

    /// Reclaim a seat with a session token.
    pub async fn resume(&self, conn: &ConnHandle, token: &str) -> Result<Joined, ProtoError> {
        let invalid = || ProtoError::from(ErrorCode::InvalidSession);
        let code = ids::session_room(token).ok_or_else(invalid)?;
        let hash = ids::session_hash(token);
        let doc = self.current(&code, false).await.map_err(|e| match e.code {
            ErrorCode::RoomNotFound => invalid(),
            _ => e,
        })?;
        let player = doc
            .players
            .iter()
            .find(|p| p.session_hash == hash)
            .ok_or_else(invalid)?;
        let player_id = player.player_id.clone();
        let key = self
            .attach(&code, conn, &player_id, player.epoch + 1, Some(player.seat))
            .await?;
        let result = self
            .mutate(&code, |doc| {
                let p = doc.player_mut(&player_id).ok_or_else(invalid)?;
                p.epoch += 1;
                p.connected = true;
                let epoch = p.epoch;
                self.hub.set_epoch(&code, conn.id, epoch);
                let node = self.node.to_string();
                doc.presence_mut().seats.insert(player_id.clone(), node);
                Ok(Plan {
                    frames: vec![
                        (Audience::Target, Event::Kicked(KICK_REASON_RESUMED)),
                        (
                            Audience::Others,
                            Event::PlayerConnection(player_id.clone(), true),
                        ),
                    ],
                    effect: Effect::Detach {
                        player_id: player_id.clone(),
                        keep_epoch: Some(epoch),
                    },
                    write: Write::Update,
                })
            })
            .await;
        match result {
            Ok(doc) => {
                let j = joined(key, &doc, &player_id, Some(token.to_string()));
                self.confirm(conn, &j);
                Ok(j)
            }
            Err(e) => {
                self.hub.detach(&code, conn.id);
                Err(match e.code {
                    ErrorCode::RoomNotFound => invalid(),
                    _ => e,
                })
            }
        }
    }

    /// Record in the hub what a connection now is in its room (its epoch; 0 for a
    /// spectator), once the change admitting it is written.
    fn confirm(&self, conn: &ConnHandle, j: &Joined) {
        let m = &j.membership;
        self.hub
            .update_member(&m.code, conn.id, m.player_id.clone(), m.epoch);
    }

    /// Give up the seat (or stop watching).
    pub async fn leave(&self, conn: &ConnHandle, m: &Membership) -> Result<(), ProtoError> {
        let result = self
            .mutate(&m.code, |doc| Ok(plan_departure(doc, m, None, &self.node)))
            .await;
        self.hub.detach(&m.code, conn.id);
        match result {
            Ok(_) => Ok(()),
            // The room is gone already: leaving succeeded.
            Err(e) if e.code == ErrorCode::RoomNotFound => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The socket dropped: hold the seat but show the player offline.
    pub async fn disconnect(&self, conn_id: u64, m: &Membership) {
        self.hub.detach(&m.code, conn_id);
        let result = self
            .mutate(&m.code, |doc| {
                if m.role == Role::Spectator {
                    return Ok(plan_departure(doc, m, None, &self.node));
                }
                match doc.player_mut(&m.player_id) {
                    // Only the socket that holds the seat now may mark it offline.
                    Some(p) if p.epoch == m.epoch && p.connected => {
                        p.connected = false;
                        Ok(Plan::update(vec![(
                            Audience::All,
                            Event::PlayerConnection(m.player_id.to_string(), false),
                        )]))
                    }
                    _ => Ok(Plan::skip()),
                }
            })
            .await;
        if let Err(e) = result {
            if e.code != ErrorCode::RoomNotFound {
                tracing::warn!(code = e.code.as_str(), "could not record a disconnect");
            }
        }
    }
}

/// Seat a new player in the lowest free seat; starts the game when the last seat fills.
/// Returns whether the game started.
fn seat_player(
    doc: &mut RoomDoc,
    player_id: &str,
    name: &str,
    token: &str,
    node: &str,
) -> Result<bool, ProtoError> {
    let seat = doc.free_seat().ok_or(ErrorCode::RoomFull)?;
    doc.players_mut().push(PlayerRec {
        player_id: player_id.to_string(),
        name: name.to_string(),
        seat,
        connected: true,
        session_hash: ids::session_hash(token),
        epoch: 1,
    });
    doc.players_mut().sort_by_key(|p| p.seat);
    doc.presence_mut()
        .seats
        .insert(player_id.to_string(), node.to_string());
    if doc.free_seat().is_none() {
        doc.status = Status::Playing;
        doc.state = Arc::new(doc.game.new_state(doc.first));
        return Ok(true);
    }
    Ok(false)
}

/// The change for a member leaving (or being kicked, with `kick_reason`); `node` is the
/// node holding its socket.
pub(super) fn plan_departure(
    doc: &mut RoomDoc,
    m: &Membership,
    kick_reason: Option<&'static str>,
    node: &str,
) -> Plan {
    let left = Event::PlayerLeft(m.player_id.to_string());
    if m.role == Role::Spectator {
        super::liveness::uncount_spectator(doc, node);
        return Plan::update(vec![(Audience::All, left)]);
    }
    let before = doc.players.len();
    doc.players_mut().retain(|p| *p.player_id != *m.player_id);
    if doc.players.len() == before {
        return Plan::skip();
    }
    doc.presence_mut().seats.remove(&*m.player_id);
    let mut frames = Vec::new();
    let mut effect = Effect::None;
    if let Some(reason) = kick_reason {
        frames.push((Audience::Target, Event::Kicked(reason)));
        effect = Effect::Detach {
            player_id: m.player_id.to_string(),
            keep_epoch: None,
        };
    }
    frames.push((Audience::Others, left));
    if doc.players.is_empty() && doc.spectators == 0 {
        frames.push((Audience::Others, Event::RoomClosed(CLOSE_REASON_EMPTY)));
        return Plan {
            frames,
            effect: Effect::Close,
            write: Write::Delete,
        };
    }
    if doc.status != Status::Waiting {
        // A game cannot go on with an empty seat: back to waiting with a fresh board.
        doc.status = Status::Waiting;
        doc.state = Arc::new(doc.game.new_state(doc.first));
        frames.push((Audience::Others, state_event(None, None)));
    }
    Plan {
        frames,
        effect,
        write: Write::Update,
    }
}

pub(super) fn state_event(by: Option<Arc<str>>, action: Option<Value>) -> Event {
    Event::State { by, action }
}

fn spectator_info(player_id: &str, name: &str) -> PlayerInfo {
    PlayerInfo {
        player_id: player_id.to_string(),
        name: name.to_string(),
        seat: None,
        role: Role::Spectator.as_str(),
        connected: true,
    }
}

fn joined(code: Arc<str>, doc: &RoomDoc, player_id: &str, session: Option<String>) -> Joined {
    let rec = doc.player(player_id);
    Joined {
        membership: Membership {
            code,
            player_id: Arc::from(player_id),
            name: rec.map(|p| p.name.clone()).unwrap_or_default(),
            role: if rec.is_some() {
                Role::Player
            } else {
                Role::Spectator
            },
            seat: rec.map(|p| p.seat),
            epoch: rec.map_or(0, |p| p.epoch),
            game: doc.game.name(),
        },
        session,
        snapshot: doc.snapshot_for(doc.viewer_of(player_id)),
    }
}
