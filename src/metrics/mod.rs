//! Prometheus metrics: the recorder, the names, and one small function per thing we
//! measure so call sites stay one line and label sets stay bounded.
//!
//! Labels only ever take values from fixed sets (message types, error codes, op names,
//! game names); never a room code, player id or raw client input.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use metrics::{counter, gauge, histogram, Counter, Gauge};
use metrics_exporter_prometheus::{formatting, Matcher, PrometheusBuilder, PrometheusHandle};

use crate::error::StoreError;

mod histogram;

use histogram::Histogram as Buckets;

/// Latency buckets for store operations: Redis answers in tens of microseconds locally.
const STORE_BUCKETS: &[f64] = &[
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1.0, 2.5,
];
/// Latency buckets for a whole action (frame in → state event out).
const ACTION_BUCKETS: &[f64] = &[
    0.000_1, 0.000_25, 0.000_5, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
/// The `node` label as rendered, for the series rendered here rather than by the exporter.
static NODE_LABEL: OnceLock<String> = OnceLock::new();
static PROCESS: OnceLock<metrics_process::Collector> = OnceLock::new();

/// Install the global recorder once per process (later calls reuse it), labelling every
/// series with `node`.
pub fn install(node_id: &str) -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let _ = NODE_LABEL.set(format!(
                "node=\"{}\"",
                formatting::sanitize_label_value(node_id)
            ));
            let builder = PrometheusBuilder::new()
                .add_global_label("node", node_id)
                .set_buckets_for_metric(
                    Matcher::Full("parlor_http_request_duration_seconds".into()),
                    HTTP_BUCKETS,
                );
            let recorder = match builder {
                Ok(b) => b.build_recorder(),
                Err(e) => {
                    tracing::error!(error = %e, "bad histogram buckets; using defaults");
                    PrometheusBuilder::new().build_recorder()
                }
            };
            let handle = recorder.handle();
            spawn_upkeep(handle.clone());
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was already installed");
            }
            zero_known_series();
            let process = metrics_process::Collector::default();
            process.describe();
            let _ = PROCESS.set(process);
            describe();
            handle
        })
        .clone()
}

/// How often histogram samples are folded into their buckets.
const UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Fold histogram samples into buckets every [`UPKEEP_EVERY`], on a thread of its own.
///
/// The exporter keeps every recorded histogram sample until something drains them, and a
/// recorder built with `build_recorder` drains only when `/metrics` is rendered: a node
/// nobody scrapes (or scrapes rarely) grew by 8 bytes per sample without bound, and the
/// first scrape after a long gap folded them all at once on the runtime. A plain thread
/// keeps that work off the async workers. (Only the HTTP histogram is the exporter's
/// now; the per-move ones are counted into their buckets directly, see `histogram`.)
fn spawn_upkeep(handle: PrometheusHandle) {
    let spawned = std::thread::Builder::new()
        .name("parlor-upkeep".into())
        .spawn(move || loop {
            std::thread::sleep(UPKEEP_EVERY);
            handle.run_upkeep();
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "no metrics upkeep thread; histograms are folded only when scraped");
    }
}

fn describe() {
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
    describe_gauge!("parlor_ws_connections", "Open WebSocket connections");
    describe_counter!(
        "parlor_ws_messages_total",
        "WebSocket messages by direction and type"
    );
    describe_counter!(
        "parlor_ws_rejected_total",
        "Refused connections and messages by reason"
    );
    describe_gauge!("parlor_rooms_active", "Rooms with members on this node");
    describe_counter!(
        "parlor_game_actions_total",
        "Game actions by game and result"
    );
    describe_counter!(
        "parlor_pubsub_messages_total",
        "Room events published and received"
    );
    describe_counter!(
        "parlor_pubsub_lagged_events_total",
        "Room events the relay skipped because it fell behind (each lag triggers a resync)"
    );
    describe_counter!(
        "parlor_room_writes_shed_total",
        "Room changes refused with store_unavailable because the node had no place for them in time"
    );
}

