//! Node liveness: a node that dies without a clean shutdown (`kill -9`, a lost machine)
//! cannot mark its players offline or stop counting its spectators, so the others do it
//! for it.
//!
//! Each node renews a heartbeat in the store (with the rooms it has members in) every
//! quarter of `--node-liveness-ms`; every seat and spectator count in a room records the
//! node that holds its socket (the room document's `presence`). A node that sees
//! another's heartbeat lapse changes each of that node's rooms by compare-and-set: its
//! players go `connected:false` (members get `player_connection`), its spectators leave
//! the count, and a room left with nobody is deleted. The rules change nothing the second
//! time, so however many nodes notice, each change happens exactly once.
//!
//! A node that was only slow (paused, partitioned) finds on its next heartbeat that it was
//! declared dead, and re-asserts the seats and spectators its sockets still hold.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::events::Event;
use super::plan::{Plan, Write};
use super::Rooms;
use crate::error::ErrorCode;
use crate::model::RoomDoc;
use crate::model::{Audience, Effect};
use crate::protocol::CLOSE_REASON_EMPTY;

impl Rooms {
    /// Renew this node's heartbeat and look for dead nodes every quarter of `ttl`, and at
    /// once when a room gains its first local member, until `stop`. Nothing to do on the
    /// memory store: there is one node.
    pub async fn run_liveness(self, ttl: Duration, stop: CancellationToken) {
        if !self.store.is_remote() {
            return;
        }
        let mut tick = tokio::time::interval(ttl / 4);
        // New rooms are reported at most this often: under a burst of room creations the
        // heartbeat (which lists every local room) must not be rewritten per room.
        let min_gap = (ttl / 20).max(Duration::from_millis(100));
        let new_room = self.hub.rooms_added();
        let mut registered = false;
        loop {
            let ticked = tokio::select! {
                _ = stop.cancelled() => break,
                _ = tick.tick() => true,
                _ = new_room.notified() => false,
            };
            self.beat(ttl, &mut registered).await;
            if ticked {
                self.reap_dead().await;
            } else {
                tokio::select! {
                    _ = stop.cancelled() => break,
                    _ = tokio::time::sleep(min_gap) => {}
                }
            }
        }
    }

    async fn beat(&self, ttl: Duration, registered: &mut bool) {
        let rooms = self.hub.local_rooms();
        match self.store.heartbeat(&self.node, ttl, &rooms).await {
            Ok(known) => {
                if !known && *registered {
                    tracing::warn!("this node was declared dead; re-asserting its members");
                    for code in &rooms {
                        self.reassert(code).await;
                    }
                }
                *registered = true;
            }
            Err(e) => tracing::warn!(error = %e, "node heartbeat not renewed"),
        }
    }

    /// Clean up after every node whose heartbeat lapsed; forget a node once all its rooms
    /// are done (a failure leaves it for the next round).
    async fn reap_dead(&self) {
        let dead = match self.store.dead_nodes().await {
            Ok(dead) => dead,
            Err(e) => {
                tracing::warn!(error = %e, "could not look for dead nodes");
                return;
            }
        };
        for (node, rooms) in dead.into_iter().filter(|(n, _)| **n != *self.node) {
            let mut done = true;
            for code in &rooms {
                let result = self
                    .mutate_fresh(code, |doc| Ok(plan_reap(doc, &node)))
                    .await;
                if let Err(e) = result.map(|_| ()).or_else(not_found_is_done) {
                    tracing::warn!(%node, room = %code, code = e.code.as_str(), "dead node's room not cleaned yet");
                    done = false;
                }
            }
            if done {
                tracing::warn!(%node, rooms = rooms.len(), "node stopped renewing its heartbeat; its players are offline");
                if let Err(e) = self.store.forget_node(&node).await {
                    tracing::warn!(%node, error = %e, "dead node not forgotten yet");
                }
            }
        }
    }

