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
 * tells kinds apart), "dot" (circleMarker) or "pin" (Leaflet's icon), and
 * "permanentLabels": true to show labels without hovering.
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
    var node = document.createElement("span");
    node.className = ["map-marker", style.className, item.className].filter(Boolean).join(" ");
    node.textContent = item.symbol ? String(item.symbol) : "";
    node.setAttribute("aria-hidden", "true");
    return L.divIcon({html: node, className: "map-marker-box", iconSize: [22, 22], iconAnchor: [11, 11]});
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
        shape = L.marker(where, {icon: symbolIcon(item, style), title: item.label ? String(item.label) : "",
                                 keyboard: true});
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
    var map = L.map(element, {scrollWheelZoom: false});
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
    (spec.layers || []).forEach(function (layer) {
      var make = builders[layer.type];
      if (!make) { return; }
      var style = layer.style || {};
      var group = L.featureGroup();
      (layer.items || []).forEach(function (item) {
        try {
          make(item, style).addTo(group);
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
      map.fitBounds(bounds, {padding: [16, 16], maxZoom: spec.zoom || 16});
    } else if (spec.center) {
      map.setView(spec.center, spec.zoom || 13);
    } else {
      map.setView([0, 0], 2);
    }
    if (spec.pin) { addPin(map, spec.pin); }
    element.doorstepMap = map;
    return map;
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
