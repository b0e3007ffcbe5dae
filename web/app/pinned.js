// The announcement pinned at the top of a room's chat (docs/organising.md): the newest of
// GET /api/rooms/{id}/announcements, collapsed to its title and comment count; opened, its
// text and the one comment thread it has across every room it was posted in, with a box to
// comment from this room, and its reactions, counted across all its rooms (a summary in the
// head, buttons to react when opened). Feed events keep it current: a new announcement
// replaces it, an `announcement_comment` from any of its rooms joins the thread, and
// `announcement_reactions` brings the new counts (drawn in place, so a half-typed comment stays).
// Its photos, video and event show collapsed too (small), and its reach for the author and the
// room's moderators (announcement_parts.js).
import { api } from "/static/base/api.js";
import { clear, h } from "/static/base/dom.js";
import { errorBox, nameOf, submitting } from "/static/app/dom.js";
import { eventCard, mediaRow, reachLine, reachRooms } from "/static/app/announcement_parts.js";
import { t } from "/static/strings.js";

// The member's referral code, asked once per page: a public page's link carries it, so whoever
// signs up through a shared announcement is credited to the member who shared it.
let myCode = null;
export function referralCode() {
  if (!myCode) myCode = api("GET", "/api/me/referral").then((mine) => mine.code).catch(() => { myCode = null; return null; });
  return myCode;
}

export class PinnedAnnouncement {
  constructor(roomId) {
    this.roomId = roomId;
    this.current = null; // the pinned announcement (without comments)
    this.comments = null; // its thread once opened: [comment]
    this.open = false;
    this.counted = new Set(); // comment ids already in comment_count (ours come twice: answer and feed)
    this.el = h("section", { class: "pinned", id: "pinned", hidden: true, "aria-label": t.pinnedLabel });
    this.load();
  }

  async load() {
    try {
      const { announcements } = await api("GET", `/api/rooms/${this.roomId}/announcements`);
      this.current = announcements[0] || null;
      this.comments = null;
      this.counted.clear();
      if (this.open && this.current) await this.loadThread();
      this.render();
    } catch {
      /* the chat works without it; the next announcement event tries again */
    }
  }

  async loadThread() {
    const full = await api("GET", `/api/announcements/${this.current.id}`);
    this.comments = full.comments;
    if (full.reach) this.current.reach = full.reach; // fresh figures each time it is opened
    // Those in the thread are in the count the list answered with, or were counted here.
    for (const comment of full.comments) this.counted.add(comment.id);
    this.current.comment_count = Math.max(this.current.comment_count, full.comments.length);
  }

  onFeed(event) {
    if (event.type === "chat_message" && event.message.announcement_id) {
      this.load();
    } else if (event.type === "announcement_comment" && this.current && event.announcement_id === this.current.id) {
      this.add(event.comment);
    } else if (event.type === "announcement_reactions" && this.current && event.announcement_id === this.current.id) {
      this.current.reactions = event.reactions;
      this.drawReactions();
    }
  }

  // Set or take back one's reaction; the answer has the counts and one's own set.
  async react(emoji) {
    const a = this.current;
    const on = !(a.my_reactions || []).includes(emoji);
    try {
      const answer = await api("PUT", `/api/announcements/${a.id}/reactions`, { room_id: this.roomId, emoji, on });
      if (this.current !== a) return;
      this.showReactionError(null);
      a.reactions = answer.reactions;
      a.my_reactions = answer.my_reactions;
      this.drawReactions();
    } catch (error) {
      this.showReactionError(error);
    }
  }

  showReactionError(error) {
    const box = this.el.querySelector("#pinned-reactions-error");
    if (!box) return;
    box.textContent = error ? error.message : "";
    box.hidden = !error;
  }

