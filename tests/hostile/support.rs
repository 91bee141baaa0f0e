//! Helpers of the hostile-input tests: a game in progress that must keep working whatever
//! a hostile client does, raw connections with chosen headers or source addresses, and
//! reading a counter from `/metrics`.

use std::net::SocketAddr;

use futures_util::SinkExt;
use serde_json::{json, Value};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::WebSocketStream;

use crate::common::client::next_json;
use crate::common::{Client, TestServer};

/// Tic-tac-toe moves that end in a draw, so no prefix of them ends the game.
const DRAW: [u64; 9] = [0, 1, 2, 4, 3, 5, 7, 6, 8];

/// Two players in a game in progress, on connections of their own.
pub struct Bystanders {
    a: Client,
    b: Client,
    moves: usize,
}

impl Bystanders {
    /// Seat two players in a fresh tic-tac-toe room; the game is on.
    pub async fn start(srv: &TestServer) -> Bystanders {
        let mut a = srv.client().await;
        let mut b = srv.client().await;
        let sa = a.create("tictactoe", "calm-a").await;
        b.join(&sa.room, "calm-b").await;
        a.next_state().await;
        Bystanders { a, b, moves: 0 }
    }

    /// The next move is accepted and both players see it (at most 8 calls per game).
    pub async fn still_playing(&mut self) {
        let cell = DRAW[self.moves];
        let i = usize::try_from(cell).expect("small");
        let (mover, other) = if self.moves.is_multiple_of(2) {
            (&mut self.a, &mut self.b)
        } else {
            (&mut self.b, &mut self.a)
        };
        mover.act(json!({ "cell": cell })).await;
        for c in [mover, other] {
            let s = c
                .recv_until(|v| v["type"] == "state" && !v["state"]["board"][i].is_null())
                .await;
            assert_eq!(s["action"], json!({ "cell": cell }));
            assert_eq!(s["status"], "playing");
        }
        self.moves += 1;
    }
}

/// A raw socket (for connections the typed client cannot make).
pub type RawSocket = WebSocketStream<TcpStream>;

/// Open `/ws` from the loopback address `source` (e.g. `[127, 0, 0, 2]`).
pub async fn connect_from(srv: &TestServer, source: [u8; 4]) -> RawSocket {
    let sock = TcpSocket::new_v4().expect("socket");
    sock.bind(SocketAddr::from((source, 0)))
        .expect("bind a loopback source address");
    let stream = sock.connect(srv.addr).await.expect("tcp connect");
    let (ws, _) = tokio_tungstenite::client_async(srv.ws_url(), stream)
        .await
        .expect("websocket handshake");
    ws
}

/// Send `msg` on a raw socket and return the next JSON frame.
pub async fn raw_request(ws: &mut RawSocket, msg: Value) -> Value {
    ws.send(Message::Text(msg.to_string().into()))
        .await
        .expect("send");
    next_json(ws).await
}

/// Attempt an upgrade with extra request headers: the socket, or the refusal's status.
pub async fn try_upgrade(
    srv: &TestServer,
    headers: &[(&str, &str)],
) -> Result<crate::common::client::Socket, u16> {
    let mut req = srv.ws_url().into_client_request().expect("request");
    for (name, value) in headers {
        req.headers_mut().insert(
            HeaderName::from_bytes(name.as_bytes()).expect("header name"),
            HeaderValue::from_str(value).expect("header value"),
        );
    }
    match tokio_tungstenite::connect_async(req).await {
        Ok((ws, _)) => Ok(ws),
        Err(WsError::Http(resp)) => Err(resp.status().as_u16()),
        Err(e) => panic!("upgrade failed without an HTTP answer: {e}"),
    }
}

/// The value of `parlor_ws_rejected_total{reason=…}` on `/metrics` (0 if absent).
pub async fn rejected(srv: &TestServer, reason: &str) -> f64 {
    let text = crate::common::get(srv.url("/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics text");
    let label = format!("reason=\"{reason}\"");
    text.lines()
        .filter(|l| l.starts_with("parlor_ws_rejected_total{") && l.contains(&label))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// A well-formed room code that is almost certainly not in use (`n` picks it).
pub fn unknown_code(n: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut code = String::from("ZZ");
    let mut x = n;
    for _ in 0..4 {
        code.push(char::from(ALPHABET[x % ALPHABET.len()]));
        x /= ALPHABET.len();
    }
    code
}
