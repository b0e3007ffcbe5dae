// The community app's view helpers: forms and their errors, rich text, times, icons. Element
// building itself (h, clear) is web/base/dom.js, shared with the meeting page.
import { h } from "/static/base/dom.js";
import { pageLanguage, t } from "/static/strings.js";

const LOCALE = pageLanguage === "id" ? "id-ID" : "en-GB";

// A member's name; a deleted account keeps its messages under an empty name (docs/api.md
// "Deleting an account"), shown as "deleted member".
export function nameOf(user) {
  return (user && user.display_name) || t.deletedMember;
}

// A direct conversation is named after the other member: "deleted member" once their account
// is deleted (its name is then empty).
export function withName(room) {
  return room.direct_with && !room.name ? { ...room, name: nameOf(room.direct_with) } : room;
}

// A label wrapping its input, so screen readers and taps both reach the field.
export function field(label, input, hint = null) {
  return h("label", { class: "field" }, h("span", {}, label), input,
    hint ? h("small", { class: "hint" }, hint) : null);
}

export function errorBox() {
  return h("p", { class: "error", role: "alert", hidden: true, tabindex: "-1" });
}

// Shows an ApiError on a form: its message in `box`, and the field it names marked invalid.
export function showFormError(form, box, error) {
  for (const marked of form.querySelectorAll("[aria-invalid]")) marked.removeAttribute("aria-invalid");
  box.textContent = error ? error.message : "";
  box.hidden = !error;
  if (!error) return;
  if (!box.id) box.id = "err-" + Math.random().toString(36).slice(2);
  const input = error.field ? findField(form, error.field) : null;
  if (input) {
    const details = input.closest("details");
    if (details) details.open = true;
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", box.id);
    input.focus();
  } else {
    box.focus();
  }
}

// "region.city" may be named "city" in the form.
function findField(form, name) {
  for (const candidate of [name, name.split(".").pop()]) {
    const input = form.querySelector(`[name="${CSS.escape(candidate)}"]`);
    if (input) return input;
  }
  return null;
}

// Runs `action` with the form's submit button disabled; errors land in `box`.
export async function submitting(form, box, action) {
  const buttons = form.querySelectorAll("button[type=submit]");
  for (const button of buttons) button.disabled = true;
  showFormError(form, box, null);
  try {
    return await action();
  } catch (error) {
    showFormError(form, box, error);
    return undefined;
  } finally {
    for (const button of buttons) button.disabled = false;
  }
}

// Text with web addresses turned into links; never innerHTML. A listing's address inside the
// app (`#/market/12`, how "chat with the seller" quotes it) opens in the app itself.
export function richText(text) {
  const out = document.createDocumentFragment();
  const pattern = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]|#\/market\/\d+\b/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    if (match.index > last) out.append(text.slice(last, match.index));
    const inApp = match[0].startsWith("#");
    out.append(h("a", inApp ? { href: match[0] } : { href: match[0], target: "_blank", rel: "noopener noreferrer" }, match[0]));
    last = match.index + match[0].length;
  }
  if (last < text.length) out.append(text.slice(last));
  return out;
}

// Message times in the viewer's own zone.
export function clockTime(iso) {
  return new Date(iso).toLocaleTimeString(LOCALE, { hour: "2-digit", minute: "2-digit" });
}

function dayKey(date) {
  return `${date.getFullYear()}-${date.getMonth()}-${date.getDate()}`;
}

export function dayLabel(iso) {
  const date = new Date(iso);
  const today = new Date();
  const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
  if (dayKey(date) === dayKey(today)) return t.today;
  if (dayKey(date) === dayKey(yesterday)) return t.yesterday;
  return date.toLocaleDateString(LOCALE, { weekday: "long", day: "numeric", month: "long", year: "numeric" });
}

export function sameDay(isoA, isoB) {
  return dayKey(new Date(isoA)) === dayKey(new Date(isoB));
}

// Short stamp for lists: the time today, the date otherwise.
export function shortStamp(iso) {
  if (!iso) return "";
  return sameDay(iso, new Date().toISOString())
    ? clockTime(iso)
    : new Date(iso).toLocaleDateString(LOCALE, { day: "numeric", month: "short" });
}

// Event times in the event's own zone, with the zone named: "Sel, 24 Nov 2026 19.00-21.00 WIB
// (Asia/Jakarta)". An event an hour's flight away still reads as its organisers wrote it.
export function eventWhen(event) {
  const zone = event.timezone || "Asia/Jakarta";
  let dateFmt, timeFmt, zoneFmt;
  try {
    dateFmt = new Intl.DateTimeFormat(LOCALE, { timeZone: zone, weekday: "short", day: "numeric", month: "short", year: "numeric" });
    timeFmt = new Intl.DateTimeFormat(LOCALE, { timeZone: zone, hour: "2-digit", minute: "2-digit" });
    zoneFmt = new Intl.DateTimeFormat(LOCALE, { timeZone: zone, timeZoneName: "short" });
  } catch {
    return `${event.starts_at} – ${event.ends_at} (${zone})`; // unknown zone in an old WebView
  }
  const start = new Date(event.starts_at);
  const end = new Date(event.ends_at);
  const short = zoneFmt.formatToParts(start).find((p) => p.type === "timeZoneName");
  const sameDate = dateFmt.format(start) === dateFmt.format(end);
  const range = sameDate
    ? `${dateFmt.format(start)} ${timeFmt.format(start)}–${timeFmt.format(end)}`
    : `${dateFmt.format(start)} ${timeFmt.format(start)} – ${dateFmt.format(end)} ${timeFmt.format(end)}`;
  const zoneName = short && short.value !== zone ? `${short.value} (${zone})` : zone;
  return `${range} ${zoneName}`;
}

export function fileSize(bytes) {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

// Moves focus to a view's heading after navigation, so screen readers announce the new view.
export function focusHeading(root) {
  const heading = root.querySelector("h1, h2");
  if (!heading) return;
  heading.setAttribute("tabindex", "-1");
  heading.focus({ preventScroll: true });
}

export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false; // insecure origin or an old WebView: the text is on screen to copy by hand
  }
}

// Small line icons (no icon font: one less download on a data plan, and emoji fonts vary).
const ICONS = {
  clip: "M16.5 6.5 8.6 14.4a2 2 0 0 0 2.8 2.8l7.9-7.9a4 4 0 0 0-5.7-5.7L5.7 11.5a6 6 0 0 0 8.5 8.5l6.3-6.3",
  video: "M3 7h12v10H3zM15 10l6-3v10l-6-3",
  search: "M10.5 17a6.5 6.5 0 1 0 0-13 6.5 6.5 0 0 0 0 13zM15.3 15.3 21 21",
};

export function icon(name) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "22");
  svg.setAttribute("height", "22");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", "icon");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", ICONS[name]);
  path.setAttribute("fill", "none");
  path.setAttribute("stroke", "currentColor");
  path.setAttribute("stroke-width", "2");
  path.setAttribute("stroke-linecap", "round");
  path.setAttribute("stroke-linejoin", "round");
  svg.append(path);
  return svg;
}
