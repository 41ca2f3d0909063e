"""A senior away from home: which visits fall on those days, and planning that leaves them out.

A meal pause marked ``away`` (a hospital stay, a stay with family) means nobody
opens the door, so a home visit on one of those days would send a worker to an
empty flat. What a care coordinator expects, and what this module gives:

  * whoever pauses (family or staff) is told which visits fall on those days
    before anything is saved, and may cancel the one-off ones at once;
  * visits kept (weekly series, or ones too close to cancel online) are left
    out of planning on the away days: a weekly series skips only those dates
    and goes on afterwards, and ending the pause brings them back;
  * staff see the visits left out on the day's page, so they can call.
A pause that is not ``away`` (the family cooks this week) leaves visits alone.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from dispatch.extensions import db
from dispatch.models.meals import MealHold
from dispatch.models.senior import Senior
from dispatch.models.service_request import Recurrence, RequestStatus, ServiceRequest

# Requests that may still become (or already are) a visit on their day.
OPEN = (RequestStatus.REQUESTED, RequestStatus.APPROVED, RequestStatus.SCHEDULED)


@dataclass(frozen=True)
class VisitOnDay:
    """One visit (a one-off request, or one date of a weekly series) that falls on an away day."""

    request: ServiceRequest
    day: date

    @property
    def weekly(self) -> bool:
        return self.request.recurrence == Recurrence.WEEKLY


def _falls_on(request: ServiceRequest, day: date) -> bool:
    if request.requested_date == day:
        return True
    return (request.recurrence == Recurrence.WEEKLY and request.requested_date < day
            and request.requested_date.weekday() == day.weekday())


def visits_during(senior: Senior, start: date, end: date) -> list[VisitOnDay]:
    """The senior's open visits on any day from ``start`` to ``end`` (both included), by day."""
    requests = db.session.scalars(sa.select(ServiceRequest).where(
        ServiceRequest.senior_id == senior.id, ServiceRequest.status.in_(OPEN),
        ServiceRequest.requested_date <= end,
        sa.or_(ServiceRequest.requested_date >= start, ServiceRequest.recurrence == Recurrence.WEEKLY),
    ).order_by(ServiceRequest.window_start, ServiceRequest.id)).all()
    days = [start + timedelta(days=k) for k in range((end - start).days + 1)]
    return [VisitOnDay(r, day) for day in days for r in requests if _falls_on(r, day)]


def away_senior_ids(senior_ids: Iterable[int], day: date) -> set[int]:
    """Which of ``senior_ids`` are away from home on ``day``."""
    ids = set(senior_ids)
    if not ids:
        return set()
    return set(db.session.scalars(sa.select(MealHold.senior_id).where(
        MealHold.senior_id.in_(ids), MealHold.away.is_(True),
        MealHold.start_date <= day, MealHold.end_date >= day)))


def split_away(requests: list[ServiceRequest], day: date) -> tuple[list[ServiceRequest], list[ServiceRequest]]:
    """``requests`` for ``day`` as (to plan, left out because the senior is away)."""
    away = away_senior_ids((r.senior_id for r in requests), day)
    return [r for r in requests if r.senior_id not in away], [r for r in requests if r.senior_id in away]
