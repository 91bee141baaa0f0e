//! Rock-paper-scissors, best of three, with hidden simultaneous choices.
//!
//! Both seats choose in any order each round, once per round. A choice stays hidden from
//! everyone but its own seat until the round resolves; then it joins `rounds`. First to
//! two round wins takes the game; a tie is replayed. A seat that leaves mid-game loses
//! it (`"forfeit":true`).
//!
//! Stored (operators see this): `{"round","score","pending":[choice|null ×2],"rounds",
//! "winner","draw","idle"}`, plus `"forfeit":true` once a seat left. A viewer sees
//! `{"round","score","chosen":[bool ×2],"mine","rounds","winner","draw"}` (and the
//! `forfeit` flag) where `mine` is its own pending choice (null for spectators and for a
//! seat that has not chosen). Action: `{"choice":"rock"}`.

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{outcome_of, Game, MoveError, Outcome, Seat, Viewer};

/// Round wins that take the game.
const TO_WIN: u8 = 2;
/// Rounds in a row in which nobody chose before the deadline that end the game drawn.
const IDLE_ROUNDS: u8 = 3;

/// One of the three hands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(rename = "RpsChoice")]
pub enum Choice {
    /// Beats scissors.
    Rock,
    /// Beats rock.
    Paper,
    /// Beats paper.
    Scissors,
}

impl Choice {
    fn beats(self, other: Choice) -> bool {
        matches!(
            (self, other),
            (Choice::Rock, Choice::Scissors)
                | (Choice::Paper, Choice::Rock)
                | (Choice::Scissors, Choice::Paper)
        )
    }
}

/// A resolved round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "RpsRound")]
pub struct Round {
    /// Each seat's choice (`null`: none before the deadline).
    pub choices: [Option<Choice>; 2],
    /// The round's winner; `null` on a tie.
    pub winner: Option<Seat>,
    /// True if the round ended by the turn clock.
    #[serde(default, skip_serializing_if = "super::is_false")]
    pub timeout: bool,
}

/// The full rps state, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// The round being played, from 1.
    pub round: u32,
    /// Round wins per seat.
    pub score: [u8; 2],
    /// This round's choices so far: secret until the round resolves.
    pub pending: [Option<Choice>; 2],
    /// Resolved rounds, oldest first.
    pub rounds: Vec<Round>,
    /// The seat that won the game.
    pub winner: Option<Seat>,
    /// True if the game ended drawn (abandoned: nobody chose for several rounds).
    pub draw: bool,
    /// Rounds in a row that ended by the clock with no choice at all.
    #[serde(default)]
    pub idle: u8,
    /// True if the game ended because a player left it (the other seat won).
    #[serde(default, skip_serializing_if = "super::is_false")]
    pub forfeit: bool,
}

/// The state as one viewer sees it: whether each seat has chosen this round, never what,
/// except the viewer's own choice.
#[derive(Serialize, JsonSchema)]
struct View<'a> {
    /// The round being played, from 1.
    round: u32,
    /// Round wins per seat.
    score: [u8; 2],
    /// Whether each seat has chosen this round.
    chosen: [bool; 2],
    /// The viewer's own choice this round; `null` for a seat that has not chosen and for
    /// spectators.
    mine: Option<Choice>,
    /// Resolved rounds, oldest first.
    rounds: &'a [Round],
    /// The seat that won the game.
    winner: Option<Seat>,
    /// True if the game ended drawn (abandoned: nobody chose for several rounds).
    draw: bool,
    /// True if the game ended because a player left it (the other seat won).
    #[serde(skip_serializing_if = "super::is_false")]
    forfeit: bool,
}

/// The rock-paper-scissors game, to register on a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rps;

impl State {
    /// Close the round with `choices` and move on (the game may end).
    fn resolve(&mut self, choices: [Option<Choice>; 2], timeout: bool) {
        let winner = match choices {
            [Some(a), Some(b)] if a.beats(b) => Some(0),
            [Some(a), Some(b)] if b.beats(a) => Some(1),
            [Some(_), None] => Some(0),
            [None, Some(_)] => Some(1),
            _ => None,
        };
        self.idle = match choices {
            [None, None] => self.idle.saturating_add(1),
            _ => 0,
        };
        if let Some(w) = winner {
            let score = &mut self.score[usize::from(w)];
            *score = score.saturating_add(1);
            if *score >= TO_WIN {
                self.winner = Some(w);
            }
        }
        if self.idle >= IDLE_ROUNDS {
            self.draw = true;
        }
        self.rounds.push(Round {
            choices,
            winner,
            timeout,
        });
        self.pending = [None, None];
        self.round = self.round.saturating_add(1);
    }
}

