//! Connect four: two seats take turns dropping pieces into one of 7 columns of a 6-row
//! board; a piece falls to the lowest free cell (the highest empty row index, row 0 is
//! the top). Four in a row horizontally, vertically or diagonally wins.
//!
//! Wire state: `{"board":[6 rows × 7 × null|0|1],"turn":0,"winner":null,"draw":false,
//! "line":null}`; `line` holds 4 winning cells as `[[row,col],...]` once someone has won.
//! Action: `{"column": 0..6}`.

use super::{
    index_field, is_false, other, outcome_of, turn_based, MoveError, Outcome, Rules, Seat,
};
use serde_json::Value;

/// Board height.
const ROWS: usize = 6;
/// Board width.
const COLS: usize = 7;
/// Pieces in a row needed to win.
const WIN: usize = 4;

/// The four line directions as (row step, column step); each is also scanned backwards.
const DIRS: [(isize, isize); 4] = [(0, 1), (1, 0), (1, 1), (1, -1)];

/// `board[row][col]`, row 0 on top.
pub type Board = [[Option<Seat>; COLS]; ROWS];

/// Connect-four state, exactly as sent on the wire.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct State {
    /// `board[row][col]`, row 0 on top: `None` if empty, else the owning seat.
    pub board: Board,
    /// Seat to move; left on the last mover once the game is over.
    pub turn: Seat,
    /// Winning seat, once there is one.
    pub winner: Option<Seat>,
    /// True if the board filled up without a winner.
    pub draw: bool,
    /// Four winning cells as `[row, col]`, always including the last piece played.
    pub line: Option<[[u8; 2]; WIN]>,
    /// True if the game ended because the mover's turn clock ran out.
    #[serde(default, skip_serializing_if = "is_false")]
    pub timeout: bool,
}

/// A validated connect-four move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Action {
    /// Column to drop into, 0..6.
    pub column: usize,
}

/// The connect-four game (its [`Rules`] give its [`Game`](super::Game) impl).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connect4;

turn_based!(Connect4, "connect4", "column", column);

impl Rules for Connect4 {
    type State = State;
    type Action = Action;
    const SEATS: u8 = 2;

    fn new_state(first: Seat) -> State {
        State {
            board: [[None; COLS]; ROWS],
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
        index_field(action, "column", COLS).map(|column| Action { column })
    }

    fn apply(s: &mut State, seat: Seat, a: Action) -> Result<Outcome, MoveError> {
        let col = a.column;
        // Checked here too so a hand-built Action cannot index out of bounds.
        if col >= COLS {
            return Err(MoveError::Illegal(format!("column {col} is out of range")));
        }
        let row = (0..ROWS)
            .rev()
            .find(|&r| s.board[r][col].is_none())
            .ok_or_else(|| MoveError::Illegal(format!("column {col} is full")))?;
        s.board[row][col] = Some(seat);

        if let Some(line) = winning_line(&s.board, seat, row, col) {
            s.winner = Some(seat);
            s.line = Some(line);
            return Ok(Outcome::Won(seat));
        }
        // Pieces stack from the bottom, so a full top row means a full board.
        if s.board[0].iter().all(Option::is_some) {
            s.draw = true;
            return Ok(Outcome::Draw);
        }
        s.turn = other(seat);
        Ok(Outcome::Ongoing)
    }
}

/// True if (`r`, `c`) is on the board and holds `seat`'s piece.
fn holds(board: &Board, seat: Seat, r: isize, c: isize) -> bool {
    let row = usize::try_from(r).ok().and_then(|r| board.get(r));
    row.and_then(|cells| usize::try_from(c).ok().and_then(|c| cells.get(c))) == Some(&Some(seat))
}

/// Looks for four in a row through the piece just placed at (`row`, `col`) only, since
/// any other line would already have ended the game. Returns 4 cells that include it.
fn winning_line(board: &Board, seat: Seat, row: usize, col: usize) -> Option<[[u8; 2]; WIN]> {
    // Board coordinates are < 7, so these casts (and the `as u8` below) are lossless.
    let (row, col, win) = (row as isize, col as isize, WIN as isize);
    // The seat's pieces beyond the new one in one direction; more than 3 never matters.
    let run = |dr: isize, dc: isize| {
        (1..win)
            .take_while(|&i| holds(board, seat, row + dr * i, col + dc * i))
            .count() as isize
    };
    DIRS.into_iter().find_map(|(dr, dc)| {
        let back = run(-dr, -dc);
        (back + 1 + run(dr, dc) >= win).then(|| {
            // Starting at most 3 back keeps the window inside the run and on the new
            // piece, even when the run is longer than four.
            let cell = |i: isize| [(row + dr * (i - back)) as u8, (col + dc * (i - back)) as u8];
            [cell(0), cell(1), cell(2), cell(3)]
        })
    })
}

#[cfg(test)]
mod tests {
    use super::super::GameKind;
    use super::*;
    use serde_json::json;

