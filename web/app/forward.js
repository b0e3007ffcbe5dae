// "Teruskan": the message menu's forward, to another of one's rooms picked from a sheet
// (docs/api.md "POST /api/messages/{id}/forward"); the new message is labelled "Diteruskan".
import { api } from "/static/base/api.js";
import { h } from "/static/base/dom.js";
import { openSheet } from "/static/app/sheet.js";
import { t } from "/static/strings.js";

export function openForward(app, message, origin) {
  const { body, done } = openSheet("forward", t.forwardTitle, origin);
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const rooms = app.sortedRooms().filter((room) => room.id !== message.room_id);
  const list = h("ul", { class: "readers-list", id: "forward-rooms" });
  // One random id per forward: a double tap or a retry after a lost answer is one message.
  const clientId = `fwd-${crypto.getRandomValues(new Uint32Array(2)).join("")}`;
  for (const room of rooms) {
    const name = room.direct_with ? room.direct_with.display_name : room.name;
    const pick = h("button", { type: "button", class: "forward-room", dataset: { roomId: String(room.id) } }, name);
    pick.addEventListener("click", async () => {
      for (const other of list.querySelectorAll("button")) other.disabled = true;
      try {
        await api("POST", `/api/messages/${message.id}/forward`, { room_id: room.id, client_id: clientId });
        done();
        app.notify(t.forwardedTo(name), {
          timeoutMs: 6000,
          action: { label: t.forwardOpen, run: () => app.navigate(`#/rooms/${room.id}`) },
        });
      } catch (failure) {
        error.textContent = failure.message;
        error.hidden = false;
        for (const other of list.querySelectorAll("button")) other.disabled = false;
      }
    });
    list.append(h("li", {}, pick));
  }
  body.append(error, rooms.length ? list : h("p", { class: "muted" }, t.forwardNoRoom));
}
