/* Doorstep worker phone page: never lose a tap.
 *
 * A tap goes into a queue in localStorage first, then is sent; it leaves the
 * queue only when the server answered (saved, or refused with a reason shown
 * to the worker). Each tap carries its own client_id, so a request sent twice
 * (lost answer, two tabs) is stored once. The queue is retried when the
 * connection returns, with back-off, and after a token refresh.
 *
 * Stored on the phone: the queue, and for the offline page only the stop order,
 * first names, door notes and diet flags. All of it is removed on logout.
 * Settings and words come from #worker-app's data attributes (no inline script).
 */
(function () {
  "use strict";

  var printButton = document.querySelector("[data-print]");
  if (printButton) printButton.addEventListener("click", function () { window.print(); });

  var app = document.getElementById("worker-app");
  if (!app) return;
  document.documentElement.classList.add("js");  // done stops fold only where the page can open them
  var d = app.dataset;
  var USER = d.user;
  var QKEY = "doorstep.queue." + USER, DKEY = "doorstep.day." + USER, FKEY = "doorstep.failed." + USER;
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.content : "";

  function load(key, fallback) {
    try { var v = JSON.parse(localStorage.getItem(key)); return v == null ? fallback : v; } catch (e) { return fallback; }
  }
  function save(key, value) {
    try { localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* storage full: the tap stays in memory */ }
  }
  function fmt(text, n) { return String(text).replace("%(n)s", n); }

  // The server's clock, not the phone's: the page carries the server's time (the demo clock too), and the
  // difference is kept for a page shown from the phone's cache offline, whose time is stale.
  var SKEW_KEY = "doorstep.skew." + USER;
  var skew = load(SKEW_KEY, 0);
  if (navigator.onLine !== false && d.now && !isNaN(Date.parse(d.now))) {
    skew = Date.parse(d.now) - Date.now();
    save(SKEW_KEY, skew);
  }
  function serverNow() { return Date.now() + skew; }
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text != null) node.textContent = text;
    return node;
  }

  // Other users' offline data on a shared phone goes away.
  Object.keys(localStorage).forEach(function (key) {
    if (key.indexOf("doorstep.day.") === 0 && key !== DKEY) localStorage.removeItem(key);
  });

  // ---- Taps -------------------------------------------------------------------
  function tapFrom(form, button) {
    var t = {
      client_id: uuid(), stop_id: form.dataset.stopId, n: form.dataset.stopN, name: form.dataset.name,
      label: button.dataset.label || button.textContent.trim(), recorded_dt: new Date(serverNow()).toISOString(),
      device: (navigator.userAgent || "").slice(0, 200)
    };
    if (button.name === "seen_well") { t.kind = "outcome"; t.outcome = "delivered"; t.seen_well = true; }
    else if (button.name === "outcome") { t.kind = "outcome"; t.outcome = button.value; }
    else if (button.name === "checkout") { t.kind = "check_out"; t.outcome = button.value; }
    else if (button.name === "concern") { t.kind = "concern"; t.concern = button.value; }
    else { t.kind = button.value; }
    var note = form.querySelector("textarea[name=note]");
    if (note && note.value.trim()) { t.note = note.value.trim(); note.value = ""; }
    var ticked = form.querySelectorAll("input[name=tasks_done]:checked");
    if (ticked.length) t.tasks_done = Array.prototype.map.call(ticked, function (x) { return x.value; });
    return t;
  }

  // What a tap does to its card: the chosen outcome shows, the actions move on with the state
  // (a visit checked in offers check-out only), a done stop folds and counts.
  var NEXT_STATE = { on_the_way: "on_the_way", check_in: "checked_in" };
  var WELFARE = ["not_home", "could_not_access"];

  function markStop(t, state) {
    var item = document.getElementById("stop-" + t.stop_id);
    if (!item) return;
    var status = item.querySelector("[data-status]");
    if (status) {
      status.textContent = "";
      if (t.outcome) status.appendChild(el("strong", {}, d.tOutcome + " "));
      status.appendChild(el("span", { "class": "tag" + (t.outcome ? " is-chosen" : "") }, (t.outcome ? "✓ " : "") + t.label));
      status.appendChild(document.createTextNode(" — " + state));
    }
    if (NEXT_STATE[t.kind] && item.dataset.state !== "done" &&
        !(t.kind === "on_the_way" && item.dataset.state === "checked_in")) item.dataset.state = NEXT_STATE[t.kind];
    var record = item.querySelector("details.visit-record");
    if (record && item.dataset.state === "checked_in") record.open = true;
    if (!t.outcome) return;
    item.dataset.state = "done";
    item.classList.add("is-done");
    item.querySelectorAll("button[name=outcome], button[name=checkout]").forEach(function (b) {
      var chosen = b.value === t.outcome && (b.name === "checkout") === (t.kind === "check_out");
      b.classList.toggle("is-chosen", chosen);
      b.setAttribute("aria-pressed", chosen ? "true" : "false");
    });
    item.querySelectorAll("button[name=seen_well]").forEach(function (b) {
      b.classList.toggle("is-chosen", !!t.seen_well);
      b.setAttribute("aria-pressed", t.seen_well ? "true" : "false");
    });
    var steps = item.querySelector("[data-next-steps]");
    var welfare = item.hasAttribute("data-lives-alone") && WELFARE.indexOf(t.outcome) >= 0;
    if (steps) {
      steps.hidden = !welfare;
      var saved = state === d.tSaved;
      steps.querySelector("[data-alerted]").hidden = !saved;
      steps.querySelector("[data-alert-pending]").hidden = saved;
    }
    if (!welfare) fold(item, true);
    countDone(item);
  }

  function fold(item, folded) {
    item.classList.toggle("is-collapsed", folded);
    var toggle = item.querySelector(".stop-toggle");
    if (toggle) {
      toggle.setAttribute("aria-expanded", folded ? "false" : "true");
      toggle.textContent = folded ? d.tShow : d.tHide;
    }
  }

  function countDone(item) {
    var route = item.closest(".route");
    var counter = route && route.querySelector("[data-done-count]");
    if (!counter) return;
    var done = route.querySelectorAll(".stop.is-done").length;
    counter.textContent = d.tDone.replace("%(done)s", done).replace("%(total)s", counter.dataset.total);
  }

  // The done stop goes below the stops still to do, so the next stop is on top. A senior who
  // lives alone and was not found stays where the driver reads what to do next.
  function moveDown(t) {
    var item = document.getElementById("stop-" + t.stop_id);
    if (!item || !t.outcome || !item.classList.contains("is-collapsed")) return;
    var list = item.parentNode;
    var firstDone = Array.prototype.find.call(list.children, function (x) {
      return x !== item && x.classList.contains("is-done") && !x.querySelector("[data-next-steps]:not([hidden])");
    });
    list.insertBefore(item, firstDone || null);
  }

  // Large text (150 % and more): a stop must still take about one screen, so the address and notes fold
  // behind one line, and a meal card's less common choices ("Delivered, seen well", the note) move under
  // "Other outcome". A 1rem probe is watched, so a text size changed while the page is open re-lays it.
  var largeText = null;
  function layOut(probe) {
    var large = probe.getBoundingClientRect().width >= 24;
    if (large === largeText) return;
    largeText = large;
    document.documentElement.classList.toggle("large-text", large);
    document.querySelectorAll("details.stop-where").forEach(function (where) { where.open = !large; });
    document.querySelectorAll(".tap-form").forEach(function (form) {
      var more = form.querySelector(".meal-outcomes + .more-outcomes");
      if (!more) return;
      var seenWell = form.querySelector("button[name=seen_well]"), note = form.querySelector("details.note-box");
      if (large) {
        more.querySelector(".outcomes").insertBefore(seenWell, more.querySelector(".outcomes").firstChild);
        more.appendChild(note);
      } else {
        form.querySelector(".meal-outcomes").appendChild(seenWell);
        more.parentNode.insertBefore(note, more.nextSibling);
      }
    });
  }
  var probe = el("span", {"class": "rem-probe", "aria-hidden": "true"});
  document.body.appendChild(probe);
  layOut(probe);
  if (window.ResizeObserver) new ResizeObserver(function () { layOut(probe); }).observe(probe);

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest && event.target.closest(".stop-toggle");
    if (!toggle) return;
    var item = toggle.closest(".stop");
    fold(item, !item.classList.contains("is-collapsed"));
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("tap-form")) return;
    event.preventDefault();
    var button = event.submitter;
    if (!button || !button.name) return;
    var t = tapFrom(form, button);
    var queue = load(QKEY, []);
    queue.push(t);
    save(QKEY, queue);
    markStop(t, d.tPending);
    moveDown(t);
    form.querySelectorAll("details[open]").forEach(function (details) { details.open = false; });  // the address is outside the form
    render();
    flush();
  });

  // A home visit's record goes through the same queue: its client_id makes a resend harmless.
  function recordFrom(form) {
    var seen = form.querySelector("input[name=seen]:checked");
    var isSeen = !!seen && seen.value === "yes";
    var items = {};
    form.querySelectorAll(".vr-item").forEach(function (details) {
      var chosen = details.querySelector("input[type=radio]:checked");
      if (!chosen) return;
      var key = chosen.name.replace(/^item-/, "");
      var note = details.querySelector("textarea");
      var conf = details.querySelector("input[type=checkbox]");
      items[key] = { status: chosen.value, note: note ? note.value.trim() : "", confidential: !!(conf && conf.checked) };
    });
    var notes = form.querySelector("textarea[name=notes]");
    return {
      client_id: uuid(), stop_id: form.dataset.stopId, n: form.dataset.stopN, name: form.dataset.name,
      type: "visit_record", kind: "outcome", outcome: isSeen ? "completed" : "not_home",
      label: isSeen ? form.dataset.tSeen : form.dataset.tNotSeen,
      recorded_dt: new Date(serverNow()).toISOString(), device: (navigator.userAgent || "").slice(0, 200),
      body: { seen: isSeen, items: items, notes: notes ? notes.value.trim() : "" }
    };
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("visit-record-form")) return;
    event.preventDefault();
    if (!form.querySelector("input[name=seen]:checked")) { form.querySelector("input[name=seen]").focus(); return; }
    var t = recordFrom(form);
    var queue = load(QKEY, []);
    queue.push(t);
    save(QKEY, queue);
    markStop(t, d.tPending);
    moveDown(t);
    form.hidden = true;
    render();
    flush();
  });

  // ---- Sending ----------------------------------------------------------------
  var sending = false, retryMs = 3000, timer = null, needLogin = false, sentOne = false;

  function drop(clientId) {
    save(QKEY, load(QKEY, []).filter(function (x) { return x.client_id !== clientId; }));
  }
  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(flush, retryMs);
    retryMs = Math.min(retryMs * 2, 60000);
  }
  function post(t) {
    var body, url = d.api;
    if (t.type === "visit_record") {
      url = d.apiVisit;
      body = { client_id: t.client_id, seen: t.body.seen, items: t.body.items, notes: t.body.notes,
               recorded_dt: t.recorded_dt, device: t.device };
    } else {
      body = { client_id: t.client_id, kind: t.kind, outcome: t.outcome, concern: t.concern, note: t.note,
               tasks_done: t.tasks_done, recorded_dt: t.recorded_dt, device: t.device };
      if (t.seen_well) body.seen_well = true;
    }
    return fetch(url.replace("STOP", encodeURIComponent(t.stop_id)), {
      method: "POST", credentials: "same-origin", redirect: "manual",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body)
    });
  }
  function refreshToken() {
    return fetch(d.csrfUrl, { credentials: "same-origin", redirect: "manual", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data && data.csrf_token) { csrf = data.csrf_token; return true; } return false; })
      .catch(function () { return false; });
  }

  async function flush() {
    if (sending) return;
    sending = true;
    needLogin = false;
    var tokenRefreshed = false;
    try {
      for (;;) {
        var queue = load(QKEY, []);
        if (!queue.length) { retryMs = 3000; break; }
        var t = queue[0], response;
        try { response = await post(t); } catch (e) { schedule(); break; }  // no connection
        if (response.type === "opaqueredirect" || response.status === 401 || response.status === 403) {
          needLogin = true; schedule(); break;
        }
        var data = await response.json().catch(function () { return {}; });
        if (response.ok) { drop(t.client_id); sentOne = true; markStop(t, d.tSaved); continue; }
        if (response.status === 400 && data.error === "csrf" && !tokenRefreshed) {
          tokenRefreshed = true;
          if (await refreshToken()) continue;
          schedule(); break;
        }
        if (response.status === 400 || response.status === 404 || response.status === 422) {
          var failed = load(FKEY, []);
          failed.push({ n: t.n, name: t.name, label: t.label, message: data.message || String(response.status) });
          save(FKEY, failed.slice(-10));
          drop(t.client_id);
          continue;
        }
        schedule(); break;  // the server had a problem: try again later
      }
    } finally {
      sending = false;
      render();
    }
  }

  function render() {
    var queue = load(QKEY, []);
    var status = document.getElementById("sync-status");
    if (status) {
      // "All taps sent." only once this page sent one; before any tap there is nothing to say.
      var text = queue.length ? fmt(d.tWaiting, queue.length) : (sentOne ? d.tAllSent : "");
      if (needLogin && queue.length) text += " " + d.tLogin;
      else if (!navigator.onLine && queue.length) text += " " + d.tOffline;
      status.textContent = text;
      status.classList.toggle("is-waiting", queue.length > 0);
    }
    var list = document.getElementById("sync-queue");
    if (list) {
      list.textContent = "";
      queue.forEach(function (t) {
        list.appendChild(el("li", { "data-client-id": t.client_id }, fmt(d.tStop, t.n) + " · " + t.name + ": " + t.label));
      });
    }
    var failedList = document.getElementById("sync-failed");
    if (failedList) {
      failedList.textContent = "";
      load(FKEY, []).forEach(function (f) {
        failedList.appendChild(el("li", {}, d.tFailed + " " + fmt(d.tStop, f.n) + " · " + f.name + ": " + f.label + " — " + f.message));
      });
    }
  }

  window.addEventListener("online", function () { retryMs = 3000; flush(); });
  window.addEventListener("offline", render);
  setInterval(function () { if (load(QKEY, []).length) flush(); }, 30000);

  // ---- Hot-meal countdown -----------------------------------------------------
  function tickHolds() {
    var now = serverNow();
    document.querySelectorAll(".hold[data-deadline]").forEach(function (p) {
      var minutes = Math.round((Date.parse(p.dataset.deadline) - now) / 60000);
      var left = p.querySelector(".hold-left");
      if (left) left.textContent = "(" + (minutes >= 0 ? fmt(d.tLeft, minutes) : fmt(d.tOver, -minutes)) + ")";
      p.classList.toggle("is-over", minutes < 0);
    });
  }
  tickHolds();
  setInterval(tickHolds, 30000);

  // ---- What the phone keeps for the offline page --------------------------------
  var dayBlock = document.getElementById("offline-day");
  if (dayBlock) {
    try { save(DKEY, JSON.parse(dayBlock.textContent)); } catch (e) { /* keep the previous copy */ }
  }

  var offlineRoot = document.getElementById("offline-stops");
  if (offlineRoot) {
    var labels = {};
    try { labels = JSON.parse(document.getElementById("outcome-labels").textContent); } catch (e) { /* buttons show values */ }
    var stored = load(DKEY, null);
    if (!stored || !stored.routes || !stored.routes.length) {
      offlineRoot.appendChild(el("p", { "class": "empty-state" }, offlineRoot.dataset.tEmpty));
    } else {
      stored.routes.forEach(function (route) {
        offlineRoot.appendChild(el("h2", {}, route.title));
        var list = el("ol", { "class": "stops" });
        route.stops.forEach(function (s) {
          var item = el("li", { "class": "stop" + (s.outcome ? " is-done" : ""), id: "stop-" + s.id });
          item.appendChild(el("h3", { "class": "stop-name" }, s.n + ". " + s.name));
          item.appendChild(el("p", { "class": "stop-times" }, s.window + (s.diet.length ? " · " + s.diet.join(", ") : "")));
          if (s.door) item.appendChild(el("p", { "class": "stop-notes" }, offlineRoot.dataset.tDoor + " " + s.door));
          item.appendChild(el("p", { "class": "stop-outcome", "data-status": "" }, s.outcome ? (labels[s.outcome] || s.outcome) : ""));
          var form = el("form", { "class": "tap-form", "data-stop-id": s.id, "data-stop-n": s.n, "data-name": s.name });
          var buttons = el("div", { "class": "outcomes" });
          s.outcomes.forEach(function (o, i) {
            var b = el("button", { type: "submit", name: "outcome", value: o, "class": "button" + (i ? " secondary" : " big"),
                                   "data-label": labels[o] || o }, labels[o] || o);
            buttons.appendChild(b);
          });
          form.appendChild(buttons);
          var field = el("div", { "class": "field" });
          field.appendChild(el("label", { "for": "note-" + s.id }, offlineRoot.dataset.tNote));
          field.appendChild(el("textarea", { id: "note-" + s.id, name: "note", rows: "2", maxlength: "2000" }));
          form.appendChild(field);
          item.appendChild(form);
          list.appendChild(item);
        });
        offlineRoot.appendChild(list);
      });
    }
  }

  // Waiting taps show on their stops after a reload.
  load(QKEY, []).forEach(function (t) { markStop(t, d.tPending); });

  // ---- Logout clears the phone ----------------------------------------------------
  document.querySelectorAll('form[action*="logout"]').forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (load(QKEY, []).length && !window.confirm(d.tLogout)) { event.preventDefault(); return; }
      [QKEY, DKEY, FKEY].forEach(function (k) { localStorage.removeItem(k); });
      if (window.caches) caches.keys().then(function (keys) {
        keys.forEach(function (k) { if (k.indexOf("doorstep-") === 0) caches.delete(k); });
      });
    });
  });

  // ---- Installable, works offline --------------------------------------------------
  if ("serviceWorker" in navigator && d.sw) {
    navigator.serviceWorker.register(d.sw, { scope: d.scope }).catch(function () { /* pages work without it */ });
  }

  render();
  flush();
})();
