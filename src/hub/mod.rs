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

#[cfg(test)]
mod local_tests;
mod outbox;
mod resync;

pub use outbox::{outbox, Kills, Offer, Outbox, OutboxRx};
pub use resync::{LostSeat, ResyncFrames};

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Instant;

use axum::extract::ws::Utf8Bytes;
use tokio::sync::Notify;

pub use crate::model::envelope::{Audience, Effect, Envelope};

use crate::game::Seat;
use crate::metrics as m;
use crate::model::{RoomDoc, SharedDoc};

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

/// A room's latest document: parsed, or the text that came with a room event and has not
/// been needed yet. Most events are this node's own writes, whose parsed document is
/// remembered right after the write, so their text is never parsed.
enum Cached {
    Doc(SharedDoc),
    Text { version: u64, text: String },
}

impl Cached {
    fn version(&self) -> u64 {
        match self {
            Cached::Doc(doc) => doc.version,
            Cached::Text { version, .. } => *version,
        }
    }

    /// Whether `doc` should replace this entry: it is newer, or the same version already
    /// parsed.
    fn older_than(&self, doc: &RoomDoc) -> bool {
        match self {
            Cached::Doc(c) => c.version < doc.version,
            Cached::Text { version, .. } => *version <= doc.version,
        }
    }
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
        let mut rooms = self.lock();
        if let Some(room) = rooms.get_mut(code) {
            room.members.retain(|m| m.conn != conn);
            if room.members.is_empty() {
                rooms.remove(code);
                m::rooms_active(rooms.len());
            }
        }
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

    /// The cached document of a room with local members (parsed here if it is still the
    /// text of a room event; `None` if that text does not parse).
    pub fn cached(&self, code: &str) -> Option<SharedDoc> {
        let text = {
            let mut rooms = self.lock();
            let room = rooms.get_mut(code)?;
            match room.cache.take()? {
                Cached::Doc(doc) => {
                    room.cache = Some(Cached::Doc(doc.clone()));
                    return Some(doc);
                }
                Cached::Text { text, .. } => text,
            }
        };
        // Parsed outside the lock; remembered unless something newer arrived meanwhile.
        let doc: SharedDoc = Arc::new(serde_json::from_str::<RoomDoc>(&text).ok()?);
        self.remember(doc.clone());
        Some(doc)
    }

    /// Remember a room's document if it is newer than the cached one (only for rooms with
    /// local members: the cache exists to serve them).
    pub fn remember(&self, doc: SharedDoc) {
        if let Some(room) = self.lock().get_mut(doc.code.as_str()) {
            // A change already delivered here touched the room then (no second clock read).
            if room.delivered < doc.version {
                room.touched = Some(Instant::now());
            }
            if room.cache.as_ref().is_none_or(|c| c.older_than(&doc)) {
                room.cache = Some(Cached::Doc(doc));
            }
        }
    }

    /// Mark a local room as active now (chat counts as activity).
    pub fn touch(&self, code: &str) {
        if let Some(room) = self.lock().get_mut(code) {
            room.touched = Some(Instant::now());
        }
    }

    /// Deliver one room change to the local members.
    ///
    /// While a write of this node that it may deliver itself is in flight, events newer
    /// than it wait for it (see [`Hub::begin_local`]), so members see every change in
    /// version order.
    pub fn deliver(&self, code: &str, env: Envelope) {
        let mut rooms = self.lock();
        let Some(room) = rooms.get_mut(code) else {
            return;
        };
        match (room.pending, env.version) {
            (Some(p), Some(v)) if v > p => room.held.push(env),
            (Some(p), Some(v)) if v == p => {
                // The write's own event came by pub/sub after all (someone else listens).
                room.pending = None;
                deliver_in(&mut rooms, code, env);
                flush_held(&mut rooms, code);
            }
            _ => deliver_in(&mut rooms, code, env),
        }
    }

    /// Start a write of version `version` over `base` that this node may deliver itself
    /// instead of hearing it back over pub/sub. Only if the room has local members, every
    /// change up to `base` has been delivered here and no other such write is in flight;
    /// otherwise `false`, and the write publishes as usual. Every `true` must be followed
    /// by [`Hub::finish_local`].
    pub fn begin_local(&self, code: &str, base: u64, version: u64) -> bool {
        let mut rooms = self.lock();
        match rooms.get_mut(code) {
            Some(room) if room.pending.is_none() && room.delivered == base => {
                room.pending = Some(version);
                true
            }
            _ => false,
        }
    }