    const G: GameKind = GameKind::Connect4;
    type GameState = serde_json::Value;
    const DRAW: &str = "200000011111122222333333644444455555566666";

    /// Builds a state from rows (top first) joined by '/': '.' empty, 'X' seat 0, 'O' seat 1.
    fn grid(rows: &str, turn: Seat) -> GameState {
        let mut s = Connect4::new_state(turn);
        for (row, text) in s.board.iter_mut().zip(rows.split('/')) {
            for (slot, ch) in row.iter_mut().zip(text.chars()) {
                *slot = "XO".find(ch).map(|i| i as Seat);
            }
        }
        serde_json::to_value(s).unwrap()
    }

    fn inner(s: &GameState) -> State {
        serde_json::from_value(s.clone()).unwrap()
    }

    fn turn(s: &GameState) -> Seat {
        inner(s).turn
    }

    fn mv(s: &mut GameState, seat: Seat, column: impl Into<Value>) -> Result<Outcome, MoveError> {
        G.apply(s, seat, &json!({ "column": column.into() }))
    }

    /// Plays the column digits in `cols` alternately from `first`; all must be accepted.
    fn play(first: Seat, cols: &str) -> (GameState, Outcome) {
        let mut s = G.new_state(first);
        let mut last = Outcome::Ongoing;
        for c in cols.chars().filter_map(|c| c.to_digit(10)) {
            let seat = turn(&s);
            last = mv(&mut s, seat, c).unwrap();
        }
        (s, last)
    }

    /// (board, seat to drop, column, expected line): every direction, at the edges.
    #[rustfmt::skip]
    const WINS: [(&str, Seat, u8, [[u8; 2]; 4]); 11] = [
        // Horizontal: left edge, right edge, top row, filling a gap mid-run.
        ("././././.OOO.../.XXX...", 0, 0, [[5, 0], [5, 1], [5, 2], [5, 3]]),
        ("././././....XXX/OOOXOOO", 0, 3, [[4, 3], [4, 4], [4, 5], [4, 6]]),
        ("...XXX./OOOXOOO/XXXOXXO/OOOXOOX/XXXOXXO/OOOXOOX", 0, 6, [[0, 3], [0, 4], [0, 5], [0, 6]]),
        ("././././X..XX../OO.OOX.", 1, 2, [[5, 0], [5, 1], [5, 2], [5, 3]]),
        // More than four: the reported window holds the new piece.
        ("././././OOO.OOO/XXX.XXX", 0, 3, [[5, 0], [5, 1], [5, 2], [5, 3]]),
        ("././././X.XX.../O.OOOXX", 1, 1, [[5, 0], [5, 1], [5, 2], [5, 3]]),
        // Vertical reaching the top edge.
        ("./......X/......X/......X/......O/......O", 0, 6, [[0, 6], [1, 6], [2, 6], [3, 6]]),
        // Down-right: left+bottom edge, then top+right edge.
        ("./././XO...../OXO..../XOXO...", 1, 0, [[2, 0], [3, 1], [4, 2], [5, 3]]),
        ("./...XO../...OXO./...XOXO/...OXOX/...XOXX", 1, 3, [[0, 3], [1, 4], [2, 5], [3, 6]]),
        // Up-right: bottom+right edge, then top+left edge with the new piece inside.
        ("././......X/.....XO/....XOO/....OOX", 0, 3, [[2, 6], [3, 5], [4, 4], [5, 3]]),
        ("...X.../...O.../.XOX.../XOXO.../OXOX.../XOXO...", 0, 2, [[0, 3], [1, 2], [2, 1], [3, 0]]),
    ];

