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


def _published(plan: Plan) -> Plan:
    planning.publish(plan, version=plan.version, by=None)
    db.session.commit()
    return reloaded_plan(plan.id)


def _live_stops(site, day_) -> list[str]:
    """Every stop key on a live plan of the site's day, once per plan it is on."""
    return [planning.stop_key(s) for p in planning.plans_for_day(site, day_) if p.status in planning.LIVE
            for r in p.routes for s in r.stops]


def test_publishing_the_day_plan_supersedes_the_separate_plans_so_no_stop_is_live_twice(app):
    day = shared_day(workers=2)
    lunch = planning.start_planning(day.site, DAY, PlanKind.MEALS, MealType.LUNCH, by=None, wait=True)
    db.session.commit()
    lunch = _published(reloaded_plan(lunch.id))
    assert lunch.status == PlanStatus.PUBLISHED
    whole = _published(plan_day(day))
    live = _live_stops(day.site, DAY)
    assert len(live) == len(set(live)) == 15
    lunch = reloaded_plan(lunch.id)
    assert lunch.status == PlanStatus.CLOSED and lunch.summary["superseded_by"] == whole.id
    # A separate draft made before cannot go live beside the day plan ...
    visits = planning.plans_for_day(day.site, DAY)
    assert not any(p.kind == PlanKind.VISITS for p in visits)
    draft = Plan(site_id=day.site.id, service_date=DAY, kind=PlanKind.VISITS, meal=None, version_number=1,
                 summary={})
    db.session.add(draft)
    db.session.flush()
    from dispatch.services.planning.edit import _supersede_separate

    with pytest.raises(FieldError, match="day plan of this site and date is live"):
        _supersede_separate(draft)
    db.session.rollback()
    # ... and planning a window on its own now plans it within the day plan.
    again = planning.start_planning(day.site, DAY, PlanKind.MEALS, MealType.DINNER, by=None, wait=True)
    db.session.commit()
    again = reloaded_plan(again.id)
    assert again.kind == PlanKind.DAY and again.summary["job"]["only"] == "dinner"
    assert again.version_number == whole.version_number + 1


def test_replanning_lunch_only_keeps_every_other_stop_with_its_worker_order_and_time(app):
    day = shared_day(workers=2)
    whole = _published(plan_day(day))
    assert window_parts(whole) == ["lunch", "dinner", VISITS_PART]
    before = {planning.stop_key(s): (r.worker_id, s.eta_dt, s) for r in whole.routes for s in r.stops}
    # A new lunch order arrives (a new senior enrolled); lunch alone is planned again.
    newcomer = create_senior(day.site, lat=31.2310, lon=121.4710)
    db.session.add(MealEnrollment(senior_id=newcomer.id, site_id=day.site.id, meal=MealType.LUNCH,
                                  mode=MealMode.DELIVERY, start_date=date(2030, 1, 1)))
    db.session.commit()
    orders.generate_orders(day.site, DAY)
    db.session.commit()
    new = planning.replan_window(whole, "lunch", by=None, wait=True)
    db.session.commit()
    new = reloaded_plan(new.id)
    assert new.summary["job"]["state"] == "done", new.summary
    assert planning.check_plan(new) == []
    after = {planning.stop_key(s): (r.worker_id, s.eta_dt, s) for r in new.routes for s in r.stops}
    lunch_keys = {k for k, (_w, _t, s) in after.items() if s.kind == StopKind.MEAL and s.meal_order.meal == MealType.LUNCH}
    assert len(lunch_keys) == 7  # the newcomer's lunch is on a route
    for key, (worker, eta, stop) in before.items():
        if key in lunch_keys:
            continue
        assert after[key][0] == worker and after[key][1] == eta, key  # same worker, same time
    for route in new.routes:  # and so the same order among them
        kept = [planning.stop_key(s) for s in sorted(route.stops, key=lambda s: s.position)
                if planning.stop_key(s) not in lunch_keys]
        old = next((r for r in whole.routes if r.worker_id == route.worker_id), None)
        assert kept == [planning.stop_key(s) for s in sorted(old.stops, key=lambda s: s.position)
                        if planning.stop_key(s) not in lunch_keys]
    _held_within_limit(new)
    from dispatch.services.planning.changes import changes_for

    changes = changes_for(new)
    assert [planning.stop_key(s) for s in changes.added] == [f"m{after_key[1:]}" for after_key in lunch_keys
                                                              if after_key not in before]
    assert all(planning.stop_key(m.after) in lunch_keys for m in changes.new_worker + changes.retimed)


