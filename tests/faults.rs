//! Faults, against real processes the tests start and kill: Redis killed mid-game, Redis
//! restarted from its append-only file, a slow Redis, Sentinel failovers (crash and
//! planned), events missed while a subscriber reconnects, and a Parlor node killed with
//! SIGKILL. Each checks what players see (error codes, bounded waits, open sockets,
//! versions) and what operators see (`/readyz`, `/metrics`, the stored room).
//!
//! `FAULTS_LOG=1 cargo test --test faults -- --nocapture` shows the in-process servers'
//! and fred's logs.

mod common;

use std::time::{Duration, Instant};

use common::node::{metric_sum, NodeProcess};
use common::sentinel::{resp_cmd, until, SentinelGroup};
use common::{eventually, test_config, Client, RedisServer, TestServer};
use parlor::Config;
use serde_json::{json, Value};

/// Time a failing operation may take beyond its configured timeout (scheduling, the
/// WebSocket round trip, a loaded CI machine).
const SLACK: Duration = Duration::from_millis(750);

/// A node on `url` with a short op timeout (and logs on stderr with `FAULTS_LOG` set).
fn node_cfg(url: &str, node: &str, timeout_ms: u64) -> Config {
    if std::env::var_os("FAULTS_LOG").is_some() {
        let filter = tracing_subscriber::EnvFilter::new("parlor=debug,fred=debug");
        let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
    }
    let mut cfg = test_config();
    cfg.redis_url = Some(url.to_string());
    cfg.node_id = Some(node.to_string());
    cfg.redis_timeout_ms = timeout_ms;
    cfg.rate_limit_per_sec = 0;
    cfg
}

async fn status(srv: &TestServer, path: &str) -> u16 {
    crate::common::get(srv.url(path))
        .await
        .map_or(0, |r| r.status().as_u16())
}

async fn wait_ready(srv: &TestServer) {
    eventually("/readyz answers 200 again", || async {
        status(srv, "/readyz").await == 200
    })
    .await;
}

/// `mover` plays `action`; both players get the `state` at `version` (the same frame).
async fn play(mover: &mut Client, other: &mut Client, action: Value, version: u64) -> Value {
    mover.act(action.clone()).await;
    let mine = mover.state_at(version).await;
    let theirs = other.state_at(version).await;
    assert_eq!(mine, theirs, "both players see the same change");
    assert_eq!(mine["action"], action, "{mine}");
    mine
}

/// `play` after a reconnect: both players get the same game state at `version`. The
/// frame may be the node's catch-up `resync` rather than the original `state`, if the
/// move landed while the node was catching up (docs/operations.md); either way the
/// returned frame has the `state` event's `status` and `state`.
async fn play_on(mover: &mut Client, other: &mut Client, action: Value, version: u64) -> Value {
    mover.act(action).await;
    let mine = state_or_resync(mover, version).await;
    let theirs = state_or_resync(other, version).await;
    assert_eq!(
        (&mine["status"], &mine["state"]),
        (&theirs["status"], &theirs["state"]),
        "both players see the same game"
    );
    mine
}

/// The `state` at `version`, or a `resync` to it (returned as its snapshot).
async fn state_or_resync(c: &mut Client, version: u64) -> Value {
    let frame = c
        .recv_until(|v| {
            (v["type"] == "state" && v["version"] == version)
                || (v["type"] == "resync" && v["snapshot"]["version"] == version)
        })
        .await;
    match frame["type"].as_str() {
        Some("resync") => frame["snapshot"].clone(),
        _ => frame,
    }
}

/// The room as stored: `v` and the document. Panics on a half-written room (`v` and the
/// document's `version` disagree).
fn stored_room(redis_port: u16, code: &str) -> (u64, Value) {
    let key = format!("parlor:room:{{{code}}}");
    let v: u64 = resp_cmd(redis_port, &["HGET", &key, "v"])
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("room {code} has no v"));
    let doc: Value = resp_cmd(redis_port, &["HGET", &key, "doc"])
        .and_then(|d| serde_json::from_str(&d).ok())
        .unwrap_or_else(|| panic!("room {code} has no doc"));
    assert_eq!(doc["version"], v, "v and the document agree: {doc}");
    (v, doc)
}

