//! Command-line flags, and the checks that keep a run bounded and on this machine.
//!
//! Every run is bounded: in rooms or connections, in time, and in targets. A URL whose
//! host is not loopback is refused unless `--allow-remote` says so explicitly.

use std::time::Duration;

use clap::{Parser, ValueEnum};
use url::{Host, Url};

use crate::game::GameKind;

/// Most rooms one run may open (two connections each).
pub const MAX_ROOMS: u32 = 20_000;
/// Most idle connections one run may open.
pub const MAX_IDLE: u32 = 60_000;
/// Longest measured duration, and longest warm-up.
const MAX_DURATION: Duration = Duration::from_secs(3600);
const MAX_WARMUP: Duration = Duration::from_secs(600);
/// Highest open-loop rate accepted, in actions per second.
const MAX_RATE: f64 = 1_000_000.0;

/// Load tester for a Parlor game-room server: rooms of two players play real games
/// over the public WebSocket protocol, and the latency of every move is measured.
#[derive(Debug, Parser)]
#[command(name = "parlor-loadtest", version, about, long_about = None)]
pub struct Args {
    /// WebSocket endpoint of a Parlor node; repeat (or separate with commas) to spread
    /// players over several nodes: room i's player A uses url[i % n], player B url[(i+1) % n].
    #[arg(
        long = "url",
        env = "PARLOR_LOADTEST_URL",
        default_value = "ws://127.0.0.1:8765/ws",
        value_delimiter = ','
    )]
    pub urls: Vec<Url>,

    /// Number of rooms, each with two players.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=MAX_ROOMS as i64))]
    pub rooms: u32,

    /// Game the rooms play; `mixed` alternates tictactoe and connect4 by room.
    #[arg(long, value_enum, default_value_t = GameChoice::Tictactoe)]
    pub game: GameChoice,

    /// How long to measure, after the warm-up (e.g. `30s`, `1500ms`, `2m`).
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub duration: Duration,

    /// Play before measuring starts; its actions are not counted.
    #[arg(long, default_value = "3s", value_parser = parse_warmup)]
    pub warmup: Duration,

    /// Most connects and joins in flight at once during ramp-up.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub ramp_concurrency: u32,

    /// Open loop: offer this many actions per second in total, whatever the latency
    /// (default: closed loop, each player moves as soon as it is its turn).
    #[arg(long, value_name = "ACTIONS_PER_SEC", value_parser = parse_rate)]
    pub rate: Option<f64>,

    /// Print the final report as one JSON object, and no progress line.
    #[arg(long)]
    pub json: bool,

    /// Idle mode: open N connections, ping each once, hold them for `--duration`, close them.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=MAX_IDLE as i64),
          conflicts_with_all = ["rooms", "game", "rate", "warmup"])]
    pub idle: Option<u32>,

    /// Time allowed for one connect (TCP + WebSocket handshake) and for each setup reply.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub connect_timeout: Duration,

    /// Allow URLs whose host is not a loopback address (refused otherwise).
    #[arg(long)]
    pub allow_remote: bool,
}

/// The `--game` choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GameChoice {
    /// Every room plays tic-tac-toe.
    Tictactoe,
    /// Every room plays connect four.
    Connect4,
    /// Even rooms play tic-tac-toe, odd rooms connect four.
    Mixed,
}

impl GameChoice {
    /// The game room `index` plays.
    pub fn for_room(self, index: usize) -> GameKind {
        match self {
            Self::Tictactoe => GameKind::Tictactoe,
            Self::Connect4 => GameKind::Connect4,
            Self::Mixed if index % 2 == 0 => GameKind::Tictactoe,
            Self::Mixed => GameKind::Connect4,
        }
    }

    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Tictactoe => "tictactoe",
            Self::Connect4 => "connect4",
            Self::Mixed => "mixed",
        }
    }
}

impl Args {
    /// Checks what clap cannot: every URL is `ws://` and local unless allowed.
    pub fn validate(&self) -> Result<(), String> {
        if self.urls.is_empty() {
            return Err("at least one --url is needed".into());
        }
        for url in &self.urls {
            check_url(url, self.allow_remote)?;
        }
        Ok(())
    }
}

/// Accepts `ws://` URLs on a loopback host; others only with `allow_remote`.
pub fn check_url(url: &Url, allow_remote: bool) -> Result<(), String> {
    match url.scheme() {
        "ws" => {}
        "wss" => {
            return Err(format!(
                "{url}: wss:// is not supported (this build has no TLS)"
            ))
        }
        other => return Err(format!("{url}: scheme {other:?} is not ws://")),
    }
    let loopback = match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => return Err(format!("{url}: no host")),
    };
    if loopback || allow_remote {
        Ok(())
    } else {
        Err(format!(
            "{url}: host is not loopback; pass --allow-remote to target it"
        ))
    }
}

/// Parses `250ms`, `30s`, `2m`, `1h`, or a bare number of seconds (`1.5`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a duration like 30s, 500ms, 2m"))?;
    let seconds = match unit {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        _ => return Err(format!("unknown unit {unit:?} (use ms, s, m or h)")),
    };
    if !seconds.is_finite() || seconds < 0.0 {
        return Err(format!("{text:?} is not a positive duration"));
    }
    let duration = Duration::from_secs_f64(seconds);
    if duration > MAX_DURATION {
        return Err(format!("{text:?} is longer than the limit of 1h"));
    }
    Ok(duration)
}

fn parse_warmup(text: &str) -> Result<Duration, String> {
    let duration = parse_duration(text)?;
    if duration > MAX_WARMUP {
        return Err(format!("{text:?} is longer than the warm-up limit of 10m"));
    }
    Ok(duration)
}

fn parse_rate(text: &str) -> Result<f64, String> {
    let rate: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number"))?;
    if !(rate > 0.0 && rate <= MAX_RATE) {
        return Err(format!("rate must be in (0, {MAX_RATE}]"));
    }
    Ok(rate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("2d").is_err());
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("2h").is_err());
    }

    #[test]
    fn only_loopback_unless_allowed() {
        let url = |s: &str| Url::parse(s).unwrap();
        assert!(check_url(&url("ws://127.0.0.1:8765/ws"), false).is_ok());
        assert!(check_url(&url("ws://127.3.2.1:1/ws"), false).is_ok());
        assert!(check_url(&url("ws://[::1]:8765/ws"), false).is_ok());
        assert!(check_url(&url("ws://LOCALHOST:8765/ws"), false).is_ok());
        assert!(check_url(&url("ws://192.168.1.2:8765/ws"), false).is_err());
        assert!(check_url(&url("ws://example.com/ws"), false).is_err());
        assert!(check_url(&url("ws://example.com/ws"), true).is_ok());
        assert!(check_url(&url("wss://127.0.0.1/ws"), true).is_err());
        assert!(check_url(&url("http://127.0.0.1/ws"), false).is_err());
    }

    #[test]
    fn mixed_alternates() {
        assert_eq!(GameChoice::Mixed.for_room(0), GameKind::Tictactoe);
        assert_eq!(GameChoice::Mixed.for_room(1), GameKind::Connect4);
    }
}
