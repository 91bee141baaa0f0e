//! WebSocket connections and messages: how many are open, what goes in and out, and
//! what is refused and why.

use metrics::{counter, gauge, Counter, Gauge};

use super::handles::Handles;

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

static WS_MESSAGES: Handles<Counter> = Handles::new();
static WS_CONNECTIONS: Handles<Gauge> = Handles::new();

/// Help texts of this area's series.
pub(super) fn describe() {
    use metrics::{describe_counter, describe_gauge};
    describe_gauge!("parlor_ws_connections", "Open WebSocket connections");
    describe_counter!(
        "parlor_ws_messages_total",
        "WebSocket messages by direction and type"
    );
    describe_counter!(
        "parlor_ws_rejected_total",
        "Refused connections and messages by reason"
    );
}

/// Every refusal reason at zero.
pub(super) fn zero_failures() {
    for reason in RejectReason::ALL {
        counter!("parlor_ws_rejected_total", "reason" => reason.as_str()).absolute(0);
    }
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
    WS_MESSAGES.with(
        direction,
        kind,
        || counter!("parlor_ws_messages_total", "direction" => direction, "type" => kind),
        |c| c.increment(1),
    );
}

/// A connection or message refused.
pub fn ws_rejected(reason: RejectReason) {
    counter!("parlor_ws_rejected_total", "reason" => reason.as_str()).increment(1);
}