/// How many subscribers the room's sharded channel has on this Redis.
fn channel_subscribers(redis_port: u16, code: &str) -> u64 {
    let channel = format!("parlor:room:{{{code}}}:events");
    resp_cmd(redis_port, &["PUBSUB", "SHARDNUMSUB", &channel])
        .and_then(|r| r.rsplit(' ').next()?.parse().ok())
        .unwrap_or(0)
}

async fn request_timed(c: &mut Client, msg: Value) -> (Value, Duration) {
    let started = Instant::now();
    let reply = c.request(msg).await;
    (reply, started.elapsed())
}

/// 1. Redis dies mid-game: actions fail fast with `store_unavailable`, sockets stay open,
/// readiness drops, liveness does not. Redis comes back empty (no persistence): fred
/// reconnects by itself, readiness returns, the old room is reported gone (`room_closed`),
/// and a new game
/// across two nodes (events through pub/sub) plays to the end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_mid_game_fails_fast_and_recovers() {
    let redis = RedisServer::start();
    let timeout = Duration::from_millis(500);
    let n1 = TestServer::start(node_cfg(&redis.url(), "faults-kill-1", 500)).await;
    let n2 = TestServer::start(node_cfg(&redis.url(), "faults-kill-2", 500)).await;
    let mut a = n1.client().await;
    let mut b = n2.client().await;
    let sa = a.create("tictactoe", "alice").await;
    b.join(&sa.room, "bob").await;
    play(&mut a, &mut b, json!({"cell": 4}), 3).await;
    play(&mut b, &mut a, json!({"cell": 0}), 4).await;

    redis.kill();
    let (err, took) = request_timed(&mut a, json!({"type": "action", "action": {"cell": 8}})).await;
    assert_eq!(err["code"], "store_unavailable", "{err}");
    assert!(
        took < timeout + SLACK,
        "failed within the op timeout, took {took:?}"
    );
    let (err, took) = request_timed(&mut b, json!({"type": "chat", "text": "hello?"})).await;
    assert_eq!(err["code"], "store_unavailable", "{err}");
    assert!(
        took < timeout + SLACK,
        "chat failed fast too, took {took:?}"
    );
    a.assert_alive().await;
    b.assert_alive().await;
    for n in [&n1, &n2] {
        assert_eq!(status(n, "/readyz").await, 503);
        assert_eq!(status(n, "/healthz").await, 200);
    }

    // Back, but empty: no persistence. Each node re-reads its rooms after its subscriber
    // reconnects, finds this one gone and says so.
    redis.restart();
    wait_ready(&n1).await;
    wait_ready(&n2).await;
    for c in [&mut a, &mut b] {
        let closed = c.recv_type("room_closed").await;
        assert_eq!(closed["reason"], "gone", "{closed}");
    }
    a.expect_error(
        json!({"type": "action", "action": {"cell": 8}}),
        "not_in_room",
    )
    .await;

    // A new game across the two nodes: every event crosses through the (re)connected
    // subscriber of the other node.
    let s2 = a.create("tictactoe", "alice").await;
    b.join(&s2.room, "bob").await;
    a.state_at(2).await;
    let mut end = Value::Null;
    for (i, cell) in [0, 3, 1, 4, 2].into_iter().enumerate() {
        let v = 3 + i as u64;
        end = if i % 2 == 0 {
            play_on(&mut a, &mut b, json!({"cell": cell}), v).await
        } else {
            play_on(&mut b, &mut a, json!({"cell": cell}), v).await
        };
    }
    assert_eq!(end["status"], "finished");
    assert_eq!(end["state"]["winner"], 0);
    assert_eq!(stored_room(redis.port, &s2.room).0, 7);
}

