//! Writes whose outcome is unknown: Redis holds writes back
//! (`CLIENT PAUSE … WRITE`) past the operation timeout, then runs them. A join is either
//! completed for the client or undone; a retried spectator leave counts down once.

mod common;

use common::redis::resp_cmd;
use common::{eventually, test_config, Client, RedisServer, TestServer};
use serde_json::{json, Value};

async fn server(redis: &RedisServer) -> TestServer {
    let mut cfg = redis.configure(test_config());
    cfg.redis_timeout_ms = 300;
    cfg.rate_limit_per_sec = 0;
    TestServer::start(cfg).await
}

fn stored(redis: &RedisServer, code: &str) -> Value {
    let key = format!("parlor:room:{{{code}}}");
    resp_cmd(redis.port, &["HGET", &key, "doc"])
        .and_then(|d| serde_json::from_str(&d).ok())
        .unwrap_or(Value::Null)
}

async fn join(c: &mut Client, room: &str, spectate: bool) -> Value {
    c.request(json!({"type": "join_room", "room": room, "name": "bob", "spectate": spectate}))
        .await
}

/// Redis holds the join's write past the op timeout, then runs it while the node retries.
/// The node neither reports an applied join as failed nor seats Bob twice: it recognises
/// its own write when it re-reads the room, and Bob is seated and told so, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_join_held_past_its_timeout_completes_for_the_client() {
    let redis = RedisServer::start();
    let srv = server(&redis).await;
    let mut a = srv.client().await;
    let sa = a.create("tictactoe", "alice").await;
    let mut b = srv.client().await;

    assert_eq!(redis.cmd(&["CLIENT", "PAUSE", "450", "WRITE"]), "OK");
    let reply = join(&mut b, &sa.room, false).await;
    assert_eq!(
        reply["type"], "joined",
        "the applied join is reported: {reply}"
    );
    let doc = stored(&redis, &sa.room);
    assert_eq!(doc["players"].as_array().map(Vec::len), Some(2), "{doc}");
    assert_eq!(doc["players"][1]["player_id"], reply["you"]["player_id"]);
    a.act(json!({"cell": 4})).await;
    assert_eq!(b.next_state().await["state"]["board"][4], 0);
}

/// Redis holds the join's writes longer than the node retries; the client is told the
/// store is unavailable. Whatever Redis then does with the held writes, no seat is left
/// behind: no ghost player, and the room does not start a game against nobody. (This one
/// held before too: fred drops a command that timed out while Redis was paused, so the
/// undo finds nothing to give up and only fences the room's version.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_join_that_failed_with_an_unknown_outcome_leaves_no_ghost() {
    let redis = RedisServer::start();
    let srv = server(&redis).await;
    let mut a = srv.client().await;
    let sa = a.create("tictactoe", "alice").await;
    let mut b = srv.client().await;

    assert_eq!(redis.cmd(&["CLIENT", "PAUSE", "60000", "WRITE"]), "OK");
    let reply = join(&mut b, &sa.room, false).await;
    assert_eq!(reply["code"], "store_unavailable", "{reply}");
    assert_eq!(redis.cmd(&["CLIENT", "UNPAUSE"]), "OK");

    eventually("the held join is undone", || async {
        let doc = stored(&redis, &sa.room);
        doc["players"].as_array().map(Vec::len) == Some(1) && doc["status"] == "waiting"
    })
    .await;
    let doc = stored(&redis, &sa.room);
    assert_eq!(
        doc["players"][0]["player_id"],
        sa.player_id.as_str(),
        "{doc}"
    );
    // Alice is still in her room and it is still open for a real opponent.
    let mut c = srv.client().await;
    c.join(&sa.room, "carol").await;
    assert_eq!(stored(&redis, &sa.room)["status"], "playing");
}

/// A spectator's leave held past its timeout is not counted twice: the node recognises
/// its own write when it re-reads the room, and the client is told it left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spectator_leave_held_past_its_timeout_counts_down_once() {
    let redis = RedisServer::start();
    let srv = server(&redis).await;
    let mut a = srv.client().await;
    let sa = a.create("tictactoe", "alice").await;
    let mut s1 = srv.client().await;
    let mut s2 = srv.client().await;
    assert_eq!(join(&mut s1, &sa.room, true).await["type"], "joined");
    assert_eq!(join(&mut s2, &sa.room, true).await["type"], "joined");
    assert_eq!(stored(&redis, &sa.room)["spectators"], 2);

    assert_eq!(redis.cmd(&["CLIENT", "PAUSE", "450", "WRITE"]), "OK");
    let mut left = s1.request(json!({"type": "leave_room"})).await;
    if left["type"] == "error" {
        // What a client does with `store_unavailable`: try again.
        left = s1.request(json!({"type": "leave_room"})).await;
    }
    assert_eq!(left["type"], "left", "{left}");
    assert_eq!(stored(&redis, &sa.room)["spectators"], 1);
}

/// The room write applies but the index write after it fails (here: the index keys hold
/// the wrong type, so Redis refuses them). Before, the client got an error while its
/// seat stayed in Redis, held by nobody; now an applied write is reported as applied and
/// the index is left to be repaired later.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_index_write_does_not_turn_an_applied_write_into_an_error() {
    let redis = RedisServer::start();
    let srv = server(&redis).await;
    assert_eq!(
        redis.cmd(&["SET", "parlor:rooms", "not a sorted set"]),
        "OK"
    );
    assert_eq!(
        redis.cmd(&["SET", "parlor:open:tictactoe", "nor this"]),
        "OK"
    );
    let mut a = srv.client().await;
    let created = a
        .request(json!({"type": "create_room", "game": "tictactoe", "name": "alice"}))
        .await;
    assert_eq!(created["type"], "joined", "{created}");
    let room = created["room"].as_str().expect("room").to_string();
    let mut b = srv.client().await;
    let joined = join(&mut b, &room, false).await;
    assert_eq!(joined["type"], "joined", "{joined}");
    let doc = stored(&redis, &room);
    assert_eq!(doc["status"], "playing", "{doc}");
    assert_eq!(doc["players"][1]["player_id"], joined["you"]["player_id"]);
}

