"""Without Redis, background jobs run on a thread of the app's process: the request that queues one answers
at once, the job runs in an app context and a transaction of its own, and the page shows its outcome.

The rest of the suite runs jobs inline (``JOBS_INLINE`` in the test config); here they run as in the demo.
A gate (a ``threading.Event``) holds the job until the test has seen the request answer, so "answered
before the job finished" is shown by order, not by timing.
"""
from __future__ import annotations

import threading
import time

import pytest
from flask import current_app, has_app_context

from dispatch import routing
from dispatch.platform import jobs
from dispatch.services.meals import orders
from tests.factories import create_user, login_as
from tests.planning_helpers import DAY, small_site

GATE = threading.Event()
WAIT = 60  # seconds a test waits for a job at most before failing (not a timing assertion)


def gated_solve(problem, options=None, **overrides):
    """The real solver, once the test opens the gate."""
    assert GATE.wait(WAIT), "the test never opened the gate"
    return routing.solve(problem, options, **overrides)


@pytest.fixture
def app_config(app_config):
    return {**app_config, "JOBS_INLINE": False, "SOLVER_TIME_LIMIT": 1}


@pytest.fixture
def app_solve():
    GATE.clear()
    yield gated_solve
    GATE.set()  # never leave a job waiting


def _until(condition):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("the background job did not finish")


def waits_then_answers(value: int) -> dict:
    assert GATE.wait(WAIT)
    return {"value": value, "context": has_app_context(), "inline": current_app.config["JOBS_INLINE"]}


def reports_then_waits() -> str:
    jobs.report(phase="reading", rows=1000)
    assert GATE.wait(WAIT)
    return "done"


def explodes() -> None:
    raise RuntimeError("solver crashed")


def test_a_thread_job_answers_later_in_its_own_app_context(app, app_solve):
    handle = jobs.enqueue(waits_then_answers, 7)
    assert handle.status == "queued"
    assert jobs.fetch(handle.id).status in ("queued", "started")  # held at the gate: not finished
    GATE.set()
    done = _until(lambda: (h := jobs.fetch(handle.id)).status == "finished" and h)
    assert done.result == {"value": 7, "context": True, "inline": False}


def test_a_thread_jobs_progress_report_is_what_polling_sees(app, app_solve):
    handle = jobs.enqueue(reports_then_waits)
    running = _until(lambda: (h := jobs.fetch(handle.id)).meta and h)
    assert running.status in ("queued", "started") and running.meta == {"phase": "reading", "rows": 1000}
    GATE.set()
    done = _until(lambda: (h := jobs.fetch(handle.id)).status == "finished" and h)
    assert done.result == "done" and done.meta["rows"] == 1000


def test_a_thread_job_failure_is_reported(app):
    handle = jobs.enqueue(explodes)
    failed = _until(lambda: (h := jobs.fetch(handle.id)).status == "failed" and h)
    assert "solver crashed" in failed.error


def test_inline_runs_in_the_caller(app):
    handle = jobs.enqueue(lambda: threading.current_thread().name, inline=True)
    assert (handle.status, handle.result) == ("finished", threading.current_thread().name)


def test_plan_lunch_answers_at_once_and_the_page_shows_the_plan_when_ready(app, app_solve, client):
    s = small_site(seniors=5)
    orders.generate_orders(s.site, DAY)
    login_as(client, create_user("staff", sites=(s.site,)))
    r = client.post("/staff/today/plan", data={"site": s.site.id, "date": DAY.isoformat(), "kind": "meals",
                                               "meal": "lunch"})
    assert r.status_code == 302  # answered while the solve is still held at the gate
    page_url = r.headers["Location"]
    plan_id = int(page_url.rstrip("/").split("/")[-1])
    status = client.get(f"/staff/plans/{plan_id}/status").get_json()
    assert status["state"] in ("queued", "running")
    waiting = client.get(page_url).get_data(as_text=True)
    assert 'id="job"' in waiting and "plan.js" in waiting and "<script>" not in waiting  # polls, CSP-clean
    assert s.seniors[0].full_name not in waiting
    GATE.set()
    _until(lambda: client.get(f"/staff/plans/{plan_id}/status").get_json()["state"] in ("done", "failed"))
    assert client.get(f"/staff/plans/{plan_id}/status").get_json()["state"] == "done"
    ready = client.get(page_url).get_data(as_text=True)
    assert "Publish" in ready and s.seniors[0].full_name in ready
