// What this page reads from a room view beyond what @parlor/client gives (the view, how
// events change it, isMyTurn, msLeft): the one-line status and the rematch line. No
// imports, so node can test it directly.

/** Whether every seat moves at once (rps) rather than in turn. */
export function isSimultaneous(game) {
  return game === "rps";
}

/**
 * The one-line status: "Your turn", "Waiting for alice", "You won!", "bob left — you
 * win", … `seen` names the last player seen in each seat (seat → name), for a player
 * who has left since.
 */
export function statusText(cur, seen = {}) {
  const s = cur.snapshot;
  const st = s.state || {};
  const me = cur.you.role === "player" ? cur.you.seat : null;
  const playerAt = (seat) => (s.players || []).find((p) => p.seat === seat) || null;
  const nameOf = (seat) => {
    const p = playerAt(seat);
    return p ? p.name : `seat ${seat + 1}`;
  };
  if (s.status === "waiting") return "Waiting for an opponent to join";
  if (s.status === "finished") return resultText(st, me, nameOf, seen);
  if (s.status === "playing" && isSimultaneous(s.game)) {
    const chosen = st.chosen || [];
    const round = `Round ${st.round || 1}`;
    if (me === null) return `${round}: the players are choosing`;
    if (!chosen[me]) return `${round}: choose your hand`;
    return `${round}: waiting for ${nameOf(1 - me)} to choose`;
  }
  if (s.status === "playing") {
    if (st.turn === me) return "Your turn";
    const who = playerAt(st.turn);
    const away = who && who.connected === false ? " (disconnected)" : "";
    return me === null ? `${nameOf(st.turn)}'s turn${away}` : `Waiting for ${nameOf(st.turn)}${away}`;
  }
  return "";
}

/** How a finished game ended, from the state's `winner`, `draw`, `forfeit`, `timeout`. */
function resultText(st, me, nameOf, seen) {
  if (st.draw || st.winner == null) return "It's a draw";
  const won = st.winner === me;
  if (st.forfeit) {
    // The seat that left is free now (two seats: the one that did not win).
    const gone = seen[1 - st.winner] || (me === null ? "A player" : "Your opponent");
    return won ? `${gone} left — you win` : `${gone} left — ${nameOf(st.winner)} wins`;
  }
  if (st.timeout) {
    if (won) return "You won on time";
    return me === null ? `${nameOf(st.winner)} won on time` : "You lost on time";
  }
  if (won) return "You won!";
  return `${nameOf(st.winner)} won`;
}

/**
 * The rematch line under a finished game: who has asked for one (`offers`, the view's
 * `rematchOffers`), or that this player asked (`asked`) and waits for the others.
 */
export function rematchText(cur, asked) {
  const s = cur.snapshot;
  if (s.status !== "finished") return "";
  const players = s.players || [];
  const nameOf = (id) => (players.find((p) => p.player_id === id) || {}).name;
  const offers = (cur.rematchOffers || []).map(nameOf).filter(Boolean);
  if (asked) {
    const others = players.filter((p) => p.player_id !== cur.you.player_id && !(cur.rematchOffers || []).includes(p.player_id));
    return others.length ? `Waiting for ${others.map((p) => p.name).join(", ")} to accept the rematch` : "";
  }
  if (offers.length === 0) return "";
  return `${offers.join(", ")} ${offers.length > 1 ? "want" : "wants"} a rematch`;
}
