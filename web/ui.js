// Small shared pieces of the page: the error toast and the connection badge.

const toastEl = () => document.querySelector('[data-testid="error"]');
let toastTimer = null;

/** Show a short message for a few seconds (role="alert" reads it out). */
export function toast(text, ms = 4000) {
  const el = toastEl();
  if (!el) return;
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    el.hidden = true;
  }, ms);
}

export function clearToast() {
  const el = toastEl();
  if (el) el.hidden = true;
}

const CONN_TEXT = {
  connecting: "Connecting…",
  online: "Online",
  reconnecting: "Reconnecting…",
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
