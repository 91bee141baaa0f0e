//! The room service: every room operation a client or operator can ask for, as
//! compare-and-set changes of the stored [`RoomDoc`](model::RoomDoc).
//!
//! An operation reads the room (from the hub's cache when the store is remote, so the
//! common case writes without reading), applies its rules to a copy, and writes the copy
//! only if the room is still at the version it read, publishing the change's events in the
//! same atomic step. On conflict it retries against the fresh document the store returned.

pub mod clock;
mod events;
pub mod gate;
pub mod ids;
mod liveness;
mod operator;
mod ops;
mod play;
mod quick;
mod settle;
#[cfg(test)]
mod subscribe_tests;

/// The stored room document, now in [`crate::model`]; kept here for older paths.
pub use crate::model::room as model;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Mutex as AsyncMutex;
use tokio_util::sync::CancellationToken;

pub use events::Event;
use gate::Gate;
pub use ops::Joined;
use settle::Unsure;

use crate::error::{ErrorCode, ProtoError, StoreError};
use crate::game::{GameKind, Games, Seat};
use crate::hub::{Audience, ConnId, Effect, Envelope, Hub, Member, Outbox};
use crate::model::{RoomDoc, SharedDoc};
use crate::protocol::{encode, ServerMsg, CLOSE_REASON_EXPIRED};
use crate::store::{CasOutcome, IndexChange, RoomStore};

/// How often a change is retried against fresh state before giving up.
const MAX_ATTEMPTS: usize = 16;

/// One room's subscription flag, behind the lock that orders its round trips.
type Subscription = Arc<AsyncMutex<bool>>;

/// A connection's way to receive room events (given to the hub on join).
#[derive(Debug, Clone)]
pub struct ConnHandle {
    /// The connection id.
    pub id: ConnId,
    /// Its outbound queue (a full one drops the connection).
    pub tx: Outbox,
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

/// What a planned change does.
pub(crate) struct Plan {
    pub frames: events::Planned,
    pub effect: Effect,
    pub write: Write,
}

/// How a planned change is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Write {
    /// Store the new document.
    Update,
    /// Nothing changed; write nothing.
    Skip,
    /// Delete the room.
    Delete,
}

impl Plan {
    pub(crate) fn update(frames: events::Planned) -> Self {
        Plan {
            frames,
            effect: Effect::None,
            write: Write::Update,
        }
    }

    pub(crate) fn skip() -> Self {
        Plan {
            frames: Vec::new(),
            effect: Effect::None,
            write: Write::Skip,
        }
    }
}

/// The room service. Cheap to clone.
#[derive(Clone)]
pub struct Rooms {
    store: Arc<dyn RoomStore>,
    hub: Hub,
    /// Rooms this node subscribes to, each with its own async lock around its
    /// subscription flag: subscribe and unsubscribe of one room must reach Redis in the
    /// order the flag changes, but rooms must not wait for each other's round trips. The
    /// map itself is behind a `std` mutex held only to find or drop an entry.
    subscribed: Arc<Mutex<HashMap<Arc<str>, Subscription>>>,
    ttl: Duration,
    /// Whether writes may start from the hub's cached document.
    use_cache: bool,
    /// The games this server plays.
    games: Arc<Games>,
    /// This node's id, recorded with the seats and spectators it holds (see `liveness`).
    node: Arc<str>,
    /// Places for changes in progress (see [`gate`]).
    gate: Gate,
}

impl Rooms {
    /// A service over `store`, delivering through `hub`.
    pub fn new(store: Arc<dyn RoomStore>, hub: Hub, ttl: Duration) -> Self {
        hub.set_resync_frames(Arc::new(events::ResyncWire));
        Rooms {
            store,
            hub,
            subscribed: Arc::default(),
            ttl,
            use_cache: true,
            games: Arc::new(Games::builtin()),
            node: Arc::from(""),
            gate: Gate::default(),
        }
    }

    /// Admit room changes through `gate` (by default [`gate::PLACES`] places, a wait of
    /// one second).
    pub fn with_gate(mut self, gate: Gate) -> Self {
        self.gate = gate;
        self
    }

    /// Play these games (the built-ins by default).
    pub fn with_games(mut self, games: Games) -> Self {
        self.games = Arc::new(games);
        self
    }

    /// The games this server plays.
    pub fn games(&self) -> &Games {
        &self.games
    }

    /// The registered game with this id, else `unknown_game`.
    pub fn game(&self, id: &str) -> Result<GameKind, ProtoError> {
        self.games.get(id).ok_or_else(|| {
            let ids: Vec<&str> = self.games.all().iter().map(|g| g.name()).collect();
            ProtoError::new(
                ErrorCode::UnknownGame,
                format!("unknown game; this server plays {}", ids.join(", ")),
            )
        })
    }

