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
import uuid
from dataclasses import replace
from datetime import date
from typing import Any, Callable

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from dispatch import routing
from dispatch.extensions import db
from dispatch.models.meals import MealOrder
from dispatch.models.plan import Plan, PlanKind, Stop, StopKind
from dispatch.models.service_request import ServiceRequest
from dispatch.models.site import MealSite, MealType
from dispatch.models.worker import Worker
from dispatch.platform import audit, clock, collaborators, jobs, transaction
from dispatch.platform.datefmt import date_text
from dispatch.platform.errors import FieldError, StaleRecord
from dispatch.platform.labels import label
from dispatch.routing import staged
from dispatch.services.care import requests as request_service
from dispatch.services.meals import orders as order_service
from dispatch.services.planning import search
from dispatch.services.planning.live import head_first, is_started, resume_points
from dispatch.services.planning.problem import (
    NoWorkers,
    Pin,
    build_problem,
    meal_key,
    routed_elsewhere,
    visit_key,
)
from dispatch.services.planning.store import (
    arrangement,
    carry_from,
    latest_plan,
    live_plan,
    stop_key,
    store_solution,
)
from dispatch.services.visitation import planning as visitation_planning

FRESH, RERUN, REPLAN = "fresh", "rerun", "replan"  # how a run treats the plan it starts from
WINDOW = "window"  # a day plan's new version with one window solved again, every other stop kept as it was
VISITS_PART = "visits"  # the "window" of a day plan's visits (the meal windows are named by their meal)
# A county's meal (``services.rural``): the job ``dispatch.jobs.run_planning`` hands it to the rural planner.
COUNTY = "county"

NO_WORKERS_ERROR = "no_workers"  # the page says it in the user's language
WORKER_LOST_ERROR = "worker_lost"  # an RQ worker died mid-solve and the job had no retries left
WORKERS_TAKEN_ERROR = "workers_taken"  # other plans kept taking this plan's workers while it solved
Solve = Callable[..., routing.Solution]


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
        raise FieldError("meal", _("A day plan holds every meal window; it has no meal of its own.")
                         if kind == PlanKind.DAY else _("A visits plan has no meal."))


def _check_something_to_plan(site: MealSite, day: date, kind: PlanKind, meal: MealType | None) -> None:
    """An empty plan would pass every check and publish nothing: the usual cause is orders not generated yet."""
    if kind == PlanKind.MEALS:
        if not order_service.open_orders(site, day, meal):
            message = _("%(meal)s: no orders to deliver on %(day)s; generate the day's orders first.",
                        meal=label(meal), day=date_text(day))
            raise FieldError("meal", message)
    elif kind == PlanKind.DAY:
        if not (_day_orders(site, day) or _visits(site, day)):
            raise FieldError("kind", _("Nothing to plan on %(day)s: no meal orders and no approved visits; "
                                       "generate the day's orders or approve requests first.", day=date_text(day)))
    elif not _visits(site, day):
        raise FieldError("kind", _("No approved visits on %(day)s: approve the day's requests first.",
                                   day=date_text(day)))


