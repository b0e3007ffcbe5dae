// Kamar signalling client (protocol v1, docs/protocol.md). No DOM here: the UI listens to events.
//
// Two peer connections: "publish" (we offer, sendonly: our camera and microphone; with a screen
// share, a second one: publishing.js) and "subscribe" (the server offers, recvonly: everyone
// else). Each has one offerer, so offers never cross. No trickle ICE (peer.js).

import { openSocket } from "/static/base/socket.js";
import { createPeerConnection, waitForIceGathering } from "/static/meeting/peer.js";
import { Publisher } from "/static/meeting/publishing.js";

export { waitForIceGathering } from "/static/meeting/peer.js";
export { simulcastEncodings } from "/static/meeting/publishing.js";

const PROTOCOL_VERSION = 1;
// Close reasons after which reconnecting with the same token cannot help.
const FINAL_ERRORS = new Set([
  "unauthorized", "token_expired", "wrong_room", "version_unsupported", "forbidden",
  "server_full", "banned", "meeting_locked", "denied", "not_a_member",
]);
// `bye` reasons after which reconnecting is wrong: someone (or a moderator) ended this visit.
const FINAL_BYES = new Set(["replaced", "removed", "banned", "ended"]);

// Where a received track goes: the camera's audio and video, or the shared screen's.
function mediaKey(source, kind) {
  if (source === "screen") return kind === "video" ? "screen" : "screenAudio";
  return kind;
}

// pause_video and video_size name the screen only: "camera" is the default (and all an older
// server understands).
function sourceField(source) {
  return source === "screen" ? { source } : {};
}

// Events (all CustomEvent, payload in `detail`):
//   welcome {participant, participants}   participant-joined {participant}
//   participant-left {participantId, reason}   participant-updated {participant}
//   media {participantId, audio, video, screen, screenAudio: MediaStreamTrack|null}
//     (screen, screenAudio: their shared screen, a separate tile)
//   screen-share {stream: MediaStream|null, error: {code, message}|null}: our own share
//     started (answered by the server) or ended (by us, the browser, the server or a refusal)
//   server-error {code, message, final, inReplyTo}   closed {reason, final}   publishing {}
//   active-speakers {speakers: [participant id, loudest first]}
//   video-suspended {participantId, source, suspended}: our downlink cannot carry that video
//     now (the server stopped it; it restarts it by itself when the link allows)
// Stage (town halls, docs/protocol.md "Stage"): lobby-wait {message}, lobby {waiting},
//   meeting-state {locked, lobby}, muted-by-moderator {kind}, question {question},
//   question-removed {questionId}, comment {comment}, reaction {participantId, emoji},
//   egress {live, recording, seconds, destinations, hls}, audience {count};
//   welcome also carries `stage`. In a town hall an audience member is told about the stage
//   only, and how many are in the audience (`audience`: welcome.stage.audience, then the
//   `audience` event at most once a second); moderators are told about everyone.
export class KamarClient extends EventTarget {
  constructor({ wsUrl, token, room, localStream = null }) {
    super();
    this.wsUrl = wsUrl;
    this.token = token;
    this.room = room;
    this.localStream = localStream;
    // An HLS viewer (web/meeting/watch.js): hello with `watch`, in for questions and comments only.
    this.watch = false;
    this.self = null;
    this.participants = new Map(); // id -> Participant (others only, those we are told about)
    // How many are in the town hall's audience (the server's count), null before one is known.
    this.audience = null;
    this.tracks = {}; // mid -> {participant_id, kind, source}, from the latest subscribe_offer
    // Our camera's and our shared screen's publish connections.
    this.publisher = new Publisher(this);
    this.subscribePc = null;
    this.iceServers = [];
    this.ws = null;
    this.left = false;
    this._offers = Promise.resolve(); // subscribe offers are applied one after another
    this._welcome = null;
  }

  // Opens the socket and resolves with the welcome, or rejects with an Error carrying `code`.
  join() {
    this.left = false;
    return new Promise((resolve, reject) => {
      this._welcome = { resolve, reject };
      this.ws = openSocket(this.wsUrl, {
        onOpen: () => this._send({
          type: "hello", v: PROTOCOL_VERSION, token: this.token, room: this.room, ...(this.watch ? { watch: true } : {}),
        }),
        onFrame: (message) => this._onFrame(message),
        onBadFrame: () => console.warn("kamar: ignoring a frame that is not a JSON message"),
        onClose: (event, ws) => this._onSocketClosed(ws, event),
      });
    });
  }

