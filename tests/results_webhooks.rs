//! Game results end to end: players play real games over WebSocket and the game's backend
//! (a real HTTP receiver) gets `game.finished` and `room.closed`, signed and checked with
//! the Standard Webhooks reference library. Wins, draws, rematches, rps, the turn clock,
//! forfeits, the three ways a room closes; then a node killed with SIGKILL and a Redis
//! restarted with AOF while the receiver is down: the result still arrives, once.

mod common;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use common::node::NodeProcess;
use common::receiver::{webhook_flags, with_webhooks, Received, Receiver};
use common::{eventually, test_config, Backend, Client, RedisServer, TestServer};
use parlor::Config;
use serde_json::{json, Value};

/// Retries while the receiver is down come about every second (the 15-minute step of
/// the schedule, scaled) and never run out.
const SCALE: f64 = 0.001;
const ATTEMPTS: u32 = 1_000;

/// A tictactoe game seat 0 wins (top row).
fn top_row() -> Vec<(u64, Value)> {
    [(0, 0), (1, 3), (0, 1), (1, 4), (0, 2)]
        .map(|(seat, cell)| (seat, json!({"cell": cell})))
        .to_vec()
}

/// A tictactoe game that fills the board with no line.
fn full_board() -> Vec<(u64, Value)> {
    [0, 1, 2, 4, 3, 5, 7, 6, 8]
        .into_iter()
        .enumerate()
        .map(|(i, cell)| (i as u64 % 2, json!({"cell": cell})))
        .collect()
}

fn hooked_config(receiver: &Receiver) -> Config {
    let mut cfg = with_webhooks(test_config(), receiver, SCALE);
    cfg.webhook_max_attempts = ATTEMPTS;
    cfg.rate_limit_per_sec = 0;
    cfg
}

/// The flags of a `parlor` process with the settings of [`hooked_config`].
fn hooked_flags(receiver: &Receiver) -> Vec<String> {
    let mut flags = webhook_flags(receiver, SCALE);
    flags.extend(["--webhook-max-attempts".into(), ATTEMPTS.to_string()]);
    flags
}

async fn hooked(backend: Backend, receiver: &Receiver) -> TestServer {
    TestServer::with_backend(backend, hooked_config(receiver)).await
}

/// Alice (seat 0) and Bob (seat 1) at a fresh table, the game started.
struct Table {
    game: &'static str,
    a: Client,
    b: Client,
    room: String,
    ids: [String; 2],
}

impl Table {
    async fn new(ws_url: &str, game: &'static str, turn_secs: Option<u32>) -> Table {
        let mut a = Client::connect(ws_url).await;
        let mut b = Client::connect(ws_url).await;
        let mut create = json!({"type": "create_room", "game": game, "name": "alice"});
        if let Some(secs) = turn_secs {
            create["turn_secs"] = json!(secs);
        }
        let reply = a.request(create).await;
        assert_eq!(reply["type"], "joined", "{reply}");
        let room = reply["room"].as_str().unwrap().to_string();
        let sb = b.join(&room, "bob").await;
        assert_eq!(sb.joined["snapshot"]["status"], "playing");
        a.state_at(sb.version).await;
        let alice = reply["you"]["player_id"].as_str().unwrap().to_string();
        Table {
            game,
            a,
            b,
            room,
            ids: [alice, sb.player_id],
        }
    }

    fn seat(&mut self, seat: u64) -> &mut Client {
        match seat {
            0 => &mut self.a,
            _ => &mut self.b,
        }
    }

    /// Play `moves` in order, each seen by both players before the next; the last
    /// `state` Bob saw.
    async fn play(&mut self, moves: &[(u64, Value)]) -> Value {
        let mut last = Value::Null;
        for (seat, action) in moves {
            self.seat(*seat).act(action.clone()).await;
            self.a.next_state().await;
            last = self.b.next_state().await;
        }
        last
    }

