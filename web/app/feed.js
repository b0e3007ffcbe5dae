// The community feed over the websocket /ws (docs/protocol.md, "Community feed"). No DOM.
//
// After opening, the client sends {type: "auth", token}; the server answers {type: "authed"}
// and from then on pushes the events of every room the user belongs to. A dropped socket is
// reopened with growing delays for as long as the page lives (web/base/socket.js); the "online"
// event tells the UI to refetch what it may have missed.
//
// Events (CustomEvent, payload in `detail`):
//   status {state: "connecting" | "online" | "offline"}
//   online {user, reconnect: bool}      unauthorized {}
//   message {type, ...}                 one per server event (chat_message, typing, ...)
//   server-error {code, message}

import { Backoff, openSocket, RETRY_FOREVER, socketUrl } from "/static/base/socket.js";

const PING_EVERY_MS = 25000; // keeps NAT and proxy mappings alive on mobile networks
const PONG_WITHIN_MS = 10000;

export class Feed extends EventTarget {
  constructor(token, url = socketUrl()) {
    super();
    this.token = token;
    this.url = url;
    this.ws = null;
    this.state = "offline";
    this.retry = new Backoff(RETRY_FOREVER);
    this.everOnline = false;
    this.stopped = false;
    this.pingTimer = null;
    this.pongTimer = null;
    this.queue = []; // sent while the socket was not ready; only the latest of each kind is kept
    this._onOnline = () => this.reconnectNow();
    this._onVisible = () => {
      if (document.visibilityState === "visible") this.reconnectNow();
    };
  }

  start() {
    this.stopped = false;
    globalThis.addEventListener("online", this._onOnline);
    globalThis.document?.addEventListener("visibilitychange", this._onVisible);
    this._open();
  }

  stop() {
    this.stopped = true;
    globalThis.removeEventListener("online", this._onOnline);
    globalThis.document?.removeEventListener("visibilitychange", this._onVisible);
    this.retry.cancel();
    this._stopPing();
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.close(1000);
    }
    this._setState("offline");
  }

  // Sends now when authed; otherwise keeps it for the next connection (typing is dropped:
  // stale by then).
  send(message) {
    if (this.state === "online" && this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(message));
      return true;
    }
    if (message.type === "read") {
      this.queue = this.queue.filter((m) => !(m.type === "read" && m.room_id === message.room_id));
      this.queue.push(message);
    }
    return false;
  }

  // Skip the wait when the network or the page comes back.
  reconnectNow() {
    if (this.stopped || this.state !== "offline") return;
    this.retry.cancel();
    this._open();
  }

  _setState(state) {
    if (this.state === state) return;
    this.state = state;
    this._emit("status", { state });
  }

  _emit(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { detail }));
  }

  _open() {
    if (this.stopped) return;
    this._setState("connecting");
    try {
      this.ws = openSocket(this.url, {
        onOpen: (ws) => {
          if (ws === this.ws) ws.send(JSON.stringify({ type: "auth", token: this.token }));
        },
        onFrame: (message, ws) => {
          if (ws === this.ws) this._onFrame(message);
        },
        onClose: (_event, ws) => {
          if (ws !== this.ws) return;
          this.ws = null;
          this._stopPing();
          this._setState("offline");
          this._scheduleRetry();
        },
      });
    } catch {
      this._scheduleRetry(); // a malformed URL, or a page that may not open sockets
    }
  }

  _scheduleRetry() {
    if (!this.stopped) this.retry.schedule(() => this._open());
  }

  _onFrame(message) {
    switch (message.type) {
      case "authed": {
        const reconnect = this.everOnline;
        this.everOnline = true;
        this.retry.reset();
        this._setState("online");
        this._startPing();
        const queued = this.queue;
        this.queue = [];
        for (const item of queued) this.send(item);
        this._emit("online", { user: message.user, reconnect });
        break;
      }
      case "pong":
        clearTimeout(this.pongTimer);
        break;
      case "error":
        if (message.code === "unauthorized" || message.code === "token_expired") {
          this.stop();
          this._emit("unauthorized", {});
        } else {
          this._emit("server-error", { code: message.code, message: message.message });
        }
        break;
      default:
        this._emit("message", message);
    }
  }

  _startPing() {
    this._stopPing();
    this.pingTimer = setInterval(() => {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
      this.ws.send(JSON.stringify({ type: "ping" }));
      clearTimeout(this.pongTimer);
      // No answer: the connection is dead even if the browser has not noticed yet.
      const ws = this.ws;
      this.pongTimer = setTimeout(() => {
        if (ws === this.ws) ws.close(4000, "no pong");
      }, PONG_WITHIN_MS);
    }, PING_EVERY_MS);
  }

  _stopPing() {
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
  }
}
