// The meeting's tiles: one per camera (ours included), and one per shared screen, shown large.
// Keeps each tile's <video>/<audio> on the right track, tells the server which videos are off
// screen (pause_video) and at what size each is shown (video_size), and lays the tiles out:
// an ordinary grid, or a stage with one main tile (town halls). No signalling of its own:
// it calls KamarClient.
import { t } from "/static/strings.js";

export const SELF = "self"; // our own camera tile: our participant id changes on reconnect
const OWN_SCREEN = "self:screen";
const NO_MEDIA = { audio: null, video: null, screen: null, screenAudio: null };
// Data saver ("Hemat data"): remote videos stay paused until tapped, at most this many play at
// once, each at the smallest simulcast layer (a tile size no larger than the lowest layer's).
export const DATA_SAVER_MAX_VIDEOS = 4;
const DATA_SAVER_SIZE = { width: 160, height: 90 };
const SIZE_INTERVAL_MS = 250;

// A participant's shared screen has a tile of its own, keyed apart from its camera's.
export function screenKey(participantId) {
  return `${participantId}:screen`;
}

export class TileBoard {
  constructor({ container, onPlayBlocked }) {
    this.container = container;
    this.onPlayBlocked = onPlayBlocked;
    this.client = null;
    this.active = false; // joined: only then do pauses and sizes go to the server
    this.tiles = new Map(); // key -> tile
    this.media = new Map(); // participant id -> {audio, video, screen, screenAudio}: latest announced
    this.paused = new Map(); // tile key -> whether we asked the server to pause that video
    this.localStream = null;
    this.screenStream = null;
    this.stageLayout = false;
    this.mainKey = null; // the tile shown large in the stage layout
    this.speakers = []; // active speakers, loudest first
    this.last = null; // the latest sync's arguments, to sync again when a screen track comes or goes
    this.dataSaver = false;
    this.shown = []; // data saver: keys of the tiles tapped to play, oldest first
    // Video nobody can see costs the server and the phone's data plan for nothing: tiles
    // scrolled out of view, and every tile while the page is in the background, get paused.
    this.visibility = new IntersectionObserver((entries) => {
      for (const entry of entries) {
        const tile = this.tiles.get(entry.target.dataset.key);
        if (!tile) continue;
        tile.onScreen = entry.isIntersecting;
        this.syncPause(tile);
      }
    });
    // The server forwards the simulcast layer that fills each tile: tell it each remote
    // video's size in device pixels whenever that changes by more than a few pixels.
    this.resizing = new ResizeObserver((entries) => {
      for (const entry of entries) {
        const tile = this.tiles.get(entry.target.parentElement && entry.target.parentElement.dataset.key);
        if (tile) this.sendSize(tile);
      }
    });
    document.addEventListener("visibilitychange", () => {
      for (const tile of this.tiles.values()) this.syncPause(tile);
    });
  }

  get size() {
    return this.tiles.size;
  }

  // Which tiles exist: every camera in an ordinary meeting, on a stage only those of speakers
  // and moderators (the audience is a number in the header); every shared screen.
  sync({ self, participants, stageLayout }) {
    this.last = { self, participants, stageLayout };
    this.stageLayout = stageLayout;
    const wanted = new Map(); // key -> {participantId, source, name, isSelf, participant}
    const wantsCamera = (participant) => !stageLayout || participant.role !== "audience";
    if (wantsCamera(self)) {
      wanted.set(SELF, { participantId: self.id, source: "camera", name: `${self.name} (${t.you})`, isSelf: true, participant: self });
    }
    if (this.screenStream) {
      wanted.set(OWN_SCREEN, { participantId: self.id, source: "screen", name: t.screenLabel(`${self.name} (${t.you})`), isSelf: true, participant: self });
    }
    for (const participant of participants) {
      if (wantsCamera(participant)) {
        wanted.set(participant.id, { participantId: participant.id, source: "camera", name: participant.name, isSelf: false, participant });
      }
      // The participant's flag, or its track, whichever arrives first: the other follows.
      const media = this.media.get(participant.id);
      if (participant.screen || (media && media.screen)) {
        wanted.set(screenKey(participant.id), { participantId: participant.id, source: "screen", name: t.screenLabel(participant.name), isSelf: false, participant });
      }
    }
    for (const key of [...this.tiles.keys()]) if (!wanted.has(key)) this.remove(key);
    for (const [key, spec] of wanted) {
      const tile = this.tiles.get(key) || this.make(key, spec);
      tile.participantId = spec.participantId;
      tile.el.dataset.participantId = spec.participantId;
      tile.nameEl.textContent = spec.name;
      if (spec.source === "camera") {
        tile.badge.textContent = spec.participant.audio_muted ? t.mutedBadge : "";
        tile.el.classList.toggle("camera-off", !!spec.participant.video_muted);
      }
    }
    this.layout();
    this.container.dataset.count = String(this.tiles.size);
  }

