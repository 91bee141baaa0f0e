//! Tests of what every game shares: the check order, the handle, registration.

use super::*;
use serde_json::json;

const T: GameKind = GameKind::Tictactoe;

#[test]
fn kind_names_parse_and_serde_agree() {
    for k in GameKind::ALL {
        assert_eq!(GameKind::parse(k.name()), Some(k));
        assert_eq!(serde_json::to_value(k).unwrap(), json!(k.name()));
        let back: GameKind = serde_json::from_value(json!(k.name())).unwrap();
        assert_eq!((back, k.seats()), (k, 2));
    }
    for bad in ["TicTacToe", "Connect4", "connect-4", " tictactoe", ""] {
        assert_eq!(GameKind::parse(bad), None, "{bad:?}");
        assert!(serde_json::from_value::<GameKind>(json!(bad)).is_err());
    }
}

#[test]
fn new_state_sets_first_mover_and_is_ongoing() {
    for k in [GameKind::Tictactoe, GameKind::Connect4] {
        for first in [0, 1] {
            let s = k.new_state(first);
            assert_eq!(
                (k.to_act(&s), k.outcome(&s)),
                (vec![first], Outcome::Ongoing)
            );
        }
    }
    let s = GameKind::Rps.new_state(1);
    assert_eq!(GameKind::Rps.to_act(&s), vec![0, 1]);
    assert!(!Outcome::Ongoing.is_over());
    assert!(Outcome::Won(1).is_over() && Outcome::Draw.is_over());
}

#[test]
fn wrong_game_is_rejected_before_anything_else() {
    let mut s = GameKind::Connect4.new_state(0);
    let before = s.clone();
    assert_eq!(
        T.apply(&mut s, 0, &json!({"cell": 0})),
        Err(MoveError::WrongGame)
    );
    assert_eq!(s, before);
    let mut t = T.new_state(0);
    let r = GameKind::Connect4.apply(&mut t, 1, &json!(null));
    assert_eq!(r, Err(MoveError::WrongGame));
}

#[test]
fn check_order_game_over_then_turn_then_action() {
    // Not-your-turn beats a malformed action; a seat off the table is just not to move.
    let mut s = T.new_state(0);
    assert_eq!(
        T.apply(&mut s, 1, &json!("junk")),
        Err(MoveError::NotYourTurn(0))
    );
    assert_eq!(
        T.apply(&mut s, 7, &json!({"cell": 0})),
        Err(MoveError::NotYourTurn(0))
    );
    // Game over beats both.
    let mut s = json!({"board": [0, 0, 0, 1, 1, null, null, null, null], "turn": 0,
                       "winner": 0, "draw": false, "line": [0, 1, 2]});
    assert_eq!(T.apply(&mut s, 1, &json!("junk")), Err(MoveError::GameOver));
}

#[test]
fn error_messages() {
    let msgs = [
        (MoveError::NotYourTurn(1), "it is seat 1's turn"),
        (MoveError::GameOver, "the game is over"),
        (MoveError::WrongGame, "state does not belong to this game"),
        (
            MoveError::Illegal("cell 4 is taken".into()),
            "cell 4 is taken",
        ),
    ];
    for (e, m) in msgs {
        assert_eq!(e.to_string(), m);
    }
}

#[test]
fn index_field_covers_every_bad_shape() {
    let msg = |v: Value| match index_field(&v, "cell", 9) {
        Err(MoveError::Illegal(m)) => m,
        other => panic!("expected Illegal, got {other:?}"),
    };
    assert_eq!(
        msg(json!([4])),
        "action must be an object like {\"cell\": 0}"
    );
    assert_eq!(msg(json!({})), "action is missing \"cell\"");
    #[rustfmt::skip]
    let bad = [json!(9), json!(-1), json!(4.0), json!("4"), json!(null), json!(true),
               json!(u64::MAX), json!(1e300), json!([4]), json!({"n": 4})];
    for v in bad {
        assert_eq!(
            msg(json!({ "cell": v })),
            "cell must be an integer from 0 to 8"
        );
    }
    assert_eq!(
        index_field(&json!({"cell": 8, "junk": [1]}), "cell", 9),
        Ok(8)
    );
}

#[test]
fn normalized_actions_keep_only_the_move() {
    let junk = json!({"cell": 4, "junk": "x".repeat(10_000), "column": 1});
    assert_eq!(T.normalize_action(&junk), Some(json!({"cell": 4})));
    let c4 = GameKind::Connect4;
    assert_eq!(c4.normalize_action(&junk), Some(json!({"column": 1})));
    assert_eq!(c4.normalize_action(&json!({"column": 7})), None);
    assert_eq!(T.normalize_action(&json!("junk")), None);
    // rps never shows a choice in an event.
    let choice = json!({"choice": "rock"});
    assert_eq!(GameKind::Rps.normalize_action(&choice), None);
}

#[test]
fn a_deadline_ends_a_turn_based_game_for_the_other_seat() {
    let mut s = T.new_state(1);
    assert_eq!(T.on_deadline(&mut s), Ok(Outcome::Won(0)));
    assert_eq!((&s["timeout"], &s["winner"]), (&json!(true), &json!(0)));
    assert!(T.to_act(&s).is_empty());
    // A fresh state says nothing about a clock.
    assert!(T.new_state(0).get("timeout").is_none());
}

/// A one-seat game for the registry tests.
struct Solo(&'static str);

impl Game for Solo {
    type State = u32;
    type Action = ();
    fn id(&self) -> &'static str {
        self.0
    }
    fn seats(&self) -> Seat {
        1
    }
    fn initial_state(&self, _first: Seat) -> u32 {
        0
    }
    fn parse_action(&self, _action: &Value) -> Result<(), MoveError> {
        Ok(())
    }
    fn apply(&self, s: &mut u32, _seat: Seat, _a: &()) -> Result<(), MoveError> {
        *s += 1;
        Ok(())
    }
    fn outcome(&self, s: &u32) -> Outcome {
        if *s >= 3 {
            Outcome::Won(0)
        } else {
            Outcome::Ongoing
        }
    }
    fn public_action(&self, _a: &()) -> Option<Value> {
        None
    }
    fn to_act(&self, _s: &u32) -> Vec<Seat> {
        vec![0]
    }
    fn on_deadline(&self, s: &mut u32) {
        *s = 3;
    }
}

#[test]
fn registration_is_per_server_and_ids_are_checked() {
    let mut games = Games::new();
    let solo = games.register(Solo("solo-test")).unwrap();
    assert_eq!(games.register(Solo("solo-test")), Ok(solo));
    assert_eq!(games.all(), &[solo]);
    assert_eq!(GameKind::parse("solo-test"), Some(solo));
    assert!(Games::builtin().get("solo-test").is_none());
    assert_eq!(
        games.register(tictactoe::TicTacToe),
        Ok(GameKind::Tictactoe)
    );
    for bad in ["", "Solo", "a b", &"x".repeat(33)] {
        let id: &'static str = Box::leak(bad.to_string().into_boxed_str());
        assert_eq!(
            Games::new().register(Solo(id)),
            Err(RegisterError::BadId(bad.to_string()))
        );
    }
    let mut s = solo.new_state(0);
    for _ in 0..3 {
        solo.apply(&mut s, 0, &json!({})).unwrap();
    }
    assert_eq!(solo.apply(&mut s, 0, &json!({})), Err(MoveError::GameOver));
}
