//! Results webhooks, the delivery side: a real receiver on a loopback port answering a
//! scripted sequence of statuses, real `redis-server`s, events recorded with the store's
//! outbox, and signatures checked with the Standard Webhooks reference library (Python).

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::receiver::{verified_by_the_reference_library, with_webhooks, Received, Receiver};
use common::{eventually, test_config, Backend, RedisServer, TestServer};
use parlor::hub::Hub;
use parlor::store::memory::MemoryStore;
use parlor::store::outbox::{Outbox, OutboxEvent};
use parlor::store::redis::RedisStore;
use parlor::store::RoomStore;
use parlor::Config;
use tokio_util::sync::CancellationToken;

fn event(id: &str, kind: &'static str) -> OutboxEvent {
    OutboxEvent {
        id: id.to_string(),
        kind,
        head: format!(
            r#"{{"type":"{kind}","timestamp":"2026-01-01T00:00:00Z","data":{{"room":"K7QXHM","moves":["#
        ),
        tail: "]}}".to_string(),
        with_moves: true,
        created_ms: parlor_now_ms(),
    }
}

fn parlor_now_ms() -> i64 {
    parlor::store::now_ms()
}

/// Settings with webhooks to `receiver`, the back-off scaled by `scale`.
fn webhook_config(receiver: &Receiver, scale: f64) -> Config {
    with_webhooks(test_config(), receiver, scale)
}

/// A second handle on the Redis a test server uses, to record events as the room
/// writes of any node would.
async fn outbox_on(redis: &RedisServer, cfg: &Config) -> (RedisStore, Arc<dyn Outbox>) {
    let cfg = redis.configure(cfg.clone());
    let store = RedisStore::connect(&cfg, &redis.url(), Hub::new())
        .await
        .unwrap();
    let outbox = store.outbox().expect("the Redis store keeps an outbox");
    (store, outbox)
}

async fn webhook_server(cfg: Config) -> (TestServer, RedisStore, Arc<dyn Outbox>) {
    let server = TestServer::with_backend(Backend::Redis, cfg.clone()).await;
    let redis = server.redis.clone().unwrap();
    let (store, outbox) = outbox_on(&redis, &cfg).await;
    (server, store, outbox)
}

