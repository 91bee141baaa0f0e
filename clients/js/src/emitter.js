// A small typed event emitter: `on(type, fn)` returns a function that unsubscribes.
// EventTarget would do in browsers, but its events wrap every payload; listeners here
// get the frame itself.

export class Emitter {
  constructor() {
    /** @type {Map<string, Set<Function>>} */
    this.listeners = new Map();
  }

  /**
   * Call `fn` for every event of `type`. Returns a function that removes it.
   * @param {string} type
   * @param {Function} fn
   */
  on(type, fn) {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(fn);
    return () => this.off(type, fn);
  }

  /** @param {string} type @param {Function} fn */
  off(type, fn) {
    this.listeners.get(type)?.delete(fn);
  }

  /**
   * The next event of `type` (for which `filter` holds, when given), as a promise.
   * Rejects after `timeoutMs` when given.
   * @param {string} type
   * @param {{filter?: (ev: any) => boolean, timeoutMs?: number}} [opts]
   */
  once(type, { filter, timeoutMs } = {}) {
    return new Promise((resolve, reject) => {
      /** @type {ReturnType<typeof setTimeout> | undefined} */
      let timer;
      const off = this.on(type, (/** @type {any} */ ev) => {
        if (filter && !filter(ev)) return;
        off();
        clearTimeout(timer);
        resolve(ev);
      });
      if (timeoutMs != null) {
        timer = setTimeout(() => {
          off();
          reject(new Error(`no "${type}" event within ${timeoutMs} ms`));
        }, timeoutMs);
      }
    });
  }

  /**
   * Call every listener of `type`. A listener that throws does not stop the others or
   * the client; the error is reported on the global error path.
   * @param {string} type
   * @param {any} [ev]
   */
  emit(type, ev) {
    const set = this.listeners.get(type);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        fn(ev);
      } catch (err) {
        reportError(err);
      }
    }
  }
}

/** @param {unknown} err */
function reportError(err) {
  if (typeof globalThis.reportError === "function") globalThis.reportError(err);
  else queueMicrotask(() => {
    throw err;
  });
}
