/*
 * Small page behaviours, wired by data attributes, because the Content-Security-Policy
 * allows no inline script or event handler attribute (docs/architecture.md, "Content
 * Security Policy"). Loaded on every page; listeners sit on the document, so content that
 * htmx swaps in later works too.
 *
 *   <form data-confirm="Question?">      asks before submitting; Cancel keeps the page.
 *   <select data-autosubmit>             submits its form when the choice changes.
 *   <button data-print>                  opens the browser's print dialogue.
 *   <input data-search-shortcut>         takes the focus when "/" is typed outside a field.
 *   <ul data-scroll-active>              a tab bar that scrolls sideways (on a phone) shows
 *                                        its active tab when the page opens.
 */
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });

  document.addEventListener("change", function (event) {
    var select = event.target.closest("[data-autosubmit]");
    if (select && select.form) {
      select.form.submit();
    }
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) {
      window.print();
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    var target = event.target;
    if (target.isContentEditable || target.closest("input, textarea, select")) {
      return;
    }
    var field = document.querySelector("[data-search-shortcut]");
    if (field) {
      event.preventDefault();
      field.focus();
      field.select();
    }
  });

  document.querySelectorAll("[data-scroll-active]").forEach(function (bar) {
    var active = bar.querySelector(".active");
    if (active && bar.scrollWidth > bar.clientWidth) {
      var tab = active.getBoundingClientRect();
      var box = bar.getBoundingClientRect();
      bar.scrollLeft += tab.left - box.left - (bar.clientWidth - tab.width) / 2;
    }
  });
})();
