//! One soak player: a WebSocket client that plays tictactoe in its room for as long as the
//! soak runs — moves when it is its turn, asks for a rematch when a game is over — and,
//! when its socket breaks (its node killed or shut down), connects to another live node
//! and `resume`s its seat.
//!
//! It checks what it is shown as it goes: every versioned frame on a socket is newer
//! than the last one that socket showed, and a resume's snapshot is never older than what
//! the player had already seen. What it cannot judge alone (which games finished) it
//! records for the soak's final checks.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::shared::Shared;
use crate::common::schema::assert_server_frame;

/// How long a move or rematch that changed nothing waits before it is sent again.
const RESEND: Duration = Duration::from_secs(2);
/// How long a player waits with no frame before it looks at its view again.
const TICK: Duration = Duration::from_millis(500);
/// A player stops once the soak is over, its game is finished and nothing has happened
/// in the room for this long (a rematch asked just before the end has been answered).
const QUIET: Duration = Duration::from_secs(3);
/// Longest a player may take to finish its game once the soak is over: past it, the
/// room is reported stuck.
const DRAIN: Duration = Duration::from_secs(60);
/// Pause before each move, so that a handful of pairs do not saturate two cores.
const THINK: Duration = Duration::from_millis(25);

/// What a player counted.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub moves_sent: u64,
    pub rematches_sent: u64,
    pub resumes: u64,
    pub store_unavailable: u64,
    pub stale_version: u64,
    pub refused: u64,
    pub resyncs: u64,
    /// Final boards (with the winner) of the games this player saw finished.
    pub finished: BTreeSet<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    Move,
    Rematch,
}

struct Conn {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// The highest version this socket has shown.
    shown: u64,
    /// The kinds of event this socket has shown at `shown`: one change may send several
    /// (`player_joined` and the `state` of the game it starts), each once. `None` after a
    /// snapshot (`joined`, `resync`): it showed the whole room at that version.
    kinds: Option<Vec<String>>,
}

/// One seated player.
pub struct Player {
    pub name: String,
    pub room: String,
    pub seat: u64,
    pub player_id: String,
    session: String,
    conn: Option<Conn>,
    slot: usize,
    /// The highest version shown to this player, on any socket.
    seen: u64,
    version: u64,
    status: String,
    state: Value,
    last_event: Instant,
    pending: Option<(Want, u64, Instant)>,
    rng: u64,
    next_req: u64,
    pub stats: Stats,
}

enum Read {
    Frame(Value),
    Quiet,
    Closed,
}

async fn connect(port: u16) -> Option<Conn> {
    let url = format!("ws://127.0.0.1:{port}/ws");
    let connecting = tokio_tungstenite::connect_async(url);
    match tokio::time::timeout(Duration::from_secs(3), connecting).await {
        Ok(Ok((ws, _))) => Some(Conn {
            ws,
            shown: 0,
            kinds: None,
        }),
        _ => None,
    }
}

impl Player {
    /// Create a room on node `slot` (the soak is calm: the node and Redis are up).
    pub async fn create(shared: &Shared, slot: usize, name: &str, seed: u64) -> Player {
        let msg = json!({"type": "create_room", "game": "tictactoe", "name": name});
        Self::seated(shared, slot, name, seed, msg).await
    }

    /// Join `room` on node `slot`.
    pub async fn join(shared: &Shared, slot: usize, name: &str, seed: u64, room: &str) -> Player {
        let msg = json!({"type": "join_room", "room": room, "name": name});
        Self::seated(shared, slot, name, seed, msg).await
    }

