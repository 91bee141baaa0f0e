//! rps through the WebSocket: hidden simultaneous choices. Each member is sent the state
//! as its viewer may see it (in `state`, in `joined`, on resume), the REST snapshot shows
//! everything, on one node and across two nodes sharing Redis.

mod common;

use common::{test_config, Backend, Client, RedisServer, TestServer};
use serde_json::{json, Value};

/// A `state` event's `state` after `mover` chose: every check the contract makes of what
/// a viewer who is not `mover` may see.
fn assert_hidden(frame: &Value, chosen: Value) {
    assert_eq!(frame["type"], "state");
    assert_eq!(
        frame["action"],
        Value::Null,
        "rps events never carry the choice"
    );
    assert_eq!(frame["state"]["mine"], Value::Null, "{frame}");
    assert_eq!(frame["state"]["chosen"], chosen);
    for hand in ["rock", "paper", "scissors"] {
        assert!(!frame.to_string().contains(hand), "leaked {hand}: {frame}");
    }
}

/// Alice (seat 0) and Bob (seat 1) in an rps room, and a spectator; `a_url`/`b_url` may be
/// different nodes.
async fn table(a_url: &str, b_url: &str) -> (Client, Client, Client, String, Vec<String>) {
    let mut a = Client::connect(a_url).await;
    let mut b = Client::connect(b_url).await;
    let mut w = Client::connect(b_url).await;
    let sa = a.create("rps", "alice").await;
    assert_eq!(sa.joined["snapshot"]["state"]["mine"], Value::Null);
    let sb = b.join(&sa.room, "bob").await;
    assert_eq!(sb.joined["snapshot"]["status"], "playing");
    a.state_at(sb.version).await;
    w.spectate(&sa.room, "sam").await;
    let sessions = vec![sa.session.unwrap(), sb.session.unwrap()];
    (a, b, w, sa.room, sessions)
}

async fn full_match(a_url: &str, b_url: &str) {
    let (mut a, mut b, mut w, room, _) = table(a_url, b_url).await;
    // Round 1: alice picks first; only she sees it.
    a.act(json!({"choice": "rock"})).await;
    let mine = a.next_state().await;
    assert_eq!(mine["state"]["mine"], "rock");
    assert_eq!(mine["state"]["chosen"], json!([true, false]));
    assert_eq!(mine["action"], Value::Null);
    let theirs = b.next_state().await;
    assert_hidden(&theirs, json!([true, false]));
    assert_eq!(theirs["by"], mine["by"]);
    assert_hidden(&w.next_state().await, json!([true, false]));
    // A second choice in the same round is illegal.
    a.expect_error(
        json!({"type": "action", "action": {"choice": "paper"}}),
        "illegal_move",
    )
    .await;
    // Bob picks: the round resolves, both choices are public now.
    b.act(json!({"choice": "paper"})).await;
    for c in [&mut a, &mut b, &mut w] {
        let s = c.next_state().await;
        assert_eq!(s["state"]["round"], 2);
        assert_eq!(s["state"]["score"], json!([0, 1]));
        assert_eq!(s["state"]["chosen"], json!([false, false]));
        assert_eq!(s["state"]["mine"], Value::Null);
        let round = json!({"choices": ["rock", "paper"], "winner": 1});
        assert_eq!(s["state"]["rounds"], json!([round]));
    }
    // Round 2: bob first this time, and wins the match.
    b.act(json!({"choice": "scissors"})).await;
    assert_eq!(b.next_state().await["state"]["mine"], "scissors");
    let seen = a.next_state().await;
    assert_eq!(seen["state"]["rounds"].as_array().map(Vec::len), Some(1));
    assert_eq!(seen["state"]["chosen"], json!([false, true]));
    assert_eq!(
        (&seen["state"]["mine"], &seen["action"]),
        (&Value::Null, &Value::Null)
    );
    assert!(!seen.to_string().contains("scissors"), "{seen}");
    w.next_state().await;
    a.act(json!({"choice": "paper"})).await;
    for c in [&mut a, &mut b, &mut w] {
        let s = c
            .recv_until(|v| v["type"] == "state" && v["status"] == "finished")
            .await;
        assert_eq!(s["state"]["winner"], 1);
        assert_eq!(s["state"]["score"], json!([0, 2]));
    }
    a.expect_error(
        json!({"type": "action", "action": {"choice": "rock"}}),
        "game_not_active",
    )
    .await;
    // A rematch, once both have asked, starts a fresh best of three.
    a.send(json!({"type": "rematch"})).await;
    b.recv_type("rematch_offered").await;
    b.send(json!({"type": "rematch"})).await;
    let fresh = b.next_state().await;
    assert_eq!(fresh["status"], "playing");
    assert_eq!(fresh["state"]["round"], 1);
    assert_eq!(fresh["room"], room.as_str());
}