  make(key, { participantId, source, isSelf }) {
    const el = document.createElement("figure");
    el.className = ["tile", source === "screen" ? "screen" : "", key === SELF ? "self" : "", isSelf ? "own" : ""]
      .filter(Boolean).join(" ");
    el.dataset.key = key;
    el.dataset.participantId = participantId;
    el.dataset.source = source;
    const video = document.createElement("video");
    video.autoplay = true;
    video.playsInline = true;
    video.muted = true; // sound goes through the <audio> element, so video autoplay always works
    const audio = document.createElement("audio");
    audio.autoplay = true;
    const label = document.createElement("figcaption");
    const nameEl = document.createElement("span");
    nameEl.className = "name";
    const badge = document.createElement("span");
    badge.className = "badge";
    label.append(nameEl, badge);
    const weak = document.createElement("p");
    weak.className = "suspended-note";
    weak.textContent = t.videoSuspended;
    el.append(video, audio, label, weak);
    if (!isSelf) {
      const tap = document.createElement("button");
      tap.type = "button";
      tap.className = "tap-video";
      tap.textContent = t.tapForVideo;
      tap.addEventListener("click", () => this.toggleShown(key));
      el.append(tap);
    }
    if (key === SELF) this.container.prepend(el);
    else this.container.append(el);
    const tile = {
      key, participantId, source, isSelf, el, video, audio, nameEl, badge,
      videoTrack: null, audioTrack: null, onScreen: true, sentSize: null,
    };
    this.tiles.set(key, tile);
    if (key === SELF) {
      video.srcObject = this.localStream;
    } else if (key === OWN_SCREEN) {
      video.srcObject = this.screenStream;
    } else {
      this.visibility.observe(el);
      this.resizing.observe(video);
      this.attachTile(tile);
    }
    return tile;
  }

  remove(key) {
    const tile = this.tiles.get(key);
    if (!tile) return;
    if (this.mainKey === key) this.mainKey = null;
    this.shown = this.shown.filter((shownKey) => shownKey !== key);
    this.visibility.unobserve(tile.el);
    this.resizing.unobserve(tile.video);
    tile.video.srcObject = null;
    tile.audio.srcObject = null;
    tile.el.remove();
    this.tiles.delete(key);
    this.container.dataset.count = String(this.tiles.size);
  }

  // Everyone else's tiles go (the connection closed, or we left); our own camera stays.
  clearRemote() {
    for (const [key, tile] of [...this.tiles]) if (!tile.isSelf) this.remove(key);
    this.media.clear(); // those tracks ended with their connection
    this.paused.clear(); // a new connection: the server remembers nothing of the old one
  }

  // The server stopped (or restarted) a video our downlink cannot carry: say so on its tile
  // instead of leaving its last frame frozen.
  setSuspended({ participantId, source, suspended }) {
    const tile = this.tiles.get(source === "screen" ? screenKey(participantId) : participantId);
    if (tile) tile.el.classList.toggle("suspended", suspended);
  }

  // Someone left: forget their tracks and pauses (a newcomer's tiles start afresh).
  forget(participantId) {
    this.media.delete(participantId);
    this.paused.delete(participantId);
    this.paused.delete(screenKey(participantId));
  }

  setLocalStream(stream) {
    this.localStream = stream;
    const own = this.tiles.get(SELF);
    if (own) own.video.srcObject = stream;
  }

  // Our own screen share, shown small (never mirrored) so we see what the others see.
  setScreenStream(stream) {
    this.screenStream = stream;
    const own = this.tiles.get(OWN_SCREEN);
    if (own) own.video.srcObject = stream;
    if (this.last) this.sync(this.last);
  }

  // The KamarClient's `media` event: which tracks of one participant we now receive.
  attachMedia({ participantId, audio = null, video = null, screen = null, screenAudio = null }) {
    const before = this.media.get(participantId) || NO_MEDIA;
    this.media.set(participantId, { audio, video, screen, screenAudio });
    for (const key of [participantId, screenKey(participantId)]) {
      const tile = this.tiles.get(key);
      if (tile) this.attachTile(tile);
    }
    // A screen track came or went before the participant's `screen` flag said so.
    if (!!before.screen !== !!screen && this.last) this.sync(this.last);
  }

  attachTile(tile) {
    const media = this.media.get(tile.participantId) || NO_MEDIA;
    const video = tile.source === "screen" ? media.screen : media.video;
    const audio = tile.source === "screen" ? media.screenAudio : media.audio;
    if (video !== tile.videoTrack) {
      tile.videoTrack = video;
      tile.video.srcObject = video ? new MediaStream([video]) : null;
      if (video) this.play(tile.video);
    }
    if (audio !== tile.audioTrack) {
      tile.audioTrack = audio;
      tile.audio.srcObject = audio ? new MediaStream([audio]) : null;
      if (audio) this.play(tile.audio);
    }
  }

