// The whitespace matrix: Cancel in the cell editor closes it without a round trip.
document.addEventListener("click", function (event) {
  "use strict";
  var cancel = event.target.closest("[data-editor-cancel]");
  if (!cancel) return;
  event.preventDefault();
  var editor = document.getElementById("cell-editor");
  if (editor) editor.innerHTML = "";
});
