"""Planning end to end in-process: plan, review, adjust, lock, publish, re-plan, urgent insertion."""
from __future__ import annotations

from datetime import time, timedelta

import pytest
import sqlalchemy as sa

from dispatch.extensions import db
from dispatch.models.plan import Plan, PlanStatus, Stop, StopOutcome
from dispatch.models.service_request import RequestStatus, ServiceType
from dispatch.services import planning
from dispatch.services.meals import orders
from dispatch.services.planning.problem import visit_key, worker_key
from tests.factories import create_user, login_as
from tests.planning_helpers import DAY, add_request, small_site


@pytest.fixture
def app_config(app_config):
    return {**app_config, "SOLVER_TIME_LIMIT": 1, "URGENT_TIME_LIMIT": 1}


@pytest.fixture
def lunch(app, client):
    """A small site with orders, its staff logged in, and a planned lunch draft."""
    s = small_site(seniors=6)
    orders.generate_orders(s.site, DAY)
    staff = create_user("staff", sites=(s.site,))
    login_as(client, staff)
    r = client.post("/staff/today/plan", data={"site": s.site.id, "date": DAY.isoformat(), "kind": "meals",
                                               "meal": "lunch"})
    assert r.status_code == 302
    plan_id = int(r.headers["Location"].rstrip("/").split("/")[-1])
    return s, staff, _plan(plan_id)


def _plan(plan_id) -> Plan:
    db.session.expire_all()
    return planning.load_plan(plan_id)


def _routes(plan) -> dict[str, list[str]]:
    return {worker_key(r.worker_id): [planning.stop_key(s) for s in sorted(r.stops, key=lambda s: s.position)]
            for r in plan.routes if r.stops}


def test_plan_lunch_end_to_end_passes_the_checker(lunch, client):
    s, staff, plan = lunch
    assert plan.status == PlanStatus.DRAFT and plan.summary["job"]["state"] == "done"
    assert planning.check_plan(plan) == []
    placed = sum(len(k) for k in _routes(plan).values())
    assert placed + len(plan.summary["unassigned"]) == 6
    for route in plan.routes:
        for stop in route.stops:
            assert stop.window_start_dt <= stop.eta_dt <= stop.window_end_dt
            assert (stop.eta_dt - route.start_dt) <= timedelta(minutes=45)
    page = client.get(f"/staff/plans/{plan.id}")
    assert page.status_code == 200
    assert b"Publish" in page.data and b"plan-map" in page.data and s.seniors[0].full_name.encode() in page.data
    assert client.get(f"/staff/plans/{plan.id}/status").json["state"] == "done"


def test_unassigned_stops_carry_reasons(app, client):
    s = small_site(seniors=4, drivers=1)
    s.drivers[0].capacity_meals = 2
    db.session.commit()
    orders.generate_orders(s.site, DAY)
    plan = planning.start_planning(s.site, DAY, "meals", "lunch", by=None)
    plan = _plan(plan.id)
    assert len(plan.summary["unassigned"]) == 2
    assert all(u["reason"] and u["message"] for u in plan.summary["unassigned"])
    assert planning.check_plan(plan) == []


def test_second_concurrent_edit_is_refused_with_409(lunch, client):
    s, staff, plan = lunch
    seen = plan.version
    stop = plan.routes[0].stops[0]
    first = client.post(f"/staff/plans/{plan.id}/stops/{stop.id}/lock", data={"version": seen, "locked": "1"})
    assert first.status_code == 302
    key = planning.stop_key(stop)
    second = client.post(f"/staff/plans/{plan.id}/move", data={
        "version": seen, "stop": key, "worker": worker_key(stop.route.worker_id), "position": 1})
    assert second.status_code == 409 and b"Someone else saved this plan" in second.data
    fresh = _plan(plan.id)
    assert next(s for r in fresh.routes for s in r.stops if s.id == stop.id).is_locked  # first edit kept


