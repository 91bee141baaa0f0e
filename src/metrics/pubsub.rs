//! Room events between nodes: published, received, and skipped by a relay that fell
//! behind.

use metrics::{counter, Counter};

use super::handles::Handles;

static PUBSUB_MESSAGES: Handles<Counter> = Handles::new();

/// Help texts of this area's series.
pub(super) fn describe() {
    use metrics::describe_counter;
    describe_counter!(
        "parlor_pubsub_messages_total",
        "Room events published and received"
    );
    describe_counter!(
        "parlor_pubsub_lagged_events_total",
        "Room events the relay skipped because it fell behind (each lag triggers a resync)"
    );
}

/// The skipped events at zero.
pub(super) fn zero_failures() {
    counter!("parlor_pubsub_lagged_events_total").absolute(0);
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
