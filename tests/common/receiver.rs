//! A webhook receiver for tests: a real HTTP server on a loopback port that records every
//! request, answers from a script of statuses (changeable while it runs), can be taken
//! down and brought back on the same port, and checks each request's signature with the
//! Standard Webhooks reference library (Python, `tests/webhooks/verify.py`).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use parlor::Config;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::eventually;

/// The signing secret every test receiver checks against.
pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub at: Instant,
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub content_type: String,
    pub body: String,
    /// What the reference library said of the signature (`None` until it has answered).
    pub verified: Option<bool>,
}

impl Received {
    /// The body as JSON (panics if it is not).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("a webhook body is JSON")
    }
}

#[derive(Default)]
struct Script {
    /// Answers to give, in order (status, Retry-After); then `then` for ever.
    answers: VecDeque<(u16, Option<u64>)>,
    then: u16,
    received: Vec<Received>,
}

/// The serving task of a receiver that is up.
struct Running {
    stop: CancellationToken,
    task: JoinHandle<()>,
}

/// An HTTP receiver on `127.0.0.1` (a port of its own) that records requests and answers
/// from a script.
pub struct Receiver {
    pub url: String,
    addr: SocketAddr,
    script: Arc<Mutex<Script>>,
    running: Mutex<Option<Running>>,
}

impl Receiver {
    /// Start one on a free port: it answers `answers` in order, then `then` for ever.
    pub async fn start(answers: &[(u16, Option<u64>)], then: u16) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let receiver = Receiver {
            url: format!("http://{addr}/hook"),
            addr,
            script: Arc::new(Mutex::new(Script {
                answers: answers.iter().copied().collect(),
                then,
                received: Vec::new(),
            })),
            running: Mutex::new(None),
        };
        receiver.serve(listener);
        receiver
    }

    fn serve(&self, listener: tokio::net::TcpListener) {
        let app = Router::new()
            .route("/hook", axum::routing::post(receive))
            .with_state(self.script.clone());
        let stop = CancellationToken::new();
        let signal = stop.clone();
        let task = tokio::spawn(async move {
            // Graceful: idle keep-alive connections are closed too, so a sender's pooled
            // connection cannot reach a receiver that is down.
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move { signal.cancelled().await })
                .await;
        });
        *self.running.lock().unwrap() = Some(Running { stop, task });
    }

    /// Take it down: the port refuses connections until [`up`](Self::up).
    pub async fn down(&self) {
        let running = self.running.lock().unwrap().take();
        if let Some(Running { stop, task }) = running {
            stop.cancel();
            let _ = task.await;
        }
    }

    /// Bring it back on the same port.
    pub async fn up(&self) {
        if self.running.lock().unwrap().is_some() {
            return;
        }
        let mut tries = 0;
        let listener = loop {
            match tokio::net::TcpListener::bind(self.addr).await {
                Ok(listener) => break listener,
                // The port may linger for a moment after the last connection closed.
                Err(_) if tries < 50 => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("cannot bind {} again: {e}", self.addr),
            }
        };
        self.serve(listener);
    }

    /// Every request so far, in the order they arrived.
    pub fn received(&self) -> Vec<Received> {
        self.script.lock().unwrap().received.clone()
    }

    /// Forget the scripted answers: answer `status` from now on.
    pub fn answer_from_now(&self, status: u16) {
        let mut s = self.script.lock().unwrap();
        s.answers.clear();
        s.then = status;
    }

    /// Wait until at least `n` requests arrived; all of them.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        eventually(&format!("{n} requests at the receiver"), || async {
            self.received().len() >= n
        })
        .await;
        self.received()
    }

    /// Wait until a request whose body matches `pred` arrived; every such request.
    pub async fn wait_for_body(
        &self,
        what: &str,
        pred: impl Fn(&serde_json::Value) -> bool,
    ) -> Vec<Received> {
        let matching = || -> Vec<Received> {
            self.received()
                .into_iter()
                .filter(|r| pred(&r.json()))
                .collect()
        };
        eventually(what, || async { !matching().is_empty() }).await;
        matching()
    }

    /// Wait until the reference library has judged every request so far; whether it
    /// accepted them all.
    pub async fn all_verified(&self) -> bool {
        eventually("every signature checked", || async {
            self.received().iter().all(|r| r.verified.is_some())
        })
        .await;
        self.received().iter().all(|r| r.verified == Some(true))
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some(running) = self.running.lock().unwrap().take() {
            running.stop.cancel();
            running.task.abort();
        }
    }
}

async fn receive(
    State(script): State<Arc<Mutex<Script>>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let request = Received {
        at: Instant::now(),
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        content_type: header("content-type"),
        body,
        verified: None,
    };
    // Checked beside the answer, not before it: a Python start-up in the reply's path
    // would eat into the sender's attempt timeout.
    let checking = request.clone();
    let (index, status, retry_after) = {
        let mut s = script.lock().unwrap();
        s.received.push(request);
        let (status, retry_after) = s.answers.pop_front().unwrap_or((s.then, None));
        (s.received.len() - 1, status, retry_after)
    };
    tokio::task::spawn_blocking(move || {
        let ok = reference_library_accepts(&checking);
        script.lock().unwrap().received[index].verified = Some(ok);
    });
    let status = StatusCode::from_u16(status).unwrap();
    match retry_after {
        Some(secs) => (status, [("retry-after", secs.to_string())]).into_response(),
        None => status.into_response(),
    }
}

/// Whether the Standard Webhooks Python library accepts this request, signed with
/// [`SECRET`]. The check starts a Python process, so it runs off the test's runtime:
/// blocking it would also stall the receiver, which serves on that runtime, and hold a
/// reply past the sender's attempt timeout (the sender would then try again).
pub async fn verified_by_the_reference_library(r: &Received) -> bool {
    let r = r.clone();
    tokio::task::spawn_blocking(move || reference_library_accepts(&r))
        .await
        .expect("the signature check ran")
}

fn reference_library_accepts(r: &Received) -> bool {
    use std::io::Write;
    let input = serde_json::json!({
        "secret": SECRET,
        "headers": {
            "webhook-id": r.id,
            "webhook-timestamp": r.timestamp,
            "webhook-signature": r.signature,
        },
        "body": r.body,
    });
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/webhooks/verify.py");
    let mut child = std::process::Command::new("python3")
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs (pip install standardwebhooks; scripts/test does)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    child.wait().unwrap().success()
}

/// `cfg` with webhooks to `receiver`, signed with [`SECRET`], the back-off scaled by
/// `scale`, attempts of at most 500 ms (so a claim is taken over after 1 s).
pub fn with_webhooks(mut cfg: Config, receiver: &Receiver, scale: f64) -> Config {
    cfg.webhook_url = Some(receiver.url.clone());
    cfg.webhook_secret = Some(SECRET.to_string());
    cfg.webhook_backoff_scale = scale;
    cfg.webhook_timeout_ms = 500;
    cfg
}

/// The flags that give a `parlor` process the same settings as [`with_webhooks`].
pub fn webhook_flags(receiver: &Receiver, scale: f64) -> Vec<String> {
    vec![
        "--webhook-url".into(),
        receiver.url.clone(),
        "--webhook-secret".into(),
        SECRET.into(),
        "--webhook-backoff-scale".into(),
        scale.to_string(),
        "--webhook-timeout-ms".into(),
        "500".into(),
    ]
}
