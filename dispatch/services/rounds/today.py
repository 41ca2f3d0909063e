"""Read models for the people outside the office: a worker's day and a family's view.

Both are read-only queries shaped for one page each. They never widen what a
user may see: the worker view starts from the worker's own routes, the family
view from the user's own ``FamilyLink`` rows (or one senior the caller has
already loaded through ``access.get_senior_or_404``). Times come back already
converted to the site's timezone, so templates only format them.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from dispatch.extensions import db
from dispatch.platform.labels import label  # noqa: F401  (kept importable from here: services/board.py, exports.py use it)
from dispatch.models.alert import AlertStatus, WelfareAlert
from dispatch.models.meals import MealEnrollment, MealHold, MealMode, MealOrder
from dispatch.models.plan import LIVE_STATUSES, Plan, PlanStatus, Route, Stop, StopKind
from dispatch.models.senior import FamilyLink, Senior
from dispatch.models.service_request import ServiceRequest
from dispatch.models.site import MealSite, MealType
from dispatch.models.worker import Worker, WorkerShift
from dispatch.platform import clock

# Plans a worker acts on. Drafts are still being edited by staff; closed plans are history.

Clock = Callable[[], datetime]


def tel_uri(phone: str | None) -> str | None:
    """A ``tel:`` link for a phone number as staff typed it (spaces, dashes), or None."""
    if not phone:
        return None
    digits = re.sub(r"[^0-9+]", "", phone)
    if digits.count("+") > 1 or "+" in digits[1:]:
        digits = digits.replace("+", "")
    return f"tel:{digits}" if re.search(r"[0-9]{3,}", digits) else None


# A worker's day -----------------------------------------------------------------

@dataclass(frozen=True)
class StopView:
    """One stop as the worker at the door needs it; times in the plan site's zone."""

    stop: Stop
    window_start: datetime
    window_end: datetime
    eta: datetime | None
    arrival: datetime | None

    @property
    def senior(self) -> Senior:
        return self.stop.senior

    @property
    def is_meal(self) -> bool:
        return self.stop.kind == StopKind.MEAL

    @property
    def tel(self) -> str | None:
        return tel_uri(self.senior.phone)

    @property
    def has_coordinates(self) -> bool:
        return self.senior.lat is not None and self.senior.lon is not None

    @property
    def geo_uri(self) -> str | None:
        """``geo:`` opens the phone's own map app (RFC 5870), with a label where supported."""
        if not self.has_coordinates:
            return None
        lat, lon = self.senior.lat, self.senior.lon
        return f"geo:{lat:.6f},{lon:.6f}?q={lat:.6f},{lon:.6f}({quote(self.senior.full_name)})"

    @property
    def osm_url(self) -> str | None:
        if not self.has_coordinates:
            return None
        lat, lon = self.senior.lat, self.senior.lon
        return f"https://www.openstreetmap.org/?mlat={lat:.6f}&mlon={lon:.6f}#map=18/{lat:.6f}/{lon:.6f}"

    @property
    def amap_url(self) -> str | None:
        """Amap (Gaode) marker; our coordinates are WGS-84, which Amap converts when told."""
        if not self.has_coordinates:
            return None
        query = urlencode({
            "position": f"{self.senior.lon:.6f},{self.senior.lat:.6f}",
            "name": self.senior.address_zh or self.senior.address,
            "coordinate": "wgs84",
            "callnative": "1",
            "src": "doorstep",
        })
        return f"https://uri.amap.com/marker?{query}"


@dataclass(frozen=True)
class RouteView:
    """One of the worker's routes today, from one published plan."""

    plan: Plan
    route: Route
    zone: tzinfo
    stops: list[StopView]
    start: datetime | None
    end: datetime | None

    @property
    def done_count(self) -> int:
        return sum(1 for s in self.stops if s.stop.outcome is not None)


@dataclass(frozen=True)
class ShiftView:
    shift: WorkerShift
    site: MealSite | None


@dataclass(frozen=True)
class WorkerDay:
    """What one worker does today: shifts, and routes of published plans."""

    worker: Worker
    day: date
    zone: tzinfo
    shifts: list[ShiftView]
    routes: list[RouteView] = field(default_factory=list)

    @property
    def has_route(self) -> bool:
        return bool(self.routes)


