"""The worker's day as their phone shows it: today's routes, stops in order, shifts.

A read-only query shaped for one page. It never widens what a worker may see: it starts from
the worker's own routes. Times come back already converted to the site's timezone, so templates
only format them. (The family's view of the same day is ``services.family.overview``.)
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from dispatch.extensions import db
from dispatch.models.plan import LIVE_STATUSES, Plan, Route, Stop, StopKind, TrunkDrop
from dispatch.models.senior import Senior
from dispatch.models.service_request import RequestStatus
from dispatch.models.site import MealSite
from dispatch.models.village import VillagePoint
from dispatch.models.worker import MapApp, Worker, WorkerShift
from dispatch.platform import clock
from dispatch.platform.links import tel_uri
from dispatch.services.safety.alerts import LIVES_ALONE_ALERTS

Clock = Callable[[], datetime]


# A worker's day -----------------------------------------------------------------

@dataclass(frozen=True)
class StopView:
    """One stop as the worker at the door needs it; times in the plan site's zone."""

    stop: Stop
    window_start: datetime
    window_end: datetime
    eta: datetime | None
    arrival: datetime | None
    n: int = 0  # the stop's number on its route, 1 first (kept when done stops move down the page)
    # The first stop of a load after the first: when the worker leaves the kitchen with it, in the site's zone.
    reload_departs: datetime | None = None

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

    def directions_url(self, app: MapApp) -> str | None:
        """The one directions link the page shows: into the map app the worker chose."""
        return {MapApp.OPENSTREETMAP: self.osm_url, MapApp.AMAP: self.amap_url, MapApp.PHONE: self.geo_uri}[app]

    @property
    def state(self) -> str:
        """Where the stop stands, for the actions the card offers: ``not_started``, ``on_the_way``
        (visits), ``checked_in`` (visits), ``done``."""
        s = self.stop
        if s.outcome is not None:
            return "done"
        if s.kind == StopKind.VISIT and s.arrival_dt is not None:
            return "checked_in"
        if s.service_request is not None and s.service_request.status == RequestStatus.EN_ROUTE:
            return "on_the_way"
        return "not_started"

    @property
    def needs_welfare_steps(self) -> bool:
        """A senior living alone was not found: the worker gets what to do next (staff were alerted)."""
        return self.senior.lives_alone and self.stop.outcome in LIVES_ALONE_ALERTS


@dataclass(frozen=True)
class DropView:
    """One village point on a car driver's trunk run: the batch to hand over there; times in the site's zone."""

    drop: TrunkDrop
    eta: datetime
    ready: datetime
    window_start: datetime
    window_end: datetime
    boxes_off_by: datetime | None  # the insulated hold limit, from the car leaving the kitchen
    n: int = 0
    handed_over: datetime | None = None  # when the driver handed the batch over (the server's clock)

    @property
    def point(self) -> VillagePoint:
        return self.drop.village_point

    def directions_url(self, app: MapApp) -> str:
        """The directions link into the map app the driver chose, as the meal stops have."""
        lat, lon = self.point.lat, self.point.lon
        if app == MapApp.AMAP:
            query = urlencode({"position": f"{lon:.6f},{lat:.6f}", "name": self.point.address_zh or self.point.address,
                               "coordinate": "wgs84", "callnative": "1", "src": "doorstep"})
            return f"https://uri.amap.com/marker?{query}"
        if app == MapApp.PHONE:
            return f"geo:{lat:.6f},{lon:.6f}?q={lat:.6f},{lon:.6f}({quote(self.point.name)})"
        return f"https://www.openstreetmap.org/?mlat={lat:.6f}&mlon={lon:.6f}#map=18/{lat:.6f}/{lon:.6f}"


@dataclass(frozen=True)
class RouteView:
    """One of the worker's routes today, from one published plan."""

    plan: Plan
    route: Route
    zone: tzinfo
    stops: list[StopView]
    start: datetime | None
    end: datetime | None
    # A county plan's trunk run (``models.village``): the village points the car supplies, in order.
    drops: list[DropView] = field(default_factory=list)
    # A village round: when its meals left the kitchen on the car (they are held from then), in the zone.
    held_from: datetime | None = None

    @property
    def done_count(self) -> int:
        return sum(1 for s in self.stops if s.stop.outcome is not None)

    @property
    def stops_next_first(self) -> list[StopView]:
        """Stops still to do in route order, then the done ones: the next stop is on top."""
        return [s for s in self.stops if s.stop.outcome is None] + [s for s in self.stops if s.stop.outcome is not None]


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
            selectinload(Route.drops).joinedload(TrunkDrop.village_point),
            joinedload(Route.village_point),
        )
    ).unique())
    current = _latest_versions([r.plan for r in routes])
    views = []
    for route in routes:
        if route.plan_id not in current:
            continue
        zone = clock.zone_of(route.plan.site)
        ordered = sorted(route.stops, key=lambda s: s.position)
        stops = [
            StopView(
                stop=s,
                window_start=s.window_start_dt.astimezone(zone),
                window_end=s.window_end_dt.astimezone(zone),
                eta=clock.local(s.eta_dt, zone),
                arrival=clock.local(s.arrival_dt, zone),
                n=i + 1,
                reload_departs=(clock.local(route.departure_of(s), zone)
                                if s.trip != (ordered[i - 1].trip if i else 0) else None),
            )
            for i, s in enumerate(ordered)
        ]
        start = clock.local(route.start_dt, zone) or (stops[0].eta or stops[0].window_start if stops else None)
        site = route.plan.site
        hold = timedelta(minutes=site.insulated_hold_minutes or site.hold_limit_minutes)
        drops = [
            DropView(drop=d, eta=d.eta_dt.astimezone(zone), ready=d.ready_dt.astimezone(zone),
                     window_start=d.window_start_dt.astimezone(zone), window_end=d.window_end_dt.astimezone(zone),
                     boxes_off_by=(route.start_dt + hold).astimezone(zone) if route.start_dt else None, n=i + 1,
                     handed_over=clock.local(d.handed_over_dt, zone))
            for i, d in enumerate(sorted(route.drops, key=lambda d: d.position))
        ]
        views.append(RouteView(plan=route.plan, route=route, zone=zone, stops=stops,
                               start=start, end=clock.local(route.end_dt, zone), drops=drops,
                               held_from=clock.local(route.held_from_dt, zone)))
    far_future = datetime.max.replace(tzinfo=ZoneInfo("UTC"))
    views.sort(key=lambda v: (v.start or far_future, v.plan.id))
    return WorkerDay(worker=worker, day=day, zone=home_zone,
                     shifts=[ShiftView(s, sites.get(s.site_id)) for s in shifts], routes=views)