async fn admin_post(server: &TestServer, path: &str) -> u16 {
    crate::common::http()
        .post(server.url(path))
        .bearer_auth(&server.token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn pending_and_dead(server: &TestServer) -> (u64, u64) {
    let (status, body) = server.admin_get("/api/v1/webhooks").await;
    assert_eq!(status, 200);
    (
        body["pending"].as_u64().unwrap(),
        body["dead"].as_u64().unwrap(),
    )
}

#[tokio::test]
async fn delivered_on_2xx_signed_with_the_same_id_on_every_retry() {
    let receiver = Receiver::start(&[(500, None), (502, None)], 204).await;
    let (server, _store, outbox) = webhook_server(webhook_config(&receiver, 0.01)).await;
    let ev = event("evt_signed", "game.finished");
    outbox.enqueue(&ev).await.unwrap();
    let got = receiver.wait_for(3).await;
    for r in &got {
        assert_eq!(r.id, "evt_signed", "one webhook-id for every attempt");
        assert_eq!(r.content_type, "application/json");
        assert_eq!(r.body, ev.body(&[]));
        assert!(
            verified_by_the_reference_library(r).await,
            "signature of {r:?}"
        );
    }
    let tampered = Received {
        body: r#"{"forged":true}"#.to_string(),
        ..got[0].clone()
    };
    assert!(!verified_by_the_reference_library(&tampered).await);
    eventually("nothing pending, nothing dead", || async {
        pending_and_dead(&server).await == (0, 0)
    })
    .await;
    assert_eq!(receiver.received().len(), 3, "no attempt after the 204");
    let (_, stats) = server.admin_get("/api/v1/webhooks").await;
    assert!(stats["oldest_pending_age_s"].is_null());
}

#[tokio::test]
async fn retries_are_spaced_by_the_schedule() {
    let receiver = Receiver::start(&[], 500).await;
    let mut cfg = webhook_config(&receiver, 0.05);
    cfg.webhook_max_attempts = 4;
    let (server, _store, outbox) = webhook_server(cfg).await;
    outbox
        .enqueue(&event("evt_spacing", "room.closed"))
        .await
        .unwrap();
    let got = receiver.wait_for(4).await;
    // 1, 5 and 30 units of 50 ms, each at least 80 % of that (the jitter), less a
    // millisecond of clock rounding.
    for (i, units) in [1.0, 5.0, 30.0].into_iter().enumerate() {
        let gap = got[i + 1].at - got[i].at;
        let least = Duration::from_secs_f64(0.05 * units * 0.8) - Duration::from_millis(2);
        assert!(gap >= least, "gap {i}: {gap:?} < {least:?}");
    }
    eventually("dead after the last attempt", || async {
        pending_and_dead(&server).await == (0, 1)
    })
    .await;
}

#[tokio::test]
async fn retry_after_on_429_is_honoured() {
    let receiver = Receiver::start(&[(429, Some(1))], 204).await;
    // A back-off unit of 1 ms: only the Retry-After can make the wait a second long.
    let (server, _store, outbox) = webhook_server(webhook_config(&receiver, 0.001)).await;
    outbox
        .enqueue(&event("evt_429", "room.closed"))
        .await
        .unwrap();
    let got = receiver.wait_for(2).await;
    let gap = got[1].at - got[0].at;
    assert!(gap >= Duration::from_millis(990), "waited {gap:?}");
    eventually("delivered", || async {
        pending_and_dead(&server).await == (0, 0)
    })
    .await;
}

#[tokio::test]
async fn gone_is_dead_at_once_then_retried_and_deleted_over_the_api() {
    let receiver = Receiver::start(&[], 410).await;
    let (server, _store, outbox) = webhook_server(webhook_config(&receiver, 0.001)).await;
    let ev = event("evt_gone", "game.finished");
    outbox.enqueue(&ev).await.unwrap();
    eventually("dead", || async {
        pending_and_dead(&server).await == (0, 1)
    })
    .await;
    let (status, dead) = server.admin_get("/api/v1/webhooks/dead?limit=10").await;
    assert_eq!(status, 200);
    let letter = &dead["events"][0];
    assert_eq!(letter["id"], "evt_gone");
    assert_eq!(letter["type"], "game.finished");
    assert_eq!(letter["attempts"], 1, "410 stops at once");
    assert_eq!(letter["last_error"], "HTTP 410");
    assert!(letter["last_attempt_at"].as_str().unwrap().ends_with('Z'));
    let body: serde_json::Value = serde_json::from_str(&ev.body(&[])).unwrap();
    assert_eq!(letter["event"], body);
    assert_eq!(receiver.received().len(), 1);

    // Retried over the API: back to pending, attempts from zero, delivered.
    receiver.answer_from_now(200);
    assert_eq!(
        admin_post(&server, "/api/v1/webhooks/dead/evt_gone/retry").await,
        202
    );
    let got = receiver.wait_for(2).await;
    assert_eq!(got[1].id, "evt_gone");
    eventually("delivered after the retry", || async {
        pending_and_dead(&server).await == (0, 0)
    })
    .await;
    assert_eq!(
        admin_post(&server, "/api/v1/webhooks/dead/evt_gone/retry").await,
        404
    );

    // Deleted over the API.
    receiver.answer_from_now(410);
    outbox
        .enqueue(&event("evt_deleted", "room.closed"))
        .await
        .unwrap();
    eventually("the second one dead", || async {
        pending_and_dead(&server).await == (0, 1)
    })
    .await;
    assert_eq!(
        server
            .admin_delete("/api/v1/webhooks/dead/evt_deleted")
            .await,
        204
    );
    assert_eq!(
        server
            .admin_delete("/api/v1/webhooks/dead/evt_deleted")
            .await,
        404
    );
    let (status, body) = server.admin_get("/api/v1/webhooks/dead").await;
    assert_eq!((status, body["events"].as_array().unwrap().len()), (200, 0));
    let (status, body) = server.admin_get("/api/v1/webhooks/dead?limit=1001").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("bad_request"))
    );
}

#[tokio::test]
async fn an_event_out_of_attempts_goes_to_the_dead_letters() {
    let receiver = Receiver::start(&[], 503).await;
    let mut cfg = webhook_config(&receiver, 0.001);
    cfg.webhook_max_attempts = 3;
    let (server, _store, outbox) = webhook_server(cfg).await;
    outbox
        .enqueue(&event("evt_tired", "room.closed"))
        .await
        .unwrap();
    eventually("dead", || async {
        pending_and_dead(&server).await == (0, 1)
    })
    .await;
    let (_, dead) = server.admin_get("/api/v1/webhooks/dead").await;
    assert_eq!(dead["events"][0]["attempts"], 3);
    assert_eq!(dead["events"][0]["last_error"], "HTTP 503");
    assert_eq!(receiver.received().len(), 3, "exactly the attempts allowed");
}

