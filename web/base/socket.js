// The one websocket both clients use (docs/protocol.md): /ws opened with JSON frames, and the
// one reconnect schedule (Backoff). The community feed retries for as long as the page lives;
// the meeting page a few times, then says the connection is lost and offers to rejoin.

// How long to wait before each new attempt; the last delay repeats. `jitter` spreads the waits
// (0.2: 80-120 %), so a server restart is not met by every phone at the same instant.
export const RETRY_FOREVER = { delaysMs: [1000, 2000, 4000, 8000, 15000, 30000], jitter: 0.2 };
// A meeting that stays away longer than this is better ended with a "rejoin" button: the
// people in it have moved on, and a phone that is gone should stop holding a camera open.
export const RETRY_A_FEW = { delaysMs: [1000, 2000, 4000, 8000, 8000], limit: 5 };

export function socketUrl(path = "/ws") {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
}

// Opens a websocket to `url`. Each frame arrives parsed in `onFrame` when it is a JSON object
// with a string `type`; anything else goes to `onBadFrame` (raw). The caller keeps the socket
// and ignores a stale one's events itself, since only it knows which socket is current.
export function openSocket(url, { onOpen, onFrame, onBadFrame = () => {}, onClose }) {
  const ws = new WebSocket(url);
  ws.addEventListener("open", () => onOpen(ws));
  ws.addEventListener("message", (event) => {
    let message = null;
    try {
      message = JSON.parse(event.data);
    } catch {
      /* handled below */
    }
    if (message && typeof message.type === "string") onFrame(message, ws);
    else onBadFrame(event.data, ws);
  });
  ws.addEventListener("close", (event) => onClose(event, ws));
  return ws;
}

export class Backoff {
  constructor({ delaysMs, limit = Infinity, jitter = 0 }) {
    this.delaysMs = delaysMs;
    this.limit = limit;
    this.jitter = jitter;
    this.attempts = 0;
    this.timer = null;
  }

  get exhausted() {
    return this.attempts >= this.limit;
  }

  // Runs `retry` after the next wait; false, with nothing scheduled, once the tries are used.
  schedule(retry) {
    if (this.exhausted) return false;
    const delay = this.delaysMs[Math.min(this.attempts, this.delaysMs.length - 1)];
    this.attempts += 1;
    const spread = 1 - this.jitter + Math.random() * 2 * this.jitter;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      retry();
    }, delay * spread);
    return true;
  }

  cancel() {
    clearTimeout(this.timer);
    this.timer = null;
  }

  // Connected again: the next drop starts from the shortest wait.
  reset() {
    this.cancel();
    this.attempts = 0;
  }
}
