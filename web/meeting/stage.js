// The meeting's side panel: Q&A, comments, reactions and people (moderation.js), as tabs.
// Phone first: below the stage, one tab at a time, and the open tab collapses when tapped
// again; from 900 px it is a column beside the stage. No protocol here: it calls KamarClient.
import { newClientId } from "/static/base/ids.js";
import { h } from "/static/base/dom.js";
import { t } from "/static/strings.js";
import { PeoplePane } from "/static/meeting/moderation.js";
import { TypedKeep } from "/static/meeting/typed_keep.js";

const MAX_COMMENTS = 200; // kept on the page; the server sends the latest 50 on join
const MAX_FLOATING = 16; // reactions in flight at once; more are dropped to spare slow phones
const MAX_REMEMBERED_VOTES = 500;

// Open questions first, then most votes, then oldest (ids grow with time).
export function questionOrder(a, b) {
  return Number(a.answered) - Number(b.answered) || b.votes - a.votes || a.id - b.id;
}

// Whether I voted is not sent by the server: remember it on this device.
class VoteMemory {
  constructor(scope) {
    this.key = `kamar.votes.${scope}`;
    try {
      this.keys = new Set(JSON.parse(localStorage.getItem(this.key) || "[]"));
    } catch {
      this.keys = new Set();
    }
  }

  // Question ids start again in a new meeting of the same room: the author makes it unique enough.
  static id(question) {
    return `${question.id}:${question.identity}`;
  }

  has(question) {
    return this.keys.has(VoteMemory.id(question));
  }

  set(question, voted) {
    const id = VoteMemory.id(question);
    if (voted) this.keys.add(id);
    else this.keys.delete(id);
    const kept = [...this.keys].slice(-MAX_REMEMBERED_VOTES);
    try {
      localStorage.setItem(this.key, JSON.stringify(kept));
    } catch {
      // private mode or a full storage: votes are then remembered for this page only
    }
  }
}

export class StagePanel {
  // `identity`: the join token's; with `scope` (the meeting) it names what this device keeps.
  constructor({ root, layer, client, scope, identity }) {
    this.root = root;
    this.layer = layer;
    this.client = client;
    this.votes = new VoteMemory(scope);
    this.questions = new Map(); // id -> Question
    this.questionItems = new Map(); // id -> <li>
    // What was typed and may not have arrived, kept across a reload (typed_keep.js). A waiting
    // one (typed without a connection) stays in its field; a sent one goes again with the same
    // id after every reconnect until it comes back (the socket may have died after the server
    // read it); the server takes it once.
    this.kept = new TypedKeep(identity, scope);
    // Client ids sent on this connection and not heard back, in sending order: the server
    // answers each message in turn, so an error in reply to an ask (or comment) refuses the
    // oldest ask (or comment) here.
    this.inFlight = [];
    this.tab = null;
    this.build();
    this.restoreWaiting();
  }

  get self() {
    return this.client.self;
  }

  get isModerator() {
    return !!this.self && this.self.role === "moderator";
  }

