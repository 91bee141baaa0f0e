//! HTTP requests by route template, method and status class, and the configured
//! connection cap the alerts divide by.

use std::time::Duration;

use metrics::{counter, gauge, histogram};

/// Latency buckets for HTTP requests: health and metrics answer in microseconds, admin
/// calls in a store round trip or a few.
pub(super) const HTTP_BUCKETS: &[f64] = &[
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
