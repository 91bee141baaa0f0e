//! The protocol's JSON Schema document (`/api/v1/protocol.json`, JSON Schema 2020-12).
//!
//! It is derived from the types frames are read and written with ([`ClientMsg`],
//! [`ServerMsg`] and the views they carry), so it cannot drift from them: each message is
//! a definition of its own (`ClientCreateRoom`, `ServerJoined`…), `ClientMessage` is one
//! of the client messages and `ServerMessage` one of the server frames. Game states and
//! actions come from the games one server plays (`TictactoeState`, `RpsAction`…, and
//! `GameState`/`GameAction`, any of them); a game that gives no schema gets `true`, which
//! any JSON satisfies.

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_json::{json, Map, Value};

use super::client::ClientMsg;
use super::server::ServerMsg;
use crate::game::{Games, ACTION, STATE};

/// The definition every client message satisfies.
pub const CLIENT_MESSAGE: &str = "ClientMessage";
/// The definition every frame the server sends satisfies.
pub const SERVER_MESSAGE: &str = "ServerMessage";

/// The JSON Schema document of the protocol of a server playing `games`.
pub fn schema_document(games: &Games) -> Value {
    // Client messages are read: a field with a default may be left out. Server frames are
    // written: every field is present unless it is skipped when empty.
    let mut reading = settings().for_deserialize().into_generator();
    let client = ClientMsg::json_schema(&mut reading);
    let mut writing = settings().for_serialize().into_generator();
    let server = ServerMsg::json_schema(&mut writing);
    let game_schemas = game_schemas(games, &mut writing);

    let mut defs = reading.take_definitions(true);
    defs.append(&mut writing.take_definitions(true));
    let client = messages(client, "Client", Some(&req_property()), &mut defs);
    let server = messages(server, "Server", None, &mut defs);
    insert_games(game_schemas, &mut defs);
    let refs = |names: &[String]| -> Vec<Value> { names.iter().map(|n| reference(n)).collect() };
    defs.insert(
        CLIENT_MESSAGE.into(),
        json!({"description": "Any message a client sends.", "oneOf": refs(&client)}),
    );
    defs.insert(
        SERVER_MESSAGE.into(),
        json!({"description": "Any frame the server sends.", "oneOf": refs(&server)}),
    );
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Parlor WebSocket protocol",
        "description": "Every message of `/ws`: one JSON object per text frame, each with its \
            `type`. `ClientMessage` is any message a client sends, `ServerMessage` any frame \
            the server sends; `GameState` and `GameAction` are the states and actions of the \
            games this server plays.",
        "anyOf": [reference(CLIENT_MESSAGE), reference(SERVER_MESSAGE)],
        "$defs": defs,
    })
}

/// JSON Schema 2020-12, with definitions under `$defs`.
fn settings() -> SchemaSettings {
    SchemaSettings::draft2020_12()
}

/// A `$ref` to the definition `name` of this document.
fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/$defs/{name}") })
}

/// `req`, which any client message may carry (it is read apart from the message itself).
fn req_property() -> Value {
    json!({
        "description": "Request id: the reply to this message, or the error it caused, \
            echoes it.",
        "type": "integer",
        "minimum": 0,
    })
}

/// Files each variant of a tagged enum's schema under `prefix` + its `type` in PascalCase
/// (adding `extra` as its `req` property when given), and returns the names in order.
fn messages(
    tagged: Schema,
    prefix: &str,
    extra: Option<&Value>,
    defs: &mut Map<String, Value>,
) -> Vec<String> {
    let Value::Object(mut tagged) = tagged.to_value() else {
        return Vec::new();
    };
    let Some(Value::Array(variants)) = tagged.remove("oneOf") else {
        return Vec::new();
    };
    let mut names = Vec::new();
    for mut variant in variants {
        let Some(tag) = variant
            .pointer("/properties/type/const")
            .and_then(Value::as_str)
        else {
            continue;
        };
        let name = vacant(defs, &format!("{prefix}{}", pascal(tag)));
        if let (Some(req), Some(Value::Object(props))) = (extra, variant.get_mut("properties")) {
            props.insert("req".into(), req.clone());
        }
        defs.insert(name.clone(), variant);
        names.push(name);
    }
    names
}

