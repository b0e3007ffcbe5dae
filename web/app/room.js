// One room: its header (back, name, meeting button), tabs, and the chat, agenda and info panes.
import { api } from "/static/base/api.js";
import { AgendaView } from "/static/app/agenda.js";
import { ChatView } from "/static/app/chat.js";
import { adminDeleteButton } from "/static/app/delete_account.js";
import { directButton, renderDirectInfo } from "/static/app/direct.js";
import { clear, h } from "/static/base/dom.js";
import { errorBox, field, focusHeading, icon, submitting, withName } from "/static/app/dom.js";
import { muteSwitch } from "/static/app/notifications.js";
import { markResetRequests, mayMakeCode, resetCodeButton } from "/static/app/password_reset.js";
import { makeInvite } from "/static/app/rooms.js";
import { t } from "/static/strings.js";

const TYPING_SHOWN_MS = 5000;
const ROLE_RANK = { owner: 3, moderator: 2, member: 1 };

export class RoomView {
  constructor(app, roomId, container) {
    this.app = app;
    this.roomId = roomId;
    this.container = container;
    this.room = app.rooms.get(roomId) || { id: roomId, name: "", member_count: 0 };
    this.members = new Map(); // user id -> {user, role}
    this.tab = null;
    this.typing = new Map(); // user id -> {name, timer}
    this.chat = null;
    this.agenda = null;
    this.editForm = null; // the room's details being edited (moderators), kept across re-renders
    this.destroyed = false;

    this.title = h("h1", { class: "room-title", id: "room-title" }, this.room.name);
    this.subtitle = h("p", { class: "room-sub", id: "room-sub", "aria-live": "polite" });
    this.meetingButton = h("button", { type: "button", class: "meeting", id: "btn-meeting", title: t.joinMeeting },
      icon("video"), h("span", { class: "label-long" }, t.joinMeeting), h("span", { class: "label-short" }, t.meetingShort));
    this.meetingButton.addEventListener("click", () => app.openMeeting(roomId, this.meetingButton));
    const searchLink = h("a", { href: `#/search/${roomId}`, class: "icon-button", id: "room-search", title: t.searchHere, "aria-label": t.searchHere }, icon("search"));
    this.tabLinks = {};
    const tabs = h("nav", { class: "tabs", "aria-label": t.roomSections });
    for (const [name, label] of [["chat", t.tabChat], ["agenda", t.tabAgenda], ["info", t.tabInfo]]) {
      this.tabLinks[name] = h("a", { href: `#/rooms/${roomId}${name === "chat" ? "" : "/" + name}`, id: `tab-${name}` }, label);
      tabs.append(this.tabLinks[name]);
    }
    this.panes = {
      chat: h("section", { class: "pane chat-pane", id: "pane-chat" }),
      agenda: h("section", { class: "pane", id: "pane-agenda" }),
      info: h("section", { class: "pane pad", id: "pane-info" }),
    };
    this.el = h("div", { class: "room-view" },
      h("header", { class: "room-head" },
        h("a", { href: "#/rooms", class: "back", "aria-label": t.back }, "←"),
        h("div", { class: "room-head-text" }, this.title, this.subtitle),
        searchLink, this.meetingButton),
      tabs, ...Object.values(this.panes));
    clear(container).append(this.el);
    this.renderSubtitle();
    this.loadDetails();
  }

  get myRole() {
    return this.room.my_role || null;
  }

  isModerator() {
    return (ROLE_RANK[this.myRole] || 0) >= ROLE_RANK.moderator;
  }

  hasMember(userId) {
    return this.members.has(userId);
  }

  memberName(userId) {
    const member = this.members.get(userId);
    return member ? member.user.display_name : "";
  }

