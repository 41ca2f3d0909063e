"""Pausing meals while the senior is away: the visits on those days are named, cancelled or left out of planning."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest
import sqlalchemy as sa

from dispatch.extensions import db
from dispatch.models import MealHold, Recurrence, RequestStatus, ServiceRequest
from dispatch.platform.clock import FixedClock
from dispatch.services.care import requests as request_service
from tests.factories import create_senior, create_site, create_user, login_as

NOW = datetime(2026, 5, 11, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai, Monday 11 May
VISIT_DAY = date(2026, 5, 14)  # three days ahead: well before any cutoff


@pytest.fixture
def app_clock():
    return FixedClock(NOW)


@pytest.fixture
def world(app, client):
    site = create_site()
    senior = create_senior(site, full_name="Shi Fugen")
    visit = _visit(site, senior, VISIT_DAY)
    family = create_user("family", seniors=[senior])
    login_as(client, family)
    return site, senior, visit


def _visit(site, senior, day: date, **extra) -> ServiceRequest:
    request = ServiceRequest(senior_id=senior.id, site_id=site.id, service_type="bathing", requested_date=day,
                             window_start=time(9), window_end=time(11), duration_minutes=45,
                             status=RequestStatus.APPROVED, **extra)
    db.session.add(request)
    db.session.commit()
    return request


def _pause(client, senior, **extra):
    data = {"start": (VISIT_DAY - timedelta(days=1)).isoformat(), "end": (VISIT_DAY + timedelta(days=1)).isoformat(),
            "reason": "In hospital", **extra}
    return client.post(f"/family/seniors/{senior.id}/pause", data=data, follow_redirects=True)


def _holds() -> list[MealHold]:
    return db.session.scalars(sa.select(MealHold)).all()


def test_pausing_while_away_over_a_visit_asks_first_and_saves_nothing(world, client):
    site, senior, visit = world
    page = _pause(client, senior, away="y")
    assert page.status_code == 200
    assert 'id="pause-visits"' in page.text and "1 visit falls on those days" in page.text
    assert "Bathing" in page.text and 'name="visits"' in page.text
    assert _holds() == []  # nothing saved before the answer
    assert request_service.visits_for(site, VISIT_DAY) == [visit]


def test_kept_visits_are_left_out_of_planning_while_away_and_said_so(world, client, app):
    site, senior, visit = world
    page = _pause(client, senior, away="y", visits="keep")
    assert page.status_code == 200
    assert "will not take place while Shi Fugen is away" in page.text
    (hold,) = _holds()
    assert hold.away is True
    db.session.refresh(visit)
    assert visit.status == RequestStatus.APPROVED  # kept for staff to move
    assert request_service.visits_for(site, VISIT_DAY) == []  # planning leaves it out
    assert request_service.away_visits_for(site, VISIT_DAY) == [visit]
    assert "Away: not planned" in client.get(f"/family/seniors/{senior.id}").text

    staff = create_user("staff", sites=[site])
    staff_client = app.test_client()
    login_as(staff_client, staff)
    today = staff_client.get(f"/staff/today?site={site.id}&date={VISIT_DAY.isoformat()}").text
    assert "1 visit is left out: the senior is away" in today and "Shi Fugen" in today


def test_cancel_answer_cancels_one_off_visits_and_keeps_weekly_ones_skipped(world, client):
    site, senior, visit = world
    weekly = _visit(site, senior, VISIT_DAY - timedelta(days=7), recurrence=Recurrence.WEEKLY)
    page = _pause(client, senior, away="y", visits="cancel")
    assert "1 visit on those days is cancelled" in page.text
    assert "1 visit on those days will not take place" in page.text  # the weekly one, this date only
    db.session.refresh(visit)
    db.session.refresh(weekly)
    assert visit.status == RequestStatus.CANCELLED and weekly.status == RequestStatus.APPROVED
    assert request_service.visits_for(site, VISIT_DAY) == []
    assert request_service.visits_for(site, VISIT_DAY + timedelta(days=7)) == [weekly]  # the series goes on


def test_a_pause_at_home_keeps_the_visit_and_says_so(world, client):
    site, senior, visit = world
    page = _pause(client, senior)  # "away" unticked
    assert "1 visit on those days stays booked, as Shi Fugen is at home" in page.text
    (hold,) = _holds()
    assert hold.away is False
    assert request_service.visits_for(site, VISIT_DAY) == [visit]


def test_staff_hold_while_away_names_the_visits_and_leaves_them_out(world, app):
    site, senior, visit = world
    staff_client = app.test_client()
    login_as(staff_client, create_user("staff", sites=[site]))
    response = staff_client.post(f"/staff/seniors/{senior.id}/holds", follow_redirects=True, data={
        "start_date": VISIT_DAY.isoformat(), "end_date": VISIT_DAY.isoformat(), "reason": "hospital stay",
        "away": "y"})
    assert response.status_code == 200
    assert "1 visit falls on those days: it will not be planned while the senior is away" in response.text
    assert request_service.visits_for(site, VISIT_DAY) == []
