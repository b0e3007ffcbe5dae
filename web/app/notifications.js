// Notifications: Web Push on this browser (profile, "Notifikasi") and a room's mute (room info,
// "Bisukan notifikasi"). docs/api.md "Notifications"; web/sw.js shows what arrives. A browser
// or WebView without the Push API gets the switch explained instead (docs/android.md).
import { api } from "/static/base/api.js";
import { h } from "/static/base/dom.js";
import { t } from "/static/strings.js";

export function pushSupported() {
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

function b64url(buffer) {
  return btoa(String.fromCharCode(...new Uint8Array(buffer))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function keyBytes(base64url) {
  const text = atob(base64url.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(text, (ch) => ch.charCodeAt(0));
}

async function currentSubscription() {
  const registration = await navigator.serviceWorker.ready;
  return { registration, subscription: await registration.pushManager.getSubscription() };
}

async function turnOn() {
  if (await Notification.requestPermission() !== "granted") throw new Error(t.notifyDenied);
  const { registration } = await currentSubscription();
  const { public_key: key } = await api("GET", "/api/push");
  const subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) });
  await api("POST", "/api/push/subscriptions", {
    endpoint: subscription.endpoint,
    p256dh: b64url(subscription.getKey("p256dh")),
    auth: b64url(subscription.getKey("auth")),
  });
}

async function turnOff() {
  const { subscription } = await currentSubscription();
  if (!subscription) return;
  await api("POST", "/api/push/subscriptions/remove", { endpoint: subscription.endpoint });
  await subscription.unsubscribe();
}

// The profile's section: one switch for this browser.
export function notificationsSection() {
  const status = h("p", { class: "muted small", id: "notify-status", role: "status" });
  const button = h("button", { type: "button", class: "secondary", id: "notify-toggle", hidden: true });
  const el = h("section", { class: "profile-section", id: "profile-notify", "aria-labelledby": "profile-notify-title" },
    h("h2", { id: "profile-notify-title" }, t.notifyTitle), status, button);
  if (!pushSupported()) {
    status.textContent = t.notifyUnsupported;
    return el;
  }
  let on = false;
  const show = () => {
    status.textContent = Notification.permission === "denied" ? t.notifyDenied : on ? t.notifyOn : t.notifyOff;
    button.textContent = on ? t.notifyTurnOff : t.notifyTurnOn;
    button.hidden = Notification.permission === "denied";
  };
  currentSubscription().then(({ subscription }) => { on = !!subscription; show(); }, () => show());
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      if (on) await turnOff();
      else await turnOn();
      on = !on;
      show();
    } catch (error) {
      // The browser's own errors (a phone without a push service, e.g. without Google's:
      // "AbortError: Registration failed - push service error") are English and technical:
      // logged, and the member reads what it means for them.
      if (error instanceof DOMException) console.warn("kamar: web push:", error);
      status.textContent = error instanceof DOMException ? t.notifyUnavailable : error.message;
    } finally {
      button.disabled = false;
    }
  });
  return el;
}

// Room info's switch: no notifications from this room but mentions of oneself.
export function muteSwitch(roomId) {
  const box = h("input", { type: "checkbox", id: "room-mute", disabled: true });
  const label = h("label", { class: "check", for: "room-mute" }, box, " ", t.muteRoom);
  api("GET", "/api/push").then((answer) => {
    box.checked = answer.muted_rooms.includes(roomId);
    box.disabled = false;
  }, () => {});
  box.addEventListener("change", async () => {
    box.disabled = true;
    try {
      await api(box.checked ? "PUT" : "DELETE", `/api/rooms/${roomId}/mute`);
    } catch (error) {
      box.checked = !box.checked;
    } finally {
      box.disabled = false;
    }
  });
  return h("div", { class: "mute-switch" }, label, h("small", { class: "hint" }, t.muteHint));
}
