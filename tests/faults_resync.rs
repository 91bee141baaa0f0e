//! A node that misses room events catches its members up: when its
//! pub/sub relay falls behind, and when its subscriber reconnects after events it never
//! received (a move, an operator's delete). Real `redis-server` and real nodes.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

use common::node::NodeProcess;
use common::{test_config, Client, RedisServer, TestServer};
use serde_json::{json, Value};

/// The `state` at `version`, or a `resync` to it or later (returned as its snapshot).
async fn state_or_resync(c: &mut Client, version: u64) -> Value {
    let frame = c
        .recv_until(|v| {
            (v["type"] == "state" && v["version"] == version)
                || (v["type"] == "resync"
                    && v["snapshot"]["version"]
                        .as_u64()
                        .is_some_and(|s| s >= version))
        })
        .await;
    match frame["type"].as_str() {
        Some("resync") => frame["snapshot"].clone(),
        _ => frame,
    }
}

/// One connection to Redis kept open, so commands still get through while new
/// connections are refused.
struct RedisConn(BufReader<TcpStream>);

impl RedisConn {
    fn open(port: u16) -> RedisConn {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to redis");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("read timeout");
        RedisConn(BufReader::new(stream))
    }

    fn send(&mut self, args: &[&str]) {
        let mut req = format!("*{}\r\n", args.len());
        for a in args {
            req.push_str(&format!("${}\r\n{}\r\n", a.len(), a));
        }
        self.0.get_mut().write_all(req.as_bytes()).expect("write");
    }

    /// One reply, flattened to text (bulk strings and arrays joined by newlines).
    fn reply(&mut self) -> String {
        let mut line = String::new();
        self.0.read_line(&mut line).expect("read reply");
        let line = line.trim_end().to_string();
        let (kind, rest) = line.split_at(1);
        match kind {
            "$" => {
                let n: i64 = rest.parse().expect("bulk length");
                if n < 0 {
                    return String::new();
                }
                let mut buf = vec![0u8; n as usize + 2];
                self.0.read_exact(&mut buf).expect("bulk body");
                buf.truncate(n as usize);
                String::from_utf8(buf).expect("utf-8")
            }
            "*" => {
                let n: i64 = rest.parse().expect("array length");
                (0..n).map(|_| self.reply()).collect::<Vec<_>>().join("\n")
            }
            _ => rest.to_string(),
        }
    }

    fn cmd(&mut self, args: &[&str]) -> String {
        self.send(args);
        self.reply()
    }

    /// Publish `n` junk messages on a sharded channel, all in one write, as fast as
    /// Redis takes them.
    fn junk(&mut self, channel: &str, n: usize) {
        let junk = "j".repeat(64);
        let one = format!(
            "*3\r\n$8\r\nSPUBLISH\r\n${}\r\n{}\r\n${}\r\n{}\r\n",
            channel.len(),
            channel,
            junk.len(),
            junk
        );
        self.0
            .get_mut()
            .write_all(one.repeat(n).as_bytes())
            .expect("write");
        for _ in 0..n {
            self.reply();
        }
    }
}

/// A node whose log output blocks (a log pipe nobody drains, as a stuck log shipper
/// would leave it): its relay of room events, which logs each undecodable message, stops
/// inside a log write, so room events pile up behind it.
struct BlockedLogNode {
    port: u16,
    child: Child,
    log: Option<ChildStdout>,
}

impl BlockedLogNode {
    async fn spawn(redis_url: &str) -> BlockedLogNode {
        let port = common::free_port();
        let mut child = Command::new(env!("CARGO_BIN_EXE_parlor"))
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--redis-url", redis_url, "--admin-token", "t"])
            .args(["--rate-limit-per-sec", "0"])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn parlor");
        let log = child.stdout.take();
        common::wait_healthy(port).await;
        BlockedLogNode { port, child, log }
    }

    /// Start draining the log: the node's logging, and so its relay, go on.
    fn drain_log(&mut self) {
        if let Some(mut log) = self.log.take() {
            std::thread::spawn(move || std::io::copy(&mut log, &mut std::io::sink()));
        }
    }
}

