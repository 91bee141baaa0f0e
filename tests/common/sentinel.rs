//! A private Redis Sentinel deployment on free loopback ports: one master, one replica and
//! three `redis-sentinel` processes watching them, each killed on drop.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::{free_port, RedisServer};

/// The service name the sentinels monitor.
pub const SERVICE: &str = "mymaster";

/// One `redis-sentinel` process with its own config file (sentinels rewrite it).
pub struct Sentinel {
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl Sentinel {
    fn start(master_port: u16) -> Sentinel {
        let port = free_port();
        let dir = std::env::temp_dir().join(format!(
            "parlor-test-sentinel-{}-{port}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).expect("sentinel dir");
        let conf = dir.join("sentinel.conf");
        std::fs::write(
            &conf,
            format!(
                "port {port}\n\
                 bind 127.0.0.1\n\
                 daemonize no\n\
                 dir {dir}\n\
                 sentinel resolve-hostnames no\n\
                 sentinel monitor {SERVICE} 127.0.0.1 {master_port} 2\n\
                 sentinel down-after-milliseconds {SERVICE} 1000\n\
                 sentinel failover-timeout {SERVICE} 5000\n\
                 sentinel parallel-syncs {SERVICE} 1\n",
                dir = dir.display()
            ),
        )
        .expect("write sentinel.conf");
        let child = Command::new("redis-sentinel")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start redis-sentinel ({e}). Install it (apt-get install -y \
                     redis-sentinel) or run the suite with scripts/test, which does"
                )
            });
        Sentinel {
            port,
            dir,
            child: Some(child),
        }
    }

    /// Run one command on this sentinel (None if it does not answer).
    pub fn cmd(&self, args: &[&str]) -> Option<String> {
        resp_cmd(self.port, args)
    }

    /// `SENTINEL MASTER mymaster` as field/value pairs.
    pub fn master_fields(&self) -> Vec<(String, String)> {
        let flat = self
            .cmd(&["SENTINEL", "MASTER", SERVICE])
            .unwrap_or_default();
        let words: Vec<&str> = flat.split(' ').collect();
        words
            .chunks(2)
            .filter(|c| c.len() == 2)
            .map(|c| (c[0].to_string(), c[1].to_string()))
            .collect()
    }

    /// The port this sentinel currently names as the master.
    pub fn master_port(&self) -> Option<u16> {
        let reply = self.cmd(&["SENTINEL", "GET-MASTER-ADDR-BY-NAME", SERVICE])?;
        reply.split(' ').nth(1)?.parse().ok()
    }
}

impl Drop for Sentinel {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Master, replica and three sentinels.
pub struct SentinelGroup {
    pub master: RedisServer,
    pub replica: RedisServer,
    pub sentinels: Vec<Sentinel>,
}

impl SentinelGroup {
    /// Start everything and wait until the replica is in sync and every sentinel knows
    /// the replica and the two other sentinels (so a failover can be agreed on).
    pub async fn start() -> SentinelGroup {
        // No 5 s wait for more replicas before the first full sync.
        let master = RedisServer::start_with(&[
            "--save",
            "",
            "--appendonly",
            "no",
            "--repl-diskless-sync-delay",
            "0",
        ]);
        let master_port = master.port.to_string();
        let replica = RedisServer::start_with(&[
            "--save",
            "",
            "--appendonly",
            "no",
            "--replicaof",
            "127.0.0.1",
            &master_port,
        ]);
        // In sync before the sentinels start: their first INFO of the master then lists the
        // replica (the next one comes only 10 s later).
        until(
            Duration::from_secs(10),
            "replica in sync with the master",
            || {
                replica
                    .cmd(&["INFO", "replication"])
                    .contains("master_link_status:up")
                    && master
                        .cmd(&["INFO", "replication"])
                        .contains("connected_slaves:1")
            },
        )
        .await;
        let sentinels = (0..3).map(|_| Sentinel::start(master.port)).collect();
        let group = SentinelGroup {
            master,
            replica,
            sentinels,
        };
        for s in &group.sentinels {
            until(
                Duration::from_secs(15),
                "sentinel sees the replica and the other sentinels",
                || {
                    let f = s.master_fields();
                    let get = |k: &str| {
                        f.iter()
                            .find(|(n, _)| n == k)
                            .map(|(_, v)| v.clone())
                            .unwrap_or_default()
                    };
                    get("flags") == "master"
                        && get("num-slaves") == "1"
                        && get("num-other-sentinels") == "2"
                },
            )
            .await;
        }
        group
    }

    /// The fred URL naming all three sentinels.
    pub fn url(&self) -> String {
        let others: Vec<String> = self.sentinels[1..]
            .iter()
            .map(|s| format!("node=127.0.0.1:{}", s.port))
            .collect();
        format!(
            "redis-sentinel://127.0.0.1:{}?{}&sentinelServiceName={SERVICE}",
            self.sentinels[0].port,
            others.join("&")
        )
    }

    /// Whether a majority of sentinels name `port` as the master.
    pub fn master_is(&self, port: u16) -> bool {
        self.sentinels
            .iter()
            .filter(|s| s.master_port() == Some(port))
            .count()
            >= 2
    }
}

/// Poll a blocking `check` (local Redis commands) until it holds or `limit` passes.
pub async fn until(limit: Duration, what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < deadline {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out after {limit:?} waiting for: {what}");
}

pub use super::redis::resp_cmd;
