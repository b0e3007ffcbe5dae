// The list of one's rooms, creating a room, public rooms to join, and invitations.
import { api } from "/static/base/api.js";
import { clear, h } from "/static/base/dom.js";
import { copyText, errorBox, field, focusHeading, nameOf, shortStamp, showFormError, submitting } from "/static/app/dom.js";
import { i } from "/static/app/insight_strings.js";
import { m } from "/static/app/market_strings.js";
import { regionPicker, rtRwLooksRight } from "/static/app/region_picker.js";
import { avatar } from "/static/app/avatar.js";
import { t } from "/static/strings.js";

export const ROOM_KINDS = ["work", "network", "region", "school", "profession", "other"];

export function messagePreview(message) {
  if (!message) return "";
  if (message.deleted) return t.messageDeleted;
  if (message.text) return message.text;
  const kinds = (message.attachments || []).map((a) => a.kind);
  if (kinds.includes("video")) return t.previewVideo;
  if (kinds.length) return t.previewPhoto;
  return "";
}

export function renderRoomList(app, sidebar, currentId) {
  const focused = document.activeElement && sidebar.contains(document.activeElement)
    ? document.activeElement.dataset.roomId : null;
  clear(sidebar);
  sidebar.setAttribute("aria-label", t.myRooms);
  const name = app.me ? app.me.display_name : "";
  sidebar.append(h("div", { class: "sidebar-head" },
    h("h2", {}, t.myRooms),
    h("div", { class: "row" },
      h("a", { class: "button small", href: "#/rooms/new", id: "new-room" }, t.newRoom),
      h("a", { class: "button small secondary", href: "#/recruit", id: "open-recruit" }, t.openRecruit),
      h("a", { class: "button small", href: "#/market", id: "open-market" }, m.market),
      h("a", { class: "button small secondary", href: "#/search", id: "open-search" }, t.searchButton),
      h("a", { class: "button small secondary", href: "#/notifications", id: "open-notices" }, t.noticesTitle),
      organises(app) ? h("a", { class: "button small", href: "#/insight", id: "open-insight" }, i.insight) : null,
      organises(app) ? h("a", { class: "button small secondary", href: "#/reports", id: "open-reports" }, t.reportsLink) : null,
      h("a", {
        href: "#/me", id: "open-profile", class: "profile-link", title: t.profileOf(name),
        "aria-label": t.profileOf(name), "aria-current": location.hash === "#/me" ? "page" : null,
      }, avatar(app.me && app.me.id, name)))));
  const rooms = app.sortedRooms();
  if (!rooms.length) {
    sidebar.append(h("p", { class: "muted pad" }, app.roomsLoaded ? t.noRooms : t.loading));
    return;
  }
  // Rooms first, then one's direct conversations under their own heading.
  const direct = rooms.filter((room) => room.direct_with);
  const groups = rooms.filter((room) => !room.direct_with);
  if (groups.length) {
    sidebar.append(h("ul", { class: "room-list", id: "room-list" }, groups.map((room) => roomItem(app, room, currentId))));
  }
  if (direct.length) {
    sidebar.append(h("h3", { class: "sidebar-subhead", id: "dm-heading" }, t.directMessages),
      h("ul", { class: "room-list", id: "dm-list", "aria-labelledby": "dm-heading" }, direct.map((room) => roomItem(app, room, currentId))));
  }
  if (focused) {
    const again = sidebar.querySelector(`[data-room-id="${focused}"]`);
    if (again) again.focus();
  }
}

function roomItem(app, room, currentId) {
  const last = room.last_message;
  const author = last && last.author && !last.deleted
    ? (app.me && last.author.id === app.me.id ? t.you : nameOf(last.author)) + ": " : "";
  const unread = room.unread || 0;
  const fallback = room.direct_with ? t.directKind : t.roomKinds[room.kind] || "";
  const link = h("a", {
    href: `#/rooms/${room.id}`, class: "room-item", dataset: { roomId: String(room.id) },
    "aria-current": room.id === currentId ? "page" : null,
  },
  h("span", { class: "room-avatar", "aria-hidden": "true" }, initials(room.name)),
  h("span", { class: "room-main" },
    h("span", { class: "room-title" }, room.name),
    h("span", { class: "room-last" }, last ? author + messagePreview(last) : fallback)),
  h("span", { class: "room-side" },
    h("span", { class: "room-time" }, last ? shortStamp(last.created_at) : ""),
    unread ? h("span", { class: "unread", dataset: { unread: String(unread) }, "aria-label": t.unreadCount(unread) }, String(unread)) : null));
  return h("li", {}, link);
}

