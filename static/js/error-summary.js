// The error summary (issue 13): focus moves to it when the page opens, so a
// screen reader reads the count and the problems first; each link moves to
// its field with the field's question in view, not only the input.
(function () {
  "use strict";
  var summary = document.querySelector("[data-error-summary]");
  if (!summary) { return; }
  summary.focus();
  summary.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    if (!link) { return; }
    var input = document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!input) { return; }
    event.preventDefault();
    var question = input.closest("[id^=div_]") || input;
    question.scrollIntoView({ block: "start" });
    input.focus({ preventScroll: true });
  });
}());
