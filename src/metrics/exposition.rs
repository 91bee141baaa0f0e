//! The exposition text of `/metrics`: what the exporter renders, with the gauges sampled
//! at scrape time refreshed first and the histograms kept here (see `histogram`)
//! appended in the same format.

use std::fmt::Write as _;
use std::sync::Arc;

use metrics_exporter_prometheus::{formatting, PrometheusHandle};

use super::handles::Handles;
use super::global;
use super::histogram::{Family, Histogram as Buckets};
use super::{rooms, store, StoreSample};

/// Render the exposition text, refreshing the gauges that are sampled rather than pushed.
pub fn render(handle: &PrometheusHandle, store: Option<StoreSample>) -> String {
    global::collect_process();
    if let Some(s) = store {
        s.record();
    }
    let mut text = handle.render();
    let node = global::node_label();
    render_family(&mut text, node, &store::STORE_OPS_FAMILY, &store::STORE_OPS);
    render_family(
        &mut text,
        node,
        &rooms::ACTION_FAMILY,
        &rooms::ACTION_DURATIONS,
    );
    text
}

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
