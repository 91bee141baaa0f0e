//! The Redis room indexes stay bounded by the live rooms without anyone listing them: a
//! periodic sweep trims entries whose room expired, and a Redis written by the previous key
//! layout is moved over at start.

mod common;

use common::{eventually, test_config, Client, RedisServer, TestServer};
use serde_json::json;

const INDEXES: [&str; 3] = ["parlor:rooms", "parlor:open:tictactoe", "parlor:expiry"];

fn zcard(redis: &RedisServer, key: &str) -> usize {
    redis
        .cmd(&["ZCARD", key])
        .parse()
        .expect("ZCARD is a number")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn indexes_empty_when_rooms_expire_without_anyone_listing() {
    let redis = RedisServer::start();
    let mut cfg = redis.configure(test_config());
    cfg.room_ttl_secs = 2;
    cfg.rate_limit_per_sec = 0;
    let srv = TestServer::start(cfg).await;
    // Creators stay connected and idle: their rooms stay offered until they expire.
    let mut clients: Vec<Client> = Vec::new();
    for i in 0..40 {
        let mut c = srv.client().await;
        let private = i % 4 == 0;
        let reply = c
            .request(json!({"type": "create_room", "game": "tictactoe", "name": "p", "private": private}))
            .await;
        assert_eq!(reply["type"], "joined", "{reply}");
        clients.push(c);
    }
    assert_eq!(zcard(&redis, "parlor:rooms"), 40);
    assert_eq!(zcard(&redis, "parlor:open:tictactoe"), 30);
    // The rooms expire after 2 s; the sweep runs every 0.5 s and an entry outlives its room
    // by at most 0.5 s, so the indexes are empty about 1 s after the rooms are gone.
    eventually("every room index is empty", || async {
        INDEXES.iter().all(|k| zcard(&redis, k) == 0)
    })
    .await;
    // Left: the schema marker and this node's liveness keys (`nodes`, `node:{id}:rooms`).
    let mut keys: Vec<String> = redis
        .cmd(&["KEYS", "parlor:*"])
        .split_whitespace()
        .map(str::to_string)
        .collect();
    keys.retain(|k| k != "parlor:schema" && k != "parlor:nodes" && !k.starts_with("parlor:node:"));
    assert!(
        keys.is_empty(),
        "only the schema and liveness keys are left: {keys:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn layout_1_indexes_are_moved_over_at_start() {
    let redis = RedisServer::start();
    // What a layout-1 deployment leaves behind: lexicographic `rooms`, open entries scored
    // by creation time, and rooms that expired long ago.
    redis.cmd(&["SET", "parlor:schema", "1"]);
    for code in ["AAAAAA", "BBBBBB", "CCCCCC"] {
        redis.cmd(&["ZADD", "parlor:rooms", "0", code]);
        redis.cmd(&["ZADD", "parlor:open:tictactoe", "1700000000000", code]);
    }
    let mut cfg = redis.configure(test_config());
    cfg.room_ttl_secs = 2;
    let srv = TestServer::start(cfg).await;
    assert_eq!(redis.cmd(&["GET", "parlor:schema"]), "2");
    assert_eq!(zcard(&redis, "parlor:expiry"), 3);
    // A live room beside them keeps its entries (its chat keeps it alive) while the dead
    // ones are swept one TTL after the move.
    let mut c = srv.client().await;
    let room = c.create("tictactoe", "ann").await.room;
    let deadline = tokio::time::Instant::now() + common::WAIT;
    loop {
        c.send(json!({"type": "chat", "text": "still here"})).await;
        c.recv_type("chat").await;
        if redis.cmd(&["ZRANGE", "parlor:rooms", "0", "-1"]) == room
            && redis.cmd(&["ZRANGE", "parlor:expiry", "0", "-1"]) == room
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "dead layout-1 entries were not swept"
        );
        // Pace the chat (activity, not synchronisation).
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}
