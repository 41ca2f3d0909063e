"""A county plan goes through the planning job like every other plan: the page returns at once and polls the
job; bad input is still refused in the request, before anything is queued."""
from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from dispatch.demo.county import seed_county
from dispatch.extensions import db
from dispatch.models.plan import Plan, Route, RouteLeg, TrunkDrop
from dispatch.models.village import VillagePoint
from dispatch.platform import jobs
from dispatch.routing import network_plan
from dispatch.services.rural import plans as rural_plans
from tests.factories import create_user, login_as
from tests.planning_helpers import DAY, reloaded_plan

WAIT = 120  # seconds a test waits for the job at most before failing (not a timing assertion)
GATE = threading.Event()


@pytest.fixture
def app_config(app_config):
    return {**app_config, "JOBS_INLINE": False, "SOLVER_TIME_LIMIT": 2}


def _post_plan(client, site):
    return client.post("/staff/today/plan", data={"site": site.id, "date": DAY.isoformat(), "kind": "meals",
                                                  "meal": "lunch"})


def _plan_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def _status_until(client, plan_id, states):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        body = client.get(f"/staff/plans/{plan_id}/status").get_json()
        if body["state"] in states:
            return body
        time.sleep(0.1)
    raise AssertionError("the county planning job did not finish")


def test_the_county_plan_is_queued_and_the_page_polls_the_job(app, client, monkeypatch):
    seeded = seed_county(DAY, seniors=20, points=2)
    db.session.commit()
    queued = []
    real_enqueue = jobs.enqueue

    def spy(func, *args, **kwargs):
        queued.append(func)
        return real_enqueue(func, *args, **kwargs)

    def gated(network, options):
        assert GATE.wait(WAIT), "the test never opened the gate"
        return network_plan.plan_network(network, options)

    GATE.clear()
    monkeypatch.setattr(jobs, "enqueue", spy)
    monkeypatch.setattr(rural_plans, "plan_network", gated)
    login_as(client, create_user("staff", sites=(seeded.site,)))
    try:
        plan_id = _plan_id(_post_plan(client, seeded.site))
        assert queued == ["dispatch.jobs.run_planning"]
        # The request returned while the planner still waits: the page shows the job's progress.
        body = client.get(f"/staff/plans/{plan_id}/status").get_json()
        assert body["state"] in ("queued", "running")
        html = client.get(f"/staff/plans/{plan_id}").get_data(as_text=True)
        assert 'id="job"' in html and "data-status-url" in html
    finally:
        GATE.set()
    body = _status_until(client, plan_id, ("done", "failed"))
    assert body["state"] == "done", body
    db.session.expire_all()
    plan = reloaded_plan(plan_id)
    assert rural_plans.is_county_plan(plan) and plan.summary["job"]["mode"] == "county"
    trunk = [r for r in plan.routes if r.leg == RouteLeg.TRUNK]
    assert trunk and all(r.drops for r in trunk)
    assert rural_plans.check_stored(plan) == []
    html = client.get(f"/staff/plans/{plan_id}").get_data(as_text=True)
    assert "Trunk run" in html


def test_a_county_plan_failing_the_check_in_the_job_stores_no_route_and_says_why(app, client, monkeypatch):
    seeded = seed_county(DAY, seniors=12, points=2)
    db.session.commit()

    # The independent checker refuses what the planner made: the job records why, and keeps no route.
    monkeypatch.setattr(rural_plans, "check_network", lambda network, result: ["a batch rides on no trunk run"])
    login_as(client, create_user("staff", sites=(seeded.site,)))
    plan_id = _plan_id(_post_plan(client, seeded.site))
    body = _status_until(client, plan_id, ("done", "failed"))
    assert body["state"] == "failed" and "a batch rides on no trunk run" in (body["error"] or "")
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Route).where(Route.plan_id == plan_id)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TrunkDrop)) == 0


def test_bad_county_input_is_refused_in_the_request_and_nothing_is_queued(app, client, monkeypatch):
    seeded = seed_county(DAY, seniors=8, points=1)
    point = db.session.scalar(sa.select(VillagePoint).where(VillagePoint.site_id == seeded.site.id))
    point.lat += 1.0  # past what the insulated boxes allow by car
    db.session.commit()
    queued = []
    monkeypatch.setattr(jobs, "enqueue", lambda func, *a, **k: queued.append(func))
    login_as(client, create_user("staff", sites=(seeded.site,)))
    r = _post_plan(client, seeded.site)
    assert r.status_code == 422 and "No kitchen in reach" in r.get_data(as_text=True)
    assert queued == []
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Plan)) == 0
