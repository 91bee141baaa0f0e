//! Results webhooks: attempts by event type and outcome, their duration, and the
//! outbox's size (the same figures on every node: each reads the shared outbox).

use std::time::Duration;

use metrics::{counter, gauge, histogram};

/// The event types, as labels. Anything else is counted as `other`.
pub(super) const WEBHOOK_EVENTS: [&str; 2] = ["game.finished", "room.closed"];
/// What an attempt led to.
pub(super) const WEBHOOK_OUTCOMES: [&str; 3] = ["delivered", "retry", "dead"];

/// Buckets of the attempt duration: a receiver answers in milliseconds, a slow one up to
/// the timeout (5 s by default).
pub(super) const WEBHOOK_BUCKETS: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Help texts of this area's series.
pub(super) fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(
        "parlor_webhook_deliveries_total",
        "Webhook delivery attempts by event type and outcome (delivered, retry, dead)"
    );
    describe_histogram!(
        "parlor_webhook_delivery_duration_seconds",
        Unit::Seconds,
        "Time of one webhook delivery attempt, by event type"
    );
    describe_gauge!("parlor_webhook_pending", "Webhook events not yet delivered nor dead");
    describe_gauge!("parlor_webhook_dead", "Webhook events in the dead letters");
    describe_gauge!(
        "parlor_webhook_oldest_pending_seconds",
        "Age of the oldest pending webhook event (0 when none)"
    );
}

/// Every attempt counter and the gauges at zero.
pub(super) fn zero_failures() {
    for event in WEBHOOK_EVENTS {
        for outcome in WEBHOOK_OUTCOMES {
            counter!("parlor_webhook_deliveries_total", "event" => event, "outcome" => outcome)
                .absolute(0);
        }
    }
    webhook_outbox(0, 0, 0.0);
}

/// The bounded label for an event type.
fn event_label(kind: &str) -> &'static str {
    WEBHOOK_EVENTS
        .iter()
        .find(|e| **e == kind)
        .copied()
        .unwrap_or("other")
}

/// One delivery attempt of an event of type `kind`, how long it took and what it led to
/// (one of [`WEBHOOK_OUTCOMES`]).
pub fn webhook_attempt(kind: &str, outcome: &'static str, took: Duration) {
    let event = event_label(kind);
    counter!("parlor_webhook_deliveries_total", "event" => event, "outcome" => outcome)
        .increment(1);
    histogram!("parlor_webhook_delivery_duration_seconds", "event" => event)
        .record(took.as_secs_f64());
}

/// The outbox's size: pending and dead events, and the oldest pending one's age.
pub fn webhook_outbox(pending: u64, dead: u64, oldest_age_secs: f64) {
    gauge!("parlor_webhook_pending").set(pending as f64);
    gauge!("parlor_webhook_dead").set(dead as f64);
    gauge!("parlor_webhook_oldest_pending_seconds").set(oldest_age_secs);
}
