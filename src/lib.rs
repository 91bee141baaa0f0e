//! Parlor: a multiplayer game-room server.
//!
//! Browsers play over a WebSocket (`/ws`), operators manage rooms over REST (`/api/v1`),
//! and rooms live in a [`store`]: Redis, so any node can serve any room, or an embedded
//! in-memory store for a single node. The layout:
//!
//! - [`config`]: flags and environment.
//! - [`protocol`]: every wire message, and validation of client strings.
//! - [`model`]: the stored room document and the fan-out envelope, shared by all layers.
//! - [`game`]: the rules of each game behind one trait.
//! - [`room`]: the room service — every operation as a compare-and-set change.
//! - [`store`]: the storage interface and its memory and Redis backends.
//! - [`hub`]: who is connected where on this node, and the fan-out of room events.
//! - [`guard`]: the limits on failed joins (room-code and session guessing).
//! - [`ws`]: one WebSocket connection's loop and message handlers.
//! - [`http`]: health, metrics, the admin API and the embedded web client.
//! - [`metrics`]: Prometheus names and recording.
//! - [`server`]: assembling it all and the shutdown sequence.
//! - `serve`: the HTTP accept loop (header timeout, upgrades, admin deadline).

pub mod config;
pub mod error;
pub mod game;
pub mod guard;
pub mod http;
pub mod hub;
pub mod metrics;
pub mod model;
pub mod protocol;
pub mod room;
mod serve;
pub mod server;
pub mod state;
pub mod store;
pub mod ws;

pub use config::Config;
pub use game::{Game, Games};
pub use server::{Server, ServerBuilder, StartError};