/// Why a connection or message is refused: the `reason` label of
/// `parlor_ws_rejected_total`. Every value is exported at zero from the start, from
/// [`ALL`](Self::ALL), so a new reason cannot be forgotten there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectReason {
    /// Browser `Origin` not allowed.
    Origin,
    /// The node holds `--max-connections` already.
    MaxConnections,
    /// The client address holds `--max-connections-per-ip` already.
    PerIp,
    /// Over the per-connection message rate.
    RateLimited,
    /// Far over the rate: the connection is closed.
    Flood,
    /// A binary frame.
    Binary,
    /// A message over `--max-message-bytes`.
    TooLarge,
    /// Silent past the idle timeout.
    Idle,
    /// The node is shutting down.
    ShuttingDown,
    /// Join and resume refused after too many failed joins.
    JoinLimited,
    /// Closed for failed joins past twice the limit.
    JoinFlood,
    /// Too slow to read its events.
    SlowConsumer,
}

impl RejectReason {
    /// Every reason, in label order.
    pub const ALL: [RejectReason; 12] = [
        RejectReason::Origin,
        RejectReason::MaxConnections,
        RejectReason::PerIp,
        RejectReason::RateLimited,
        RejectReason::Flood,
        RejectReason::Binary,
        RejectReason::TooLarge,
        RejectReason::Idle,
        RejectReason::ShuttingDown,
        RejectReason::JoinLimited,
        RejectReason::JoinFlood,
        RejectReason::SlowConsumer,
    ];

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            RejectReason::Origin => "origin",
            RejectReason::MaxConnections => "max_connections",
            RejectReason::PerIp => "per_ip",
            RejectReason::RateLimited => "rate_limited",
            RejectReason::Flood => "flood",
            RejectReason::Binary => "binary",
            RejectReason::TooLarge => "too_large",
            RejectReason::Idle => "idle",
            RejectReason::ShuttingDown => "shutting_down",
            RejectReason::JoinLimited => "join_limited",
            RejectReason::JoinFlood => "join_flood",
            RejectReason::SlowConsumer => "slow_consumer",
        }
    }
}

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
}

impl StoreOp {
    /// Every operation.
    pub const ALL: [StoreOp; 18] = [
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
        }
    }
}