impl Game for Rps {
    type State = State;
    type Action = Choice;

    fn id(&self) -> &'static str {
        "rps"
    }

    fn seats(&self) -> Seat {
        2
    }

    fn initial_state(&self, _first: Seat) -> State {
        State {
            round: 1,
            score: [0, 0],
            pending: [None, None],
            rounds: Vec::new(),
            winner: None,
            draw: false,
            idle: 0,
            forfeit: false,
        }
    }

    fn may_act(&self, s: &State, seat: Seat) -> Result<(), MoveError> {
        match s.pending.get(usize::from(seat)) {
            None => Err(MoveError::Illegal(format!("there is no seat {seat}"))),
            Some(Some(_)) => Err(MoveError::Illegal(
                "you have already chosen this round".into(),
            )),
            Some(None) => Ok(()),
        }
    }

    fn parse_action(&self, action: &Value) -> Result<Choice, MoveError> {
        action
            .get("choice")
            .and_then(|c| Choice::deserialize(c).ok())
            .ok_or_else(|| {
                MoveError::Illegal(
                    "action must be {\"choice\": \"rock\" | \"paper\" | \"scissors\"}".into(),
                )
            })
    }

    fn apply(&self, s: &mut State, seat: Seat, choice: &Choice) -> Result<(), MoveError> {
        self.may_act(s, seat)?;
        s.pending[usize::from(seat)] = Some(*choice);
        if let [Some(a), Some(b)] = s.pending {
            s.resolve([Some(a), Some(b)], false);
        }
        Ok(())
    }

    fn outcome(&self, s: &State) -> Outcome {
        outcome_of(s.winner, s.draw)
    }

    fn public_action(&self, _choice: &Choice) -> Option<Value> {
        // The choice itself would reveal what the mover picked.
        None
    }

    fn to_act(&self, s: &State) -> Vec<Seat> {
        if self.outcome(s).is_over() {
            return Vec::new();
        }
        (0..2)
            .filter(|&i| s.pending[usize::from(i)].is_none())
            .collect()
    }

    fn on_deadline(&self, s: &mut State) {
        if !self.outcome(s).is_over() {
            let choices = s.pending;
            s.resolve(choices, true);
        }
    }

    fn on_leave(&self, s: &mut State, seat: Seat) -> Outcome {
        if !self.outcome(s).is_over() {
            s.winner = Some(1 - (seat & 1));
            s.forfeit = true;
        }
        self.outcome(s)
    }

    fn hides_information(&self) -> bool {
        true
    }

    fn view(&self, s: &State, viewer: Viewer) -> Value {
        let mine = match viewer {
            Viewer::Seat(seat) => s.pending.get(usize::from(seat)).copied().flatten(),
            Viewer::Spectator => None,
        };
        let view = View {
            round: s.round,
            score: s.score,
            chosen: [s.pending[0].is_some(), s.pending[1].is_some()],
            mine,
            rounds: &s.rounds,
            winner: s.winner,
            draw: s.draw,
            forfeit: s.forfeit,
        };
        serde_json::to_value(view).unwrap_or(Value::Null)
    }

    fn state_schema(&self, generator: &mut SchemaGenerator) -> Option<Schema> {
        Some(View::json_schema(generator))
    }

    fn action_schema(&self, generator: &mut SchemaGenerator) -> Option<Schema> {
        let choice = generator.subschema_for::<Choice>();
        Some(json_schema!({
            "description": "This round's choice, seen by no one else until the round resolves.",
            "type": "object",
            "properties": {"choice": choice},
            "required": ["choice"],
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::super::play;
    use super::*;
    use serde_json::json;

    fn choose(s: &mut State, seat: Seat, c: &str) -> Result<Outcome, MoveError> {
        play(&Rps, s, seat, &json!({ "choice": c })).map(|(o, _)| o)
    }

    #[test]
    fn a_pending_choice_is_seen_only_by_its_seat() {
        let mut s = Rps.initial_state(0);
        assert_eq!(choose(&mut s, 1, "rock"), Ok(Outcome::Ongoing));
        let seat1 = Rps.view(&s, Viewer::Seat(1));
        let seat0 = Rps.view(&s, Viewer::Seat(0));
        let watcher = Rps.view(&s, Viewer::Spectator);
        assert_eq!(seat1["mine"], json!("rock"));
        assert_eq!(
            (&seat0["mine"], &watcher["mine"]),
            (&json!(null), &json!(null))
        );
        for v in [&seat0, &watcher] {
            assert!(!v.to_string().contains("rock"), "{v}");
            assert_eq!(v["chosen"], json!([false, true]));
        }
        // Operators see the full state.
        assert_eq!(
            serde_json::to_value(&s).unwrap()["pending"],
            json!([null, "rock"])
        );
    }

    #[test]
    fn rounds_resolve_and_two_wins_take_the_game() {
        let mut s = Rps.initial_state(0);
        assert_eq!(choose(&mut s, 0, "rock"), Ok(Outcome::Ongoing));
        let again = choose(&mut s, 0, "paper");
        assert!(matches!(again, Err(MoveError::Illegal(_))));
        assert_eq!(choose(&mut s, 1, "scissors"), Ok(Outcome::Ongoing));
        assert_eq!((s.round, s.score), (2, [1, 0]));
        // A tie is replayed.
        choose(&mut s, 0, "paper").unwrap();
        choose(&mut s, 1, "paper").unwrap();
        assert_eq!((s.round, s.score, s.rounds[1].winner), (3, [1, 0], None));
        choose(&mut s, 1, "paper").unwrap();
        assert_eq!(choose(&mut s, 0, "rock"), Ok(Outcome::Ongoing));
        assert_eq!(s.score, [1, 1]);
        choose(&mut s, 0, "scissors").unwrap();
        assert_eq!(choose(&mut s, 1, "paper"), Ok(Outcome::Won(0)));
        let v = Rps.view(&s, Viewer::Spectator);
        assert_eq!(
            v["rounds"][0],
            json!({"choices": ["rock", "scissors"], "winner": 0})
        );
        assert_eq!((&v["winner"], &v["round"]), (&json!(0), &json!(5)));
        assert_eq!(choose(&mut s, 1, "rock"), Err(MoveError::GameOver));
    }

    #[test]
    fn bad_choices_are_illegal() {
        let mut s = Rps.initial_state(0);
        for bad in [
            json!({"choice": "lizard"}),
            json!({}),
            json!("rock"),
            json!(null),
        ] {
            let r = play(&Rps, &mut s, 0, &bad);
            assert!(matches!(r, Err(MoveError::Illegal(_))), "{bad}");
        }
        assert_eq!(s, Rps.initial_state(0));
    }

    #[test]
    fn the_clock_costs_the_seat_that_has_not_chosen() {
        let mut s = Rps.initial_state(0);
        choose(&mut s, 1, "rock").unwrap();
        assert_eq!(Rps.to_act(&s), vec![0]);
        Rps.on_deadline(&mut s);
        assert_eq!((s.score, s.round), ([0, 1], 2));
        assert_eq!(s.rounds[0].choices, [None, Some(Choice::Rock)]);
        assert!(s.rounds[0].timeout);
        // Nobody chooses three rounds running: a draw, so an abandoned room stops.
        for _ in 0..IDLE_ROUNDS {
            assert_eq!(Rps.outcome(&s), Outcome::Ongoing);
            Rps.on_deadline(&mut s);
        }
        assert_eq!(Rps.outcome(&s), Outcome::Draw);
        assert!(Rps.to_act(&s).is_empty());
    }

    #[test]
    fn a_seat_that_leaves_forfeits_to_the_other() {
        let mut s = Rps.initial_state(0);
        assert!(Rps.view(&s, Viewer::Spectator).get("forfeit").is_none());
        choose(&mut s, 1, "rock").unwrap();
        assert_eq!(Rps.on_leave(&mut s, 1), Outcome::Won(0));
        let v = Rps.view(&s, Viewer::Spectator);
        assert_eq!((&v["forfeit"], &v["winner"]), (&json!(true), &json!(0)));
        assert!(!v.to_string().contains("rock") && Rps.to_act(&s).is_empty());
    }
}
