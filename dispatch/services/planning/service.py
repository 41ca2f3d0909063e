"""Planning a site's day: solve in the background, store a draft version, adjust, publish, re-plan.

A plan version is created the moment staff click *Plan*; the background job
(RQ or in-process, see ``dispatch.jobs``) fills it with routes and writes its
progress into ``Plan.summary["job"]`` where the page polls it. Drafts are
edited in place under the plan's optimistic version; published versions are
frozen, and every change to a live day is a new version.

Unassigned stops are kept in ``Plan.summary["unassigned"]`` (``Stop`` rows need
a route): ``{"stop": "m12", "reason": "NO_ROOM", "message": ..., "senior_id": ...}``.
"""
from __future__ import annotations

import time as _time
import traceback
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from dispatch import routing
from dispatch.platform import jobs
from dispatch.extensions import db
from dispatch.platform.labels import label
from dispatch.models.meals import MealOrder
from dispatch.models.plan import Plan, PlanKind, PlanStatus, Route, Stop, StopKind
from dispatch.models.senior import Senior
from dispatch.models.service_request import ServiceRequest
from dispatch.models.site import MealSite, MealType
from dispatch.models.types import utcnow
from dispatch.models.worker import Worker
from dispatch.platform import audit
from dispatch.services.meals import orders as order_service
from dispatch.services.care import requests as request_service
from dispatch.platform.errors import FieldError, StaleRecord
from dispatch.services.planning.problem import (
    REMOVED, Built, NoWorkers, Pin, UnassignedRef, build_problem, meal_key, natural_depart, routed_elsewhere, timing,
    visit_key, worker_id_of, worker_key,
)

LIVE = (PlanStatus.PUBLISHED, PlanStatus.IN_PROGRESS)
FRESH, RERUN, REPLAN = "fresh", "rerun", "replan"
NO_WORKERS_ERROR = "no_workers"  # the page says it in the user's language
WORKER_LOST_ERROR = "worker_lost"  # an RQ worker died mid-solve and the job had no retries left
WORKERS_TAKEN_ERROR = "workers_taken"  # other plans kept taking this plan's workers while it solved
Solve = Callable[..., routing.Solution]


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


def load_plan(plan_id: int) -> Plan | None:
    return db.session.scalar(sa.select(Plan).where(Plan.id == plan_id).options(
        selectinload(Plan.routes).selectinload(Route.stops).selectinload(Stop.senior).load_only(
            Senior.id, Senior.full_name, Senior.lat, Senior.lon),
        selectinload(Plan.routes).selectinload(Route.worker)))


def job_state(plan: Plan) -> dict[str, Any]:
    """``{"state": queued|running|done|failed, "message": ...}``; asks RQ when the row looks stuck."""
    state = dict((plan.summary or {}).get("job") or {"state": "done"})
    if state.get("state") in ("queued", "running") and state.get("id"):
        handle = jobs.fetch(state["id"])
        if handle is not None and handle.status == "failed":
            error = (handle.error or "").strip()
            state = {**state, "state": "failed",
                     "error": WORKER_LOST_ERROR if "AbandonedJobError" in error else error[-300:]}
    return state


# --- starting a plan -------------------------------------------------------------------------

def _check_kind(site: MealSite, kind: PlanKind, meal: MealType | None) -> None:
    if kind == PlanKind.MEALS:
        if meal is None or site.window_for(meal) is None:
            raise FieldError("meal", _("This site serves no such meal; set its meal window first."))
    elif meal is not None:
        raise FieldError("meal", _("A visits plan has no meal."))


def _check_something_to_plan(site: MealSite, day: date, kind: PlanKind, meal: MealType | None) -> None:
    """An empty plan would pass every check and publish nothing: the usual cause is orders not generated yet."""
    if kind == PlanKind.MEALS:
        if not order_service.open_orders(site, day, meal):
            message = _("%(meal)s: no orders to deliver on %(day)s; generate the day's orders first.",
                        meal=label(meal), day=day.isoformat())
            raise FieldError("meal", message)
    elif not request_service.visits_for(site, day):
        raise FieldError("kind", _("No approved visits on %(day)s: approve the day's requests first.",
                                   day=day.isoformat()))


