"""Staff fix a doubtful location by clicking the map: the pin moves, the form's numbers follow, saving
stores it as placed by hand (map.js's draggable pin, no inline script)."""
from __future__ import annotations

import pytest

from dispatch.extensions import db
from dispatch.models.senior import GeocodeStatus, Senior
from tests.factories import create_senior, create_site, create_user

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("config_overrides", [{"REQUIRE_2FA_FOR_STAFF": False, "MAP_TILE_URL": ""}])
def test_clicking_the_map_places_the_pin_and_saving_stores_it(app, live_server, page, log_in, config_overrides):
    site = create_site(name="North canteen", lat=31.2304, lon=121.4737)
    senior = create_senior(site=site, full_name="Wang Fang", lat=31.2400, lon=121.4800,
                           geocode_status=GeocodeStatus.DOUBTFUL)
    staff = create_user("staff", sites=[site])
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, staff)
    page.goto(f"{live_server}/staff/seniors/{senior.id}/location")
    box = page.locator("#pin-map-box")
    box.wait_for()
    before = page.get_by_label("Latitude").input_value()
    page.locator(".leaflet-marker-icon").first.wait_for()
    size = box.bounding_box()
    box.click(position={"x": size["width"] * 0.25, "y": size["height"] * 0.25})
    after_lat, after_lon = page.get_by_label("Latitude").input_value(), page.get_by_label("Longitude").input_value()
    assert after_lat != before and float(after_lat) > 31.2400 and float(after_lon) < 121.4800  # up-left of the pin
    page.get_by_role("button", name="Save this location").click()
    page.wait_for_load_state()
    assert errors == []
    db.session.expire_all()
    stored = db.session.get(Senior, senior.id)
    assert stored.geocode_status == GeocodeStatus.MANUAL
    assert stored.lat == pytest.approx(float(after_lat), abs=1e-6)
