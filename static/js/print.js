document.querySelectorAll(".js-print").forEach(function (el) {
  el.addEventListener("click", function (event) { event.preventDefault(); window.print(); });
});
