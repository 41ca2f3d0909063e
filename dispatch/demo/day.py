"""The demo's day made ready: today's orders made and the demo worker's meal run planned and published.

Why: a freshly seeded demo had no orders and no routes, so the worker login
opened on "no route published" and the family login on no delivery time; a
new user saw empty pages before finding the planning buttons. The staff login
still has the rest of the day (other meals, the visits, the other site) to plan
with one click.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo

import sqlalchemy as sa
from flask import current_app

from dispatch.demo.seed import DEMO_EMAILS
from dispatch.demo.visitation import VisitationToday, prepare_visitation_today
from dispatch.extensions import db
from dispatch.models.plan import PlanKind, PlanStatus
from dispatch.models.site import MealSite, MealType
from dispatch.models.user import User
from dispatch.models.worker import Worker, WorkerShift
from dispatch.platform import clock
from dispatch.platform.errors import FieldError
from dispatch.services import planning
from dispatch.services.meals import orders as order_service

VISITS_LAST_START = time(16, 0)  # later than this, a visits round would not fit before the visitors go home
# Seconds of search for the demo's plan: it is solved before the server starts, while the user waits.
DEMO_SOLVE_SECONDS = 3


@dataclass(frozen=True)
class PreparedPlan:
    site: str
    meal: MealType
    stops: int
    routes: int
    published: bool
    note: str = ""


@dataclass(frozen=True)
class PreparedDay:
    orders_made: int
    plans: list[PreparedPlan]
    worker: str | None = None  # the worker the demo login now belongs to, when it had to move
    visitation: VisitationToday | None = None


def prepare_demo_day(day: date) -> PreparedDay:
    """Make ``day``'s orders at the demo staff's sites and plan and publish the meals the demo worker's shifts cover."""
    staff = db.session.scalar(sa.select(User).where(User.email == DEMO_EMAILS["staff"]))
    worker = db.session.scalar(sa.select(Worker).join(User, Worker.user_id == User.id)
                               .where(User.email == DEMO_EMAILS["worker"]))
    if staff is None or worker is None:
        return PreparedDay(0, [])
    made = 0
    for link in staff.staff_sites:
        result = order_service.generate_orders(link.site, day)
        made += result.created + result.reopened
    plans = []
    shifts = db.session.scalars(sa.select(WorkerShift).where(
        WorkerShift.worker_id == worker.id, WorkerShift.weekday == day.weekday())).all()
    published = []
    for site_id, meal in sorted({(s.site_id, m) for s in shifts for m in _meals_in(s)}):
        site = db.session.get(MealSite, site_id)
        over = _window_over(site, day, meal)
        if over:  # on the machine's clock (--real-clock) late in the day: a plan would serve nobody
            plans.append(PreparedPlan(site.name, meal, 0, 0, False, over))
            continue
        prepared, plan = _plan_and_publish(site, day, meal, staff)
        plans.append(prepared)
        if plan is not None:
            published.append(plan)
    moved = login_onto_a_route(worker, published)
    visitation = prepare_visitation_today(day, staff=staff, password_hash=worker.user.password,
                                          plan_visits=lambda site, d: _visits_round(site, d, staff))
    return PreparedDay(made, plans, moved, visitation)


def _visits_round(site: MealSite, day: date, staff: User):
    """The site's visits (booked ones and the welfare visits due) planned and published: (plan, why not)."""
    local = clock.local_now(site)
    if local.date() == day and local.time() >= VISITS_LAST_START:
        return None, (f"it is {local:%H:%M} in {local.tzinfo}, too late to start visits "
                      "(without --real-clock the demo opens at 10:45 in the district)")
    prepared, plan = _plan_and_publish(site, day, None, staff, PlanKind.VISITS)
    return plan, prepared.note


def login_onto_a_route(worker: Worker, plans: list) -> str | None:
    """The solver may leave the demo worker idle (fewer routes are cheaper); the worker login should
    open on a route, so it moves to the worker of the longest published route. Returns who that is."""
    routes = [r for p in plans for r in p.routes if r.stops]
    if not routes or any(r.worker_id == worker.id for r in routes):
        return None
    target = db.session.get(Worker, max(routes, key=lambda r: (len(r.stops), -r.worker_id)).worker_id)
    user = worker.user
    worker.user_id = None
    db.session.flush()
    target.user_id = user.id
    user.display_name = target.full_name
    db.session.flush()
    return f"{target.full_name} ({target.kind})"


def _window_over(site: MealSite, day: date, meal: MealType) -> str:
    """Why planning ``meal`` makes no sense now (its delivery window has closed), or ""."""
    window = site.window_for(meal)
    local = clock.local_now(site)
    if window is None or local.date() != day or local.time() < window.end_time:
        return ""
    return (f"its window closed at {window.end_time:%H:%M}; it is {local:%H:%M} in {local.tzinfo} "
            "(without --real-clock the demo opens at 10:45 in the district)")


def _meals_in(shift: WorkerShift) -> list[MealType]:
    """The meals whose delivery window overlaps the shift."""
    site = db.session.get(MealSite, shift.site_id)
    meals = []
    for meal in MealType:
        window = site.window_for(meal)
        if window is not None and window.start_time < shift.end_time and shift.start_time < window.end_time:
            meals.append(meal)
    return meals


def _plan_and_publish(site: MealSite, day: date, meal: MealType | None, staff: User, kind: PlanKind = PlanKind.MEALS):
    """(what to report, the published plan or None); ``meal`` None with ``kind`` VISITS plans the visits."""
    limit = min(float(current_app.config.get("SOLVER_TIME_LIMIT") or DEMO_SOLVE_SECONDS), DEMO_SOLVE_SECONDS)
    try:
        plan = planning.start_planning(site, day, kind, meal, by=staff, time_limit=limit, wait=True)
    except FieldError as error:
        return PreparedPlan(site.name, meal, 0, 0, False, str(error.message)), None
    db.session.expire_all()
    plan = planning.load_plan(plan.id)
    state = (plan.summary or {}).get("job", {}).get("state")
    if state != "done":  # queued for an RQ worker (DISPATCH_REDIS_URL set), or failed
        return PreparedPlan(site.name, meal, 0, 0, False, f"planning job {state}"), None
    stops = sum(len(r.stops) for r in plan.routes)
    routes = sum(1 for r in plan.routes if r.stops)
    try:
        plan = planning.publish(plan, version=plan.version, by=staff)
    except FieldError as error:
        return PreparedPlan(site.name, meal, stops, routes, False, str(error.message)), None
    published = plan.status == PlanStatus.PUBLISHED
    return PreparedPlan(site.name, meal or kind, stops, routes, published), plan if published else None


LATE_MORNING = time(10, 45)  # lunch is being packed, the first runs are out: the demo's busiest, most telling hour


def clock_offset(now: datetime, zone: tzinfo, at: time = LATE_MORNING) -> int:
    """Seconds to move the clock so the district reads ``at`` on its own calendar day now.

    Started from Europe at night or America by day, the demo still opens on a live service day instead
    of one whose stops are all hours late or whose "today" has not begun.
    """
    day = now.astimezone(zone).date()
    target = datetime.combine(day, at, tzinfo=zone)
    return round((target - now).total_seconds())
