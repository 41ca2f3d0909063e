"""Changing plans: move and lock stops on drafts, publish, re-plan a live day, insert an urgent visit.

Every edit is re-checked by the routing checker and its ETAs recomputed by the
checker's own walk (``planning.timing.timing``); a move that breaks a window,
the hold limit or any other rule is previewed and saved only on confirmation.
Each use case compares the version the user saw with the plan's and answers
``StaleRecord`` if someone saved in between.
"""
from __future__ import annotations

import time as _time
from dataclasses import dataclass, field
from typing import Any, Callable

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.orm.exc import StaleDataError

from dispatch import routing
from dispatch.extensions import db
from dispatch.models.plan import Plan, PlanKind, PlanStatus, Stop, StopKind
from dispatch.models.service_request import RequestStatus, ServiceRequest
from dispatch.platform import audit, clock, transaction
from dispatch.platform.errors import FieldError, StaleRecord
from dispatch.services.care import requests as request_service
from dispatch.services.planning import service, store
from dispatch.services.planning.live import head_first, is_started, resume_points
from dispatch.services.planning.problem import (
    NO_LOCATION,
    REMOVED,
    Built,
    UnassignedRef,
    build_problem,
    visit_key,
    worker_key,
)
from dispatch.services.planning.timing import natural_depart, split_loads, timing
from dispatch.services.visitation import planning as visitation_planning

try:  # the family portal's outbox; planning works (and says so in the audit trail) without it
    from dispatch.services.family import notifications
except ImportError:  # pragma: no cover - depends on what is installed alongside
    notifications = None


def _check_version(plan: Plan, version: Any) -> None:
    try:
        seen = int(version)
    except (TypeError, ValueError):
        raise FieldError("version", _("The form is missing the plan's version; reload the page.")) from None
    if seen != plan.version:
        raise StaleRecord(_("Someone else saved this plan after you opened it; nothing was changed. "
                            "Reload the page to see their changes, then make yours again."))


def _editable(plan: Plan) -> None:
    if not plan.is_editable:
        raise store.PlanNotEditable(_("This plan version is %(status)s and can no longer be changed; "
                                            "re-plan to make a new version.", status=plan.status.value))


def _commit() -> None:
    try:
        db.session.flush()
    except StaleDataError:
        transaction.doom()
        raise StaleRecord(_("Someone else saved this plan at the same moment; nothing was changed. "
                            "Reload the page and try again.")) from None


# --- moving a stop -----------------------------------------------------------------------------

@dataclass
class MovePreview:
    """What the plan would look like after a move: new ETAs of the changed routes and broken rules."""

    stop: str
    worker: str | None
    position: int
    arrangement: dict[str, list[str]]
    departs: dict[str, int]
    changed: set[str]
    violations: list[routing.Violation]
    etas: dict[str, dict[str, int]] = field(default_factory=dict)  # worker -> stop -> start seconds
    built: Built | None = None

    @property
    def is_clean(self) -> bool:
        return not self.violations


