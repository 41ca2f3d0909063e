"""Volunteer shifts: staff publish dated needs, volunteers sign up and cancel from their phone.

A cancellation later than the site's cutoff frees a place that is offered at
once, through the notification outbox, to substitutes who know the route
(have served this site before), or to the site's other workers when nobody
does; the first to accept gets it. The place is decided under a row lock on the
shift, so two taps at once never overfill it. Each use case is one unit (its edge commits).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from dispatch.extensions import db
from dispatch.models.notification import NotificationEvent
from dispatch.models.plan import Plan, Route
from dispatch.models.site import MealSite
from dispatch.models.user import User
from dispatch.models.volunteer_shift import (
    OfferStatus,
    OpenShift,
    ShiftOffer,
    ShiftRole,
    ShiftSignup,
    SignupStatus,
)
from dispatch.models.worker import Worker, WorkerShift
from dispatch.platform import audit, clock
from dispatch.platform.access import sites_editable_by
from dispatch.platform.errors import FieldError
from dispatch.services.family.notifications import add_rows

MAX_NEEDED = 100


# Time -------------------------------------------------------------------------------

def start_dt(shift: OpenShift) -> datetime:
    """When the shift starts, as an aware UTC instant (shifts are kept in site-local time)."""
    local = datetime.combine(shift.service_date, shift.start_time, tzinfo=clock.zone_of(shift.site))
    return local.astimezone(timezone.utc)


def cancel_cutoff_dt(shift: OpenShift) -> datetime:
    return start_dt(shift) - timedelta(hours=shift.site.shift_cancel_cutoff_hours)


def is_late(shift: OpenShift, now: datetime) -> bool:
    return now > cancel_cutoff_dt(shift)


# Staff: publishing -------------------------------------------------------------------

def publish_shift(*, site_id: int, service_date: date, start: time, end: time, role: ShiftRole | str, needed: int,
                  by, today: date) -> OpenShift:
    """Open a dated shift at a site ``by`` may edit; audited; one unit."""
    site = db.session.scalar(sites_editable_by(by).where(MealSite.id == site_id))
    if site is None:
        raise FieldError("site_id", _("Not a valid choice."))
    if service_date < today:
        raise FieldError("service_date", _("The date must not be in the past."))
    if end <= start:
        raise FieldError("end_time", _("The end must be after the start."))
    if not 1 <= needed <= MAX_NEEDED:
        raise FieldError("needed", _("Must be between %(low)s and %(high)s.", low=1, high=MAX_NEEDED))
    shift = OpenShift(site_id=site.id, service_date=service_date, start_time=start, end_time=end,
                      role=ShiftRole(role), needed=needed, created_by_id=getattr(by, "id", None))
    db.session.add(shift)
    db.session.flush()
    audit.record("shift.publish", user=by, entity_type="open_shift", entity_id=shift.id)
    db.session.flush()
    return shift


def upcoming_shifts(site_id: int, today: date) -> list[OpenShift]:
    return list(db.session.scalars(
        sa.select(OpenShift).where(OpenShift.site_id == site_id, OpenShift.service_date >= today)
        .options(selectinload(OpenShift.signups).joinedload(ShiftSignup.worker))
        .order_by(OpenShift.service_date, OpenShift.start_time)))


# Volunteers: their phone page ----------------------------------------------------------

def worker_site_ids(worker: Worker) -> set[int]:
    """The sites a worker volunteers for: their home site and any site of their weekly shifts."""
    ids = {worker.home_site_id}
    ids.update(db.session.scalars(sa.select(WorkerShift.site_id).where(WorkerShift.worker_id == worker.id)))
    return ids


@dataclass(frozen=True)
class ShiftBoard:
    """What a volunteer's shift page shows."""

    offers: list[ShiftOffer]
    mine: list[OpenShift]
    open: list[OpenShift]


def board_for(worker: Worker, now: datetime) -> ShiftBoard:
    sites = worker_site_ids(worker)
    shifts = [s for s in db.session.scalars(
        sa.select(OpenShift).where(OpenShift.site_id.in_(sites),
                                   OpenShift.service_date >= (now - timedelta(days=1)).date())
        .options(selectinload(OpenShift.signups), selectinload(OpenShift.site))
        .order_by(OpenShift.service_date, OpenShift.start_time)) if start_dt(s) > now]
    mine = [s for s in shifts if any(x.worker_id == worker.id for x in s.active_signups)]
    offers = [o for o in db.session.scalars(
        sa.select(ShiftOffer).where(ShiftOffer.worker_id == worker.id, ShiftOffer.status == OfferStatus.OPEN)
        .options(selectinload(ShiftOffer.shift))) if start_dt(o.shift) > now]
    offered = {o.shift_id for o in offers}
    free = [s for s in shifts if s not in mine and s.id not in offered and s.free_places > 0]
    return ShiftBoard(offers=offers, mine=mine, open=free)