impl Drop for BlockedLogNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The relay that carries room events from Redis to a node's sockets falls behind (here:
/// it is stuck in a log write while a burst of 100 000 junk messages, far beyond its
/// buffer, arrives on the room's channel) and loses some, among them a real move. The
/// node notices, re-reads the room and sends the opponent the move (as a `resync`): the
/// game is not stuck.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_move_lost_in_a_pubsub_burst_still_reaches_the_opponent() {
    let redis = RedisServer::start();
    // Redis never cuts a slow subscriber here: the loss must come from the relay itself.
    let unlimited = redis.cmd(&[
        "CONFIG",
        "SET",
        "client-output-buffer-limit",
        "pubsub 0 0 0",
    ]);
    assert_eq!(unlimited, "OK");
    let n1 = NodeProcess::spawn(&redis.url(), &[]).await;
    let mut n2 = BlockedLogNode::spawn(&redis.url()).await;
    let mut a = n1.client().await;
    let mut b = Client::connect(&format!("ws://127.0.0.1:{}/ws", n2.port)).await;
    let sa = a.create("tictactoe", "alice").await;
    // A client is listed as pubsub once it subscribed: node 1's now, node 2's after Bob.
    let mut admin = RedisConn::open(redis.port);
    let before = admin.cmd(&["CLIENT", "LIST", "TYPE", "pubsub"]);
    b.join(&sa.room, "bob").await;
    a.state_at(2).await;
    let after = admin.cmd(&["CLIENT", "LIST", "TYPE", "pubsub"]);
    let n2_sub = after
        .lines()
        .find(|l| !l.is_empty() && !before.contains(l.split(' ').next().unwrap_or("?")))
        .map(str::to_string)
        .expect("node 2's subscriber");
    let n2_port = field(&n2_sub, "addr")
        .rsplit(':')
        .next()
        .and_then(|p| p.parse::<u16>().ok())
        .expect("subscriber port");
    let n2_id = field(&n2_sub, "id").to_string();

    let channel = format!("parlor:room:{{{}}}:events", sa.room);
    let port = redis.port;
    let burst = |n: usize| {
        let channel = channel.clone();
        tokio::task::spawn_blocking(move || RedisConn::open(port).junk(&channel, n))
    };
    burst(30_000).await.expect("first burst");
    a.act(json!({"cell": 4})).await;
    state_or_resync(&mut a, 3).await;
    burst(70_000).await.expect("second burst");
    // Only once node 2 has read everything (nothing left in Redis's output buffer or in
    // either kernel's socket buffers) is the move surely overwritten in its relay's buffer.
    common::eventually("node 2 read the whole burst", || {
        let list = admin.cmd(&["CLIENT", "LIST", "ID", &n2_id]);
        let sent = field(&list, "omem") == "0";
        async move { sent && socket_queues_empty(port, n2_port) }
    })
    .await;
    n2.drain_log();

    let seen = state_or_resync(&mut b, 3).await;
    assert_eq!(
        seen["state"]["board"][4], 0,
        "bob sees alice's move: {seen}"
    );
    assert_eq!(seen["state"]["turn"], 1, "{seen}");

    // The lag is counted, for the relay-lag alert.
    let metrics = crate::common::get(format!("http://127.0.0.1:{}/metrics", n2.port))
        .await
        .expect("scrape")
        .text()
        .await
        .expect("metrics body");
    let lagged = common::node::metric_sum(&metrics, "parlor_pubsub_lagged_events_total", &[]);
    assert!(lagged > 0.0, "relay lag counted: {lagged}");

    // The game goes on from there.
    b.act(json!({"cell": 0})).await;
    let next = state_or_resync(&mut a, 4).await;
    assert_eq!(next["state"]["board"][0], 1, "{next}");
}

/// One node's subscriber connection is cut and cannot come back for a while; meanwhile
/// an operator deletes the room through the other node. When the first node's subscriber
/// is back it re-reads its rooms, finds this one gone, and tells its members with
/// `room_closed`; they are out of the room.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_deleted_while_a_subscriber_was_away_is_closed_for_its_members() {
    let redis = RedisServer::start();
    let cfg = redis.configure(test_config());
    let n1 = TestServer::start(cfg.clone()).await;
    let mut a = n1.client().await;
    let sa = a.create("tictactoe", "alice").await;
    let mut admin = RedisConn::open(redis.port);
    let subscribers = admin.cmd(&["CLIENT", "LIST", "TYPE", "pubsub"]);
    let n1_sub = client_id(&subscribers);
    let n2 = TestServer::start(cfg).await;
    let mut b = n2.client().await;
    b.join(&sa.room, "bob").await;
    a.state_at(2).await;

    // Nobody new gets in: node 1's subscriber stays away once cut.
    assert_eq!(admin.cmd(&["CONFIG", "SET", "maxclients", "1"]), "OK");
    let id = format!("{n1_sub}");
    assert_eq!(admin.cmd(&["CLIENT", "KILL", "ID", &id]), "1");
    let status = n2.admin_delete(&format!("/api/v1/rooms/{}", sa.room)).await;
    assert_eq!(status, 204);
    let closed = b.recv_type("room_closed").await;
    assert_eq!(closed["reason"], "closed_by_operator");
    assert_eq!(admin.cmd(&["CONFIG", "SET", "maxclients", "10000"]), "OK");

    let closed = a.recv_type("room_closed").await;
    assert_eq!(closed["room"], sa.room.as_str(), "{closed}");
    a.expect_error(json!({"type": "chat", "text": "hello?"}), "not_in_room")
        .await;
}

/// A `name=value` field of a `CLIENT LIST` line.
fn field<'a>(line: &'a str, name: &str) -> &'a str {
    line.split(' ')
        .find_map(|f| f.strip_prefix(name)?.strip_prefix('='))
        .unwrap_or_default()
}

/// Whether both ends of the loopback TCP connection between Redis (`server`) and a
/// client port have nothing queued (Linux `/proc/net/tcp`: `tx_queue:rx_queue`).
fn socket_queues_empty(server: u16, client: u16) -> bool {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    let (srv, cli) = (format!(":{server:04X}"), format!(":{client:04X}"));
    let ends: Vec<&str> = table
        .lines()
        .filter_map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            let (local, remote) = (*cols.get(1)?, *cols.get(2)?);
            let ours = (local.ends_with(&srv) && remote.ends_with(&cli))
                || (local.ends_with(&cli) && remote.ends_with(&srv));
            ours.then_some(*cols.get(4)?)
        })
        .collect();
    ends.len() == 2 && ends.iter().all(|q| *q == "00000000:00000000")
}

/// The id of the only client in a `CLIENT LIST` reply.
fn client_id(list: &str) -> u64 {
    let lines: Vec<&str> = list.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 1, "one subscriber: {list}");
    lines[0]
        .split(' ')
        .find_map(|f| f.strip_prefix("id="))
        .and_then(|id| id.parse().ok())
        .expect("client id")
}