#[tokio::test]
async fn a_dead_consumers_claim_is_taken_over_after_the_claim_timeout() {
    let receiver = Receiver::start(&[], 204).await;
    let redis = RedisServer::start();
    let cfg = webhook_config(&receiver, 0.01);
    let (_store, outbox) = outbox_on(&redis, &cfg).await;
    outbox
        .enqueue(&event("evt_orphan", "game.finished"))
        .await
        .unwrap();
    // Consumer A claims it and dies without a word.
    let claimed = outbox.claim("A", 16).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert!(
        outbox.claim("C", 16).await.unwrap().is_empty(),
        "a fresh claim is not taken from its consumer"
    );
    let taken_at = Instant::now();
    let worker = parlor::webhook::start(&cfg, Some(outbox.clone()), "B")
        .unwrap()
        .unwrap();
    let stop = CancellationToken::new();
    let task = worker.spawn(stop.clone());
    let got = receiver.wait_for(1).await;
    assert_eq!(got[0].id, "evt_orphan");
    // The claim timeout is twice the 500 ms attempt limit.
    assert!(got[0].at - taken_at >= Duration::from_millis(900));
    eventually("nothing pending", || async {
        outbox.stats().await.unwrap().pending == 0
    })
    .await;
    stop.cancel();
    task.await.unwrap();
}

#[tokio::test]
async fn a_clean_shutdown_hands_back_what_it_claimed() {
    let redis = RedisServer::start();
    let receiver = Receiver::start(&[], 204).await;
    let cfg = webhook_config(&receiver, 0.01);
    let (_store, outbox) = outbox_on(&redis, &cfg).await;
    outbox
        .enqueue(&event("evt_back", "room.closed"))
        .await
        .unwrap();
    assert_eq!(outbox.claim("leaving", 16).await.unwrap().len(), 1);
    outbox.hand_back("leaving").await.unwrap();
    let again = outbox.claim("staying", 16).await.unwrap();
    assert_eq!(again.len(), 1, "handed back: claimable at once");
    assert_eq!((again[0].id.as_str(), again[0].attempts), ("evt_back", 0));
}