def test_move_that_breaks_a_window_is_previewed_not_saved(app, client):
    s = small_site(seniors=2, drivers=1)
    caregiver = s.caregiver
    early = add_request(s.site, s.seniors[0], start=time(9), end=time(10), duration=30)
    late = add_request(s.site, s.seniors[1], start=time(15), end=time(16), duration=30)
    login_as(client, create_user("staff", sites=(s.site,)))
    plan = _plan(planning.start_planning(s.site, DAY, "visits", None, by=None).id)
    assert _routes(plan) == {worker_key(caregiver.id): [visit_key(early.id), visit_key(late.id)]}
    before = (plan.version, [(st.id, st.position, st.eta_dt) for r in plan.routes for st in r.stops])
    r = client.post(f"/staff/plans/{plan.id}/move", data={
        "version": plan.version, "stop": visit_key(late.id), "worker": worker_key(caregiver.id), "position": 1})
    assert r.status_code == 422 and b"This move breaks rules" in r.data and b"Save anyway" in r.data
    after = _plan(plan.id)
    assert (after.version, [(st.id, st.position, st.eta_dt) for rt in after.routes for st in rt.stops]) == before
    # Confirmed, it is saved and the checker's findings are kept with the plan.
    r = client.post(f"/staff/plans/{plan.id}/move", data={
        "version": plan.version, "stop": visit_key(late.id), "worker": worker_key(caregiver.id), "position": 1,
        "confirm": "y"})
    assert r.status_code == 302
    after = _plan(plan.id)
    assert _routes(after)[worker_key(caregiver.id)][0] == visit_key(late.id)
    assert after.summary["violations"] and planning.check_plan(after)
    assert client.post(f"/staff/plans/{plan.id}/publish", data={"version": after.version}).status_code == 422


def test_clean_move_recomputes_etas(lunch, client):
    s, staff, plan = lunch
    routes = _routes(plan)
    (wkey, keys), = [(w, k) for w, k in routes.items() if len(k) >= 2][:1] or [next(iter(routes.items()))]
    other = next((w for w in (worker_key(d.id) for d in s.drivers) if w != wkey))
    moving = keys[-1]
    r = client.post(f"/staff/plans/{plan.id}/move", data={"version": plan.version, "stop": moving,
                                                           "worker": other, "position": 1})
    assert r.status_code in (302, 422)
    if r.status_code == 302:
        after = _plan(plan.id)
        assert _routes(after)[other][0] == moving
        assert planning.check_plan(after) == [] or after.summary["violations"]


def test_lock_then_rerun_keeps_the_stop_with_its_worker(lunch, client):
    s, staff, plan = lunch
    routes = _routes(plan)
    wkey, keys = next(iter(routes.items()))
    stop = next(st for r in plan.routes for st in r.stops if planning.stop_key(st) == keys[-1])
    client.post(f"/staff/plans/{plan.id}/stops/{stop.id}/lock", data={"version": plan.version, "locked": "1"})
    plan = _plan(plan.id)
    r = client.post(f"/staff/plans/{plan.id}/rerun", data={"version": plan.version})
    assert r.status_code == 302
    new = _plan(int(r.headers["Location"].split("/")[-1]))
    assert new.version_number == plan.version_number + 1 and new.status == PlanStatus.DRAFT
    assert keys[-1] in _routes(new)[wkey]
    assert next(st for r in new.routes for st in r.stops if planning.stop_key(st) == keys[-1]).is_locked
    assert planning.check_plan(new) == []


