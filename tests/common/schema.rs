//! Conformance: every frame a test client receives, and every message it sends, is
//! checked against the protocol's JSON Schema as the server under test serves it
//! (`/api/v1/protocol.json`). A violation fails the test with the frame and the error.
//!
//! The schema is loaded once per test process, from the first server a test starts (or
//! the first one a client connects to): every server of one test binary plays the same
//! games, so one schema holds for all of them. Each message type is checked against its
//! own definition, picked by its `type`, so an error names the field at fault rather
//! than saying that no message of `ServerMessage`'s `oneOf` matched.

use std::collections::HashMap;

use serde_json::{json, Value};
use tokio::sync::OnceCell;

static PROTOCOL: OnceCell<Protocol> = OnceCell::const_new();

/// The protocol's schema, ready to check frames with.
pub struct Protocol {
    /// The document itself.
    pub doc: Value,
    client: HashMap<String, jsonschema::Validator>,
    server: HashMap<String, jsonschema::Validator>,
}

/// The process's schema, fetched from the server at `http_base` (`http://host:port`) on
/// the first call.
pub async fn load(http_base: &str) -> &'static Protocol {
    PROTOCOL
        .get_or_init(|| async {
            let url = format!("{http_base}/api/v1/protocol.json");
            super::install_tls_provider();
            // No idle connection is kept: a test may count the server's connections.
            let http = reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .build()
                .expect("http client");
            let resp = http.get(&url).send().await.expect("GET protocol.json");
            assert_eq!(resp.status(), 200, "GET {url}");
            Protocol::new(resp.json().await.expect("protocol.json is JSON"))
        })
        .await
}

/// `http://host:port` of a `ws://host:port/…` URL.
pub fn http_base(ws_url: &str) -> String {
    let rest = ws_url
        .strip_prefix("ws://")
        .expect("a ws:// URL of a test server");
    format!("http://{}", rest.split('/').next().unwrap_or(rest))
}

/// Panics unless `frame` is a frame the server may send.
pub fn assert_server_frame(frame: &Value) {
    if let Err(e) = loaded().check_server(frame) {
        panic!("the server sent a frame protocol.json does not allow: {e}\n  frame: {frame}");
    }
}

/// Panics unless `msg` is a message protocol.json allows a client to send.
pub fn assert_client_message(msg: &Value) {
    if let Err(e) = loaded().check_client(msg) {
        panic!("the test sent a message protocol.json does not allow: {e}\n  message: {msg}");
    }
}

/// The schema loaded by the first server of this process.
pub fn loaded() -> &'static Protocol {
    PROTOCOL
        .get()
        .expect("protocol.json not loaded: start a TestServer or connect a Client first")
}

impl Protocol {
    /// Checkers for every message definition of `doc`.
    pub fn new(doc: Value) -> Protocol {
        let client = validators(&doc, "ClientMessage");
        let server = validators(&doc, "ServerMessage");
        assert!(
            !client.is_empty() && !server.is_empty(),
            "no messages in protocol.json"
        );
        Protocol {
            doc,
            client,
            server,
        }
    }

    /// Whether `frame` is a frame the server may send; if not, why.
    pub fn check_server(&self, frame: &Value) -> Result<(), String> {
        check(&self.server, frame)
    }

    /// Whether `msg` is a message a client may send; if not, why.
    pub fn check_client(&self, msg: &Value) -> Result<(), String> {
        check(&self.client, msg)
    }
}

/// One checker per member of the union `name` (`ClientMessage`, `ServerMessage`), by the
/// `type` its definition holds.
fn validators(doc: &Value, union: &str) -> HashMap<String, jsonschema::Validator> {
    let members = doc["$defs"][union]["oneOf"].as_array().cloned();
    let mut out = HashMap::new();
    for member in members.unwrap_or_default() {
        let reference = member["$ref"].as_str().expect("a $ref to a message");
        let name = reference.rsplit('/').next().unwrap_or(reference);
        let kind = doc["$defs"][name]["properties"]["type"]["const"]
            .as_str()
            .unwrap_or_else(|| panic!("{name} has no constant type"))
            .to_string();
        let schema = json!({
            "$schema": doc["$schema"],
            "$ref": reference,
            "$defs": doc["$defs"],
        });
        let validator = jsonschema::validator_for(&schema)
            .unwrap_or_else(|e| panic!("protocol.json's {name} does not compile: {e}"));
        assert!(
            out.insert(kind, validator).is_none(),
            "two messages of one type"
        );
    }
    out
}

fn check(by_type: &HashMap<String, jsonschema::Validator>, msg: &Value) -> Result<(), String> {
    let kind = msg["type"].as_str().ok_or("no string `type`")?;
    let validator = by_type
        .get(kind)
        .ok_or_else(|| format!("no message has type {kind:?}"))?;
    let errors: Vec<String> = validator
        .iter_errors(msg)
        .map(|e| format!("at {:?}: {e}", e.instance_path().as_str()))
        .collect();
    match errors.is_empty() {
        true => Ok(()),
        false => Err(errors.join("; ")),
    }
}
