//! The WebSocket protocol end to end, run against both backends: the in-memory store and
//! a private `redis-server`.

mod common;

use std::time::Duration;

use common::{test_config, Backend, Client, TestServer};
use parlor::game::GameKind;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

async fn server(backend: Backend) -> TestServer {
    TestServer::with_backend(backend, test_config()).await
}

/// Two players in a fresh room of `game`, the game started.
async fn table(srv: &TestServer, game: &str) -> (Client, Client, String) {
    let mut a = srv.client().await;
    let mut b = srv.client().await;
    let sa = a.create(game, "alice").await;
    assert_eq!(sa.seat, Some(0));
    assert_eq!(sa.joined["snapshot"]["status"], "waiting");
    let sb = b.join(&sa.room.to_lowercase(), "bob").await;
    assert_eq!(sb.seat, Some(1));
    assert_eq!(sb.joined["snapshot"]["status"], "playing");
    let joined = a.recv_type("player_joined").await;
    assert_eq!(joined["player"]["name"], "bob");
    let started = a.next_state().await;
    assert_eq!(started["status"], "playing");
    assert_eq!(started["version"], sb.version);
    (a, b, sa.room)
}

/// Play `moves` alternately starting with `players[first]`; both must see every state.
/// Returns the last state event.
async fn play(players: &mut [&mut Client; 2], first: usize, moves: &[Value]) -> Value {
    let mut last = Value::Null;
    let mut version = 0;
    for (i, mv) in moves.iter().enumerate() {
        let mover = (first + i) % 2;
        players[mover].act(mv.clone()).await;
        let seen_by_mover = players[mover].next_state().await;
        let seen_by_other = players[1 - mover].next_state().await;
        assert_eq!(
            seen_by_mover, seen_by_other,
            "both players see the same state"
        );
        assert_eq!(seen_by_mover["action"], *mv);
        let v = seen_by_mover["version"].as_u64().expect("version");
        assert!(v > version, "versions increase");
        version = v;
        last = seen_by_mover;
    }
    last
}

fn cells(cells: &[u64]) -> Vec<Value> {
    cells.iter().map(|c| json!({"cell": c})).collect()
}

fn columns(cols: &[u64]) -> Vec<Value> {
    cols.iter().map(|c| json!({"column": c})).collect()
}

async fn tictactoe_win_and_rematch(backend: Backend) {
    let srv = server(backend).await;
    let (mut a, mut b, room) = table(&srv, "tictactoe").await;
    let end = play(&mut [&mut a, &mut b], 0, &cells(&[0, 3, 1, 4, 2])).await;
    assert_eq!(end["status"], "finished");
    assert_eq!(end["state"]["winner"], 0);
    assert_eq!(end["state"]["line"], json!([0, 1, 2]));
    assert_eq!(end["state"]["draw"], false);

    // A rematch starts once both have asked; the seat that moved second now moves first.
    b.send(json!({"type": "rematch"})).await;
    assert_eq!(a.recv_type("rematch_offered").await["room"], room.as_str());
    a.send(json!({"type": "rematch"})).await;
    let fresh = b.next_state().await;
    assert_eq!(a.next_state().await, fresh);
    assert_eq!(fresh["status"], "playing");
    assert_eq!(fresh["state"]["turn"], 1);
    assert_eq!(
        fresh["state"]["board"],
        json!([null, null, null, null, null, null, null, null, null])
    );
    let end = play(&mut [&mut a, &mut b], 1, &cells(&[4, 0, 5, 1, 3])).await;
    assert_eq!(end["state"]["winner"], 1);
    assert_eq!(end["state"]["line"], json!([3, 4, 5]));

    let (status, snap) = srv.admin_get(&format!("/api/v1/rooms/{room}")).await;
    assert_eq!(status, 200);
    assert_eq!(snap["version"], end["version"]);
    assert_eq!(snap["status"], "finished");
}

async fn tictactoe_draw(backend: Backend) {
    let srv = server(backend).await;
    let (mut a, mut b, _) = table(&srv, "tictactoe").await;
    let end = play(
        &mut [&mut a, &mut b],
        0,
        &cells(&[0, 1, 2, 4, 3, 5, 7, 6, 8]),
    )
    .await;
    assert_eq!(end["status"], "finished");
    assert_eq!(end["state"]["draw"], true);
    assert_eq!(end["state"]["winner"], Value::Null);
    // Nothing more can be played until a rematch.
    a.expect_error(
        json!({"type": "action", "action": {"cell": 0}}),
        "game_not_active",
    )
    .await;
}

