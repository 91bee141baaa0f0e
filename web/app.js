// Parlor's browser client: the protocol is @parlor/client's (requests, the room view,
// reconnect and resume); this file switches between the lobby and the room view and
// keeps the view where a reload or a new tab finds it.

import { ParlorClient } from "@parlor/client";
import { forgetToken, showUser, takeToken } from "./account.js";
import { initLobby } from "./lobby.js";
import { initRoom } from "./room.js";
import { isSimultaneous } from "./model.js";
import { errorText, isValidCode, normalizeCode, validName } from "./messages.js";
import { clearCurrent, loadCurrent, loadName, loadSeat, saveCurrent, saveName } from "./storage.js";
import { clearToast, showConnection, toast } from "./ui.js";

const LIST_EVERY_MS = 3000;

const CLOSED_TEXT = {
  closed_by_operator: "The room was closed by an operator",
  expired: "The room expired after a long quiet spell",
  empty: "Everyone left the room",
};

/** Resume errors after which a kept seat is gone: join instead. */
const SEAT_GONE = ["invalid_session", "room_not_found", "bad_request", "not_a_player"];

let client = null;
let pending = false; // our move is on its way
let busy = false; // a lobby request is in flight

const lobby = initLobby({ create, quick, join, nameChanged });
const room = initRoom({ play, rematch, leave, chat });

/** The room view (the client's), or null in the lobby. */
const current = () => client.room;

// ---- views -------------------------------------------------------------

function showLobby() {
  room.hide();
  lobby.show();
  if (location.search) history.replaceState(null, "", "/");
  refreshRooms();
}

function showRoom() {
  const view = current();
  lobby.hide();
  room.show();
  room.render(view, { pending });
  room.renderChat(view);
  const url = `/?room=${view.room}`;
  if (location.pathname + location.search !== url) history.replaceState(null, "", url);
}

/** Forget the room and go back to the lobby, optionally saying why. */
function toLobby(was, message, { forgetSeat = true } = {}) {
  client.room = null;
  pending = false;
  clearCurrent(was && was.room, { forgetSeat });
  showLobby();
  if (message) toast(message);
}

/** Every change of the room view: redraw what changed and keep the view. */
function onRoom({ change, view, room: was, event }) {
  switch (change) {
    case "joined":
      pending = false;
      saveCurrent(view);
      showRoom();
      return;
    case "left":
      toLobby(was);
      return;
    case "closed":
      toLobby(was, CLOSED_TEXT[event.reason] || "The room was closed");
      return;
    case "kicked": {
      const elsewhere = event.reason === "resumed_elsewhere" || event.reason === "replaced";
      // Another tab or device holds the seat now: keep it for that one.
      const text = event.reason === "replaced" ? "You continued this game on another device or tab" : elsewhere ? "You continued this game in another tab" : "You were removed from the room";
      toLobby(was, text, { forgetSeat: !elsewhere });
      return;
    }
    case "lost":
      toLobby(was, "That game is no longer available");
      lobby.prefillCode(was.room);
      return;
    case "chat":
      saveCurrent(view);
      room.appendChat(view, view.chat[view.chat.length - 1]);
      return;
    default:
      if (change === "state" || change === "resync") pending = false;
      saveCurrent(view);
      room.render(view, { pending });
  }
}

function setPending(on) {
  pending = on;
  if (current()) room.render(current(), { pending });
}

// ---- lobby actions -------------------------------------------------------

function nameChanged(text) {
  const name = validName(text);
  if (name) saveName(name);
}

function requireName() {
  const name = validName(lobby.getName());
  if (!name) {
    lobby.focusName();
    toast("Enter your name first (1–24 characters)", { field: lobby.nameField });
    return null;
  }
  saveName(name);
  return name;
}

/** A request that enters a room (the client's `joined` shows it); errors are toasts. */
async function lobbyRequest(send, field) {
  if (busy) return;
  busy = true;
  try {
    await send();
    clearToast();
    // The button pressed is gone with the lobby: keep keyboard focus in the room.
    room.focus();
  } catch (err) {
    toast(errorText(err), { field });
  } finally {
    busy = false;
  }
}

function create({ game, private: priv, turnSecs }) {
  const name = requireName();
  if (name) lobbyRequest(() => client.createRoom({ game, name, private: priv, turnSecs }));
}

function quick({ game }) {
  const name = requireName();
  if (name) lobbyRequest(() => client.quickJoin({ game, name }));
}