def preview_move(plan: Plan, stop_key: str, worker: str | None, position: int) -> MovePreview:
    """Where ``stop_key`` would go (``worker`` None: off every route) and what would break; saves nothing."""
    _editable(plan)
    built = store.problem_for_plan(plan)
    problem = built.problem
    known = {s.id for s in problem.stops}
    if stop_key not in known:
        raise FieldError("stop", _("That stop is not part of this plan."))
    if worker is not None and worker not in built.workers:
        raise FieldError("worker", _("That worker is not on shift for this plan."))
    arrangement = {worker_key(r.worker_id): [store.stop_key(s) for s in sorted(r.stops, key=lambda s: s.position)]
                   for r in plan.routes if r.stops}
    departs = {worker_key(r.worker_id): built.frame.seconds(r.start_dt) for r in plan.routes if r.stops}
    source = next((w for w, keys in arrangement.items() if stop_key in keys), None)
    current = next((s for r in plan.routes for s in r.stops if store.stop_key(s) == stop_key), None)
    if current is not None and is_started(current):
        raise FieldError("stop", _("This stop has already been served or started; it stays where it is."))
    if source is not None:
        arrangement[source].remove(stop_key)
    if worker is not None:
        keys = arrangement.setdefault(worker, [])
        position = min(max(int(position), 0), len(keys))
        keys.insert(position, stop_key)
    changed = {w for w in (source, worker) if w is not None}
    windex = {w.id: i for i, w in enumerate(problem.workers)}
    sindex = {s.id: i for i, s in enumerate(problem.stops)}
    for w in changed:
        if arrangement.get(w) and w not in built.resume:  # a route under way keeps its departure
            departs[w] = natural_depart(problem, windex[w], [sindex[k] for k in arrangement[w]])
    unassigned = [u["stop"] for u in (plan.summary or {}).get("unassigned", []) if u["stop"] != stop_key]
    if worker is None:
        unassigned.append(stop_key)
    # Reloads: the untouched routes keep theirs; a changed route goes back to the kitchen where its box or
    # the hold limit needs it (as the store will place them).
    loads = {worker_key(r.worker_id): store.stored_loads(r, built) for r in plan.routes if r.stops}
    for w in changed:
        if arrangement.get(w):
            loads[w] = (split_loads(problem, windex[w], [sindex[k] for k in arrangement[w]], departs[w]), ())
    routes = [routing.Route(w, tuple(keys), departs[w], reloads=loads.get(w, ((), ()))[0],
                            trip_departs=loads.get(w, ((), ()))[1]) for w, keys in arrangement.items() if keys]
    violations = routing.check(problem, routes, [UnassignedRef(k) for k in unassigned])
    # Only what this move caused: rules the untouched routes already broke are not its fault.
    violations = [v for v in violations if v.worker_id in changed or v.stop_id == stop_key]
    etas = {}
    for w in changed:
        if arrangement.get(w):
            nodes = [sindex[k] for k in arrangement[w]]
            t = timing(problem, windex[w], nodes, departs[w], loads[w][0])
            etas[w] = dict(zip(arrangement[w], t.starts))
    return MovePreview(stop_key, worker, position, arrangement, departs, changed, violations, etas, built)


def apply_move(plan: Plan, stop_key: str, worker: str | None, position: int, *, version: Any, by,
               confirm: bool = False) -> MovePreview:
    """Save a move; one that breaks a rule is saved only with ``confirm`` (after the user saw the preview)."""
    _check_version(plan, version)
    preview = preview_move(plan, stop_key, worker, position)
    if preview.violations and not confirm:
        return preview
    summary = dict(plan.summary or {})
    unassigned = [u for u in summary.get("unassigned", []) if u["stop"] != stop_key]
    if worker is None:
        unassigned.append({"stop": stop_key, "reason": REMOVED, "message": "taken off the routes by staff",
                           "senior_id": preview.built.senior_id(stop_key)})
    summary["unassigned"] = unassigned
    plan.summary = summary
    store.write_routes(plan, preview.built, preview.arrangement, preview.departs, only=preview.changed)
    audit.record("plan.move_stop", user=by, entity_type="plan", entity_id=plan.id,
                 senior_id=preview.built.senior_id(stop_key),
                 detail={"stop": stop_key, "worker": worker, "position": preview.position,
                         "violations": len(preview.violations)})
    _commit()
    return preview


def set_lock(plan: Plan, stop: Stop, locked: bool, *, version: Any, by) -> None:
    """Pin a stop to its worker (or release it); a re-run keeps locked stops with their worker."""
    _check_version(plan, version)
    _editable(plan)
    if stop.route.plan_id != plan.id:
        raise FieldError("stop", _("That stop is not part of this plan."))
    stop.is_locked = bool(locked)
    summary = dict(plan.summary or {})
    summary["locks"] = sum(1 for r in plan.routes for s in r.stops if s.is_locked)
    plan.summary = summary  # the plan's version moves too, so a concurrent editor is told
    audit.record("plan.lock_stop" if locked else "plan.unlock_stop", user=by, entity_type="plan",
                 entity_id=plan.id, senior_id=stop.senior_id, detail={"stop": stop.id})
    _commit()


def rerun_keeping_locks(plan: Plan, *, version: Any, by) -> Plan:
    """Solve the draft's day again as a new draft version, locked stops pinned to their workers."""
    _check_version(plan, version)
    _editable(plan)
    return service.start_planning(plan.site, plan.service_date, plan.kind, plan.meal, by=by, basis=plan,
                                      mode=service.RERUN)


def replan_published(plan: Plan, *, by) -> Plan:
    """A new draft for a live day: served and started stops stay put, the rest move as little as possible."""
    if plan.status not in store.LIVE:
        raise FieldError(None, _("Only a published plan is re-planned this way; edit the draft instead."))
    return service.start_planning(plan.site, plan.service_date, plan.kind, plan.meal, by=by, basis=plan,
                                      mode=service.REPLAN)


# --- publishing --------------------------------------------------------------------------------

