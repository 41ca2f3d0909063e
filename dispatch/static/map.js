/*
 * Declarative Leaflet maps, so templates hold data and no script.
 *
 *   <div class="map" data-map-src="coverage-map" data-map-label="Coverage map"
 *        data-no-tiles-note="No background map is configured."></div>
 *   <script type="application/json" id="coverage-map">{...}</script>
 *
 * The JSON block:
 *   {"tiles": {"url": "...{z}/{x}/{y}.png", "attribution": "..."} | null,
 *    "center": [lat, lon], "zoom": 13, "fit": true,
 *    "layers": [{"type": "markers" | "circles" | "polygons" | "polylines",
 *                "name": "Sites", "items": [...], "style": {...}}]}
 *
 * Items: markers {lat, lon, label, popup, link, symbol, className};
 * circles {lat, lon, radius (metres), label, popup, color};
 * polygons and polylines {points: [[lat, lon], ...], label, popup, color}.
 * "popup" is plain text (a string, "\n" splits lines, or a list of lines);
 * "link" is {href, text} with a same-site or http(s) href. Every text goes in
 * through textContent, never as HTML: labels carry names people typed.
 *
 * Styles: a layer's "style" holds Leaflet path options (color, weight,
 * fillOpacity, dashArray ...); markers also take "marker": "symbol" (default,
 * a CSS-shaped divIcon: give className and symbol so shape, not only colour,
 * tells kinds apart), "dot" (circleMarker) or "pin" (Leaflet's icon),
 * "permanentLabels": true to show labels without hovering, and "cluster": true
 * to gather markers that overlap into a numbered cluster that opens on click
 * (Leaflet.markercluster, when the page loads it; stops at one door spread out).
 *
 * Groups: any item may carry "group" (e.g. a route's id). The map element then
 * gets doorstepFocus(group) (null clears): that group's markers and lines are
 * drawn on top and emphasised, the others dimmed, and the map fits the group.
 * "fitMaxZoom" caps how far the first fit zooms in (default "zoom", then 16).
 *
 * "pin": {lat, lon, label, latInput, lonInput} adds one draggable pin that
 * writes its position into the form inputs with those ids (and moves when the
 * inputs are typed in, or when the map is clicked): staff drop a senior's pin
 * on their door. lat/lon may be null: the first click places it.
 *
 * With "tiles": null (no tile server) the vectors still draw on a plain
 * background and a note says why; the note's text comes from the element's
 * data-no-tiles-note so it can be translated.
 */