// Insight is for administrators and the owners and moderators of rooms (the server checks).
function organises(app) {
  return !!app.me && (app.me.is_admin || [...app.rooms.values()].some((room) => room.my_role === "owner" || room.my_role === "moderator"));
}

export function initials(name) {
  const words = name.trim().split(/\s+/).filter(Boolean);
  return (words.slice(0, 2).map((w) => w[0]).join("") || "?").toUpperCase();
}

// The pane beside (desktop) or below (phone) the list: invitation code and public rooms.
export function renderWelcome(app, container) {
  clear(container);
  const pane = h("section", { class: "pad welcome" });
  pane.append(h("h1", {}, t.welcome(app.me ? app.me.display_name : "")));
  pane.append(inviteCodeForm(app));
  const discover = h("div", { class: "discover" }, h("h2", {}, t.publicRooms), h("p", { class: "muted" }, t.loading));
  pane.append(discover);
  if (app.me && app.me.calendar_url) {
    pane.append(h("p", { class: "muted small" }, t.myCalendar, " ",
      h("a", { href: app.me.calendar_url, id: "my-calendar" }, t.calendarLink)));
  }
  container.append(pane);
  loadDiscover(app, discover);
}

function inviteCodeForm(app) {
  const box = errorBox();
  const code = h("input", { name: "code", id: "invite-code", autocapitalize: "none", autocomplete: "off", spellcheck: "false", required: true });
  const form = h("form", { class: "inline-form", novalidate: true },
    field(t.inviteCodeLabel, code),
    h("button", { type: "submit" }, t.acceptInviteButton), box);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    // People paste the whole link as often as the code.
    const value = code.value.trim().replace(/^.*#\/invite\//, "").replace(/^.*\/invite\//, "");
    if (value) app.navigate(`#/invite/${encodeURIComponent(value)}`);
  });
  return form;
}

async function loadDiscover(app, box) {
  let rooms;
  try {
    ({ rooms } = await api("GET", "/api/rooms?discover=1"));
  } catch (error) {
    box.lastChild.textContent = error.message;
    return;
  }
  box.lastChild.remove();
  if (!rooms.length) {
    box.append(h("p", { class: "muted" }, t.noPublicRooms));
    return;
  }
  const list = h("ul", { class: "plain-list" });
  for (const room of rooms) {
    const button = h("button", { type: "button", class: "small" }, t.joinRoom);
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        const joined = await api("POST", `/api/rooms/${room.id}/join`);
        app.putRoom(joined);
        app.navigate(`#/rooms/${joined.id}`);
      } catch (error) {
        button.disabled = false;
        app.notify(error.message, { kind: "error" });
      }
    });
    list.append(h("li", { class: "discover-item" },
      h("span", {}, h("strong", {}, room.name), " ", h("span", { class: "muted" }, `${t.roomKinds[room.kind] || room.kind} · ${t.membersCount(room.member_count || 0)}`),
        room.description ? h("span", { class: "muted block" }, room.description) : null),
      button));
  }
  box.append(list);
}

