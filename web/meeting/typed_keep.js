// A town hall's questions and comments that may not have reached the meeting yet, kept on this
// device (web/base/kept.js) so that a reload or a closed app loses none (docs/offline.md):
//   waiting   typed while there was no connection: never sent, still in its field (one of each kind);
//   sent      handed to a socket, not yet heard back: it may or may not have arrived.
// Each has the client_id it goes with, always the same one: the server takes an identity's
// client_id once per meeting (rooms/meeting/typed_once.py), so sending a record again after a
// reload never makes a second question.
//
// Kept under the token's identity and the meeting: another account on a shared phone (another
// identity) neither sees nor sends them, and a question never goes to another meeting.
import { TYPED_PREFIX, keysStartingWith, loadKept, saveKept, typedPrefix } from "/static/base/kept.js";

// A town hall lasts hours. The server remembers the ids a meeting took only while it runs, so a
// record older than its meeting could land in the room's next meeting as a new question.
const MAX_AGE_MS = 24 * 60 * 60 * 1000;
// Per identity and meeting: far more than anyone types into a dead connection; the oldest go.
const MAX_KEPT = 20;

function keptKey(identity, scope) {
  return typedPrefix(identity) + encodeURIComponent(scope);
}

function usable(record, now) {
  return typeof record.clientId === "string" && (record.kind === "ask" || record.kind === "comment") &&
    typeof record.text === "string" && record.text !== "" && typeof record.sent === "boolean" &&
    Number.isFinite(record.at) && now - record.at < MAX_AGE_MS;
}

export class TypedKeep {
  // `identity`: the join token's `sub`; without one the records live as long as the page.
  constructor(identity, scope, now = Date.now()) {
    this.key = identity ? keptKey(identity, scope) : null;
    // Old records of other meetings go too: nobody may open those pages again.
    for (const key of keysStartingWith(TYPED_PREFIX)) {
      if (key !== this.key) saveKept(key, loadKept(key, (record) => usable(record, now)));
    }
    this.records = this.key ? loadKept(this.key, (record) => usable(record, now)).slice(-MAX_KEPT) : [];
    this._save();
  }

  get(clientId) {
    return this.records.find((record) => record.clientId === clientId) || null;
  }

  waiting(kind) {
    return this.records.find((record) => !record.sent && record.kind === kind) || null;
  }

  sent() {
    return this.records.filter((record) => record.sent);
  }

  // The sent record this echo of one's own question or comment answers (`text` as the server
  // keeps it, trimmed, as the page sends it).
  sentAs(kind, text) {
    return this.records.find((record) => record.sent && record.kind === kind && record.text === text) || null;
  }

  // `record`: {clientId, kind: "ask" | "comment", text, at: ms since the epoch, sent}.
  put(record) {
    const index = this.records.findIndex((kept) => kept.clientId === record.clientId);
    if (index >= 0) this.records[index] = record;
    else this.records.push(record);
    this.records = this.records.slice(-MAX_KEPT);
    this._save();
  }

  remove(clientId) {
    this.records = this.records.filter((record) => record.clientId !== clientId);
    this._save();
  }

  _save() {
    if (this.key) saveKept(this.key, this.records);
  }
}
