// Member insight for organisers (#/insight): participation over time, the rooms, readiness per
// region, RSVPs against who came to meetings, the relation graph, falling rooms and members
// slipping away; each with its CSV. myActivitySection: a member's own, on the profile page.
// The server decides who may see what and logs every view; this page only draws.
import { api } from "/static/base/api.js";
import { freshFileUrl } from "/static/app/api.js";
import { barChart, graphChart, lineChart } from "/static/app/charts.js";
import { clear, h } from "/static/base/dom.js";
import { focusHeading } from "/static/app/dom.js";
import { i } from "/static/app/insight_strings.js";

function csvLink(view, query = "") {
  const link = h("a", { href: "#", class: "small insight-csv", dataset: { view } }, i.csv);
  link.addEventListener("click", async (event) => {
    if (link.download) return; // the file is ready: let the browser save it
    event.preventDefault();
    link.href = await freshFileUrl(`/api/insight/${view}?format=csv${query}`);
    link.download = `kamar-${view}.csv`;
    link.click();
  });
  return link;
}

function panel(id, title, view, ...body) {
  return h("section", { class: "insight-panel", id }, h("h2", {}, title), ...body, csvLink(view));
}

export async function renderInsight(app, container) {
  clear(container);
  const page = h("section", { class: "pad insight", id: "insight" },
    h("h1", {}, i.title), h("p", { class: "muted small", id: "insight-privacy" }, i.privacy));
  container.append(page);
  focusHeading(container);
  let views;
  try {
    const names = ["participation", "rooms", "regions", "meetings", "relations", "trends", "slipping"];
    const answers = await Promise.all(names.map((name) => api("GET", `/api/insight/${name}${name === "participation" ? "?period=week&count=12" : ""}`)));
    views = Object.fromEntries(names.map((name, n) => [name, answers[n]]));
  } catch (error) {
    page.append(h("p", { class: "error", role: "alert" }, error.message));
    return;
  }
  const { participation, rooms, regions, meetings, relations, trends, slipping } = views;
  page.append(panel("insight-participation", i.participation, "participation",
    participation.small_group ? h("p", { class: "muted" }, i.smallGroup(participation.members))
      : lineChart(participation.rows, [
        { key: "active", label: i.active }, { key: "new", label: i.newcomers },
        { key: "attended", label: i.attended }, { key: "messages", label: i.messages },
      ], i.participation)));
  page.append(panel("insight-rooms", i.rooms, "rooms",
    barChart(rooms.rows.map((room) => ({ name: room.name, value: room.active })), i.rooms)));
  page.append(panel("insight-regions", i.regions, "regions",
    barChart(regions.rows.map((row) => ({ name: row.region, value: row.score })), i.regions, 100)));
  page.append(panel("insight-meetings", i.meetings, "meetings",
    meetings.rows.length ? h("ul", {}, meetings.rows.map((row) => h("li", {},
      h("strong", {}, row.title), ` (${row.starts_at.slice(0, 10)}) `,
      h("span", { class: "muted small" }, row.small_group ? i.smallRoom : i.turnout(row)))))
      : h("p", { class: "muted" }, i.none)));
  page.append(panel("insight-relations", i.relations, "relations",
    h("p", { class: "muted small" }, i.communities(relations.rows.length, relations.modularity), " · ", i.isolated(relations.isolated)),
    relations.nodes.length ? graphChart(relations.nodes, relations.edges, i.relations) : h("p", { class: "muted" }, i.none),
    relations.brokers.length ? h("p", { class: "small" }, i.brokers + ": " + relations.brokers.map((b) => b.name).join(", ")) : null));
  const falling = trends.rows.filter((room) => room.falling);
  page.append(panel("insight-trends", i.trends, "trends",
    falling.length ? h("ul", {}, falling.map((room) => h("li", {}, i.falling(room)))) : h("p", { class: "muted" }, i.none)));
  page.append(panel("insight-slipping", i.slipping, "slipping",
    slipping.rows.length ? h("ul", {}, slipping.rows.map((member) => h("li", {}, `${member.name} (${member.last_active.slice(0, 10)})`)))
      : h("p", { class: "muted" }, i.none)));
}

// What Kamar keeps about the member and their own activity, week by week (GET /api/insight/me).
export function myActivitySection() {
  const body = h("div", { class: "my-activity-body" }, h("p", { class: "muted small" }, i.loading));
  const section = h("section", { class: "card my-activity", id: "my-activity" }, h("h2", {}, i.mine), body);
  api("GET", "/api/insight/me").then((mine) => {
    clear(body);
    const kept = mine.kept;
    body.append(
      h("p", { class: "small", id: "my-activity-kept" }, i.kept(kept)),
      h("p", { class: "small", id: "my-activity-deletion" }, i.onDeletion(kept)),
      lineChart(mine.weeks, [
        { key: "active_days", label: i.activeDays }, { key: "messages", label: i.messages },
        { key: "meeting_minutes", label: i.minutes },
      ], i.mine),
      h("p", { class: "muted small" }, i.mineNote));
  }).catch((error) => { clear(body); body.append(h("p", { class: "error" }, error.message)); });
  return section;
}
