// What survives a reload or a closed tab: the player's name (localStorage, across
// visits), the room this tab is in (sessionStorage), and every seat this browser holds
// (localStorage, by room code), so the room's link opened in a new tab takes the seat
// back instead of asking for it again ("That room is full").

const NAME_KEY = "parlor.name";
const CURRENT_KEY = "parlor.current";
const SEAT_PREFIX = "parlor.seat.";
const MAX_CHAT = 100;
// The server holds a seat for minutes, not days: older entries are dropped.
const SEAT_TTL_MS = 24 * 3600 * 1000;

function read(store, key) {
  try {
    const raw = store.getItem(key);
    const view = raw ? JSON.parse(raw) : null;
    return view && typeof view.room === "string" ? view : null;
  } catch {
    return null;
  }
}

function write(store, key, value) {
  try {
    store.setItem(key, JSON.stringify(value));
  } catch {
    /* storage full or disabled: the room is just not remembered */
  }
}

function remove(store, key) {
  try {
    store.removeItem(key);
  } catch {
    /* nothing to remove */
  }
}

export function loadName() {
  try {
    return localStorage.getItem(NAME_KEY) || "";
  } catch {
    return "";
  }
}

export function saveName(name) {
  try {
    localStorage.setItem(NAME_KEY, name);
  } catch {
    /* private mode: the name is just not remembered */
  }
}

/**
 * The room view this tab is in ({room, session, you, snapshot, version, chat, …}).
 * `session` is null for spectators, who re-join instead of resuming.
 */
export function loadCurrent() {
  return read(sessionStorage, CURRENT_KEY);
}

/** The view of a seat this browser holds in room `code`, kept by another tab. */
export function loadSeat(code) {
  const view = read(localStorage, SEAT_PREFIX + code);
  if (!view || !view.session) return null;
  if (!(Date.now() - (view.savedAt || 0) < SEAT_TTL_MS)) {
    remove(localStorage, SEAT_PREFIX + code);
    return null;
  }
  return view;
}

/** Keep the view for this tab, and a seat's for any tab. */
export function saveCurrent(view) {
  const kept = { ...view, chat: (view.chat || []).slice(-MAX_CHAT) };
  write(sessionStorage, CURRENT_KEY, kept);
  if (view.session) write(localStorage, SEAT_PREFIX + view.room, { ...kept, savedAt: Date.now() });
}

/** This tab left its room; `forgetSeat` when the seat is gone for every tab too. */
export function clearCurrent(code, { forgetSeat = true } = {}) {
  remove(sessionStorage, CURRENT_KEY);
  if (code && forgetSeat) remove(localStorage, SEAT_PREFIX + code);
}