def test_publish_freezes_and_worker_sees_the_route(app, client):
    s = small_site(seniors=3)
    worker_user = create_user("worker")
    s.drivers[0].user_id = worker_user.id
    s.drivers[1].is_active = False
    db.session.commit()
    visit = add_request(s.site, s.seniors[0], start=time(9), end=time(12))
    orders.generate_orders(s.site, DAY)
    staff = create_user("staff", sites=(s.site,))
    login_as(client, staff)
    plan = _plan(planning.start_planning(s.site, DAY, "meals", "lunch", by=None).id)
    visits = _plan(planning.start_planning(s.site, DAY, "visits", None, by=None).id)
    assert client.post(f"/staff/plans/{plan.id}/publish", data={"version": plan.version}).status_code == 302
    assert client.post(f"/staff/plans/{visits.id}/publish", data={"version": visits.version}).status_code == 302
    plan = _plan(plan.id)
    assert plan.status == PlanStatus.PUBLISHED and plan.published_dt is not None
    assert db.session.get(type(visit), visit.id).status == RequestStatus.SCHEDULED
    # Frozen: edits are refused.
    stop = plan.routes[0].stops[0]
    r = client.post(f"/staff/plans/{plan.id}/stops/{stop.id}/lock", data={"version": plan.version, "locked": "1"})
    assert r.status_code == 409
    assert client.post(f"/staff/plans/{plan.id}/publish", data={"version": plan.version}).status_code == 409
    # The worker's page shows the published stops (the worker's "today" is the service date here).
    from datetime import UTC, datetime

    from dispatch.services.rounds import today as today_service
    day = today_service.worker_today(s.drivers[0], now=lambda: datetime(2030, 3, 4, 2, 0, tzinfo=UTC))
    names = {sv.stop.senior.full_name for rv in day.routes for sv in rv.stops}
    assert names == {sen.full_name for sen in s.seniors}


def test_replan_keeps_served_stops_and_moves_little(lunch, client):
    s, staff, plan = lunch
    client.post(f"/staff/plans/{plan.id}/publish", data={"version": plan.version})
    plan = _plan(plan.id)
    first = {}
    for route in plan.routes:
        head = sorted(route.stops, key=lambda st: st.position)[0]
        head.outcome, head.arrival_dt = StopOutcome.DELIVERED, head.eta_dt
        first[planning.stop_key(head)] = worker_key(route.worker_id)
    db.session.commit()
    before = _routes(plan)
    r = client.post(f"/staff/plans/{plan.id}/replan")
    assert r.status_code == 302
    new = _plan(int(r.headers["Location"].split("/")[-1]))
    assert new.summary["job"]["state"] == "done", new.summary
    after = _routes(new)
    for key, wkey in first.items():
        assert after[wkey][0] == key  # served stops stay first on their worker's route
        served = next(st for r in new.routes for st in r.stops if planning.stop_key(st) == key)
        assert served.outcome == StopOutcome.DELIVERED
    owner_before = {k: w for w, ks in before.items() for k in ks}
    owner_after = {k: w for w, ks in after.items() for k in ks}
    assert sum(owner_after.get(k) != w for k, w in owner_before.items()) <= 1
    assert planning.check_plan(new) == []


def test_urgent_request_is_inserted_and_published_at_once(app, client):
    s = small_site(seniors=4)
    for i in range(3):
        add_request(s.site, s.seniors[i], start=time(9 + 2 * i), end=time(11 + 2 * i), duration=30)
    login_as(client, create_user("staff", sites=(s.site,)))
    plan = _plan(planning.start_planning(s.site, DAY, "visits", None, by=None).id)
    client.post(f"/staff/plans/{plan.id}/publish", data={"version": plan.version})
    before = _routes(_plan(plan.id))
    urgent = add_request(s.site, s.seniors[3], service=ServiceType.EMERGENCY_ASSISTANCE, start=time(10),
                         end=time(13), duration=30, priority=1)
    r = client.post(f"/staff/requests/{urgent.id}/urgent")
    assert r.status_code == 302, r.data
    new = _plan(int(r.headers["Location"].split("/")[-1]))
    assert new.status == PlanStatus.PUBLISHED and new.version_number == 2
    assert _plan(plan.id).status == PlanStatus.CLOSED
    after = _routes(new)
    assert any(visit_key(urgent.id) in keys for keys in after.values())
    assert new.summary["urgent"]["moved"] <= 1 and new.summary["urgent"]["seconds"] < 10
    assert planning.check_plan(new) == []
    assert {k for ks in before.values() for k in ks} <= {k for ks in after.values() for k in ks}