async fn connect4_win(backend: Backend) {
    let srv = server(backend).await;
    let (mut a, mut b, _) = table(&srv, "connect4").await;
    let end = play(&mut [&mut a, &mut b], 0, &columns(&[0, 1, 0, 1, 0, 1, 0])).await;
    assert_eq!(end["status"], "finished");
    assert_eq!(end["state"]["winner"], 0);
    // Pieces fall to the bottom: row 5 is the bottom row.
    assert_eq!(end["state"]["board"][5][0], 0);
    assert_eq!(end["state"]["board"][2][0], 0);
    assert_eq!(end["state"]["board"][1][0], Value::Null);
}

/// A full connect4 game without a winner, found by deterministic random play-outs.
fn connect4_draw_moves() -> Vec<u64> {
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    loop {
        let mut state = GameKind::Connect4.new_state(0);
        let mut moves = Vec::new();
        loop {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let col = seed % 7;
            let seat = GameKind::Connect4.to_act(&state)[0];
            match GameKind::Connect4.apply(&mut state, seat, &json!({"column": col})) {
                Ok(outcome) => {
                    moves.push(col);
                    if outcome.is_over() {
                        if outcome == parlor::game::Outcome::Draw {
                            return moves;
                        }
                        break;
                    }
                }
                Err(_) => continue,
            }
        }
    }
}

async fn connect4_draw(backend: Backend) {
    let srv = server(backend).await;
    let (mut a, mut b, _) = table(&srv, "connect4").await;
    let moves = connect4_draw_moves();
    assert_eq!(moves.len(), 42);
    let end = play(&mut [&mut a, &mut b], 0, &columns(&moves)).await;
    assert_eq!(end["status"], "finished");
    assert_eq!(end["state"]["draw"], true);
}

async fn chat_and_spectators(backend: Backend) {
    let srv = server(backend).await;
    let (mut a, mut b, room) = table(&srv, "tictactoe").await;
    let mut s = srv.client().await;
    let watcher = s.spectate(&room, "sam").await;
    assert_eq!(watcher.joined["you"]["role"], "spectator");
    assert_eq!(watcher.joined["you"]["seat"], Value::Null);
    assert_eq!(watcher.joined["session"], Value::Null);
    assert_eq!(watcher.joined["snapshot"]["spectators"], 1);
    let seen = a.recv_type("player_joined").await;
    assert_eq!(seen["player"]["role"], "spectator");

    a.send(json!({"type": "chat", "text": "good luck"})).await;
    for c in [&mut a, &mut b, &mut s] {
        let chat = c.recv_type("chat").await;
        assert_eq!(chat["text"], "good luck");
        assert_eq!(chat["name"], "alice");
        assert_eq!(chat["room"], room.as_str());
        assert!(chat["ts"].as_str().is_some_and(|t| t.ends_with('Z')));
    }
    s.send(json!({"type": "chat", "text": "go bob"})).await;
    assert_eq!(b.recv_type("chat").await["name"], "sam");

    // Spectators see the game but cannot play.
    a.act(json!({"cell": 4})).await;
    assert_eq!(s.next_state().await["state"]["board"][4], 0);
    s.expect_error(
        json!({"type": "action", "action": {"cell": 0}}),
        "not_a_player",
    )
    .await;
    s.expect_error(json!({"type": "rematch"}), "not_a_player")
        .await;
}

