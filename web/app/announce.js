// Posting one announcement to many rooms (#/announce, docs/organising.md): title, text, the
// rooms (ticked from those one owns or moderates, or all of them in a region, of some kinds),
// and whether it gets a public page to share. The answer's reach is shown after posting.
// Saved lists of rooms (/api/room-lists): choosing one ticks its rooms; the ticked rooms can
// be saved as a new list. Photos, a video and an event go with it (announce_extras.js).
import { api } from "/static/base/api.js";
import { clear, h } from "/static/base/dom.js";
import { errorBox, field, focusHeading, submitting } from "/static/app/dom.js";
import { eventPicker, filePicker } from "/static/app/announce_extras.js";
import { referralCode } from "/static/app/pinned.js";
import { regionPicker } from "/static/app/region_picker.js";
import { ROOM_KINDS } from "/static/app/rooms.js";
import { t } from "/static/strings.js";

export async function renderAnnounce(app, container) {
  clear(container);
  if (!app.roomsLoaded) await app.loadRooms().catch(() => {});
  const rooms = [...app.rooms.values()].filter((room) => ["owner", "moderator"].includes(room.my_role));
  const page = h("section", { class: "pad form-page", id: "announce" },
    h("div", { class: "page-head" },
      h("a", { href: "#/campaigns", class: "back", "aria-label": t.back }, "←"),
      h("h1", {}, t.announceTitle)));
  page.append(rooms.length ? announceForm(rooms) : h("p", { class: "muted" }, t.announceNoRooms));
  container.append(page);
  focusHeading(container);
}

function announceForm(rooms) {
  const box = errorBox();
  const result = h("p", { role: "status", id: "announce-result" });
  const picker = regionPicker("announce-region");
  const lists = roomLists(() => form, () => events.refresh());
  const ticked = (name) => [...form.querySelectorAll(`input[name=${name}]:checked`)].map((input) => input.value);
  const tickedRooms = () => ticked("room").map(Number);
  const names = new Map(rooms.map((room) => [room.id, room.name]));
  const selection = () => {
    const chosen = {};
    if (tickedRooms().length) chosen.room_ids = tickedRooms();
    if (ticked("kind").length) chosen.kinds = ticked("kind");
    if (picker.value()) chosen.region_code = picker.value();
    return chosen;
  };
  // Uploads go to a room the announcement will reach: the first the server resolves now.
  const files = filePicker(async () => (await api("POST", "/api/announcements/selection", selection())).room_ids[0]);
  const events = eventPicker(tickedRooms, (id) => names.get(id) || "");
  const form = h("form", { novalidate: true, id: "announce-form" },
    field(t.announceTitleLabel, h("input", { name: "title", id: "announce-title", required: true, maxlength: 200 })),
    field(t.announceTextLabel, h("textarea", { name: "text", id: "announce-text", rows: 5, maxlength: 4000, required: true })),
    h("fieldset", { class: "region", name: "room_ids" },
      h("legend", {}, t.announceRooms),
      lists.el,
      rooms.map((room) => h("label", { class: "check" },
        h("input", { type: "checkbox", name: "room", value: String(room.id), onchange: () => events.refresh() }), " ", room.name)),
      lists.saveRow),
    h("details", { class: "more" }, h("summary", {}, t.announceByRegion),
      picker.el,
      h("fieldset", { class: "region", name: "kinds" },
        h("legend", {}, t.announceKinds),
        ROOM_KINDS.map((kind) => h("label", { class: "check" },
          h("input", { type: "checkbox", name: "kind", value: kind }), " ", t.roomKinds[kind])))),
    files.el,
    events.el,
    h("label", { class: "check" }, h("input", { type: "checkbox", name: "public", id: "announce-public" }), " ", t.announcePublic),
    box,
    h("button", { type: "submit", class: "primary" }, t.announceSend),
    result);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = {
      title: form.elements.title.value.trim(),
      text: form.elements.text.value.trim(),
      public: form.elements.public.checked,
      ...selection(),
    };
    result.textContent = "";
    if (events.value()) body.event_id = events.value();
    submitting(form, box, async () => {
      const attachmentIds = await files.ids();
      if (attachmentIds.length) body.attachment_ids = attachmentIds;
      const posted = await api("POST", "/api/announcements", body);
      form.reset();
      files.reset();
      events.refresh();
      clear(result).append(t.announceSent(posted.reach.rooms, posted.reach.recipients), " ",
        posted.public_url ? publicLink(posted.public_url) : "");
    });
  });
  return form;
}

// The public page's link, with the author's referral code once it is known (as the pinned post's).
function publicLink(url) {
  const link = h("a", { href: url, target: "_blank", rel: "noopener", id: "announce-public-link" }, t.publicPage);
  referralCode().then((code) => {
    if (code) link.href = `${url}?ref=${encodeURIComponent(code)}`;
  });
  return link;
}

// The saved lists' chooser (ticks a list's rooms) and a row to save the ticked rooms as a list.
function roomLists(formOf, ticksChanged) {
  const choose = h("select", { id: "announce-list", "aria-label": t.roomListChoose },
    h("option", { value: "" }, t.roomListChoose));
  const byId = new Map();
  const fill = (lists) => {
    byId.clear();
    choose.replaceChildren(h("option", { value: "" }, t.roomListChoose),
      ...lists.map((list) => { byId.set(String(list.id), list); return h("option", { value: String(list.id) }, list.name); }));
    choose.hidden = !lists.length;
  };
  choose.hidden = true;
  api("GET", "/api/room-lists").then(({ lists }) => fill(lists)).catch(() => {});
  choose.addEventListener("change", () => {
    const list = byId.get(choose.value);
    if (!list) return;
    const wanted = new Set(list.room_ids.map(String));
    for (const box of formOf().querySelectorAll("input[name=room]")) box.checked = wanted.has(box.value);
    ticksChanged();
  });
  const name = h("input", { id: "announce-list-name", maxlength: 80, placeholder: t.roomListName, autocomplete: "off" });
  const status = h("span", { class: "muted small", role: "status", id: "announce-list-status" });
  const save = h("button", { type: "button", class: "small secondary", id: "announce-list-save" }, t.roomListSave);
  save.addEventListener("click", async () => {
    const roomIds = [...formOf().querySelectorAll("input[name=room]:checked")].map((box) => Number(box.value));
    save.disabled = true;
    try {
      const saved = await api("POST", "/api/room-lists", { name: name.value.trim(), room_ids: roomIds });
      fill([...byId.values(), saved].sort((a, b) => a.name.localeCompare(b.name)));
      name.value = "";
      status.textContent = t.roomListSaved(saved.name);
    } catch (error) {
      status.textContent = error.message;
    } finally {
      save.disabled = false;
    }
  });
  return { el: choose, saveRow: h("div", { class: "row wrap" }, name, save, status) };
}
