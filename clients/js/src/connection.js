// A WebSocket to Parlor that heals itself: after any lost socket it reconnects (the next
// URL of the list, after exponential back-off with full jitter, or after the delay the
// server asked for in `server_shutdown`), runs the subclass's handshake, and only then
// counts as ready. Frames are JSON objects; requests get `req` ids (see requests.js).

import { backoffDelay, MAX_DELAY_MS, MIN_DELAY_MS, shutdownDelay } from "./backoff.js";
import { Emitter } from "./emitter.js";
import { LOCAL_CODES, ParlorError } from "./errors.js";
import { Requests } from "./requests.js";

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

export class Connection extends Emitter {
  /** @param {import("../index.js").ParlorClientOptions} opts */
  constructor(opts) {
    super();
    const urls = opts.url == null ? [wsUrl()] : Array.isArray(opts.url) ? [...opts.url] : [opts.url];
    if (urls.length === 0) throw new TypeError("ParlorClient: `url` must name at least one server");
    this.urls = urls;
    this.WebSocket = opts.WebSocket ?? /** @type {any} */ (globalThis).WebSocket;
    if (typeof this.WebSocket !== "function") {
      throw new TypeError("ParlorClient: no WebSocket here (Node >= 22 has one); pass `WebSocket`");
    }
    this.requestTimeoutMs = opts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
    this.heartbeatMs = opts.heartbeatMs ?? HEARTBEAT_MS;
    this.reconnect = opts.reconnect !== false;
    const delays = typeof opts.reconnect === "object" ? opts.reconnect : {};
    this.backoff = { minDelayMs: delays.minDelayMs ?? MIN_DELAY_MS, maxDelayMs: delays.maxDelayMs ?? MAX_DELAY_MS };
    this.whenOffline = opts.whenOffline ?? "wait";
    /** @type {import("../index.js").ConnectionStatus} */
    this.status = "idle";
    /** The URL of the current (or next) socket. */
    this.url = urls[0];
    /** True once a socket is open and its handshake done. */
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
    this.requests = new Requests();
    /** Callers waiting for the connection to be ready. */
    this.waiters = /** @type {{resolve: () => void, reject: (e: any) => void}[]} */ ([]);

    this.onOnline = () => this.retryNow();
    const win = /** @type {any} */ (globalThis).window;
    if (win && typeof win.addEventListener === "function") win.addEventListener("online", this.onOnline);
  }

  /**
   * What a new socket does before it is ready (the client authenticates and resumes).
   * Throws to give the socket up and try another after a back-off.
   * @returns {Promise<any>}
   */
  async handshake() {
    return null;
  }

  /** A reply some request waited for, seen before the request resolves. @param {any} _msg */
  replied(_msg) {}

  /** A frame no request waited for. @param {any} msg */
  dispatch(msg) {
    this.emit(msg.type, msg);
  }

  // ---- lifecycle ------------------------------------------------------------------

  /**
   * Start connecting (if not started) and resolve once ready.
   * @param {{timeoutMs?: number}} [opts]
   */
  connect(opts = {}) {
    if (this.status === "closed") return Promise.reject(closedError());
    if (this.status === "idle") {
      this.setStatus("connecting");
      this.open();
    }
    return this.whenReady(opts.timeoutMs == null ? undefined : Date.now() + opts.timeoutMs);
  }

  /** Close for good: no reconnect; whatever waits rejects with `closed`. */
  close() {
    if (this.status === "closed") return;
    this.setStatus("closed");
    this.ready = false;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.stopHeartbeat();
    const ws = this.ws;
    this.ws = null;
    if (ws) closeQuietly(ws, 1000, "client closed");
    this.requests.failAll(LOCAL_CODES.CLOSED, "the client was closed");
    for (const w of [...this.waiters]) w.reject(closedError());
    const win = /** @type {any} */ (globalThis).window;
    if (win && typeof win.removeEventListener === "function") win.removeEventListener("online", this.onOnline);
  }

  /** Drop the current socket as if the link had died; a reconnect follows. */
  drop() {
    const ws = this.ws;
    if (!ws) return;
    // Forget the socket first: a dead link may take long to report its close.
    this.ws = null;
    closeQuietly(ws);
    this.lost(ws, 1006, "dropped by the client");
  }

  /** Reconnect now if a reconnect is waiting (e.g. the browser came back online). */
  retryNow() {
    if (this.retryTimer === null) return;
    clearTimeout(this.retryTimer);
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
    ws.addEventListener("open", () => this.ws === ws && this.opened(ws));
    ws.addEventListener("message", (/** @type {any} */ ev) => this.ws === ws && this.receive(ev.data));
    ws.addEventListener("close", (/** @type {any} */ ev) => this.ws === ws && this.lost(ws, ev.code, ev.reason));
    ws.addEventListener("error", () => {
      /* a close event follows and does the work */
    });
  }

  /** @param {any} ws */
  async opened(ws) {
    this.lastHeard = Date.now();
    this.startHeartbeat();
    this.emit("open", { url: this.url });
    let resumed;
    try {
      resumed = await this.handshake();
    } catch {
      // Not ready on this socket (a refused token, the store unavailable, no answer):
      // try again on a fresh one after a back-off.
      if (this.ws === ws) this.drop();
      return;
    }
    if (this.ws !== ws) return; // that socket is gone; its close started a reconnect
    this.attempt = 0;
    this.ready = true;
    this.setStatus("online");
    for (const w of this.waiters.splice(0)) w.resolve();
    this.emit("ready", { url: this.url, resumed });
  }

