"""Due in-person visits on the day's visits plan: one service request per due visit, kept in step.

A due home visit (``DueVisit`` of kind home visit, open or planned, due by the plan's day, at the plan's
site) enters the site's visits plan as an **optional** stop: a service request of type home visitation,
approved, needing the visitation skill, 30 minutes in the day's visiting hours (09:00-17:00 at the
site). Its priority says how much dropping it hurts (``planning.problem`` turns it into the routing
core's optional levels, all below any booked visit): 1 overdue, 2 due by tomorrow, 3 later.

Each due keeps one request: an earlier day that passed without the visit moves the same request to the
plan's day (a request still scheduled on a past plan goes back to approved). Only a request that ended
(missed, cancelled, declined, or completed without the due being met) is replaced by a fresh one, so
the past keeps its facts. Seniors away from home that day are left out as for other visits
(``care.away``); their request is still moved, so staff see it among the visits left out.

When a visits plan is published, dues whose visit is on a route become *planned*; a newer version that
drops the stop sends the due back to *open* and its request back to *approved* (``sync_dues``).

Planning imports this module (the use case's edge); this module never imports planning.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from dispatch.extensions import db
from dispatch.models.plan import Plan, PlanKind, StopKind
from dispatch.models.senior import Senior
from dispatch.models.service_request import RequestStatus, ServiceRequest, ServiceType
from dispatch.models.site import MealSite
from dispatch.models.visitation import OPEN_DUE_STATUSES, DueKind, DueStatus, DueVisit
from dispatch.models.worker import Skill
from dispatch.platform import audit, clock
from dispatch.platform.datefmt import date_text
from dispatch.services.care import away
from dispatch.services.visitation.due import reason_text

VISIT_WINDOW = (time(9), time(17))  # the site's visiting hours, local time (no per-site setting exists)
VISIT_MINUTES = 30
OVERDUE, SOON, LATER = 1, 2, 3  # request priorities (1 = most urgent)
# Requests a due may go on using: not yet under way, not ended.
REUSABLE = (RequestStatus.REQUESTED, RequestStatus.APPROVED, RequestStatus.SCHEDULED)
UNDER_WAY = (RequestStatus.EN_ROUTE, RequestStatus.IN_PROGRESS)


def priority_of(due: DueVisit, day: date) -> int:
    """1 when the latest date is before ``day``, 2 when it is ``day`` or the day after, else 3."""
    if due.latest_date < day:
        return OVERDUE
    if due.latest_date <= day + timedelta(days=1):
        return SOON
    return LATER


def why_due(request: ServiceRequest | None) -> Any:
    """Why a welfare visit's request is on a route, in the reader's language (None for other requests).

    Worded when shown, not stored in the request's notes: the coordinator who planned it and the visitor
    who reads it may not share a language."""
    if request is None or request.service_type != ServiceType.HOME_VISITATION:
        return None
    due = db.session.scalar(sa.select(DueVisit).where(DueVisit.service_request_id == request.id)
                            .order_by(DueVisit.id.desc()))
    if due is None:
        return None
    return _l("Welfare visit (tier %(tier)s), at the latest %(latest)s: %(why)s.", tier=due.tier,
              latest=date_text(due.latest_date), why=reason_text(due))


def dues_for_day(site: MealSite, day: date) -> list[DueVisit]:
    """The site's open or planned due home visits whose due date is ``day`` or earlier, most urgent first."""
    return list(db.session.scalars(
        sa.select(DueVisit).join(Senior, DueVisit.senior_id == Senior.id).where(
            DueVisit.kind == DueKind.HOME_VISIT, DueVisit.status.in_(OPEN_DUE_STATUSES), DueVisit.due_date <= day,
            Senior.is_active.is_(True),
            sa.or_(DueVisit.site_id == site.id, sa.and_(DueVisit.site_id.is_(None), Senior.home_site_id == site.id)))
        .order_by(DueVisit.latest_date, DueVisit.id)))


