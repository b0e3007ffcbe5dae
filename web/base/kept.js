// Small lists of records kept on this device across a reload or a closed app, as JSON in
// localStorage under one key each: the chat's unsent messages (web/app/outbox.js) and a town
// hall's questions and comments not yet heard back (web/meeting/typed_keep.js). A few KB of
// text; files would need IndexedDB (docs/offline.md).
//
// Storage may be disabled (some WebViews, private modes) or full: then nothing is kept and the
// records live as long as the page, as if this module were not there.

// The records under `key` for which `keep(record)` holds; anything damaged reads as empty.
export function loadKept(key, keep = () => true) {
  try {
    const stored = JSON.parse(localStorage.getItem(key) || "[]");
    return Array.isArray(stored) ? stored.filter((record) => record && keep(record)) : [];
  } catch {
    return [];
  }
}

// An empty list removes its key: nothing is left behind once everything went.
export function saveKept(key, records) {
  try {
    if (records.length) localStorage.setItem(key, JSON.stringify(records));
    else localStorage.removeItem(key);
  } catch {
    /* full or disabled: the records still live in this page */
  }
}

// Every key starting with `prefix` (an account's drafts when it signs out, say).
export function keysStartingWith(prefix) {
  try {
    const keys = Array.from({ length: localStorage.length }, (_, i) => localStorage.key(i));
    return keys.filter((key) => key && key.startsWith(prefix));
  } catch {
    return [];
  }
}

// A town hall's questions and comments of one identity, one key a meeting (web/meeting/
// typed_keep.js). Here because the community app forgets its member's (identity `user-<id>`,
// docs/protocol.md "Member tokens") at sign-out. "/" is escaped in the identity, so one
// identity's prefix matches no key of another's.
export const TYPED_PREFIX = "kamar.typed.";

export function typedPrefix(identity) {
  return `${TYPED_PREFIX}${encodeURIComponent(identity)}/`;
}

export function forgetKept(prefix) {
  for (const key of keysStartingWith(prefix)) {
    try {
      localStorage.removeItem(key);
    } catch {
      /* disabled: nothing was kept */
    }
  }
}