#[tokio::test]
async fn a_claim_makes_the_group_again_when_redis_lost_it() {
    let redis = RedisServer::start();
    let receiver = Receiver::start(&[], 204).await;
    let cfg = webhook_config(&receiver, 0.01);
    let (_store, outbox) = outbox_on(&redis, &cfg).await;
    // The first claim's read makes the group; Redis then loses it with everything else,
    // and the next claim's read finds it missing.
    assert!(outbox.claim("n1", 16).await.unwrap().is_empty());
    redis.cmd(&["FLUSHALL"]);
    outbox
        .enqueue(&event("evt_after_flush", "room.closed"))
        .await
        .unwrap();
    let claimed = outbox.claim("n1", 16).await.unwrap();
    assert_eq!(claimed.len(), 1, "read through a group made again at 0");
    assert_eq!(claimed[0].id, "evt_after_flush");
    assert!(claimed[0].body.contains(r#""room":"K7QXHM""#));
}

#[tokio::test]
async fn a_redis_restart_with_aof_loses_no_event() {
    let receiver = Receiver::start(&[], 204).await;
    let redis = Arc::new(RedisServer::start_with_aof());
    let cfg = webhook_config(&receiver, 0.01);
    {
        let (store, outbox) = outbox_on(&redis, &cfg).await;
        outbox
            .enqueue(&event("evt_aof_1", "game.finished"))
            .await
            .unwrap();
        outbox
            .enqueue(&event("evt_aof_2", "room.closed"))
            .await
            .unwrap();
        // One of them claimed by a node that dies with Redis.
        assert_eq!(outbox.claim("doomed", 1).await.unwrap().len(), 1);
        store.close().await;
    }
    redis.restart();
    let server = TestServer::start(redis.configure(cfg)).await;
    let got = receiver.wait_for(2).await;
    let mut ids: Vec<_> = got.iter().map(|r| r.id.clone()).collect();
    ids.sort();
    assert_eq!(ids, ["evt_aof_1", "evt_aof_2"]);
    eventually("nothing pending", || async {
        pending_and_dead(&server).await == (0, 0)
    })
    .await;
}

#[tokio::test]
async fn the_memory_store_delivers_too() {
    let receiver = Receiver::start(&[(500, None)], 204).await;
    let cfg = webhook_config(&receiver, 0.01);
    let store = MemoryStore::new(Duration::from_secs(60), Hub::new());
    let outbox = store.outbox().expect("the memory store keeps an outbox");
    let ev = event("evt_memory", "game.finished");
    outbox.enqueue(&ev).await.unwrap();
    let worker = parlor::webhook::start(&cfg, Some(outbox.clone()), "solo")
        .unwrap()
        .unwrap();
    let stop = CancellationToken::new();
    let task = worker.spawn(stop.clone());
    let got = receiver.wait_for(2).await;
    assert!(got
        .iter()
        .all(|r| r.id == "evt_memory" && r.body == ev.body(&[])));
    assert!(verified_by_the_reference_library(&got[1]).await);
    eventually("nothing pending", || async {
        outbox.stats().await.unwrap() == Default::default()
    })
    .await;
    stop.cancel();
    task.await.unwrap();
}

/// The outbox's figures on both stores: every event not yet delivered nor dead is
/// pending (waiting, claimed, or parked for a retry), and the oldest pending one is
/// found wherever it sits, a retried event behind newer ones included.
#[tokio::test]
async fn the_figures_count_every_pending_event_and_find_the_oldest() {
    let redis = RedisServer::start();
    let receiver = Receiver::start(&[], 204).await;
    let cfg = webhook_config(&receiver, 0.01);
    let (_store, on_redis) = outbox_on(&redis, &cfg).await;
    let in_memory = MemoryStore::new(Duration::from_secs(60), Hub::new())
        .outbox()
        .expect("the memory store keeps an outbox");
    for outbox in [on_redis, in_memory] {
        let now = parlor_now_ms();
        let mut old = event("evt_old", "game.finished");
        old.created_ms = now - 60_000;
        let mut new = event("evt_new", "room.closed");
        new.created_ms = now - 1_000;
        outbox.enqueue(&old).await.unwrap();
        outbox.enqueue(&new).await.unwrap();
        let stats = outbox.stats().await.unwrap();
        assert_eq!((stats.pending, stats.dead), (2, 0));
        assert_eq!(stats.oldest_pending_ms, Some(now - 60_000));

        // The old one fails and is parked; the new one stays claimed.
        let claimed = outbox.claim("A", 16).await.unwrap();
        assert_eq!(claimed.len(), 2);
        let (old_claim, new_claim) = match claimed[0].id.as_str() {
            "evt_old" => (&claimed[0], &claimed[1]),
            _ => (&claimed[1], &claimed[0]),
        };
        outbox.retry_at(old_claim, now - 1, "503").await.unwrap();
        let stats = outbox.stats().await.unwrap();
        assert_eq!(
            (stats.pending, stats.oldest_pending_ms),
            (2, Some(now - 60_000))
        );

        // Delivered: the parked one is still pending, and still the oldest once it is
        // back in line behind newer events.
        outbox
            .delivered(std::slice::from_ref(new_claim))
            .await
            .unwrap();
        let mut newer = event("evt_newer", "room.closed");
        newer.created_ms = now;
        outbox.enqueue(&newer).await.unwrap();
        let retried: Vec<_> = outbox.claim("A", 16).await.unwrap();
        assert_eq!(retried.len(), 2, "the due retry and the newer event");
        let stats = outbox.stats().await.unwrap();
        assert_eq!(
            (stats.pending, stats.oldest_pending_ms),
            (2, Some(now - 60_000))
        );

        // The retried one delivered at last, the newer one dead: nothing pending.
        let (again, newer_claim): (Vec<_>, Vec<_>) =
            retried.into_iter().partition(|c| c.id == "evt_old");
        assert_eq!(again[0].attempts, 1);
        outbox.delivered(&again).await.unwrap();
        let stats = outbox.stats().await.unwrap();
        assert_eq!((stats.pending, stats.oldest_pending_ms), (1, Some(now)));
        outbox.bury(&newer_claim[0], "410").await.unwrap();
        let stats = outbox.stats().await.unwrap();
        assert_eq!(
            (stats.pending, stats.dead, stats.oldest_pending_ms),
            (0, 1, None)
        );
    }
}
