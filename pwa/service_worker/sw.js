// 编办移动办公 — service worker (served at /sw.js, scope /).
// Push: a notification carries an opaque id, a category and generic text only; a tap opens
// /notifications/<id>, where the server (after sign-in) decides which page that is. A
// notification never approves anything: the decision page still asks for a fresh TOTP code.
"use strict";

const APP_TITLE = "编办移动办公";
const ICON = "/static/icons/icon-192.png";
const BADGE = "/static/icons/badge-96.png";
const OPAQUE_ID = /^[A-Za-z0-9_-]{1,32}$/;
const CATEGORY = /^[a-z]{1,16}$/;

// --- caches -------------------------------------------------------------------------------
// The server prepends self.__SHELL = {version, precache}: the shell's URLs carry content
// hashes, so a deploy that changes any of them is a new worker with a new shell cache.
const SHELL = self.__SHELL || { version: "dev", precache: ["/offline"] };
const PREFIX = "bianban-";
const SHELL_CACHE = PREFIX + "shell-" + SHELL.version;
const CARDS_CACHE = PREFIX + "cards-v1"; // unit cards: aggregates only, server-marked
const CARD_PATH = /^\/units\/\d+$/;
const CARD_MAX_AGE_MS = 7 * 24 * 3600 * 1000; // ⚙ offline copies expire after 7 days
const NETWORK_TIMEOUT_MS = 4000;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(SHELL_CACHE).then((cache) => cache.addAll(SHELL.precache))
  );
  // The first worker starts at once; an update waits until the person says so (app.js
  // shows "新版本已就绪"), so nobody is reloaded in the middle of a form.
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "skip-waiting") self.skipWaiting();
  // A page that loaded while this worker was still activating missed clients.claim().
  if (event.data && event.data.type === "claim") event.waitUntil(self.clients.claim());
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(
        names
          .filter((name) => name.startsWith(PREFIX) && name !== SHELL_CACHE && name !== CARDS_CACHE)
          .map((name) => caches.delete(name))
      );
      await expireCards();
      await self.clients.claim();
    })()
  );
});

async function expireCards() {
  const cache = await caches.open(CARDS_CACHE);
  const now = Date.now();
  for (const request of await cache.keys()) {
    const response = await cache.match(request);
    const stored = Number(response && response.headers.get("X-Stored-At"));
    if (!stored || now - stored > CARD_MAX_AGE_MS) await cache.delete(request);
  }
}

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      }
    );
  });
}

async function keepCard(request, response) {
  // Only what the server marks as an aggregates-only card, and only a full page.
  if (!response.ok || response.headers.get("X-Offline-Cache") !== "unit-card") return;
  const body = await response.clone().arrayBuffer();
  const headers = new Headers(response.headers);
  headers.set("X-Stored-At", String(Date.now()));
  const cache = await caches.open(CARDS_CACHE);
  await cache.put(new URL(request.url).pathname, new Response(body, { status: 200, headers }));
}

async function cachedCard(request) {
  const cache = await caches.open(CARDS_CACHE);
  const path = new URL(request.url).pathname;
  const response = await cache.match(path);
  if (!response) return null;
  const stored = Number(response.headers.get("X-Stored-At"));
  if (!stored || Date.now() - stored > CARD_MAX_AGE_MS) {
    await cache.delete(path);
    return null;
  }
  // Say it is an offline copy and from when: the card carries a hidden note for this.
  const html = (await response.text()).replace(
    "data-offline-note hidden>",
    'data-offline-note data-stored-at="' + stored + '">'
  );
  const headers = new Headers(response.headers);
  headers.delete("Content-Length");
  return new Response(html, { status: 200, headers });
}

async function offlinePage() {
  return (
    (await caches.match(new URL("/offline", self.location.origin).href)) ||
    new Response("offline", { status: 503, headers: { "Content-Type": "text/plain" } })
  );
}

async function cardNetworkFirst(request) {
  try {
    const response = await withTimeout(fetch(request), NETWORK_TIMEOUT_MS);
    await keepCard(request, response);
    return response;
  } catch (error) {
    return (await cachedCard(request)) || (request.mode === "navigate" ? offlinePage() : Response.error());
  }
}

