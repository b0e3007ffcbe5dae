// Member insight for organisers (#/insight): participation over time, the rooms, readiness per
// region, RSVPs against who came to meetings, the relation graph, falling rooms and members
// slipping away; each with its CSV. myActivitySection: a member's own, on the profile page.
// The server decides who may see what and logs every view; this page only draws.
import { api } from "/static/base/api.js";
import { freshFileUrl } from "/static/app/api.js";
import { barChart, graphChart, lineChart } from "/static/app/charts.js";
import { clear, h } from "/static/base/dom.js";
import { field, focusHeading } from "/static/app/dom.js";
import { i } from "/static/app/insight_strings.js";

const VIEWS = ["participation", "rooms", "regions", "meetings", "relations", "trends", "slipping"];

function csvLink(view, query = "") {
  const link = h("a", { href: "#", class: "small insight-csv", dataset: { view, query } }, i.csv);
  link.addEventListener("click", async (event) => {
    if (link.download) return; // the file is ready: let the browser save it
    event.preventDefault();
    link.href = await freshFileUrl(`/api/insight/${view}?format=csv${query}`);
    link.download = `kamar-${view}.csv`;
    link.click();
  });
  return link;
}

// "&room_id=2" for one room, "&period=day&count=28" for participation: what each view asks.
function queryOf(view, state) {
  const params = new URLSearchParams();
  if (state.roomId) params.set("room_id", state.roomId);
  if (view === "participation" && state.region) params.set("region", state.region);
  if (view === "participation") {
    params.set("period", state.period);
    params.set("count", String(PERIOD_COUNTS[state.period]));
  }
  const text = params.toString();
  return text ? `&${text}` : "";
}

const PERIOD_COUNTS = { day: 28, week: 12, month: 12 };
const PREPARE_RETRY_MS = 30_000; // the server's Retry-After for insight_preparing

function panel(id, title, view, state, ...body) {
  return h("section", { class: "insight-panel", id }, h("h2", {}, title), ...body,
    csvLink(view, queryOf(view, state)));
}

async function fetchView(view, state) {
  return api("GET", `/api/insight/${view}?${queryOf(view, state).slice(1)}`);
}

// state: {roomId: "" for the whole scope, period: "day" | "week" | "month", region: a code
// or "" (participation only)}.
export async function renderInsight(app, container, state = { roomId: "", period: "week", region: "" }) {
  clear(container);
  const page = h("section", { class: "pad insight", id: "insight" },
    h("h1", {}, i.title), h("p", { class: "muted small", id: "insight-privacy" }, i.privacy));
  container.append(page);
  focusHeading(container);
  let views;
  try {
    const answers = await Promise.all(VIEWS.map((view) => fetchView(view, state)));
    views = Object.fromEntries(VIEWS.map((view, n) => [view, answers[n]]));
  } catch (error) {
    page.append(h("p", { class: "error", role: "alert", id: "insight-error" }, error.message));
    // The first roll-up of a long history is still running: ask again while the page is open.
    if (error.reason === "insight_preparing") {
      setTimeout(() => { if (page.isConnected) renderInsight(app, container, state); }, PREPARE_RETRY_MS);
    }
    return;
  }
  if (!state.roomId) state.rooms = views.rooms.rows; // the rooms one may narrow to
  // Regions big enough to break down, by their codes (members who wrote text have none).
  state.regions = views.regions.rows.filter((row) => row.code && !row.small_group);
  page.append(controls(app, container, state), participationPanel(views.participation, state),
    ...panels(views, state));
}

