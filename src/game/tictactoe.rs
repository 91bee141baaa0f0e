//! Tic-tac-toe: two seats take turns claiming cells 0..8 (row-major) of a 3×3 board;
//! three in a row, column or diagonal wins, a full board without that is a draw.
//!
//! Wire state: `{"board":[9 × null|0|1],"turn":0,"winner":null,"draw":false,"line":null}`,
//! where `line` holds the three winning cell indices once someone has won.
//! Action: `{"cell": 0..8}`.

use super::{
    index_field, is_false, other, outcome_of, turn_based, MoveError, Outcome, Rules, Seat,
};
use serde_json::Value;

/// Number of cells on the board.
const CELLS: usize = 9;

/// Every winning line; a move can only complete lines through its own cell.
const LINES: [[u8; 3]; 8] = [
    [0, 1, 2],
    [3, 4, 5],
    [6, 7, 8],
    [0, 3, 6],
    [1, 4, 7],
    [2, 5, 8],
    [0, 4, 8],
    [2, 4, 6],
];

/// Tic-tac-toe state, exactly as sent on the wire.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct State {
    /// Cells 0..8 in row-major order: `None` if empty, else the owning seat.
    pub board: [Option<Seat>; CELLS],
    /// Seat to move; left on the last mover once the game is over.
    pub turn: Seat,
    /// Winning seat, once there is one.
    pub winner: Option<Seat>,
    /// True if the board filled up without a winner.
    pub draw: bool,
    /// The three cells of the winning line, once there is one.
    pub line: Option<[u8; 3]>,
    /// True if the game ended because the mover's turn clock ran out.
    #[serde(default, skip_serializing_if = "is_false")]
    pub timeout: bool,
}

/// A validated tic-tac-toe move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Action {
    /// Cell to claim, 0..8.
    pub cell: usize,
}

/// The tic-tac-toe game (its [`Rules`] give its [`Game`](super::Game) impl).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicTacToe;

turn_based!(TicTacToe, "tictactoe", "cell", cell);

impl Rules for TicTacToe {
    type State = State;
    type Action = Action;
    const SEATS: u8 = 2;

    fn new_state(first: Seat) -> State {
        State {
            board: [None; CELLS],
            turn: first,
            winner: None,
            draw: false,
            line: None,
            timeout: false,
        }
    }

    fn turn(s: &State) -> Seat {
        s.turn
    }

    fn outcome(s: &State) -> Outcome {
        outcome_of(s.winner, s.draw)
    }

    fn parse_action(action: &Value) -> Result<Action, MoveError> {
        index_field(action, "cell", CELLS).map(|cell| Action { cell })
    }

    fn apply(s: &mut State, seat: Seat, a: Action) -> Result<Outcome, MoveError> {
        // `get_mut` keeps a hand-built out-of-range Action from panicking.
        let slot = s
            .board
            .get_mut(a.cell)
            .ok_or_else(|| MoveError::Illegal(format!("cell {} is out of range", a.cell)))?;
        if slot.is_some() {
            return Err(MoveError::Illegal(format!("cell {} is taken", a.cell)));
        }
        *slot = Some(seat);

        let cell = u8::try_from(a.cell).unwrap_or(u8::MAX);
        let board = &s.board;
        let won = LINES
            .iter()
            .find(|l| l.contains(&cell) && l.iter().all(|&i| board[usize::from(i)] == Some(seat)));
        if let Some(line) = won {
            s.winner = Some(seat);
            s.line = Some(*line);
            return Ok(Outcome::Won(seat));
        }
        if s.board.iter().all(Option::is_some) {
            s.draw = true;
            return Ok(Outcome::Draw);
        }
        s.turn = other(seat);
        Ok(Outcome::Ongoing)
    }
}

#[cfg(test)]
mod tests {
    use super::super::GameKind;
    use super::*;
    use serde_json::json;

    const G: GameKind = GameKind::Tictactoe;
    type GameState = serde_json::Value;
    /// Ends as X O X / X O O / O X X.
    const DRAW: [usize; 9] = [0, 1, 2, 4, 3, 5, 7, 6, 8];

    fn inner(s: &GameState) -> State {
        serde_json::from_value(s.clone()).unwrap()
    }

    fn turn(s: &GameState) -> Seat {
        inner(s).turn
    }

