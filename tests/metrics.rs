//! Metrics under a real workload on Redis: every metric of the operations table is
//! exported, with a non-zero sample wherever the workload exercised it, and every panel
//! of the Grafana dashboard names a metric the server exports.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{eventually, test_config, RedisServer, TestServer};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

/// The value of the first sample of `name` whose labels contain every `labels` pair.
fn sample(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| l.starts_with(name) && l[name.len()..].starts_with(['{', ' ']))
        .filter(|l| labels.iter().all(|kv| l.contains(kv)))
        .find_map(|l| l.rsplit(' ').next()?.parse().ok())
}

async fn scrape(srv: &TestServer) -> String {
    crate::common::get(srv.url("/metrics"))
        .await
        .expect("scrape")
        .text()
        .await
        .expect("body")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workload_fills_every_metric_and_the_dashboard_matches() {
    let redis = RedisServer::start();
    let mut cfg = redis.configure(test_config());
    cfg.redis_timeout_ms = 300;
    cfg.node_id = Some("metrics-node".into());
    // A receiver that takes every webhook, so the delivery metrics have samples.
    let receiver = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let hook = format!("http://{}/hook", receiver.local_addr().expect("addr"));
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(|| async { axum::http::StatusCode::NO_CONTENT }),
    );
    tokio::spawn(async move { axum::serve(receiver, app).await });
    cfg.webhook_url = Some(hook);
    cfg.webhook_secret = Some("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into());
    let srv = TestServer::start(cfg).await;

    // A short game with chat, an error, a rejected frame.
    let mut a = srv.client().await;
    let mut b = srv.client().await;
    let sa = a.create("tictactoe", "alice").await;
    b.join(&sa.room, "bob").await;
    for (i, cell) in [0, 3, 1, 4, 2].into_iter().enumerate() {
        let mover = if i % 2 == 0 { &mut a } else { &mut b };
        mover.act(json!({"cell": cell})).await;
        a.recv_until(|v| v["type"] == "state" && v["action"]["cell"] == cell)
            .await;
    }
    a.send(json!({"type": "chat", "text": "gg"})).await;
    b.recv_type("chat").await;
    b.expect_error(
        json!({"type": "action", "action": {"cell": 8}}),
        "game_not_active",
    )
    .await;
    // The finished game reaches the receiver before Redis is disturbed below.
    eventually("the game's result is delivered", || async {
        sample(
            &scrape(&srv).await,
            "parlor_webhook_deliveries_total",
            &["event=\"game.finished\"", "outcome=\"delivered\""],
        )
        .is_some_and(|v| v >= 1.0)
    })
    .await;
    let mut bin = srv.client().await;
    bin.send_raw(Message::Binary(vec![0u8].into())).await;
    bin.expect_close().await;

    // A slow Redis: the pause outlasts the op timeout, so an op times out (and is counted).
    redis.cmd(&["CLIENT", "PAUSE", "1000", "ALL"]);
    let err = a.request(json!({"type": "chat", "text": "slow"})).await;
    assert_eq!(err["code"], "store_unavailable");
    // A Redis restart: the client reconnects by itself and counts it.
    redis.restart();
    eventually("ready again after the restart", || async {
        crate::common::get(srv.url("/readyz"))
            .await
            .is_ok_and(|r| r.status() == 200)
    })
    .await;
    // The restarted Redis came back empty: the node closed its rooms (`room_closed`,
    // `gone`). A new room makes this node's room gauge count again.
    let mut after = srv.client().await;
    after.create("tictactoe", "after").await;

    let text = scrape(&srv).await;
    let node = "node=\"metrics-node\"";
    let positive = [
        (
            "parlor_store_op_duration_seconds_count",
            vec!["op=\"update_room\"", "backend=\"redis\""],
        ),
        (
            "parlor_store_op_duration_seconds_count",
            vec!["op=\"create_room\""],
        ),
        (
            "parlor_store_op_errors_total",
            vec!["op=\"publish\"", "kind=\"timeout\""],
        ),
        ("parlor_redis_pool_size", vec![]),
        ("parlor_redis_pool_connected", vec![]),
        ("parlor_redis_reconnects_total", vec![]),
        ("parlor_ws_connections", vec![]),
        (
            "parlor_ws_messages_total",
            vec!["direction=\"in\"", "type=\"action\""],
        ),
        (
            "parlor_ws_messages_total",
            vec!["direction=\"out\"", "type=\"state\""],
        ),
        ("parlor_ws_rejected_total", vec!["reason=\"binary\""]),
        ("parlor_rooms_active", vec![]),
        (
            "parlor_game_actions_total",
            vec!["game=\"tictactoe\"", "result=\"ok\""],
        ),
        (
            "parlor_game_actions_total",
            vec!["result=\"game_not_active\""],
        ),
        (
            "parlor_action_duration_seconds_count",
            vec!["game=\"tictactoe\""],
        ),
        ("parlor_pubsub_messages_total", vec!["direction=\"out\""]),
        ("parlor_pubsub_messages_total", vec!["direction=\"in\""]),
        (
            "parlor_webhook_delivery_duration_seconds_count",
            vec!["event=\"game.finished\""],
        ),
        ("process_resident_memory_bytes", vec![]),
        ("process_threads", vec![]),
        ("process_cpu_seconds_total", vec![]),
        ("process_open_fds", vec![]),
    ];
    for (name, mut labels) in positive {
        labels.push(node);
        let v = sample(&text, name, &labels);
        assert!(
            v.is_some_and(|v| v > 0.0),
            "{name} {labels:?} should be > 0, got {v:?}"
        );
    }
    // Present even when idle at scrape time.
    assert!(sample(&text, "parlor_redis_commands_in_flight", &[node]).is_some());
    // Sub-millisecond buckets exist for Redis latency.
    assert!(
        text.contains("parlor_store_op_duration_seconds_bucket{") && text.contains("le=\"0.0001\"")
    );
    // No unbounded label values: neither the room code nor a player id appears.
    assert!(!text.contains(&sa.room), "room code leaked into metrics");
    assert!(
        !text.contains(&sa.player_id),
        "player id leaked into metrics"
    );
    assert!(
        !text.contains(sa.session.as_deref().expect("session")),
        "session leaked"
    );

    // Every metric a dashboard panel queries is exported.
    let file = std::env::temp_dir().join(format!("parlor-metrics-{}.txt", std::process::id()));
    std::fs::write(&file, &text).expect("write scrape");
    let out = Command::new("python3")
        .args([
            "scripts/dashboard_queries.py",
            "check",
            "grafana/dashboards/parlor.json",
        ])
        .arg(&file)
        .output()
        .expect("python3 runs the dashboard check");
    let _ = std::fs::remove_file(&file);
    assert!(
        out.status.success(),
        "dashboard names metrics the server does not export:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    tokio::time::sleep(Duration::from_millis(10)).await;
}

/// Histogram samples are folded into buckets by a thread of the server's own, not only
/// when `/metrics` is rendered: the exporter keeps each sample until it is drained, so a
/// node nobody scraped grew by every move's samples without bound (three per move).
#[tokio::test]
async fn histograms_are_drained_without_a_scrape() {
    // The recorder is installed once per process: the same node label as the other test.
    let mut cfg = test_config();
    cfg.node_id = Some("metrics-node".into());
    let srv = TestServer::start(cfg).await;
    // A new thread carries its parent's name until it has named itself.
    eventually("a thread named parlor-upkeep", || async {
        std::fs::read_dir("/proc/self/task")
            .expect("thread list")
            .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
            .any(|name| name.trim() == "parlor-upkeep")
    })
    .await;
    srv.stop().await;
}

/// Every result of players' tokens is exported from the start, so a dashboard's rate of
/// refused tokens reads 0 on a node that has refused none, instead of no data.
#[tokio::test]
async fn every_auth_result_is_exported_from_the_start() {
    let mut cfg = test_config();
    cfg.node_id = Some("metrics-node".into());
    let srv = TestServer::start(cfg).await;
    let text = scrape(&srv).await;
    for result in [
        "ok",
        "refreshed",
        "invalid",
        "expired",
        "revoked",
        "missing",
    ] {
        let label = format!("result=\"{result}\"");
        assert!(
            sample(&text, "parlor_auth_total", &[&label]).is_some(),
            "parlor_auth_total{{{label}}} missing"
        );
    }
    srv.stop().await;
}