  build() {
    const tabs = [["qa", t.tabQa], ["comments", t.tabComments], ["people", t.tabPeople]];
    this.tabButtons = new Map();
    this.panes = new Map();
    this.reactionsRow = h("div", { class: "reactions-row", role: "group", "aria-label": t.reactionsLabel });
    const strip = h("div", { class: "panel-tabs", role: "tablist", "aria-label": t.panels });
    for (const [name, label] of tabs) {
      const button = h("button", {
        type: "button", role: "tab", id: `tab-${name}`, "aria-controls": `pane-${name}`,
        "aria-selected": "false", onclick: () => this.toggle(name),
      }, label, h("span", { class: "tab-badge", hidden: true }));
      this.tabButtons.set(name, button);
      strip.append(button);
    }
    this.questionList = h("ol", { id: "questions", class: "questions" });
    this.noQuestions = h("p", { class: "empty" }, t.noQuestions);
    this.askText = h("textarea", {
      id: "ask-text", rows: 1, maxlength: 500, placeholder: t.askPlaceholder, "aria-label": t.askLabel,
      oninput: () => this.keepEdit("ask"),
    });
    const askForm = h("form", { id: "ask-form", class: "stage-form", onsubmit: (e) => this.submit(e, this.askText, "ask") },
      this.askText, h("button", { type: "submit", class: "primary" }, t.askButton));
    this.commentList = h("ol", { id: "comments", class: "comments", "aria-live": "polite" });
    this.noComments = h("p", { class: "empty" }, t.noComments);
    this.commentText = h("input", {
      id: "comment-text", type: "text", maxlength: 500, placeholder: t.commentPlaceholder,
      "aria-label": t.commentLabel, autocomplete: "off", oninput: () => this.keepEdit("comment"),
    });
    const commentForm = h("form", { id: "comment-form", class: "stage-form", onsubmit: (e) => this.submit(e, this.commentText, "comment") },
      this.commentText, h("button", { type: "submit", class: "primary" }, t.sendComment));
    this.waitingNotes = {
      ask: h("p", { id: "ask-waiting", class: "stage-waiting", role: "status", hidden: true }, t.typedWaiting),
      comment: h("p", { id: "comment-waiting", class: "stage-waiting", role: "status", hidden: true }, t.typedWaiting),
    };
    this.people = new PeoplePane(this.client);
    const contents = {
      qa: [h("div", { class: "pane-scroll" }, this.questionList, this.noQuestions), this.waitingNotes.ask, askForm],
      comments: [h("div", { class: "pane-scroll", id: "comments-scroll" }, this.commentList, this.noComments),
        this.waitingNotes.comment, commentForm],
      people: [h("div", { class: "pane-scroll" }, this.people.root)],
    };
    for (const [name] of tabs) {
      const pane = h("section", {
        id: `pane-${name}`, class: "pane-stage", role: "tabpanel", "aria-labelledby": `tab-${name}`, hidden: true,
      }, ...contents[name]);
      this.panes.set(name, pane);
    }
    this.root.replaceChildren(this.reactionsRow, strip, ...this.panes.values());
    this.root.dataset.open = "false";
  }

  // A fresh welcome (also after a reconnect): the server's view replaces ours.
  welcome({ stage }) {
    this.reactionsRow.replaceChildren(...(stage.reactions || []).map((emoji) => h("button", {
      type: "button", class: "reaction", "aria-label": `${t.reactionsLabel}: ${emoji}`, dataset: { emoji },
      onclick: () => this.client.react(emoji),
    }, emoji)));
    this.reactionsRow.hidden = !(stage.reactions || []).length;
    this.questions.clear();
    for (const item of this.questionItems.values()) item.remove();
    this.questionItems.clear();
    for (const question of stage.questions || []) this.questions.set(question.id, question);
    this.renderQuestions();
    this.commentList.replaceChildren();
    for (const comment of stage.comments || []) this.addComment(comment);
    this.noComments.hidden = this.commentList.childElementCount > 0;
    this.people.setMeetingState(stage);
    this.people.setEgress(stage.egress);
    this.people.setWaiting([]);
    this.participantsChanged();
    this.inFlight = []; // a new connection: what the old one carried is sent again just below
    this.sendUnconfirmed();
    this.sendWaiting();
  }

  open(name) {
    this.tab = name;
    this.root.dataset.open = "true";
    for (const [tab, button] of this.tabButtons) button.setAttribute("aria-selected", String(tab === name));
    for (const [tab, pane] of this.panes) pane.hidden = tab !== name;
    if (name === "comments") this.scrollComments(true);
  }

  collapse() {
    this.root.dataset.open = "false";
    for (const button of this.tabButtons.values()) button.setAttribute("aria-selected", "false");
    for (const pane of this.panes.values()) pane.hidden = true;
  }

  toggle(name) {
    if (this.root.dataset.open === "true" && this.tab === name) this.collapse();
    else this.open(name);
  }

  // Nothing typed is lost: without a connection (a phone's network coming and going) the text
  // stays in its field, marked waiting, and goes by itself with the next welcome.
  submit(event, field, kind) {
    event.preventDefault();
    const text = field.value.trim();
    if (!text) return;
    const waiting = this.kept.waiting(kind);
    if (this.sendTyped(kind, text, waiting ? waiting.clientId : newClientId())) field.value = "";
    this.showWaiting();
  }

