// Data saver ("Hemat data") for members on prepaid mobile data, and the meeting's data counter.
// With data saver on: we join with our camera off, others' videos stay paused at the server
// until tapped, at most DATA_SAVER_MAX_VIDEOS play at once, each at the lowest simulcast layer
// (tiles.js), and the server sends the loudest speaker's voice only (`data_saver`). The choice
// is remembered on this device.

const PREFERENCE_KEY = "kamar.dataSaver";

export function dataSaverPreferred() {
  try {
    return localStorage.getItem(PREFERENCE_KEY) === "1";
  } catch {
    return false; // storage blocked (some WebViews): data saver starts off
  }
}

export function rememberDataSaver(on) {
  try {
    localStorage.setItem(PREFERENCE_KEY, on ? "1" : "0");
  } catch {
    // Not remembered, still applied for this visit.
  }
}

// Bytes sent and received by all of this meeting's connections, reconnects included: what the
// phone's data plan pays for (RTP, RTCP, DTLS and ICE, from each connection's transport stats).
export class DataCounter {
  constructor() {
    this.closedBytes = 0; // connections that have gone
    this.live = new Map(); // RTCPeerConnection -> bytes it has carried so far
  }

  get totalBytes() {
    let total = this.closedBytes;
    for (const bytes of this.live.values()) total += bytes;
    return total;
  }

  async update(connections) {
    for (const [pc, bytes] of this.live) {
      if (!connections.includes(pc)) {
        this.closedBytes += bytes;
        this.live.delete(pc);
      }
    }
    for (const pc of connections) {
      let bytes = 0;
      try {
        const report = await pc.getStats();
        report.forEach((entry) => {
          if (entry.type === "transport") bytes += (entry.bytesSent || 0) + (entry.bytesReceived || 0);
        });
      } catch {
        continue; // closed meanwhile: its last count stands
      }
      this.live.set(pc, Math.max(bytes, this.live.get(pc) || 0));
    }
    return this.totalBytes;
  }
}

export function formatMegabytes(bytes, language) {
  const megabytes = bytes / 1e6;
  const digits = megabytes < 10 ? 2 : 1; // a meeting's first minutes are tens of kilobytes
  return megabytes.toLocaleString(language === "id" ? "id-ID" : "en", {
    minimumFractionDigits: digits, maximumFractionDigits: digits,
  });
}

// The data saver button and the "N MB used" counter of the meeting page. `changed(on)` lets the
// page turn its camera off when data saver is switched on. Returns the DataCounter.
export function wireDataSaver({ button, counter, board, language, counterText, getClient, changed }) {
  let on = dataSaverPreferred();
  const counting = new DataCounter();
  board.setDataSaver(on);
  button.addEventListener("click", () => {
    on = !on;
    rememberDataSaver(on);
    board.setDataSaver(on);
    changed(on);
  });
  setInterval(async () => {
    const client = getClient();
    if (!client) return;
    const connections = [client.publishPc, client.screenPc, client.subscribePc].filter(Boolean);
    const bytes = await counting.update(connections);
    counter.textContent = counterText(formatMegabytes(bytes, language));
  }, 2000);
  return counting;
}