/// A node started before its Redis, which then arrives within the connect deadline:
/// once `/readyz` says 200, the very next `create_room` succeeds (every pooled connection
/// and the subscriber are up, not only the first). Three nodes in a row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_means_the_first_request_succeeds() {
    for _ in 0..3 {
        let port = common::free_port();
        let web = common::free_port();
        let mut node = std::process::Command::new(env!("CARGO_BIN_EXE_parlor"))
            .args(["--listen", &format!("127.0.0.1:{web}")])
            .args(["--redis-url", &format!("redis://127.0.0.1:{port}")])
            .args([
                "--redis-pool-size",
                "8",
                "--redis-connect-deadline-ms",
                "30000",
            ])
            .args(["--admin-token", "t"])
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn parlor");
        // Wait until it has tried and failed at least once, then let Redis arrive.
        let out = node.stdout.take().expect("stdout");
        tokio::task::spawn_blocking(move || {
            use std::io::BufRead;
            let mut lines = std::io::BufReader::new(out).lines();
            while let Some(Ok(line)) = lines.next() {
                if line.contains("Redis not reachable yet") {
                    break;
                }
            }
            std::thread::spawn(move || lines.for_each(drop));
        })
        .await
        .expect("node log");
        let _redis = RedisServer::start_on(port);
        let ready = format!("http://127.0.0.1:{web}/readyz");
        eventually("/readyz answers 200", || {
            let ready = ready.clone();
            async move {
                crate::common::get(&ready)
                    .await
                    .is_ok_and(|r| r.status() == 200)
            }
        })
        .await;
        let mut c = Client::connect(&format!("ws://127.0.0.1:{web}/ws")).await;
        let reply = c
            .request(json!({"type": "create_room", "game": "tictactoe", "name": "first"}))
            .await;
        let _ = node.kill();
        let _ = node.wait();
        assert_eq!(
            reply["type"], "joined",
            "the first request after ready: {reply}"
        );
    }
}

/// Wait (up to 5 s) until `member` has been sent an event at `version`, reading its
/// queue as events arrive.
async fn wait_for_version(member: &mut parlor::hub::OutboxRx, version: u64) {
    let wait = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        while let Some(parlor::hub::Outbound::Event(e)) = member.recv().await {
            if e.version == Some(version) {
                return;
            }
        }
    });
    wait.await
        .unwrap_or_else(|_| panic!("no event at version {version} reached the member"));
}

/// A move of a room whose members are all on one node is delivered by that node, not
/// published. If the request is abandoned once its script is on its way (here: dropped
/// right after it was sent), the move still applies in Redis, and its members must still
/// get it: the room records the change as delivered by its writer, and the writer, having
/// lost the reply, looks for it and delivers it.
///
/// One thread on purpose: fred's connection task cannot run, and the reply cannot arrive,
/// between the request's first poll and its drop (with two, a busy machine could let the
/// whole move finish inside that poll).
#[tokio::test(flavor = "current_thread")]
async fn a_local_move_whose_request_was_abandoned_still_reaches_the_members() {
    use std::sync::Arc;
    use std::time::Instant;

    use parlor::game::GameKind;
    use parlor::hub::Hub;
    use parlor::room::{ConnHandle, Rooms};
    use parlor::store::redis::RedisStore;

    let redis = RedisServer::start();
    let cfg = redis.configure(test_config());
    let hub = Hub::new();
    let store = RedisStore::connect(&cfg, &redis.url(), hub.clone())
        .await
        .expect("connects");
    let rooms = Rooms::new(Arc::new(store), hub, cfg.room_ttl()).with_node(Arc::from("node-x"));
    let conn = |id| {
        let (tx, rx) = parlor::hub::outbox(64);
        (ConnHandle { id, tx, user: None }, rx)
    };
    let (alice, mut alice_rx) = conn(1);
    let (bob, mut bob_rx) = conn(2);
    let a = rooms
        .create(&alice, GameKind::Tictactoe, "alice".into(), false)
        .await
        .expect("create");
    let code = a.membership.code.to_string();
    let b = rooms
        .join(&bob, &code, "bob".into(), false)
        .await
        .expect("join");
    // The join went out over pub/sub (nothing was delivered here before it); once it is
    // back, moves are this node's to deliver.
    wait_for_version(&mut alice_rx, 2).await;
    rooms
        .act(&a.membership, json!({"cell": 4}), None, Instant::now())
        .await
        .expect("a move");
    wait_for_version(&mut alice_rx, 3).await;
    wait_for_version(&mut bob_rx, 3).await;
    let before = redis.command_calls("spublish");

    // Bob's move: polled until its script is sent, then abandoned.
    let mut request = Box::pin(rooms.act(&b.membership, json!({"cell": 0}), None, Instant::now()));
    assert!(
        futures_util::poll!(&mut request).is_pending(),
        "waits for Redis"
    );
    drop(request);
    wait_for_version(&mut alice_rx, 4).await;
    wait_for_version(&mut bob_rx, 4).await;
    assert_eq!(stored(&redis, &code)["version"], 4);
    assert_eq!(
        redis.command_calls("spublish"),
        before,
        "it was not published"
    );
}
