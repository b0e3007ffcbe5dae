// Community client entry point: session, hash routes, the feed, and the room list's state.
//
// Routes: #/login  #/register  #/rooms  #/rooms/new  #/rooms/ID[/chat|/agenda|/info]
//         #/me (one's profile: name, password, sessions, calendar link)
//         #/invite/CODE (kept across sign-in, then accepted and opened)
//         #/join/CODE[?via=qr&campaign=N] (a referral: registration into a campaign's rooms)
//         #/recruit (one's own invitation link, QR code and recruits)
//         #/campaigns (campaigns of one's rooms, their reports for organisers, a new one)
//         #/campaigns/ID (one campaign's page: its whole report for its organisers)
//         #/recruitment (recruitment across campaigns, by region: administrators; one's own)
//         #/announce (one announcement to many rooms)
//         #/market  #/market/new  #/market/ID (the members' market)
//         #/insight (member insight, for organisers)
//         #/reports (open reports of listings and direct messages, for moderators)
//         #/search  #/search/ROOM (messages across one's rooms, or in one room)
//         #/notifications (mentions of oneself and events starting soon)
//         #/forgot  #/reset[/CODE] (forgot password: ask an organiser; a reset code, signed in or not)
import { forgetMedia } from "/static/app/api.js";
import { api, apiEvents } from "/static/base/api.js";
import { rememberMeeting, sessionToken, setSession } from "/static/base/session.js";
import { renderAuth } from "/static/app/auth.js";
import { clear, h } from "/static/base/dom.js";
import { Feed } from "/static/app/feed.js";
import { renderInsight } from "/static/app/insight.js";
import { renderReports } from "/static/app/reports.js";
import { renderListing, renderMarket, renderNewListing } from "/static/app/market.js";
import { Outbox } from "/static/app/outbox.js";
import { forgetKept, typedPrefix } from "/static/base/kept.js";
import { renderForgot, renderReset } from "/static/app/password_reset.js";
import { renderProfile } from "/static/app/profile.js";
import { renderAnnounce } from "/static/app/announce.js";
import { renderCampaigns } from "/static/app/campaigns.js";
import { renderCampaign } from "/static/app/campaign_page.js";
import { renderRecruitment } from "/static/app/recruitment_page.js";
import { renderJoin, renderRecruit } from "/static/app/recruit.js";
import { RoomView } from "/static/app/room.js";
import { renderNotificationList } from "/static/app/notification_list.js";
import { renderSearch } from "/static/app/search.js";
import { acceptInvite, renderCreateRoom, renderRoomList, renderWelcome } from "/static/app/rooms.js";
import { pageLanguage, t } from "/static/strings.js";
import { withName } from "/static/app/dom.js";

const $ = (id) => document.getElementById(id);
const AFTER_LOGIN = "kamar.afterLogin"; // where a link pointed before signing in

document.documentElement.lang = pageLanguage;

