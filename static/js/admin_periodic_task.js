// The admin's periodic task form (django-celery-beat), whose own inline script the
// Content-Security-Policy blocks: below the crontab field, what the chosen crontab means
// in words; the separate read-only translation field stays hidden.
(function () {
  "use strict";
  var translation = document.querySelector(".field-crontab_translation");
  if (translation) translation.style.display = "none";
  var data = document.getElementById("readable-crontabs");
  var field = document.querySelector(".field-crontab");
  var help = field && field.querySelector(".help");
  if (!data || !field || !help) return;
  var readable = JSON.parse(data.textContent);
  var original = help.textContent.trim();
  field.addEventListener("change", function () {
    var select = document.getElementById("id_crontab");
    var words = select ? readable[select.value] : undefined;
    help.textContent = original;
    if (words) help.append(document.createElement("br"), "Translation: " + words);
  });
})();
