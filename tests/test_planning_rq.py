"""The background path: plans queued on a real Redis and solved by real ``rq worker`` processes.

The workers build the app from ``DISPATCH_*`` environment variables pointing at
this test run's database (and PostgreSQL schema), exactly as in production.
"""
from __future__ import annotations

import os
import subprocess
import sys
from urllib.parse import quote

import pytest

from dispatch.extensions import db
from dispatch.models.plan import PlanStatus
from dispatch.services import planning
from dispatch.services.meals import orders
from tests import servers
from tests.conftest import TEST_DATABASE_URL
from tests.factories import create_user, login_as
from tests.planning_helpers import DAY, small_site

# A Redis database of its own per test database kind, so a SQLite run and a PostgreSQL run
# at the same time do not take each other's jobs.
REDIS_URL = os.environ.get(
    "DISPATCH_TEST_PLANNING_REDIS_URL",
    "redis://127.0.0.1:6379/13" if TEST_DATABASE_URL.startswith("postgresql") else "redis://127.0.0.1:6379/14")


@pytest.fixture
def app_config(app_config):
    return {**app_config, "REDIS_URL": REDIS_URL, "SOLVER_TIME_LIMIT": 1}


def _redis_or_skip():
    return servers.redis_connection(REDIS_URL)


def worker_env(app, pg_schema) -> dict[str, str]:
    url = app.config["DATABASE_URL"]
    if pg_schema:
        url += ("&" if "?" in url else "?") + "options=" + quote(f"-csearch_path={pg_schema}")
    env = {**os.environ, "DISPATCH_DATABASE_URL": url, "DISPATCH_DATA_DIR": app.config["DATA_DIR"],
           "DISPATCH_SECRET_KEY": "test-secret", "DISPATCH_AUDIT_KEY": app.config["AUDIT_KEY"],
           "DISPATCH_REDIS_URL": REDIS_URL,
           "DISPATCH_SOLVER_TIME_LIMIT": "1", "DISPATCH_CLOCK_OFFSET_SECONDS": str(app.config["CLOCK_OFFSET_SECONDS"])}
    return env


def test_two_sites_plan_in_parallel_on_two_rq_workers(app, client, pg_schema):
    conn = _redis_or_skip()
    a, b = small_site(seniors=5), small_site(seniors=4)
    for s in (a, b):
        orders.generate_orders(s.site, DAY)
    login_as(client, create_user("staff", sites=(a.site, b.site)))
    plan_ids = []
    for s in (a, b):
        r = client.post("/staff/today/plan", data={"site": s.site.id, "date": DAY.isoformat(), "kind": "meals",
                                                   "meal": "lunch"})
        assert r.status_code == 302
        plan_ids.append(int(r.headers["Location"].split("/")[-1]))
    for plan_id in plan_ids:
        status = client.get(f"/staff/plans/{plan_id}/status").json
        assert status["state"] == "queued"
        page = client.get(f"/staff/plans/{plan_id}")
        assert b"data-status-url" in page.data and b"Refresh to see the result" in page.data

    env = worker_env(app, pg_schema)
    cmd = [sys.executable, "-m", "rq.cli", "worker", "--burst", "--url", REDIS_URL, "doorstep"]
    workers = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
               for _ in range(2)]
    try:
        outputs = [w.communicate(timeout=120)[0].decode(errors="replace") for w in workers]
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
    for plan_id, output in zip(plan_ids, outputs):
        status = client.get(f"/staff/plans/{plan_id}/status").json
        assert status["state"] == "done", (status, outputs)
    db.session.expire_all()
    for plan_id in plan_ids:
        plan = planning.load_plan(plan_id)
        assert plan.status == PlanStatus.DRAFT and plan.routes
        assert planning.check_plan(plan) == []
    conn.flushdb()


def test_a_job_nobody_can_run_reports_failure(app, client, pg_schema):
    _redis_or_skip()
    s = small_site(seniors=2, drivers=0)
    s.caregiver.is_active = False
    db.session.commit()
    orders.generate_orders(s.site, DAY)
    plan = planning.start_planning(s.site, DAY, "meals", "lunch", by=None)
    db.session.commit()  # the job is queued once the unit that asked for it commits
    proc = subprocess.run([sys.executable, "-m", "rq.cli", "worker", "--burst", "--url", REDIS_URL, "doorstep"],
                          env=worker_env(app, pg_schema), capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stdout
    login_as(client, create_user("staff", sites=(s.site,)))
    status = client.get(f"/staff/plans/{plan.id}/status").json
    assert status["state"] == "failed" and status["error"] == planning.NO_WORKERS_ERROR
    assert b"Nobody has a shift" in client.get(f"/staff/plans/{plan.id}").data
