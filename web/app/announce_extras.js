// What the announcement form (announce.js) sends beside the text: photos and a video, uploaded
// as soon as they are picked through the chat's own path (send_file.js) into a room of the
// selection as the server resolves it (ticked rooms, a region, kinds: POST
// /api/announcements/selection), since a file must belong to a room the announcement goes to;
// the server shows them in every chosen room's post without copying them. And one upcoming
// event of the ticked rooms, offered as they are ticked.
import { api } from "/static/base/api.js";
import { h } from "/static/base/dom.js";
import { eventWhen, field, fileSize, icon } from "/static/app/dom.js";
import { sendFile } from "/static/app/send_file.js";
import { ACCEPT, refusal } from "/static/app/upload_rules.js";
import { errorMessage, t } from "/static/strings.js";

// `uploadRoom()`: resolves to the id of the room uploads go to (one of the selection's), or
// rejects with the server's reason (no room chosen, none one runs).
export function filePicker(uploadRoom) {
  let items = [];
  const note = h("p", { class: "error small", role: "alert", id: "announce-file-note", hidden: true });
  const list = h("ul", { class: "staged", id: "announce-staged", hidden: true });
  const input = h("input", { type: "file", id: "announce-file", name: "attachment_ids", class: "visually-hidden", accept: ACCEPT, multiple: true });
  const say = (text) => { note.textContent = text || ""; note.hidden = !text; };
  const draw = () => {
    list.hidden = !items.length;
    list.replaceChildren(...items.map((item) => {
      const state = item.failed || (item.attachment ? t.uploaded
        : item.waiting ? t.uploadWaiting(Math.round(item.progress * 100)) : t.uploading(Math.round(item.progress * 100)));
      return h("li", { class: "staged-item" + (item.failed ? " failed" : "") },
        item.preview ? h("img", { src: item.preview, alt: "" }) : h("span", { class: "file-icon" }, icon("video")),
        h("span", { class: "staged-text" }, h("span", { class: "name" }, item.file.name),
          h("span", { class: "muted small" }, `${fileSize(item.file.size)} · ${state}`)),
        h("button", { type: "button", class: "small link", "aria-label": t.removeAttachment(item.file.name), onclick: () => drop(item) }, "✕"));
    }));
  };
  const drop = (item) => {
    if (item.abort && !item.attachment) item.abort();
    if (item.preview) URL.revokeObjectURL(item.preview);
    items = items.filter((other) => other !== item);
    draw();
  };
  const add = (file, roomId) => {
    const refused = refusal(file);
    if (refused) return say(`${file.name}: ${errorMessage(refused.code, refused.reason)}`);
    const item = { file, preview: file.type.startsWith("image/") ? URL.createObjectURL(file) : null,
      attachment: null, progress: 0, waiting: false, failed: null, resume: {} };
    item.done = sendFile(roomId, file, item, draw).then((attachment) => {
      item.attachment = attachment;
      draw();
      return attachment;
    }, (error) => {
      item.failed = error.message;
      draw();
      throw error;
    });
    item.done.catch(() => {}); // shown on the item; sending names it again
    items.push(item);
    draw();
    return null;
  };
  input.addEventListener("change", async () => {
    const picked = [...input.files];
    input.value = "";
    let roomId;
    try {
      roomId = await uploadRoom();
    } catch (error) {
      say(error.field === "rooms" ? t.announceAttachNeedsRoom : error.message);
      return;
    }
    say("");
    for (const file of picked) add(file, roomId);
  });
  return {
    el: h("fieldset", { class: "region", id: "announce-files" }, h("legend", {}, t.announceFiles), list, input,
      h("label", { for: "announce-file", class: "button small secondary" }, icon("clip"), " ", t.announceAttach), note),
    // The uploads' ids once every one has arrived (rejects with the first failure).
    ids: async () => (await Promise.all(items.map((item) => item.done))).map((attachment) => attachment.id),
    reset: () => { for (const item of items) if (item.preview) URL.revokeObjectURL(item.preview); items = []; say(""); draw(); },
  };
}

// `tickedRooms()`: the ticked rooms' ids; `nameOf(id)`: a room's name. Call refresh() when the
// ticks change.
export function eventPicker(tickedRooms, nameOf) {
  const none = () => h("option", { value: "" }, t.announceNoEvent);
  const select = h("select", { id: "announce-event", name: "event_id" }, none());
  let asked = 0;
  const refresh = async () => {
    const ids = tickedRooms();
    const mine = ++asked;
    const lists = await Promise.all(ids.map((id) =>
      api("GET", `/api/rooms/${id}/events`).then(({ events }) => events, () => [])));
    if (mine !== asked) return; // the ticks changed meanwhile: a newer answer is coming
    const now = Date.now();
    const upcoming = lists.flat().filter((event) => new Date(event.starts_at).getTime() > now)
      .sort((a, b) => new Date(a.starts_at) - new Date(b.starts_at));
    const kept = select.value;
    select.replaceChildren(none(), ...upcoming.map((event) =>
      h("option", { value: String(event.id) }, `${event.title} · ${eventWhen(event)} · ${nameOf(event.room_id)}`)));
    select.value = upcoming.some((event) => String(event.id) === kept) ? kept : "";
    select.disabled = !upcoming.length;
    select.title = upcoming.length ? "" : t.announceEventsNone;
  };
  select.disabled = true;
  return {
    el: field(t.announceEvent, select),
    refresh,
    value: () => (select.value ? Number(select.value) : null),
  };
}
