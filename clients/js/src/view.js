// The room view: what a client knows of its room, and how server frames change it.
// Plain data and pure functions with no I/O, so a page can keep the view in storage and
// tests can drive it frame by frame.

/** Events that carry the room's `version`; one change may send several with the same one. */
const VERSIONED = new Set(["state", "player_joined", "player_left", "player_connection"]);

/** Chat lines kept in a view; older ones are dropped. */
export const CHAT_LIMIT = 100;

/**
 * A view from a `joined` reply (a new join, a resume or a re-join). `chat` carries lines
 * over from an earlier view of the same room.
 * @param {any} joined
 * @param {{name?: string, chat?: any[]}} [opts]
 */
export function fromJoined(joined, { name, chat = [] } = {}) {
  const snapshot = structuredClone(joined.snapshot || {});
  const you = joined.you || {};
  return {
    room: joined.room || snapshot.code,
    session: joined.session || null,
    spectate: you.role === "spectator",
    name: you.name || name || "",
    you,
    snapshot,
    version: typeof snapshot.version === "number" ? snapshot.version : 0,
    chat,
    rematchOffers: [],
  };
}

/**
 * Apply one pushed frame to `view` in place. Returns what changed (`"state"`,
 * `"players"`, `"chat"`, `"resync"`, `"rematch"`) or null when the frame was ignored:
 * another room's, older than the version the view holds, or not a room event.
 * Several events of one change share a version, so an equal version still applies.
 * @param {any} view
 * @param {any} msg
 */
export function applyEvent(view, msg) {
  if (!view || !msg || typeof msg !== "object") return null;
  if (msg.room != null && !sameRoom(msg.room, view.room)) return null;
  if (msg.type === "resync") return applyResync(view, msg.snapshot);
  if (VERSIONED.has(msg.type) && typeof msg.version === "number") {
    if (msg.version < view.version) return null;
    view.version = msg.version;
    view.snapshot.version = msg.version;
  }
  const snap = view.snapshot;
  switch (msg.type) {
    case "state":
      if (msg.status) snap.status = msg.status;
      if (msg.state !== undefined) snap.state = msg.state;
      // A new game (or the end of the offers' game) makes earlier offers moot.
      if (msg.status !== "finished") view.rematchOffers = [];
      return "state";
    case "player_joined":
      addPlayer(snap, msg.player);
      return "players";
    case "player_left":
      removePlayer(snap, msg.player_id);
      view.rematchOffers = (view.rematchOffers || []).filter((/** @type {string} */ id) => id !== msg.player_id);
      return "players";
    case "player_connection": {
      const p = (snap.players || []).find((/** @type {any} */ x) => x.player_id === msg.player_id);
      if (p) p.connected = !!msg.connected;
      return "players";
    }
    case "chat":
      view.chat.push({ from: msg.from, name: msg.name, text: msg.text, ts: msg.ts });
      if (view.chat.length > CHAT_LIMIT) view.chat.splice(0, view.chat.length - CHAT_LIMIT);
      return "chat";
    case "rematch_offered": {
      const offers = view.rematchOffers || (view.rematchOffers = []);
      if (!offers.includes(msg.player_id)) offers.push(msg.player_id);
      return "rematch";
    }
    default:
      return null;
  }
}

/**
 * The node lost track of some events and re-read the room: replace the whole view
 * (players, status, state), unless the snapshot is older than what the view holds.
 * @param {any} view
 * @param {any} snapshot
 */
function applyResync(view, snapshot) {
  if (!snapshot || typeof snapshot.version !== "number") return null;
  if (snapshot.version < view.version) return null;
  view.snapshot = structuredClone(snapshot);
  view.version = snapshot.version;
  view.rematchOffers = [];
  return "resync";
}

/** @param {string} a @param {string} b */
function sameRoom(a, b) {
  return String(a).toUpperCase() === String(b).toUpperCase();
}

/** @param {any} snap @param {any} player */
function addPlayer(snap, player) {
  if (!player) return;
  if (player.role === "spectator") {
    snap.spectators = (snap.spectators || 0) + 1;
    return;
  }
  const players = (snap.players || []).filter(
    (/** @type {any} */ p) => p.player_id !== player.player_id && p.seat !== player.seat,
  );
  players.push({ connected: true, ...player });
  players.sort((/** @type {any} */ a, /** @type {any} */ b) => (a.seat ?? 99) - (b.seat ?? 99));
  snap.players = players;
}

/** @param {any} snap @param {string} playerId */
function removePlayer(snap, playerId) {
  const before = (snap.players || []).length;
  snap.players = (snap.players || []).filter((/** @type {any} */ p) => p.player_id !== playerId);
  if (snap.players.length === before && snap.spectators > 0) snap.spectators -= 1;
}

/**
 * The player sitting in `seat`, if any.
 * @param {any} view
 * @param {number} seat
 */
export function playerAt(view, seat) {
  return (view.snapshot.players || []).find((/** @type {any} */ p) => p.seat === seat) || null;
}

/**
 * Whether the local player is seated and may act now: it is their turn, or (in games
 * where every seat moves at once, whose state has `chosen`) they have not chosen yet.
 * @param {any} view
 */
export function isMyTurn(view) {
  if (!view) return false;
  const s = view.snapshot;
  if (view.you.role !== "player" || s.status !== "playing" || s.state == null) return false;
  if (Array.isArray(s.state.chosen)) return !s.state.chosen[view.you.seat];
  return s.state.turn === view.you.seat;
}

/**
 * Milliseconds until the turn clock's deadline (null without a running clock).
 * @param {any} view
 * @param {number} [now]
 */
export function msLeft(view, now = Date.now()) {
  const s = view && view.snapshot;
  const at = s && s.status === "playing" && s.state && s.state.deadline;
  if (!at) return null;
  const t = Date.parse(at);
  return Number.isNaN(t) ? null : Math.max(0, t - now);
}
