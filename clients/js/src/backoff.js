// How long to wait before the next connection attempt: exponential back-off with full
// jitter, so clients cut off together do not come back together.

/** First ceiling of the delay, in ms. */
export const MIN_DELAY_MS = 500;
/** Largest delay, in ms. */
export const MAX_DELAY_MS = 20_000;

/**
 * The delay before attempt `attempt` (0 for the first retry): a uniformly random value
 * between 0 and min(max, min × 2^attempt) ("full jitter").
 * @param {number} attempt
 * @param {{minDelayMs?: number, maxDelayMs?: number, random?: () => number}} [opts]
 */
export function backoffDelay(attempt, opts = {}) {
  const min = opts.minDelayMs ?? MIN_DELAY_MS;
  const max = opts.maxDelayMs ?? MAX_DELAY_MS;
  const random = opts.random ?? Math.random;
  const ceiling = Math.min(max, min * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

/**
 * The delay after a `server_shutdown`: never before the server's `reconnect_after_ms`,
 * plus up to one minimum delay of jitter so a node's sockets spread out.
 * @param {number} afterMs
 * @param {{minDelayMs?: number, random?: () => number}} [opts]
 */
export function shutdownDelay(afterMs, opts = {}) {
  const min = opts.minDelayMs ?? MIN_DELAY_MS;
  const random = opts.random ?? Math.random;
  return Math.max(0, Number(afterMs) || 0) + Math.floor(random() * min);
}
