// The profile page (#/me): one's account, the details room members see (name, organisation,
// region), a new password, signing out other devices, the personal calendar link, the
// members one has blocked, what Kamar keeps about one, and deleting the account.
//
// Changing the password and "sign out everywhere" both answer with a new session token: every
// older token, this device's included, stops working, so the new one replaces it at once
// (app.replaceSession, which also reconnects the feed).
import { ApiError, api } from "/static/base/api.js";
import { blockedSection } from "/static/app/direct.js";
import { deleteAccountSection } from "/static/app/delete_account.js";
import { clear, h } from "/static/base/dom.js";
import { copyText, errorBox, field, focusHeading, showFormError, submitting } from "/static/app/dom.js";
import { myActivitySection } from "/static/app/insight.js";
import { regionPicker, rtRwLooksRight } from "/static/app/region_picker.js";
import { notificationsSection } from "/static/app/notifications.js";
import { avatar, avatarControls } from "/static/app/avatar.js";
import { t } from "/static/strings.js";

const REGION_KEYS = ["province", "city", "rt_rw"];

export function renderProfile(app, container) {
  clear(container);
  const me = app.me || {};
  const account = { el: accountCard(me) };
  const calendar = calendarSection(app);
  const details = detailsSection(app, () => showAccount());
  const refresh = () => refreshMe(app, page, { showAccount, calendar, details });
  const page = h("section", { class: "pad form-page profile", id: "profile" },
    h("div", { class: "page-head" },
      h("a", { href: "#/rooms", class: "back", "aria-label": t.back }, "←"),
      h("h1", {}, t.profileTitle)),
    account.el,
    section("profile-photo", t.avatarTitle, avatarControls(app, () => { showAccount(); app.renderRooms(); })),
    details.section,
    passwordSection(app, refresh),
    sessionsSection(app, refresh),
    calendar.section,
    notificationsSection(),
    blockedSection(app),
    myActivitySection(),
    deleteAccountSection(app),
    h("div", { class: "profile-signout" },
      h("button", { type: "button", id: "profile-logout", class: "secondary", onclick: () => app.signOut(true) }, t.logoutHere)));
  container.append(page);
  focusHeading(container);
  refresh(); // a change made on another device shows here too

  function showAccount() {
    const fresh = accountCard(app.me || {});
    account.el.replaceWith(fresh);
    account.el = fresh;
  }
}

// Refetches GET /api/me: the summary and the calendar link follow; the form only while untouched.
async function refreshMe(app, page, parts) {
  let fresh;
  try {
    fresh = await api("GET", "/api/me");
  } catch {
    return; // what is on screen is still right enough; a 401 has gone to the login view
  }
  if (!page.isConnected || !app.me) return;
  app.putMe(fresh);
  parts.showAccount();
  parts.calendar.update(app.me);
  if (!parts.details.dirty()) parts.details.fill(app.me);
}

function accountCard(me) {
  const lines = [
    me.organisation ? h("span", { class: "muted block small" }, me.organisation) : null,
    me.username ? h("span", { class: "muted block small" }, t.usernameShort, " ", h("span", { id: "profile-username" }, me.username)) : null,
    me.phone ? h("span", { class: "muted block small" }, t.phoneShort, " ", me.phone) : null,
  ];
  return h("div", { class: "account-card", id: "profile-account" },
    avatar(me.id, me.display_name, "large"),
    h("div", { class: "account-text" },
      h("strong", { id: "profile-name" }, me.display_name || ""),
      me.is_admin ? h("span", { class: "role" }, t.adminBadge) : null,
      lines));
}

function section(id, title, ...children) {
  return h("section", { class: "profile-section", id, "aria-labelledby": `${id}-title` },
    h("h2", { id: `${id}-title` }, title), ...children);
}

