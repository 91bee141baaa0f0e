// The game boards: tic-tac-toe (3×3 buttons) and Connect Four (7 column
// buttons over a 6×7 grid). Each board builds its DOM once and is updated in
// place, so keyboard focus survives every state event.

const TTT_LINES = [
  [0, 1, 2], [3, 4, 5], [6, 7, 8],
  [0, 3, 6], [1, 4, 7], [2, 5, 8],
  [0, 4, 8], [2, 4, 6],
];

const C4_ROWS = 6;
const C4_COLS = 7;

/** How a seat is shown in a game: a letter or a coloured disc; null in games without marks. */
export function seatMark(game, seat) {
  if (seat !== 0 && seat !== 1) return null;
  if (game === "connect4") {
    return seat === 0 ? { text: "", label: "red", cls: "red" } : { text: "", label: "yellow", cls: "yellow" };
  }
  if (game === "tictactoe") return seat === 0 ? { text: "X", label: "X", cls: "p0" } : { text: "O", label: "O", cls: "p1" };
  return null;
}

/** The winning tic-tac-toe cells: the server's `line`, else found here. */
export function tictactoeLine(state) {
  if (!state || state.winner == null) return [];
  if (Array.isArray(state.line) && state.line.length) return state.line.map(Number);
  const b = state.board || [];
  const line = TTT_LINES.find((l) => l.every((i) => b[i] === state.winner));
  return line || [];
}

/** The winning Connect Four cells as [[row, col], …]: the server's `line`, else found here. */
export function connect4Line(state) {
  if (!state || state.winner == null) return [];
  if (Array.isArray(state.line) && state.line.length) {
    return state.line.map((p) => (Array.isArray(p) ? [Number(p[0]), Number(p[1])] : [Number(p.row), Number(p.col ?? p.column)]));
  }
  const b = state.board || [];
  const at = (r, c) => (b[r] ? b[r][c] : undefined);
  const dirs = [[0, 1], [1, 0], [1, 1], [1, -1]];
  for (let r = 0; r < C4_ROWS; r++) {
    for (let c = 0; c < C4_COLS; c++) {
      if (at(r, c) !== state.winner) continue;
      for (const [dr, dc] of dirs) {
        const cells = [0, 1, 2, 3].map((k) => [r + dr * k, c + dc * k]);
        if (cells.every(([rr, cc]) => at(rr, cc) === state.winner)) return cells;
      }
    }
  }
  return [];
}

/** The lowest free row of a Connect Four column, or -1 when it is full. */
export function connect4Drop(board, col) {
  for (let r = C4_ROWS - 1; r >= 0; r--) {
    if (!board[r] || board[r][col] == null) return r;
  }
  return -1;
}

function el(tag, attrs = {}, text = "") {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text) node.textContent = text;
  return node;
}

/**
 * Roving focus over a row of buttons (`cols` per row): arrow keys move the
 * cursor, Home/End jump, Enter and Space play (native button behaviour).
 */
function rovingKeys(buttons, cols, getCursor, setCursor) {
  return (ev) => {
    const i = getCursor();
    const n = buttons.length;
    let next = i;
    switch (ev.key) {
      case "ArrowLeft": next = i % cols === 0 ? i : i - 1; break;
      case "ArrowRight": next = i % cols === cols - 1 ? i : i + 1; break;
      case "ArrowUp": next = i - cols >= 0 ? i - cols : i; break;
      case "ArrowDown": next = i + cols < n ? i + cols : i; break;
      case "Home": next = i - (i % cols); break;
      case "End": next = i - (i % cols) + cols - 1; break;
      default: return;
    }
    ev.preventDefault();
    setCursor(next);
    buttons[next].focus();
  };
}

class Board {
  constructor(cols) {
    this.cursor = 0;
    this.cols = cols;
    this.buttons = [];
    this.ctx = null;
  }

  setCursor(i) {
    this.cursor = i;
    this.buttons.forEach((b, j) => b.setAttribute("tabindex", j === i ? "0" : "-1"));
  }

  wireButtons() {
    const onKey = rovingKeys(this.buttons, this.cols, () => this.cursor, (i) => this.setCursor(i));
    this.buttons.forEach((b, i) => {
      b.addEventListener("keydown", onKey);
      b.addEventListener("focus", () => this.setCursor(i));
      b.addEventListener("click", () => this.press(i));
    });
    this.setCursor(this.cursor);
  }
}

