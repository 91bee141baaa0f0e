// Small shared pieces of the page: the error toast and the connection badge.

const toastEl = () => document.querySelector('[data-testid="error"]');
let toastTimer = null;

/**
 * Show a short message for a few seconds (role="alert" reads it out). When it is about
 * a `field`, it is moved off that field (on a phone it would cover it).
 */
export function toast(text, { ms = 4000, field = null } = {}) {
  const el = toastEl();
  if (!el) return;
  el.textContent = text;
  el.hidden = false;
  el.style.top = "";
  if (field) keepClear(el, field);
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    el.hidden = true;
  }, ms);
}

/** Put the toast just below `field` (above it near the screen's foot) if it covers it. */
function keepClear(el, field) {
  const f = field.getBoundingClientRect();
  const t = el.getBoundingClientRect();
  if (t.bottom <= f.top || t.top >= f.bottom) return;
  const below = f.bottom + 8;
  el.style.top = `${below + t.height <= window.innerHeight ? below : Math.max(0, f.top - 8 - t.height)}px`;
}

export function clearToast() {
  const el = toastEl();
  if (el) el.hidden = true;
}

const CONN_TEXT = {
  connecting: "Connecting…",
  online: "Online",
  reconnecting: "Reconnecting…",
  closed: "Offline",
};

/** Reflect the socket's state in the top bar. */
export function showConnection(state) {
  const el = document.querySelector('[data-testid="conn"]');
  if (!el) return;
  el.dataset.state = state;
  el.querySelector(".conn-text").textContent = CONN_TEXT[state] || state;
}

/** Create an element with attributes and text. */
export function h(tag, attrs = {}, text = "") {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? "" : v);
  }
  if (text) node.textContent = text;
  return node;
}
