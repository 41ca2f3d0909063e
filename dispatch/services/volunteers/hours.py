"""Volunteer hours (a time-bank record): per volunteer and month, from route times and visit check-in/out.

A meal route counts from the route's start (leaving the kitchen) to its last
recorded drop, or to its planned end when nothing was recorded; a visit counts
from check-in to check-out. Visits are on routes too, so a visit route counts
its on-site time only (check-in to check-out), not the planned route span:
what the time bank credits is time given, and a visit's travel is already in
the volunteer's other routes or not credited at all.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from dispatch.extensions import db
from dispatch.models.plan import Plan, PlanKind, PlanStatus, Route, StopKind
from dispatch.models.worker import Worker, WorkerKind
from dispatch.platform.access import workers_visible_to


@dataclass
class Hours:
    worker: Worker
    meal_minutes: int = 0
    visit_minutes: int = 0
    routes: int = 0
    visits: int = 0

    @property
    def minutes(self) -> int:
        return self.meal_minutes + self.visit_minutes

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 2)


def _route_minutes(route: Route) -> int:
    if route.start_dt is None:
        return 0
    recorded = [s.outcome_dt for s in route.stops if s.outcome_dt is not None]
    end = max(recorded) if recorded else route.end_dt
    if end is None or end <= route.start_dt:
        return 0
    return int((end - route.start_dt).total_seconds() // 60)


def volunteer_hours(user, first: date, last: date, *, site_ids: set[int] | None = None,
                    kinds: tuple[WorkerKind, ...] = (WorkerKind.VOLUNTEER,)) -> list[Hours]:
    """Hours of each volunteer the user may see, from ``first`` to ``last`` inclusive, most hours first."""
    workers = workers_visible_to(user).where(Worker.kind.in_(kinds))
    if site_ids is not None:
        workers = workers.where(Worker.home_site_id.in_(site_ids))
    routes = db.session.scalars(
        sa.select(Route).join(Plan, Route.plan_id == Plan.id)
        .where(Route.worker_id.in_(workers.with_only_columns(Worker.id)),
               Plan.service_date.between(first, last), Plan.status != PlanStatus.DRAFT)
        .options(selectinload(Route.stops), selectinload(Route.worker), selectinload(Route.plan))
    ).all()
    # Only the latest version of a re-planned day counts (earlier versions were never driven).
    latest: dict[tuple, int] = {}
    for r in routes:
        key = (r.plan.site_id, r.plan.service_date, r.plan.kind, r.plan.meal)
        latest[key] = max(latest.get(key, 0), r.plan.version_number)
    out: dict[int, Hours] = {}
    for r in routes:
        p = r.plan
        if p.version_number != latest[(p.site_id, p.service_date, p.kind, p.meal)]:
            continue
        if (p.summary or {}).get("superseded_by"):
            continue  # replaced by the site's day plan before anyone drove it
        h = out.setdefault(r.worker_id, Hours(r.worker))
        if p.kind == PlanKind.MEALS:
            minutes = _route_minutes(r)
            h.meal_minutes += minutes
            h.routes += minutes > 0
        elif p.kind == PlanKind.DAY:
            # A day route: its visits by their recorded times, the rest of the route as meal time.
            visit_minutes = 0
            for s in r.stops:
                if s.kind == StopKind.VISIT and s.arrival_dt and s.departure_dt and s.departure_dt > s.arrival_dt:
                    visit_minutes += int((s.departure_dt - s.arrival_dt).total_seconds() // 60)
                    h.visits += 1
            h.visit_minutes += visit_minutes
            if any(s.kind == StopKind.MEAL for s in r.stops):
                minutes = max(0, _route_minutes(r) - visit_minutes)
                h.meal_minutes += minutes
                h.routes += minutes > 0
        else:
            for s in r.stops:
                if s.arrival_dt and s.departure_dt and s.departure_dt > s.arrival_dt:
                    h.visit_minutes += int((s.departure_dt - s.arrival_dt).total_seconds() // 60)
                    h.visits += 1
    return sorted((h for h in out.values() if h.minutes), key=lambda h: (-h.minutes, h.worker.full_name))


def month_bounds(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    return first, (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def _cell(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def hours_csv(rows: list[Hours], month: date) -> str:
    """The time-bank record: one row per volunteer, minutes and hours (UTF-8, CRLF, formula-safe)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["month", "worker_id", "volunteer", "home_site_id", "meal_routes", "meal_minutes", "visits",
                     "visit_minutes", "total_minutes", "hours"])
    for h in rows:
        writer.writerow([month.strftime("%Y-%m"), h.worker.id, _cell(h.worker.full_name), h.worker.home_site_id,
                         h.routes, h.meal_minutes, h.visits, h.visit_minutes, h.minutes, f"{h.minutes / 60:.2f}"])
    return out.getvalue()
