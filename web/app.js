// Parlor's browser client: owns the connection and the room model, and
// switches between the lobby and the room view.

import { Connection, wsUrl } from "./net.js";
import { initLobby } from "./lobby.js";
import { initRoom } from "./room.js";
import { applyEvent, fromJoined, isSimultaneous } from "./model.js";
import { errorText, isValidCode, normalizeCode, validName } from "./messages.js";
import { clearCurrent, loadCurrent, loadName, saveCurrent, saveName } from "./storage.js";
import { clearToast, showConnection, toast } from "./ui.js";

const LIST_EVERY_MS = 3000;
const PENDING_TIMEOUT_MS = 5000;
const RESUME_RETRY_MS = 2000;

const CLOSED_TEXT = {
  closed_by_operator: "The room was closed by an operator",
  expired: "The room expired after a long quiet spell",
  empty: "Everyone left the room",
};

const conn = new Connection(wsUrl());
let current = loadCurrent(); // the room model, or null in the lobby
let pending = false; // our move is on its way
let pendingTimer = null;
let busy = false; // a lobby request is in flight
let restoring = false; // resume / re-join in flight

const lobby = initLobby({ create, quick, join, nameChanged });
const room = initRoom({ play, rematch, leave, chat });

// ---- views -------------------------------------------------------------

function showLobby() {
  room.hide();
  lobby.show();
  if (location.search) history.replaceState(null, "", "/");
  refreshRooms();
}

function showRoom() {
  lobby.hide();
  room.show();
  room.render(current, { pending });
  room.renderChat(current);
  const url = `/?room=${current.room}`;
  if (location.pathname + location.search !== url) history.replaceState(null, "", url);
}

function persist() {
  if (current) saveCurrent(current);
}

/** Enter a room from a `joined` reply (new join, resume or re-join). */
function enterRoom(joined) {
  const keepChat = current && current.room === joined.room ? current.chat : [];
  current = fromJoined(joined, { name: lobby.getName(), chat: keepChat });
  setPending(false);
  persist();
  showRoom();
}

/** Forget the room and go back to the lobby, optionally saying why. */
function toLobby(message) {
  current = null;
  setPending(false);
  clearCurrent();
  showLobby();
  if (message) toast(message);
}

function setPending(on) {
  pending = on;
  clearTimeout(pendingTimer);
  if (on) {
    // Never leave the board locked if an answer goes missing.
    pendingTimer = setTimeout(() => setPending(false), PENDING_TIMEOUT_MS);
  } else if (current) {
    room.render(current, { pending });
  }
}

// ---- lobby actions -------------------------------------------------------

function nameChanged(text) {
  const name = validName(text);
  if (name) saveName(name);
}

function requireName() {
  const name = validName(lobby.getName());
  if (!name) {
    toast("Enter your name first (1–24 characters)");
    lobby.focusName();
    return null;
  }
  saveName(name);
  return name;
}

async function lobbyRequest(msg) {
  if (busy) return;
  busy = true;
  try {
    enterRoom(await conn.request(msg));
    clearToast();
  } catch (err) {
    toast(errorText(err));
  } finally {
    busy = false;
  }
}

function create({ game, private: priv, turnSecs }) {
  const name = requireName();
  const msg = { type: "create_room", game, name, private: priv };
  if (turnSecs) msg.turn_secs = turnSecs;
  if (name) lobbyRequest(msg);
}

function quick({ game }) {
  const name = requireName();
  if (name) lobbyRequest({ type: "quick_join", game, name });
}

function join(codeText, spectate) {
  const code = normalizeCode(codeText);
  if (!isValidCode(code)) {
    toast("Room codes are 6 letters or digits");
    lobby.focusCode();
    return;
  }
  const name = requireName();
  if (name) lobbyRequest({ type: "join_room", room: code, name, spectate });
}

async function refreshRooms() {
  if (current || !conn.isOpen) return;
  try {
    const reply = await conn.request({ type: "list_rooms" });
    if (!current && Array.isArray(reply.rooms)) lobby.renderRooms(reply.rooms);
  } catch {
    /* the next poll tries again */
  }
}

