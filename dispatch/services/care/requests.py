"""Service requests as staff handle them: review (approve, decline, reschedule) and the day's visits.

The lifecycle itself lives in ``models.service_request.TRANSITIONS``; this
module only applies it, checks the version the user saw (two staff may review
the same request) and records who did what. Each review step tells the
senior's family through the outbox in the same transaction, and delivery
starts only after the commit, so a refused step sends nothing.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, time
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from dispatch.extensions import db
from dispatch.models.notification import NotificationEvent
from dispatch.models.service_request import Recurrence, RequestStatus, ServiceRequest, ServiceType
from dispatch.models.site import MealSite
from dispatch.models.worker import Skill
from dispatch.platform import audit
from dispatch.platform.access import one_or_404, sites_editable_by, sites_visible_to
from dispatch.platform.errors import FieldError, StaleRecord
from dispatch.services.care import away
from dispatch.services.family import notifications

MAX_REASON = 255
# Which skill a service needs when the request does not name one.
SKILL_FOR_SERVICE: dict[ServiceType, Skill] = {
    ServiceType.BATHING: Skill.BATHING,
    ServiceType.CLEANING: Skill.CLEANING,
    ServiceType.WALKING_ASSISTANCE: Skill.WALKING_ASSISTANCE,
    ServiceType.MEDICAL_ASSISTANCE: Skill.MEDICAL_ASSISTANCE,
    ServiceType.EMERGENCY_ASSISTANCE: Skill.EMERGENCY_ASSISTANCE,
    ServiceType.COMPANIONSHIP: Skill.COMPANIONSHIP,
}
# Statuses whose visits belong on a plan for their day.
PLANNABLE = (RequestStatus.APPROVED, RequestStatus.SCHEDULED)


class InvalidTransition(FieldError):
    """The request's lifecycle does not allow this step from where it is now."""

    def __init__(self, message: Any) -> None:
        super().__init__("status", message)


def required_skill(request: ServiceRequest) -> Skill:
    return request.required_skill or SKILL_FOR_SERVICE[request.service_type]


def is_emergency(request: ServiceRequest) -> bool:
    return request.service_type == ServiceType.EMERGENCY_ASSISTANCE or request.priority == 1


def get_request_or_404(request_id: Any, for_user, *, for_edit: bool = False) -> ServiceRequest:
    """A request of a site the user may see (review needs a site the user manages), else 404."""
    sites = sites_editable_by(for_user) if for_edit else sites_visible_to(for_user)
    query = sa.select(ServiceRequest).where(ServiceRequest.site_id.in_(sites.with_only_columns(MealSite.id)))
    return one_or_404(query, ServiceRequest.id, request_id)


def awaiting_review(site: MealSite, *, from_day: date | None = None, limit: int = 200) -> list[ServiceRequest]:
    """Requests nobody has approved or declined yet, soonest first."""
    query = sa.select(ServiceRequest).where(
        ServiceRequest.site_id == site.id, ServiceRequest.status == RequestStatus.REQUESTED)
    if from_day is not None:
        query = query.where(ServiceRequest.requested_date >= from_day)
    return list(db.session.scalars(query.order_by(
        ServiceRequest.requested_date, ServiceRequest.priority, ServiceRequest.window_start, ServiceRequest.id
    ).limit(limit)))


def _due_on(site: MealSite, day: date) -> list[ServiceRequest]:
    rows = db.session.scalars(sa.select(ServiceRequest).where(
        ServiceRequest.site_id == site.id, ServiceRequest.status.in_(PLANNABLE),
        sa.or_(ServiceRequest.requested_date == day,
               sa.and_(ServiceRequest.recurrence == Recurrence.WEEKLY, ServiceRequest.requested_date < day)),
    ).order_by(ServiceRequest.priority, ServiceRequest.id)).all()
    return [r for r in rows if r.requested_date == day or r.requested_date.weekday() == day.weekday()]


def visits_for(site: MealSite, day: date) -> list[ServiceRequest]:
    """Approved (or already scheduled) requests for ``day``, plus weekly ones that fall on it.

    Leaves out seniors who are away from home that day (``away``): nobody would open the door.
    """
    return away.split_away(_due_on(site, day), day)[0]


def away_visits_for(site: MealSite, day: date) -> list[ServiceRequest]:
    """The visits of ``day`` that planning leaves out because the senior is away, for staff to follow up."""
    return away.split_away(_due_on(site, day), day)[1]


def _check_version(request: ServiceRequest, version: int | None) -> None:
    if version is not None and version != request.version:
        raise StaleRecord(_("Someone else changed this request after you opened it. "
                            "Reload the page and review it again."))


def _move(request: ServiceRequest, status: RequestStatus, *, reason: str | None, by, action: str,
          detail: dict | None = None) -> None:
    if not request.can_move_to(status):
        raise InvalidTransition(_("A request that is %(now)s cannot become %(next)s.",
                                  now=request.status.value, next=status.value))
    request.status = status
    request.status_reason = reason
    audit.record(action, user=by, entity_type="service_request", entity_id=request.id,
                 senior_id=request.senior_id, detail={"status": status.value, **(detail or {})})


