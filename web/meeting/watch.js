// HLS viewers (docs/egress.md "Beyond the interactive limit"): when the server is full, a town
// hall's member watches its web stream (HLS) instead of WebRTC media, and stays in the meeting
// for its questions, votes and comments (hello `watch`, docs/protocol.md). The player takes the
// tiles' place; the stage panel works as for the audience.
import { api } from "/static/base/api.js";
import { clear, h } from "/static/base/dom.js";
import { t } from "/static/strings.js";

const HLS_TYPE = "application/vnd.apple.mpegurl";
const NOT_LIVE_RETRY_MS = 3000;
const ERROR_RETRY_MS = 2000;

export class LivePlayer {
  // `tiles`: the element the player replaces; `eventId`: the town hall's agenda event.
  constructor({ tiles, eventId }) {
    this.tiles = tiles;
    this.eventId = eventId;
    this.box = h("section", { id: "watch", class: "watch", hidden: true, "aria-live": "polite" });
    tiles.after(this.box);
    this.video = null;
    this.loading = null;
    this.hls = null; // the meeting's last `egress` state said the stream is on (null: not told yet)
    this.retry = null;
  }

  get active() {
    return !this.box.hidden;
  }

  show() {
    this.tiles.hidden = true;
    this.box.hidden = false;
    this.refresh();
  }

  // The meeting's `egress` state: the stream started (play it) or stopped (say so).
  setEgress(state) {
    this.hls = Boolean(state && state.hls);
    if (!this.active) return;
    if (this.hls && !this.video) this.refresh();
    else if (!this.hls && this.video) this.say(t.watchEnded);
  }

  // Chromium, Chrome on Android and Safari play HLS themselves; a signed link, fresh each time
  // (GET /api/events/{id}/live), is what the <video> fetches without an Authorization header.
  refresh() {
    this.loading ??= this.load().finally(() => { this.loading = null; });
    return this.loading;
  }

  async load() {
    let answer;
    try {
      answer = await api("GET", `/api/events/${this.eventId}/live`);
    } catch (error) {
      this.say(error.status === 401 ? t.watchSignIn : error.message);
      return;
    }
    if (!answer.live) {
      // The stream is on but has no fresh playlist yet (its first segment comes ~6 s after the
      // start) or paused (a loaded encoder): ask again, or the page would wait for a change of
      // the `egress` state that never comes. Not polled once the stream is known to be off.
      this.say(t.watchNotLive);
      if (this.hls !== false) this.askAgain(NOT_LIVE_RETRY_MS);
      return;
    }
    const video = h("video", { controls: true, autoplay: true, playsinline: true, muted: false });
    if (video.canPlayType(HLS_TYPE) === "") {
      this.say(t.watchUnsupported, " ", h("a", { href: answer.url }, answer.url));
      return;
    }
    // A segment that could not be fetched or decoded ends the element's playback for good:
    // start again with a fresh link rather than show a dead player.
    video.addEventListener("error", () => {
      if (this.video !== video) return;
      this.video = null;
      this.askAgain(ERROR_RETRY_MS);
    });
    video.src = answer.url;
    this.video = video;
    clear(this.box).append(h("p", { class: "watch-note" }, t.watchFull), video);
  }

  askAgain(delay) {
    clearTimeout(this.retry);
    this.retry = setTimeout(() => {
      this.retry = null;
      if (this.active && !this.video) this.refresh();
    }, delay);
  }

  say(...text) {
    this.video = null;
    clear(this.box).append(h("p", { class: "watch-note" }, t.watchFull), h("p", { class: "muted" }, ...text));
  }
}
