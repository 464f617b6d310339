/* Screening and coding (issue 15): keyboard shortcuts, saving whole-answer
   codes as they are ticked, and turning a text selection into the passage's
   offsets. Offsets are code points of the stored text (Python indexes): the
   page cuts the text into spans that carry their own start and length, so a
   browser's UTF-16 positions and its dropped carriage returns never leak in. */
(function () {
  "use strict";

  function typing(el) {
    if (!el || !el.closest) return false;
    if (el.closest("textarea, select, [contenteditable]")) return true;
    var input = el.closest("input");
    return !!input && input.type !== "checkbox" && input.type !== "radio";
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var key = event.key.toLowerCase();
    if (key === "p") {
      var submit = document.getElementById("passage-submit");
      if (submit && !submit.disabled) { event.preventDefault(); submit.click(); }
      return;
    }
    var el = document.querySelector('[data-shortcut="' + key + '"]');
    if (!el || el.disabled || el.closest("fieldset[disabled]")) return;
    event.preventDefault();
    if (el.tagName === "BUTTON" || el.type === "checkbox") { el.click(); return; }
    var first = el.querySelector("input, button, select");
    (first || el).focus();
  });

  document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
    form.querySelectorAll(".js-hide").forEach(function (el) { el.hidden = true; });
    form.addEventListener("change", function () { form.requestSubmit(); });
  });

  var body = document.getElementById("coding-text");
  var form = document.getElementById("passage-form");
  if (!body || !form) return;
  var total = Number(body.dataset.length);
  var start = document.getElementById("passage-start");
  var end = document.getElementById("passage-end");
  var submit = document.getElementById("passage-submit");
  var status = document.getElementById("passage-status");
  form.hidden = false;

  // The offset in the stored text of a DOM position inside #coding-text.
  function point(node, offset) {
    if (node === body) {
      if (offset >= body.childNodes.length) return total;
      return Number(body.childNodes[offset].dataset.start);
    }
    var seg = node.nodeType === Node.TEXT_NODE ? node.parentNode : node;
    if (!seg.dataset || seg.dataset.start === undefined) return null;
    var from = Number(seg.dataset.start);
    var len = Number(seg.dataset.len);
    if (node.nodeType !== Node.TEXT_NODE) return offset === 0 ? from : from + len;
    if (offset >= node.data.length) return from + len;
    return from + Array.from(node.data.slice(0, offset)).length;
  }

  // A tap on the code list clears a phone's selection: keep the last one.
  document.addEventListener("selectionchange", function () {
    var sel = document.getSelection();
    if (!sel || !sel.rangeCount || sel.isCollapsed) return;
    var range = sel.getRangeAt(0);
    if (!body.contains(range.startContainer) || !body.contains(range.endContainer)) return;
    var a = point(range.startContainer, range.startOffset);
    var b = point(range.endContainer, range.endOffset);
    if (a === null || b === null || a >= b) return;
    start.value = a;
    end.value = b;
    submit.disabled = false;
    var shown = range.toString();
    status.textContent = "“" + (shown.length > 80 ? shown.slice(0, 80) + "…" : shown) + "”";
  });
})();
