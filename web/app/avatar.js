// Profile photos (docs/api.md "PUT /api/me/avatar"): a round avatar that shows the member's
// initials, and their photo over them once it has loaded (none: the initials stay). Photos
// need the session, so they come through mediaUrl as blob URLs, each fetched once a page.
import { api } from "/static/base/api.js";
import { mediaUrl } from "/static/app/api.js";
import { h } from "/static/base/dom.js";
import { photoReady } from "/static/app/photos.js";
import { initials } from "/static/app/rooms.js";
import { PHOTO_ACCEPT } from "/static/app/upload_rules.js";
import { t } from "/static/strings.js";

// The server keeps a 256 px square (rooms/community/avatars.py): 512 px on the longest side
// leaves it room to crop, and a camera's 3-8 MB photo costs 100-odd KB of mobile data at most.
const AVATAR_FIT_PX = 512;

let version = 0; // bumped by one's own change, so the new photo is fetched, not the cached one

export function avatar(userId, name, extraClass = "") {
  const box = h("span", { class: `room-avatar ${extraClass}`, "aria-hidden": "true" }, initials(name || ""));
  if (!userId) return box;
  mediaUrl(`/api/users/${userId}/avatar?v=${version}`).then((src) => {
    box.replaceChildren(h("img", { class: "avatar-img", src, alt: "" }));
  }, () => {});
  return box;
}

// The profile's photo controls: choose a photo (the phone's camera or gallery), or remove it.
export function avatarControls(app, onChanged) {
  const input = h("input", { type: "file", accept: PHOTO_ACCEPT, id: "avatar-file", class: "visually-hidden" });
  const status = h("p", { class: "muted small", role: "status", id: "avatar-status" });
  const choose = h("label", { class: "button small secondary", for: "avatar-file", id: "avatar-choose" }, t.avatarChoose);
  const remove = h("button", { type: "button", class: "small", id: "avatar-remove" }, t.avatarRemove);
  input.addEventListener("change", async () => {
    const file = input.files && input.files[0];
    input.value = "";
    if (!file) return;
    status.textContent = t.sending;
    try {
      const ready = await photoReady(file, { fit: AVATAR_FIT_PX, above: 0 });
      const form = new FormData();
      form.append("file", ready, ready.name);
      await api("PUT", "/api/me/avatar", form);
      version += 1;
      status.textContent = t.avatarSaved;
      onChanged();
    } catch (error) {
      status.textContent = error.message;
    }
  });
  remove.addEventListener("click", async () => {
    try {
      await api("DELETE", "/api/me/avatar");
      version += 1;
      status.textContent = t.avatarRemoved;
      onChanged();
    } catch (error) {
      status.textContent = error.message;
    }
  });
  return h("div", { class: "avatar-controls" }, h("div", { class: "row" }, choose, input, remove), status);
}
