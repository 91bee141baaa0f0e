//! The AsyncAPI 3.0 document of `/ws` (`/api/v1/asyncapi.json`): one channel, the client
//! application's two operations (it sends the client messages and receives the server
//! frames), and one message per message type whose payload is that message's definition
//! in the JSON Schema document, served beside it as `protocol.json`.

use serde_json::{json, Map, Value};

use super::schema::{CLIENT_MESSAGE, SERVER_MESSAGE};

/// How a payload names its schema's format (AsyncAPI's multi-format schema object).
const SCHEMA_FORMAT: &str = "application/schema+json;version=draft-2020-12";

/// The AsyncAPI document for the protocol described by `schema` (from
/// `schema_document`); payloads point into it at `schema_url`.
pub fn asyncapi_document(schema: &Value, schema_url: &str) -> Value {
    let mut messages = Map::new();
    let mut refs = |union: &str| -> Vec<Value> {
        let names = schema["$defs"][union]["oneOf"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        names
            .iter()
            .filter_map(|r| r["$ref"].as_str()?.rsplit('/').next().map(str::to_string))
            .map(|name| {
                let def = &schema["$defs"][name.as_str()];
                messages.insert(name.clone(), message(&name, def, schema_url));
                json!({ "$ref": format!("#/channels/ws/messages/{name}") })
            })
            .collect()
    };
    let (sent, received) = (refs(CLIENT_MESSAGE), refs(SERVER_MESSAGE));
    let channel_messages: Map<String, Value> = messages
        .keys()
        .map(|name| {
            (
                name.clone(),
                json!({ "$ref": format!("#/components/messages/{name}") }),
            )
        })
        .collect();
    json!({
        "asyncapi": "3.0.0",
        "info": {
            "title": "Parlor WebSocket protocol",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Play over one WebSocket: one JSON object per text frame. A client \
                message may carry `req`; the reply to it, or the error it caused, echoes it. \
                Events are pushed to every member of a room.",
        },
        "defaultContentType": "application/json",
        "channels": {
            "ws": {
                "address": "/ws",
                "title": "A player's or spectator's connection",
                "messages": channel_messages,
                "bindings": { "ws": { "method": "GET" } },
            }
        },
        "operations": {
            "send": {
                "action": "send",
                "channel": { "$ref": "#/channels/ws" },
                "summary": "Messages a client sends.",
                "messages": sent,
            },
            "receive": {
                "action": "receive",
                "channel": { "$ref": "#/channels/ws" },
                "summary": "Replies and room events the server sends.",
                "messages": received,
            },
        },
        "components": { "messages": messages },
    })
}

/// One message: its wire `type` as name, its description, and its definition as payload.
fn message(name: &str, def: &Value, schema_url: &str) -> Value {
    let mut message = json!({
        "name": def.pointer("/properties/type/const").cloned().unwrap_or(Value::Null),
        "title": name,
        "payload": {
            "schemaFormat": SCHEMA_FORMAT,
            "schema": { "$ref": format!("{schema_url}#/$defs/{name}") },
        },
    });
    if let Some(text) = def.get("description") {
        message["summary"] = text.clone();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::game::Games;

    #[test]
    fn every_message_points_at_its_definition() {
        let schema = super::super::schema::schema_document(&Games::builtin());
        let doc = asyncapi_document(&schema, "protocol.json");
        let messages = doc["components"]["messages"].as_object().expect("messages");
        assert_eq!(messages.len(), 28);
        let ping = &messages["ClientPing"];
        assert_eq!(ping["name"], "ping");
        assert_eq!(
            ping["payload"]["schema"]["$ref"],
            "protocol.json#/$defs/ClientPing"
        );
        let sent = doc["operations"]["send"]["messages"]
            .as_array()
            .expect("send");
        assert_eq!(sent.len(), 11);
        assert_eq!(sent[0]["$ref"], "#/channels/ws/messages/ClientCreateRoom");
    }
}