    /// Both ask for a rematch; the new game's first `state`.
    async fn rematch(&mut self) -> Value {
        self.b.send(json!({"type": "rematch"})).await;
        self.a.recv_type("rematch_offered").await;
        self.a.send(json!({"type": "rematch"})).await;
        self.a.next_state().await;
        self.b.next_state().await
    }

    /// The player in `seat` as `game.finished` lists it.
    fn player(&self, seat: u64, result: &str) -> Value {
        let name = ["alice", "bob"][seat as usize];
        json!({"seat": seat, "player_id": self.ids[seat as usize], "user": null,
               "name": name, "result": result})
    }
}

/// An admin GET on `base` (a server's `http://host:port`) with `token`; the JSON body.
async fn admin_json(base: &str, token: &str, path: &str) -> Value {
    let resp = crate::common::http()
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "GET {path}");
    resp.json().await.unwrap()
}

/// Wait until the server at `base` has no webhook event pending and none dead: whatever
/// it was going to send has been delivered.
async fn settled(base: &str, token: &str) {
    eventually("every webhook delivered", || async {
        let stats = admin_json(base, token, "/api/v1/webhooks").await;
        stats["pending"] == 0 && stats["dead"] == 0
    })
    .await;
}

async fn settled_in(server: &TestServer) {
    settled(&server.url(""), &server.token).await;
}

/// The requests of `kind` about `room` the receiver got so far.
fn requests(receiver: &Receiver, kind: &str, room: &str) -> Vec<Received> {
    receiver
        .received()
        .into_iter()
        .filter(|r| {
            let body = r.json();
            body["type"] == kind && body["data"]["room"] == room
        })
        .collect()
}

/// The `game.finished` of `room`'s game `number`, waited for; exactly one event (a retry
/// of it would carry its id).
async fn finished(receiver: &Receiver, room: &str, number: u64) -> Received {
    let what = format!("game.finished of {room} #{number}");
    let got = receiver
        .wait_for_body(&what, |b| {
            b["type"] == "game.finished"
                && b["data"]["room"] == room
                && b["data"]["game_number"] == number
        })
        .await;
    assert!(got.iter().all(|r| r.id == got[0].id), "one event: {got:?}");
    got[0].clone()
}

fn time(v: &Value) -> DateTime<Utc> {
    let text = v.as_str().unwrap_or_else(|| panic!("a time, got {v}"));
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .with_timezone(&Utc)
}

/// The headers and the envelope every webhook request has.
fn assert_signed(r: &Received) {
    assert_eq!(r.content_type, "application/json");
    assert!(r.id.starts_with("msg_"), "webhook-id {}", r.id);
    assert!(r.timestamp.parse::<u64>().is_ok(), "{}", r.timestamp);
    assert!(r.signature.starts_with("v1,"), "{}", r.signature);
    let body = r.json();
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    assert_eq!(keys.len(), 3, "{body}");
    time(&body["timestamp"]);
}

/// What a `game.finished` must say besides its players and moves.
struct Outcome {
    winner: Option<u64>,
    draw: bool,
    timeout: bool,
    forfeit: bool,
}

const WON_0: Outcome = Outcome {
    winner: Some(0),
    draw: false,
    timeout: false,
    forfeit: false,
};