def start_planning(site: MealSite, day: date, kind: PlanKind, meal: MealType | None, *, by,
                   basis: Plan | None = None, mode: str = FRESH, time_limit: float | None = None,
                   search_mode: str | None = None, wait: bool = False, only: str | None = None) -> Plan:
    """Create the next draft version and hand the solve to a background job; returns the plan at once.

    A meal window or the visits of a site and date whose day plan is live are planned within it: the new
    version is of the day plan, with only that window solved again (``replan_window``), since a stop may be
    on one live plan only.

    ``time_limit`` (seconds) overrides SOLVER_TIME_LIMIT for this plan; the job reads it from the plan.
    ``wait`` solves before returning when there is no Redis (CLI commands that print the outcome).
    ``search_mode`` ("fixed" or "time", ``planning.search``) overrides PLAN_SEARCH for this plan.
    """
    if search_mode is not None and search_mode not in (search.FIXED, search.TIME):
        raise FieldError("search", _("Choose a fixed amount of search or a time limit."))
    kind = PlanKind(kind)
    meal = MealType(meal) if meal else None
    _check_kind(site, kind, meal)
    if kind != PlanKind.DAY and mode == FRESH:
        day_plan = live_plan(site.id, day, PlanKind.DAY, None)
        if day_plan is not None:
            return replan_window(day_plan, meal.value if meal else VISITS_PART, by=by, time_limit=time_limit,
                                 search_mode=search_mode, wait=wait)
    if mode in (FRESH, COUNTY):
        _check_something_to_plan(site, day, kind, meal)

    for attempt in range(3):
        _lock_site(site)
        latest = latest_plan(site, day, kind, meal)
        plan = Plan(site_id=site.id, service_date=day, kind=kind, meal=meal,
                    version_number=(latest.version_number + 1) if latest else 1,
                    created_by_id=getattr(by, "id", None),
                    summary={"job": {"state": "queued", "mode": mode, "basis": basis.id if basis else None,
                                     **({"time_limit": time_limit} if time_limit else {}),
                                     **({"only": only} if only else {}),
                                     **({"search_mode": search_mode} if search_mode else {})}})
        db.session.add(plan)
        try:
            db.session.flush()
        except IntegrityError:  # someone else created that version number a moment ago
            transaction.start_over()
            continue
        audit.record("plan.start", user=by, entity_type="plan", entity_id=plan.id,
                     detail={"mode": mode, "basis": basis.id if basis else None})
        # The hand-off is a step boundary: the job (on an RQ worker, or in-process right after)
        # solves in a transaction of its own and must find the plan stored, whatever becomes of it.
        transaction.commit_step()
        break
    else:
        raise StaleRecord(_("Another plan for this day was being created at the same time; try again."))
    limit = time_limit or int(current_app.config.get("SOLVER_TIME_LIMIT") or 10)
    job_id = uuid.uuid4().hex
    _set_job(plan.id, id=job_id)  # before the job starts, so the page's polling can ask after it
    handle = jobs.enqueue("dispatch.jobs.run_planning", plan.id, job_timeout=max(120, limit * 6), job_id=job_id,
                          inline=wait)
    if handle.status == "failed":  # in-process and it raised before it could record the failure
        _record_failure(plan.id, handle.error or "")
    return plan


def window_parts(plan: Plan) -> list[str]:
    """What of a day plan can be planned again on its own: each meal window it holds, then its visits."""
    unassigned = [str(u.get("stop", "")) for u in (plan.summary or {}).get("unassigned", [])]
    meals = {MealType(s.meal_order.meal) for r in plan.routes for s in r.stops if s.kind == StopKind.MEAL}
    left = [int(k[1:]) for k in unassigned if k.startswith("m")]
    if left:
        meals |= {MealType(m) for m in db.session.scalars(sa.select(MealOrder.meal).where(MealOrder.id.in_(left)))}
    parts = [m.value for m in MealType if m in meals]
    has_visits = any(s.kind == StopKind.VISIT for r in plan.routes for s in r.stops) or any(
        k.startswith("v") for k in unassigned)
    return parts + ([VISITS_PART] if has_visits else [])


def part_of(stop: Stop, part: str) -> bool:
    """Whether ``stop`` belongs to the window ``part`` of a day plan (a meal's, or the visits)."""
    if part == VISITS_PART:
        return stop.kind == StopKind.VISIT
    return stop.kind == StopKind.MEAL and stop.meal_order is not None and stop.meal_order.meal == MealType(part)


def replan_window(plan: Plan, part: str, *, by, time_limit: float | None = None, search_mode: str | None = None,
                  wait: bool = False) -> Plan:
    """A new version of the day plan ``plan`` in which only ``part`` (a meal window, or "visits") is solved
    again: its open orders (or approved visits) as they are now; every other stop keeps its worker, its
    order and its time, and stops left unassigned stay so."""
    if plan.kind != PlanKind.DAY:
        raise FieldError("kind", _("Only a day plan is re-planned one window at a time."))
    if part != VISITS_PART:
        try:
            meal = MealType(part)
        except ValueError:
            raise FieldError("meal", _("This site serves no such meal; set its meal window first.")) from None
        if plan.site.window_for(meal) is None:
            raise FieldError("meal", _("This site serves no such meal; set its meal window first."))
    return start_planning(plan.site, plan.service_date, PlanKind.DAY, None, by=by, basis=plan, mode=WINDOW,
                          time_limit=time_limit, search_mode=search_mode, wait=wait, only=part)