  // How many are in the audience, from `known` (those we are told of): a moderator is told of
  // everyone at once; anyone else takes the server's count when it says more (it follows
  // within a second, docs/protocol.md "Who is told about whom").
  audienceSize(known, isModerator) {
    if (isModerator || this.audience === null) return known;
    return Math.max(known, this.audience);
  }

  setMuted(kind, muted) {
    if (this.localStream) {
      for (const track of this.localStream.getTracks()) {
        if (track.kind === kind) track.enabled = !muted;
      }
    }
    this._send({ type: "mute", kind, muted });
  }

  // Data saver: the server sends us the loudest speaker's voice only (docs/protocol.md).
  setDataSaver(on) {
    this._send({ type: "data_saver", on });
  }

  // Stop (or restart) receiving one participant's video, e.g. while its tile is off screen.
  // `source`: "camera" or "screen" (their shared screen).
  setVideoPaused(participantId, paused, source = "camera") {
    this._send({ type: "pause_video", participant_id: participantId, paused, ...sourceField(source) });
  }

  // The size (device pixels) one participant's video is shown at; 0 x 0: not shown anywhere.
  setVideoSize(participantId, width, height, source = "camera") {
    this._send({ type: "video_size", participant_id: participantId, width, height, ...sourceField(source) });
  }

  // Share a screen (a stream from getDisplayMedia): a second, sendonly publish connection
  // offered with source "screen". `screen-share` fires once the server answered, and again
  // with stream null when the share ends. The browser's own "stop sharing" ends it too.
  startScreenShare(stream) {
    return this.publisher.startScreenShare(stream);
  }

  // Stop sharing: tell the server (when it knows of the share) and let go of the stream.
  stopScreenShare() {
    this.publisher.stopScreenShare();
  }

  get sharingScreen() {
    return !!this.publisher.screenPc;
  }

  // The publish connections (null when not publishing), for the UI and debugging.
  get publishPc() {
    return this.publisher.publishPc;
  }

  get screenPc() {
    return this.publisher.screenPc;
  }

  get screenStream() {
    return this.publisher.screenStream;
  }

  // Go on stage (promoted by a moderator): publish this camera and microphone.
  startPublishing(stream) {
    this.localStream = stream;
    if (this.self && this.self.can_publish && !this.publishPc && stream && stream.getTracks().length) {
      this.publisher.publishCamera();
    }
  }

  // Back in the audience: the server has already dropped our tracks; let go of ours too.
  stopPublishing() {
    this.publisher.close();
    if (this.localStream) for (const track of this.localStream.getTracks()) track.stop();
    this.localStream = null;
  }

  // Stage actions. Refusals come back as server-error events (never final).
  raiseHand(raised) { this._send({ type: "raise_hand", raised }); }
  setRole(participantId, role) { this._send({ type: "set_role", participant_id: participantId, role }); }
  muteParticipant(participantId, kind) {
    this._send({ type: "mute_participant", participant_id: participantId, kind });
  }
  muteAll(kind = "audio") { this._send({ type: "mute_all", kind }); }
  removeParticipant(participantId, ban = false) {
    this._send({ type: "remove_participant", participant_id: participantId, ban });
  }
  lockMeeting(locked) { this._send({ type: "lock_meeting", locked }); }
  egressStart(rtmp, record, hls) { this._send({ type: "egress_start", rtmp, record, hls }); }
  egressStop() { this._send({ type: "egress_stop" }); }
  setLobby(enabled) { this._send({ type: "set_lobby", enabled }); }
  admit(participantId, allow = true) { this._send({ type: "admit", participant_id: participantId, allow }); }
  endMeeting() { this._send({ type: "end_meeting" }); }
  // A question or comment typed by the member: true when it went to the meeting, false when
  // there was no welcomed connection to take it (nothing was sent; stage.js keeps the text).
  // `clientId`: the page's name for it, the same when sent again (the server takes it once).
  ask(text, clientId) { return this._sendTyped({ type: "ask", text, client_id: clientId }); }
  vote(questionId, up = true) { this._send({ type: "vote", question_id: questionId, up }); }
  answerQuestion(questionId, answered = true) {
    this._send({ type: "answer_question", question_id: questionId, answered });
  }
  hideQuestion(questionId, hidden = true) {
    this._send({ type: "hide_question", question_id: questionId, hidden });
  }
  comment(text, clientId) { return this._sendTyped({ type: "comment", text, client_id: clientId }); }
  react(emoji) { this._send({ type: "react", emoji }); }

