//! The room hub: which local sockets are in which room, and the fan-out of room events
//! to them.
//!
//! Every event reaches the hub through [`Hub::deliver`] (the memory store calls it
//! directly; the Redis store from its pub/sub subscriber) or, for a change of a room whose
//! members are all here that the Redis store did not publish, through
//! [`Hub::finish_local`]. Each change reaches the hub by exactly one of these, and the hub
//! hands them on in version order, so a socket never gets an event twice. Each frame is
//! turned into shared bytes once and cloned (a reference count) per recipient.
//!
//! The hub also keeps the latest document of each room that has local members: the room
//! service uses it to write without reading first (one Redis round trip per action).
mod accounts;
mod cache;
mod deliver;
mod outbox;
mod resync;

pub use accounts::Accounts;
pub use outbox::{outbox, Kills, Offer, Outbox, OutboxRx};
pub use resync::{LostSeat, ResyncFrames};

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Instant;

use axum::extract::ws::Utf8Bytes;
use tokio::sync::Notify;

use crate::game::Seat;
use crate::metrics as m;
use crate::model::Envelope;

use cache::Cached;

/// Identifies one WebSocket connection on this node.
pub type ConnId = u64;

/// What a connection's outbound queue carries. One pointer on purpose: a busy queue holds
/// up to 256 of these.
#[derive(Debug, Clone)]
pub enum Outbound {
    /// Frames of one room change, shared by every member they go to.
    Event(Arc<RoomEvent>),
}

/// The frames of one room change for the members that get the same ones.
#[derive(Debug)]
pub struct RoomEvent {
    /// The room they belong to.
    pub room: Arc<str>,
    /// The room version they carry, if any; the socket drops anything not newer than
    /// what it already showed.
    pub version: Option<u64>,
    /// Ready-to-send frames.
    pub frames: Arc<[Utf8Bytes]>,
    /// After sending, the socket is no longer in the room.
    pub detach: bool,
}

/// A local member of a room.
#[derive(Debug, Clone)]
pub struct Member {
    /// The connection.
    pub conn: ConnId,
    /// The player (or spectator) id in the room.
    pub player_id: Arc<str>,
    /// Socket epoch of the seat it holds (0 for spectators).
    pub epoch: u64,
    /// The seat it holds, once known (per-viewer frames go by it; unknown counts as a
    /// spectator, who is shown least).
    pub seat: Option<Seat>,
    /// The connection's outbound queue (a full one drops the connection).
    pub tx: Outbox,
    /// Whether the change admitting it has been written (see [`Hub::update_member`]);
    /// a catch-up leaves members still joining alone.
    pub confirmed: bool,
}

#[derive(Default)]
struct LocalRoom {
    members: Vec<Member>,
    cache: Option<Cached>,
    touched: Option<Instant>,
    /// The newest room version delivered here (0: none yet).
    delivered: u64,
    /// The version of this node's write in flight that it may deliver itself (see
    /// [`Hub::begin_local`]); newer events wait in `held` until it is settled.
    pending: Option<u64>,
    held: Vec<Envelope>,
}

/// Local membership and fan-out. Cheap to clone.
#[derive(Clone, Default)]
pub struct Hub {
    rooms: Arc<Mutex<HashMap<Arc<str>, LocalRoom>>>,
    /// Signalled when a room gains its first local member (node liveness reports it).
    rooms_added: Arc<Notify>,
    /// How resync frames are written (installed once by the room service).
    resync_frames: Arc<OnceLock<Arc<dyn ResyncFrames>>>,
}

impl Hub {
    /// Install how resync frames are written (once; later calls are ignored).
    pub fn set_resync_frames(&self, frames: Arc<dyn ResyncFrames>) {
        let _ = self.resync_frames.set(frames);
    }

