// One chat message as a list item: author, quoted reply, photos and videos, text, time, read
// state and its actions (reply, edit, delete).
import { mediaUrl } from "/static/app/api.js";
import { h } from "/static/base/dom.js";
import { clockTime, fileSize, nameOf, richText } from "/static/app/dom.js";
import { t } from "/static/strings.js";

const THUMB_MAX = 240; // CSS pixels; thumbnails are at most 320 px, so this stays sharp enough

// ctx: {me, canModerate, readCount(id), onAction(action, message), jumpTo(id), openImage(att)}
export function renderMessage(message, ctx) {
  const mine = !!ctx.me && !!message.author && message.author.id === ctx.me.id;
  const li = h("li", {
    class: "msg" + (mine ? " mine" : "") + (message.deleted ? " deleted" : "") +
      (message.pending ? " pending" : "") + (message.failed ? " failed" : ""),
    id: message.pending ? `pending-${message.localId}` : `msg-${message.id}`,
    dataset: message.pending ? { localId: String(message.localId) } : { id: String(message.id) },
  });
  const bubble = h("div", { class: "bubble" });
  if (!mine && message.author) bubble.append(h("span", { class: "author" }, nameOf(message.author)));
  if (message.forwarded && !message.deleted) bubble.append(h("span", { class: "forwarded-label" }, "↪ ", t.forwardedLabel));
  if (message.deleted) {
    bubble.append(h("p", { class: "text gone" }, t.messageDeleted));
  } else {
    if (message.reply_to) bubble.append(quote(message.reply_to, ctx));
    if (message.attachments && message.attachments.length) {
      bubble.append(h("div", { class: "attachments" }, message.attachments.map((a) => attachment(a, ctx))));
    }
    if (message.localPreviews && message.localPreviews.length) {
      bubble.append(h("div", { class: "attachments" }, message.localPreviews.map((url) =>
        h("img", { class: "thumb-img", src: url, alt: "" }))));
    }
    if (message.text) bubble.append(h("p", { class: "text" }, richText(message.text)));
  }
  bubble.append(meta(message, mine, ctx));
  li.append(bubble);
  if (!message.pending && !message.deleted) li.append(...actions(message, mine, ctx));
  return li;
}

function quote(reply, ctx) {
  return h("button", {
    type: "button", class: "quote", dataset: { replyTo: String(reply.id) },
    onclick: () => ctx.jumpTo(reply.id),
    "aria-label": t.replyTo(reply.author_name || t.deletedMember),
  }, h("strong", {}, reply.author_name || t.deletedMember), h("span", {}, reply.text || t.previewAttachment));
}

function meta(message, mine, ctx) {
  const box = h("span", { class: "meta" });
  if (message.pending) {
    if (message.failed) {
      // Waiting for the network is no error: it goes by itself (outbox.js).
      const waiting = message.offline;
      box.append(h("span", { class: waiting ? "waiting-text" : "error-text", role: waiting ? "status" : "alert" }, message.failed), " ",
        h("button", { type: "button", class: "small link", onclick: () => ctx.onAction("retry", message) }, t.tryAgain),
        h("button", { type: "button", class: "small link", onclick: () => ctx.onAction("discard", message) }, t.discard));
    } else {
      box.append(h("span", { class: "sending" }, message.progress ? t.uploading(message.progress) : t.sending));
    }
    return box;
  }
  box.append(h("time", { datetime: message.created_at, title: new Date(message.created_at).toLocaleString() },
    clockTime(message.created_at)));
  if (message.edited_at && !message.deleted) box.append(" ", h("span", { class: "edited" }, t.edited));
  if (mine && !message.deleted) box.append(" ", receipt(ctx.readCount(message.id)));
  return box;
}

export function receipt(count) {
  return h("span", {
    class: "receipt" + (count ? " read" : ""),
    dataset: { readBy: String(count) },
    title: count ? t.readBy(count) : t.sent,
  }, count ? "✓✓" : "✓", h("span", { class: "visually-hidden" }, " " + (count ? t.readBy(count) : t.sent)));
}

