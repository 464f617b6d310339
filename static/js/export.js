// Export progress: polls the job's status while it runs, updates the bar, and
// reloads the page when the job has finished (to show the download link).
(function () {
  var box = document.querySelector("[data-export-status-url]");
  if (!box) { return; }
  var url = box.getAttribute("data-export-status-url");
  var bar = document.getElementById("export-progress");
  var label = document.getElementById("export-status-label");
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { window.setTimeout(poll, 10000); return; }
        if (bar) { bar.value = data.percent; bar.textContent = data.percent + "%"; }
        if (label) { label.textContent = data.status_label; }
        if (data.finished) { window.location.reload(); return; }
        window.setTimeout(poll, 2000);
      })
      .catch(function () { window.setTimeout(poll, 10000); });
  }
  window.setTimeout(poll, 1500);
})();
