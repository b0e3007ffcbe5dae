// Direct messages (docs/api.md "Direct messages"): a conversation is a room of kind "direct",
// so the room view shows it; here are the ways in (a member's name in a room's member list)
// and what differs in its info pane: no invitations, no leaving, but block and report.
import { api } from "/static/base/api.js";
import { h } from "/static/base/dom.js";
import { errorBox, field, nameOf, submitting } from "/static/app/dom.js";
import { t } from "/static/strings.js";

// The conversation with `userId`, made on the first tap, then opened.
export async function openDirect(app, userId, button) {
  button.disabled = true;
  try {
    const room = await api("POST", "/api/direct", { user_id: userId });
    app.putRoom(room);
    app.navigate(`#/rooms/${room.id}`);
  } catch (error) {
    button.disabled = false;
    app.notify(error.message, { kind: "error", timeoutMs: 8000 });
  }
}

export function directButton(app, user) {
  const button = h("button", { type: "button", class: "small secondary direct-open", dataset: { userId: String(user.id) } }, t.sendDirect);
  button.addEventListener("click", () => openDirect(app, user.id, button));
  return button;
}

// The info pane of a conversation: who it is with, block or unblock, report.
export function renderDirectInfo(view, pane) {
  const other = view.room.direct_with;
  if (!other) return;
  pane.append(
    h("h2", { id: "info-room-name" }, t.directWith(nameOf(other))),
    h("p", { class: "muted" }, t.directExplain));
  const blockBox = h("div", { class: "direct-block", id: "direct-block" });
  pane.append(blockBox, reportForm(view));
  showBlock(view, blockBox, other);
}

async function showBlock(view, box, other) {
  let blocked = false;
  try {
    ({ blocked } = await api("GET", "/api/direct/blocks"));
    blocked = blocked.some((user) => user.id === other.id);
  } catch {
    /* shown as not blocked; blocking again changes nothing on the server */
  }
  box.replaceChildren();
  if (blocked) box.append(h("p", { class: "muted small", id: "blocked-note" }, t.blockedNote));
  const button = h("button", { type: "button", class: blocked ? "secondary" : "danger", id: blocked ? "btn-unblock" : "btn-block" },
    blocked ? t.unblockMember : t.blockMember);
  const act = async () => {
    button.disabled = true;
    try {
      await api(blocked ? "DELETE" : "PUT", `/api/direct/blocks/${other.id}`);
      view.app.notify(blocked ? t.unblockDone : t.blockDone, { timeoutMs: 4000 });
      view.app.loadRooms(); // a blocked member's conversation leaves the list, and comes back
      showBlock(view, box, other);
    } catch (error) {
      button.disabled = false;
      view.app.notify(error.message, { kind: "error", timeoutMs: 8000 });
    }
  };
  button.addEventListener("click", () => (blocked ? act() : view.confirmThen(button, t.blockConfirm, act)));
  box.append(h("div", { class: "form-actions" }, button));
}

function reportForm(view) {
  const box = errorBox();
  const reason = h("input", { name: "reason", id: "direct-report-reason", maxlength: 500, autocomplete: "off" });
  const form = h("form", { id: "direct-report", class: "direct-report", novalidate: true },
    h("h3", {}, t.reportConversation), field(t.reportReasonLabel, reason), box,
    h("div", { class: "form-actions" }, h("button", { type: "submit", class: "secondary" }, t.reportSend)));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitting(form, box, async () => {
      await api("POST", `/api/direct/${view.roomId}/report`, { reason: reason.value });
      reason.value = "";
      view.app.notify(t.reportDone, { timeoutMs: 5000 });
    });
  });
  return form;
}

// The profile's list of blocked members, each with "unblock": a blocked member's conversation
// is hidden from the room list, so this is where a block is lifted.
export function blockedSection(app) {
  const list = h("ul", { class: "plain-list", id: "blocked-list" });
  const section = h("section", { class: "profile-section", id: "blocked-members", hidden: true, "aria-labelledby": "blocked-members-title" },
    h("h2", { id: "blocked-members-title" }, t.blockedTitle), list);
  const load = async () => {
    let blocked = [];
    try {
      ({ blocked } = await api("GET", "/api/direct/blocks"));
    } catch {
      return; // nothing to manage shows as nothing
    }
    section.hidden = !blocked.length;
    list.replaceChildren(...blocked.map((user) => {
      const button = h("button", { type: "button", class: "small secondary", dataset: { userId: String(user.id) } }, t.unblockMember);
      button.addEventListener("click", async () => {
        button.disabled = true;
        try {
          await api("DELETE", `/api/direct/blocks/${user.id}`);
          app.notify(t.unblockDone, { timeoutMs: 4000 });
          app.loadRooms(); // the conversation is back in the list
          load();
        } catch (error) {
          button.disabled = false;
          app.notify(error.message, { kind: "error", timeoutMs: 8000 });
        }
      });
      return h("li", { class: "member" }, h("strong", {}, user.display_name), button);
    }));
  };
  load();
  return section;
}
