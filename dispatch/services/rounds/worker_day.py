"""The worker's side of a day: which stops a phone may act on, and what it may keep offline.

``services.today.worker_today`` reads the day for the page; this module adds
what the phone page needs around it: the one lookup every worker endpoint goes
through (``get_stop_for_worker_or_404``: own route, today, current published
plan, else 404), the hot-meal hold deadline, visit task lists, and the
minimum a phone may store while offline (no health data, no surnames, no
addresses).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import NotFound

from dispatch.extensions import db
from dispatch.models.outcome import ConcernKind
from dispatch.models.plan import LIVE_STATUSES, Plan, PlanKind, Route, RouteLeg, Stop, StopKind, StopOutcome, TrunkDrop
from dispatch.models.service_request import ServiceType
from dispatch.models.worker import MapApp, Worker
from dispatch.platform import clock
from dispatch.platform.datefmt import time_range
from dispatch.platform.errors import FieldError
from dispatch.platform.labels import label, shown_name
from dispatch.platform.validation import id_or_none
from dispatch.services.rounds.today import Clock, WorkerDay

# One tap each at a meal door; visits end with check-out instead.
MEAL_OUTCOMES = (
    StopOutcome.DELIVERED, StopOutcome.NOT_HOME, StopOutcome.REFUSED,
    StopOutcome.HOSPITALISED, StopOutcome.COULD_NOT_ACCESS,
)
VISIT_OUTCOMES = (
    StopOutcome.COMPLETED, StopOutcome.COULD_NOT_COMPLETE, StopOutcome.NOT_HOME,
    StopOutcome.REFUSED, StopOutcome.HOSPITALISED, StopOutcome.COULD_NOT_ACCESS,
)
# What a visit card offers besides check-in and check-out, before and after the check-in.
VISIT_BEFORE_CHECK_IN = (StopOutcome.NOT_HOME, StopOutcome.REFUSED, StopOutcome.HOSPITALISED,
                         StopOutcome.COULD_NOT_ACCESS)
VISIT_AFTER_CHECK_IN = (StopOutcome.COULD_NOT_COMPLETE, StopOutcome.HOSPITALISED)

CONCERN_LABELS: dict[ConcernKind, Any] = {
    ConcernKind.APPEARS_UNWELL: _l("Appears unwell"),
    ConcernKind.FALL: _l("Has fallen"),
    ConcernKind.NO_FOOD: _l("No food at home"),
    ConcernKind.HOME_UNSAFE: _l("Home unsafe"),
    ConcernKind.OTHER: _l("Other worry"),
}

# What a visit of each service involves; the worker ticks these at check-out.
VISIT_TASKS: dict[ServiceType, tuple[tuple[str, Any], ...]] = {
    ServiceType.BATHING: (("bath", _l("Bath or shower")), ("skin_check", _l("Skin check")),
                          ("dress", _l("Dried and dressed"))),
    ServiceType.CLEANING: (("kitchen", _l("Kitchen cleaned")), ("bathroom", _l("Bathroom cleaned")),
                           ("rubbish", _l("Rubbish taken out"))),
    ServiceType.WALKING_ASSISTANCE: (("walk", _l("Walk done")), ("aids_checked", _l("Walking aid checked"))),
    ServiceType.MEDICAL_ASSISTANCE: (("medication", _l("Medication taken")), ("vitals", _l("Blood pressure taken"))),
    ServiceType.EMERGENCY_ASSISTANCE: (("assessed", _l("Situation assessed")), ("reported", _l("Reported to site"))),
    ServiceType.COMPANIONSHIP: (("visit", _l("Time together")), ("needs_asked", _l("Asked about needs"))),
}


def concern_label(value) -> str:
    return str(CONCERN_LABELS.get(ConcernKind(value), value)) if value else ""


def tasks_for(stop: Stop) -> tuple[tuple[str, Any], ...]:
    """The checklist for a visit stop (empty for a meal)."""
    if stop.kind != StopKind.VISIT or stop.service_request is None:
        return ()
    return VISIT_TASKS.get(stop.service_request.service_type, ())


def outcomes_for(stop: Stop) -> tuple[StopOutcome, ...]:
    return VISIT_OUTCOMES if stop.kind == StopKind.VISIT else MEAL_OUTCOMES


def hold_deadline(route: Route, stop: Stop) -> datetime | None:
    """When a hot meal on this route passes the site's hold limit (UTC), or None.

    Counted from the departure from the kitchen of the load that carries it (a rider who came back to load
    again holds those meals from then); without a planned departure, from the first stop's window start.
    """
    if stop.kind != StopKind.MEAL:
        return None
    left = route.departure_of(stop)
    if left is None and route.stops:
        left = min(s.window_start_dt for s in route.stops)
    if left is None:
        return None
    site = route.plan.site
    if route.held_from_dt is not None:  # a village round: the meal rode the car in insulated boxes
        return left + timedelta(minutes=site.insulated_hold_minutes or site.hold_limit_minutes)
    return left + timedelta(minutes=site.hold_limit_minutes)


def get_stop_for_worker_or_404(stop_id: Any, worker: Worker | None, *, now: Clock = clock.now) -> Stop:
    """A stop on ``worker``'s own route of a current published plan dated today, else 404.

    "Today" is the plan site's date, so a route from yesterday (or tomorrow)
    answers 404 like a stranger's stop: the phone may only act on the day's work.
    """
    stop_id = id_or_none(stop_id)
    if worker is None or stop_id is None:
        raise NotFound()
    stop = db.session.scalar(
        sa.select(Stop).join(Route, Stop.route_id == Route.id).join(Plan, Route.plan_id == Plan.id)
        .where(Stop.id == stop_id, Route.worker_id == worker.id, Plan.status.in_(LIVE_STATUSES))
        .options(joinedload(Stop.route).joinedload(Route.plan).joinedload(Plan.site))
    )
    if stop is None:
        raise NotFound()
    _today_and_current_or_404(stop.route.plan, now)
    return stop


def get_drop_for_worker_or_404(drop_id: Any, worker: Worker | None, *, now: Clock = clock.now) -> TrunkDrop:
    """A village point's drop on ``worker``'s own trunk run of a current published plan dated today, else 404
    (the same rule as a stop: another driver's drop, another day's run or an unknown id all answer 404)."""
    drop_id = id_or_none(drop_id)
    if worker is None or drop_id is None:
        raise NotFound()
    drop = db.session.scalar(
        sa.select(TrunkDrop).join(Route, TrunkDrop.route_id == Route.id).join(Plan, Route.plan_id == Plan.id)
        .where(TrunkDrop.id == drop_id, Route.worker_id == worker.id, Route.leg == RouteLeg.TRUNK,
               Plan.status.in_(LIVE_STATUSES))
        .options(joinedload(TrunkDrop.route).joinedload(Route.plan).joinedload(Plan.site))
    )
    if drop is None:
        raise NotFound()
    _today_and_current_or_404(drop.route.plan, now)
    return drop


def _today_and_current_or_404(plan: Plan, now: Clock) -> None:
    if plan.service_date != now().astimezone(clock.zone_of(plan.site)).date():
        raise NotFound()
    newer = db.session.scalar(
        sa.select(sa.func.count(Plan.id)).where(
            Plan.site_id == plan.site_id, Plan.service_date == plan.service_date, Plan.kind == plan.kind,
            Plan.meal.is_(None) if plan.meal is None else Plan.meal == plan.meal,
            Plan.version_number > plan.version_number, Plan.status.in_(LIVE_STATUSES),
        )
    )
    if newer:
        raise NotFound()  # re-planned: the stop now lives (or not) on the newer version


def set_map_app(worker: Worker, value: Any) -> MapApp:
    """Remember which map app the worker's directions button opens (flush only)."""
    try:
        app = MapApp(value)
    except ValueError:
        raise FieldError("map_app", _l("Choose one of the map apps listed.")) from None
    worker.map_app = app
    db.session.flush()
    return app