  // Kept as it goes (or as it waits: a record not sent), with the time it was first typed. A
  // waiting one was never sent, so its id may carry the field's new text; a sent one never
  // changes, and stays sent.
  sendTyped(kind, text, clientId) {
    const before = this.kept.get(clientId);
    const sent = kind === "ask" ? this.client.ask(text, clientId) : this.client.comment(text, clientId);
    this.kept.put({
      clientId, kind, text, at: before ? before.at : Date.now(), sent: sent || (!!before && before.sent),
    });
    if (sent) this.inFlight.push(clientId);
    return sent;
  }

  sendUnconfirmed() {
    for (const { clientId, kind, text } of this.kept.sent()) this.sendTyped(kind, text, clientId);
  }

  // One's own question or comment came back: it landed (`text` as the server keeps it, trimmed).
  confirmed(kind, text) {
    const record = this.kept.sentAs(kind, text);
    if (!record) return;
    this.kept.remove(record.clientId);
    this.inFlight = this.inFlight.filter((clientId) => clientId !== record.clientId);
  }

  // The server refused one's question or comment (room.js shows why, in the member's words):
  // it had no effect, and sending it again as it is would not help. It is no longer kept; its
  // text goes back into the field, so the member can change it or send it later.
  refused(kind) {
    const clientId = this.inFlight.find((id) => {
      const record = this.kept.get(id);
      return record && record.kind === kind;
    });
    if (!clientId) return;
    const { text } = this.kept.get(clientId);
    this.kept.remove(clientId);
    this.inFlight = this.inFlight.filter((id) => id !== clientId);
    const field = this.fieldOf(kind);
    field.value = [text, field.value.trim()].filter(Boolean).join(" ");
    this.keepEdit(kind); // a waiting text the field held is kept with it
  }

  fieldOf(kind) {
    return kind === "ask" ? this.askText : this.commentText;
  }

  // The field's text as it is now: the member may have changed it while waiting.
  sendWaiting() {
    for (const kind of ["ask", "comment"]) {
      const record = this.kept.waiting(kind);
      if (!record) continue;
      const field = this.fieldOf(kind);
      if (this.sendTyped(kind, field.value.trim() || record.text, record.clientId)) field.value = "";
    }
    this.showWaiting();
  }

  // After a reload: what was waiting is back in its field, marked so, and goes with the welcome.
  restoreWaiting() {
    for (const kind of ["ask", "comment"]) {
      const record = this.kept.waiting(kind);
      if (record) this.fieldOf(kind).value = record.text;
    }
    this.showWaiting();
  }

  // An edit to a waiting text is kept as typed; emptying the field lets it go.
  keepEdit(kind) {
    const record = this.kept.waiting(kind);
    if (!record) return;
    const text = this.fieldOf(kind).value.trim();
    if (text) this.kept.put({ ...record, text });
    else this.kept.remove(record.clientId);
    this.showWaiting();
  }

  showWaiting() {
    for (const [kind, note] of Object.entries(this.waitingNotes)) note.hidden = !this.kept.waiting(kind);
  }

  // -- people --------------------------------------------------------------------------

  participantsChanged() {
    this.people.render(this.self, this.client.participants);
    this.renderBadges();
    // Moderator buttons on questions depend on our role.
    this.renderQuestions();
  }

  setWaiting(waiting) {
    this.people.setWaiting(waiting);
    this.renderBadges();
  }

  setMeetingState(meetingState) {
    this.people.setMeetingState(meetingState);
  }

  renderBadges() {
    const badge = this.tabButtons.get("people").querySelector(".tab-badge");
    const count = this.people.attentionCount();
    badge.textContent = count ? String(count) : "";
    badge.hidden = !count;
  }

  // -- questions -----------------------------------------------------------------------

  setQuestion(question) {
    if (this.self && question.identity === this.self.identity) this.confirmed("ask", question.text);
    this.questions.set(question.id, question);
    this.renderQuestions();
  }

