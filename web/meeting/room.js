// Meeting page: /r/ROOM?token=JWT. Tiles for everyone (tiles.js), mute/camera/leave, screen
// sharing for speakers (screenshare.js), reconnect on drops.
// Town halls (a "stage"): speakers and moderators are tiles, the current speaker large; the
// audience watches without camera or microphone, raises hands, asks, comments and reacts.
import { Backoff, RETRY_A_FEW, socketUrl } from "/static/base/socket.js";
import { KamarClient } from "/static/meeting/protocol.js";
import { errorMessage, pageLanguage, t } from "/static/strings.js";
import { StagePanel } from "/static/meeting/stage.js";
import { TileBoard } from "/static/meeting/tiles.js";
import { ScreenShare } from "/static/meeting/screenshare.js";
import { dataSaverPreferred, wireDataSaver } from "/static/meeting/data_saver.js";
import { backLink, meetingTitle, meetingToken, tokenClaims, tokenForMember } from "/static/meeting/meeting_token.js";
import { LivePlayer } from "/static/meeting/watch.js";

const $ = (id) => document.getElementById(id);

const room = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop() || "");
// A member's token lives minutes (docs/protocol.md "Join tokens"): fetched fresh now and
// before every rejoin; a link's own token, or a stored one, when there is no membership.
const { token, problem: tokenProblem, member: memberToken } = await meetingToken(room);
const claims = token ? tokenClaims(token) : {};
// The role the server will give us (docs/protocol.md "Stage"): known before joining, so the
// audience never opens camera or microphone at all.
const tokenRole = claims.role || (claims.can_publish === true ? "speaker" : "audience");
const state = {
  phase: "starting", self: null, micOn: true, camOn: true, error: null,
  get reconnects() { return retry.attempts; }, // tries since the last welcome (tests read it)
  // Stage layout: the active speaker large, other speakers small, the audience only counted.
  // On for town halls, and from the moment someone in the meeting is audience.
  stageLayout: claims.event_id != null || claims.role === "audience",
  goingOnStage: false,
  dataSaver: dataSaverPreferred(),
  watching: false, // the server was full: the town hall's HLS stream instead of media
  moving: false, // told "moved" and not welcomed back yet: the next drop waits as usual
};
const board = new TileBoard({ container: $("tiles"), onPlayBlocked: () => { $("sound-banner").hidden = false; } });
const screenShare = new ScreenShare({
  button: $("btn-screen"),
  mayShare: () => state.phase === "joined" && !!state.self && state.self.can_publish && !isAudience(),
  onStream: (stream) => board.setScreenStream(stream),
  notify: (text) => showStageNotice(text),
});
const retry = new Backoff(RETRY_A_FEW);
let client = null;
let localStream = null;
let panel = null;
let player = null; // the HLS player, once watching
let noticeTimer = null;

document.documentElement.lang = pageLanguage;
$("room-name").textContent = meetingTitle(room);
document.title = `${meetingTitle(room)} · Kamar`;
$("btn-leave").textContent = t.leave;
$("btn-rejoin").textContent = t.rejoin;
const back = backLink(room);
$("to-start").textContent = back ? t.backToRoom : t.toStart;
if (back) $("to-start").href = back;
$("sound-banner").textContent = t.tapForSound;
$("alone").textContent = t.alone;
$("waiting-text").textContent = t.lobbyWaiting;
$("locked-badge").textContent = t.lockedBadge;
$("btn-leave-lobby").textContent = t.leave;
$("btn-saver").textContent = t.dataSaver;
renderButtons();

function setStatus(text) {
  $("status").textContent = text;
}

function showNotice(text) {
  $("notice").textContent = text;
  $("notice").hidden = !text;
}

// Role changes and moderators' actions: shown for a while, then gone.
function showStageNotice(text, ms = 8000) {
  clearTimeout(noticeTimer);
  $("stage-notice").textContent = text;
  $("stage-notice").hidden = !text;
  if (text) noticeTimer = setTimeout(() => showStageNotice(""), ms);
}

