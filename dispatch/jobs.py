"""The background jobs' entry points: the edge of each use case that runs off the request.

RQ workers (``rq worker ... doorstep``) and the in-process runner call these by name; the services
queue them with ``platform.jobs.enqueue("dispatch.jobs.<name>", ...)``. Each builds the app once
per worker process (not once per job) and runs one service inside its context, as one unit
(``platform.transaction``): committed once at the end, rolled back on any exception. The planning
job and the outbox commit at their steps too (``transaction.commit_step``), so the page polling a
plan sees it running and a crash half-way never sends a notification twice.
"""
from __future__ import annotations

from typing import Any, Callable

from flask import has_app_context

from dispatch.extensions import db
from dispatch.platform import transaction

_worker_app = None


def _in_app(work: Callable[[], Any]) -> Any:
    """Run ``work`` as one unit in the current app, or in this worker's own app when called by an RQ worker."""
    if has_app_context():
        with transaction.unit():
            return work()
    global _worker_app
    if _worker_app is None:
        from dispatch import create_app

        _worker_app = create_app()
    with _worker_app.app_context():
        try:
            with transaction.unit():
                return work()
        finally:
            db.session.remove()


def run_planning(plan_id: int, solve: Callable | None = None) -> dict[str, Any]:
    """Solve a plan's day and store its routes (a county plan's two legs by ``services.rural``)."""
    from dispatch.services.planning import service
    from dispatch.services.rural import plans as rural_plans

    def work() -> dict[str, Any]:
        # A kitchen's county meal (village points): both legs by the rural planner, in the same job.
        if rural_plans.is_county_job(plan_id):
            return rural_plans.solve_county(plan_id)
        return service.solve_and_store(plan_id, solve)

    return _in_app(work)


def geocode_job(senior_ids: list[int] | None = None) -> dict[str, Any]:
    """Locate the pending seniors' addresses at the geocoder's shared pace."""
    from dispatch.services.people import geocoding

    return _in_app(lambda: geocoding.geocode_pending(senior_ids))


def deliver_pending_job() -> dict[str, int]:
    """Send what the notification outbox holds."""
    from dispatch.services.family import notifications

    return _in_app(lambda: notifications.deliver_pending().__dict__.copy())


def tick_job() -> dict[str, Any]:
    """One tick of the welfare-alert clock and the visitation clock (e.g. from rq-scheduler every minute)."""
    from dispatch.services.safety import alerts
    from dispatch.services.visitation import due

    def work() -> dict[str, Any]:
        report = alerts.tick()
        result = report.as_dict()
        # Home visitation rides on the same clock: the day's due visits and calls, then their escalation.
        result["visitation"] = None if report.skipped else due.tick()
        return result

    return _in_app(work)


def import_job(kind: str, token: str, user_id: int, mapping: dict, default_site_id: int | None) -> dict[str, Any]:
    """Import a previewed upload too big to add inside a request."""
    from dispatch.services.imports import background

    return _in_app(lambda: background.run_stored_import(kind, token, user_id, mapping, default_site_id))
