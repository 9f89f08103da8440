// 编办移动办公 — small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  // Tell htmx swaps apart from full loads for focus management: move focus to new headings
  // so screen-reader users hear what changed.
  document.addEventListener("htmx:afterSwap", function (event) {
    var heading = event.target.querySelector && event.target.querySelector("h1, h2");
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus({ preventScroll: true });
    }
  });

  function meta(name) {
    var element = document.querySelector('meta[name="' + name + '"]');
    return element ? element.getAttribute("content") : null;
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function postJson(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json().catch(function () {
        return { ok: false };
      }).then(function (data) {
        data.ok = Boolean(response.ok && data.ok);
        return data;
      });
    });
  }

  // --- service worker ------------------------------------------------------------------
  var swSupported = "serviceWorker" in navigator;
  var swUrl = meta("service-worker");
  // Resolves with the worker's state once it is activated (tests wait on it).
  var registered = swSupported && swUrl
    ? navigator.serviceWorker.register(swUrl, { scope: "/" })
    : swSupported
      ? navigator.serviceWorker.getRegistration("/")
      : Promise.resolve(null);
  window.__swReady = swSupported && swUrl
    ? registered
        .then(function () {
          return navigator.serviceWorker.ready;
        })
        .then(function (registration) {
          return new Promise(function (resolve) {
            var worker = registration.active;
            var activated = function () {
              // Loaded while the first worker was activating: ask it to take this page too.
              if (!navigator.serviceWorker.controller) worker.postMessage({ type: "claim" });
              resolve(worker.state);
            };
            if (worker.state === "activated") return activated();
            worker.addEventListener("statechange", function () {
              if (worker.state === "activated") activated();
            });
          });
        })
        .catch(function () {
          return "unavailable";
        })
    : Promise.resolve(swSupported ? "not-signed-in" : "unsupported");

  // --- updates: a new worker waits until the person asks for it (never mid-form) --------
  var banner = document.querySelector("[data-update-banner]");
  var reloadRequested = false;
  function offerUpdate(registration) {
    if (!banner || !registration.waiting || !navigator.serviceWorker.controller) return;
    banner.hidden = false;
    banner.querySelector("[data-update-reload]").onclick = function () {
      reloadRequested = true;
      registration.waiting.postMessage({ type: "skip-waiting" });
    };
  }
  if (swSupported) {
    registered.then(function (registration) {
      if (!registration) return;
      offerUpdate(registration);
      registration.addEventListener("updatefound", function () {
        var installing = registration.installing;
        if (!installing) return;
        installing.addEventListener("statechange", function () {
          if (installing.state === "installed") offerUpdate(registration);
        });
      });
    }).catch(function () {});
    navigator.serviceWorker.addEventListener("controllerchange", function () {
      if (reloadRequested) location.reload();
    });
  }

  // --- offline copies: say so, and from when ---------------------------------------------
  document.querySelectorAll("[data-offline-note][data-stored-at]").forEach(function (note) {
    var stored = new Date(parseInt(note.getAttribute("data-stored-at"), 10));
    var pad = function (n) {
      return (n < 10 ? "0" : "") + n;
    };
    note.querySelector("[data-offline-time]").textContent =
      stored.getFullYear() + "-" + pad(stored.getMonth() + 1) + "-" + pad(stored.getDate()) +
      " " + pad(stored.getHours()) + ":" + pad(stored.getMinutes());
  });

  // "Prepare for inspection": fetch the pinned units' cards so the worker keeps them.
  document.querySelectorAll("[data-prefetch]").forEach(function (box) {
    if (!swSupported || !navigator.serviceWorker.controller) return;
    var button = box.querySelector("[data-prefetch-cards]");
    var status = box.querySelector("[data-prefetch-status]");
    box.hidden = false;
    button.addEventListener("click", function () {
      var urls = button.getAttribute("data-urls").split(" ").filter(Boolean);
      button.disabled = true;
      Promise.all(urls.map(function (url) {
        return fetch(url, { credentials: "same-origin" }).then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
        });
      })).then(function () {
        status.textContent = button.getAttribute("data-done-text");
      }, function () {
        status.textContent = button.getAttribute("data-failed-text");
      }).then(function () {
        button.disabled = false;
      });
    });
  });

  // The offline page lists the unit cards this phone holds.
  var held = document.querySelector("[data-offline-cards]");
  if (held && "caches" in window) {
    caches.open("bianban-cards-v1").then(function (cache) {
      return cache.keys().then(function (requests) {
        return Promise.all(requests.map(function (request) {
          return cache.match(request).then(function (response) {
            return response.text().then(function (html) {
              var title = new DOMParser().parseFromString(html, "text/html").title;
              return { url: new URL(request.url).pathname, title: title.split(" · ")[0] };
            });
          });
        }));
      });
    }).then(function (cards) {
      if (!cards.length) return;
      var list = held.querySelector("[data-offline-list]");
      cards.forEach(function (card) {
        var item = document.createElement("li");
        item.className = "app-list__item";
        var link = document.createElement("a");
        link.className = "app-list__link";
        link.href = card.url;
        link.textContent = card.title;
        item.appendChild(link);
        list.appendChild(item);
      });
      held.hidden = false;
    });
  }

  window.__swMessages = [];
  if (swSupported) {
    navigator.serviceWorker.addEventListener("message", function (event) {
      var data = event.data || {};
      window.__swMessages.push(data);
      if (data.type === "open" && typeof data.url === "string") {
        var target = new URL(data.url, location.href);
        if (target.origin === location.origin) location.assign(target.href);
      } else if (data.type === "push" && Number.isInteger(data.badge)) {
        setBadge(data.badge);
      }
    });
  }

  // --- the app badge mirrors the inbox count the page was rendered with -----------------
  function setBadge(count) {
    if (!("setAppBadge" in navigator)) return;
    (count > 0 ? navigator.setAppBadge(count) : navigator.clearAppBadge()).catch(function () {});
  }
  var badge = meta("app-badge");
  if (badge !== null && /^\d+$/.test(badge)) setBadge(parseInt(badge, 10));

  // --- push subscription ----------------------------------------------------------------
  var pushSupported = swSupported && "PushManager" in window && "Notification" in window;

  function isIos() {
    return /iPad|iPhone|iPod/.test(navigator.userAgent) ||
      (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
  }

  function isStandalone() {
    return navigator.standalone === true || matchMedia("(display-mode: standalone)").matches;
  }

  function keyBytes(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function currentSubscription() {
    if (!pushSupported) return Promise.resolve(null);
    return navigator.serviceWorker.ready.then(function (registration) {
      return registration.pushManager.getSubscription();
    });
  }

  // Signed in with notifications already on: tell the server once per session, so the
  // subscription follows this sign-in (and a changed subscription is picked up).
  var syncUrl = meta("push-sync");
  // (Pages kept for offline use carry no CSRF token: they wait for the next ordinary page.)
  if (syncUrl && csrfToken() && pushSupported && Notification.permission === "granted") {
    currentSubscription().then(function (subscription) {
      if (!subscription) return;
      var key = "bb-push-synced";
      if (sessionStorage.getItem(key) === subscription.endpoint) return;
      postJson(syncUrl, { subscription: subscription.toJSON() }).then(function (data) {
        if (data.ok) sessionStorage.setItem(key, subscription.endpoint);
      });
    });
  }

  function pushControl(control) {
    var status = control.querySelector("[data-push-message]");
    function show(state, message) {
      control.querySelectorAll("[data-push-state]").forEach(function (element) {
        var own = element.getAttribute("data-push-state");
        // After an error the "开启通知" button stays, so "请稍后重试" can be acted on.
        element.hidden = own !== state && !(state === "error" && own === "off");
      });
      status.textContent = message || "";
      control.setAttribute("data-push-current", state);
    }
    function refresh() {
      if (!pushSupported) return show(isIos() && !isStandalone() ? "ios-install" : "unsupported");
      if (Notification.permission === "denied") return show("denied");
      return currentSubscription().then(function (subscription) {
        show(subscription && Notification.permission === "granted" ? "on" : "off");
      });
    }
    control.querySelector("[data-push-enable]").addEventListener("click", function () {
      show("working");
      Notification.requestPermission()
        .then(function (permission) {
          if (permission !== "granted") {
            show(permission === "denied" ? "denied" : "off");
            return null;
          }
          return navigator.serviceWorker.ready.then(function (registration) {
            return registration.pushManager.subscribe({
              userVisibleOnly: true,
              applicationServerKey: keyBytes(control.getAttribute("data-vapid-key")),
            });
          }).then(function (subscription) {
            return postJson(control.getAttribute("data-subscribe-url"), {
              subscription: subscription.toJSON(),
            }).then(function (data) {
              if (!data.ok) {
                subscription.unsubscribe();
                return show("error", data.message || control.getAttribute("data-error-text"));
              }
              sessionStorage.setItem("bb-push-synced", subscription.endpoint);
              show("on", data.message);
            });
          });
        })
        .catch(function () {
          show("error", control.getAttribute("data-error-text"));
        });
    });
    control.querySelector("[data-push-disable]").addEventListener("click", function () {
      show("working");
      currentSubscription()
        .then(function (subscription) {
          if (!subscription) return show("off");
          return postJson(control.getAttribute("data-unsubscribe-url"), {
            endpoint: subscription.endpoint,
          }).then(function (data) {
            return subscription.unsubscribe().then(function () {
              sessionStorage.removeItem("bb-push-synced");
              show("off", data.message);
            });
          });
        })
        .catch(function () {
          show("error", control.getAttribute("data-error-text"));
        });
    });
    refresh();
  }
  document.querySelectorAll("[data-push-control]").forEach(pushControl);

  // Logging out ends this device's notifications in the browser too (the server forgets
  // the subscription with the session). Give it a moment, never block the logout on it.
  // What this phone holds for the app goes at logout (the server also sends
  // Clear-Site-Data; this covers browsers that ignore it).
  function wipeLocalData() {
    var jobs = [];
    try {
      localStorage.clear();
      sessionStorage.clear();
    } catch (error) {
      // storage may be disabled
    }
    if ("caches" in window) {
      jobs.push(caches.keys().then(function (names) {
        return Promise.all(names.filter(function (name) {
          return name.indexOf("bianban-") === 0;
        }).map(function (name) {
          return caches.delete(name);
        }));
      }));
    }
    if (window.indexedDB && indexedDB.databases) {
      jobs.push(indexedDB.databases().then(function (databases) {
        databases.forEach(function (database) {
          indexedDB.deleteDatabase(database.name);
        });
      }));
    }
    return Promise.all(jobs);
  }

  document.querySelectorAll("form[data-logout]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.getAttribute("data-unsubscribed")) return;
      event.preventDefault();
      var done = function () {
        form.setAttribute("data-unsubscribed", "1");
        form.submit();
      };
      var timer = setTimeout(done, 1500);
      currentSubscription()
        .then(function (subscription) {
          return subscription ? subscription.unsubscribe() : null;
        })
        .catch(function () {})
        .then(wipeLocalData)
        .catch(function () {})
        .then(function () {
          clearTimeout(timer);
          done();
        });
    });
  });
})();
