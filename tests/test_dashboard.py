"""Dashboard and volunteer hours: every chart drawn from real records, staff see their own sites only."""
from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
import sqlalchemy as sa

from dispatch.demo.district import generate_district
from dispatch.demo.seed import seed_district
from dispatch.demo.simulate import simulate
from dispatch.extensions import db
from dispatch.models.plan import StopOutcome
from dispatch.models.site import MealSite
from dispatch.models.worker import WorkerKind
from dispatch.services.volunteers import hours
from dispatch.web.charts import Chart, Series
from tests import plan_fixtures as pf
from tests.factories import create_senior, create_site, create_user, create_worker, login_as

TODAY = date(2026, 3, 12)
PERIOD = "end=2026-03-11&days=7"


@pytest.fixture
def played_week(app):
    with app.test_request_context():
        seed_district(generate_district(seed=4, today=TODAY, seniors=30, sites=2), with_logins=False)
        simulate(days=7, today=TODAY, seed=2)
        db.session.commit()  # services flush; the fixture is the edge of its unit
    return list(db.session.scalars(sa.select(MealSite).order_by(MealSite.id)))


def figures(html: str) -> dict[str, str]:
    return dict(re.findall(r'id="chart-([a-z-]+)" data-has-data="(yes|no)"', html))


def test_after_a_played_week_every_chart_has_data_and_staff_see_their_sites(played_week, client):
    login_as(client, create_user("admin"))
    response = client.get(f"/staff/dashboard?{PERIOD}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    # The period's charts; the Visitation section after them has its own (tests/test_visitation_dashboard.py).
    html = html.split('id="visitation-heading"', 1)[0]
    assert figures(html) == {k: "yes" for k in ("meals", "on-time", "coverage", "missed", "visits", "volunteers",
                                                "spend")}
    assert html.count('<svg class="chart') == 7 and html.count('role="img"') == 7
    assert html.count("<details class=\"chart-data\">") == 7
    assert "style=" not in html and "<script" not in html
    assert "Budget ¥" in html  # the budget line is named, not only drawn

    # Staff see only their own sites.
    first, second = played_week
    client = client.application.test_client()
    login_as(client, create_user("staff", sites=[first]))
    html = client.get(f"/staff/dashboard?{PERIOD}").get_data(as_text=True)
    assert first.name in html and second.name not in html
    assert client.get(f"/staff/dashboard?site={second.id}&{PERIOD}").status_code == 404
    assert client.get("/staff/dashboard?end=yesterday").status_code == 400


def test_volunteer_hours_count_route_time_and_visit_time(app, client):
    site = pf.add_lunch_window(create_site())
    volunteer = create_worker(site, kind=WorkerKind.VOLUNTEER, full_name="=Zhang Min")
    driver = create_worker(site, kind=WorkerKind.DRIVER)
    senior = create_senior(site)
    route = pf.route(pf.plan(site), volunteer, start="10:45", end="12:40")
    stop = pf.stop(route, 0, senior, order=pf.meal_order(senior, site))
    stop.outcome, stop.outcome_dt = StopOutcome.DELIVERED, pf.local("11:45")
    visits = pf.route(pf.plan(site, meal=None), volunteer, start="13:00", end="17:00")
    visit = pf.stop(visits, 0, senior, request=pf.visit_request(senior, site), window=("14:00", "16:00"))
    visit.arrival_dt, visit.departure_dt = pf.local("14:10"), pf.local("14:55")
    pf.route(pf.plan(site, day=date(2024, 5, 30)), driver)  # a driver is not a volunteer
    db.session.commit()
    staff = create_user("staff", sites=[site])
    rows = hours.volunteer_hours(staff, date(2024, 5, 1), date(2024, 5, 31))
    assert [(h.worker.id, h.meal_minutes, h.visit_minutes, h.routes, h.visits) for h in rows] == \
        [(volunteer.id, 60, 45, 1, 1)]
    assert hours.volunteer_hours(create_user("staff", sites=[create_site()]), date(2024, 5, 1),
                                 date(2024, 5, 31)) == []
    login_as(client, staff)
    body = client.get("/staff/volunteer-hours.csv?month=2024-05").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[1][2] == "'=Zhang Min" and rows[1][-2:] == ["105", "1.75"]
    assert "1.75" in client.get("/staff/volunteer-hours?month=2024-05").get_data(as_text=True)


def test_a_chart_tells_series_apart_without_colour():
    chart = Chart("t", "Test", "bars", ["a", "b"], [Series("One", [1, 2]), Series("Two", [3, None])])
    svg = str(chart.svg())
    assert 'fill="url(#t-solid)"' in svg and 'fill="url(#t-hatch)"' in svg  # patterns, not just hues
    assert ">One<" in svg and ">Two<" in svg and ">4<" in svg  # legend words and printed totals
    assert "style=" not in svg
    line = str(Chart("l", "L", "lines", ["a", "b"], [Series("x", [1, 2]), Series("y", [2, 1])]).svg())
    assert "<circle" in line and "<rect" in line and "line-1" in line  # circle vs square markers, dashed second line
    assert chart.table_rows() == [["a", "1", "3"], ["b", "2", "–"]]