  /** @param {any} ws @param {number} code @param {string} reason */
  lost(ws, code, reason) {
    if (this.ws === ws) this.ws = null;
    this.ready = false;
    this.stopHeartbeat();
    this.requests.failAll(LOCAL_CODES.DISCONNECTED, "the connection was lost before the answer came");
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
      if (Date.now() - this.lastHeard > this.heartbeatMs * 2) this.drop();
      else this.transmit({ type: "ping" });
    }, this.heartbeatMs);
  }

  stopHeartbeat() {
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  // ---- sending ----------------------------------------------------------------------

  /**
   * Resolve when ready; reject with `offline` (never started), `timeout` at `deadline`
   * (epoch ms), or `closed`.
   * @param {number} [deadline]
   * @returns {Promise<void>}
   */
  whenReady(deadline) {
    if (this.ready) return Promise.resolve();
    if (this.status === "closed") return Promise.reject(closedError());
    if (this.status === "idle") {
      return Promise.reject(new ParlorError(LOCAL_CODES.OFFLINE, "not connected: call connect() first"));
    }
    return new Promise((resolve, reject) => {
      /** @type {ReturnType<typeof setTimeout> | undefined} */
      let timer;
      const w = {
        resolve: () => (clearTimeout(timer), resolve()),
        reject: (/** @type {any} */ e) => (clearTimeout(timer), forget(), reject(e)),
      };
      const forget = () => this.waiters.includes(w) && this.waiters.splice(this.waiters.indexOf(w), 1);
      if (deadline != null) {
        const late = new ParlorError(LOCAL_CODES.TIMEOUT, "not connected in time");
        timer = setTimeout(() => w.reject(late), Math.max(0, deadline - Date.now()));
      }
      this.waiters.push(w);
    });
  }

  /**
   * Wait for readiness as `whenOffline` says, within a request's deadline.
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
   * Send a message that gets a direct reply and resolve with it; reject with a
   * ParlorError. A `req` is added.
   * @param {any} msg
   * @param {{timeoutMs?: number}} [opts]
   */
  async request(msg, opts = {}) {
    const deadline = Date.now() + (opts.timeoutMs ?? this.requestTimeoutMs);
    await this.usable(deadline);
    return this.exchange(msg, Math.max(1, deadline - Date.now()));
  }

  /**
   * Send on the open socket now, ready or not (the handshake uses this) and resolve with
   * the reply.
   * @param {any} msg
   * @param {number} timeoutMs
   * @returns {Promise<any>}
   */
  exchange(msg, timeoutMs) {
    if (!this.isOpen()) return Promise.reject(new ParlorError(LOCAL_CODES.DISCONNECTED, "not connected"));
    const req = this.requests.id();
    const reply = this.requests.reply(req, timeoutMs, msg.type);
    this.transmit({ ...msg, req });
    return reply;
  }

  /**
   * Send a message whose success has no reply, and resolve when its outcome is known:
   * `kind` "state" waits for the `state` event it causes, "chat" for the chat line, and
   * "accepted" for a ping sent after it (the server handles a socket's messages one at a
   * time, in order, so a pong with no error before it means the message was accepted).
   * @param {any} msg
   * @param {"state" | "chat" | "accepted"} kind
   * @param {{timeoutMs?: number}} opts
   * @returns {Promise<any>}
   */
  async submit(msg, kind, opts = {}) {
    const deadline = Date.now() + (opts.timeoutMs ?? this.requestTimeoutMs);
    await this.usable(deadline);
    if (!this.isOpen()) throw new ParlorError(LOCAL_CODES.DISCONNECTED, "not connected");
    const req = this.requests.id();
    const outcome = this.requests.outcome(req, kind, Math.max(1, deadline - Date.now()), msg.type);
    this.transmit({ ...msg, req });
    if (kind === "accepted") {
      this.exchange({ type: "ping" }, Math.max(1, deadline - Date.now())).then(
        () => this.requests.settle(req, undefined),
        () => {
          /* the outcome times out or fails with the socket */
        },
      );
    }
    return outcome;
  }

  /**
   * Send any message as is, waiting for nothing. False when there is no open socket.
   * An `error` it causes arrives as an "error" event.
   * @param {any} msg
   */
  send(msg) {
    if (!this.isOpen()) return false;
    this.transmit({ req: this.requests.id(), ...msg });
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

  // ---- receiving --------------------------------------------------------------------

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
    if (msg.req != null && this.requests.answer(msg, (reply) => this.replied(reply))) return;
    if (msg.type === "server_shutdown") this.shutdownAfterMs = Math.max(0, Number(msg.reconnect_after_ms) || 0);
    this.dispatch(msg);
  }
}

function closedError() {
  return new ParlorError(LOCAL_CODES.CLOSED, "the client is closed");
}

/** @param {any} ws @param {number} [code] @param {string} [reason] */
function closeQuietly(ws, code, reason) {
  try {
    ws.close(code, reason);
  } catch {
    /* already closing */
  }
}
