// Resumable uploads of large videos: the client side of tus 1.0 (docs/api.md "uploads",
// server/api/uploads.py). A video sent over mobile data that drops halfway goes on from what
// arrived instead of starting again: POST makes the upload, PATCH sends pieces at
// Upload-Offset, HEAD asks how much arrived after a failure. Offline, it waits for the
// browser's "online" event (or 30 s); otherwise it tries again after 1, 2, 4 ... 30 s, or at
// once when "online" fires. It gives up only after MAX_ATTEMPTS failures in a row online, or on a refusal (a wrong
// type, too large): then the composer keeps the text and offers "Coba lagi", which resumes the
// same upload (`resume` keeps its address).
import { ApiError, authHeaders, checkUnauthorized, failure, networkError } from "/static/base/api.js";
import { sessionToken } from "/static/base/session.js";
import { Backoff, RETRY_FOREVER } from "/static/base/socket.js";

export const RESUMABLE_FROM = 5 * 1024 * 1024; // videos above this go in pieces
const PIECE = 1024 * 1024; // what a drop can cost at most, re-sent
const TUS = { "Tus-Resumable": "1.0.0" };
// The feed's waits (1, 2, 4, 8, 15, 30 s), at most MAX_ATTEMPTS in a row while online: about
// 1.5 minutes of trying before the composer offers "Coba lagi".
const MAX_ATTEMPTS = 8;
const OFFLINE_RETRY_MS = 30000;

export function wantsResumable(file) {
  return (file.type || "").startsWith("video/") && file.size > RESUMABLE_FROM;
}

// Resolves with the Attachment, like api.js upload(). `onProgress(fraction)`;
// `onWaiting(true|false)` while it waits for the network.
export function resumableUpload(roomId, file, { resume = {}, onProgress = () => {}, onWaiting = () => {} } = {}) {
  const run = { aborted: false, xhr: null, wake: null };
  const promise = send(run, roomId, file, resume, onProgress, onWaiting);
  const abort = () => {
    run.aborted = true;
    if (run.xhr) run.xhr.abort();
    if (run.wake) run.wake();
    if (resume.location) request("DELETE", resume.location, TUS).catch(() => {}); // tus termination
  };
  return { promise, abort };
}

async function send(run, roomId, file, resume, onProgress, onWaiting) {
  const backoff = new Backoff({ ...RETRY_FOREVER, limit: MAX_ATTEMPTS });
  let offset = null; // unknown until the server says (HEAD, or a PATCH's answer)
  let restarted = false;
  for (;;) {
    try {
      if (!resume.location) resume.location = await create(roomId, file);
      if (offset === null) offset = await currentOffset(resume.location);
      if (offset < file.size) {
        offset = await patch(run, resume.location, file, offset, onProgress);
        backoff.reset(); // a piece arrived
        continue;
      }
      const status = await request("GET", resume.location, { Accept: "application/json" });
      const body = JSON.parse(status.responseText);
      if (body.attachment) {
        onProgress(1);
        return body.attachment;
      }
      offset = null;
    } catch (error) {
      offset = null;
      if (run.aborted) throw new ApiError(0, "aborted", "aborted");
      if (error.status === 404 && resume.location && !restarted) {
        resume.location = null; // expired or lost: start it again from the first byte, once
        restarted = true;
        continue;
      }
      if (!retryable(error)) throw error;
      if (!navigator.onLine) {
        // Waiting for the network is not a failure. The browser's word is not trusted for
        // good either: without an "online" event it tries again every OFFLINE_RETRY_MS.
        backoff.reset();
        onWaiting(true);
        await pause(run, (wake) => setTimeout(wake, OFFLINE_RETRY_MS));
        onWaiting(false);
      } else {
        let scheduled = true;
        await pause(run, (wake) => {
          scheduled = backoff.schedule(wake);
          if (!scheduled) wake();
        }, () => backoff.cancel());
        if (!scheduled) throw error;
      }
      if (run.aborted) throw new ApiError(0, "aborted", "aborted");
    }
  }
}

// Network failures, a server that is briefly down or busy, and the tus conflicts that a HEAD
// resolves (the offset moved, an earlier connection still holds the upload) are worth a retry.
function retryable(error) {
  return error.status === 0 || error.status === 409 || error.status === 429 || error.status >= 500;
}

async function create(roomId, file) {
  const name = btoa(String.fromCharCode(...new TextEncoder().encode(file.name || "video")));
  const xhr = await request("POST", `/api/rooms/${roomId}/uploads`, {
    ...TUS, "Upload-Length": String(file.size), "Upload-Metadata": `filename ${name}`,
  });
  return xhr.getResponseHeader("Location");
}

async function currentOffset(location) {
  const xhr = await request("HEAD", location, TUS);
  return parseInt(xhr.getResponseHeader("Upload-Offset"), 10);
}

// Sends the next piece; resolves with the new offset.
async function patch(run, location, file, offset, onProgress) {
  const piece = file.slice(offset, Math.min(file.size, offset + PIECE));
  const xhr = await request("PATCH", location, {
    ...TUS, "Upload-Offset": String(offset), "Content-Type": "application/offset+octet-stream",
  }, piece, (loaded) => onProgress((offset + loaded) / file.size), run);
  onProgress(Math.min(1, (offset + piece.size) / file.size));
  return parseInt(xhr.getResponseHeader("Upload-Offset"), 10);
}

// One XHR (fetch cannot report upload progress); rejects with an ApiError, status 0 for no
// answer at all.
function request(method, path, headers, body = null, onSent = null, run = null) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    if (run) run.xhr = xhr;
    xhr.open(method, path);
    const sentToken = sessionToken();
    for (const [name, value] of Object.entries({ ...authHeaders(), ...headers })) {
      xhr.setRequestHeader(name, value);
    }
    if (onSent) xhr.upload.addEventListener("progress", (event) => onSent(event.loaded));
    xhr.addEventListener("load", () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve(xhr);
        return;
      }
      let info = {};
      try {
        info = JSON.parse(xhr.responseText).error || {};
      } catch {
        /* HEAD answers have no body */
      }
      const error = failure(xhr.status, info, xhr.getResponseHeader("Retry-After"));
      checkUnauthorized(error, path, sentToken);
      reject(error);
    });
    xhr.addEventListener("error", () => reject(networkError()));
    xhr.addEventListener("abort", () => reject(new ApiError(0, "aborted", "aborted")));
    xhr.send(body);
  });
}

// Resolves when `start(wake)` calls wake, or sooner when the network comes back or the upload
// is cancelled (then `stop()` clears what `start` scheduled).
function pause(run, start, stop = () => {}) {
  return new Promise((resolve) => {
    let timer = null;
    const wake = () => {
      clearTimeout(timer);
      stop();
      window.removeEventListener("online", wake);
      resolve();
    };
    window.addEventListener("online", wake);
    run.wake = wake;
    timer = start(wake);
  });
}