  // Joins an open room from its "unavailable" page, then opens it afresh as a member.
  joinButton() {
    const button = h("button", { type: "button", class: "primary", id: "join-open-room" }, t.joinRoom);
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        const joined = await api("POST", `/api/rooms/${this.roomId}/join`);
        this.app.putRoom(joined);
        this.destroy();
        if (this.app.roomView === this) this.app.roomView = null;
        this.app.navigate(`#/rooms/${joined.id}/chat`);
      } catch (error) {
        button.disabled = false;
        this.app.notify(error.message, { kind: "error" });
      }
    });
    return button;
  }

  async loadDetails() {
    try {
      const room = await api("GET", `/api/rooms/${this.roomId}`);
      if (this.destroyed) return;
      this.room = withName(room);
      this.members = new Map((room.members || []).map((m) => [m.user.id, m]));
      // The list's unread count and last message are the feed's business: this answer may
      // have been computed before our own read marker moved.
      const { members, unread, last_message: lastMessage, ...summary } = room;
      this.app.putRoom(summary);
      this.title.textContent = this.room.name;
      this.renderSubtitle();
      if (this.tab === "info") this.renderInfo();
      if (this.agenda) this.agenda.roleChanged();
      if (this.chat) this.chat.membersChanged();
    } catch (error) {
      if (this.destroyed || error.status === 401) return;
      if (error.status === 404 || error.status === 403) {
        // An open room one has not joined yet can be joined right here; any other says to
        // ask for an invitation (web/strings/errors.js, room_not_found).
        const join = error.reason === "join_room_first" ? this.joinButton() : null;
        clear(this.container).append(h("section", { class: "pad", id: "room-unavailable" },
          h("h1", {}, t.roomUnavailable),
          h("p", { class: "error", role: "alert" }, error.message),
          h("div", { class: "row" }, join, h("a", { href: "#/rooms", class: "button" }, t.toRoomList))));
        this.destroyed = true;
        return;
      }
      this.app.notify(error.message, { kind: "error" });
    }
  }

  show(tab) {
    if (this.destroyed) return;
    const changed = tab !== this.tab;
    this.tab = tab;
    for (const [name, pane] of Object.entries(this.panes)) pane.hidden = name !== tab;
    for (const [name, link] of Object.entries(this.tabLinks)) {
      if (name === tab) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    if (tab === "chat") {
      if (!this.chat) this.chat = new ChatView(this.app, this, this.panes.chat);
      this.chat.shown();
    } else if (tab === "agenda") {
      if (!this.agenda) this.agenda = new AgendaView(this.app, this, this.panes.agenda);
      else if (changed) this.agenda.load();
    } else if (tab === "info") {
      this.renderInfo();
    }
    if (changed && tab !== "chat") focusHeading(this.panes[tab]);
  }

  // True when a new message here is seen as it arrives (no unread count for it).
  isReadingChat() {
    return this.tab === "chat" && document.visibilityState === "visible" && !!this.chat && this.chat.atBottom();
  }

  onFeed(message) {
    switch (message.type) {
      case "typing":
        if (message.user && (!this.app.me || message.user.id !== this.app.me.id)) this.someoneTyping(message.user);
        break;
      case "chat_message":
        if (message.message.author) this.stopTyping(message.message.author.id);
        if (this.chat) this.chat.onFeed(message);
        break;
      case "chat_edited":
      case "chat_deleted":
      case "read_receipt":
      case "announcement_comment":
      case "announcement_reactions":
      case "poll":
        if (this.chat) this.chat.onFeed(message);
        break;
      case "agenda_event":
      case "rsvp_changed":
      case "event_reminder":
        if (this.agenda) this.agenda.onFeed(message);
        break;
      case "room_member":
        this.onMember(message);
        break;
      case "room_updated":
        if (message.room) this.applyRoom(message.room);
        break;
      default:
        break;
    }
  }

  // New name, description or visibility (ours or another moderator's): the header and info follow.
  applyRoom(fields) {
    this.room = { ...this.room, ...fields };
    this.title.textContent = this.room.name;
    if (this.tab === "info") this.renderInfo();
  }

  onMember({ user, role }) {
    if (!user) return;
    if (role === null) this.members.delete(user.id);
    else this.members.set(user.id, { user, role });
    if (this.app.me && user.id === this.app.me.id && role) {
      this.room.my_role = role;
      if (this.agenda) this.agenda.roleChanged();
    }
    this.room.member_count = this.members.size || this.room.member_count;
    this.renderSubtitle();
    if (this.tab === "info") this.renderInfo();
  }

  someoneTyping(user) {
    const old = this.typing.get(user.id);
    if (old) clearTimeout(old.timer);
    const timer = setTimeout(() => this.stopTyping(user.id), TYPING_SHOWN_MS);
    this.typing.set(user.id, { name: user.display_name, timer });
    this.renderSubtitle();
  }

  stopTyping(userId) {
    const entry = this.typing.get(userId);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.typing.delete(userId);
    this.renderSubtitle();
  }

  renderSubtitle() {
    const names = [...this.typing.values()].map((entry) => entry.name);
    this.subtitle.classList.toggle("typing", names.length > 0);
    this.subtitle.textContent = names.length
      ? t.typing(names)
      : t.membersCount(this.room.member_count || this.members.size || 0);
  }

  catchUp() {
    this.loadDetails();
    if (this.chat) this.chat.catchUp();
    if (this.agenda) this.agenda.load();
  }

  renderInfo() {
    if (this.editForm && !this.isModerator()) this.editForm = null; // no longer allowed to
    // The form survives re-renders (a member joining), and so does the focus within it.
    const focused = this.editForm && this.editForm.contains(document.activeElement) ? document.activeElement : null;
    const pane = clear(this.panes.info);
    const room = this.room;
    if (room.kind === "direct") {
      renderDirectInfo(this, pane);
      return;
    }
    const head = h("div", { class: "page-head info-head" }, h("h2", { id: "info-room-name" }, room.name));
    if (this.isModerator() && !this.editForm) {
      head.append(h("button", { type: "button", class: "small", id: "btn-edit-room", onclick: () => this.startEdit() }, t.editRoom));
    }
    pane.append(head);
    if (this.editForm) {
      pane.append(this.editForm);
      if (focused) focused.focus({ preventScroll: true });
    } else {
      if (room.description) pane.append(h("p", { class: "description", id: "info-room-description" }, room.description));
      pane.append(h("p", { class: "muted", id: "info-room-meta" },
        `${t.roomKinds[room.kind] || room.kind || ""} · ${room.visibility === "public" ? t.visibilityPublic : t.visibilityInvite}`));
      if (this.myRole) pane.append(muteSwitch(this.roomId));
    }
    if (this.isModerator()) {
      // One box for the life of the view: a member joining re-renders the pane, not the link.
      if (!this.inviteBox) this.inviteBox = h("div", { class: "invite-box", id: "invite-box" });
      pane.append(h("h3", {}, t.inviteTitle),
        h("p", { class: "muted small" }, t.inviteExplain),
        h("button", { type: "button", id: "btn-invite", onclick: () => makeInvite(this.app, this.roomId, this.inviteBox) }, t.makeInvite),
        this.inviteBox);
    }
    pane.append(h("h3", {}, t.membersTitle, ` (${this.members.size})`));
    const list = h("ul", { class: "plain-list members", id: "member-list" });
    const sorted = [...this.members.values()].sort((a, b) =>
      (ROLE_RANK[b.role] || 0) - (ROLE_RANK[a.role] || 0) || a.user.display_name.localeCompare(b.user.display_name));
    for (const member of sorted) list.append(this.memberItem(member));
    pane.append(list);
    if ((this.app.me && this.app.me.is_admin) || this.isModerator()) markResetRequests(list);
    if (this.myRole) {
      const leave = h("button", { type: "button", class: "danger", id: "btn-leave-room" }, t.leaveRoom);
      leave.addEventListener("click", () => this.confirmThen(leave, t.leaveRoomConfirm, () => this.removeMember(this.app.me.id, leave)));
      pane.append(h("div", { class: "form-actions" }, leave));
    }
  }

  startEdit() {
    this.editForm = this.roomForm();
    this.renderInfo();
    this.editForm.elements.name.focus();
  }

  stopEdit() {
    this.editForm = null;
    if (this.tab !== "info") return;
    this.renderInfo();
    const button = this.panes.info.querySelector("#btn-edit-room");
    if (button) button.focus();
  }

  // Name, description and visibility as they are now; only what changed is sent.
  roomForm() {
    const room = { ...this.room };
    const box = errorBox();
    const name = h("input", { name: "name", id: "room-edit-name", required: true, maxlength: 80, value: room.name || "" });
    const description = h("textarea", { name: "description", id: "room-edit-description", rows: 3, maxlength: 2000 });
    description.value = room.description || "";
    const visibility = h("select", { name: "visibility", id: "room-edit-visibility" },
      h("option", { value: "invite" }, t.visibilityInvite),
      h("option", { value: "public" }, t.visibilityPublic));
    visibility.value = room.visibility === "public" ? "public" : "invite";
    const form = h("form", { novalidate: true, id: "room-edit-form", class: "room-edit-form" },
      field(t.roomNameLabel, name),
      field(t.roomDescriptionLabel, description),
      field(t.roomVisibilityLabel, visibility),
      box,
      h("div", { class: "form-actions" },
        h("button", { type: "button", class: "secondary", id: "room-edit-cancel", onclick: () => this.stopEdit() }, t.cancel),
        h("button", { type: "submit", class: "primary", id: "room-edit-save" }, t.save)));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const body = {};
      if (name.value.trim() !== room.name) body.name = name.value.trim(); // empty: the server names the field
      if (description.value.trim() !== (room.description || "")) body.description = description.value.trim();
      if (visibility.value !== room.visibility) body.visibility = visibility.value;
      if (!Object.keys(body).length) {
        this.stopEdit();
        return;
      }
      submitting(form, box, async () => {
        const updated = await api("PATCH", `/api/rooms/${this.roomId}`, body);
        if (this.destroyed || this.editForm !== form) return;
        const { members, unread, last_message: lastMessage, ...summary } = updated;
        this.app.putRoom(summary);
        this.editForm = null;
        this.applyRoom(summary);
        this.stopEdit();
        this.app.notify(t.roomSaved, { timeoutMs: 4000 });
      });
    });
    return form;
  }

  memberItem({ user, role }) {
    const me = this.app.me && user.id === this.app.me.id;
    const who = [user.organisation, user.region && [user.region.city, user.region.rt_rw].filter(Boolean).join(" ")]
      .filter(Boolean).join(" · ");
    const item = h("li", { class: "member", dataset: { userId: String(user.id) } },
      h("span", {}, h("strong", {}, user.display_name), me ? ` (${t.you})` : "",
        role !== "member" ? h("span", { class: "role" }, t.roles[role] || role) : null,
        who ? h("span", { class: "muted block small" }, who) : null));
    const actions = h("span", { class: "row wrap" }); // four buttons do not fit 360 px in a row
    if (!me && this.app.me) actions.append(directButton(this.app, user));
    if (!me && this.myRole === "owner" && role !== "owner") {
      const next = role === "moderator" ? "member" : "moderator";
      actions.append(h("button", {
        type: "button", class: "small",
        onclick: (event) => this.setRole(user.id, next, event.currentTarget),
      }, next === "moderator" ? t.makeModerator : t.makeMember));
    }
    if (!me && this.isModerator() && role === "member") {
      const remove = h("button", { type: "button", class: "small danger" }, t.removeMember);
      remove.addEventListener("click", () => this.confirmThen(remove, t.removeMemberConfirm, () => this.removeMember(user.id, remove)));
      actions.append(remove);
    }
    if (!me && this.app.me && this.app.me.is_admin) actions.append(adminDeleteButton(this.app, user));
    if (!me && mayMakeCode(this.app.me, this.myRole, role)) {
      actions.append(resetCodeButton(item, user, (button, question, action) => this.confirmThen(button, question, action)));
    }
    item.append(actions);
    return item;
  }

  // Two taps instead of confirm(): an Android WebView may not show JavaScript dialogs at all.
  confirmThen(button, question, action) {
    if (button.dataset.armed) {
      delete button.dataset.armed;
      action();
      return;
    }
    const label = button.textContent;
    button.dataset.armed = "1";
    button.textContent = question;
    setTimeout(() => {
      if (!button.dataset.armed) return;
      delete button.dataset.armed;
      button.textContent = label;
    }, 4000);
  }

  async setRole(userId, role, button) {
    button.disabled = true;
    try {
      const member = await api("PATCH", `/api/rooms/${this.roomId}/members/${userId}`, { role });
      this.members.set(member.user.id, member);
      this.renderInfo();
    } catch (error) {
      button.disabled = false;
      this.app.notify(error.message, { kind: "error" });
    }
  }

  async removeMember(userId, button) {
    button.disabled = true;
    try {
      await api("DELETE", `/api/rooms/${this.roomId}/members/${userId}`);
      if (this.app.me && userId === this.app.me.id) {
        this.app.rooms.delete(this.roomId);
        this.app.navigate("#/rooms");
        return;
      }
      this.members.delete(userId);
      this.room.member_count = this.members.size;
      this.renderSubtitle();
      this.renderInfo();
    } catch (error) {
      button.disabled = false;
      this.app.notify(error.message, { kind: "error" });
    }
  }

  destroy() {
    this.destroyed = true;
    for (const entry of this.typing.values()) clearTimeout(entry.timer);
    if (this.chat) this.chat.destroy();
    if (this.agenda) this.agenda.destroy();
  }
}
