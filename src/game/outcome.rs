//! How a game stands ([`Outcome`]), read from the `winner` / `draw` fields the built-in
//! states carry, and the forfeit a game gets by default when a seat leaves mid-game
//! ([`Game::on_leave`](super::Game::on_leave)).

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::Seat;

/// Result of a game so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Moves are still possible.
    Ongoing,
    /// The given seat won.
    Won(Seat),
    /// Nobody won.
    Draw,
}

impl Outcome {
    /// True once the game has been won or drawn.
    pub fn is_over(self) -> bool {
        !matches!(self, Outcome::Ongoing)
    }
}

/// Reads the outcome from the `winner` / `draw` fields every built-in state carries.
pub(super) fn outcome_of(winner: Option<Seat>, draw: bool) -> Outcome {
    match (winner, draw) {
        (Some(seat), _) => Outcome::Won(seat),
        (None, true) => Outcome::Draw,
        (None, false) => Outcome::Ongoing,
    }
}

/// `skip_serializing_if` for flags that appear only when set (`"timeout":true`).
pub(super) fn is_false(b: &bool) -> bool {
    !*b
}

/// The default forfeit of a two-seat game: the seat that stayed wins. Written into the
/// state through its JSON where the state has a `winner` field: `"winner"` set to that
/// seat, and `"forfeit":true` too if the state's type accepts it. A state of another
/// shape is left as it is; the room records the result all the same.
pub(super) fn default_forfeit<S: Serialize + DeserializeOwned>(
    state: &mut S,
    seats: Seat,
    left: Seat,
) -> Outcome {
    if seats != 2 || left > 1 {
        return Outcome::Ongoing;
    }
    let winner = 1 - left;
    let Ok(Value::Object(mut fields)) = serde_json::to_value(&*state) else {
        return Outcome::Won(winner);
    };
    if fields.contains_key("winner") {
        fields.insert("winner".into(), winner.into());
        let plain = fields.clone();
        fields.insert("forfeit".into(), true.into());
        // A type that refuses unknown fields still takes the winner.
        for candidate in [fields, plain] {
            if let Ok(next) = S::deserialize(Value::Object(candidate)) {
                *state = next;
                break;
            }
        }
    }
    Outcome::Won(winner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[test]
    fn outcome_is_over_once_won_or_drawn() {
        assert!(!Outcome::Ongoing.is_over());
        assert!(Outcome::Won(1).is_over() && Outcome::Draw.is_over());
    }

    #[test]
    fn the_default_forfeit_names_the_other_seat_where_the_state_can_say_so() {
        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        struct Open {
            winner: Option<Seat>,
            #[serde(default)]
            forfeit: bool,
        }
        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        #[serde(deny_unknown_fields)]
        struct Strict {
            winner: Option<Seat>,
        }
        let mut open = Open {
            winner: None,
            forfeit: false,
        };
        assert_eq!(default_forfeit(&mut open, 2, 0), Outcome::Won(1));
        assert_eq!(
            open,
            Open {
                winner: Some(1),
                forfeit: true
            }
        );
        let mut strict = Strict { winner: None };
        assert_eq!(default_forfeit(&mut strict, 2, 1), Outcome::Won(0));
        assert_eq!(strict, Strict { winner: Some(0) });
        // No winner field: nothing written, the result still stands.
        let mut count = json!(3);
        assert_eq!(default_forfeit(&mut count, 2, 1), Outcome::Won(0));
        assert_eq!(count, json!(3));
        // More seats than two: no default.
        assert_eq!(default_forfeit(&mut open, 3, 0), Outcome::Ongoing);
    }
}