/// Check one `game.finished` against the game that was played: its outcome, the
/// players (with their results), every move in order as sent, and the final state.
fn assert_game(
    r: &Received,
    t: &Table,
    number: u64,
    outcome: &Outcome,
    players: [Value; 2],
    moves: &[(u64, Value)],
    state: &Value,
) {
    assert_signed(r);
    let body = r.json();
    assert_eq!(body["type"], "game.finished");
    let data = &body["data"];
    let mut keys: Vec<&str> = data
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "draw",
            "finished_at",
            "forfeit",
            "game",
            "game_number",
            "moves",
            "players",
            "room",
            "started_at",
            "state",
            "timeout",
            "winner"
        ]
    );
    assert_eq!(data["room"], t.room.as_str());
    assert_eq!(data["game"], t.game);
    assert_eq!(data["game_number"], number);
    let (started, ended) = (time(&data["started_at"]), time(&data["finished_at"]));
    assert!(started <= ended, "{data}");
    assert_eq!(data["winner"], json!(outcome.winner));
    assert_eq!(data["draw"], outcome.draw);
    assert_eq!(data["timeout"], outcome.timeout);
    assert_eq!(data["forfeit"], outcome.forfeit);
    assert_eq!(data["players"], json!(players));
    let logged = data["moves"].as_array().unwrap();
    let sent: Vec<Value> = moves
        .iter()
        .map(|(seat, action)| json!({"seat": seat, "action": action}))
        .collect();
    let seen: Vec<Value> = logged
        .iter()
        .map(|m| json!({"seat": m["seat"], "action": m["action"]}))
        .collect();
    assert_eq!(seen, sent, "the moves as sent, in order");
    let mut last = started - chrono::Duration::seconds(1);
    for m in logged {
        assert_eq!(m.as_object().unwrap().len(), 3, "{m}");
        let at = time(&m["at"]);
        assert!(at >= last, "moves in order: {logged:?}");
        last = at;
    }
    assert_eq!(&data["state"], state, "the final full state");
}

/// The room as an operator sees it.
async fn room_state(server: &TestServer, room: &str) -> Value {
    let (status, snap) = server.admin_get(&format!("/api/v1/rooms/{room}")).await;
    assert_eq!(status, 200);
    snap["state"].clone()
}

async fn a_win_is_reported_once(backend: Backend) {
    let receiver = Receiver::start(&[], 200).await;
    let server = hooked(backend, &receiver).await;
    let mut t = Table::new(&server.ws_url(), "tictactoe", None).await;
    let end = t.play(&top_row()).await;
    assert_eq!(
        (&end["status"], &end["state"]["winner"]),
        (&json!("finished"), &json!(0))
    );
    let state = room_state(&server, &t.room).await;
    assert_eq!(state["line"], json!([0, 1, 2]));
    let r = finished(&receiver, &t.room, 1).await;
    let players = [t.player(0, "win"), t.player(1, "loss")];
    assert_game(&r, &t, 1, &WON_0, players, &top_row(), &state);
    let body = r.json();
    assert_eq!(body["timestamp"], body["data"]["finished_at"]);
    // The history endpoint logs the same moves.
    let (_, history) = server
        .admin_get(&format!("/api/v1/rooms/{}/history", t.room))
        .await;
    assert_eq!(history["moves"], body["data"]["moves"]);
    settled_in(&server).await;
    assert_eq!(requests(&receiver, "game.finished", &t.room).len(), 1);
    assert!(receiver.all_verified().await, "{:?}", receiver.received());
}

