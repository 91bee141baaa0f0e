//! A soak of the results webhooks under faults: three `parlor` processes on one Redis with
//! AOF (`appendfsync always`), pairs of players playing tictactoe without pause (moves,
//! rematches by both seats), and a receiver recording every webhook. Meanwhile the soak
//! kills a node with SIGKILL, stops one with SIGTERM (each started again), kills Redis
//! with SIGKILL and restarts it from its AOF on the same port, and takes the receiver
//! down for a few seconds. Players whose node goes reconnect to another and `resume`.
//!
//! Then, once every game at hand is played out and the outbox is empty, it checks:
//! - each room's `game.finished` events are exactly the games the room finished (from
//!   its stored state over REST): no gap, nothing extra, each game under one
//!   `webhook-id` (duplicates only with the same id and body), each body a legal game
//!   that replays to the final state it reports;
//! - every socket was shown versions in increasing order, and a resume never showed a
//!   room older than what its player had seen;
//! - no room is stuck: every game in progress at the end was finished, and both seats'
//!   rematch then starts a new one.
//!
//! It takes about a minute. `PARLOR_SOAK_SECS=600 cargo test --all-features --test
//! soak_results -- --nocapture` plays for longer, the faults coming round again and again.

mod common;
mod soak;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::node::NodeProcess;
use common::RedisServer;
use soak::checks::{check, Truth};
use soak::player::Player;
use soak::receiver::Receiver;
use soak::shared::{Nodes, Shared};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const NODES: usize = 3;
const PAIRS: usize = 4;
/// Play this long by default (seconds); one round of every fault fits in it.
const DEFAULT_SECS: u64 = 40;
/// Calm between two faults.
const CALM: Duration = Duration::from_secs(4);
/// How long a fault lasts (a node or Redis down, the receiver away).
const OUTAGE: Duration = Duration::from_secs(2);
const RECEIVER_OUTAGE: Duration = Duration::from_secs(4);
/// Time one round of faults takes, restarts included (roughly).
const ROUND: Duration = Duration::from_secs(28);

/// What was done to the system.
#[derive(Debug, Default)]
struct Faults {
    node_kills: u32,
    node_terms: u32,
    redis_kills: u32,
    receiver_outages: u32,
}

/// Redis, the nodes, the receiver: what the soak starts, breaks and restarts.
struct Rig {
    redis: RedisServer,
    receiver: Receiver,
    nodes: Vec<Option<NodeProcess>>,
    started: Vec<u32>,
    shared: Arc<Shared>,
    faults: Faults,
}

impl Rig {
    async fn start() -> Rig {
        let redis = RedisServer::start_with_aof();
        let receiver = Receiver::start().await;
        let mut rig = Rig {
            redis,
            receiver,
            nodes: (0..NODES).map(|_| None).collect(),
            started: vec![0; NODES],
            shared: Shared::new(Nodes::new(NODES)),
            faults: Faults::default(),
        };
        for slot in 0..NODES {
            rig.spawn(slot).await;
        }
        rig
    }

    /// Start node `slot` (again): a fresh process with a node id of its own.
    async fn spawn(&mut self, slot: usize) {
        self.started[slot] += 1;
        let id = format!("soak-{slot}-{}", self.started[slot]);
        let url = self.receiver.url();
        let args = [
            "--node-id",
            &id,
            "--redis-timeout-ms",
            "1000",
            "--shutdown-grace-ms",
            "2000",
            "--webhook-url",
            &url,
            "--webhook-secret",
            SECRET,
            "--webhook-backoff-scale",
            "0.02",
            "--webhook-timeout-ms",
            "1000",
        ];
        let node = NodeProcess::spawn(&self.redis.url(), &args).await;
        self.shared.nodes.set(slot, Some(node.port));
        self.nodes[slot] = Some(node);
    }

    async fn kill_node(&mut self, slot: usize) {
        self.shared.nodes.set(slot, None);
        if let Some(mut node) = self.nodes[slot].take() {
            tokio::task::block_in_place(|| node.kill());
        }
        self.faults.node_kills += 1;
        tokio::time::sleep(OUTAGE).await;
        self.spawn(slot).await;
    }

    async fn term_node(&mut self, slot: usize) {
        self.shared.nodes.set(slot, None);
        if let Some(mut node) = self.nodes[slot].take() {
            let status = tokio::task::spawn_blocking(move || node.terminate())
                .await
                .unwrap();
            assert!(
                status.is_some_and(|s| s.success()),
                "a node stopped with SIGTERM exits 0: {status:?}"
            );
        }
        self.faults.node_terms += 1;
        tokio::time::sleep(OUTAGE / 2).await;
        self.spawn(slot).await;
    }

    async fn kill_redis(&mut self) {
        // Killing and starting a process block on it: off the async workers.
        tokio::task::block_in_place(|| self.redis.kill());
        self.faults.redis_kills += 1;
        tokio::time::sleep(OUTAGE).await;
        tokio::task::block_in_place(|| self.redis.restart());
    }

    async fn receiver_outage(&mut self) {
        self.receiver.down();
        self.faults.receiver_outages += 1;
        tokio::time::sleep(RECEIVER_OUTAGE).await;
        self.receiver.up().await;
    }

    /// One round of every fault, each after a calm spell; `round` picks the nodes.
    async fn round(&mut self, round: usize) {
        tokio::time::sleep(CALM).await;
        self.kill_node(round % NODES).await;
        tokio::time::sleep(CALM).await;
        self.term_node((round + 1) % NODES).await;
        tokio::time::sleep(CALM).await;
        self.kill_redis().await;
        tokio::time::sleep(CALM).await;
        self.receiver_outage().await;
    }

