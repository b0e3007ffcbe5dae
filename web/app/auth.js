// Sign-in and registration views.
import { api } from "/static/base/api.js";
import { clear, h } from "/static/base/dom.js";
import { errorBox, field, focusHeading, submitting } from "/static/app/dom.js";
import { forgotLink } from "/static/app/password_reset.js";
import { t } from "/static/strings.js";

export function renderAuth(app, container, mode, invited) {
  clear(container);
  const card = h("section", { class: "card auth" });
  card.append(h("h1", {}, mode === "register" ? t.registerTitle : t.loginTitle));
  if (invited) card.append(h("p", { class: "hint" }, t.inviteNeedsLogin));
  card.append(mode === "register" ? registerForm(app) : loginForm(app));
  if (mode !== "register") card.append(forgotLink());
  card.append(h("p", { class: "switch" },
    mode === "register" ? t.haveAccount : t.noAccount, " ",
    h("a", { href: mode === "register" ? "#/login" : "#/register", id: "auth-switch" },
      mode === "register" ? t.loginButton : t.registerButton)));
  container.append(card);
  focusHeading(container);
}

function input(name, attrs = {}) {
  return h("input", { name, id: `auth-${name}`, ...attrs });
}

function loginForm(app) {
  const box = errorBox();
  const form = h("form", { novalidate: true, id: "login-form" },
    field(t.loginLabel, input("login", { required: true, autocomplete: "username", autocapitalize: "none", spellcheck: "false" })),
    field(t.passwordLabel, input("password", { type: "password", required: true, autocomplete: "current-password" })),
    box,
    h("button", { type: "submit", class: "primary" }, t.loginButton));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitting(form, box, async () => {
      const result = await api("POST", "/api/auth/login", {
        login: form.elements.login.value.trim(),
        password: form.elements.password.value,
      });
      await app.signedIn(result.token, result.user);
    });
  });
  return form;
}

function registerForm(app) {
  const box = errorBox();
  const form = h("form", { novalidate: true, id: "register-form" },
    field(t.displayNameLabel, input("display_name", { required: true, maxlength: 80, autocomplete: "name" })),
    field(t.usernameLabel, input("username", { maxlength: 32, autocomplete: "username", autocapitalize: "none", spellcheck: "false", pattern: "[a-z0-9_.]{3,32}" }), t.usernameHint),
    field(t.phoneLabel, input("phone", { type: "tel", maxlength: 16, autocomplete: "tel", placeholder: "+62…" }), t.phoneHint),
    field(t.passwordLabel, input("password", { type: "password", required: true, minlength: 8, autocomplete: "new-password" }), t.passwordHint),
    field(t.organisationLabel, input("organisation", { maxlength: 120, autocomplete: "organization" })),
    h("details", { class: "more" },
      h("summary", {}, t.regionTitle),
      field(t.provinceLabel, input("province", { maxlength: 80 })),
      field(t.cityLabel, input("city", { maxlength: 80 })),
      field(t.rtRwLabel, input("rt_rw", { maxlength: 20, placeholder: "RT 05 / RW 02" }))),
    box,
    h("button", { type: "submit", class: "primary" }, t.registerButton));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = (name) => form.elements[name].value.trim();
    const body = { display_name: value("display_name"), password: form.elements.password.value };
    if (value("username")) body.username = value("username").toLowerCase();
    if (value("phone")) body.phone = value("phone").replace(/[\s-]/g, "");
    if (value("organisation")) body.organisation = value("organisation");
    const region = { province: value("province"), city: value("city"), rt_rw: value("rt_rw") };
    if (region.province || region.city || region.rt_rw) body.region = region;
    submitting(form, box, async () => {
      const result = await api("POST", "/api/auth/register", body);
      await app.signedIn(result.token, result.user);
    });
  });
  return form;
}
