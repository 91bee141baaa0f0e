// A connection to Parlor that heals itself: requests answered as promises (matched by
// `req`), room events applied to a kept-current room view, and after any lost socket a
// reconnect (exponential back-off with full jitter, or the server's own delay when it
// shuts down), authentication with a fresh token, and `resume` of the held seat.

import { backoffDelay, MAX_DELAY_MS, MIN_DELAY_MS, shutdownDelay } from "./backoff.js";
import { Emitter } from "./emitter.js";
import { AUTH_REFUSED, LOCAL_CODES, ParlorError, SEAT_GONE } from "./errors.js";
import { applyEvent, fromJoined } from "./view.js";

const REQUEST_TIMEOUT_MS = 10_000;
// The server pings every 20 s at the WebSocket level, which scripts cannot see; an
// application ping lets the client notice a dead link (a laptop waking up) by itself.
const HEARTBEAT_MS = 25_000;
const OPEN = 1;

/**
 * The WebSocket URL of `/ws` on the host that served the page.
 * @param {{protocol: string, host: string}} [loc]
 */
export function wsUrl(loc = /** @type {any} */ (globalThis).location) {
  const scheme = loc.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${loc.host}/ws`;
}

export class ParlorClient extends Emitter {
  /** @param {import("../index.js").ParlorClientOptions} [opts] */
  constructor(opts = {}) {
    super();
    const urls = opts.url == null ? [wsUrl()] : Array.isArray(opts.url) ? [...opts.url] : [opts.url];
    if (urls.length === 0) throw new TypeError("ParlorClient: `url` must name at least one server");
    this.urls = urls;
    this.WebSocket = opts.WebSocket ?? /** @type {any} */ (globalThis).WebSocket;
    if (typeof this.WebSocket !== "function") {
      throw new TypeError("ParlorClient: no WebSocket here (Node >= 22 has one); pass `WebSocket`");
    }
    this.getToken = opts.getToken ?? null;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
    this.heartbeatMs = opts.heartbeatMs ?? HEARTBEAT_MS;
    this.reconnect = opts.reconnect !== false;
    const delays = typeof opts.reconnect === "object" ? opts.reconnect : {};
    this.backoff = {
      minDelayMs: delays.minDelayMs ?? MIN_DELAY_MS,
      maxDelayMs: delays.maxDelayMs ?? MAX_DELAY_MS,
    };
    this.whenOffline = opts.whenOffline ?? "wait";
    /** The room view (see view.js), or null outside a room. */
    this.room = opts.room ?? null;
    /** Who the socket is authenticated as, after `auth`. */
    this.user = null;
    /** @type {import("../index.js").ConnectionStatus} */
    this.status = "idle";
    /** The URL of the current (or next) socket. */
    this.url = urls[0];
    /** True once a socket is open and authenticated and the seat (if any) resumed. */
    this.ready = false;

    /** @type {any} */
    this.ws = null;
    this.urlIndex = 0;
    this.attempt = 0;
    /** @type {number | null} the delay the server asked for in `server_shutdown` */
    this.shutdownAfterMs = null;
    /** @type {ReturnType<typeof setTimeout> | null} */
    this.retryTimer = null;
    /** @type {ReturnType<typeof setInterval> | null} */
    this.heartbeat = null;
    this.lastHeard = 0;
    this.nextReq = 1;
    /** Requests with a direct reply: req -> {resolve, reject, timer}. */
    this.pending = new Map();
    /** Sends whose answer is an event (action → state, chat → chat) or a barrier (rematch). */
    this.outcomes = /** @type {any[]} */ ([]);
    /** Requests waiting for the connection to be ready. */
    this.waiters = /** @type {any[]} */ ([]);

    this.onOnline = () => this.retryNow();
    const win = /** @type {any} */ (globalThis).window;
    if (win && typeof win.addEventListener === "function") win.addEventListener("online", this.onOnline);
  }

  // ---- connection ---------------------------------------------------------------

  /**
   * Start connecting (if not started) and resolve once the client is ready: the socket
   * is open, authenticated when `getToken` is set, and the room view's seat resumed.
   * @param {{timeoutMs?: number}} [opts]
   */
  connect(opts = {}) {
    if (this.status === "closed") return Promise.reject(new ParlorError(LOCAL_CODES.CLOSED, "the client is closed"));
    if (this.status === "idle") {
      this.setStatus("connecting");
      this.open();
    }
    return this.whenReady(opts.timeoutMs == null ? undefined : Date.now() + opts.timeoutMs);
  }

  /** Close for good: no reconnect; pending requests reject with `closed`. */
  close() {
    if (this.status === "closed") return;
    this.setStatus("closed");
    this.ready = false;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.stopHeartbeat();
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      try {
        ws.close(1000, "client closed");
      } catch {
        /* already closing */
      }
    }
    this.failAll(LOCAL_CODES.CLOSED, "the client was closed");
    const win = /** @type {any} */ (globalThis).window;
    if (win && typeof win.removeEventListener === "function") win.removeEventListener("online", this.onOnline);
  }

  /** Drop the current socket as if the link had died; a reconnect follows. */
  drop() {
    const ws = this.ws;
    if (!ws) return;
    // Forget the socket first: a dead link may take long to report its close.
    this.ws = null;
    try {
      ws.close();
    } catch {
      /* already closing */
    }
    this.lost(ws, 1006, "dropped by the client");
  }

  /** Reconnect now if a reconnect is waiting (e.g. the browser came back online). */
  retryNow() {
    if (this.retryTimer === null) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.open();
  }

  /** @param {import("../index.js").ConnectionStatus} status */
  setStatus(status) {
    if (this.status === status) return;
    this.status = status;
    this.emit("status", status);
  }

  open() {
    this.retryTimer = null;
    this.url = this.urls[this.urlIndex];
    let ws;
    try {
      ws = new this.WebSocket(this.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    // Frames from a socket the client gave up on must not leak in (e.g. a `kicked` sent
    // to it after the seat was resumed on a new one).
    ws.addEventListener("open", () => {
      if (this.ws === ws) this.opened(ws);
    });
    ws.addEventListener("message", (/** @type {any} */ ev) => {
      if (this.ws === ws) this.receive(ev.data);
    });
    ws.addEventListener("close", (/** @type {any} */ ev) => {
      if (this.ws === ws) this.lost(ws, ev.code, ev.reason);
    });
    ws.addEventListener("error", () => {
      /* a close event follows and does the work */
    });
  }

  /** @param {any} ws */
  async opened(ws) {
    this.lastHeard = Date.now();
    this.startHeartbeat();
    this.emit("open", { url: this.url });
    /** @type {any} */
    let resumed = null;
    try {
      if (this.getToken) await this.authenticate();
      if (this.room) resumed = await this.restore();
    } catch (err) {
      if (this.ws !== ws) return; // that socket is gone; its close started a reconnect
      const e = /** @type {ParlorError} */ (err);
      if (AUTH_REFUSED.has(e.code)) this.emit("auth_error", e);
      // Anything else (store unavailable, rate limited, no answer) may pass: try again
      // on a fresh socket after a back-off.
      this.drop();
      return;
    }
    if (this.ws !== ws) return;
    this.attempt = 0;
    this.ready = true;
    this.setStatus("online");
    for (const w of this.waiters.splice(0)) w.resolve();
    this.emit("ready", { url: this.url, resumed });
  }

  /**
   * Take the held seat back on the new socket (or watch again, for a spectator). A seat
   * that is gone for good empties the view; other failures throw (the caller retries).
   */
  async restore() {
    const view = /** @type {any} */ (this.room);
    const msg = view.session
      ? { type: "resume", session: view.session }
      : { type: "join_room", room: view.room, name: view.name || "guest", spectate: true };
    try {
      const joined = await this.exchange(msg, this.requestTimeoutMs);
      this.emit("resumed", joined);
      return joined;
    } catch (err) {
      const e = /** @type {ParlorError} */ (err);
      if (!SEAT_GONE.has(e.code)) throw e;
      this.room = null;
      this.emit("resume_failed", { error: e, room: view });
      this.emit("room", { change: "lost", view: null, room: view });
      return null;
    }
  }

  /** @param {any} ws @param {number} code @param {string} reason */
  lost(ws, code, reason) {
    if (this.ws === ws) this.ws = null;
    this.ready = false;
    this.stopHeartbeat();
    this.failInFlight(LOCAL_CODES.DISCONNECTED, "the connection was lost before the answer came");
    this.emit("close", { code, reason: reason || "", url: this.url });
    if (this.status !== "closed") this.scheduleReconnect();
  }

  scheduleReconnect() {
    if (!this.reconnect) {
      this.close();
      return;
    }
    this.setStatus("reconnecting");
    // Any node serves any room: the next attempt goes to the next URL of the list.
    this.urlIndex = (this.urlIndex + 1) % this.urls.length;
    this.url = this.urls[this.urlIndex];
    const afterShutdown = this.shutdownAfterMs !== null;
    const delayMs = afterShutdown
      ? shutdownDelay(/** @type {number} */ (this.shutdownAfterMs), this.backoff)
      : backoffDelay(this.attempt++, this.backoff);
    this.shutdownAfterMs = null;
    this.emit("reconnecting", { delayMs, attempt: this.attempt, url: this.url, afterShutdown });
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.open(), delayMs);
  }

  startHeartbeat() {
    this.stopHeartbeat();
    this.heartbeat = setInterval(() => {
      // Any frame counts as a sign of life; the ping makes sure one comes.
      if (Date.now() - this.lastHeard > this.heartbeatMs * 2) {
        this.drop();
        return;
      }
      this.transmit({ type: "ping" });
    }, this.heartbeatMs);
  }

  stopHeartbeat() {
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  // ---- authentication -------------------------------------------------------------

  /**
   * Send `auth` with a token (by default a fresh one from `getToken`). Resolves with
   * the `authed` reply. Also used to refresh a token on `auth_expiring`.
   * @param {string} [token]
   */
  async authenticate(token) {
    if (token == null) {
      if (!this.getToken) throw new TypeError("authenticate(): no token given and no getToken option");
      token = await this.getToken();
    }
    return this.exchange({ type: "auth", token }, this.requestTimeoutMs);
  }

  async refreshToken() {
    if (!this.getToken || !this.ws) return;
    try {
      await this.authenticate();
    } catch (err) {
      const e = /** @type {ParlorError} */ (err);
      if (e.code !== LOCAL_CODES.DISCONNECTED) this.emit("auth_error", e);
    }
  }

  // ---- requests ---------------------------------------------------------------------

  /**
   * Wait until the client is ready, or reject (`offline` when it was told not to wait or
   * never started, `timeout` at the deadline, `closed`).
   * @param {number} [deadline] epoch ms
   * @returns {Promise<void>}
   */
  whenReady(deadline) {
    if (this.ready) return Promise.resolve();
    if (this.status === "closed") return Promise.reject(new ParlorError(LOCAL_CODES.CLOSED, "the client is closed"));
    if (this.status === "idle") {
      return Promise.reject(new ParlorError(LOCAL_CODES.OFFLINE, "not connected: call connect() first"));
    }
    return new Promise((resolve, reject) => {
      const w = { resolve: () => finish(resolve), reject: (/** @type {any} */ e) => finish(() => reject(e)), timer: /** @type {any} */ (null) };
      const finish = (/** @type {Function} */ fn) => {
        clearTimeout(w.timer);
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        fn();
      };
      if (deadline != null) {
        w.timer = setTimeout(
          () => w.reject(new ParlorError(LOCAL_CODES.TIMEOUT, "not connected in time")),
          Math.max(0, deadline - Date.now()),
        );
      }
      this.waiters.push(w);
    });
  }

  /**
   * Wait for the connection as `whenOffline` says, within the request's deadline.
   * @param {number} deadline
   */
  async usable(deadline) {
    if (this.ready) return;
    if (this.whenOffline === "reject" && this.status !== "closed") {
      throw new ParlorError(LOCAL_CODES.OFFLINE, "not connected");
    }
    await this.whenReady(deadline);
  }

  /**
   * Send a message that gets a direct reply (`joined`, `left`, `rooms`, `pong`, `authed`)
   * and resolve with it; reject with a ParlorError. A `req` is added.
   * @param {any} msg
   * @param {{timeoutMs?: number}} [opts]
   */
  async request(msg, opts = {}) {
    const timeoutMs = opts.timeoutMs ?? this.requestTimeoutMs;
    const deadline = Date.now() + timeoutMs;
    await this.usable(deadline);
    return this.exchange(msg, Math.max(1, deadline - Date.now()));
  }

  /**
   * Send now on the open socket (no waiting for readiness: the reconnect handshake uses
   * it before the client is ready).
   * @param {any} msg
   * @param {number} timeoutMs
   * @returns {Promise<any>}
   */
  exchange(msg, timeoutMs) {
    return new Promise((resolve, reject) => {
      if (!this.isOpen()) {
        reject(new ParlorError(LOCAL_CODES.DISCONNECTED, "not connected"));
        return;
      }
      const req = this.nextReq++;
      const timer = setTimeout(() => {
        this.pending.delete(req);
        reject(new ParlorError(LOCAL_CODES.TIMEOUT, `no answer to ${msg.type} within ${timeoutMs} ms`, { req }));
      }, timeoutMs);
      this.pending.set(req, { resolve, reject, timer });
      this.transmit({ ...msg, req });
    });
  }

  /**
   * Send a message whose success has no reply, and resolve when its outcome is known:
   * `kind` "state" waits for the `state` event it causes, "chat" for the chat line, and
   * "accepted" for a ping sent after it (the server handles a socket's messages in order,
   * so a pong with no error before it means the message was accepted).
   * @param {any} msg
   * @param {"state" | "chat" | "accepted"} kind
   * @param {{timeoutMs?: number}} opts
   * @returns {Promise<any>}
   */
  async submit(msg, kind, opts = {}) {
    const timeoutMs = opts.timeoutMs ?? this.requestTimeoutMs;
    const deadline = Date.now() + timeoutMs;
    await this.usable(deadline);
    if (!this.isOpen()) throw new ParlorError(LOCAL_CODES.DISCONNECTED, "not connected");
    return new Promise((resolve, reject) => {
      const req = this.nextReq++;
      const outcome = {
        req,
        kind,
        resolve: (/** @type {any} */ v) => settle(() => resolve(v)),
        reject: (/** @type {any} */ e) => settle(() => reject(e)),
        timer: setTimeout(() => {
          outcome.reject(new ParlorError(LOCAL_CODES.TIMEOUT, `no outcome of ${msg.type} within ${timeoutMs} ms`, { req }));
        }, Math.max(1, deadline - Date.now())),
      };
      const settle = (/** @type {Function} */ fn) => {
        clearTimeout(outcome.timer);
        const i = this.outcomes.indexOf(outcome);
        if (i < 0) return;
        this.outcomes.splice(i, 1);
        fn();
      };
      this.outcomes.push(outcome);
      this.transmit({ ...msg, req });
      if (kind === "accepted") {
        this.exchange({ type: "ping" }, Math.max(1, deadline - Date.now())).then(
          () => outcome.resolve(undefined),
          (err) => outcome.reject(err),
        );
      }
    });
  }

  /**
   * Send any message as is, without waiting for anything. Returns false when there is no
   * open socket. An `error` it causes arrives as an "error" event.
   * @param {any} msg
   */
  send(msg) {
    if (!this.isOpen()) return false;
    this.transmit({ req: this.nextReq++, ...msg });
    return true;
  }

  isOpen() {
    return this.ws !== null && this.ws.readyState === OPEN;
  }

  /** @param {any} msg */
  transmit(msg) {
    try {
      this.ws.send(JSON.stringify(msg));
    } catch {
      /* the socket is closing; its close event fails what waits */
    }
  }

  /**
   * Reject what waits on the current socket (direct replies and outcomes).
   * @param {string} code @param {string} message
   */
  failInFlight(code, message) {
    for (const [req, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new ParlorError(code, message, { req }));
    }
    this.pending.clear();
    for (const o of [...this.outcomes]) o.reject(new ParlorError(code, message, { req: o.req }));
  }

  /** @param {string} code @param {string} message */
  failAll(code, message) {
    this.failInFlight(code, message);
    for (const w of [...this.waiters]) w.reject(new ParlorError(code, message));
  }

  // ---- the protocol's requests ------------------------------------------------------

  /** @param {{game: string, name: string, private?: boolean, turnSecs?: number}} o */
  createRoom(o) {
    /** @type {any} */
    const msg = { type: "create_room", game: o.game, name: o.name, private: !!o.private };
    if (o.turnSecs != null) msg.turn_secs = o.turnSecs;
    return this.request(msg);
  }

  /** @param {{room: string, name: string, spectate?: boolean}} o */
  joinRoom(o) {
    return this.request({ type: "join_room", room: o.room, name: o.name, spectate: !!o.spectate });
  }

  /** @param {{game: string, name: string}} o */
  quickJoin(o) {
    return this.request({ type: "quick_join", game: o.game, name: o.name });
  }

  /** @param {string} session */
  resume(session) {
    return this.request({ type: "resume", session });
  }

  leaveRoom() {
    return this.request({ type: "leave_room" });
  }

  /** @param {string} [game] */
  async listRooms(game) {
    const reply = await this.request(game == null ? { type: "list_rooms" } : { type: "list_rooms", game });
    return reply.rooms;
  }

  ping() {
    return this.request({ type: "ping" });
  }

  /**
   * Make a move; resolves with the `state` event it caused.
   * @param {any} action
   * @param {{expectedVersion?: number, timeoutMs?: number}} [opts]
   */
  action(action, opts = {}) {
    /** @type {any} */
    const msg = { type: "action", action };
    if (opts.expectedVersion != null) msg.expected_version = opts.expectedVersion;
    return this.submit(msg, "state", opts);
  }

  /**
   * Ask for a new game after a finished one; resolves once the server accepted it.
   * @param {{timeoutMs?: number}} [opts]
   */
  rematch(opts = {}) {
    return this.submit({ type: "rematch" }, "accepted", opts);
  }

  /**
   * Say something to the room; resolves with the `chat` event of the line.
   * @param {string} text
   * @param {{timeoutMs?: number}} [opts]
   */
  chat(text, opts = {}) {
    return this.submit({ type: "chat", text }, "chat", opts);
  }

  // ---- incoming frames --------------------------------------------------------------

  /** @param {any} data */
  receive(data) {
    this.lastHeard = Date.now();
    let msg;
    try {
      msg = JSON.parse(typeof data === "string" ? data : String(data));
    } catch {
      return;
    }
    if (msg === null || typeof msg !== "object" || typeof msg.type !== "string") return;
    this.emit("frame", msg);
    if (msg.req != null && this.answer(msg)) return;
    switch (msg.type) {
      case "server_shutdown":
        this.shutdownAfterMs = Math.max(0, Number(msg.reconnect_after_ms) || 0);
        this.emit(msg.type, msg);
        return;
      case "auth_expiring":
        this.emit(msg.type, msg);
        this.refreshToken();
        return;
      case "room_closed":
      case "kicked":
        this.removed(msg);
        return;
      case "error":
        this.emit("error", ParlorError.fromFrame(msg));
        return;
      case "pong":
      case "joined":
      case "left":
      case "rooms":
      case "authed":
        // Replies nobody waits for any more (a timed-out request, a heartbeat).
        this.emit(msg.type, msg);
        return;
      default:
        this.roomEvent(msg);
    }
  }

  /**
   * Settle what waits for this reply; false when nothing does.
   * @param {any} msg
   */
  answer(msg) {
    const p = this.pending.get(msg.req);
    if (p) {
      this.pending.delete(msg.req);
      clearTimeout(p.timer);
      if (msg.type === "error") {
        p.reject(ParlorError.fromFrame(msg));
        return true;
      }
      this.replied(msg);
      p.resolve(msg);
      return true;
    }
    if (msg.type === "error") {
      const o = this.outcomes.find((x) => x.req === msg.req);
      if (o) {
        o.reject(ParlorError.fromFrame(msg));
        return true;
      }
    }
    return false;
  }

  /**
   * A reply changes what the client holds: the room view, or who it is.
   * @param {any} msg
   */
  replied(msg) {
    if (msg.type === "joined") {
      const keep = this.room && this.room.room === msg.room ? this.room.chat : [];
      this.room = fromJoined(msg, { name: this.room?.name, chat: keep });
      this.emit("room", { change: "joined", view: this.room, event: msg });
    } else if (msg.type === "left") {
      const was = this.room;
      this.room = null;
      if (was) this.emit("room", { change: "left", view: null, room: was, event: msg });
    } else if (msg.type === "authed") {
      this.user = { user: msg.user, name: msg.name ?? null, expiresAt: msg.expires_at };
      this.emit("authed", msg);
    }
  }

  /** @param {any} msg a `room_closed` or `kicked` */
  removed(msg) {
    const was = this.room;
    if (was && String(msg.room).toUpperCase() === String(was.room).toUpperCase()) {
      this.room = null;
      this.emit(msg.type, msg);
      this.emit("room", { change: msg.type === "kicked" ? "kicked" : "closed", view: null, room: was, event: msg });
    } else {
      this.emit("dropped", msg);
    }
  }

  /** @param {any} msg */
  roomEvent(msg) {
    const view = this.room;
    const change = view ? applyEvent(view, msg) : null;
    if (change === null) {
      // Older than the view, another room's, or no room: the protocol says drop it.
      // A frame type this client does not know is passed on as it is.
      this.emit(isRoomEvent(msg) ? "dropped" : msg.type, msg);
      return;
    }
    const me = view?.you?.player_id;
    if (msg.type === "state" && msg.by != null && msg.by === me) this.settleFirst("state", msg);
    if (msg.type === "chat" && msg.from === me) this.settleFirst("chat", msg);
    this.emit(msg.type, msg);
    this.emit("room", { change, view, event: msg });
  }

  /** @param {string} kind @param {any} event */
  settleFirst(kind, event) {
    const o = this.outcomes.find((x) => x.kind === kind);
    if (o) o.resolve(event);
  }
}

const ROOM_EVENTS = new Set([
  "state",
  "player_joined",
  "player_left",
  "player_connection",
  "chat",
  "resync",
  "rematch_offered",
]);

/** @param {any} msg */
function isRoomEvent(msg) {
  return ROOM_EVENTS.has(msg.type);
}