    #[test]
    fn wins_in_every_direction_including_edges() {
        for (rows, seat, col, line) in WINS {
            let mut s = grid(rows, seat);
            let r = mv(&mut s, seat, col);
            assert_eq!(r, Ok(Outcome::Won(seat)), "{rows} col {col}");
            let c = inner(&s);
            let got = (c.winner, c.line, c.draw, c.turn);
            assert_eq!(got, (Some(seat), Some(line), false, seat), "{rows}");
        }
    }

    #[test]
    fn played_games_win_vertically_and_diagonally() {
        let (s, o) = play(0, "0101010");
        assert_eq!(o, Outcome::Won(0));
        assert_eq!(inner(&s).line, Some([[2, 0], [3, 0], [4, 0], [5, 0]]));
        let (s, o) = play(1, "0112232336");
        assert_eq!((o, inner(&s).winner), (Outcome::Ongoing, None));
        let (s, o) = play(1, "01122323363");
        assert_eq!(o, Outcome::Won(1));
        assert_eq!(inner(&s).line, Some([[2, 3], [3, 2], [4, 1], [5, 0]]));
    }

    #[test]
    fn full_board_without_line_is_a_draw() {
        let (s, o) = play(0, DRAW);
        assert_eq!((o, G.outcome(&s)), (Outcome::Draw, Outcome::Draw));
        let c = inner(&s);
        assert_eq!((c.draw, c.winner, c.line), (true, None, None));
        assert!(c.board.iter().flatten().all(Option::is_some));
    }

    #[test]
    fn illegal_moves_are_rejected_and_change_nothing() {
        let (mut s, _) = play(0, "333333");
        let before = s.clone();
        let range = "column must be an integer from 0 to 6";
        let shape = "action must be an object like {\"column\": 0}";
        let missing = "action is missing \"column\"";
        #[rustfmt::skip]
        let cases = [
            (json!({"column": 3}), "column 3 is full"),
            (json!({"column": 7}), range), (json!({"column": -1}), range),
            (json!({"column": "2"}), range), (json!({"column": 2.0}), range),
            (json!({"column": [2]}), range), (json!({"column": null}), range),
            (json!({"cell": 2}), missing), (json!({}), missing),
            (json!(2), shape), (json!([2]), shape), (json!(null), shape),
        ];
        for (action, msg) in cases {
            let r = G.apply(&mut s, 0, &action);
            assert_eq!(r, Err(MoveError::Illegal(msg.into())), "{action}");
            assert_eq!(s, before);
        }
        let r = Connect4::apply(&mut Connect4::new_state(0), 0, Action { column: 99 });
        let err = MoveError::Illegal("column 99 is out of range".into());
        assert_eq!(r, Err(err));
    }

    #[test]
    fn pieces_fall_and_turns_alternate() {
        let mut s = G.new_state(0);
        assert_eq!(mv(&mut s, 1, 0), Err(MoveError::NotYourTurn(0)));
        assert_eq!(mv(&mut s, 0, 4), Ok(Outcome::Ongoing));
        assert_eq!(mv(&mut s, 0, 4), Err(MoveError::NotYourTurn(1)));
        let extra = json!({"column": 4, "extra": true});
        assert_eq!(G.apply(&mut s, 1, &extra), Ok(Outcome::Ongoing));
        let b = inner(&s).board;
        assert_eq!((b[5][4], b[4][4], b[3][4]), (Some(0), Some(1), None));
        assert_eq!(turn(&s), 0);
    }

    #[test]
    fn rematch_with_seat_1_first() {
        let mut s = G.new_state(1);
        assert_eq!(mv(&mut s, 0, 0), Err(MoveError::NotYourTurn(1)));
        assert_eq!(mv(&mut s, 1, 0), Ok(Outcome::Ongoing));
        assert_eq!((inner(&s).board[5][0], turn(&s)), (Some(1), 0));
    }