  play(element) {
    element.play().catch((error) => {
      if (error.name === "NotAllowedError") this.onPlayBlocked();
    });
  }

  // After a tap (the "tap for sound" banner): start every sound the browser held back.
  playAll() {
    for (const tile of this.tiles.values()) if (tile.audioTrack) this.play(tile.audio);
  }

  // Data saver on or off: every remote video's pause and size follow.
  setDataSaver(on) {
    this.dataSaver = on;
    if (!on) this.shown = [];
    if (this.client && this.active) this.client.setDataSaver(on); // else sent on welcome
    for (const tile of this.tiles.values()) {
      tile.sentSize = null;
      this.sendSize(tile);
      this.syncPause(tile);
    }
  }

  // Data saver: a tap plays this tile's video (the oldest shown one stops beyond the limit),
  // another tap stops it.
  toggleShown(key) {
    if (!this.dataSaver) return;
    const stopped = [];
    if (this.shown.includes(key)) {
      this.shown = this.shown.filter((shownKey) => shownKey !== key);
      stopped.push(key);
    } else {
      this.shown.push(key);
      while (this.shown.length > DATA_SAVER_MAX_VIDEOS) stopped.push(this.shown.shift());
    }
    for (const changed of [key, ...stopped]) {
      const tile = this.tiles.get(changed);
      if (tile) this.syncPause(tile);
    }
  }

  syncPause(tile) {
    if (tile.isSelf) return;
    const heldBack = this.dataSaver && !this.shown.includes(tile.key);
    tile.el.classList.toggle("held-back", heldBack);
    if (!this.client || !this.active) return;
    const paused = !tile.onScreen || document.visibilityState !== "visible" || heldBack;
    // Kept per video, not per tile: the server remembers a pause across tiles coming and going.
    if (paused === (this.paused.get(tile.key) || false)) return;
    this.paused.set(tile.key, paused);
    this.client.setVideoPaused(tile.participantId, paused, tile.source);
  }

  sendSize(tile) {
    if (tile.isSelf || !this.client || !this.active) return;
    // While a window is being resized the observer fires every frame: send the latest size
    // at most every SIZE_INTERVAL_MS per tile (the server limits these, docs/protocol.md).
    const wait = (tile.sizeSentAt || -Infinity) + SIZE_INTERVAL_MS - performance.now();
    if (wait > 0) {
      tile.sizeTimer ||= setTimeout(() => {
        tile.sizeTimer = null;
        if (this.tiles.get(tile.key) === tile) this.sendSize(tile); // not if it was removed
      }, wait);
      return;
    }
    const box = tile.video.getBoundingClientRect();
    let width = Math.round(box.width * devicePixelRatio);
    let height = Math.round(box.height * devicePixelRatio);
    if (this.dataSaver) {
      width = Math.min(width, DATA_SAVER_SIZE.width);
      height = Math.min(height, DATA_SAVER_SIZE.height);
    }
    const last = tile.sentSize;
    if (last && Math.abs(last.width - width) < 8 && Math.abs(last.height - height) < 8) return;
    tile.sentSize = { width, height };
    tile.sizeSentAt = performance.now();
    this.client.setVideoSize(tile.participantId, width, height, tile.source);
  }

  // Who is speaking now (participant ids, loudest first): their camera tiles are outlined.
  showSpeakers(list, selfId) {
    this.speakers = list;
    const keys = new Set(list.map((id) => (id === selfId ? SELF : id)));
    for (const [key, tile] of this.tiles) tile.el.classList.toggle("speaking", tile.source === "camera" && keys.has(key));
    this.layout(selfId);
  }

  // The stage: a shared screen is large when there is one, else whoever speaks now (not
  // ourselves); when nobody speaks the last one stays. In the ordinary grid a shared screen
  // is the first tile, as wide as the grid (style.css).
  layout(selfId = this.last && this.last.self.id) {
    this.container.classList.toggle("stage", this.stageLayout);
    if (!this.stageLayout) {
      for (const tile of this.tiles.values()) tile.el.classList.remove("main");
      return;
    }
    const remote = [...this.tiles.values()].filter((tile) => !tile.isSelf);
    const screens = remote.filter((tile) => tile.source === "screen").map((tile) => tile.key);
    if (screens.length) {
      if (!screens.includes(this.mainKey)) this.mainKey = screens[0];
    } else {
      const speaking = this.speakers.find((id) => id !== selfId && this.tiles.has(id));
      if (speaking) this.mainKey = speaking;
      const current = this.tiles.get(this.mainKey);
      if (!current || current.source === "screen" || (current.isSelf && remote.length)) {
        this.mainKey = remote.length ? remote[0].key : (this.tiles.has(SELF) ? SELF : null);
      }
    }
    for (const [key, tile] of this.tiles) tile.el.classList.toggle("main", key === this.mainKey);
  }
}
