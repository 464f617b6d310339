// The error summary (issue 13): focus moves to it when the page opens, so a
// screen reader reads the count and the problems first; each link moves to
// its field with the field's question in view, not only the input.
// The server renders it (core/_error_summary.html); for a log the phone's
// outbox brings back refused, logform.js builds the same one here with
// PeerlogErrorSummary.show. It holds no words of its own: the caller gives
// them, as the page rendered them in its language.
(function () {
  "use strict";

  function onClick(event) {
    var link = event.target.closest("a[href^='#']");
    if (!link) { return; }
    var input = document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!input) { return; }
    event.preventDefault();
    var question = input.closest("[id^=div_]") || input;
    question.scrollIntoView({ block: "start" });
    input.focus({ preventScroll: true });
  }

  function attach(summary) {
    summary.addEventListener("click", onClick);
    summary.focus();
  }

  // problems: [{message, anchor}], anchor the id of the input to link to or
  // "". texts: {heading, error ("Error:" for the title)}. Placed before
  // `before`; an earlier summary goes. No problems: no summary, no "Error:".
  function show(problems, texts, before) {
    var old = document.querySelector("[data-error-summary]");
    if (old) { old.remove(); }
    var prefix = texts.error + " ";
    if (document.title.indexOf(prefix) === 0) { document.title = document.title.slice(prefix.length); }
    if (!problems.length) { return null; }
    var summary = document.createElement("div");
    summary.className = "error-summary alert alert-danger";
    summary.tabIndex = -1;
    summary.setAttribute("data-error-summary", "");
    summary.setAttribute("aria-labelledby", "error-summary-title");
    var heading = document.createElement("h2");
    heading.className = "h5";
    heading.id = "error-summary-title";
    heading.textContent = texts.heading;
    var list = document.createElement("ul");
    list.className = "mb-0";
    problems.forEach(function (problem) {
      var item = document.createElement("li");
      if (problem.anchor) {
        var link = document.createElement("a");
        link.className = "alert-link";
        link.href = "#" + encodeURIComponent(problem.anchor);
        link.textContent = problem.message;
        item.append(link);
      } else {
        item.textContent = problem.message;
      }
      list.append(item);
    });
    summary.append(heading, list);
    before.parentNode.insertBefore(summary, before);
    document.title = prefix + document.title;
    attach(summary);
    return summary;
  }

  window.PeerlogErrorSummary = { show: show };
  var summary = document.querySelector("[data-error-summary]");
  if (summary) { attach(summary); }
}());