def _lock_site(site: MealSite) -> None:
    """On PostgreSQL, take the site's row lock: two staff planning one site number their versions in turn."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.select(MealSite.id).where(MealSite.id == site.id).with_for_update())


def _set_job(plan_id: int, **state: Any) -> None:
    """Merge ``state`` into the plan's job record and commit it as a step (the page polls it).

    Only called between the job's steps (or right after the hand-off), where nothing else is pending.
    """
    for _attempt in range(3):
        plan = db.session.get(Plan, plan_id)
        if plan is None:
            return
        summary = dict(plan.summary or {})
        summary["job"] = {**summary.get("job", {}), **state}
        plan.summary = summary
        try:
            transaction.commit_step()
            return
        except StaleDataError:  # an edit saved the plan meanwhile: merge into its new version
            transaction.start_over()
            db.session.expire_all()


def _record_failure(plan_id: int, error: str) -> None:
    transaction.start_over()  # drop the half-stored routes; the plan itself was stored at the hand-off
    _set_job(plan_id, state="failed", error=error.strip()[-300:])


# What another planner running in the same job (``services.rural``) reports its progress with.
set_job_state = _set_job
record_failure = _record_failure


def solve_and_store(plan_id: int, solve: Solve | None = None) -> dict[str, Any]:
    """Solve the plan's day and store the routes (the work of the job ``dispatch.jobs.run_planning``)."""
    began = _time.monotonic()
    plan = db.session.get(Plan, plan_id)
    if plan is None:
        return {"state": "failed", "message": "no such plan"}
    _set_job(plan_id, state="running", started=clock.now().isoformat())
    try:
        plan = db.session.get(Plan, plan_id)
        job = (plan.summary or {}).get("job", {})
        basis = db.session.get(Plan, job["basis"]) if job.get("basis") else None
        mode = job.get("mode", FRESH)
        limit = float(job.get("time_limit") or current_app.config.get("SOLVER_TIME_LIMIT") or 10)
        for attempt in range(CLASH_RETRIES + 1):
            built, options = _problem_for_run(plan, mode, basis)
            options = small_plan_options(built.problem, options)
            budget = search.budget_for(len(built.problem.stops), limit, current_app.config,
                                       mode=job.get("search_mode"))
            if budget.mode == search.FIXED:
                options, seconds = search.apply(budget, options), budget.time_limit
            else:
                seconds = small_plan_limit(built.problem, options, limit)
            stages = day_stages(plan, built, options) if mode != WINDOW else None
            if stages:
                solution = staged.solve_staged(built.problem, stages, replace(options, time_limit=seconds),
                                               solve=solve or collaborators.solve)
            else:
                solution = (solve or collaborators.solve)(built.problem, options, time_limit=seconds)
            _hold_day(plan)
            store_solution(plan, built, solution, carry=carry_from(basis))
            db.session.flush()
            if not _clashes(plan):
                break
            # A plan stored while this one solved took some of its workers' time: solve again
            # around it rather than send a worker to two places at once.
            transaction.start_over()
            current_app.logger.info("Plan %s clashed with a plan stored meanwhile; solving again", plan_id)
        else:
            raise WorkersTaken(plan_id)
        summary = dict(plan.summary)
        summary["job"] = {**job, "state": "done", "search": budget.describe(),
                          "seconds": round(_time.monotonic() - began, 2)}
        plan.summary = summary
        db.session.flush()  # the job's edge (dispatch.jobs.run_planning) commits
        return summary["job"]
    except NoWorkers:
        _record_failure(plan_id, NO_WORKERS_ERROR)
    except WorkersTaken:
        _record_failure(plan_id, WORKERS_TAKEN_ERROR)
    except Exception as error:  # recorded for the page; the traceback goes to the log
        current_app.logger.error("Planning plan %s failed:\n%s", plan_id, traceback.format_exc())
        _record_failure(plan_id, str(error) or type(error).__name__)
    return {"state": "failed"}


