// Short human messages for the server's error codes.

const ERRORS = {
  bad_request: "That didn't look right — check and try again",
  unknown_type: "The server didn't understand that",
  unknown_game: "That game isn't available",
  room_not_found: "No room with that code",
  room_full: "That room is full",
  already_in_room: "You're already in a room",
  not_in_room: "You're not in a room",
  not_a_player: "Spectators can't play",
  game_not_active: "The game isn't in progress",
  not_your_turn: "It's not your turn",
  illegal_move: "You can't play that now",
  stale_version: "The board changed — try again",
  invalid_session: "Your seat is no longer held",
  unauthenticated: "This server needs you to sign in before you play",
  invalid_token: "Your sign-in was refused — sign in again",
  token_expired: "Your sign-in has expired — sign in again",
  rate_limited: "Slow down a little",
  store_unavailable: "The server is having trouble — try again shortly",
  internal: "Something went wrong on the server",
  offline: "Not connected — reconnecting…",
  disconnected: "The connection dropped before the server answered",
  timeout: "The server took too long to answer",
};

/** A message for an error frame (or anything with a `code`). */
export function errorText(err) {
  const code = err && err.code;
  return ERRORS[code] || "Something went wrong";
}

export const GAME_NAMES = {
  tictactoe: "Tic-tac-toe",
  connect4: "Connect Four",
  rps: "Rock-paper-scissors",
};

export function gameName(game) {
  return GAME_NAMES[game] || game;
}

/** Room codes: 6 characters of this alphabet, case-insensitive. */
const CODE_RE = /^[ABCDEFGHJKLMNPQRSTUVWXYZ23456789]{6}$/;

export function normalizeCode(text) {
  return String(text || "").trim().toUpperCase();
}

export function isValidCode(code) {
  return CODE_RE.test(code);
}

/** Names: 1–24 characters after trimming, no control characters. */
export function validName(text) {
  const name = String(text || "").trim();
  // eslint-disable-next-line no-control-regex
  if (name.length < 1 || [...name].length > 24 || /[\u0000-\u001f\u007f-\u009f]/.test(name)) {
    return null;
  }
  return name;
}
