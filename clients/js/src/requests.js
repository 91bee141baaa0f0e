// Requests in flight: their `req` ids, their timeouts, and how each is settled. A
// request with a direct reply (`joined`, `rooms`, `pong`…) is settled by the frame that
// echoes its `req`; one without (`action`, `chat`) by the event it causes; any of them
// by an `error` echoing its `req`.

import { LOCAL_CODES, ParlorError } from "./errors.js";

/**
 * @typedef {{resolve: (v: any) => void, reject: (e: any) => void, timer: ReturnType<typeof setTimeout>}} Waiter
 * @typedef {Waiter & {req: number, kind: string}} Outcome
 */

export class Requests {
  constructor() {
    this.next = 1;
    /** @type {Map<number, Waiter>} */
    this.replies = new Map();
    /** In the order they were sent: the server handles a socket's messages in order. */
    this.outcomes = /** @type {Outcome[]} */ ([]);
  }

  /** A fresh `req` id. */
  id() {
    return this.next++;
  }

  /**
   * The reply to `req`, rejected with `timeout` after `timeoutMs`.
   * @param {number} req @param {number} timeoutMs @param {string} what
   * @returns {Promise<any>}
   */
  reply(req, timeoutMs, what) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.replies.delete(req);
        reject(new ParlorError(LOCAL_CODES.TIMEOUT, `no answer to ${what} within ${timeoutMs} ms`, { req }));
      }, timeoutMs);
      this.replies.set(req, { resolve, reject, timer });
    });
  }

  /**
   * The outcome of `req`, settled by `settleFirst(kind, …)`, by `settle(req, …)`, or by
   * an error; rejected with `timeout` after `timeoutMs`.
   * @param {number} req @param {string} kind @param {number} timeoutMs @param {string} what
   * @returns {Promise<any>}
   */
  outcome(req, kind, timeoutMs, what) {
    return new Promise((resolve, reject) => {
      /** @type {Outcome} */
      const o = {
        req,
        kind,
        resolve: (v) => this.finish(o) && resolve(v),
        reject: (e) => this.finish(o) && reject(e),
        timer: setTimeout(() => {
          o.reject(new ParlorError(LOCAL_CODES.TIMEOUT, `no outcome of ${what} within ${timeoutMs} ms`, { req }));
        }, timeoutMs),
      };
      this.outcomes.push(o);
    });
  }

  /** Forget `o`; false when it was already settled. @param {Outcome} o */
  finish(o) {
    clearTimeout(o.timer);
    const i = this.outcomes.indexOf(o);
    if (i < 0) return false;
    this.outcomes.splice(i, 1);
    return true;
  }

  /**
   * Settle what waits for this frame (it carries a `req`); false when nothing does.
   * `taken` sees a reply before the request's promise resolves with it.
   * @param {any} msg @param {(reply: any) => void} taken
   */
  answer(msg, taken) {
    const waiter = this.replies.get(msg.req);
    if (waiter) {
      this.replies.delete(msg.req);
      clearTimeout(waiter.timer);
      if (msg.type === "error") {
        waiter.reject(ParlorError.fromFrame(msg));
      } else {
        taken(msg);
        waiter.resolve(msg);
      }
      return true;
    }
    const o = msg.type === "error" && this.outcomes.find((x) => x.req === msg.req);
    if (!o) return false;
    o.reject(ParlorError.fromFrame(msg));
    return true;
  }

  /**
   * Resolve the oldest outcome of `kind` with `event` (the move's `state`, the line's
   * `chat`).
   * @param {string} kind @param {any} event
   */
  settleFirst(kind, event) {
    this.outcomes.find((x) => x.kind === kind)?.resolve(event);
  }

  /** Resolve the outcome of `req`. @param {number} req @param {any} value */
  settle(req, value) {
    this.outcomes.find((x) => x.req === req)?.resolve(value);
  }

  /** Reject everything in flight. @param {string} code @param {string} message */
  failAll(code, message) {
    for (const [req, w] of this.replies) {
      clearTimeout(w.timer);
      w.reject(new ParlorError(code, message, { req }));
    }
    this.replies.clear();
    for (const o of [...this.outcomes]) o.reject(new ParlorError(code, message, { req: o.req }));
  }
}
