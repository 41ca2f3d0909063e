"""What a family member sees of a linked senior: coming meals and visits, when help comes, what happened.

A read-only query shaped for the family pages. It never widens what a user may see: it starts
from the user's own ``FamilyLink`` rows (or one senior the caller has already loaded through
``access.get_senior_or_404``). Times come back converted to the site's timezone.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from dispatch.extensions import db
from dispatch.models.alert import AlertStatus, WelfareAlert
from dispatch.models.meals import MealEnrollment, MealHold, MealMode, MealOrder
from dispatch.models.plan import LIVE_STATUSES, Plan, PlanStatus, Route, Stop
from dispatch.models.senior import FamilyLink, Senior
from dispatch.models.service_request import RequestStatus, ServiceRequest
from dispatch.models.site import MealType
from dispatch.platform import clock
from dispatch.services.family import welfare_visits

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class RequestView:
    """A service request with what happened at the door, if the visit took place."""

    request: ServiceRequest
    stop: Stop | None
    outcome_at: datetime | None
    eta: tuple[datetime, datetime] | None = None  # site-local window the worker is expected in
    late: bool = False  # the planned time has passed and the visit has no outcome yet
    away: bool = False  # the senior is away that day (an away pause): the visit is not planned


@dataclass(frozen=True)
class ComingMeal:
    """A meal of the coming days as a family should see it.

    Sites make each day's orders only shortly before the day, so the orders
    alone told a family with a standing enrollment "no meals coming". A meal
    the enrollment will order is shown as booked (``order`` None), and one a
    pause covers as paused.
    """

    service_date: date
    meal: MealType
    mode: MealMode
    order: MealOrder | None = None
    paused: bool = False


def coming_meals(senior: Senior, enrollments: list[MealEnrollment], orders: list[MealOrder],
                 holds: list[MealHold], days: list[date]) -> list[ComingMeal]:
    """Orders on ``days``, and where none exists yet the meal each enrollment asks for (as orders.generate does)."""
    ordered = {(o.service_date, o.meal): o for o in orders if o.service_date in days}
    coming = [ComingMeal(o.service_date, o.meal, o.mode, order=o) for o in ordered.values()]
    if senior.is_active:
        for day in days:
            paused = any(h.covers(day) for h in holds)
            for e in enrollments:
                if e.applies_on(day) and (day, e.meal) not in ordered:
                    ordered[(day, e.meal)] = None  # overlapping enrollments still make one meal
                    coming.append(ComingMeal(day, e.meal, e.mode, paused=paused))
    meals = list(MealType)
    return sorted(coming, key=lambda c: (c.service_date, meals.index(c.meal)))


@dataclass(frozen=True)
class SeniorOverview:
    """What a family member may know about one linked senior.

    Deliberately leaves out staff-only facts: subsidy categories, access notes,
    audit records and other seniors on the same routes.
    """

    senior: Senior
    relation: str | None
    day: date
    zone: tzinfo
    enrollments: list[MealEnrollment]
    coming_meals: list[ComingMeal]
    recent_orders: list[MealOrder]
    holds: list[MealHold]
    requests: list[RequestView]
    open_alerts: list[WelfareAlert]
    meal_etas: dict[int, tuple[datetime, datetime]] = field(default_factory=dict)  # order id -> window
    # Orders whose planned time has passed with no outcome yet: the family is told, not left at the door.
    late_orders: set[int] = field(default_factory=set)
    # The last welfare visit (探访), as the family may read it (``family.welfare_visits``).
    last_visit: welfare_visits.LastVisit | None = None

    @property
    def held_today(self) -> bool:
        return any(h.covers(self.day) for h in self.holds)


ETA_SLACK = timedelta(minutes=15)
# A visit in one of these may still be planned; on an away day it is not (as ``care.away`` leaves it out).
NOT_YET_VISITED = (RequestStatus.REQUESTED, RequestStatus.APPROVED, RequestStatus.SCHEDULED)


def eta_window(stop: Stop, zone: tzinfo) -> tuple[datetime, datetime]:
    """What to tell a family: the planned ETA give or take a quarter hour, kept inside the stop's window.

    A family waits at the door for this, so a band (not a minute) is honest. The
    planned time is when service starts, which the plan keeps inside the requested
    window (a worker who comes early waits), so the band never starts before the
    window opens nor, for a service planned in time, ends after it closes: a visit
    asked for 09:00-11:00 and planned at 09:01 reads "09:00-09:16", not "08:46-09:16".
    Without an ETA it is the stop's window.
    """
    opens, closes = stop.window_start_dt, stop.window_end_dt
    if stop.eta_dt is None:
        return opens.astimezone(zone), closes.astimezone(zone)
    start, end = max(stop.eta_dt - ETA_SLACK, opens), stop.eta_dt + ETA_SLACK
    if stop.eta_dt <= closes:
        end = min(end, closes)
    return start.astimezone(zone), max(start, end).astimezone(zone)


def senior_overview(
    senior: Senior,
    *,
    relation: str | None = None,
    now: Clock = clock.now,
    upcoming_days: int = 7,
    history_days: int = 14,
) -> SeniorOverview:
    """Meals, holds, requests and open alerts of one senior the caller may already see.

    The caller authorises (``access.get_senior_or_404`` or the user's own links);
    this only reads. Upcoming covers today and the next ``upcoming_days - 1``
    days; history reaches ``history_days`` back.
    """
    zone = clock.zone_of(senior.home_site)
    moment = now()
    day = moment.astimezone(zone).date()
    until = day + timedelta(days=upcoming_days - 1)
    since = day - timedelta(days=history_days)

    enrollments = list(db.session.scalars(
        sa.select(MealEnrollment)
        .where(
            MealEnrollment.senior_id == senior.id,
            MealEnrollment.is_active.is_(True),
            sa.or_(MealEnrollment.end_date.is_(None), MealEnrollment.end_date >= day),
        )
        .options(joinedload(MealEnrollment.site))
        .order_by(MealEnrollment.meal, MealEnrollment.start_date)
    ))
    orders = list(db.session.scalars(
        sa.select(MealOrder)
        .where(MealOrder.senior_id == senior.id, MealOrder.service_date.between(since, until))
        .order_by(MealOrder.service_date, MealOrder.meal)
    ))
    holds = list(db.session.scalars(
        sa.select(MealHold)
        .where(MealHold.senior_id == senior.id, MealHold.end_date >= day)
        .order_by(MealHold.start_date)
    ))
    requests = list(db.session.scalars(
        sa.select(ServiceRequest)
        .where(ServiceRequest.senior_id == senior.id, ServiceRequest.requested_date >= since)
        .order_by(ServiceRequest.requested_date.desc(), ServiceRequest.window_start.desc())
    ))
    stops_by_request: dict[int, Stop] = {}
    if requests:
        for stop in db.session.scalars(
            sa.select(Stop)
            .join(Route, Stop.route_id == Route.id)
            .join(Plan, Route.plan_id == Plan.id)
            .where(
                Stop.service_request_id.in_([r.id for r in requests]),
                Plan.status != PlanStatus.DRAFT,  # a draft visit has not happened and may not
            )
            # Published last, told last: a re-plan's newer version, or the day plan that superseded the visits plan.
            .order_by(Plan.published_dt, Plan.version_number, Stop.id)
        ):
            # The newest plan version's stop (or one with an outcome) tells the story.
            previous = stops_by_request.get(stop.service_request_id)
            if previous is None or stop.outcome is not None or previous.outcome is None:
                stops_by_request[stop.service_request_id] = stop
    meal_etas: dict[int, tuple[datetime, datetime]] = {}
    late_orders: set[int] = set()
    upcoming_ids = [o.id for o in orders if o.service_date >= day]
    if upcoming_ids:
        for stop in db.session.scalars(
            sa.select(Stop).join(Route, Stop.route_id == Route.id).join(Plan, Route.plan_id == Plan.id)
            .where(Stop.meal_order_id.in_(upcoming_ids), Plan.status.in_(LIVE_STATUSES))
            .order_by(Plan.version_number, Stop.id)
        ):
            meal_etas[stop.meal_order_id] = eta_window(stop, zone)
            if stop.is_late(moment):
                late_orders.add(stop.meal_order_id)
            else:
                late_orders.discard(stop.meal_order_id)
    alerts = list(db.session.scalars(
        sa.select(WelfareAlert)
        .where(WelfareAlert.senior_id == senior.id, WelfareAlert.status != AlertStatus.RESOLVED)
        .order_by(WelfareAlert.raised_dt.desc())
    ))
    hidden_alerts = welfare_visits.confidential_alert_ids(senior.id)
    alerts = [a for a in alerts if a.id not in hidden_alerts]
    return SeniorOverview(
        senior=senior,
        relation=relation,
        day=day,
        zone=zone,
        enrollments=enrollments,
        coming_meals=coming_meals(senior, enrollments, orders, holds,
                                  [day + timedelta(days=k) for k in range(upcoming_days)]),
        recent_orders=[o for o in reversed(orders) if o.service_date < day],
        holds=holds,
        requests=[
            RequestView(request=r, stop=stops_by_request.get(r.id),
                        outcome_at=clock.local(getattr(stops_by_request.get(r.id), "outcome_dt", None), zone),
                        eta=eta_window(stops_by_request[r.id], zone) if r.id in stops_by_request else None,
                        late=r.id in stops_by_request and stops_by_request[r.id].is_late(moment),
                        away=r.status in NOT_YET_VISITED and any(h.away and h.covers(r.requested_date) for h in holds))
            for r in requests
        ],
        open_alerts=alerts,
        meal_etas=meal_etas,
        late_orders=late_orders,
        last_visit=welfare_visits.last_visit(senior.id, zone),
    )


def linked_seniors(user) -> list[tuple[Senior, str]]:
    """The seniors ``user`` is linked to as family, with the relation, by name."""
    rows = db.session.execute(
        sa.select(Senior, FamilyLink.relation)
        .join(FamilyLink, FamilyLink.senior_id == Senior.id)
        .where(FamilyLink.user_id == user.id)
        .options(joinedload(Senior.home_site))
        .order_by(Senior.full_name, Senior.id)
    )
    return [(senior, relation) for senior, relation in rows]


def family_overview(user, *, now: Clock = clock.now) -> list[SeniorOverview]:
    """One overview per senior linked to ``user`` (a handful, so one query set each)."""
    return [senior_overview(senior, relation=relation, now=now) for senior, relation in linked_seniors(user)]


def relation_of(user, senior: Senior) -> str | None:
    """How ``user`` is related to ``senior`` (their FamilyLink), if linked."""
    return db.session.scalar(
        sa.select(FamilyLink.relation).where(FamilyLink.user_id == user.id, FamilyLink.senior_id == senior.id)
    )