// Shared state and services, handed to every view.
export const app = {
  me: null,
  feed: null,
  rooms: new Map(), // id -> Room, as in GET /api/rooms
  roomsLoaded: false,
  roomView: null,

  navigate(hash) {
    if (location.hash === hash) route();
    else location.hash = hash;
  },

  // A visible, dismissable notice at the top (reminders, failures outside a form).
  notify(text, { kind = "info", action = null, timeoutMs = 0 } = {}) {
    const item = h("div", { class: `notice-item ${kind}`, role: kind === "error" ? "alert" : "status" },
      h("span", {}, text));
    if (action) {
      item.append(h("button", { type: "button", onclick: () => { item.remove(); action.run(); } }, action.label));
    }
    item.append(h("button", { type: "button", class: "link", onclick: () => item.remove() }, t.dismiss));
    $("notices").append(item);
    if (timeoutMs) setTimeout(() => item.remove(), timeoutMs);
    return item;
  },

  async loadRooms() {
    const { rooms } = await api("GET", "/api/rooms");
    app.rooms = new Map(rooms.map((room) => [room.id, withName(room)]));
    const open = app.roomView && app.rooms.get(app.roomView.roomId);
    if (open && app.roomView.isReadingChat()) open.unread = 0; // read while this was in flight
    app.roomsLoaded = true;
    app.renderRooms();
  },

  putRoom(room) {
    const old = app.rooms.get(room.id) || {};
    app.rooms.set(room.id, withName({ ...old, ...room }));
    app.renderRooms();
  },

  markRead(roomId) {
    const room = app.rooms.get(roomId);
    if (room && room.unread) {
      room.unread = 0;
      app.renderRooms();
    }
  },

  renderRooms() {
    if (!app.me) return;
    renderRoomList(app, $("sidebar"), app.roomView ? app.roomView.roomId : null);
    const unread = [...app.rooms.values()].reduce((sum, room) => sum + (room.unread || 0), 0);
    document.title = unread ? `(${unread}) Kamar` : "Kamar";
  },

  // Newest activity first, as the server orders them.
  sortedRooms() {
    const stamp = (room) => (room.last_message ? room.last_message.created_at : "");
    return [...app.rooms.values()].sort((a, b) => stamp(b).localeCompare(stamp(a)) || b.id - a.id);
  },

  // A town hall has its own meeting (its organisers moderate, everyone else is audience): pass
  // its event. Without one it is the room's everyday meeting.
  async openMeeting(roomId, button = null, townHallEventId = null) {
    if (button) button.disabled = true;
    try {
      const path = townHallEventId != null ? `/api/events/${townHallEventId}/meeting` : `/api/rooms/${roomId}/meeting`;
      const { token, url, room, title, back } = await api("POST", path);
      rememberMeeting(room, { title, back });
      location.href = url + (url.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(token);
    } catch (error) {
      app.notify(error.message, { kind: "error" });
      if (button) button.disabled = false;
    }
  },

  // `landing`: where to go instead (a referral's campaign room).
  async signedIn(token, user, landing = null) {
    setSession(token);
    app.me = user;
    openOutbox();
    startFeed();
    const target = sessionStorage.getItem(AFTER_LOGIN);
    sessionStorage.removeItem(AFTER_LOGIN);
    app.navigate(landing || target || "#/rooms");
  },

  // A password change or "sign out everywhere" hands this device a new token: every older one,
  // the feed's included, stops working, so the feed reconnects with the new one.
  sessionChanges: 0, // password changes or "sign out everywhere" under way on this device

  replaceSession(token) {
    setSession(token);
    if (app.me) startFeed();
  },

  // The account changed (PATCH /api/me): views showing one's own name follow.
  putMe(user) {
    app.me = { ...app.me, ...user };
    app.renderRooms();
  },

  // `onPurpose`: the member's own sign-out, which leaves nothing of the account on a shared
  // phone (unsent messages and drafts go too); a session that merely expired keeps them for
  // the next sign-in.
  signOut(onPurpose = false) {
    if (app.outbox) app.outbox.stop();
    if (onPurpose) {
      if (app.outbox) app.outbox.clear();
      forgetDrafts(app.me);
    }
    app.outbox = null;
    stopFeed();
    setSession(null);
    forgetMedia();
    // What the service worker kept of this account's rooms and messages (web/sw.js).
    if (window.caches) caches.delete("kamar-api").catch(() => {});
    app.me = null;
    app.rooms.clear();
    app.roomsLoaded = false;
    closeRoomView();
    app.navigate("#/login");
  },
};

window.kamarApp = app; // for the browser tests and for debugging from the console

function startFeed() {
  stopFeed();
  const feed = new Feed(sessionToken());
  app.feed = feed;
  feed.addEventListener("status", ({ detail }) => showConnection(detail.state));
  feed.addEventListener("online", ({ detail }) => {
    if (detail.user) app.me = { ...app.me, ...detail.user };
    if (app.outbox) app.outbox.flush();
    if (detail.reconnect) catchUp();
  });
  feed.addEventListener("unauthorized", () => {
    if (app.feed !== feed) return;
    // This device is changing its password or signing out everywhere: the server closes the
    // feed of the old session before the answer with the new token arrives, which restarts it.
    if (app.sessionChanges > 0) return;
    // Refused a token this tab (or another) has since replaced: try again with the new one.
    if (sessionToken() && sessionToken() !== feed.token) startFeed();
    else apiEvents.dispatchEvent(new CustomEvent("unauthorized"));
  });
  feed.addEventListener("server-error", ({ detail }) => {
    // A "read" or "typing" for a room just left, and the like: nothing the reader can act on.
    console.warn("feed error", detail.code, detail.message);
    if (detail.code === "unavailable" && !feed.toldUnavailable) {
      feed.toldUnavailable = true;
      app.notify(t.feedUnavailable, { kind: "error" });
    }
  });
  feed.addEventListener("message", ({ detail }) => onFeedMessage(detail));
  feed.start();
}

// The account's unsent messages (outbox.js): sent now if the network allows, and again whenever
// the browser reports it is back online, even before the feed's socket has noticed anything.
function openOutbox() {
  if (!app.outbox || app.outbox.key !== `kamar.outbox.${app.me.id}`) app.outbox = new Outbox(app.me.id);
  app.outbox.flush();
}

window.addEventListener("online", () => {
  if (app.me && app.outbox) app.outbox.flush();
});

function stopFeed() {
  if (app.feed) app.feed.stop();
  app.feed = null;
  showConnection("online");
}

function showConnection(state) {
  // No flash on every page load: only a lost connection (or none at all) is worth the space.
  const lost = state === "offline" || (state === "connecting" && !!app.feed && app.feed.everOnline);
  $("conn").textContent = !lost ? "" : state === "connecting" ? t.feedConnecting : t.feedOffline;
  document.body.classList.toggle("is-offline", lost);
}

// After a dropped connection: the room list (unread counts) and the open room's news.
async function catchUp() {
  try {
    await app.loadRooms();
  } catch {
    /* the next reconnect tries again */
  }
  if (app.roomView) app.roomView.catchUp();
}

function onFeedMessage(message) {
  const roomId = message.room_id;
  const room = app.rooms.get(roomId);
  switch (message.type) {
    case "chat_message": {
      if (!room) {
        app.loadRooms().catch(() => {});
        break;
      }
      const fresh = !room.last_message || message.message.id > room.last_message.id;
      if (fresh) room.last_message = message.message;
      const mine = app.me && message.message.author && message.message.author.id === app.me.id;
      const reading = app.roomView && app.roomView.roomId === roomId && app.roomView.isReadingChat();
      if (fresh && !mine && !reading) room.unread = (room.unread || 0) + 1;
      app.renderRooms();
      break;
    }
    case "chat_edited":
    case "chat_deleted":
      if (room && room.last_message && room.last_message.id === message.message.id) {
        room.last_message = message.message;
        app.renderRooms();
      }
      break;
    case "unread": // the answer to our own "read"
      if (room && typeof message.unread === "number" && room.unread !== message.unread) {
        room.unread = message.unread;
        app.renderRooms();
      }
      break;
    case "read_receipt":
      if (app.me && message.user_id === app.me.id) app.markRead(roomId); // read on another device
      break;
    case "feed_gap": // another node's events may have passed this socket by: as after a reconnect
      catchUp();
      break;
    case "room_member":
      onRoomMember(message);
      break;
    case "room_updated": // renamed, described or opened up: the list shows it at once
      if (room && message.room) app.putRoom(message.room);
      break;
    case "event_reminder":
      remind(message);
      break;
    default:
      break;
  }
  if (app.roomView && app.roomView.roomId === roomId) app.roomView.onFeed(message);
}

function onRoomMember({ room_id: roomId, user, role }) {
  const room = app.rooms.get(roomId);
  if (app.me && user && user.id === app.me.id) {
    if (role === null) {
      app.rooms.delete(roomId);
      app.renderRooms();
      if (app.roomView && app.roomView.roomId === roomId) {
        app.notify(t.removedFromRoom, { kind: "error" });
        app.navigate("#/rooms");
      }
    } else {
      reloadRoomsSoon(); // joined (perhaps from another device) or got a new role
    }
    return;
  }
  // Joins, departures and role changes are rare: refetching the list keeps the counts right.
  if (room) reloadRoomsSoon();
}

let reloadTimer = null;
function reloadRoomsSoon() {
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(() => app.loadRooms().catch(() => {}), 1000);
}

function remind({ room_id: roomId, event, minutes }) {
  const room = app.rooms.get(roomId);
  const text = t.reminder(event.title, room ? room.name : "", minutes);
  const action = event.meeting_url
    ? event.kind === "town_hall"
      ? { label: t.joinTownHall, run: () => app.openMeeting(roomId, null, event.id) }
      : { label: t.joinMeeting, run: () => app.openMeeting(roomId) }
    : { label: t.openAgenda, run: () => app.navigate(`#/rooms/${roomId}/agenda`) };
  app.notify(text, { kind: "reminder", action });
}

function closeRoomView() {
  if (app.roomView) app.roomView.destroy();
  app.roomView = null;
}

function setLayout(mode) {
  // "auth": form only; "list": the room list (and on a desktop a welcome pane); "room": a room
  // (on a phone the list is hidden then).
  document.body.dataset.layout = mode;
  $("sidebar").hidden = mode === "auth";
  $("btn-logout").hidden = mode === "auth";
}

async function route() {
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  const view = $("view");
  if (parts[0] === "forgot" || parts[0] === "reset") {
    closeRoomView();
    setLayout("auth");
    if (parts[0] === "forgot") renderForgot(view);
    else renderReset(app, view, parts[1] || "");
    return;
  }
  if (parts[0] === "join" && !sessionToken()) {
    closeRoomView();
    setLayout("auth");
    renderJoin(app, view, location.hash);
    return;
  }
  if (!sessionToken()) {
    // An invitation or a room link opened before signing in opens after it.
    if ((parts[0] === "invite" || parts[0] === "rooms") && parts[1]) {
      sessionStorage.setItem(AFTER_LOGIN, location.hash);
    }
    closeRoomView();
    setLayout("auth");
    const invited = (sessionStorage.getItem(AFTER_LOGIN) || "").startsWith("#/invite/");
    renderAuth(app, view, parts[0] === "register" ? "register" : "login", invited);
    return;
  }
  if (!app.me) {
    try {
      app.me = await api("GET", "/api/me");
    } catch (error) {
      if (error.status !== 401) showFatal(view, error);
      return; // a 401 sent us to the login view already
    }
    openOutbox();
    startFeed();
  }
  if (!app.roomsLoaded) app.loadRooms().catch((error) => app.notify(error.message, { kind: "error" }));

  if (parts[0] === "invite" && parts[1]) {
    closeRoomView();
    setLayout("list");
    acceptInvite(app, view, parts[1]);
    return;
  }
  if (parts[0] === "rooms" && parts[1] === "new") {
    closeRoomView();
    setLayout("room");
    renderCreateRoom(app, view);
    app.renderRooms();
    return;
  }
  if (parts[0] === "announce") {
    closeRoomView();
    setLayout("room");
    renderAnnounce(app, view).catch((error) => app.notify(error.message, { kind: "error" }));
    app.renderRooms();
    return;
  }
  if (parts[0] === "campaigns") {
    closeRoomView();
    setLayout("room");
    const shown = parts[1] ? renderCampaign(app, view, parts[1]) : renderCampaigns(app, view);
    shown.catch((error) => app.notify(error.message, { kind: "error" }));
    app.renderRooms();
    return;
  }
  if (parts[0] === "recruitment") {
    closeRoomView();
    setLayout("room");
    renderRecruitment(app, view).catch((error) => app.notify(error.message, { kind: "error" }));
    app.renderRooms();
    return;
  }
  if (parts[0] === "recruit") {
    closeRoomView();
    setLayout("room");
    renderRecruit(app, view).catch((error) => app.notify(error.message, { kind: "error" }));
    app.renderRooms();
    return;
  }
  if (parts[0] === "reports") {
    closeRoomView();
    setLayout("room");
    renderReports(app, view).catch((error) => app.notify(error.message, { kind: "error" }));
    app.renderRooms();
    return;
  }
  if (parts[0] === "insight") {
    closeRoomView();
    setLayout("room");
    renderInsight(app, view);
    app.renderRooms();
    return;
  }
  if (parts[0] === "market") {
    closeRoomView();
    setLayout("room");
    if (parts[1] === "new") renderNewListing(app, view);
    else if (/^\d+$/.test(parts[1] || "")) renderListing(app, view, Number(parts[1]));
    else renderMarket(app, view);
    app.renderRooms();
    return;
  }
  if (parts[0] === "notifications") {
    closeRoomView();
    setLayout("room");
    renderNotificationList(app, view);
    app.renderRooms();
    return;
  }
  if (parts[0] === "search") {
    closeRoomView();
    setLayout("room");
    renderSearch(app, view, /^\d+$/.test(parts[1] || "") ? Number(parts[1]) : null);
    app.renderRooms();
    return;
  }
  if (parts[0] === "me") {
    closeRoomView();
    setLayout("room"); // on a phone the page of its own, beside the list on a desktop
    renderProfile(app, view);
    app.renderRooms();
    return;
  }
  if (parts[0] === "rooms" && /^\d+$/.test(parts[1] || "")) {
    const roomId = Number(parts[1]);
    const tab = ["chat", "agenda", "info"].includes(parts[2]) ? parts[2] : "chat";
    setLayout("room");
    if (!app.roomView || app.roomView.roomId !== roomId) {
      closeRoomView();
      app.roomView = new RoomView(app, roomId, view);
    }
    app.roomView.show(tab);
    app.renderRooms();
    return;
  }
  if (parts[0] !== "rooms" || parts.length > 1) {
    history.replaceState(null, "", "#/rooms");
  }
  closeRoomView();
  setLayout("list");
  renderWelcome(app, view);
  app.renderRooms();
}

function showFatal(view, error) {
  clear(view).append(h("div", { class: "pad" },
    h("p", { class: "error", role: "alert" }, error.message),
    h("button", { type: "button", onclick: () => route() }, t.tryAgain)));
}

apiEvents.addEventListener("unauthorized", () => {
  if (!app.me && !sessionToken()) {
    route();
    return;
  }
  app.signOut();
  app.notify(t.sessionEnded, { kind: "error", timeoutMs: 10000 });
});

$("btn-logout").textContent = t.logout;
$("btn-logout").addEventListener("click", async () => {
  // Tell the server when it has an endpoint for it; signing out locally is what matters.
  app.signOut(true);
});

// Another tab of this browser changed the password or signed out everywhere: its new token is
// this tab's too (they share the storage), and the feed must use it.
window.addEventListener("storage", (event) => {
  if (event.key !== "kamar.session" || !event.newValue || !app.feed) return;
  if (app.feed.token !== event.newValue) startFeed();
});

// Drafts, and questions and comments kept from town halls (the meeting page's identity for a
// member is `user-<id>`).
function forgetDrafts(me) {
  if (!me) return;
  forgetKept(`kamar.draft.${me.id}.`);
  forgetKept(typedPrefix(`user-${me.id}`));
}

window.addEventListener("hashchange", route);
route();

// The service worker (web/sw.js) lets the app open without a network. WebViews without one
// simply go without.
if ("serviceWorker" in navigator) {
  const register = () => navigator.serviceWorker.register("/sw.js").catch((error) => {
    console.warn("kamar: no offline support:", error);
  });
  if (document.readyState === "complete") register();
  else window.addEventListener("load", register);
}

// Chromium's install prompt, offered from our own button once the browser says it may be
// (a WebView never says so, and the button never shows there).
let installPrompt = null;
window.addEventListener("beforeinstallprompt", (event) => {
  event.preventDefault();
  installPrompt = event;
  $("btn-install").hidden = false;
});
$("btn-install").textContent = t.installApp;
$("btn-install").addEventListener("click", async () => {
  if (!installPrompt) return;
  const prompt = installPrompt;
  installPrompt = null;
  $("btn-install").hidden = true;
  await prompt.prompt();
});