/// rps: the hidden choices are in the event (they are no secret once the game is over)
/// and the state has the rounds.
async fn rps_choices_are_in_the_moves(backend: Backend) {
    let receiver = Receiver::start(&[], 200).await;
    let server = hooked(backend, &receiver).await;
    let mut t = Table::new(&server.ws_url(), "rps", None).await;
    let moves: Vec<(u64, Value)> = [(0, "rock"), (1, "scissors"), (1, "rock"), (0, "paper")]
        .map(|(seat, choice)| (seat, json!({"choice": choice})))
        .to_vec();
    let end = t.play(&moves).await;
    assert_eq!(end["status"], "finished");
    let state = room_state(&server, &t.room).await;
    let r = finished(&receiver, &t.room, 1).await;
    let players = [t.player(0, "win"), t.player(1, "loss")];
    assert_game(&r, &t, 1, &WON_0, players, &moves, &state);
    let rounds = json!([
        {"choices": ["rock", "scissors"], "winner": 0},
        {"choices": ["paper", "rock"], "winner": 0},
    ]);
    assert_eq!(r.json()["data"]["state"]["rounds"], rounds);
    assert_eq!(r.json()["data"]["state"]["score"], json!([2, 0]));
    assert!(receiver.all_verified().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draw_is_a_draw_for_both() {
    let receiver = Receiver::start(&[], 200).await;
    let server = hooked(Backend::Redis, &receiver).await;
    let mut t = Table::new(&server.ws_url(), "tictactoe", None).await;
    let end = t.play(&full_board()).await;
    assert_eq!(
        (&end["status"], &end["state"]["draw"]),
        (&json!("finished"), &json!(true))
    );
    let state = room_state(&server, &t.room).await;
    let r = finished(&receiver, &t.room, 1).await;
    let draw = Outcome {
        winner: None,
        draw: true,
        timeout: false,
        forfeit: false,
    };
    let players = [t.player(0, "draw"), t.player(1, "draw")];
    assert_game(&r, &t, 1, &draw, players, &full_board(), &state);
    settled_in(&server).await;
    assert_eq!(requests(&receiver, "game.finished", &t.room).len(), 1);
    assert!(receiver.all_verified().await);
}

/// Two games in one room: numbered 1 and 2, two events, the second with its own moves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rematch_is_game_number_two() {
    let receiver = Receiver::start(&[], 200).await;
    let server = hooked(Backend::Redis, &receiver).await;
    let mut t = Table::new(&server.ws_url(), "tictactoe", None).await;
    t.play(&top_row()).await;
    let first = finished(&receiver, &t.room, 1).await;
    let fresh = t.rematch().await;
    assert_eq!(
        (&fresh["status"], &fresh["state"]["turn"]),
        (&json!("playing"), &json!(1))
    );
    // Seat 1 moves first now, and takes the top row.
    let second_moves: Vec<(u64, Value)> = top_row().into_iter().map(|(s, a)| (1 - s, a)).collect();
    t.play(&second_moves).await;
    let state = room_state(&server, &t.room).await;
    let second = finished(&receiver, &t.room, 2).await;
    let won_1 = Outcome {
        winner: Some(1),
        ..WON_0
    };
    let players = [t.player(0, "loss"), t.player(1, "win")];
    assert_game(&second, &t, 2, &won_1, players, &second_moves, &state);
    assert_ne!(first.id, second.id);
    let (one, two) = (first.json(), second.json());
    assert!(time(&two["data"]["started_at"]) >= time(&one["data"]["finished_at"]));
    settled_in(&server).await;
    assert_eq!(requests(&receiver, "game.finished", &t.room).len(), 2);
    assert!(receiver.all_verified().await);
}

/// Nobody moves in a room with a 5 s clock: seat 0 runs out of time and seat 1 wins.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timeout_is_reported() {
    let receiver = Receiver::start(&[], 200).await;
    let server = hooked(Backend::Redis, &receiver).await;
    let mut t = Table::new(&server.ws_url(), "tictactoe", Some(5)).await;
    let end =
        t.b.recv_until(|v| v["type"] == "state" && v["status"] == "finished")
            .await;
    assert_eq!(end["state"]["timeout"], true);
    let state = room_state(&server, &t.room).await;
    let r = finished(&receiver, &t.room, 1).await;
    let timeout = Outcome {
        winner: Some(1),
        draw: false,
        timeout: true,
        forfeit: false,
    };
    let players = [t.player(0, "loss"), t.player(1, "win")];
    assert_game(&r, &t, 1, &timeout, players, &[], &state);
    // A room with a clock: the state has a `deadline`, nobody's once the game is over.
    let data = r.json()["data"].clone();
    assert_eq!(data["state"].get("deadline"), Some(&Value::Null), "{data}");
    assert!(receiver.all_verified().await);
}

const FORFEIT_0: Outcome = Outcome {
    winner: Some(0),
    draw: false,
    timeout: false,
    forfeit: true,
};

/// Bob leaves mid-game: Alice wins by forfeit and Bob is listed, with a loss.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaving_is_a_forfeit_in_the_results() {
    let receiver = Receiver::start(&[], 200).await;
    let server = hooked(Backend::Redis, &receiver).await;
    let mut t = Table::new(&server.ws_url(), "tictactoe", None).await;
    let moves = [(0, json!({"cell": 4}))];
    t.play(&moves).await;
    assert_eq!(
        t.b.request(json!({"type": "leave_room"})).await["type"],
        "left"
    );
    let end = t.a.next_state().await;
    assert_eq!(
        (&end["status"], &end["state"]["forfeit"]),
        (&json!("finished"), &json!(true))
    );
    let state = room_state(&server, &t.room).await;
    let r = finished(&receiver, &t.room, 1).await;
    let players = [t.player(0, "win"), t.player(1, "loss")];
    assert_game(&r, &t, 1, &FORFEIT_0, players, &moves, &state);
    assert!(receiver.all_verified().await);
}

