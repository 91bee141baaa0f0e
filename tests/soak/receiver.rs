//! The game's backend as the soak sees it: an HTTP receiver on a loopback port that
//! records every webhook request (its `webhook-id` and JSON body) and answers 204. It can
//! be taken down — the listener closed and every open connection dropped, so the nodes
//! see refused connections and cut requests — and brought back on the same port.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

/// One request the receiver read in full.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The `webhook-id` header.
    pub id: String,
    /// The body, parsed.
    pub body: Value,
}

/// A receiver that can go down and come back on its port.
pub struct Receiver {
    pub port: u16,
    got: Arc<Mutex<Vec<Delivery>>>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Receiver {
    /// Listen on a free loopback port.
    pub async fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("local addr").port();
        let got = Arc::new(Mutex::new(Vec::new()));
        let task = tokio::spawn(serve(listener, got.clone()));
        Receiver {
            port,
            got,
            task: Mutex::new(Some(task)),
        }
    }

    /// The URL the nodes POST to.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    /// Close the listener and drop every connection (a request being read or answered is
    /// cut: the node sees a failed attempt and tries again later).
    pub fn down(&self) {
        if let Some(task) = self.task.lock().unwrap().take() {
            // The accept loop owns the connections' JoinSet: aborting it aborts them.
            task.abort();
        }
    }

    /// Listen on the same port again.
    pub async fn up(&self) {
        let mut tries = 0;
        let listener = loop {
            match TcpListener::bind(("127.0.0.1", self.port)).await {
                Ok(l) => break l,
                Err(e) if tries < 100 => {
                    tries += 1;
                    eprintln!("receiver rebind: {e}; again");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("receiver cannot listen on {} again: {e}", self.port),
            }
        };
        let task = tokio::spawn(serve(listener, self.got.clone()));
        *self.task.lock().unwrap() = Some(task);
    }

    /// Every request read so far, in arrival order.
    pub fn received(&self) -> Vec<Delivery> {
        self.got.lock().unwrap().clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.down();
    }
}

async fn serve(listener: TcpListener, got: Arc<Mutex<Vec<Delivery>>>) {
    let mut conns = JoinSet::new();
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let got = got.clone();
        conns.spawn(async move {
            let service = service_fn(move |req| record(req, got.clone()));
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(tcp), service)
                .await;
        });
        while conns.try_join_next().is_some() {}
    }
}

async fn record(
    req: Request<Incoming>,
    got: Arc<Mutex<Vec<Delivery>>>,
) -> Result<Response<Body>, Infallible> {
    let id = req
        .headers()
        .get("webhook-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let bytes = axum::body::to_bytes(Body::new(req.into_body()), 1 << 20).await;
    // A body that is not JSON is kept as `Null`, for the checks to report.
    let body: Option<Value> = bytes.ok().and_then(|b| serde_json::from_slice(&b).ok());
    let status = match body {
        Some(_) => StatusCode::NO_CONTENT,
        None => StatusCode::BAD_REQUEST,
    };
    let body = body.unwrap_or(Value::Null);
    got.lock().unwrap().push(Delivery { id, body });
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = status;
    Ok(resp)
}
