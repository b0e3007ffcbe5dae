// Forgot password without e-mail (docs/api.md "Password reset"): the page a member finds under
// "Lupa kata sandi?", the page where a reset code becomes a new password (#/reset/CODE), and the
// organiser's button that makes a code for a member of their room.
import { api } from "/static/base/api.js";
import { clear, h } from "/static/base/dom.js";
import { copyText, errorBox, field, focusHeading, submitting } from "/static/app/dom.js";
import { r } from "/static/app/reset_strings.js";
import { pageLanguage, t } from "/static/strings.js";

const LOCALE = pageLanguage === "id" ? "id-ID" : "en-GB";

export function forgotLink() {
  return h("p", { class: "switch" }, h("a", { href: "#/forgot", id: "forgot-link" }, r.forgotLink));
}

export function renderForgot(container) {
  clear(container);
  container.append(h("section", { class: "card auth", id: "forgot" },
    h("h1", {}, r.forgotTitle),
    h("p", {}, r.forgotWhy),
    h("p", {}, r.forgotHow),
    h("p", { class: "hint" }, r.forgotCode),
    h("p", {}, h("a", { href: "#/reset", class: "button", id: "have-code" }, r.haveCode)),
    askForm(),
    h("p", { class: "switch" }, h("a", { href: "#/login" }, r.backToLogin))));
  focusHeading(container);
}

// "Please reset my password" by username or phone; the server answers the same for any login.
function askForm() {
  const box = errorBox();
  const sent = h("p", { class: "hint", id: "ask-sent", role: "status", hidden: true }, r.askSent);
  const form = h("form", { novalidate: true, id: "ask-form" },
    h("h2", {}, r.askTitle),
    field(t.loginLabel, h("input", {
      name: "login", id: "ask-login", required: true, maxlength: 64,
      autocomplete: "username", autocapitalize: "none", spellcheck: "false",
    }), r.askHint),
    box, sent,
    h("button", { type: "submit" }, r.askButton));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    sent.hidden = true;
    submitting(form, box, async () => {
      await api("POST", "/api/auth/password-reset/request", { login: form.elements.login.value.trim() });
      sent.hidden = false;
    });
  });
  return form;
}

// Marks the members of a list who asked for a reset code, for those who may make them one.
export async function markResetRequests(list) {
  let asked;
  try {
    asked = (await api("GET", "/api/password-resets/requests")).requests;
  } catch {
    return; // a hint only: the list works without it
  }
  for (const { user } of asked) {
    const item = list.querySelector(`li[data-user-id="${user.id}"]`);
    if (!item || item.querySelector(".reset-asked")) continue;
    item.firstChild.append(h("span", { class: "role reset-asked" }, r.asked));
  }
}

export function renderReset(app, container, code) {
  clear(container);
  const box = errorBox();
  const form = h("form", { novalidate: true, id: "reset-form" },
    field(r.codeLabel, h("input", {
      name: "code", id: "reset-code", required: true, maxlength: 40, value: code,
      autocomplete: "one-time-code", autocapitalize: "characters", spellcheck: "false",
      placeholder: "XXXX-XXXX-XXXX",
    })),
    field(r.newPasswordLabel, h("input", {
      name: "new_password", id: "reset-password", type: "password", required: true,
      minlength: 8, autocomplete: "new-password",
    }), t.passwordHint),
    box,
    h("button", { type: "submit", class: "primary" }, r.resetButton));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitting(form, box, async () => {
      const result = await api("POST", "/api/auth/password-reset", {
        code: form.elements.code.value.trim(),
        new_password: form.elements.new_password.value,
      });
      // The code is spent: keep it out of the address bar and the history.
      history.replaceState(null, "", "#/rooms");
      await app.signedIn(result.token, result.user, "#/rooms");
    });
  });
  container.append(h("section", { class: "card auth", id: "reset" },
    h("h1", {}, r.resetTitle),
    h("p", { class: "hint" }, r.resetIntro),
    form,
    h("p", { class: "switch" }, h("a", { href: "#/login" }, r.backToLogin))));
  focusHeading(container);
  (code ? form.elements.new_password : form.elements.code).focus();
}

// Whether `me` may make a code for a member with `role` in a room where `me` has `myRole`
// (rooms/community/password_reset.py may_reset; the server decides, this only hides buttons).
export function mayMakeCode(me, myRole, role) {
  const rank = { owner: 3, moderator: 2, member: 1 };
  if (!me) return false;
  if (me.is_admin) return true;
  return (rank[myRole] || 0) >= rank.moderator && rank[myRole] > (rank[role] || 0);
}

// A two-tap button; the code appears under the member once and is gone on "Tutup".
export function resetCodeButton(item, user, confirmThen) {
  const button = h("button", { type: "button", class: "small", dataset: { reset: String(user.id) } }, r.makeCode);
  const box = errorBox();
  button.addEventListener("click", () => confirmThen(button, r.makeCodeConfirm, async () => {
    button.disabled = true;
    box.hidden = true;
    try {
      const issued = await api("POST", `/api/users/${user.id}/password-reset`);
      showCode(item, user, issued);
    } catch (error) {
      box.textContent = error.message;
      box.hidden = false;
      item.append(box);
    } finally {
      button.disabled = false;
      button.textContent = r.makeCode; // confirmThen leaves its question on the button
    }
  }));
  return button;
}

function showCode(item, user, issued) {
  const old = item.querySelector(".reset-code");
  if (old) old.remove();
  const until = new Date(issued.expires_at).toLocaleString(LOCALE, {
    weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
  });
  const copy = h("button", { type: "button", class: "small" }, r.copyLink);
  copy.addEventListener("click", async () => {
    if (await copyText(issued.link)) copy.textContent = r.copied;
  });
  const panel = h("div", { class: "reset-code", role: "status" },
    h("strong", {}, r.codeFor(user.display_name)),
    h("output", { class: "code", id: `reset-code-${user.id}` }, issued.code),
    h("p", { class: "hint" }, r.codeShownOnce(until)),
    h("p", { class: "small" }, r.codeLink, " ", h("span", { class: "link-text" }, issued.link)),
    h("span", { class: "row" }, copy,
      h("button", { type: "button", class: "small", onclick: () => panel.remove() }, r.closeCode)));
  item.append(panel);
}
