//! The turn clock through the WebSocket: `turn_secs` is checked, the state carries the
//! deadline, a stalled game ends when it passes, rps loses a round on time, and on
//! Redis the clock fires once when the node that armed it was killed with SIGKILL.

mod common;

use chrono::{DateTime, Utc};
use common::node::NodeProcess;
use common::{test_config, Backend, Client, RedisServer, TestServer};
use serde_json::{json, Value};

/// The state's deadline as a time (panics if it is not an RFC 3339 string).
fn deadline(state: &Value) -> DateTime<Utc> {
    let text = state["deadline"].as_str().expect("deadline string");
    DateTime::parse_from_rfc3339(text)
        .expect("RFC 3339 deadline")
        .with_timezone(&Utc)
}

/// A two-player room of `game` with a 5 s clock: (creator, joiner, room, version, and
/// the `state` event that started the game).
async fn clocked(url: &str, game: &str) -> (Client, Client, String, u64, Value) {
    let mut a = Client::connect(url).await;
    let mut b = Client::connect(url).await;
    let reply = a
        .request(json!({"type": "create_room", "game": game, "name": "a", "turn_secs": 5}))
        .await;
    assert_eq!(reply["type"], "joined", "{reply}");
    // Waiting for a second player: nobody must act yet.
    assert_eq!(reply["snapshot"]["state"]["deadline"], Value::Null);
    let room = reply["room"].as_str().unwrap().to_string();
    let sb = b.join(&room, "b").await;
    let start = a.state_at(sb.version).await;
    assert_eq!(
        sb.joined["snapshot"]["state"]["deadline"],
        start["state"]["deadline"]
    );
    (a, b, room, sb.version, start)
}

async fn bad_turn_secs_are_refused(backend: Backend) {
    let server = TestServer::with_backend(backend, test_config()).await;
    let mut c = server.client().await;
    for bad in [
        json!(4),
        json!(601),
        json!(0),
        json!(-5),
        json!(5.5),
        json!("10"),
    ] {
        let msg =
            json!({"type": "create_room", "game": "tictactoe", "name": "a", "turn_secs": bad});
        c.expect_error(msg, "bad_request").await;
    }
    for ok in [5, 600] {
        let mut c = server.client().await;
        let msg = json!({"type": "create_room", "game": "tictactoe", "name": "a", "turn_secs": ok});
        assert_eq!(c.request(msg).await["type"], "joined");
    }
    // Without a clock the state has no deadline at all.
    let plain = c.create("tictactoe", "a").await;
    assert!(plain.joined["snapshot"]["state"].get("deadline").is_none());
}

async fn stalled_tictactoe_ends_on_time(backend: Backend) {
    let server = TestServer::with_backend(backend, test_config()).await;
    let (mut a, mut b, room, version, start) = clocked(&server.ws_url(), "tictactoe").await;
    let started = deadline(&start["state"]);
    // A move restarts the clock; then seat 1 stalls. (Let some time pass first, so the
    // restarted deadline is measurably later: on loopback a move can land within the
    // millisecond the game started in.)
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    a.act(json!({"cell": 4})).await;
    let moved = a.state_at(version + 1).await;
    let due = deadline(&moved["state"]);
    assert!(due > started, "a move restarts the clock");
    let end = b
        .recv_until(|v| v["type"] == "state" && v["status"] == "finished")
        .await;
    assert!(Utc::now() >= due, "fired before its deadline");
    assert_eq!(end["version"], version + 2);
    assert_eq!(end["state"]["timeout"], true);
    assert_eq!(end["state"]["winner"], 0);
    assert_eq!(end["state"]["deadline"], Value::Null);
    assert_eq!(end["by"], Value::Null);
    let (_, snap) = server.admin_get(&format!("/api/v1/rooms/{room}")).await;
    assert_eq!(
        (&snap["status"], &snap["version"]),
        (&json!("finished"), &end["version"])
    );
    // A rematch, once both have asked, starts a fresh clock.
    b.send(json!({"type": "rematch"})).await;
    a.recv_type("rematch_offered").await;
    a.send(json!({"type": "rematch"})).await;
    let fresh = a.state_at(version + 4).await;
    assert!(deadline(&fresh["state"]) > due);
    assert!(fresh["state"].get("timeout").is_none());
}