def _locked_shift(shift_id: int) -> OpenShift:
    shift = db.session.scalar(sa.select(OpenShift).where(OpenShift.id == shift_id).with_for_update())
    if shift is None:
        raise FieldError(None, _("This shift no longer exists."))
    db.session.refresh(shift)  # the signups as they are now, under the lock
    return shift


def _take_place(shift: OpenShift, worker: Worker, now: datetime) -> ShiftSignup:
    signup = next((s for s in shift.signups if s.worker_id == worker.id), None)
    if signup is not None and signup.status == SignupStatus.SIGNED_UP:
        return signup
    if shift.free_places <= 0:
        raise FieldError(None, _("This shift is already full."))
    if signup is None:
        signup = ShiftSignup(shift=shift, worker_id=worker.id, status=SignupStatus.SIGNED_UP, signed_up_dt=now)
        db.session.add(signup)
    else:
        signup.status, signup.signed_up_dt, signup.cancelled_dt = SignupStatus.SIGNED_UP, now, None
        signup.late_cancel, signup.reminded_dt = False, None
    db.session.flush()
    if shift.free_places <= 0:  # full now: offers still open for it are moot
        for offer in db.session.scalars(sa.select(ShiftOffer).where(ShiftOffer.shift_id == shift.id,
                                                                    ShiftOffer.status == OfferStatus.OPEN)):
            if offer.worker_id != worker.id:
                offer.status, offer.answered_dt = OfferStatus.TAKEN, now
    return signup


def _check_worker_may(shift: OpenShift, worker: Worker, now: datetime) -> None:
    if shift.site_id not in worker_site_ids(worker):
        raise FieldError(None, _("This shift no longer exists."))
    if start_dt(shift) <= now:
        raise FieldError(None, _("This shift has already started."))


def sign_up(shift_id: int, worker: Worker, *, now: datetime | None = None) -> ShiftSignup:
    """Take a free place on a shift at one of the worker's sites; one unit."""
    now = now or clock.now()
    shift = _locked_shift(shift_id)
    _check_worker_may(shift, worker, now)
    signup = _take_place(shift, worker, now)
    audit.record("shift.signup", user=worker.user_id, entity_type="open_shift", entity_id=shift.id)
    db.session.flush()
    return signup


def cancel(shift_id: int, worker: Worker, *, now: datetime | None = None) -> list[ShiftOffer]:
    """Give up a place. Later than the site's cutoff, the place is offered to substitutes; returns the offers."""
    now = now or clock.now()
    shift = _locked_shift(shift_id)
    _check_worker_may(shift, worker, now)
    signup = next((s for s in shift.active_signups if s.worker_id == worker.id), None)
    if signup is None:
        raise FieldError(None, _("You are not signed up for this shift."))
    signup.status, signup.cancelled_dt = SignupStatus.CANCELLED, now
    signup.late_cancel = is_late(shift, now)
    db.session.flush()
    offers = offer_substitutes(shift, now, exclude={worker.id}) if signup.late_cancel else []
    audit.record("shift.cancel", user=worker.user_id, entity_type="open_shift", entity_id=shift.id,
                 detail={"late": signup.late_cancel, "offers": len(offers)})
    db.session.flush()
    return offers


def route_knowers(site_id: int, *, before: date) -> dict[int, int]:
    """Worker id -> how often they served this site before ``before`` (routes driven, shifts worked)."""
    counts: dict[int, int] = {}
    routes = db.session.execute(
        sa.select(Route.worker_id, sa.func.count()).join(Plan, Plan.id == Route.plan_id)
        .where(Plan.site_id == site_id, Plan.service_date < before, Route.worker_id.is_not(None))
        .group_by(Route.worker_id))
    worked = db.session.execute(
        sa.select(ShiftSignup.worker_id, sa.func.count()).join(OpenShift, OpenShift.id == ShiftSignup.shift_id)
        .where(OpenShift.site_id == site_id, OpenShift.service_date < before,
               ShiftSignup.status == SignupStatus.SIGNED_UP)
        .group_by(ShiftSignup.worker_id))
    for worker_id, n in [*routes, *worked]:
        counts[worker_id] = counts.get(worker_id, 0) + n
    return counts


