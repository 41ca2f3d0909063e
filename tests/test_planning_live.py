"""Planning a day under way, on a clock fixed mid-route: routes go on from now and from each worker's
last recorded stop, served stops stay served, what can no longer be served in its window is flagged,
and the checker fails a plan that schedules anything before now."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from dispatch import routing
from dispatch.extensions import db
from dispatch.models.plan import Plan, PlanStatus, StopOutcome
from dispatch.models.service_request import ServiceType
from dispatch.platform.clock import FixedClock
from dispatch.routing.checker import Kind
from dispatch.services import planning
from dispatch.services.meals import orders
from dispatch.services.planning.live import HOLD_PASSED, WINDOW_PASSED
from dispatch.services.planning.problem import visit_key
from tests.factories import create_user, login_as
from tests.planning_helpers import DAY, add_request, small_site

ZONE = ZoneInfo("Asia/Shanghai")


def at(hhmm: str) -> datetime:
    return datetime.combine(DAY, time.fromisoformat(hhmm), ZONE)


@pytest.fixture
def app_clock():
    return FixedClock(at("09:00"))


@pytest.fixture
def app_config(app_config):
    return {**app_config, "SOLVER_TIME_LIMIT": 1, "URGENT_TIME_LIMIT": 1}


def _load(plan_id: int) -> Plan:
    db.session.expire_all()
    return planning.load_plan(plan_id)


@pytest.fixture
def lunch(app):
    """A small site's lunch, planned and published at 09:00 of its day."""
    s = small_site(seniors=6)
    orders.generate_orders(s.site, DAY)
    staff = create_user("staff", sites=(s.site,))
    plan = _load(planning.start_planning(s.site, DAY, "meals", "lunch", by=staff).id)
    assert plan.summary["job"]["state"] == "done", plan.summary
    planning.publish(plan, version=plan.version, by=staff)
    return s, staff, _load(plan.id)


def _deliver_first(plan: Plan, arrived: str, done: str) -> tuple[int, str]:
    """The first route's first stop is delivered; returns (its worker id, its stop key)."""
    route = min((r for r in plan.routes if r.stops), key=lambda r: r.position)
    head = sorted(route.stops, key=lambda s: s.position)[0]
    head.arrival_dt, head.outcome, head.outcome_dt = at(arrived), StopOutcome.DELIVERED, at(done)
    db.session.commit()
    return route.worker_id, planning.stop_key(head)


def _unserved(plan: Plan):
    return [(r, s) for r in plan.routes for s in r.stops if s.outcome is None and s.arrival_dt is None]


def test_replan_mid_route_goes_on_from_now_and_the_last_stop(lunch, app_clock):
    s, staff, plan = lunch
    worker_id, served_key = _deliver_first(plan, "11:08", "11:10")
    app_clock.set(at("11:40"))
    new = _load(planning.replan_published(plan, by=staff).id)
    assert new.summary["job"]["state"] == "done", new.summary
    assert planning.check_plan(new) == []
    route = next(r for r in new.routes if r.worker_id == worker_id)
    head = sorted(route.stops, key=lambda st: st.position)[0]
    assert planning.stop_key(head) == served_key and head.outcome == StopOutcome.DELIVERED  # done stays done
    assert route.start_dt == plan.routes[0].start_dt  # the route under way left when it left
    rest = _unserved(new)
    assert rest, "the unserved meals are still planned"
    for _route, stop in rest:
        assert stop.eta_dt >= at("11:40"), (stop, stop.eta_dt)
        assert stop.eta_dt <= stop.window_end_dt
    # Its own window is kept on the stop (11:00-12:30), not the part left after now.
    assert all(stop.window_start_dt == at("11:00") for _route, stop in rest)
    # The worker under way goes on from the senior just served, so the next stop is reached after the trip.
    nxt = sorted(route.stops, key=lambda st: st.position)[1:2]
    if nxt:
        assert nxt[0].eta_dt > at("11:40")
    app_clock.set(at("12:10"))
    assert planning.check_plan(new) == []  # judged as of the moment it was made, not whenever it is read


def test_a_first_plan_made_late_starts_now(app, app_clock):
    s = small_site(seniors=4)
    orders.generate_orders(s.site, DAY)
    app_clock.set(at("11:30"))
    plan = _load(planning.start_planning(s.site, DAY, "meals", "lunch", by=None).id)
    assert planning.check_plan(plan) == []
    assert all(r.start_dt >= at("11:30") for r in plan.routes if r.stops)
    assert all(stop.eta_dt >= at("11:30") for _r, stop in _unserved(plan))


