// A room's polls, in a strip above its chat (docs/api.md "Polls"): collapsed to a count of the
// open ones; opened, each poll with its options as buttons showing the live counts, and a form
// for a new one. The server's `poll` events carry whole polls, so the newest one received is
// the result shown; one's own choices come only in the answers to one's own requests.
import { api } from "/static/base/api.js";
import { clear, h } from "/static/base/dom.js";
import { errorBox, field, nameOf, shortStamp, submitting } from "/static/app/dom.js";
import { t } from "/static/strings.js";

const SHOWN = 5; // the newest polls shown; older ones are in GET /api/rooms/{id}/polls
const MAX_OPTIONS = 10;

export class PollStrip {
  constructor(app, roomView) {
    this.app = app;
    this.roomView = roomView;
    this.roomId = roomView.roomId;
    this.polls = new Map(); // id -> Poll (with my_choices, kept from our own answers)
    this.open = false;
    this.form = null; // the new poll's form while it is being written
    this.picked = new Map(); // poll id -> Set of options ticked, for multiple-choice polls
    this.el = h("section", { class: "polls", id: "polls", "aria-label": t.polls });
    this.load();
  }

  async load() {
    try {
      const { polls } = await api("GET", `/api/rooms/${this.roomId}/polls`);
      this.polls = new Map(polls.map((poll) => [poll.id, poll]));
    } catch {
      /* the chat works without polls; the next poll event or catch-up loads them again */
    }
    this.render();
  }

  onFeed(event) {
    if (event.type !== "poll" || event.room_id !== this.roomId) return;
    const old = this.polls.get(event.poll.id);
    this.put({ ...event.poll, my_choices: old ? old.my_choices : [] });
    if (!old) this.open = true; // a new question is worth seeing
    this.render();
  }

  put(poll) {
    this.polls.set(poll.id, poll);
  }

  isOpen(poll) {
    return !poll.closed && new Date(poll.closes_at).getTime() > Date.now();
  }

  render() {
    clear(this.el);
    const polls = [...this.polls.values()].sort((a, b) => b.id - a.id).slice(0, SHOWN);
    const openCount = polls.filter((poll) => this.isOpen(poll)).length;
    this.el.append(h("div", { class: "polls-head row" },
      h("button", { type: "button", class: "polls-toggle", id: "polls-toggle", "aria-expanded": String(this.open),
        onclick: () => { this.open = !this.open; this.render(); } },
      h("strong", {}, t.polls), " ", h("span", { class: "muted small", id: "polls-count" }, polls.length ? t.pollsOpen(openCount) : "")),
      h("button", { type: "button", class: "small", id: "poll-new", onclick: () => this.startForm() }, t.newPoll)));
    if (this.form) this.el.append(this.form);
    if (!this.open) return;
    this.el.append(h("ol", { class: "poll-list", id: "poll-list" }, polls.map((poll) => this.pollItem(poll))));
  }

  pollItem(poll) {
    const live = this.isOpen(poll);
    const mine = new Set(poll.my_choices || []);
    const picked = this.picked.get(poll.id) || mine;
    const total = Math.max(1, ...poll.options.map((o) => o.votes));
    const badges = [poll.multiple ? t.pollMultipleBadge : null, poll.anonymous ? t.pollAnonymousBadge : null].filter(Boolean);
    const item = h("li", { class: "poll" + (live ? "" : " closed"), dataset: { pollId: String(poll.id) } },
      h("p", { class: "poll-question" }, h("strong", {}, poll.question)),
      h("p", { class: "muted small" }, [t.pollBy(nameOf(poll.author)), ...badges,
        live ? t.pollClosesAt(shortStamp(poll.closes_at)) : t.pollClosed, t.pollVoters(poll.voter_count)].join(" · ")));
    const list = h("ul", { class: "poll-options" });
    poll.options.forEach((option, index) => {
      const button = h("button", {
        type: "button", class: "poll-option", disabled: !live, "aria-pressed": String(picked.has(index)),
        dataset: { option: String(index) }, onclick: () => this.choose(poll, index),
      },
      h("span", { class: "poll-option-text" }, option.text, mine.has(index) ? h("span", { class: "poll-mine" }, ` ✓ ${t.pollMine}`) : null),
      h("progress", { max: total, value: option.votes, "aria-hidden": "true" }),
      h("span", { class: "poll-count small" }, t.pollVotes(option.votes)));
      if (option.voters && option.voters.length) {
        button.title = option.voters.map((voter) => voter.display_name).join(", ");
      }
      list.append(h("li", {}, button));
    });
    item.append(list);
    const actions = h("div", { class: "row" });
    if (live && poll.multiple) {
      actions.append(h("button", { type: "button", class: "small primary poll-submit", onclick: () => this.vote(poll, [...picked]) }, t.pollVote));
    }
    const me = this.app.me;
    if (live && me && (poll.author.id === me.id || this.roomView.isModerator())) {
      actions.append(h("button", { type: "button", class: "small link poll-close", onclick: () => this.close(poll) }, t.pollCloseNow));
    }
    if (actions.childNodes.length) item.append(actions);
    return item;
  }

