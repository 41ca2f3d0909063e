"""What administrators read from the audit trail: the filtered log, and a report of unusual access.

Unusual access, for one day:

* a user who read more seniors' records than ``AUDIT_UNUSUAL_READS`` —
  someone browsing files they have no case for. A file opened (``senior.read``)
  counts, and so does every senior a list or the board showed them
  (``audit.LIST_ACTIONS``: the ids are in the event's detail);
* a user refused more than ``AUDIT_UNUSUAL_REFUSALS`` times on seniors' records
  (``senior.read_refused``) — someone probing ids;
* a worker whose recorded actions touch a stop that is not on any route of
  theirs — a phone used on someone else's round.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app

from dispatch.extensions import db
from dispatch.models.audit import AuditEvent
from dispatch.models.plan import Route, Stop
from dispatch.models.user import Role, User
from dispatch.models.worker import Worker
from dispatch.platform import audit, clock


@dataclass(frozen=True)
class AuditFilters:
    user_id: int | None = None
    senior_id: int | None = None
    day_from: date | None = None
    day_to: date | None = None


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), clock.default_zone())
    return start, start + timedelta(days=1)


def search_events(filters: AuditFilters, *, page: int = 1, per_page: int = 50):
    """Events matching ``filters`` (days in the app's timezone), newest first; one page."""
    query = sa.select(AuditEvent).order_by(AuditEvent.id.desc())
    if filters.user_id is not None:
        query = query.where(AuditEvent.user_id == filters.user_id)
    if filters.senior_id is not None:
        query = query.where(AuditEvent.senior_id == filters.senior_id)
    if filters.day_from is not None:
        query = query.where(AuditEvent.event_dt >= _day_bounds(filters.day_from)[0])
    if filters.day_to is not None:
        query = query.where(AuditEvent.event_dt < _day_bounds(filters.day_to)[1])
    return db.paginate(query, page=page, per_page=per_page, error_out=False, max_per_page=200)


def senior_history(senior_id: int, *, limit: int = 20) -> list[AuditEvent]:
    """What was done about one senior, newest first; plain reads are left out (the admin log has them)."""
    return list(db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.senior_id == senior_id, AuditEvent.action != "senior.read")
        .order_by(AuditEvent.id.desc()).limit(limit)))


@dataclass(frozen=True)
class HeavyReader:
    user_id: int
    email: str | None
    seniors_read: int


@dataclass(frozen=True)
class RefusedReader:
    user_id: int
    email: str | None
    refusals: int


@dataclass(frozen=True)
class OffRouteAccess:
    event: AuditEvent
    email: str | None
    stop_id: int


@dataclass(frozen=True)
class UnusualAccess:
    day: date
    threshold: int
    heavy_readers: list[HeavyReader]
    off_route: list[OffRouteAccess]
    refused: list[RefusedReader]
    refusal_threshold: int


def _seniors_read(in_day) -> dict[int, set[int]]:
    """Per user, the seniors whose records they saw that day: files opened and seniors listed."""
    seen: dict[int, set[int]] = {}
    is_user = AuditEvent.user_id.is_not(None)
    for user_id, senior_id in db.session.execute(
            sa.select(AuditEvent.user_id, AuditEvent.senior_id)
            .where(in_day, is_user, AuditEvent.action == "senior.read", AuditEvent.senior_id.is_not(None))):
        seen.setdefault(user_id, set()).add(senior_id)
    for user_id, detail in db.session.execute(
            sa.select(AuditEvent.user_id, AuditEvent.detail)
            .where(in_day, is_user, AuditEvent.action.in_(audit.LIST_ACTIONS))):
        ids = (detail or {}).get("senior_ids") or []
        seen.setdefault(user_id, set()).update(int(i) for i in ids)
    return seen


def _emails(user_ids) -> dict[int, str]:
    if not user_ids:
        return {}
    return dict(db.session.execute(sa.select(User.id, User.email).where(User.id.in_(list(user_ids)))).all())


def unusual_access(day: date, *, threshold: int | None = None) -> UnusualAccess:
    threshold = int(threshold if threshold is not None else current_app.config.get("AUDIT_UNUSUAL_READS", 50))
    start, end = _day_bounds(day)
    in_day = sa.and_(AuditEvent.event_dt >= start, AuditEvent.event_dt < end)

    seen = {u: len(ids) for u, ids in _seniors_read(in_day).items() if len(ids) > threshold}
    emails = _emails(seen)
    heavy = [HeavyReader(u, emails.get(u), n) for u, n in sorted(seen.items(), key=lambda x: (-x[1], x[0]))]

    refusal_threshold = int(current_app.config.get("AUDIT_UNUSUAL_REFUSALS", 10))
    refusals = sa.func.count(AuditEvent.id)
    counted = db.session.execute(
        sa.select(AuditEvent.user_id, refusals)
        .where(in_day, AuditEvent.action == audit.REFUSED_ACTION, AuditEvent.user_id.is_not(None))
        .group_by(AuditEvent.user_id).having(refusals > refusal_threshold).order_by(refusals.desc())).all()
    emails = _emails([u for u, _n in counted])
    refused = [RefusedReader(u, emails.get(u), n) for u, n in counted]

    workers = sa.select(User.id).where(User.roles.any(Role.name == "worker"))
    own_stop = (sa.select(Stop.id).join(Route, Stop.route_id == Route.id).join(Worker, Route.worker_id == Worker.id)
                .where(Stop.id == AuditEvent.entity_id, Worker.user_id == AuditEvent.user_id))
    off = db.session.execute(
        sa.select(AuditEvent, User.email).outerjoin(User, User.id == AuditEvent.user_id)
        .where(in_day, AuditEvent.entity_type == "stop", AuditEvent.user_id.in_(workers), ~sa.exists(own_stop))
        .order_by(AuditEvent.id)
    ).all()
    return UnusualAccess(day, threshold, heavy, [OffRouteAccess(e, email, e.entity_id) for e, email in off],
                         refused, refusal_threshold)
