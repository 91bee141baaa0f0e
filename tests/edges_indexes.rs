//! The Redis room indexes stay bounded by the live rooms without anyone listing them: a
//! periodic sweep trims entries whose room expired, and a Redis written by the previous key
//! layout is moved over at start. A room pushes its entries forward at most once per
//! refresh period, and at once when an older node recorded its last push another way.

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

/// The refresh period's number a room records as `ix` at `ms`, with the default TTL
/// (1 h, so a 5 s period).
fn period(ms: u128) -> String {
    (ms / 5_000).to_string()
}

fn now_ms() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_records_its_refresh_period_and_refreshes_over_an_older_nodes_time() {
    let redis = RedisServer::start();
    let cfg = redis.configure(test_config());
    assert_eq!(
        cfg.room_ttl_secs, 3600,
        "the periods below assume the default TTL"
    );
    let srv = TestServer::start(cfg).await;
    let mut a = srv.client().await;
    let (before, room, after) = (now_ms(), a.create("tictactoe", "ann").await.room, now_ms());
    let key = format!("parlor:room:{{{room}}}");
    let ix = redis.cmd(&["HGET", &key, "ix"]);
    assert!(
        ix == period(before) || ix == period(after),
        "ix is the creation's period number, not a time: {ix}"
    );

    // An older node records the time in ms, a moment ago: by its own rule no refresh is
    // due for a while. This node reads another period's number, so its next write pushes
    // the room's index entries forward and records its period again.
    let score = |redis: &RedisServer| -> f64 {
        redis
            .cmd(&["ZSCORE", "parlor:expiry", &room])
            .parse()
            .expect("the room is on the expiry index")
    };
    let older = (now_ms() - 1_000).to_string();
    redis.cmd(&["HSET", &key, "ix", &older]);
    let pushed_from = score(&redis);
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let mut b = srv.client().await;
    let (before, _, after) = (now_ms(), b.join(&room, "bob").await, now_ms());
    let ix = redis.cmd(&["HGET", &key, "ix"]);
    assert!(ix == period(before) || ix == period(after), "ix: {ix}");
    eventually(
        "the join pushed the room's index entries forward",
        || async { score(&redis) > pushed_from },
    )
    .await;

    // Within the same period, the next write leaves them where they are.
    let pushed_to = score(&redis);
    let (before, after) = (now_ms(), {
        a.send(json!({"type": "chat", "text": "gl"})).await;
        b.recv_type("chat").await;
        now_ms()
    });
    if period(before) == period(after) && period(after) == ix {
        assert_eq!(score(&redis), pushed_to, "no refresh within one period");
    }
    let ix = redis.cmd(&["HGET", &key, "ix"]);
    assert!(ix == period(before) || ix == period(after), "ix: {ix}");
}
