"""The plan map as a dispatcher reads it: coloured numbered pins, flagged shapes, clusters, fit, highlight.

The checks read the browser's computed styles, not the HTML: a class the view
emits that map.css does not style (white boxes for every stop) fails here.
"""
from __future__ import annotations

import pytest

from dispatch.extensions import db
from dispatch.models.plan import PlanStatus
from tests import plan_fixtures as pf
from tests.factories import create_senior, create_site, create_user, create_worker

pytestmark = pytest.mark.browser

WHITE_OR_NONE = {"rgb(255, 255, 255)", "rgba(0, 0, 0, 0)", "transparent"}
LATE_RING = "rgb(179, 38, 30)"


@pytest.fixture
def config_overrides() -> dict:
    return {"REQUIRE_2FA_FOR_STAFF": False, "MAP_TILE_URL": ""}


def _plan_with_three_routes():
    """Three routes of three stops, one stop late, one senior unassigned, two stops at one door."""
    site = pf.add_lunch_window(create_site(lat=31.2300, lon=121.4700))
    plan = pf.plan(site, status=PlanStatus.DRAFT)
    routes = []
    for r in range(3):
        worker = create_worker(site, full_name=f"Driver {'ABC'[r]}")
        route = pf.route(plan, worker, position=r)
        for n in range(3):
            # Routes fan out from the kitchen; stops about 250 m apart, so they do not cluster.
            lat, lon = 31.2300 + 0.0025 * (n + 1) * (1 if r != 1 else -1), 121.4700 + 0.0025 * (r - 1) * (n + 1)
            senior = create_senior(site, full_name=f"Senior {r}{n}", lat=lat, lon=lon)
            late = r == 2 and n == 2
            pf.stop(route, n, senior, order=pf.meal_order(senior, site), eta="12:50" if late else f"11:{10 + n * 5}")
        routes.append(route)
    # Two seniors of one compound at the very same point, both on route A: a cluster that opens.
    for n in (3, 4):
        senior = create_senior(site, full_name=f"Neighbour {n}", lat=31.2215, lon=121.4620)
        pf.stop(routes[0], n, senior, order=pf.meal_order(senior, site), eta=f"11:{20 + n}")
    lonely = create_senior(site, full_name="Senior Unassigned", lat=31.2240, lon=121.4790)
    plan.summary = {"job": {"state": "done"}, "figures": {"routes": 3},
                    "unassigned": [{"senior_id": lonely.id, "reason": "NO_ROOM", "stop": "meal:x"}]}
    db.session.commit()
    return site, plan, routes


def _open_plan(live_server, page, log_in, site, plan):
    log_in(page, create_user("staff", sites=[site]))
    page.goto(f"{live_server}/staff/plans/{plan.id}")
    page.wait_for_selector("#plan-map-box .map-marker--kitchen")
    page.wait_for_timeout(400)  # Leaflet's fit and the cluster layer settle


def _marker_styles(page) -> list[dict]:
    return page.evaluate("""() => Array.from(document.querySelectorAll('#plan-map-box .map-marker')).map(m => {
        const cs = getComputedStyle(m);
        const box = m.closest('.leaflet-marker-icon');
        return {cls: m.className, title: box ? box.title : '', text: m.textContent, bg: cs.backgroundColor,
                radius: cs.borderTopLeftRadius, shadow: cs.boxShadow, transform: cs.transform,
                route: (m.className.match(/map-route-\\d+/) || [''])[0]};
    })""")


def test_plan_map_markers_are_styled_per_route_with_flags_by_shape(live_server, page, log_in, screenshot):
    site, plan, routes = _plan_with_three_routes()
    _open_plan(live_server, page, log_in, site, plan)
    page.locator("#plan-map-box").screenshot(path=str(screenshot(page, "plan-map-page").with_name("plan-map.png")))
    markers = _marker_styles(page)
    kitchen = [m for m in markers if "map-marker--kitchen" in m["cls"]]
    stops = [m for m in markers if "map-marker--stop" in m["cls"]]
    late = [m for m in stops if "map-marker--late" in m["cls"]]
    unassigned = [m for m in markers if "map-marker--unassigned" in m["cls"]]
    assert len(kitchen) == 1 and kitchen[0]["bg"] not in WHITE_OR_NONE
    # 9 spread stops are drawn one by one; the two at one door are a cluster (checked below).
    assert len(stops) == 9, [m["title"] for m in stops]
    by_driver: dict[str, set[str]] = {}
    for m in stops:
        assert m["bg"] not in WHITE_OR_NONE, m
        by_driver.setdefault(m["title"].split(" #")[0], set()).add(m["bg"])
    assert sorted(by_driver) == ["Driver A", "Driver B", "Driver C"]
    assert all(len(colours) == 1 for colours in by_driver.values()), by_driver
    assert len(set.union(*by_driver.values())) == 3, "each route has its own colour"
    # Pins are numbered in route order.
    assert sorted(m["text"] for m in stops if m["title"].startswith("Driver B")) == ["1", "2", "3"]
    # Late: a square with a red ring, unlike the round on-time pin of its own route.
    round_pin = next(m for m in stops if m not in late)
    assert len(late) == 1 and late[0]["title"] == "Driver C #3"
    assert late[0]["radius"] != round_pin["radius"] and LATE_RING in late[0]["shadow"]
    assert late[0]["bg"] == next(m["bg"] for m in stops if m["title"] == "Driver C #1"), "late keeps its route colour"
    # Unassigned: a rotated (diamond) grey shape with "?", a colour no route has.
    assert len(unassigned) == 1 and unassigned[0]["text"] == "?"
    assert unassigned[0]["transform"] != "none" and unassigned[0]["bg"] not in set.union(*by_driver.values())
    # Each route's line is drawn in its pins' colour.
    lines = page.evaluate("""() => Array.from(document.querySelectorAll('#plan-map-box path.map-line')).map(p =>
        ({route: (p.getAttribute('class').match(/map-route-\\d+/) || [''])[0], stroke: getComputedStyle(p).stroke}))""")
    assert len(lines) == 3
    for line in lines:
        assert line["stroke"] == next(m["bg"] for m in stops if m["route"] == line["route"]), line
    # The legend uses the same classes, so it shows the same shapes.
    legend = page.locator(".map-legend")
    for cls in ("map-marker--kitchen", "map-marker--stop", "map-marker--late", "map-marker--unassigned", "map-cluster"):
        assert legend.locator(f".{cls}").count() >= 1, cls


