//! Idle mode: open N connections, `ping` each once, hold them all for the duration,
//! then close them. Used to measure the server's memory per idle connection.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::de::IgnoredAny;
use tokio::sync::{mpsc, watch, Semaphore};
use tokio::task::JoinSet;
use url::Url;

use crate::cli::Args;
use crate::conn::{self, Read, Ws};
use crate::progress::Progress;
use crate::protocol::{self, Incoming};
use crate::report::IdleReport;
use crate::stats::Stats;

/// How long connections get to close once the hold is over.
const WIND_DOWN: Duration = Duration::from_secs(10);
/// The `req` of the one `ping`.
const PING_REQ: u64 = 1;

/// Runs idle mode with `count` connections and returns the report.
pub async fn run(args: &Args, count: u32) -> IdleReport {
    let stats = Arc::new(Stats::new());
    let mut progress = Progress::new(args.json);
    let (stop_tx, stop_rx) = watch::channel(false);
    let (ready_tx, mut ready_rx) = mpsc::channel::<()>(256);
    let permits = Arc::new(Semaphore::new(args.ramp_concurrency as usize));
    let mut connections = JoinSet::new();
    for index in 0..count as usize {
        let url = args.urls[index % args.urls.len()].clone();
        let task = Connection {
            url,
            timeout: args.connect_timeout,
            stats: Arc::clone(&stats),
            permits: Arc::clone(&permits),
        };
        connections.spawn(task.run(ready_tx.clone(), stop_rx.clone()));
    }
    drop(ready_tx);

    let line_stats = Arc::clone(&stats);
    progress.show(move |_| {
        format!(
            "{} open · {} connect failures · {} closed",
            line_stats.open.load(Relaxed),
            line_stats.connect_failure_count(),
            line_stats.unexpected_close_count()
        )
    });
    let ramp_start = Instant::now();
    let interrupted = tokio::select! {
        () = async { while ready_rx.recv().await.is_some() {} } => false,
        () = crate::interrupted() => true,
    };
    let ramp = ramp_start.elapsed();
    if !args.json {
        eprintln!(
            "parlor-loadtest: holding {} connections for {:.1} s",
            stats.open.load(Relaxed),
            args.duration.as_secs_f64()
        );
    }
    let hold_start = Instant::now();
    if !interrupted && stats.open.load(Relaxed) > 0 {
        tokio::select! {
            () = tokio::time::sleep(args.duration) => {}
            () = crate::interrupted() => {}
        }
    }
    let held = hold_start.elapsed();
    let open_at_end = stats.open.load(Relaxed);
    let _ = stop_tx.send(true);
    let _ = tokio::time::timeout(WIND_DOWN, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    connections.abort_all();
    progress.finish();

    IdleReport {
        mode: "idle",
        nodes: args.urls.len(),
        requested: count,
        connected: stats.connected.load(Relaxed),
        pong_ok: stats.pongs.load(Relaxed),
        open_at_end,
        ramp_s: ramp.as_secs_f64(),
        duration_s: held.as_secs_f64(),
        connect_failures: stats.connect_failure_count(),
        connect_failure_reasons: stats.connect_failures(),
        setup_failures: stats.setup_failures(),
        errors: stats.errors(),
        unexpected_closes: stats.unexpected_close_count(),
        unexpected_close_reasons: stats.unexpected_closes(),
    }
}

/// One idle connection's task.
struct Connection {
    url: Url,
    timeout: Duration,
    stats: Arc<Stats>,
    /// Ramp-up slots: held from connect until the `pong`.
    permits: Arc<Semaphore>,
}

impl Connection {
    /// Opens, tells `ready` (so ramp-up can end), holds until `stop`, closes.
    async fn run(self, ready: mpsc::Sender<()>, mut stop: watch::Receiver<bool>) {
        let opened = tokio::select! {
            opened = self.open() => opened,
            _ = stop.changed() => None,
        };
        let _ = ready.send(()).await;
        drop(ready);
        let Some(mut ws) = opened else { return };
        loop {
            tokio::select! {
                _ = stop.changed() => break,
                read = conn::next_text(&mut ws) => match read {
                    Read::Text(text) => self.count_error(&text),
                    Read::Closed(how) => {
                        self.stats.open.fetch_sub(1, Relaxed);
                        self.stats.unexpected_close(&how);
                        return;
                    }
                },
            }
        }
        conn::close(ws).await;
    }

    /// Connects and pings, within one ramp-up slot. `None` if the connect failed.
    async fn open(&self) -> Option<Ws> {
        let _slot = self.permits.acquire().await.ok()?;
        let mut ws = match conn::connect(&self.url, self.timeout).await {
            Ok(ws) => ws,
            Err(class) => {
                self.stats.connect_failure(&class);
                return None;
            }
        };
        self.stats.connected.fetch_add(1, Relaxed);
        self.stats.open.fetch_add(1, Relaxed);
        let pong = match conn::send(&mut ws, protocol::ping(PING_REQ)).await {
            Ok(()) => tokio::time::timeout(self.timeout, self.await_pong(&mut ws))
                .await
                .unwrap_or_else(|_| Err("pong_timeout".into())),
            Err(how) => Err(how),
        };
        match pong {
            Ok(()) => {
                self.stats.pongs.fetch_add(1, Relaxed);
            }
            Err(reason) => self.stats.setup_failure(&reason),
        }
        // A missing pong is reported, but the connection is still held: it is still
        // a connection the server keeps memory for.
        Some(ws)
    }

    async fn await_pong(&self, ws: &mut Ws) -> Result<(), String> {
        loop {
            let text = match conn::next_text(ws).await {
                Read::Text(text) => text,
                Read::Closed(how) => return Err(how),
            };
            let Ok(frame) = serde_json::from_str::<Incoming<IgnoredAny>>(&text) else {
                self.stats.bad_frame();
                continue;
            };
            match frame.kind.as_ref() {
                "pong" => return Ok(()),
                "error" => {
                    let code = frame.code.as_deref().unwrap_or("missing_code");
                    self.stats.error(code);
                    return Err(format!("error_{code}"));
                }
                _ => continue,
            }
        }
    }

    fn count_error(&self, text: &str) {
        match serde_json::from_str::<Incoming<IgnoredAny>>(text) {
            Ok(frame) if frame.kind == "error" => self
                .stats
                .error(frame.code.as_deref().unwrap_or("missing_code")),
            Ok(_) => {}
            Err(_) => self.stats.bad_frame(),
        }
    }
}