/** Tic-tac-toe: nine buttons; `onPlay({cell})`, `onBlocked(text)`. */
export class TicTacToeBoard extends Board {
  constructor({ onPlay, onBlocked }) {
    super(3);
    this.cursor = 4;
    this.onPlay = onPlay;
    this.onBlocked = onBlocked;
    this.el = el("div", { class: "board ttt", role: "group", "aria-label": "Tic-tac-toe board", "data-testid": "board-tictactoe" });
    for (let i = 0; i < 9; i++) {
      const b = el("button", { type: "button", class: "cell", "data-testid": `cell-${i}`, "data-index": String(i) });
      this.buttons.push(b);
      this.el.append(b);
    }
    this.wireButtons();
  }

  press(i) {
    const ctx = this.ctx;
    if (!ctx) return;
    const blocked = blockedReason(ctx) || (ctx.state.board[i] != null ? "That square is taken" : null);
    if (blocked) this.onBlocked(blocked);
    else this.onPlay({ cell: i });
  }

  update(ctx) {
    this.ctx = ctx;
    const board = (ctx.state && ctx.state.board) || [];
    const win = new Set(tictactoeLine(ctx.state));
    const playable = blockedReason(ctx) === null;
    this.buttons.forEach((b, i) => {
      const owner = board[i] == null ? null : board[i];
      const mark = seatMark("tictactoe", owner) || { text: "", label: "" };
      b.textContent = mark.text;
      b.className = `cell ${mark.cls || "empty"}${win.has(i) ? " win" : ""}`;
      b.dataset.owner = owner == null ? "" : String(owner);
      b.dataset.win = win.has(i) ? "true" : "false";
      const free = owner == null && playable;
      b.setAttribute("aria-disabled", free ? "false" : "true");
      const where = `Row ${Math.floor(i / 3) + 1}, column ${(i % 3) + 1}`;
      b.setAttribute("aria-label", `${where}: ${owner == null ? "empty" : mark.label}${win.has(i) ? ", winning line" : ""}`);
    });
  }
}

/** Connect Four: seven column buttons over the grid; `onPlay({column})`. */
export class Connect4Board extends Board {
  constructor({ onPlay, onBlocked }) {
    super(C4_COLS);
    this.cursor = 3;
    this.onPlay = onPlay;
    this.onBlocked = onBlocked;
    this.el = el("div", { class: "board c4", "data-testid": "board-connect4" });
    const cols = el("div", { class: "c4-cols", role: "group", "aria-label": "Connect Four columns" });
    for (let c = 0; c < C4_COLS; c++) {
      const b = el("button", { type: "button", class: "col", "data-testid": `col-${c}`, "data-col": String(c) });
      b.append(el("span", { "aria-hidden": "true" }, "▼"));
      this.buttons.push(b);
      cols.append(b);
    }
    const grid = el("div", { class: "c4-grid", "aria-hidden": "true" });
    this.slots = [];
    for (let r = 0; r < C4_ROWS; r++) {
      const row = [];
      for (let c = 0; c < C4_COLS; c++) {
        const s = el("div", { class: "slot", "data-testid": `slot-${r}-${c}`, "data-row": String(r), "data-col": String(c) });
        s.addEventListener("click", () => this.press(c));
        row.push(s);
        grid.append(s);
      }
      this.slots.push(row);
    }
    this.el.append(cols, grid);
    this.wireButtons();
  }

  press(c) {
    const ctx = this.ctx;
    if (!ctx) return;
    const full = connect4Drop(ctx.state.board || [], c) < 0;
    const blocked = blockedReason(ctx) || (full ? "That column is full" : null);
    if (blocked) this.onBlocked(blocked);
    else this.onPlay({ column: c });
  }

  update(ctx) {
    this.ctx = ctx;
    const board = (ctx.state && ctx.state.board) || [];
    const win = new Set(connect4Line(ctx.state).map(([r, c]) => `${r},${c}`));
    const playable = blockedReason(ctx) === null;
    for (let r = 0; r < C4_ROWS; r++) {
      for (let c = 0; c < C4_COLS; c++) {
        const v = board[r] ? board[r][c] : null;
        const owner = v == null ? null : v;
        const isWin = win.has(`${r},${c}`);
        const s = this.slots[r][c];
        s.className = `slot ${owner == null ? "empty" : seatMark("connect4", owner).cls}${isWin ? " win" : ""}`;
        s.dataset.owner = owner == null ? "" : String(owner);
        s.dataset.win = isWin ? "true" : "false";
      }
    }
    this.buttons.forEach((b, c) => {
      const free = connect4Drop(board, c) >= 0;
      let discs = 0;
      for (let r = 0; r < C4_ROWS; r++) if (board[r] && board[r][c] != null) discs++;
      b.setAttribute("aria-disabled", free && playable ? "false" : "true");
      b.setAttribute("aria-label", `Column ${c + 1}: ${free ? `${C4_ROWS - discs} free` : "full"}`);
    });
  }
}

