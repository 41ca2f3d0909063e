"""Route sheets, GPX and iCalendar: a plan taken off the screen, onto paper, satnavs and calendars.

Everything here is personal data leaving Doorstep (names, addresses, phones),
so each export is written to the audit trail (``plan.export``) in the same
transaction that hands it out. Times on sheets are in the site's timezone;
iCalendar carries UTC (``Z``) so every calendar program agrees.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from xml.sax.saxutils import escape, quoteattr

import icalendar
import sqlalchemy as sa
from icalendar.parser import Contentline
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.exceptions import NotFound

from dispatch.extensions import db
from dispatch.models.plan import Plan, Route, Stop, StopKind, TrunkDrop
from dispatch.models.senior import Senior
from dispatch.platform import audit, clock
from dispatch.platform.access import get_site_or_404
from dispatch.platform.labels import label
from dispatch.platform.validation import is_id
from dispatch.services.meals.kitchen import allergy_items
from dispatch.services.planning.view import drop_rows

PRODID = "-//Doorstep//Route plans//EN"


# Loading ----------------------------------------------------------------------

def load_plan_routes(plan: Plan, *, worker_id: int | None = None) -> list[Route]:
    """The plan's routes with workers, stops, seniors (and their contacts) and subjects, in order."""
    query = (
        sa.select(Route).where(Route.plan_id == plan.id).order_by(Route.position)
        .options(
            joinedload(Route.worker),
            selectinload(Route.stops).joinedload(Stop.senior).selectinload(Senior.contacts),
            selectinload(Route.stops).joinedload(Stop.meal_order),
            selectinload(Route.stops).joinedload(Stop.service_request),
            selectinload(Route.drops).joinedload(TrunkDrop.village_point),
            joinedload(Route.village_point),
        )
    )
    if worker_id is not None:
        query = query.where(Route.worker_id == worker_id)
    return list(db.session.scalars(query).unique())


def get_route_or_404(route_id: int, for_user) -> Route:
    """A route whose plan's site ``for_user`` may see, else 404."""
    route = db.session.get(Route, route_id) if is_id(route_id) else None
    if route is None:
        raise NotFound()
    get_site_or_404(route.plan.site_id, for_user)
    return route


def get_plan_or_404(plan_id: int, for_user) -> Plan:
    plan = db.session.get(Plan, plan_id) if is_id(plan_id) else None
    if plan is None:
        raise NotFound()
    get_site_or_404(plan.site_id, for_user)
    return plan


def record_export(plan: Plan, fmt: str, *, by, route: Route | None = None, worker_id: int | None = None) -> None:
    """Write ``plan.export`` (format, route or worker; never the data itself) (the edge commits)."""
    detail: dict = {"format": fmt}
    if route is not None:
        detail["route_id"] = route.id
    if worker_id is not None:
        detail["worker_id"] = worker_id
    audit.record("plan.export", user=by, entity_type="plan", entity_id=plan.id, detail=detail)
    db.session.flush()


# Route sheets -----------------------------------------------------------------

@dataclass(frozen=True)
class SheetStop:
    """One printed line of a route sheet; times already in the site's zone."""

    number: int
    stop: Stop
    eta: datetime | None
    window_start: datetime
    window_end: datetime

    @property
    def senior(self) -> Senior:
        return self.stop.senior

    @property
    def contact(self):
        return self.senior.contacts[0] if self.senior.contacts else None

    @property
    def diet_label(self) -> str:
        order = self.stop.meal_order
        return label(order.diet if order is not None else self.senior.diet)

    @property
    def allergens(self) -> list[str]:
        return allergy_items(self.senior.allergies)

    @property
    def service_label(self) -> str | None:
        request = self.stop.service_request
        return label(request.service_type) if request is not None else None

    @property
    def duration_minutes(self) -> int | None:
        request = self.stop.service_request
        return request.duration_minutes if request is not None else None


@dataclass(frozen=True)
class RouteSheet:
    route: Route
    number: int
    stops: list[SheetStop]
    start: datetime | None
    end: datetime | None
    drops: list = field(default_factory=list)  # a county plan's trunk run: ``view.DropRow`` per village point
    held_from: datetime | None = None  # a village round: when its meals left the kitchen in the car

    @property
    def meal_count(self) -> int:
        return sum(1 for s in self.stops if s.stop.kind == StopKind.MEAL)

    @property
    def visit_count(self) -> int:
        return sum(1 for s in self.stops if s.stop.kind == StopKind.VISIT)

    @property
    def distance_km(self) -> float:
        return round(self.route.distance_m / 1000, 1)

    @property
    def travel_minutes(self) -> int:
        return round(self.route.travel_seconds / 60)