(function () {
  "use strict";

  function textNode(lines) {
    var box = document.createElement("div");
    var list = Array.isArray(lines) ? lines : String(lines).split("\n");
    list.forEach(function (line, index) {
      if (index > 0) { box.appendChild(document.createElement("br")); }
      box.appendChild(document.createTextNode(String(line)));
    });
    return box;
  }

  function safeHref(href) {
    var value = String(href || "");
    if (value.charAt(0) === "/" && value.charAt(1) !== "/") { return value; }
    if (/^https?:\/\//i.test(value)) { return value; }
    return null;
  }

  function popupNode(item) {
    var box = textNode(item.popup === undefined || item.popup === null ? (item.label || "") : item.popup);
    var href = item.link ? safeHref(item.link.href) : null;
    if (href) {
      var para = document.createElement("p");
      var anchor = document.createElement("a");
      anchor.href = href;
      anchor.textContent = String(item.link.text || href);
      para.appendChild(anchor);
      box.appendChild(para);
    }
    return box;
  }

  function escapeHtml(text) {
    var span = document.createElement("span");
    span.textContent = String(text);
    return span.innerHTML;
  }

  function decorate(shape, item, style) {
    if (item.label) {
      shape.bindTooltip(textNode(item.label), {permanent: !!style.permanentLabels, direction: "top"});
    }
    if (item.popup || item.link) {
      shape.bindPopup(popupNode(item));
    }
    return shape;
  }

  function pathOptions(style, item) {
    var options = {};
    Object.keys(style).forEach(function (key) {
      if (key !== "marker" && key !== "permanentLabels" && key !== "className") { options[key] = style[key]; }
    });
    if (item.color) { options.color = item.color; }
    if (item.fillColor) { options.fillColor = item.fillColor; }
    if (style.className || item.className) {
      options.className = [style.className, item.className].filter(Boolean).join(" ");
    }
    return options;
  }

  function symbolIcon(item, style) {
    // The symbol sits in an inner span so a rotated shape (a diamond) keeps its text upright.
    var node = document.createElement("span");
    node.className = ["map-marker", style.className, item.className].filter(Boolean).join(" ");
    var text = document.createElement("span");
    text.className = "map-marker__text";
    text.textContent = item.symbol ? String(item.symbol) : "";
    node.appendChild(text);
    node.setAttribute("aria-hidden", "true");
    return L.divIcon({html: node, className: "map-marker-box", iconSize: [24, 24], iconAnchor: [12, 12]});
  }

  function clusterGroup() {
    // Neutral clusters (not the plugin's green/yellow/orange, which read as route colours).
    var group = L.markerClusterGroup({
      maxClusterRadius: 40, showCoverageOnHover: false, spiderfyOnMaxZoom: true, zoomToBoundsOnClick: true,
      iconCreateFunction: function (cluster) {
        var node = document.createElement("span");
        var children = cluster.getAllChildMarkers();
        var focused = children.some(function (m) { return m.doorstepFocused; });
        // A cluster of one route's stops wears that route's colour class (a ring); a mixed one stays neutral.
        var colours = {};
        children.forEach(function (m) {
          var found = m.doorstepNode ? m.doorstepNode.className.match(/map-route-\d+/) : null;
          colours[found ? found[0] : ""] = true;
        });
        var keys = Object.keys(colours);
        var single = keys.length === 1 && keys[0] ? " map-cluster--route " + keys[0] : "";
        var dim = group.doorstepFocusActive && !focused ? " map-dim" : "";
        node.className = "map-cluster" + single + (focused ? " map-cluster--focus" : "") + dim;
        node.textContent = String(cluster.getChildCount());
        return L.divIcon({html: node, className: "map-marker-box", iconSize: [32, 32], iconAnchor: [16, 16]});
      }
    });
    return group;
  }

  var builders = {
    markers: function (item, style) {
      var where = [item.lat, item.lon];
      var kind = style.marker || "symbol";
      var shape;
      if (kind === "dot") {
        shape = L.circleMarker(where, Object.assign({radius: 6}, pathOptions(style, item)));
      } else if (kind === "pin") {
        shape = L.marker(where, {title: item.label ? String(item.label) : "", alt: item.label ? String(item.label) : ""});
      } else {
        var icon = symbolIcon(item, style);
        shape = L.marker(where, {icon: icon, title: item.label ? String(item.label) : "", keyboard: true});
        shape.doorstepNode = icon.options.html;
      }
      return decorate(shape, item, style);
    },
    circles: function (item, style) {
      return decorate(L.circle([item.lat, item.lon], Object.assign({radius: item.radius}, pathOptions(style, item))),
                      item, style);
    },
    polygons: function (item, style) {
      return decorate(L.polygon(item.points, pathOptions(style, item)), item, style);
    },
    polylines: function (item, style) {
      return decorate(L.polyline(item.points, Object.assign({fill: false}, pathOptions(style, item))), item, style);
    }
  };

  function addNote(element, text) {
    var note = document.createElement("p");
    note.className = "map-note";
    note.setAttribute("role", "note");
    note.textContent = text;
    element.parentNode.insertBefore(note, element.nextSibling);
  }

  function build(element) {
    var source = document.getElementById(element.getAttribute("data-map-src"));
    if (!source) { return null; }
    var spec;
    try {
      spec = JSON.parse(source.textContent);
    } catch (err) {
      addNote(element, element.getAttribute("data-error-note") || "The map data could not be read.");
      return null;
    }
    if (typeof window.L === "undefined") {
      addNote(element, element.getAttribute("data-error-note") || "The map could not be loaded.");
      return null;
    }
    element.setAttribute("role", "region");
    if (element.getAttribute("data-map-label")) {
      element.setAttribute("aria-label", element.getAttribute("data-map-label"));
    }
    // maxZoom is set even without tiles: the cluster plugin needs a finite one. Half zoom steps
    // let a fitted view fill the box instead of stopping at half its size.
    var map = L.map(element, {scrollWheelZoom: false, maxZoom: 19, zoomSnap: 0.5});
    if (spec.tiles && spec.tiles.url) {
      L.tileLayer(spec.tiles.url, {attribution: spec.tiles.attribution ? escapeHtml(spec.tiles.attribution) : "",
                                   maxZoom: 19}).addTo(map);
    } else {
      element.classList.add("map-no-tiles");
      addNote(element, element.getAttribute("data-no-tiles-note")
              || "No background map is configured: the shapes are drawn on a plain background.");
    }
    var bounds = L.latLngBounds([]);
    var overlays = {};
    var members = [];
    var clusters = [];
    (spec.layers || []).forEach(function (layer) {
      var make = builders[layer.type];
      if (!make) { return; }
      var style = layer.style || {};
      var clustered = layer.type === "markers" && style.cluster && typeof L.markerClusterGroup === "function";
      var group = clustered ? clusterGroup() : L.featureGroup();
      if (clustered) { clusters.push(group); }
      (layer.items || []).forEach(function (item) {
        try {
          var shape = make(item, style);
          shape.addTo(group);
          if (item.group !== undefined && item.group !== null) {
            members.push({group: String(item.group), shape: shape});
          }
        } catch (err) { /* one bad item must not blank the map */ }
      });
      group.addTo(map);
      if (group.getLayers().length) { bounds.extend(group.getBounds()); }
      if (layer.name) { overlays[escapeHtml(layer.name)] = group; }
    });
    if (Object.keys(overlays).length > 1) {
      L.control.layers(null, overlays, {collapsed: true}).addTo(map);
    }
    if (spec.fit !== false && bounds.isValid()) {
      map.fitBounds(bounds, {padding: [16, 16], maxZoom: spec.fitMaxZoom || spec.zoom || 16});
    } else if (spec.center) {
      map.setView(spec.center, spec.zoom || 13);
    } else {
      map.setView([0, 0], 2);
    }
    if (spec.pin) { addPin(map, spec.pin); }
    element.doorstepMap = map;
    element.doorstepFocus = function (group) { return focus(map, members, clusters, group, bounds); };
    return map;
  }

  function toggle(node, name, on) {
    if (node) { node.classList.toggle(name, on); }
  }

  function focus(map, members, clusters, group, allBounds) {
    // Emphasise one group (a route) and fit the map to it; null shows every group again.
    var key = group === null || group === undefined ? null : String(group);
    var chosen = L.latLngBounds([]);
    var chosenLines = L.latLngBounds([]);
    members.forEach(function (member) {
      var shape = member.shape;
      var on = key !== null && member.group === key;
      var node = shape.doorstepNode || (shape.getElement ? shape.getElement() : null);
      shape.doorstepFocused = on;
      toggle(node, "map-focus", on);
      toggle(node, "map-dim", key !== null && !on);
      if (shape.setZIndexOffset) { shape.setZIndexOffset(on ? 1000 : 0); }
      if (on && shape.bringToFront) { shape.bringToFront(); }
      // Fit the group's markers (a route's stops, not its legs back to the kitchen), so they spread out.
      if (on && shape.getLatLng) { chosen.extend(shape.getLatLng()); }
      if (on && !shape.getLatLng) { chosenLines.extend(shape.getBounds()); }
    });
    clusters.forEach(function (cluster) {
      cluster.doorstepFocusActive = key !== null;
      cluster.refreshClusters();
    });
    var target = chosen.isValid() ? chosen : (chosenLines.isValid() ? chosenLines : allBounds);
    if (target.isValid()) { map.fitBounds(target, {padding: [24, 24], maxZoom: 18}); }
    return chosen.isValid() || chosenLines.isValid();
  }

  function addPin(map, pin) {
    var latInput = document.getElementById(pin.latInput);
    var lonInput = document.getElementById(pin.lonInput);
    if (!latInput || !lonInput) { return; }
    var marker = null;
    function write(where) {
      latInput.value = where.lat.toFixed(6);
      lonInput.value = where.lng.toFixed(6);
    }
    function place(where) {
      if (marker) {
        marker.setLatLng(where);
      } else {
        marker = L.marker(where, {draggable: true, keyboard: true, autoPan: true,
                                  title: pin.label ? String(pin.label) : "", alt: pin.label ? String(pin.label) : ""});
        marker.on("dragend", function () { write(marker.getLatLng()); });
        marker.addTo(map);
      }
    }
    if (pin.lat !== null && pin.lat !== undefined && pin.lon !== null && pin.lon !== undefined) {
      place(L.latLng(pin.lat, pin.lon));
      if (!map.getBounds || !map.getCenter()) { map.setView([pin.lat, pin.lon], 17); }
    }
    map.on("click", function (event) {
      place(event.latlng);
      write(event.latlng);
    });
    function typed() {
      var lat = parseFloat(latInput.value);
      var lon = parseFloat(lonInput.value);
      if (isFinite(lat) && isFinite(lon) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) {
        place(L.latLng(lat, lon));
        map.panTo([lat, lon]);
      }
    }
    latInput.addEventListener("change", typed);
    lonInput.addEventListener("change", typed);
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll(".map[data-map-src]"), build);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
  window.DoorstepMap = {build: build};
}());