// Which rooms (all of one's scope, or one) and which periods (days, weeks, 28-day months).
function controls(app, container, state) {
  const room = h("select", { id: "insight-room" }, h("option", { value: "" }, i.allRooms),
    (state.rooms || []).map((row) => h("option", { value: String(row.room_id), selected: String(row.room_id) === state.roomId }, row.name)));
  room.addEventListener("change", () => renderInsight(app, container, { ...state, roomId: room.value, region: "" }));
  const period = h("select", { id: "insight-period" },
    Object.entries(i.periods).map(([value, label]) => h("option", { value, selected: value === state.period }, label)));
  const region = h("select", { id: "insight-region" }, h("option", { value: "" }, i.allRegions),
    state.regions.map((row) => h("option", { value: row.code, selected: row.code === state.region }, row.region)));
  // Period and region change the participation panel only.
  const redraw = async (change) => {
    const next = { ...state, ...change };
    const old = container.querySelector("#insight-participation");
    try {
      old.replaceWith(participationPanel(await fetchView("participation", next), next));
      Object.assign(state, change);
    } catch (error) {
      old.append(h("p", { class: "error", role: "alert" }, error.message));
    }
  };
  period.addEventListener("change", () => redraw({ period: period.value }));
  region.addEventListener("change", () => redraw({ region: region.value }));
  return h("div", { class: "row wrap insight-controls" }, field(i.roomLabel, room), field(i.periodLabel, period),
    state.regions.length ? field(i.regionLabel, region) : null);
}

function participationPanel(participation, state) {
  const where = state.region ? (state.regions.find((row) => row.code === state.region) || {}).region : null;
  const title = i.participation[state.period] + (where ? ` · ${where}` : "");
  return panel("insight-participation", title, "participation", state,
    participation.small_group ? h("p", { class: "muted" }, i.smallGroup(participation.members))
      : lineChart(participation.rows, [
        { key: "active", label: i.active }, { key: "new", label: i.newcomers },
        { key: "attended", label: i.attended }, { key: "messages", label: i.messages },
      ], title),
    participation.small_group ? null : h("p", { class: "muted small" }, i.soFar[state.period]));
}

function panels({ rooms, regions, meetings, relations, trends, slipping }, state) {
  const none = () => h("p", { class: "muted" }, i.none);
  const falling = trends.rows.filter((room) => room.falling);
  const fallingRegions = regions.rows.filter((row) => row.falling);
  return [
    panel("insight-rooms", i.rooms, "rooms", state,
      barChart(rooms.rows.map((room) => ({ name: room.name, value: room.active })), i.rooms)),
    panel("insight-regions", i.regions, "regions", state,
      // Scored regions only: the small groups' empty bars would push them off the screen.
      barChart(regions.rows.filter((row) => !row.small_group).map((row) => ({ name: row.region, value: row.score })), i.regions, 100),
      h("p", { class: "small", id: "insight-formula" }, i.formula),
      h("ul", { class: "small insight-worked" }, regions.rows.filter((row) => !row.small_group).map((row) => h("li", {}, i.worked(row)))),
      regions.rows.some((row) => row.small_group) ? h("p", { class: "muted small" }, i.smallRegions(regions.rows.filter((row) => row.small_group).length)) : null),
    panel("insight-meetings", i.meetings, "meetings", state,
      meetings.rows.length ? h("ul", {}, meetings.rows.map((row) => h("li", {},
        h("strong", {}, row.title), ` (${row.starts_at.slice(0, 10)}) `,
        h("span", { class: "muted small" }, row.small_group ? i.smallRoom : i.turnout(row))))) : none()),
    panel("insight-relations", i.relations, "relations", state,
      h("p", { class: "muted small" }, i.communities(relations.rows.length, relations.modularity), " · ", i.isolated(relations.isolated)),
      relations.nodes.length ? graphChart(relations.nodes, relations.edges, i.relations) : none(),
      relations.brokers.length ? h("p", { class: "small" }, i.brokers + ": " + relations.brokers.map((b) => b.name).join(", ")) : null),
    panel("insight-trends", i.trends, "trends", state,
      falling.length ? h("ul", {}, falling.map((room) => h("li", {}, i.falling(room)))) : none(),
      fallingRegions.length ? h("ul", { id: "insight-falling-regions" }, fallingRegions.map((row) => h("li", {}, i.fallingRegion(row)))) : null),
    panel("insight-slipping", i.slipping, "slipping", state,
      slipping.rows.length ? h("ul", {}, slipping.rows.map((member) => h("li", {}, `${member.name} (${member.last_active.slice(0, 10)})`))) : none()),
  ];
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
