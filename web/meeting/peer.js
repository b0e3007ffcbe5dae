// Peer connection helpers shared by the publish and subscribe sides. No trickle ICE: we send an
// SDP only after gathering finished (at most 2 s).

const ICE_GATHER_LIMIT_MS = 2000;

export function createPeerConnection(iceServers) {
  return new RTCPeerConnection({ iceServers, bundlePolicy: "max-bundle" });
}

export function waitForIceGathering(pc, limitMs = ICE_GATHER_LIMIT_MS) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      pc.removeEventListener("icegatheringstatechange", check);
      resolve();
    };
    const check = () => {
      if (pc.iceGatheringState === "complete") finish();
    };
    const timer = setTimeout(finish, limitMs);
    pc.addEventListener("icegatheringstatechange", check);
  });
}