async function staticCacheFirst(request) {
  const hit = await caches.match(request);
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok && new URL(request.url).searchParams.has("v")) {
    const cache = await caches.open(SHELL_CACHE);
    await cache.put(request, response.clone());
  }
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  // Network only: other origins, anything but GET, htmx fragments (they may carry what a
  // full card leaves out), and everything not on the short list below.
  if (url.origin !== self.location.origin || request.method !== "GET") return;
  if (request.headers.get("HX-Request")) return;
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(staticCacheFirst(request));
  } else if (CARD_PATH.test(url.pathname) && !url.search) {
    event.respondWith(cardNetworkFirst(request));
  } else if (url.pathname === "/offline" || url.pathname === "/manifest.webmanifest") {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
  } else if (request.mode === "navigate") {
    // Personnel, approvals, account pages…: never cached; offline they get the offline page.
    event.respondWith(fetch(request).catch(() => offlinePage()));
  }
});

function readPush(event) {
  try {
    const data = event.data ? event.data.json() : {};
    return data && typeof data === "object" ? data : {};
  } catch (error) {
    return {};
  }
}

async function tellWindows(message) {
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  windows.forEach((client) => client.postMessage(message));
}

async function showPush(data) {
  const category = CATEGORY.test(data.category || "") ? data.category : "general";
  const url = OPAQUE_ID.test(data.id || "") ? "/notifications/" + data.id : "/";
  await self.registration.showNotification(
    typeof data.title === "string" && data.title ? data.title : APP_TITLE,
    {
      body: typeof data.body === "string" ? data.body : "",
      tag: "bianban-" + category, // one notification per category: repeats replace it
      renotify: true,
      icon: ICON,
      badge: BADGE,
      lang: "zh-CN",
      data: { url: url },
    }
  );
  if (Number.isInteger(data.badge) && data.badge >= 0 && "setAppBadge" in self.navigator) {
    try {
      await (data.badge > 0 ? self.navigator.setAppBadge(data.badge) : self.navigator.clearAppBadge());
    } catch (error) {
      // the badge is a courtesy; the inbox is the source of truth
    }
  }
  await tellWindows({ type: "push", category: category, badge: data.badge });
}

self.addEventListener("push", (event) => {
  event.waitUntil(showPush(readPush(event)));
});

async function openFromNotification(path) {
  const url = new URL(path, self.location.origin).href;
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  for (const client of windows) {
    if (new URL(client.url).origin !== self.location.origin) continue;
    let focused = client;
    try {
      focused = (await client.focus()) || client;
    } catch (error) {
      // focusing needs the click's user activation; the page is still ours to navigate
    }
    if ("navigate" in focused) {
      try {
        if (await focused.navigate(url)) return;
      } catch (error) {
        // not controlled by this worker yet: ask the page to go there itself
      }
    }
    focused.postMessage({ type: "open", url: url });
    return;
  }
  await self.clients.openWindow(url);
}

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const data = event.notification.data || {};
  const path = typeof data.url === "string" && data.url.startsWith("/") ? data.url : "/";
  event.waitUntil(openFromNotification(path));
});

// The push service replaced this browser's subscription. The worker has no session: it
// proves it held the old subscription by its auth secret. Without an old subscription the
// app re-registers on its next start (app.js).
self.addEventListener("pushsubscriptionchange", (event) => {
  event.waitUntil(
    (async () => {
      const old = event.oldSubscription;
      let fresh = event.newSubscription;
      if (!old) return;
      if (!fresh) {
        const key = old.options && old.options.applicationServerKey;
        if (!key) return;
        fresh = await self.registration.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: key,
        });
      }
      const oldJson = old.toJSON();
      await fetch("/push/subscription-change", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          old_endpoint: old.endpoint,
          old_auth: oldJson.keys ? oldJson.keys.auth : "",
          subscription: fresh.toJSON(),
        }),
      });
    })()
  );
});