/// 2. Redis killed with SIGKILL and restarted from its append-only file (fsync always):
/// the room comes back at exactly the version both players last saw, both nodes'
/// subscriptions come back by themselves, and the next move is that version + 1 on a
/// board that lost nothing. The players' sockets never left the room, so no `resume` is
/// needed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_restarted_from_aof_continues_at_the_last_seen_version() {
    let redis = RedisServer::start_with_aof();
    let n1 = TestServer::start(node_cfg(&redis.url(), "faults-aof-1", 500)).await;
    let n2 = TestServer::start(node_cfg(&redis.url(), "faults-aof-2", 500)).await;
    let mut a = n1.client().await;
    let mut b = n2.client().await;
    let sa = a.create("tictactoe", "alice").await;
    b.join(&sa.room, "bob").await;
    play(&mut a, &mut b, json!({"cell": 0}), 3).await;
    play(&mut b, &mut a, json!({"cell": 3}), 4).await;
    let last = play(&mut a, &mut b, json!({"cell": 1}), 5).await;

    redis.kill();
    b.expect_error(
        json!({"type": "action", "action": {"cell": 4}}),
        "store_unavailable",
    )
    .await;
    redis.restart();
    wait_ready(&n1).await;
    wait_ready(&n2).await;

    let (v, doc) = stored_room(redis.port, &sa.room);
    assert_eq!(v, 5, "the room is at the version the players last saw");
    assert_eq!(doc["state"], last["state"]);

    // Straight away, without waiting for the subscriptions to come back: an event
    // published before they are is caught up once they are.
    b.act(json!({"cell": 4})).await;
    let mut board = last["state"]["board"].clone();
    board[4] = json!(1);
    for c in [&mut a, &mut b] {
        let next = state_or_resync(c, 6).await;
        assert_eq!(next["state"]["board"], board, "nothing lost, nothing extra");
    }
    eventually("both nodes subscribed to the room again", || async {
        channel_subscribers(redis.port, &sa.room) == 2
    })
    .await;
    let end = play_on(&mut a, &mut b, json!({"cell": 2}), 7).await;
    assert_eq!(end["status"], "finished");
    assert_eq!(end["state"]["winner"], 0);
    assert_eq!(stored_room(redis.port, &sa.room).0, 7);
}

