"""Planning a county's meal: both legs planned by ``routing.network_plan``, checked together, stored as a plan.

The plan is an ordinary ``Plan`` of the kitchen and date (versions, publish): its trunk routes hold one
``TrunkDrop`` per village point, its last-mile routes the meal stops a volunteer walks from a point. Nothing
is stored unless the independent checker (``routing.network_check``) passes both legs together, on the
plan as planned and again on the rows as stored; publishing checks the stored rows once more.
"""
from __future__ import annotations

import time as _time
import traceback
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.exc import IntegrityError

from dispatch import routing
from dispatch.extensions import db
from dispatch.models.plan import Plan, PlanKind, Route, RouteLeg, Stop, StopKind, TrunkDrop
from dispatch.models.site import MealSite, MealType
from dispatch.platform import audit, clock
from dispatch.platform.errors import FieldError
from dispatch.routing.network_check import check_network
from dispatch.routing.network_plan import Batch, plan_network
from dispatch.routing.options import SolveOptions
from dispatch.services.planning import edit, search
from dispatch.services.planning import service as planning_service
from dispatch.services.planning.problem import meal_key, worker_id_of, worker_key
from dispatch.services.planning.store import latest_plan, metres_along
from dispatch.services.rural.county import CountyBuilt, build_county, point_id_of, point_key

NETWORK = "network"  # the summary key that marks a county plan


def is_county_plan(plan: Plan) -> bool:
    return bool((plan.summary or {}).get(NETWORK))


def _options(stops: int) -> SolveOptions:
    config = current_app.config
    limit = float(config.get("SOLVER_TIME_LIMIT") or 10)
    budget = search.budget_for(stops, limit, config)
    return search.apply(budget, SolveOptions(time_limit=budget.time_limit))


def _refused(violations) -> FieldError:
    return FieldError(None, ngettext(
        "The county plan breaks %(num)s rule (%(first)s): nothing was stored.",
        "The county plan breaks %(num)s rules, e.g. %(first)s: nothing was stored.",
        len(violations), first=str(violations[0])))


def check_county(site: MealSite, day: date, meal: MealType) -> CountyBuilt:
    """What the request checks before it queues a county plan: every bad input ``build_county`` refuses."""
    return build_county(site, day, MealType(meal))


def start_county(site: MealSite, day: date, meal: MealType, *, by) -> Plan:
    """Check the county's input now (a FieldError, storing nothing) and plan it in the background job.

    The plan goes through ``planning.start_planning`` like every other plan (the next draft version, the
    job's progress on the plan page); the job ``dispatch.jobs.run_planning`` sees the county mode and calls
    ``solve_county``.
    """
    check_county(site, day, meal)
    return planning_service.start_planning(site, day, PlanKind.MEALS, MealType(meal), by=by,
                                           mode=planning_service.COUNTY)


def is_county_job(plan_id: int) -> bool:
    plan = db.session.get(Plan, plan_id)
    return plan is not None and (plan.summary or {}).get("job", {}).get("mode") == planning_service.COUNTY


def solve_county(plan_id: int, *, planner=None) -> dict[str, Any]:
    """The job's work for a county plan: plan both legs into the queued plan, checked before it is stored.

    A refusal (the input changed since it was queued, the legs failing the check) is recorded as the job's
    failure with its message, and no route is kept.
    """
    began = _time.monotonic()
    planning_service.set_job_state(plan_id, state="running", started=clock.now().isoformat())
    try:
        plan = db.session.get(Plan, plan_id)
        job = dict((plan.summary or {}).get("job") or {})
        _plan_into(plan, plan.site, plan.service_date, plan.meal, planner or plan_network)
        summary = dict(plan.summary)
        summary["job"] = {**job, "state": "done", "seconds": round(_time.monotonic() - began, 2)}
        plan.summary = summary
        audit.record("plan.county", user=None, entity_type="plan", entity_id=plan.id,
                     detail=dict(summary[NETWORK]))
        db.session.flush()  # the job's edge commits
        return summary["job"]
    except FieldError as error:
        planning_service.record_failure(plan_id, str(error.message))
    except Exception as error:  # recorded for the page; the traceback goes to the log
        current_app.logger.error("Planning county plan %s failed:\n%s", plan_id, traceback.format_exc())
        planning_service.record_failure(plan_id, str(error) or type(error).__name__)
    return {"state": "failed"}


def _plan_into(plan: Plan, site: MealSite, day: date, meal: MealType, planner) -> CountyBuilt:
    """Plan the county and store both legs on ``plan``; FieldError when the input or the check refuses."""
    built = build_county(site, day, MealType(meal))
    network = built.network
    result = planner(network, _options(len(network.door_stops) + len(network.points)))
    violations = check_network(network, result)
    if violations:
        raise _refused(violations)
    _store(plan, built, result)
    db.session.flush()
    # The rows as stored, read back, must pass the same check: what workers follow is what was checked.
    violations = check_stored(plan, built)
    if violations:
        raise _refused(violations)
    return built