async fn rps_loses_a_round_on_time(backend: Backend) {
    let server = TestServer::with_backend(backend, test_config()).await;
    let (mut a, mut b, _room, version, _) = clocked(&server.ws_url(), "rps").await;
    b.act(json!({"choice": "paper"})).await;
    let chose = a.state_at(version + 1).await;
    let due = deadline(&chose["state"]);
    let timed_out = a.state_at(version + 2).await;
    assert!(Utc::now() >= due, "fired before its deadline");
    let s = &timed_out["state"];
    assert_eq!((&s["round"], &s["score"]), (&json!(2), &json!([0, 1])));
    let round = json!({"choices": [null, "paper"], "winner": 1, "timeout": true});
    assert_eq!(s["rounds"], json!([round]));
    assert_eq!(timed_out["status"], "playing");
    assert!(deadline(s) > due, "the next round has its own deadline");
    b.state_at(version + 2).await;
}

both_backends!(
    bad_turn_secs_are_refused,
    stalled_tictactoe_ends_on_time,
    rps_loses_a_round_on_time
);

/// Two nodes on one Redis; players on node A, which is killed with SIGKILL after the
/// game starts. Node B's poller fires the clock, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clock_fires_once_after_the_serving_node_is_killed() {
    let redis = RedisServer::start();
    let mut node_a = NodeProcess::spawn(&redis.url(), &[]).await;
    let node_b = NodeProcess::spawn(&redis.url(), &[]).await;
    let (mut a, _b, room, version, _) = clocked(&node_a.ws_url(), "tictactoe").await;
    a.act(json!({"cell": 0})).await;
    let moved = a.state_at(version + 1).await;
    let due = deadline(&moved["state"]);
    node_a.kill();
    let mut watcher = node_b.client().await;
    let seen = watcher.spectate(&room, "w").await;
    let end = watcher
        .recv_until(|v| v["type"] == "state" && v["status"] == "finished")
        .await;
    assert!(Utc::now() >= due);
    assert_eq!(
        (&end["state"]["winner"], &end["state"]["timeout"]),
        (&json!(0), &json!(true))
    );
    // Exactly one change after the spectator's join, and no other one later.
    assert_eq!(end["version"], seen.version + 1);
    // Long enough for the poller to have seen the entry many times over: nothing more.
    watcher
        .assert_quiet(std::time::Duration::from_millis(1_500))
        .await;
    let snap = crate::common::http()
        .get(node_b.url(&format!("/api/v1/rooms/{room}")))
        .bearer_auth("t")
        .send()
        .await
        .expect("GET room")
        .json::<Value>()
        .await
        .expect("room JSON");
    assert_eq!(snap["version"], end["version"], "{snap}");
    assert_eq!(redis.cmd(&["ZCARD", "parlor:deadlines"]), "0");
}

/// On a Redis Cluster the deadline index is one key every node reaches: a room served by
/// node A, stalled, is ended by the clock and both nodes' members see it once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clock_fires_on_a_redis_cluster() {
    let cluster = common::cluster::RedisCluster::start();
    let node = |id: &str| {
        let mut cfg = test_config();
        cfg.redis_url = Some(cluster.url());
        cfg.node_id = Some(id.to_string());
        cfg.rate_limit_per_sec = 0;
        cfg
    };
    let node_a = TestServer::start(node("node-a")).await;
    let node_b = TestServer::start(node("node-b")).await;
    let (mut a, _b, room, version, start) = clocked(&node_a.ws_url(), "rps").await;
    let due = deadline(&start["state"]);
    let mut watcher = node_b.client().await;
    let seen = watcher.spectate(&room, "w").await;
    let tie = watcher.state_at(seen.version + 1).await;
    assert!(Utc::now() >= due);
    let round = json!({"choices": [null, null], "winner": null, "timeout": true});
    assert_eq!(tie["state"]["rounds"], json!([round]));
    let mine = a.state_at(seen.version + 1).await;
    assert_eq!(mine["state"]["rounds"], tie["state"]["rounds"]);
    assert!(version < seen.version);
}
