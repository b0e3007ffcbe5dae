// "Delete account" on the profile page (POST /api/me/delete; docs/api.md "Deleting an
// account"): what goes and what stays is said before anything happens, the password is asked
// again, and the button needs a second tap. Afterwards this device is signed out like the others.
import { api } from "/static/base/api.js";
import { h } from "/static/base/dom.js";
import { errorBox, field, submitting } from "/static/app/dom.js";
import { t } from "/static/strings.js";

const ARMED_MS = 6000;

export function deleteAccountSection(app) {
  const box = errorBox();
  const me = app.me || {};
  const button = h("button", { type: "submit", class: "danger", id: "delete-account" }, t.deleteButton);
  const form = h("form", { novalidate: true, id: "delete-account-form" },
    // For password managers: which account the password belongs to.
    h("input", { type: "text", name: "username", autocomplete: "username", value: me.username || me.phone || "", readonly: true, hidden: true, tabindex: "-1" }),
    field(t.deletePasswordLabel, h("input", {
      type: "password", name: "password", id: "delete-password", autocomplete: "current-password", required: true, maxlength: 256,
    })),
    box,
    h("div", { class: "form-actions start" }, button));
  let armedAt = 0;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const password = form.elements.password.value;
    if (!password) {
      form.elements.password.focus();
      return;
    }
    // Two taps instead of confirm(): an Android WebView may not show JavaScript dialogs.
    if (Date.now() - armedAt > ARMED_MS) {
      armedAt = Date.now();
      button.textContent = t.deleteConfirm;
      return;
    }
    armedAt = 0;
    button.textContent = t.deleteButton;
    submitting(form, box, async () => {
      app.sessionChanges += 1; // the server closes this device's feed before it answers
      try {
        await api("POST", "/api/me/delete", { password });
      } finally {
        app.sessionChanges -= 1;
      }
      app.signOut(true);
      app.notify(t.accountDeleted, { timeoutMs: 10000 });
    });
  });
  return h("section", { class: "profile-section delete-account", id: "profile-delete", "aria-labelledby": "profile-delete-title" },
    h("h2", { id: "profile-delete-title" }, t.deleteTitle),
    h("p", { class: "error", id: "delete-warning" }, h("strong", {}, t.deleteWarning)),
    h("p", { class: "small" }, t.deleteGoes),
    h("p", { class: "small" }, t.deleteStays),
    form);
}

// An administrator deletes a member's account from a room's member list (DELETE
// /api/users/{id}, written to the administrators' audit log): two taps, the second within a
// few seconds. The member then leaves every room, which the feed tells this list.
export function adminDeleteButton(app, user) {
  const button = h("button", { type: "button", class: "small danger admin-delete", dataset: { userId: String(user.id) } }, t.adminDelete);
  let armedAt = 0;
  button.addEventListener("click", async () => {
    if (Date.now() - armedAt > ARMED_MS) {
      armedAt = Date.now();
      button.textContent = t.adminDeleteConfirm;
      return;
    }
    armedAt = 0;
    button.disabled = true;
    try {
      await api("DELETE", `/api/users/${user.id}`);
      app.notify(t.adminDeleted, { timeoutMs: 6000 });
    } catch (error) {
      app.notify(error.message, { kind: "error" });
      button.textContent = t.adminDelete;
      button.disabled = false;
    }
  });
  return button;
}
