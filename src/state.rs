//! Shared application state: a `Clone` bundle of cheap handles, no globals.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Instant;

use metrics_exporter_prometheus::PrometheusHandle;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::auth::Verifier;
use crate::config::Config;
use crate::guard::{JoinGuard, PerIpSlots};
use crate::hub::{Accounts, Kills};
use crate::room::Rooms;
use crate::store::RoomStore;

/// Everything a handler may need.
#[derive(Clone)]
pub struct AppState {
    /// Settings.
    pub cfg: Arc<Config>,
    /// The room service.
    pub rooms: Rooms,
    /// The store (instrumented).
    pub store: Arc<dyn RoomStore>,
    /// Metrics exposition.
    pub metrics: PrometheusHandle,
    /// The admin bearer token.
    pub admin_token: Arc<str>,
    /// This node's id.
    pub node_id: Arc<str>,
    /// When the server started.
    pub started: Instant,
    /// One permit per allowed WebSocket connection.
    pub conn_slots: Arc<Semaphore>,
    /// Cancelled when the server begins shutting down.
    pub shutdown: CancellationToken,
    /// The drop signal of every live WebSocket connection (fired on shutdown).
    pub kills: Arc<Kills>,
    /// Tracks WebSocket tasks and their clean-up so shutdown can wait for them.
    pub tracker: TaskTracker,
    /// Source of connection ids.
    pub next_conn: Arc<AtomicU64>,
    /// Failed-join limits per client address, shared by this node's connections.
    pub join_guard: Arc<JoinGuard>,
    /// WebSocket connections per client address (`--max-connections-per-ip`).
    pub per_ip: Arc<PerIpSlots>,
    /// Verifies players' tokens, when a JWT key is configured.
    pub verifier: Option<Arc<Verifier>>,
    /// This node's signed-in sockets by user (revocation closes them).
    pub accounts: Arc<Accounts>,
}

impl AppState {
    /// Open WebSocket connections on this node.
    pub fn connections(&self) -> usize {
        self.cfg
            .max_connections
            .saturating_sub(self.conn_slots.available_permits())
    }
}
