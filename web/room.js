// Meeting page: /r/ROOM?token=JWT. Tiles for everyone, mute/camera/leave, reconnect on drops.
import { KamarClient } from "/static/protocol.js";
import { pageLanguage, t } from "/static/strings.js";

const RECONNECT_DELAYS_MS = [1000, 2000, 4000, 8000, 8000];
const SELF = "self"; // our own tile keeps this key: our participant id changes on reconnect
const $ = (id) => document.getElementById(id);

const room = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop() || "");
const token = takeToken();
const state = { phase: "starting", self: null, micOn: true, camOn: true, reconnects: 0, error: null };
const tiles = new Map(); // participant id -> tile
let client = null;
let localStream = null;

document.documentElement.lang = pageLanguage;
$("room-name").textContent = room;
$("btn-leave").textContent = t.leave;
$("btn-rejoin").textContent = t.rejoin;
$("to-lobby").textContent = t.toLobby;
$("sound-banner").textContent = t.tapForSound;
$("alone").textContent = t.alone;
renderButtons();

// Keep the token out of the address bar (people share screenshots and links), but survive reloads.
function takeToken() {
  const key = `kamar.token.${room}`;
  const fromUrl = new URLSearchParams(location.search).get("token");
  if (fromUrl) {
    sessionStorage.setItem(key, fromUrl);
    history.replaceState(null, "", location.pathname);
    return fromUrl;
  }
  return sessionStorage.getItem(key);
}

function tokenClaims(jwt) {
  try {
    const part = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), "=")));
  } catch {
    return {};
  }
}

function setStatus(text) {
  $("status").textContent = text;
}

function showNotice(text) {
  $("notice").textContent = text;
  $("notice").hidden = !text;
}

function renderButtons() {
  const mic = $("btn-mic");
  const cam = $("btn-cam");
  mic.textContent = state.micOn ? t.mic : t.micOff;
  cam.textContent = state.camOn ? t.cam : t.camOff;
  mic.setAttribute("aria-pressed", String(!state.micOn));
  cam.setAttribute("aria-pressed", String(!state.camOn));
  const hasAudio = !!localStream && localStream.getAudioTracks().length > 0;
  const hasVideo = !!localStream && localStream.getVideoTracks().length > 0;
  mic.disabled = !hasAudio || state.phase !== "joined";
  cam.disabled = !hasVideo || state.phase !== "joined";
}

function makeTile(id, name, isSelf) {
  const el = document.createElement("figure");
  el.className = isSelf ? "tile self" : "tile";
  el.dataset.participantId = id;
  const video = document.createElement("video");
  video.autoplay = true;
  video.playsInline = true;
  video.muted = true; // sound goes through the <audio> element, so video autoplay always works
  const audio = document.createElement("audio");
  audio.autoplay = true;
  const label = document.createElement("figcaption");
  const nameEl = document.createElement("span");
  nameEl.className = "name";
  nameEl.textContent = name;
  const badge = document.createElement("span");
  badge.className = "badge";
  label.append(nameEl, badge);
  el.append(video, audio, label);
  $("tiles").append(el);
  const tile = {
    el, video, audio, nameEl, badge, videoTrack: null, audioTrack: null, onScreen: true,
    videoPaused: false, sentSize: null,
  };
  tiles.set(id, tile);
  if (!isSelf) {
    visibility.observe(el);
    resizing.observe(video);
  }
  return tile;
}

function updateTile(participant) {
  const isSelf = state.self && participant.id === state.self.id;
  const tile = tiles.get(isSelf ? SELF : participant.id);
  if (!tile) return;
  tile.badge.textContent = participant.audio_muted ? t.mutedBadge : "";
  tile.el.classList.toggle("camera-off", participant.video_muted);
}

function removeTile(id) {
  const tile = tiles.get(id);
  if (!tile) return;
  visibility.unobserve(tile.el);
  resizing.unobserve(tile.video);
  tile.video.srcObject = null;
  tile.audio.srcObject = null;
  tile.el.remove();
  tiles.delete(id);
  renderAlone();
}

function clearRemoteTiles() {
  for (const id of [...tiles.keys()]) if (id !== SELF) removeTile(id);
}

function renderAlone() {
  const others = [...tiles.keys()].filter((id) => id !== SELF);
  $("alone").hidden = state.phase !== "joined" || others.length > 0;
  $("tiles").dataset.count = String(tiles.size);
}

// Video nobody can see costs the server and the phone's data plan for nothing: tiles scrolled
// out of view, and every tile while the page is in the background, get their video paused.
const visibility = new IntersectionObserver((entries) => {
  for (const entry of entries) {
    const tile = tiles.get(entry.target.dataset.participantId);
    if (!tile) continue;
    tile.onScreen = entry.isIntersecting;
    syncVideoPause(entry.target.dataset.participantId, tile);
  }
});

function syncVideoPause(id, tile) {
  if (id === SELF || !client || state.phase !== "joined") return;
  const paused = !tile.onScreen || document.visibilityState !== "visible";
  if (paused === tile.videoPaused) return;
  tile.videoPaused = paused;
  client.setVideoPaused(id, paused);
}

// The server forwards the simulcast layer that fills each tile: tell it the size each remote
// video is shown at, in device pixels, whenever that changes by more than a few pixels.
const resizing = new ResizeObserver((entries) => {
  for (const entry of entries) {
    const id = entry.target.parentElement && entry.target.parentElement.dataset.participantId;
    const tile = tiles.get(id);
    if (tile) sendVideoSize(id, tile);
  }
});