/// 3. A Redis that stops answering (CLIENT PAUSE, then DEBUG SLEEP): the action fails with
/// `store_unavailable` within the op timeout, the timeout is counted in
/// `parlor_store_op_errors_total{kind="timeout"}`, and once Redis answers again the game
/// goes on. The timed-out move is not withdrawn: Redis runs it when it wakes up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_redis_times_out_within_bounds_and_the_game_goes_on() {
    let redis = RedisServer::start_with(&[
        "--save",
        "",
        "--appendonly",
        "no",
        "--enable-debug-command",
        "yes",
    ]);
    let timeout = Duration::from_millis(300);
    // Its own process: the metrics it exports are this test's alone.
    let node = NodeProcess::spawn(&redis.url(), &["--redis-timeout-ms", "300"]).await;
    let mut a = node.client().await;
    let mut b = node.client().await;
    let sa = a.create("tictactoe", "alice").await;
    b.join(&sa.room, "bob").await;
    play(&mut a, &mut b, json!({"cell": 4}), 3).await;
    let timeouts = |text: &str| {
        metric_sum(
            text,
            "parlor_store_op_errors_total",
            &["op=\"update_room\"", "kind=\"timeout\""],
        )
    };
    let before = timeouts(&node.metrics().await);

    // Writes (and scripts) wait; reads still answer.
    assert_eq!(redis.cmd(&["CLIENT", "PAUSE", "1500", "WRITE"]), "OK");
    let paused_move = json!({"type": "action", "action": {"cell": 0}, "expected_version": 3});
    let (err, took) = request_timed(&mut b, paused_move.clone()).await;
    assert_eq!(err["code"], "store_unavailable", "{err}");
    assert!(took < timeout + SLACK, "bounded wait, took {took:?}");
    b.assert_alive().await;
    let after = timeouts(&node.metrics().await);
    assert!(after > before, "timeout counted: {before} -> {after}");

    // When Redis wakes up it runs the queued script: the move the player was told had
    // failed is applied after all, and both players see it as the next version.
    let late = b.state_at(4).await;
    assert_eq!(late["action"], json!({"cell": 0}), "{late}");
    a.state_at(4).await;
    // A retry that names the version it was meant for cannot apply the move twice.
    b.expect_error(paused_move, "stale_version").await;
    play(&mut a, &mut b, json!({"cell": 8}), 5).await;

    // DEBUG SLEEP: Redis answers nothing at all, not even the readiness ping.
    let port = redis.port;
    let sleeper = tokio::task::spawn_blocking(move || resp_cmd(port, &["DEBUG", "SLEEP", "2"]));
    until(Duration::from_secs(5), "Redis is asleep", || {
        !redis_answers_within(port, Duration::from_millis(100))
    })
    .await;
    let (err, took) = request_timed(&mut b, json!({"type": "action", "action": {"cell": 1}})).await;
    assert_eq!(err["code"], "store_unavailable", "{err}");
    assert!(took < timeout + SLACK, "bounded wait, took {took:?}");
    let started = Instant::now();
    assert_eq!(node.status("/readyz").await, 503);
    assert!(started.elapsed() < timeout + SLACK);
    let _ = sleeper.await;
    let late = b.state_at(6).await;
    assert_eq!(late["action"], json!({"cell": 1}), "{late}");
    a.state_at(6).await;
    assert!(timeouts(&node.metrics().await) >= after + 1.0);
    play(&mut a, &mut b, json!({"cell": 2}), 7).await;
    assert_eq!(node.status("/readyz").await, 200);
}

/// A node at its cap of room changes in progress (`--max-writes-in-flight`) makes the next
/// change wait for a place, and past half the op timeout refuses it with
/// `store_unavailable` without sending it to Redis: unlike a timed-out write, a refused
/// one is certain not to have happened, so retrying it exactly is safe. Decision 40.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_past_the_write_cap_is_refused_untried() {
    let redis = RedisServer::start_with(&["--save", "", "--appendonly", "no"]);
    let timeout = Duration::from_millis(1200);
    let node = NodeProcess::spawn(
        &redis.url(),
        &["--redis-timeout-ms", "1200", "--max-writes-in-flight", "1"],
    )
    .await;
    let (mut a, mut b) = (node.client().await, node.client().await);
    let (mut c, mut d) = (node.client().await, node.client().await);
    let one = a.create("tictactoe", "alice").await;
    b.join(&one.room, "bob").await;
    let two = c.create("tictactoe", "carol").await;
    d.join(&two.room, "dave").await;
    play(&mut a, &mut b, json!({"cell": 4}), 3).await;
    play(&mut c, &mut d, json!({"cell": 4}), 3).await;
    let shed = |text: &str| metric_sum(text, "parlor_room_writes_shed_total", &[]);
    assert_eq!(shed(&node.metrics().await), 0.0);

    // Bob's move takes the only place and waits on the paused Redis.
    assert_eq!(redis.cmd(&["CLIENT", "PAUSE", "3000", "WRITE"]), "OK");
    b.act(json!({"cell": 0})).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Dave's waits for a place, then is refused before Bob's write even times out.
    let daves = json!({"type": "action", "action": {"cell": 0}, "expected_version": 3});
    let (err, took) = request_timed(&mut d, daves.clone()).await;
    assert_eq!(err["code"], "store_unavailable", "{err}");
    assert!(took >= timeout / 2, "it waited for a place: {took:?}");
    assert!(took < timeout, "refused before the op timeout: {took:?}");
    assert_eq!(shed(&node.metrics().await), 1.0);
    let bobs = b.recv_type("error").await;
    assert_eq!(bobs["code"], "store_unavailable", "{bobs}");
    d.assert_alive().await;
    assert_eq!(redis.cmd(&["CLIENT", "UNPAUSE"]), "OK");

    // Bob's write reached Redis and is applied; Dave's never did, so the exact retry
    // (same expected version) is applied now instead of answering stale_version.
    b.state_at(4).await;
    a.state_at(4).await;
    assert_eq!(
        stored_room(redis.port, &two.room).0,
        3,
        "nothing written for Dave"
    );
    d.send(daves).await;
    let retried = d.state_at(4).await;
    assert_eq!(retried["action"], json!({"cell": 0}), "{retried}");
    c.state_at(4).await;
}

