//! The room service: every room operation a client or operator can ask for, as
//! compare-and-set changes of the stored [`RoomDoc`](model::RoomDoc).
//!
//! An operation reads the room (from the hub's cache when the store is remote, so the
//! common case writes without reading), applies its rules to a copy, and writes the copy
//! only if the room is still at the version it read, publishing the change's events in the
//! same atomic step. On conflict it retries against the fresh document the store returned.
//!
//! Where each `Rooms` method is, by file:
//!
//! | file | methods |
//! |---|---|
//! | `mod.rs` | `new`, `with_gate`, `with_games`, `with_node`, `without_cache`, `games`, `game`, `store`, `local_room_count` |
//! | `create.rs` | `create`, `create_with_clock`, `open_room` |
//! | `join.rs` | `join`, `join_as`, `confirm` |
//! | `quick_join.rs` | `quick_join` |
//! | `resume.rs` | `resume` |
//! | `leave.rs` | `leave`, `disconnect` |
//! | `play.rs` | `act`, `rematch`, `chat` |
//! | `operator.rs` | `open_rooms`, `snapshot`, `list`, `close`, `kick` |
//! | `mutate.rs` | `mutate`, `mutate_fresh`, `mutate_from`, `current`, `record` |
//! | `results.rs` | (the `game.finished` and `room.closed` events it records) |
//! | `settle.rs` | `settle`, `undo_seat` |
//! | `subscribe.rs` | `attach`, `ensure_subscribed`, `subscription`, `sweep_subscriptions` |
//! | `sweep.rs` | `sweep_expired`, `run_sweeper` |
//! | `clock.rs` | `run_clock`, `fire_due` |
//! | `liveness.rs` | `run_liveness` and the heartbeat it renews |

pub mod clock;
mod create;
mod events;
pub mod gate;
pub mod ids;
mod join;
mod leave;
mod liveness;
mod member;
mod mutate;
mod operator;
mod plan;
mod play;
mod quick_join;
pub mod results;
mod resume;
mod settle;
mod subscribe;
mod sweep;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gate::Gate;
pub use member::{ConnHandle, Joined, Membership, Role};
use subscribe::Subscription;

use crate::error::{ErrorCode, ProtoError};
use crate::game::{GameKind, Games};
use crate::hub::Hub;
use crate::store::RoomStore;

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
    /// Whether finished games and closed rooms are recorded for the game's backend.
    results: bool,
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
            results: false,
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

    /// Record finished games and closed rooms for the game's backend (the results
    /// webhook is on).
    pub fn with_results(mut self) -> Self {
        self.results = true;
        self
    }

    /// Turn the write cache off (every change reads the room first).
    pub fn without_cache(mut self) -> Self {
        self.use_cache = false;
        self
    }

    /// Rooms with members on this node.
    pub fn local_room_count(&self) -> usize {
        self.hub.room_count()
    }
}
