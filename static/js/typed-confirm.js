// Permanent delete: the submit button stays disabled until the exact (case-sensitive)
// name is typed. Convenience only: the server re-checks the name inside the delete.
(function () {
  "use strict";
  document.querySelectorAll("[data-typed-confirm]").forEach(function (form) {
    var input = form.querySelector("[data-typed-input]");
    var button = form.querySelector("[data-typed-submit]");
    var expected = form.getAttribute("data-typed-confirm");
    if (!input || !button) return;
    function sync() { button.disabled = input.value !== expected; }
    input.addEventListener("input", sync);
    sync();
  });
})();