async fn error_codes(backend: Backend) {
    let srv = server(backend).await;
    let mut c = srv.client().await;
    // Malformed frames.
    let reply = c.request(json!({"type": "ping"})).await;
    assert_eq!(reply["type"], "pong");
    c.send_raw(Message::Text("{not json".into())).await;
    let err = c.recv_type("error").await;
    assert_eq!(err["code"], "bad_request");
    c.assert_alive().await;
    c.expect_error(json!({"type": "teleport"}), "unknown_type")
        .await;
    c.expect_error(json!({"type": "create_room", "name": "x"}), "bad_request")
        .await;
    c.expect_error(
        json!({"type": "create_room", "game": "chess", "name": "x"}),
        "unknown_game",
    )
    .await;
    c.expect_error(
        json!({"type": "create_room", "game": "tictactoe", "name": "   "}),
        "bad_request",
    )
    .await;
    c.expect_error(
        json!({"type": "create_room", "game": "tictactoe", "name": "x".repeat(25)}),
        "bad_request",
    )
    .await;
    c.expect_error(
        json!({"type": "join_room", "room": "nope!!", "name": "x"}),
        "bad_request",
    )
    .await;
    c.expect_error(
        json!({"type": "join_room", "room": "ZZZZZZ", "name": "x"}),
        "room_not_found",
    )
    .await;
    c.expect_error(
        json!({"type": "resume", "session": "garbage"}),
        "invalid_session",
    )
    .await;
    c.expect_error(
        json!({"type": "resume", "session": format!("ZZZZZZ{}", "a".repeat(32))}),
        "invalid_session",
    )
    .await;
    c.expect_error(json!({"type": "leave_room"}), "not_in_room")
        .await;
    c.expect_error(
        json!({"type": "action", "action": {"cell": 1}}),
        "not_in_room",
    )
    .await;
    c.expect_error(json!({"type": "chat", "text": "hi"}), "not_in_room")
        .await;
    c.expect_error(
        json!({"type": "list_rooms", "game": "chess"}),
        "unknown_game",
    )
    .await;

    let (mut a, mut b, room) = table(&srv, "tictactoe").await;
    c.expect_error(
        json!({"type": "join_room", "room": room, "name": "carol"}),
        "room_full",
    )
    .await;
    a.expect_error(
        json!({"type": "create_room", "game": "tictactoe", "name": "x"}),
        "already_in_room",
    )
    .await;
    a.expect_error(
        json!({"type": "join_room", "room": room, "name": "x"}),
        "already_in_room",
    )
    .await;
    b.expect_error(
        json!({"type": "action", "action": {"cell": 0}}),
        "not_your_turn",
    )
    .await;
    a.expect_error(
        json!({"type": "action", "action": {"cell": 9}}),
        "illegal_move",
    )
    .await;
    a.expect_error(
        json!({"type": "action", "action": {"column": 1}}),
        "illegal_move",
    )
    .await;
    a.expect_error(json!({"type": "action", "action": "x"}), "bad_request")
        .await;
    a.expect_error(
        json!({"type": "action", "action": {"cell": 0}, "expected_version": 1}),
        "stale_version",
    )
    .await;
    a.expect_error(json!({"type": "rematch"}), "game_not_active")
        .await;
    a.expect_error(json!({"type": "chat", "text": ""}), "bad_request")
        .await;
    a.expect_error(
        json!({"type": "chat", "text": "x".repeat(501)}),
        "bad_request",
    )
    .await;

    // The right expected_version is accepted; a taken cell is illegal.
    let snap = srv.admin_get(&format!("/api/v1/rooms/{room}")).await.1;
    let v = snap["version"].as_u64().expect("version");
    a.send(json!({"type": "action", "action": {"cell": 0}, "expected_version": v}))
        .await;
    assert_eq!(a.next_state().await["version"], v + 1);
    assert_eq!(b.next_state().await["version"], v + 1);
    b.expect_error(
        json!({"type": "action", "action": {"cell": 0}}),
        "illegal_move",
    )
    .await;
}