    async fn seated(shared: &Shared, slot: usize, name: &str, seed: u64, msg: Value) -> Player {
        let port = shared.nodes.get(slot).expect("node up at the start");
        let conn = connect(port).await.expect("websocket connects");
        let mut p = Player {
            name: name.to_string(),
            room: String::new(),
            seat: 0,
            player_id: String::new(),
            session: String::new(),
            conn: Some(conn),
            slot,
            seen: 0,
            version: 0,
            status: String::new(),
            state: Value::Null,
            last_event: Instant::now(),
            pending: None,
            rng: seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407),
            next_req: 1,
            stats: Stats::default(),
        };
        let joined = p.request(msg).await.expect("joined at the start");
        assert_eq!(joined["type"], "joined", "{joined}");
        p.room = joined["room"].as_str().unwrap().to_string();
        p.seat = joined["you"]["seat"].as_u64().unwrap();
        p.player_id = joined["you"]["player_id"].as_str().unwrap().to_string();
        p.session = joined["session"].as_str().unwrap().to_string();
        p.take_snapshot(&joined["snapshot"]);
        p
    }

    /// Send `msg` with a fresh `req` and read until its reply; other frames are handled
    /// as they come. None if the socket broke.
    async fn request(&mut self, mut msg: Value) -> Option<Value> {
        let req = self.next_req;
        self.next_req += 1;
        msg["req"] = json!(req);
        self.send(msg).await.ok()?;
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            match self.read(TICK).await {
                Read::Frame(f) if f["req"] == req => return Some(f),
                Read::Frame(f) => self.on_frame(f, None),
                Read::Quiet => {}
                Read::Closed => return None,
            }
        }
        None
    }

    async fn send(&mut self, msg: Value) -> Result<(), ()> {
        let conn = self.conn.as_mut().ok_or(())?;
        let text = Message::Text(msg.to_string().into());
        match tokio::time::timeout(Duration::from_secs(3), conn.ws.send(text)).await {
            Ok(Ok(())) => Ok(()),
            _ => {
                self.conn = None;
                Err(())
            }
        }
    }

    async fn read(&mut self, wait: Duration) -> Read {
        let Some(conn) = self.conn.as_mut() else {
            return Read::Closed;
        };
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, conn.ws.next()).await {
                Err(_) => return Read::Quiet,
                Ok(Some(Ok(Message::Text(t)))) => {
                    let frame: Value = serde_json::from_str(t.as_str()).expect("server sent JSON");
                    assert_server_frame(&frame);
                    return Read::Frame(frame);
                }
                Ok(Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)))) => {}
                Ok(Some(Ok(Message::Binary(_)))) => panic!("the server sent a binary frame"),
                Ok(Some(Ok(Message::Close(_)) | Err(_)) | None) => {
                    self.conn = None;
                    return Read::Closed;
                }
            }
        }
    }

    /// Play until the soak is over and this player's game is finished; then hand the
    /// player back, its socket open, for the final checks.
    pub async fn run(mut self, shared: Arc<Shared>) -> Player {
        loop {
            let over = shared.stop.is_cancelled();
            let quiet = self.status == "finished" && self.last_event.elapsed() >= QUIET;
            if over && quiet && self.conn.is_some() {
                return self;
            }
            if over && self.last_event.elapsed() > DRAIN {
                shared.violation(format!(
                    "room {} stuck: {} saw status {} at version {} and nothing since",
                    self.room, self.name, self.status, self.version
                ));
                return self;
            }
            if self.conn.is_none() {
                self.reconnect(&shared).await;
                continue;
            }
            self.act(&shared).await;
            match self.read(TICK).await {
                Read::Frame(f) => self.on_frame(f, Some(&shared)),
                Read::Quiet => {}
                Read::Closed => {}
            }
        }
    }

    /// A new socket on another live node, and `resume` on it until it is answered.
    async fn reconnect(&mut self, shared: &Shared) {
        let Some((slot, port)) = shared.nodes.live_after(self.slot) else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            return;
        };
        self.slot = slot;
        let Some(conn) = connect(port).await else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            return;
        };
        self.conn = Some(conn);
        let seen = self.seen;
        loop {
            let msg = json!({"type": "resume", "session": self.session});
            let Some(reply) = self.request(msg).await else {
                return;
            };
            match (reply["type"].as_str(), reply["code"].as_str()) {
                (Some("joined"), _) => {
                    let version = reply["snapshot"]["version"].as_u64().unwrap_or(0);
                    if version < seen {
                        shared.violation(format!(
                            "{} in {}: resumed at version {version}, had seen {seen}",
                            self.name, self.room
                        ));
                    }
                    if reply["you"]["player_id"] != self.player_id.as_str() {
                        shared.violation(format!("{}: resumed another seat: {reply}", self.name));
                    }
                    self.stats.resumes += 1;
                    self.pending = None;
                    self.take_snapshot(&reply["snapshot"]);
                    return;
                }
                (_, Some("store_unavailable")) => {
                    self.stats.store_unavailable += 1;
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                _ => {
                    shared.violation(format!("{}: resume refused: {reply}", self.name));
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }

    /// What this player should do in the room as it sees it.
    fn want(&self, shared: &Shared) -> Option<Want> {
        match self.status.as_str() {
            "playing"
                if self.state["turn"] == self.seat
                    && self.state["winner"].is_null()
                    && self.state["draw"] != true =>
            {
                Some(Want::Move)
            }
            "finished" if !shared.stop.is_cancelled() => Some(Want::Rematch),
            _ => None,
        }
    }

    /// Move or ask for a rematch, unless that was already sent for this version and may
    /// still be on its way.
    async fn act(&mut self, shared: &Shared) {
        let Some(want) = self.want(shared) else {
            return;
        };
        if let Some((w, v, at)) = self.pending {
            if w == want && v == self.version && at.elapsed() < RESEND {
                return;
            }
        }
        let msg = match want {
            Want::Move => {
                tokio::time::sleep(THINK).await;
                self.stats.moves_sent += 1;
                let cell = self.pick_cell();
                json!({"type": "action", "action": {"cell": cell}, "expected_version": self.version})
            }
            Want::Rematch => {
                self.stats.rematches_sent += 1;
                json!({"type": "rematch"})
            }
        };
        self.pending = Some((want, self.version, Instant::now()));
        let _ = self.send(msg).await;
    }

    /// A random empty cell of the board as this player sees it.
    fn pick_cell(&mut self) -> u64 {
        let empty: Vec<u64> = (0..9u64)
            .filter(|&i| self.state["board"][i as usize].is_null())
            .collect();
        self.rng = self
            .rng
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let r = (self.rng >> 33) as usize;
        empty.get(r % empty.len().max(1)).copied().unwrap_or(0)
    }

    fn take_snapshot(&mut self, snap: &Value) {
        let version = snap["version"].as_u64().unwrap_or(0);
        if let Some(conn) = self.conn.as_mut() {
            conn.shown = version;
            conn.kinds = None;
        }
        self.seen = self.seen.max(version);
        self.version = version;
        self.status = snap["status"].as_str().unwrap_or_default().to_string();
        self.state = snap["state"].clone();
        self.last_event = Instant::now();
        self.note_finished();
    }

    fn note_finished(&mut self) {
        if self.status == "finished" {
            let board = json!([self.state["board"], self.state["winner"]]);
            self.stats.finished.insert(board.to_string());
        }
    }

    /// A versioned frame: newer than anything this socket showed, or another kind of
    /// event of the change it showed last; else a violation.
    fn shown(&mut self, shared: Option<&Shared>, version: u64, frame: &Value) {
        if let Some(conn) = self.conn.as_mut() {
            let kind = frame["type"].as_str().unwrap_or_default().to_string();
            let same_change = version == conn.shown
                && kind != "resync"
                && conn.kinds.as_ref().is_some_and(|k| !k.contains(&kind));
            if version > conn.shown {
                conn.kinds = Some(Vec::new());
            }
            if let (true, Some(kinds)) = (version >= conn.shown, conn.kinds.as_mut()) {
                kinds.push(kind);
            }
            if version <= conn.shown && !same_change {
                let what = format!(
                    "{} in {}: sent version {version} after {}: {frame}",
                    self.name, self.room, conn.shown
                );
                match shared {
                    Some(s) => s.violation(what),
                    None => panic!("{what}"),
                }
            }
            conn.shown = conn.shown.max(version);
        }
        self.seen = self.seen.max(version);
        self.version = self.version.max(version);
        self.last_event = Instant::now();
    }

    fn on_frame(&mut self, f: Value, shared: Option<&Shared>) {
        let kind = f["type"].as_str().unwrap_or_default().to_string();
        match kind.as_str() {
            "state" => {
                self.shown(shared, f["version"].as_u64().unwrap_or(0), &f);
                self.status = f["status"].as_str().unwrap_or_default().to_string();
                self.state = f["state"].clone();
                self.note_finished();
            }
            "resync" => {
                self.stats.resyncs += 1;
                let snap = f["snapshot"].clone();
                self.shown(shared, snap["version"].as_u64().unwrap_or(0), &f);
                self.take_snapshot(&snap);
            }
            "player_joined" | "player_left" | "player_connection" => {
                self.shown(shared, f["version"].as_u64().unwrap_or(0), &f);
            }
            "rematch_offered" | "chat" | "pong" | "server_shutdown" => {
                self.last_event = Instant::now();
            }
            "error" => self.on_error(&f, shared),
            _ => {
                let what = format!("{} in {}: unexpected frame {f}", self.name, self.room);
                match shared {
                    Some(s) => s.violation(what),
                    None => panic!("{what}"),
                }
            }
        }
    }

    fn on_error(&mut self, f: &Value, shared: Option<&Shared>) {
        match f["code"].as_str().unwrap_or_default() {
            // Redis down: the request may be sent again at once.
            "store_unavailable" => {
                self.stats.store_unavailable += 1;
                self.pending = None;
            }
            // The move was judged on an older room than the server's: the newer version
            // is on its way (or the move did land though its sender never heard).
            "stale_version" => self.stats.stale_version += 1,
            "not_your_turn" | "game_not_active" | "illegal_move" => self.stats.refused += 1,
            _ => {
                let what = format!("{} in {}: error {f}", self.name, self.room);
                match shared {
                    Some(s) => s.violation(what),
                    None => panic!("{what}"),
                }
            }
        }
    }

    /// Ask for a rematch once more, after the soak, and wait until a new game is shown:
    /// the room can still be played. Returns the new game's version.
    pub async fn rematch_now(&mut self) -> Option<u64> {
        self.send(json!({"type": "rematch"})).await.ok()?;
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            match self.read(TICK).await {
                Read::Frame(f) => {
                    self.on_frame(f, None);
                    if self.status == "playing" {
                        return Some(self.version);
                    }
                }
                Read::Quiet => {}
                Read::Closed => return None,
            }
        }
        None
    }
}