    /// Record seats and spectators as held by node `id` (for node liveness).
    pub fn with_node(mut self, id: Arc<str>) -> Self {
        self.node = id;
        self
    }

    /// Turn the write cache off (every change reads the room first).
    pub fn without_cache(mut self) -> Self {
        self.use_cache = false;
        self
    }

    /// The store behind the service.
    pub fn store(&self) -> &Arc<dyn RoomStore> {
        &self.store
    }

    /// Put a connection into a room's local fan-out and make sure this node receives the
    /// room's events, before the change that admits it is written (so it misses nothing).
    async fn attach(
        &self,
        code: &str,
        conn: &ConnHandle,
        player_id: &str,
        epoch: u64,
        seat: Option<Seat>,
    ) -> Result<Arc<str>, ProtoError> {
        let key = self.hub.attach(
            code,
            Member {
                conn: conn.id,
                player_id: Arc::from(player_id),
                epoch,
                seat,
                tx: conn.tx.clone(),
                confirmed: false,
            },
        );
        if let Err(e) = self.ensure_subscribed(&key).await {
            self.hub.detach(code, conn.id);
            return Err(e.into());
        }
        Ok(key)
    }

    async fn ensure_subscribed(&self, code: &Arc<str>) -> Result<(), StoreError> {
        if !self.store.is_remote() {
            return Ok(());
        }
        let flag = self.subscription(code);
        let mut subscribed = flag.lock().await;
        if !*subscribed {
            self.store.subscribe(code).await?;
            *subscribed = true;
        }
        Ok(())
    }

    /// The subscription flag of a room, created unsubscribed.
    fn subscription(&self, code: &Arc<str>) -> Subscription {
        let mut map = self.subscribed.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(code.clone()).or_default().clone()
    }

    /// Unsubscribe from rooms that no longer have local members.
    pub async fn sweep_subscriptions(&self) {
        let idle: Vec<(Arc<str>, Subscription)> = {
            let map = self.subscribed.lock().unwrap_or_else(|e| e.into_inner());
            map.iter()
                .filter(|(c, _)| !self.hub.has_members(c))
                .map(|(c, f)| (c.clone(), f.clone()))
                .collect()
        };
        for (code, flag) in idle {
            {
                let mut subscribed = flag.lock().await;
                // A member may have arrived meanwhile; it attached before it subscribed.
                if self.hub.has_members(&code) {
                    continue;
                }
                if *subscribed {
                    match self.store.unsubscribe(&code).await {
                        Ok(()) => *subscribed = false,
                        Err(e) => {
                            tracing::warn!(error = %e, "unsubscribe failed; will retry");
                            continue;
                        }
                    }
                }
            }
            // Forget the entry unless someone picked it up meanwhile (clones of it are
            // only made under the map's lock, which we hold).
            let mut map = self.subscribed.lock().unwrap_or_else(|e| e.into_inner());
            if Arc::strong_count(&flag) == 2 && flag.try_lock().is_ok_and(|s| !*s) {
                map.remove(&code);
            }
        }
    }

    /// Tell local members of rooms that expired (no activity for the TTL) that they are
    /// gone. Each node does this for its own sockets; the store expires the data itself.
    pub async fn sweep_expired(&self) {
        let Some(before) = Instant::now().checked_sub(self.ttl) else {
            return;
        };
        for code in self.hub.idle_rooms(before) {
            if let Ok(None) = self.store.load(&code).await {
                let frame = encode(&ServerMsg::RoomClosed {
                    room: &code,
                    reason: CLOSE_REASON_EXPIRED,
                });
                let env = Envelope {
                    effect: Effect::Close,
                    frames: vec![(Audience::All, frame)],
                    ..Envelope::default()
                };
                self.hub.deliver(&code, env);
            }
        }
    }