function sendVideoSize(id, tile) {
  if (id === SELF || !client || state.phase !== "joined") return;
  const box = tile.video.getBoundingClientRect();
  const width = Math.round(box.width * devicePixelRatio);
  const height = Math.round(box.height * devicePixelRatio);
  const last = tile.sentSize;
  if (last && Math.abs(last.width - width) < 8 && Math.abs(last.height - height) < 8) return;
  tile.sentSize = { width, height };
  client.setVideoSize(id, width, height);
}

document.addEventListener("visibilitychange", () => {
  for (const [id, tile] of tiles) syncVideoPause(id, tile);
});

function showSpeakers(speakers) {
  const keys = new Set(speakers.map((id) => (state.self && id === state.self.id ? SELF : id)));
  for (const [key, tile] of tiles) tile.el.classList.toggle("speaking", keys.has(key));
}

function play(element) {
  element.play().catch((error) => {
    if (error.name === "NotAllowedError") $("sound-banner").hidden = false;
  });
}

function attachMedia({ participantId, audio, video }) {
  const tile = tiles.get(participantId);
  if (!tile) return;
  if (video !== tile.videoTrack) {
    tile.videoTrack = video;
    tile.video.srcObject = video ? new MediaStream([video]) : null;
    if (video) play(tile.video);
  }
  if (audio !== tile.audioTrack) {
    tile.audioTrack = audio;
    tile.audio.srcObject = audio ? new MediaStream([audio]) : null;
    if (audio) play(tile.audio);
  }
}

$("sound-banner").addEventListener("click", () => {
  $("sound-banner").hidden = true;
  for (const tile of tiles.values()) if (tile.audioTrack) play(tile.audio);
});

$("btn-mic").addEventListener("click", () => {
  state.micOn = !state.micOn;
  client.setMuted("audio", !state.micOn);
  renderButtons();
});

$("btn-cam").addEventListener("click", () => {
  state.camOn = !state.camOn;
  client.setMuted("video", !state.camOn);
  renderButtons();
});

$("btn-leave").addEventListener("click", () => {
  state.phase = "left";
  client.leave();
  end(t.youLeft, true);
});

$("btn-rejoin").addEventListener("click", () => location.reload());

function end(text, canRejoin) {
  clearRemoteTiles();
  if (localStream) for (const track of localStream.getTracks()) track.stop();
  $("ended-text").textContent = text;
  $("btn-rejoin").hidden = !canRejoin;
  $("ended").hidden = false;
  $("tiles").hidden = true;
  $("alone").hidden = true;
  setStatus("");
  renderButtons();
}

function wireClient() {
  client.addEventListener("welcome", ({ detail }) => {
    state.phase = "joined";
    state.self = detail.participant;
    state.reconnects = 0;
    setStatus("");
    if (!tiles.has(SELF)) {
      const own = makeTile(SELF, `${detail.participant.name} (${t.you})`, true);
      if (localStream) own.video.srcObject = localStream;
    }
    for (const participant of detail.participants) {
      makeTile(participant.id, participant.name, false);
      updateTile(participant);
    }
    // Mute state survives a reconnect: tell the server again.
    if (!state.micOn) client.setMuted("audio", true);
    if (!state.camOn) client.setMuted("video", true);
    renderAlone();
    renderButtons();
  });
  client.addEventListener("participant-joined", ({ detail }) => {
    if (!tiles.has(detail.participant.id)) makeTile(detail.participant.id, detail.participant.name, false);
    updateTile(detail.participant);
    renderAlone();
  });
  client.addEventListener("participant-left", ({ detail }) => removeTile(detail.participantId));
  client.addEventListener("participant-updated", ({ detail }) => updateTile(detail.participant));
  client.addEventListener("media", ({ detail }) => attachMedia(detail));
  client.addEventListener("active-speakers", ({ detail }) => showSpeakers(detail.speakers));
  client.addEventListener("server-error", ({ detail }) => {
    state.error = detail;
    if (!detail.final) showNotice(detail.message);
  });
  client.addEventListener("closed", ({ detail }) => onClosed(detail));
}

function onClosed({ reason, final }) {
  if (state.phase === "left") return;
  clearRemoteTiles();
  if (reason === "replaced") {
    state.phase = "ended";
    end(t.replaced, true);
    return;
  }
  if (final || state.reconnects >= RECONNECT_DELAYS_MS.length) {
    state.phase = "ended";
    // A full server may have room again later: offer to try again.
    const canRejoin = !final || reason === "server_full";
    end(t.ended + ((state.error && state.error.message) || reason), canRejoin);
    return;
  }
  state.phase = "reconnecting";
  setStatus(t.reconnecting);
  renderButtons();
  const delay = RECONNECT_DELAYS_MS[state.reconnects++];
  setTimeout(() => client.join().catch(() => {}), delay);
}

async function openCameraAndMicrophone(claims) {
  if (claims.can_publish === false) return null;
  try {
    return await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: true },
      // Modest by default: many of our people are on low-end phones and mobile data.
      video: { width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 24, max: 30 } },
    });
  } catch (error) {
    showNotice(t.noMedia + error.message);
    return null;
  }
}

async function start() {
  if (!token) {
    state.phase = "ended";
    end(t.noToken, false);
    return;
  }
  setStatus(t.connecting);
  localStream = await openCameraAndMicrophone(tokenClaims(token));
  state.micOn = !!localStream && localStream.getAudioTracks().length > 0;
  state.camOn = !!localStream && localStream.getVideoTracks().length > 0;
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  client = new KamarClient({ wsUrl: `${scheme}//${location.host}/ws`, token, room, localStream });
  window.kamarDebug.client = client;
  wireClient();
  client.join().catch(() => {}); // failures arrive as "closed" events
}

window.kamarDebug = {
  client: null,
  state,
  stats: () => (client ? client.stats() : Promise.resolve({})),
};

start();
