// Parts of an announcement shown on its pinned post (pinned.js): its photos and video (the
// chat's own attachment view, message.js), its event as a card with the time in the event's
// zone and a way to answer in the agenda, and its reach for the author and the room's
// moderators ("Terkirim ke N anggota · Dibaca M", and per room when the post is opened).
import { h } from "/static/base/dom.js";
import { eventWhen } from "/static/app/dom.js";
import { attachment, openLightbox } from "/static/app/message.js";
import { t } from "/static/strings.js";

const VIEW = { openImage: openLightbox };

export function mediaRow(attachments) {
  if (!attachments || !attachments.length) return null;
  return h("div", { class: "attachments pinned-media", id: "pinned-media" }, attachments.map((a) => attachment(a, VIEW)));
}

export function eventCard(event) {
  if (!event) return null;
  return h("div", { class: "event-card", id: "pinned-event", role: "group", "aria-label": t.eventCardLabel },
    h("span", { class: "pinned-badge" }, t.eventCardLabel), " ",
    h("strong", { class: "event-card-title" }, event.title),
    h("span", { class: "block small" }, eventWhen(event)),
    event.location ? h("span", { class: "block muted small" }, event.location) : null,
    h("a", { href: `#/rooms/${event.room_id}/agenda`, class: "small", id: "pinned-rsvp" }, t.eventRsvp));
}

export function reachLine(reach) {
  if (!reach) return null;
  return h("span", { class: "block muted small", id: "pinned-reach" }, t.reachLine(reach.recipients, reach.read));
}

export function reachRooms(reach) {
  if (!reach || !reach.per_room.length) return null;
  return h("details", { class: "pinned-reach-rooms", id: "pinned-reach-rooms" },
    h("summary", {}, t.reachPerRoom),
    h("ul", {}, reach.per_room.map((room) =>
      h("li", { class: "small" }, t.reachRoom(room.room_name, room.recipients, room.read)))));
}
