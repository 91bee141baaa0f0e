//! Leaving ends the game, and a rematch starts by agreement: a player who leaves or is
//! kicked mid-game forfeits it (the result reaches everyone before the departure), a
//! dropped socket does not, and a rematch starts only once every seated player has asked.
//! Each on one node (both backends) and across two nodes sharing Redis, where the request
//! that completes a rematch is taken by the other node.

mod common;

use std::time::Duration;

use common::{node_config, test_config, Backend, Client, RedisServer, TestServer};
use serde_json::{json, Value};

/// Alice (seat 0) on `na`, Bob (seat 1) and a spectator on `nb`, in a fresh `game` room,
/// the game started. Returns the clients, the room and the players' ids.
async fn table(
    na: &TestServer,
    nb: &TestServer,
    game: &str,
) -> (Client, Client, Client, String, [String; 2]) {
    let mut a = na.client().await;
    let mut b = nb.client().await;
    let mut w = nb.client().await;
    let sa = a.create(game, "alice").await;
    let sb = b.join(&sa.room, "bob").await;
    assert_eq!(sb.joined["snapshot"]["status"], "playing");
    a.recv_type("player_joined").await;
    a.state_at(sb.version).await;
    w.spectate(&sa.room, "sam").await;
    a.recv_type("player_joined").await;
    b.recv_type("player_joined").await;
    (a, b, w, sa.room, [sa.player_id, sb.player_id])
}

/// The next `state` or `player_left` frame, which must be the game's end by forfeit
/// (`winner` the seat that stayed), followed by `player_left` for `gone` at the same
/// version. Returns the state frame.
async fn forfeit_then_left(c: &mut Client, winner: u64, gone: &str) -> Value {
    let first = c
        .recv_until(|v| v["type"] == "state" || v["type"] == "player_left")
        .await;
    assert_eq!(first["type"], "state", "the result comes first: {first}");
    assert_eq!(first["status"], "finished");
    assert_eq!(first["state"]["winner"], winner);
    assert_eq!(first["state"]["forfeit"], true);
    assert_eq!(first["by"], Value::Null);
    let left = c.recv_type("player_left").await;
    assert_eq!(left["player_id"], gone);
    assert_eq!(left["version"], first["version"]);
    first
}

/// Bob leaves mid-game: Alice wins by forfeit; the room shows that result with the seat
/// free until Carol takes it, which starts a new game with the other seat moving first.
async fn forfeit_by_leave(na: &TestServer, nb: &TestServer) {
    let (mut a, mut b, mut w, room, ids) = table(na, nb, "tictactoe").await;
    a.act(json!({"cell": 4})).await;
    for c in [&mut a, &mut b, &mut w] {
        c.next_state().await;
    }
    let left = b.request(json!({"type": "leave_room"})).await;
    assert_eq!(left["type"], "left");
    let end = forfeit_then_left(&mut a, 0, &ids[1]).await;
    assert_eq!(forfeit_then_left(&mut w, 0, &ids[1]).await, end);
    assert_eq!(end["state"]["board"][4], 0, "the board stays on screen");

    let (_, snap) = na.admin_get(&format!("/api/v1/rooms/{room}")).await;
    assert_eq!(
        (&snap["status"], &snap["version"]),
        (&json!("finished"), &end["version"])
    );
    assert_eq!(snap["players"].as_array().map(Vec::len), Some(1));
    assert_eq!(snap["state"]["forfeit"], true);
    // No rematch with a seat free; a new player starts the next game.
    a.expect_error(json!({"type": "rematch"}), "game_not_active")
        .await;
    // The free seat is offered to newcomers again.
    let mut c = nb.client().await;
    let listed = c.request(json!({"type": "list_rooms"})).await;
    let codes: Vec<&str> = listed["rooms"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["code"].as_str())
        .collect();
    assert_eq!(codes, [room.as_str()], "{listed}");
    let sc = c.join(&room, "carol").await;
    assert_eq!(sc.seat, Some(1));
    let fresh = &sc.joined["snapshot"];
    assert_eq!(
        (&fresh["status"], &fresh["state"]["turn"]),
        (&json!("playing"), &json!(1))
    );
    assert!(fresh["state"].get("forfeit").is_none(), "{fresh}");
    let started = a.state_at(sc.version).await;
    assert_eq!(started["state"]["board"][4], Value::Null);
}

