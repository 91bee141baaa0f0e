//! Test support: an in-process server on port 0, a private `redis-server`, and a typed
//! WebSocket client that reads like the protocol and holds every frame to its schema.

#![allow(dead_code)]

pub mod client;
pub mod cluster;
pub mod jwt;
pub mod node;
pub mod receiver;
pub mod redis;
pub mod schema;
pub mod sentinel;

use std::net::SocketAddr;
use std::time::Duration;

use parlor::{Config, Server};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use client::Client;
pub use redis::RedisServer;

/// How long a test waits for any one expected frame or condition.
pub const WAIT: Duration = Duration::from_secs(10);

/// Which store a test server uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Memory,
    Redis,
}

/// A server running in this process on a free port. Dropping it shuts it down.
pub struct TestServer {
    pub addr: SocketAddr,
    pub token: String,
    stop: CancellationToken,
    handle: Option<JoinHandle<std::io::Result<()>>>,
    /// Keeps a private Redis alive as long as the server (when it owns one).
    pub redis: Option<std::sync::Arc<RedisServer>>,
}

/// Settings every test server starts from: a fixed admin token, no rate limit surprises.
pub fn test_config() -> Config {
    let mut cfg = Config::defaults();
    cfg.listen = "127.0.0.1:0".parse().expect("literal address");
    cfg.admin_token = Some("test-token".into());
    cfg.shutdown_grace_ms = 2_000;
    cfg
}

/// Settings of node `node` of a cluster on the Redis at `url` (no rate limit: one test
/// plays many moves quickly).
pub fn node_config(url: &str, node: &str) -> Config {
    let mut cfg = test_config();
    cfg.redis_url = Some(url.to_string());
    cfg.node_id = Some(node.to_string());
    cfg.rate_limit_per_sec = 0;
    cfg
}

impl TestServer {
    /// Start a server with `cfg`.
    pub async fn start(cfg: Config) -> TestServer {
        let token = cfg.admin_token.clone().unwrap_or_default();
        let server = Server::build(cfg).await.expect("server starts");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
        let addr = listener.local_addr().expect("local addr");
        let stop = CancellationToken::new();
        let signal = stop.clone();
        let handle = tokio::spawn(server.run(listener, async move { signal.cancelled().await }));
        schema::load(&format!("http://{addr}")).await;
        TestServer {
            addr,
            token,
            stop,
            handle: Some(handle),
            redis: None,
        }
    }

    /// Start a server on `backend`; for Redis, on a private `redis-server` of its own.
    pub async fn with_backend(backend: Backend, cfg: Config) -> TestServer {
        match backend {
            Backend::Memory => TestServer::start(cfg).await,
            Backend::Redis => {
                let redis = std::sync::Arc::new(RedisServer::start());
                let mut server = TestServer::start(redis.configure(cfg)).await;
                server.redis = Some(redis);
                server
            }
        }
    }

    /// `ws://…/ws` of this server.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// `http://…` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// A connected client.
    pub async fn client(&self) -> Client {
        Client::connect(&self.ws_url()).await
    }

    /// An authorised admin GET; returns status and JSON body (Null if none).
    pub async fn admin_get(&self, path: &str) -> (u16, serde_json::Value) {
        let resp = http()
            .get(self.url(path))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("http request");
        let status = resp.status().as_u16();
        let body = resp.json().await.unwrap_or(serde_json::Value::Null);
        (status, body)
    }

    /// An authorised admin DELETE; returns the status.
    pub async fn admin_delete(&self, path: &str) -> u16 {
        http()
            .delete(self.url(path))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("http request")
            .status()
            .as_u16()
    }

    /// Shut down gracefully and wait for it.
    pub async fn stop(mut self) {
        self.stop.cancel();
        if let Some(handle) = self.handle.take() {
            let _ = tokio::time::timeout(WAIT, handle).await;
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// Poll `check` until it returns true or `WAIT` passes.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for: {what}");
}

/// Installs the TLS provider reqwest needs: it is built without one of its own and
/// panics on building a client, even for plain http, until one is installed. Tests run
/// in any order on many threads, so every client a test builds goes through [`http`]
/// rather than relying on some earlier helper having installed it.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// An HTTP client for tests. `reqwest::Client::new` and `reqwest::get` are refused by
/// clippy (clippy.toml): either panics if no test before it in the process happened to
/// install the TLS provider.
#[allow(clippy::disallowed_methods)]
pub fn http() -> reqwest::Client {
    install_tls_provider();
    reqwest::Client::new()
}

/// `GET url` with a client from [`http`]: what `reqwest::get` does, without its panic.
pub async fn get(url: impl reqwest::IntoUrl) -> reqwest::Result<reqwest::Response> {
    http().get(url).send().await
}

/// Wait until a server process on `127.0.0.1:port` answers `/healthz` with 200.
pub async fn wait_healthy(port: u16) {
    let url = format!("http://127.0.0.1:{port}/healthz");
    eventually("server process answers /healthz", || {
        let url = url.clone();
        async move { get(&url).await.is_ok_and(|r| r.status() == 200) }
    })
    .await;
}

/// A free loopback port (bound and released; good enough for tests that need a port number
/// before starting a process).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Instantiate an async test body `fn(Backend)` once per backend.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() { super::$name($crate::common::Backend::Memory).await }
            )*
        }
        mod redis {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() { super::$name($crate::common::Backend::Redis).await }
            )*
        }
    };
}
