// Recruitment (docs/organising.md): one's personal invitation link and QR code (#/recruit),
// and the page a link or a scanned QR code opens (#/join/CODE?via=qr&campaign=N): who invites,
// to which campaign, and a registration form that lands the new member in its rooms.
import { api } from "/static/base/api.js";
import { deviceId } from "/static/base/session.js";
import { clear, h } from "/static/base/dom.js";
import { copyText, errorBox, field, focusHeading, shortStamp, submitting } from "/static/app/dom.js";
import { c } from "/static/app/campaign_strings.js";
import { t } from "/static/strings.js";

// "#/join/CODE?via=qr&campaign=3" -> {code, via, campaignId}
export function parseJoin(hash) {
  const [path, query = ""] = hash.replace(/^#\/?/, "").split("?");
  const code = decodeURIComponent(path.split("/")[1] || "");
  const params = new URLSearchParams(query);
  const campaign = Number(params.get("campaign"));
  return {
    code,
    via: params.get("via") === "qr" ? "qr" : "link",
    campaignId: Number.isInteger(campaign) && campaign > 0 ? campaign : null,
  };
}

export async function renderJoin(app, container, hash) {
  const { code, via, campaignId } = parseJoin(hash);
  clear(container);
  const card = h("section", { class: "card auth", id: "join" }, h("h1", {}, t.joinTitle));
  container.append(card);
  focusHeading(container);
  let preview;
  try {
    const query = campaignId ? `?campaign=${campaignId}` : "";
    preview = await api("GET", `/api/referrals/${encodeURIComponent(code)}${query}`);
  } catch (error) {
    card.append(h("p", { class: "error", role: "alert" }, error.status === 404 ? t.joinBadLink : error.message),
      h("a", { href: "#/register", class: "button" }, t.registerButton));
    return;
  }
  card.append(
    h("p", { id: "join-inviter" }, t.joinInvitedBy(preview.recruiter.display_name)),
    preview.campaign ? h("p", { class: "hint", id: "join-campaign" }, t.joinCampaign(preview.campaign.name)) : null,
    joinForm(app, code, via, preview.campaign ? preview.campaign.id : null),
    h("p", { class: "switch" }, t.haveAccount, " ", h("a", { href: "#/login" }, t.loginButton)));
}

function joinForm(app, code, via, campaignId) {
  const box = errorBox();
  const input = (name, attrs = {}) => h("input", { name, id: `join-${name}`, ...attrs });
  const form = h("form", { novalidate: true, id: "join-form" },
    field(t.displayNameLabel, input("display_name", { required: true, maxlength: 80, autocomplete: "name" })),
    field(t.usernameLabel, input("username", { maxlength: 32, autocomplete: "username", autocapitalize: "none", spellcheck: "false" }), t.usernameHint),
    field(t.phoneLabel, input("phone", { type: "tel", maxlength: 16, autocomplete: "tel", placeholder: "+62…" }), t.phoneHint),
    field(t.passwordLabel, input("password", { type: "password", required: true, minlength: 8, autocomplete: "new-password" }), t.passwordHint),
    box,
    h("button", { type: "submit", class: "primary", id: "join-submit" }, t.joinRegisterButton));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = (name) => form.elements[name].value.trim();
    const body = { display_name: value("display_name"), password: form.elements.password.value, via, device: deviceId() };
    if (value("username")) body.username = value("username").toLowerCase();
    if (value("phone")) body.phone = value("phone").replace(/[\s-]/g, "");
    if (campaignId) body.campaign_id = campaignId;
    submitting(form, box, async () => {
      const result = await api("POST", `/api/join/${encodeURIComponent(code)}`, body);
      await app.signedIn(result.token, result.user, result.rooms.length ? `#/rooms/${result.rooms[0]}` : "#/rooms");
    });
  });
  return form;
}

// #/recruit: the member's link and QR code, for a campaign or not, and whom they brought in.
export async function renderRecruit(app, container) {
  clear(container);
  const page = h("section", { class: "pad form-page", id: "recruit" },
    h("div", { class: "page-head" },
      h("a", { href: "#/rooms", class: "back", "aria-label": t.back }, "←"),
      h("h1", {}, t.recruitTitle)),
    h("p", { class: "muted small" }, t.recruitExplain),
    h("p", {}, h("a", { href: "#/campaigns", id: "open-campaigns" }, t.campaignsLink)),
    h("p", {}, h("a", { href: "#/recruitment", id: "open-recruitment" }, c.recruitmentLink)));
  container.append(page);
  focusHeading(container);
  const chooser = h("select", { id: "recruit-campaign" }, h("option", { value: "" }, t.recruitNoCampaign));
  const linkBox = h("div", { id: "recruit-link-box" });
  const recruits = h("div", { id: "recruit-list" });
  page.append(field(t.recruitCampaignLabel, chooser), linkBox, recruits);
  chooser.addEventListener("change", () => showLink(linkBox, chooser.value));
  try {
    const { campaigns } = await api("GET", "/api/campaigns");
    for (const campaign of campaigns.filter((c) => c.running)) {
      chooser.append(h("option", { value: String(campaign.id) }, campaign.name));
    }
  } catch (error) {
    app.notify(error.message, { kind: "error" });
  }
  await Promise.all([showLink(linkBox, chooser.value), showRecruits(recruits)]);
}

async function showLink(box, campaignId) {
  const mine = await api("GET", `/api/me/referral${campaignId ? `?campaign=${campaignId}` : ""}`);
  const url = location.origin + mine.url;
  const copied = h("span", { class: "muted small", role: "status", id: "recruit-copied" });
  const share = navigator.share
    ? h("button", { type: "button", class: "secondary", id: "recruit-share",
      onclick: () => navigator.share({ title: t.recruitShareTitle, text: t.recruitShareText, url }).catch(() => {}) },
    t.share)
    : null;
  clear(box).append(
    h("label", { class: "field" }, h("span", {}, t.recruitLinkLabel),
      h("input", { id: "recruit-link", readonly: true, value: url })),
    h("div", { class: "row wrap" },
      h("button", { type: "button", id: "recruit-copy",
        onclick: async () => { copied.textContent = (await copyText(url)) ? t.copied : t.copyByHand; } }, t.copyLink),
      share, copied),
    h("img", { id: "recruit-qr", class: "qr", src: mine.qr_png, alt: t.recruitQrAlt, width: 264, height: 264 }),
    h("p", {}, h("a", { href: mine.qr_svg, download: `kamar-${mine.code}.svg`, id: "recruit-qr-svg" }, t.recruitQrPrint)));
}

async function showRecruits(box) {
  const mine = await api("GET", "/api/me/recruits");
  clear(box).append(
    h("h2", {}, t.recruitedTitle, " ", h("span", { id: "recruit-count", class: "badge" }, String(mine.count))),
    mine.count
      ? h("ul", { class: "recruits" }, mine.recruits.map((r) =>
        h("li", {}, r.user.display_name, " ",
          h("span", { class: "muted small" }, t.channels[r.channel], " · ", c.joined, " ", shortStamp(r.joined_at)))))
      : h("p", { class: "muted" }, t.recruitedNone));
}