    /// An empty hub.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Arc<str>, LocalRoom>> {
        // A poisoned lock only means another thread panicked mid-update of plain data;
        // the map is still usable, so keep serving rather than cascading the panic.
        self.rooms.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Add a member to a room. Returns the room code as shared by the hub.
    pub fn attach(&self, code: &str, member: Member) -> Arc<str> {
        let mut rooms = self.lock();
        let key = rooms
            .get_key_value(code)
            .map(|(k, _)| k.clone())
            .unwrap_or_else(|| Arc::from(code));
        let room = rooms.entry(key.clone()).or_insert_with(|| {
            self.rooms_added.notify_one();
            LocalRoom {
                touched: Some(Instant::now()),
                ..LocalRoom::default()
            }
        });
        room.members.retain(|m| m.conn != member.conn);
        room.members.push(member);
        m::rooms_active(rooms.len());
        key
    }

    /// Update the player id / epoch of an attached member once the change admitting it is
    /// written (epoch 0: a spectator), and mark it confirmed.
    pub fn update_member(&self, code: &str, conn: ConnId, player_id: Arc<str>, epoch: u64) {
        if let Some(room) = self.lock().get_mut(code) {
            if let Some(m) = room.members.iter_mut().find(|m| m.conn == conn) {
                m.player_id = player_id;
                m.epoch = epoch;
                m.confirmed = true;
            }
        }
    }

    /// Record the seat an attached member now holds.
    pub fn set_seat(&self, code: &str, conn: ConnId, seat: Option<Seat>) {
        if let Some(room) = self.lock().get_mut(code) {
            if let Some(m) = room.members.iter_mut().find(|m| m.conn == conn) {
                m.seat = seat;
            }
        }
    }

    /// Set the seat epoch of an attached member before the change that gives it that
    /// epoch is written, so the change's own event (which detaches older sockets of the
    /// player) already sees it as the newest.
    pub fn set_epoch(&self, code: &str, conn: ConnId, epoch: u64) {
        if let Some(room) = self.lock().get_mut(code) {
            if let Some(m) = room.members.iter_mut().find(|m| m.conn == conn) {
                m.epoch = epoch;
            }
        }
    }

    /// Remove a connection from a room; forgets the room when nobody local is left.
    pub fn detach(&self, code: &str, conn: ConnId) {
        drop_members(&mut self.lock(), code, &[conn]);
    }

    /// Whether any local connection is in the room.
    pub fn has_members(&self, code: &str) -> bool {
        self.lock().contains_key(code)
    }

    /// Codes of rooms with local members.
    pub fn local_rooms(&self) -> Vec<Arc<str>> {
        self.lock().keys().cloned().collect()
    }

    /// Signalled when a room gains its first local member.
    pub fn rooms_added(&self) -> Arc<Notify> {
        self.rooms_added.clone()
    }

    /// The confirmed local members of a room: player id and seat epoch (0: spectator).
    pub fn local_members(&self, code: &str) -> Vec<(String, u64)> {
        self.lock().get(code).map_or_else(Vec::new, |room| {
            room.members
                .iter()
                .filter(|m| m.confirmed)
                .map(|m| (m.player_id.to_string(), m.epoch))
                .collect()
        })
    }

    /// Number of rooms with local members.
    pub fn room_count(&self) -> usize {
        self.lock().len()
    }

    /// Local rooms with no change seen since `before`.
    pub fn idle_rooms(&self, before: Instant) -> Vec<Arc<str>> {
        self.lock()
            .iter()
            .filter(|(_, r)| r.touched.is_none_or(|t| t < before))
            .map(|(k, _)| k.clone())
            .collect()
    }
}

/// Take the connections `gone` out of a room's local members, and forget the room when
/// nobody local is left (under the hub's lock).
fn drop_members(rooms: &mut HashMap<Arc<str>, LocalRoom>, code: &str, gone: &[ConnId]) {
    if let Some(room) = rooms.get_mut(code) {
        room.members.retain(|m| !gone.contains(&m.conn));
        if room.members.is_empty() {
            rooms.remove(code);
            m::rooms_active(rooms.len());
        }
    }
}
