// The people pane: lobby, raised hands, who is on stage, the audience; for moderators also the
// actions (invite to stage, back to audience, mute, camera off, remove, ban) and the meeting
// controls (mute all, lock, lobby, end). Everyone sees who is on stage and the hands they are
// told about: moderators all of them, an audience member its own. In a town hall only
// moderators are told about each audience member; the others see their number
// (client.audience, docs/protocol.md "Who is told about whom").
import { t } from "/static/strings.js";
import { h } from "/static/base/dom.js";
import { EgressBadge, EgressForm } from "/static/meeting/egress.js";

const MAX_AUDIENCE_SHOWN = 100; // a big town hall's audience list stays cheap to draw
const CONFIRM_MS = 4000; // a dangerous button waits this long for its second tap

export class PeoplePane {
  constructor(client) {
    this.client = client;
    this.egressBadge = new EgressBadge(document.getElementById("egress-badge") || document.createElement("span"));
    this.egressForm = new EgressForm(client, this.egressBadge);
    this.waiting = [];
    this.meeting = { locked: false, lobby: false };
    this.confirming = new Map(); // "action:id" -> timer of a first tap
    this.self = null;
    this.participants = new Map();
    this.tools = h("div", { id: "mod-tools", class: "mod-tools", role: "group", "aria-label": t.moderatorTools });
    this.lobbySection = h("div", { class: "people-section" });
    this.handsSection = h("div", { class: "people-section" });
    this.stageSection = h("div", { class: "people-section" });
    this.audienceSection = h("div", { class: "people-section" });
    // Who needs a moderator's answer first (the lobby, raised hands), then the meeting-wide
    // tools: on a 360x640 phone the tools above them pushed "Ajak ke panggung" off the screen.
    this.root = h("div", { class: "people" },
      this.lobbySection, this.handsSection, this.tools, this.egressForm.root, this.stageSection,
      this.audienceSection);
  }

  get isModerator() {
    return !!this.self && this.self.role === "moderator";
  }

  setWaiting(waiting) {
    this.waiting = waiting;
    this.render(this.self, this.participants);
  }

  // The `egress` event, or welcome.stage.egress: the badge for everyone, the form for moderators.
  setEgress(state) {
    this.egressBadge.update(state);
    this.egressForm.show(this.isModerator);
  }

  setMeetingState({ locked, lobby }) {
    this.meeting = { locked: !!locked, lobby: !!lobby };
    this.render(this.self, this.participants);
  }

  // What a moderator should look at: people waiting and hands up.
  attentionCount() {
    if (!this.isModerator) return 0;
    return this.waiting.length + this.everyone().filter((p) => p.hand !== null && p.hand !== undefined).length;
  }

  everyone() {
    return [...(this.self ? [this.self] : []), ...this.participants.values()];
  }

  render(self, participants) {
    this.self = self;
    this.participants = participants;
    const everyone = this.everyone();
    this.renderTools();
    this.egressForm.show(this.isModerator);
    this.renderLobby();
    const hands = everyone.filter((p) => p.hand !== null && p.hand !== undefined).sort((a, b) => a.hand - b.hand);
    this.handsSection.replaceChildren(
      h("h3", {}, t.handsTitle, ` (${hands.length})`),
      hands.length
        ? h("ol", { id: "hands", class: "people-list" }, hands.map((p) => this.row(p, this.handActions(p), "✋ ")))
        : h("p", { class: "empty" }, t.noHands));
    const onStage = everyone.filter((p) => p.role !== "audience");
    this.stageSection.replaceChildren(
      h("h3", {}, t.stageTitle, ` (${onStage.length})`),
      h("ul", { id: "on-stage", class: "people-list" }, onStage.map((p) => this.row(p, this.stageActions(p)))));
    const audience = everyone.filter((p) => p.role === "audience");
    const total = this.client.audienceSize(audience.length, this.isModerator);
    const shown = audience.slice(0, MAX_AUDIENCE_SHOWN);
    this.audienceSection.replaceChildren(
      h("h3", {}, t.audienceTitle, ` (${total})`),
      h("ul", { id: "audience-list", class: "people-list" }, shown.map((p) => this.row(p, this.audienceActions(p)))),
      h("p", { id: "audience-more", class: "muted small", hidden: total <= shown.length }, t.andMore(total - shown.length)));
    this.audienceSection.hidden = total === 0;
  }

