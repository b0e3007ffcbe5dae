// A room's chat: history with "load older", live messages from the feed (de-duplicated by id),
// read receipts, and catching up after a dropped connection. The composer is in composer.js.
import { api } from "/static/base/api.js";
import { Composer } from "/static/app/composer.js";
import { clear, h } from "/static/base/dom.js";
import { dayLabel, sameDay } from "/static/app/dom.js";
import { openLightbox, receipt, renderMessage } from "/static/app/message.js";
import { PinnedAnnouncement } from "/static/app/pinned.js";
import { openForward } from "/static/app/forward.js";
import { PollStrip } from "/static/app/polls.js";
import { openReaders } from "/static/app/readers.js";
import { revealPendingJump } from "/static/app/search.js";
import { t } from "/static/strings.js";

const PAGE = 50;
const CATCH_UP_PAGES = 5; // beyond 500 missed messages the view simply starts again from now
const NEAR_BOTTOM_PX = 80;

export class ChatView {
  constructor(app, roomView, pane) {
    this.app = app;
    this.roomView = roomView;
    this.roomId = roomView.roomId;
    this.messages = new Map(); // id -> Message
    this.readers = new Map(); // user id -> newest message id they have read
    this.nextBefore = undefined; // undefined: not loaded yet; null: start of history reached
    this.lastReadSent = 0;
    this.stick = true; // keep the newest message in view while content grows
    this.destroyed = false;

    this.olderButton = h("button", { type: "button", class: "small load-older", id: "load-older", hidden: true }, t.loadOlder);
    this.olderButton.addEventListener("click", () => this.loadOlder());
    this.startNote = h("p", { class: "muted small start-note", hidden: true }, t.historyStart);
    this.list = h("ol", { class: "messages", id: "messages", role: "log", "aria-label": t.tabChat });
    this.status = h("p", { class: "muted pad", role: "status" }, t.loading);
    this.scroller = h("div", { class: "scroller", id: "chat-scroller", tabindex: "-1" },
      this.olderButton, this.startNote, this.status, this.list);
    this.newBelow = h("button", { type: "button", class: "new-below", hidden: true }, t.newMessagesBelow);
    this.newBelow.addEventListener("click", () => this.scrollToBottom());
    this.composer = new Composer(app, this);
    this.pinned = new PinnedAnnouncement(this.roomId);
    this.polls = new PollStrip(app, roomView);
    pane.append(h("h2", { class: "visually-hidden" }, t.tabChat), this.pinned.el, this.polls.el, this.scroller, this.newBelow, this.composer.el);

    this.scroller.addEventListener("scroll", () => {
      this.stick = this.atBottom();
      if (this.stick) {
        this.newBelow.hidden = true;
        this.maybeSendRead();
      }
    }, { passive: true });
    // Photos arriving late, the keyboard opening: stay at the bottom if we were there.
    this.resize = new ResizeObserver(() => {
      if (this.stick) this.scroller.scrollTop = this.scroller.scrollHeight;
    });
    this.resize.observe(this.list);
    this.resize.observe(this.scroller);
    this.onVisible = () => this.maybeSendRead();
    document.addEventListener("visibilitychange", this.onVisible);
    this.loadLatest();
  }

  get ctx() {
    return {
      me: this.app.me,
      canModerate: this.roomView.isModerator(),
      readCount: (id) => this.readCount(id),
      onAction: (action, message, origin) => this.onAction(action, message, origin),
      jumpTo: (id) => this.jumpTo(id),
      openImage: (att) => openLightbox(att),
    };
  }

  atBottom() {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < NEAR_BOTTOM_PX;
  }

  scrollToBottom() {
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.stick = true;
    this.newBelow.hidden = true;
    this.maybeSendRead();
  }

  shown() {
    if (this.stick) this.scroller.scrollTop = this.scroller.scrollHeight;
    this.maybeSendRead();
  }

  membersChanged() {
    for (const member of this.roomView.members.values()) {
      const read = member.last_read_message_id;
      if (read && member.user.id !== (this.app.me && this.app.me.id)) this.noteRead(member.user.id, read);
    }
    this.refreshReceipts();
  }

  async loadLatest() {
    try {
      const page = await api("GET", `/api/rooms/${this.roomId}/messages?limit=${PAGE}`);
      if (this.destroyed) return;
      this.status.remove();
      this.nextBefore = page.next_before;
      for (const message of page.messages) this.put(message);
      this.renderEdges();
      const room = this.app.rooms.get(this.roomId);
      const divider = this.markUnread((room && room.unread) || 0);
      if (divider) {
        // Start reading where one left off; reaching the bottom marks the room read.
        divider.scrollIntoView({ block: "start" });
        this.stick = this.atBottom();
        if (this.stick) this.maybeSendRead();
      } else {
        this.scrollToBottom();
      }
      revealPendingJump(this.app, this);
    } catch (error) {
      if (this.destroyed || error.status === 401) return;
      this.status.className = "error pad";
      this.status.setAttribute("role", "alert");
      // An open room not joined yet: joining is the way in, not trying again; until then
      // nothing typed here could be posted, so the composer goes away.
      const notMember = error.reason === "join_room_first";
      if (notMember) this.composer.el.hidden = true;
      const action = notMember
        ? this.roomView.joinButton()
        : h("button", { type: "button", class: "small", onclick: () => { this.status.textContent = t.loading; this.loadLatest(); } }, t.tryAgain);
      clear(this.status).append(error.message, " ", action);
    }
  }

