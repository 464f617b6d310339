// Warn before an idle sign-out and offer to stay signed in (SES-1/2/3).
// <body data-session-remaining> is the number of seconds the server will keep
// this session if nothing else happens; counting from page load keeps the
// phone's own clock out of it. Background requests (autosave, this file's
// status checks) do not extend the session; the "Stay signed in" POST does.
(function () {
  "use strict";
  var body = document.body;
  var box = document.getElementById("session-warning");
  var remaining = parseInt(body.dataset.sessionRemaining, 10);
  if (!box || isNaN(remaining)) { return; }
  // The offline copy of the new-log form (issue 13) counts nothing: it was
  // kept long ago, its Submit goes to the phone's outbox, and the outbox asks
  // for sign-in when it sends.
  if (document.querySelector("[data-offline-copy]")) { return; }
  var warnMs = (parseInt(body.dataset.sessionWarning, 10) || 120) * 1000;
  var statusUrl = body.dataset.keepaliveUrl;
  var loginUrl = body.dataset.loginUrl;
  var form = box.querySelector("form");
  var deadlineEl = box.querySelector("[data-session-deadline]");
  var deadline = Date.now() + remaining * 1000;
  var checking = false;
  var leaving = false;
  var returnFocus = null;

  function csrfToken() {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function ask(method) {
    return fetch(statusUrl, {
      method: method,
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch", "X-CSRFToken": csrfToken() }
    }).then(function (response) {
      if (response.redirected || !response.ok) { return { remaining: 0 }; }
      return response.json();
    });
  }

  function update(seconds) {
    deadline = Date.now() + seconds * 1000;
  }

  function show() {
    if (!box.hidden) { return; }
    deadlineEl.textContent = new Date(deadline).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    returnFocus = document.activeElement;
    box.hidden = false;
  }

  function hide() {
    box.hidden = true;
    if (returnFocus && returnFocus.focus && document.contains(returnFocus)) { returnFocus.focus(); }
    returnFocus = null;
  }

  function signIn() {
    if (leaving) { return; }
    leaving = true;
    var here = window.location.pathname + window.location.search;
    window.location.assign(loginUrl + "?next=" + encodeURIComponent(here));
  }

  // Another tab may have kept the session alive: ask before warning or leaving.
  // `then(reached)` says whether the server answered.
  function check(then) {
    if (checking) { return; }
    checking = true;
    ask("GET").then(function (data) {
      update(data.remaining || 0);
      then(true);
    }).catch(function () {
      then(false);  // offline: go by our own count
    }).finally(function () { checking = false; });
  }

  function tick() {
    var left = deadline - Date.now();
    if (left <= 0) {
      // Without a signal the page stays, typing and all: leaving for the
      // sign-in page would lose it (issue 13), and Save or Submit keeps the
      // form on the phone until the mentor is back and signed in.
      check(function (reached) {
        if (!reached) { return; }
        if (deadline - Date.now() <= 1000) { signIn(); } else { hide(); }
      });
    } else if (left <= warnMs && box.hidden) {
      // Offline there is nothing to stay signed in to: no warning to cover
      // the form's buttons.
      check(function (reached) { if (reached && deadline - Date.now() <= warnMs) { show(); } });
    }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    ask("POST").then(function (data) {
      if (data.remaining > 0) { update(data.remaining); hide(); } else { signIn(); }
    }).catch(function () {
      form.submit();
    });
  });

  // A timer that checks the clock survives a phone going to sleep.
  window.setInterval(tick, 1000);
}());
