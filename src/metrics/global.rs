//! What the process-wide recorder leaves for the rest of `metrics` to read: its handle,
//! the `node` label as rendered, and the process collector. Written once, by
//! [`install`](super::install).

use std::sync::OnceLock;

use metrics_exporter_prometheus::PrometheusHandle;

/// The installed recorder's handle.
pub(super) static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
/// The `node` label as rendered, for the series rendered here rather than by the exporter.
pub(super) static NODE_LABEL: OnceLock<String> = OnceLock::new();
/// The process collector (CPU, memory, open files).
pub(super) static PROCESS: OnceLock<metrics_process::Collector> = OnceLock::new();

/// Whether [`install`](super::install) has run: handles made before it point at no recorder.
pub(super) fn installed() -> bool {
    HANDLE.get().is_some()
}

/// The `node` label as rendered (`node="…"`), or empty before [`install`](super::install).
pub(super) fn node_label() -> &'static str {
    NODE_LABEL.get().map_or("", String::as_str)
}

/// Refresh the process figures (CPU, memory, open files) before a scrape.
pub(super) fn collect_process() {
    if let Some(process) = PROCESS.get() {
        process.collect();
    }
}
