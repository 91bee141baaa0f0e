// What this page reads from a room view beyond what @parlor/client gives (the view, how
// events change it, isMyTurn, msLeft): the one-line status. No imports, so node can
// test it directly.

/** Whether every seat moves at once (rps) rather than in turn. */
export function isSimultaneous(game) {
  return game === "rps";
}

/** The one-line status: "Your turn", "Waiting for alice", "You won!", … */
export function statusText(cur) {
  const s = cur.snapshot;
  const st = s.state || {};
  const me = cur.you.role === "player" ? cur.you.seat : null;
  const playerAt = (seat) => (s.players || []).find((p) => p.seat === seat) || null;
  const nameOf = (seat) => {
    const p = playerAt(seat);
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
    const who = playerAt(st.turn);
    const away = who && who.connected === false ? " (disconnected)" : "";
    return me === null ? `${nameOf(st.turn)}'s turn${away}` : `Waiting for ${nameOf(st.turn)}${away}`;
  }
  return "";
}
