//! Catching local members up after this node lost some of a room's events (its relay fell
//! behind, or its subscription was cut and restored): the node re-reads the room and each
//! local socket gets what it needs to match it again.

use std::sync::Arc;

use axum::extract::ws::Utf8Bytes;

use super::{drop_members, Hub, Member, Offer, Outbound, RoomEvent};
use crate::game::{Seat, Viewer};
use crate::model::RoomDoc;

/// Why a local player no longer holds the seat the stored room shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LostSeat {
    /// Removed from the room (an operator's kick).
    Removed,
    /// The seat moved to a newer socket (a `resume` elsewhere).
    Resumed,
}

/// The frames a resync sends. The hub only moves frames; the room service, which owns
/// the wire formats, installs this ([`Hub::set_resync_frames`]).
pub trait ResyncFrames: Send + Sync {
    /// `resync` with the room as `viewer` may see it.
    fn resync(&self, doc: &RoomDoc, viewer: Viewer) -> String;
    /// `room_closed` for a room found gone.
    fn gone(&self, code: &str) -> String;
    /// `kicked` for a member whose seat was taken from it meanwhile.
    fn lost_seat(&self, code: &str, why: LostSeat) -> String;
}

impl Hub {
    /// Bring the local members of `code` up to the room as just re-read (`None`: it is
    /// gone).
    ///
    /// - Gone: everyone gets `room_closed` and is detached (a room expiring or deleted
    ///   while this node was not listening).
    /// - A player whose seat was taken from it meanwhile (kicked, or resumed on another
    ///   socket) gets the `kicked` it missed and is detached.
    /// - Everyone else gets `resync` with the snapshot at the stored version; each socket
    ///   drops it unless it is newer than what it has shown, so nothing older than what a
    ///   socket holds is ever delivered.
    ///
    /// Members whose join is still in flight are left alone: their `joined` reply carries
    /// the room.
    pub fn resync(&self, code: &str, doc: Option<RoomDoc>) {
        let doc = doc.map(Arc::new);
        if let Some(doc) = &doc {
            self.remember(doc.clone());
        }
        let Some(render) = self.resync_frames.get().cloned() else {
            tracing::warn!(
                room = code,
                "no resync renderer installed; members not caught up"
            );
            return;
        };
        let closed = frames(render.gone(code));
        // Each viewer (a seat, or a spectator) sees the room as its game lets it: render
        // once per viewer present, not once per socket.
        let mut views: Vec<(Viewer, Arc<[Utf8Bytes]>)> = Vec::new();
        let mut view_for = |doc: &RoomDoc, seat: Option<Seat>| {
            let viewer = seat.map_or(Viewer::Spectator, Viewer::Seat);
            if let Some((_, f)) = views.iter().find(|(v, _)| *v == viewer) {
                return f.clone();
            }
            let f = frames(render.resync(doc, viewer));
            views.push((viewer, f.clone()));
            f
        };
        let mut rooms = self.lock();
        let Some(key) = rooms.get_key_value(code).map(|(k, _)| k.clone()) else {
            return;
        };
        let Some(room) = rooms.get_mut(code) else {
            return;
        };
        if let Some(doc) = &doc {
            // Members are brought to this version: a local write may build on it.
            room.delivered = room.delivered.max(doc.version);
        }
        let mut dropped = Vec::new();
        for member in room.members.iter().filter(|m| m.confirmed) {
            let event = |version, frames, detach| {
                Outbound::Event(Arc::new(RoomEvent {
                    room: key.clone(),
                    version,
                    frames,
                    detach,
                }))
            };
            let out = match &doc {
                None => event(None, closed.clone(), true),
                Some(doc) => match lost_seat(doc, member) {
                    Some(why) => event(None, frames(render.lost_seat(code, why)), true),
                    None => event(Some(doc.version), view_for(doc, member.seat), false),
                },
            };
            let detach = matches!(&out, Outbound::Event(e) if e.detach);
            if !offer(member, out) || detach {
                dropped.push(member.conn);
            }
        }
        drop_members(&mut rooms, code, &dropped);
    }
}

fn frames(frame: String) -> Arc<[Utf8Bytes]> {
    Arc::from(vec![Utf8Bytes::from(frame)])
}

/// Why a local player no longer holds the seat the stored room shows, if it does not.
fn lost_seat(doc: &RoomDoc, member: &Member) -> Option<LostSeat> {
    if member.epoch == 0 {
        // A spectator: the room keeps no record of who watches.
        return None;
    }
    match doc.player(&member.player_id) {
        None => Some(LostSeat::Removed),
        Some(p) if p.epoch > member.epoch => Some(LostSeat::Resumed),
        Some(_) => None,
    }
}

/// Queue an event for a member without waiting; `false` when it must be dropped (its
/// queue is full, so it cannot keep up, or its connection is gone).
pub(super) fn offer(member: &Member, out: Outbound) -> bool {
    member.tx.offer(out) == Offer::Queued
}