def test_a_day_with_nothing_to_plan_says_so(app):
    site = create_site()
    db.session.add(MealWindow(site_id=site.id, meal=MealType.LUNCH, start_time=time(11), end_time=time(12, 30)))
    db.session.commit()
    with pytest.raises(FieldError, match="Nothing to plan"):
        planning.start_planning(site, DAY, PlanKind.DAY, None, by=None, wait=True)
    with pytest.raises(FieldError, match="no meal of its own"):
        planning.start_planning(site, DAY, PlanKind.DAY, MealType.LUNCH, by=None, wait=True)


def test_the_cli_plans_the_day_and_prints_each_route_in_order(app, runner):
    day = shared_day(workers=1)
    result = runner.invoke(args=["plan", "--site", str(day.site.id), "--date", DAY.isoformat(), "--day"])
    assert result.exit_code == 0, result.output
    first, *lines = result.output.strip().splitlines()
    data = json.loads(first)
    assert data["kind"] == "day" and data["figures"]["stops"] == 15 and data["violations"] == 0
    stops = [line.split() for line in lines if line.startswith("  ") and not line.strip().startswith("↺")]
    assert len(stops) == 15
    assert [s[0] for s in stops] == sorted(s[0] for s in stops)  # in time order
    assert {s[1] for s in stops} == {"meal", "visit"}
    assert {s[-1] for s in stops if s[1] == "meal"} == {"lunch", "dinner"}
    assert any("load 2 leaves the kitchen" in line for line in lines)


@pytest.mark.parametrize("args, message", [(["--day", "--meal", "lunch"], "leave out --meal"),
                                           ([], "Choose --meal")])
def test_the_cli_refuses_day_with_a_meal(app, runner, args, message):
    site = create_site()
    result = runner.invoke(args=["plan", "--site", str(site.id), "--date", DAY.isoformat(), *args])
    assert result.exit_code != 0 and message in result.output


def test_the_pages_show_a_day_route_with_its_meal_and_visit_stops(app, client):
    from datetime import datetime

    from flask import render_template

    from dispatch.platform import clock
    from dispatch.services.rounds.today import worker_today

    day = shared_day(workers=1)
    login_as(client, create_user("staff", sites=(day.site,)))
    today = client.get(f"/staff/today?site={day.site.id}&date={DAY.isoformat()}").get_data(as_text=True)
    assert "Plan the whole day" in today and "Plan lunch" in today
    r = client.post("/staff/today/plan", data={"site": day.site.id, "date": DAY.isoformat(), "kind": "day"})
    assert r.status_code == 302
    plan = reloaded_plan(int(r.headers["Location"].rstrip("/").split("/")[-1]))
    page = client.get(f"/staff/plans/{plan.id}").get_data(as_text=True)
    assert "Whole day" in page
    assert page.count('data-stop-kind="meal"') == 12 and page.count('data-stop-kind="visit"') == 3
    assert "Meal: Lunch" in page and "Meal: Dinner" in page
    assert "× Lunch, leaves" in page and "× Dinner, leaves" in page
    assert "Re-plan lunch only" in page and "Re-plan dinner only" in page and "Re-plan visits only" in page
    r = client.post(f"/staff/plans/{plan.id}/publish", data={"version": plan.version})
    assert r.status_code == 302
    sheets = client.get(f"/staff/plans/{plan.id}/sheets").get_data(as_text=True)
    assert "Whole day" in sheets and "Back at the kitchen to load again: load" in sheets
    # The kitchen packs lunch and dinner from the day plan, each under its own meal.
    for meal, count in (("lunch", 6), ("dinner", 6)):
        kitchen = client.get(f"/staff/kitchen?site={day.site.id}&date={DAY.isoformat()}&meal={meal}")
        assert kitchen.status_code == 200
        from dispatch.services.meals.kitchen import kitchen_sheet

        sheet = kitchen_sheet(day.site, DAY, MealType(meal))
        assert sheet.plan.id == plan.id
        assert sum(len(load.items) for load in sheet.routes) == count
        assert all(lbl.route_position is not None for lbl in sheet.labels)
    # The worker's phone: one route, titled for the whole day, every stop in order.
    route = reloaded_plan(plan.id).routes[0]
    morning = datetime.combine(DAY, time(7), tzinfo=clock.zone_of(day.site))
    worker_day = worker_today(route.worker, now=lambda: morning)
    [rv] = worker_day.routes
    assert [sv.stop.id for sv in rv.stops] == [s.id for s in sorted(route.stops, key=lambda s: s.position)]
    with app.test_request_context("/worker/today"):
        html = render_template("worker/today.html", day=worker_day, worker=route.worker, offline=None)
    assert "Whole day" in html and html.count('data-kind="visit"') == 3 and html.count('data-kind="meal"') == 12
    assert "Meal: Lunch" in html and "Meal: Dinner" in html


