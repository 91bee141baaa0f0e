//! A node that dies without a clean shutdown: the other nodes notice
//! its heartbeat lapse, mark its players offline and stop counting its spectators, once;
//! a node that was only frozen takes its members back. Real nodes, real `redis-server`.

mod common;

use common::node::NodeProcess;
use common::redis::resp_cmd;
use common::{eventually, Client, RedisServer};
use serde_json::Value;

const LIVENESS: &[&str] = &["--node-liveness-ms", "3000"];

async fn node(redis: &RedisServer, id: &str) -> NodeProcess {
    let mut args = vec!["--node-id", id];
    args.extend_from_slice(LIVENESS);
    NodeProcess::spawn(&redis.url(), &args).await
}

/// The stored room document.
fn stored(redis: &RedisServer, code: &str) -> Value {
    let key = format!("parlor:room:{{{code}}}");
    resp_cmd(redis.port, &["HGET", &key, "doc"])
        .and_then(|d| serde_json::from_str(&d).ok())
        .unwrap_or(Value::Null)
}

/// Wait until `node`'s heartbeat lists `code` among its rooms.
async fn reported(redis: &RedisServer, node: &str, code: &str) {
    let key = format!("parlor:node:{node}:rooms");
    eventually("the node reports the room in its heartbeat", || {
        let rooms = resp_cmd(redis.port, &["GET", &key]).unwrap_or_default();
        async move { rooms.contains(code) }
    })
    .await;
}

/// A game across two nodes and a spectator on the first; the first is killed with
/// SIGKILL. Within the liveness window the second player is told the first went offline,
/// the spectator leaves the count, and with two surviving nodes watching, the room
/// changes exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_nodes_players_go_offline_and_its_spectators_leave_the_count() {
    let redis = RedisServer::start();
    let mut n1 = node(&redis, "live-1").await;
    let n2 = node(&redis, "live-2").await;
    let _n3 = node(&redis, "live-3").await;
    let mut a = n1.client().await;
    let mut b = n2.client().await;
    let mut watcher = n1.client().await;
    let sa = a.create("tictactoe", "alice").await;
    b.join(&sa.room, "bob").await;
    let seen = watcher.spectate(&sa.room, "sam").await;
    reported(&redis, "live-1", &sa.room).await;
    let before = stored(&redis, &sa.room);
    assert_eq!(before["spectators"], 1, "{before}");
    assert_eq!(before["version"], seen.version);

    n1.kill();
    let offline = b
        .recv_until(|v| v["type"] == "player_connection" && v["player_id"] == sa.player_id.as_str())
        .await;
    assert_eq!(offline["connected"], false, "{offline}");
    assert_eq!(offline["version"], seen.version + 1, "{offline}");
    let after = stored(&redis, &sa.room);
    assert_eq!(after["version"], seen.version + 1, "one change: {after}");
    assert_eq!(after["spectators"], 0, "{after}");
    assert_eq!(after["players"][0]["connected"], false, "{after}");
    assert_eq!(after["players"][1]["connected"], true, "{after}");
    // The dead node is forgotten once its rooms are done, and nothing changes again.
    eventually("the dead node is forgotten", || async {
        resp_cmd(redis.port, &["ZSCORE", "parlor:nodes", "live-1"]).as_deref() == Some("(nil)")
    })
    .await;
    assert_eq!(stored(&redis, &sa.room)["version"], seen.version + 1);

    // Alice takes her seat back on the surviving node.
    let mut a2 = n2.client().await;
    let back = a2.resume(sa.session.as_deref().expect("session")).await;
    assert_eq!(back.seat, Some(0));
    let online = b.recv_type("player_connection").await;
    assert_eq!(online["connected"], true, "{online}");
}

/// A node frozen past the liveness window is declared dead: its player shows offline and
/// its spectator leaves the count. When it thaws, its sockets are still there, so it takes
/// them back: the player shows online again and the spectator is counted again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_node_that_comes_back_reasserts_its_members() {
    let redis = RedisServer::start();
    let n1 = node(&redis, "slow-1").await;
    let n2 = node(&redis, "slow-2").await;
    let mut a = n1.client().await;
    let mut b = n2.client().await;
    let mut watcher: Client = n1.client().await;
    let sa = a.create("tictactoe", "alice").await;
    b.join(&sa.room, "bob").await;
    watcher.spectate(&sa.room, "sam").await;
    reported(&redis, "slow-1", &sa.room).await;

    n1.pause(true);
    let offline = b
        .recv_until(|v| v["type"] == "player_connection" && v["player_id"] == sa.player_id.as_str())
        .await;
    assert_eq!(offline["connected"], false, "{offline}");
    assert_eq!(stored(&redis, &sa.room)["spectators"], 0);
    n1.pause(false);

    let online = b
        .recv_until(|v| v["type"] == "player_connection" && v["player_id"] == sa.player_id.as_str())
        .await;
    assert_eq!(online["connected"], true, "{online}");
    eventually("the spectator is counted again", || async {
        stored(&redis, &sa.room)["spectators"] == 1
    })
    .await;
    // Alice's socket never left: she plays on.
    a.assert_alive().await;
}