/// An operator kicks Alice mid-game (rps, Bob has chosen): Bob wins by forfeit and his
/// hidden choice stays hidden.
async fn forfeit_by_kick(na: &TestServer, nb: &TestServer) {
    let (mut a, mut b, mut w, room, ids) = table(na, nb, "rps").await;
    b.act(json!({"choice": "rock"})).await;
    for c in [&mut a, &mut b, &mut w] {
        c.next_state().await;
    }
    let kick = format!("/api/v1/rooms/{room}/players/{}", ids[0]);
    assert_eq!(nb.admin_delete(&kick).await, 204);
    assert_eq!(a.recv_type("kicked").await["room"], room.as_str());
    forfeit_then_left(&mut b, 1, &ids[0]).await;
    let seen = forfeit_then_left(&mut w, 1, &ids[0]).await;
    assert!(!seen.to_string().contains("rock"), "{seen}");
    let (_, snap) = na.admin_get(&format!("/api/v1/rooms/{room}")).await;
    assert_eq!(
        (&snap["status"], &snap["state"]["forfeit"]),
        (&json!("finished"), &json!(true))
    );
}

/// A dropped socket is not a leave: the seat is held and the game goes on.
async fn a_drop_is_not_a_forfeit(na: &TestServer, nb: &TestServer) {
    let (mut a, b, _w, room, _) = table(na, nb, "tictactoe").await;
    drop(b);
    let off = a
        .recv_until(|v| v["type"] == "player_connection" || v["type"] == "state")
        .await;
    assert_eq!(
        (&off["type"], &off["connected"]),
        (&json!("player_connection"), &json!(false))
    );
    let (_, snap) = na.admin_get(&format!("/api/v1/rooms/{room}")).await;
    assert_eq!(snap["status"], "playing");
    assert_eq!(snap["players"].as_array().map(Vec::len), Some(2));
}

/// Alice wins; Bob asks for a rematch: Alice and the spectator are offered it, asking
/// again changes nothing, and the new game starts only when Alice asks too.
async fn rematch_by_agreement(na: &TestServer, nb: &TestServer) {
    let (mut a, mut b, mut w, room, ids) = table(na, nb, "tictactoe").await;
    for (i, cell) in [0, 3, 1, 4, 2].into_iter().enumerate() {
        let mover = if i % 2 == 0 { &mut a } else { &mut b };
        mover.act(json!({"cell": cell})).await;
        b.next_state().await;
        w.next_state().await;
    }
    let mut end = Value::Null;
    for _ in 0..5 {
        end = a.next_state().await;
    }
    assert_eq!(
        (&end["status"], &end["state"]["winner"]),
        (&json!("finished"), &json!(0))
    );

    b.send(json!({"type": "rematch"})).await;
    let offer = json!({"type": "rematch_offered", "room": room, "player_id": ids[1]});
    assert_eq!(a.recv_type("rematch_offered").await, offer);
    assert_eq!(w.recv_type("rematch_offered").await, offer);
    let (_, snap) = na.admin_get(&format!("/api/v1/rooms/{room}")).await;
    assert_eq!(
        snap["status"], "finished",
        "the finished game stays on screen"
    );
    // Asking twice changes nothing: no frame, no new version.
    b.send(json!({"type": "rematch"})).await;
    b.assert_alive().await;
    let (_, again) = na.admin_get(&format!("/api/v1/rooms/{room}")).await;
    assert_eq!(again["version"], snap["version"]);
    for c in [&mut a, &mut b, &mut w] {
        c.assert_quiet(Duration::from_millis(200)).await;
    }

    a.send(json!({"type": "rematch"})).await;
    let fresh = b.next_state().await;
    assert_eq!(a.next_state().await, fresh);
    assert_eq!(w.next_state().await, fresh);
    assert_eq!(
        (&fresh["status"], &fresh["by"]),
        (&json!("playing"), &json!(ids[0]))
    );
    assert_eq!(fresh["state"]["turn"], 1, "the other seat moves first");
    let next = snap["version"].as_u64().unwrap_or_default() + 1;
    assert_eq!(fresh["version"], next);
    // The offers went with the game that started: the next one needs both again.
    b.act(json!({"cell": 0})).await;
    a.next_state().await;
    a.expect_error(json!({"type": "rematch"}), "game_not_active")
        .await;
}