def day_stages(plan: Plan, built, options) -> list[list[str]] | None:
    """A fresh day plan's stages (``routing.staged``): each meal window's orders in the order of the windows,
    then the visits; None for any other plan, and for a day started from routes or with stops pinned (a
    re-run, a re-plan, a day under way), which must stay close to what it starts from."""
    if plan.kind != PlanKind.DAY or options.initial_routes:
        return None
    if any(s.pinned_worker is not None or s.served for s in built.problem.stops):
        return None
    known = {s.id for s in built.problem.stops}
    windows = {w.meal: w.start_time for w in built.site.windows}
    meals = sorted({MealType(o.meal) for o in built.orders.values()}, key=lambda m: (windows.get(m) is None,
                                                                                      windows.get(m), m.value))
    stages = [[k for k, o in built.orders.items() if MealType(o.meal) == m and k in known] for m in meals]
    stages.append([k for k in built.requests if k in known])
    stages = [s for s in stages if s]
    return stages if len(stages) > 1 else None


def small_plan_limit(problem: routing.Problem, options, limit: float) -> float:
    """A small plan started from routes (a re-plan, a re-run) needs no more than the solver's small-plan share.

    From routes the solver runs guided local search to its limit (it never stops by itself), so a 17-stop
    re-plan took the whole 10 s; the routes it starts from are good already, and a small plan's search has
    found what it will find within the solver's own small-plan budget.
    """
    if options.initial_routes and len(problem.stops) <= options.small_plan_stops:
        return min(limit, max(1.0, options.small_plan_ortools))
    return limit


def small_plan_options(problem: routing.Problem, options):
    """A small fresh plan's polish stops after fewer fruitless iterations: on the demo's 17-stop lunch the
    default (2000 per stop) spent 2-5 s without finding a better plan than OR-Tools' first second."""
    if not options.initial_routes and len(problem.stops) <= options.small_plan_stops:
        return replace(options, converged_iterations_per_stop=min(options.converged_iterations_per_stop,
                                                                   SMALL_PLAN_STALL_PER_STOP))
    return options


SMALL_PLAN_STALL_PER_STOP = 300


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


def _visits(site: MealSite, day: date) -> list[ServiceRequest]:
    """The day's visits: approved requests, with the due welfare visits brought onto the day first."""
    visitation_planning.requests_for_day(site, day, now=clock.now())
    return request_service.visits_for(site, day)


def _day_orders(site: MealSite, day: date) -> list[MealOrder]:
    """The open orders of every meal window the site serves on ``day`` (a day plan's meals)."""
    return [o for w in sorted(site.windows, key=lambda w: w.start_time)
            for o in order_service.open_orders(site, day, w.meal)]


def _subjects(plan: Plan) -> tuple[list[MealOrder], list[ServiceRequest]]:
    site, day = plan.site, plan.service_date
    if plan.kind == PlanKind.MEALS:
        return order_service.open_orders(site, day, plan.meal), []
    if plan.kind == PlanKind.DAY:
        return _day_orders(site, day), _visits(site, day)
    return [], _visits(site, day)


