//! Play a short scripted session against a running server and print every frame, the way
//! the README shows it: `cargo run --example transcript -- ws://127.0.0.1:8765/ws`.

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{connect_async, MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

struct Player {
    name: &'static str,
    ws: Ws,
}

impl Player {
    async fn send(&mut self, v: Value) {
        println!("{:<5} > {v}", self.name);
        let _ = self.ws.send(Message::Text(v.to_string().into())).await;
    }

    /// Print frames until one of `kind` arrives; return it.
    async fn until(&mut self, kind: &str) -> Value {
        while let Some(Ok(msg)) = self.ws.next().await {
            if let Message::Text(t) = msg {
                println!("{:<5} < {}", self.name, t.as_str());
                let v: Value = serde_json::from_str(t.as_str()).unwrap_or_default();
                if v["type"] == kind {
                    return v;
                }
            }
        }
        Value::Null
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "ws://127.0.0.1:8765/ws".into());
    let mut alice = Player {
        name: "alice",
        ws: connect_async(&url).await?.0,
    };
    let mut bob = Player {
        name: "bob",
        ws: connect_async(&url).await?.0,
    };
    alice
        .send(json!({"type": "create_room", "game": "tictactoe", "name": "alice", "req": 1}))
        .await;
    let joined = alice.until("joined").await;
    let code = joined["room"].as_str().unwrap_or_default().to_lowercase();
    bob.send(json!({"type": "join_room", "room": code, "name": "bob", "req": 1}))
        .await;
    bob.until("joined").await;
    alice.until("state").await;
    alice
        .send(json!({"type": "action", "action": {"cell": 4}}))
        .await;
    alice.until("state").await;
    bob.until("state").await;
    bob.send(json!({"type": "action", "action": {"cell": 4}, "req": 2}))
        .await;
    bob.until("error").await;
    bob.send(json!({"type": "chat", "text": "nice"})).await;
    alice.until("chat").await;
    Ok(())
}
