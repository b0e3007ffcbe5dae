// Egress in the meeting page: the "LIVE"/"REKAM" badge everyone sees with how long it has been
// on (being recorded is a matter of consent), and the moderators' form to go live to an RTMP
// destination (server URL + stream key, as YouTube and Facebook give them), on the web (HLS,
// for members watching from the agenda) and/or record.
// The stream key stays in this form and the one message that starts egress.
import { t } from "/static/strings.js";
import { h } from "/static/base/dom.js";

export function duration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const two = (n) => String(n).padStart(2, "0");
  const hours = Math.floor(s / 3600);
  return hours ? `${hours}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}` : `${two(Math.floor(s / 60))}:${two(s % 60)}`;
}

export class EgressBadge {
  constructor(element) {
    this.element = element;
    this.state = null;
    this.since = 0; // performance.now() when the server's `seconds` was 0
    this.timer = null;
  }

  update(state) {
    this.state = state && (state.live || state.recording) ? state : null;
    clearInterval(this.timer);
    this.timer = null;
    if (!this.state) {
      this.element.hidden = true;
      return;
    }
    this.since = performance.now() - (state.seconds || 0) * 1000;
    this.timer = setInterval(() => this.draw(), 1000);
    this.draw();
  }

  get on() {
    return !!this.state;
  }

  draw() {
    const parts = [];
    if (this.state.live) parts.push(t.egressLive);
    if (this.state.recording) parts.push(t.egressRecording);
    this.element.textContent = `● ${parts.join(" + ")} ${duration((performance.now() - this.since) / 1000)}`;
    this.element.title = this.state.recording ? t.egressRecordingNotice : t.egressLiveNotice;
    this.element.hidden = false;
  }
}

// Kept outside the moderators' tool row, which is redrawn on every change: typing a stream
// key must survive someone raising a hand.
export class EgressForm {
  constructor(client, badge) {
    this.client = client;
    this.badge = badge;
    this.url = h("input", {
      id: "egress-url", type: "url", placeholder: "rtmp://a.rtmp.youtube.com/live2", autocomplete: "off",
      "aria-label": t.egressUrl, maxlength: 500,
    });
    this.key = h("input", {
      id: "egress-key", type: "password", autocomplete: "off", "aria-label": t.egressKey,
      placeholder: t.egressKey, maxlength: 200,
    });
    this.record = h("input", { id: "egress-record", type: "checkbox", checked: true });
    this.hls = h("input", { id: "egress-hls", type: "checkbox", checked: true });
    this.start = h("button", { type: "submit", class: "small primary", id: "btn-egress-start" }, t.egressStart);
    this.stop = h("button", {
      type: "button", class: "small danger", id: "btn-egress-stop", onclick: () => this.client.egressStop(),
    }, t.egressStop);
    this.fields = h("div", { class: "egress-fields" },
      h("label", { class: "field" }, h("span", {}, t.egressUrl), this.url),
      h("label", { class: "field" }, h("span", {}, t.egressKey), this.key),
      h("label", { class: "check" }, this.record, " ", t.egressRecord),
      h("label", { class: "check" }, this.hls, " ", t.egressHls),
      this.start);
    this.root = h("form", {
      id: "egress-form", class: "people-section egress-form", onsubmit: (e) => this.submit(e),
    }, h("h3", {}, t.egressTitle), h("p", { class: "muted small" }, t.egressHelp), this.fields, this.stop);
    this.root.hidden = true;
  }

  show(isModerator) {
    this.root.hidden = !isModerator;
    this.fields.hidden = this.badge.on;
    this.stop.hidden = !this.badge.on;
  }

  submit(event) {
    event.preventDefault();
    const url = this.url.value.trim();
    const rtmp = url ? [{ url, key: this.key.value.trim() }] : [];
    this.client.egressStart(rtmp, this.record.checked, this.hls.checked);
  }
}
