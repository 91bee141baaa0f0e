// The lobby: name, create / quick play, join or spectate by code, and the
// live list of open rooms.

import { gameName, normalizeCode } from "./messages.js";
import { h } from "./ui.js";

/**
 * Wire the lobby's forms. `actions` has create({game, private}),
 * quick({game}), join(code, spectate) and nameChanged(name).
 */
export function initLobby(actions) {
  const section = document.getElementById("lobby");
  const nameInput = document.getElementById("name");
  const gameSelect = document.getElementById("game");
  const clockSelect = document.getElementById("turn-secs");
  loadGames(gameSelect);
  const privateBox = document.getElementById("private");
  const codeInput = document.getElementById("join-code");
  const list = document.getElementById("room-list");
  const empty = document.getElementById("room-list-empty");

  nameInput.addEventListener("change", () => actions.nameChanged(nameInput.value));
  codeInput.addEventListener("input", () => {
    const pos = codeInput.selectionStart;
    codeInput.value = normalizeCode(codeInput.value).replace(/\s/g, "");
    codeInput.setSelectionRange(pos, pos);
  });

  document.getElementById("create-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const turnSecs = Number(clockSelect.value) || null;
    actions.create({ game: gameSelect.value, private: privateBox.checked, turnSecs });
  });
  document.getElementById("quick-play").addEventListener("click", () => {
    actions.quick({ game: gameSelect.value });
  });
  document.getElementById("join-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    actions.join(codeInput.value, false);
  });
  document.getElementById("spectate-btn").addEventListener("click", () => {
    actions.join(codeInput.value, true);
  });

  function renderRooms(rooms) {
    list.replaceChildren(...rooms.map(roomItem));
    empty.hidden = rooms.length > 0;
  }

  function roomItem(room) {
    const names = (room.players || []).map((p) => p.name).join(", ") || "nobody yet";
    const li = h("li", { class: "room-item", "data-testid": `room-item-${room.code}` });
    const info = h("div", { class: "room-info" });
    info.append(
      h("span", { class: "room-item-code" }, room.code),
      h("span", { class: "room-item-game" }, gameName(room.game)),
      h("span", { class: "room-item-players muted" }, names),
    );
    const join = h("button", { type: "button", class: "primary", "data-testid": `join-${room.code}`, "aria-label": `Join room ${room.code}` }, "Join");
    join.addEventListener("click", () => actions.join(room.code, false));
    const watch = h("button", { type: "button", "data-testid": `spectate-${room.code}`, "aria-label": `Spectate room ${room.code}` }, "Spectate");
    watch.addEventListener("click", () => actions.join(room.code, true));
    const buttons = h("div", { class: "row" });
    buttons.append(join, watch);
    li.append(info, buttons);
    return li;
  }

  return {
    show() {
      section.hidden = false;
    },
    hide() {
      section.hidden = true;
    },
    setName(name) {
      nameInput.value = name;
    },
    getName() {
      return nameInput.value;
    },
    focusName() {
      nameInput.focus();
    },
    nameField: nameInput,
    codeField: codeInput,
    prefillCode(code) {
      codeInput.value = code;
    },
    focusCode() {
      codeInput.focus();
    },
    renderRooms,
  };
}

/** Offer exactly the games this server registered (the page's list is the fallback). */
async function loadGames(select) {
  try {
    const reply = await fetch("/games.json");
    const { games } = await reply.json();
    if (!Array.isArray(games) || games.length === 0) return;
    const chosen = select.value;
    select.replaceChildren(...games.map((g) => h("option", { value: g.id }, gameName(g.id))));
    if (games.some((g) => g.id === chosen)) select.value = chosen;
  } catch {
    /* keep the built-in list */
  }
}
