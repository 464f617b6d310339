{% load static %}// Peerlog's service worker (issue 13). Served by a view at /sw.js so its scope
// is the whole site and the static URLs below are the deployed (hashed) ones.
// Hand-written on purpose, not Workbox: it does four small things, each with
// a rule of its own (pages only for a mentor, wiped at sign-out, after 7
// days, a form POST queued on failure), and ~150 plain lines are easier to
// audit against those rules than a generated precache manifest plus plugins.
//
// - Static files: kept on install, then served from the cache and refreshed.
// - Pages: left to the browser while there is a signal. Without one, the
//   new-log form and the app shell (for My week and everything else) come
//   from the cache, which only a signed-in mentor's page fills (a message
//   from outbox.js).
// - A log form POST that fails (no signal, a gateway error, a refused token)
//   is kept in the outbox and answered with "Saved on this phone".
"use strict";
importScripts("{% static 'js/outbox-store.js' %}");

var STATIC_CACHE = "peerlog-static-v1";
var PAGE_CACHE = self.PeerlogStore.PAGE_CACHE;
var SHELL_URL = "{{ shell_url }}";
var NEW_LOG_URL = "{{ new_log_url }}";
var WEEK_URL = "{{ week_url }}";
var STATIC_PREFIX = "{% get_static_prefix %}";
var STATIC_FILES = [
  "{% static 'bootstrap/css/bootstrap.min.css' %}",
  "{% static 'bootstrap/js/bootstrap.bundle.min.js' %}",
  "{% static 'css/peerlog.css' %}",
  "{% static 'js/logform.js' %}",
  "{% static 'js/outbox.js' %}",
  "{% static 'js/outbox-store.js' %}",
  "{% static 'js/session-timeout.js' %}",
  "{% static 'favicon.svg' %}"
];
var FORM_POST = /^\/logs\/(?:new|(\d+)\/edit)\/$/;
var store = self.PeerlogStore;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(STATIC_CACHE).then(function (cache) {
    return cache.addAll(STATIC_FILES);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (key) {
      return key.indexOf("peerlog-static-") === 0 && key !== STATIC_CACHE;
    }).map(function (key) { return caches.delete(key); }));
  }).then(function () { return self.clients.claim(); }));
});

// A signed-in mentor's page asks for the offline copies to be refreshed.
// Background requests: they do not keep the session alive (SES-3).
function refreshPages() {
  return caches.open(PAGE_CACHE).then(function (cache) {
    return Promise.all([SHELL_URL, NEW_LOG_URL].map(function (url) {
      return fetch(url, {
        credentials: "same-origin",
        redirect: "manual",
        headers: { "X-Requested-With": "serviceworker" }
      }).then(function (response) {
        if (response.status === 200 && response.type === "basic") {
          return cache.put(url, response);
        }
        return null;
      });
    }));
  });
}

self.addEventListener("message", function (event) {
  var reply = function (ok) { if (event.ports[0]) { event.ports[0].postMessage({ ok: ok }); } };
  var type = event.data && event.data.type;
  var work = type === "refresh" ? refreshPages() : Promise.resolve();
  event.waitUntil(work.then(function () { reply(true); }, function () { reply(false); }));
});

function offlinePage(url) {
  return store.isStale().then(function (stale) {
    if (stale) { return store.wipe().then(function () { return Response.error(); }); }
    var wanted = url.pathname === NEW_LOG_URL ? NEW_LOG_URL : SHELL_URL;
    return caches.open(PAGE_CACHE).then(function (cache) {
      return cache.match(wanted, { ignoreVary: true });
    }).then(function (cached) {
      if (!cached) { return Response.error(); }
      if (wanted !== NEW_LOG_URL) { return cached; }
      // Every new log needs its own idempotency key: the cached form's is spent.
      return cached.text().then(function (html) {
        var fresh = html.replace(
          /(name="idempotency_key" value=")[^"]*(")/, "$1" + self.crypto.randomUUID() + "$2"
        // Its "now" (date and start time) is the moment it was kept: logform.js
        // moves them on by the phone's clock (issue 13).
        ).replace(/ data-made-at="/, " data-offline-copy data-made-at=\"");
        return new Response(fresh, { status: 200, headers: cached.headers });
      });
    });
  });
}

function fieldsOf(data) {
  var fields = [];
  data.forEach(function (value, name) {
    if (name !== "csrfmiddlewaretoken" && name !== "action" && typeof value === "string") {
      fields.push([name, value]);
    }
  });
  return fields;
}

function labelOf(data, labels) {
  var who = (labels || {})[data.get("participant")] || "";
  var day = data.get("contact_date") || "";
  return [who, day].filter(Boolean).join(" · ");
}

// Keep the posted form in the outbox; answer with My week saying so.
function queue(copy, url, failed) {
  return Promise.all([copy.formData(), store.meta("user"), store.meta("labels")]).then(function (got) {
    var data = got[0];
    var key = data.get("idempotency_key");
    if (!key || !got[1]) { return failed(); }
    var match = FORM_POST.exec(url.pathname);
    return store.put({
      key: key,
      user: got[1],
      log: match && match[1] ? Number(match[1]) : null,
      fields: fieldsOf(data),
      action: data.get("action") === "submit" ? "submit" : "draft",
      state: "waiting",
      label: labelOf(data, got[2]),
      savedAt: Date.now()
    }).then(function () {
      return Response.redirect(WEEK_URL + "?queued=" + encodeURIComponent(key), 303);
    });
  }).catch(failed);
}

function sendForm(request, url) {
  var copy = request.clone();
  return fetch(request).then(function (response) {
    // 403: the form's token went stale while offline, or the log was locked
    // meanwhile; the outbox sends it again and shows the server's reason.
    if (response.status === 403 || response.status === 502 || response.status === 503 ||
        response.status === 504) {
      return queue(copy, url, function () { return response; });
    }
    return response;
  }, function (error) {
    return queue(copy, url, function () { throw error; });
  });
}

function staticFile(request) {
  return caches.open(STATIC_CACHE).then(function (cache) {
    return cache.match(request).then(function (hit) {
      var network = fetch(request).then(function (response) {
        if (response.ok) { cache.put(request, response.clone()); }
        return response;
      });
      if (!hit) { return network; }
      network.catch(function () { return null; });
      return hit;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate" && request.method === "POST" && FORM_POST.test(url.pathname)) {
    event.respondWith(sendForm(request, url));
  } else if (request.mode === "navigate" && request.method === "GET" && !self.navigator.onLine) {
    // Only without a signal: a page fetched through the worker reaches the
    // server as a background request (Sec-Fetch-Dest: empty), which would not
    // count as activity for the session (SES-3) nor show the sign-in reasons.
    event.respondWith(fetch(request).catch(function () { return offlinePage(url); }));
  } else if (request.method === "GET" && url.pathname.indexOf(STATIC_PREFIX) === 0) {
    event.respondWith(staticFile(request));
  }
});