def first_name(full_name: str) -> str:
    """The first word of the name as staff typed it: enough to greet at the door, too little
    to identify someone from a lost phone (which word is the given name differs by culture)."""
    return (full_name or "").strip().split(" ")[0][:40]


def offline_payload(day: WorkerDay) -> dict[str, Any]:
    """What the phone may keep while offline: order, first name, door notes, diet flags.

    No surname, address, phone number, health details or history: a lost phone
    leaks as little as possible, and the page clears it on logout.
    """
    routes = []
    for rv in day.routes:
        stops = []
        for sv in rv.stops:
            s = sv.stop
            flags = []
            if s.meal_order is not None:
                flags.append(label(s.meal_order.diet))
            if sv.senior.allergies:
                flags.append(str(_l("Allergies")))
            stops.append({
                "id": s.id, "n": len(stops) + 1, "kind": s.kind.value, "name": first_name(shown_name(sv.senior)),
                "door": (sv.senior.access_notes or "")[:300], "diet": flags,
                "window": time_range(sv.window_start, sv.window_end),
                "outcome": s.outcome.value if s.outcome else None,
                "outcomes": [o.value for o in outcomes_for(s)],
            })
        routes.append({"id": rv.route.id, "title": label(rv.plan.meal) if rv.plan.meal else str(
                           _l("Whole day") if rv.plan.kind == PlanKind.DAY else _l("Home visits")),
                       "stops": stops})
    return {"day": day.day.isoformat(), "routes": routes}