@pytest.mark.parametrize("role,expected", [("staff_other", 404), ("worker", 403), ("family", 403)])
def test_access_matrix(lunch, app, client, role, expected):
    s, staff, plan = lunch
    client.post("/logout")
    other = small_site(seniors=0)
    user = create_user("staff", sites=(other.site,)) if role == "staff_other" else create_user(role)
    login_as(client, user)
    for method, path in [("get", f"/staff/plans/{plan.id}"), ("get", f"/staff/plans/{plan.id}/status"),
                         ("post", f"/staff/plans/{plan.id}/publish"), ("post", f"/staff/plans/{plan.id}/rerun"),
                         ("post", f"/staff/plans/{plan.id}/move")]:
        assert getattr(client, method)(path, data={"version": plan.version}).status_code == expected, path
    r = client.post("/staff/today/plan", data={"site": s.site.id, "date": DAY.isoformat(), "kind": "visits"})
    assert r.status_code == (404 if role == "staff_other" else 403)
    assert _plan(plan.id).status == PlanStatus.DRAFT


def test_bad_input_is_refused_without_change(lunch, client):
    s, staff, plan = lunch
    assert client.get(f"/staff/today?site={s.site.id}&date=2030-13-45").status_code == 400
    assert client.post("/staff/today/plan", data={"site": s.site.id, "date": DAY.isoformat(),
                                                  "kind": "dinner"}).status_code == 422
    assert client.post("/staff/today/plan", data={"site": s.site.id, "date": DAY.isoformat(), "kind": "meals",
                                                  "meal": "dinner"}).status_code == 422  # no dinner window
    r = client.post(f"/staff/plans/{plan.id}/move", data={"version": plan.version, "stop": "m999999",
                                                           "worker": "none", "position": 1})
    assert r.status_code == 422
    assert _plan(plan.id).version == plan.version


def test_planning_with_nothing_to_route_is_refused_and_says_what_to_do(app, client):
    """Before the day's orders are generated, "Plan lunch" would make an empty plan that passes every check."""
    s = small_site(seniors=3)
    staff = create_user("staff", sites=(s.site,))
    login_as(client, staff)
    lunch = {"site": s.site.id, "date": DAY.isoformat(), "kind": "meals", "meal": "lunch"}
    refused = client.post("/staff/today/plan", data=lunch)
    assert refused.status_code == 422
    assert "no orders to deliver on Mar 4, 2030" in refused.text and "generate" in refused.text
    visits = client.post("/staff/today/plan", data={"site": s.site.id, "date": DAY.isoformat(), "kind": "visits"})
    assert visits.status_code == 422 and "No approved visits" in visits.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Plan)) == 0

    orders.generate_orders(s.site, DAY)
    db.session.commit()  # the test is the edge: services only flush
    assert client.post("/staff/today/plan", data=lunch).status_code == 302
    add_request(s.site, s.seniors[0])
    assert client.post("/staff/today/plan", data={"site": s.site.id, "date": DAY.isoformat(),
                                                  "kind": "visits"}).status_code == 302


def test_cli_plan_with_nothing_to_route_says_why(app, runner):
    """Outside a web request (CLI, RQ worker) the refusal still reads as a sentence, in the site's language."""
    s = small_site(seniors=3)
    result = runner.invoke(args=["plan", "--site", str(s.site.id), "--date", DAY.isoformat(), "--meal", "visits"])
    assert result.exit_code != 0 and "No approved visits on Mar 4, 2030" in result.output, result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Plan)) == 0


def test_cli_plan_command(app, runner):
    s = small_site(seniors=3)
    result = runner.invoke(args=["plan", "--site", str(s.site.id), "--date", DAY.isoformat(), "--meal", "lunch"])
    assert result.exit_code == 0, result.output
    assert '"state": "done"' in result.output and '"violations": 0' in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Stop)) == 3
