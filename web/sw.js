// The service worker (served at /sw.js by server/pwa.py, which puts VERSION and SHELL above
// this line). It makes the app open without a network, showing what it last saw:
//
// - the app shell (scripts, strings, styles, icons) is cached at install, per VERSION, and
//   served from the cache: a new deploy is a new VERSION, hence a new worker and a new cache;
// - pages (/, /r/...) come from the network, or from the cache when there is none (or it
//   takes longer than NAVIGATION_WAIT_MS while a cached copy exists);
// - JSON the API answers to GET (the account, rooms, messages, agenda) is kept as it passes,
//   and answered from the cache only when the network fails, and so are photo and video
//   thumbnails (at most 320 px, a few KB each), so an offline chat is not a column of gaps.
//   The page deletes API_CACHE at sign-out (web/app/main.js), so the next person on a shared
//   phone finds nothing.
// Anything else (POSTs, uploads, full photos and videos, the websocket) is not touched.

const SHELL_CACHE = `kamar-shell-${VERSION}`;
const API_CACHE = "kamar-api";
const RECORDING = /^\/api\/events\/\d+\/(recordings\/\d+|live\/.+)$/;
const PAGES = { "/": "/", room: "/r/kamar" }; // cache keys: the app page, the meeting page
const NAVIGATION_WAIT_MS = 4000; // a slow mobile network: the cached page, rather than a blank one
const THUMBNAIL = /^\/api\/attachments\/\d+\/thumbnail$/;

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL_CACHE);
    // cache: "reload" skips the HTTP cache, so the shell matches VERSION.
    await cache.addAll([...SHELL, "/"].map((url) => new Request(url, { cache: "reload" })));
    const room = await fetch(PAGES.room, { cache: "reload" });
    if (room.ok) await cache.put(PAGES.room, room);
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("kamar-shell-") && name !== SHELL_CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    const key = url.pathname.startsWith("/r/") ? PAGES.room : url.pathname === "/" ? PAGES["/"] : null;
    if (key) event.respondWith(page(request, key));
    return;
  }
  if (url.pathname.startsWith("/api/")) {
    // Member insight is personal data organisers view under an audit log (UU 27/2022,
    // docs/market-and-insight.md): it never rests on a device.
    if (url.pathname.startsWith("/api/insight")) return;
    // Nor does the password reset log (who reset whom): administrators read it fresh.
    if (url.pathname.startsWith("/api/admin/")) return;
    // A recording streams from the network in ranges, a live stream is new every 2 s
    // (docs/egress.md): never through here.
    if (RECORDING.test(url.pathname)) return;
    // An upload's progress is the server's now, never a copy (web/app/resumable.js).
    if (url.pathname.startsWith("/api/uploads/")) return;
    if (!url.pathname.startsWith("/api/attachments/") || THUMBNAIL.test(url.pathname)) {
      event.respondWith(apiAnswer(event));
    }
    return;
  }
  if (SHELL.includes(url.pathname)) event.respondWith(fromShell(request));
});

async function fromShell(request) {
  const cached = await caches.match(request, { cacheName: SHELL_CACHE, ignoreSearch: true });
  return cached || fetch(request);
}

async function page(request, key) {
  const cache = await caches.open(SHELL_CACHE);
  const cached = await cache.match(key);
  const network = fetch(request).then((response) => {
    // Keep the newest page (a 200 only: an error page must not replace the app).
    if (response.ok) cache.put(key, response.clone()).catch(() => {});
    return response;
  });
  if (!cached) return network;
  const slow = new Promise((resolve) => setTimeout(() => resolve(cached), NAVIGATION_WAIT_MS));
  return Promise.race([network.catch(() => cached), slow]);
}

// Network first; the answer kept on the side (a failure to keep it never fails the answer).
async function apiAnswer(event) {
  const request = event.request;
  let response;
  try {
    response = await fetch(request);
  } catch (error) {
    const cached = await caches.match(request, { cacheName: API_CACHE });
    if (cached) return cached;
    throw error;
  }
  const type = response.headers.get("Content-Type") || "";
  if (response.ok && (type.startsWith("application/json") || type.startsWith("image/"))) {
    const copy = response.clone();
    event.waitUntil(caches.open(API_CACHE).then((cache) => cache.put(request, copy)).catch(() => {}));
  }
  return response;
}

// Web Push (server/push.py; docs/api.md "Notifications"): the payload arrives decrypted by the
// browser, {title, body, url, tag, mention}. One notification per room (`tag`), renewed by
// each message, so a busy room does not fill the phone's shade; a mention alerts again.
self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    return; // not ours: nothing to show
  }
  event.waitUntil(self.registration.showNotification(data.title || "Kamar", {
    body: data.body || "",
    tag: data.tag || "kamar",
    renotify: !!data.mention,
    icon: "/icons/icon-192.png",
    badge: "/icons/icon-192.png",
    data: { url: data.url || "/" },
  }));
});

// The window a tapped notification may take over: the app's own, never a meeting (/r/...),
// whose call would end if it were sent elsewhere; null when a new window must open.
function windowForNotification(windows, origin) {
  return windows.find((client) => {
    const address = new URL(client.url);
    return address.origin === origin && !address.pathname.startsWith("/r/") && "focus" in client;
  }) || null;
}

// A tap opens the room: in the app's open window if there is one, else a new one.
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = new URL((event.notification.data && event.notification.data.url) || "/", self.location.origin).href;
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const client = windowForNotification(windows, self.location.origin);
    if (!client) return self.clients.openWindow(url);
    await client.navigate(url).catch(() => {});
    return client.focus();
  })());
});
