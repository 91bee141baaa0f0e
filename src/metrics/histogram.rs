//! Latency histograms kept as plain bucket counts, and their lines of the exposition.
//!
//! The exporter's histograms keep every sample, with a timestamp, in a buffer until a
//! fold moves them into buckets: per sample a clock read, now and then a fresh block of
//! memory, and the folding itself. At two samples a move that was about 2 % of a node's
//! CPU. These histograms have fixed buckets, so a sample goes straight into its bucket:
//! two atomic adds. [`super::render`] appends them to what the exporter renders, in the
//! same format (its own helpers write the header lines and escape label values), so
//! dashboards, rules and alerts read them as before.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// One labelled series: a count per bucket and the sum of the samples.
#[derive(Debug)]
pub struct Histogram {
    bounds: &'static [f64],
    /// Samples per bucket, not cumulative; the last one is above every bound.
    counts: Box<[AtomicU64]>,
    sum_ns: AtomicU64,
}

impl Histogram {
    /// An empty series with these bucket bounds (seconds, ascending).
    pub fn new(bounds: &'static [f64]) -> Self {
        Histogram {
            bounds,
            counts: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum_ns: AtomicU64::new(0),
        }
    }

    /// Count one sample.
    pub fn record(&self, took: Duration) {
        let secs = took.as_secs_f64();
        // The first bucket whose bound is not below the sample (`le` is inclusive).
        let bucket = self.bounds.partition_point(|b| *b < secs);
        self.counts[bucket].fetch_add(1, Ordering::Relaxed);
        let ns = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.sum_ns.fetch_add(ns, Ordering::Relaxed);
    }

    /// Append this series' lines: cumulative buckets, sum and count. `labels` is the
    /// rendered label list without braces (`node="n1",op="load_room"`).
    pub fn render_into(&self, name: &str, labels: &str, out: &mut String) {
        let mut total = 0u64;
        for (i, count) in self.counts.iter().enumerate() {
            total += count.load(Ordering::Relaxed);
            let le = match self.bounds.get(i) {
                Some(b) => b.to_string(),
                None => "+Inf".to_string(),
            };
            let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{le}\"}} {total}");
        }
        let sum = self.sum_ns.load(Ordering::Relaxed) as f64 / 1e9;
        let _ = writeln!(out, "{name}_sum{{{labels}}} {sum}");
        // The count is the buckets' total, so the two always agree within one scrape.
        let _ = writeln!(out, "{name}_count{{{labels}}} {total}");
    }
}

/// A histogram rendered here: its name, help text and label names.
pub(super) struct Family {
    pub(super) name: &'static str,
    pub(super) help: &'static str,
    pub(super) labels: [&'static str; 2],
}


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_land_in_the_first_bucket_whose_bound_holds_them() {
        let h = Histogram::new(&[0.001, 0.01]);
        h.record(Duration::from_micros(1000)); // exactly on a bound: that bucket
        h.record(Duration::from_millis(5));
        h.record(Duration::from_secs(1));
        let mut out = String::new();
        h.render_into("x", "node=\"n\"", &mut out);
        let expected = "x_bucket{node=\"n\",le=\"0.001\"} 1\n\
                        x_bucket{node=\"n\",le=\"0.01\"} 2\n\
                        x_bucket{node=\"n\",le=\"+Inf\"} 3\n\
                        x_sum{node=\"n\"} 1.006\n\
                        x_count{node=\"n\"} 3\n";
        assert_eq!(out, expected);
    }
}