/// An operator kicks Alice mid-game: Bob wins by forfeit, Alice is listed with a loss.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kick_is_a_forfeit_in_the_results() {
    let receiver = Receiver::start(&[], 200).await;
    let server = hooked(Backend::Redis, &receiver).await;
    let mut t = Table::new(&server.ws_url(), "tictactoe", None).await;
    let moves = [(0, json!({"cell": 4})), (1, json!({"cell": 0}))];
    t.play(&moves).await;
    let kick = format!("/api/v1/rooms/{}/players/{}", t.room, t.ids[0]);
    assert_eq!(server.admin_delete(&kick).await, 204);
    let end = t.b.next_state().await;
    assert_eq!(
        (&end["status"], &end["state"]["winner"]),
        (&json!("finished"), &json!(1))
    );
    let state = room_state(&server, &t.room).await;
    let r = finished(&receiver, &t.room, 1).await;
    let forfeit_1 = Outcome {
        winner: Some(1),
        ..FORFEIT_0
    };
    let players = [t.player(0, "loss"), t.player(1, "win")];
    assert_game(&r, &t, 1, &forfeit_1, players, &moves, &state);
    assert!(receiver.all_verified().await);
}

/// The one `room.closed` of `room`, waited for, with `reason`.
async fn closed(receiver: &Receiver, room: &str, reason: &str) {
    let what = format!("room.closed of {room}");
    let got = receiver
        .wait_for_body(&what, |b| {
            b["type"] == "room.closed" && b["data"]["room"] == room
        })
        .await;
    assert!(got.iter().all(|r| r.id == got[0].id), "one event: {got:?}");
    assert_signed(&got[0]);
    let data = json!({"room": room, "game": "tictactoe", "reason": reason});
    assert_eq!(got[0].json()["data"], data);
    assert!(receiver.all_verified().await);
}

/// An operator closes a room mid-game: `room.closed` `operator`, and no result for a
/// game that never finished.
async fn an_operator_close(backend: Backend) {
    let receiver = Receiver::start(&[], 200).await;
    let server = hooked(backend, &receiver).await;
    let mut t = Table::new(&server.ws_url(), "tictactoe", None).await;
    t.play(&[(0, json!({"cell": 4}))]).await;
    assert_eq!(
        server
            .admin_delete(&format!("/api/v1/rooms/{}", t.room))
            .await,
        204
    );
    closed(&receiver, &t.room, "operator").await;
    settled_in(&server).await;
    assert_eq!(requests(&receiver, "room.closed", &t.room).len(), 1);
    assert!(requests(&receiver, "game.finished", &t.room).is_empty());
}

/// A game played to the end, then both leave: one result (leaving a finished game is
/// no forfeit) and `room.closed` `empty`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_player_out_closes_the_room() {
    let receiver = Receiver::start(&[], 200).await;
    let server = hooked(Backend::Redis, &receiver).await;
    let mut t = Table::new(&server.ws_url(), "tictactoe", None).await;
    t.play(&top_row()).await;
    assert_eq!(
        t.b.request(json!({"type": "leave_room"})).await["type"],
        "left"
    );
    t.a.recv_type("player_left").await;
    assert_eq!(
        t.a.request(json!({"type": "leave_room"})).await["type"],
        "left"
    );
    closed(&receiver, &t.room, "empty").await;
    finished(&receiver, &t.room, 1).await;
    settled_in(&server).await;
    assert_eq!(requests(&receiver, "game.finished", &t.room).len(), 1);
    assert_eq!(requests(&receiver, "room.closed", &t.room).len(), 1);
}