    #[test]
    fn moves_after_game_over_are_rejected() {
        for (mut s, _) in [play(0, "0101010"), play(0, DRAW)] {
            let before = s.clone();
            for seat in [0, 1] {
                assert_eq!(mv(&mut s, seat, 5), Err(MoveError::GameOver));
                assert_eq!(G.apply(&mut s, seat, &json!({})), Err(MoveError::GameOver));
            }
            assert_eq!(s, before);
        }
    }

    /// The wire form of a game still in progress.
    fn ongoing(board: Value, turn: Seat) -> Value {
        json!({"board": board, "turn": turn, "winner": null, "draw": false, "line": null})
    }

    #[test]
    fn json_shape_matches_the_wire_contract() {
        let row = json!([null, null, null, null, null, null, null]);
        let fresh = ongoing(json!([row, row, row, row, row, row]), 1);
        assert_eq!(serde_json::to_value(G.new_state(1)).unwrap(), fresh);
        let x = json!([null, null, null, 0, null, null, null]);
        let o = json!([null, null, null, 1, null, null, null]);
        let two = ongoing(json!([row, row, row, row, o, x]), 0);
        assert_eq!(serde_json::to_value(play(0, "33").0).unwrap(), two);
        let v = serde_json::to_value(play(0, "0101010").0).unwrap();
        assert_eq!((&v["winner"], &v["draw"]), (&json!(0), &json!(false)));
        assert_eq!(v["line"], json!([[2, 0], [3, 0], [4, 0], [5, 0]]));
        assert_eq!(v["board"][5], json!([0, 1, null, null, null, null, null]));
    }

    #[test]
    fn serde_round_trip_stays_connect4() {
        for moves in ["", "3344", "0101010", DRAW] {
            let text = serde_json::to_string(&play(1, moves).0).unwrap();
            let back: GameState = serde_json::from_str(&text).unwrap();
            assert_eq!(back, play(1, moves).0);
        }
        // A board with a missing row is an error, never a tic-tac-toe state.
        let row = json!([null, null, null, null, null, null, null]);
        let bad = ongoing(json!([row, row, row, row, row]), 0);
        assert!(serde_json::from_value::<State>(bad).is_err());
    }

    /// Independent full-board scan to cross-check the local win test.
    fn any_four(b: &Board, seat: Seat) -> bool {
        let cells = (0..ROWS as isize).flat_map(|r| (0..COLS as isize).map(move |c| (r, c)));
        cells.into_iter().any(|(r, c)| {
            DIRS.iter()
                .any(|&(dr, dc)| (0..4).all(|i| holds(b, seat, r + dr * i, c + dc * i)))
        })
    }

    #[test]
    fn pseudo_random_games_agree_with_full_scan() {
        let mut rng: u64 = 0x2545_F491_4F6C_DD1D;
        for game in 0..3000_u32 {
            let mut s = G.new_state(u8::from(game % 2 == 1));
            loop {
                rng = rng.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                let col = (rng >> 33) % 8; // 7 is out of range and must just be refused
                let seat = turn(&s);
                let Ok(o) = mv(&mut s, seat, col) else {
                    continue;
                };
                let c = inner(&s);
                let full = c.board.iter().flatten().all(Option::is_some);
                let expect = match (any_four(&c.board, seat), full) {
                    (true, _) => Outcome::Won(seat),
                    (false, true) => Outcome::Draw,
                    (false, false) => Outcome::Ongoing,
                };
                assert_eq!(o, expect);
                if let Some(line) = c.line {
                    // Four of the winner's cells, one straight step apart, with the new piece.
                    let p = line.map(|[r, k]| (isize::from(r), isize::from(k)));
                    let d = (p[1].0 - p[0].0, p[1].1 - p[0].1);
                    assert!(DIRS.contains(&d));
                    assert!((0..4).all(|i| p[i as usize] == (p[0].0 + d.0 * i, p[0].1 + d.1 * i)));
                    assert!(p.iter().all(|&(r, k)| holds(&c.board, seat, r, k)));
                    let top = c.board.iter().position(|r| r[col as usize].is_some());
                    assert!(p.contains(&(top.unwrap() as isize, col as isize)));
                }
                if o.is_over() {
                    break;
                }
            }
        }
    }
}
