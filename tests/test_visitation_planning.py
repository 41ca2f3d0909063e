"""Due welfare visits on the day's visits plan: optional stops for visitors, overdue first, one request per
due carried forward, the usual visitor kept, and the due's status following the published plan."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest
import sqlalchemy as sa

from dispatch import routing
from dispatch.extensions import db
from dispatch.models.meals import MealHold
from dispatch.models.plan import Plan, PlanKind, PlanStatus, Route, Stop, StopKind, StopOutcome
from dispatch.models.service_request import RequestStatus, ServiceRequest, ServiceType
from dispatch.models.visitation import DueKind, DueReason, DueStatus, DueVisit
from dispatch.models.worker import Skill, WorkerKind, WorkerShift
from dispatch.platform.clock import FixedClock
from dispatch.services import planning
from dispatch.services.planning.problem import build_problem, visit_key, worker_key
from dispatch.services.visitation import planning as vplan
from dispatch.services.visitation import tiers
from tests.factories import create_senior, create_site, create_user, login_as
from tests.planning_helpers import add_request, add_worker

DAY = date(2030, 3, 4)  # a Monday
NOW = datetime(2030, 3, 4, 0, 30, tzinfo=timezone.utc)  # 08:30 in Shanghai, before the visiting hours


@pytest.fixture
def app_clock():
    return FixedClock(NOW)


@pytest.fixture
def app_config(app_config):
    return {**app_config, "SOLVER_TIME_LIMIT": 1, "URGENT_TIME_LIMIT": 1}


def _site():
    return create_site(lat=31.2300, lon=121.4700)


def _visitor(site, *, start=time(9), end=time(17)):
    return add_worker(site, skills=(Skill.VISITATION,), start=start, end=end, kind=WorkerKind.VOLUNTEER,
                      capacity_meals=0)


def _alone_at_85(site, n=0):
    """Lives alone, aged 85, takes no meals from the site: tier 1."""
    return create_senior(site, lives_alone=True, date_of_birth=date(1945, 1, 1),
                         lat=31.2310 + 0.001 * n, lon=121.4710 + 0.001 * n)


def _due(senior, site, *, latest, due=None, tier=1):
    row = DueVisit(senior_id=senior.id, site_id=site.id, kind=DueKind.HOME_VISIT, reason=DueReason.INTERVAL,
                   tier=tier, due_date=due or min(latest, DAY), latest_date=latest)
    db.session.add(row)
    db.session.commit()
    return row


def _plan(site) -> Plan:
    plan = planning.start_planning(site, DAY, PlanKind.VISITS, None, by=None, wait=True)
    db.session.commit()
    db.session.expire_all()
    return planning.load_plan(plan.id)


def _routes(plan) -> dict[str, list[str]]:
    return {worker_key(r.worker_id): [planning.stop_key(s) for s in sorted(r.stops, key=lambda s: s.position)]
            for r in plan.routes if r.stops}


def test_a_due_tier_1_senior_with_no_meals_is_planned_into_the_visitors_route(app, client):
    site = _site()
    visitor = _visitor(site)
    caregiver = add_worker(site, skills=(Skill.BATHING, Skill.COMPANIONSHIP), start=time(9), end=time(17),
                           kind=WorkerKind.CAREGIVER)
    senior = _alone_at_85(site)
    assert tiers.tier_of(senior, today=DAY).tier == 1
    due = _due(senior, site, latest=DAY)
    login_as(client, create_user("staff", sites=(site,)))
    today = client.get(f"/staff/today?site={site.id}&date={DAY.isoformat()}").get_data(as_text=True)
    assert 'data-due-visits="1"' in today and "data-nothing-planned" not in today

    plan = _plan(site)  # nothing else was approved: the due visit alone is something to plan

    db.session.refresh(due)
    request = due.service_request
    assert (request.service_type, request.required_skill, request.status, request.requested_date) == (
        ServiceType.HOME_VISITATION, Skill.VISITATION, RequestStatus.APPROVED, DAY)
    assert (request.window_start, request.window_end, request.duration_minutes, request.priority) == (
        time(9), time(17), 30, 2)
    # Why it is due is worded when shown (the reader's language), not stored in the request's notes.
    assert request.notes == ""
    assert "tier 1" in str(vplan.why_due(request))
    assert vplan.why_due(None) is None
    assert _routes(plan) == {worker_key(visitor.id): [visit_key(request.id)]}
    assert worker_key(caregiver.id) not in _routes(plan)
    assert planning.check_plan(plan) == []
    stop = plan.routes[0].stops[0]
    zone_start = stop.window_start_dt.astimezone(site_zone(site))
    assert (zone_start.hour, zone_start.minute) == (9, 0)
    page = client.get(f"/staff/plans/{plan.id}")
    assert page.status_code == 200 and senior.full_name in page.get_data(as_text=True)
    today = client.get(f"/staff/today?site={site.id}&date={DAY.isoformat()}").get_data(as_text=True)
    assert "data-due-visits" not in today  # now an approved visit of the day, counted with the others
    # Planning again the same day reuses the request: one due, one request.
    _plan(site)
    assert db.session.scalar(sa.select(sa.func.count(ServiceRequest.id)).where(
        ServiceRequest.senior_id == senior.id)) == 1


def site_zone(site):
    from dispatch.platform import clock
    return clock.zone_of(site)


def test_with_no_visitor_on_shift_the_due_visit_stays_unassigned_not_on_a_caregivers_route(app):
    site = _site()
    add_worker(site, skills=(Skill.BATHING,), start=time(9), end=time(17), kind=WorkerKind.CAREGIVER)
    senior = _alone_at_85(site)
    due = _due(senior, site, latest=DAY - timedelta(days=1))
    plan = _plan(site)
    assert _routes(plan) == {}
    db.session.refresh(due)
    assert [u["stop"] for u in plan.summary["unassigned"]] == [visit_key(due.service_request_id)]


def test_when_time_is_short_the_overdue_visit_is_kept_over_the_one_not_yet_due(app):
    site = _site()
    visitor = _visitor(site, start=time(9), end=time(9, 50))  # room for one 30-minute visit, not two
    later = _due(_alone_at_85(site, 1), site, latest=DAY + timedelta(days=5), due=DAY)
    overdue = _due(_alone_at_85(site, 2), site, latest=DAY - timedelta(days=2), due=DAY - timedelta(days=3))
    plan = _plan(site)
    db.session.refresh(later)
    db.session.refresh(overdue)
    assert (overdue.service_request.priority, later.service_request.priority) == (1, 3)
    assert _routes(plan) == {worker_key(visitor.id): [visit_key(overdue.service_request_id)]}
    assert [u["stop"] for u in plan.summary["unassigned"]] == [visit_key(later.service_request_id)]
    assert planning.check_plan(plan) == []


def test_optional_visits_are_dropped_before_a_booked_visit(app):
    site = _site()
    visitor = add_worker(site, skills=(Skill.VISITATION, Skill.COMPANIONSHIP), start=time(9), end=time(9, 50),
                         kind=WorkerKind.CAREGIVER)
    overdue = _due(_alone_at_85(site, 1), site, latest=DAY - timedelta(days=4), due=DAY - timedelta(days=5))
    booked = add_request(site, create_senior(site, lat=31.2290, lon=121.4690), service=ServiceType.COMPANIONSHIP,
                         start=time(9), end=time(12), duration=30, priority=4)  # the lowest booked priority
    plan = _plan(site)
    db.session.refresh(overdue)
    assert _routes(plan) == {worker_key(visitor.id): [visit_key(booked.id)]}
    assert [u["stop"] for u in plan.summary["unassigned"]] == [visit_key(overdue.service_request_id)]


def test_publishing_plans_the_due_and_a_version_that_drops_it_opens_it_again(app):
    site = _site()
    visitor = add_worker(site, skills=(Skill.VISITATION, Skill.COMPANIONSHIP), start=time(9), end=time(17),
                         kind=WorkerKind.CAREGIVER)
    due = _due(_alone_at_85(site), site, latest=DAY + timedelta(days=1))
    booked = add_request(site, create_senior(site, lat=31.2290, lon=121.4690), service=ServiceType.COMPANIONSHIP,
                         start=time(9), end=time(12), duration=30)
    plan = _plan(site)
    planning.publish(plan, version=plan.version, by=None)
    db.session.expire_all()
    due = db.session.get(DueVisit, due.id)
    assert due.status == DueStatus.PLANNED and due.service_request.status == RequestStatus.SCHEDULED

    draft = planning.replan_published(planning.load_plan(plan.id), by=None)
    db.session.commit()
    draft = planning.load_plan(draft.id)
    key = visit_key(due.service_request_id)
    assert sorted(_routes(draft)[worker_key(visitor.id)]) == sorted([key, visit_key(booked.id)])
    planning.apply_move(draft, key, None, 0, version=draft.version, by=None)
    draft = planning.load_plan(draft.id)
    planning.publish(draft, version=draft.version, by=None)
    db.session.expire_all()
    due = db.session.get(DueVisit, due.id)
    assert due.status == DueStatus.OPEN and due.service_request.status == RequestStatus.APPROVED
    assert db.session.get(Plan, plan.id).status == PlanStatus.CLOSED


def test_a_day_passed_without_the_visit_moves_the_same_request_forward(app):
    site = _site()
    senior = _alone_at_85(site)
    due = _due(senior, site, latest=DAY - timedelta(days=1), due=DAY - timedelta(days=2))
    old = add_request(site, senior, service=ServiceType.HOME_VISITATION, day=DAY - timedelta(days=1),
                      status=RequestStatus.SCHEDULED, duration=30, priority=2)
    old.required_skill = Skill.VISITATION
    due.service_request_id, due.status = old.id, DueStatus.PLANNED
    db.session.commit()

    out = vplan.requests_for_day(site, DAY, now=NOW)
    db.session.commit()
    assert [r.id for r in out] == [old.id]
    db.session.refresh(due)
    assert (due.service_request_id, due.status) == (old.id, DueStatus.OPEN)
    assert (old.requested_date, old.status, old.priority) == (DAY, RequestStatus.APPROVED, 1)
    # A missed request keeps its fact: the due gets a fresh one, linked in its place.
    old.status, old.status_reason = RequestStatus.MISSED, "no answer"
    db.session.commit()
    fresh = vplan.requests_for_day(site, DAY, now=NOW)
    db.session.refresh(due)
    assert [r.id for r in fresh] == [due.service_request_id] and due.service_request_id != old.id
    # The senior's visits moved to another site: the request there is cancelled, not planned twice.
    there = _site()
    due.site_id = there.id
    db.session.commit()
    moved = vplan.requests_for_day(there, DAY, now=NOW)
    db.session.commit()
    gone = db.session.get(ServiceRequest, fresh[0].id)
    assert gone.status == RequestStatus.CANCELLED and [r.site_id for r in moved] == [there.id]
    assert vplan.requests_for_day(site, DAY, now=NOW) == []
    # Nothing is rewritten for a day already past.
    assert vplan.requests_for_day(site, DAY - timedelta(days=1), now=NOW) == []


def test_dues_not_yet_due_done_or_for_another_site_stay_off_the_day(app):
    site, other = _site(), _site()
    _due(_alone_at_85(site, 1), site, latest=DAY + timedelta(days=6), due=DAY + timedelta(days=1))
    done = _due(_alone_at_85(site, 2), site, latest=DAY)
    done.status = DueStatus.DONE
    call = _due(_alone_at_85(site, 3), site, latest=DAY)
    call.kind = DueKind.CALL
    _due(_alone_at_85(other, 4), other, latest=DAY)
    db.session.commit()
    assert vplan.requests_for_day(site, DAY, now=NOW) == []


def test_a_senior_away_that_day_is_left_out_like_other_visits(app):
    site = _site()
    _visitor(site)
    home = _alone_at_85(site, 1)
    away = _alone_at_85(site, 2)
    _due(home, site, latest=DAY)
    gone = _due(away, site, latest=DAY)
    db.session.add(MealHold(senior_id=away.id, start_date=DAY - timedelta(days=1), end_date=DAY + timedelta(days=3),
                            away=True, reason="hospital"))
    db.session.commit()
    out = vplan.requests_for_day(site, DAY, now=NOW)
    assert [r.senior_id for r in out] == [home.id]
    plan = _plan(site)
    db.session.refresh(gone)
    keys = {k for ks in _routes(plan).values() for k in ks} | {u["stop"] for u in plan.summary["unassigned"]}
    assert visit_key(gone.service_request_id) not in keys


def test_the_usual_visitor_is_whoever_made_the_seniors_last_welfare_visit(app):
    site = _site()
    usual, other = _visitor(site), _visitor(site)
    for w in (usual, other):  # both may bathe too
        db.session.add(WorkerShift(worker_id=w.id, site_id=site.id, weekday=(DAY - timedelta(days=2)).weekday(),
                                   start_time=time(9), end_time=time(17)))
    senior = _alone_at_85(site)
    _served(site, senior, usual, DAY - timedelta(days=7), ServiceType.HOME_VISITATION)
    _served(site, senior, other, DAY - timedelta(days=2), ServiceType.BATHING)
    due = _due(senior, site, latest=DAY)
    requests = vplan.requests_for_day(site, DAY, now=NOW)
    built = build_problem(site, DAY, PlanKind.VISITS, None, requests=requests)
    stop = next(s for s in built.problem.stops if s.id == visit_key(due.service_request_id))
    assert stop.previous_worker == worker_key(usual.id)
    assert stop.priority == routing.Priority.OPTIONAL_SOON and stop.droppable


def _served(site, senior, worker, day, service):
    request = add_request(site, senior, service=service, day=day, status=RequestStatus.COMPLETED, duration=30)
    plan = Plan(site_id=site.id, service_date=day, kind=PlanKind.VISITS, version_number=1,
                status=PlanStatus.CLOSED, summary={})
    db.session.add(plan)
    db.session.flush()
    route = Route(plan_id=plan.id, worker_id=worker.id, position=0)
    db.session.add(route)
    db.session.flush()
    db.session.add(Stop(route_id=route.id, position=0, kind=StopKind.VISIT, senior_id=senior.id,
                        service_request_id=request.id, outcome=StopOutcome.COMPLETED,
                        window_start_dt=datetime.combine(day, time(2), tzinfo=timezone.utc),
                        window_end_dt=datetime.combine(day, time(8), tzinfo=timezone.utc)))
    db.session.commit()
