// "Dibaca oleh": who has read one's message and when, from the message menu, in a sheet over
// the chat (docs/api.md "GET /api/messages/{id}/readers").
import { api } from "/static/base/api.js";
import { h } from "/static/base/dom.js";
import { shortStamp } from "/static/app/dom.js";
import { openSheet } from "/static/app/sheet.js";
import { t } from "/static/strings.js";

export async function openReaders(message, origin) {
  const status = h("p", { class: "muted", role: "status" }, t.loading);
  const list = h("ul", { class: "readers-list", id: "readers-list" });
  openSheet("readers", t.readersTitle, origin).body.append(status, list);
  try {
    const answer = await api("GET", `/api/messages/${message.id}/readers`);
    status.textContent = answer.count ? t.readBy(answer.count) : t.readersNone;
    for (const reader of answer.readers) {
      list.append(h("li", { dataset: { userId: String(reader.user.id) } },
        h("span", { class: "reader-name" }, reader.user.display_name),
        h("time", { class: "muted small", datetime: reader.read_at || "" },
          reader.read_at ? shortStamp(reader.read_at) : t.readersNoTime)));
    }
  } catch (error) {
    status.className = "error";
    status.setAttribute("role", "alert");
    status.textContent = error.message;
  }
}