def route_sheets(plan: Plan) -> tuple[tzinfo, list[RouteSheet]]:
    """One sheet per route of ``plan``, stops in driving order, times in the site's zone."""
    zone = clock.zone_of(plan.site)
    sheets = []
    for number, route in enumerate(load_plan_routes(plan), start=1):
        stops = [
            SheetStop(i, s, clock.local(s.eta_dt, zone), s.window_start_dt.astimezone(zone),
                      s.window_end_dt.astimezone(zone))
            for i, s in enumerate(sorted(route.stops, key=lambda s: s.position), start=1)
        ]
        county = {}
        if route.leg is not None:  # a county plan: the trunk run's drops, the rounds' insulated limit
            limit = (plan.site.insulated_hold_minutes or plan.site.hold_limit_minutes) * 60
            county = {"drops": drop_rows(route, zone, limit),
                      "held_from": clock.local(route.held_from_dt, zone) if route.held_from_dt else None}
        sheets.append(RouteSheet(route, number, stops, clock.local(route.start_dt, zone),
                                 clock.local(route.end_dt, zone), **county))
    return zone, sheets


# GPX ----------------------------------------------------------------------------

def route_gpx(route: Route, *, stops: list[Stop] | None = None) -> str:
    """The route as GPX 1.1: the site, each stop with coordinates in order, back to the site.

    Stops whose senior has no coordinates cannot be placed and are left out
    (the sheet still lists them).
    """
    plan = route.plan
    site = plan.site
    ordered = sorted(stops if stops is not None else route.stops, key=lambda s: s.position)
    title = f"{site.name} {plan.service_date.isoformat()} {label(plan.meal) if plan.meal else label(plan.kind)}"
    points = [(site.lat, site.lon, site.name, None)]
    for number, stop in enumerate(ordered, start=1):
        senior = stop.senior
        if senior.lat is None or senior.lon is None:
            continue
        points.append((senior.lat, senior.lon, f"{number}. {senior.full_name}", senior.address))
    points.append((site.lat, site.lon, site.name, None))

    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<gpx version="1.1" creator="Doorstep" xmlns="http://www.topografix.com/GPX/1/1">',
        f"  <metadata><name>{escape(title)}</name></metadata>",
        "  <rte>",
        f"    <name>{escape(f'{title} · {route.worker.full_name}')}</name>",
    ]
    for lat, lon, name, desc in points:
        desc_xml = f"<desc>{escape(desc)}</desc>" if desc else ""
        lines.append(f"    <rtept lat={quoteattr(f'{lat:.6f}')} lon={quoteattr(f'{lon:.6f}')}>"
                     f"<name>{escape(name)}</name>{desc_xml}</rtept>")
    lines += ["  </rte>", "</gpx>", ""]
    return "\n".join(lines)


# iCalendar (RFC 5545) -------------------------------------------------------------

def ical_escape(text: str) -> str:
    """TEXT value escaping (RFC 5545 3.3.11), as ``icalendar`` writes it."""
    return icalendar.vText(text).to_ical().decode("utf-8")


def ical_fold(line: str) -> str:
    """A content line folded at 75 octets (RFC 5545 3.1), as ``icalendar`` folds it."""
    return Contentline(line).to_ical().decode("utf-8")


def _event(stop: Stop, route: Route, plan: Plan, *, host: str, stamp: datetime) -> icalendar.Event:
    senior = stop.senior
    request = stop.service_request
    start = stop.eta_dt or stop.window_start_dt
    # A visit lasts its requested duration; anything else blocks its window's length.
    length = timedelta(minutes=request.duration_minutes) if request is not None else (
        stop.window_end_dt - stop.window_start_dt)
    end = start + length
    service = label(request.service_type) if request is not None else label(stop.kind)
    description = [f"{route.worker.full_name}"]
    if senior.phone:
        description.append(senior.phone)
    if senior.access_notes:
        description.append(senior.access_notes)
    if request is not None and request.notes:
        description.append(request.notes)
    event = icalendar.Event()
    event.add("uid", f"stop-{stop.id}-plan-{plan.id}@{host}")
    event.add("dtstamp", stamp.astimezone(timezone.utc))
    event.add("dtstart", start.astimezone(timezone.utc))
    event.add("dtend", end.astimezone(timezone.utc))
    event.add("summary", f"{service}: {senior.full_name}")
    event.add("location", senior.address)
    if senior.lat is not None:
        event.add("geo", (round(senior.lat, 6), round(senior.lon, 6)))
    event.add("description", "\n".join(description))
    return event


def visits_ics(plan: Plan, routes: list[Route], *, host: str = "doorstep", now=clock.now) -> str:
    """The visit stops of ``routes`` as one VCALENDAR (built with ``icalendar``: CRLF line ends, folded lines)."""
    stamp = now()
    calendar = icalendar.Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", PRODID)
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"{plan.site.name} {plan.service_date.isoformat()}")
    for route in routes:
        for stop in sorted(route.stops, key=lambda s: s.position):
            if stop.kind == StopKind.VISIT:
                calendar.add_component(_event(stop, route, plan, host=host, stamp=stamp))
    return calendar.to_ical().decode("utf-8")
