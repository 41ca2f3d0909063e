"""An RQ worker killed in the middle of a solve loses no plan: the job is retried, or marked failed and said so.

A real ``rq worker`` (forking work-horse) is SIGKILLed, with its whole process
group, while it solves. RQ's own maintenance pass (``StartedJobRegistry.cleanup``,
which every worker runs periodically; here called with a timestamp past the
job's heartbeat so the test need not wait) then finds the abandoned job:
with retries left (``jobs.enqueue`` gives two) it is queued again and a second
worker finishes the plan; with none left it lands in the failed registry and
the plan's status says so instead of staying "running" for ever.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from dispatch.extensions import db
from dispatch.services import planning
from dispatch.services.meals import orders
from tests import servers
from tests.conftest import TEST_DATABASE_URL
from tests.factories import create_user, login_as
from tests.planning_helpers import DAY, small_site
from tests.test_planning_rq import worker_env

# Redis databases of their own, so the other RQ test files' flushdb never takes these jobs.
REDIS_URL = "redis://127.0.0.1:6379/9" if TEST_DATABASE_URL.startswith("postgresql") else "redis://127.0.0.1:6379/10"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "REDIS_URL": REDIS_URL, "SOLVER_TIME_LIMIT": 1}


@pytest.fixture
def redis_conn():
    conn = servers.redis_connection(REDIS_URL)
    yield conn
    conn.flushdb()


def _env(app, pg_schema, solve_seconds: int) -> dict[str, str]:
    return {**worker_env(app, pg_schema), "DISPATCH_REDIS_URL": REDIS_URL,
            "DISPATCH_SOLVER_TIME_LIMIT": str(solve_seconds)}


def _worker(env) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "rq.cli", "worker", "--burst", "--url", REDIS_URL, "doorstep"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def _state(plan_id: int) -> str:
    db.session.expire_all()
    return (planning.load_plan(plan_id).summary or {}).get("job", {}).get("state")


def _kill_while_solving(app, pg_schema, plan_id: int) -> None:
    worker = _worker(_env(app, pg_schema, solve_seconds=60))
    try:
        deadline = time.monotonic() + 90
        while _state(plan_id) != "running":
            assert worker.poll() is None and time.monotonic() < deadline, "the worker never started the solve"
            time.sleep(0.2)
        time.sleep(1)  # well inside the 60-s search
    finally:
        # As a crashed machine would: the worker and its work-horse (which RQ puts in a session of
        # its own, so it is found by parent id), with no chance to clean up.
        horses = _children(worker.pid)
        assert horses, "the work-horse was not found"
        for pid in (worker.pid, *horses):
            os.kill(pid, signal.SIGKILL)
        worker.wait(timeout=30)
        for pid in horses:
            _wait_gone(pid)


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = open(f"/proc/{entry}/stat").read()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry))
    return out


def _wait_gone(pid: int) -> None:
    deadline = time.monotonic() + 10
    while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
        try:  # reap it if it is ours; otherwise wait for init to
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.05)


def _abandoned_job(conn, job_id: str):
    from rq import Queue
    from rq.job import Job
    from rq.registry import StartedJobRegistry

    job = Job.fetch(job_id, connection=conn)
    assert job.get_status().value == "started"  # the crash left it behind
    assert job_id in StartedJobRegistry(queue=Queue("doorstep", connection=conn)).get_job_ids(cleanup=False)
    return job


def _maintenance_pass(conn) -> None:
    from rq import Queue
    from rq.registry import StartedJobRegistry

    StartedJobRegistry(queue=Queue("doorstep", connection=conn)).cleanup(timestamp=time.time() + 10_000)


def _planned(app, client):
    # Over the small-plan size (30 stops): a small fresh plan's search stops after a few fruitless
    # iterations, in under a second, and the kill must land while the work-horse is still solving.
    s = small_site(seniors=40, drivers=4)
    orders.generate_orders(s.site, DAY)
    db.session.commit()
    login_as(client, create_user("staff", sites=(s.site,)))
    plan = planning.start_planning(s.site, DAY, "meals", "lunch", by=None)
    db.session.commit()  # the job is queued once the unit that asked for it commits
    db.session.expire_all()
    return plan.id, (planning.load_plan(plan.id).summary or {})["job"]["id"]


def test_a_solve_cut_by_a_killed_worker_is_retried_and_finished(app, client, pg_schema, redis_conn):
    plan_id, job_id = _planned(app, client)
    _kill_while_solving(app, pg_schema, plan_id)
    job = _abandoned_job(redis_conn, job_id)
    assert client.get(f"/staff/plans/{plan_id}/status").json["state"] == "running"  # nothing finished it yet

    _maintenance_pass(redis_conn)
    job.refresh()
    assert job.get_status().value == "queued" and job.retries_left == 1

    second = _worker(_env(app, pg_schema, solve_seconds=1))
    assert second.wait(timeout=120) == 0
    assert client.get(f"/staff/plans/{plan_id}/status").json["state"] == "done"
    db.session.expire_all()
    plan = planning.load_plan(plan_id)
    assert sum(len(r.stops) for r in plan.routes) == 40 and planning.check_plan(plan) == []


def test_a_killed_solve_with_no_retries_left_is_marked_failed_not_lost(app, client, pg_schema, redis_conn):
    plan_id, job_id = _planned(app, client)
    _kill_while_solving(app, pg_schema, plan_id)
    job = _abandoned_job(redis_conn, job_id)
    job.retries_left = 0
    job.save()

    _maintenance_pass(redis_conn)
    assert job.get_status(refresh=True).value == "failed"
    status = client.get(f"/staff/plans/{plan_id}/status").json
    assert status["state"] == "failed" and status["error"] == planning.WORKER_LOST_ERROR
    assert b"Run the plan again" in client.get(f"/staff/plans/{plan_id}").data
