"""What planning stores and reads back: plan versions, their routes and stops, and the checks on them.

The planner (``service``) and the editor (``edit``) both write routes through here, so neither
reaches into the other's internals.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from dispatch import routing
from dispatch.extensions import db
from dispatch.models.meals import MealOrder, MealOrderStatus
from dispatch.models.plan import LIVE_STATUSES, Plan, PlanKind, Route, Stop, StopKind
from dispatch.models.senior import Senior
from dispatch.models.service_request import RequestStatus, ServiceRequest
from dispatch.models.site import MealSite, MealType
from dispatch.models.worker import Worker
from dispatch.platform.errors import FieldError
from dispatch.services.planning.live import is_started, resume_points
from dispatch.services.planning.problem import (
    Built,
    Pin,
    UnassignedRef,
    build_problem,
    meal_key,
    visit_key,
    worker_id_of,
    worker_key,
)
from dispatch.services.planning.timing import split_loads, timing

LIVE = LIVE_STATUSES
class PlanNotEditable(FieldError):
    def __init__(self, message: Any) -> None:
        super().__init__(None, message)


# --- finding plans ---------------------------------------------------------------------------

def _key_filter(site_id: int, day: date, kind: PlanKind, meal: MealType | None):
    meal_cond = Plan.meal.is_(None) if meal is None else Plan.meal == meal
    return sa.and_(Plan.site_id == site_id, Plan.service_date == day, Plan.kind == kind, meal_cond)


def latest_plan(site: MealSite, day: date, kind: PlanKind, meal: MealType | None) -> Plan | None:
    return db.session.scalar(sa.select(Plan).where(_key_filter(site.id, day, kind, meal))
                             .order_by(Plan.version_number.desc()).limit(1))


def live_plan(site_id: int, day: date, kind: PlanKind, meal: MealType | None) -> Plan | None:
    """The version workers follow: the newest published or in-progress one."""
    return db.session.scalar(sa.select(Plan).where(_key_filter(site_id, day, kind, meal), Plan.status.in_(LIVE))
                             .order_by(Plan.version_number.desc()).limit(1))


def plans_for_day(site: MealSite, day: date) -> list[Plan]:
    return list(db.session.scalars(sa.select(Plan).where(Plan.site_id == site.id, Plan.service_date == day)
                                   .order_by(Plan.kind, Plan.meal, Plan.version_number.desc())))


def site_to_open(sites: list[MealSite], day: date) -> MealSite | None:
    """The one of ``sites`` (in the caller's order) that the Today page opens on for ``day``.

    The first with a plan for the day; else the first with meal orders or visits
    to plan; else simply the first. Staff of several sites then land where the
    day's work is, not on the empty site that happens to sort first.
    """
    if not sites:
        return None
    ids = [s.id for s in sites]
    busy = set(db.session.scalars(sa.select(Plan.site_id).where(Plan.site_id.in_(ids), Plan.service_date == day)))
    if not busy:
        busy = set(db.session.scalars(sa.select(MealOrder.site_id).where(
            MealOrder.site_id.in_(ids), MealOrder.service_date == day,
            MealOrder.status != MealOrderStatus.CANCELLED)))
        busy |= set(db.session.scalars(sa.select(ServiceRequest.site_id).where(
            ServiceRequest.site_id.in_(ids), ServiceRequest.requested_date == day,
            ServiceRequest.status.in_((RequestStatus.APPROVED, RequestStatus.SCHEDULED)))))
    return next((s for s in sites if s.id in busy), sites[0])


def load_plan(plan_id: int) -> Plan | None:
    return db.session.scalar(sa.select(Plan).where(Plan.id == plan_id).options(
        selectinload(Plan.routes).selectinload(Route.stops).selectinload(Stop.senior).load_only(
            Senior.id, Senior.full_name, Senior.lat, Senior.lon),
        selectinload(Plan.routes).selectinload(Route.worker)))


def arrangement(plan: Plan) -> dict[str, list[Stop]]:
    return {worker_key(r.worker_id): sorted(r.stops, key=lambda s: s.position) for r in plan.routes if r.stops}


def stop_key(stop: Stop) -> str:
    return meal_key(stop.meal_order_id) if stop.kind == StopKind.MEAL else visit_key(stop.service_request_id)


def as_of(plan: Plan) -> datetime | None:
    """The moment the plan was made from (None for plans stored before it was recorded)."""
    moment = (plan.summary or {}).get("as_of")
    return datetime.fromisoformat(moment) if moment else None


def carry_from(basis: Plan | None) -> dict[str, Stop]:
    """Stops of the previous version whose recorded facts (arrival, outcome) must survive a re-plan."""
    if basis is None:
        return {}
    return {stop_key(s): s for r in basis.routes for s in r.stops if is_started(s) or s.is_locked}


# --- storing and re-reading routes -----------------------------------------------------------

def store_solution(plan: Plan, built: Built, solution: routing.Solution, *, carry: dict[str, Stop]) -> None:
    """Write the solution as routes and stops of ``plan``, and its figures into the summary."""
    arrangement = {r.worker_id: list(r.stops) for r in solution.routes if r.stops}
    departs = {r.worker_id: r.depart for r in solution.routes if r.stops}
    loads = {r.worker_id: (tuple(r.reloads), tuple(r.trip_departs)) for r in solution.routes if r.stops}
    windex = {w.id: v for v, w in enumerate(built.problem.workers)}
    for wkey, (reloads, trip_departs) in list(loads.items()):
        # A rider who leaves the kitchen only to load again there before the first stop has just left later.
        if reloads and reloads[0] == 0 and len(trip_departs) > 1 and built.problem.first_trip_loaded(windex[wkey]):
            departs[wkey], loads[wkey] = trip_departs[1], (reloads[1:], trip_departs[1:] if reloads[1:] else ())
    for wkey, under_way in built.resume.items():  # a route under way left when it left
        if wkey in departs:
            departs[wkey] = max(0, built.frame.seconds(under_way.departed))
    unassigned = [{"stop": u.stop_id, "reason": u.reason.name, "message": u.message,
                   "senior_id": built.senior_id(u.stop_id)} for u in solution.unassigned] + built.skipped
    summary = dict(plan.summary or {})
    summary.update({"solver": {"status": solution.status, "seconds": round(solution.wall_time, 2),
                               "cost": int(solution.cost)}, "unassigned": unassigned})
    if built.as_of is not None:  # a later check judges the plan as of the moment it was made from
        summary["as_of"] = built.as_of.isoformat()
    plan.summary = summary
    write_routes(plan, built, arrangement, departs, carry=carry, loads=loads)


def write_routes(plan: Plan, built: Built, arrangement: dict[str, list[str]], departs: dict[str, int], *,
                  carry: dict[str, Stop] | None = None, only: set[str] | None = None,
                  loads: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] | None = None) -> list[routing.Violation]:
    """Make ``plan``'s routes match ``arrangement`` with ETAs from the checker's walk; returns violations.

    ``only`` limits the rewrite to those workers' routes (an edit touches one or two). ``loads`` gives a
    worker's reloads (positions) and each load's departure, as the solver placed them; a route without
    them that may reload (a hand edit) gets them placed again (``timing.split_loads``).
    """
    problem = built.problem
    windex = {w.id: i for i, w in enumerate(problem.workers)}
    sindex = {s.id: i for i, s in enumerate(problem.stops)}
    existing = {worker_key(r.worker_id): r for r in plan.routes}
    old_stops = {stop_key(s): s for r in plan.routes for s in r.stops}
    carry = carry or {}
    touched = set(arrangement) | set(existing) if only is None else only
    # Park the positions first: (route, position) is unique and rows are rewritten one by one.
    parked = False
    for wkey in touched:
        route = existing.get(wkey)
        for i, s in enumerate(route.stops if route else []):
            s.position = 100_000 + i
            parked = True
    if parked:
        db.session.flush()
    used_positions = {r.position for r in plan.routes}
    next_position = max(used_positions, default=-1) + 1
    keep: set[str] = set()
    emptied: list[Route] = []
    for wkey in sorted(touched, key=lambda k: worker_id_of(k)):
        keys = arrangement.get(wkey, [])
        route = existing.get(wkey)
        if not keys:
            if route is not None:
                emptied.append(route)
            continue
        if route is None:
            route = Route(worker_id=worker_id_of(wkey), position=next_position)
            next_position += 1
            plan.routes.append(route)
        v = windex[wkey]
        nodes = [sindex[k] for k in keys]
        reloads, trip_departs = (loads or {}).get(wkey) or (split_loads(problem, v, nodes, departs[wkey]), ())
        t = timing(problem, v, nodes, departs[wkey], reloads, trip_departs)
        route.start_dt, route.end_dt = built.frame.utc(t.depart), built.frame.utc(t.end)
        route.trip_departures = [built.frame.utc(d).isoformat() for d in t.departs] if t.reloads else None
        trip_of = [sum(1 for r in t.reloads if r <= pos) for pos in range(len(keys))]
        route.travel_seconds = int(t.travel)
        route.break_start_dt = built.frame.utc(t.rest[0]) if t.rest else None
        route.break_minutes = t.rest[1] // 60 if t.rest else 0
        route.distance_m = _distance(problem, v, nodes)
        for pos, (key, start) in enumerate(zip(keys, t.starts)):
            keep.add(key)
            s = problem.stops[sindex[key]]
            stop = old_stops.get(key)
            if stop is None:
                stop = Stop(kind=StopKind.MEAL if key in built.orders else StopKind.VISIT,
                            senior_id=built.senior_id(key), **built.subject_ids(key))
                source = carry.get(key)
                if source is not None:
                    for name in ("arrival_dt", "departure_dt", "outcome", "outcome_note", "outcome_dt",
                                 "outcome_by_id"):
                        setattr(stop, name, getattr(source, name))
                    stop.is_locked = source.is_locked
            if stop.route is not route:
                if stop.route is not None:
                    stop.route.stops.remove(stop)
                route.stops.append(stop)
            stop.position = pos
            stop.trip = trip_of[pos]
            # The stop's own window, not what was left of it after now.
            opens, closes = built.windows.get(key) or ((s.windows[0].start, s.windows[0].end) if s.windows else
                                                       (problem.workers[v].shift.start, problem.workers[v].shift.end))
            stop.window_start_dt, stop.window_end_dt = built.frame.utc(opens), built.frame.utc(closes)
            stop.eta_dt = built.frame.utc(start)
    if only is not None:
        keep |= {k for w, r in existing.items() if w not in touched for k in (stop_key(s) for s in r.stops)}
    for key, stop in old_stops.items():
        if key not in keep and stop.route is not None and stop in stop.route.stops:
            stop.route.stops.remove(stop)
    for route in emptied:  # last, so stops moved out of them are not deleted with them
        if not route.stops:
            plan.routes.remove(route)
    db.session.flush()
    return refresh_figures(plan, built)


def _distance(problem: routing.Problem, v: int, nodes: list[int]) -> int:
    places = [problem.workers[v].start, *[problem.stops[i].location for i in nodes], problem.workers[v].end]
    return metres_along([p for p in places if p is not None])


def metres_along(places) -> int:
    """A route's length as every plan page counts it: great-circle distance times the circuity factor."""
    from geopy.distance import great_circle

    metres = sum(great_circle((a.lat, a.lon), (b.lat, b.lon)).meters for a, b in zip(places, places[1:]))
    return int(metres * float(current_app.config.get("CIRCUITY_FACTOR") or 1.3))


def stored_loads(route: Route, built: Built) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """A stored route's reloads (positions where the load changes) and each load's departure, in day seconds."""
    trips = [s.trip for s in sorted(route.stops, key=lambda s: s.position)]
    # Back at the kitchen before a stop whose load differs from the one before it (before the first stop:
    # a worker from home who loads on the way).
    reloads = tuple(pos for pos in range(len(trips)) if trips[pos] != (trips[pos - 1] if pos else 0))
    departs = tuple(built.frame.seconds(datetime.fromisoformat(d)) for d in route.trip_departures or ()) if reloads else ()
    return reloads, departs


def routes_as_routing(plan: Plan, built: Built) -> list[routing.Route]:
    out = []
    for r in plan.routes:
        if not (r.stops and r.start_dt):
            continue
        reloads, departs = stored_loads(r, built)
        out.append(routing.Route(worker_key(r.worker_id),
                                 tuple(stop_key(s) for s in sorted(r.stops, key=lambda s: s.position)),
                                 built.frame.seconds(r.start_dt), reloads=reloads, trip_departs=departs))
    return out


def unassigned_refs(plan: Plan) -> list[UnassignedRef]:
    return [UnassignedRef(u["stop"]) for u in (plan.summary or {}).get("unassigned", [])]


def refresh_figures(plan: Plan, built: Built) -> list[routing.Violation]:
    """Re-check the stored routes with the independent checker and keep the figures in the summary."""
    routes = routes_as_routing(plan, built)
    violations = routing.check(built.problem, routes, unassigned_refs(plan))
    used = [r for r in plan.routes if r.stops]
    work = sum(max(0, int((r.end_dt - r.start_dt).total_seconds()) - 60 * (r.break_minutes or 0))
               for r in used if r.start_dt and r.end_dt)  # a break (or a day plan's unpaid gap) is not work
    summary = dict(plan.summary or {})
    summary["figures"] = {
        "routes": len(used), "stops": sum(len(r.stops) for r in used),
        "unassigned": len(summary.get("unassigned", [])),
        "travel_seconds": sum(r.travel_seconds for r in used), "work_seconds": work,
        "distance_m": sum(r.distance_m for r in used),
        "workers_on_shift": len(built.problem.workers),
    }
    if built.travel_model:
        summary["travel"] = built.travel_model
    summary["workers"] = [{"key": key, "name": w.full_name} for key, w in sorted(
        built.workers.items(), key=lambda kv: kv[1].full_name)]
    summary["violations"] = [{"kind": v.kind.name, "message": str(v), "stop": v.stop_id, "worker": v.worker_id}
                             for v in violations]
    plan.summary = summary
    return violations


def problem_for_plan(plan: Plan) -> Built:
    """The routing problem behind a stored version: its own stops and unassigned, today's shifts, and the
    moment it was made from (so a check later judges it as it was planned)."""
    order_ids, request_ids = set(), set()
    extra: dict[int, Worker] = {}
    by_worker = arrangement(plan)
    pins, resume = resume_points(by_worker, as_of(plan), stop_key, by_load=plan.kind == PlanKind.DAY)
    for route in plan.routes:
        extra[route.worker_id] = route.worker
        for s in route.stops:
            (order_ids.add(s.meal_order_id) if s.kind == StopKind.MEAL else request_ids.add(s.service_request_id))
            if s.is_locked and not is_started(s):
                pins[stop_key(s)] = Pin(worker_key(route.worker_id))
    for u in (plan.summary or {}).get("unassigned", []):
        key = u["stop"]
        (order_ids if key.startswith("m") else request_ids).add(int(key[1:]))
    orders = list(db.session.scalars(sa.select(MealOrder).where(MealOrder.id.in_(order_ids)).order_by(MealOrder.id)))
    requests = list(db.session.scalars(sa.select(ServiceRequest).where(ServiceRequest.id.in_(request_ids))
                                       .order_by(ServiceRequest.id)))
    return build_problem(plan.site, plan.service_date, plan.kind, plan.meal, orders=orders, requests=requests,
                         pins=pins, extra_workers=extra, now=as_of(plan), resume=resume)


def check_plan(plan: Plan) -> list[routing.Violation]:
    """Every rule the stored plan breaks, by the independent checker."""
    built = problem_for_plan(plan)
    return routing.check(built.problem, routes_as_routing(plan, built), unassigned_refs(plan))
