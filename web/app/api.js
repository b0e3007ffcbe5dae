// HTTP API client (docs/api.md): the session token, JSON requests, uploads, and errors.
// No DOM here apart from object URLs for media that needs the session header.

import { errorMessage, t } from "/static/strings.js";

const SESSION_KEY = "kamar.session";

// Every failure is an ApiError: `status` 0 means the request never reached the server.
export class ApiError extends Error {
  constructor(status, code, message, field = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

// Listeners hear "unauthorized" whenever the server says the session is no longer valid.
export const apiEvents = new EventTarget();

export function sessionToken() {
  try {
    return localStorage.getItem(SESSION_KEY);
  } catch {
    return null; // storage disabled (some WebViews): the user signs in every time
  }
}

export function setSession(token) {
  try {
    if (token) localStorage.setItem(SESSION_KEY, token);
    else localStorage.removeItem(SESSION_KEY);
  } catch {
    /* see sessionToken */
  }
}

// The member's text for an error answer, in their language (web/strings/errors.js): by the
// API's `reason`, else its `code`. The server's English `message` stays on the ApiError as
// `detail`, for the console, and is never shown.
export function messageFor(code, reason, retryAfter) {
  const seconds = parseInt(retryAfter, 10);
  return errorMessage(code, reason, seconds > 0 ? waitText(seconds) : null);
}

// A random id for this browser, kept in its storage: the server counts accounts made from one
// device to flag recruitment fraud (docs/organising.md). It identifies nothing else.
const DEVICE_KEY = "kamar.device";

export function deviceId() {
  try {
    let id = localStorage.getItem(DEVICE_KEY);
    if (!id) {
      id = crypto.randomUUID();
      localStorage.setItem(DEVICE_KEY, id);
    }
    return id;
  } catch {
    return ""; // storage disabled: no id, no flags
  }
}

// "30 detik", "25 menit", "3 jam", "2 hari": Retry-After in words.
export function waitText(seconds) {
  if (seconds < 120) return t.seconds(seconds);
  if (seconds < 120 * 60) return t.minutes(Math.ceil(seconds / 60));
  if (seconds < 48 * 3600) return t.hours(Math.ceil(seconds / 3600));
  return t.days(Math.ceil(seconds / 86400));
}

function failure(status, info, retryAfter) {
  const code = info.code || (status >= 500 ? "internal" : "bad_request");
  const error = new ApiError(status, code, messageFor(code, info.reason, retryAfter), info.field || null);
  error.reason = info.reason || null;
  error.detail = info.message || null;
  return error;
}

const networkError = () => new ApiError(0, "network", errorMessage("network"));

function authHeaders() {
  const token = sessionToken();
  const headers = { "X-Kamar-Device": deviceId() };
  if (token) headers.Authorization = `Bearer ${token}`;
  return headers;
}

async function errorFrom(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    /* not JSON: a proxy's error page */
  }
  return failure(response.status, (body && body.error) || {}, response.headers.get("Retry-After"));
}

// Paths whose 401 names a wrong password (in `field`) rather than a dead session.
const PASSWORD_CHECKS = new Set(["/api/me/password"]);

function checkUnauthorized(error, path, sentToken) {
  if (error.status !== 401) return;
  // A wrong password at login is a 401 too, but it does not end a session.
  if (path.startsWith("/api/auth/")) return;
  // Nor does a wrong current password when changing it (a dead session names no field).
  if (PASSWORD_CHECKS.has(path) && error.field === "current_password") return;
  // Sent with a token since replaced (a password change, "sign out everywhere"): the refusal
  // is about the old token, and the new one is still good.
  if (sentToken !== undefined && sentToken !== sessionToken()) return;
  setSession(null);
  apiEvents.dispatchEvent(new CustomEvent("unauthorized"));
}

// `options.signal` aborts the request (a search superseded by the next keystroke): the
// AbortError is thrown as it is, not as a network failure.
export async function api(method, path, body = undefined, options = {}) {
  const sentToken = sessionToken();
  const headers = { ...authHeaders(), Accept: "application/json" };
  const init = { method, headers, signal: options.signal };
  if (body instanceof FormData) {
    init.body = body; // the browser writes the multipart Content-Type with its boundary
  } else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw networkError();
  }
  if (!response.ok) {
    const error = await errorFrom(response);
    checkUnauthorized(error, path, sentToken);
    throw error;
  }
  if (response.status === 204) return null;
  return response.json();
}

// multipart upload with progress (fetch cannot report upload progress). Resolves with the
// Attachment; `onProgress` gets a fraction 0..1. Returns {promise, abort}.
export function upload(roomId, file, onProgress = () => {}) {
  return uploadTo(`/api/rooms/${roomId}/attachments`, file, onProgress);
}

// The same to any upload endpoint (listing photos: /api/market/photos).
export function uploadTo(path, file, onProgress = () => {}) {
  const xhr = new XMLHttpRequest();
  const promise = new Promise((resolve, reject) => {
    xhr.open("POST", path);
    const sentToken = sessionToken();
    const headers = authHeaders();
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener("load", () => {
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        /* handled below */
      }
      if (xhr.status >= 200 && xhr.status < 300 && body) {
        resolve(body);
        return;
      }
      const error = failure(xhr.status, (body && body.error) || {}, xhr.getResponseHeader("Retry-After"));
      checkUnauthorized(error, path, sentToken);
      reject(error);
    });
    xhr.addEventListener("error", () => reject(networkError()));
    xhr.addEventListener("abort", () => reject(new ApiError(0, "aborted", "aborted")));
    const form = new FormData();
    form.append("file", file, file.name || "file");
    xhr.send(form);
  });
  return { promise, abort: () => xhr.abort() };
}

// Media URLs: an <img> or <video> cannot send the Authorization header, so unless the server
// handed out a URL that carries its own credentials, the bytes are fetched and shown from a
// blob: URL. Thumbnails are small (at most 320 px); full files are fetched only on request.
const blobCache = new Map(); // url -> Promise<object URL>

function carriesCredentials(url) {
  return /[?&](token|sig|signature|expires)=/.test(url);
}

export function mediaUrl(url) {
  if (!url) return Promise.reject(new ApiError(0, "missing", "no url"));
  if (carriesCredentials(url)) return Promise.resolve(url);
  if (!blobCache.has(url)) {
    const pending = (async () => {
      let response;
      try {
        response = await fetch(url, { headers: authHeaders() });
      } catch {
        throw networkError();
      }
      if (!response.ok) {
        const error = await errorFrom(response);
        checkUnauthorized(error, url);
        throw error;
      }
      return URL.createObjectURL(await response.blob());
    })();
    pending.catch(() => blobCache.delete(url)); // a later attempt may succeed
    blobCache.set(url, pending);
  }
  return blobCache.get(url);
}

// Frees every blob: URL (on sign-out, so another user of the phone cannot reach them).
export function forgetMedia() {
  for (const pending of blobCache.values()) {
    pending.then((url) => url.startsWith("blob:") && URL.revokeObjectURL(url), () => {});
  }
  blobCache.clear();
}

// A file the API makes on request (an insight view as CSV), fetched now with the session and
// handed back as a blob: URL for a download link; never cached, the numbers change.
export async function freshFileUrl(path) {
  let response;
  try {
    response = await fetch(path, { headers: authHeaders(), cache: "no-store" });
  } catch {
    throw networkError();
  }
  if (!response.ok) {
    const error = await errorFrom(response);
    checkUnauthorized(error, path);
    throw error;
  }
  return URL.createObjectURL(await response.blob());
}
