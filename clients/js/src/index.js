// @parlor/client: a client for Parlor's WebSocket protocol, for browsers and Node >= 22.

export { ParlorClient } from "./client.js";
export { wsUrl } from "./connection.js";
export { ParlorError, LOCAL_CODES } from "./errors.js";
export { applyEvent, fromJoined, isMyTurn, msLeft, playerAt, CHAT_LIMIT } from "./view.js";
export { backoffDelay, shutdownDelay, MIN_DELAY_MS, MAX_DELAY_MS } from "./backoff.js";
