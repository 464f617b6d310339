// The interaction log form: hide meeting-only sections for attempts, autosave
// while typing (REL-1), and never submit the same form twice (REL-3).
(function () {
  "use strict";
  var form = document.getElementById("log-form");
  if (!form) { return; }
  var statusEl = document.getElementById("autosave-status");
  var attempts = ["no_answer", "cancelled", "no_show"];
  var interval = parseInt(form.dataset.autosaveInterval, 10) || 4000;
  var dirty = false;
  var saving = false;
  var submitted = false;
  var submitPending = false;
  var pendingSubmitter = null;

  function outcome() {
    var checked = form.querySelector("input[name=outcome]:checked");
    return checked ? checked.value : "met";
  }

  function toggleSections() {
    var isAttempt = attempts.indexOf(outcome()) !== -1;
    form.querySelectorAll("[data-meeting-only]").forEach(function (el) {
      el.classList.toggle("is-hidden", isAttempt);
    });
  }

  function say(text) { if (statusEl) { statusEl.textContent = text; } }

  function autosave() {
    if (!dirty || saving || submitted) { return; }
    saving = true;
    dirty = false;
    var body = new FormData(form);
    body.delete("action");
    fetch(form.dataset.autosaveUrl, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" }
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, data: data };
      });
    }).then(function (result) {
      var data = result.data;
      if (result.status === 200 && data.status === "saved") {
        if (data.version) { form.elements.version.value = data.version; }
        if (data.edit_url && form.dataset.autosaveUrl !== data.autosave_url) {
          // The draft now exists: later saves go to it, and a reload finds it.
          form.dataset.autosaveUrl = data.autosave_url;
          form.action = data.edit_url;
          window.history.replaceState(null, "", data.edit_url);
        }
        var time = new Date(data.saved_at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
        say(form.dataset.savedText ? form.dataset.savedText : "Saved automatically at " + time);
      } else if (result.status === 409) {
        say(data.message || "This log was changed somewhere else.");
      } else if (result.status === 403 || result.status === 401 || result.redirected) {
        dirty = true;
        say("Not saved: you may have been signed out. Keep this page open and sign in again in another tab.");
      } else {
        dirty = true;
        say("Not saved yet. We will try again.");
      }
    }).catch(function () {
      dirty = true;
      say("Offline: not saved yet. We will try again when you are back online.");
    }).finally(function () {
      saving = false;
      if (submitPending) {
        submitPending = false;
        if (pendingSubmitter) { form.requestSubmit(pendingSubmitter); } else { form.requestSubmit(); }
      }
    });
  }

  form.addEventListener("input", function () { dirty = true; });
  form.addEventListener("change", function (event) {
    dirty = true;
    if (event.target.name === "outcome") { toggleSections(); }
  });
  form.addEventListener("submit", function (event) {
    if (submitted) { event.preventDefault(); return; }
    if (saving) {
      // Our own autosave is on its way and will bump the version: submit once
      // it is back, with the new version, instead of tripping over it (REL-2).
      event.preventDefault();
      submitPending = true;
      pendingSubmitter = event.submitter || null;
      return;
    }
    submitted = true;
    var button = event.submitter;
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
      if (button) { button.textContent = button.textContent + "…"; }
    }, 0);
  });
  window.addEventListener("pagehide", function () {
    if (dirty && !submitted && navigator.sendBeacon) {
      var body = new FormData(form);
      body.delete("action");
      navigator.sendBeacon(form.dataset.autosaveUrl, body);
    }
  });
  window.setInterval(autosave, interval);
  toggleSections();
}());
