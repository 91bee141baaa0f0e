// The room view: code and share link, players, whose turn, the board,
// rematch / leave, and chat.

import { msLeft } from "@parlor/client";
import { createBoard, seatMark } from "./boards.js";
import { gameName } from "./messages.js";
import { rematchText, statusText } from "./model.js";
import { h, toast } from "./ui.js";

/**
 * Wire the room view. `actions` has play(action), rematch(), leave() and
 * chat(text) (which returns true when the message was sent).
 */
export function initRoom(actions) {
  const section = document.getElementById("room");
  const codeEl = document.getElementById("room-code");
  const gameEl = document.getElementById("room-game");
  const statusEl = document.getElementById("status");
  const hintEl = document.getElementById("hint");
  const boardHost = document.getElementById("board-host");
  const rematchBtn = document.getElementById("rematch");
  const offerEl = document.getElementById("rematch-offer");
  const playersEl = document.getElementById("players");
  const spectatorsEl = document.getElementById("spectators");
  const chatLog = document.getElementById("chat-log");
  const chatInput = document.getElementById("chat-input");
  const copyBtn = document.getElementById("copy-link");
  const countdownEl = document.getElementById("countdown");

  let board = null;
  let boardGame = null;
  let hintTimer = null;
  let current = null;
  let shownVersion = null;
  let lastOpts = {};
  // Whether this player asked for a rematch of the game on screen (the server tells only
  // the others), and the last name seen in each seat (for "bob left — you win").
  let asked = false;
  let seen = {};

  // The turn clock: redrawn a few times a second from the state's deadline.
  function tick() {
    const left = msLeft(current);
    countdownEl.hidden = left === null;
    if (left === null) return;
    const secs = Math.ceil(left / 1000);
    countdownEl.textContent = `${secs}s left`;
    countdownEl.dataset.seconds = String(secs);
    countdownEl.classList.toggle("urgent", secs <= 5);
  }
  setInterval(tick, 250);

  function hint(text) {
    hintEl.textContent = text;
    clearTimeout(hintTimer);
    hintTimer = setTimeout(() => {
      hintEl.textContent = "";
    }, 3000);
  }

  const handlers = {
    onPlay: (action) => actions.play(action),
    onBlocked: (text) => hint(text),
  };

  rematchBtn.addEventListener("click", async () => {
    asked = true;
    if (current) render(current, lastOpts);
    const ok = await actions.rematch();
    if (!ok && asked) {
      asked = false;
      if (current) render(current, lastOpts);
    }
  });
  document.getElementById("leave").addEventListener("click", () => actions.leave());
  copyBtn.addEventListener("click", () => copyLink());

  document.getElementById("chat-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = chatInput.value.trim();
    if (text.length < 1) return;
    if (text.length > 500) {
      toast("Messages can be at most 500 characters", { field: chatInput });
      return;
    }
    if (actions.chat(text)) chatInput.value = "";
  });

  async function copyLink() {
    if (!current) return;
    const link = `${location.origin}/?room=${current.room}`;
    let ok = false;
    try {
      await navigator.clipboard.writeText(link);
      ok = true;
    } catch {
      ok = legacyCopy(link);
    }
    copyBtn.textContent = ok ? "Copied!" : "Copy link";
    if (!ok) toast(`Share this link: ${link}`, { ms: 8000 });
    setTimeout(() => {
      copyBtn.textContent = "Copy link";
    }, 2000);
  }

  function renderPlayers(cur) {
    const snap = cur.snapshot;
    const players = [...(snap.players || [])].sort((a, b) => a.seat - b.seat);
    const items = players.map((p) => {
      const mark = seatMark(snap.game, p.seat);
      const you = p.player_id === cur.you.player_id;
      const st = snap.state || {};
      const turn = snap.status === "playing" && (Array.isArray(st.chosen) ? !st.chosen[p.seat] : st.turn === p.seat);
      const li = h("li", {
        class: `player${turn ? " turn" : ""}`,
        "data-testid": `player-${p.seat}`,
        "data-connected": p.connected === false ? "false" : "true",
        "data-you": you ? "true" : "false",
      });
      // Only games with marks (X and O, discs) show one: in rps they would mean nothing.
      if (mark) li.append(h("span", { class: `mark ${mark.cls || ""}`, "aria-label": mark.label }, mark.text));
      li.append(
        h("span", { class: "player-name" }, p.name + (you ? " (you)" : "")),
        h("span", { class: `presence ${p.connected === false ? "off" : "on"}` }, p.connected === false ? "offline" : "online"),
      );
      return li;
    });
    const seats = ["tictactoe", "connect4", "rps"].includes(snap.game) ? 2 : players.length;
    for (let seat = players.length; seat < seats; seat++) {
      items.push(h("li", { class: "player empty", "data-testid": "player-empty" }, "Waiting for a player…"));
    }
    playersEl.replaceChildren(...items);
    const n = snap.spectators || 0;
    if (cur.you.role === "spectator") {
      const others = n - 1;
      spectatorsEl.textContent = `You are spectating${others > 0 ? ` with ${others} other${others > 1 ? "s" : ""}` : ""}`;
    } else {
      spectatorsEl.textContent = n > 0 ? `${n} watching` : "";
    }
    spectatorsEl.hidden = spectatorsEl.textContent === "";
  }

  function renderChatAll(cur) {
    chatLog.replaceChildren(...cur.chat.map(chatItem));
    chatLog.scrollTop = chatLog.scrollHeight;
  }

  function chatItem(m) {
    const li = h("li", { class: "chat-msg", "data-testid": "chat-msg" });
    const time = m.ts ? new Date(m.ts) : null;
    if (time && !Number.isNaN(time.getTime())) {
      li.append(h("time", { datetime: m.ts, class: "muted" }, time.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })));
    }
    li.append(h("b", {}, m.name), document.createTextNode(" " + m.text));
    return li;
  }

  return {
    show() {
      section.hidden = false;
    },
    /** Keyboard focus to the room's heading (the lobby's button pressed is gone). */
    focus() {
      document.getElementById("room-title").focus();
    },
    hide() {
      section.hidden = true;
      board = null;
      boardGame = null;
      boardHost.replaceChildren();
      chatLog.replaceChildren();
      current = null;
      shownVersion = null;
      asked = false;
      seen = {};
      tick();
    },
    render,
    renderChat: renderChatAll,
    appendChat(cur, m) {
      chatLog.append(chatItem(m));
      chatLog.scrollTop = chatLog.scrollHeight;
    },
    hint,
  };

  /** Redraw everything from the model; `pending` while our move is in flight. */
  function render(cur, opts = {}) {
    const { pending = false } = opts;
    lastOpts = opts;
    if (!current || current.room !== cur.room) seen = {};
    current = cur;
    const snap = cur.snapshot;
    if (shownVersion !== cur.version) {
      // A new position makes an old "not your turn" hint wrong.
      shownVersion = cur.version;
      hintEl.textContent = "";
    }
    codeEl.textContent = cur.room;
    gameEl.textContent = gameName(snap.game);
    if (boardGame !== snap.game) {
      board = createBoard(snap.game, handlers);
      boardGame = snap.game;
      boardHost.replaceChildren(board ? board.el : h("p", {}, `Unknown game: ${snap.game}`));
    }
    if (board) {
      board.update({
        state: snap.state || {},
        status: snap.status,
        mySeat: cur.you.seat,
        role: cur.you.role,
        pending,
      });
    }
    for (const p of snap.players || []) seen[p.seat] = p.name;
    statusEl.textContent = statusText(cur, seen);
    tick();
    statusEl.dataset.status = snap.status || "";
    // A new game (or none to rematch) forgets this player's request.
    if (snap.status !== "finished") asked = false;
    const seated = (snap.players || []).length;
    const full = seated >= (["tictactoe", "connect4", "rps"].includes(snap.game) ? 2 : seated);
    const canAsk = snap.status === "finished" && cur.you.role === "player" && full;
    const offered = (cur.rematchOffers || []).length > 0;
    rematchBtn.hidden = !canAsk || asked;
    rematchBtn.textContent = offered ? "Accept rematch" : "Rematch";
    offerEl.textContent = rematchText(cur, asked && canAsk);
    offerEl.hidden = offerEl.textContent === "";
    renderPlayers(cur);
  }
}

function legacyCopy(text) {
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.append(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand("copy");
  } catch {
    ok = false;
  }
  area.remove();
  return ok;
}