def _close_older_live(plan: Plan) -> None:
    """Older published versions of the same day are superseded (workers follow the newest)."""
    older = store.live_plan(plan.site_id, plan.service_date, plan.kind, plan.meal)
    while older is not None and older.id != plan.id:
        older.status = PlanStatus.CLOSED
        db.session.flush()
        older = store.live_plan(plan.site_id, plan.service_date, plan.kind, plan.meal)


def separate_live(plan: Plan) -> list[Plan]:
    """The live plans of ``plan``'s site and date that a day plan stands in for: each meal window's and the
    visits' (for a separate plan: the live day plan, if any)."""
    if plan.kind == PlanKind.DAY:
        found = [store.live_plan(plan.site_id, plan.service_date, PlanKind.MEALS, w.meal) for w in plan.site.windows]
        found.append(store.live_plan(plan.site_id, plan.service_date, PlanKind.VISITS, None))
    else:
        found = [store.live_plan(plan.site_id, plan.service_date, PlanKind.DAY, None)]
    return [p for p in found if p is not None and p.id != plan.id]


def _supersede_separate(plan: Plan) -> list[Plan]:
    """One stop, one live plan: a day plan going live closes the site's live meal and visits plans of the date
    (they are superseded), unless one is under way (a recorded stop), which must be finished or re-planned
    first; a separate plan cannot go live while the day plan is."""
    others = separate_live(plan)
    if plan.kind != PlanKind.DAY:
        if others:
            raise FieldError(None, _("The day plan of this site and date is live, so this plan cannot be "
                                     "published beside it: re-plan this window within the day plan instead."))
        return []
    started = [p for p in others if any(is_started(s) for r in p.routes for s in r.stops)]
    if started:
        raise FieldError(None, _("%(plan)s is under way (stops are recorded): the day plan cannot replace it "
                                 "today. Re-plan that plan instead.", plan=plan_title(started[0])))
    for other in others:
        other.status = PlanStatus.CLOSED
        summary = dict(other.summary or {})
        summary["superseded_by"] = plan.id
        other.summary = summary
    db.session.flush()
    return others


def plan_title(plan: Plan) -> str:
    """A plan as staff name it: its meal, "Home visits" or "Whole day"."""
    from dispatch.platform.labels import label

    if plan.meal is not None:
        return str(label(plan.meal))
    return _("Whole day") if plan.kind == PlanKind.DAY else _("Home visits")


def _schedule_and_notify(plan: Plan, *, by) -> int:
    requests = [s.service_request for r in plan.routes for s in r.stops if s.kind == StopKind.VISIT]
    request_service.mark_scheduled(requests, by=by)
    visitation_planning.sync_dues(plan)  # due welfare visits on a route are planned, dropped ones open again
    if notifications is None:
        audit.record("plan.notifications_skipped", user=by, entity_type="plan", entity_id=plan.id,
                     detail={"reason": "no notification outbox installed", "visits": len(requests)})
        return 0
    zone = clock.zone_of(plan.site)
    queued = 0
    for route in plan.routes:
        for stop in route.stops:
            if stop.kind != StopKind.VISIT or stop.eta_dt is None:
                continue
            eta = stop.eta_dt.astimezone(zone).strftime("%H:%M")
            queued += len(notifications.emit_for_request("visit_scheduled", stop.service_request, eta_start=eta))
    return queued


def publish(plan: Plan, *, version: Any, by, check: Callable[[Plan], list] | None = None) -> Plan:
    """Freeze a draft and show it to workers; only a plan the checker passes is published.

    ``check`` replaces the site plan's checker for a plan of another shape (a county plan's two legs,
    ``services.rural``)."""
    _check_version(plan, version)
    _editable(plan)
    if not any(r.stops or r.drops for r in plan.routes):
        raise FieldError(None, _("This plan has no routes to publish."))
    violations = (check or store.check_plan)(plan)
    if violations:
        raise FieldError(None, ngettext("The plan breaks %(num)s rule, e.g. %(first)s. Fix it before publishing.",
                                        "The plan breaks %(num)s rules, e.g. %(first)s. Fix them before publishing.",
                                        len(violations), first=str(violations[0])))
    superseded = _supersede_separate(plan)
    _close_older_live(plan)
    plan.status = PlanStatus.PUBLISHED
    plan.published_dt = clock.now()
    queued = _schedule_and_notify(plan, by=by)
    audit.record("plan.publish", user=by, entity_type="plan", entity_id=plan.id,
                 detail={"version": plan.version_number, "notifications": queued,
                         **({"superseded": [p.id for p in superseded]} if superseded else {})})
    _deliver()
    _commit()
    return plan


