"""A staff member finds a senior, opens them, and adds a new one, mistakes first."""
from __future__ import annotations

import pytest

from tests.factories import create_senior, create_site, create_user

pytestmark = pytest.mark.browser


def test_staff_search_open_and_add_a_senior(live_server, page, log_in, screenshot):
    site = create_site(name="North canteen")
    create_senior(site=site, full_name="Wang Guiying", address="12 Elm Lane")
    create_senior(site=site, full_name="Chen Jianguo", address="8 Oak Road")
    staff = create_user("staff", sites=[site])
    log_in(page, staff)
    assert page.url == live_server + "/staff/today", "staff start on Today"
    page.locator("nav.main-nav").get_by_role("link", name="Seniors").click()
    page.wait_for_load_state()
    assert page.url == live_server + "/staff/seniors"

    # Search by name: only the match is listed.
    page.get_by_label("Search").fill("guiying")
    page.locator("main form[role=search] button[type=submit]").click()
    page.wait_for_load_state()
    results = page.locator("main table.list tbody tr")
    assert results.count() == 1
    assert "Wang Guiying" in results.first.inner_text()

    # Open the senior's page.
    page.get_by_role("link", name="Wang Guiying").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Wang Guiying")
    assert "12 Elm Lane" in page.locator("main").inner_text()

    # Add a senior without a name: the error is shown in words next to the name field.
    page.goto(live_server + "/staff/seniors")
    page.get_by_role("link", name="Add a senior").click()
    page.wait_for_load_state()
    assert page.url == live_server + "/staff/seniors/new"
    page.get_by_label("Date of birth").fill("1941-03-15")
    page.get_by_label("Address", exact=True).fill("3 Willow Court")
    page.locator("#contacts-0-name").fill("Zhou Min")
    page.locator("#contacts-0-relation").fill("daughter")
    page.locator("#contacts-0-phone").fill("138 0013 8000")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert page.url == live_server + "/staff/seniors/new"
    name_field = page.locator(".field", has=page.locator("#full_name"))
    assert "has-error" in (name_field.get_attribute("class") or "")
    error = name_field.locator(".error")
    assert error.is_visible() and error.inner_text().strip()
    # Next to it: the error sits right under the input.
    input_box, error_box = page.locator("#full_name").bounding_box(), error.bounding_box()
    assert 0 <= error_box["y"] - (input_box["y"] + input_box["height"]) < 80
    # What was typed is kept.
    assert page.get_by_label("Address", exact=True).input_value() == "3 Willow Court"
    screenshot(page, "staff-senior-form-error")

    # Now with a name: the new senior's page.
    page.get_by_label("Full name").fill("Liu Shufen")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert "/staff/seniors/" in page.url and page.url != live_server + "/staff/seniors/new"
    assert page.get_by_role("heading", level=1).inner_text().startswith("Liu Shufen")
    assert "3 Willow Court" in page.locator("main").inner_text()
    assert "Liu Shufen" in page.locator(".flash").inner_text()