    fn mv(s: &mut GameState, seat: Seat, cell: impl Into<Value>) -> Result<Outcome, MoveError> {
        G.apply(s, seat, &json!({ "cell": cell.into() }))
    }

    /// Plays `cells` alternately from `first`, expecting every move to be accepted.
    fn play(first: Seat, cells: &[usize]) -> (GameState, Outcome) {
        let mut s = G.new_state(first);
        let mut last = Outcome::Ongoing;
        for &c in cells {
            let seat = turn(&s);
            last = mv(&mut s, seat, c).unwrap();
        }
        (s, last)
    }

    fn illegal(msg: &str) -> Result<Outcome, MoveError> {
        Err(MoveError::Illegal(msg.to_string()))
    }

    #[test]
    fn every_line_wins_for_both_seats_from_any_position() {
        for line in LINES {
            for seat in [0, 1] {
                for completing in line {
                    let mut t = TicTacToe::new_state(seat);
                    for i in line.iter().filter(|&&i| i != completing) {
                        t.board[usize::from(*i)] = Some(seat);
                    }
                    let mut s = serde_json::to_value(t).unwrap();
                    let r = mv(&mut s, seat, completing);
                    assert_eq!(r, Ok(Outcome::Won(seat)), "{line:?} via {completing}");
                    let t = inner(&s);
                    let got = (t.winner, t.line, t.draw, t.turn);
                    assert_eq!(got, (Some(seat), Some(line), false, seat));
                    assert_eq!(G.outcome(&s), Outcome::Won(seat));
                }
            }
        }
    }

    #[test]
    fn played_games_win_rows_columns_and_diagonals() {
        // X: 0 1 2 row; O elsewhere.
        let (s, o) = play(0, &[0, 3, 1, 4, 2]);
        assert_eq!((o, inner(&s).line), (Outcome::Won(0), Some([0, 1, 2])));
        // O wins the middle column when X opens.
        let (s, o) = play(0, &[0, 1, 2, 4, 8, 7]);
        assert_eq!((o, inner(&s).line), (Outcome::Won(1), Some([1, 4, 7])));
        let (s, o) = play(1, &[0, 1, 4, 2, 8]);
        assert_eq!((o, inner(&s).line), (Outcome::Won(1), Some([0, 4, 8])));
        let (s, o) = play(0, &[2, 0, 4, 1, 6]);
        assert_eq!((o, inner(&s).line), (Outcome::Won(0), Some([2, 4, 6])));
    }

    #[test]
    fn full_board_without_line_is_a_draw() {
        let (s, o) = play(0, &DRAW);
        assert_eq!((o, G.outcome(&s)), (Outcome::Draw, Outcome::Draw));
        let t = inner(&s);
        assert_eq!((t.draw, t.winner, t.line), (true, None, None));
    }

    #[test]
    fn win_on_the_last_cell_is_a_win_not_a_draw() {
        let (s, o) = play(0, &[2, 1, 7, 3, 0, 5, 4, 6, 8]);
        assert_eq!(o, Outcome::Won(0));
        let t = inner(&s);
        assert_eq!((t.draw, t.line), (false, Some([0, 4, 8])));
    }

    #[test]
    fn illegal_moves_are_rejected_and_change_nothing() {
        let (mut s, _) = play(0, &[4]);
        let before = s.clone();
        let range = "cell must be an integer from 0 to 8";
        let shape = "action must be an object like {\"cell\": 0}";
        let missing = "action is missing \"cell\"";
        #[rustfmt::skip]
        let cases = [
            (json!({"cell": 4}), "cell 4 is taken"),
            (json!({"cell": 9}), range), (json!({"cell": -1}), range),
            (json!({"cell": "3"}), range), (json!({"cell": 3.5}), range),
            (json!({"cell": null}), range), (json!({"cell": {}}), range),
            (json!({"column": 3}), missing), (json!({}), missing),
            (json!([3]), shape), (json!("3"), shape), (json!(null), shape),
        ];
        for (action, msg) in cases {
            assert_eq!(G.apply(&mut s, 1, &action), illegal(msg), "{action}");
            assert_eq!(s, before);
        }
        // Extra keys are ignored.
        let extra = json!({"cell": 0, "x": 1});
        assert_eq!(G.apply(&mut s, 1, &extra), Ok(Outcome::Ongoing));
    }