  // The head's summary (reactions that have a count) and, when open, the buttons: in place.
  drawReactions() {
    const a = this.current;
    const reactions = (a && a.reactions) || [];
    const summary = this.el.querySelector("#pinned-reactions-summary");
    if (summary) summary.textContent = reactions.filter((r) => r.count).map((r) => `${r.emoji} ${r.count}`).join("  ");
    const row = this.el.querySelector("#pinned-reactions");
    if (!row) return;
    const mine = new Set(a.my_reactions || []);
    row.replaceChildren(...reactions.map((r) => h("button", {
      type: "button", class: "reaction-chip", dataset: { emoji: r.emoji }, "aria-pressed": String(mine.has(r.emoji)),
      "aria-label": t.reactWith(r.emoji, r.count), onclick: () => this.react(r.emoji),
    }, r.emoji, h("span", { class: "reaction-count" }, r.count ? String(r.count) : ""))));
  }

  // A comment that arrived (by feed or as our own answer), counted and shown once.
  add(comment) {
    if (this.counted.has(comment.id)) return;
    this.counted.add(comment.id);
    this.current.comment_count += 1;
    if (this.comments && !this.comments.some((c) => c.id === comment.id)) this.comments.push(comment);
    this.render();
  }

  async toggle() {
    this.open = !this.open;
    if (this.open && !this.comments) {
      try {
        await this.loadThread();
      } catch {
        this.open = false;
      }
    }
    this.render();
  }

  render() {
    const a = this.current;
    this.el.hidden = !a;
    clear(this.el);
    if (!a) return;
    this.el.dataset.announcementId = a.id;
    const head = h("button", { type: "button", class: "pinned-head", id: "pinned-toggle", "aria-expanded": String(this.open),
      onclick: () => this.toggle() },
      h("span", { class: "pinned-badge" }, t.pinnedBadge), " ",
      h("strong", { id: "pinned-title" }, a.title), " ",
      h("span", { class: "muted small", id: "pinned-count" }, t.commentCount(a.comment_count)), " ",
      h("span", { class: "small", id: "pinned-reactions-summary" }));
    this.el.classList.toggle("open", this.open);
    this.el.append(head, reachLine(a.reach) || "");
    if (this.open) this.el.append(h("div", { class: "pinned-text" }, a.text.split("\n\n").map((part) => h("p", {}, part))));
    this.el.append(mediaRow(a.attachments) || "", eventCard(a.event) || "");
    if (this.open) {
      this.el.append(
        reachRooms(a.reach) || "",
        h("div", { class: "reaction-row", id: "pinned-reactions", role: "group", "aria-label": t.pinnedReactionsLabel }),
        Object.assign(errorBox(), { id: "pinned-reactions-error" }),
        h("p", { hidden: !a.public_url }, this.publicLink(a)),
        h("ol", { class: "pinned-comments", id: "pinned-comments" }, (this.comments || []).map((c) =>
          h("li", {}, h("strong", {}, nameOf(c.author)), " ",
          h("span", { class: "muted small" }, t.fromRoom(c.room_name)), h("span", { class: "block" }, c.text)))),
        this.commentForm(a));
    }
    this.drawReactions();
  }

  publicLink(a) {
    const link = h("a", { href: a.public_url || "#", target: "_blank", rel: "noopener", id: "pinned-public" }, t.publicPage);
    if (a.public_url) {
      referralCode().then((code) => {
        if (code) link.href = `${a.public_url}?ref=${encodeURIComponent(code)}`;
      });
    }
    return link;
  }

  commentForm(a) {
    const box = errorBox();
    const input = h("input", { name: "text", id: "pinned-comment", maxlength: 2000, placeholder: t.commentPlaceholder, autocomplete: "off" });
    const form = h("form", { class: "row", id: "pinned-form", novalidate: true }, input,
      h("button", { type: "submit", class: "small" }, t.send), box);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = input.value.trim();
      if (!text) return;
      submitting(form, box, async () => {
        const comment = await api("POST", `/api/announcements/${a.id}/comments`, { room_id: this.roomId, text });
        this.add(comment);
        const again = this.el.querySelector("#pinned-comment");
        if (again) again.focus();
      });
    });
    return form;
  }
}