function isAudience() {
  return !!state.self && state.self.role === "audience";
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
  // The audience has no camera or microphone to switch, but a hand to raise.
  mic.hidden = isAudience();
  cam.hidden = isAudience();
  const hand = $("btn-hand");
  const raised = !!state.self && state.self.hand !== null && state.self.hand !== undefined;
  hand.hidden = !isAudience() || state.watching;
  $("btn-saver").hidden = state.watching;
  hand.disabled = state.phase !== "joined";
  hand.textContent = raised ? t.lowerHand : t.raiseHand;
  hand.setAttribute("aria-pressed", String(raised));
  $("btn-saver").setAttribute("aria-pressed", String(state.dataSaver));
  $("data-used").hidden = !state.dataSaver;
  screenShare.render();
}

function renderAlone() {
  const others = client ? client.participants.size : 0;
  $("alone").hidden = state.phase !== "joined" || others > 0 || state.stageLayout;
}

function audienceSize() {
  const known = [state.self, ...client.participants.values()].filter((p) => p.role === "audience").length;
  return client.audienceSize(known, state.self.role === "moderator");
}

function syncTiles() {
  if (state.phase !== "joined" || !state.self) return;
  // A town hall: someone is in the audience (an audience member is told of no other one, only
  // of their number).
  const townHall = state.self.role === "audience" || client.audience > 0 ||
    [...client.participants.values()].some((p) => p.role === "audience");
  if (!state.stageLayout && townHall) {
    state.stageLayout = true; // stays on: layouts should not flip back and forth
    if (!panel.tab) panel.open(state.self.role === "moderator" ? "people" : "qa");
  }
  $("meeting").classList.toggle("stage-layout", state.stageLayout);
  board.sync({ self: state.self, participants: [...client.participants.values()], stageLayout: state.stageLayout });
  $("audience-count").textContent = t.audienceCount(audienceSize());
  $("audience-count").hidden = !state.stageLayout;
  renderAlone();
  renderButtons();
  if (panel) panel.participantsChanged();
}

