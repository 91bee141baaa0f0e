//! Store operations: how long each took and how each failed, and the Redis connection
//! figures sampled when `/metrics` is scraped.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use metrics::{counter, gauge};

use super::handles::Handles;
use super::histogram::{Family, Histogram as Buckets};
use crate::error::StoreError;

/// Latency buckets for store operations: Redis answers in tens of microseconds locally.
const STORE_BUCKETS: &[f64] = &[
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1.0, 2.5,
];

/// A store operation: the `op` label of `parlor_store_op_duration_seconds` and
/// `parlor_store_op_errors_total`. Every op × [`StoreError::KINDS`] pair is exported at
/// zero from the start, from [`ALL`](Self::ALL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreOp {
    /// Store a new room.
    CreateRoom,
    /// Read a room.
    LoadRoom,
    /// Compare-and-set a room.
    UpdateRoom,
    /// Delete a room.
    DeleteRoom,
    /// Publish a chat line.
    Publish,
    /// Take or list a room on the open index (quick play).
    ClaimOpen,
    /// Read the offered rooms.
    OpenRooms,
    /// Page through every room (admin).
    ListRooms,
    /// Start receiving a room's events.
    Subscribe,
    /// Stop receiving a room's events.
    Unsubscribe,
    /// Readiness check.
    Ping,
    /// Trim the room indexes (periodic).
    SweepIndexes,
    ArmDeadline,
    DueDeadlines,
    DisarmDeadline,
    Heartbeat,
    DeadNodes,
    ForgetNode,
    /// Read the moves of a room's game.
    LoadMoves,
    /// Read the rooms where a user holds a seat.
    UserRooms,
    /// Record a user's revocation.
    Revoke,
    /// Read revocations (a token's user, or every node's poll).
    ReadRevocations,
    /// Claim outbox events for delivery.
    OutboxClaim,
    /// Report an attempt's outcome, or manage a dead letter.
    OutboxReport,
    /// Read the outbox's figures or dead letters.
    OutboxRead,
}

impl StoreOp {
    /// Every operation.
    pub const ALL: [StoreOp; 25] = [
        StoreOp::CreateRoom,
        StoreOp::LoadRoom,
        StoreOp::UpdateRoom,
        StoreOp::DeleteRoom,
        StoreOp::Publish,
        StoreOp::ClaimOpen,
        StoreOp::OpenRooms,
        StoreOp::ListRooms,
        StoreOp::Subscribe,
        StoreOp::Unsubscribe,
        StoreOp::Ping,
        StoreOp::SweepIndexes,
        StoreOp::ArmDeadline,
        StoreOp::DueDeadlines,
        StoreOp::DisarmDeadline,
        StoreOp::Heartbeat,
        StoreOp::DeadNodes,
        StoreOp::ForgetNode,
        StoreOp::LoadMoves,
        StoreOp::UserRooms,
        StoreOp::Revoke,
        StoreOp::ReadRevocations,
        StoreOp::OutboxClaim,
        StoreOp::OutboxReport,
        StoreOp::OutboxRead,
    ];

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            StoreOp::CreateRoom => "create_room",
            StoreOp::LoadRoom => "load_room",
            StoreOp::UpdateRoom => "update_room",
            StoreOp::DeleteRoom => "delete_room",
            StoreOp::Publish => "publish",
            StoreOp::ClaimOpen => "claim_open",
            StoreOp::OpenRooms => "open_rooms",
            StoreOp::ListRooms => "list_rooms",
            StoreOp::Subscribe => "subscribe",
            StoreOp::Unsubscribe => "unsubscribe",
            StoreOp::Ping => "ping",
            StoreOp::SweepIndexes => "sweep_indexes",
            StoreOp::ArmDeadline => "arm_deadline",
            StoreOp::DueDeadlines => "due_deadlines",
            StoreOp::DisarmDeadline => "disarm_deadline",
            StoreOp::Heartbeat => "heartbeat",
            StoreOp::DeadNodes => "dead_nodes",
            StoreOp::ForgetNode => "forget_node",
            StoreOp::LoadMoves => "load_moves",
            StoreOp::UserRooms => "user_rooms",
            StoreOp::Revoke => "revoke_user",
            StoreOp::ReadRevocations => "read_revocations",
            StoreOp::OutboxClaim => "outbox_claim",
            StoreOp::OutboxReport => "outbox_report",
            StoreOp::OutboxRead => "outbox_read",
        }
    }
}

/// Store operation latencies, rendered here (see `histogram`).
pub(super) static STORE_OPS: Handles<Arc<Buckets>> = Handles::own();

pub(super) const STORE_OPS_FAMILY: Family = Family {
    name: "parlor_store_op_duration_seconds",
    help: "Store operation latency",
    labels: ["op", "backend"],
};

/// Help texts of this area's series.
pub(super) fn describe() {
    use metrics::{describe_counter, describe_gauge};
    describe_counter!(
        "parlor_store_op_errors_total",
        "Failed store operations by kind"
    );
    describe_gauge!("parlor_redis_pool_size", "Redis connections configured");
    describe_gauge!("parlor_redis_pool_connected", "Redis connections up");
    describe_gauge!(
        "parlor_redis_commands_in_flight",
        "Redis operations awaiting a reply"
    );
    describe_counter!("parlor_redis_reconnects_total", "Redis reconnections");
}

/// Every op × error kind, and the reconnections, at zero.
pub(super) fn zero_failures() {
    for op in StoreOp::ALL {
        for kind in StoreError::KINDS {
            counter!("parlor_store_op_errors_total", "op" => op.as_str(), "kind" => kind)
                .absolute(0);
        }
    }
    counter!("parlor_redis_reconnects_total").absolute(0);
}

/// Time one store operation.
pub fn store_op(op: StoreOp, backend: &'static str, took: Duration) {
    let op = op.as_str();
    STORE_OPS.with(
        op,
        backend,
        || Arc::new(Buckets::new(STORE_BUCKETS)),
        |h| h.record(took),
    );
}

/// Count one failed store operation.
pub fn store_error(op: StoreOp, kind: &'static str) {
    counter!("parlor_store_op_errors_total", "op" => op.as_str(), "kind" => kind).increment(1);
}

/// Adjust an in-flight counter and return its new value.
pub fn gauge_add_in_flight(counter: &AtomicI64, delta: i64) -> i64 {
    counter.fetch_add(delta, Ordering::Relaxed) + delta
}

/// Store connection figures sampled at scrape time (Redis only). Passed in, so this
/// module does not depend on the store (the store records its metrics here).
#[derive(Debug, Clone, Copy, Default)]
pub struct StoreSample {
    /// Connections the pool is configured with.
    pub pool_size: usize,
    /// Connections currently up.
    pub pool_connected: usize,
    /// Commands queued or awaiting a reply.
    pub in_flight: usize,
    /// Reconnections since start.
    pub reconnects: u64,
}

impl StoreSample {
    /// Set the gauges (and the reconnection count) this sample is the source of.
    pub(super) fn record(self) {
        gauge!("parlor_redis_pool_size").set(self.pool_size as f64);
        gauge!("parlor_redis_pool_connected").set(self.pool_connected as f64);
        gauge!("parlor_redis_commands_in_flight").set(self.in_flight as f64);
        counter!("parlor_redis_reconnects_total").absolute(self.reconnects);
    }
}
