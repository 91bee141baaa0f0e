//! The final reports, as aligned text or as one JSON object on stdout.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::stats::LatencySummary;
use crate::timeline::Second;

/// The result of a play run (`--rooms`).
#[derive(Debug, Serialize)]
pub struct PlayReport {
    /// `closed` or `open`.
    pub mode: &'static str,
    /// `tictactoe`, `connect4` or `mixed`.
    pub game: &'static str,
    /// How many nodes were targeted.
    pub nodes: usize,
    /// Rooms asked for.
    pub rooms_requested: u32,
    /// Rooms fully set up.
    pub rooms: u64,
    /// Players seated in those rooms (two per room).
    pub players: u64,
    /// Time ramp-up took, in seconds.
    pub ramp_s: f64,
    /// Warm-up, not measured, in seconds.
    pub warmup_s: f64,
    /// The measured time, in seconds.
    pub duration_s: f64,
    /// Actions sent in the measured time whose `state` came back.
    pub actions: u64,
    /// `actions / duration_s`.
    pub actions_per_sec: f64,
    /// Open loop: the offered rate.
    pub target_rate: Option<f64>,
    /// Send-to-`state` latency of those actions.
    pub latency_ms: Option<LatencySummary>,
    /// Send-to-`state` latency of the same actions as the *other* player of the room
    /// saw them (the fan-out path alone).
    pub opponent_latency_ms: Option<LatencySummary>,
    /// The mover's latency second by second over the measured time (by send time; the
    /// first hour at most), to tell a steady tail from a few bad seconds.
    pub timeline: Vec<Second>,
    /// Games that ended in the measured time.
    pub games_finished: u64,
    /// `error` frames by code, from the start of the run to the stop.
    pub errors: BTreeMap<String, u64>,
    /// `error` frames read while the players were stopping (see `Stats::error`).
    pub errors_after_stop: BTreeMap<String, u64>,
    /// Connects that failed.
    pub connect_failures: u64,
    /// Failed connects by reason class (`refused`, `http_503`, `timeout`…).
    pub connect_failure_reasons: BTreeMap<String, u64>,
    /// Connections that were up but whose room could not be set up, by reason.
    pub setup_failures: BTreeMap<String, u64>,
    /// Connections the server or the network ended before the run did.
    pub unexpected_closes: u64,
    /// Those, by how they ended (`close_1001`, `eof`, `room_closed`…).
    pub unexpected_close_reasons: BTreeMap<String, u64>,
    /// Actions or rematches that got no answer within the watchdog time.
    pub unanswered: u64,
    /// Frames that were not the promised JSON.
    pub bad_frames: u64,
}

/// The result of an idle run (`--idle N`).
#[derive(Debug, Serialize)]
pub struct IdleReport {
    /// Always `idle`.
    pub mode: &'static str,
    /// How many nodes were targeted.
    pub nodes: usize,
    /// Connections asked for.
    pub requested: u32,
    /// Connections opened.
    pub connected: u64,
    /// Connections whose `ping` got its `pong`.
    pub pong_ok: u64,
    /// Connections still open when the hold ended.
    pub open_at_end: u64,
    /// Time ramp-up took, in seconds.
    pub ramp_s: f64,
    /// How long the connections were held, in seconds.
    pub duration_s: f64,
    /// Connects that failed.
    pub connect_failures: u64,
    /// Failed connects by reason class.
    pub connect_failure_reasons: BTreeMap<String, u64>,
    /// Connections whose ping failed, by reason.
    pub setup_failures: BTreeMap<String, u64>,
    /// `error` frames by code.
    pub errors: BTreeMap<String, u64>,
    /// Connections the server or the network ended during the hold.
    pub unexpected_closes: u64,
    /// Those, by how they ended.
    pub unexpected_close_reasons: BTreeMap<String, u64>,
}

/// Prints `report` as JSON, or as `text`, to stdout.
pub fn print<R: Serialize>(report: &R, json: bool, text: impl FnOnce(&R) -> String) {
    if json {
        match serde_json::to_string(report) {
            Ok(line) => println!("{line}"),
            Err(err) => eprintln!("parlor-loadtest: cannot encode the report: {err}"),
        }
    } else {
        print!("{}", text(report));
    }
}

