//! Joining a room by code, as a player or a spectator.

use std::sync::Arc;

use super::events::Event;
use super::ids;
use super::member::{joined, spectator_info, ConnHandle, Joined, Role};
use super::plan::{state_event, Plan};
use super::Rooms;
use crate::error::{ErrorCode, ProtoError};
use crate::model::{Audience, PlayerRec, RoomDoc, Status};
use crate::protocol::normalize_code;
use crate::store::offered;

impl Rooms {
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
        let user = conn.user.as_deref();
        // A user who holds a seat here gets it back, whatever socket held it.
        if let Some(held) = user.filter(|_| !spectate).and_then(|u| seat_of(&found, u)) {
            return self.reclaim(conn, &found, &held).await;
        }
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
                // Seated meanwhile from another socket (any node): one seat per user, so
                // this join writes nothing and takes that seat back below.
                Some(_) if user.is_some_and(|u| seat_of(doc, u).is_some()) => Ok(Plan::skip()),
                Some(_) if offered_only && !offered(doc) => Err(ErrorCode::RoomFull.into()),
                Some(token) => {
                    let started = seat_player(doc, &player_id, &name, token, &self.node, user)?;
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
                    let info = spectator_info(&player_id, &name, user);
                    Ok(Plan::update(vec![(
                        Audience::All,
                        Event::PlayerJoined(info),
                    )]))
                }
            })
            .await;
        if let Ok(doc) = &result {
            if let Some(held) = user.filter(|_| !spectate).and_then(|u| seat_of(doc, u)) {
                if held != player_id {
                    self.hub.detach(&code, conn.id);
                    return self.reclaim(conn, doc, &held).await;
                }
            }
        }
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

    /// Record in the hub what a connection now is in its room (its epoch; 0 for a
    /// spectator), once the change admitting it is written.
    pub(super) fn confirm(&self, conn: &ConnHandle, j: &Joined) {
        let m = &j.membership;
        self.hub
            .update_member(&m.code, conn.id, m.player_id.clone(), m.epoch);
    }
}

/// The id of the seat `user` holds in `doc`, if any.
pub(super) fn seat_of(doc: &RoomDoc, user: &str) -> Option<String> {
    doc.players
        .iter()
        .find(|p| p.user.as_deref() == Some(user))
        .map(|p| p.player_id.clone())
}

/// Seat a new player in the lowest free seat; starts a new game when the last seat fills.
/// Returns whether the game started.
pub(super) fn seat_player(
    doc: &mut RoomDoc,
    player_id: &str,
    name: &str,
    token: &str,
    node: &str,
    user: Option<&str>,
) -> Result<bool, ProtoError> {
    let seat = doc.free_seat().ok_or(ErrorCode::RoomFull)?;
    doc.players_mut().push(PlayerRec {
        player_id: player_id.to_string(),
        name: name.to_string(),
        seat,
        connected: true,
        session_hash: ids::session_hash(token),
        epoch: 1,
        user: user.map(str::to_string),
    });
    doc.players_mut().sort_by_key(|p| p.seat);
    doc.presence_mut()
        .seats
        .insert(player_id.to_string(), node.to_string());
    // The seat changed: a rematch asked for with the old table no longer stands.
    doc.rematch.clear();
    if doc.free_seat().is_none() {
        // After a finished game (one a player left), the other seat moves first, as in
        // a rematch.
        if doc.status == Status::Finished {
            doc.first = (doc.first + 1) % doc.game.seats();
        }
        doc.status = Status::Playing;
        doc.state = Arc::new(doc.game.new_state(doc.first));
        return Ok(true);
    }
    Ok(false)
}