    fn any_node(&self) -> &NodeProcess {
        self.nodes.iter().flatten().next().expect("a node is up")
    }

    async fn admin_get(&self, path: &str) -> serde_json::Value {
        let resp = crate::common::http()
            .get(self.any_node().url(path))
            .bearer_auth("t")
            .send()
            .await
            .expect("admin request");
        assert_eq!(resp.status(), 200, "GET {path}");
        resp.json().await.expect("JSON body")
    }

    /// Wait until no webhook event is pending; then none may be dead.
    async fn outbox_drained(&self) {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let figures = self.admin_get("/api/v1/webhooks").await;
            if figures["pending"] == 0 {
                assert_eq!(
                    figures["dead"], 0,
                    "no event ran out of attempts: {figures}"
                );
                return;
            }
            assert!(
                Instant::now() < deadline,
                "webhook events still pending: {figures}"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    async fn truth(&self, code: &str) -> Truth {
        let snapshot = self.admin_get(&format!("/api/v1/rooms/{code}")).await;
        let history = self
            .admin_get(&format!("/api/v1/rooms/{code}/history"))
            .await;
        Truth {
            code: code.to_string(),
            game_number: history["game_number"].as_u64().expect("game_number"),
            status: history["status"].as_str().expect("status").to_string(),
            moves: history["moves"].as_array().cloned().unwrap_or_default(),
            snapshot,
        }
    }
}

fn soak_secs() -> u64 {
    std::env::var("PARLOR_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SECS)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_are_reported_once_per_game_through_faults() {
    let play_for = Duration::from_secs(soak_secs());
    let mut rig = Rig::start().await;
    let shared = rig.shared.clone();

    let mut pairs = Vec::new();
    for k in 0..PAIRS {
        let seed = k as u64 * 2;
        let a = Player::create(&shared, k % NODES, &format!("a{k}"), seed).await;
        let b = Player::join(
            &shared,
            (k + 1) % NODES,
            &format!("b{k}"),
            seed + 1,
            &a.room,
        )
        .await;
        pairs.push((a, b));
    }
    let rooms: Vec<String> = pairs.iter().map(|(a, _)| a.room.clone()).collect();
    let tasks: Vec<_> = pairs
        .into_iter()
        .map(|(a, b)| {
            let (sa, sb) = (shared.clone(), shared.clone());
            (tokio::spawn(a.run(sa)), tokio::spawn(b.run(sb)))
        })
        .collect();

    let began = Instant::now();
    let mut round = 0;
    while round == 0 || began.elapsed() + ROUND + CALM < play_for {
        rig.round(round).await;
        round += 1;
    }
    if let Some(rest) = play_for.checked_sub(began.elapsed()) {
        tokio::time::sleep(rest).await;
    }
    shared.stop.cancel();

    let mut pairs = Vec::new();
    for (a, b) in tasks {
        pairs.push((a.await.unwrap(), b.await.unwrap()));
    }
    let violations = shared.violations();
    assert!(
        violations.is_empty(),
        "{} violations: {violations:#?}",
        violations.len()
    );

    // Every room's game was played out after the faults; a rematch by both seats now
    // starts another: nothing is stuck.
    for (a, b) in &mut pairs {
        let (va, vb) = tokio::join!(a.rematch_now(), b.rematch_now());
        assert!(
            va.is_some() && vb.is_some(),
            "room {}: a rematch by both seats starts a new game",
            a.room
        );
    }

    rig.outbox_drained().await;
    let mut truth = Vec::new();
    for code in &rooms {
        let t = rig.truth(code).await;
        assert_eq!(
            t.status, "playing",
            "room {code}: the last rematch started a game"
        );
        for p in t.snapshot["players"].as_array().unwrap() {
            assert_eq!(
                p["connected"], true,
                "room {code}: every seat is connected: {p}"
            );
        }
        truth.push(t);
    }
    let mut seen: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (a, b) in &pairs {
        let boards = seen.entry(a.room.clone()).or_default();
        boards.extend(a.stats.finished.iter().cloned());
        boards.extend(b.stats.finished.iter().cloned());
    }
    let (problems, tally) = check(&rig.receiver.received(), &truth, &seen);

    let stats: Vec<_> = pairs
        .iter()
        .flat_map(|(a, b)| [&a.stats, &b.stats])
        .collect();
    let sum = |f: fn(&soak::player::Stats) -> u64| stats.iter().map(|s| f(s)).sum::<u64>();
    eprintln!(
        "soak: {:?} of play, {} rooms; faults {:?}; webhook requests {}, events {}, \
         duplicates {}, games {}; moves sent {}, rematches sent {}, resumes {}, \
         store_unavailable {}, stale_version {}, refused {}, resyncs {}",
        play_for,
        rooms.len(),
        rig.faults,
        tally.requests,
        tally.events,
        tally.duplicates,
        tally.games,
        sum(|s| s.moves_sent),
        sum(|s| s.rematches_sent),
        sum(|s| s.resumes),
        sum(|s| s.store_unavailable),
        sum(|s| s.stale_version),
        sum(|s| s.refused),
        sum(|s| s.resyncs),
    );
    assert!(
        problems.is_empty(),
        "{} problems: {problems:#?}",
        problems.len()
    );
    assert!(
        tally.games as u64 >= rooms.len() as u64 * 2,
        "every room finished games: {tally:?}"
    );
    assert!(
        sum(|s| s.resumes) >= 2,
        "players whose node went resumed elsewhere"
    );
}
