// Campaigns (#/campaigns, docs/organising.md): the running and coming campaigns of one's rooms,
// each with its figures for those who organise it (sign-ups against the target, active within
// 7 and 30 days, flagged sign-ups, the top five) and a link to its own page with the whole
// report (web/app/campaign_page.js), and a form to start one in rooms one owns or moderates.
import { api } from "/static/base/api.js";
import { clear, h } from "/static/base/dom.js";
import { errorBox, field, focusHeading, submitting } from "/static/app/dom.js";
import { c } from "/static/app/campaign_strings.js";
import { regionPicker } from "/static/app/region_picker.js";
import { t } from "/static/strings.js";

const LEADERS_SHOWN = 5;

export async function renderCampaigns(app, container) {
  clear(container);
  const list = h("div", { id: "campaign-list" }, h("p", { class: "muted" }, t.loading));
  const page = h("section", { class: "pad form-page", id: "campaigns" },
    h("div", { class: "page-head" },
      h("a", { href: "#/recruit", class: "back", "aria-label": t.back }, "←"),
      h("h1", {}, t.campaignsTitle)),
    list);
  if (!app.roomsLoaded) await app.loadRooms().catch(() => {}); // opened straight from a link
  const moderated = [...app.rooms.values()].filter((room) => ["owner", "moderator"].includes(room.my_role));
  if (moderated.length) {
    page.insertBefore(h("p", {}, h("a", { href: "#/announce", id: "open-announce" }, t.announceLink)), list);
  }
  if (app.me && app.me.is_admin) {
    page.insertBefore(h("p", {}, h("a", { href: "#/recruitment", id: "open-recruitment" }, c.recruitmentLink)), list);
  }
  if (moderated.length) {
    page.append(createForm(moderated, () => showList(list)));
  }
  container.append(page);
  focusHeading(container);
  await showList(list);
}

async function showList(list) {
  const { campaigns } = await api("GET", "/api/campaigns");
  clear(list);
  if (!campaigns.length) list.append(h("p", { class: "muted" }, t.campaignsNone));
  for (const campaign of campaigns) list.append(await card(campaign));
}

async function card(campaign) {
  const el = h("article", { class: "campaign", dataset: { campaignId: campaign.id } },
    h("h2", {}, h("a", { href: `#/campaigns/${campaign.id}`, class: "campaign-open" }, campaign.name)),
    h("p", { class: "muted small" }, campaign.rooms.map((room) => room.name).join(", ")));
  let report;
  try {
    report = await api("GET", `/api/campaigns/${campaign.id}/report`);
  } catch (error) {
    if (error.status !== 403) el.append(h("p", { class: "error" }, error.message));
    return el; // a member sees the campaign; its report is for its organisers
  }
  el.append(
    h("p", { class: "campaign-figures" },
      h("strong", { class: "campaign-signups" }, String(report.signups)),
      report.target ? ` / ${report.target} ` : " ", t.signupsWord, " · ",
      t.activeWithin(7, report.active_7d), " · ", t.activeWithin(30, report.active_30d),
      report.flagged ? h("span", { class: "campaign-flagged" }, " · ", t.flaggedCount(report.flagged)) : null),
    h("ol", { class: "leaderboard" }, report.leaderboard.slice(0, LEADERS_SHOWN).map((row) =>
      h("li", {}, row.recruiter.display_name, " ", h("span", { class: "muted small" }, String(row.signups))))),
    h("p", {}, h("a", { href: `#/campaigns/${campaign.id}`, class: "campaign-report-link" }, c.open, " →")));
  return el;
}

function createForm(rooms, onCreated) {
  const box = errorBox();
  const picker = regionPicker("campaign-region");
  const today = new Date().toISOString().slice(0, 10);
  const input = (name, attrs = {}) => h("input", { name, id: `campaign-${name}`, ...attrs });
  const form = h("form", { novalidate: true, id: "campaign-form" },
    h("h2", {}, t.campaignNew),
    field(t.campaignName, input("name", { required: true, maxlength: 120 })),
    h("fieldset", { class: "region", name: "room_ids" },
      h("legend", {}, t.campaignRooms),
      rooms.map((room) => h("label", { class: "check" },
        h("input", { type: "checkbox", name: "room", value: String(room.id) }), " ", room.name))),
    h("div", { class: "row wrap" },
      field(t.campaignStarts, input("starts_at", { type: "date", value: today, required: true })),
      field(t.campaignEnds, input("ends_at", { type: "date", required: true }))),
    field(t.campaignTarget, input("target", { type: "number", min: 0, inputmode: "numeric" })),
    h("details", { class: "more" }, h("summary", {}, t.regionTitle), picker.el),
    box,
    h("button", { type: "submit", class: "primary" }, t.campaignCreate));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = (name) => form.elements[name].value.trim();
    const body = {
      name: value("name"),
      room_ids: [...form.querySelectorAll("input[name=room]:checked")].map((box) => Number(box.value)),
      // Whole days in the member's own zone (the server reads times without an offset there).
      starts_at: `${value("starts_at")}T00:00`,
      ends_at: value("ends_at") ? `${value("ends_at")}T23:59` : "",
      timezone: Intl.DateTimeFormat().resolvedOptions().timeZone || "Asia/Jakarta",
    };
    if (value("target")) body.target = Number(value("target"));
    if (picker.value()) body.region_code = picker.value();
    submitting(form, box, async () => {
      await api("POST", "/api/campaigns", body);
      form.reset();
      await onCreated();
    });
  });
  return form;
}