/// Whether Redis on `port` answers PING within `limit`.
fn redis_answers_within(port: u16, limit: Duration) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(limit));
    if s.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut buf = [0u8; 7];
    s.read_exact(&mut buf).is_ok()
}

/// 4. Sentinel failover: the master is killed, the sentinels promote the replica, Parlor
/// follows by itself (readiness comes back) and the game goes on in the same room at the
/// next version, with events still crossing nodes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sentinel_failover_is_followed_and_the_game_goes_on() {
    let group = SentinelGroup::start().await;
    let url = group.url();
    let n1 = TestServer::start(node_cfg(&url, "faults-sentinel-1", 500)).await;
    let n2 = TestServer::start(node_cfg(&url, "faults-sentinel-2", 500)).await;
    let mut a = n1.client().await;
    let mut b = n2.client().await;
    let sa = a.create("tictactoe", "alice").await;
    b.join(&sa.room, "bob").await;
    play(&mut a, &mut b, json!({"cell": 0}), 3).await;
    let last = play(&mut b, &mut a, json!({"cell": 3}), 4).await;
    // The replica has every write before the master dies.
    assert_eq!(group.master.cmd(&["WAIT", "1", "2000"]), "1");
    assert_eq!(stored_room(group.replica.port, &sa.room).0, 4);

    let failover = Instant::now();
    group.master.kill();
    until(
        Duration::from_secs(30),
        "sentinels promote the replica",
        || group.master_is(group.replica.port),
    )
    .await;
    let promoted = failover.elapsed();
    wait_ready(&n1).await;
    wait_ready(&n2).await;
    a.act(json!({"cell": 1})).await;
    let mut board = last["state"]["board"].clone();
    board[1] = json!(0);
    for c in [&mut a, &mut b] {
        assert_eq!(state_or_resync(c, 5).await["state"]["board"], board);
    }
    eventually("both nodes subscribed on the new master", || async {
        channel_subscribers(group.replica.port, &sa.room) == 2
    })
    .await;
    play_on(&mut b, &mut a, json!({"cell": 4}), 6).await;
    let end = play_on(&mut a, &mut b, json!({"cell": 2}), 7).await;
    assert_eq!(end["state"]["winner"], 0);
    assert_eq!(stored_room(group.replica.port, &sa.room).0, 7);
    eprintln!(
        "sentinel failover: promoted after {promoted:?}, game on after {:?}",
        failover.elapsed()
    );
}

