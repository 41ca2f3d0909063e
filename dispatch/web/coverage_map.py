"""The coverage map's data for static/map.js: circles as polygons, sites, seniors and suggested places.

Kinds differ by shape and symbol as well as colour (square sites, round
covered seniors, triangular "!" gaps, diamond "+" suggestions). Every circle
is labelled as the approximation it is.
"""
from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from dispatch.platform import travel as app_travel
from dispatch.platform.labels import label
from dispatch.routing.circles import CircleSite, circle_polygon
from dispatch.services.coverage.circles import Report, travel

MAX_SENIOR_MARKERS = 3000  # beyond this the table and CSV carry the detail


def circle_note() -> str:
    """Which travel model drew the circles, in the reader's language."""
    if app_travel.on_streets():
        return _("on streets: the OpenStreetMap network")
    return _("approximation: straight-line distance × circuity")


def map_spec(report: Report, siting, tiles) -> dict:
    circles, sites, covered, gaps = [], [], [], []
    for row in report.sites:
        site = row.site
        circles.append({
            "points": row.polygon,
            "label": _("%(site)s: %(minutes)s min by %(mode)s (%(note)s)", site=site.name,
                       minutes=site.circle_minutes, mode=label(site.circle_mode), note=circle_note()),
        })
        sites.append({
            "lat": site.lat, "lon": site.lon, "symbol": "S", "label": site.name,
            "popup": [site.name, _("Load %(load)s of %(capacity)s meals a day", load=row.load,
                                   capacity=site.daily_capacity),
                      ngettext("%(num)s senior inside the circle", "%(num)s seniors inside the circle", row.in_circle)],
            "link": {"href": url_for("staff.site_detail", site_id=site.id), "text": _("Open the site")},
        })
    for row in report.seniors[:MAX_SENIOR_MARKERS]:
        where = row.site.name if row.site else _("no site with room")
        item = {"lat": row.lat, "lon": row.lon, "label": row.name,
                "popup": [row.name, _state(row) + " · " + where]}
        if row.covered:
            covered.append(item)
        else:
            gaps.append(item | {"symbol": "!"})
    layers = [
        {"type": "polygons", "name": _("Service circles"), "items": circles,
         "style": {"color": "#1d4f91", "weight": 2, "dashArray": "6 4", "fillOpacity": 0.08}},
        {"type": "markers", "name": _("Covered seniors"), "items": covered,
         "style": {"className": "map-marker--covered"}},
        {"type": "markers", "name": _("Coverage gaps"), "items": gaps, "style": {"className": "map-marker--gap"}},
        {"type": "markers", "name": _("Meal sites"), "items": sites, "style": {"className": "map-marker--site"}},
    ]
    if siting is not None and siting.chosen:
        geo = travel()
        places, areas = [], []
        for n, choice in enumerate(siting.chosen, start=1):
            c = choice.candidate
            name = c.name or _("Suggested place %(n)s", n=n)
            places.append({"lat": c.lat, "lon": c.lon, "symbol": "+", "label": name,
                           "popup": [name, ngettext("Brings %(num)s senior inside a circle", "Brings %(num)s seniors inside a circle", choice.gain_people)]})
            shape = CircleSite(n, c.lat, c.lon, minutes=siting.minutes, mode=siting.mode)
            areas.append({"points": circle_polygon(shape, geo),
                          "label": _("%(place)s: %(note)s", place=name, note=circle_note())})
        layers.append({"type": "polygons", "name": _("Suggested circles"), "items": areas,
                       "style": {"color": "#0b7a3e", "weight": 2, "dashArray": "2 4", "fillOpacity": 0.08}})
        layers.append({"type": "markers", "name": _("Suggested places"), "items": places,
                       "style": {"className": "map-marker--chosen", "permanentLabels": False}})
    first = report.sites[0].site if report.sites else (report.seniors[0] if report.seniors else None)
    center = [first.lat, first.lon] if first is not None else None
    return {"tiles": tiles, "center": center, "zoom": 14, "layers": layers}


def _state(row) -> str:
    if row.covered:
        return _("Covered")
    return _("Coverage gap: its circles' sites are full") if row.in_circle else _("Coverage gap")