  choose(poll, index) {
    if (!poll.multiple) {
      this.vote(poll, [index]);
      return;
    }
    const picked = new Set(this.picked.get(poll.id) || poll.my_choices || []);
    if (picked.has(index)) picked.delete(index);
    else picked.add(index);
    this.picked.set(poll.id, picked);
    this.render();
  }

  async vote(poll, choices) {
    try {
      this.put(await api("POST", `/api/polls/${poll.id}/vote`, { choices }));
      this.picked.delete(poll.id);
    } catch (error) {
      this.app.notify(error.message, { kind: "error", timeoutMs: 8000 });
    }
    this.render();
  }

  async close(poll) {
    try {
      this.put(await api("POST", `/api/polls/${poll.id}/close`));
    } catch (error) {
      this.app.notify(error.message, { kind: "error", timeoutMs: 8000 });
    }
    this.render();
  }

  startForm() {
    if (!this.form) this.form = this.newPollForm();
    this.render();
    this.form.elements.question.focus();
  }

  newPollForm() {
    const box = errorBox();
    const question = h("input", { name: "question", id: "poll-question", maxlength: 300, required: true, autocomplete: "off" });
    const options = h("div", { class: "poll-option-inputs" });
    const addOption = () => {
      const n = options.childElementCount + 1;
      options.append(field(t.pollOptionLabel(n), h("input", { name: "options", class: "poll-option-input", maxlength: 100, autocomplete: "off" })));
      add.hidden = n >= MAX_OPTIONS;
    };
    const add = h("button", { type: "button", class: "small secondary", id: "poll-add-option", onclick: addOption }, t.addOption);
    addOption();
    addOption();
    const hours = h("select", { name: "closes_in", id: "poll-closes-in" },
      Object.entries(t.pollDurations).map(([value, label]) => h("option", { value }, label)));
    hours.value = "24";
    const form = h("form", { class: "poll-form", id: "poll-form", novalidate: true },
      field(t.pollQuestionLabel, question), options, add,
      h("label", { class: "check" }, h("input", { type: "checkbox", name: "multiple", id: "poll-multiple" }), " ", t.pollMultiple),
      h("label", { class: "check" }, h("input", { type: "checkbox", name: "anonymous", id: "poll-anonymous" }), " ", t.pollAnonymous),
      field(t.pollClosesIn, hours), box,
      h("div", { class: "form-actions" },
        h("button", { type: "button", class: "secondary", onclick: () => { this.form = null; this.render(); } }, t.cancel),
        h("button", { type: "submit", class: "primary", id: "poll-create" }, t.pollCreate)));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const texts = [...options.querySelectorAll("input")].map((input) => input.value.trim()).filter(Boolean);
      const closes = new Date(Date.now() + Number(hours.value) * 3_600_000).toISOString();
      submitting(form, box, async () => {
        const poll = await api("POST", `/api/rooms/${this.roomId}/polls`, {
          question: question.value, options: texts, closes_at: closes,
          multiple: form.elements.multiple.checked, anonymous: form.elements.anonymous.checked,
        });
        this.put(poll);
        this.form = null;
        this.open = true;
        this.render();
      });
    });
    return form;
  }
}