$("sound-banner").addEventListener("click", () => {
  $("sound-banner").hidden = true;
  board.playAll();
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

const dataCounter = wireDataSaver({
  button: $("btn-saver"),
  counter: $("data-used"),
  board,
  language: pageLanguage,
  counterText: t.dataUsed,
  getClient: () => client,
  changed(on) {
    state.dataSaver = on;
    if (on && state.camOn && client) {
      state.camOn = false;
      client.setMuted("video", true);
    }
    renderButtons();
  },
});

$("btn-hand").addEventListener("click", () => {
  const raised = state.self.hand !== null && state.self.hand !== undefined;
  client.raiseHand(!raised);
});

function leaveMeeting() {
  state.phase = "left";
  client.leave();
  end(t.youLeft, true);
}
$("btn-leave").addEventListener("click", leaveMeeting);
$("btn-leave-lobby").addEventListener("click", leaveMeeting);

$("btn-rejoin").addEventListener("click", () => location.reload());

function end(text, canRejoin) {
  board.active = false;
  board.clearRemote();
  if (localStream) for (const track of localStream.getTracks()) track.stop();
  $("ended-text").textContent = text;
  $("btn-rejoin").hidden = !canRejoin;
  $("ended").hidden = false;
  $("waiting").hidden = true;
  $("tiles").hidden = true;
  $("alone").hidden = true;
  $("panel").hidden = true;
  document.body.dataset.phase = "ended";
  showStageNotice("");
  setStatus("");
  renderButtons();
}

// Promoted by a moderator: now (and only now) ask for camera and microphone, and publish.
async function goOnStage() {
  showStageNotice(t.onStage);
  if (localStream) {
    client.startPublishing(localStream);
    return;
  }
  if (state.goingOnStage) return;
  state.goingOnStage = true;
  const stream = await openCameraAndMicrophone();
  state.goingOnStage = false;
  if (!stream) return;
  if (isAudience() || state.phase !== "joined") { // sent back before the camera opened
    for (const track of stream.getTracks()) track.stop();
    return;
  }
  localStream = stream;
  state.micOn = stream.getAudioTracks().length > 0;
  state.camOn = stream.getVideoTracks().length > 0;
  client.startPublishing(stream);
  // A mute_all while we were audience left us marked muted: we go on stage with both on.
  if (state.self.audio_muted && state.micOn) client.setMuted("audio", false);
  if (state.self.video_muted && state.camOn) client.setMuted("video", false);
  board.setLocalStream(stream);
  renderButtons();
}

// Back in the audience: the server dropped our tracks (a screen share's too); stop the camera,
// the screen capture and the publish connections.
function leaveStage(notify) {
  client.stopPublishing();
  localStream = null;
  state.micOn = false;
  state.camOn = false;
  board.setLocalStream(null);
  if (notify) showStageNotice(t.backToAudience);
  renderButtons();
}

function onSelfUpdated(participant) {
  const before = state.self ? state.self.role : null;
  state.self = participant;
  if (before === "audience" && participant.role !== "audience") goOnStage();
  else if (before && before !== "audience" && participant.role === "audience") leaveStage(true);
}

// Why a meeting ended for good, by `bye` reason or error code (docs/protocol.md).
const END_TEXTS = {
  removed: t.removedText, banned: errorMessage("banned"), ended: t.meetingEnded,
  meeting_locked: errorMessage("meeting_locked"), denied: errorMessage("denied"),
  not_a_member: errorMessage("not_a_member"), unauthorized: t.badLink,
};

function wireClient() {
  client.addEventListener("welcome", ({ detail }) => {
    state.phase = "joined";
    state.self = detail.participant;
    state.moving = false;
    retry.reset();
    document.body.dataset.phase = "joined";
    $("waiting").hidden = true;
    board.active = !state.watching; // an HLS viewer has no tiles to size or pause
    if (board.dataSaver) client.setDataSaver(true); // a new connection: the server forgot
    setStatus("");
    // The server keeps a role a moderator gave for the whole meeting, so a reconnect (or a
    // reload) may find us on stage with an audience token, or back in the audience.
    if (isAudience() && localStream) leaveStage(false);
    else if (!isAudience() && tokenRole === "audience" && !localStream) goOnStage();
    if (state.stageLayout && !panel.tab) panel.open(state.self.role === "moderator" ? "people" : "qa");
    panel.welcome(detail);
    if (player && detail.stage.egress) player.setEgress(detail.stage.egress);
    $("locked-badge").hidden = !detail.stage.locked;
    syncTiles();
    // Mute state survives a reconnect: tell the server again.
    if (localStream && !state.micOn) client.setMuted("audio", true);
    if (localStream && !state.camOn) client.setMuted("video", true);
  });
  client.addEventListener("participant-joined", () => syncTiles());
  client.addEventListener("audience", () => syncTiles());
  client.addEventListener("participant-left", ({ detail }) => {
    board.forget(detail.participantId);
    syncTiles();
  });
  client.addEventListener("participant-updated", ({ detail }) => {
    if (state.self && detail.participant.id === state.self.id) onSelfUpdated(detail.participant);
    syncTiles();
  });
  client.addEventListener("media", ({ detail }) => board.attachMedia(detail));
  client.addEventListener("video-suspended", ({ detail }) => board.setSuspended(detail));
  client.addEventListener("active-speakers", ({ detail }) => {
    board.showSpeakers(detail.speakers, state.self && state.self.id);
  });
  client.addEventListener("lobby-wait", () => {
    state.phase = "waiting";
    state.moving = false;
    document.body.dataset.phase = "waiting";
    $("waiting").hidden = false;
    setStatus("");
  });
  client.addEventListener("lobby", ({ detail }) => panel.setWaiting(detail.waiting));
  client.addEventListener("egress", ({ detail }) => {
    panel.people.setEgress(detail);
    if (player) player.setEgress(detail);
  });
  client.addEventListener("meeting-state", ({ detail }) => {
    panel.setMeetingState(detail);
    $("locked-badge").hidden = !detail.locked;
  });
  client.addEventListener("muted-by-moderator", ({ detail }) => {
    // mute_all reaches the audience too, who have nothing to mute: nothing to say to them.
    const tracks = localStream ? localStream.getTracks().filter((track) => track.kind === detail.kind) : [];
    if (!tracks.length) return;
    if (detail.kind === "audio") state.micOn = false;
    else state.camOn = false;
    showStageNotice(t.mutedByModerator(detail.kind));
    renderButtons();
  });
  client.addEventListener("question", ({ detail }) => panel.setQuestion(detail.question));
  client.addEventListener("question-removed", ({ detail }) => panel.removeQuestion(detail.questionId));
  client.addEventListener("comment", ({ detail }) => panel.addComment(detail.comment));
  client.addEventListener("reaction", ({ detail }) => panel.showReaction(detail.emoji));
  client.addEventListener("server-error", ({ detail }) => {
    state.error = detail;
    // The member's language, never the server's English `message` (docs/protocol.md "error").
    if (!detail.final) showStageNotice(errorMessage(detail.code));
    if (detail.inReplyTo === "ask" || detail.inReplyTo === "comment") panel.refused(detail.inReplyTo);
  });
  client.addEventListener("closed", ({ detail }) => onClosed(detail));
}

function onClosed({ reason, final }) {
  if (state.phase === "left") return;
  board.active = false;
  board.clearRemote();
  if (reason === "replaced") {
    state.phase = "ended";
    end(t.replaced, true);
    return;
  }
  if (final && END_TEXTS[reason]) {
    state.phase = "ended";
    end(END_TEXTS[reason], reason === "meeting_locked"); // a locked meeting may open again
    return;
  }
  // Full, and a town hall: watch its web stream and keep asking and commenting (watch.js).
  if (reason === "server_full" && claims.event_id != null && !state.watching) {
    startWatching();
    return;
  }
  // The meeting moved to another node (this one shuts down; docs/protocol.md, `bye` "moved"):
  // straight back, with no wait and nothing to apologise for. Should that fail before a
  // welcome, the usual waits apply, so a refused client never hammers the server.
  if (reason === "moved" && !state.moving) {
    state.moving = true;
    state.phase = "reconnecting";
    setStatus(t.moving);
    renderButtons();
    rejoin();
    return;
  }
  // A member's short-lived token ran out: the rejoin below fetches a fresh one.
  const renewable = reason === "token_expired" && memberToken;
  if ((final && !renewable) || retry.exhausted) {
    state.phase = "ended";
    // A full server may have room again later: offer to try again.
    const canRejoin = !final || reason === "server_full";
    end(state.error ? errorMessage(state.error.code) : t.connectionLost, canRejoin);
    return;
  }
  state.phase = "reconnecting";
  setStatus(t.reconnecting);
  renderButtons();
  retry.schedule(rejoin);
}

function startWatching() {
  state.watching = true;
  state.phase = "reconnecting";
  state.error = null;
  if (localStream) leaveStage(false);
  player = new LivePlayer({ tiles: $("tiles"), eventId: claims.event_id });
  player.show();
  client.watch = true;
  renderButtons();
  retry.reset();
  rejoin();
}

async function rejoin() {
  if (memberToken) {
    const { token: fresh } = await tokenForMember(room);
    if (fresh) client.token = fresh;
  }
  client.join().catch(() => {});
}

async function openCameraAndMicrophone() {
  try {
    return await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: true },
      // Modest by default: many of our people are on low-end phones and mobile data.
      video: { width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 24, max: 30 } },
    });
  } catch (error) {
    showNotice(t.noMedia + (t.mediaErrors[error.name] || t.mediaErrors.other));
    return null;
  }
}

