/* Doorstep worker service worker (scope /worker/): the route page opens without a connection.
 *
 * Cached: the offline shell (/worker/offline, which holds no senior data) and
 * the static files it needs. Never cached: the route page itself (addresses,
 * allergies) and any API answer. Navigations go to the network first and fall
 * back to the shell, which draws the stops from the minimum the page stored.
 * Taps are queued and sent by worker.js, not here.
 */
"use strict";
var CACHE = "doorstep-worker-v1";
var OFFLINE = new URL("offline", self.location).href;
var STATIC = ["doorstep.css", "worker.css", "worker.js", "manifest.webmanifest"].map(function (name) {
  return new URL("../static/" + name, self.location).href;
});

function store(cache, url) {
  return fetch(url, { credentials: "same-origin", redirect: "follow" }).then(function (response) {
    if (response.ok && !response.redirected) return cache.put(url, response);
  }).catch(function () { /* try again on the next install */ });
}

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return Promise.all([OFFLINE].concat(STATIC).map(function (url) { return store(cache, url); }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k.indexOf("doorstep-") === 0 && k !== CACHE; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(function () {
      return caches.match(OFFLINE).then(function (hit) { return hit || Response.error(); });
    }));
    return;
  }
  if (STATIC.indexOf(request.url.split("?")[0]) !== -1) {
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(request.url.split("?")[0], copy); });
      }
      return response;
    }).catch(function () { return caches.match(request.url.split("?")[0]); }));
  }
});
