// A recruitment report drawn for a phone (GET /api/campaigns/ID/report or
// /api/recruitment/report, docs/api.md): progress against the target, the 7- and 30-day active
// counts, sign-ups per day as columns, the channels, the regencies and cities, and the whole
// leaderboard in pages of 20. Bars are <meter> and <progress> elements or SVG: the page's CSP
// forbids inline styles, so no element gets a width by hand.
import { api } from "/static/base/api.js";
import { h } from "/static/base/dom.js";
import { columnChart } from "/static/app/charts.js";
import { c } from "/static/app/campaign_strings.js";
import { pageLanguage } from "/static/strings.js";

const DAY_MS = 86_400_000;
const MOST_DAYS = 92; // a season's campaign; older days are left off the chart, not the counts
const LOCALE = pageLanguage === "id" ? "id-ID" : "en-GB";

// `pageUrl(offset)`: the same report's address with the leaderboard starting at `offset`.
export function reportSections(report, pageUrl) {
  return [
    targetSection(report),
    daysSection(report.per_day),
    report.signups ? listSection("report-channels", c.channels, report.by_channel.map((row) => ({
      name: c.channelNames[row.channel] || row.channel, key: row.channel, ...row })), report.signups) : null,
    report.signups ? listSection("report-regions", c.byRegion, report.by_region.map((row) => ({
      name: row.name || c.noRegion, key: row.code, ...row })), report.signups) : null,
    leaderboardSection(report, pageUrl),
  ];
}

function figure(label, value, extra = {}) {
  return h("div", { class: "report-figure", ...extra }, h("strong", {}, String(value)), h("span", {}, label));
}

function targetSection(report) {
  const figures = h("div", { class: "report-figures" },
    figure(c.active7, report.active_7d, { id: "report-active-7" }),
    figure(c.active30, report.active_30d, { id: "report-active-30" }),
    report.flagged ? figure(c.flagged, report.flagged, { id: "report-flagged", class: "report-figure warn" }) : null);
  const progress = report.target
    ? [h("p", { class: "report-progress-text", id: "report-progress-text" }, c.progress(report.signups, report.target)),
      h("progress", { id: "report-progress", max: report.target, value: Math.min(report.signups, report.target),
        "aria-label": c.progressLabel })]
    : [h("p", { class: "report-progress-text", id: "report-progress-text" }, c.noTarget(report.signups))];
  return h("section", { class: "report-part", id: "report-target" }, ...progress, figures,
    h("p", { class: "muted small" }, c.activeNote));
}

// The API lists only days with sign-ups: the chart shows the days between them too, as zeros.
export function dayRows(perDay) {
  if (!perDay.length) return [];
  const counts = new Map(perDay.map((row) => [Date.parse(row.day), row.signups]));
  const last = Date.parse(perDay[perDay.length - 1].day);
  const first = Math.max(Date.parse(perDay[0].day), last - (MOST_DAYS - 1) * DAY_MS);
  const rows = [];
  for (let day = first; day <= last; day += DAY_MS) {
    const date = new Date(day);
    rows.push({
      key: date.toISOString().slice(0, 10),
      label: date.toLocaleDateString(LOCALE, { day: "numeric", month: "short", timeZone: "UTC" }),
      value: counts.get(day) || 0,
    });
  }
  return rows;
}

function daysSection(perDay) {
  const rows = dayRows(perDay);
  return h("section", { class: "report-part", id: "report-days" },
    h("h2", {}, c.perDay),
    rows.length ? columnChart(rows, c.perDayChart(rows.length)) : h("p", { class: "muted" }, c.noSignups),
    rows.length ? h("p", { class: "muted small" }, c.perDayNote) : null);
}

// rows: [{name, key, signups, active_7d}]; a meter per row against all sign-ups.
function listSection(id, title, rows, all) {
  return h("section", { class: "report-part", id },
    h("h2", {}, title),
    h("ul", { class: "report-rows" }, rows.map((row) => h("li", { dataset: { key: row.key } },
      h("span", { class: "report-row-name" }, row.name),
      h("strong", { class: "report-row-count" }, String(row.signups)),
      h("meter", { min: 0, max: all, value: row.signups, "aria-label": row.name }),
      row.signups ? h("span", { class: "muted small report-row-note" }, c.activeOf(row.active_7d, row.signups)) : null))));
}

function leaderRow(row) {
  return h("li", { value: row.rank, dataset: { recruiterId: row.recruiter.id } },
    h("span", { class: "leader-name" }, row.recruiter.display_name),
    h("span", { class: "muted small block" }, c.leaderRow(row),
      row.flagged ? h("span", { class: "campaign-flagged" }, " · ", c.leaderFlagged(row.flagged)) : null));
}

function leaderboardSection(report, pageUrl) {
  const list = h("ol", { class: "leaderboard full", id: "report-leaderboard" }, report.leaderboard.map(leaderRow));
  const count = h("p", { class: "muted small", id: "report-leaders-shown" });
  const more = h("button", { type: "button", id: "report-more", class: "secondary" }, c.more);
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const update = () => {
    const shown = list.children.length;
    count.textContent = c.shown(shown, report.recruiters);
    more.hidden = shown >= report.recruiters;
  };
  more.addEventListener("click", async () => {
    more.disabled = true;
    try {
      const next = await api("GET", pageUrl(list.children.length));
      list.append(...next.leaderboard.map(leaderRow));
      error.hidden = true;
    } catch (failure) {
      error.textContent = failure.message;
      error.hidden = false;
    } finally {
      more.disabled = false;
      update();
    }
  });
  update();
  return h("section", { class: "report-part", id: "report-leaders" },
    h("h2", {}, c.leaderboard), report.leaderboard.length ? list : h("p", { class: "muted" }, c.noSignups),
    count, more, error);
}
