// Chat messages not yet stored by the server, kept on the device so that nothing typed is lost:
// they survive a reload or a closed app, and go out by themselves when the network returns.
//
// Each entry carries the client_id it was first sent with; the server stores a message once
// per (author, client_id) and answers a repeat with the stored one (docs/api.md), so sending an
// entry again after a lost answer, a reload or a race with another resend never doubles it.
// Within this page one entry is never in flight twice either (`inFlight`).
//
// Kept in localStorage (web/base/kept.js; a few KB of text, IndexedDB would be needed for
// files, see docs/offline.md): under the account's id, so another account on a shared phone
// neither sees nor sends them. Attachments are kept as the ids of finished uploads; a photo
// still uploading when the page closed is gone, its text is not.
//
// Events (CustomEvent, payload in `detail`):
//   sent {entry, message}      the server stored it (or had already)
//   failed {entry, error}      refused for good (entry.failed) or for now (entry.offline)
import { api } from "/static/base/api.js";
import { loadKept, saveKept } from "/static/base/kept.js";

const KEY_PREFIX = "kamar.outbox.";
// Waiting messages are tried again on a timer too: the browser's `online` event does not come
// when the phone has a network but the server is out of reach (a captive portal, a server
// restart), nor in every WebView. 5 s, doubling, at most a minute between tries.
const RETRY_MS = [5000, 10000, 20000, 40000, 60000];

export class Outbox extends EventTarget {
  constructor(userId) {
    super();
    this.key = KEY_PREFIX + userId;
    this.inFlight = new Map(); // client id -> Promise of the POST
    this.uploading = new Set(); // client ids whose files this page is still uploading
    this.retryTimer = null;
    this.retries = 0;
    this.items = this._load();
  }

  // Storage disabled (some WebViews) or damaged: it starts empty (web/base/kept.js).
  _load() {
    return loadKept(this.key, (entry) => entry.clientId && entry.roomId);
  }

  _save() {
    saveKept(this.key, this.items);
  }

  entries(roomId) {
    return this.items.filter((entry) => entry.roomId === roomId);
  }

  get(clientId) {
    return this.items.find((entry) => entry.clientId === clientId) || null;
  }

  // `entry`: {clientId, roomId, text, replyTo: {id, author_name, text} | null, attachmentIds:
  // null while files upload, createdAt}. Stored before the first attempt to send it.
  add(entry) {
    this.items.push({ failed: null, offline: false, ...entry });
    if (entry.attachmentIds === null) this.uploading.add(entry.clientId);
    this._save();
  }

  update(clientId, patch) {
    const entry = this.get(clientId);
    if (!entry) return;
    Object.assign(entry, patch);
    if (entry.attachmentIds !== null) this.uploading.delete(clientId);
    this._save();
  }

  remove(clientId) {
    this.items = this.items.filter((entry) => entry.clientId !== clientId);
    this.uploading.delete(clientId);
    this._save();
  }

  // Sends one entry (once at a time); resolves with the stored message, rejects with the
  // ApiError. A refusal other than "no network", "try later" or a server fault marks it failed
  // for good: it stays, with its text, until the member retries or discards it.
  send(clientId) {
    if (this.inFlight.has(clientId)) return this.inFlight.get(clientId);
    const entry = this.get(clientId);
    if (!entry) return Promise.reject(new Error("not in the outbox"));
    const body = { client_id: entry.clientId };
    if (entry.text) body.text = entry.text;
    if (entry.replyTo) body.reply_to = entry.replyTo.id;
    if (entry.attachmentIds && entry.attachmentIds.length) body.attachments = entry.attachmentIds;
    const attempt = api("POST", `/api/rooms/${entry.roomId}/messages`, body).then((message) => {
      this.retries = 0;
      this.remove(clientId);
      this._emit("sent", { entry, message });
      return message;
    }, (error) => {
      // No network, "slow down", a server fault, or a session to renew by signing in again.
      const status = error.status;
      const transient = status === 0 || status === 401 || status === 429 || status >= 500;
      this.update(clientId, { offline: transient, failed: transient ? null : error.message });
      if (transient) this._retryLater();
      this._emit("failed", { entry, error });
      throw error;
    }).finally(() => this.inFlight.delete(clientId));
    this.inFlight.set(clientId, attempt);
    return attempt;
  }

  // Everything waiting that may go now: at start, when the browser says it is online, when the
  // feed reconnects. Entries refused for good wait for the member; entries whose files this
  // page is uploading go when the upload ends. One restored without its unfinished files goes
  // with its text alone (or, with no text, is dropped: nothing typed is lost by that).
  flush() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    for (const entry of [...this.items]) {
      if (entry.failed || this.uploading.has(entry.clientId)) continue;
      if (entry.attachmentIds === null) {
        if (!entry.text) {
          this.remove(entry.clientId);
          continue;
        }
        this.update(entry.clientId, { attachmentIds: [] });
      }
      this.send(entry.clientId).catch(() => {}); // reported through "failed"
    }
  }

  _retryLater() {
    if (this.retryTimer || this.stopped) return;
    const delay = RETRY_MS[Math.min(this.retries, RETRY_MS.length - 1)];
    this.retries += 1;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.flush();
    }, delay);
  }

  // This account is done on this page (signed out): no more tries from here.
  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  // Signing out on purpose: what this account left unsent goes with it.
  clear() {
    this.items = [];
    this._save();
  }

  _emit(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { detail }));
  }
}