def _latest_versions(plans: list[Plan]) -> set[int]:
    """Ids of the newest plan version per (site, date, kind, meal): a re-plan replaces the old one."""
    newest: dict[tuple, Plan] = {}
    for plan in plans:
        key = (plan.site_id, plan.service_date, plan.kind, plan.meal)
        if key not in newest or plan.version_number > newest[key].version_number:
            newest[key] = plan
    return {plan.id for plan in newest.values()}


def worker_today(worker: Worker, *, now: Clock = clock.now) -> WorkerDay:
    """The worker's shifts today and their stops on today's published plans, in order.

    "Today" is the date at the worker's home site. Only routes assigned to this
    worker are loaded, so only seniors on them appear.
    """
    home_zone = clock.zone_of(worker.home_site)
    day = now().astimezone(home_zone).date()

    shifts = list(db.session.scalars(
        sa.select(WorkerShift)
        .where(WorkerShift.worker_id == worker.id, WorkerShift.weekday == day.weekday())
        .order_by(WorkerShift.start_time)
    ))
    site_ids = {s.site_id for s in shifts}
    sites = {s.id: s for s in db.session.scalars(sa.select(MealSite).where(MealSite.id.in_(site_ids)))} \
        if site_ids else {}

    routes = list(db.session.scalars(
        sa.select(Route)
        .join(Plan, Route.plan_id == Plan.id)
        .where(
            Route.worker_id == worker.id,
            Plan.service_date == day,
            Plan.status.in_(LIVE_STATUSES),
        )
        .options(
            joinedload(Route.plan).joinedload(Plan.site),
            selectinload(Route.stops).joinedload(Stop.senior),
            selectinload(Route.stops).joinedload(Stop.meal_order),
            selectinload(Route.stops).joinedload(Stop.service_request),
        )
    ).unique())
    current = _latest_versions([r.plan for r in routes])
    views = []
    for route in routes:
        if route.plan_id not in current:
            continue
        zone = clock.zone_of(route.plan.site)
        stops = [
            StopView(
                stop=s,
                window_start=s.window_start_dt.astimezone(zone),
                window_end=s.window_end_dt.astimezone(zone),
                eta=clock.local(s.eta_dt, zone),
                arrival=clock.local(s.arrival_dt, zone),
            )
            for s in sorted(route.stops, key=lambda s: s.position)
        ]
        start = clock.local(route.start_dt, zone) or (stops[0].eta or stops[0].window_start if stops else None)
        views.append(RouteView(plan=route.plan, route=route, zone=zone, stops=stops,
                               start=start, end=clock.local(route.end_dt, zone)))
    far_future = datetime.max.replace(tzinfo=ZoneInfo("UTC"))
    views.sort(key=lambda v: (v.start or far_future, v.plan.id))
    return WorkerDay(worker=worker, day=day, zone=home_zone,
                     shifts=[ShiftView(s, sites.get(s.site_id)) for s in shifts], routes=views)


# A family's view ------------------------------------------------------------------

@dataclass(frozen=True)
class RequestView:
    """A service request with what happened at the door, if the visit took place."""

    request: ServiceRequest
    stop: Stop | None
    outcome_at: datetime | None
    eta: tuple[datetime, datetime] | None = None  # site-local window the worker is expected in
    late: bool = False  # the planned time has passed and the visit has no outcome yet


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

    @property
    def held_today(self) -> bool:
        return any(h.covers(self.day) for h in self.holds)


ETA_SLACK = timedelta(minutes=15)


def eta_window(stop: Stop, zone: tzinfo) -> tuple[datetime, datetime]:
    """What to tell a family: the planned ETA give or take a quarter hour, else the stop's window.

    A family waits at the door for this, so a window (not a minute) is honest.
    """
    if stop.eta_dt is not None:
        return (stop.eta_dt - ETA_SLACK).astimezone(zone), (stop.eta_dt + ETA_SLACK).astimezone(zone)
    return stop.window_start_dt.astimezone(zone), stop.window_end_dt.astimezone(zone)


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
            .order_by(Plan.version_number, Stop.id)
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
                        late=r.id in stops_by_request and stops_by_request[r.id].is_late(moment))
            for r in requests
        ],
        open_alerts=alerts,
        meal_etas=meal_etas,
        late_orders=late_orders,
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

