// Recruitment across campaigns (#/recruitment, docs/organising.md): for administrators every
// sign-up, or those of new members in one region chosen with the picker; for anyone else the
// report of their own recruits (GET /api/recruitment/report decides, docs/api.md).
import { api } from "/static/base/api.js";
import { clear, h } from "/static/base/dom.js";
import { focusHeading } from "/static/app/dom.js";
import { c } from "/static/app/campaign_strings.js";
import { regionPicker } from "/static/app/region_picker.js";
import { reportSections } from "/static/app/report_parts.js";
import { t } from "/static/strings.js";

export async function renderRecruitment(app, container) {
  clear(container);
  const admin = !!(app.me && app.me.is_admin);
  const body = h("div", { id: "recruitment-report", "aria-live": "polite" });
  const page = h("section", { class: "pad form-page campaign-page", id: "recruitment" },
    h("div", { class: "page-head" },
      h("a", { href: "#/recruit", class: "back", "aria-label": t.back }, "←"),
      h("h1", {}, c.recruitmentTitle)),
    h("p", { class: "muted" }, admin ? c.recruitmentAll : c.recruitmentMine));
  let region = "";
  if (admin) {
    const picker = regionPicker("recruitment-region", (code) => {
      region = code || "";
      show(body, region).catch((error) => app.notify(error.message, { kind: "error" }));
    });
    page.append(h("details", { class: "more" }, h("summary", {}, c.regionFilter), picker.el));
  }
  page.append(body);
  container.append(page);
  focusHeading(container);
  await show(body, region);
}

let latest = 0; // a region chosen while the last one's report loads: only the newest is shown

async function show(body, region) {
  const mine = ++latest;
  clear(body).append(h("p", { class: "muted" }, c.loading));
  const url = (offset) => {
    const query = new URLSearchParams();
    if (region) query.set("region", region);
    if (offset) query.set("leaderboard_offset", String(offset));
    const text = query.toString();
    return `/api/recruitment/report${text ? `?${text}` : ""}`;
  };
  const report = await api("GET", url(0));
  if (mine !== latest) return;
  clear(body).append(...reportSections(report, url).filter(Boolean));
}
