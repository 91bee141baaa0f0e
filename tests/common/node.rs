//! A real `parlor` process on a free loopback port, for tests that need to kill a node the
//! hard way (SIGKILL) or read metrics no other server in the test binary writes to.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use super::{free_port, wait_healthy, Client};

/// A `parlor` child process; killed (SIGKILL) on drop.
pub struct NodeProcess {
    pub port: u16,
    /// Where the process writes its log (stdout and stderr; removed on drop).
    pub log: PathBuf,
    child: Option<Child>,
}

impl NodeProcess {
    /// Start `parlor --listen 127.0.0.1:PORT --redis-url URL --admin-token t` plus `extra`
    /// flags, and wait until `/healthz` answers.
    pub async fn spawn(redis_url: &str, extra: &[&str]) -> NodeProcess {
        let port = free_port();
        let log = std::env::temp_dir().join(format!(
            "parlor-test-node-{}-{port}.log",
            std::process::id()
        ));
        let out = std::fs::File::create(&log).expect("node log file");
        let err = out.try_clone().expect("node log file");
        let child = Command::new(env!("CARGO_BIN_EXE_parlor"))
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--redis-url", redis_url, "--admin-token", "t"])
            .args(["--rate-limit-per-sec", "0"])
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .spawn()
            .expect("spawn parlor");
        let node = NodeProcess {
            port,
            log,
            child: Some(child),
        };
        wait_healthy(port).await;
        super::schema::load(&format!("http://127.0.0.1:{port}")).await;
        node
    }

    /// `ws://…/ws` of this node.
    pub fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}/ws", self.port)
    }

    /// `http://…` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port, path)
    }

    /// A connected client.
    pub async fn client(&self) -> Client {
        Client::connect(&self.ws_url()).await
    }

    /// The HTTP status of `GET path` (0 if the request failed).
    pub async fn status(&self, path: &str) -> u16 {
        crate::common::get(self.url(path))
            .await
            .map_or(0, |r| r.status().as_u16())
    }

    /// The `/metrics` text.
    pub async fn metrics(&self) -> String {
        crate::common::get(self.url("/metrics"))
            .await
            .expect("scrape")
            .text()
            .await
            .expect("metrics body")
    }

    /// Freeze (`SIGSTOP`) or thaw (`SIGCONT`) the process: a node that is only slow.
    pub fn pause(&self, paused: bool) {
        let Some(child) = &self.child else { return };
        let signal = if paused { "-STOP" } else { "-CONT" };
        let status = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill {signal} failed");
    }

    /// SIGTERM the process and wait for it to exit: its shutdown sequence runs. The exit
    /// status, or None if the process was already gone.
    pub fn terminate(&mut self) -> Option<std::process::ExitStatus> {
        let mut child = self.child.take()?;
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM failed");
        child.wait().ok()
    }

    /// SIGKILL the process and reap it; no shutdown sequence runs.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// The sum of every sample of `name` whose labels contain all of `labels` (Prometheus
/// text format; 0 when there is none).
pub fn metric_sum(text: &str, name: &str, labels: &[&str]) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| l.starts_with(name) && l[name.len()..].starts_with(['{', ' ']))
        .filter(|l| labels.iter().all(|kv| l.contains(kv)))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}