/// Export the failure counters at zero from the start, so dashboards and alerts see a
/// series (and a rate of 0) on a healthy node instead of no data.
fn zero_known_series() {
    for reason in RejectReason::ALL {
        counter!("parlor_ws_rejected_total", "reason" => reason.as_str()).absolute(0);
    }
    for op in StoreOp::ALL {
        for kind in StoreError::KINDS {
            counter!("parlor_store_op_errors_total", "op" => op.as_str(), "kind" => kind)
                .absolute(0);
        }
    }
    counter!("parlor_redis_reconnects_total").absolute(0);
    counter!("parlor_pubsub_lagged_events_total").absolute(0);
    counter!("parlor_room_writes_shed_total").absolute(0);
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

/// Render the exposition text, refreshing the gauges that are sampled rather than pushed.
pub fn render(handle: &PrometheusHandle, store: Option<StoreSample>) -> String {
    if let Some(process) = PROCESS.get() {
        process.collect();
    }
    if let Some(s) = store {
        gauge!("parlor_redis_pool_size").set(s.pool_size as f64);
        gauge!("parlor_redis_pool_connected").set(s.pool_connected as f64);
        gauge!("parlor_redis_commands_in_flight").set(s.in_flight as f64);
        counter!("parlor_redis_reconnects_total").absolute(s.reconnects);
    }
    let mut text = handle.render();
    let node = NODE_LABEL.get().map_or("", String::as_str);
    render_family(&mut text, node, &STORE_OPS_FAMILY, &STORE_OPS);
    render_family(&mut text, node, &ACTION_FAMILY, &ACTION_DURATIONS);
    text
}

/// A histogram rendered here: its name, help text and label names.
struct Family {
    name: &'static str,
    help: &'static str,
    labels: [&'static str; 2],
}

const STORE_OPS_FAMILY: Family = Family {
    name: "parlor_store_op_duration_seconds",
    help: "Store operation latency",
    labels: ["op", "backend"],
};

const ACTION_FAMILY: Family = Family {
    name: "parlor_action_duration_seconds",
    help: "Action frame in to state event out",
    labels: ["game", ""],
};

fn render_family(out: &mut String, node: &str, family: &Family, series: &Handles<Arc<Buckets>>) {
    let mut kept = series.kept().peekable();
    if kept.peek().is_none() {
        return;
    }
    if !out.is_empty() && !out.ends_with("\n\n") {
        out.push('\n');
    }
    let name = family.name;
    formatting::write_help_line(out, name, None, None, family.help);
    formatting::write_type_line(out, name, None, None, "histogram");
    for (a, b, h) in kept {
        let mut labels = node.to_string();
        for (key, value) in family.labels.iter().zip([a, b]) {
            if key.is_empty() {
                continue;
            }
            if !labels.is_empty() {
                labels.push(',');
            }
            let _ = write!(
                labels,
                "{key}=\"{}\"",
                formatting::sanitize_label_value(value)
            );
        }
        h.render_into(name, &labels, out);
    }
}

/// Series handles already registered, found again by their label values.
///
/// `counter!` and friends look the series up in the recorder's registry on every call
/// (hashing the name and labels under a lock), which on the per-message paths cost more
/// than the update itself. Label sets are small and fixed, so a short table scanned
/// without a lock finds the handle for less: slots are filled once, in order, and never
/// change, so a reader needs only the count of filled slots. Label values are nearly
/// always the same `&'static str` (the same address) as when the handle was made, so the
/// scan compares addresses first and text only if that finds nothing. Handles are kept
/// only once the recorder is installed: one made before would point at no recorder
/// forever.
struct Handles<T> {
    slots: [OnceLock<(&'static str, &'static str, T)>; HANDLE_SLOTS],
    filled: AtomicUsize,
    adding: Mutex<()>,
    /// Keep handles made before the recorder is installed too (series rendered here).
    always: bool,
}

/// Label sets kept per metric; past this many, further ones are looked up per call.
const HANDLE_SLOTS: usize = 128;

/// The same `&'static str`: same address and length.
fn same(x: &'static str, y: &'static str) -> bool {
    std::ptr::eq(x.as_ptr(), y.as_ptr()) && x.len() == y.len()
}

impl<T: Clone> Handles<T> {
    const fn new() -> Self {
        Self::keeping(false)
    }

    /// A table for series this module renders itself: nothing depends on the recorder.
    const fn own() -> Self {
        Self::keeping(true)
    }

    const fn keeping(always: bool) -> Self {
        Handles {
            slots: [const { OnceLock::new() }; HANDLE_SLOTS],
            filled: AtomicUsize::new(0),
            adding: Mutex::new(()),
            always,
        }
    }

    fn kept(&self) -> impl Iterator<Item = &(&'static str, &'static str, T)> + Clone {
        let n = self.filled.load(Ordering::Acquire);
        self.slots[..n].iter().filter_map(OnceLock::get)
    }

    /// Run `f` on the handle for labels `a`, `b`, registering it first if needed.
    fn with<R>(
        &self,
        a: &'static str,
        b: &'static str,
        register: impl FnOnce() -> T,
        f: impl FnOnce(&T) -> R,
    ) -> R {
        let kept = self.kept();
        let found = kept
            .clone()
            .find(|(x, y, _)| same(x, a) && same(y, b))
            .or_else(|| kept.clone().find(|(x, y, _)| *x == a && *y == b));
        if let Some((_, _, handle)) = found {
            return f(handle);
        }
        let handle = register();
        if self.always || HANDLE.get().is_some() {
            let _adding = self.adding.lock().unwrap_or_else(|e| e.into_inner());
            let n = self.filled.load(Ordering::Acquire);
            let known = self.kept().any(|(x, y, _)| *x == a && *y == b);
            if !known && n < HANDLE_SLOTS && self.slots[n].set((a, b, handle.clone())).is_ok() {
                self.filled.store(n + 1, Ordering::Release);
            }
        }
        f(&handle)
    }
}

static STORE_OPS: Handles<Arc<Buckets>> = Handles::own();
static WS_MESSAGES: Handles<Counter> = Handles::new();
static WS_CONNECTIONS: Handles<Gauge> = Handles::new();
static ROOMS_ACTIVE: Handles<Gauge> = Handles::new();
static GAME_ACTIONS: Handles<Counter> = Handles::new();
static ACTION_DURATIONS: Handles<Arc<Buckets>> = Handles::own();
static PUBSUB_MESSAGES: Handles<Counter> = Handles::new();

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

/// The number of open WebSocket connections changed.
pub fn ws_connections(delta: f64) {
    WS_CONNECTIONS.with(
        "",
        "",
        || gauge!("parlor_ws_connections"),
        |g| g.increment(delta),
    );
}

/// One WebSocket message in or out.
pub fn ws_message(direction: &'static str, kind: &'static str) {
    ws_messages(direction, kind, 1);
}

/// Several outbound messages of one type (a fan-out).
pub fn ws_messages_out(kind: &'static str, n: u64) {
    ws_messages("out", kind, n);
}

fn ws_messages(direction: &'static str, kind: &'static str, n: u64) {
    WS_MESSAGES.with(
        direction,
        kind,
        || counter!("parlor_ws_messages_total", "direction" => direction, "type" => kind),
        |c| c.increment(n),
    );
}

/// A connection or message refused.
pub fn ws_rejected(reason: RejectReason) {
    counter!("parlor_ws_rejected_total", "reason" => reason.as_str()).increment(1);
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

/// One room event published (`out`) or received (`in`) over pub/sub.
pub fn pubsub_message(direction: &'static str) {
    PUBSUB_MESSAGES.with(
        direction,
        "",
        || counter!("parlor_pubsub_messages_total", "direction" => direction),
        |c| c.increment(1),
    );
}

/// The room-event relay fell behind and skipped `missed` events (the node resyncs its
/// rooms). Rare, so looked up per call.
pub fn pubsub_lagged(missed: u64) {
    counter!("parlor_pubsub_lagged_events_total").increment(missed);
}

/// A room change was refused because the node's write gate stayed full. Rare (the node
/// is past its capacity), so looked up per call.
pub fn write_shed() {
    counter!("parlor_room_writes_shed_total").increment(1);
}

/// Latency buckets for HTTP requests: health and metrics answer in microseconds, admin
/// calls in a store round trip or a few.
const HTTP_BUCKETS: &[f64] = &[
    0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// Describe the HTTP series and export the configured connection cap (the alert on
/// nearing it divides by this gauge). Called when the router is built.
pub fn http_init(max_connections: usize) {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(
        "parlor_http_requests_total",
        "HTTP requests by route template, method and status class"
    );
    describe_histogram!(
        "parlor_http_request_duration_seconds",
        Unit::Seconds,
        "HTTP request latency by route template and method"
    );
    describe_gauge!(
        "parlor_ws_max_connections",
        "The configured --max-connections"
    );
    gauge!("parlor_ws_max_connections").set(max_connections as f64);
}

/// One HTTP request answered. `route` is the router's template (`/api/v1/rooms/{code}`)
/// or `unmatched`, `method` one of a fixed set, `class` `2xx`…`5xx`: all bounded.
pub fn http_request(route: &str, method: &'static str, class: &'static str, took: Duration) {
    counter!("parlor_http_requests_total", "route" => route.to_string(), "method" => method, "status_class" => class)
        .increment(1);
    histogram!("parlor_http_request_duration_seconds", "route" => route.to_string(), "method" => method)
        .record(took.as_secs_f64());
}
