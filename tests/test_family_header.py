"""Family pages for an account that follows several seniors, and the expected time a family reads."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timezone

import pytest

from dispatch.extensions import db
from dispatch.models import Plan, PlanKind, PlanStatus, RequestStatus, Route, ServiceRequest, Stop, StopKind
from dispatch.platform import clock
from dispatch.platform.clock import FixedClock
from dispatch.services.family import overview
from tests.factories import create_senior, create_site, create_user, create_worker, login_as

DAY = date(2026, 5, 12)


@pytest.fixture
def app_clock():
    """The evening before DAY in Shanghai: the family looks at tomorrow's visit."""
    return FixedClock(datetime(2026, 5, 11, 11, 0, tzinfo=timezone.utc))


def _relatives_nav(page: str) -> str:
    found = re.search(r'<nav class="relatives".*?</nav>', page, re.S)
    assert found, "the page names the seniors the account follows"
    return found.group(0)


def test_an_account_following_two_seniors_sees_both_and_can_switch(app, client):
    site = create_site()
    father = create_senior(site, full_name="Shi Fugen")
    aunt = create_senior(site, full_name="Wang Lan")
    user = create_user("family", seniors=[father, aunt], display_name="Shi Min")
    login_as(client, user)

    home = _relatives_nav(client.get("/family/").text)
    assert "Shi Fugen" in home and "Wang Lan" in home

    page = client.get(f"/family/seniors/{father.id}").text
    nav = _relatives_nav(page)
    assert f'href="/family/seniors/{aunt.id}"' in nav  # the switcher leads to the other senior
    assert 'aria-current="page">Shi Fugen' in nav  # and marks the one shown
    assert "Shi Fugen&#39;s family" not in page and "Shi Fugen's family" not in page


def test_an_account_following_one_senior_has_no_switcher(app, client):
    site = create_site()
    senior = create_senior(site, full_name="Li Hua")
    login_as(client, create_user("family", seniors=[senior]))
    assert 'class="relatives"' not in client.get(f"/family/seniors/{senior.id}").text


def _scheduled_visit(site, senior, eta: time) -> Stop:
    """A visit asked for 09:00-11:00 on DAY, on a published plan that starts service at ``eta``."""
    zone = clock.zone_of(site)
    request = ServiceRequest(senior_id=senior.id, site_id=site.id, service_type="bathing", requested_date=DAY,
                             window_start=time(9), window_end=time(11), duration_minutes=45,
                             status=RequestStatus.SCHEDULED)
    plan = Plan(site_id=site.id, service_date=DAY, kind=PlanKind.VISITS, status=PlanStatus.PUBLISHED)
    db.session.add_all([request, plan])
    db.session.flush()
    route = Route(plan_id=plan.id, worker_id=create_worker(site).id, position=0)
    db.session.add(route)
    db.session.flush()
    stop = Stop(route_id=route.id, position=0, kind=StopKind.VISIT, senior_id=senior.id,
                service_request_id=request.id, window_start_dt=datetime.combine(DAY, time(9), tzinfo=zone),
                window_end_dt=datetime.combine(DAY, time(11), tzinfo=zone),
                eta_dt=datetime.combine(DAY, eta, tzinfo=zone))
    db.session.add(stop)
    db.session.commit()
    return stop


def test_expected_time_of_a_visit_never_starts_before_the_requested_window(app, client):
    site = create_site()
    senior = create_senior(site)
    _scheduled_visit(site, senior, time(9, 1))
    login_as(client, create_user("family", seniors=[senior]))
    page = client.get(f"/family/seniors/{senior.id}").text
    expected = re.search(r"Expected ([^<]*)", page)
    assert expected, page
    assert re.match(r"9:00\D.{0,12}9:16", expected.group(1)), expected.group(1)  # not "8:46-9:16"


def test_expected_band_ends_with_the_window_when_service_starts_near_its_end(app):
    site = create_site()
    stop = _scheduled_visit(site, create_senior(site), time(10, 55))
    start, end = overview.eta_window(stop, clock.zone_of(site))
    assert (start.time(), end.time()) == (time(10, 40), time(11, 0))
