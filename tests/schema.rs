//! The machine-readable protocol: `/api/v1/protocol.json` (JSON Schema 2020-12) and
//! `/api/v1/asyncapi.json` (AsyncAPI 3.0) are public, describe every message, and are
//! strict where the server is: a frame that lacks a required field, or carries a game
//! state no game has, does not validate. A studio's game that gives no schemas gets one
//! any JSON satisfies. (Every frame of the other integration tests is checked against
//! the same document by the test client, `tests/common/schema.rs`.)

mod common;

use common::schema::Protocol;
use common::{test_config, TestServer};
use parlor::game::{Game, MoveError, Outcome, Seat};
use parlor::Server;
use schemars::{json_schema, Schema, SchemaGenerator};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

/// GET `path` without a token: the status and the JSON body.
async fn public_get(base: &str, path: &str) -> (u16, Option<String>, Value) {
    let resp = crate::common::get(format!("{base}{path}"))
        .await
        .expect("GET");
    let status = resp.status().as_u16();
    let kind = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap_or_default().to_string());
    (status, kind, resp.json().await.unwrap_or(Value::Null))
}

fn names(doc: &Value, union: &str) -> Vec<String> {
    let members = doc["$defs"][union]["oneOf"].as_array().cloned();
    let members = members.unwrap_or_default().into_iter();
    members
        .filter_map(|m| Some(m["$ref"].as_str()?.rsplit('/').next()?.to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_documents_are_public_and_describe_every_message() {
    let srv = TestServer::start(test_config()).await;
    let base = srv.url("");
    let (status, kind, doc) = public_get(&base, "/api/v1/protocol.json").await;
    assert_eq!(status, 200, "protocol.json needs no token");
    assert_eq!(kind.as_deref(), Some("application/json"));
    assert_eq!(
        doc["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    let client = names(&doc, "ClientMessage");
    assert_eq!(client.len(), 11, "{client:?}");
    let server = names(&doc, "ServerMessage");
    assert_eq!(server.len(), 17, "{server:?}");
    for name in ["TictactoeState", "Connect4Action", "RpsState", "GameState"] {
        assert!(doc["$defs"][name].is_object(), "{name}");
    }
    jsonschema::validator_for(&doc).expect("protocol.json is a valid schema");

    let (status, _, api) = public_get(&base, "/api/v1/asyncapi.json").await;
    assert_eq!(status, 200, "asyncapi.json needs no token");
    assert_eq!(api["asyncapi"], "3.0.0");
    assert_eq!(api["channels"]["ws"]["address"], "/ws");
    for (operation, expected) in [("send", &client), ("receive", &server)] {
        let op = &api["operations"][operation];
        assert_eq!(op["action"], operation);
        let refs: Vec<&str> = op["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .filter_map(|m| m["$ref"].as_str())
            .collect();
        assert_eq!(refs.len(), expected.len(), "{operation}");
        for (r, name) in refs.iter().zip(expected.iter()) {
            assert_eq!(*r, format!("#/channels/ws/messages/{name}"));
            let payload = &api["components"]["messages"][name]["payload"];
            assert_eq!(
                payload["schema"]["$ref"],
                format!("protocol.json#/$defs/{name}")
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_schema_refuses_what_the_server_never_sends() {
    let srv = TestServer::start(test_config()).await;
    let (_, _, doc) = public_get(&srv.url(""), "/api/v1/protocol.json").await;
    let protocol = Protocol::new(doc);
    let (mut a, mut b) = (srv.client().await, srv.client().await);
    let seat = a.create("tictactoe", "ada").await;
    b.join(&seat.room, "bob").await;
    a.act(json!({"cell": 4})).await;
    let state = b.next_state().await;
    protocol.check_server(&seat.joined).expect("a real joined");
    protocol.check_server(&state).expect("a real state");

    let without = |frame: &Value, pointer: &str| {
        let mut frame = frame.clone();
        let (parent, field) = pointer.rsplit_once('/').expect("a pointer");
        let parent = frame.pointer_mut(parent).expect("the parent exists");
        parent.as_object_mut().expect("an object").remove(field);
        frame
    };
    for pointer in [
        "/snapshot",
        "/session",
        "/you/role",
        "/snapshot/version",
        "/snapshot/state",
    ] {
        let broken = without(&seat.joined, pointer);
        assert!(
            protocol.check_server(&broken).is_err(),
            "joined without {pointer}"
        );
    }
    for pointer in ["/version", "/by", "/action", "/state/board", "/state/turn"] {
        let broken = without(&state, pointer);
        assert!(
            protocol.check_server(&broken).is_err(),
            "state without {pointer}"
        );
    }
    let mut short_board = state.clone();
    short_board["state"]["board"] = json!([null, null, null]);
    assert!(
        protocol.check_server(&short_board).is_err(),
        "no game has that board"
    );
    let mut wrong_type = state.clone();
    wrong_type["type"] = json!("status");
    assert!(protocol.check_server(&wrong_type).is_err());
    let mut bad_role = seat.joined.clone();
    bad_role["you"]["role"] = json!("referee");
    assert!(protocol.check_server(&bad_role).is_err());

    // Messages a client sends: required fields, types, and only known types.
    protocol
        .check_client(&json!({"type": "create_room", "game": "rps", "name": "a", "req": 1}))
        .expect("a create_room");
    for bad in [
        json!({"type": "create_room", "name": "a"}),
        json!({"type": "chat"}),
        json!({"type": "action", "action": 4}),
        json!({"type": "ping", "req": -1}),
        json!({"type": "teleport"}),
    ] {
        assert!(protocol.check_client(&bad).is_err(), "{bad}");
    }
}

/// A two-seat game whose first mover wins at once; with `TYPED` it gives its schemas.
struct Flip<const TYPED: bool>;

impl<const TYPED: bool> Game for Flip<TYPED> {
    type State = Option<Seat>;
    type Action = ();

    fn id(&self) -> &'static str {
        match TYPED {
            true => "flip-typed",
            false => "flip",
        }
    }
    fn seats(&self) -> Seat {
        2
    }
    fn initial_state(&self, _: Seat) -> Option<Seat> {
        None
    }
    fn parse_action(&self, _: &Value) -> Result<(), MoveError> {
        Ok(())
    }
    fn apply(&self, s: &mut Option<Seat>, seat: Seat, _: &()) -> Result<(), MoveError> {
        *s = Some(seat);
        Ok(())
    }
    fn outcome(&self, s: &Option<Seat>) -> Outcome {
        s.map_or(Outcome::Ongoing, Outcome::Won)
    }
    fn public_action(&self, _: &()) -> Option<Value> {
        Some(json!({}))
    }
    fn to_act(&self, s: &Option<Seat>) -> Vec<Seat> {
        match s {
            None => vec![0, 1],
            Some(_) => Vec::new(),
        }
    }
    fn on_deadline(&self, _: &mut Option<Seat>) {}
    fn state_schema(&self, generator: &mut SchemaGenerator) -> Option<Schema> {
        TYPED.then(|| generator.subschema_for::<Option<Seat>>())
    }
    fn action_schema(&self, _: &mut SchemaGenerator) -> Option<Schema> {
        TYPED.then(|| json_schema!({"type": "object", "maxProperties": 0}))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_game_without_schemas_gets_one_any_json_satisfies() {
    let server = Server::builder(test_config())
        .game(Flip::<false>)
        .game(Flip::<true>)
        .build()
        .await
        .expect("server starts");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let stop = CancellationToken::new();
    let signal = stop.clone();
    let running = tokio::spawn(server.run(listener, async move { signal.cancelled().await }));

    let (status, _, doc) = public_get(&base, "/api/v1/protocol.json").await;
    assert_eq!(status, 200);
    let defs = &doc["$defs"];
    assert_eq!(
        (&defs["FlipState"], &defs["FlipAction"]),
        (&json!(true), &json!(true))
    );
    assert_eq!(
        defs["FlipTypedAction"],
        json!({"type": "object", "maxProperties": 0})
    );
    assert!(
        defs["FlipTypedState"].is_object(),
        "{}",
        defs["FlipTypedState"]
    );
    let states = defs["GameState"]["anyOf"].as_array().expect("anyOf");
    assert!(states.contains(&json!({"$ref": "#/$defs/FlipState"})));
    assert!(states.contains(&json!({"$ref": "#/$defs/TictactoeState"})));
    let any = jsonschema::validator_for(&json!({"$ref": "#/$defs/GameState", "$defs": defs}))
        .expect("compiles");
    assert!(
        any.is_valid(&json!({"whatever": [1, "two"]})),
        "flip gives no schema"
    );
    stop.cancel();
    let _ = running.await;
}