    /// Take back, in one room, the seats and spectators this node's sockets hold.
    async fn reassert(&self, code: &str) {
        let members = self.hub.local_members(code);
        let node = self.node.clone();
        let result = self
            .mutate_fresh(code, |doc| Ok(plan_reassert(doc, &node, &members)))
            .await;
        if let Err(e) = result.map(|_| ()).or_else(not_found_is_done) {
            tracing::warn!(room = %code, code = e.code.as_str(), "could not re-assert local members");
        }
    }
}

fn not_found_is_done(e: crate::error::ProtoError) -> Result<(), crate::error::ProtoError> {
    match e.code {
        ErrorCode::RoomNotFound => Ok(()),
        _ => Err(e),
    }
}

/// The change for a dead `node`: its connected players go offline, its spectators leave
/// the count; a room left with nobody at all is deleted. Nothing to do: skip.
pub(super) fn plan_reap(doc: &mut RoomDoc, node: &str) -> Plan {
    let held: Vec<String> = doc
        .presence
        .seats
        .iter()
        .filter(|(_, n)| n.as_str() == node)
        .map(|(p, _)| p.clone())
        .collect();
    let mut frames = Vec::new();
    for player_id in &held {
        doc.presence_mut().seats.remove(player_id);
        if let Some(p) = doc.player_mut(player_id).filter(|p| p.connected) {
            p.connected = false;
            let event = Event::PlayerConnection(player_id.clone(), false);
            frames.push((Audience::All, event));
        }
    }
    let watchers = doc.presence_mut().watchers.remove(node);
    if let Some(n) = watchers {
        doc.spectators = doc.spectators.saturating_sub(n);
    }
    if held.is_empty() && watchers.is_none() {
        return Plan::skip();
    }
    if doc.players.is_empty() && doc.spectators == 0 {
        return Plan {
            frames: vec![(Audience::All, Event::RoomClosed(CLOSE_REASON_EMPTY))],
            effect: Effect::Close,
            write: Write::Delete,
            moved: None,
        };
    }
    Plan::update(frames)
}

/// The change for a node that was declared dead but still holds these members (player
/// id and seat epoch; epoch 0 for a spectator): its seats connected again, its
/// spectators counted again.
pub(super) fn plan_reassert(doc: &mut RoomDoc, node: &str, members: &[(String, u64)]) -> Plan {
    let mut frames = Vec::new();
    let mut changed = false;
    let mut watching = 0u32;
    for (player_id, epoch) in members {
        if *epoch == 0 {
            watching += 1;
            continue;
        }
        let held_here = doc.presence.seats.get(player_id).map(String::as_str) == Some(node);
        let Some(p) = doc.player_mut(player_id).filter(|p| p.epoch == *epoch) else {
            continue;
        };
        if p.connected && held_here {
            continue;
        }
        if !p.connected {
            p.connected = true;
            let event = Event::PlayerConnection(player_id.clone(), true);
            frames.push((Audience::All, event));
        }
        let seats = &mut doc.presence_mut().seats;
        seats.insert(player_id.clone(), node.to_string());
        changed = true;
    }
    let counted = doc.presence.watchers.get(node).copied().unwrap_or(0);
    if counted != watching {
        changed = true;
        doc.spectators = (doc.spectators.saturating_sub(counted)).saturating_add(watching);
        if watching == 0 {
            doc.presence_mut().watchers.remove(node);
        } else {
            doc.presence_mut()
                .watchers
                .insert(node.to_string(), watching);
        }
    }
    if !changed {
        return Plan::skip();
    }
    Plan::update(frames)
}

/// One spectator of `node` stops watching. If the count no longer has it (a node
/// declared dead already dropped it), nothing changes.
pub(super) fn uncount_spectator(doc: &mut RoomDoc, node: &str) {
    let watchers = &mut doc.presence_mut().watchers;
    let attributed: u32 = watchers.values().sum();
    if let Some(n) = watchers.get_mut(node).filter(|n| **n > 0) {
        *n -= 1;
        if *n == 0 {
            watchers.remove(node);
        }
    } else if doc.spectators <= attributed {
        return;
    }
    doc.spectators = doc.spectators.saturating_sub(1);
}
