// The HTTP API client both web clients use (docs/api.md): JSON requests with the session token,
// and every failure as an ApiError worded in the member's language. No DOM here.

import { deviceId, sessionToken, setSession } from "/static/base/session.js";
import { errorMessage, t } from "/static/strings.js";

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

// The member's text for an error answer, in their language (web/strings/errors.js): by the
// API's `reason`, else its `code`. The server's English `message` stays on the ApiError as
// `detail`, for the console, and is never shown.
export function messageFor(code, reason, retryAfter) {
  const seconds = parseInt(retryAfter, 10);
  return errorMessage(code, reason, seconds > 0 ? waitText(seconds) : null);
}

// "30 detik", "25 menit", "3 jam", "2 hari": Retry-After in words.
export function waitText(seconds) {
  if (seconds < 120) return t.seconds(seconds);
  if (seconds < 120 * 60) return t.minutes(Math.ceil(seconds / 60));
  if (seconds < 48 * 3600) return t.hours(Math.ceil(seconds / 3600));
  return t.days(Math.ceil(seconds / 86400));
}

export function failure(status, info, retryAfter) {
  const code = info.code || (status >= 500 ? "internal" : "bad_request");
  const error = new ApiError(status, code, messageFor(code, info.reason, retryAfter), info.field || null);
  error.reason = info.reason || null;
  error.detail = info.message || null;
  return error;
}

export const networkError = () => new ApiError(0, "network", errorMessage("network"));

export function authHeaders() {
  const token = sessionToken();
  const headers = { "X-Kamar-Device": deviceId() };
  if (token) headers.Authorization = `Bearer ${token}`;
  return headers;
}

export async function errorFrom(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    /* not JSON: a proxy's error page */
  }
  return failure(response.status, (body && body.error) || {}, response.headers.get("Retry-After"));
}

// Paths whose 401 names a wrong password (in this field) rather than a dead session.
const PASSWORD_CHECKS = new Map([["/api/me/password", "current_password"], ["/api/me/delete", "password"]]);

export function checkUnauthorized(error, path, sentToken) {
  if (error.status !== 401) return;
  // A wrong password at login is a 401 too, but it does not end a session.
  if (path.startsWith("/api/auth/")) return;
  // Nor does a wrong password when changing it or deleting the account (a dead session names
  // no field).
  if (PASSWORD_CHECKS.has(path) && error.field === PASSWORD_CHECKS.get(path)) return;
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