export function renderCreateRoom(app, container) {
  clear(container);
  const box = errorBox();
  const kind = h("select", { name: "kind", id: "room-kind" },
    ROOM_KINDS.map((k) => h("option", { value: k }, t.roomKinds[k])));
  const visibility = h("select", { name: "visibility", id: "room-visibility" },
    h("option", { value: "invite" }, t.visibilityInvite),
    h("option", { value: "public" }, t.visibilityPublic));
  // The place the room is for (a branch, a village, an RT): optional, so folded away.
  const picker = regionPicker("room-region");
  const rtRw = h("input", { name: "rt_rw", id: "room-rt_rw", maxlength: 20, placeholder: "RT 05 / RW 02", inputmode: "numeric" });
  const form = h("form", { novalidate: true, id: "create-room-form" },
    field(t.roomNameLabel, h("input", { name: "name", id: "room-name-input", required: true, maxlength: 80 })),
    field(t.roomKindLabel, kind),
    field(t.roomDescriptionLabel, h("textarea", { name: "description", rows: 3, maxlength: 2000 })),
    field(t.roomVisibilityLabel, visibility),
    h("details", { class: "more", id: "room-region" },
      h("summary", {}, t.regionTitle),
      picker.el,
      field(t.rtRwLabel, rtRw, t.rtRwNeedsVillage)),
    box,
    h("div", { class: "form-actions" },
      h("a", { href: "#/rooms", class: "button secondary" }, t.cancel),
      h("button", { type: "submit", class: "primary" }, t.createRoomButton)));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = {
      name: form.elements.name.value.trim(),
      kind: kind.value,
      visibility: visibility.value,
    };
    const description = form.elements.description.value.trim();
    if (description) body.description = description;
    if (picker.value()) body.region_code = picker.value();
    if (rtRw.value.trim()) body.rt_rw = rtRw.value.trim();
    if (!rtRwLooksRight(rtRw.value)) {
      showFormError(form, box, { message: t.rtRwInvalid, field: "rt_rw" });
      return;
    }
    submitting(form, box, async () => {
      const room = await api("POST", "/api/rooms", body);
      app.putRoom(room);
      app.navigate(`#/rooms/${room.id}/info`);
    });
  });
  container.append(h("section", { class: "pad form-page" },
    h("div", { class: "page-head" },
      h("a", { href: "#/rooms", class: "back", "aria-label": t.back }, "←"),
      h("h1", {}, t.newRoomTitle)),
    form));
  focusHeading(container);
}

export async function acceptInvite(app, container, code) {
  clear(container);
  const status = h("p", { role: "status" }, t.acceptingInvite);
  container.append(h("section", { class: "pad" }, h("h1", {}, t.inviteTitle), status));
  focusHeading(container);
  try {
    const room = await api("POST", `/api/invites/${encodeURIComponent(code)}/accept`);
    app.putRoom(room);
    history.replaceState(null, "", `#/rooms/${room.id}`);
    app.navigate(`#/rooms/${room.id}`);
  } catch (error) {
    if (error.status === 401) return;
    status.removeAttribute("role");
    status.textContent = "";
    container.firstChild.append(
      h("p", { class: "error", role: "alert" }, t.inviteFailed, " ", error.message),
      h("a", { href: "#/rooms", class: "button" }, t.toRoomList));
  }
}

// Makes an invitation and shows its link and code, with copy and share.
export async function makeInvite(app, roomId, box) {
  clear(box).append(h("p", { role: "status" }, t.loading));
  let invite;
  try {
    invite = await api("POST", `/api/rooms/${roomId}/invites`, {});
  } catch (error) {
    clear(box).append(h("p", { class: "error", role: "alert" }, error.message));
    return;
  }
  const link = new URL(invite.url || `/#/invite/${invite.code}`, location.href).href;
  const copied = h("span", { class: "muted", role: "status" });
  const copy = h("button", { type: "button", class: "small", id: "copy-invite" }, t.copyLink);
  copy.addEventListener("click", async () => {
    copied.textContent = (await copyText(link)) ? t.copied : t.copyByHand;
  });
  const actions = h("div", { class: "row" }, copy);
  if (navigator.share) {
    actions.append(h("button", {
      type: "button", class: "small",
      onclick: () => navigator.share({ title: t.inviteShareTitle, text: t.inviteShareText, url: link }).catch(() => {}),
    }, t.share));
  }
  actions.append(copied);
  const expires = invite.expires_at ? t.inviteExpires(new Date(invite.expires_at).toLocaleString()) : "";
  clear(box).append(...[
    field(t.inviteLinkLabel, h("input", { id: "invite-link", readonly: true, value: link, onfocus: (e) => e.target.select() })),
    h("p", {}, t.inviteCode, " ", h("code", { id: "invite-code-value" }, invite.code)),
    expires ? h("p", { class: "muted small" }, expires) : null,
    actions].filter(Boolean));
}
