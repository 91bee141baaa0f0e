//! A failing Redis call reaches the log with its cause: the real binary, on a private
//! `redis-server` that dies while a command is waiting on it, logs the failure once per
//! operation with the whole chain of errors under it (fred's error kind and text), while
//! the client is told only `store_unavailable`.

mod common;

use common::node::{metric_sum, NodeProcess};
use common::{eventually, RedisServer};
use serde_json::Value;

/// The node's log lines (JSON) whose message is `message`.
fn logged(node: &NodeProcess, message: &str) -> Vec<Value> {
    std::fs::read_to_string(&node.log)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["fields"]["message"] == message)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_connection_is_logged_with_its_cause() {
    let redis = RedisServer::start();
    let args = ["--redis-timeout-ms", "5000", "--log-format", "json"];
    let node = NodeProcess::spawn(&redis.url(), &args).await;
    let mut c = node.client().await;
    let room = c.create("tictactoe", "alice").await.room;

    // Hold the read on Redis, then kill Redis under it: the command fails on the closed
    // connection (not by the timeout, which is well beyond the test's wait).
    assert_eq!(redis.cmd(&["CLIENT", "PAUSE", "4000", "ALL"]), "OK");
    let url = node.url(&format!("/api/v1/rooms/{room}"));
    let read = tokio::spawn(async move {
        let reply = crate::common::http().get(url).bearer_auth("t").send();
        let reply = reply.await.expect("admin request");
        (
            reply.status().as_u16(),
            reply.text().await.unwrap_or_default(),
        )
    });
    eventually("the read waits on the paused Redis", || async {
        metric_sum(
            &node.metrics().await,
            "parlor_redis_commands_in_flight",
            &[],
        ) >= 1.0
    })
    .await;
    redis.kill();
    let (status, body) = read.await.expect("request task");

    // The client learns that the store is unavailable, and nothing of why.
    assert_eq!(status, 503, "{body}");
    for private in ["IO Error", "Connection closed", "fred"] {
        assert!(!body.contains(private), "{private} in {body}");
    }
    // The log line carries the cause under "connection failed": fred's error, kind
    // included, not only the store's own summary.
    let failures = logged(&node, "store operation failed");
    let errors: Vec<&str> = failures
        .iter()
        .filter_map(|v| v["fields"]["error"].as_str())
        .collect();
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("store connection failed: IO Error: ")),
        "{errors:?}"
    );
    let read_failed = failures
        .iter()
        .filter(|v| v["fields"]["op"] == "load_room")
        .count();
    assert_eq!(read_failed, 1, "the failed read is logged once: {errors:?}");
}