async fn snapshots_are_per_viewer(backend: Backend) {
    let server = TestServer::with_backend(backend, test_config()).await;
    let (mut a, mut b, mut w, room, sessions) = table(&server.ws_url(), &server.ws_url()).await;
    a.act(json!({"choice": "scissors"})).await;
    b.next_state().await;
    w.next_state().await;
    // A late spectator, bob after a reconnect, alice after a reconnect.
    let mut late = server.client().await;
    let seen = late.spectate(&room, "late").await.joined;
    assert_eq!(seen["snapshot"]["state"]["chosen"], json!([true, false]));
    assert!(!seen.to_string().contains("scissors"), "{seen}");
    drop(b);
    let mut b2 = server.client().await;
    let resumed = b2.resume(&sessions[1]).await.joined;
    assert_eq!(resumed["you"]["seat"], 1);
    assert_eq!(resumed["snapshot"]["state"]["mine"], Value::Null);
    assert!(!resumed.to_string().contains("scissors"), "{resumed}");
    drop(a);
    let mut a2 = server.client().await;
    let resumed = a2.resume(&sessions[0]).await.joined;
    assert_eq!(resumed["snapshot"]["state"]["mine"], "scissors");
    // Operators see the full state.
    let (status, body) = server.admin_get(&format!("/api/v1/rooms/{room}")).await;
    assert_eq!(status, 200);
    assert_eq!(body["state"]["pending"], json!(["scissors", null]));
    // Bob's socket on resume still gets only his own view.
    a2.expect_error(
        json!({"type": "action", "action": {"choice": "rock"}}),
        "illegal_move",
    )
    .await;
    b2.act(json!({"choice": "rock"})).await;
    let s = b2.next_state().await;
    assert_eq!(s["state"]["rounds"][0]["winner"], 1);
}

async fn full_match_one_node(backend: Backend) {
    let server = TestServer::with_backend(backend, test_config()).await;
    full_match(&server.ws_url(), &server.ws_url()).await;
}

both_backends!(full_match_one_node, snapshots_are_per_viewer);

/// The per-seat frames of one change cross nodes over pub/sub: alice on one node, bob and
/// the spectator on the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_match_across_two_nodes() {
    let redis = RedisServer::start();
    let node_a = TestServer::start(redis.configure(test_config())).await;
    let node_b = TestServer::start(redis.configure(test_config())).await;
    full_match(&node_a.ws_url(), &node_b.ws_url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_games_stay_unknown() {
    let server = TestServer::start(test_config()).await;
    let mut c = server.client().await;
    let msg = json!({"type": "create_room", "game": "chess", "name": "a"});
    let err = c.expect_error(msg, "unknown_game").await;
    assert!(err["message"].as_str().unwrap().contains("rps"), "{err}");
    c.expect_error(json!({"type": "list_rooms", "game": "Rps"}), "unknown_game")
        .await;
    let rooms = c
        .request(json!({"type": "list_rooms", "game": "rps"}))
        .await;
    assert_eq!(rooms["type"], "rooms");
}

/// After a node's Redis subscription is cut, the node catches its members up from the
/// stored room; that catch-up is rendered per viewer too. Modelled as in `faults.rs`: a
/// choice is stored without a publish, then every subscriber connection is killed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catch_up_after_a_lost_subscription_is_per_viewer() {
    let redis = RedisServer::start();
    let n1 = TestServer::start(redis.configure(test_config())).await;
    let n2 = TestServer::start(redis.configure(test_config())).await;
    let mut a = n1.client().await;
    let mut b = n2.client().await;
    let sa = a.create("rps", "alice").await;
    let sb = b.join(&sa.room, "bob").await;
    a.state_at(sb.version).await;

    let key = format!("parlor:room:{{{}}}", sa.room);
    let mut doc: Value = serde_json::from_str(&redis.cmd(&["HGET", &key, "doc"])).unwrap();
    let version = sb.version + 1;
    doc["version"] = json!(version);
    doc["state"]["pending"] = json!(["rock", null]);
    let text = doc.to_string();
    let set = redis.cmd(&["HSET", &key, "v", &version.to_string(), "doc", &text]);
    assert_eq!(set, "0");
    assert_eq!(redis.cmd(&["CLIENT", "KILL", "TYPE", "pubsub"]), "2");

    // The catch-up is a `resync` whose snapshot each socket sees as its seat may.
    let resync_at = |v: &Value| v["type"] == "resync" && v["snapshot"]["version"] == version;
    let mine = a.recv_until(resync_at).await;
    assert_eq!(mine["snapshot"]["state"]["mine"], "rock", "{mine}");
    let theirs = b.recv_until(resync_at).await;
    assert_eq!(theirs["snapshot"]["state"]["chosen"], json!([true, false]));
    assert_eq!(theirs["snapshot"]["state"]["mine"], Value::Null);
    assert!(!theirs.to_string().contains("rock"), "{theirs}");
}