  leave() {
    this.left = true;
    this._send({ type: "leave" });
    this._closePeers();
  }

  // Per other participant: video frames decoded and audio packets received so far, the camera
  // as `audio`/`video`, a shared screen as `screen` (video) and `screenAudio`.
  async stats() {
    const result = {};
    if (!this.subscribePc) return result;
    const byTrackId = new Map();
    for (const transceiver of this.subscribePc.getTransceivers()) {
      const info = this.tracks[transceiver.mid];
      if (info) byTrackId.set(transceiver.receiver.track.id, info);
    }
    const report = await this.subscribePc.getStats();
    report.forEach((entry) => {
      if (entry.type !== "inbound-rtp") return;
      const info = this.tracks[entry.mid] || byTrackId.get(entry.trackIdentifier);
      if (!info) return;
      const videoSlot = () => ({
        packetsReceived: 0, packetsLost: 0, framesDecoded: 0, frameWidth: 0, frameHeight: 0, freezeCount: 0,
      });
      const mine = (result[info.participant_id] ||= {
        audio: { packetsReceived: 0, packetsLost: 0 },
        video: videoSlot(),
        screen: videoSlot(),
        screenAudio: { packetsReceived: 0, packetsLost: 0 },
      });
      const slot = mine[mediaKey(info.source, entry.kind)];
      slot.packetsReceived += entry.packetsReceived || 0;
      slot.packetsLost += entry.packetsLost || 0;
      if (entry.kind === "video") {
        slot.framesDecoded += entry.framesDecoded || 0;
        slot.frameWidth = Math.max(slot.frameWidth, entry.frameWidth || 0);
        slot.frameHeight = Math.max(slot.frameHeight, entry.frameHeight || 0);
        slot.freezeCount += entry.freezeCount || 0;
      }
    });
    return result;
  }

  _send(message) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  // Open and welcomed: between a reconnect's open and its welcome the server takes only hello.
  get connected() {
    return !!this.ws && this.ws.readyState === WebSocket.OPEN && !this._welcome;
  }

  _sendTyped(message) {
    if (!this.connected) return false;
    this._send(message);
    return true;
  }

  _emit(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { detail }));
  }

  _onFrame(message) {
    const handler = this._handlers[message.type];
    if (handler) handler.call(this, message);
    else console.warn("kamar: ignoring unknown message type", message.type);
  }

  _onSocketClosed(ws, event) {
    if (ws !== this.ws) return;
    this._closePeers();
    const error = this._lastError;
    const final = this.left || (error && FINAL_ERRORS.has(error.code)) || FINAL_BYES.has(this._byeReason);
    if (this._welcome) {
      const failure = new Error(error ? error.message : `connection closed (${event.code})`);
      failure.code = error ? error.code : "closed";
      this._welcome.reject(failure);
      this._welcome = null;
    }
    this._emit("closed", { reason: this._byeReason || (error && error.code) || "disconnected", final });
  }

  _closePeers() {
    this.publisher.closeCamera();
    if (this.subscribePc) this.subscribePc.close();
    this.subscribePc = null;
    // A step under way on the closed connection may never settle (the WebRTC spec leaves its
    // promise pending): the next connection's offers must not queue behind it.
    this._offers = Promise.resolve();
    this.tracks = {};
    this.publisher.endScreenShare(null); // a share ends with its connection: sharing again is a choice
  }

  _applySubscribeOffer(message) {
    if (!this.subscribePc) {
      this.subscribePc = createPeerConnection(this.iceServers);
    }
    const pc = this.subscribePc;
    // The mid -> participant map must be in place before the remote description creates receivers.
    this.tracks = message.tracks;
    this._offers = this._offers
      .then(async () => {
        if (pc !== this.subscribePc) return;
        await pc.setRemoteDescription({ type: "offer", sdp: message.sdp });
        await pc.setLocalDescription(await pc.createAnswer());
        await waitForIceGathering(pc);
        if (pc !== this.subscribePc) return;
        this._send({ type: "subscribe_answer", sdp: pc.localDescription.sdp, revision: message.revision });
        this._announceMedia();
      })
      .catch((error) => {
        console.error("kamar: could not apply the server's subscribe offer", error);
      });
  }

  // Tell the UI which receiving tracks belong to whom, after every offer (transceivers are reused).
  _announceMedia() {
    const media = new Map();
    for (const id of this.participants.keys()) {
      media.set(id, { audio: null, video: null, screen: null, screenAudio: null });
    }
    for (const transceiver of this.subscribePc.getTransceivers()) {
      const info = this.tracks[transceiver.mid];
      if (!info || !media.has(info.participant_id)) continue;
      media.get(info.participant_id)[mediaKey(info.source, info.kind)] = transceiver.receiver.track;
    }
    for (const [participantId, tracks] of media) this._emit("media", { participantId, ...tracks });
  }
}

