//! The webhook floor: what Parlor's own webhook sender costs per POST on this machine,
//! with nothing else running: no game, no outbox, no Redis. It signs and POSTs a body
//! the size of a tic-tac-toe `game.finished` to a receiver, 16 at a time (the worker's
//! batch), and prints its own CPU per POST, read from `/proc/self/stat` over the measured
//! window. The bench pins it like a server under test and sets it beside what the results
//! webhook adds to Parlor's CPU per finished game:
//!
//! ```text
//! taskset -c 0 target/release/examples/webhook_floor http://127.0.0.1:9200/hook 20
//! ```
//!
//! Whatever this costs, every finished game costs at least as much with the webhook on.
//!
//! With a third argument, POSTs per second, it sends at that pace instead (still at most
//! 16 in flight), so it can run beside a server under load and add exactly the webhook's
//! HTTP traffic to it, nothing of the outbox: the bench runs it so beside the build
//! before the webhook, at the rate the webhook build finished games in the same round.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parlor::store::outbox::Claimed;
use parlor::webhook::{Answer, Sender, Signer};

/// About the size of a tic-tac-toe `game.finished` body with its moves.
const BODY_BYTES: usize = 1_200;
/// Attempts in flight at once, as the worker's batch.
const CONCURRENCY: usize = 16;
const WARMUP: Duration = Duration::from_secs(2);
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(url), Some(secs)) = (args.first(), args.get(1).and_then(|s| s.parse().ok())) else {
        eprintln!("usage: webhook_floor URL SECONDS [POSTS_PER_SEC]");
        std::process::exit(2);
    };
    let pace: Option<f64> = args
        .get(2)
        .and_then(|s| s.parse().ok())
        .filter(|r| *r > 0.0);
    let signer = Signer::from_secret(SECRET).expect("a valid secret");
    let sender = Sender::new(url, signer, Duration::from_secs(5)).expect("a valid URL");
    let body = format!(
        r#"{{"type":"game.finished","data":"{}"}}"#,
        "x".repeat(BODY_BYTES)
    );
    let floor = Arc::new(Floor {
        sender,
        event: Claimed {
            id: "msg_floor".into(),
            kind: "game.finished".into(),
            body,
            attempts: 0,
            created_ms: 0,
            receipt: String::new(),
        },
        delivered: AtomicU64::new(0),
    });
    let stop_at = Instant::now() + WARMUP + Duration::from_secs(secs);
    let tasks: Vec<_> = match pace {
        None => (0..CONCURRENCY)
            .map(|_| {
                let floor = floor.clone();
                tokio::spawn(async move {
                    while Instant::now() < stop_at {
                        floor.post().await;
                    }
                })
            })
            .collect(),
        Some(rate) => vec![tokio::spawn(paced(floor.clone(), rate, stop_at))],
    };
    tokio::time::sleep(WARMUP).await;
    let (t0, c0, n0) = (
        Instant::now(),
        cpu_secs(),
        floor.delivered.load(Ordering::Relaxed),
    );
    tokio::time::sleep(Duration::from_secs(secs).saturating_sub(Duration::from_millis(500))).await;
    let (t1, c1, n1) = (
        Instant::now(),
        cpu_secs(),
        floor.delivered.load(Ordering::Relaxed),
    );
    for t in tasks {
        let _ = t.await;
    }
    let posts = n1.saturating_sub(n0);
    let per_post_us = if posts > 0 {
        (c1 - c0) / posts as f64 * 1e6
    } else {
        0.0
    };
    println!(
        "posts_per_sec={:.0} client_cpu_per_post={:.1}us",
        posts as f64 / (t1 - t0).as_secs_f64(),
        per_post_us
    );
}

/// The sender and the one event it POSTs again and again, with the deliveries counted.
struct Floor {
    sender: Sender,
    event: Claimed,
    delivered: AtomicU64,
}

impl Floor {
    async fn post(&self) {
        if let Answer::Status(200..=299, _) = self.sender.send(&self.event).await {
            self.delivered.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// POST at `rate` per second until `stop_at`, at most [`CONCURRENCY`] in flight; a POST
/// that would exceed that waits for one to finish, so a slow receiver lowers the pace
/// rather than piling up requests.
async fn paced(floor: Arc<Floor>, rate: f64, stop_at: Instant) {
    let slots = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
    let started = Instant::now();
    let mut sent = 0u64;
    let mut tick = tokio::time::interval(Duration::from_millis(5));
    while Instant::now() < stop_at {
        tick.tick().await;
        let due = (started.elapsed().as_secs_f64() * rate) as u64;
        while sent < due {
            let Ok(slot) = slots.clone().acquire_owned().await else {
                return;
            };
            sent += 1;
            let floor = floor.clone();
            tokio::spawn(async move {
                floor.post().await;
                drop(slot);
            });
        }
    }
}

/// This process's user + system CPU time so far, in seconds.
fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after the ')'.
    (ticks(11) + ticks(12)) / 100.0
}
