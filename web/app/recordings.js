// A town hall's recordings in its agenda entry: a button that lists them, each playable in
// place (the signed link lets <video> stream it with Range requests, no Authorization header)
// and downloadable as MP4. Links last six hours: listing again gives fresh ones.
import { api } from "/static/base/api.js";
import { clear, h } from "/static/base/dom.js";
import { t } from "/static/strings.js";

function megabytes(bytes) {
  const mb = Math.max(bytes / 1e6, 0.1); // a few seconds still read as something
  return `${mb.toFixed(mb < 10 ? 1 : 0)} MB`;
}

// "Tonton langsung": the live HLS stream, which Chromium, Chrome on Android and Safari play
// without a library (Firefox does not: it gets the link to open elsewhere).
function liveButton(event, box, notify) {
  return h("button", {
    type: "button", class: "small primary", id: `live-${event.id}`,
    onclick: async () => {
      try {
        const { live, url } = await api("GET", `/api/events/${event.id}/live`);
        clear(box).hidden = false;
        if (!live) {
          box.append(h("p", { class: "muted small" }, t.liveNone));
          return;
        }
        const video = h("video", { controls: true, autoplay: true, playsinline: true, src: url });
        const playable = video.canPlayType("application/vnd.apple.mpegurl") !== "";
        box.append(playable ? video : h("p", { class: "muted small" }, t.liveUnsupported, " ",
          h("a", { href: url }, url)));
      } catch (error) {
        notify(error.message, { kind: "error", timeoutMs: 8000 });
      }
    },
  }, t.liveButton);
}

export function recordingsSection(event, notify) {
  const liveBox = h("div", { class: "live-box", id: `live-box-${event.id}`, hidden: true });
  const list = h("div", { class: "recordings", id: `recordings-${event.id}`, hidden: true });
  const button = h("button", {
    type: "button", class: "small", "aria-expanded": "false", "aria-controls": list.id,
    onclick: async () => {
      const open = list.hidden;
      list.hidden = !open;
      button.setAttribute("aria-expanded", String(open));
      if (open) await load(event, list, notify);
    },
  }, t.recordingsButton);
  return h("div", { class: "recordings-box" },
    h("div", { class: "row wrap" }, liveButton(event, liveBox, notify), button), liveBox, list);
}

async function load(event, list, notify) {
  clear(list).append(h("p", { class: "muted small" }, t.recordingsLoading));
  try {
    const { recordings, can_delete: canDelete } = await api("GET", `/api/events/${event.id}/recordings`);
    clear(list);
    if (!recordings.length) {
      list.append(h("p", { class: "muted small" }, t.recordingsNone));
      return;
    }
    for (const recording of recordings) {
      const when = new Date(recording.started_at).toLocaleString();
      list.append(h("figure", { class: "recording", dataset: { recordingId: String(recording.id) } },
        h("video", { controls: true, preload: "metadata", playsinline: true, src: recording.url }),
        h("figcaption", {}, `${when} · ${megabytes(recording.bytes)} · `,
          h("a", { href: recording.url, download: `${event.title || "rekaman"}.mp4` }, t.recordingsDownload),
          canDelete ? deleteButton(event, recording, list, notify) : null)));
    }
  } catch (error) {
    clear(list);
    notify(error.message, { kind: "error", timeoutMs: 8000 });
  }
}

// Moderators of the room and the event's organiser: the file is gone for everyone, at once.
// Two taps instead of confirm(): an Android WebView may not show JavaScript dialogs at all.
function deleteButton(event, recording, list, notify) {
  const button = h("button", {
    type: "button", class: "small danger", dataset: { deleteRecording: String(recording.id) },
    onclick: async () => {
      if (!button.dataset.armed) {
        button.dataset.armed = "1";
        button.textContent = t.recordingsDeleteConfirm;
        setTimeout(() => {
          delete button.dataset.armed;
          button.textContent = t.recordingsDelete;
        }, 4000);
        return;
      }
      try {
        await api("DELETE", `/api/events/${event.id}/recordings/${recording.id}`);
        notify(t.recordingsDeleted, { timeoutMs: 4000 });
        await load(event, list, notify);
      } catch (error) {
        notify(error.message, { kind: "error", timeoutMs: 8000 });
      }
    },
  }, t.recordingsDelete);
  return button;
}
