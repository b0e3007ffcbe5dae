// A sheet over the page from the bottom, as phones show menus: "Dibaca oleh" (readers.js) and
// "Teruskan ke" (forward.js). Closes with its button, Escape or a tap beside it, and gives the
// focus back to what opened it.
import { h } from "/static/base/dom.js";
import { t } from "/static/strings.js";

export function openSheet(id, title, origin) {
  const close = h("button", { type: "button", class: "small", id: `${id}-close` }, t.close);
  const body = h("div", { class: "sheet-body" },
    h("div", { class: "page-head" }, h("h2", { id: `${id}-title` }, title), close));
  const sheet = h("div", { class: "sheet", role: "dialog", "aria-modal": "true", "aria-labelledby": `${id}-title`, id }, body);
  const done = () => {
    sheet.remove();
    document.removeEventListener("keydown", onKey);
    if (origin && origin.focus && origin.isConnected) origin.focus();
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
  return { body, done };
}
