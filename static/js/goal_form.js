// The goal form: show only the fields of the chosen kind of goal; without JavaScript both
// stay visible.
(function () {
  "use strict";
  var radios = document.querySelectorAll('input[name="kind"]');
  function toggle() {
    var kind = document.querySelector('input[name="kind"]:checked');
    document.querySelectorAll("[data-kind]").forEach(function (section) {
      section.hidden = kind !== null && section.dataset.kind !== kind.value;
    });
  }
  radios.forEach(function (radio) { radio.addEventListener("change", toggle); });
  toggle();
})();
