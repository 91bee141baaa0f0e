//! Fan-out of one room change to the local members, in version order: events heard over
//! pub/sub and changes this node delivers itself ([`Hub::begin_local`]) are interleaved by
//! version, and each frame becomes shared bytes once, cloned (a reference count) per
//! recipient.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::ws::Utf8Bytes;

use super::cache::Cached;
use super::outbox::Offer;
use super::{drop_members, LocalRoom, Member, Outbound, RoomEvent};
use crate::model::{Audience, Effect, Envelope};

use super::Hub;

impl Hub {
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
    drop_members(rooms, code, &dropped);
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

#[cfg(test)]
mod tests {
    //! Changes a node delivers itself ([`Hub::begin_local`]) stay in version order with the
    //! events it hears over pub/sub, whatever order they reach the hub in.

    use super::*;
    use crate::hub::{outbox, OutboxRx};

    const ROOM: &str = "ABCDEF";

    /// A hub with one confirmed member in `ROOM`, and that member's queue.
    fn hub_with_member() -> (Hub, OutboxRx) {
        let hub = Hub::new();
        let (tx, rx) = outbox(32);
        hub.attach(
            ROOM,
            Member {
                conn: 1,
                player_id: Arc::from("p_1"),
                epoch: 1,
                seat: Some(0),
                tx,
                confirmed: true,
            },
        );
        (hub, rx)
    }

    fn event(version: u64) -> Envelope {
        Envelope::to_all(Some(version), vec![format!("{{\"v\":{version}}}")])
    }

    /// The versions the member was sent, in order.
    fn received(rx: &mut OutboxRx) -> Vec<u64> {
        let mut out = Vec::new();
        while let Some(Outbound::Event(e)) = rx.try_recv() {
            out.push(e.version.unwrap_or(0));
        }
        out
    }

    #[test]
    fn a_local_write_needs_everything_before_it_delivered() {
        let (hub, mut rx) = hub_with_member();
        assert!(!hub.begin_local(ROOM, 4, 5), "nothing delivered yet");
        hub.deliver(ROOM, event(4));
        assert!(!hub.begin_local("OTHER1", 4, 5), "no local members there");
        assert!(hub.begin_local(ROOM, 4, 5));
        assert!(!hub.begin_local(ROOM, 5, 6), "one at a time");
        hub.finish_local(ROOM, 5, Some(event(5)));
        assert!(hub.begin_local(ROOM, 5, 6), "5 was delivered here");
        hub.finish_local(ROOM, 6, Some(event(6)));
        assert_eq!(received(&mut rx), [4, 5, 6]);
    }

    #[test]
    fn newer_events_wait_for_the_local_write() {
        let (hub, mut rx) = hub_with_member();
        hub.deliver(ROOM, event(4));
        assert!(hub.begin_local(ROOM, 4, 5));
        // Another node built on 5 before this node got around to delivering it.
        hub.deliver(ROOM, event(7));
        hub.deliver(ROOM, event(6));
        assert_eq!(received(&mut rx), [4]);
        hub.finish_local(ROOM, 5, Some(event(5)));
        assert_eq!(received(&mut rx), [5, 6, 7]);
    }

    #[test]
    fn a_write_that_was_published_after_all_is_delivered_once() {
        let (hub, mut rx) = hub_with_member();
        hub.deliver(ROOM, event(4));
        assert!(hub.begin_local(ROOM, 4, 5));
        hub.deliver(ROOM, event(6));
        // Someone else listened, so the write went out and came back by pub/sub.
        hub.deliver(ROOM, event(5));
        hub.finish_local(ROOM, 5, None);
        assert_eq!(received(&mut rx), [4, 5, 6]);
        assert!(hub.begin_local(ROOM, 6, 7), "settled by its own event");
    }

    #[test]
    fn a_refused_or_lost_write_releases_what_waited() {
        let (hub, mut rx) = hub_with_member();
        hub.deliver(ROOM, event(4));
        assert!(hub.begin_local(ROOM, 4, 5));
        hub.deliver(ROOM, event(6));
        hub.finish_local(ROOM, 5, None);
        assert_eq!(received(&mut rx), [4, 6]);
        // Chat carries no version and never waits.
        assert!(hub.begin_local(ROOM, 6, 7));
        hub.deliver(ROOM, Envelope::to_all(None, vec!["{}".into()]));
        assert_eq!(received(&mut rx), [0]);
        hub.finish_local(ROOM, 7, None);
    }
}