  renderTools() {
    this.tools.hidden = !this.isModerator;
    if (!this.isModerator) {
      this.tools.replaceChildren();
      return;
    }
    const client = this.client;
    this.tools.replaceChildren(
      h("button", { type: "button", class: "small", id: "btn-mute-all", onclick: () => client.muteAll("audio") }, t.muteAll),
      h("button", {
        type: "button", class: "small toggle", id: "btn-lock", "aria-pressed": String(this.meeting.locked),
        onclick: () => client.lockMeeting(!this.meeting.locked),
      }, this.meeting.locked ? "🔒 " : "🔓 ", t.lockMeeting),
      h("button", {
        type: "button", class: "small toggle", id: "btn-lobby", "aria-pressed": String(this.meeting.lobby),
        onclick: () => client.setLobby(!this.meeting.lobby),
      }, t.lobbyOn),
      this.confirmButton("end", "", t.endMeeting, () => client.endMeeting(), "small danger", "btn-end"));
  }

  renderLobby() {
    const show = this.isModerator && (this.meeting.lobby || this.waiting.length > 0);
    this.lobbySection.hidden = !show;
    if (!show) return;
    this.lobbySection.replaceChildren(
      h("h3", {}, t.lobbyTitle, ` (${this.waiting.length})`),
      h("ul", { id: "lobby-list", class: "people-list" }, this.waiting.map((w) =>
        h("li", { class: "person", dataset: { waitingId: w.id } },
          h("span", { class: "p-name" }, w.name),
          h("span", { class: "p-actions" },
            h("button", { type: "button", class: "small primary admit", onclick: () => this.client.admit(w.id, true) }, t.admit),
            h("button", { type: "button", class: "small deny", onclick: () => this.client.admit(w.id, false) }, t.deny))))));
  }

  row(participant, actions, prefix = "") {
    const isSelf = this.self && participant.id === this.self.id;
    const badges = [];
    if (participant.role !== "audience") badges.push(h("span", { class: "role" }, t.roleNames[participant.role] || participant.role));
    if (participant.role !== "audience" && participant.audio_muted) badges.push(h("span", { class: "p-badge" }, "🔇"));
    if (participant.role !== "audience" && participant.video_muted) badges.push(h("span", { class: "p-badge" }, "📷✕"));
    return h("li", { class: "person", dataset: { participantId: participant.id } },
      h("span", { class: "p-name" }, prefix, participant.name, isSelf ? ` (${t.you})` : "", ...badges),
      actions.length ? h("span", { class: "p-actions" }, actions) : null);
  }

  // Moderators cannot act on moderators, nor on themselves.
  canModerate(participant) {
    return this.isModerator && participant.role !== "moderator" && participant.id !== this.self.id;
  }

  handActions(participant) {
    if (!this.canModerate(participant)) return [];
    return [h("button", {
      type: "button", class: "small primary invite", onclick: () => this.client.setRole(participant.id, "speaker"),
    }, t.inviteToStage)];
  }

  stageActions(participant) {
    if (!this.canModerate(participant)) return [];
    const client = this.client;
    return [
      h("button", { type: "button", class: "small to-audience", onclick: () => client.setRole(participant.id, "audience") }, t.toAudience),
      h("button", {
        type: "button", class: "small mute-audio", disabled: participant.audio_muted,
        onclick: () => client.muteParticipant(participant.id, "audio"),
      }, t.muteAudio),
      h("button", {
        type: "button", class: "small camera-off", disabled: participant.video_muted,
        onclick: () => client.muteParticipant(participant.id, "video"),
      }, t.cameraOff),
      ...this.removeActions(participant),
    ];
  }

  audienceActions(participant) {
    if (!this.canModerate(participant)) return [];
    return [
      h("button", {
        type: "button", class: "small invite", onclick: () => this.client.setRole(participant.id, "speaker"),
      }, t.inviteToStage),
      ...this.removeActions(participant),
    ];
  }

  removeActions(participant) {
    return [
      this.confirmButton("remove", participant.id, t.removeParticipant,
        () => this.client.removeParticipant(participant.id, false), "small remove"),
      this.confirmButton("ban", participant.id, t.banParticipant,
        () => this.client.removeParticipant(participant.id, true), "small danger ban"),
    ];
  }

  // Two taps for what cannot be undone: the first turns the button into "tap again".
  confirmButton(action, id, label, run, className, elementId = null) {
    const key = `${action}:${id}`;
    const armed = this.confirming.has(key);
    return h("button", {
      type: "button", class: className + (armed ? " armed" : ""), id: elementId,
      onclick: () => {
        if (this.confirming.has(key)) {
          clearTimeout(this.confirming.get(key));
          this.confirming.delete(key);
          run();
        } else {
          this.confirming.set(key, setTimeout(() => {
            this.confirming.delete(key);
            this.render(this.self, this.participants);
          }, CONFIRM_MS));
        }
        this.render(this.self, this.participants);
      },
    }, armed ? t.tapAgain : label);
  }
}
