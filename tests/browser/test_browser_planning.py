"""A coordinator plans lunch for a small site, reviews the routes and publishes them."""
from __future__ import annotations

import pytest

from dispatch.services.meals import orders
from tests.factories import create_user
from tests.planning_helpers import DAY, small_site

pytestmark = pytest.mark.browser


@pytest.fixture
def config_overrides() -> dict:
    return {"REQUIRE_2FA_FOR_STAFF": False, "SOLVER_TIME_LIMIT": 1, "MAP_TILE_URL": ""}


def test_staff_plans_lunch_sees_routes_and_publishes(live_server, page, log_in):
    s = small_site(seniors=5)
    orders.generate_orders(s.site, DAY)
    staff = create_user("staff", sites=[s.site])
    log_in(page, staff)
    page.goto(f"{live_server}/staff/today?site={s.site.id}&date={DAY.isoformat()}")
    assert "5" in page.locator("main table.list").first.inner_text()
    page.get_by_role("button", name="Plan lunch").click()
    page.wait_for_load_state()
    assert "/staff/plans/" in page.url
    main = page.locator("main")
    assert "Routes" in main.inner_text() and "Passed" in main.inner_text()
    routed = page.locator("main section.route tbody tr")
    assert routed.count() == 5
    assert page.locator("#plan-map-box").count() == 1
    page.get_by_role("button", name="Publish").click()
    page.wait_for_load_state()
    assert "Plan published" in main.inner_text()
    assert page.locator("[data-plan-status]").inner_text() == "Published"
    assert page.get_by_role("button", name="Publish").count() == 0
