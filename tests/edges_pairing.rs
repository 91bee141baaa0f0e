//! Quick play pairs the players who are actually there: a room whose seated players all
//! dropped is not offered, and players arriving together are seated with each other, on
//! one node and across two nodes on one Redis, without ever overbooking a seat.

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use common::{eventually, test_config, Backend, Client, RedisServer, TestServer};
use serde_json::{json, Value};
use tokio::sync::Barrier;

fn config() -> parlor::Config {
    let mut cfg = test_config();
    cfg.rate_limit_per_sec = 0;
    cfg
}

async fn quick_join(c: &mut Client, name: &str) -> Value {
    let reply = c
        .request(json!({"type": "quick_join", "game": "tictactoe", "name": name}))
        .await;
    assert_eq!(reply["type"], "joined", "{reply}");
    reply
}

/// Alice quick-joins and drops (her seat is held for resume); Bob quick-joins next and
/// must not be seated against her empty chair, nor see her room listed.
async fn no_game_against_empty_chairs(backend: Backend) {
    let srv = TestServer::with_backend(backend, config()).await;
    let mut alice = srv.client().await;
    let a = quick_join(&mut alice, "alice").await;
    let room = a["room"].as_str().expect("room").to_string();
    drop(alice);
    let path = format!("/api/v1/rooms/{room}");
    eventually("alice shows offline", || async {
        let (_, snap) = srv.admin_get(&path).await;
        snap["players"][0]["connected"] == false
    })
    .await;

    let mut bob = srv.client().await;
    let listed = bob.request(json!({"type": "list_rooms"})).await;
    let codes: Vec<&Value> = listed["rooms"]
        .as_array()
        .expect("rooms")
        .iter()
        .map(|r| &r["code"])
        .collect();
    assert!(
        !codes.contains(&&json!(room)),
        "empty room listed: {listed}"
    );
    let b = quick_join(&mut bob, "bob").await;
    assert_ne!(b["room"], room.as_str(), "bob sat down against nobody");
    assert_eq!(b["snapshot"]["players"].as_array().map(Vec::len), Some(1));

    // Alice's room stays resumable, and once she is back it is offered again.
    let mut back = srv.client().await;
    back.resume(a["session"].as_str().expect("session")).await;
    let mut cleo = srv.client().await;
    let c = quick_join(&mut cleo, "cleo").await;
    assert!(
        c["room"] == room.as_str() || c["room"] == b["room"],
        "cleo opened a room while two players waited: {c}"
    );
}

/// Start `n` clients (spread over `nodes` in turn), then send every `quick_join` at once.
/// Returns each room code with the number of players `joined` reported for it.
async fn concurrent_quick_joins(nodes: &[&TestServer], n: usize) -> HashMap<String, usize> {
    let barrier = Arc::new(Barrier::new(n));
    let mut tasks = Vec::new();
    for i in 0..n {
        let url = nodes[i % nodes.len()].ws_url();
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            let mut c = Client::connect(&url).await;
            barrier.wait().await;
            let reply = quick_join(&mut c, &format!("p{i}")).await;
            (c, reply["room"].as_str().expect("room").to_string())
        }));
    }
    let mut clients = Vec::new();
    let mut rooms: HashMap<String, usize> = HashMap::new();
    for t in tasks {
        let (c, room) = t.await.expect("client task");
        *rooms.entry(room).or_default() += 1;
        clients.push(c);
    }
    // Every seat given is in the store, and no room holds more players than seats.
    for (code, seated) in &rooms {
        let (status, snap) = nodes[0].admin_get(&format!("/api/v1/rooms/{code}")).await;
        assert_eq!(status, 200, "room {code} handed out but not stored");
        let players = snap["players"].as_array().map_or(0, Vec::len);
        assert_eq!(players, *seated, "room {code}: {snap}");
        assert!(players <= 2, "room {code} overbooked: {snap}");
    }
    drop(clients);
    rooms
}

fn assert_paired(rooms: &HashMap<String, usize>, n: usize) {
    let most = n.div_ceil(2) + 1;
    assert!(
        rooms.len() <= most,
        "{n} players arriving together made {} rooms (at most {most} allowed): {rooms:?}",
        rooms.len()
    );
    assert_eq!(rooms.values().sum::<usize>(), n);
}

async fn arrivals_together_are_paired(backend: Backend) {
    let srv = TestServer::with_backend(backend, config()).await;
    let rooms = concurrent_quick_joins(&[&srv], 12).await;
    assert_paired(&rooms, 12);
}

both_backends!(no_game_against_empty_chairs, arrivals_together_are_paired);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arrivals_together_are_paired_across_two_nodes() {
    let redis = RedisServer::start();
    let a = TestServer::start(redis.configure(config())).await;
    let b = TestServer::start(redis.configure(config())).await;
    let rooms = concurrent_quick_joins(&[&a, &b], 12).await;
    assert_paired(&rooms, 12);
}
