"""The plan review page as data: routes with local ETAs and flags, unassigned stops, the map.

Read-only and built from stored rows only (no solver, no matrix), so a
300-stop plan renders quickly; rule checks were stored in the summary when
the plan was last saved.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from dispatch.extensions import db
from dispatch.models.plan import Plan, PlanKind, RouteLeg, Stop, StopKind
from dispatch.models.senior import Senior
from dispatch.models.site import MealType
from dispatch.platform import clock
from dispatch.platform.datefmt import time_text
from dispatch.platform.labels import label, shown_name
from dispatch.platform.maps import tile_spec
from dispatch.services.planning.live import HOLD_PASSED, WINDOW_PASSED
from dispatch.services.planning.problem import meal_key, visit_key

REASONS = {
    "NO_SKILL": _l("No worker on shift has the required skill."),
    "NO_KITCHEN_WORKER": _l("No worker on shift leaves from this kitchen."),
    "OUTSIDE_SHIFTS": _l("Outside every eligible worker's shift."),
    "CAPACITY": _l("More than any eligible worker can carry."),
    "WINDOW_UNREACHABLE": _l("The time window cannot be reached in time, even directly."),
    "HOLD_LIMIT": _l("A hot meal cannot reach the door within the hold limit, even directly."),
    "PIN": _l("Locked to a worker who cannot serve it."),
    "NO_ROOM": _l("No room left on any route (workers' capacity or time)."),
    "NO_LOCATION": _l("The address has no map position; correct it on the senior's page."),
    "REMOVED_BY_STAFF": _l("Taken off the routes by staff."),
    "WINDOW_PASSED": _l("Its time window ended before this plan was made: it can no longer be served on time."),
    "HOLD_PASSED": _l("Its hold limit ended before this plan was made: the meal is no longer safe to promise."),
    "NO_POINT": _l("The senior has no village point of this kitchen: set one on the senior's page."),
    "NO_VOLUNTEER": _l("No volunteer of the senior's village point is on shift to walk the meal."),
    "NO_TABLE": _l("Seniors do not dine at this village point: change the enrollment to delivery or the point."),
}
JOB_STATES = {
    "queued": _l("Waiting for a planning worker…"),
    "running": _l("Solving…"),
    "done": _l("Planned."),
    "failed": _l("Planning failed."),
}


@dataclass
class StopRow:
    stop: Stop
    key: str
    senior: Senior
    eta: datetime | None
    window_start: datetime
    window_end: datetime
    load: int | None
    late: bool
    hold_exceeded: bool
    served: bool
    # The first stop of a load after the first: the worker is back at the kitchen and leaves again then.
    reload_departs: datetime | None = None


@dataclass
class RouteRow:
    route: Any
    start: datetime | None
    end: datetime | None
    stops: list[StopRow]
    meals: int
    travel_minutes: int
    work_minutes: int
    flagged: int = 0
    colour: str = ""  # the route's colour class on the map and in the routes table
    # Each load with meals in it: (load number from 1, the meal it carries, when it leaves, how many meals).
    loads: list[tuple[int, Any, datetime | None, int]] = field(default_factory=list)
    visits: int = 0
    drops: list[DropRow] = field(default_factory=list)  # a county plan's trunk run: its village points

    @property
    def leg(self) -> str | None:
        return self.route.leg.value if self.route.leg else None

    @property
    def leg_text(self) -> str:
        """What kind of route this is, in words (a county plan's routes are told apart by more than colour)."""
        if self.leg == RouteLeg.TRUNK:
            return _("Trunk run")
        if self.leg == RouteLeg.LAST_MILE:
            return _("Village round from %(point)s", point=shown_name(self.route.village_point))
        return ""


@dataclass
class DropRow:
    """One village point's batch on a trunk run: the car there, the boxes off, within the insulated limit or not."""

    drop: Any
    eta: datetime
    ready: datetime
    window_start: datetime
    window_end: datetime
    minutes: int  # from the car leaving the kitchen to the boxes handed over
    within: bool


def route_work_seconds(route) -> int:
    """A route's working time: from leaving to getting back, less its break (a rest, or the unpaid gap
    between a worker's lunch and dinner blocks in a day plan, is not work)."""
    if not route.start_dt or not route.end_dt:
        return 0
    return max(0, int((route.end_dt - route.start_dt).total_seconds()) - 60 * (route.break_minutes or 0))


@dataclass
class Apart:
    """The day's separate plans beside a day plan, so staff see what planning the day at once gained."""
    plans: list[Plan]
    missing: list[str]  # the day's windows with no separate plan (their stops are not in the totals)
    distance_m: int
    travel_seconds: int
    work_seconds: int
    stops: int


def planned_apart(plan: Plan) -> Apart | None:
    """The newest solved version of each separate plan (every meal window, the visits) of the day plan's site
    and date, with their figures summed; None for a plan that is not a day plan or a day with none."""
    if plan.kind != PlanKind.DAY:
        return None
    newest: dict[tuple, Plan] = {}
    for other in db.session.scalars(
        sa.select(Plan).where(Plan.site_id == plan.site_id, Plan.service_date == plan.service_date,
                              Plan.kind != PlanKind.DAY).order_by(Plan.version_number)
    ):
        if (other.summary or {}).get("figures") is not None:
            newest[(other.kind, other.meal)] = other
    if not newest:
        return None
    parts = [(PlanKind.MEALS, m) for m in MealType if plan.site.window_for(m) is not None] + [(PlanKind.VISITS, None)]
    plans = [newest[p] for p in parts if p in newest]
    figures = [(p.summary or {})["figures"] for p in plans]
    missing = [label(meal) if kind == PlanKind.MEALS else _("visits") for kind, meal in parts if (kind, meal) not in newest]
    return Apart(plans, missing, sum(f.get("distance_m", 0) for f in figures),
                 sum(f.get("travel_seconds", 0) for f in figures), sum(f.get("work_seconds", 0) for f in figures),
                 sum(f.get("stops", 0) for f in figures))


@dataclass
class PlanView:
    plan: Plan
    zone: Any
    routes: list[RouteRow]
    unassigned: list[dict[str, Any]]
    figures: dict[str, Any]
    violations: list[dict[str, Any]]
    workers: list[dict[str, str]]
    map_spec: dict[str, Any] = field(default_factory=dict)
    apart: Apart | None = None


def plan_view(plan: Plan) -> PlanView:
    zone = clock.zone_of(plan.site)
    summary = plan.summary or {}
    hold = plan.site.hold_limit_minutes * 60
    insulated = (plan.site.insulated_hold_minutes or plan.site.hold_limit_minutes) * 60
    routes = []
    for route in plan.routes:
        limit = insulated if route.leg is not None else hold
        stops = sorted(route.stops, key=lambda s: s.position)
        meals = sum(1 for s in stops if s.kind == StopKind.MEAL)
        per_trip: dict[int, int] = {}
        for s in stops:
            per_trip[s.trip] = per_trip.get(s.trip, 0) + (s.kind == StopKind.MEAL)
        left, trip = per_trip.get(0, 0), 0
        rows = []
        for s in stops:
            reloaded = None
            if s.trip != trip:  # back at the kitchen: the box is full again
                trip, left = s.trip, per_trip[s.trip]
                departs = route.departure_of(s)
                reloaded = departs.astimezone(zone) if departs else None
            late = s.eta_dt is not None and s.eta_dt > s.window_end_dt
            left_kitchen = route.departure_of(s)
            held = (s.kind == StopKind.MEAL and s.eta_dt is not None and left_kitchen is not None
                    and (s.eta_dt - left_kitchen).total_seconds() > limit)
            rows.append(StopRow(
                stop=s, key=meal_key(s.meal_order_id) if s.kind == StopKind.MEAL else visit_key(s.service_request_id),
                senior=s.senior, eta=s.eta_dt.astimezone(zone) if s.eta_dt else None,
                window_start=s.window_start_dt.astimezone(zone), window_end=s.window_end_dt.astimezone(zone),
                load=left if s.kind == StopKind.MEAL else None, late=late, hold_exceeded=held,
                served=s.outcome is not None or s.arrival_dt is not None, reload_departs=reloaded))
            if s.kind == StopKind.MEAL:
                left -= 1
        loads = []
        for trip_no in sorted({s.trip for s in stops if s.kind == StopKind.MEAL}):
            on_load = [s for s in stops if s.kind == StopKind.MEAL and s.trip == trip_no]
            meal = on_load[0].meal_order.meal if on_load[0].meal_order is not None else None
            leaves = route.departure_of(on_load[0])
            loads.append((trip_no + 1, meal, leaves.astimezone(zone) if leaves else None, len(on_load)))
        work = route_work_seconds(route)
        routes.append(RouteRow(route, route.start_dt.astimezone(zone) if route.start_dt else None,
                               route.end_dt.astimezone(zone) if route.end_dt else None, rows, meals,
                               route.travel_seconds // 60, work // 60,
                               sum(1 for r in rows if r.late or r.hold_exceeded), route_colour_class(len(routes)),
                               loads, sum(1 for s in stops if s.kind == StopKind.VISIT), drop_rows(route, zone, insulated)))
        routes[-1].flagged += sum(1 for d in routes[-1].drops if not d.within)
    unassigned = _unassigned_rows(summary.get("unassigned", []), zone)
    view = PlanView(plan, zone, routes, unassigned, summary.get("figures", {}), summary.get("violations", []),
                    summary.get("workers", []))
    view.map_spec = _map_spec(plan, routes, unassigned)
    view.apart = planned_apart(plan)
    return view


def drop_rows(route, zone, limit: int) -> list[DropRow]:
    """A trunk run's drops with local times and whether each batch is off the car within ``limit`` seconds."""
    out = []
    for d in sorted(route.drops, key=lambda d: d.position):
        minutes = int((d.ready_dt - route.start_dt).total_seconds()) if route.start_dt else 0
        out.append(DropRow(d, d.eta_dt.astimezone(zone), d.ready_dt.astimezone(zone), d.window_start_dt.astimezone(zone),
                           d.window_end_dt.astimezone(zone), minutes // 60, minutes <= limit))
    return out


def _passed_text(u: dict[str, Any], zone) -> str | None:
    """Why a stop of a day under way is off the routes, with the times that decided it."""
    if u.get("reason") not in (WINDOW_PASSED, HOLD_PASSED) or not u.get("closed"):
        return None
    closed = time_text(datetime.fromisoformat(u["closed"]), zone)
    made = time_text(datetime.fromisoformat(u["now"]), zone) if u.get("now") else "?"
    if u["reason"] == HOLD_PASSED:
        return _("The meal left the kitchen with a worker who is already out; its hold limit ended at %(closed)s, "
                 "before this plan was made (%(now)s). Serve it late only after checking it is still safe.",
                 closed=closed, now=made)
    return _("Its time window ended at %(closed)s, before this plan was made (%(now)s): it can no longer be "
             "served on time. Call the senior or serve it late by hand.", closed=closed, now=made)


def _unassigned_rows(items: list[dict[str, Any]], zone) -> list[dict[str, Any]]:
    senior_ids = {u.get("senior_id") for u in items if u.get("senior_id")}
    seniors = {s.id: s for s in db.session.scalars(sa.select(Senior).where(Senior.id.in_(senior_ids)))}
    return [{**u, "senior": seniors.get(u.get("senior_id")),
             "reason_text": _passed_text(u, zone) or REASONS.get(u.get("reason"), u.get("message", ""))}
            for u in items]


ROUTE_COLOURS = 8  # map.css has .map-route-0 … -7 (the Okabe-Ito palette)


def route_colour_class(index: int) -> str:
    """The CSS class that gives route ``index`` (0-based) its colour on the map and in the routes table."""
    return f"map-route-{index % ROUTE_COLOURS}"


def _map_spec(plan: Plan, routes: list[RouteRow], unassigned: list[dict[str, Any]]) -> dict[str, Any]:
    """Map data for map.js: the kitchen, each route's line and numbered stops in the route's colour.

    Colour comes from CSS classes (not inline colours), so the page keeps a strict
    CSP and one stylesheet owns the palette; late and unassigned stops also get a
    shape class and a word in their popup, so colour is never the only cue.
    """
    site = plan.site
    depot = [site.lat, site.lon]
    layers = [{"type": "markers", "name": str(_l("Kitchen")), "style": {"marker": "symbol"},
               "items": [{"lat": site.lat, "lon": site.lon, "label": shown_name(site), "symbol": "\u2302",
                          "className": "map-marker--kitchen"}]}]
    lines, markers = [], []
    trunk_lines, round_lines, village = [], [], {}
    late_word = str(_l("Late"))
    for i, row in enumerate(routes):
        colour = route_colour_class(i)
        name = shown_name(row.route.worker)
        group = str(row.route.id)
        if row.leg == RouteLeg.TRUNK:
            # A county plan's trunk run: the kitchen to its village points, a thick solid line, labelled.
            stops = [[d.drop.village_point.lat, d.drop.village_point.lon] for d in row.drops]
            trunk_lines.append({"points": [depot, *stops], "label": f"{row.leg_text} · {name}", "group": group,
                                "className": f"map-line map-line--trunk {colour}"})
            for n, d in enumerate(row.drops, start=1):
                point = d.drop.village_point
                village[point.id] = {"lat": point.lat, "lon": point.lon, "symbol": "V",
                                     "label": f"{shown_name(point)} · {row.leg_text} {name} #{n}",
                                     "popup": [shown_name(point), f"{row.leg_text} · {name} #{n} · {time_text(d.eta)}",
                                               str(_l("%(n)s meals", n=d.drop.meals))], "group": group,
                                     "className": f"map-marker--point {colour}"}
            continue
        start = depot
        if row.leg == RouteLeg.LAST_MILE and row.route.village_point is not None:
            start = [row.route.village_point.lat, row.route.village_point.lon]
            name = f"{row.leg_text} · {name}"
        points = [start] + [[r.senior.lat, r.senior.lon] for r in row.stops if r.senior.lat is not None] + [start]
        line = {"points": points, "label": name, "group": group, "className": f"map-line {colour}"}
        if row.leg == RouteLeg.LAST_MILE:
            line["className"] += " map-line--round"
            round_lines.append(line)
        else:
            lines.append(line)
        for n, r in enumerate(row.stops, start=1):
            if r.senior.lat is None:
                continue
            eta = time_text(r.eta) or "?"
            late = r.late or r.hold_exceeded
            popup = [shown_name(r.senior), f"{name} #{n} · {eta}"] + ([late_word] if late else [])
            markers.append({"lat": r.senior.lat, "lon": r.senior.lon, "label": f"{name} #{n}", "group": group,
                            "popup": popup, "symbol": str(n),
                            "className": f"map-marker--stop {colour}" + (" map-marker--late" if late else "")})
    for u in unassigned:
        s = u.get("senior")
        if s is not None and s.lat is not None:
            markers.append({"lat": s.lat, "lon": s.lon, "label": shown_name(s), "symbol": "?",
                            "popup": [shown_name(s), str(_l("Unassigned")), str(u["reason_text"])],
                            "className": "map-marker--unassigned"})
    if lines:
        layers.append({"type": "polylines", "name": str(_l("Routes")), "items": lines,
                       "style": {"weight": 4, "opacity": 0.85}})
    if trunk_lines:  # solid and thick: the car's run; the village rounds dashed and thin
        layers.append({"type": "polylines", "name": str(_l("Trunk runs")), "items": trunk_lines,
                       "style": {"weight": 6, "opacity": 0.9}})
    if round_lines:
        layers.append({"type": "polylines", "name": str(_l("Village rounds")), "items": round_lines,
                       "style": {"weight": 3, "opacity": 0.85, "dashArray": "6 6"}})
    if village:
        layers.append({"type": "markers", "name": str(_l("Village points")), "items": list(village.values()),
                       "style": {"marker": "symbol"}})
    layers.append({"type": "markers", "name": str(_l("Stops")), "items": markers,
                   "style": {"marker": "symbol", "cluster": True}})
    return {"tiles": tile_spec(), "center": depot, "zoom": 14, "fitMaxZoom": 18, "fit": True, "layers": layers}
