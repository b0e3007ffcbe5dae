// Open reports for those who act on them (#/reports, docs/api.md): listings reported in rooms
// one moderates (GET /api/market/reports), and for administrators reported direct messages
// (GET /api/direct/reports). Each can be hidden (the listing; the reported message, deleted
// for both members) or dismissed; either closes it, and it leaves the page.
import { api } from "/static/base/api.js";
import { clear, h } from "/static/base/dom.js";
import { errorBox, focusHeading, shortStamp } from "/static/app/dom.js";
import { t } from "/static/strings.js";

export async function renderReports(app, container) {
  clear(container);
  const page = h("section", { class: "pad reports", id: "reports" }, h("h1", {}, t.reportsTitle));
  container.append(page);
  focusHeading(container);
  const admin = !!(app.me && app.me.is_admin);
  const [market, direct] = await Promise.all([
    api("GET", "/api/market/reports"),
    admin ? api("GET", "/api/direct/reports") : Promise.resolve({ reports: [] }),
  ]);
  const listings = market.listings.map((listing) => reportItem(
    `/api/market/reports/${listing.id}`, true,
    h("a", { href: `#/market/${listing.id}`, class: "report-subject" }, listing.title),
    listing.reports.map((reason) => h("span", { class: "block" }, `“${reason}”`))));
  const chats = direct.reports.map((report) => reportItem(
    `/api/direct/reports/${report.room_id}/${report.reporter.id}`, !!(report.message && !report.message.deleted),
    h("span", { class: "report-subject" }, t.reportedBy(report.reporter.display_name, report.reported.display_name)),
    [h("span", { class: "block" }, `“${report.reason}”`),
      report.message ? h("q", { class: "block muted" }, report.message.deleted ? t.messageDeleted : report.message.text) : null,
      h("span", { class: "muted small block" }, shortStamp(report.created_at))]));
  page.append(
    section("reports-listings", t.reportedListings, listings),
    admin ? section("reports-direct", t.reportedChats, chats) : null);
}

function section(id, title, items) {
  return h("section", { id }, h("h2", {}, title),
    items.length ? h("ul", { class: "plain-list report-list" }, items) : h("p", { class: "muted" }, t.noOpenReports));
}

// One report with its buttons: hide (when there is something to hide) and dismiss.
function reportItem(path, canHide, subject, details) {
  const box = errorBox();
  const item = h("li", { class: "report-item" }, subject, ...details);
  const act = async (action, button) => {
    for (const b of item.querySelectorAll("button")) b.disabled = true;
    box.hidden = true;
    try {
      await api("POST", path, { action });
      item.replaceChildren(subject, h("span", { class: "muted small block", role: "status" },
        action === "hide" ? t.reportHidden : t.reportDismissed));
    } catch (error) {
      for (const b of item.querySelectorAll("button")) b.disabled = false;
      box.textContent = error.message;
      box.hidden = false;
      button.focus();
    }
  };
  const hide = h("button", { type: "button", class: "small danger", dataset: { action: "hide" } }, t.reportHide);
  const dismiss = h("button", { type: "button", class: "small secondary", dataset: { action: "dismiss" } }, t.reportDismiss);
  hide.addEventListener("click", () => act("hide", hide));
  dismiss.addEventListener("click", () => act("dismiss", dismiss));
  item.append(h("div", { class: "row" }, canHide ? hide : null, dismiss), box);
  return item;
}
