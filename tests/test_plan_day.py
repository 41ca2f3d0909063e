"""One plan for a site's whole day: lunch, dinner and the visits on one route per worker.

Every plan here is judged by the independent checker on the problem it was built from
(``planning.check_plan``), and each hot meal's time in the box is measured from its own load's
departure as stored.
"""
from __future__ import annotations

import json
from datetime import date, time, timedelta

import pytest

from dispatch.extensions import db
from dispatch.models.meals import MealEnrollment, MealMode
from dispatch.models.plan import Plan, PlanKind, PlanStatus, StopKind
from dispatch.models.site import MealType, MealWindow
from dispatch.models.worker import Skill, WorkerKind
from dispatch.platform.errors import FieldError
from dispatch.services import planning
from dispatch.services.meals import orders
from dispatch.services.planning.service import VISITS_PART, window_parts
from tests.factories import create_senior, create_site, create_user, login_as
from tests.planning_helpers import DAY, add_request, add_worker, reloaded_plan

HOLD = timedelta(minutes=45)


@pytest.fixture
def app_config(app_config):
    return {**app_config, "SOLVER_TIME_LIMIT": 2, "PLAN_SEARCH": "fixed"}


class Day:
    def __init__(self, site, workers, seniors, requests):
        self.site, self.workers, self.seniors, self.requests = site, workers, seniors, requests


def shared_day(*, seniors: int = 6, visits: int = 3, workers: int = 2) -> Day:
    """A canteen with lunch 11:00-12:30 and dinner 17:00-18:00, ``workers`` workers who both deliver meals and give
    care (meal delivery and bathing, 08:00-19:00, a 30-minute break), seniors enrolled for delivered lunch
    and dinner, and approved bathing visits in the morning and the afternoon."""
    lat, lon = 31.2300, 121.4700
    site = create_site(lat=lat, lon=lon, hold_limit_minutes=45)
    db.session.add_all([MealWindow(site_id=site.id, meal=MealType.LUNCH, start_time=time(11), end_time=time(12, 30)),
                        MealWindow(site_id=site.id, meal=MealType.DINNER, start_time=time(17), end_time=time(18))])
    db.session.commit()
    workers = [add_worker(site, skills=(Skill.MEAL_DELIVERY, Skill.BATHING), start=time(8), end=time(19),
                          kind=WorkerKind.CAREGIVER, max_minutes_per_day=660) for _ in range(workers)]
    people = []
    for i in range(seniors):
        senior = create_senior(site, lat=lat + 0.002 * (i % 3), lon=lon + 0.002 * (i // 3))
        for meal in (MealType.LUNCH, MealType.DINNER):
            db.session.add(MealEnrollment(senior_id=senior.id, site_id=site.id, meal=meal, mode=MealMode.DELIVERY,
                                          start_date=date(2030, 1, 1)))
        people.append(senior)
    db.session.commit()
    requests = [add_request(site, people[i % len(people)], start=time(9 if i % 2 == 0 else 14),
                            end=time(11 if i % 2 == 0 else 16), duration=45) for i in range(visits)]
    orders.generate_orders(site, DAY)
    db.session.commit()
    return Day(site, workers, people, requests)


def plan_day(day: Day) -> Plan:
    plan = planning.start_planning(day.site, DAY, PlanKind.DAY, None, by=None, wait=True)
    db.session.commit()
    plan = reloaded_plan(plan.id)
    assert plan.summary["job"]["state"] == "done", plan.summary
    return plan


def _held_within_limit(plan: Plan) -> None:
    for route in plan.routes:
        for stop in route.stops:
            if stop.kind == StopKind.MEAL:
                left = route.departure_of(stop)
                assert left <= stop.eta_dt <= left + HOLD, (stop, left, stop.eta_dt)


def test_one_shared_worker_gets_one_route_of_visits_lunch_and_dinner_in_time_order(app):
    day = shared_day(workers=1)
    plan = plan_day(day)
    assert planning.check_plan(plan) == []
    assert plan.summary["unassigned"] == []
    [route] = plan.routes
    stops = sorted(route.stops, key=lambda s: s.position)
    kinds = [(s.kind, s.meal_order.meal if s.meal_order else None) for s in stops]
    assert len(stops) == 15
    # Morning visits, then lunch, then the afternoon visit, then dinner: the order the day has.
    first_lunch = kinds.index((StopKind.MEAL, MealType.LUNCH))
    first_dinner = kinds.index((StopKind.MEAL, MealType.DINNER))
    assert all(k == StopKind.VISIT for k, _ in kinds[:first_lunch])
    assert any(k == StopKind.VISIT for k, _ in kinds[first_lunch:first_dinner])
    assert route.trips >= 2  # a load for lunch and another for dinner
    _held_within_limit(plan)


def test_two_shared_workers_share_the_day_and_pass_the_checker(app):
    day = shared_day()
    plan = plan_day(day)
    assert plan.kind == PlanKind.DAY and plan.meal is None
    assert planning.check_plan(plan) == []
    assert plan.summary["unassigned"] == []
    assert len(plan.routes) <= len(day.workers)
    assert len({r.worker_id for r in plan.routes}) == len(plan.routes)  # one route per worker
    stops = [s for r in plan.routes for s in r.stops]
    assert sum(s.kind == StopKind.MEAL for s in stops) == 12 and sum(s.kind == StopKind.VISIT for s in stops) == 3
    meals = {s.meal_order.meal for s in stops if s.kind == StopKind.MEAL}
    assert meals == {MealType.LUNCH, MealType.DINNER}
    _held_within_limit(plan)
    for route in plan.routes:
        etas = [s.eta_dt for s in sorted(route.stops, key=lambda s: s.position)]
        assert etas == sorted(etas)
        # Lunch and dinner never ride in the same load.
        by_trip: dict[int, set] = {}
        for s in route.stops:
            if s.kind == StopKind.MEAL:
                by_trip.setdefault(s.trip, set()).add(s.meal_order.meal)
        assert all(len(m) == 1 for m in by_trip.values())
        assert (route.end_dt - route.start_dt) <= timedelta(minutes=660)  # the working-time cap, kept
