"""Background jobs run the same function in-process or on a real RQ worker."""
from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from dispatch.extensions import db
from dispatch.platform import jobs, transaction
from tests import servers

REDIS_URL = os.environ.get("DISPATCH_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def add(a: int, b: int) -> int:
    return a + b


def explode() -> None:
    raise RuntimeError("solver crashed")


def test_in_process_job_returns_its_result(app):
    handle = jobs.enqueue(add, 2, 3)
    assert (handle.status, handle.result) == ("finished", 5)


def test_in_process_job_failure_is_reported_not_raised(app):
    handle = jobs.enqueue(explode)
    assert handle.status == "failed"
    assert "solver crashed" in handle.error


def _redis_or_skip():
    return servers.redis_connection(REDIS_URL)


def test_rq_job_runs_on_a_worker_and_reports_back(app):
    conn = _redis_or_skip()
    app.config["REDIS_URL"] = REDIS_URL
    from rq import SimpleWorker

    handle = jobs.enqueue(add, 20, 22)
    assert handle.status == "queued"
    SimpleWorker([jobs._queue()], connection=conn).work(burst=True)
    fetched = jobs.fetch(handle.id)
    assert (fetched.status, fetched.result) == ("finished", 42)


def test_an_rq_job_reaches_redis_only_once_its_unit_has_committed(app):
    conn = _redis_or_skip()
    app.config["REDIS_URL"] = REDIS_URL
    queue = jobs._queue()
    queue.empty()
    with pytest.raises(RuntimeError, match="after queueing"), transaction.unit():
        db.session.execute(sa.text("SELECT 1"))  # the unit's transaction is open
        jobs.enqueue(add, 1, 2)
        assert queue.count == 0
        raise RuntimeError("the use case failed after queueing")
    assert queue.count == 0, "a rolled-back unit queued its job"
    with transaction.unit():
        db.session.execute(sa.text("SELECT 1"))
        handle = jobs.enqueue(add, 1, 2)
        assert queue.count == 0, "queued before the rows it reads were committed"
    assert queue.job_ids == [handle.id]
    from rq import SimpleWorker

    SimpleWorker([queue], connection=conn).work(burst=True)
    assert jobs.fetch(handle.id).result == 3


def test_rq_job_failure_is_kept_with_its_error(app):
    conn = _redis_or_skip()
    app.config["REDIS_URL"] = REDIS_URL
    from rq import SimpleWorker

    handle = jobs.enqueue(explode)
    # Retried twice, then marked failed: never silently lost.
    for _ in range(3):
        SimpleWorker([jobs._queue()], connection=conn).work(burst=True)
    fetched = jobs.fetch(handle.id)
    assert fetched.status == "failed"
    assert "solver crashed" in fetched.error
    assert jobs.fetch("no-such-job") is None


@pytest.mark.parametrize("old_path, new_name", [
    ("dispatch.services.planning.run_planning", "run_planning"),
    ("dispatch.services.geocoding.geocode_job", "geocode_job"),
    ("dispatch.services.notifications.deliver_pending_job", "deliver_pending_job"),
    ("dispatch.services.alerts.tick_job", "tick_job"),
])
def test_jobs_queued_before_the_upgrade_still_resolve_from_their_old_paths(old_path, new_name):
    """An RQ job stored under a pre-0.2 path runs the same entry point as a new one."""
    from rq.utils import import_attribute

    import dispatch.jobs as entry_points

    assert import_attribute(old_path) is getattr(entry_points, new_name)
    assert jobs.resolve(old_path) is getattr(entry_points, new_name)


def test_a_job_named_by_string_runs_in_process(app):
    """Services queue the edge's entry points by name; in-process the name is resolved and run."""
    with app.app_context():
        handle = jobs.enqueue("dispatch.jobs.deliver_pending_job")
    assert handle.status == "finished" and set(handle.result) >= {"sent", "failed"}
