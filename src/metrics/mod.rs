//! Prometheus metrics: the recorder, the names, and one small function per thing we
//! measure so call sites stay one line and label sets stay bounded.
//!
//! Labels only ever take values from fixed sets (message types, error codes, op names,
//! game names); never a room code, player id or raw client input.
//!
//! One file per area, each holding its series' names, help texts and recording
//! functions: `connections` (WebSocket connections and messages), `store` (store
//! operations and the Redis pool), `rooms` (rooms and game actions), `pubsub` (room
//! events between nodes), `http` (HTTP requests), `auth` (players' tokens), `webhook`
//! (results webhooks). `recorder` installs the exporter and `exposition` renders
//! `/metrics`; `global` holds what the recorder leaves for the others; `handles` and
//! `histogram` keep the hot paths cheap.
//! Callers use the names re-exported here.

mod auth;
mod connections;
mod exposition;
mod global;
mod handles;
mod histogram;
mod http;
mod pubsub;
mod recorder;
mod rooms;
mod store;
mod webhook;

pub use auth::{auth_result, AuthResult};
pub use connections::{ws_connections, ws_message, ws_rejected, RejectReason};
pub use exposition::render;
pub use http::{http_init, http_request};
pub use pubsub::{pubsub_lagged, pubsub_message};
pub use recorder::install;
pub use rooms::{action_duration, game_action, rooms_active, write_shed};
pub use store::{gauge_add_in_flight, store_error, store_op, StoreOp, StoreSample};
pub use webhook::{webhook_attempt, webhook_outbox};
