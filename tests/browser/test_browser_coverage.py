"""The coverage page on a 360-px phone with no tile server: the map draws its shapes, the tables fit."""
from __future__ import annotations

import math

import pytest

from tests.browser.conftest import inputs_without_label, no_horizontal_overflow
from tests.factories import create_senior, create_site, create_user

pytestmark = pytest.mark.browser

LAT, LON = 31.23, 121.47


def at(north_m: float, east_m: float) -> dict:
    return {"lat": LAT + north_m / 111_195.0, "lon": LON + east_m / (111_195.0 * math.cos(math.radians(LAT)))}


@pytest.mark.parametrize("config_overrides", [{"REQUIRE_2FA_FOR_STAFF": False, "MAP_TILE_URL": ""}])
def test_coverage_page_on_a_phone_without_tiles(live_server, phone_page, log_in, screenshot):
    site = create_site(name="Alpha canteen with a rather long name", daily_capacity=10, **at(0, 0))
    create_senior(site=site, full_name="Inside Person", neighbourhood="Riverside", **at(100, 0))
    create_senior(site=site, full_name="Far Person", neighbourhood="Hilltop", **at(3000, 0))
    admin = create_user("admin")
    page = phone_page
    log_in(page, admin)
    page.goto(live_server + "/coverage/")
    page.wait_for_load_state()
    box = page.locator(".map[data-map-src=coverage-map]")
    assert box.is_visible()
    assert box.bounding_box()["width"] <= 360
    # Leaflet drew the map: no tile layer, the circle as an SVG path, markers for site and seniors.
    assert page.locator(".map.leaflet-container.map-no-tiles").count() == 1
    assert page.locator(".map img.leaflet-tile").count() == 0
    assert page.locator(".map svg path").count() >= 1
    assert page.locator(".map .map-marker--gap").count() == 1
    assert page.locator(".map .map-marker--covered").count() == 1
    assert page.locator(".map .map-marker--site").count() == 1
    assert "No background map is configured" in page.locator(".map-note").inner_text()
    assert "50.0 %" in page.locator("#coverage-pct").inner_text()
    assert page.locator("#site-load tbody tr").count() == 1
    assert "Hilltop" in page.locator("#gaps-by-neighbourhood").inner_text()
    scroll, width = no_horizontal_overflow(page)
    assert scroll <= width
    assert inputs_without_label(page) == []
    screenshot(page, "coverage-phone")

    # A what-if from the grid: the suggestion shows before and after, and its circle joins the map.
    page.get_by_label("New sites to choose").fill("1")
    page.get_by_role("button", name="Suggest sites").click()
    page.wait_for_load_state()
    assert "100.0 %" in page.locator("#after-pct").inner_text()
    assert page.locator(".map .map-marker--chosen").count() == 1
    scroll, width = no_horizontal_overflow(page)
    assert scroll <= width
