//! The loopback floor: what a WebSocket server that does nothing but relay costs per
//! move on this machine, for comparison with Parlor's memory store.
//!
//! `serve` pairs sockets into rooms and, for every move a socket sends, writes one
//! state-sized frame to each socket of its room: the socket traffic of a Parlor move
//! (one read, two writes) with no game, no store, no JSON and no queues. `drive` plays
//! the same closed loop as `parlor-loadtest` (two players per room taking turns, the next
//! move once both have seen the last) and prints the server's CPU per move, read from
//! `/proc/PID/stat` over the measured window.
//!
//! Between games it makes the socket traffic of the contract's rematch by agreement, as
//! the load tester's players do: one seat asks, its offer goes to the other seat, which
//! accepts, and the new game's state goes to both (two reads, three writes). Games last 7.6 moves on average, like the load tester's tic-tac-toe. Only
//! moves are counted, as the load tester counts only moves as actions. Pin them as the
//! bench does:
//!
//! ```text
//! taskset -c 0 target/release/examples/loopback_floor serve 9100 &
//! taskset -c 1 target/release/examples/loopback_floor drive 9100 50 20 $!
//! ```
//!
//! Whatever this costs is kernel and runtime work that any server answering the same
//! traffic pays; docs/performance.md uses it as the floor under the memory store's figure.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::stream::{SplitSink, StreamExt};
use futures_util::SinkExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// About the size of a tic-tac-toe `state` event.
const STATE_BYTES: usize = 450;
/// About the size of an `action` frame.
const MOVE: &str = r#"{"type":"action","action":{"cell":4},"expected_version":7}"#;
/// The first seat's rematch request: the server offers it to the other seat.
const ASK: &str = r#"{"type":"rematch","req":1}"#;
/// The other seat's, once the offer reached it: the server starts the new game, a state
/// frame to both.
const ACCEPT: &str = r#"{"type":"rematch","req":2}"#;
/// About the size of a `rematch_offered` frame.
const OFFER_BYTES: usize = 60;
/// Moves per game, in turn: 7.6 on average, as the load tester's games.
const GAME_LENGTHS: [usize; 5] = [8, 7, 8, 8, 7];
const WARMUP: Duration = Duration::from_secs(2);

type Sink = Arc<Mutex<SplitSink<WebSocketStream<TcpStream>, Message>>>;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).and_then(|a| a.parse::<u64>().ok());
    match (args.first().map(String::as_str), arg(1)) {
        (Some("serve"), Some(port)) => serve(port as u16).await,
        (Some("drive"), Some(port)) => match (arg(2), arg(3), arg(4)) {
            (Some(rooms), Some(secs), Some(pid)) => drive(port as u16, rooms, secs, pid).await,
            _ => usage(),
        },
        _ => usage(),
    }
}

fn usage() {
    eprintln!("usage: loopback_floor serve PORT | drive PORT ROOMS SECS SERVER_PID");
    std::process::exit(2);
}

async fn serve(port: u16) {
    let listener = TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap_or_else(|e| panic!("cannot listen on {port}: {e}"));
    let rooms: Arc<Mutex<HashMap<String, Vec<Sink>>>> = Arc::default();
    let frame = Message::text("x".repeat(STATE_BYTES));
    let offer = Message::text("o".repeat(OFFER_BYTES));
    while let Ok((tcp, _)) = listener.accept().await {
        let (rooms, frame, offer) = (rooms.clone(), frame.clone(), offer.clone());
        tokio::spawn(async move {
            let _ = tcp.set_nodelay(true);
            let Ok(ws) = tokio_tungstenite::accept_async(tcp).await else {
                return;
            };
            let (sink, mut stream) = ws.split();
            let sink: Sink = Arc::new(Mutex::new(sink));
            // The first frame names the room; every later one is a move.
            let Some(Ok(Message::Text(room))) = stream.next().await else {
                return;
            };
            rooms
                .lock()
                .await
                .entry(room.to_string())
                .or_default()
                .push(sink.clone());
            let mut members: Vec<Sink> = Vec::new();
            while let Some(Ok(msg)) = stream.next().await {
                let Message::Text(text) = msg else {
                    continue;
                };
                if members.len() < 2 {
                    members = rooms
                        .lock()
                        .await
                        .get(room.as_str())
                        .cloned()
                        .unwrap_or_default();
                }
                if text.as_str() == ASK {
                    // The offer goes to the other seat only.
                    for member in &members {
                        if !Arc::ptr_eq(member, &sink) {
                            let _ = member.lock().await.send(offer.clone()).await;
                        }
                    }
                    continue;
                }
                for member in &members {
                    let _ = member.lock().await.send(frame.clone()).await;
                }
            }
        });
    }
}

