// Playing signed in (protocol §3): a studio links to the page with `?token=<JWT>`; the
// token goes to the server in an `auth` message through the client's getToken, never in
// the WebSocket URL. It is taken out of the address bar at once (it would end up in the
// history and in shared links) and kept for this tab only, so a reload stays signed in.

const TOKEN_KEY = "parlor.token";

/** The token from the page URL (then kept for the tab), or the one this tab kept; null for a guest. */
export function takeToken() {
  const params = new URLSearchParams(location.search);
  const fromUrl = params.get("token");
  if (fromUrl) {
    params.delete("token");
    const rest = params.toString();
    history.replaceState(null, "", location.pathname + (rest ? `?${rest}` : ""));
    try {
      sessionStorage.setItem(TOKEN_KEY, fromUrl);
    } catch {
      /* storage disabled: signed in until the page is reloaded */
    }
    return fromUrl;
  }
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

/** Drop the kept token (refused or expired): a reload plays as a guest. */
export function forgetToken() {
  try {
    sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    /* nothing kept */
  }
}

/** Show who the page plays as in the top bar: the account's name, or why sign-in failed. */
export function showUser({ user = null, name = null, problem = null } = {}) {
  const el = document.querySelector('[data-testid="user"]');
  if (!el) return;
  el.hidden = !user && !problem;
  el.dataset.state = problem ? "refused" : "signed-in";
  el.textContent = problem || `Signed in as ${name || user}`;
  el.title = user ? `Account: ${user}` : "";
  if (user) el.dataset.user = user;
  else delete el.dataset.user;
}
