// What the server accepts as an attachment (rooms/community/attachments.py), checked on the
// phone before a single byte is sent: a 60 MB video refused after a minute of mobile data is
// data and patience lost. tests/web/test_upload_rules.py keeps these equal to the server's.
// No DOM here: the test imports this module in Node.

export const MAX_BYTES = { image: 10 * 1024 * 1024, video: 50 * 1024 * 1024 };

export const KIND_OF_TYPE = {
  "image/jpeg": "image", "image/png": "image", "image/gif": "image", "image/webp": "image",
  "video/mp4": "video", "video/webm": "video", "video/3gpp": "video", "video/quicktime": "video",
};

// What the file pickers offer (the chat composer's and the announcement form's); the profile
// photo's picker offers photos only.
export const ACCEPT = Object.keys(KIND_OF_TYPE).join(",");
export const PHOTO_ACCEPT = Object.keys(KIND_OF_TYPE).filter((type) => KIND_OF_TYPE[type] === "image").join(",");

// Some Android pickers hand over files without a type: then the name says it.
const TYPE_OF_EXTENSION = {
  jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png", gif: "image/gif", webp: "image/webp",
  mp4: "video/mp4", m4v: "video/mp4", webm: "video/webm", "3gp": "video/3gpp", mov: "video/quicktime",
};

// Photos the phone scales down and re-encodes as JPEG before sending (composer.js): their
// size is checked after that. A GIF keeps its animation and is sent as it is.
export const SHRINKABLE = new Set(["image/jpeg", "image/png", "image/webp"]);

export function typeOf(file) {
  if (KIND_OF_TYPE[file.type]) return file.type;
  const extension = (file.name || "").split(".").pop().toLowerCase();
  return TYPE_OF_EXTENSION[extension] || file.type || "";
}

// null when the file may be sent as far as the phone can tell, else {code, reason} as the
// server would answer (docs/api.md), for the member's text in web/strings/errors.js.
// `afterShrinking`: the size check of a photo the phone has already made smaller.
export function refusal(file, afterShrinking = false) {
  const type = typeOf(file);
  const kind = KIND_OF_TYPE[type];
  if (!kind) return { code: "unsupported_media_type", reason: "file_type" };
  if (file.size === 0) return { code: "bad_request", reason: "file_empty" };
  if (kind === "image" && SHRINKABLE.has(type) && !afterShrinking) return null;
  if (file.size > MAX_BYTES[kind]) {
    return { code: "too_large", reason: kind === "image" ? "photo_too_large" : "video_too_large" };
  }
  return null;
}

// The same where only a photo is taken (the profile photo, rooms/community/avatars.py): a video
// or a file of no known type is refused as the server refuses it there.
export function photoRefusal(file, afterShrinking = false) {
  if (KIND_OF_TYPE[typeOf(file)] !== "image") return { code: "unsupported_media_type", reason: "photo_type" };
  return refusal(file, afterShrinking);
}