async function start() {
  if (!token) {
    state.phase = "ended";
    end(tokenProblem || t.noToken, false);
    return;
  }
  setStatus(t.connecting);
  if (tokenRole !== "audience") localStream = await openCameraAndMicrophone();
  state.micOn = !!localStream && localStream.getAudioTracks().length > 0;
  state.camOn = !!localStream && localStream.getVideoTracks().length > 0 && !state.dataSaver;
  // Data saver: our camera starts off (the welcome handler tells the server).
  if (localStream && !state.camOn) for (const track of localStream.getVideoTracks()) track.enabled = false;
  client = new KamarClient({ wsUrl: socketUrl(), token, room, localStream });
  window.kamarDebug.client = client;
  board.client = client;
  board.setLocalStream(localStream);
  screenShare.attach(client);
  panel = new StagePanel({
    root: $("panel"), layer: $("reactions-layer"), client, scope: claims.event_id != null ? `e${claims.event_id}` : room,
    identity: claims.sub,
  });
  $("panel").hidden = false;
  wireClient();
  client.join().catch(() => {}); // failures arrive as "closed" events
}

window.kamarDebug = {
  client: null,
  state,
  board,
  stats: () => (client ? client.stats() : Promise.resolve({})),
  dataUsedBytes: () => dataCounter.totalBytes,
};

start();