const HANDS = ["rock", "paper", "scissors"];
const HAND_ICONS = { rock: "✊", paper: "✋", scissors: "✌️" };

/**
 * Rock-paper-scissors: three hand buttons, the score, and the rounds played.
 * The state holds only what this viewer may see: `mine` is our own pending
 * choice; of the other seat we only know whether it has chosen (`chosen`).
 */
export class RpsBoard extends Board {
  constructor({ onPlay, onBlocked }) {
    super(3);
    this.onPlay = onPlay;
    this.onBlocked = onBlocked;
    this.el = el("div", { class: "board rps", "data-testid": "board-rps" });
    const hands = el("div", { class: "rps-hands", role: "group", "aria-label": "Your hand" });
    for (const hand of HANDS) {
      const b = el("button", { type: "button", class: "hand", "data-testid": `choice-${hand}`, "data-hand": hand });
      b.append(el("span", { "aria-hidden": "true" }, HAND_ICONS[hand]), el("span", {}, ` ${hand}`));
      this.buttons.push(b);
      hands.append(b);
    }
    this.score = el("p", { class: "rps-score", "data-testid": "rps-score" });
    this.mine = el("p", { class: "rps-mine", "data-testid": "my-choice" });
    this.theirs = el("p", { class: "rps-theirs muted", "data-testid": "their-choice" });
    this.rounds = el("ol", { class: "rps-rounds", "data-testid": "rps-rounds" });
    this.el.append(hands, this.score, this.mine, this.theirs, this.rounds);
    this.wireButtons();
  }

  press(i) {
    const ctx = this.ctx;
    if (!ctx) return;
    const blocked = blockedReason(ctx);
    if (blocked) this.onBlocked(blocked);
    else this.onPlay({ choice: HANDS[i] });
  }

  update(ctx) {
    this.ctx = ctx;
    const st = ctx.state || {};
    const seat = ctx.role === "player" ? ctx.mySeat : null;
    const chosen = st.chosen || [false, false];
    const score = st.score || [0, 0];
    const playable = blockedReason(ctx) === null;
    this.buttons.forEach((b) => {
      b.setAttribute("aria-disabled", playable ? "false" : "true");
      b.classList.toggle("picked", st.mine === b.dataset.hand);
    });
    this.score.textContent = seat === null
      ? `Score ${score[0]} – ${score[1]}`
      : `You ${score[seat]} – ${score[1 - seat]} them`;
    this.mine.textContent = st.mine ? `Your choice: ${st.mine}` : "";
    this.mine.dataset.choice = st.mine || "";
    const other = seat === null ? null : 1 - seat;
    if (ctx.status !== "playing") this.theirs.textContent = "";
    else if (other === null) this.theirs.textContent = `Chosen: ${chosen.map((c) => (c ? "yes" : "no")).join(" / ")}`;
    else this.theirs.textContent = chosen[other] ? "Your opponent has chosen" : "Your opponent is choosing…";
    this.rounds.replaceChildren(...(st.rounds || []).map((r, i) => {
      const [a, b] = (r.choices || []).map((c) => c || "—");
      const who = r.winner == null ? "tie" : seat === null ? `seat ${r.winner + 1}` : r.winner === seat ? "you" : "them";
      return el("li", { "data-testid": `rps-round-${i}` }, `${a} vs ${b}: ${who}${r.timeout ? " (time)" : ""}`);
    }));
  }
}

/** Why the local player may not move now, or null when they may. */
function blockedReason(ctx) {
  if (ctx.role !== "player") return "Spectators can't play";
  if (ctx.status === "waiting") return "Waiting for an opponent";
  if (ctx.status !== "playing") return "The game is over";
  if (ctx.pending) return "Wait for your move to land";
  if (ctx.state && Array.isArray(ctx.state.chosen)) {
    return ctx.state.chosen[ctx.mySeat] ? "You have chosen; waiting for the round" : null;
  }
  if (!ctx.state || ctx.state.turn !== ctx.mySeat) return "It's not your turn";
  return null;
}

/** A board for a game, or null for an unknown game. */
export function createBoard(game, handlers) {
  if (game === "tictactoe") return new TicTacToeBoard(handlers);
  if (game === "connect4") return new Connect4Board(handlers);
  if (game === "rps") return new RpsBoard(handlers);
  return null;
}
