//! Rooms and games: how many rooms this node serves, the actions played and how long
//! each took, and the room changes shed when the node had no place for them.

use std::sync::Arc;
use std::time::Duration;

use metrics::{counter, gauge, Counter, Gauge};

use super::handles::Handles;
use super::histogram::{Family, Histogram as Buckets};

/// Latency buckets for a whole action (frame in → state event out).
const ACTION_BUCKETS: &[f64] = &[
    0.000_1, 0.000_25, 0.000_5, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

static ROOMS_ACTIVE: Handles<Gauge> = Handles::new();
static GAME_ACTIONS: Handles<Counter> = Handles::new();
/// Action latencies, rendered here (see `histogram`).
pub(super) static ACTION_DURATIONS: Handles<Arc<Buckets>> = Handles::own();

pub(super) const ACTION_FAMILY: Family = Family {
    name: "parlor_action_duration_seconds",
    help: "Action frame in to state event out",
    labels: ["game", ""],
};

/// Help texts of this area's series.
pub(super) fn describe() {
    use metrics::{describe_counter, describe_gauge};
    describe_gauge!("parlor_rooms_active", "Rooms with members on this node");
    describe_counter!(
        "parlor_game_actions_total",
        "Game actions by game and result"
    );
    describe_counter!(
        "parlor_room_writes_shed_total",
        "Room changes refused with store_unavailable because the node had no place for them in time"
    );
}

/// The shed room changes at zero.
pub(super) fn zero_failures() {
    counter!("parlor_room_writes_shed_total").absolute(0);
}

/// Rooms with local members.
pub fn rooms_active(n: usize) {
    ROOMS_ACTIVE.with(
        "",
        "",
        || gauge!("parlor_rooms_active"),
        |g| g.set(n as f64),
    );
}

/// One game action and how it ended (`ok` or an error code).
pub fn game_action(game: &'static str, result: &'static str) {
    GAME_ACTIONS.with(
        game,
        result,
        || counter!("parlor_game_actions_total", "game" => game, "result" => result),
        |c| c.increment(1),
    );
}

/// Time from an action frame arriving to its state event being published.
pub fn action_duration(game: &'static str, took: Duration) {
    ACTION_DURATIONS.with(
        game,
        "",
        || Arc::new(Buckets::new(ACTION_BUCKETS)),
        |h| h.record(took),
    );
}

/// A room change was refused because the node's write gate stayed full. Rare (the node
/// is past its capacity), so looked up per call.
pub fn write_shed() {
    counter!("parlor_room_writes_shed_total").increment(1);
}
