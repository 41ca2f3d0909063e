"""Reload trips in a site's meal plan: riders with small boxes go back to the kitchen to load again.

Every plan here is judged by the independent checker (``planning.check_plan``), and each meal's time in the
box is measured from its own load's departure as stored, not taken from the solver.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from dispatch.extensions import db
from dispatch.models.plan import Plan
from dispatch.models.site import MealSite
from dispatch.services import planning
from dispatch.services.meals import orders
from dispatch.services.planning.problem import worker_key
from tests.factories import create_user, login_as
from tests.planning_helpers import DAY, plan_lunch, reloaded_plan, small_site
from tests.test_staff_sites import site_form


@pytest.fixture
def app_config(app_config):
    return {**app_config, "SOLVER_TIME_LIMIT": 2}


def _small_boxes(trips: int):
    """Ten lunches, two riders whose boxes take four meals each: one load each serves eight at most."""
    s = small_site(seniors=10, drivers=2)
    for driver in s.drivers:
        driver.capacity_meals = 4
    s.site.reload_trips = trips
    s.site.load_minutes = 5
    db.session.commit()
    orders.generate_orders(s.site, DAY)
    db.session.commit()
    return s


def _plan_lunch(client, s) -> Plan:
    login_as(client, create_user("staff", sites=(s.site,)))
    return plan_lunch(client, s.site)


def test_small_boxes_serve_every_meal_through_reloads_each_held_from_its_own_load(app, client):
    s = _small_boxes(trips=3)
    plan = _plan_lunch(client, s)
    assert planning.check_plan(plan) == []
    stops = [st for r in plan.routes for st in r.stops]
    assert len(stops) == 10 and plan.summary["unassigned"] == []
    reloaded = [r for r in plan.routes if r.trips > 1]
    assert reloaded, "ten meals in boxes of four need a second load"
    for route in plan.routes:
        per_load: dict[int, int] = {}
        for st in route.stops:
            per_load[st.trip] = per_load.get(st.trip, 0) + 1
            left = route.departure_of(st)
            assert st.eta_dt - left <= timedelta(minutes=45)  # held from this load's departure
            assert st.eta_dt >= left
        assert max(per_load.values()) <= 4  # a box's worth per load
        assert sorted(per_load) == list(range(route.trips))
    page = client.get(f"/staff/plans/{plan.id}").get_data(as_text=True)
    assert "Back at the kitchen to load again: load 2 leaves" in page
    assert f"meals in {reloaded[0].trips} loads" in page
    sheets = client.get(f"/staff/plans/{plan.id}/sheets").get_data(as_text=True)
    assert "Back at the kitchen to load again: load 2 leaves" in sheets


def test_with_one_load_the_same_site_leaves_meals_out(app, client):
    s = _small_boxes(trips=1)
    plan = _plan_lunch(client, s)
    assert planning.check_plan(plan) == []
    assert sum(len(r.stops) for r in plan.routes) <= 8
    assert len(plan.summary["unassigned"]) >= 2
    assert all(r.trip_departures is None and r.trips == 1 for r in plan.routes)


def test_the_rider_reads_where_to_go_back_for_the_next_load(app, client):
    from datetime import datetime, time

    from flask import render_template

    from dispatch.platform import clock
    from dispatch.services.rounds.today import worker_today

    s = _small_boxes(trips=3)
    plan = _plan_lunch(client, s)
    client.post(f"/staff/plans/{plan.id}/publish", data={"version": plan.version})
    route = next(r for r in reloaded_plan(plan.id).routes if r.trips > 1)
    morning = datetime.combine(DAY, time(9), tzinfo=clock.zone_of(s.site))
    day = worker_today(route.worker, now=lambda: morning)
    views = [sv for rv in day.routes for sv in rv.stops]
    firsts = [sv for sv in views if sv.reload_departs is not None]
    assert [sv.stop.trip for sv in firsts] == list(range(1, route.trips))
    assert all(sv.reload_departs == route.departure_of(sv.stop).astimezone(clock.zone_of(s.site)) for sv in firsts)
    with app.test_request_context("/worker/today"):
        html = render_template("worker/today.html", day=day, worker=route.worker, offline=None)
    assert html.count("First back to the kitchen to load again: load") == route.trips - 1


def test_a_hand_move_places_the_reloads_again_and_breaks_nothing(app, client):
    s = _small_boxes(trips=3)
    plan = _plan_lunch(client, s)
    source = max((r for r in plan.routes if r.stops), key=lambda r: len(r.stops))
    moved = sorted(source.stops, key=lambda st: st.position)[-1]
    # The last stop goes to the front of the same route: the loads must be placed again around it.
    preview = planning.apply_move(plan, planning.stop_key(moved), worker_key(source.worker_id), 0,
                                  version=plan.version, by=None)
    assert preview.violations == [], preview.violations
    plan = reloaded_plan(plan.id)
    assert planning.check_plan(plan) == []
    after = next(r for r in plan.routes if r.worker_id == source.worker_id)
    assert sorted(after.stops, key=lambda st: st.position)[0].id == moved.id
    per_load: dict[int, int] = {}
    for st in after.stops:
        per_load[st.trip] = per_load.get(st.trip, 0) + 1
    assert max(per_load.values()) <= 4


@pytest.mark.parametrize("field, value", [("reload_trips", "0"), ("reload_trips", "7"), ("load_minutes", "-1"),
                                          ("load_minutes", "61")])
def test_a_site_form_refuses_loads_out_of_range_and_changes_nothing(app, client, field, value):
    s = small_site(seniors=1, drivers=1)
    admin = create_user("admin")
    login_as(client, admin)
    before = db.session.execute(sa.select(MealSite.reload_trips, MealSite.load_minutes)).all()
    r = client.post(f"/staff/sites/{s.site.id}/edit", data=site_form(name=s.site.name, **{field: value}))
    assert r.status_code in (200, 422)
    assert "Number must be between" in r.get_data(as_text=True)
    db.session.rollback()
    assert db.session.execute(sa.select(MealSite.reload_trips, MealSite.load_minutes)).all() == before


def test_a_site_form_sets_the_loads(app, client):
    s = small_site(seniors=1, drivers=1)
    login_as(client, create_user("admin"))
    r = client.post(f"/staff/sites/{s.site.id}/edit",
                    data=site_form(name=s.site.name, reload_trips="3", load_minutes="8"))
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    db.session.expire_all()
    site = db.session.get(MealSite, s.site.id)
    assert (site.reload_trips, site.load_minutes) == (3, 8)
    assert "Loads per rider per meal" in client.get(f"/staff/sites/{site.id}").get_data(as_text=True)


def test_a_reload_before_the_first_stop_is_read_back_and_a_pointless_one_is_a_later_departure(app, client):
    """The solver may send a rider from the kitchen straight back to it to load again (a wait in disguise):
    the stored route leaves later instead. A worker from home who loads on the way keeps the reload before
    the first stop when the stored plan is read back for the checker."""
    from types import SimpleNamespace

    from dispatch.services.planning.store import stored_loads

    s = _small_boxes(trips=3)
    plan = _plan_lunch(client, s)
    route = next(r for r in plan.routes if r.stops)
    frame = SimpleNamespace(seconds=lambda dt: int(dt.timestamp()))
    ordered = sorted(route.stops, key=lambda st: st.position)
    assert ordered[0].trip == 0  # riders start at the kitchen: no stored plan begins with a reload
    for st in ordered:
        st.trip += 1
    route.trip_departures = [route.start_dt.isoformat(), route.start_dt.isoformat()] + list(route.trip_departures or [])[1:]
    reloads, departs = stored_loads(route, SimpleNamespace(frame=frame))
    assert reloads[0] == 0 and len(departs) == len(reloads) + 1
    db.session.rollback()


def test_the_kitchens_packing_rate_staggers_the_riders_departures(app, client):
    """Four meals per 10 minutes from 10:30 (cooking ends 30 min before lunch opens): whatever the riders'
    loads, no more meals have left by any moment than the kitchen can have packed, and none before 10:30."""
    from datetime import datetime, time

    from dispatch.platform import clock

    s = _small_boxes(trips=3)
    s.site.packing_rate, s.site.ready_lead_minutes = 4, 30
    db.session.commit()
    plan = _plan_lunch(client, s)
    assert planning.check_plan(plan) == []
    assert sum(len(r.stops) for r in plan.routes) == 10
    ready = datetime.combine(DAY, time(10, 30), tzinfo=clock.zone_of(s.site))
    loads = []  # (departure, meals on that load)
    for route in plan.routes:
        for trip in range(route.trips):
            meals = [st for st in route.stops if st.trip == trip]
            if meals:
                loads.append((route.departure_of(meals[0]), len(meals)))
    assert all(left >= ready for left, _ in loads)
    for moment, _ in loads:
        out = sum(n for left, n in loads if left <= moment)
        periods = int((moment - ready).total_seconds() // 600)
        assert out <= 4 * (periods + 1), (moment, out, sorted(loads))
    assert len({left for left, _ in loads}) > 1  # staggered, not all at once


@pytest.mark.parametrize("value", ["0", "1001", "-3"])
def test_a_packing_rate_out_of_range_is_refused_and_changes_nothing(app, client, value):
    s = small_site(seniors=1, drivers=1)
    login_as(client, create_user("admin"))
    r = client.post(f"/staff/sites/{s.site.id}/edit", data=site_form(name=s.site.name, packing_rate=value))
    assert r.status_code in (200, 422) and "Number must be between" in r.get_data(as_text=True)
    db.session.rollback()
    assert db.session.get(MealSite, s.site.id).packing_rate is None


def test_the_kitchen_packs_each_load_in_departure_order(app, client):
    s = _small_boxes(trips=3)
    plan = _plan_lunch(client, s)
    client.post(f"/staff/plans/{plan.id}/publish", data={"version": plan.version})
    from dispatch.models.site import MealType
    from dispatch.services.meals.kitchen import kitchen_sheet

    sheet = kitchen_sheet(s.site, DAY, MealType.LUNCH)
    route = next(r for r in reloaded_plan(plan.id).routes if r.trips > 1)
    loads = [load for load in sheet.routes if load.route.id == route.id]
    assert [load.trip for load in loads] == list(range(route.trips))
    assert [len(load.items) for load in loads] == [sum(1 for st in route.stops if st.trip == k) for k in range(route.trips)]
    departures = [load.departs for load in sheet.routes]
    assert departures == sorted(departures)
    page = client.get(f"/staff/kitchen?site={s.site.id}&date={DAY.isoformat()}&meal=lunch").get_data(as_text=True)
    assert f"load 2 of {route.trips}, leaves" in page