    /// Settle a write started by [`Hub::begin_local`]: deliver its event if it was
    /// applied and not published (`Some`), or nothing (it was published, refused, or its
    /// outcome is unknown: then the caller re-reads the room). Events held behind it
    /// follow.
    pub fn finish_local(&self, code: &str, version: u64, env: Option<Envelope>) {
        let mut rooms = self.lock();
        let Some(room) = rooms.get_mut(code) else {
            return;
        };
        if room.pending != Some(version) {
            // Its own event already came by pub/sub and settled it.
            return;
        }
        room.pending = None;
        if let Some(env) = env {
            deliver_in(&mut rooms, code, env);
        }
        flush_held(&mut rooms, code);
    }
}

/// Deliver the events held behind a settled local write, in version order.
fn flush_held(rooms: &mut HashMap<Arc<str>, LocalRoom>, code: &str) {
    let Some(room) = rooms.get_mut(code) else {
        return;
    };
    let mut held = std::mem::take(&mut room.held);
    held.sort_by_key(|env| env.version);
    for env in held {
        deliver_in(rooms, code, env);
    }
}

/// Deliver one room change to the local members of `code` (under the hub's lock).
fn deliver_in(rooms: &mut HashMap<Arc<str>, LocalRoom>, code: &str, env: Envelope) {
    let Some(room) = rooms.get_mut(code) else {
        return;
    };
    room.touched = Some(Instant::now());
    if let Some(v) = env.version {
        room.delivered = room.delivered.max(v);
    }
    if let (Some(text), Some(version)) = (env.doc, env.version) {
        // Kept as text: parsed only if a write needs it before a parsed copy arrives.
        if room.cache.as_ref().is_none_or(|c| c.version() < version) {
            room.cache = Some(Cached::Text { version, text });
        }
    }
    let room_code: Arc<str> = Arc::from(code);
    let effect = env.effect;
    let per_viewer = env.frames.iter().any(|(a, _)| a.is_per_viewer());
    let frames: Vec<(Audience, Utf8Bytes)> = env
        .frames
        .into_iter()
        .map(|(a, f)| (a, Utf8Bytes::from(f)))
        .collect();
    let split = (!per_viewer).then(|| split_frames(&frames));
    let mut dropped = Vec::new();
    // One event for the targeted members and one for the others, made on first use.
    let mut shared: [Option<Arc<RoomEvent>>; 2] = [None, None];
    for member in &room.members {
        let targeted = is_target(&effect, member);
        let frames: Arc<[Utf8Bytes]> = match &split {
            Some(split) if targeted => split.target.clone(),
            Some(split) => split.others.clone(),
            // Rendered per viewer: each member's own selection (rooms are small).
            None => frames
                .iter()
                .filter(|(a, _)| a.reaches(targeted, member.seat))
                .map(|(_, f)| f.clone())
                .collect(),
        };
        let detach = targeted || effect == Effect::Close;
        if frames.is_empty() && !detach {
            continue;
        }
        let make = || {
            Arc::new(RoomEvent {
                room: room_code.clone(),
                version: env.version,
                frames,
                detach,
            })
        };
        // Shared between the members that get the same frames; per viewer, each its own.
        let event = match split {
            Some(_) => shared[usize::from(targeted)]
                .get_or_insert_with(make)
                .clone(),
            None => make(),
        };
        // A socket that cannot keep up is told to drop rather than make its whole
        // room wait (the player can resume).
        if member.tx.offer(Outbound::Event(event)) != Offer::Queued {
            dropped.push(member.conn);
        }
        if detach {
            dropped.push(member.conn);
        }
    }
    room.members.retain(|m| !dropped.contains(&m.conn));
    if room.members.is_empty() {
        rooms.remove(code);
        m::rooms_active(rooms.len());
    }
}

/// The frames for targeted members and for everyone else, built once per delivery.
struct Split {
    target: Arc<[Utf8Bytes]>,
    others: Arc<[Utf8Bytes]>,
}

fn split_frames(frames: &[(Audience, Utf8Bytes)]) -> Split {
    let mut target = Vec::new();
    let mut others = Vec::new();
    for (audience, bytes) in frames {
        if audience.reaches(true, None) {
            target.push(bytes.clone());
        }
        if audience.reaches(false, None) {
            others.push(bytes.clone());
        }
    }
    Split {
        target: target.into(),
        others: others.into(),
    }
}

fn is_target(effect: &Effect, member: &Member) -> bool {
    match effect {
        // A socket with a newer epoch than the one kept resumed after this change: it is
        // not the one being replaced (two resumes racing).
        Effect::Detach {
            player_id,
            keep_epoch,
        } => *member.player_id == **player_id && keep_epoch.is_none_or(|k| member.epoch < k),
        _ => false,
    }
}