/// A room left alone for its TTL: `room.closed` `expired`.
async fn an_idle_room_expires(backend: Backend) {
    let receiver = Receiver::start(&[], 200).await;
    let mut cfg = hooked_config(&receiver);
    cfg.room_ttl_secs = 2;
    let server = TestServer::with_backend(backend, cfg).await;
    let mut a = server.client().await;
    let room = a.create("tictactoe", "alice").await.room;
    closed(&receiver, &room, "expired").await;
    settled_in(&server).await;
    assert_eq!(requests(&receiver, "room.closed", &room).len(), 1);
}

both_backends!(
    a_win_is_reported_once,
    rps_choices_are_in_the_moves,
    an_operator_close,
    an_idle_room_expires,
);

/// Two nodes sweep the same Redis: a room that expires is reported once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expiry_is_reported_once_by_two_nodes() {
    let receiver = Receiver::start(&[], 200).await;
    let redis = RedisServer::start();
    let mut cfg = redis.configure(hooked_config(&receiver));
    cfg.room_ttl_secs = 2;
    let na = TestServer::start(cfg.clone()).await;
    let nb = TestServer::start(cfg).await;
    let mut a = na.client().await;
    let room = a.create("tictactoe", "alice").await.room;
    closed(&receiver, &room, "expired").await;
    settled_in(&na).await;
    settled_in(&nb).await;
    assert_eq!(requests(&receiver, "room.closed", &room).len(), 1);
}

/// The node that applied the game-ending move is killed with SIGKILL while the
/// receiver is down; another node on the same Redis delivers the result once the
/// receiver is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_outlives_the_node_that_recorded_it() {
    let receiver = Receiver::start(&[], 200).await;
    receiver.down().await;
    let redis = RedisServer::start();
    let flags = hooked_flags(&receiver);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let mut first = NodeProcess::spawn(&redis.url(), &flags).await;
    let mut t = Table::new(&first.ws_url(), "tictactoe", None).await;
    // Both players saw the end: the write that recorded the event is applied.
    t.play(&top_row()).await;
    first.kill();
    let second = NodeProcess::spawn(&redis.url(), &flags).await;
    let base = second.url("");
    let stats = admin_json(&base, "t", "/api/v1/webhooks").await;
    assert_eq!(stats["pending"], 1, "waiting for the receiver: {stats}");
    receiver.up().await;
    let r = finished(&receiver, &t.room, 1).await;
    let state = admin_json(&base, "t", &format!("/api/v1/rooms/{}", t.room)).await["state"].clone();
    let players = [t.player(0, "win"), t.player(1, "loss")];
    assert_game(&r, &t, 1, &WON_0, players, &top_row(), &state);
    settled(&base, "t").await;
    let all = requests(&receiver, "game.finished", &t.room);
    assert!(
        all.iter().all(|x| x.id == r.id),
        "duplicates carry the id: {all:?}"
    );
    assert!(receiver.all_verified().await);
}

/// Redis restarts (AOF, fsync always) between the game-ending move and the delivery,
/// the receiver down meanwhile: the result is delivered after all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_outlives_a_redis_restart() {
    let receiver = Receiver::start(&[], 200).await;
    receiver.down().await;
    let redis = Arc::new(RedisServer::start_with_aof());
    let server = TestServer::start(redis.configure(hooked_config(&receiver))).await;
    let mut t = Table::new(&server.ws_url(), "tictactoe", None).await;
    t.play(&top_row()).await;
    let state = room_state(&server, &t.room).await;
    redis.restart();
    receiver.up().await;
    let r = finished(&receiver, &t.room, 1).await;
    let players = [t.player(0, "win"), t.player(1, "loss")];
    assert_game(&r, &t, 1, &WON_0, players, &top_row(), &state);
    settled_in(&server).await;
    let all = requests(&receiver, "game.finished", &t.room);
    assert!(
        all.iter().all(|x| x.id == r.id),
        "duplicates carry the id: {all:?}"
    );
    assert!(receiver.all_verified().await);
}