KamarClient.prototype._handlers = {
  welcome(message) {
    this.self = message.participant;
    this.iceServers = message.ice_servers || [];
    this.participants = new Map(message.participants.map((p) => [p.id, p]));
    this.audience = message.stage && Number.isInteger(message.stage.audience) ? message.stage.audience : null;
    this._lastError = null;
    this._byeReason = null;
    const stage = message.stage || { locked: false, lobby: false, questions: [], comments: [], reactions: [] };
    // Welcomed before the listeners hear it, so they may send at once (`connected`).
    const waiting = this._welcome;
    this._welcome = null;
    this._emit("welcome", { participant: message.participant, participants: message.participants, stage });
    if (waiting) waiting.resolve(message);
    if (this.self.can_publish && this.localStream && this.localStream.getTracks().length) {
      this.publisher.publishCamera();
    }
  },
  publish_answer(message) {
    this.publisher.applyAnswer(message);
  },
  publish_layers(message) {
    this.publisher.setActiveLayers(message.source || "camera", message.active || []);
  },
  subscribe_offer(message) {
    this._applySubscribeOffer(message);
  },
  participant_joined(message) {
    this.participants.set(message.participant.id, message.participant);
    this._emit("participant-joined", { participant: message.participant });
  },
  participant_left(message) {
    this.participants.delete(message.participant_id);
    this._emit("participant-left", { participantId: message.participant_id, reason: message.reason });
  },
  participant_updated(message) {
    const participant = message.participant;
    if (this.self && participant.id === this.self.id) {
      this.self = participant;
      // Sent back to the audience: the server closed its side of the publish connections
      // (the screen share's too), so there is nothing to unpublish.
      if (!participant.can_publish || participant.role === "audience") {
        this.publisher.close();
      }
    } else {
      this.participants.set(participant.id, participant);
    }
    this._emit("participant-updated", { participant });
  },
  audience(message) {
    this.audience = message.count;
    this._emit("audience", { count: message.count });
  },
  active_speakers(message) {
    this._emit("active-speakers", { speakers: message.speakers });
  },
  video_suspended(message) {
    this._emit("video-suspended", {
      participantId: message.participant_id,
      source: message.source || "camera",
      suspended: !!message.suspended,
    });
  },
  pong() {},
  lobby_wait(message) {
    this._emit("lobby-wait", { message: message.message });
  },
  lobby(message) {
    this._emit("lobby", { waiting: message.waiting || [] });
  },
  meeting_state(message) {
    this._emit("meeting-state", { locked: !!message.locked, lobby: !!message.lobby });
  },
  muted_by_moderator(message) {
    if (this.localStream) {
      for (const track of this.localStream.getTracks()) if (track.kind === message.kind) track.enabled = false;
    }
    this._emit("muted-by-moderator", { kind: message.kind });
  },
  question(message) {
    this._emit("question", { question: message.question });
  },
  question_removed(message) {
    this._emit("question-removed", { questionId: message.question_id });
  },
  comment(message) {
    this._emit("comment", { comment: message.comment });
  },
  reaction(message) {
    this._emit("reaction", { participantId: message.participant_id, emoji: message.emoji });
  },
  egress(message) {
    this._emit("egress", message);
  },
  bye(message) {
    this._byeReason = message.reason;
  },
  error(message) {
    this._lastError = message;
    const final = FINAL_ERRORS.has(message.code);
    console.warn(`kamar: server error ${message.code}: ${message.message}`);
    // A refused screen offer ends the share, without a server-error.
    if (message.in_reply_to === "publish_offer" && this.publisher.settleRefusedOffer(message)) return;
    this._emit("server-error", {
      code: message.code, message: message.message, final, inReplyTo: message.in_reply_to,
    });
  },
};
