"""The dashboard after a simulated week, in a real browser; the counter page on a 360 px phone."""
from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from dispatch.demo.district import generate_district
from dispatch.demo.seed import seed_district
from dispatch.demo.simulate import simulate
from dispatch.extensions import db
from dispatch.models.site import MealType, MealWindow
from dispatch.models.subsidy import SubsidyRule
from tests import plan_fixtures as pf
from tests import testclock
from tests.browser.conftest import inputs_without_label, no_horizontal_overflow
from tests.factories import create_senior, create_site, create_user

pytestmark = pytest.mark.browser
CHARTS = ("meals", "on-time", "coverage", "missed", "visits", "volunteers", "spend")


def test_dashboard_after_a_simulated_week_draws_every_chart(app, live_server, page, log_in, screenshot):
    today = testclock.now(pf.SHANGHAI).date()
    with app.test_request_context():
        seed_district(generate_district(seed=4, today=today, seniors=30, sites=2), with_logins=False)
        simulate(days=7, today=today, seed=2)
        db.session.commit()  # services flush; the test is the edge of its unit
    log_in(page, create_user("admin"))
    page.goto(f"{live_server}/staff/dashboard")
    for chart in CHARTS:
        figure = page.locator(f"#chart-{chart}")
        assert figure.get_attribute("data-has-data") == "yes", chart
        svg = figure.locator("svg.chart")
        assert svg.is_visible(), chart
        assert svg.locator("rect.bar, polyline.line, circle.marker").count() > 0, chart
        box = svg.bounding_box()
        assert box["width"] > 200 and box["height"] > 80, chart
    # The table view opens and carries the same numbers.
    page.locator("#chart-meals summary").click()
    assert page.locator("#chart-meals table tbody tr").count() == 7
    assert inputs_without_label(page) == []
    screenshot(page, "dashboard-week")


def test_counter_works_on_a_360px_phone(app, live_server, phone_page, log_in, screenshot):
    site = create_site(name="Phone canteen")
    db.session.add(MealWindow(site_id=site.id, meal=MealType.LUNCH, start_time=time(0), end_time=time(23, 59)))
    db.session.add(SubsidyRule(name="Aged 75-84", min_age=75, max_age=84, valid_from=date(2000, 1, 1),
                               meal_price_cents=1500, subsidy_cents=500))
    db.session.commit()
    create_senior(site, full_name="Wang Xiuying-Longname Lanfang", date_of_birth=testclock.today() - timedelta(days=80 * 366),
                  phone="13900004321")
    log_in(phone_page, create_user("staff", sites=[site]))
    phone_page.goto(f"{live_server}/staff/counter?site={site.id}&meal=lunch")
    field = phone_page.get_by_label("Scan the meal card, or type a name, phone tail or number")
    assert field.evaluate("el => el === document.activeElement")  # a wedge scanner types straight in
    field.fill("4321")
    field.press("Enter")
    phone_page.wait_for_load_state()
    card = phone_page.locator(".counter-card")
    assert card.count() == 1 and "¥10.00" in card.inner_text()
    width, screen = no_horizontal_overflow(phone_page)
    assert width <= screen
    phone_page.get_by_role("button", name="Record meal").click()
    phone_page.wait_for_load_state()
    assert "Meal recorded" in phone_page.locator("#result").inner_text()
    width, screen = no_horizontal_overflow(phone_page)
    assert width <= screen
    assert inputs_without_label(phone_page) == []
    screenshot(phone_page, "counter-phone")