// ---- room actions --------------------------------------------------------

function sendOrWarn(msg) {
  if (conn.send(msg)) return true;
  toast(errorText({ code: "offline" }));
  return false;
}

function play(action) {
  if (!current || pending || restoring) return;
  const msg = { type: "action", action };
  // Both rps seats choose at once: the other's choice moving the version is no conflict.
  if (!isSimultaneous(current.snapshot.game)) msg.expected_version = current.version;
  if (sendOrWarn(msg)) setPending(true);
}

function rematch() {
  sendOrWarn({ type: "rematch" });
}

function chat(text) {
  return sendOrWarn({ type: "chat", text });
}

async function leave() {
  if (!current) return;
  if (conn.isOpen) {
    try {
      await conn.request({ type: "leave_room" });
    } catch (err) {
      if (err.code !== "not_in_room" && err.code !== "offline") {
        toast(errorText(err));
        return;
      }
    }
  }
  toLobby();
}

// ---- server frames -------------------------------------------------------

function onMessage(msg) {
  switch (msg.type) {
    case "error":
      if (current) setPending(false);
      toast(errorText(msg));
      return;
    case "server_shutdown":
      conn.reconnectAfter(msg.reconnect_after_ms);
      return;
    case "room_closed":
      if (current && msg.room === current.room) toLobby(CLOSED_TEXT[msg.reason] || "The room was closed");
      return;
    case "kicked":
      if (current && msg.room === current.room) {
        toLobby(msg.reason === "resumed_elsewhere" ? "You continued this game in another tab" : "You were removed from the room");
      }
      return;
    case "joined":
      enterRoom(msg);
      return;
    case "left":
      toLobby();
      return;
    default:
      applyRoomEvent(msg);
  }
}

function applyRoomEvent(msg) {
  if (!current || restoring) return;
  const changed = applyEvent(current, msg);
  if (!changed) return;
  persist();
  if (changed === "chat") {
    room.appendChat(current, current.chat[current.chat.length - 1]);
    return;
  }
  if (changed === "state") pending = false;
  room.render(current, { pending });
}

/** A fresh socket: take our seat back (or re-join as spectator), else show the lobby. */
async function restore() {
  if (!current) {
    refreshRooms();
    return;
  }
  const msg = current.session
    ? { type: "resume", session: current.session }
    : { type: "join_room", room: current.room, name: current.name || lobby.getName() || "guest", spectate: true };
  restoring = true;
  try {
    enterRoom(await conn.request(msg));
  } catch (err) {
    if (err.code === "offline") return; // the next socket tries again
    if (["invalid_session", "room_not_found", "bad_request", "not_a_player"].includes(err.code)) {
      toLobby("That game is no longer available");
    } else if (err.code === "already_in_room") {
      // This socket already holds the seat; nothing is lost by asking again later.
      toast(errorText(err));
    } else {
      setTimeout(() => conn.isOpen && restore(), RESUME_RETRY_MS);
    }
  } finally {
    restoring = false;
  }
}

// ---- start ---------------------------------------------------------------

function start() {
  const name = loadName();
  lobby.setName(name);
  const params = new URLSearchParams(location.search);
  const code = normalizeCode(params.get("room"));

  if (current && current.snapshot) {
    // Draw the room we were in right away; resume confirms or corrects it.
    showRoom();
  } else {
    current = null;
    showLobby();
    if (isValidCode(code)) {
      lobby.prefillCode(code);
      history.replaceState(null, "", `/?room=${code}`);
      if (name) lobby.focusCode();
      else lobby.focusName();
    }
  }

  conn.addEventListener("status", (ev) => showConnection(ev.detail));
  conn.addEventListener("open", () => restore());
  conn.addEventListener("message", (ev) => onMessage(ev.detail));
  setInterval(refreshRooms, LIST_EVERY_MS);
  showConnection(conn.status);
  conn.start();

  // Handy for debugging and for tests that need to cut the socket.
  window.parlor = { conn, get room() { return current; } };
}

start();
