// The community app's own HTTP needs beside web/base/api.js: uploads with progress, media that
// needs the session header (shown from blob: URLs), files made on request.
import { ApiError, authHeaders, checkUnauthorized, errorFrom, failure, networkError } from "/static/base/api.js";
import { sessionToken } from "/static/base/session.js";

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
