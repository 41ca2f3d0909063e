/* Live board: ask the server for news every few seconds and swap in the re-rendered parts.
   The page works without this script (refresh link, plain form posts). An alert whose follow-up
   form the coordinator is typing into is left alone until she is done. */
(function () {
  "use strict";
  var board = document.getElementById("board");
  if (!board || !window.fetch) { return; }
  var url = board.getAttribute("data-url");
  var interval = parseInt(board.getAttribute("data-interval"), 10) || 12000;
  var updated = document.getElementById("board-updated");
  var alerts = document.getElementById("board-alerts");
  var routes = document.getElementById("board-routes");
  var lastTime = "";
  var live = document.querySelector(".board-live");
  if (live) { live.hidden = false; }

  function busy(container) {
    var active = document.activeElement;
    if (active && container.contains(active) && active.closest("form")) { return true; }
    var fields = container.querySelectorAll("textarea, select");
    for (var i = 0; i < fields.length; i++) {
      if (fields[i].value) { return true; }
    }
    return false;
  }

  function say(template, time) {
    if (updated) { updated.textContent = board.getAttribute(template).replace("__TIME__", time); }
  }

  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        if (!busy(alerts)) { alerts.innerHTML = data.html.alerts; }
        routes.innerHTML = data.html.routes;
        lastTime = data.updated;
        board.setAttribute("data-alert-count", String(data.alerts.length));
        say("data-updated-text", data.updated);
      })
      .catch(function () { say("data-failed-text", lastTime || "—"); })
      .then(function () { window.setTimeout(poll, interval); });
  }

  window.setTimeout(poll, interval);
})();