def test_stops_whose_window_passed_are_flagged_not_promised(lunch, app_clock, client):
    s, staff, plan = lunch
    _deliver_first(plan, "11:08", "11:10")
    app_clock.set(at("12:40"))  # lunch ended at 12:30
    new = _load(planning.replan_published(plan, by=staff).id)
    assert new.summary["job"]["state"] == "done", new.summary
    assert _unserved(new) == []  # nothing is promised "OK" after its window
    flagged = new.summary["unassigned"]
    assert len(flagged) == 5 and {u["reason"] for u in flagged} <= {WINDOW_PASSED, HOLD_PASSED}
    assert planning.check_plan(new) == []
    login_as(client, staff)
    page = client.get(f"/staff/plans/{new.id}").get_data(as_text=True)
    assert "before this plan was made (12:40\u202fPM)" in page  # English reads the locale's 12-hour time


def test_meals_on_board_stay_with_their_worker_within_the_hold_limit(lunch, app_clock):
    s, staff, plan = lunch
    worker_id, _key = _deliver_first(plan, "11:08", "11:10")
    departed = next(r for r in plan.routes if r.worker_id == worker_id).start_dt
    on_board = {planning.stop_key(st) for r in plan.routes if r.worker_id == worker_id for st in r.stops
                if st.outcome is None}
    app_clock.set(departed + timedelta(minutes=40))  # 5 minutes of the 45-minute hold limit left
    new = _load(planning.replan_published(plan, by=staff).id)
    placed = {planning.stop_key(st): r.worker_id for r in new.routes for st in r.stops}
    for key in on_board:
        if key in placed:
            assert placed[key] == worker_id  # nobody else has that meal in their box
    for r in new.routes:
        for st in r.stops:
            if planning.stop_key(st) in on_board:
                assert st.eta_dt - departed <= timedelta(minutes=45)
    flagged = {u["stop"]: u["reason"] for u in new.summary["unassigned"]}
    assert on_board <= set(placed) | set(flagged)  # each meal on board is planned or flagged, none lost
    app_clock.set(departed + timedelta(minutes=50))  # the hold limit is over
    later = _load(planning.replan_published(plan, by=staff).id)
    reasons = {u["stop"]: u["reason"] for u in later.summary["unassigned"]}
    assert {reasons.get(key) for key in on_board} == {HOLD_PASSED}
    assert planning.check_plan(new) == []


def test_the_checker_fails_a_plan_scheduled_before_now(app, app_clock):
    s = small_site(seniors=4)
    orders.generate_orders(s.site, DAY)
    app_clock.set(at("11:30"))
    plan = _load(planning.start_planning(s.site, DAY, "meals", "lunch", by=None).id)
    assert planning.check_plan(plan) == []
    route = next(r for r in plan.routes if r.stops)
    route.start_dt = at("11:00")  # as if planned from the start of lunch, not from now
    db.session.flush()
    violations = planning.check_plan(plan)
    assert Kind.PAST in {v.kind for v in violations}
    assert any("before now" in str(v) for v in violations)


def test_the_routing_checker_refuses_etas_before_now():
    here = routing.Location(31.23, 121.47)
    stop = routing.Stop("a", routing.Location(31.235, 121.475), service=60,
                        windows=(routing.TimeWindow(0, 10_000),))
    worker = routing.Worker("w", routing.TimeWindow(0, 20_000), start=here)
    problem = routing.Problem.build([stop], [worker], now=5_000)
    late = routing.check(problem, [routing.Route("w", ("a",), 0)])
    assert {v.kind for v in late} == {Kind.PAST}
    assert routing.check(problem, [routing.Route("w", ("a",), 5_000)]) == []


def test_urgent_visit_on_a_day_under_way_goes_in_after_now(app, app_clock, client):
    s = small_site(seniors=4)
    first = add_request(s.site, s.seniors[0], start=time(9), end=time(11), duration=30)
    add_request(s.site, s.seniors[1], start=time(13), end=time(15), duration=30)
    app_clock.set(at("08:00"))
    plan = _load(planning.start_planning(s.site, DAY, "visits", None, by=None).id)
    planning.publish(plan, version=plan.version, by=None)
    plan = _load(plan.id)
    done = next(st for r in plan.routes for st in r.stops if st.service_request_id == first.id)
    done.arrival_dt, done.outcome, done.outcome_dt = at("09:05"), StopOutcome.COMPLETED, at("09:40")
    db.session.commit()
    app_clock.set(at("12:00"))
    urgent = add_request(s.site, s.seniors[3], service=ServiceType.EMERGENCY_ASSISTANCE, start=time(10),
                         end=time(16), duration=30, priority=1)
    login_as(client, create_user("staff", sites=(s.site,)))
    r = client.post(f"/staff/requests/{urgent.id}/urgent")
    assert r.status_code == 302, r.data
    new = _load(int(r.headers["Location"].split("/")[-1]))
    assert new.status == PlanStatus.PUBLISHED
    keys = {planning.stop_key(st): st for rt in new.routes for st in rt.stops}
    assert visit_key(urgent.id) in keys and keys[visit_key(urgent.id)].eta_dt >= at("12:00")
    assert keys[visit_key(first.id)].outcome == StopOutcome.COMPLETED
    assert all(st.eta_dt >= at("12:00") for _r, st in _unserved(new))
    assert planning.check_plan(new) == []