/// 5. A node killed with SIGKILL: its player reconnects to the other node and resumes the
/// same seat on the board they last saw; the stored room was never half-written; the game
/// plays to a win.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_node_player_resumes_on_the_other_node() {
    let redis = RedisServer::start();
    let mut p1 = NodeProcess::spawn(&redis.url(), &["--node-id", "faults-p1"]).await;
    let p2 = NodeProcess::spawn(&redis.url(), &["--node-id", "faults-p2"]).await;
    let mut a = p1.client().await;
    let mut b = p2.client().await;
    let sa = a.create("tictactoe", "alice").await;
    let sb = b.join(&sa.room, "bob").await;
    play(&mut a, &mut b, json!({"cell": 0}), 3).await;
    play(&mut b, &mut a, json!({"cell": 3}), 4).await;
    let last = play(&mut a, &mut b, json!({"cell": 1}), 5).await;

    p1.kill();
    assert!(a.expect_close().await.is_none(), "the socket just breaks");
    let (v, doc) = stored_room(redis.port, &sa.room);
    assert_eq!(v, 5);
    assert_eq!(doc["state"], last["state"]);
    // Nobody was left to record the disconnect: the seat still shows as connected.
    assert_eq!(doc["players"][0]["connected"], true);

    let mut a2 = p2.client().await;
    let back = a2.resume(sa.session.as_deref().expect("session")).await;
    assert_eq!(back.player_id, sa.player_id);
    assert_eq!(back.seat, Some(0));
    assert_eq!(back.joined["snapshot"]["state"], last["state"]);
    assert_eq!(back.version, 6, "the resume itself is the one change since");
    let seen = b.recv_type("player_connection").await;
    assert_eq!(
        (
            seen["version"].as_u64(),
            &seen["player_id"],
            &seen["connected"]
        ),
        (Some(6), &json!(sa.player_id), &json!(true))
    );
    assert_eq!(stored_room(redis.port, &sa.room).0, 6);

    play(&mut b, &mut a2, json!({"cell": 4}), 7).await;
    let end = play(&mut a2, &mut b, json!({"cell": 2}), 8).await;
    assert_eq!(end["status"], "finished");
    assert_eq!(end["state"]["winner"], 0);
    let (v, doc) = stored_room(redis.port, &sa.room);
    assert_eq!(v, 8);
    assert_eq!(doc["players"][1]["player_id"], sb.player_id.as_str());
}

/// 6. Events published while a node's subscriber connection is down are gone for good;
/// when it reconnects, the node reads its rooms and brings members up to the stored
/// version with a `resync`. Modelled exactly: the room is moved on in Redis without a publish, then every
/// subscriber connection is killed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missed_events_are_caught_up_when_the_subscriber_reconnects() {
    let redis = RedisServer::start();
    let n1 = TestServer::start(node_cfg(&redis.url(), "faults-gap-1", 500)).await;
    let n2 = TestServer::start(node_cfg(&redis.url(), "faults-gap-2", 500)).await;
    let mut a = n1.client().await;
    let mut b = n2.client().await;
    let sa = a.create("tictactoe", "alice").await;
    b.join(&sa.room, "bob").await;
    play(&mut a, &mut b, json!({"cell": 0}), 3).await;
    play(&mut b, &mut a, json!({"cell": 3}), 4).await;

    // Alice's move at version 5, as stored by a publish nobody received.
    let (_, mut doc) = stored_room(redis.port, &sa.room);
    doc["version"] = json!(5);
    doc["state"]["board"][1] = json!(0);
    doc["state"]["turn"] = json!(1);
    let key = format!("parlor:room:{{{}}}", sa.room);
    let text = doc.to_string();
    let set = resp_cmd(redis.port, &["HSET", &key, "v", "5", "doc", &text]);
    assert_eq!(set.as_deref(), Some("0"));
    let killed = redis.cmd(&["CLIENT", "KILL", "TYPE", "pubsub"]);
    assert_eq!(killed, "2", "one subscriber connection per node");

    for c in [&mut a, &mut b] {
        let caught_up = c
            .recv_until(|v| v["type"] == "resync" && v["snapshot"]["version"] == 5)
            .await;
        assert_eq!(caught_up["snapshot"]["state"], doc["state"], "{caught_up}");
        assert_eq!(caught_up["room"], sa.room.as_str());
    }
    // The nodes' caches moved on too: Bob's move applies at version 6 for both.
    play_on(&mut b, &mut a, json!({"cell": 4}), 6).await;
    let end = play_on(&mut a, &mut b, json!({"cell": 2}), 7).await;
    assert_eq!(end["state"]["winner"], 0);
}

