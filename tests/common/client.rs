//! A typed WebSocket test client. Every frame it receives and every message it sends is
//! checked against the protocol's JSON Schema ([`super::schema`]).

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::schema::{assert_client_message, assert_server_frame, http_base, load};
use super::WAIT;

/// One player's connection.
pub struct Client {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_req: u64,
    /// Frames received while waiting for something else, in order.
    pub backlog: Vec<Value>,
}

/// The next JSON text frame on any WebSocket stream, skipping pings and pongs; panics on
/// anything else, after [`WAIT`], or on a frame protocol.json does not allow.
pub async fn next_json<S, E>(ws: &mut S) -> Value
where
    S: futures_util::Stream<Item = Result<Message, E>> + Unpin,
    E: std::fmt::Debug,
{
    loop {
        let next = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("timed out waiting for a frame");
        match next {
            Some(Ok(Message::Text(t))) => {
                let frame = serde_json::from_str(t.as_str()).expect("server sent JSON");
                assert_server_frame(&frame);
                return frame;
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            other => panic!("expected a text frame, got {other:?}"),
        }
    }
}

/// What `joined` told us.
#[derive(Debug, Clone)]
pub struct Seat {
    pub room: String,
    pub player_id: String,
    pub seat: Option<u64>,
    pub session: Option<String>,
    pub version: u64,
    pub joined: Value,
}

impl Client {
    /// Connect to `url` (loading the protocol's schema from that server if this process
    /// has not yet).
    pub async fn connect(url: &str) -> Client {
        load(&http_base(url)).await;
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("websocket connects");
        Client {
            ws,
            next_req: 1,
            backlog: Vec::new(),
        }
    }

    /// Connect to `url` signed in with `Authorization: Bearer <token>` on the upgrade.
    /// `Err` carries the HTTP status of a refused upgrade.
    pub async fn connect_with_bearer(url: &str, token: &str) -> Result<Client, u16> {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        load(&http_base(url)).await;
        let mut request = url.into_client_request().expect("a websocket url");
        let value = format!("Bearer {token}").parse().expect("a header value");
        request.headers_mut().insert("authorization", value);
        match tokio_tungstenite::connect_async(request).await {
            Ok((ws, _)) => Ok(Client {
                ws,
                next_req: 1,
                backlog: Vec::new(),
            }),
            Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => Err(resp.status().as_u16()),
            Err(e) => panic!("websocket upgrade failed: {e}"),
        }
    }

    /// Send a JSON message protocol.json allows.
    pub async fn send(&mut self, msg: Value) {
        assert_client_message(&msg);
        self.send_unchecked(msg).await;
    }

    /// Send a JSON message, even one protocol.json refuses.
    async fn send_unchecked(&mut self, msg: Value) {
        self.ws
            .send(Message::Text(msg.to_string().into()))
            .await
            .expect("send");
    }

    /// Send a raw WebSocket message (junk included: it is not checked against the schema).
    pub async fn send_raw(&mut self, msg: Message) {
        let _ = self.ws.send(msg).await;
    }

    /// The next JSON frame (from the backlog first).
    pub async fn recv(&mut self) -> Value {
        if !self.backlog.is_empty() {
            return self.backlog.remove(0);
        }
        self.recv_wire().await
    }

    async fn recv_wire(&mut self) -> Value {
        next_json(&mut self.ws).await
    }

    /// Wait for the first frame matching `pred`; others are kept in the backlog.
    pub async fn recv_until(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.backlog.iter().position(&pred) {
            return self.backlog.remove(i);
        }
        loop {
            let v = self.recv_wire().await;
            if pred(&v) {
                return v;
            }
            self.backlog.push(v);
        }
    }

    /// Wait for the next frame of `type`.
    pub async fn recv_type(&mut self, kind: &str) -> Value {
        self.recv_until(|v| v["type"] == kind).await
    }

    /// Send with a fresh `req` and wait for the frame echoing it.
    pub async fn request(&mut self, msg: Value) -> Value {
        self.request_checked(msg, true).await
    }

    async fn request_checked(&mut self, mut msg: Value, checked: bool) -> Value {
        let req = self.next_req;
        self.next_req += 1;
        msg["req"] = json!(req);
        match checked {
            true => self.send(msg).await,
            false => self.send_unchecked(msg).await,
        }
        self.recv_until(|v| v["req"] == req).await
    }

    /// Send and expect an `error` with `code`; then check the connection still answers.
    /// The message may be one protocol.json refuses, but then the code must say so
    /// (`bad_request` or `unknown_type`): what the schema refuses, the server refuses.
    pub async fn expect_error(&mut self, msg: Value, code: &str) -> Value {
        let mut sent = msg.clone();
        sent["req"] = json!(self.next_req);
        if let Err(e) = super::schema::loaded().check_client(&sent) {
            assert!(
                ["bad_request", "unknown_type"].contains(&code),
                "{msg} breaks protocol.json ({e}) yet is expected to be {code}"
            );
        }
        let reply = self.request_checked(msg, false).await;
        assert_eq!(reply["type"], "error", "expected error {code}, got {reply}");
        assert_eq!(reply["code"], code, "wrong error code in {reply}");
        assert!(reply["message"].as_str().is_some_and(|m| !m.is_empty()));
        self.assert_alive().await;
        reply
    }

    /// The connection still answers a ping.
    pub async fn assert_alive(&mut self) {
        let pong = self.request(json!({"type": "ping"})).await;
        assert_eq!(pong["type"], "pong");
    }

    /// Wait for the close frame (skipping data frames) and return it.
    pub async fn expect_close(&mut self) -> Option<CloseFrame> {
        loop {
            let next = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("timed out waiting for close");
            match next {
                Some(Ok(Message::Close(frame))) => return frame,
                Some(Ok(Message::Text(t))) => {
                    if let Ok(v) = serde_json::from_str(t.as_str()) {
                        assert_server_frame(&v);
                        self.backlog.push(v);
                    }
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return None,
            }
        }
    }

    /// No frame arrives within `d` (used sparingly: only to show something did NOT happen).
    pub async fn assert_quiet(&mut self, d: Duration) {
        assert!(
            self.backlog.is_empty(),
            "unexpected backlog: {:?}",
            self.backlog
        );
        if let Ok(Some(Ok(Message::Text(t)))) = tokio::time::timeout(d, self.ws.next()).await {
            panic!("unexpected frame {t}");
        }
    }

    fn seat_of(joined: Value) -> Seat {
        assert_eq!(joined["type"], "joined", "expected joined, got {joined}");
        Seat {
            room: joined["room"].as_str().expect("room").to_string(),
            player_id: joined["you"]["player_id"]
                .as_str()
                .expect("player_id")
                .to_string(),
            seat: joined["you"]["seat"].as_u64(),
            session: joined["session"].as_str().map(str::to_string),
            version: joined["snapshot"]["version"].as_u64().expect("version"),
            joined,
        }
    }

    /// Create a room.
    pub async fn create(&mut self, game: &str, name: &str) -> Seat {
        let reply = self
            .request(json!({"type": "create_room", "game": game, "name": name}))
            .await;
        Self::seat_of(reply)
    }

    /// Join a room as a player.
    pub async fn join(&mut self, room: &str, name: &str) -> Seat {
        let reply = self
            .request(json!({"type": "join_room", "room": room, "name": name}))
            .await;
        Self::seat_of(reply)
    }

    /// Join a room as a spectator.
    pub async fn spectate(&mut self, room: &str, name: &str) -> Seat {
        let reply = self
            .request(json!({"type": "join_room", "room": room, "name": name, "spectate": true}))
            .await;
        Self::seat_of(reply)
    }

    /// Resume a session.
    pub async fn resume(&mut self, session: &str) -> Seat {
        let reply = self
            .request(json!({"type": "resume", "session": session}))
            .await;
        Self::seat_of(reply)
    }

    /// Send an action (no reply expected on success).
    pub async fn act(&mut self, action: Value) {
        self.send(json!({"type": "action", "action": action})).await;
    }

    /// Wait for the `state` event with exactly `version`.
    pub async fn state_at(&mut self, version: u64) -> Value {
        self.recv_until(|v| v["type"] == "state" && v["version"] == version)
            .await
    }

    /// Wait for the next `state` event.
    pub async fn next_state(&mut self) -> Value {
        self.recv_type("state").await
    }
}

/// The socket type of a test client.
pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;
/// The write half of a split test client.
pub type WsSink = futures_util::stream::SplitSink<Socket, Message>;
/// The read half of a split test client.
pub type WsStream = futures_util::stream::SplitStream<Socket>;

impl Client {
    /// Split into the raw sink and stream (for tests that read and write concurrently).
    pub fn into_parts(self) -> (WsSink, WsStream) {
        self.ws.split()
    }
}
