//! Tests of [`super::Brain`] driven with hand-written frames.

use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use super::*;
use crate::game::TicTacToeBoard;

const JOINED_WAITING: &str = r#"{"type":"joined","req":1,"room":"K7QXHM",
    "you":{"player_id":"pa","name":"a","seat":0,"role":"player"},"session":"s",
    "snapshot":{"code":"K7QXHM","game":"tictactoe","status":"waiting","version":1,"players":[],
    "state":{"board":[null,null,null,null,null,null,null,null,null],"turn":0,"winner":null,"draw":false,"line":null}}}"#;

fn state(version: u64, status: &str, turn: u8, by: &str) -> String {
    format!(
        r#"{{"type":"state","room":"K7QXHM","version":{version},"status":"{status}",
        "state":{{"board":[0,null,null,null,null,null,null,null,null],"turn":{turn},"winner":null,"draw":false,"line":null}},
        "by":{by},"action":null}}"#
    )
}

fn window(now: Instant) -> Window {
    Window {
        start: now - Duration::from_secs(1),
        end: now + Duration::from_secs(60),
    }
}

#[test]
fn moves_on_its_turn_and_measures_the_answer() {
    let stats = Stats::new();
    let now = Instant::now();
    let win = window(now);
    let mut brain =
        Brain::<TicTacToeBoard>::new("pa".into(), 0, JOINED_WAITING, Arc::new(MoveClock::new()));
    assert!(!brain.wants_move());

    let joined = brain.on_text(&state(2, "playing", 0, "null"), now, &win, &stats);
    assert_eq!(joined, Reaction::Nothing);
    assert!(brain.wants_move());
    let frame = brain.make_move(now).unwrap();
    assert!(
        frame.starts_with(r#"{"type":"action","req":2,"action":{"cell":"#),
        "{frame}"
    );
    assert!(!brain.wants_move());

    // An older or equal version changes nothing.
    brain.on_text(&state(2, "playing", 0, r#""pa""#), now, &win, &stats);
    assert_eq!(stats.applied.load(Relaxed), 0);

    brain.on_text(
        &state(3, "playing", 1, r#""pa""#),
        now + Duration::from_millis(2),
        &win,
        &stats,
    );
    assert_eq!(stats.applied.load(Relaxed), 1);
    assert!(stats.latency_ms(0.5).unwrap() >= 1.9);
    assert!(!brain.wants_move());
    assert_eq!(brain.deadline(), None);

    brain.on_text(&state(4, "playing", 0, r#""pb""#), now, &win, &stats);
    assert!(brain.wants_move());
}

#[test]
fn the_host_asks_for_the_rematch_and_the_guest_accepts_the_offer() {
    let stats = Stats::new();
    let now = Instant::now();
    let win = window(now);
    let clock = Arc::new(MoveClock::new());
    let mut host = Brain::<TicTacToeBoard>::new("pa".into(), 0, JOINED_WAITING, Arc::clone(&clock));
    let mut guest = Brain::<TicTacToeBoard>::new("pb".into(), 1, "not json", clock);
    let finished = state(7, "finished", 0, r#""pb""#);
    assert_eq!(
        host.on_text(&finished, now, &win, &stats),
        Reaction::Send(r#"{"type":"rematch","req":2}"#.into())
    );
    // The guest waits for the offer (asking at once would race the host's write); only
    // the host counts the game.
    assert_eq!(
        guest.on_text(&finished, now, &win, &stats),
        Reaction::Nothing
    );
    assert_eq!(stats.games_finished.load(Relaxed), 1);
    let offer = r#"{"type":"rematch_offered","room":"K7QXHM","player_id":"pa"}"#;
    assert_eq!(
        guest.on_text(offer, now, &win, &stats),
        Reaction::Send(r#"{"type":"rematch","req":2}"#.into())
    );
    // A second offer, or the guest's own reaching the host, asks nothing more.
    assert_eq!(guest.on_text(offer, now, &win, &stats), Reaction::Nothing);
    let back = r#"{"type":"rematch_offered","room":"K7QXHM","player_id":"pb"}"#;
    assert_eq!(host.on_text(back, now, &win, &stats), Reaction::Nothing);
    assert_eq!(stats.bad_frames.load(Relaxed), 0);

    // The fresh game: seat 1 moves first.
    host.on_text(&state(8, "playing", 1, r#""pa""#), now, &win, &stats);
    guest.on_text(&state(8, "playing", 1, r#""pa""#), now, &win, &stats);
    assert!(!host.wants_move());
    assert!(guest.wants_move());
    assert_eq!((host.deadline(), guest.deadline()), (None, None));
}

#[test]
fn a_guest_with_no_offer_asks_for_the_rematch_when_its_watchdog_fires() {
    let stats = Stats::new();
    let now = Instant::now();
    let win = window(now);
    let mut guest =
        Brain::<TicTacToeBoard>::new("pb".into(), 1, "not json", Arc::new(MoveClock::new()));
    let finished = state(7, "finished", 0, r#""pa""#);
    assert_eq!(
        guest.on_text(&finished, now, &win, &stats),
        Reaction::Nothing
    );
    assert_eq!(guest.deadline(), Some(now + WATCHDOG));
    assert_eq!(
        guest.on_deadline(now + WATCHDOG, &stats),
        Reaction::Send(r#"{"type":"rematch","req":2}"#.into())
    );
    // Nothing was in flight, so nothing went unanswered.
    assert_eq!(stats.unanswered.load(Relaxed), 0);
}

#[test]
fn error_to_an_action_backs_off_then_retries() {
    let stats = Stats::new();
    let now = Instant::now();
    let win = window(now);
    let mut brain =
        Brain::<TicTacToeBoard>::new("pa".into(), 0, JOINED_WAITING, Arc::new(MoveClock::new()));
    brain.on_text(&state(2, "playing", 0, "null"), now, &win, &stats);
    brain.make_move(now).unwrap();
    let error = r#"{"type":"error","req":2,"code":"rate_limited","message":"slow down"}"#;
    brain.on_text(error, now, &win, &stats);
    assert_eq!(stats.errors().get("rate_limited"), Some(&1));
    assert!(!brain.wants_move());
    assert_eq!(brain.deadline(), Some(now + RATE_LIMITED_BACKOFF));
    assert_eq!(
        brain.on_deadline(now + RATE_LIMITED_BACKOFF, &stats),
        Reaction::Nothing
    );
    assert!(brain.wants_move());
    assert_eq!(stats.unanswered.load(Relaxed), 0);
}

#[test]
fn watchdog_gives_up_on_a_lost_action() {
    let stats = Stats::new();
    let now = Instant::now();
    let win = window(now);
    let mut brain =
        Brain::<TicTacToeBoard>::new("pa".into(), 0, JOINED_WAITING, Arc::new(MoveClock::new()));
    brain.on_text(&state(2, "playing", 0, "null"), now, &win, &stats);
    brain.make_move(now).unwrap();
    assert_eq!(brain.deadline(), Some(now + WATCHDOG));
    brain.on_deadline(now + WATCHDOG, &stats);
    assert_eq!(stats.unanswered.load(Relaxed), 1);
    assert!(brain.wants_move());
}

#[test]
fn room_closed_leaves_and_junk_is_counted() {
    let stats = Stats::new();
    let now = Instant::now();
    let mut brain =
        Brain::<TicTacToeBoard>::new("pa".into(), 0, JOINED_WAITING, Arc::new(MoveClock::new()));
    let closed = r#"{"type":"room_closed","room":"K7QXHM","reason":"closed_by_operator"}"#;
    assert_eq!(
        brain.on_text(closed, now, &window(now), &stats),
        Reaction::Leave("room_closed")
    );
    brain.on_text("{", now, &window(now), &stats);
    assert_eq!(stats.bad_frames.load(Relaxed), 1);
}

#[test]
fn opponent_times_the_movers_action_once() {
    let stats = Stats::new();
    let now = Instant::now();
    let win = window(now);
    let clock = Arc::new(MoveClock::new());
    let mut mover =
        Brain::<TicTacToeBoard>::new("pa".into(), 0, JOINED_WAITING, Arc::clone(&clock));
    let mut other = Brain::<TicTacToeBoard>::new("pb".into(), 1, "{}", clock);
    let start = state(2, "playing", 0, "null");
    mover.on_text(&start, now, &win, &stats);
    other.on_text(&start, now, &win, &stats);
    mover.make_move(now).unwrap();
    let applied = state(3, "playing", 1, r#""pa""#);
    mover.on_text(&applied, now + Duration::from_millis(1), &win, &stats);
    other.on_text(&applied, now + Duration::from_millis(40), &win, &stats);
    let seen = stats.opponent_latency_summary().unwrap();
    assert!((39.0..41.0).contains(&seen.p50), "{seen:?}");
    assert_eq!(stats.latency_summary().unwrap().max.round(), 1.0);

    // A rematch by the mover has nothing in flight to time.
    other.on_text(&state(4, "playing", 1, r#""pa""#), now, &win, &stats);
    assert_eq!(stats.opponent_latency_summary().unwrap().max.round(), 40.0);
}

#[test]
fn error_without_req_answers_the_request_in_flight() {
    let stats = Stats::new();
    let now = Instant::now();
    let win = window(now);
    let mut host =
        Brain::<TicTacToeBoard>::new("pa".into(), 0, JOINED_WAITING, Arc::new(MoveClock::new()));
    host.on_text(&state(2, "finished", 0, r#""pb""#), now, &win, &stats);
    let limited =
        r#"{"type":"error","code":"rate_limited","message":"too many messages; slow down"}"#;
    host.on_text(limited, now, &win, &stats);
    assert_eq!(host.deadline(), Some(now + RATE_LIMITED_BACKOFF));
    let again = host.on_deadline(now + RATE_LIMITED_BACKOFF, &stats);
    assert_eq!(
        again,
        Reaction::Send(r#"{"type":"rematch","req":3}"#.into())
    );
    assert_eq!(stats.unanswered.load(Relaxed), 0);
}