  removeQuestion(questionId) {
    this.questions.delete(questionId);
    const item = this.questionItems.get(questionId);
    if (item) item.remove();
    this.questionItems.delete(questionId);
    this.renderQuestions();
  }

  renderQuestions() {
    const ordered = [...this.questions.values()].sort(questionOrder);
    for (const question of ordered) {
      let item = this.questionItems.get(question.id);
      if (!item) {
        item = h("li", { dataset: { questionId: String(question.id) } });
        this.questionItems.set(question.id, item);
      }
      this.fillQuestion(item, question);
      this.questionList.append(item); // moves it into display order
    }
    this.noQuestions.hidden = ordered.length > 0;
  }

  fillQuestion(item, question) {
    const voted = this.votes.has(question);
    item.className = "question" + (question.answered ? " answered" : "") + (question.hidden ? " hidden-question" : "");
    const vote = h("button", {
      type: "button", class: "vote", "aria-pressed": String(voted), "aria-label": t.upvoteLabel(question.votes),
      disabled: question.hidden, onclick: () => this.vote(question.id),
    }, "▲ ", h("span", { class: "votes" }, String(question.votes)));
    const badges = [];
    if (question.answered) badges.push(h("span", { class: "q-badge answered-badge" }, t.answeredBadge));
    if (question.hidden) badges.push(h("span", { class: "q-badge hidden-badge" }, t.hiddenBadge));
    const body = h("div", { class: "q-body" },
      h("span", { class: "q-name" }, question.name), ...badges,
      h("p", { class: "q-text" }, question.text));
    if (this.isModerator) {
      body.append(h("div", { class: "q-actions" },
        h("button", {
          type: "button", class: "small answer", "aria-pressed": String(question.answered),
          onclick: () => this.client.answerQuestion(question.id, !question.answered),
        }, question.answered ? t.markOpen : t.markAnswered),
        h("button", {
          type: "button", class: "small hide", "aria-pressed": String(question.hidden),
          onclick: () => this.client.hideQuestion(question.id, !question.hidden),
        }, question.hidden ? t.showQuestion : t.hideQuestion)));
    }
    item.replaceChildren(vote, body);
  }

  vote(questionId) {
    const question = this.questions.get(questionId);
    if (!question) return;
    const up = !this.votes.has(question);
    this.votes.set(question, up);
    this.client.vote(questionId, up);
    this.renderQuestions(); // the count follows with the server's `question`
  }

  // -- comments and reactions ----------------------------------------------------------

  addComment(comment) {
    const mine = this.self && comment.participant_id === this.self.id;
    // After a reconnect one's id is new, the name is not: an earlier comment comes back as it was.
    if (mine || (this.self && comment.name === this.self.name)) this.confirmed("comment", comment.text);
    // A comment sent again after a reconnect comes back as it was: shown once.
    if (this.commentList.querySelector(`[data-comment-id="${Number(comment.id)}"]`)) return;
    const scroller = this.commentList.parentElement;
    const atBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 40;
    this.commentList.append(h("li", { class: "comment" + (mine ? " mine" : ""), dataset: { commentId: String(comment.id) } },
      h("span", { class: "c-name" }, comment.name), " ", h("span", { class: "c-text" }, comment.text)));
    while (this.commentList.childElementCount > MAX_COMMENTS) this.commentList.firstElementChild.remove();
    this.noComments.hidden = true;
    this.scrollComments(atBottom || mine);
  }

  scrollComments(force) {
    const scroller = this.commentList.parentElement;
    if (force) scroller.scrollTop = scroller.scrollHeight;
  }

  showReaction(emoji) {
    if (this.layer.childElementCount >= MAX_FLOATING) return;
    if (matchMedia("(prefers-reduced-motion: reduce)").matches && this.layer.childElementCount >= 3) return;
    const bubble = h("span", { class: "floating-reaction" }, emoji);
    bubble.style.left = `${8 + Math.random() * 80}%`;
    bubble.style.animationDuration = `${2.4 + Math.random() * 0.8}s`;
    bubble.addEventListener("animationend", () => bubble.remove());
    // Safety net when animations do not run (background tab, reduced motion).
    setTimeout(() => bubble.remove(), 4000);
    this.layer.append(bubble);
  }
}
