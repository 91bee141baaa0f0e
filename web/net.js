// The WebSocket connection to Parlor: one JSON object per frame, request ids,
// and reconnection with exponential back-off so a dropped socket heals itself.

const MIN_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 5000;
const REQUEST_TIMEOUT_MS = 10000;
// The server pings every 20 s; an application ping lets us notice a dead link
// (e.g. a laptop waking up) even when the browser has not.
const HEARTBEAT_MS = 25000;

/** The WebSocket URL on the same host that served the page. */
export function wsUrl(loc = window.location) {
  const scheme = loc.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${loc.host}/ws`;
}

/**
 * A self-healing connection. Emits:
 *  - "status"  detail: "connecting" | "online" | "reconnecting"
 *  - "open"    a fresh socket is ready (resume or re-join from here)
 *  - "message" detail: a server frame that was not the answer to a request()
 */
export class Connection extends EventTarget {
  constructor(url) {
    super();
    this.url = url;
    this.ws = null;
    this.status = "connecting";
    this.nextReq = 1;
    this.pending = new Map(); // req -> {resolve, reject, timer}
    this.backoff = MIN_BACKOFF_MS;
    this.nextDelay = null; // set by server_shutdown
    this.retryTimer = null;
    this.heartbeat = null;
    this.lastHeard = 0;
    window.addEventListener("online", () => this.retryNow());
  }

  start() {
    this.open();
  }

  get isOpen() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  open() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    // Frames from a socket we have already given up on must not leak in
    // (e.g. a "kicked" sent to it after we resumed on a new one).
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.backoff = MIN_BACKOFF_MS;
      this.setStatus("online");
      this.startHeartbeat();
      this.dispatchEvent(new Event("open"));
    };
    ws.onmessage = (ev) => {
      if (this.ws === ws) this.receive(ev.data);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.stopHeartbeat();
      this.failPending("offline");
      this.scheduleReconnect();
    };
    ws.onerror = () => {
      /* onclose follows and does the work */
    };
  }

  scheduleReconnect() {
    this.setStatus("reconnecting");
    let delay;
    if (this.nextDelay !== null) {
      delay = this.nextDelay;
      this.nextDelay = null;
    } else {
      delay = this.backoff;
      this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS);
    }
    // A little jitter so a whole room does not reconnect in lockstep.
    delay += Math.floor(Math.random() * Math.min(100, delay / 4));
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.open(), delay);
  }

  /** Reconnect at once if we are waiting to (browser came back online). */
  retryNow() {
    if (this.retryTimer !== null) this.open();
  }

  /** The server asked us to come back after `ms`: close and reconnect then. */
  reconnectAfter(ms) {
    this.nextDelay = Math.max(0, Number(ms) || 0);
  }

  /** Drop the socket (tests and dead-link detection); reconnection follows. */
  drop() {
    const ws = this.ws;
    if (!ws) return;
    // Forget the socket first: a dead link may take long to report its close.
    this.ws = null;
    ws.close();
    this.stopHeartbeat();
    this.failPending("offline");
    this.scheduleReconnect();
  }

  setStatus(status) {
    if (this.status === status) return;
    this.status = status;
    this.dispatchEvent(new CustomEvent("status", { detail: status }));
  }

  receive(data) {
    this.lastHeard = Date.now();
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      return;
    }
    if (msg === null || typeof msg !== "object") return;
    const waiter = msg.req != null ? this.pending.get(msg.req) : undefined;
    if (waiter) {
      this.pending.delete(msg.req);
      clearTimeout(waiter.timer);
      if (msg.type === "error") waiter.reject(msg);
      else waiter.resolve(msg);
      return;
    }
    if (msg.type === "pong") return;
    this.dispatchEvent(new CustomEvent("message", { detail: msg }));
  }

  /**
   * Send a message that gets a direct reply. Resolves with the reply;
   * rejects with the server's error frame or {code:"offline"|"timeout"}.
   */
  request(msg) {
    return new Promise((resolve, reject) => {
      if (!this.isOpen) {
        reject({ type: "error", code: "offline" });
        return;
      }
      const req = this.nextReq++;
      const timer = setTimeout(() => {
        this.pending.delete(req);
        reject({ type: "error", code: "timeout" });
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(req, { resolve, reject, timer });
      this.ws.send(JSON.stringify({ ...msg, req }));
    });
  }

  /**
   * Send a message whose success has no reply (action, chat, rematch).
   * An error for it arrives as a "message" event. Returns false if offline.
   */
  send(msg) {
    if (!this.isOpen) return false;
    this.ws.send(JSON.stringify({ ...msg, req: this.nextReq++ }));
    return true;
  }

  failPending(code) {
    for (const { reject, timer } of this.pending.values()) {
      clearTimeout(timer);
      reject({ type: "error", code });
    }
    this.pending.clear();
  }

  startHeartbeat() {
    this.stopHeartbeat();
    this.lastHeard = Date.now();
    this.heartbeat = setInterval(() => {
      // Any frame counts as a sign of life; a ping makes sure one comes.
      if (Date.now() - this.lastHeard > HEARTBEAT_MS * 2) {
        this.drop();
        return;
      }
      this.send({ type: "ping" });
    }, HEARTBEAT_MS);
  }

  stopHeartbeat() {
    clearInterval(this.heartbeat);
    this.heartbeat = null;
  }
}
