/* Printable pages (staff route sheets): a Print button, wired here because the CSP allows no inline script. */
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
}());