def start_planning(site: MealSite, day: date, kind: PlanKind, meal: MealType | None, *, by,
                   basis: Plan | None = None, mode: str = FRESH, time_limit: float | None = None) -> Plan:
    """Create the next draft version and hand the solve to a background job; returns the plan.

    ``time_limit`` (seconds) overrides SOLVER_TIME_LIMIT for this plan; the job reads it from the plan.
    """
    kind = PlanKind(kind)
    meal = MealType(meal) if meal else None
    _check_kind(site, kind, meal)
    if mode == FRESH:
        _check_something_to_plan(site, day, kind, meal)
    for attempt in range(3):
        latest = latest_plan(site, day, kind, meal)
        plan = Plan(site_id=site.id, service_date=day, kind=kind, meal=meal,
                    version_number=(latest.version_number + 1) if latest else 1,
                    created_by_id=getattr(by, "id", None),
                    summary={"job": {"state": "queued", "mode": mode, "basis": basis.id if basis else None,
                                     **({"time_limit": time_limit} if time_limit else {})}})
        db.session.add(plan)
        try:
            db.session.flush()
        except IntegrityError:  # someone else created that version number a moment ago
            db.session.rollback()
            continue
        audit.record("plan.start", user=by, entity_type="plan", entity_id=plan.id,
                     detail={"mode": mode, "basis": basis.id if basis else None})
        db.session.commit()
        break
    else:
        raise StaleRecord(_("Another plan for this day was being created at the same time; try again."))
    limit = time_limit or int(current_app.config.get("SOLVER_TIME_LIMIT") or 10)
    handle = jobs.enqueue("dispatch.jobs.run_planning", plan.id, job_timeout=max(120, limit * 6))
    if handle.status == "failed":  # in-process and it raised before it could record the failure
        _record_failure(plan.id, handle.error or "")
    elif current_app.config.get("REDIS_URL"):
        _set_job(plan.id, id=handle.id)
    return plan


def _set_job(plan_id: int, **state: Any) -> None:
    """Merge ``state`` into the plan's job record and commit (the page polls it)."""
    for _attempt in range(3):
        plan = db.session.get(Plan, plan_id)
        if plan is None:
            return
        summary = dict(plan.summary or {})
        summary["job"] = {**summary.get("job", {}), **state}
        plan.summary = summary
        try:
            db.session.commit()
            return
        except StaleDataError:
            db.session.rollback()
            db.session.expire_all()


def _record_failure(plan_id: int, error: str) -> None:
    db.session.rollback()
    _set_job(plan_id, state="failed", error=error.strip()[-300:])


def solve_and_store(plan_id: int, solve: Solve | None = None) -> dict[str, Any]:
    """Solve the plan's day and store the routes (the work of the job ``dispatch.jobs.run_planning``)."""
    began = _time.monotonic()
    plan = db.session.get(Plan, plan_id)
    if plan is None:
        return {"state": "failed", "message": "no such plan"}
    _set_job(plan_id, state="running", started=utcnow().isoformat())
    try:
        plan = db.session.get(Plan, plan_id)
        job = (plan.summary or {}).get("job", {})
        basis = db.session.get(Plan, job["basis"]) if job.get("basis") else None
        mode = job.get("mode", FRESH)
        limit = float(job.get("time_limit") or current_app.config.get("SOLVER_TIME_LIMIT") or 10)
        for attempt in range(CLASH_RETRIES + 1):
            built, options = _problem_for_run(plan, mode, basis)
            solution = (solve or routing.solve)(built.problem, options, time_limit=limit)
            _hold_day(plan)
            _store_solution(plan, built, solution, carry=_carry_from(basis))
            db.session.flush()
            if not _clashes(plan):
                break
            # A plan stored while this one solved took some of its workers' time: solve again
            # around it rather than send a worker to two places at once.
            db.session.rollback()
            current_app.logger.info("Plan %s clashed with a plan stored meanwhile; solving again", plan_id)
        else:
            raise WorkersTaken(plan_id)
        summary = dict(plan.summary)
        summary["job"] = {**job, "state": "done",
                          "seconds": round(_time.monotonic() - began, 2)}
        plan.summary = summary
        db.session.commit()
        return summary["job"]
    except NoWorkers:
        _record_failure(plan_id, NO_WORKERS_ERROR)
    except WorkersTaken:
        _record_failure(plan_id, WORKERS_TAKEN_ERROR)
    except Exception as error:  # recorded for the page; the traceback goes to the log
        current_app.logger.error("Planning plan %s failed:\n%s", plan_id, traceback.format_exc())
        _record_failure(plan_id, str(error) or type(error).__name__)
    return {"state": "failed"}