def offer_substitutes(shift: OpenShift, now: datetime, *, exclude: set[int]) -> list[ShiftOffer]:
    """Offer the freed place: first to those who know the route; to the site's other workers if nobody does."""
    taken = {s.worker_id for s in shift.active_signups} | exclude
    already = set(db.session.scalars(sa.select(ShiftOffer.worker_id).where(ShiftOffer.shift_id == shift.id)))
    knowers = route_knowers(shift.site_id, before=shift.service_date)
    active = {w.id: w for w in db.session.scalars(
        sa.select(Worker).where(Worker.is_active.is_(True), Worker.user_id.is_not(None),
                                sa.or_(Worker.id.in_(list(knowers)), Worker.home_site_id == shift.site_id)))}
    candidates = [i for i in active if i not in taken and i not in already]
    first = sorted((i for i in candidates if i in knowers), key=lambda i: (-knowers[i], i))
    wave, knows = (first, True) if first else (sorted(candidates), False)
    offers = []
    for worker_id in wave:
        offer = ShiftOffer(shift_id=shift.id, worker_id=worker_id, status=OfferStatus.OPEN, knows_route=knows,
                           offered_dt=now)
        db.session.add(offer)
        offers.append(offer)
    db.session.flush()
    users = [active[o.worker_id].user for o in offers]
    _notify(NotificationEvent.SHIFT_OFFER, users, shift)
    return offers


def accept_offer(offer_id: int, worker: Worker, *, now: datetime | None = None) -> ShiftSignup:
    """Take the offered place if it is still free (first to accept gets it); one unit."""
    now = now or clock.now()
    offer = db.session.get(ShiftOffer, offer_id)
    if offer is None or offer.worker_id != worker.id:
        raise FieldError(None, _("This offer does not exist."))
    shift = _locked_shift(offer.shift_id)
    db.session.refresh(offer)
    if offer.status != OfferStatus.OPEN:
        raise FieldError(None, _("Someone else has already taken this shift. Thank you all the same."))
    if start_dt(shift) <= now:
        raise FieldError(None, _("This shift has already started."))
    if shift.free_places <= 0:  # filled by a direct sign-up: _take_place marked the offer taken then
        raise FieldError(None, _("Someone else has already taken this shift. Thank you all the same."))
    signup = _take_place(shift, worker, now)
    offer.status, offer.answered_dt = OfferStatus.ACCEPTED, now
    audit.record("shift.offer_accept", user=worker.user_id, entity_type="open_shift", entity_id=shift.id)
    db.session.flush()
    return signup


# Reminders and notifications --------------------------------------------------------------

def _notify(event: NotificationEvent, users: list[User], shift: OpenShift) -> None:
    payload = {"shift_id": shift.id, "site_name": shift.site.name, "date": shift.service_date.isoformat(),
               "window_start": shift.start_time.strftime("%H:%M"), "window_end": shift.end_time.strftime("%H:%M"),
               "role": shift.role.value}
    add_rows(event, [u for u in users if u is not None], None, payload)


def send_reminders(*, now: datetime | None = None, hours: int = 24) -> int:
    """Queue a reminder for every volunteer whose shift starts within ``hours``; each once. Returns how many."""
    now = now or clock.now()
    signups = db.session.scalars(
        sa.select(ShiftSignup).join(OpenShift, OpenShift.id == ShiftSignup.shift_id)
        .where(ShiftSignup.status == SignupStatus.SIGNED_UP, ShiftSignup.reminded_dt.is_(None),
               OpenShift.service_date.between((now - timedelta(days=1)).date(),
                                              (now + timedelta(hours=hours, days=1)).date()))
        .options(selectinload(ShiftSignup.shift).selectinload(OpenShift.site),
                 selectinload(ShiftSignup.worker).selectinload(Worker.user))).all()
    sent = 0
    for signup in signups:
        starts = start_dt(signup.shift)
        if not now < starts <= now + timedelta(hours=hours):
            continue
        if signup.worker.user is not None:
            _notify(NotificationEvent.SHIFT_REMINDER, [signup.worker.user], signup.shift)
        signup.reminded_dt = now
        sent += 1
    db.session.flush()
    return sent


# Planning ------------------------------------------------------------------------------------

def signed_up_shifts(site_id: int, day: date) -> list[tuple[Worker, WorkerShift]]:
    """The volunteers signed up at ``site_id`` on ``day``, each with a one-off shift for the planner.

    The ``WorkerShift`` objects are transient (never added to the session): they only
    carry the times into ``planning_problem.shift_workers``.
    """
    rows = db.session.execute(
        sa.select(Worker, OpenShift).join(ShiftSignup, ShiftSignup.worker_id == Worker.id)
        .join(OpenShift, OpenShift.id == ShiftSignup.shift_id)
        .where(OpenShift.site_id == site_id, OpenShift.service_date == day, Worker.is_active.is_(True),
               ShiftSignup.status == SignupStatus.SIGNED_UP)
        .order_by(Worker.id, OpenShift.start_time)).all()
    return [(worker, WorkerShift(site_id=site_id, weekday=day.weekday(), start_time=shift.start_time,
                                 end_time=shift.end_time, break_minutes=0)) for worker, shift in rows]