  async loadOlder() {
    if (!this.nextBefore) return;
    this.olderButton.disabled = true;
    try {
      const page = await api("GET", `/api/rooms/${this.roomId}/messages?before=${this.nextBefore}&limit=${PAGE}`);
      if (this.destroyed) return;
      const before = this.scroller.scrollHeight;
      this.stick = false;
      for (const message of page.messages) this.put(message);
      this.nextBefore = page.next_before;
      this.renderEdges();
      // Keep what the reader was looking at in place.
      this.scroller.scrollTop += this.scroller.scrollHeight - before;
    } catch (error) {
      this.app.notify(error.message, { kind: "error", timeoutMs: 8000 });
    } finally {
      this.olderButton.disabled = false;
    }
  }

  // After a reconnect: everything newer than what is shown, plus edits among the recent ones.
  async catchUp() {
    this.composer.retryOffline();
    this.polls.load(); // votes and polls missed while the feed was away
    if (this.nextBefore === undefined) {
      this.loadLatest();
      return;
    }
    const newest = this.newestId();
    let before = null;
    const fetched = [];
    try {
      for (let i = 0; i < CATCH_UP_PAGES; i++) {
        const query = before ? `before=${before}&limit=100` : "limit=100";
        const page = await api("GET", `/api/rooms/${this.roomId}/messages?${query}`);
        fetched.push(...page.messages);
        before = page.next_before;
        if (!before || !page.messages.length || page.messages[0].id <= newest) break;
      }
    } catch {
      return; // offline again; the next "online" retries
    }
    if (this.destroyed) return;
    const reachedShown = !fetched.length || fetched.some((m) => m.id <= newest) || !before;
    const wasAtBottom = this.atBottom();
    if (!reachedShown) {
      // Too much was missed to stitch: start again from the newest messages.
      this.messages.clear();
      for (const li of [...this.list.querySelectorAll("li:not(.pending)")]) li.remove();
      this.nextBefore = before;
    }
    for (const message of fetched) this.put(message);
    this.renderEdges();
    if (wasAtBottom) this.scrollToBottom();
  }

  // A "N unread messages" line above the first of them (others' messages, newest last).
  markUnread(count) {
    if (!count) return null;
    const mine = (m) => this.app.me && m.author && m.author.id === this.app.me.id;
    const others = [...this.messages.values()].filter((m) => !mine(m)).sort((a, b) => a.id - b.id);
    if (!others.length) return null;
    const first = others[Math.max(0, others.length - count)];
    const li = this.list.querySelector(`#msg-${first.id}`);
    if (!li) return null;
    const divider = h("li", { class: "unread-divider", id: "unread-divider", role: "separator" },
      h("span", {}, t.unreadCount(count)));
    const anchor = li.previousElementSibling && li.previousElementSibling.classList.contains("day")
      ? li.previousElementSibling : li;
    anchor.before(divider);
    return divider;
  }

  newestId() {
    let newest = 0;
    for (const id of this.messages.keys()) newest = Math.max(newest, id);
    return newest;
  }

  renderEdges() {
    this.olderButton.hidden = !this.nextBefore;
    this.startNote.hidden = this.nextBefore !== null;
    this.renderDays();
  }

  // Inserts or replaces a server message at its place (by id); pending ones stay last.
  put(message) {
    const old = this.messages.get(message.id);
    if (old && old.edited_at === message.edited_at && old.deleted === message.deleted &&
        old.text === message.text) {
      return false;
    }
    this.messages.set(message.id, message);
    const li = renderMessage(message, this.ctx);
    const existing = this.list.querySelector(`#msg-${message.id}`);
    if (existing) {
      existing.replaceWith(li);
      return false;
    }
    let next = null;
    for (const item of this.list.children) {
      if (item.classList.contains("pending") || (item.dataset.id && Number(item.dataset.id) > message.id)) {
        next = item;
        break;
      }
    }
    if (next && next.previousElementSibling && next.previousElementSibling.classList.contains("day")) {
      next = next.previousElementSibling;
    }
    this.list.insertBefore(li, next);
    return true;
  }

  renderDays() {
    for (const day of [...this.list.querySelectorAll("li.day")]) day.remove();
    let previous = null;
    for (const li of [...this.list.querySelectorAll("li.msg[data-id]")]) {
      const message = this.messages.get(Number(li.dataset.id));
      if (!message) continue;
      if (!previous || !sameDay(previous.created_at, message.created_at)) {
        li.before(h("li", { class: "day", role: "separator" }, h("span", {}, dayLabel(message.created_at))));
      }
      previous = message;
    }
  }

  // A message we sent ourselves: the POST answer and the feed event both land here.
  addOwn(message) {
    this.onNewMessage(message, true);
  }

