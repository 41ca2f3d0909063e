"""The live board picks up a worker's outcome and a new welfare alert without a reload."""
from __future__ import annotations

from datetime import timedelta

import pytest

from dispatch.extensions import db
from dispatch.models.plan import Stop, StopOutcome
from tests import plan_fixtures as pf
from tests import testclock
from tests.browser.conftest import inputs_without_label, no_horizontal_overflow
from tests.factories import create_senior, create_site, create_user, create_worker

pytestmark = pytest.mark.browser


@pytest.fixture
def config_overrides() -> dict:
    return {"REQUIRE_2FA_FOR_STAFF": False, "BOARD_POLL_SECONDS": 0.5}


def test_board_shows_new_alert_without_reload_and_resolves_it(live_server, page, log_in, screenshot):
    site = pf.add_lunch_window(create_site(name="South canteen"))
    day = testclock.now(pf.SHANGHAI).date()
    chen = create_senior(site, full_name="Chen Jun", lives_alone=True, phone="138 0000 1111")
    wang = create_senior(site, full_name="Wang Fang")
    plan = pf.plan(site, day=day)
    route = pf.route(plan, create_worker(site, full_name="Li Wei"), start=None, end=None)
    window = ("00:00", "23:59")
    pf.stop(route, 0, wang, order=pf.meal_order(wang, site, day=day), window=window, day=day)
    chen_stop = pf.stop(route, 1, chen, order=pf.meal_order(chen, site, day=day), window=window, day=day)
    staff = create_user("staff", sites=[site])

    log_in(page, staff)
    page.goto(f"{live_server}/staff/board?site={site.id}")
    assert "No open welfare alerts" in page.locator("#board-alerts").inner_text()
    assert "0 / 2" in page.locator("#board-routes").inner_text()
    assert inputs_without_label(page) == []
    page.evaluate("window.__notReloaded = true")

    # Li taps "Not home" at Chen's door; the outcome raises an alert.
    stop = db.session.get(Stop, chen_stop.id)
    moment = testclock.now() - timedelta(seconds=5)
    stop.outcome, stop.outcome_dt, stop.arrival_dt = StopOutcome.NOT_HOME, moment, moment
    db.session.commit()
    alert = pf.alert(chen, site, stop_record=stop)

    card = page.locator(f"#alert-{alert.id}")
    card.wait_for(state="visible", timeout=5000)
    assert "Not home (lives alone): Chen Jun" in card.inner_text()
    assert "Open" in card.inner_text()
    page.wait_for_function("document.querySelector('#board-routes').innerText.includes('1 / 2')", timeout=5000)
    assert "Not home · Chen Jun" in page.locator("#board-routes").inner_text()
    assert page.evaluate("window.__notReloaded") is True
    assert page.locator("#board-updated").inner_text().startswith("Updated ")
    screenshot(page, "board-alert")

    # Typing a note is not wiped by the next refresh.
    page.get_by_label("Step taken").select_option("called_contact")
    page.get_by_label("Note").fill("daughter says he is at the clinic")
    page.wait_for_timeout(1500)
    assert page.get_by_label("Note").input_value() == "daughter says he is at the clinic"
    page.get_by_role("button", name="Resolve").click()
    page.wait_for_load_state()
    assert "No open welfare alerts" in page.locator("#board-alerts").inner_text()
    assert "Resolved today (1)" in page.locator("main").inner_text()


def test_board_fits_a_phone(live_server, phone_page, log_in):
    site = create_site(name="Phone canteen")
    senior = create_senior(site, full_name="A Very Long Senior Name For The Board Layout Check")
    pf.alert(senior, site)
    staff = create_user("staff", sites=[site])
    log_in(phone_page, staff)
    phone_page.goto(f"{live_server}/staff/board?site={site.id}")
    width, screen = no_horizontal_overflow(phone_page)
    assert width <= screen