def plan_county(site: MealSite, day: date, meal: MealType, *, by, planner=plan_network) -> Plan:
    """Plan the county's ``meal`` on ``day`` now and store it as the next draft version of the kitchen's plan.

    Raises FieldError, storing nothing, on bad input (``county.build_county``) and when the planned legs fail
    the independent check. ``planner`` is ``routing.network_plan.plan_network`` (a test may hand in another).
    The staff page goes through ``start_county`` (the background job) instead.
    """
    began = _time.monotonic()
    meal = MealType(meal)
    build_county(site, day, meal)  # bad input refused before a plan row exists
    latest = latest_plan(site, day, PlanKind.MEALS, meal)
    plan = Plan(site_id=site.id, service_date=day, kind=PlanKind.MEALS, meal=meal,
                version_number=(latest.version_number + 1) if latest else 1, created_by_id=getattr(by, "id", None))
    db.session.add(plan)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise FieldError(None, _("Another plan for this day was being created at the same time; try again.")) from None
    built = _plan_into(plan, site, day, meal, planner)
    summary = dict(plan.summary)
    summary["job"] = {"state": "done", "mode": "fresh", "seconds": round(_time.monotonic() - began, 2)}
    plan.summary = summary
    audit.record("plan.county", user=by, entity_type="plan", entity_id=plan.id,
                 detail={"points": len(built.network.points), "door_meals": len(built.network.door_stops)})
    db.session.flush()
    return plan