def test_overlapping_stops_cluster_and_open(live_server, page, log_in):
    site, plan, routes = _plan_with_three_routes()
    _open_plan(live_server, page, log_in, site, plan)
    cluster = page.locator("#plan-map-box .map-cluster")
    assert cluster.count() == 1 and cluster.inner_text() == "2"
    # Both are route A's: the cluster wears route A's colour as its ring.
    ring, route_a = page.evaluate("""() => [
        getComputedStyle(document.querySelector('#plan-map-box .map-cluster')).borderTopColor,
        getComputedStyle(document.querySelector('#plan-map-box .leaflet-marker-icon[title="Driver A #1"] .map-marker'))
            .backgroundColor]""")
    assert "map-cluster--route" in cluster.get_attribute("class") and ring == route_a
    cluster.click()
    page.wait_for_function("() => document.querySelectorAll('#plan-map-box .map-marker--stop').length === 11")
    titles = page.evaluate("() => Array.from(document.querySelectorAll('#plan-map-box .leaflet-marker-icon'))"
                           ".map(m => m.title)")
    assert "Driver A #4" in titles and "Driver A #5" in titles


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_plan_map_is_fitted_to_the_routes(live_server, new_page, log_in, screenshot, phone):
    site, plan, routes = _plan_with_three_routes()
    page = new_page(phone=phone)
    _open_plan(live_server, page, log_in, site, plan)
    screenshot(page, f"plan-map-fit-{'phone' if phone else 'desktop'}")
    fit = page.evaluate("""() => {
        const box = document.getElementById('plan-map-box');
        const map = box.doorstepMap;
        const spec = JSON.parse(document.getElementById('plan-map').textContent);
        const points = [];
        spec.layers.forEach(l => l.items.forEach(i => i.points ? points.push(...i.points) : points.push([i.lat, i.lon])));
        const bounds = L.latLngBounds(points);
        const outer = box.getBoundingClientRect();
        const outside = Array.from(box.querySelectorAll('.leaflet-marker-icon')).filter(m => {
            const r = m.getBoundingClientRect();
            return r.left < outer.left || r.right > outer.right || r.top < outer.top || r.bottom > outer.bottom;
        }).map(m => m.title || m.textContent);
        return {inside: points.every(p => map.getBounds().contains(p)), outside: outside, zoom: map.getZoom(),
                best: Math.min(map.getBoundsZoom(bounds, false, L.point(32, 32)), 18)};
    }""")
    assert fit["inside"] and fit["outside"] == []
    assert fit["zoom"] == fit["best"], "the first view is as close as the routes allow, not zoomed far out"


def test_choosing_a_route_row_highlights_its_stops(live_server, page, log_in):
    site, plan, routes = _plan_with_three_routes()
    _open_plan(live_server, page, log_in, site, plan)
    row = page.locator(f"#route-table tr[data-route='{routes[1].id}']")
    button = row.get_by_role("button", name="Show on map")
    button.click()
    page.wait_for_timeout(500)
    assert button.get_attribute("aria-pressed") == "true"
    assert "route-chosen" in (row.get_attribute("class") or "")
    state = page.evaluate("""() => ({
        focus: Array.from(document.querySelectorAll('#plan-map-box .map-marker.map-focus'))
                    .map(m => m.closest('.leaflet-marker-icon').title).sort(),
        dim: document.querySelectorAll('#plan-map-box .map-marker.map-dim').length,
        others: document.querySelectorAll('#plan-map-box .map-marker--stop:not(.map-focus)').length,
        line: Array.from(document.querySelectorAll('#plan-map-box path.map-line.map-focus'))
                   .map(p => getComputedStyle(p).strokeWidth),
        faded: Array.from(document.querySelectorAll('#plan-map-box path.map-line.map-dim'))
                    .map(p => getComputedStyle(p).strokeOpacity)})""")
    assert state["focus"] == ["Driver B #1", "Driver B #2", "Driver B #3"]
    assert state["dim"] == state["others"] and state["dim"] > 0
    assert state["line"] == ["7px"] and state["faded"] == ["0.2", "0.2"]
    # The clusters hold route A's stops only (one or two, as the viewport's zoom draws them),
    # so they fade with route A.
    clusters = page.evaluate("() => Array.from(document.querySelectorAll('#plan-map-box .map-cluster'))"
                             ".map(c => c.className)")
    assert clusters and all("map-route-0" in c and "map-dim" in c for c in clusters), clusters
    # Choosing the row again shows every route as before.
    button.click()
    page.wait_for_timeout(300)
    assert button.get_attribute("aria-pressed") == "false"
    assert page.locator("#plan-map-box .map-focus, #plan-map-box .map-dim").count() == 0
