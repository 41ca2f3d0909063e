"""What a family member may ask for a linked senior: a home service, meal delivery, a pause in meals.

Each use case is one unit. The caller has already authorised the senior
(``access.get_senior_or_404`` for a family user only finds linked seniors);
requests and holds are loaded here through the same link, so a family member
can never touch another family's records by guessing ids.

Rules a family request must satisfy (dates and times are the site's local ones):
  * the day is not in the past and at most ``MAX_DAYS_AHEAD`` days ahead;
  * the window ends after it starts, lies inside ``SERVICE_HOURS`` and fits the visit;
  * it starts later than the site's ``request_cutoff_hours`` from now — except
    emergency assistance, which is taken at once (priority 1, an open welfare
    alert on the staff board and a message to the site's staff);
  * cancelling or rescheduling is allowed until that same cutoff.
"Meal delivery" becomes an ``EnrollmentRequest`` for staff (enrolment needs
their decisions), with a message to the site's staff.
A form's idempotency key makes a second tap return the first request.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from dispatch.extensions import db
from dispatch.models.alert import AlertKind, AlertSeverity, AlertStatus, WelfareAlert
from dispatch.models.family_request import EnrollmentRequest, RequestSubmission
from dispatch.models.meals import ALL_WEEKDAYS, MealHold, MealOrder, MealOrderStatus
from dispatch.models.senior import Senior
from dispatch.models.service_request import Recurrence, RequestStatus, ServiceRequest, ServiceType
from dispatch.models.site import MealSite, MealType
from dispatch.models.user import User
from dispatch.models.worker import Skill
from dispatch.platform import audit, clock, transaction
from dispatch.platform.access import one_or_404
from dispatch.platform.datefmt import time_text
from dispatch.platform.errors import FieldError
from dispatch.services.care.away import VisitOnDay
from dispatch.services.family import notifications

MEAL_DELIVERY = "meal_delivery"
SERVICES = [s.value for s in ServiceType] + [MEAL_DELIVERY]
MAX_DAYS_AHEAD = 60
MAX_HOLD_DAYS = 366
MAX_NOTES = 1000
# Expected visit length by service; staff may change it when they approve.
DURATION_MINUTES = {
    ServiceType.BATHING: 60, ServiceType.CLEANING: 90, ServiceType.WALKING_ASSISTANCE: 60,
    ServiceType.MEDICAL_ASSISTANCE: 60, ServiceType.EMERGENCY_ASSISTANCE: 60, ServiceType.COMPANIONSHIP: 60,
}
CHANGEABLE = (RequestStatus.REQUESTED, RequestStatus.APPROVED, RequestStatus.SCHEDULED)
RESCHEDULABLE = (RequestStatus.REQUESTED, RequestStatus.APPROVED)
_KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def service_hours() -> tuple[time, time]:
    """``SERVICE_HOURS`` ("07:00-20:00"): when home visits can take place, site-local."""
    raw = str(current_app.config.get("SERVICE_HOURS") or "07:00-20:00")
    start, _sep, end = raw.partition("-")
    return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())


def _starts_at(site: MealSite, day: date, start: time) -> datetime:
    return datetime.combine(day, start, tzinfo=clock.zone_of(site))


def _clean_notes(notes: str | None) -> str:
    notes = (notes or "").strip()
    if len(notes) > MAX_NOTES:
        raise FieldError("notes", _("Keep the notes under %(n)s characters.", n=MAX_NOTES))
    if any(ord(c) < 32 and c not in "\n\r\t" for c in notes):
        raise FieldError("notes", _("The notes contain characters that cannot be stored."))
    return notes


def _site_of(senior: Senior) -> MealSite:
    if senior.home_site is None:
        raise FieldError("senior", _("%(name)s has no meal site yet; call the office to arrange services.",
                                     name=senior.full_name))
    return senior.home_site


def check_window(site: MealSite, day: date, start: time, end: time, *, now: datetime,
                 duration: int, urgent: bool = False) -> None:
    """Refuse a day/window a family may not ask for, naming the field at fault."""
    today = clock.local_now(site, now).date()
    if day < today:
        raise FieldError("day", _("Choose today or a later day."))
    if day > today + timedelta(days=MAX_DAYS_AHEAD):
        raise FieldError("day", _("Choose a day within the next %(n)s days.", n=MAX_DAYS_AHEAD))
    if end <= start:
        raise FieldError("window_end", _("The time window must end after it starts."))
    opens, closes = service_hours()
    if start < opens or end > closes:
        raise FieldError("window_start", _("Visits take place between %(start)s and %(end)s.",
                                           start=time_text(opens), end=time_text(closes)))
    span = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
    if span < duration:
        raise FieldError("window_end", _("Allow at least %(n)s minutes for this visit.", n=duration))
    if urgent:
        if datetime.combine(day, end, tzinfo=clock.zone_of(site)) <= now:
            raise FieldError("window_end", _("This time has already passed."))
        return
    cutoff = now + timedelta(hours=site.request_cutoff_hours)
    if _starts_at(site, day, start) < cutoff:
        raise FieldError("day", _("Requests must reach us at least %(n)s hours before the visit. "
                                  "For something urgent, choose emergency assistance or call the meal site.",
                                  n=site.request_cutoff_hours))


def _existing_submission(user: User, key: str):
    sub = db.session.scalar(sa.select(RequestSubmission).where(
        RequestSubmission.user_id == user.id, RequestSubmission.idempotency_key == key))
    if sub is None:
        return None
    if sub.service_request_id is not None:
        return db.session.get(ServiceRequest, sub.service_request_id)
    return db.session.get(EnrollmentRequest, sub.enrollment_request_id)


def submit(user: User, senior: Senior, *, service: str, day: date, start: time, end: time, notes: str = "",
           weekly: bool = False, idempotency_key: str, now: datetime | None = None,
           ) -> ServiceRequest | EnrollmentRequest:
    """Ask for a service (or meal delivery) for a linked senior; a repeated key returns the first one."""
    now = now or clock.now()
    if not _KEY.match(idempotency_key or ""):
        raise FieldError(None, _("This form has expired. Reload the page and try again."))
    if (earlier := _existing_submission(user, idempotency_key)) is not None:
        return earlier
    if service not in SERVICES:
        raise FieldError("service", _("Choose a service from the list."))
    site = _site_of(senior)
    notes = _clean_notes(notes)

    if service == MEAL_DELIVERY:
        today = clock.local_now(site, now).date()
        if day < today or day > today + timedelta(days=MAX_DAYS_AHEAD):
            raise FieldError("day", _("Choose a day within the next %(n)s days.", n=MAX_DAYS_AHEAD))
        record = EnrollmentRequest(senior_id=senior.id, site_id=site.id, meal=MealType.LUNCH, weekdays=ALL_WEEKDAYS,
                                   start_date=day, notes=notes, requested_by_id=user.id)
        db.session.add(record)
        db.session.flush()
        sub = RequestSubmission(user_id=user.id, idempotency_key=idempotency_key, enrollment_request_id=record.id)
        audit.record("enrollment_request.create", user=user, entity_type="enrollment_request",
                     entity_id=record.id, senior_id=senior.id, detail={"start_date": day.isoformat()})
        notifications.emit_to_site_staff("staff_enrollment_request", site_id=site.id, senior_id=senior.id,
                                         payload={"date": day, "notes": notes})
    else:
        kind = ServiceType(service)
        urgent = kind == ServiceType.EMERGENCY_ASSISTANCE
        duration = DURATION_MINUTES[kind]
        check_window(site, day, start, end, now=now, duration=duration, urgent=urgent)
        record = ServiceRequest(
            senior_id=senior.id, site_id=site.id, service_type=kind, requested_date=day, window_start=start,
            window_end=end, duration_minutes=duration, required_skill=Skill(kind.value),
            priority=1 if urgent else 3, recurrence=Recurrence.WEEKLY if weekly and not urgent else Recurrence.NONE,
            notes=notes, status=RequestStatus.REQUESTED, requested_by_id=user.id,
        )
        db.session.add(record)
        db.session.flush()
        sub = RequestSubmission(user_id=user.id, idempotency_key=idempotency_key, service_request_id=record.id)
        audit.record("service_request.create", user=user, entity_type="service_request", entity_id=record.id,
                     senior_id=senior.id, detail={"service": kind.value, "date": day.isoformat(),
                                                  "by": "family", "urgent": urgent})
        if urgent:
            # On the staff board at once, whatever the planning cycle.
            db.session.add(WelfareAlert(senior_id=senior.id, site_id=site.id, kind=AlertKind.CONCERN,
                                        severity=AlertSeverity.HIGH, status=AlertStatus.OPEN))
            notifications.emit_to_site_staff("staff_urgent_request", site_id=site.id, senior_id=senior.id,
                                             payload=notifications.request_payload(record, notes=notes))
    db.session.add(sub)
    notifications.deliver_after_commit()
    try:
        db.session.flush()
    except IntegrityError:  # the same key committed by a concurrent tap: return that one
        transaction.start_over()
        if (earlier := _existing_submission(user, idempotency_key)) is not None:
            return earlier
        raise
    return record


# Following, cancelling, rescheduling ---------------------------------------------

def get_request_for_family(request_id, user: User) -> ServiceRequest:
    """A request of a senior linked to ``user``, else 404."""
    from dispatch.models.senior import FamilyLink

    linked = sa.select(FamilyLink.senior_id).where(FamilyLink.user_id == user.id)
    return one_or_404(sa.select(ServiceRequest).where(ServiceRequest.senior_id.in_(linked)),
                       ServiceRequest.id, request_id)


def can_change(request: ServiceRequest, now: datetime | None = None) -> bool:
    """Whether the family may still cancel this request (status and the site's cutoff)."""
    now = now or clock.now()
    if request.status not in CHANGEABLE:
        return False
    return _starts_at(request.site, request.requested_date, request.window_start) >= \
        now + timedelta(hours=request.site.request_cutoff_hours)


def _check_cutoff(request: ServiceRequest, now: datetime) -> None:
    if request.status not in CHANGEABLE:
        raise FieldError(None, _("This request can no longer be changed."))
    if not can_change(request, now):
        raise FieldError(None, _("It is less than %(n)s hours before the visit: please call the meal site.",
                                 n=request.site.request_cutoff_hours))


def cancel(request: ServiceRequest, *, by: User, version: int | None = None, now: datetime | None = None,
           ) -> ServiceRequest:
    """Cancel before the cutoff; the senior's other family members are told."""
    from dispatch.platform.errors import StaleRecord

    now = now or clock.now()
    if version is not None and version != request.version:
        raise StaleRecord(_("This request changed since you opened the page. Reload and try again."))
    _check_cutoff(request, now)
    request.status = RequestStatus.CANCELLED
    request.status_reason = _("Cancelled by family")
    audit.record("service_request.cancel", user=by, entity_type="service_request", entity_id=request.id,
                 senior_id=request.senior_id, detail={"by": "family"})
    notifications.emit_for_request("request_cancelled", request, exclude_user_id=by.id)
    notifications.deliver_after_commit()
    db.session.flush()
    return request


def reschedule(request: ServiceRequest, day: date, start: time, end: time, *, by: User,
               version: int | None = None, now: datetime | None = None) -> ServiceRequest:
    """Move a request not yet on a route to another day/window, before the cutoff of both."""
    from dispatch.platform.errors import StaleRecord

    now = now or clock.now()
    if version is not None and version != request.version:
        raise StaleRecord(_("This request changed since you opened the page. Reload and try again."))
    _check_cutoff(request, now)
    if request.status not in RESCHEDULABLE:
        raise FieldError(None, _("This visit is already on a worker's route: cancel it or call the meal site."))
    check_window(request.site, day, start, end, now=now, duration=request.duration_minutes)
    before = {"date": request.requested_date.isoformat(), "start": request.window_start.isoformat(),
              "end": request.window_end.isoformat()}
    request.requested_date, request.window_start, request.window_end = day, start, end
    audit.record("service_request.reschedule", user=by, entity_type="service_request", entity_id=request.id,
                 senior_id=request.senior_id, detail={"by": "family", "from": before, "to": {
                     "date": day.isoformat(), "start": start.isoformat(), "end": end.isoformat()}})
    db.session.flush()
    return request


# Pausing meals -------------------------------------------------------------------

def get_hold_for_family(hold_id, user: User) -> MealHold:
    from dispatch.models.senior import FamilyLink

    linked = sa.select(FamilyLink.senior_id).where(FamilyLink.user_id == user.id)
    return one_or_404(sa.select(MealHold).where(MealHold.senior_id.in_(linked)), MealHold.id, hold_id)


def pause_meals(senior: Senior, start: date, end: date, reason: str = "", *, by: User, away: bool = False,
                now: datetime | None = None) -> MealHold:
    """Pause all meals from ``start`` to ``end`` (both included); orders already made are cancelled.

    ``away``: the senior is not at home then, so planning leaves their visits out too (``care.away``).
    """
    now = now or clock.now()
    today = clock.local_now(senior.home_site, now).date()
    if start < today:
        raise FieldError("start", _("Choose today or a later day."))
    if end < start:
        raise FieldError("end", _("The last day cannot be before the first."))
    if (end - start).days >= MAX_HOLD_DAYS:
        raise FieldError("end", _("A pause can last at most a year; call the meal site for longer."))
    reason = " ".join((reason or "").split())
    if len(reason) > 255:
        raise FieldError("reason", _("Keep the reason under %(n)s characters.", n=255))
    overlap = db.session.scalar(sa.select(MealHold.id).where(
        MealHold.senior_id == senior.id, MealHold.start_date <= end, MealHold.end_date >= start))
    if overlap is not None:
        raise FieldError("start", _("Meals are already paused for some of these days."))
    hold = MealHold(senior_id=senior.id, start_date=start, end_date=end, reason=reason, away=bool(away),
                    created_by_id=by.id)
    db.session.add(hold)
    db.session.flush()
    for order in db.session.scalars(sa.select(MealOrder).where(
            MealOrder.senior_id == senior.id, MealOrder.service_date.between(start, end),
            MealOrder.status == MealOrderStatus.ORDERED)):
        order.status = MealOrderStatus.CANCELLED
    audit.record("meal_hold.create", user=by, entity_type="meal_hold", entity_id=hold.id, senior_id=senior.id,
                 detail={"start": start.isoformat(), "end": end.isoformat(), "away": bool(away), "by": "family"})
    db.session.flush()
    return hold


def cancel_visits_while_away(visits: list[VisitOnDay], *, by: User, now: datetime | None = None,
                             ) -> tuple[list[VisitOnDay], list[VisitOnDay]]:
    """Cancel the one-off visits of an away pause the family may still cancel: (cancelled, kept).

    A weekly series is kept (only its away dates are skipped), and so is a visit
    past the cutoff: planning leaves both out while the senior is away.
    """
    cancelled, kept = [], []
    for visit in visits:
        if visit.weekly or not can_change(visit.request, now):
            kept.append(visit)
            continue
        cancel(visit.request, by=by, now=now)
        cancelled.append(visit)
    return cancelled, kept


def resume_meals(hold: MealHold, *, by: User, now: datetime | None = None) -> MealHold | None:
    """End a pause: one not started yet is removed; one under way ends yesterday."""
    now = now or clock.now()
    today = clock.local_now(hold.senior.home_site, now).date()
    if hold.end_date < today:
        raise FieldError(None, _("This pause is already over."))
    audit.record("meal_hold.resume", user=by, entity_type="meal_hold", entity_id=hold.id,
                 senior_id=hold.senior_id, detail={"by": "family"})
    if hold.start_date >= today:
        db.session.delete(hold)
        result = None
    else:
        hold.end_date = today - timedelta(days=1)
        result = hold
    db.session.flush()
    return result