def _problem_for_run(plan: Plan, mode: str, basis: Plan | None):
    from dispatch.routing.solver import SolveOptions

    only = (plan.summary or {}).get("job", {}).get("only") if mode == WINDOW else None
    if only is not None and basis is not None:
        return _window_problem(plan, basis, only)
    orders, requests = _subjects(plan)
    pins: dict[str, Pin] = {}
    resume: dict = {}
    previous: dict[str, str] = {}
    initial = None
    extra: dict[int, Worker] = {}
    # The moment the plan is made from: a day under way goes on from it (``planning.live``).
    now = clock.now()  # stored with the routes (``store_solution``), not now: the solve holds no write lock
    if basis is not None:
        by_worker = arrangement(basis)
        initial = {w: [stop_key(s) for s in stops] for w, stops in by_worker.items()}
        # Recorded stops stay where they were served, and their workers go on from the last of them.
        pins, resume = resume_points(by_worker, now, stop_key, by_load=plan.kind == PlanKind.DAY)
        for wkey, stops in by_worker.items():
            for s in stops:
                key = stop_key(s)
                if is_started(s):
                    extra[s.route.worker_id] = s.route.worker
                elif mode == REPLAN:
                    previous[key] = wkey
                elif s.is_locked:
                    pins[key] = Pin(wkey)
        # Served and started stops stay in the plan even if their order is no longer "open".
        have = {meal_key(o.id) for o in orders} | {visit_key(r.id) for r in requests}
        for stops in by_worker.values():
            for s in stops:
                if stop_key(s) in pins and stop_key(s) not in have:
                    (orders.append(s.meal_order) if s.kind == StopKind.MEAL else requests.append(s.service_request))
    built = build_problem(plan.site, plan.service_date, plan.kind, plan.meal, orders=orders, requests=requests,
                          pins=pins, previous=previous, extra_workers=extra, now=now, resume=resume)
    known = {s.id for s in built.problem.stops}
    if initial:
        initial = {w: head_first([k for k in ks if k in known], resume.get(w))
                   for w, ks in initial.items() if w in built.workers}
    weight = 3600 if mode == REPLAN else SolveOptions().continuity_weight
    return built, SolveOptions(initial_routes=initial or None, continuity_weight=weight)


def _window_problem(plan: Plan, basis: Plan, only: str):
    """The problem of a day plan's version with one window (``only``) solved again.

    That window's stops are its subjects as they are now (new orders come in, cancelled ones leave), with
    the basis's worker preferred; every other stop of the basis keeps its worker (a pin) and its time (so
    its order too), and the basis's routes are where the search starts. What the basis left unassigned
    outside the window stays unassigned, with its reason.
    """
    from dispatch.routing.solver import SolveOptions

    site, day = plan.site, plan.service_date
    if only == VISITS_PART:
        orders, requests = [], _visits(site, day)
    else:
        orders, requests = order_service.open_orders(site, day, MealType(only)), []
    now = clock.now()
    by_worker = arrangement(basis)
    pins, resume = resume_points(by_worker, now, stop_key, by_load=True)
    previous: dict[str, str] = {}
    keep: dict = {}
    extra: dict[int, Worker] = {}
    have = {meal_key(o.id) for o in orders} | {visit_key(r.id) for r in requests}
    for wkey, stops in by_worker.items():
        for s in stops:
            key = stop_key(s)
            if is_started(s):
                extra[s.route.worker_id] = s.route.worker
            elif part_of(s, only):
                previous[key] = wkey
                continue
            else:
                pins[key] = Pin(wkey)
                if s.eta_dt is not None:
                    keep[key] = s.eta_dt
            if key not in have:
                have.add(key)
                (orders.append(s.meal_order) if s.kind == StopKind.MEAL else requests.append(s.service_request))
    built = build_problem(site, day, PlanKind.DAY, None, orders=orders, requests=requests, pins=pins,
                          previous=previous, extra_workers=extra, now=now, resume=resume, keep_times=keep)
    known = {s.id for s in built.problem.stops}
    window_keys = {meal_key(o.id) for o in orders if only != VISITS_PART and o.meal == MealType(only)} | (
        {visit_key(r.id) for r in requests} if only == VISITS_PART else set())
    for u in (basis.summary or {}).get("unassigned", []):
        key = u.get("stop")
        if key not in known and key not in window_keys and not any(x["stop"] == key for x in built.skipped):
            built.skipped.append(dict(u))
    initial = {w: head_first([stop_key(s) for s in stops if stop_key(s) in known], resume.get(w))
               for w, stops in by_worker.items() if w in built.workers}
    return built, SolveOptions(initial_routes=initial or None, continuity_weight=3600)