// Display name, organisation and region: PATCH /api/me with what changed.
function detailsSection(app, onSaved) {
  const box = errorBox();
  const status = h("p", { class: "muted form-status", role: "status", id: "profile-status" });
  const input = (name, attrs = {}) => h("input", { name, id: `profile-${name}`, ...attrs });
  // With a region picked, province and city are its names (the server fills them in).
  const freeText = h("div", { class: "row wrap" },
    field(t.provinceLabel, input("province", { maxlength: 80 })),
    field(t.cityLabel, input("city", { maxlength: 80 })));
  const picker = regionPicker("profile-region", (code) => {
    freeText.hidden = Boolean(code);
    touched = true;
  });
  const form = h("form", { novalidate: true, id: "profile-form" },
    field(t.displayNameLabel, input("display_name", { required: true, maxlength: 80, autocomplete: "name" })),
    field(t.organisationLabel, input("organisation", { maxlength: 120, autocomplete: "organization" })),
    // Named, so a server error about "region" marks the whole group.
    h("fieldset", { class: "region", name: "region", tabindex: "-1" },
      h("legend", {}, t.regionTitle),
      picker.el,
      freeText,
      field(t.rtRwLabel, input("rt_rw", { maxlength: 20, placeholder: "RT 05 / RW 02", inputmode: "numeric" }))),
    box,
    h("div", { class: "form-actions" }, status,
      h("button", { type: "submit", class: "primary", id: "profile-save" }, t.saveProfile)));
  let touched = false;
  const value = (name) => form.elements[name].value.trim();

  const fill = (me) => {
    const region = me.region || {};
    form.elements.display_name.value = me.display_name || "";
    form.elements.organisation.value = me.organisation || "";
    for (const key of REGION_KEYS) form.elements[key].value = region[key] || "";
    picker.set(region.code || "", [region.city, region.province].filter(Boolean).join(", "));
    freeText.hidden = Boolean(region.code);
    touched = false;
  };

  const changes = (me) => {
    const body = {};
    if (value("display_name") !== (me.display_name || "")) body.display_name = value("display_name");
    if (value("organisation") !== (me.organisation || "")) body.organisation = value("organisation");
    const old = me.region || {};
    const region = Object.fromEntries(REGION_KEYS.map((key) => [key, value(key)]));
    region.code = picker.value();
    if ([...REGION_KEYS, "code"].some((key) => region[key] !== (old[key] || ""))) body.region = region;
    return body;
  };

  form.addEventListener("input", () => {
    touched = true;
    status.textContent = "";
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    status.textContent = "";
    const body = changes(app.me || {});
    if (!Object.keys(body).length) {
      showFormError(form, box, null);
      status.textContent = t.nothingChanged;
      return;
    }
    if (body.region && !rtRwLooksRight(body.region.rt_rw)) {
      showFormError(form, box, { message: t.rtRwInvalid, field: "rt_rw" });
      return;
    }
    submitting(form, box, async () => {
      const user = await api("PATCH", "/api/me", body);
      app.putMe(user);
      fill(app.me);
      onSaved();
      status.textContent = t.profileSaved;
    });
  });
  fill(app.me || {});
  return {
    section: section("profile-details", t.profileDetailsTitle,
      h("p", { class: "muted small" }, t.profileDetailsExplain), form),
    fill,
    dirty: () => touched,
  };
}

// POST /api/me/password: a wrong current password is a field error here, not a sign-out.
function passwordSection(app, afterNewToken) {
  const box = errorBox();
  const status = h("p", { class: "muted form-status", role: "status", id: "password-status" });
  const secret = (name, autocomplete) => h("input", {
    type: "password", name, id: `profile-${name}`, autocomplete, required: true, maxlength: 256,
  });
  const me = app.me || {};
  const form = h("form", { novalidate: true, id: "password-form" },
    // For password managers: which account the new password belongs to.
    h("input", { type: "text", name: "username", autocomplete: "username", value: me.username || me.phone || "", readonly: true, hidden: true, tabindex: "-1" }),
    field(t.currentPasswordLabel, secret("current_password", "current-password")),
    field(t.newPasswordLabel, secret("new_password", "new-password"), t.passwordHint),
    field(t.repeatPasswordLabel, secret("new_password_repeat", "new-password")),
    box,
    h("div", { class: "form-actions" }, status,
      h("button", { type: "submit", class: "primary", id: "password-submit" }, t.changePasswordButton)));
  form.addEventListener("input", () => { status.textContent = ""; });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    status.textContent = "";
    const current = form.elements.current_password.value;
    const next = form.elements.new_password.value;
    const length = [...next].length; // characters, as the server counts them
    if (length < 8 || length > 256) {
      showFormError(form, box, new ApiError(0, "invalid", t.passwordLength, "new_password"));
      return;
    }
    if (next !== form.elements.new_password_repeat.value) {
      showFormError(form, box, new ApiError(0, "mismatch", t.passwordMismatch, "new_password_repeat"));
      return;
    }
    submitting(form, box, async () => {
      const { token } = await changingSession(app, () =>
        api("POST", "/api/me/password", { current_password: current, new_password: next }));
      app.replaceSession(token);
      form.reset();
      status.textContent = t.passwordChanged;
      afterNewToken();
    });
  });
  return section("profile-password", t.passwordTitle, h("p", { class: "muted small" }, t.passwordExplain), form);
}