def approve(request: ServiceRequest, *, version: int | None, by) -> ServiceRequest:
    """Accept the request; it will be planned as a visit on its day."""
    _check_version(request, version)
    _move(request, RequestStatus.APPROVED, reason=None, by=by, action="service_request.approve")
    notifications.emit_for_request(NotificationEvent.REQUEST_APPROVED, request)
    _commit_and_tell()
    return request


def decline(request: ServiceRequest, reason: str, *, version: int | None, by) -> ServiceRequest:
    """Refuse the request; the reason is shown to the family, so it is required."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise FieldError("reason", _("Say why the request is declined; the family will see it."))
    if len(reason) > MAX_REASON:
        raise FieldError("reason", _("Keep the reason under %(n)s characters.", n=MAX_REASON))
    _check_version(request, version)
    _move(request, RequestStatus.DECLINED, reason=reason, by=by, action="service_request.decline")
    notifications.emit_for_request(NotificationEvent.REQUEST_DECLINED, request)
    _commit_and_tell()
    return request


def reschedule(request: ServiceRequest, day: date, start: time, end: time, *, version: int | None, by,
               today: date | None = None) -> ServiceRequest:
    """Move a request not yet on a published route to another day or window; its status is kept."""
    if request.status not in (RequestStatus.REQUESTED, RequestStatus.APPROVED):
        raise InvalidTransition(_("Only requested or approved visits can be rescheduled; this one is %(now)s.",
                                  now=request.status.value))
    if today is not None and day < today:
        raise FieldError("day", _("Choose today or a later day."))
    if end <= start:
        raise FieldError("window_end", _("The window must end after it starts."))
    span = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
    if span < request.duration_minutes:
        raise FieldError("window_end", _("The window is shorter than the visit (%(n)s min).",
                                         n=request.duration_minutes))
    _check_version(request, version)
    before = {"date": request.requested_date.isoformat(), "start": request.window_start.isoformat(),
              "end": request.window_end.isoformat()}
    request.requested_date, request.window_start, request.window_end = day, start, end
    audit.record("service_request.reschedule", user=by, entity_type="service_request", entity_id=request.id,
                 senior_id=request.senior_id, detail={"from": before, "to": {
                     "date": day.isoformat(), "start": start.isoformat(), "end": end.isoformat()}})
    notifications.emit_for_request(NotificationEvent.REQUEST_RESCHEDULED, request, previous_date=before["date"])
    _commit_and_tell()
    return request


def _commit_and_tell() -> None:
    notifications.deliver_after_commit()
    db.session.flush()


def mark_scheduled(requests: Iterable[ServiceRequest], *, by) -> list[ServiceRequest]:
    """Approved requests now on a published route become scheduled (flush only: the caller commits)."""
    moved = []
    for request in requests:
        if request.status == RequestStatus.APPROVED:
            _move(request, RequestStatus.SCHEDULED, reason=None, by=by, action="service_request.schedule")
            moved.append(request)
    db.session.flush()
    return moved


def create_request(senior, *, service_type: ServiceType, day: date, start: time, end: time, duration: int,
                   required_skill: Skill | None = None, priority: int = 3,
                   recurrence: Recurrence = Recurrence.NONE, notes: str = "", by,
                   today: date | None = None) -> ServiceRequest:
    """Staff (or an integration acting as staff) ask a service for a senior they manage; one unit.

    The request starts as *requested* at the senior's home site, like a
    family's, so it goes through the same review.
    """
    if senior.home_site_id is None:
        raise FieldError("senior_id", _("This senior has no home site yet; choose one first."))
    if today is not None and day < today:
        raise FieldError("requested_date", _("Choose today or a later day."))
    if end <= start:
        raise FieldError("window_end", _("The window must end after it starts."))
    span = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
    if span < duration:
        raise FieldError("window_end", _("The window is shorter than the visit (%(n)s min).", n=duration))
    notes = (notes or "").strip()
    if "\x00" in notes:
        raise FieldError("notes", _("Contains characters that are not allowed."))
    request = ServiceRequest(
        senior_id=senior.id, site_id=senior.home_site_id, service_type=service_type, requested_date=day,
        window_start=start, window_end=end, duration_minutes=duration, required_skill=required_skill,
        priority=priority, recurrence=recurrence, notes=notes, status=RequestStatus.REQUESTED,
        requested_by_id=getattr(by, "id", None),
    )
    db.session.add(request)
    db.session.flush()
    audit.record("service_request.create", user=by, entity_type="service_request", entity_id=request.id,
                 senior_id=senior.id, detail={"service": service_type.value, "date": day.isoformat(), "by": "staff"})
    db.session.flush()
    return request
