// Parlor admin console. Every figure and action goes through the public REST API
// (/api/v1, bearer token); the token lives in this tab's sessionStorage only, never in
// a URL or a cookie. Data from the server is only ever set as text, never as HTML.

const TOKEN_KEY = "parlor.adminToken";
const REFRESH_MS = 2000;

const $ = (id) => document.querySelector(`[data-testid="${id}"]`);

/** The view's state: the open page of rooms and the open room, if any. */
const view = {
  cursor: null, // cursor of the page shown (null: first page)
  nextCursor: null,
  open: null, // code of the room shown in the detail panel
  timer: null,
};

/** A refused token or another API error, with the server's message. */
class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function api(method, path, token = sessionStorage.getItem(TOKEN_KEY)) {
  const res = await fetch(`/api/v1${path}`, {
    method,
    headers: { Authorization: `Bearer ${token || ""}` },
    cache: "no-store",
  });
  if (res.status === 204) return null;
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    const err = body?.error || {};
    throw new ApiError(res.status, err.code || "http_error", err.message || `HTTP ${res.status}`);
  }
  return body;
}

function showError(message) {
  const toast = $("error");
  toast.textContent = message;
  toast.hidden = false;
  clearTimeout(showError.timer);
  showError.timer = setTimeout(() => { toast.hidden = true; }, 6000);
}

/** Back to the sign-in form, saying why. */
function signOut(reason) {
  sessionStorage.removeItem(TOKEN_KEY);
  clearInterval(view.timer);
  view.timer = null;
  $("console").hidden = true;
  $("logout").hidden = true;
  $("login").hidden = false;
  const msg = $("login-error");
  msg.textContent = reason || "";
  msg.hidden = !reason;
  $("token-input").value = "";
  $("token-input").focus();
}

/** Any failed call: a 401 means the token is no longer good; others are shown. */
function failed(err) {
  if (err instanceof ApiError && err.status === 401) {
    signOut("The server refused the token (401). Type the admin token again.");
  } else {
    showError(err.message);
  }
}

function formatUptime(s) {
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  return d ? `${d}d ${h}h ${m}m` : h ? `${h}h ${m}m` : `${m}m ${s % 60}s`;
}

async function refreshStats() {
  const s = await api("GET", "/stats");
  for (const key of ["node_id", "version", "store", "connections", "rooms_local"]) {
    $(`stat-${key}`).textContent = String(s[key]);
  }
  $("stat-uptime").textContent = formatUptime(s.uptime_s);
}

function listQuery() {
  const q = new URLSearchParams();
  const game = $("filter-game").value;
  const status = $("filter-status").value;
  const limit = Number.parseInt($("filter-limit").value, 10);
  if (game) q.set("game", game);
  if (status) q.set("status", status);
  if (Number.isInteger(limit) && limit >= 1 && limit <= 200) q.set("limit", String(limit));
  if (view.cursor) q.set("cursor", view.cursor);
  return q.toString();
}

