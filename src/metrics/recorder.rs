//! The process-wide recorder: installed once, labelling every series with the node, with
//! the process collector beside it and a thread that folds histogram samples.

use std::time::Duration;

use metrics_exporter_prometheus::{formatting, Matcher, PrometheusBuilder, PrometheusHandle};

use super::global::{HANDLE, NODE_LABEL, PROCESS};
use super::{auth, connections, http, pubsub, rooms, store, webhook};


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
                    http::HTTP_BUCKETS,
                )
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full("parlor_webhook_delivery_duration_seconds".into()),
                        webhook::WEBHOOK_BUCKETS,
                    )
                });
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
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

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

/// Export the failure counters at zero from the start, so dashboards and alerts see a
/// series (and a rate of 0) on a healthy node instead of no data.
fn zero_known_series() {
    connections::zero_failures();
    store::zero_failures();
    pubsub::zero_failures();
    rooms::zero_failures();
    auth::zero_results();
    webhook::zero_failures();
}

/// Help texts of the series recorded from the start ([`http_init`](super::http_init)
/// describes the HTTP ones when the router is built).
fn describe() {
    store::describe();
    connections::describe();
    rooms::describe();
    pubsub::describe();
    auth::describe();
    webhook::describe();
}
