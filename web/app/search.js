// Search (#/search across one's rooms, #/search/ROOM in one room): a query box and the
// messages found, newest first, each opening its room at that message (docs/api.md "Search").
import { api } from "/static/base/api.js";
import { clear, h } from "/static/base/dom.js";
import { errorBox, focusHeading, nameOf, shortStamp } from "/static/app/dom.js";
import { messagePreview } from "/static/app/rooms.js";
import { t } from "/static/strings.js";

const PAGE = 20;

export function renderSearch(app, view, roomId = null) {
  const room = roomId ? app.rooms.get(roomId) : null;
  const title = roomId ? t.searchInRoom(room ? room.name || room.direct_with?.display_name || "" : "") : t.searchAll;
  const input = h("input", {
    type: "search", id: "search-q", name: "q", enterkeyhint: "search", autocomplete: "off",
    maxlength: "200", required: true, "aria-label": t.searchLabel, placeholder: t.searchPlaceholder,
  });
  const form = h("form", { class: "search-form", role: "search", id: "search-form" },
    input, h("button", { type: "submit", class: "primary", id: "search-go" }, t.searchButton));
  const error = errorBox();
  const status = h("p", { class: "muted", role: "status", id: "search-status" });
  const list = h("ol", { class: "search-results", id: "search-results" });
  const more = h("button", { type: "button", class: "small", id: "search-more", hidden: true }, t.searchMore);
  const back = roomId ? `#/rooms/${roomId}` : "#/rooms";
  clear(view).append(h("div", { class: "pad search-view" },
    h("header", { class: "page-head" },
      h("a", { href: back, class: "back", "aria-label": t.back }, "←"),
      h("h1", {}, title)),
    form, error, status, list, more));
  focusHeading(view);
  input.focus();

  let query = "";
  let nextBefore = null;
  async function load(fresh) {
    error.hidden = true;
    const params = new URLSearchParams({ q: query, limit: String(PAGE) });
    if (roomId) params.set("room_id", String(roomId));
    if (!fresh && nextBefore) params.set("before", String(nextBefore));
    status.textContent = t.loading;
    try {
      const page = await api("GET", `/api/search?${params}`);
      if (fresh) clear(list);
      for (const result of page.results) list.append(resultItem(app, result, !roomId));
      nextBefore = page.next_before;
      more.hidden = !nextBefore;
      status.textContent = list.children.length ? t.searchFound(list.children.length, !!nextBefore) : t.searchNothing(query);
    } catch (failure) {
      status.textContent = "";
      error.textContent = failure.message;
      error.hidden = false;
    }
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    query = input.value.trim();
    nextBefore = null;
    load(true);
  });
  more.addEventListener("click", () => load(false));
}

function resultItem(app, { room, message }, showRoom) {
  const open = h("a", {
    href: `#/rooms/${room.id}`, class: "search-hit", dataset: { messageId: String(message.id) },
    onclick: () => { app.pendingJump = { roomId: room.id, messageId: message.id }; },
  },
  h("span", { class: "search-hit-head" },
    showRoom ? h("strong", { class: "search-room" }, room.name) : null,
    h("span", { class: "search-author" }, message.author ? nameOf(message.author) : ""),
    h("time", { datetime: message.created_at, class: "muted small" }, shortStamp(message.created_at))),
  h("span", { class: "search-text" }, messagePreview(message)));
  return h("li", {}, open);
}

const REVEAL_PAGES = 20; // a found message up to 1,000 messages back opens in place

// Called by the chat once its newest page is shown: a search result chosen for this room
// is loaded (older pages as needed), scrolled to and flashed.
export async function revealPendingJump(app, chat) {
  const jump = app.pendingJump;
  if (!jump || jump.roomId !== chat.roomId) return;
  app.pendingJump = null;
  const selector = `#msg-${jump.messageId}`;
  for (let page = 0; page < REVEAL_PAGES && !chat.list.querySelector(selector) && chat.nextBefore; page++) {
    const cursor = chat.nextBefore;
    await chat.loadOlder();
    if (chat.destroyed || chat.nextBefore === cursor) return; // offline: the notice says so
  }
  chat.stick = false;
  chat.jumpTo(jump.messageId);
}
