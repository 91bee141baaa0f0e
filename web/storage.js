// What survives a reload: the player's name (localStorage, across visits) and
// the current room membership (sessionStorage, this tab only).

const NAME_KEY = "parlor.name";
const CURRENT_KEY = "parlor.current";
const MAX_CHAT = 100;

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
 * The room this tab is in: {room, session, spectate, name, you, snapshot, version, chat}.
 * `session` is null for spectators, who re-join instead of resuming.
 */
export function loadCurrent() {
  try {
    const raw = sessionStorage.getItem(CURRENT_KEY);
    const cur = raw ? JSON.parse(raw) : null;
    return cur && typeof cur.room === "string" ? cur : null;
  } catch {
    return null;
  }
}

export function saveCurrent(cur) {
  try {
    const chat = (cur.chat || []).slice(-MAX_CHAT);
    sessionStorage.setItem(CURRENT_KEY, JSON.stringify({ ...cur, chat }));
  } catch {
    /* storage full or disabled: reconnecting after a reload will not work */
  }
}

export function clearCurrent() {
  try {
    sessionStorage.removeItem(CURRENT_KEY);
  } catch {
    /* nothing to clear */
  }
}