def _new_request(due: DueVisit, site: MealSite, day: date, priority: int) -> ServiceRequest:
    request = ServiceRequest(
        senior_id=due.senior_id, site_id=site.id, service_type=ServiceType.HOME_VISITATION, requested_date=day,
        window_start=VISIT_WINDOW[0], window_end=VISIT_WINDOW[1], duration_minutes=VISIT_MINUTES,
        required_skill=Skill.VISITATION, priority=priority, status=RequestStatus.APPROVED, notes="")
    db.session.add(request)
    db.session.flush()
    audit.record("visitation.plan_visit", user=None, entity_type="service_request", entity_id=request.id,
                 senior_id=due.senior_id, detail={"due_visit": due.id, "day": day.isoformat(), "priority": priority,
                                                  "replaces": due.service_request_id})
    due.service_request_id = request.id
    due.status = DueStatus.OPEN
    return request


def _carry(due: DueVisit, request: ServiceRequest, day: date, priority: int) -> ServiceRequest | None:
    """Bring the due's request to ``day``; None when it is on another day's plan that still stands."""
    if request.requested_date > day and request.status == RequestStatus.SCHEDULED:
        return None  # on a later day's published plan: that plan keeps it
    if request.requested_date != day:
        before = request.requested_date
        if request.status == RequestStatus.SCHEDULED:  # its day passed without the visit
            request.status = RequestStatus.APPROVED
        request.requested_date = day
        due.status = DueStatus.OPEN
        audit.record("visitation.carry_visit", user=None, entity_type="service_request", entity_id=request.id,
                     senior_id=due.senior_id, detail={"due_visit": due.id, "from": before.isoformat(),
                                                      "to": day.isoformat()})
    if request.status == RequestStatus.REQUESTED:
        request.status = RequestStatus.APPROVED
    request.priority = priority
    return request


def requests_for_day(site: MealSite, day: date, *, now: datetime | None = None) -> list[ServiceRequest]:
    """Make sure every due home visit of ``site`` by ``day`` has its request on ``day``; flushes.

    Returns the requests to plan (seniors away that day left out). A day before the site's today is
    never rewritten: the past keeps its plans."""
    if day < clock.local_today(site, now or clock.now()):
        return []
    out: list[ServiceRequest] = []
    for due in dues_for_day(site, day):
        priority = priority_of(due, day)
        request = due.service_request
        if request is not None and request.status in UNDER_WAY:
            if request.requested_date == day:
                out.append(request)
            continue  # a visitor is on the way: leave it be
        if request is not None and request.status in REUSABLE and request.site_id == site.id:
            request = _carry(due, request, day, priority)
        else:
            if request is not None and request.status in REUSABLE:  # the senior's visits moved to this site
                request.status, request.status_reason = RequestStatus.CANCELLED, _("planned at another site")
                audit.record("visitation.move_visit", user=None, entity_type="service_request",
                             entity_id=request.id, senior_id=due.senior_id,
                             detail={"due_visit": due.id, "from_site": request.site_id, "to_site": site.id})
            request = _new_request(due, site, day, priority)
        if request is not None:
            out.append(request)
    db.session.flush()
    gone = away.away_senior_ids((r.senior_id for r in out), day)
    return [r for r in out if r.senior_id not in gone]


def sync_dues(plan: Plan) -> None:
    """After ``plan`` (a visits plan or a day plan) went live: its routed dues are planned, the ones it dropped
    open again."""
    if plan.kind not in (PlanKind.VISITS, PlanKind.DAY):
        return
    routed = {s.service_request_id for r in plan.routes for s in r.stops if s.kind == StopKind.VISIT}
    rows = db.session.execute(
        sa.select(DueVisit, ServiceRequest).join(ServiceRequest, DueVisit.service_request_id == ServiceRequest.id)
        .where(ServiceRequest.site_id == plan.site_id, ServiceRequest.requested_date == plan.service_date,
               DueVisit.status.in_(OPEN_DUE_STATUSES))).all()
    for due, request in rows:
        if request.id in routed:
            due.status = DueStatus.PLANNED
        else:
            due.status = DueStatus.OPEN
            if request.status == RequestStatus.SCHEDULED:  # dropped by the new version: plannable again
                request.status = RequestStatus.APPROVED
    db.session.flush()
