// OpsMerge shell behaviour: "/" focuses search, toasts, sidebar toggle, row selection
// for bulk actions. Progressive enhancement only: every page works without it.
(function () {
  "use strict";

  function isTyping(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  document.addEventListener("keydown", function (e) {
    if (e.key === "/" && !e.ctrlKey && !e.metaKey && !e.altKey && !isTyping(document.activeElement)) {
      var box = document.querySelector("[data-global-search]");
      if (box) { e.preventDefault(); box.focus(); box.select(); }
    }
    if (e.key === "Escape") {
      document.querySelectorAll("details.menu[open]").forEach(function (d) { d.removeAttribute("open"); });
    }
  });

  document.addEventListener("click", function (e) {
    var dismiss = e.target.closest("[data-dismiss]");
    if (dismiss) { closeToast(dismiss.closest("[data-toast]")); }
    if (e.target.closest("[data-toggle-sidebar]")) {
      document.getElementById("sidebar").classList.toggle("is-open");
    }
    document.querySelectorAll("details.menu[open]").forEach(function (d) {
      if (!d.contains(e.target)) d.removeAttribute("open");
    });
  });

  function closeToast(toast) {
    if (!toast) return;
    toast.classList.add("is-leaving");
    setTimeout(function () { toast.remove(); }, 200);
  }

  // Confirmation for destructive single-click forms: <form data-confirm="Sure?">
  document.addEventListener("submit", function (e) {
    var msg = e.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) e.preventDefault();
  });

  // Bulk selection: a <form data-bulk> holding checkboxes name="pk", a header
  // checkbox [data-select-page], a [data-bulk-bar] with [data-bulk-count], and an
  // optional [data-select-all-matching] button that sets the hidden input "all".
  function setupBulk(form) {
    var bar = form.querySelector("[data-bulk-bar]");
    var header = form.querySelector("[data-select-page]");
    var countEl = form.querySelector("[data-bulk-count]");
    var allInput = form.querySelector("input[name=all]");
    var allBtn = form.querySelector("[data-select-all-matching]");
    var allNote = form.querySelector("[data-all-note]");
    var total = parseInt(form.getAttribute("data-total") || "0", 10);
    function boxes() { return Array.prototype.slice.call(form.querySelectorAll("input[name=pk]")); }
    function refresh() {
      var checked = boxes().filter(function (b) { return b.checked; });
      boxes().forEach(function (b) { b.closest("tr").classList.toggle("is-selected", b.checked); });
      var all = allInput && allInput.value === "1";
      if (bar) bar.classList.toggle("is-visible", checked.length > 0 || all);
      var totalText = form.getAttribute("data-total-text") || String(total);
      if (countEl) countEl.textContent = all ? totalText + " selected (everything matching the filter)" : checked.length + " selected";
      if (header) header.checked = checked.length > 0 && checked.length === boxes().length;
      if (allBtn) allBtn.hidden = all || checked.length !== boxes().length || total <= boxes().length;
      if (allNote) allNote.hidden = !all;
      form.querySelectorAll("[data-min-count]").forEach(function (b) {
        b.disabled = !all && checked.length < parseInt(b.getAttribute("data-min-count"), 10);
      });
    }
    form.addEventListener("change", function (e) {
      if (e.target === header) {
        boxes().forEach(function (b) { b.checked = header.checked; });
        if (!header.checked && allInput) allInput.value = "";
      } else if (e.target.name === "pk" && !e.target.checked && allInput) {
        allInput.value = "";
      }
      refresh();
    });
    if (allBtn) allBtn.addEventListener("click", function () { allInput.value = "1"; refresh(); });
    var clear = form.querySelector("[data-clear-selection]");
    if (clear) clear.addEventListener("click", function () {
      boxes().forEach(function (b) { b.checked = false; });
      if (allInput) allInput.value = "";
      refresh();
    });
    refresh();
  }

  function init(root) {
    (root || document).querySelectorAll("form[data-bulk]").forEach(setupBulk);
    (root || document).querySelectorAll("[data-toast]").forEach(function (t) {
      if (!t.classList.contains("toast-error")) setTimeout(function () { closeToast(t); }, 6000);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSwap", function (e) { init(e.target); });
})();