/// 7. A planned failover (`SENTINEL FAILOVER`): the old master stays up and keeps taking
/// writes until Sentinel demotes it some 10 s later, and those writes would be lost. Parlor
/// follows the sentinels' `+switch-master` instead: within a second or so every connection
/// is on the new master, nothing more is written to the old one, and the game goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planned_sentinel_failover_moves_writes_to_the_new_master_at_once() {
    let group = SentinelGroup::start().await;
    let url = group.url();
    let n1 = TestServer::start(node_cfg(&url, "faults-planned-1", 500)).await;
    let n2 = TestServer::start(node_cfg(&url, "faults-planned-2", 500)).await;
    let mut a = n1.client().await;
    let mut b = n2.client().await;
    let sa = a.create("tictactoe", "alice").await;
    b.join(&sa.room, "bob").await;
    play(&mut a, &mut b, json!({"cell": 0}), 3).await;
    let last = play(&mut b, &mut a, json!({"cell": 3}), 4).await;
    assert_eq!(group.master.cmd(&["WAIT", "1", "2000"]), "1");

    let reply = group.sentinels[0].cmd(&["SENTINEL", "FAILOVER", "mymaster"]);
    assert_eq!(reply.as_deref(), Some("OK"));
    until(
        Duration::from_secs(30),
        "sentinels promote the replica",
        || group.master_is(group.replica.port),
    )
    .await;
    let promoted = Instant::now();
    until(
        Duration::from_secs(3),
        "both nodes' subscribers on the new master",
        || channel_subscribers(group.replica.port, &sa.room) == 2,
    )
    .await;
    let moved = promoted.elapsed();
    assert!(
        group.master.cmd(&["ROLE"]).starts_with("master"),
        "the old master is still up and still a master"
    );

    a.act(json!({"cell": 1})).await;
    let mut board = last["state"]["board"].clone();
    board[1] = json!(0);
    for c in [&mut a, &mut b] {
        assert_eq!(state_or_resync(c, 5).await["state"]["board"], board);
    }
    assert_eq!(stored_room(group.replica.port, &sa.room).0, 5);
    assert_eq!(
        stored_room(group.master.port, &sa.room).0,
        4,
        "nothing written to the old master"
    );
    play_on(&mut b, &mut a, json!({"cell": 4}), 6).await;
    let end = play_on(&mut a, &mut b, json!({"cell": 2}), 7).await;
    assert_eq!(end["state"]["winner"], 0);
    eprintln!("planned failover: connections moved {moved:?} after the promotion");
}

/// Redis forgets the node's scripts (`SCRIPT FLUSH`; a restart or a failover to a replica
/// that never loaded them does the same): the next create, move and chat each load their
/// script again and succeed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripts_flushed_from_redis_are_loaded_again() {
    let redis = RedisServer::start();
    let srv = TestServer::start(node_cfg(&redis.url(), "faults-noscript", 2000)).await;
    let mut a = srv.client().await;
    let mut b = srv.client().await;
    let sa = a.create("tictactoe", "alice").await;
    b.join(&sa.room, "bob").await;
    play(&mut a, &mut b, json!({"cell": 0}), 3).await;

    redis.cmd(&["SCRIPT", "FLUSH"]);
    play(&mut b, &mut a, json!({"cell": 3}), 4).await;
    assert_eq!(stored_room(redis.port, &sa.room).0, 4);

    redis.cmd(&["SCRIPT", "FLUSH"]);
    a.send(json!({"type": "chat", "text": "still here"})).await;
    assert_eq!(b.recv_type("chat").await["text"], "still here");

    redis.cmd(&["SCRIPT", "FLUSH"]);
    let mut c = srv.client().await;
    let sc = c.create("tictactoe", "carol").await;
    assert_eq!(stored_room(redis.port, &sc.room).0, 1);
    play(&mut a, &mut b, json!({"cell": 1}), 5).await;
    assert_eq!(stored_room(redis.port, &sa.room).0, 5);
}