function actions(message, mine, ctx) {
  const menu = h("div", { class: "msg-actions", hidden: true });
  const toggle = h("button", {
    type: "button", class: "msg-menu", "aria-expanded": "false", "aria-label": t.messageActions,
  }, "⋯");
  toggle.addEventListener("click", () => {
    const open = menu.hidden;
    for (const other of document.querySelectorAll(".msg-actions:not([hidden])")) {
      other.hidden = true;
      other.previousElementSibling.setAttribute("aria-expanded", "false");
    }
    menu.hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
    if (open) menu.querySelector("button").focus();
  });
  const add = (action, label, cls = "") => menu.append(h("button", {
    type: "button", class: `small ${cls}`, dataset: { action },
    onclick: () => {
      menu.hidden = true;
      toggle.setAttribute("aria-expanded", "false");
      ctx.onAction(action, message, toggle);
    },
  }, label));
  add("reply", t.reply);
  add("forward", t.forwardAction);
  if (mine) add("readers", t.readersTitle);
  if (mine && message.text && !message.forwarded) add("edit", t.edit);
  if (mine || ctx.canModerate) add("delete", t.delete, "danger");
  return [toggle, menu];
}

export function attachment(att, ctx) {
  if (att.kind === "image") {
    const img = h("img", { class: "thumb-img", alt: att.name || t.previewPhoto, decoding: "async" });
    if (att.width && att.height) {
      const scale = Math.min(1, THUMB_MAX / Math.max(att.width, att.height));
      img.width = Math.round(att.width * scale);
      img.height = Math.round(att.height * scale);
    }
    mediaUrl(att.thumbnail_url || att.url).then((src) => { img.src = src; }, () => {
      img.replaceWith(h("span", { class: "media-missing" }, t.mediaFailed));
    });
    return h("button", {
      type: "button", class: "thumb", "aria-label": t.openPhoto(att.name || ""),
      onclick: () => ctx.openImage(att),
    }, img);
  }
  const box = h("div", { class: "video-box" });
  const play = h("button", { type: "button", class: "video-btn" },
    "▶ ", t.playVideo, att.size ? ` (${fileSize(att.size)})` : "");
  // Videos are fetched only when asked for: they may be tens of megabytes on a data plan.
  play.addEventListener("click", async () => {
    play.disabled = true;
    play.textContent = t.loadingVideo;
    try {
      const src = await mediaUrl(att.url);
      const video = h("video", { controls: true, playsinline: true, preload: "metadata", src });
      play.replaceWith(video);
      const poster = box.querySelector(".video-poster");
      if (poster) poster.remove();
      video.play().catch(() => {});
    } catch (error) {
      play.disabled = false;
      play.textContent = `${t.mediaFailed} ${error.message}`;
    }
  });
  if (att.thumbnail_url) { // the first picture, so one can tell what the video is before paying for it
    const poster = h("img", { class: "video-poster", alt: "", loading: "lazy" });
    if (att.width && att.height) { poster.width = att.width; poster.height = att.height; }
    mediaUrl(att.thumbnail_url).then((src) => { poster.src = src; }, () => poster.remove());
    box.append(poster);
  }
  box.append(play);
  return box;
}

// Full-size photo over the page; closes with the button, Escape or the back gesture's click.
export function openLightbox(att) {
  const img = h("img", { alt: att.name || t.previewPhoto });
  const status = h("p", { role: "status" }, t.loading);
  const close = h("button", { type: "button", class: "close" }, t.close);
  const dialog = h("div", { class: "lightbox", role: "dialog", "aria-modal": "true", "aria-label": att.name || t.previewPhoto },
    close, status, img);
  const previous = document.activeElement;
  const done = () => {
    dialog.remove();
    document.removeEventListener("keydown", onKey);
    if (previous && previous.focus) previous.focus();
  };
  const onKey = (event) => {
    if (event.key === "Escape") done();
  };
  close.addEventListener("click", done);
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog) done();
  });
  document.addEventListener("keydown", onKey);
  document.body.append(dialog);
  close.focus();
  mediaUrl(att.url).then((src) => {
    img.src = src;
    status.remove();
  }, (error) => {
    status.textContent = `${t.mediaFailed} ${error.message}`;
  });
}