impl PlayReport {
    /// The human-readable report.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let target = self
            .target_rate
            .map_or(String::new(), |t| format!(", target {t:.1}/s"));
        let _ = writeln!(
            out,
            "parlor-loadtest: {} loop, {}, {} node(s)",
            self.mode, self.game, self.nodes
        );
        let _ = writeln!(
            out,
            "  rooms              {} of {}",
            self.rooms, self.rooms_requested
        );
        let _ = writeln!(out, "  players connected  {}", self.players);
        let _ = writeln!(out, "  ramp-up            {:.2} s", self.ramp_s);
        let _ = writeln!(
            out,
            "  duration           {:.2} s (after {:.2} s warm-up)",
            self.duration_s, self.warmup_s
        );
        let _ = writeln!(out, "  actions applied    {}", self.actions);
        let _ = writeln!(
            out,
            "  actions/s          {:.1}{target}",
            self.actions_per_sec
        );
        let _ = writeln!(out, "  latency ms         {}", quantiles(self.latency_ms));
        let _ = writeln!(
            out,
            "  opponent sees ms   {}",
            quantiles(self.opponent_latency_ms)
        );
        if let Some(worst) = self
            .timeline
            .iter()
            .max_by(|a, b| a.p99_ms.total_cmp(&b.p99_ms))
        {
            let _ = writeln!(
                out,
                "  slowest second     {} s in: p99 {:.3} ms, max {:.3} ms, {} actions",
                worst.second, worst.p99_ms, worst.max_ms, worst.actions
            );
        }
        let _ = writeln!(out, "  games finished     {}", self.games_finished);
        let _ = writeln!(out, "  errors             {}", counts(&self.errors));
        let _ = writeln!(
            out,
            "  errors after stop  {}",
            counts(&self.errors_after_stop)
        );
        let _ = writeln!(
            out,
            "  connect failures   {}{}",
            self.connect_failures,
            reasons(&self.connect_failure_reasons)
        );
        let _ = writeln!(out, "  setup failures     {}", counts(&self.setup_failures));
        let _ = writeln!(
            out,
            "  unexpected closes  {}{}",
            self.unexpected_closes,
            reasons(&self.unexpected_close_reasons)
        );
        let _ = writeln!(out, "  unanswered         {}", self.unanswered);
        let _ = writeln!(out, "  bad frames         {}", self.bad_frames);
        out
    }
}

impl IdleReport {
    /// The human-readable report.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "parlor-loadtest: idle, {} node(s)", self.nodes);
        let _ = writeln!(
            out,
            "  connections        {} of {}",
            self.connected, self.requested
        );
        let _ = writeln!(out, "  pong received      {}", self.pong_ok);
        let _ = writeln!(out, "  open at end        {}", self.open_at_end);
        let _ = writeln!(out, "  ramp-up            {:.2} s", self.ramp_s);
        let _ = writeln!(out, "  held               {:.2} s", self.duration_s);
        let _ = writeln!(
            out,
            "  connect failures   {}{}",
            self.connect_failures,
            reasons(&self.connect_failure_reasons)
        );
        let _ = writeln!(out, "  setup failures     {}", counts(&self.setup_failures));
        let _ = writeln!(out, "  errors             {}", counts(&self.errors));
        let _ = writeln!(
            out,
            "  unexpected closes  {}{}",
            self.unexpected_closes,
            reasons(&self.unexpected_close_reasons)
        );
        out
    }
}

/// `p50 … max`, or `-`.
fn quantiles(latency: Option<LatencySummary>) -> String {
    latency.map_or("-".to_owned(), |l| {
        format!(
            "p50 {:.3}  p90 {:.3}  p99 {:.3}  p99.9 {:.3}  max {:.3}",
            l.p50, l.p90, l.p99, l.p999, l.max
        )
    })
}

/// `none`, or `a=1 b=2`.
fn counts(map: &BTreeMap<String, u64>) -> String {
    if map.is_empty() {
        return "none".to_owned();
    }
    map.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// ``, or ` (a=1 b=2)`.
fn reasons(map: &BTreeMap<String, u64>) -> String {
    if map.is_empty() {
        String::new()
    } else {
        format!(" ({})", counts(map))
    }
}
