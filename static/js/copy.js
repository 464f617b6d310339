// Copy buttons (the new API token's page): copy the text of the element named
// by data-copy-target, and say so in the page's status line. A static file,
// because the CSP allows no inline script.
document.querySelectorAll(".js-copy").forEach(function (button) {
  button.addEventListener("click", function () {
    var source = document.getElementById(button.dataset.copyTarget);
    var status = document.getElementById("copy-status");
    function done() { if (status) { status.textContent = button.dataset.copied; } }
    source.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(source.value).then(done, function () {
        document.execCommand("copy"); done();
      });
    } else {
      document.execCommand("copy"); done();
    }
  });
});
