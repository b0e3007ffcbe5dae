// The "share screen" button of the meeting page: speakers and moderators share a screen,
// window or tab (getDisplayMedia) over a second publish connection (KamarClient). The share
// ends by this button, by the browser's own "stop sharing", when a moderator sends us back to
// the audience, and when we leave or the connection drops (the client ends it then).
import { errorMessage, t } from "/static/strings.js";

// Phones' browsers mostly cannot capture the screen: they get no button at all.
export function screenSharingSupported() {
  return !!(navigator.mediaDevices && typeof navigator.mediaDevices.getDisplayMedia === "function");
}

export class ScreenShare {
  // mayShare(): whether we are in the meeting with a role that may publish.
  // onStream(stream|null): our share started (answered by the server) or ended.
  // notify(text): tell the user something went wrong.
  constructor({ button, mayShare, onStream, notify }) {
    this.button = button;
    this.mayShare = mayShare;
    this.onStream = onStream;
    this.notify = notify;
    this.client = null;
    this.choosing = false; // the browser's picker is open
    this.supported = screenSharingSupported();
    button.addEventListener("click", () => this.toggle());
    this.render();
  }

  attach(client) {
    this.client = client;
    client.addEventListener("screen-share", ({ detail }) => {
      if (detail.error) this.notify(t.screenShareFailed + errorMessage(detail.error.code));
      this.onStream(detail.stream);
      this.render();
    });
  }

  get sharing() {
    return !!this.client && this.client.sharingScreen;
  }

  render() {
    const sharing = this.sharing;
    this.button.hidden = !this.supported || !this.mayShare();
    this.button.disabled = this.choosing || !this.client;
    this.button.textContent = sharing ? t.stopSharing : t.shareScreen;
    this.button.setAttribute("aria-pressed", String(sharing));
  }

  async toggle() {
    if (!this.client || this.choosing) return;
    if (this.sharing) {
      this.client.stopScreenShare(); // the client's screen-share event renders the rest
      return;
    }
    this.choosing = true;
    this.render();
    let stream = null;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    } catch (error) {
      // Cancelling the browser's picker is no error worth a word.
      if (error.name !== "NotAllowedError" && error.name !== "AbortError") {
        this.notify(t.screenShareFailed + (t.mediaErrors[error.name] || t.mediaErrors.other));
      }
    } finally {
      this.choosing = false;
    }
    // Sent to the audience or disconnected while the picker was open: share nothing.
    if (stream && (!this.mayShare() || this.sharing)) {
      for (const track of stream.getTracks()) track.stop();
      stream = null;
    }
    if (stream) await this.client.startScreenShare(stream);
    this.render();
  }
}