function cell(text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

async function refreshRooms() {
  const page = await api("GET", `/rooms?${listQuery()}`);
  const rows = $("room-rows");
  rows.replaceChildren(...page.rooms.map((r) => {
    const tr = document.createElement("tr");
    tr.dataset.testid = `room-row-${r.code}`;
    tr.dataset.code = r.code;
    tr.tabIndex = 0;
    if (r.code === view.open) tr.className = "selected";
    tr.append(
      cell(r.code), cell(r.game), cell(r.status),
      cell(r.players.map((p) => p.name).join(", ")),
      cell(String(r.spectators)), cell(String(r.version)), cell(r.updated_at),
    );
    return tr;
  }));
  $("rooms-empty").hidden = page.rooms.length > 0;
  view.nextCursor = page.next_cursor;
  $("page-next").disabled = !page.next_cursor;
  $("page-first").disabled = !view.cursor;
}

async function refreshDetail() {
  const code = view.open;
  if (!code) return;
  let room;
  try {
    room = await api("GET", `/rooms/${encodeURIComponent(code)}`);
  } catch (err) {
    if (err instanceof ApiError && err.code === "room_not_found") {
      $("detail-gone").hidden = false;
      $("delete-room").disabled = true;
      $("player-rows").replaceChildren();
      return;
    }
    throw err;
  }
  if (code !== view.open) return; // another room was opened meanwhile
  $("detail-gone").hidden = true;
  $("delete-room").disabled = false;
  $("detail-code").textContent = room.code;
  $("detail-game").textContent = room.game;
  $("detail-status").textContent = room.status;
  $("detail-version").textContent = String(room.version);
  $("detail-spectators").textContent = String(room.spectators);
  $("detail-private").textContent = room.private ? "yes" : "no";
  $("detail-created").textContent = room.created_at;
  $("detail-state").textContent = JSON.stringify(room.state, null, 2);
  $("player-rows").replaceChildren(...room.players.map((p) => {
    const tr = document.createElement("tr");
    tr.dataset.testid = `player-row-${p.player_id}`;
    const kick = document.createElement("button");
    kick.type = "button";
    kick.className = "danger small";
    kick.textContent = "Kick";
    kick.dataset.testid = `kick-${p.player_id}`;
    kick.addEventListener("click", () => askKick(room.code, p.player_id, p.name));
    const actions = document.createElement("td");
    actions.append(kick);
    tr.append(
      cell(p.seat === null ? "–" : String(p.seat)), cell(p.name), cell(p.player_id),
      cell(p.connected ? "connected" : "disconnected", p.connected ? "online" : "offline"),
      actions,
    );
    return tr;
  }));
}

/** Refresh everything on screen; a failure of one part does not stop the others. */
async function refreshAll() {
  const results = await Promise.allSettled([refreshStats(), refreshRooms(), refreshDetail()]);
  const bad = results.find((r) => r.status === "rejected");
  if (bad) failed(bad.reason);
  else $("refreshed").textContent = `updated ${new Date().toLocaleTimeString()}`;
}

function openRoom(code) {
  view.open = code;
  $("detail").hidden = false;
  $("detail-code").textContent = code;
  for (const tr of $("room-rows").children) tr.classList.toggle("selected", tr.dataset.code === code);
  refreshDetail().catch(failed);
}

/** Open a confirmation `dialog`; `act` runs only when its `yes` button closed it. */
function confirmThen(dialog, yes, act) {
  dialog.returnValue = "";
  dialog.onclose = async () => {
    if (dialog.returnValue !== yes) return;
    try {
      await act();
    } catch (err) {
      failed(err);
    }
    await refreshAll();
  };
  dialog.showModal();
}

/** Kicking gives the player's seat up: ask first, as for deleting a room. */
function askKick(code, playerId, name) {
  $("kick-name").textContent = name;
  $("kick-code").textContent = code;
  confirmThen($("confirm-kick"), "kick", async () => {
    await api("DELETE", `/rooms/${encodeURIComponent(code)}/players/${encodeURIComponent(playerId)}`);
    $("refreshed").textContent = `kicked ${name}`;
  });
}

function askDelete() {
  const code = view.open;
  if (!code) return;
  $("confirm-code").textContent = code;
  confirmThen($("confirm-delete"), "delete", async () => {
    await api("DELETE", `/rooms/${encodeURIComponent(code)}`);
    if (view.open === code) closeDetail();
  });
}

function closeDetail() {
  view.open = null;
  $("detail").hidden = true;
  for (const tr of $("room-rows").children) tr.classList.remove("selected");
}

/** The game names, read from the API's own document (its `game` parameter's enum). */
async function loadGames() {
  try {
    const res = await fetch("/api/v1/openapi.json", { cache: "no-store" });
    const doc = await res.json();
    const param = doc.paths["/api/v1/rooms"].get.parameters.find((p) => p.name === "game");
    const names = param?.schema?.enum || [];
    $("filter-game").append(...names.map((n) => new Option(n, n)));
  } catch {
    // The filter still offers "any"; nothing else depends on it.
  }
}

function startConsole() {
  $("login").hidden = true;
  $("console").hidden = false;
  $("logout").hidden = false;
  refreshAll();
  clearInterval(view.timer);
  // Refresh while the page is open; a hidden tab waits until it is shown again.
  view.timer = setInterval(() => { if (!document.hidden) refreshAll(); }, REFRESH_MS);
}

async function signIn(event) {
  event.preventDefault();
  const token = $("token-input").value.trim();
  if (!token) return;
  try {
    await api("GET", "/stats", token);
  } catch (err) {
    const msg = $("login-error");
    msg.textContent = err instanceof ApiError && err.status === 401
      ? "Wrong token: the server refused it (401)."
      : `Could not check the token: ${err.message}`;
    msg.hidden = false;
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  $("login-error").hidden = true;
  startConsole();
}

function restartList() {
  view.cursor = null;
  refreshRooms().catch(failed);
}

function init() {
  $("login-form").addEventListener("submit", signIn);
  $("logout").addEventListener("click", () => signOut(""));
  $("filters").addEventListener("change", restartList);
  $("filters").addEventListener("submit", (e) => { e.preventDefault(); restartList(); });
  $("page-first").addEventListener("click", restartList);
  $("page-next").addEventListener("click", () => {
    if (!view.nextCursor) return;
    view.cursor = view.nextCursor;
    refreshRooms().catch(failed);
  });
  const rows = $("room-rows");
  rows.addEventListener("click", (e) => {
    const tr = e.target.closest("tr[data-code]");
    if (tr) openRoom(tr.dataset.code);
  });
  rows.addEventListener("keydown", (e) => {
    const tr = e.target.closest("tr[data-code]");
    if (tr && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); openRoom(tr.dataset.code); }
  });
  $("detail-close").addEventListener("click", closeDetail);
  $("delete-room").addEventListener("click", askDelete);
  loadGames();
  if (sessionStorage.getItem(TOKEN_KEY)) startConsole();
  else signOut("");
}

init();
