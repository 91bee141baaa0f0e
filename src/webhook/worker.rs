//! The delivery loop: claim a batch of due events, attempt them together, report each
//! outcome to the outbox, and keep the outbox gauges fresh. Every node runs one; the
//! outbox decides who gets which event.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::schedule::{Schedule, Verdict};
use super::sender::Sender;
use crate::error::Chain;
use crate::metrics;
use crate::store::now_ms;
use crate::store::outbox::{Claimed, Outbox};

/// Events claimed, and attempted at once, per round: the bound on concurrent attempts.
pub const BATCH: usize = 16;

/// How often the outbox gauges are refreshed.
const GAUGES_EVERY: Duration = Duration::from_secs(5);

/// The longest pause between claims when there was nothing to do.
const IDLE_POLL: Duration = Duration::from_millis(250);

/// Delivers the outbox's events; see [`Worker::spawn`].
pub struct Worker {
    outbox: Arc<dyn Outbox>,
    sender: Sender,
    schedule: Schedule,
    consumer: String,
    grace: Duration,
}

impl Worker {
    /// A worker claiming as `consumer` (the node id: unique among live nodes). On
    /// shutdown it lets attempts in flight run for up to `grace`.
    pub fn new(
        outbox: Arc<dyn Outbox>,
        sender: Sender,
        schedule: Schedule,
        consumer: &str,
        grace: Duration,
    ) -> Worker {
        Worker {
            outbox,
            sender,
            schedule,
            consumer: consumer.to_string(),
            grace,
        }
    }

    /// Deliver until `stop` is cancelled; then stop claiming, let the attempts in flight
    /// finish (for up to the grace period) and hand back whatever is still claimed, so
    /// another node tries it at once. The task ends when that is done.
    pub fn spawn(self, stop: CancellationToken) -> JoinHandle<()> {
        tokio::spawn(async move { self.run(stop).await })
    }

    async fn run(self, stop: CancellationToken) {
        // Idle polls follow the back-off's unit when it is scaled down, so a retry due in
        // a few ms is not held back a quarter second.
        let idle = IDLE_POLL.min(self.schedule.unit().max(Duration::from_millis(10)));
        let mut gauges_due = Instant::now();
        let mut failing = false;
        while !stop.is_cancelled() {
            if Instant::now() >= gauges_due {
                self.refresh_gauges().await;
                gauges_due = Instant::now() + GAUGES_EVERY;
            }
            let pause = match self.outbox.claim(&self.consumer, BATCH).await {
                Ok(batch) if !batch.is_empty() => {
                    failing = false;
                    let full = batch.len() >= BATCH;
                    self.attempt_all(&batch, &stop).await;
                    // A batch short of full emptied the outbox: what arrives meanwhile
                    // waits for the next poll and goes in one batch with the rest, so a
                    // busy node's claims and reports are shared by many events instead
                    // of made for each.
                    if full {
                        Duration::ZERO
                    } else {
                        idle
                    }
                }
                Ok(_) => {
                    failing = false;
                    idle
                }
                Err(e) => {
                    if !failing {
                        tracing::warn!(error = %Chain(&e), "webhook outbox unreachable; retrying");
                    }
                    failing = true;
                    IDLE_POLL
                }
            };
            if !pause.is_zero() {
                tokio::select! {
                    () = stop.cancelled() => {}
                    () = tokio::time::sleep(pause) => {}
                }
            }
        }
        if let Err(e) = self.outbox.hand_back(&self.consumer).await {
            tracing::warn!(error = %Chain(&e), "could not hand back claimed webhook events; another node takes them over after the claim timeout");
        }
        self.refresh_gauges().await;
    }

    /// Attempt a batch together, then report the deliveries in one call. If shutdown
    /// starts meanwhile, wait at most the grace period for the attempts.
    async fn attempt_all(&self, batch: &[Claimed], stop: &CancellationToken) {
        let all = join_all(batch.iter().map(|event| self.attempt(event)));
        tokio::pin!(all);
        let delivered = tokio::select! {
            done = &mut all => done,
            () = stop.cancelled() => match tokio::time::timeout(self.grace, &mut all).await {
                Ok(done) => done,
                Err(_) => {
                    tracing::warn!("shutdown grace over with webhook attempts in flight");
                    return;
                }
            },
        };
        let delivered: Vec<Claimed> = batch
            .iter()
            .zip(delivered)
            .filter(|(_, ok)| *ok)
            .map(|(event, _)| event.clone())
            .collect();
        if let Err(e) = self.outbox.delivered(&delivered).await {
            tracing::warn!(
                events = delivered.len(), error = %Chain(&e),
                "webhooks delivered, not recorded as such; they will be sent again"
            );
        }
    }

    /// One attempt at one event; a failure's outcome is reported here, a delivery by the
    /// caller with the rest of its batch. Returns whether it was delivered.
    async fn attempt(&self, event: &Claimed) -> bool {
        let started = Instant::now();
        let answer = self.sender.send(event).await;
        let took = started.elapsed();
        let attempt = event.attempts.saturating_add(1);
        let verdict = self.schedule.judge(&answer, attempt);
        metrics::webhook_attempt(&event.kind, verdict.label(), took);
        let status = match answer {
            super::Answer::Status(code, _) => Some(code),
            _ => None,
        };
        let reported = match &verdict {
            Verdict::Delivered => {
                tracing::info!(
                    event_id = %event.id, event = %event.kind, attempt, ?status, "webhook delivered"
                );
                return true;
            }
            Verdict::Retry(after) => {
                let due = now_ms()
                    .saturating_add(i64::try_from(after.as_millis()).unwrap_or(i64::MAX));
                self.outbox.retry_at(event, due, &answer.error()).await
            }
            Verdict::Dead => self.outbox.bury(event, &answer.error()).await,
        };
        match (&verdict, reported) {
            (_, Err(e)) => tracing::warn!(
                event_id = %event.id, event = %event.kind, attempt, ?status, error = %Chain(&e),
                "webhook attempt made, its outcome not recorded; it will be tried again"
            ),
            (Verdict::Retry(after), Ok(())) => tracing::warn!(
                event_id = %event.id, event = %event.kind, attempt, ?status,
                error = %answer.error(), retry_in_ms = after.as_millis() as u64,
                "webhook attempt failed; will retry"
            ),
            (_, Ok(())) => tracing::error!(
                event_id = %event.id, event = %event.kind, attempt, ?status,
                error = %answer.error(), "webhook event moved to the dead letters"
            ),
        }
        false
    }

    async fn refresh_gauges(&self) {
        match self.outbox.stats().await {
            Ok(s) => {
                let age = s
                    .oldest_pending_ms
                    .map_or(0.0, |ms| (now_ms().saturating_sub(ms)).max(0) as f64 / 1000.0);
                metrics::webhook_outbox(s.pending, s.dead, age);
            }
            Err(e) => tracing::debug!(error = %Chain(&e), "webhook outbox figures unavailable"),
        }
    }
}