function join(codeText, spectate) {
  const code = normalizeCode(codeText);
  if (!isValidCode(code)) {
    lobby.focusCode();
    toast("Room codes are 6 letters or digits", { field: lobby.codeField });
    return;
  }
  const name = requireName();
  if (!name) return;
  const seat = spectate ? null : loadSeat(code);
  lobbyRequest(async () => {
    if (seat) {
      // A seat this browser holds there (e.g. a tab closed mid-game): take it back.
      try {
        return await client.resume(seat.session);
      } catch (err) {
        if (!SEAT_GONE.includes(err.code)) throw err;
        clearCurrent(code);
      }
    }
    return client.joinRoom({ room: code, name, spectate });
  }, lobby.codeField);
}

async function refreshRooms() {
  if (current() || !client.ready) return;
  try {
    const rooms = await client.listRooms();
    if (!current() && Array.isArray(rooms)) lobby.renderRooms(rooms);
  } catch {
    /* the next poll tries again */
  }
}

// ---- room actions --------------------------------------------------------

function failed(err) {
  setPending(false);
  toast(errorText(err));
}

function play(action) {
  const view = current();
  if (!view || pending) return;
  // Both rps seats choose at once: the other's choice moving the version is no conflict.
  const opts = isSimultaneous(view.snapshot.game) ? {} : { expectedVersion: view.version };
  setPending(true);
  client.action(action, opts).then(() => setPending(false), failed);
}

/** Ask for a rematch; resolves false (after a toast) when the server refused it. */
function rematch() {
  return client.rematch().then(() => true, (err) => {
    failed(err);
    return false;
  });
}

/** Send a chat line; false (and a toast) when it cannot go now. */
function chat(text) {
  if (!client.ready) {
    toast(errorText({ code: "offline" }));
    return false;
  }
  client.chat(text).catch(failed);
  return true;
}

async function leave() {
  const was = current();
  if (!was) return;
  if (client.ready) {
    try {
      await client.leaveRoom(); // its `left` goes back to the lobby
      return;
    } catch (err) {
      if (!["not_in_room", "offline", "disconnected"].includes(err.code)) {
        toast(errorText(err));
        return;
      }
    }
  }
  if (current()) toLobby(was);
}

// ---- signing in ------------------------------------------------------------

/** Who the token says this is: the top bar shows it, and its name is the player's. */
function signedIn({ user, name }) {
  showUser({ user, name });
  if (name) lobby.setName(name);
  lobby.nameField.readOnly = !!name;
}

/**
 * Stop for good when signing in cannot work on this server: the token was refused or ran
 * out (a page has no way to get a fresh one), or the server takes no guests (4001).
 */
function signInFailed(text) {
  forgetToken();
  client.close();
  showConnection("closed");
  showUser({ problem: text });
  toast(text, { ms: 10000 });
}

// ---- start ---------------------------------------------------------------

function start() {
  const name = loadName();
  lobby.setName(name);
  const token = takeToken();
  const code = normalizeCode(new URLSearchParams(location.search).get("room"));
  // This tab's room; else, for a room's link, a seat this browser holds there.
  const saved = loadCurrent() || (isValidCode(code) ? loadSeat(code) : null);

  client = new ParlorClient({ whenOffline: "reject", room: saved, getToken: token ? () => token : undefined });
  client.on("status", showConnection);
  client.on("authed", signedIn);
  client.on("auth_error", (err) => signInFailed(errorText(err)));
  client.on("close", ({ code: closeCode }) => {
    if (closeCode === 4001) signInFailed(errorText({ code: "unauthenticated" }));
  });
  client.on("room", onRoom);
  client.on("ready", () => refreshRooms());
  client.on("error", failed); // an error no request waits for
  client.connect().catch(() => {
    /* only a closed client rejects; this one never closes */
  });
  showConnection(client.status);

  if (saved && saved.snapshot) {
    // Draw the room right away; the resume on connect confirms or corrects it.
    showRoom();
  } else {
    showLobby();
    if (isValidCode(code)) {
      lobby.prefillCode(code);
      history.replaceState(null, "", `/?room=${code}`);
      if (name) lobby.focusCode();
      else lobby.focusName();
    }
  }
  setInterval(refreshRooms, LIST_EVERY_MS);

  // Handy for debugging and for tests that need to cut the socket.
  window.parlor = { conn: client, get room() { return client.room; } };
}

start();
