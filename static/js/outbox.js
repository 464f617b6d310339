// The outbox on the phone (issue 13), on every page. For a signed-in mentor:
// installs the service worker, keeps the offline pages fresh, shows what is
// waiting and sends it when there is a signal (on load and when the signal
// returns), one log after the other. Signing out, another kind of user on this
// phone, or 7 days without use wipe the phone's copy; a session that ended
// wipes the pages and keeps only the unsent typing, which is sent after the
// mentor signs in again.
(function () {
  "use strict";
  var box = document.getElementById("outbox");
  var store = window.PeerlogStore;
  if (!box || !store || !("indexedDB" in window)) { return; }
  var d = box.dataset;
  var role = d.role;
  var me = d.user ? Number(d.user) : null;
  var messageEl = box.querySelector("[data-outbox-message]");
  var listEl = box.querySelector("[data-outbox-list]");
  var params = new URLSearchParams(window.location.search);
  var needsSignIn = false;
  var ready = null;
  var refreshing = Promise.resolve();

  function mine(records) {
    return records.filter(function (r) { return me === null || r.user === me; });
  }

  function element(tag, text, className) {
    var el = document.createElement(tag);
    if (text) { el.textContent = text; }
    if (className) { el.className = className; }
    return el;
  }

  function link(text, href, onClick) {
    var a = element("a", text, "alert-link");
    a.href = href;
    if (onClick) { a.addEventListener("click", onClick); }
    return a;
  }

  function fixUrl(record) {
    var base = record.log ? d.editUrl.replace("/0/", "/" + record.log + "/") : d.newUrl;
    return base + "?outbox=" + encodeURIComponent(record.key);
  }

  function render() {
    return Promise.all([store.all(), store.meta("sent")]).then(function (got) {
      var records = mine(got[0] || []);
      var sent = got[1] || [];
      var waiting = records.filter(function (r) { return r.state === "waiting"; });
      var lines = [];
      if (params.get("queued") && waiting.some(function (r) { return r.key === params.get("queued"); })) {
        lines.push(d.tQueued);
      }
      if (waiting.length) { lines.push(d.tWaiting + " " + waiting.length); }
      messageEl.textContent = lines.join(" ");
      if (waiting.length && needsSignIn) {
        messageEl.append(" ");
        messageEl.append(link(d.tSignin, d.loginUrl + "?next=" +
          encodeURIComponent(window.location.pathname + window.location.search)));
      }
      listEl.replaceChildren();
      sent.forEach(function (item) {
        var li = element("li", d.tSent + " ");
        li.append(link(item.label || d.tLog, item.url));
        listEl.append(li);
      });
      records.forEach(function (record) {
        if (record.key === params.get("outbox")) { return; }  // open on this page
        var label = record.label || d.tLog;
        if (record.state === "refused") {
          var li = element("li", d.tRefused + " ");
          li.append(link(label, fixUrl(record)));
          var reasons = [];
          Object.keys(record.errors || {}).forEach(function (name) {
            reasons = reasons.concat(record.errors[name]);
          });
          li.append(element("span", " – " + reasons.join(" ")));
          listEl.append(li);
        } else if (record.state === "conflict") {
          var item = element("li", d.tConflict + " ");
          item.append(link(label, record.url, function () { store.remove(record.key); }));
          listEl.append(item);
        }
      });
      if (sent.length && role === "mentor") { store.dropMeta("sent"); }
      box.hidden = !messageEl.textContent && !listEl.children.length;
      document.dispatchEvent(new CustomEvent("peerlog:outbox", { detail: { waiting: waiting.length } }));
      return records;
    });
  }

  function getJSON(response) {
    return response.json().catch(function () { return {}; });
  }

  function signInNeeded(response) {
    return response.type === "opaqueredirect" || response.status === 401;
  }

  // Send every waiting log once; returns {key: server answer} for those answered.
  function sendAll() {
    var answers = {};
    if (role !== "mentor" || !navigator.onLine) { return render().then(function () { return answers; }); }
    return store.all().then(function (records) {
      var waiting = mine(records).filter(function (r) { return r.state === "waiting"; });
      if (!waiting.length) { return null; }
      var headers = { "X-Requested-With": "fetch", "Accept": "application/json" };
      return fetch(d.syncUrl, { credentials: "same-origin", redirect: "manual", headers: headers })
        .then(function (response) {
          if (signInNeeded(response)) { needsSignIn = true; return null; }
          if (!response.ok) { return null; }
          return response.json().then(function (data) {
            needsSignIn = false;
            headers["X-CSRFToken"] = data.csrf;
            return waiting.reduce(function (previous, record) {
              return previous.then(function (go) { return go && sendOne(record, headers, answers); });
            }, Promise.resolve(true));
          });
        });
    }).catch(function () { return null; }).then(render).then(function () { return answers; });
  }

  function sendOne(record, headers, answers) {
    var body = new FormData();
    record.fields.forEach(function (pair) { body.append(pair[0], pair[1]); });
    body.set("action", record.action);
    if (record.log) { body.set("log", String(record.log)); }
    return fetch(d.syncUrl, {
      method: "POST", body: body, credentials: "same-origin", redirect: "manual", headers: headers
    }).then(function (response) {
      if (signInNeeded(response)) { needsSignIn = true; return false; }
      return getJSON(response).then(function (data) {
        answers[record.key] = data;
        if (response.ok) {
          return store.meta("sent").then(function (sent) {
            sent = (sent || []).concat([{ label: record.label, url: data.url }]);
            return store.setMeta("sent", sent);
          }).then(function () { return store.remove(record.key); }).then(function () { return true; });
        }
        if (response.status === 409) {
          record.state = "conflict";
          record.url = data.url;
        } else if (data.status === "refused" || response.status === 404) {
          record.state = "refused";
          record.errors = data.errors || { __all__: [d.tGone] };
        } else {
          return false;  // the server is in trouble: try again later
        }
        return store.put(record).then(function () { return true; });
      });
    });
  }

  function sync() {
    if (navigator.locks) {
      // One sender at a time, whatever the number of tabs.
      return navigator.locks.request("peerlog-outbox", sendAll);
    }
    return sendAll();
  }

  function rememberLabels() {
    var select = document.querySelector("#log-form select[name=participant]");
    var items = document.querySelectorAll("[data-participant-label]");
    var labels = {};
    if (select) {
      Array.prototype.forEach.call(select.options, function (o) { if (o.value) { labels[o.value] = o.text; } });
    }
    Array.prototype.forEach.call(items, function (el) { labels[el.dataset.participant] = el.dataset.participantLabel; });
    return Object.keys(labels).length ? store.setMeta("labels", labels) : Promise.resolve();
  }

  function worker() {
    if (!("serviceWorker" in navigator)) { return Promise.resolve(); }
    refreshing = navigator.serviceWorker.register(d.swUrl, { scope: "/" }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      return store.meta("pagesAt").then(function (at) {
        if (at && Date.now() - at < 10 * 60 * 1000) { return null; }
        return new Promise(function (resolve) {
          var channel = new MessageChannel();
          channel.port1.onmessage = function (event) { resolve(event.data.ok); };
          registration.active.postMessage({ type: "refresh" }, [channel.port2]);
        }).then(function (ok) { return ok ? store.setMeta("pagesAt", Date.now()) : null; });
      });
    }).catch(function () { return null; });
    return refreshing;
  }

  // A promise that gives up after `ms`, resolving to `undefined`.
  function within(promise, ms) {
    var limit = new Promise(function (resolve) { setTimeout(resolve, ms); });
    return Promise.race([promise, limit]);
  }

  function wipeAll() {
    var unregister = "serviceWorker" in navigator
      ? navigator.serviceWorker.getRegistrations().then(function (registrations) {
        return Promise.all(registrations.map(function (r) { return r.unregister(); }));
      })
      : Promise.resolve();
    return Promise.all([store.wipe(), unregister]);
  }

  // Signing out wipes this phone's copy; unsent logs are named first, at once.
  // What this page started (sending, refreshing the offline copies) ends
  // before the wipe, or a page cached a moment later would outlive the
  // sign-out. Signing out always happens: storage that does not answer within
  // seconds is asked about as if it held unsent logs, and neither the page's
  // work nor the wipe is waited for more than a few seconds.
  document.querySelectorAll("form[action='" + d.logoutUrl + "']").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var leave = function () { form.submit(); };
      within(store.all(), 3000).catch(function () { return undefined; }).then(function (records) {
        var left = records === undefined ? 1
          : mine(records).filter(function (r) { return r.state !== "conflict"; }).length;
        if (left && !window.confirm(d.tSignout)) { return; }
        within(Promise.all([ready, refreshing]), 5000).then(function () {
          return within(wipeAll(), 5000);
        }).then(leave, leave);
      });
    });
  });

  function start() {
    if (role === "other") { return wipeAll(); }  // nothing is kept for other roles
    if (role !== "mentor") {
      // Signed out or the session ended: the pages go; unsent typing waits.
      return store.exists().then(function (exists) {
        if (!exists) { return store.wipePages(); }
        return store.isStale().then(function (stale) {
          return stale ? wipeAll() : store.wipePages().then(render);
        });
      });
    }
    return store.isStale().then(function (stale) {
      return stale ? wipeAll() : null;
    }).then(function () {
      return store.meta("user");
    }).then(function (owner) {
      return owner && owner !== me ? wipeAll() : null;  // another mentor's phone
    }).then(function () {
      return Promise.all([store.setMeta("user", me), store.setMeta("lastUsed", Date.now())]);
    }).then(rememberLabels).then(function () {
      window.addEventListener("online", sync);
      worker();
      return sync();
    });
  }

  ready = start().catch(function () { return null; });
  window.PeerlogOutbox = {
    enabled: role === "mentor",
    user: me,
    ready: ready,
    store: store,
    sync: sync,
    render: render,
    queuedText: d.tQueued
  };
}());
