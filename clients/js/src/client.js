// Parlor's protocol over a self-healing connection: the requests as promises, room
// events applied to a kept-current room view before listeners hear of them, and on every
// new socket the handshake that makes a lost connection invisible to a game: `auth` with
// a fresh token (when `getToken` is set), then `resume` of the held seat.

import { Connection } from "./connection.js";
import { AUTH_REFUSED, ParlorError, SEAT_GONE } from "./errors.js";
import { applyEvent, fromJoined } from "./view.js";

/** Room events the view applies; anything else unknown is passed on as it is. */
const ROOM_EVENTS = new Set([
  "state",
  "player_joined",
  "player_left",
  "player_connection",
  "chat",
  "resync",
  "rematch_offered",
]);

export class ParlorClient extends Connection {
  /** @param {import("../index.js").ParlorClientOptions} [opts] */
  constructor(opts = {}) {
    super(opts);
    this.getToken = opts.getToken ?? null;
    /** The room view (see view.js), or null outside a room. */
    this.room = opts.room ?? null;
    /** Who the socket is authenticated as, after `auth`. */
    this.user = /** @type {{user: string, name: string | null, expiresAt: string} | null} */ (null);
    /** The token the socket is signed in with (to tell a fresh one from it). */
    this.token = /** @type {string | null} */ (null);
  }

  // ---- the handshake of every new socket --------------------------------------------

  async handshake() {
    if (this.getToken) {
      try {
        await this.authenticate();
      } catch (err) {
        const e = /** @type {ParlorError} */ (err);
        if (AUTH_REFUSED.has(e.code)) this.emit("auth_error", e);
        throw e;
      }
    }
    return this.room ? this.restore() : null;
  }

  /**
   * Take the held seat back on the new socket (or watch again, for a spectator). A seat
   * that is gone for good empties the view; other failures throw (a new socket retries).
   */
  async restore() {
    const view = /** @type {import("../index.js").RoomView} */ (this.room);
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

  /**
   * Send `auth` with a token (by default a fresh one from `getToken`); resolves with the
   * `authed` reply. Also how a token is refreshed on `auth_expiring`.
   * @param {string} [token]
   */
  async authenticate(token) {
    if (token == null) {
      if (!this.getToken) throw new TypeError("authenticate(): no token given and no getToken option");
      token = await this.getToken();
    }
    const authed = await this.exchange({ type: "auth", token }, this.requestTimeoutMs);
    this.token = token;
    return authed;
  }

  async refreshToken() {
    if (!this.getToken || !this.isOpen()) return;
    try {
      const token = await this.getToken();
      // The same token again would only bring another `auth_expiring` at once (the
      // server warns at once when less than a minute is left): a loop. With nothing
      // fresher to offer, the socket is closed at expiry, and the next one tries again.
      if (token === this.token) return;
      await this.authenticate(token);
    } catch (err) {
      const e = /** @type {ParlorError} */ (err);
      // Only a refusal is news. Anything else (a lost socket, no answer in time) heals
      // by itself: at the token's end the server closes the socket, and the next one
      // signs in afresh.
      if (AUTH_REFUSED.has(e.code)) this.emit("auth_error", e);
    }
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

  /** @param {any} msg a frame no request waited for */
  dispatch(msg) {
    switch (msg.type) {
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
      default:
        if (ROOM_EVENTS.has(msg.type)) this.roomEvent(msg);
        // server_shutdown (the connection has taken its delay), and replies nobody
        // waits for any more (a timed-out request, a heartbeat's pong).
        else this.emit(msg.type, msg);
    }
  }

  /** @param {any} msg a `room_closed` or `kicked` */
  removed(msg) {
    const was = this.room;
    if (!was || String(msg.room).toUpperCase() !== String(was.room).toUpperCase()) {
      this.emit("dropped", msg);
      return;
    }
    this.room = null;
    this.emit(msg.type, msg);
    this.emit("room", { change: msg.type === "kicked" ? "kicked" : "closed", view: null, room: was, event: msg });
  }

  /** @param {any} msg */
  roomEvent(msg) {
    const view = this.room;
    const change = view ? applyEvent(view, msg) : null;
    if (!view || change === null) {
      // Older than the view, another room's, or out of a room: the protocol says drop it.
      this.emit("dropped", msg);
      return;
    }
    const me = view.you.player_id;
    if (msg.type === "state" && msg.by != null && msg.by === me) this.requests.settleFirst("state", msg);
    if (msg.type === "chat" && msg.from === me) this.requests.settleFirst("chat", msg);
    this.emit(msg.type, msg);
    this.emit("room", { change, view, event: msg });
  }
}
