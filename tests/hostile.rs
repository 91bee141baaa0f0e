//! Hostile input, one test per kind: oversized and binary frames, floods, deep nesting,
//! junk actions, bad names and chat, room-code guessing (per connection and per address),
//! foreign origins, CORS and the connection cap. In each, two players in a game in
//! progress on the same server must not notice: their moves keep working.
//! Admission (origin, CORS, connection cap) is in `hostile/admission.rs`;
//! `hostile/logs.rs` runs the real binary to show tokens never reach the logs.

#[path = "hostile/admission.rs"]
mod admission;
mod common;
#[path = "hostile/logs.rs"]
mod logs;
#[path = "hostile/support.rs"]
mod support;

use common::{test_config, TestServer};
use parlor::Config;
use serde_json::{json, Value};
use support::{connect_from, raw_request, rejected, unknown_code, Bystanders};
use tokio_tungstenite::tungstenite::Message;

/// Settings for the join-guessing tests: no message rate limit in the way.
fn guess_config(per_conn: u32, per_minute: u32, burst: u32) -> Config {
    let mut cfg = test_config();
    cfg.rate_limit_per_sec = 0;
    cfg.join_failures_per_conn = per_conn;
    cfg.join_failures_per_minute = per_minute;
    cfg.join_failure_burst = burst;
    cfg
}