  onNewMessage(message, own = false) {
    const wasAtBottom = this.stick || this.atBottom();
    const added = this.put(message);
    if (!added) return;
    this.renderDays();
    if (own || wasAtBottom) this.scrollToBottom();
    else this.newBelow.hidden = false;
  }

  onFeed(event) {
    switch (event.type) {
      case "chat_message": {
        const mine = this.app.me && event.message.author && event.message.author.id === this.app.me.id;
        if (mine) this.composer.settledElsewhere(event.message);
        this.onNewMessage(event.message, mine);
        this.pinned.onFeed(event);
        break;
      }
      case "announcement_comment":
      case "announcement_reactions":
        this.pinned.onFeed(event);
        break;
      case "poll":
        this.polls.onFeed(event);
        break;
      case "chat_edited":
      case "chat_deleted":
        if (this.messages.has(event.message.id)) this.put(event.message);
        this.refreshQuotes(event.message);
        break;
      case "read_receipt":
        if (this.app.me && event.user_id === this.app.me.id) {
          this.lastReadSent = Math.max(this.lastReadSent, event.message_id);
          this.app.markRead(this.roomId);
        } else {
          this.noteRead(event.user_id, event.message_id);
          this.refreshReceipts();
        }
        break;
      default:
        break;
    }
  }

  // Replies quote the first 200 characters of what they answer: follow edits and deletions.
  refreshQuotes(message) {
    const text = message.deleted ? t.messageDeleted : (message.text || "").slice(0, 200);
    for (const item of this.messages.values()) {
      if (!item.reply_to || item.reply_to.id !== message.id) continue;
      item.reply_to = { ...item.reply_to, text };
      const span = this.list.querySelector(`#msg-${item.id} .quote span`);
      if (span) span.textContent = text;
    }
  }

  noteRead(userId, messageId) {
    this.readers.set(userId, Math.max(this.readers.get(userId) || 0, messageId));
  }

  readCount(messageId) {
    let count = 0;
    for (const [userId, read] of this.readers) {
      if (read >= messageId && (!this.app.me || userId !== this.app.me.id)) count++;
    }
    return count;
  }

  refreshReceipts() {
    for (const span of this.list.querySelectorAll("li.mine .receipt")) {
      const id = Number(span.closest("li").dataset.id);
      const count = this.readCount(id);
      if (String(count) !== span.dataset.readBy) span.replaceWith(receipt(count));
    }
  }

  maybeSendRead() {
    if (this.destroyed || this.roomView.tab !== "chat" || document.visibilityState !== "visible") return;
    if (!this.atBottom()) return;
    const newest = this.newestId();
    if (!newest || newest <= this.lastReadSent) return;
    this.lastReadSent = newest;
    this.app.markRead(this.roomId);
    const message = { type: "read", room_id: this.roomId, message_id: newest };
    if (this.app.feed && this.app.feed.send(message)) return;
    api("POST", `/api/rooms/${this.roomId}/read`, { message_id: newest }).catch(() => {
      this.lastReadSent = 0; // try again next time
    });
  }

  jumpTo(id) {
    const li = this.list.querySelector(`#msg-${id}`);
    if (!li) {
      this.app.notify(t.quotedNotLoaded, { timeoutMs: 4000 });
      return;
    }
    li.scrollIntoView({ block: "center", behavior: "smooth" });
    li.classList.add("flash");
    setTimeout(() => li.classList.remove("flash"), 1500);
  }

  onAction(action, message, origin) {
    if (action === "reply") this.composer.replyTo(message);
    else if (action === "edit") this.composer.edit(message);
    else if (action === "retry") this.composer.retry(message);
    else if (action === "discard") this.composer.discard(message);
    else if (action === "delete") this.confirmDelete(message, origin);
    else if (action === "readers") openReaders(message, origin);
    else if (action === "forward") openForward(this.app, message, origin);
  }

  // Two taps (WebViews may not show confirm()): the menu button turns into "Delete?".
  confirmDelete(message, origin) {
    const li = this.list.querySelector(`#msg-${message.id}`);
    if (!li) return;
    const yes = h("button", { type: "button", class: "small danger", id: `confirm-delete-${message.id}` }, t.deleteConfirm);
    const no = h("button", { type: "button", class: "small" }, t.cancel);
    const bar = h("div", { class: "confirm-bar", role: "group", "aria-label": t.deleteConfirm }, yes, no);
    li.append(bar);
    yes.focus();
    no.addEventListener("click", () => {
      bar.remove();
      if (origin) origin.focus();
    });
    yes.addEventListener("click", async () => {
      yes.disabled = true;
      try {
        const deleted = await api("DELETE", `/api/messages/${message.id}`);
        this.put(deleted);
      } catch (error) {
        bar.remove();
        this.app.notify(error.message, { kind: "error", timeoutMs: 8000 });
      }
    });
  }

  destroy() {
    this.destroyed = true;
    this.resize.disconnect();
    document.removeEventListener("visibilitychange", this.onVisible);
    this.composer.destroy();
  }
}