/// Each game's id in PascalCase with the schemas of its state and action, if it gives them.
fn game_schemas(
    games: &Games,
    generator: &mut SchemaGenerator,
) -> Vec<(String, [Option<Schema>; 2])> {
    let all = games.all().iter();
    all.map(|kind| (pascal(kind.name()), kind.schemas(generator)))
        .collect()
}

/// Files each game's schemas (`true` for one it does not give) as `<Game>State` and
/// `<Game>Action`, then `GameState` and `GameAction`: any of them.
fn insert_games(games: Vec<(String, [Option<Schema>; 2])>, defs: &mut Map<String, Value>) {
    let (mut states, mut actions) = (Vec::new(), Vec::new());
    for (name, [state, action]) in games {
        for (schema, what, refs) in [
            (state, "State", &mut states),
            (action, "Action", &mut actions),
        ] {
            let def = vacant(defs, &format!("{name}{what}"));
            refs.push(reference(&def));
            defs.insert(def, schema.map_or(Value::Bool(true), Schema::to_value));
        }
    }
    let any = |refs: Vec<Value>| match refs.is_empty() {
        true => json!(false),
        false => json!({"anyOf": refs}),
    };
    let mut state = any(states);
    if let Value::Object(state) = &mut state {
        let about = "The state of one of this server's games, as one member may see it.";
        state.insert("description".into(), about.into());
        state.insert(
            "properties".into(),
            json!({"deadline": {
                "description": "In rooms with a turn clock: when the seats that must act lose \
                    (null while no one must act).",
                "type": ["string", "null"],
                "format": "date-time",
            }}),
        );
    }
    defs.insert(STATE.into(), state);
    defs.insert(ACTION.into(), any(actions));
}

/// `name`, or `name2`, `name3`… if a type of the same name holds it already.
fn vacant(defs: &Map<String, Value>, name: &str) -> String {
    (1..)
        .map(|i| match i {
            1 => name.to_string(),
            i => format!("{name}{i}"),
        })
        .find(|n| !defs.contains_key(n))
        .unwrap_or_default()
}

/// `create_room` → `CreateRoom`, `connect4` → `Connect4`, `my-game` → `MyGame`.
fn pascal(id: &str) -> String {
    id.split(['_', '-'])
        .flat_map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase())
                .into_iter()
                .chain(chars)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_pascal_case() {
        assert_eq!(pascal("create_room"), "CreateRoom");
        assert_eq!(pascal("connect4"), "Connect4");
        assert_eq!(pascal("my-game"), "MyGame");
    }

    #[test]
    fn every_message_has_a_definition() {
        let doc = schema_document(&Games::builtin());
        let defs = &doc["$defs"];
        let client = defs[CLIENT_MESSAGE]["oneOf"].as_array().map_or(0, Vec::len);
        assert_eq!(client, super::super::CLIENT_TYPES.len());
        let server = defs[SERVER_MESSAGE]["oneOf"].as_array().map_or(0, Vec::len);
        assert_eq!(server, 17);
        let joined = &defs["ServerJoined"];
        assert_eq!(joined["properties"]["type"]["const"], "joined");
        let required = joined["required"].as_array().cloned().unwrap_or_default();
        for field in ["type", "room", "you", "session", "snapshot"] {
            assert!(required.contains(&field.into()), "{field} in {required:?}");
        }
        assert!(!required.contains(&"req".into()));
        assert_eq!(defs["ClientPing"]["properties"]["req"]["minimum"], 0);
        for game in ["Tictactoe", "Connect4", "Rps"] {
            assert!(defs[format!("{game}State")].is_object(), "{game}");
            assert!(defs[format!("{game}Action")].is_object(), "{game}");
            let forfeit = &defs[format!("{game}State")]["properties"]["forfeit"];
            assert_eq!(forfeit["type"], "boolean", "{game}: {forfeit}");
        }
    }
}