async fn drive(port: u16, rooms: u64, secs: u64, pid: u64) {
    let url = format!("ws://127.0.0.1:{port}/");
    let mut games = Vec::new();
    for r in 0..rooms {
        let mut seats = Vec::new();
        for _ in 0..2 {
            let (mut ws, _) = tokio_tungstenite::connect_async(url.as_str())
                .await
                .unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"));
            let _ = ws.send(Message::text(format!("room-{r}"))).await;
            seats.push(ws);
        }
        games.push(seats);
    }
    let stop = Instant::now() + WARMUP + Duration::from_secs(secs);
    let tasks: Vec<_> = games
        .into_iter()
        .map(|seats| tokio::spawn(play(seats, stop)))
        .collect();
    tokio::time::sleep(WARMUP).await;
    let (cpu0, moves0, t0) = (cpu_ticks(pid), MOVES.load(), Instant::now());
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let (cpu1, moves1, t1) = (cpu_ticks(pid), MOVES.load(), Instant::now());
    for t in tasks {
        let _ = t.await;
    }
    let moves = (moves1 - moves0) as f64;
    let secs = (t1 - t0).as_secs_f64();
    // CLK_TCK is 100 on Linux.
    let cpu_s = (cpu1.total() - cpu0.total()) as f64 / 100.0;
    let kernel_s = (cpu1.system - cpu0.system) as f64 / 100.0;
    println!(
        "moves/s={:.0} server_cpu_per_move={:.2}us server_kernel_per_move={:.2}us server_cores_busy={:.2}",
        moves / secs,
        cpu_s / moves * 1e6,
        kernel_s / moves * 1e6,
        cpu_s / secs
    );
}

/// Two players taking turns: a move, then both see the frame it caused; after each game,
/// the rematch: seat 0 asks, seat 1 sees the offer and accepts, then both see the new
/// state.
async fn play(mut seats: Vec<WebSocketStream<MaybeTlsStream<TcpStream>>>, stop: Instant) {
    let mut turn = 0;
    for length in GAME_LENGTHS.iter().cycle() {
        for _ in 0..*length {
            if Instant::now() >= stop
                || !exchange(&mut seats, &[(turn, MOVE)], &[(0, 1), (1, 1)]).await
            {
                return;
            }
            MOVES.add();
            turn = 1 - turn;
        }
        if !exchange(&mut seats, &[(0, ASK)], &[(1, 1)]).await
            || !exchange(&mut seats, &[(1, ACCEPT)], &[(0, 1), (1, 1)]).await
        {
            return;
        }
    }
}

/// Each `(seat, text)` of `sends` is sent; then each `(seat, n)` of `reads` reads `n`
/// frames.
async fn exchange(
    seats: &mut [WebSocketStream<MaybeTlsStream<TcpStream>>],
    sends: &[(usize, &str)],
    reads: &[(usize, usize)],
) -> bool {
    for &(seat, text) in sends {
        if seats[seat].send(Message::text(text)).await.is_err() {
            return false;
        }
    }
    for &(seat, n) in reads {
        for _ in 0..n {
            if !matches!(seats[seat].next().await, Some(Ok(Message::Text(_)))) {
                return false;
            }
        }
    }
    true
}

/// Moves made, across all rooms.
static MOVES: Counter = Counter(std::sync::atomic::AtomicU64::new(0));

struct Counter(std::sync::atomic::AtomicU64);

impl Counter {
    fn add(&self) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    fn load(&self) -> u64 {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// A process's CPU time so far, in clock ticks.
struct Ticks {
    user: u64,
    system: u64,
}

impl Ticks {
    fn total(&self) -> u64 {
        self.user + self.system
    }
}

/// utime and stime of a process, in clock ticks.
fn cpu_ticks(pid: u64) -> Ticks {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    Ticks {
        user: field(11),
        system: field(12),
    }
}