async fn one_node(backend: Backend, scenario: Scenario) {
    let srv = TestServer::with_backend(backend, test_config()).await;
    scenario.run(&srv, &srv).await;
}

/// The scenarios, so each runs on one node and on two.
#[derive(Clone, Copy)]
enum Scenario {
    Leave,
    Kick,
    Drop,
    Rematch,
}

impl Scenario {
    async fn run(self, na: &TestServer, nb: &TestServer) {
        match self {
            Scenario::Leave => forfeit_by_leave(na, nb).await,
            Scenario::Kick => forfeit_by_kick(na, nb).await,
            Scenario::Drop => a_drop_is_not_a_forfeit(na, nb).await,
            Scenario::Rematch => rematch_by_agreement(na, nb).await,
        }
    }
}

async fn leave_forfeits(backend: Backend) {
    one_node(backend, Scenario::Leave).await;
}

async fn kick_forfeits(backend: Backend) {
    one_node(backend, Scenario::Kick).await;
}

async fn drop_does_not_forfeit(backend: Backend) {
    one_node(backend, Scenario::Drop).await;
}

async fn rematch_needs_everyone(backend: Backend) {
    one_node(backend, Scenario::Rematch).await;
}

both_backends!(
    leave_forfeits,
    kick_forfeits,
    drop_does_not_forfeit,
    rematch_needs_everyone,
);

async fn two_nodes(scenario: Scenario) {
    let redis = RedisServer::start();
    let na = TestServer::start(node_config(&redis.url(), "node-a")).await;
    let nb = TestServer::start(node_config(&redis.url(), "node-b")).await;
    scenario.run(&na, &nb).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leave_forfeits_across_nodes() {
    two_nodes(Scenario::Leave).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kick_forfeits_across_nodes() {
    two_nodes(Scenario::Kick).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_does_not_forfeit_across_nodes() {
    two_nodes(Scenario::Drop).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rematch_needs_everyone_across_nodes() {
    two_nodes(Scenario::Rematch).await;
}

/// The rematch's two requests from one player on two nodes: Bob asks on node B, moves
/// to node A and asks again (nothing changes), then Alice's request completes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rematch_offer_survives_a_node_switch() {
    let redis = RedisServer::start();
    let na = TestServer::start(node_config(&redis.url(), "node-a")).await;
    let nb = TestServer::start(node_config(&redis.url(), "node-b")).await;
    let mut a = na.client().await;
    let mut b = nb.client().await;
    let sa = a.create("tictactoe", "alice").await;
    let sb = b.join(&sa.room, "bob").await;
    a.recv_type("player_joined").await;
    a.state_at(sb.version).await;
    for (i, cell) in [0, 3, 1, 4, 2].into_iter().enumerate() {
        let mover = if i % 2 == 0 { &mut a } else { &mut b };
        mover.act(json!({"cell": cell})).await;
        a.next_state().await;
    }
    b.send(json!({"type": "rematch"})).await;
    assert_eq!(
        a.recv_type("rematch_offered").await["player_id"],
        sb.player_id.as_str()
    );
    drop(b);
    a.recv_type("player_connection").await;
    let mut b2 = na.client().await;
    b2.resume(sb.session.as_deref().expect("session")).await;
    a.recv_type("player_connection").await;
    b2.send(json!({"type": "rematch"})).await;
    b2.assert_alive().await;
    a.assert_quiet(Duration::from_millis(200)).await;
    a.send(json!({"type": "rematch"})).await;
    let fresh = b2.next_state().await;
    assert_eq!(
        (&fresh["status"], &fresh["state"]["turn"]),
        (&json!("playing"), &json!(1))
    );
}