    #[test]
    fn out_of_range_action_built_in_code_does_not_panic() {
        let mut t = TicTacToe::new_state(0);
        let r = TicTacToe::apply(&mut t, 0, Action { cell: 99 });
        assert_eq!(r, illegal("cell 99 is out of range"));
    }

    #[test]
    fn turns_alternate_and_are_enforced() {
        let mut s = G.new_state(0);
        assert_eq!(mv(&mut s, 1, 0), Err(MoveError::NotYourTurn(0)));
        assert_eq!(mv(&mut s, 0, 0), Ok(Outcome::Ongoing));
        assert_eq!(turn(&s), 1);
        assert_eq!(mv(&mut s, 0, 1), Err(MoveError::NotYourTurn(1)));
        assert_eq!(mv(&mut s, 1, 1), Ok(Outcome::Ongoing));
        assert_eq!(turn(&s), 0);
    }

    #[test]
    fn rematch_with_seat_1_first() {
        let mut s = G.new_state(1);
        assert_eq!(turn(&s), 1);
        assert_eq!(mv(&mut s, 0, 4), Err(MoveError::NotYourTurn(1)));
        assert_eq!(mv(&mut s, 1, 4), Ok(Outcome::Ongoing));
        assert_eq!(inner(&s).board[4], Some(1));
        assert_eq!(turn(&s), 0);
    }

    #[test]
    fn moves_after_game_over_are_rejected() {
        for (mut s, _) in [play(0, &[0, 3, 1, 4, 2]), play(0, &DRAW)] {
            let before = s.clone();
            for seat in [0, 1] {
                assert_eq!(mv(&mut s, seat, 5), Err(MoveError::GameOver));
                assert_eq!(
                    G.apply(&mut s, seat, &json!("junk")),
                    Err(MoveError::GameOver)
                );
            }
            assert_eq!(s, before);
        }
    }

    #[test]
    fn json_shape_matches_the_wire_contract() {
        assert_eq!(
            serde_json::to_value(G.new_state(0)).unwrap(),
            json!({"board":[null,null,null,null,null,null,null,null,null],
                   "turn":0,"winner":null,"draw":false,"line":null})
        );
        let (s, _) = play(1, &[4, 0]);
        assert_eq!(
            serde_json::to_value(&s).unwrap(),
            json!({"board":[0,null,null,null,1,null,null,null,null],
                   "turn":1,"winner":null,"draw":false,"line":null})
        );
        let (s, _) = play(0, &[0, 1, 4, 2, 8]);
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            r#"{"board":[0,1,1,null,0,null,null,null,0],"draw":false,"line":[0,4,8],"turn":0,"winner":0}"#
        );
    }

    #[test]
    fn serde_round_trip_stays_tictactoe() {
        for (s, _) in [play(0, &[]), play(1, &[4, 0, 8]), play(0, &[0, 1, 4, 2, 8])] {
            let text = serde_json::to_string(&s).unwrap();
            let back: GameState = serde_json::from_str(&text).unwrap();
            assert_eq!(back, s);
        }
        // A 10-cell board is not silently truncated.
        let bad = json!({"board":[null,null,null,null,null,null,null,null,null,null],
                         "turn":0,"winner":null,"draw":false,"line":null});
        assert!(serde_json::from_value::<State>(bad).is_err());
    }

    /// Independent full-board scan to cross-check the local win test.
    fn any_line(b: &[Option<Seat>; CELLS], seat: Seat) -> bool {
        let mine = |i: &u8| b[usize::from(*i)] == Some(seat);
        LINES.iter().any(|l| l.iter().all(mine))
    }

    #[test]
    fn pseudo_random_games_agree_with_full_scan() {
        let mut rng: u64 = 0x9E37_79B9_7F4A_7C15;
        for game in 0..2000_u32 {
            let mut s = G.new_state(u8::from(game % 2 == 1));
            loop {
                rng = rng.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                // Random cells, including out-of-range ones, which must just be refused.
                let cell = (rng >> 33) % 11;
                let seat = turn(&s);
                let Ok(o) = mv(&mut s, seat, cell) else {
                    continue;
                };
                let t = inner(&s);
                let full = t.board.iter().all(Option::is_some);
                let expect = match (any_line(&t.board, seat), full) {
                    (true, _) => Outcome::Won(seat),
                    (false, true) => Outcome::Draw,
                    (false, false) => Outcome::Ongoing,
                };
                assert_eq!(o, expect);
                if o.is_over() {
                    break;
                }
            }
        }
    }
}
