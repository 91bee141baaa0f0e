// The client's picture of its room and how server events change it.
// Pure functions without the DOM, so node can test them directly.

/**
 * The room model from a `joined` reply:
 * {room, session, spectate, name, you, snapshot, version, chat}.
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
  };
}

const VERSIONED = new Set(["state", "player_joined", "player_left", "player_connection"]);

/**
 * Apply one pushed event to the model in place.
 * Returns what changed ("state", "players", "chat") or null when ignored.
 */
export function applyEvent(cur, msg) {
  if (!cur || !msg) return null;
  if (msg.room && String(msg.room).toUpperCase() !== String(cur.room).toUpperCase()) return null;
  if (msg.type === "resync") return applyResync(cur, msg.snapshot);
  if (VERSIONED.has(msg.type) && typeof msg.version === "number") {
    // Several events of one change share a version, so equal still applies.
    if (msg.version < cur.version) return null;
    cur.version = msg.version;
    cur.snapshot.version = msg.version;
  }
  const snap = cur.snapshot;
  switch (msg.type) {
    case "state":
      if (msg.status) snap.status = msg.status;
      if (msg.state !== undefined) snap.state = msg.state;
      return "state";
    case "player_joined":
      addPlayer(snap, msg.player);
      return "players";
    case "player_left":
      removePlayer(snap, msg.player_id);
      return "players";
    case "player_connection": {
      const p = (snap.players || []).find((x) => x.player_id === msg.player_id);
      if (p) p.connected = !!msg.connected;
      return "players";
    }
    case "chat":
      cur.chat.push({ from: msg.from, name: msg.name, text: msg.text, ts: msg.ts });
      return "chat";
    default:
      return null;
  }
}

/**
 * The server lost track of some events and re-read the room: replace the whole view
 * (players, status, state) unless it is older than what we hold.
 */
function applyResync(cur, snapshot) {
  if (!snapshot || typeof snapshot.version !== "number") return null;
  if (snapshot.version < cur.version) return null;
  cur.snapshot = structuredClone(snapshot);
  cur.version = snapshot.version;
  return "state";
}

function addPlayer(snap, player) {
  if (!player) return;
  if (player.role === "spectator") {
    snap.spectators = (snap.spectators || 0) + 1;
    return;
  }
  const players = (snap.players || []).filter(
    (p) => p.player_id !== player.player_id && p.seat !== player.seat,
  );
  players.push({ connected: true, ...player });
  players.sort((a, b) => (a.seat ?? 99) - (b.seat ?? 99));
  snap.players = players;
}

function removePlayer(snap, playerId) {
  const before = (snap.players || []).length;
  snap.players = (snap.players || []).filter((p) => p.player_id !== playerId);
  if (snap.players.length === before && snap.spectators > 0) snap.spectators -= 1;
}

/** The player sitting in `seat`, if any. */
export function playerAt(cur, seat) {
  return (cur.snapshot.players || []).find((p) => p.seat === seat) || null;
}

/** Whether every seat moves at once (rps) rather than in turn. */
export function isSimultaneous(game) {
  return game === "rps";
}

/** Whether the local player is seated and it is their move. */
export function isMyTurn(cur) {
  const s = cur.snapshot;
  if (cur.you.role !== "player" || s.status !== "playing" || s.state == null) return false;
  if (isSimultaneous(s.game)) return !(s.state.chosen || [])[cur.you.seat];
  return s.state.turn === cur.you.seat;
}

/** Milliseconds until the turn clock's deadline (null without a running clock). */
export function msLeft(cur, now = Date.now()) {
  const s = cur && cur.snapshot;
  const at = s && s.status === "playing" && s.state && s.state.deadline;
  if (!at) return null;
  const t = Date.parse(at);
  return Number.isNaN(t) ? null : Math.max(0, t - now);
}

/** The one-line status: "Your turn", "Waiting for alice", "You won!", … */
export function statusText(cur) {
  const s = cur.snapshot;
  const st = s.state || {};
  const me = cur.you.role === "player" ? cur.you.seat : null;
  const nameOf = (seat) => {
    const p = playerAt(cur, seat);
    return p ? p.name : `seat ${seat + 1}`;
  };
  if (s.status === "waiting") return "Waiting for an opponent to join";
  if (s.status === "finished") {
    if (st.draw || st.winner == null) return "It's a draw";
    if (st.winner === me) return "You won!";
    return `${nameOf(st.winner)} won`;
  }
  if (s.status === "playing" && isSimultaneous(s.game)) {
    const chosen = st.chosen || [];
    const round = `Round ${st.round || 1}`;
    if (me === null) return `${round}: the players are choosing`;
    if (!chosen[me]) return `${round}: choose your hand`;
    return `${round}: waiting for ${nameOf(1 - me)} to choose`;
  }
  if (s.status === "playing") {
    if (st.turn === me) return "Your turn";
    const who = playerAt(cur, st.turn);
    const away = who && who.connected === false ? " (disconnected)" : "";
    return me === null ? `${nameOf(st.turn)}'s turn${away}` : `Waiting for ${nameOf(st.turn)}${away}`;
  }
  return "";
}
