// One campaign's page (#/campaigns/ID, docs/organising.md): its rooms, dates and region, and
// for its organisers the whole report (web/app/report_parts.js). Members of its rooms see the
// campaign without the report, as the API decides (403).
import { api } from "/static/base/api.js";
import { clear, h } from "/static/base/dom.js";
import { focusHeading } from "/static/app/dom.js";
import { c } from "/static/app/campaign_strings.js";
import { reportSections } from "/static/app/report_parts.js";
import { pageLanguage, t } from "/static/strings.js";

const LOCALE = pageLanguage === "id" ? "id-ID" : "en-GB";

function day(iso) {
  return new Date(iso).toLocaleDateString(LOCALE, { day: "numeric", month: "short", year: "numeric" });
}

export async function renderCampaign(app, container, campaignId) {
  clear(container);
  const body = h("div", { id: "campaign-report" }, h("p", { class: "muted" }, c.loading));
  const heading = h("h1", {}, t.campaignsTitle);
  const page = h("section", { class: "pad form-page campaign-page", id: "campaign-page" },
    h("div", { class: "page-head" },
      h("a", { href: "#/campaigns", class: "back", "aria-label": t.back }, "←"), heading),
    body);
  container.append(page);
  focusHeading(container);
  const base = `/api/campaigns/${encodeURIComponent(campaignId)}`;
  const campaign = await api("GET", base);
  heading.textContent = campaign.name;
  const region = campaign.region_code
    ? await api("GET", `/api/regions/${encodeURIComponent(campaign.region_code)}`).catch(() => null)
    : null;
  const about = h("div", { class: "campaign-about" },
    h("p", { class: "muted small" },
      c.period(day(campaign.starts_at), day(campaign.ends_at)), " · ",
      campaign.running ? c.running : c.notRunning),
    region ? h("p", { class: "muted small", id: "campaign-region-name" }, c.region(region.name)) : null,
    h("p", { class: "muted small" }, campaign.rooms.map((room) => room.name).join(", ")));
  clear(body).append(about);
  let report;
  try {
    report = await api("GET", `${base}/report`);
  } catch (error) {
    if (error.status !== 403) body.append(h("p", { class: "error" }, error.message));
    return; // the report is for the campaign's organisers
  }
  body.append(...reportSections(report, (offset) => `${base}/report?leaderboard_offset=${offset}`)
    .filter(Boolean));
}
