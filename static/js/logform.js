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
    // An attempt is filed without a start time, a length or a summary: they
    // are not marked as needed then, on screen or for assistive technology.
    form.querySelectorAll("[data-meeting-required]").forEach(function (el) {
      el.querySelectorAll("input, textarea, select").forEach(function (input) {
        input.required = !isAttempt;
        input.setAttribute("aria-required", isAttempt ? "false" : "true");
      });
    });
  }

  // The sticky Submit bar's height, kept free below a focused field (WCAG 2.2
  // SC 2.4.11; peerlog.css). None when the bar is not sticky (a short window).
  var bar = form.querySelector(".sticky-actions");
  function measureBar() {
    var sticky = bar && window.getComputedStyle(bar).position === "sticky";
    var height = sticky ? Math.ceil(bar.getBoundingClientRect().height) + 8 : 0;
    document.documentElement.style.setProperty("--sticky-actions-height", height + "px");
  }
  if (bar) {
    measureBar();
    // Chromium scrolls a focused field into view only when it is off screen:
    // one just behind the bar stayed there. Scroll it clear of the bar.
    form.addEventListener("focusin", function (event) {
      if (bar.contains(event.target) || window.getComputedStyle(bar).position !== "sticky") { return; }
      var top = bar.getBoundingClientRect().top;
      var box = event.target.getBoundingClientRect();
      // "instant": Bootstrap makes scrolling smooth, and focus is there now.
      if (box.bottom > top - 4) { window.scrollBy({ top: box.bottom - top + 12, behavior: "instant" }); }
    });
    window.addEventListener("resize", measureBar);
    if (window.ResizeObserver) { new window.ResizeObserver(measureBar).observe(bar); }
  }

  function say(text) { if (statusEl) { statusEl.textContent = text; } }

  // The words this script shows come from the page (data-t-* on the form),
  // rendered in the mentor's language; none are written here. A missing one
  // is a bug, said in the console (the browser tests fail on it).
  function text(name, values) {
    var words = form.dataset[name];
    if (words === undefined) {
      window.console.error("logform.js: the page gives no text for " + name);
      return "";
    }
    Object.keys(values || {}).forEach(function (key) { words = words.split("{" + key + "}").join(values[key]); });
    return words;
  }

  // The summary's heading, in the plural form the language uses for n: the
  // page gives one for each count up to a limit no form of ours reaches;
  // past it, the last one with its number changed.
  function problemCount(n) {
    var counts = JSON.parse(text("tProblems") || "{}");
    var last = Object.keys(counts).length;
    return counts[n] || (last ? counts[last].split(String(last)).join(String(n)) : String(n));
  }

  // --- the phone's outbox (issue 13; see outbox.js) ---------------------------
  var outbox = window.PeerlogOutbox && window.PeerlogOutbox.enabled ? window.PeerlogOutbox : null;
  var key = function () { return form.elements.idempotency_key.value; };

  function keep(action) {
    var fields = [];
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrfmiddlewaretoken" && name !== "action") { fields.push([name, value]); }
    });
    var match = /\/logs\/(\d+)\/edit\/$/.exec(new URL(form.action, window.location.href).pathname);
    var who = form.elements.participant;
    var label = [who && who.value ? who.options[who.selectedIndex].text : "",
      form.elements.contact_date ? form.elements.contact_date.value : ""].filter(Boolean).join(" · ");
    var record = {
      key: key(), user: outbox.user, log: match ? Number(match[1]) : null, fields: fields,
      action: action, state: "waiting", label: label, savedAt: Date.now(),
      participantLabel: who && who.value ? who.options[who.selectedIndex].text : ""
    };
    return outbox.store.put(record).then(function () { return record; });
  }

  function forgetDraft() {
    // The server has newer typing than a draft kept while the signal was gone.
    if (!outbox) { return; }
    outbox.store.get(key()).then(function (record) {
      if (record && record.action === "draft" && record.state === "waiting") { outbox.store.remove(record.key); }
    });
  }

  // The reasons the server gave for refusing a log sent from the outbox:
  // next to each field, and above the form the same error summary as a form
  // the server refuses (core/_error_summary.html): a count, a link to each
  // field, focus on it, "Error:" in the title. Non-field reasons and those of
  // fields not on the page are listed without a link. Text only, no markup.
  function showErrors(errors) {
    errors = errors || {};
    form.querySelectorAll(".outbox-error").forEach(function (el) { el.remove(); });
    form.querySelectorAll("[aria-describedby^='outbox-error-']").forEach(function (input) {
      input.removeAttribute("aria-invalid");
      input.removeAttribute("aria-describedby");
    });
    var general = [];
    var fields = [];
    Object.keys(errors).forEach(function (name) {
      var messages = [].concat(errors[name]).map(String);
      var holder = name === "__all__" ? null : document.getElementById("div_id_" + name);
      if (!holder || !form.contains(holder)) { general = general.concat(messages); return; }
      var note = document.createElement("div");
      note.className = "invalid-feedback d-block outbox-error";
      note.id = "outbox-error-" + name;
      note.textContent = messages.join(" ");
      holder.append(note);
      var inputs = holder.querySelectorAll("input, select, textarea");
      inputs.forEach(function (input) {
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-describedby", note.id);
      });
      var first = Array.prototype.find.call(inputs, function (input) { return input.id; });
      fields.push({ holder: holder, messages: messages, anchor: first ? first.id : "" });
    });
    // In the order the page shows the fields, as the server's summary.
    fields.sort(function (a, b) {
      return a.holder.compareDocumentPosition(b.holder) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1;
    });
    var problems = general.map(function (message) { return { message: message, anchor: "" }; });
    fields.forEach(function (field) {
      field.messages.forEach(function (message) { problems.push({ message: message, anchor: field.anchor }); });
    });
    if (window.PeerlogErrorSummary) {
      window.PeerlogErrorSummary.show(problems, { heading: problemCount(problems.length), error: text("tError") },
        document.getElementById("log-form-intro") || form);
    }
    say("");
  }

  function restore(record) {
    var values = {};
    record.fields.forEach(function (pair) { (values[pair[0]] = values[pair[0]] || []).push(pair[1]); });
    // The form lists only the people assigned now; a log kept on the phone may
    // name someone whose assignment ended since. Keep the choice (the server
    // says whether the date is inside the assignment, next to the date).
    var who = form.elements.participant;
    var chosen = (values.participant || [""])[0];
    if (who && chosen && !Array.prototype.some.call(who.options, function (o) { return o.value === chosen; })) {
      who.add(new Option(record.participantLabel || (record.label || "").split(" · ")[0] || chosen, chosen));
    }
    Array.prototype.forEach.call(form.elements, function (input) {
      if (!input.name || input.name === "csrfmiddlewaretoken" || input.type === "submit") { return; }
      var given = values[input.name] || [];
      if (input.type === "checkbox" || input.type === "radio") {
        input.checked = given.indexOf(input.value) !== -1;
      } else if (input.name in values) {
        input.value = given[0];
      }
    });
    form.dataset.outboxKey = record.key;
    showErrors(record.errors);
    toggleSections();
  }

  // A log sent from the outbox again after it was refused: through the outbox.
  function resend(action) {
    keep(action).then(function () { return outbox.sync(); }).then(function (answers) {
      var answer = answers[key()];
      if (answer && answer.url && (answer.status === "filed" || answer.status === "saved" ||
          answer.status === "replayed")) {
        window.location.assign(answer.url);
      } else if (answer && answer.status === "refused") {
        showErrors(answer.errors);
      } else if (answer && answer.status === "conflict") {
        window.location.assign(answer.url);
      } else {
        say(outbox.queuedText);
      }
      submitted = false;
    });
  }

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
        say(text("tSaved", { time: time }));
        forgetDraft();
      } else if (result.status === 409) {
        say(data.message || text("tChanged"));
      } else if (result.status === 403 || result.status === 401 || result.redirected) {
        dirty = true;
        say(text("tSignedOut"));
      } else {
        dirty = true;
        say(text("tRetry"));
      }
    }).catch(function () {
      dirty = true;
      say(text("tOffline"));
      if (outbox) {
        // Kept on the phone meanwhile, unless a submit is already waiting.
        outbox.store.get(key()).then(function (record) {
          if (!record || record.action !== "submit") { keep("draft"); }
        });
      }
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
    var action = event.submitter && event.submitter.value === "submit" ? "submit" : "draft";
    if (outbox && form.dataset.outboxKey) {
      event.preventDefault();
      submitted = true;
      resend(action);
      return;
    }
    if (outbox && !navigator.onLine) {
      // No signal: the whole form stays on the phone and is sent later.
      event.preventDefault();
      submitted = true;
      keep(action).then(function (record) {
        say(outbox.queuedText);
        if (navigator.serviceWorker && navigator.serviceWorker.controller) {
          window.location.assign(form.dataset.weekUrl + "?queued=" + encodeURIComponent(record.key));
        } else {
          submitted = false;
          outbox.render();
        }
      });
      return;
    }
    if (outbox && navigator.serviceWorker && navigator.serviceWorker.controller) {
      // This POST carries everything; if it fails the worker keeps it again.
      outbox.store.remove(key());
    }
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
  // A new log's date and start time are "now" in the site's time when the
  // server makes the page. Without a signal the phone shows the copy its
  // service worker kept (marked data-offline-copy), maybe hours later: move
  // both on by the time since, unless the mentor changed them. Online the
  // server's clock stands. (Five minutes of slack for the phone's clock.)
  function catchUpWithNow() {
    if (!("offlineCopy" in form.dataset)) { return; }
    var made = parseInt(form.dataset.madeAt, 10) * 1000;
    var date = form.elements.contact_date;
    var time = form.elements.start_time;
    if (!made || !date || !time || !date.value || !time.value) { return; }
    if (date.value !== date.defaultValue || time.value !== time.defaultValue) { return; }
    var since = Date.now() - made;
    if (since < 5 * 60 * 1000) { return; }
    // Wall-clock arithmetic on the site's date and time, read as if UTC.
    var moved = new Date(new Date(date.value + "T" + time.value + ":00Z").getTime() + since);
    var text = moved.toISOString();
    date.value = text.slice(0, 10);
    time.value = text.slice(11, 16);
    if (date.max && date.max < date.value) { date.max = date.value; }
  }

  window.setInterval(autosave, interval);
  catchUpWithNow();
  toggleSections();
  var params = new URLSearchParams(window.location.search);
  var chosen = params.get("participant");
  if (chosen && form.elements.participant && !form.elements.participant.value) {
    form.elements.participant.value = chosen;  // the offline copy of the form
  }
  if (outbox && params.get("outbox")) {
    outbox.store.get(params.get("outbox")).then(function (record) {
      if (record && record.user === outbox.user) { restore(record); }
    });
  }
}());
