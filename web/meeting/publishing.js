// Our own media going out (docs/protocol.md, "Media"): the camera and microphone on the
// "publish" connection (we offer, sendonly, simulcast), and a shared screen on a second publish
// connection of its own (publish_offer with source "screen"), offered while sharing and closed
// when the share stops. No DOM: the KamarClient owns one Publisher, hands it the server's
// publish answers and refusals, and its events (publishing, screen-share) go out through it.

import { createPeerConnection, waitForIceGathering } from "/static/meeting/peer.js";

// Simulcast: the camera goes out as several layers, lowest first, and the server forwards to
// each subscriber the one that fits its tile and its downlink.
// Chromium sends at most two layers of a capture below 960x540 (it drops the rest), so a
// small capture is offered as two: half and full size.
export function simulcastEncodings(track) {
  const height = (track.getSettings && track.getSettings().height) || 0;
  const layers = height >= 540 ? [["q", 4], ["h", 2], ["f", 1]] : [["h", 2], ["f", 1]];
  return layers.map(([rid, scaleResolutionDownBy]) => ({ rid, scaleResolutionDownBy }));
}

export class Publisher {
  // `client`: the KamarClient, for its socket (_send), its events (_emit), the ICE servers from
  // the welcome and the local camera stream (localStream).
  constructor(client) {
    this.client = client;
    this.publishPc = null;
    this.screenPc = null;
    this.screenStream = null;
    this._screenOffered = false;
    this._screenAnswered = false;
    this._cameraAnswered = false;
  }

  // Offer the client's localStream (camera and microphone) on a new publish connection.
  publishCamera() {
    this._publishCamera().catch((error) => console.error("kamar: publishing failed", error));
  }

  async _publishCamera() {
    const client = this.client;
    const pc = createPeerConnection(client.iceServers);
    this.publishPc = pc;
    this._cameraAnswered = false;
    for (const track of client.localStream.getTracks()) {
      const init = { direction: "sendonly", streams: [client.localStream] };
      if (track.kind === "video") init.sendEncodings = simulcastEncodings(track);
      pc.addTransceiver(track, init);
    }
    await pc.setLocalDescription(await pc.createOffer());
    await waitForIceGathering(pc);
    if (pc !== this.publishPc) return;
    client._send({ type: "publish_offer", sdp: pc.localDescription.sdp });
  }

  // Drop the camera's publish connection (the stream itself stays with the client).
  closeCamera() {
    if (this.publishPc) this.publishPc.close();
    this.publishPc = null;
  }

  // Both publish connections are over: the server already dropped them, or will with the socket.
  close() {
    this.closeCamera();
    this.endScreenShare(null);
  }

  // Share a screen (a stream from getDisplayMedia). `screen-share` fires once the server
  // answered, and again with stream null when the share ends. The browser's own "stop sharing"
  // ends it too.
  async startScreenShare(stream) {
    const client = this.client;
    const video = stream.getVideoTracks()[0];
    if (!video || this.screenPc || !client.self || !client.self.can_publish) {
      for (const track of stream.getTracks()) track.stop();
      return false;
    }
    // Text on a screen must stay sharp: lose frames rather than resolution when short of bandwidth.
    if ("contentHint" in video && !video.contentHint) video.contentHint = "detail";
    const pc = createPeerConnection(client.iceServers);
    this.screenPc = pc;
    this.screenStream = stream;
    this._screenOffered = false;
    this._screenAnswered = false;
    for (const track of stream.getTracks()) {
      track.addEventListener("ended", () => {
        if (this.screenStream === stream) this.stopScreenShare();
      });
    }
    pc.addTransceiver(video, { direction: "sendonly", streams: [stream] });
    const audio = stream.getAudioTracks()[0]; // a shared tab's sound, when the browser gave it
    if (audio) pc.addTransceiver(audio, { direction: "sendonly", streams: [stream] });
    try {
      await pc.setLocalDescription(await pc.createOffer());
      await waitForIceGathering(pc);
    } catch (error) {
      if (pc === this.screenPc) this.endScreenShare({ code: "bad_sdp", message: String(error) });
      return false;
    }
    if (pc !== this.screenPc) return false; // stopped while gathering
    client._send({ type: "publish_offer", sdp: pc.localDescription.sdp, source: "screen" });
    this._screenOffered = true;
    return true;
  }

  // Stop sharing: tell the server (when it knows of the share) and let go of the stream.
  stopScreenShare() {
    if (!this.screenPc) return;
    if (this._screenOffered) this.client._send({ type: "unpublish", source: "screen" });
    this.endScreenShare(null);
  }

  // The share is over (whoever ended it): close its connection and stop capturing the screen.
  endScreenShare(error) {
    if (!this.screenPc) return;
    const stream = this.screenStream;
    this.screenPc.close();
    this.screenPc = null;
    this.screenStream = null;
    this._screenOffered = false;
    this._screenAnswered = false;
    if (stream) for (const track of stream.getTracks()) track.stop();
    this.client._emit("screen-share", { stream: null, error });
  }

  // The server's publish_answer, for the camera or (source "screen") the shared screen.
  applyAnswer(message) {
    const client = this.client;
    if (message.source === "screen") {
      const pc = this.screenPc;
      if (!pc || this._screenAnswered) return;
      this._screenAnswered = true;
      pc.setRemoteDescription({ type: "answer", sdp: message.sdp })
        .then(() => {
          if (pc === this.screenPc) client._emit("screen-share", { stream: this.screenStream, error: null });
        })
        .catch((error) => {
          console.error("kamar: the server's screen answer was refused", error);
          if (pc === this.screenPc) this.stopScreenShare();
        });
      return;
    }
    if (!this.publishPc) return;
    this._cameraAnswered = true;
    this.publishPc
      .setRemoteDescription({ type: "answer", sdp: message.sdp })
      .then(() => client._emit("publishing", {}))
      .catch((error) => console.error("kamar: the server's publish answer was refused", error));
  }

  // The server's publish_layers: keep sending only the simulcast layers someone receives (the
  // others cost our uplink for nothing); a layer turned on again starts with a key frame.
  setActiveLayers(source, rids) {
    const pc = source === "screen" ? this.screenPc : this.publishPc;
    if (!pc) return;
    for (const transceiver of pc.getTransceivers()) {
      const sender = transceiver.sender;
      const kind = sender.track ? sender.track.kind : transceiver.receiver.track.kind;
      if (kind !== "video") continue;
      const params = sender.getParameters();
      if (!params.encodings || params.encodings.length < 2) continue;
      let changed = false;
      for (const encoding of params.encodings) {
        const active = rids.includes(encoding.rid);
        if (encoding.active !== active) {
          encoding.active = active;
          changed = true;
        }
      }
      // A refusal (the connection closing meanwhile) needs nothing: the next message says all.
      if (changed) sender.setParameters(params).catch(() => {});
    }
  }

  // A server error in reply to one of our publish offers. True when it refused the screen
  // offer (the share is then over, quietly); false when it was the camera's, now settled.
  // The camera's offer is answered first: it is sent right after welcome.
  settleRefusedOffer(message) {
    if (this.screenPc && !this._screenAnswered && (this._cameraAnswered || !this.publishPc)) {
      this.endScreenShare({ code: message.code, message: message.message });
      return true;
    }
    this._cameraAnswered = true; // refused, but settled
    return false;
  }
}
