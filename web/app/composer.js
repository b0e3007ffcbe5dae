// The chat composer: text, reply and edit modes, photo/video attachments (uploaded as soon as
// they are picked), the typing signal, and messages shown at once while they are being sent.
// What is sent goes through the device's outbox (outbox.js), so it survives a reload and goes
// out by itself when the network returns; an unsent draft is kept per room too.
import { newClientId } from "/static/base/ids.js";
import { api } from "/static/base/api.js";
import { h } from "/static/base/dom.js";
import { errorBox, fileSize, icon } from "/static/app/dom.js";
import { renderMessage } from "/static/app/message.js";
import { sendFile } from "/static/app/send_file.js";
import { ACCEPT, refusal } from "/static/app/upload_rules.js";
import { errorMessage, t } from "/static/strings.js";

const TYPING_EVERY_MS = 3000;

let localIds = 0;

export class Composer {
  constructor(app, chat) {
    this.app = app;
    this.chat = chat;
    this.mode = null; // null, {reply: Message} or {edit: Message}
    this.staged = []; // attachments picked for the next message
    this.pending = new Map(); // local id -> pending message
    this.lastTyping = 0;
    this.coarse = matchMedia("(pointer: coarse)").matches;

    this.contextText = h("span", { class: "context-text" });
    this.context = h("div", { class: "composer-context", hidden: true }, this.contextText,
      h("button", { type: "button", class: "small link", id: "composer-cancel", onclick: () => this.setMode(null) }, t.cancel));
    this.stagedList = h("ul", { class: "staged", id: "staged", hidden: true });
    this.error = errorBox();
    this.file = h("input", { type: "file", id: "chat-file", class: "visually-hidden", accept: ACCEPT, multiple: true });
    this.file.addEventListener("change", () => {
      for (const file of this.file.files) this.stage(file);
      this.file.value = "";
    });
    this.attachLabel = h("label", { for: "chat-file", class: "button attach", title: t.attach },
      icon("clip"), h("span", { class: "visually-hidden" }, t.attach));
    this.input = h("textarea", {
      id: "chat-input", name: "text", rows: 1, maxlength: 4000, placeholder: t.writeMessage,
      "aria-label": t.writeMessage, enterkeyhint: this.coarse ? "enter" : "send",
    });
    this.input.addEventListener("input", () => this.onInput());
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !this.coarse && !event.isComposing) {
        event.preventDefault();
        if (this.el.requestSubmit) this.el.requestSubmit();
        else this.submit(); // WebViews older than Chrome 76
      } else if (event.key === "Escape" && this.mode) {
        this.setMode(null);
      }
    });
    this.sendButton = h("button", { type: "submit", id: "chat-send", class: "primary send" }, t.send);
    this.el = h("form", { class: "composer", id: "composer", novalidate: true },
      this.context, this.stagedList, this.error,
      h("div", { class: "composer-row" }, this.file, this.attachLabel, this.input, this.sendButton));
    this.el.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    this.draftKey = app.me ? `kamar.draft.${app.me.id}.${chat.roomId}` : null;
    this.input.value = readDraft(this.draftKey);
    this.onSent = ({ detail }) => {
      if (detail.entry.roomId !== this.chat.roomId) return;
      const pending = this.byClientId(detail.entry.clientId);
      if (pending) this.forget(pending);
      this.chat.addOwn(detail.message);
    };
    this.onFailed = ({ detail }) => {
      const pending = this.byClientId(detail.entry.clientId);
      if (!pending) return;
      pending.offline = detail.entry.offline;
      pending.failed = pending.offline ? t.queuedOffline : detail.error.message;
      this.rerender(pending);
    };
    this.outbox = app.outbox; // this account's, for as long as this view lives
    this.outbox.addEventListener("sent", this.onSent);
    this.outbox.addEventListener("failed", this.onFailed);
    this.restorePending();
  }

  // Messages left unsent in this room by an earlier page (a reload, a closed app): shown as
  // waiting; the outbox sends them when it can.
  restorePending() {
    for (const entry of this.outbox.entries(this.chat.roomId)) {
      if (this.byClientId(entry.clientId)) continue;
      const pending = {
        pending: true, localId: ++localIds, clientId: entry.clientId, text: entry.text,
        author: this.app.me, attachments: [], staged: [], localPreviews: [], reply_to: entry.replyTo,
        failed: entry.failed || (entry.offline || !navigator.onLine ? t.queuedOffline : null),
        offline: !entry.failed, progress: 0,
      };
      this.pending.set(pending.localId, pending);
      this.chat.list.append(renderMessage(pending, this.chat.ctx));
    }
  }

  byClientId(clientId) {
    for (const pending of this.pending.values()) {
      if (pending.clientId === clientId) return pending;
    }
    return null;
  }

  onInput() {
    if (!this.mode?.edit) writeDraft(this.draftKey, this.input.value);
    this.input.style.height = "auto";
    this.input.style.height = Math.min(this.input.scrollHeight, 160) + "px";
    const now = Date.now();
    if (this.input.value.trim() && !this.mode?.edit && now - this.lastTyping >= TYPING_EVERY_MS && this.app.feed) {
      this.lastTyping = now;
      this.app.feed.send({ type: "typing", room_id: this.chat.roomId });
    }
  }

  setMode(mode) {
    const wasEdit = this.mode && this.mode.edit;
    this.mode = mode;
    this.context.hidden = !mode;
    this.attachLabel.hidden = !!(mode && mode.edit);
    if (mode && mode.reply) {
      const m = mode.reply;
      this.contextText.textContent = t.replyingTo(m.author ? m.author.display_name : "", (m.text || t.previewAttachment).slice(0, 120));
    } else if (mode && mode.edit) {
      this.contextText.textContent = t.editing;
      this.input.value = mode.edit.text;
    }
    if (!mode && wasEdit) this.input.value = "";
    this.sendButton.textContent = mode && mode.edit ? t.save : t.send;
    this.onInput();
    this.input.focus();
  }

  replyTo(message) {
    this.setMode({ reply: message });
  }

  edit(message) {
    this.setMode({ edit: message });
  }

  // Picked files start uploading at once, so sending is quick once the text is typed.
  // A file the server would refuse is refused here, before a byte of it is sent; the typed
  // text stays in the box (upload_rules.js).
  stage(file) {
    const refused = refusal(file);
    if (refused) {
      this.showError(`${file.name}: ${errorMessage(refused.code, refused.reason)}`);
      return;
    }
    this.error.hidden = true;
    const item = { file, preview: null, attachment: null, progress: 0, failed: null, upload: null, resume: {}, waiting: false };
    if (file.type.startsWith("image/")) item.preview = URL.createObjectURL(file);
    item.start = () => {
      if (item.attachment) return Promise.resolve(item.attachment);
      if (!item.upload) {
        item.failed = null;
        item.upload = sendFile(this.chat.roomId, file, item, () => {
          this.renderStaged();
          if (item.onProgress) item.onProgress();
        }).then((attachment) => {
          item.attachment = attachment;
          this.renderStaged();
          return attachment;
        }, (error) => {
          item.failed = error.message;
          item.upload = null;
          this.renderStaged();
          throw error;
        });
      }
      return item.upload;
    };
    this.staged.push(item);
    this.renderStaged();
    item.start().catch(() => {}); // shown on the item; sending retries it
  }

  renderStaged() {
    this.stagedList.hidden = !this.staged.length;
    this.stagedList.replaceChildren(...this.staged.map((item) => {
      const state = item.failed ? item.failed : item.attachment ? t.uploaded
        : item.waiting ? t.uploadWaiting(Math.round(item.progress * 100)) : t.uploading(Math.round(item.progress * 100));
      return h("li", { class: "staged-item" + (item.failed ? " failed" : "") },
        item.preview ? h("img", { src: item.preview, alt: "" }) : h("span", { class: "file-icon" }, icon("video")),
        h("span", { class: "staged-text" }, h("span", { class: "name" }, item.file.name), h("span", { class: "muted small" }, `${fileSize(item.file.size)} · ${state}`)),
        h("button", {
          type: "button", class: "small link", "aria-label": t.removeAttachment(item.file.name),
          onclick: () => {
            if (item.abort && !item.attachment) item.abort();
            if (item.preview) URL.revokeObjectURL(item.preview);
            this.staged = this.staged.filter((other) => other !== item);
            this.renderStaged();
          },
        }, "✕"));
    }));
  }

  async submit() {
    this.error.hidden = true;
    const text = this.input.value.trim();
    if (this.mode && this.mode.edit) {
      await this.saveEdit(this.mode.edit, text);
      return;
    }
    if (!text && !this.staged.length) {
      this.input.focus();
      return;
    }
    const reply = this.mode && this.mode.reply;
    const pending = {
      pending: true, localId: ++localIds, clientId: newClientId(), text,
      author: this.app.me, attachments: [], staged: this.staged,
      localPreviews: this.staged.map((item) => item.preview).filter(Boolean),
      reply_to: reply ? { id: reply.id, author_name: reply.author ? reply.author.display_name : "", text: (reply.text || "").slice(0, 200) } : null,
      failed: null, progress: 0,
    };
    this.outbox.add({
      clientId: pending.clientId, roomId: this.chat.roomId, text, replyTo: pending.reply_to,
      attachmentIds: pending.staged.length ? null : [], createdAt: Date.now(),
    });
    this.staged = [];
    this.renderStaged();
    this.input.value = "";
    writeDraft(this.draftKey, "");
    this.setMode(null);
    this.pending.set(pending.localId, pending);
    this.chat.list.append(renderMessage(pending, this.chat.ctx));
    this.chat.scrollToBottom();
    this.deliver(pending);
  }

  // Uploads what is still uploading, then hands the message to the outbox, which reports
  // through its "sent" and "failed" events (onSent, onFailed).
  async deliver(pending) {
    pending.failed = null;
    this.rerender(pending);
    try {
      if (!this.outbox.get(pending.clientId)) return; // sent meanwhile by another path
      const ids = [];
      for (const item of pending.staged) {
        item.onProgress = () => this.showProgress(pending);
        ids.push((await item.start()).id);
      }
      pending.attachmentIds = ids;
      this.outbox.update(pending.clientId, { attachmentIds: ids, failed: null, offline: false });
      await this.outbox.send(pending.clientId);
    } catch (error) {
      if (!this.pending.has(pending.localId) || this.outbox.get(pending.clientId)?.attachmentIds) return;
      // An upload failed: the outbox never saw it; the text and the files wait for a retry.
      pending.failed = error.message;
      pending.offline = error.status === 0;
      this.rerender(pending);
    }
  }

  showProgress(pending) {
    const total = pending.staged.reduce((sum, item) => sum + (item.attachment ? 1 : item.progress), 0);
    pending.progress = Math.round((total / Math.max(1, pending.staged.length)) * 100);
    const span = this.chat.list.querySelector(`#pending-${pending.localId} .sending`);
    const waiting = pending.staged.some((item) => item.waiting && !item.attachment);
    if (span) span.textContent = waiting ? t.uploadWaiting(pending.progress) : t.uploading(pending.progress);
  }

  rerender(pending) {
    const li = this.chat.list.querySelector(`#pending-${pending.localId}`);
    if (li) li.replaceWith(renderMessage(pending, this.chat.ctx));
  }

  forget(pending) {
    this.pending.delete(pending.localId);
    const li = this.chat.list.querySelector(`#pending-${pending.localId}`);
    if (li) li.remove();
    for (const url of pending.localPreviews) URL.revokeObjectURL(url);
  }

  retry(pending) {
    this.deliver(pending);
  }

  // Back online: what failed for want of a network goes out by itself. Messages whose files
  // failed to upload start again here; the rest are the outbox's (app.outbox.flush()).
  retryOffline() {
    for (const pending of this.pending.values()) {
      if (pending.failed && pending.offline && pending.staged.some((item) => !item.attachment)) {
        this.deliver(pending);
      }
    }
  }

  discard(pending) {
    this.outbox.remove(pending.clientId);
    this.forget(pending);
  }

  // The feed brought our own message before the POST answered: drop the matching placeholder.
  settledElsewhere(message) {
    for (const pending of this.pending.values()) {
      if (pending.failed || !pending.attachmentIds) continue;
      const sameReply = (pending.reply_to ? pending.reply_to.id : null) === (message.reply_to ? message.reply_to.id : null);
      const sameFiles = pending.attachmentIds.join() === (message.attachments || []).map((a) => a.id).join();
      if (pending.text === (message.text || "") && sameReply && sameFiles) {
        this.forget(pending);
        return;
      }
    }
  }

  async saveEdit(message, text) {
    if (!text) {
      this.showError(t.editEmpty);
      return;
    }
    if (text === message.text) {
      this.setMode(null);
      return;
    }
    this.sendButton.disabled = true;
    try {
      const saved = await api("PATCH", `/api/messages/${message.id}`, { text });
      this.chat.put(saved);
      this.chat.refreshQuotes(saved);
      this.setMode(null);
    } catch (error) {
      this.showError(error.message);
    } finally {
      this.sendButton.disabled = false;
    }
  }

  showError(text) {
    this.error.textContent = text;
    this.error.hidden = false;
  }

  destroy() {
    this.outbox.removeEventListener("sent", this.onSent);
    this.outbox.removeEventListener("failed", this.onFailed);
    for (const item of this.staged) {
      if (item.abort && !item.attachment) item.abort();
      if (item.preview) URL.revokeObjectURL(item.preview);
    }
  }
}

// The unsent text of a room, per account: kept while typing, restored when the room opens.
function readDraft(key) {
  try {
    return (key && localStorage.getItem(key)) || "";
  } catch {
    return "";
  }
}

function writeDraft(key, text) {
  try {
    if (!key) return;
    if (text) localStorage.setItem(key, text);
    else localStorage.removeItem(key);
  } catch {
    /* storage disabled or full: the draft lives as long as the page */
  }
}
