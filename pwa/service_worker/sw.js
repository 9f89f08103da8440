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

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

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
