"""Background jobs: RQ on Redis when ``REDIS_URL`` is set, in-process otherwise.

Route solving can take the solver's whole time limit, so in production it runs
on RQ workers (``rq worker --url $DISPATCH_REDIS_URL doorstep``), as many as
there are sites planning at once. The embedded demo has no Redis and runs the
same function in-process, so callers never branch on the deployment.
"""
from __future__ import annotations

import functools
import importlib
import traceback
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from flask import current_app

from dispatch.extensions import db
from dispatch.platform import transaction

QUEUE_NAME = "doorstep"


@dataclass
class JobHandle:
    """What a caller needs to show progress: an id, a status and the outcome."""

    id: str
    status: str  # queued, started, finished, failed
    result: Any = None
    error: str | None = None
    meta: dict = field(default_factory=dict)


def _queue():
    from redis import Redis
    from rq import Queue

    return Queue(QUEUE_NAME, connection=Redis.from_url(current_app.config["REDIS_URL"]))


def resolve(func: Callable[..., Any] | str) -> Callable[..., Any]:
    """The function a dotted name (``"dispatch.jobs.run_planning"``) stands for, as RQ resolves it."""
    if callable(func):
        return func
    module, _, name = func.rpartition(".")
    return getattr(importlib.import_module(module), name)


def enqueue(func: Callable[..., Any] | str, *args: Any, job_timeout: int = 600, **kwargs: Any) -> JobHandle:
    """Run ``func`` in the background (RQ) or now (in-process), same outcome either way.

    ``func`` is a module-level function or its dotted name, so an RQ worker on another machine can
    run it. Services name the job entry points of ``dispatch.jobs`` by string: those sit at the edge
    (they build an app and commit), above the services that queue them.

    On RQ the job reaches Redis only once the unit in progress has committed (``transaction.after_commit``):
    a worker must find the rows the job reads, and a rolled-back unit queues nothing. Called between
    transactions (right after a commit, e.g. from an after-commit callback) it is queued at once. The
    handle's id is fixed up front, so the caller can store it for progress polling either way.
    """
    if current_app.config.get("REDIS_URL"):
        job_id = uuid.uuid4().hex
        send = functools.partial(_send, func, args, kwargs, job_id=job_id, job_timeout=job_timeout)
        if db.session().in_transaction():
            transaction.after_commit(send)
        else:
            send()
        return JobHandle(id=job_id, status="queued")
    job_id = uuid.uuid4().hex
    try:
        return JobHandle(id=job_id, status="finished", result=resolve(func)(*args, **kwargs))
    except Exception as error:  # the caller shows it; the traceback goes to the log
        current_app.logger.error("In-process job %s failed:\n%s", job_id, traceback.format_exc())
        return JobHandle(id=job_id, status="failed", error=str(error))


def _send(func: Callable[..., Any] | str, args: tuple, kwargs: dict, *, job_id: str, job_timeout: int) -> None:
    from rq import Retry

    _queue().enqueue(func, *args, job_id=job_id, job_timeout=job_timeout, retry=Retry(max=2), **kwargs)


def fetch(job_id: str) -> JobHandle | None:
    """Look an RQ job up again (for progress polling); None when unknown."""
    if not current_app.config.get("REDIS_URL"):
        return None
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    try:
        job = Job.fetch(job_id, connection=_queue().connection)
    except NoSuchJobError:
        return None
    status = job.get_status().value
    error = job.latest_result().exc_string if status == "failed" and job.latest_result() else None
    return JobHandle(id=job.id, status=status, result=job.return_value(), error=error, meta=dict(job.meta))
