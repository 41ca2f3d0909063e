"""Staff start on Today, and Today opens on the site where the day's work is (or says there is none)."""
from __future__ import annotations

from datetime import datetime, time, timezone

import pytest

from dispatch.platform.clock import FixedClock
from dispatch.services.meals import orders
from tests import plan_fixtures as pf
from tests.factories import create_site, create_user, login_as
from tests.planning_helpers import DAY, small_site

# Late morning of the planning helpers' day in the sites' zone: "today" is DAY at any hour the suite runs.
NOW = datetime.combine(DAY, time(10, 45), tzinfo=pf.SHANGHAI).astimezone(timezone.utc)


@pytest.fixture
def app_clock():
    return FixedClock(NOW)


def _shown_site(html: str) -> str:
    """The name in Today's site heading ("<h2>Name · date</h2>")."""
    return html.split("<h2>", 1)[1].split(" · ", 1)[0]


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_staff_and_admins_land_on_today_after_login(client, role):
    site = create_site(name="Only canteen")
    user = create_user(role, sites=[site]) if role == "staff" else create_user(role)
    response = login_as(client, user)
    assert client.get("/").headers["Location"].endswith("/staff/today")
    page = client.get("/staff/today").get_data(as_text=True)
    assert response.status_code == 302 and "Today" in page


def test_today_opens_on_the_site_with_a_plan_not_the_first_by_name(client):
    empty = create_site(name="Aaa Road Canteen")  # sorts first, nothing today
    ordered = small_site(seniors=2, name="Bbb Road Canteen")
    orders.generate_orders(ordered.site, DAY)
    planned = small_site(seniors=2, name="Ccc Road Canteen")
    pf.plan(planned.site, day=DAY)
    login_as(client, create_user("staff", sites=[empty, ordered.site, planned.site]))
    html = client.get("/staff/today").get_data(as_text=True)
    assert _shown_site(html) == "Ccc Road Canteen"
    assert "data-nothing-planned" not in html
    # The site picker still lists every site, and choosing one is kept.
    assert all(name in html for name in ("Aaa Road Canteen", "Bbb Road Canteen"))
    assert _shown_site(client.get(f"/staff/today?site={empty.id}").get_data(as_text=True)) == "Aaa Road Canteen"


def test_without_a_plan_today_opens_on_a_site_with_orders(client):
    empty = create_site(name="Aaa Road Canteen")
    ordered = small_site(seniors=2, name="Bbb Road Canteen")
    orders.generate_orders(ordered.site, DAY)
    login_as(client, create_user("staff", sites=[empty, ordered.site]))
    assert _shown_site(client.get("/staff/today").get_data(as_text=True)) == "Bbb Road Canteen"


def test_today_says_clearly_when_nothing_is_planned(client):
    first, second = create_site(name="Aaa Road Canteen"), create_site(name="Bbb Road Canteen")
    login_as(client, create_user("staff", sites=[first, second]))
    html = client.get("/staff/today").get_data(as_text=True)
    assert _shown_site(html) == "Aaa Road Canteen" and "data-nothing-planned" in html
    assert "Nothing is planned for this day at any of your sites" in html
    # A site chosen by hand speaks only for itself.
    chosen = client.get(f"/staff/today?site={second.id}").get_data(as_text=True)
    assert "Nothing is planned here for this day" in chosen and "any of your sites" not in chosen