async fn rate_limited_then_usable(backend: Backend) {
    let mut cfg = test_config();
    cfg.rate_limit_per_sec = 20;
    cfg.rate_limit_burst = 40;
    let srv = TestServer::with_backend(backend, cfg).await;
    let mut flooder = srv.client().await;
    let mut bystander = srv.client().await;
    for i in 0..60 {
        flooder.send(json!({"type": "ping", "req": i})).await;
    }
    let mut pongs = 0;
    let mut limited = 0;
    for _ in 0..60 {
        let v = flooder.recv().await;
        match v["type"].as_str() {
            Some("pong") => pongs += 1,
            Some("error") => {
                assert_eq!(v["code"], "rate_limited");
                limited += 1;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(
        pongs >= 40 && limited >= 1,
        "pongs={pongs} limited={limited}"
    );
    bystander.assert_alive().await;
    // After a pause the bucket refills and the flooder is served again.
    tokio::time::sleep(Duration::from_millis(300)).await;
    flooder.assert_alive().await;
}

async fn frame_limits(backend: Backend) {
    let srv = server(backend).await;
    let mut big = srv.client().await;
    let text = format!(r#"{{"type":"chat","text":"{}"}}"#, "x".repeat(17 * 1024));
    big.send_raw(Message::Text(text.into())).await;
    let close = big.expect_close().await.expect("close frame");
    assert_eq!(u16::from(close.code), 1009);

    let mut bin = srv.client().await;
    bin.send_raw(Message::Binary(vec![1u8, 2, 3].into())).await;
    let close = bin.expect_close().await.expect("close frame");
    assert_eq!(u16::from(close.code), 1003);

    // Others are unaffected; a message just under the limit is fine.
    let mut ok = srv.client().await;
    ok.assert_alive().await;
    let reply = ok
        .request(json!({"type": "ping", "pad": "y".repeat(15 * 1024)}))
        .await;
    assert_eq!(reply["type"], "pong");
}

async fn list_and_quick_join(backend: Backend) {
    let srv = server(backend).await;
    let mut a = srv.client().await;
    let open = a.create("connect4", "alice").await;
    let mut p = srv.client().await;
    let private = p
        .request(json!({"type": "create_room", "game": "connect4", "name": "pat", "private": true}))
        .await;
    assert_eq!(private["snapshot"]["private"], true);
    let private_code = private["room"].as_str().expect("room").to_string();

    let mut c = srv.client().await;
    let rooms = c
        .request(json!({"type": "list_rooms", "game": "connect4"}))
        .await;
    assert_eq!(rooms["type"], "rooms");
    let codes: Vec<&str> = rooms["rooms"]
        .as_array()
        .expect("rooms")
        .iter()
        .filter_map(|r| r["code"].as_str())
        .collect();
    assert!(codes.contains(&open.room.as_str()));
    assert!(
        !codes.contains(&private_code.as_str()),
        "private rooms are not listed"
    );
    assert!(
        rooms["rooms"][0].get("state").is_none(),
        "summaries carry no state"
    );
    let none = c
        .request(json!({"type": "list_rooms", "game": "tictactoe"}))
        .await;
    assert_eq!(none["rooms"], json!([]));

    // Quick play joins the open public room, not the private one.
    let q = c
        .request(json!({"type": "quick_join", "game": "connect4", "name": "carl"}))
        .await;
    assert_eq!(q["room"], open.room.as_str());
    assert_eq!(q["snapshot"]["status"], "playing");
    // Now nothing is open, so quick play opens a new room.
    let mut d = srv.client().await;
    let q2 = d
        .request(json!({"type": "quick_join", "game": "connect4", "name": "dee"}))
        .await;
    assert_ne!(q2["room"], open.room.as_str());
    assert_ne!(q2["room"], private_code.as_str());
    assert_eq!(q2["snapshot"]["status"], "waiting");
    let after = c.request(json!({"type": "list_rooms"})).await;
    let codes: Vec<&str> = after["rooms"]
        .as_array()
        .expect("rooms")
        .iter()
        .filter_map(|r| r["code"].as_str())
        .collect();
    assert_eq!(codes, vec![q2["room"].as_str().expect("code")]);
}

async fn resume_after_drop(backend: Backend) {
    let srv = server(backend).await;
    let mut a = srv.client().await;
    let mut b = srv.client().await;
    let sa = a.create("tictactoe", "alice").await;
    let sb = b.join(&sa.room, "bob").await;
    a.act(json!({"cell": 4})).await;
    let before = b.next_state().await;
    drop(a);
    let offline = b.recv_type("player_connection").await;
    assert_eq!(offline["player_id"], sa.player_id.as_str());
    assert_eq!(offline["connected"], false);

    let mut a2 = srv.client().await;
    let back = a2.resume(sa.session.as_deref().expect("session")).await;
    assert_eq!(back.player_id, sa.player_id);
    assert_eq!(back.seat, Some(0));
    assert_eq!(back.joined["snapshot"]["state"], before["state"]);
    let online = b.recv_type("player_connection").await;
    assert_eq!(online["connected"], true);
    // The game goes on from where it was.
    b.act(json!({"cell": 0})).await;
    let next = a2.next_state().await;
    assert!(next["version"].as_u64() > before["version"].as_u64());
    assert_eq!(next["state"]["board"][0], 1);
    assert_eq!(next["state"]["board"][4], 0);
    let _ = sb;
}

async fn leave_frees_the_seat(backend: Backend) {
    let srv = server(backend).await;
    let (mut a, mut b, room) = table(&srv, "tictactoe").await;
    a.act(json!({"cell": 4})).await;
    a.next_state().await;
    b.next_state().await;
    let left = b.request(json!({"type": "leave_room"})).await;
    assert_eq!(left["type"], "left");
    assert_eq!(left["room"], room.as_str());
    // Leaving mid-game forfeits it: the result comes first, then the departure.
    let over = a.recv().await;
    assert_eq!(
        (&over["type"], &over["status"]),
        (&json!("state"), &json!("finished"))
    );
    assert_eq!(a.recv_type("player_left").await["room"], room.as_str());
    // b may now start or join elsewhere; a new player takes the free seat.
    b.assert_alive().await;
    let mut c = srv.client().await;
    let sc = c.join(&room, "carol").await;
    assert_eq!(sc.seat, Some(1));
    assert_eq!(sc.joined["snapshot"]["status"], "playing");
}

both_backends!(
    tictactoe_win_and_rematch,
    tictactoe_draw,
    connect4_win,
    connect4_draw,
    chat_and_spectators,
    error_codes,
    rate_limited_then_usable,
    frame_limits,
    list_and_quick_join,
    resume_after_drop,
    leave_frees_the_seat,
);