def _store(plan: Plan, built: CountyBuilt, result) -> None:
    frame, network = built.frame, built.network
    position = 0
    departs: dict[str, int] = {}
    ready: dict[str, int] = {}
    for r in result.trunk_routes:
        if not r.stops:
            continue
        route = Route(worker_id=worker_id_of(r.worker_id), position=position, leg=RouteLeg.TRUNK,
                      start_dt=frame.utc(r.depart), end_dt=frame.utc(r.end if r.end is not None else r.depart),
                      travel_seconds=int(r.travel_time))
        position += 1
        plan.routes.append(route)
        for n, v in enumerate(r.visits):
            point = network.point(v.stop_id)
            door = len(network.door_of(v.stop_id))
            departs[v.stop_id], ready[v.stop_id] = r.depart, v.departure
            route.drops.append(TrunkDrop(
                position=n, village_point_id=point_id_of(v.stop_id), meals=point.dine_in + door,
                dine_in=point.dine_in, door_meals=door, eta_dt=frame.utc(v.start), ready_dt=frame.utc(v.departure),
                window_start_dt=frame.utc(point.window.start), window_end_dt=frame.utc(point.window.end)))
    limit = network.insulated_hold_limit
    for r in result.rounds:
        if not r.stops:
            continue
        pkey = next(w.depot for w in network.volunteers if w.id == r.worker_id)
        route = Route(worker_id=worker_id_of(r.worker_id), position=position, leg=RouteLeg.LAST_MILE,
                      village_point_id=point_id_of(pkey), held_from_dt=frame.utc(departs[pkey]),
                      start_dt=frame.utc(r.depart), end_dt=frame.utc(r.end if r.end is not None else r.depart),
                      travel_seconds=int(r.travel_time))
        position += 1
        plan.routes.append(route)
        for n, v in enumerate(r.visits):
            order = built.orders[v.stop_id]
            route.stops.append(Stop(
                kind=StopKind.MEAL, senior_id=order.senior_id, meal_order_id=order.id, position=n,
                window_start_dt=frame.utc(ready[pkey]), window_end_dt=frame.utc(departs[pkey] + limit),
                eta_dt=frame.utc(v.start)))
    unassigned = [{"stop": u.stop_id, "reason": u.reason.name, "message": u.message,
                   "senior_id": built.senior_id(u.stop_id) if u.stop_id in built.orders else None}
                  for u in result.unassigned] + built.skipped
    trunk = [r for r in plan.routes if r.leg == RouteLeg.TRUNK]
    rounds = [r for r in plan.routes if r.leg == RouteLeg.LAST_MILE]
    stops_at = {s.id: s.location for s in network.door_stops}
    legs = []
    for r in result.trunk_routes:  # kitchen, the points in order, kitchen
        if r.stops:
            worker = next(w for w in network.trunk_workers if w.id == r.worker_id)
            home = network.kitchen(worker.depot).location
            legs.append(metres_along([home, *[network.point(p).location for p in r.stops], home]))
    for r in result.rounds:  # the point, the doors in order, the point
        if r.stops:
            worker = next(w for w in network.volunteers if w.id == r.worker_id)
            home = network.point(worker.depot).location
            legs.append(metres_along([home, *[stops_at[s] for s in r.stops], home]))
    for route, length in zip(trunk + rounds, legs):  # stored in the same order: trunk runs, then the rounds
        route.distance_m = length
    metres = sum(legs)
    work = sum(int((r.end_dt - r.start_dt).total_seconds()) for r in plan.routes if r.start_dt and r.end_dt)
    plan.summary = {
        NETWORK: {"points": len(network.points), "batches": len(result.batches),
                  "dine_in": sum(p.dine_in for p in network.points), "door_meals": len(network.door_stops),
                  "walked": result.delivered(), "hold_minutes": limit // 60, "attempts": result.attempts},
        "unassigned": unassigned,
        "figures": {"routes": len(trunk) + len(rounds), "stops": sum(len(r.stops) for r in rounds),
                    "unassigned": len(unassigned), "travel_seconds": sum(r.travel_seconds for r in plan.routes),
                    "work_seconds": work, "distance_m": metres, "workers_on_shift": len(network.trunk_workers)
                    + len(network.volunteers)},
        "violations": [],
        "workers": [{"key": k, "name": w.full_name} for k, w in sorted(built.workers.items(),
                                                                       key=lambda kv: kv[1].full_name)],
    }


@dataclass(frozen=True)
class _StoredPlan:
    """A stored county plan in the shape ``check_network`` reads: routes, batches and unassigned stops."""

    trunk_routes: tuple[routing.Route, ...]
    rounds: tuple[routing.Route, ...]
    batches: tuple[Batch, ...]
    unassigned: tuple[Any, ...]


@dataclass(frozen=True)
class _Ref:
    stop_id: str


def stored_as_network(plan: Plan, built: CountyBuilt) -> _StoredPlan:
    """The stored rows read back into the network plan's terms (nothing the planner knew is used)."""
    frame, network = built.frame, built.network
    trunk, rounds, batches = [], [], []
    for route in plan.routes:
        if route.leg == RouteLeg.TRUNK and route.drops:
            drops = sorted(route.drops, key=lambda d: d.position)
            trunk.append(routing.Route(worker_key(route.worker_id), tuple(point_key(d.village_point_id) for d in drops),
                                       frame.seconds(route.start_dt)))
            for d in drops:
                pkey = point_key(d.village_point_id)
                mine = [s.id for s in network.door_of(pkey)] if any(p.id == pkey for p in network.points) else []
                # The batch as stored: its door meals only if the stored count is the point's.
                batches.append(Batch(pkey, worker_key(route.worker_id), d.dine_in,
                                     tuple(mine) if d.door_meals == len(mine) else tuple(mine[:d.door_meals])))
        elif route.leg == RouteLeg.LAST_MILE and route.stops:
            stops = sorted(route.stops, key=lambda s: s.position)
            rounds.append(routing.Route(worker_key(route.worker_id), tuple(meal_key(s.meal_order_id) for s in stops),
                                        frame.seconds(route.start_dt)))
    unassigned = tuple(_Ref(u["stop"]) for u in (plan.summary or {}).get("unassigned", []))
    return _StoredPlan(tuple(trunk), tuple(rounds), tuple(batches), unassigned)


def check_stored(plan: Plan, built: CountyBuilt | None = None) -> list[routing.Violation]:
    """Every rule the stored county plan breaks, by the independent network checker, against today's data."""
    if built is None:
        try:
            built = build_county(plan.site, plan.service_date, plan.meal)
        except FieldError as error:
            return [routing.Violation(routing.Kind.MISSING_STOP, str(error.message))]
    return check_network(built.network, stored_as_network(plan, built))


def publish_county(plan: Plan, *, version: Any, by) -> Plan:
    """Publish a county plan: the stored rows must pass the network check (both legs together)."""
    return edit.publish(plan, version=version, by=by, check=lambda p: check_stored(p))


def latest_county_plan(site: MealSite, day: date, meal: MealType) -> Plan | None:
    plan = latest_plan(site, day, PlanKind.MEALS, meal)
    return plan if plan is not None and is_county_plan(plan) else None


def drops_of(plan: Plan) -> list[TrunkDrop]:
    ids = [r.id for r in plan.routes if r.leg == RouteLeg.TRUNK]
    if not ids:
        return []
    return list(db.session.scalars(sa.select(TrunkDrop).where(TrunkDrop.route_id.in_(ids))
                                   .order_by(TrunkDrop.route_id, TrunkDrop.position)))