    /// Run both sweeps periodically until `stop`.
    pub async fn run_sweeper(self, stop: CancellationToken) {
        let period = (self.ttl / 4).clamp(Duration::from_millis(200), Duration::from_secs(5));
        let mut tick = tokio::time::interval(period);
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = tick.tick() => {
                    self.sweep_expired().await;
                    self.sweep_subscriptions().await;
                }
            }
        }
    }

    /// Read a room, preferring the hub's cache (on either store: it saves a Redis round
    /// trip on one and a copy of the whole document on the other).
    async fn current(&self, code: &str, use_cache: bool) -> Result<SharedDoc, ProtoError> {
        if use_cache && self.use_cache {
            if let Some(doc) = self.hub.cached(code) {
                return Ok(doc);
            }
        }
        match self.store.load(code).await? {
            Some(doc) => {
                let doc = Arc::new(doc);
                self.hub.remember(doc.clone());
                Ok(doc)
            }
            None => Err(ErrorCode::RoomNotFound.into()),
        }
    }

    /// Apply `rules` to the room under compare-and-set and publish the planned events.
    /// `rules` may run more than once (after a conflict) and must not keep state between
    /// runs. Returns the room as written.
    pub(crate) async fn mutate(
        &self,
        code: &str,
        rules: impl FnMut(&mut RoomDoc) -> Result<Plan, ProtoError>,
    ) -> Result<SharedDoc, ProtoError> {
        self.mutate_from(code, true, rules).await
    }

    /// [`mutate`](Self::mutate) starting from the stored room, never the cache: for
    /// changes whose rules may decide to do nothing, which a stale cache would hide.
    pub(crate) async fn mutate_fresh(
        &self,
        code: &str,
        rules: impl FnMut(&mut RoomDoc) -> Result<Plan, ProtoError>,
    ) -> Result<SharedDoc, ProtoError> {
        self.mutate_from(code, false, rules).await
    }

    pub(crate) async fn mutate_from(
        &self,
        code: &str,
        use_cache: bool,
        mut rules: impl FnMut(&mut RoomDoc) -> Result<Plan, ProtoError>,
    ) -> Result<SharedDoc, ProtoError> {
        // Held to the end, settling included: a change whose outcome is in doubt is
        // still work in progress.
        let _place = self.gate.enter().await?;
        let mut base = self.current(code, use_cache).await?;
        let mut cached = use_cache && self.use_cache;
        // Writes whose outcome is unknown (timed out): any of them may have applied.
        let mut unsure = Unsure::default();
        for _ in 0..MAX_ATTEMPTS {
            let mut next = (*base).clone();
            let plan = match rules(&mut next) {
                Ok(plan) => plan,
                // The cache may trail the store (another node wrote); a refusal must be
                // judged against the real state.
                Err(_) if cached => {
                    cached = false;
                    base = self.current(code, false).await?;
                    continue;
                }
                Err(e) => return Err(e),
            };
            let write = plan.write;
            if write == Write::Skip {
                return Ok(base);
            }
            next.version = base.version + 1;
            next.updated_at = ids::now_secs();
            clock::rearm(&base, &mut next, clock::now_ms);
            let mut frames = Vec::with_capacity(plan.frames.len());
            for (aud, ev) in &plan.frames {
                ev.render_into(*aud, &next, &mut frames);
            }
            let env = Envelope {
                version: Some(next.version),
                effect: plan.effect,
                doc: None,
                frames,
                // Nobody elsewhere to tell, before or after: the store may deliver it here.
                local_only: base.members_only_on(&self.node) && next.members_only_on(&self.node),
            };
            // A deadline is indexed before it is stored, so no crash can leave a stored
            // deadline that no node will find.
            if write != Write::Delete {
                if let Some(at) = next.deadline.filter(|_| next.deadline != base.deadline) {
                    self.store.arm_deadline(code, at).await?;
                }
            }
            // A delete is a compare-and-set like any write: decided on a document that
            // has moved on (someone joined meanwhile), it must re-run on the fresh one.
            // Shared from here on: the store keeps it (memory) and so does the hub's cache.
            let next = Arc::new(next);
            let result = if write == Write::Delete {
                self.store.delete_at(code, base.version, &env).await
            } else {
                let index = IndexChange::between(&base, &next);
                self.store.update(base.version, &next, env, index).await
            };
            let outcome = match result {
                Ok(outcome) => unsure.recognise(outcome),
                Err(e) if settle::ambiguous(&e) => {
                    tracing::warn!(room = code, error = %e, "write outcome unknown; re-reading the room");
                    unsure.add(&next, write);
                    let outcome = unsure.recognise(self.settle(code).await?);
                    if unsure.exhausted() && !matches!(outcome, CasOutcome::Applied) {
                        return Err(e.into());
                    }
                    outcome
                }
                Err(e) => return Err(e.into()),
            };
            match outcome {
                CasOutcome::Applied if unsure.applied.is_some() => {
                    let doc = unsure.applied.take().map_or(next, Arc::new);
                    self.hub.remember(doc.clone());
                    return Ok(doc);
                }
                CasOutcome::Applied => {
                    if let Some(old) = base.deadline.filter(|d| Some(*d) != next.deadline) {
                        self.forget_deadline(code, old);
                    }
                    let doc = next;
                    if write == Write::Update {
                        self.hub.remember(doc.clone());
                    }
                    return Ok(doc);
                }
                CasOutcome::Conflict(fresh) => {
                    cached = false;
                    base = Arc::from(fresh);
                    self.hub.remember(base.clone());
                }
                CasOutcome::Missing => return Err(ErrorCode::RoomNotFound.into()),
            }
        }
        Err(StoreError::Conflict.into())
    }
}

impl Rooms {
    /// Rooms with members on this node.
    pub fn local_room_count(&self) -> usize {
        self.hub.room_count()
    }
}
