// "Dibaca oleh": who has read one's message and when, from the message menu, in a sheet over
// the chat (docs/api.md "GET /api/messages/{id}/readers").
import { api } from "/static/app/api.js";
import { h, shortStamp } from "/static/app/dom.js";
import { t } from "/static/strings.js";

export async function openReaders(message, origin) {
  const status = h("p", { class: "muted", role: "status" }, t.loading);
  const list = h("ul", { class: "readers-list", id: "readers-list" });
  const close = h("button", { type: "button", class: "small", id: "readers-close" }, t.close);
  const sheet = h("div", { class: "sheet", role: "dialog", "aria-modal": "true", "aria-labelledby": "readers-title", id: "readers" },
    h("div", { class: "sheet-body" },
      h("div", { class: "page-head" }, h("h2", { id: "readers-title" }, t.readersTitle), close),
      status, list));
  const done = () => {
    sheet.remove();
    document.removeEventListener("keydown", onKey);
    if (origin && origin.focus) origin.focus();
  };
  const onKey = (event) => {
    if (event.key === "Escape") done();
  };
  close.addEventListener("click", done);
  sheet.addEventListener("click", (event) => {
    if (event.target === sheet) done();
  });
  document.addEventListener("keydown", onKey);
  document.body.append(sheet);
  close.focus();
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