def test_a_driver_with_a_lunch_block_and_a_dinner_block_takes_both_meals_in_one_day_route(app):
    """Two shifts in a day (10:00-14:00 and 16:00-19:30, no break of their own): one route for the day, the gap
    an unpaid break in which nothing is planned, and the day's cap (7.5 h of work) not charged for the gap."""
    from dispatch.models.worker import WorkerShift

    day = shared_day(workers=0, visits=0)
    driver = add_worker(day.site, start=time(10), end=time(14), max_minutes_per_day=450, capacity_meals=12)
    db.session.add(WorkerShift(worker_id=driver.id, site_id=day.site.id, weekday=DAY.weekday(), start_time=time(16),
                               end_time=time(19, 30)))
    db.session.commit()
    plan = plan_day(day)
    assert planning.check_plan(plan) == []
    assert plan.summary["unassigned"] == []
    [route] = plan.routes
    meals = {s.meal_order.meal for s in route.stops}
    assert meals == {MealType.LUNCH, MealType.DINNER}
    from dispatch.platform import clock

    zone = clock.zone_of(day.site)
    start, end = route.break_window(zone)
    assert (start.time(), end.time()) == (time(14), time(16))
    for stop in route.stops:  # nothing planned between the blocks
        local = stop.eta_dt.astimezone(zone).time()
        assert not time(14) <= local < time(16), local
    _held_within_limit(plan)


def test_the_day_plan_page_sets_the_separate_plans_beside_it(app, client):
    """Staff judge what planning the day at once gained: the newest separate plans' figures, summed, next to the
    day plan's, and the windows never planned apart named."""
    from dispatch.services.planning.view import planned_apart

    day = shared_day()
    lunch = planning.start_planning(day.site, DAY, PlanKind.MEALS, MealType.LUNCH, by=None, wait=True)
    visits = planning.start_planning(day.site, DAY, PlanKind.VISITS, None, by=None, wait=True)
    db.session.commit()
    plan = plan_day(day)
    apart = planned_apart(plan)
    assert [p.id for p in apart.plans] == [lunch.id, visits.id]
    assert apart.missing == ["Dinner"]
    figures = [reloaded_plan(p.id).summary["figures"] for p in (lunch, visits)]
    assert apart.distance_m == sum(f["distance_m"] for f in figures) > 0
    assert apart.stops == sum(f["stops"] for f in figures) == 6 + 3
    assert planned_apart(reloaded_plan(lunch.id)) is None  # only a day plan is compared
    login_as(client, create_user("staff", sites=(day.site,)))
    page = client.get(f"/staff/plans/{plan.id}").get_data(as_text=True)
    assert "Planned apart" in page and "This day plan" in page and "Not planned apart: Dinner" in page
    assert f"{apart.distance_m / 1000:.1f} km" in page


def test_the_day_plan_travels_no_more_than_lunch_dinner_and_visits_planned_apart_and_repeats(app):
    """The day is planned in stages (lunch, dinner, visits, each polished by the engine) and then as one from
    them (``routing.staged``): never more travel, nor fewer stops, than the three plans made apart; with a fixed
    amount of search (PLAN_SEARCH=fixed) the same day gives the same routes."""
    day = shared_day()
    apart = []
    for kind, meal in ((PlanKind.MEALS, MealType.LUNCH), (PlanKind.MEALS, MealType.DINNER), (PlanKind.VISITS, None)):
        p = planning.start_planning(day.site, DAY, kind, meal, by=None, wait=True)
        db.session.commit()
        apart.append(reloaded_plan(p.id))
    assert all(p.summary["job"]["state"] == "done" for p in apart)
    plan = plan_day(day)
    assert planning.check_plan(plan) == []
    figures = plan.summary["figures"]
    served_apart = sum(p.summary["figures"]["stops"] for p in apart)
    assert figures["stops"] >= served_apart == 6 + 6 + 3
    assert figures["travel_seconds"] <= sum(p.summary["figures"]["travel_seconds"] for p in apart)
    _held_within_limit(plan)
    again = plan_day(day)

    def routes(p):
        return sorted((r.worker_id, [(s.kind, s.meal_order_id, s.service_request_id, s.trip)
                                     for s in sorted(r.stops, key=lambda s: s.position)]) for r in p.routes)

    assert routes(again) == routes(plan)