class WorkersTaken(Exception):
    """Plans stored while this one solved kept taking its workers' time."""


# How often a plan is solved again when a plan stored meanwhile took some of its workers' time.
CLASH_RETRIES = 2
_DAY_LOCK = 0x44_6F_6F_72 << 20  # advisory-lock keys of the days' check-and-store: "Door" + the day


def _hold_day(plan: Plan) -> None:
    """Serialise the day's check-and-store until this transaction ends. Solving happens before it, so the
    day's plans still solve side by side; only re-reading the siblings and writing wait for each other."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"),
                           {"key": _DAY_LOCK + plan.service_date.toordinal()})
    else:
        # SQLite takes the file's write lock at a transaction's first write: a write of nothing takes it now.
        db.session.execute(sa.update(Plan).where(Plan.id == plan.id).values(id=Plan.id))


def _clashes(plan: Plan) -> bool:
    """Whether a route just written for ``plan`` overlaps the worker's route on another current plan of the
    day, as stored now (the problem was built from what was stored before the solve)."""
    spans = {r.worker_id: (r.start_dt, r.end_dt) for r in plan.routes if r.stops and r.start_dt and r.end_dt}
    busy = routed_elsewhere(set(spans), plan.service_date, plan.site_id, plan.kind, plan.meal)
    return any(start < b and a < end for w, (start, end) in spans.items() for a, b in busy.get(w, ()))


def _subjects(plan: Plan) -> tuple[list[MealOrder], list[ServiceRequest]]:
    site, day = plan.site, plan.service_date
    if plan.kind == PlanKind.MEALS:
        return order_service.open_orders(site, day, plan.meal), []
    return [], request_service.visits_for(site, day)


def _arrangement(plan: Plan) -> dict[str, list[Stop]]:
    return {worker_key(r.worker_id): sorted(r.stops, key=lambda s: s.position) for r in plan.routes if r.stops}


def _stop_key(stop: Stop) -> str:
    return meal_key(stop.meal_order_id) if stop.kind == StopKind.MEAL else visit_key(stop.service_request_id)


def _is_started(stop: Stop) -> bool:
    return stop.outcome is not None or stop.arrival_dt is not None


def _problem_for_run(plan: Plan, mode: str, basis: Plan | None):
    from dispatch.routing.solver import SolveOptions

    orders, requests = _subjects(plan)
    pins: dict[str, Pin] = {}
    previous: dict[str, str] = {}
    initial = None
    extra: dict[int, Worker] = {}
    if basis is not None:
        arrangement = _arrangement(basis)
        initial = {w: [_stop_key(s) for s in stops] for w, stops in arrangement.items()}
        for wkey, stops in arrangement.items():
            done = [s for s in stops if _is_started(s)]
            for s in stops:
                key = _stop_key(s)
                if mode == REPLAN:
                    previous[key] = wkey
                    if _is_started(s):
                        pins[key] = Pin(wkey, done.index(s), served=True)
                        extra[s.route.worker_id] = s.route.worker
                elif s.is_locked:
                    pins[key] = Pin(wkey)
        # Served and started stops stay in the plan even if their order is no longer "open".
        have = {meal_key(o.id) for o in orders} | {visit_key(r.id) for r in requests}
        for stops in arrangement.values():
            for s in stops:
                if _stop_key(s) in pins and _stop_key(s) not in have:
                    (orders.append(s.meal_order) if s.kind == StopKind.MEAL else requests.append(s.service_request))
    built = build_problem(plan.site, plan.service_date, plan.kind, plan.meal, orders=orders, requests=requests,
                          pins=pins, previous=previous, extra_workers=extra)
    known = {s.id for s in built.problem.stops}
    if initial:
        initial = {w: [k for k in ks if k in known] for w, ks in initial.items() if w in built.workers}
    weight = 3600 if mode == REPLAN else SolveOptions().continuity_weight
    return built, SolveOptions(initial_routes=initial or None, continuity_weight=weight)


def _carry_from(basis: Plan | None) -> dict[str, Stop]:
    """Stops of the previous version whose recorded facts (arrival, outcome) must survive a re-plan."""
    if basis is None:
        return {}
    return {_stop_key(s): s for r in basis.routes for s in r.stops if _is_started(s) or s.is_locked}


# --- storing and re-reading routes -----------------------------------------------------------

def _store_solution(plan: Plan, built: Built, solution: routing.Solution, *, carry: dict[str, Stop]) -> None:
    """Write the solution as routes and stops of ``plan``, and its figures into the summary."""
    arrangement = {r.worker_id: list(r.stops) for r in solution.routes if r.stops}
    departs = {r.worker_id: r.depart for r in solution.routes if r.stops}
    unassigned = [{"stop": u.stop_id, "reason": u.reason.name, "message": u.message,
                   "senior_id": built.senior_id(u.stop_id)} for u in solution.unassigned] + built.skipped
    summary = dict(plan.summary or {})
    summary.update({"solver": {"status": solution.status, "seconds": round(solution.wall_time, 2),
                               "cost": int(solution.cost)}, "unassigned": unassigned})
    plan.summary = summary
    _write_routes(plan, built, arrangement, departs, carry=carry)


def _write_routes(plan: Plan, built: Built, arrangement: dict[str, list[str]], departs: dict[str, int], *,
                  carry: dict[str, Stop] | None = None, only: set[str] | None = None) -> list[routing.Violation]:
    """Make ``plan``'s routes match ``arrangement`` with ETAs from the checker's walk; returns violations.

    ``only`` limits the rewrite to those workers' routes (an edit touches one or two).
    """
    problem = built.problem
    windex = {w.id: i for i, w in enumerate(problem.workers)}
    sindex = {s.id: i for i, s in enumerate(problem.stops)}
    existing = {worker_key(r.worker_id): r for r in plan.routes}
    old_stops = {_stop_key(s): s for r in plan.routes for s in r.stops}
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
        t = timing(problem, v, nodes, departs[wkey])
        route.start_dt, route.end_dt = built.frame.utc(t.depart), built.frame.utc(t.end)
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
            window = s.windows[0] if s.windows else routing.TimeWindow(problem.workers[v].shift.start,
                                                                      problem.workers[v].shift.end)
            stop.window_start_dt, stop.window_end_dt = built.frame.utc(window.start), built.frame.utc(window.end)
            stop.eta_dt = built.frame.utc(start)
    if only is not None:
        keep |= {k for w, r in existing.items() if w not in touched for k in (_stop_key(s) for s in r.stops)}
    for key, stop in old_stops.items():
        if key not in keep and stop.route is not None and stop in stop.route.stops:
            stop.route.stops.remove(stop)
    for route in emptied:  # last, so stops moved out of them are not deleted with them
        if not route.stops:
            plan.routes.remove(route)
    db.session.flush()
    return _refresh_figures(plan, built)


def _distance(problem: routing.Problem, v: int, nodes: list[int]) -> int:
    from geopy.distance import great_circle

    places = [problem.workers[v].start, *[problem.stops[i].location for i in nodes], problem.workers[v].end]
    places = [p for p in places if p is not None]
    metres = sum(great_circle((a.lat, a.lon), (b.lat, b.lon)).meters for a, b in zip(places, places[1:]))
    return int(metres * float(current_app.config.get("CIRCUITY_FACTOR") or 1.3))


def routes_as_routing(plan: Plan, built: Built) -> list[routing.Route]:
    return [routing.Route(worker_key(r.worker_id), tuple(_stop_key(s) for s in sorted(r.stops, key=lambda s: s.position)),
                          built.frame.seconds(r.start_dt)) for r in plan.routes if r.stops and r.start_dt]


def _unassigned_refs(plan: Plan) -> list[UnassignedRef]:
    return [UnassignedRef(u["stop"]) for u in (plan.summary or {}).get("unassigned", [])]


def _refresh_figures(plan: Plan, built: Built) -> list[routing.Violation]:
    """Re-check the stored routes with the independent checker and keep the figures in the summary."""
    routes = routes_as_routing(plan, built)
    violations = routing.check(built.problem, routes, _unassigned_refs(plan))
    used = [r for r in plan.routes if r.stops]
    work = sum(int((r.end_dt - r.start_dt).total_seconds()) for r in used if r.start_dt and r.end_dt)
    summary = dict(plan.summary or {})
    summary["figures"] = {
        "routes": len(used), "stops": sum(len(r.stops) for r in used),
        "unassigned": len(summary.get("unassigned", [])),
        "travel_seconds": sum(r.travel_seconds for r in used), "work_seconds": work,
        "distance_m": sum(r.distance_m for r in used),
        "workers_on_shift": len(built.problem.workers),
    }
    summary["workers"] = [{"key": key, "name": w.full_name} for key, w in sorted(
        built.workers.items(), key=lambda kv: kv[1].full_name)]
    summary["violations"] = [{"kind": v.kind.name, "message": str(v), "stop": v.stop_id, "worker": v.worker_id}
                             for v in violations]
    plan.summary = summary
    return violations


def problem_for_plan(plan: Plan) -> Built:
    """The routing problem behind a stored version: its own stops and unassigned, today's shifts."""
    order_ids, request_ids = set(), set()
    pins: dict[str, Pin] = {}
    extra: dict[int, Worker] = {}
    for route in plan.routes:
        extra[route.worker_id] = route.worker
        done = [s for s in sorted(route.stops, key=lambda s: s.position) if _is_started(s)]
        for s in route.stops:
            (order_ids.add(s.meal_order_id) if s.kind == StopKind.MEAL else request_ids.add(s.service_request_id))
            if _is_started(s):
                pins[_stop_key(s)] = Pin(worker_key(route.worker_id), done.index(s), served=True)
            elif s.is_locked:
                pins[_stop_key(s)] = Pin(worker_key(route.worker_id))
    for u in (plan.summary or {}).get("unassigned", []):
        key = u["stop"]
        (order_ids if key.startswith("m") else request_ids).add(int(key[1:]))
    orders = list(db.session.scalars(sa.select(MealOrder).where(MealOrder.id.in_(order_ids)).order_by(MealOrder.id)))
    requests = list(db.session.scalars(sa.select(ServiceRequest).where(ServiceRequest.id.in_(request_ids))
                                       .order_by(ServiceRequest.id)))
    return build_problem(plan.site, plan.service_date, plan.kind, plan.meal, orders=orders, requests=requests,
                         pins=pins, extra_workers=extra)


def check_plan(plan: Plan) -> list[routing.Violation]:
    """Every rule the stored plan breaks, by the independent checker."""
    built = problem_for_plan(plan)
    return routing.check(built.problem, routes_as_routing(plan, built), _unassigned_refs(plan))


from dispatch.services.planning.edit import (  # noqa: E402,F401  (adjust, publish, re-plan live here)
    MovePreview, apply_move, insert_urgent, preview_move, publish, replan_published, rerun_keeping_locks, set_lock,
)