// POST /api/me/sessions/revoke: every other device is signed out, this one gets a new token.
function sessionsSection(app, afterNewToken) {
  const box = errorBox();
  const status = h("p", { class: "muted form-status", role: "status", id: "sessions-status" });
  const button = h("button", { type: "button", class: "danger", id: "revoke-sessions" }, t.revokeSessions);
  button.addEventListener("click", () => confirmThen(button, t.revokeConfirm, async () => {
    button.disabled = true;
    status.textContent = "";
    box.hidden = true;
    try {
      const { token } = await changingSession(app, () => api("POST", "/api/me/sessions/revoke"));
      app.replaceSession(token);
      status.textContent = t.sessionsRevoked;
      afterNewToken();
    } catch (error) {
      if (error.status !== 401) { // a 401 has gone to the login view
        box.textContent = error.message;
        box.hidden = false;
      }
    } finally {
      button.disabled = false;
    }
  }));
  return section("profile-sessions", t.sessionsTitle,
    h("p", { class: "muted small" }, t.sessionsExplain), box,
    h("div", { class: "form-actions start" }, button), status);
}

// Two taps instead of confirm(): an Android WebView may not show JavaScript dialogs at all.
function confirmThen(button, question, action) {
  if (button.dataset.armed) {
    delete button.dataset.armed;
    button.textContent = button.dataset.label;
    action();
    return;
  }
  button.dataset.label = button.textContent;
  button.dataset.armed = "1";
  button.textContent = question;
  setTimeout(() => {
    if (!button.dataset.armed) return;
    delete button.dataset.armed;
    button.textContent = button.dataset.label;
  }, 4000);
}

// The personal iCalendar feed: an absolute address to paste into a phone's calendar app.
// "New link" (POST /api/me/calendar/rotate) revokes the old one, room feeds included: for a
// link shared by mistake or left on a lost phone.
function calendarSection(app) {
  const input = h("input", { id: "calendar-url", readonly: true, onfocus: (event) => event.target.select() });
  const copied = h("span", { class: "muted", role: "status", id: "calendar-copied" });
  const copy = h("button", { type: "button", class: "small", id: "copy-calendar" }, t.copyLink);
  copy.addEventListener("click", async () => {
    copied.textContent = (await copyText(input.value)) ? t.copied : t.copyByHand;
  });
  const box = errorBox();
  const renew = h("button", { type: "button", class: "small secondary", id: "new-calendar-link" }, t.newCalendarLink);
  renew.addEventListener("click", () => confirmThen(renew, t.newCalendarLinkConfirm, async () => {
    renew.disabled = true;
    box.hidden = true;
    try {
      const { calendar_url } = await api("POST", "/api/me/calendar/rotate");
      app.putMe({ calendar_url });
      update(app.me);
      copied.textContent = t.newCalendarLinkDone;
    } catch (error) {
      if (error.status !== 401) { // a 401 has gone to the login view
        box.textContent = error.message;
        box.hidden = false;
      }
    } finally {
      renew.disabled = false;
    }
  }));
  const el = section("profile-calendar", t.myCalendarTitle,
    h("p", { class: "muted small" }, t.myCalendarExplain),
    field(t.myCalendarLabel, input), box,
    h("div", { class: "row wrap" }, copy, renew, copied));
  const update = (me) => {
    input.value = me && me.calendar_url ? new URL(me.calendar_url, location.href).href : "";
    el.hidden = !input.value;
  };
  update(app.me);
  return { section: el, update };
}

// While this device replaces its session, the feed's "unauthorized" is expected (main.js).
async function changingSession(app, request) {
  app.sessionChanges += 1;
  try {
    return await request();
  } finally {
    app.sessionChanges -= 1;
  }
}
