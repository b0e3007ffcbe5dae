// A region picker for a phone: type a few letters of a village, district, city or province,
// tap one of the answers (GET /api/regions?q=, docs/api.md). The chosen region's code is what
// the server stores; its label ("Sukarasa, Sukasari, Kota Bandung, Jawa Barat") is shown.
//
// Requests are debounced (250 ms after the last keystroke) and the previous one is aborted, so
// typing "bandung" on a slow line sends one or two requests, not seven, and an old answer never
// overwrites a newer one.
import { api } from "/static/base/api.js";
import { h } from "/static/base/dom.js";
import { t } from "/static/strings.js";

// The shapes the server accepts (rooms/community/regions/place.py), checked here too so the
// member reads the reason in their own language: "RT 05 / RW 02", "5/2", "5-2" or nothing.
const RT_RW = /^\s*(?:RT\.?\s*)?([0-9]{1,3})(?:\s*[\/\-,]\s*(?:RW\.?\s*)?|\s*RW\.?\s*)([0-9]{1,3})\s*$/i;

export function rtRwLooksRight(text) {
  if (!text.trim()) return true;
  const match = RT_RW.exec(text);
  return Boolean(match) && Number(match[1]) >= 1 && Number(match[2]) >= 1;
}

const DEBOUNCE_MS = 250;
const MIN_LETTERS = 2;

// picker.el to place in a form; picker.value() is the chosen code ("" for none), picker.label()
// its names as shown;
// picker.set(code, label) shows a region chosen earlier; onChange(code) after a tap or a clear.
export function regionPicker(idPrefix, onChange = () => {}) {
  let code = "";
  let timer = null;
  let inflight = null;
  const chosen = h("span", { class: "region-chosen-label", id: `${idPrefix}-chosen` });
  const clearButton = h("button", {
    type: "button", class: "link small", id: `${idPrefix}-clear`,
    onclick: () => { choose("", ""); search.focus(); },
  }, t.regionClear);
  const chosenRow = h("p", { class: "region-chosen", hidden: true }, chosen, " ", clearButton);
  const list = h("ul", { class: "region-results", id: `${idPrefix}-results`, role: "listbox" });
  const status = h("small", { class: "hint", role: "status" });
  const search = h("input", {
    type: "search", id: `${idPrefix}-search`, autocomplete: "off", enterkeyhint: "search",
    placeholder: t.regionSearchPlaceholder, "aria-controls": list.id, maxlength: 60,
  });
  search.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault(); // Enter searches now; it does not submit the surrounding form
    clearTimeout(timer);
    lookUp();
  });
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(lookUp, DEBOUNCE_MS);
  });
  const el = h("div", { class: "region-picker" },
    chosenRow,
    h("label", { class: "field" }, h("span", {}, t.regionSearchLabel), search, status),
    list);

  async function lookUp() {
    const query = search.value.trim();
    if (inflight) inflight.abort();
    list.replaceChildren();
    if (query.replace(/[^\p{L}\p{N}]/gu, "").length < MIN_LETTERS) {
      status.textContent = query ? t.regionTypeMore : "";
      return;
    }
    inflight = new AbortController();
    const mine = inflight;
    status.textContent = t.regionSearching;
    try {
      const found = await api("GET", `/api/regions?q=${encodeURIComponent(query)}&limit=20`, undefined,
        { signal: mine.signal });
      if (mine !== inflight) return;
      status.textContent = found.regions.length ? "" : t.regionNothingFound;
      list.replaceChildren(...found.regions.map(option));
    } catch (error) {
      if (mine !== inflight || error.name === "AbortError") return;
      status.textContent = error.message;
    }
  }

  function option(region) {
    const parents = region.path.slice(0, -1).reverse().map((r) => r.name).join(", ");
    return h("li", { role: "option" },
      h("button", {
        type: "button", class: "region-option", dataset: { code: region.code },
        onclick: () => { choose(region.code, region.label); onChange(code); },
      },
      h("strong", {}, region.name), " ",
      h("span", { class: "muted small" }, t.regionLevels[region.level]),
      parents ? h("span", { class: "muted small block" }, parents) : null));
  }

  function choose(newCode, label) {
    code = newCode;
    chosen.textContent = label;
    chosenRow.hidden = !newCode;
    search.value = "";
    status.textContent = "";
    list.replaceChildren();
    if (!newCode) onChange(code);
  }

  return {
    el,
    value: () => code,
    label: () => (code ? chosen.textContent : ""),
    set: (newCode, label) => {
      code = newCode || "";
      chosen.textContent = label || newCode || "";
      chosenRow.hidden = !code;
    },
  };
}
