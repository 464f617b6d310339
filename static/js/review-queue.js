// The review queue's "Select all routine logs on this page": ticks every
// routine log's box (only routine logs have one). A real button, so it works
// from the keyboard; hidden until this script runs, since it needs it. The
// server still marks only routine logs, whatever is posted.
document.querySelectorAll(".js-select-routine").forEach(function (button) {
  var boxes = document.querySelectorAll("input.js-routine");
  button.hidden = false;
  button.addEventListener("click", function () {
    boxes.forEach(function (box) { box.checked = true; });
    var status = document.getElementById("routine-status");
    if (status) { status.textContent = button.dataset.done.replace("%n", boxes.length); }
  });
});