def _deliver() -> None:
    if notifications is not None and hasattr(notifications, "deliver_after_commit"):
        try:
            notifications.deliver_after_commit()
        except Exception:  # delivery retries later; the publish is already committed
            current_app.logger.exception("Could not hand notifications to delivery")


# --- urgent insertion --------------------------------------------------------------------------

@dataclass(frozen=True)
class UrgentResult:
    plan: Plan
    placed: bool
    moved: int
    seconds: float


def insert_urgent(request: ServiceRequest, *, by, now=_time.monotonic) -> UrgentResult:
    """Put an approved urgent visit into its day's live visits plan and publish the new version at once."""
    began = now()
    if request.status != RequestStatus.APPROVED:
        raise FieldError("status", _("Approve the request first; only approved requests are inserted."))
    live = store.live_plan(request.site_id, request.requested_date, PlanKind.VISITS, None) or store.live_plan(
        request.site_id, request.requested_date, PlanKind.DAY, None)
    if live is None:
        raise FieldError(None, _("There is no published visits plan for that day yet: plan visits instead."))
    key = visit_key(request.id)
    arrangement = store.arrangement(live)
    published = {w: [store.stop_key(s) for s in stops] for w, stops in arrangement.items()}
    if any(key in keys for keys in published.values()):
        raise FieldError(None, _("This visit is already on the live plan."))
    requests, orders, extra = [request], [], {}
    moment = clock.now()
    # Recorded visits stay where they were made, and each worker goes on from their last one, from now on.
    pins, resume = resume_points(arrangement, moment, store.stop_key, by_load=live.kind == PlanKind.DAY)
    for stops in arrangement.values():
        for s in stops:
            (orders.append(s.meal_order) if s.kind == StopKind.MEAL else requests.append(s.service_request))
            extra[s.route.worker_id] = s.route.worker
    built = build_problem(live.site, live.service_date, live.kind, None, orders=orders, requests=requests,
                          pins=pins, extra_workers=extra, now=moment, resume=resume)
    if key not in {s.id for s in built.problem.stops}:
        passed = next((u for u in built.skipped if u["stop"] == key and u["reason"] != NO_LOCATION), None)
        if passed is not None:
            raise FieldError(None, _("The visit's time window has already passed; it can no longer be served today."))
        raise FieldError(None, _("The senior's address has no coordinates; the visit cannot be routed."))
    known = {s.id for s in built.problem.stops}
    published = {w: head_first([k for k in ks if k in known], resume.get(w))
                 for w, ks in published.items() if w in built.workers}
    limit = float(current_app.config.get("URGENT_TIME_LIMIT") or 3)
    from dispatch.routing.replan import insert_urgent as route_urgent
    from dispatch.routing.replan import moved_stops

    solution = route_urgent(built.problem, published, [key], time_limit=limit)
    placed = solution.worker_of(key) is not None
    if not placed:
        raise FieldError(None, _("No worker on shift can reach this visit in its window: %(why)s",
                                 why=next((u.message for u in solution.unassigned if u.stop_id == key), "")))
    plan = Plan(site_id=live.site_id, service_date=live.service_date, kind=live.kind, meal=None,
                version_number=store.latest_plan(live.site, live.service_date, live.kind, None)
                .version_number + 1, created_by_id=getattr(by, "id", None),
                summary={"job": {"state": "done", "mode": "urgent", "basis": live.id}, "as_of": moment.isoformat()})
    db.session.add(plan)
    db.session.flush()
    store.store_solution(plan, built, solution, carry=store.carry_from(live))
    violations = store.refresh_figures(plan, built)
    if violations:
        transaction.doom()
        raise FieldError(None, _("The urgent plan failed the routing check: %(first)s", first=str(violations[0])))
    moved = len(moved_stops(published, solution))
    _close_older_live(plan)
    plan.status, plan.published_dt = PlanStatus.PUBLISHED, clock.now()
    summary = dict(plan.summary)
    summary["urgent"] = {"request": request.id, "moved": moved, "seconds": round(now() - began, 2)}
    plan.summary = summary
    queued = _schedule_and_notify(plan, by=by)
    audit.record("plan.insert_urgent", user=by, entity_type="plan", entity_id=plan.id, senior_id=request.senior_id,
                 detail={"request": request.id, "moved": moved, "notifications": queued})
    _commit()
    _deliver()
    return UrgentResult(plan, placed, moved, now() - began)