fn close_code(frame: Option<tokio_tungstenite::tungstenite::protocol::CloseFrame>) -> u16 {
    u16::from(frame.expect("a close frame").code)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_frame_closes_1009() {
    let srv = TestServer::start(test_config()).await;
    let mut calm = Bystanders::start(&srv).await;
    for size in [17 * 1024, 200 * 1024] {
        let mut c = srv.client().await;
        let text = format!(r#"{{"type":"chat","text":"{}"}}"#, "x".repeat(size));
        c.send_raw(Message::Text(text.into())).await;
        assert_eq!(close_code(c.expect_close().await), 1009, "{size} bytes");
        calm.still_playing().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_frame_closes_1003() {
    let srv = TestServer::start(test_config()).await;
    let mut calm = Bystanders::start(&srv).await;
    let mut c = srv.client().await;
    c.send_raw(Message::Binary(br#"{"type":"ping"}"#.to_vec().into()))
        .await;
    assert_eq!(close_code(c.expect_close().await), 1003);
    calm.still_playing().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flood_is_rate_limited_then_closed_1008() {
    let mut cfg = test_config();
    cfg.rate_limit_per_sec = 20;
    cfg.rate_limit_burst = 40;
    let srv = TestServer::start(cfg).await;
    let mut calm = Bystanders::start(&srv).await;
    let mut flooder = srv.client().await;
    for i in 0..500 {
        let ping = json!({"type": "ping", "req": i}).to_string();
        flooder.send_raw(Message::Text(ping.into())).await;
    }
    assert_eq!(close_code(flooder.expect_close().await), 1008);
    let limited = flooder
        .backlog
        .iter()
        .filter(|v| v["code"] == "rate_limited")
        .count();
    let pongs = flooder
        .backlog
        .iter()
        .filter(|v| v["type"] == "pong")
        .count();
    assert!(limited >= 1, "some rate_limited before the close");
    assert_eq!(pongs + limited, flooder.backlog.len(), "nothing else");
    assert!(pongs + limited < 500, "closed before answering everything");
    calm.still_playing().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_nesting_is_bad_request() {
    let srv = TestServer::start(test_config()).await;
    let mut calm = Bystanders::start(&srv).await;
    let mut c = srv.client().await;
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    c.send_raw(Message::Text(deep.into())).await;
    assert_eq!(c.recv_type("error").await["code"], "bad_request");
    let nested = |depth: usize| {
        let mut v = json!(1);
        for _ in 0..depth {
            v = json!({ "a": v });
        }
        v
    };
    // The frame itself is one level, so 15 more is the deepest accepted.
    let ok = c.request(json!({"type": "ping", "pad": nested(15)})).await;
    assert_eq!(ok["type"], "pong");
    // Refused before parsing, so the reply cannot echo `req`.
    c.send(json!({"type": "ping", "pad": nested(16), "req": 99}))
        .await;
    let err = c.recv_type("error").await;
    assert_eq!(
        (err["code"].as_str(), err.get("req")),
        (Some("bad_request"), None)
    );
    c.assert_alive().await;
    calm.still_playing().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_or_junk_actions_are_refused_or_normalised() {
    let srv = TestServer::start(test_config()).await;
    let mut a = srv.client().await;
    let mut b = srv.client().await;
    let sa = a.create("connect4", "alice").await;
    b.join(&sa.room, "bob").await;
    a.next_state().await;
    let mut calm = Bystanders::start(&srv).await;
    // 10 KB of junk keys: refused before it reaches the game, nothing is broadcast.
    let mut junk: serde_json::Map<String, Value> = (0..400)
        .map(|i| (format!("junk{i:04}"), json!("x".repeat(16))))
        .collect();
    junk.insert("column".into(), json!(3));
    let big = Value::Object(junk);
    assert!(big.to_string().len() > 10_000);
    let err = a
        .expect_error(json!({"type": "action", "action": big}), "bad_request")
        .await;
    assert_eq!(err["message"], "action is too large");
    // A small action with junk beside the move is played, and only the move is echoed.
    a.act(json!({"column": 3, "junk": "<script>", "nested": {"x": [1, 2]}}))
        .await;
    for c in [&mut a, &mut b] {
        let s = c.next_state().await;
        assert_eq!(s["action"], json!({"column": 3}));
    }
    let (_, snap) = srv.admin_get(&format!("/api/v1/rooms/{}", sa.room)).await;
    assert!(!snap.to_string().contains("junk"), "{snap}");
    // A malformed action is still an illegal move.
    b.expect_error(
        json!({"type": "action", "action": {"column": "3"}}),
        "illegal_move",
    )
    .await;
    calm.still_playing().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_names_and_chat_are_bad_request() {
    let srv = TestServer::start(test_config()).await;
    let mut calm = Bystanders::start(&srv).await;
    let mut c = srv.client().await;
    let bad_names = [
        String::new(),
        " \t ".into(),
        "x".repeat(25),
        "a\u{7}b".into(),
        "line\nbreak".into(),
        "nul\u{0}".into(),
        "\u{1b}[31mred".into(),
    ];
    for name in &bad_names {
        c.expect_error(
            json!({"type": "create_room", "game": "tictactoe", "name": name}),
            "bad_request",
        )
        .await;
        c.expect_error(
            json!({"type": "quick_join", "game": "connect4", "name": name}),
            "bad_request",
        )
        .await;
    }
    // Exactly 24 characters (even multi-byte ones) is fine.
    let seat = c.create("tictactoe", &"é".repeat(24)).await;
    assert_eq!(seat.joined["you"]["name"], "é".repeat(24));
    let bad_chat = [
        String::new(),
        "   ".into(),
        "x".repeat(501),
        "bell\u{7}".into(),
        "\u{1b}[2J".into(),
    ];
    for text in &bad_chat {
        c.expect_error(json!({"type": "chat", "text": text}), "bad_request")
            .await;
    }
    c.send(json!({"type": "chat", "text": format!("{}\n\tok", "y".repeat(496))}))
        .await;
    assert_eq!(
        c.recv_type("chat").await["text"].as_str().map(str::len),
        Some(500)
    );
    calm.still_playing().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_codes_is_limited_per_connection() {
    let srv = TestServer::start(guess_config(10, 0, 30)).await;
    let mut calm = Bystanders::start(&srv).await;
    let mut host = srv.client().await;
    let room = host.create("tictactoe", "host").await.room;
    let mut guesser = srv.client().await;
    let join = |code: &str| json!({"type": "join_room", "room": code, "name": "g"});
    // Ten failures of every kind a guess produces, each answered normally.
    for n in 0..4 {
        guesser
            .expect_error(join(&unknown_code(n)), "room_not_found")
            .await;
    }
    for bad in ["nope!!", "ABCDE", "0OI1AA"] {
        guesser.expect_error(join(bad), "bad_request").await;
    }
    let fake = format!("{}{}", unknown_code(9), "a".repeat(32));
    let wrong = format!("{room}{}", "b".repeat(32));
    for session in ["garbage", fake.as_str(), wrong.as_str()] {
        guesser
            .expect_error(
                json!({"type": "resume", "session": session}),
                "invalid_session",
            )
            .await;
    }
    // Now even a real code is refused, without trying it; other messages still work.
    let err = guesser.expect_error(join(&room), "rate_limited").await;
    assert!(err["message"]
        .as_str()
        .is_some_and(|m| m.contains("failed joins")));
    // Another connection from the same address is not held back by this one.
    let mut friend = srv.client().await;
    assert_eq!(friend.join(&room, "friend").await.seat, Some(1));
    // Twenty strikes (failures and refusals) and the guesser is closed with 1008.
    for _ in 0..8 {
        let reply = guesser.request(join(&room)).await;
        assert_eq!(reply["code"], "rate_limited", "{reply}");
    }
    guesser.send(join(&room)).await;
    assert_eq!(close_code(guesser.expect_close().await), 1008);
    assert!(rejected(&srv, "join_flood").await >= 1.0);
    calm.still_playing().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_codes_is_limited_per_address() {
    let srv = TestServer::start(guess_config(10, 1, 15)).await;
    let mut calm = Bystanders::start(&srv).await;
    let mut host = srv.client().await;
    let room = host.create("connect4", "host").await.room;
    let join = |n: usize| json!({"type": "join_room", "room": unknown_code(n), "name": "g"});
    let (mut a, mut b) = (srv.client().await, srv.client().await);
    for n in 0..8 {
        a.expect_error(join(n), "room_not_found").await;
    }
    for n in 8..15 {
        b.expect_error(join(n), "room_not_found").await;
    }
    // Fifteen failures from 127.0.0.1 in all: every connection from it is refused now,
    // though neither reached its own limit of ten.
    a.expect_error(join(20), "rate_limited").await;
    b.expect_error(join(21), "rate_limited").await;
    let mut fresh = srv.client().await;
    let real = json!({"type": "join_room", "room": room, "name": "late"});
    fresh.expect_error(real.clone(), "rate_limited").await;
    // Creating a room takes no code, so it is not limited.
    assert_eq!(fresh.create("tictactoe", "maker").await.seat, Some(0));
    // Another address has its own bucket: its guess is answered, its join works.
    let mut other = connect_from(&srv, [127, 0, 0, 2]).await;
    assert_eq!(
        raw_request(&mut other, join(30)).await["code"],
        "room_not_found"
    );
    let joined = raw_request(&mut other, real).await;
    assert_eq!(joined["type"], "joined", "{joined}");
    assert!(rejected(&srv, "join_limited").await >= 3.0);
    calm.still_playing().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn successful_joins_are_never_slowed() {
    let srv = TestServer::start(guess_config(10, 1, 5)).await;
    let mut calm = Bystanders::start(&srv).await;
    let mut host = srv.client().await;
    let room = host.create("tictactoe", "host").await.room;
    let mut c = srv.client().await;
    // A couple of typos along the way, below every limit.
    for n in 0..4 {
        c.expect_error(
            json!({"type": "join_room", "room": unknown_code(n), "name": "c"}),
            "room_not_found",
        )
        .await;
    }
    for i in 0..60 {
        let seat = if i % 2 == 0 {
            c.join(&room, "c").await
        } else {
            c.spectate(&room, "c").await
        };
        let left = c.request(json!({"type": "leave_room"})).await;
        assert_eq!(
            (left["type"].as_str(), seat.room),
            (Some("left"), room.clone())
        );
    }
    let seat = c.join(&room, "c").await;
    let session = seat.session.expect("a player's session");
    drop(c);
    for _ in 0..20 {
        let mut back = srv.client().await;
        assert_eq!(back.resume(&session).await.seat, Some(1));
    }
    calm.still_playing().await;
}
