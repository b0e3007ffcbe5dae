// #/notifications: the in-app list (docs/api.md "GET /api/notifications") for every browser,
// those without Web Push included: events starting soon, announcements to one's rooms and
// mentions of oneself, each opening its room (a message at the message, as a search result does).
import { api } from "/static/base/api.js";
import { clear, h } from "/static/base/dom.js";
import { eventWhen, focusHeading, nameOf, shortStamp } from "/static/app/dom.js";
import { messagePreview } from "/static/app/rooms.js";
import { t } from "/static/strings.js";

export async function renderNotificationList(app, view) {
  const status = h("p", { class: "muted", role: "status", id: "notices-status" }, t.loading);
  const events = h("ol", { class: "search-results", id: "notices-events" });
  const announcements = h("ol", { class: "search-results", id: "notices-announcements" });
  const mentions = h("ol", { class: "search-results", id: "notices-mentions" });
  clear(view).append(h("div", { class: "pad search-view" },
    h("header", { class: "page-head" },
      h("a", { href: "#/rooms", class: "back", "aria-label": t.back }, "←"),
      h("h1", {}, t.noticesTitle)),
    status,
    h("h2", { class: "small-heading" }, t.noticesEvents), events,
    h("h2", { class: "small-heading" }, t.noticesAnnouncements), announcements,
    h("h2", { class: "small-heading" }, t.noticesMentions), mentions));
  focusHeading(view);
  try {
    const answer = await api("GET", "/api/notifications");
    answer.announcements ||= []; // an answer the service worker kept from an older server
    const none = !answer.events.length && !answer.announcements.length && !answer.mentions.length;
    status.textContent = none ? t.noticesNone : "";
    status.hidden = !status.textContent;
    for (const event of answer.events) {
      const room = app.rooms.get(event.room_id);
      events.append(h("li", {}, h("a", { class: "search-hit", href: `#/rooms/${event.room_id}/agenda` },
        h("span", { class: "search-hit-head" },
          h("strong", { class: "search-room" }, room ? room.name : ""),
          h("span", { class: "search-author" }, eventWhen(event))),
        h("span", { class: "search-text" }, event.title))));
    }
    if (!answer.events.length) events.append(h("li", { class: "muted small" }, t.noticesNoEvents));
    for (const entry of answer.announcements) announcements.append(messageHit(app, entry));
    if (!answer.announcements.length) announcements.append(h("li", { class: "muted small" }, t.noticesNoAnnouncements));
    for (const entry of answer.mentions) mentions.append(messageHit(app, entry));
    if (!answer.mentions.length) mentions.append(h("li", { class: "muted small" }, t.noticesNoMentions));
  } catch (error) {
    status.className = "error";
    status.setAttribute("role", "alert");
    status.textContent = error.message;
  }
}

// A message in one of one's rooms, opening the room at it.
function messageHit(app, { room, message }) {
  return h("li", {}, h("a", {
    class: "search-hit", href: `#/rooms/${room.id}`,
    onclick: () => { app.pendingJump = { roomId: room.id, messageId: message.id }; },
  },
  h("span", { class: "search-hit-head" },
    h("strong", { class: "search-room" }, room.name),
    h("span", { class: "search-author" }, message.author ? nameOf(message.author) : ""),
    h("time", { datetime: message.created_at, class: "muted small" }, shortStamp(message.created_at))),
  h("span", { class: "search-text" }, messagePreview(message))));
}
