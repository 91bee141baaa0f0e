//! Random games with arbitrary moves from arbitrary seats: `GameKind::apply` never
//! panics, a refused move leaves the state untouched, an accepted one is exactly what its
//! normalised form does, and every state reached round-trips through its wire JSON.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use parlor::game::{GameKind, GameState, MoveError, Outcome};
use serde_json::{json, Value};

/// A client action, from plausible to absurd.
#[derive(Debug, Arbitrary)]
enum Action {
    Cell(i64),
    Column(i64),
    Both(u8, u8),
    Float(f64),
    Text(String),
    Keys(Vec<(String, i64)>),
    Raw(String),
    Null,
}

impl Action {
    fn to_json(&self) -> Value {
        match self {
            Action::Cell(n) => json!({ "cell": n }),
            Action::Column(n) => json!({ "column": n }),
            Action::Both(c, k) => json!({ "cell": c % 10, "column": k % 8, "x": [1] }),
            Action::Float(f) => json!({ "cell": f, "column": f }),
            Action::Text(s) => json!({ "cell": s }),
            Action::Keys(kv) => {
                Value::Object(kv.iter().map(|(k, v)| (k.clone(), json!(v))).collect())
            }
            Action::Raw(s) => serde_json::from_str(s).unwrap_or(Value::Null),
            Action::Null => Value::Null,
        }
    }
}

#[derive(Debug, Arbitrary)]
struct Game {
    connect4: bool,
    first: bool,
    moves: Vec<(u8, Action)>,
}

fuzz_target!(|g: Game| {
    let kind = if g.connect4 {
        GameKind::Connect4
    } else {
        GameKind::Tictactoe
    };
    let mut state = kind.new_state(u8::from(g.first));
    for (seat, action) in &g.moves {
        let action = action.to_json();
        let before = state.clone();
        match kind.apply(&mut state, *seat, &action) {
            Err(e) => {
                assert_eq!(state, before, "refused move changed the state");
                assert_ne!(e, MoveError::WrongGame);
            }
            Ok(outcome) => {
                assert_eq!(outcome, state.outcome());
                let normal = kind
                    .normalize_action(&action)
                    .expect("accepted, so it parses");
                let mut again = before.clone();
                assert_eq!(kind.apply(&mut again, *seat, &normal), Ok(outcome));
                assert_eq!(again, state);
                let wire = serde_json::to_value(&state).expect("state serialises");
                let back: GameState = serde_json::from_value(wire).expect("state parses back");
                assert_eq!(back, state);
                if outcome != Outcome::Ongoing {
                    assert_eq!(
                        kind.apply(&mut state, *seat, &normal),
                        Err(MoveError::GameOver)
                    );
                }
            }
        }
    }
});
