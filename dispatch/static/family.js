// Family request form: a client-made idempotency key, and one submission per tap.
(function () {
  "use strict";
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    var key = form.querySelector("input[name=idempotency_key]");
    if (key && !key.value && window.crypto && window.crypto.randomUUID) {
      key.value = window.crypto.randomUUID();
    }
    form.addEventListener("submit", function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) {
        window.setTimeout(function () { b.disabled = true; }, 0);
      });
    });
  });
})();
