// The error every failed request rejects with: the server's `error` frame, or one of the
// client's own reasons (no answer in time, the socket went away, the client was closed).

/** Codes the client makes itself; every other code is the server's (see the protocol). */
export const LOCAL_CODES = Object.freeze({
  /** No answer within the request's timeout. */
  TIMEOUT: "timeout",
  /** The socket closed before the answer came; the request may or may not have been applied. */
  DISCONNECTED: "disconnected",
  /** Not connected, and the client was told not to wait (`whenOffline: "reject"`) or never started. */
  OFFLINE: "offline",
  /** `close()` was called. */
  CLOSED: "closed",
});

export class ParlorError extends Error {
  /**
   * @param {string} code
   * @param {string} [message]
   * @param {{req?: number, frame?: any}} [extra]
   */
  constructor(code, message, extra = {}) {
    super(message || code);
    this.name = "ParlorError";
    /** The server's error code, or one of LOCAL_CODES. */
    this.code = code;
    /** The `req` of the request it answers, when there was one. */
    this.req = extra.req;
    /** The server's `error` frame, when the server sent one. */
    this.frame = extra.frame;
  }

  /**
   * From a server `error` frame.
   * @param {any} frame
   */
  static fromFrame(frame) {
    return new ParlorError(String(frame.code || "internal"), frame.message, { req: frame.req, frame });
  }
}

/** Resume errors after which the seat is surely gone: retrying cannot help. */
export const SEAT_GONE = new Set(["invalid_session", "room_not_found", "bad_request", "not_a_player"]);

/** Auth errors: the token was refused, or the server wants one. */
export const AUTH_REFUSED = new Set(["invalid_token", "token_expired", "unauthenticated"]);
