//! Property tests over everything a client or a peer node can feed Parlor: the client
//! message parser, the game rules from random reachable positions, and the pub/sub
//! envelope decoder. They mirror the coverage-guided targets in `fuzz/` so CI (stable,
//! no libFuzzer) keeps the same guarantees. `PROPTEST_CASES` sets the case count
//! (default 256); a long run is `PROPTEST_CASES=200000 cargo test --release --test fuzz_props`.

use parlor::error::ErrorCode;
use parlor::game::{GameKind, GameState, MoveError, Outcome};
use parlor::model::Envelope;
use parlor::protocol::{parse_client_message, ClientMsg, CLIENT_TYPES, MAX_ACTION_BYTES};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// Any JSON value, nested up to about 24 levels (past the parser's depth limit).
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,12}".prop_map(Value::String),
        (0u64..12).prop_map(|n| json!(n)),
    ];
    leaf.prop_recursive(24, 200, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Object keys: mostly the protocol's own field names, so decoding gets exercised.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "type",
            "req",
            "game",
            "name",
            "room",
            "private",
            "spectate",
            "session",
            "action",
            "expected_version",
            "text",
            "cell",
            "column",
        ])
        .prop_map(str::to_string),
        ".{0,8}",
    ]
}

/// A client frame that is an object with a known (or random) `type` and random fields.
fn frame() -> impl Strategy<Value = String> {
    let kind = prop_oneof![
        prop::sample::select(CLIENT_TYPES.to_vec()).prop_map(|t| json!(t)),
        any_json(),
    ];
    (kind, prop::collection::vec((key(), any_json()), 0..6)).prop_map(|(kind, fields)| {
        let mut obj: Map<String, Value> = fields.into_iter().collect();
        obj.insert("type".into(), kind);
        Value::Object(obj).to_string()
    })
}

fn check_parse(text: &str) {
    let incoming = parse_client_message(text);
    match incoming.msg {
        Ok(ClientMsg::Action { action, .. }) => {
            assert!(action.to_string().len() <= MAX_ACTION_BYTES);
        }
        Ok(_) => {}
        Err(e) => {
            assert!(
                matches!(e.code, ErrorCode::BadRequest | ErrorCode::UnknownType),
                "parsing answered {:?}",
                e.code
            );
            assert!(!e.message.is_empty() && e.message.len() < 256);
        }
    }
}

/// A game reached by `choices` legal moves (each picks among the legal ones), stopping
/// early if it ends.
fn reachable(kind: GameKind, first: u8, choices: &[u8]) -> GameState {
    let (key, width) = if kind == GameKind::Tictactoe {
        ("cell", 9)
    } else {
        ("column", 7)
    };
    let mut state = kind.new_state(first);
    for &choice in choices {
        if kind.outcome(&state).is_over() {
            break;
        }
        let seat = kind.to_act(&state)[0];
        let legal: Vec<Value> = (0..width)
            .map(|i| json!({ key: i }))
            .filter(|a| kind.apply(&mut state.clone(), seat, a).is_ok())
            .collect();
        let pick = &legal[usize::from(choice) % legal.len()];
        kind.apply(&mut state, seat, pick).expect("a legal move");
    }
    state
}

/// A plausible or absurd action.
fn action() -> impl Strategy<Value = Value> {
    prop_oneof![
        (-3i64..12).prop_map(|n| json!({ "cell": n })),
        (-3i64..10).prop_map(|n| json!({ "column": n })),
        (0u8..10, 0u8..8).prop_map(|(c, k)| json!({"cell": c, "column": k, "x": [1]})),
        any::<f64>().prop_map(|f| json!({ "cell": f, "column": f })),
        any_json(),
    ]
}

/// Text shaped like an envelope, with every part sometimes wrong.
fn envelope_text() -> impl Strategy<Value = String> {
    let version = prop_oneof![
        Just("-".to_string()),
        any::<u64>().prop_map(|v| v.to_string()),
        ".{0,4}"
    ];
    let effect = prop_oneof![
        Just("n".to_string()),
        Just("c".to_string()),
        (".{0,6}", prop::option::of(any::<u64>()))
            .prop_map(|(p, e)| format!("d|{p}|{}", e.map(|e| e.to_string()).unwrap_or_default())),
        ".{0,6}",
    ];
    let line = (prop::sample::select(vec!['*', '!', '~', '?']), ".{0,20}")
        .prop_map(|(tag, body)| format!("{tag}{body}"));
    (
        version,
        effect,
        ".{0,20}",
        prop::collection::vec(line, 0..4),
    )
        .prop_map(|(v, e, doc, lines)| {
            let mut text = format!("{v}|{e}\n{doc}");
            for l in lines {
                text.push('\n');
                text.push_str(&l);
            }
            text
        })
}

fn check_envelope(text: &str) {
    if let Some(env) = Envelope::decode(text) {
        assert_eq!(Envelope::decode(&env.encode()).as_ref(), Some(&env));
    }
}

proptest! {
    #[test]
    fn parser_survives_any_text(text in any::<String>()) {
        check_parse(&text);
    }

    #[test]
    fn parser_survives_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        check_parse(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn parser_survives_any_json(value in any_json()) {
        check_parse(&value.to_string());
    }

    #[test]
    fn parser_survives_any_message_shape(text in frame()) {
        check_parse(&text);
    }

    #[test]
    fn games_survive_any_move_from_any_position(
        connect4 in any::<bool>(),
        first in 0u8..2,
        choices in prop::collection::vec(any::<u8>(), 0..42),
        seat in any::<u8>(),
        action in action(),
    ) {
        let kind = if connect4 { GameKind::Connect4 } else { GameKind::Tictactoe };
        let before = reachable(kind, first, &choices);
        let mut state = before.clone();
        match kind.apply(&mut state, seat, &action) {
            Err(e) => {
                prop_assert_eq!(&state, &before, "a refused move changed the state");
                prop_assert_ne!(e, MoveError::WrongGame);
            }
            Ok(outcome) => {
                prop_assert_eq!(outcome, kind.outcome(&state));
                let normal = kind.normalize_action(&action);
                prop_assert!(normal.is_some(), "accepted but does not normalise");
                let mut again = before.clone();
                let normal = normal.unwrap_or_default();
                prop_assert_eq!(kind.apply(&mut again, seat, &normal), Ok(outcome));
                prop_assert_eq!(&again, &state);
                let wire = serde_json::to_value(&state).map_err(|e| TestCaseError::fail(e.to_string()))?;
                let back: Result<GameState, _> = serde_json::from_value(wire);
                prop_assert_eq!(back.ok(), Some(state.clone()));
                if outcome != Outcome::Ongoing {
                    prop_assert_eq!(kind.apply(&mut state, seat, &normal), Err(MoveError::GameOver));
                }
            }
        }
    }

    #[test]
    fn envelopes_decode_safely(text in any::<String>()) {
        check_envelope(&text);
    }

    #[test]
    fn envelope_shaped_text_decodes_safely(text in envelope_text()) {
        check_envelope(&text);
    }
}
