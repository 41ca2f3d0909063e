/* Plan page: while the planning job runs, poll its status and reload when it is done. */
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-status-url");
  var message = box.querySelector("[data-job-message]");
  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { window.setTimeout(poll, 3000); return; }
        if (message && data.message) { message.textContent = data.message; }
        if (data.state === "done" || data.state === "failed") { window.location.reload(); return; }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  var state = box.getAttribute("data-state");
  if (state === "queued" || state === "running") { window.setTimeout(poll, 700); }
}());

/* Plan page: "Show on map" in the routes table picks out one route on the map
   (map.js's doorstepFocus); choosing it again shows every route. The row is
   marked and the button pressed, so the choice is not shown by colour alone. */
(function () {
  "use strict";
  var table = document.getElementById("route-table");
  var box = document.getElementById("plan-map-box");
  if (!table || !box) { return; }
  var chosen = null;
  table.addEventListener("click", function (event) {
    var button = event.target.closest("[data-focus-route]");
    if (!button || typeof box.doorstepFocus !== "function") { return; }
    var route = button.getAttribute("data-focus-route");
    chosen = chosen === route ? null : route;
    Array.prototype.forEach.call(table.querySelectorAll("[data-focus-route]"), function (other) {
      var on = other.getAttribute("data-focus-route") === chosen;
      other.setAttribute("aria-pressed", on ? "true" : "false");
      other.closest("tr").classList.toggle("route-chosen", on);
    });
    box.doorstepFocus(chosen);
    var rect = box.getBoundingClientRect();
    if (rect.top < 0 || rect.bottom > window.innerHeight) { box.scrollIntoView({block: "nearest"}); }
  });
}());
