"""Background jobs: RQ on Redis when ``REDIS_URL`` is set, a small thread pool in-process otherwise.

Route solving can take the solver's whole time limit, so in production it runs
on RQ workers (``rq worker --url $DISPATCH_REDIS_URL doorstep``), as many as
there are sites planning at once. Without Redis (the embedded demo) the same
function runs on one of ``JOBS_THREADS`` threads of this process, in an app
context of its own, so the request that queued it answers at once and the page
polls for the outcome; callers never branch on the deployment. ``JOBS_INLINE``
(the tests) or ``inline=True`` (CLI commands that print the outcome) run it in
the caller's thread instead. A job on a thread dies with its process: a plan
left "queued" by a restart is planned again with *Re-run*.
"""
from __future__ import annotations

import functools
import importlib
import threading
import traceback
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
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


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_futures: dict[str, Future] = {}  # this process's thread jobs, for ``fetch``
_meta: dict[str, dict[str, Any]] = {}  # what this process's thread jobs ``report``, for ``fetch``
_current = threading.local()  # the id of the thread job running on this thread, for ``report``
_KEEP_FINISHED = 500  # finished thread jobs remembered for polling before the oldest are forgotten


def _executor(threads: int) -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=max(1, threads), thread_name_prefix="doorstep-job")
        return _pool


def _in_thread(app, job_id: str, func: Callable[..., Any], args, kwargs) -> Any:
    """The job on a pool thread: its own app context (so its own session and transaction), errors logged."""
    with app.app_context():
        _current.job_id = job_id
        try:
            return func(*args, **kwargs)
        except Exception:
            app.logger.error("Background job %s failed:\n%s", job_id, traceback.format_exc())
            raise
        finally:
            _current.job_id = None


def _forget_finished() -> None:
    done = [k for k, f in _futures.items() if f.done()]
    for key in done[: max(0, len(done) - _KEEP_FINISHED)]:
        _futures.pop(key, None)
        _meta.pop(key, None)


def enqueue(func: Callable[..., Any] | str, *args: Any, job_timeout: int = 600, job_id: str | None = None,
            inline: bool = False, meta: dict[str, Any] | None = None, **kwargs: Any) -> JobHandle:
    """Run ``func`` in the background (RQ, or a thread of this process), or now when ``inline`` or
    ``JOBS_INLINE``; the outcome is the same either way.

    ``func`` is a module-level function or its dotted name, so an RQ worker on another machine can
    run it. Services name the job entry points of ``dispatch.jobs`` by string: those sit at the edge
    (they run as one unit in an app context and commit), above the services that queue them.
    ``job_id`` names the job (a caller may store it before the job starts, for polling); ``meta`` is
    known from the start (e.g. who may watch it), before the job reports anything.

    In the background (RQ, or a thread) the job starts only once the unit in progress has committed
    (``transaction.after_commit``): it reads the rows in a transaction of its own, and a rolled-back
    unit starts nothing. Called between transactions (right after a commit, e.g. from an after-commit
    callback) it starts at once.
    """
    job_id = job_id or uuid.uuid4().hex
    meta = dict(meta or {})
    if current_app.config.get("REDIS_URL"):
        _when_committed(functools.partial(_send, func, args, kwargs, job_id=job_id, job_timeout=job_timeout,
                                          meta=meta))
        return JobHandle(id=job_id, status="queued", meta=meta)
    if not inline and not current_app.config.get("JOBS_INLINE"):
        app = current_app._get_current_object()
        threads = int(current_app.config.get("JOBS_THREADS") or 2)

        def submit() -> None:
            _meta.setdefault(job_id, {}).update(meta)
            _futures[job_id] = _executor(threads).submit(_in_thread, app, job_id, resolve(func), args, kwargs)
            _forget_finished()

        _when_committed(submit)
        return JobHandle(id=job_id, status="queued", meta=meta)
    try:
        return JobHandle(id=job_id, status="finished", result=resolve(func)(*args, **kwargs), meta=meta)
    except Exception as error:  # the caller shows it; the traceback goes to the log
        current_app.logger.error("In-process job %s failed:\n%s", job_id, traceback.format_exc())
        return JobHandle(id=job_id, status="failed", error=str(error), meta=meta)


def _when_committed(start: Callable[[], None]) -> None:
    if db.session().in_transaction():
        transaction.after_commit(start)
    else:
        start()


def _send(func: Callable[..., Any] | str, args: tuple, kwargs: dict, *, job_id: str, job_timeout: int,
          meta: dict[str, Any] | None = None) -> None:
    from rq import Retry

    _queue().enqueue(func, *args, job_id=job_id, job_timeout=job_timeout, retry=Retry(max=2), meta=meta or {},
                     **kwargs)


def report(**meta: Any) -> None:
    """Progress of the job running now, for the page that polls it (RQ: the job's ``meta``; a thread job:
    this process's record of it, which ``fetch`` returns).

    Run inline there is nobody to poll while the job runs (the request waits for it): nothing to do.
    """
    if not current_app.config.get("REDIS_URL"):
        job_id = getattr(_current, "job_id", None)
        if job_id is not None:
            _meta.setdefault(job_id, {}).update(meta)
        return
    from rq import get_current_job

    job = get_current_job()
    if job is not None:
        job.meta.update(meta)
        job.save_meta()


def fetch(job_id: str) -> JobHandle | None:
    """Look a job up again (for progress polling); None when unknown (run inline, or by another process)."""
    if not current_app.config.get("REDIS_URL"):
        future = _futures.get(job_id)
        if future is None:
            return None
        meta = dict(_meta.get(job_id, {}))
        if not future.done():
            return JobHandle(id=job_id, status="started" if future.running() else "queued", meta=meta)
        error = future.exception()
        if error is not None:
            return JobHandle(id=job_id, status="failed", error=f"{type(error).__name__}: {error}", meta=meta)
        return JobHandle(id=job_id, status="finished", result=future.result(), meta=meta)
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    try:
        job = Job.fetch(job_id, connection=_queue().connection)
    except NoSuchJobError:
        return None
    status = job.get_status().value
    error = job.latest_result().exc_string if status == "failed" and job.latest_result() else None
    return JobHandle(id=job.id, status=status, result=job.return_value(), error=error, meta=dict(job.meta))
