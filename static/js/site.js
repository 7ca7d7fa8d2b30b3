// Progressive enhancements only: every page works without this file.
(function () {
  "use strict";

  // Move focus to the error summary, so keyboard and screen-reader users start there, and
  // bring all of it to the top of the screen (focus alone scrolled it barely into view).
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.scrollIntoView({ block: "start", behavior: "instant" });
    summary.focus({ preventScroll: true });
  }

  // One click, one request: block a second submit while the first is on its way.
  // (The server also ignores a repeated form, so this is a courtesy, not the safeguard.)
  var forms = document.querySelectorAll("form[data-once]");
  Array.prototype.forEach.call(forms, function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sending) {
        event.preventDefault();
        return;
      }
      form.dataset.sending = "1";
      var button = form.querySelector("button[type=submit]");
      if (button) {
        button.setAttribute("aria-disabled", "true");
        // In the page's language: the JavaScript catalogue (/jsi18n/, /es/jsi18n/) defines
        // gettext; without it, English.
        button.textContent = window.gettext ? window.gettext("Sending…") : "Sending…";
      }
    });
  });
})();
