"""From the database to a routing ``Problem`` and back: the translation layer of planning.

Times in the routing core are integer seconds since the service date's local
midnight at the site; ``DayFrame`` converts both ways. Stop ids are ``m<order
id>`` for meals and ``v<request id>`` for visits, worker ids ``w<worker id>``,
so a solution reads back to rows without a lookup table.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from dispatch import routing
from dispatch.extensions import db
from dispatch.models.meals import MealOrder
from dispatch.models.plan import Plan, PlanKind, Route, Stop, StopKind, StopOutcome
from dispatch.models.service_request import ServiceRequest, ServiceType
from dispatch.models.site import MealSite, MealType
from dispatch.models.worker import Skill, Worker, WorkerShift
from dispatch.platform import clock, travel
from dispatch.platform import travel as app_travel
from dispatch.services.care.requests import required_skill
from dispatch.services.planning.live import (
    HOLD_PASSED,
    WINDOW_PASSED,
    Pin,
    Resume,
    from_now,
    served_stop,
    settle,
    window_left,
)
from dispatch.services.volunteers.onboarding import skills_on

MEAL_SERVICE_SECONDS = 150  # handing over a hot meal and a word at the door
MEAL_DIMENSION = ("meals",)
DONE_OUTCOMES = (StopOutcome.DELIVERED, StopOutcome.COMPLETED)
# Reason codes for stops that never reach the solver (the routing core's own reasons cover the rest).
NO_LOCATION = "NO_LOCATION"
REMOVED = "REMOVED_BY_STAFF"


def meal_key(order_id: int) -> str:
    return f"m{order_id}"


def visit_key(request_id: int) -> str:
    return f"v{request_id}"


def worker_key(worker_id: int) -> str:
    return f"w{worker_id}"


def worker_id_of(key: str) -> int:
    return int(key[1:])


def depot_key(site: MealSite) -> str:
    return f"site{site.id}"


@dataclass(frozen=True)
class DayFrame:
    """Seconds since the site's local midnight on the service date, and back to UTC datetimes."""

    day: date
    zone: ZoneInfo

    @property
    def midnight(self) -> datetime:
        return datetime.combine(self.day, time(0), tzinfo=self.zone)

    @staticmethod
    def clock(t: time) -> int:
        return t.hour * 3600 + t.minute * 60 + t.second

    def utc(self, seconds: int) -> datetime:
        return (self.midnight + timedelta(seconds=int(seconds))).astimezone(UTC)

    def seconds(self, dt: datetime) -> int:
        return int((dt.astimezone(self.zone) - self.midnight).total_seconds())


def window_of(site: MealSite, kind: PlanKind, meal: MealType | None) -> tuple[int, int] | None:
    """The meal window in seconds, or None for visits and the day (the workers' shifts bound them; in a day
    plan each meal order has its own meal's window, ``meal_window``)."""
    if kind != PlanKind.MEALS:
        return None
    w = site.window_for(MealType(meal))
    if w is None:
        return None
    return DayFrame.clock(w.start_time), DayFrame.clock(w.end_time)


def meal_window(site: MealSite, meal: MealType) -> tuple[int, int] | None:
    """One meal window of the site in day seconds (None when the site serves no such meal)."""
    return window_of(site, PlanKind.MEALS, meal)


def carries_meals(kind: PlanKind) -> bool:
    """Plans whose routes carry hot meals: a meal window's, and the whole day's."""
    return kind in (PlanKind.MEALS, PlanKind.DAY)


def day_trips(site: MealSite, meals: set[MealType], visits: bool = True) -> int:
    """The loads a meal worker may take in a day plan: the site's reload trips for each meal window served
    (lunch and dinner with two trips each: four), since each window's meals leave the kitchen hot on a load
    of their own, and one more: a worker leaving the kitchen in the morning for visits has taken the first
    load then (the routing core's rule), with no meal in it yet (a day of meals only has no such load)."""
    return max(1, site.reload_trips) * max(1, len(meals)) + (1 if visits else 0)


def travel_provider():
    """The app's travel-time provider (``platform.travel``): plans, ETAs and circles use the same one."""
    return travel.provider()


# A welfare visit the programme made due is optional: by its request's priority (1 overdue, 2 due by
# tomorrow, 3 later) it is dropped before any booked visit, the overdue ones last (``visitation.planning``).
OPTIONAL_PRIORITY = {1: routing.Priority.OPTIONAL_URGENT, 2: routing.Priority.OPTIONAL_SOON}


def _priority(request: ServiceRequest) -> routing.Priority:
    if request.service_type == ServiceType.HOME_VISITATION:
        return OPTIONAL_PRIORITY.get(request.priority, routing.Priority.OPTIONAL)
    if request.service_type == ServiceType.EMERGENCY_ASSISTANCE or request.priority <= 1:
        return routing.Priority.CRITICAL
    return {2: routing.Priority.HIGH, 3: routing.Priority.NORMAL}.get(request.priority, routing.Priority.LOW)


def _shift_rows(site: MealSite, day: date) -> list[tuple[Worker, WorkerShift]]:
    """Every active worker's shifts at ``site`` on ``day``'s weekday, and volunteers' dated sign-ups."""
    rows = db.session.execute(
        sa.select(Worker, WorkerShift).join(WorkerShift, WorkerShift.worker_id == Worker.id).where(
            WorkerShift.site_id == site.id, WorkerShift.weekday == day.weekday(), Worker.is_active.is_(True))
        .order_by(Worker.id, WorkerShift.start_time)
    ).all()
    # Volunteers signed up for a dated shift here that day are workers for its hours too.
    from dispatch.services.volunteers.shifts import signed_up_shifts

    return [*rows, *signed_up_shifts(site.id, day)]


def shift_workers(site: MealSite, day: date, kind: PlanKind, window: tuple[int, int] | None
                  ) -> list[tuple[Worker, WorkerShift]]:
    """Active workers with a shift at ``site`` on ``day``'s weekday (or signed up for that date) that can do this
    kind of work.

    For meals the shift must overlap the meal window and the worker must carry
    meals; for visits each worker's longest shift of the day is used.
    """
    rows = _shift_rows(site, day)
    best: dict[int, tuple[Worker, WorkerShift, int]] = {}
    for worker, shift in rows:
        start, end = DayFrame.clock(shift.start_time), DayFrame.clock(shift.end_time)
        if kind == PlanKind.MEALS:
            if window is None or worker.capacity_meals <= 0 or not worker.has_skill(Skill.MEAL_DELIVERY):
                continue
            score = min(end, window[1]) - max(start, window[0])
            if score <= 0:
                continue
        else:
            score = end - start
        if worker.id not in best or score > best[worker.id][2]:
            best[worker.id] = (worker, shift, score)
    return [(w, s) for w, s, _ in best.values()]


def day_blocks(site: MealSite, day: date) -> dict[int, list[tuple[int, int, int]]]:
    """Each worker's shifts of the day at ``site`` as (start, end, break minutes), for ``split_shift``."""
    blocks: dict[int, list[tuple[int, int, int]]] = {}
    for worker, shift in _shift_rows(site, day):
        blocks.setdefault(worker.id, []).append(
            (DayFrame.clock(shift.start_time), DayFrame.clock(shift.end_time), int(shift.break_minutes or 0)))
    return blocks


def split_shift(blocks: list[tuple[int, int, int]]) -> tuple[routing.TimeWindow, routing.Break, int] | None:
    """A lunch block and a dinner block of one worker as one day route: (span, rest, gap seconds), or None.

    The routing core gives a worker one shift and at most one break, and counts the working-time cap over
    the route's whole span. Two blocks of a day with no break of their own are exactly that: one span from
    the first start to the second end, the gap between them a break that must start when the first block
    ends and lasts until the second begins (so nothing is planned in it), and the cap grown by the gap,
    which is not work. Anything else (three blocks, or a block with its own break) keeps the longest block.
    """
    blocks = sorted(blocks)
    if len(blocks) != 2 or any(rest for _, _, rest in blocks):
        return None
    (start, first_end, _), (second_start, end, _) = blocks
    gap = second_start - first_end
    if gap <= 0:
        return None
    return routing.TimeWindow(start, end), routing.Break(routing.TimeWindow(first_end, first_end), gap), gap


def routed_elsewhere(worker_ids: set[int], day: date, site_id: int, kind: PlanKind, meal: MealType | None
                     ) -> dict[int, list[tuple[datetime, datetime]]]:
    """When each worker is already on a route of the day's other current plans (any site, the other meal,
    home visits), so that one plan does not send a driver-caregiver to two places at once.

    "Current" is the newest version of each (site, kind, meal) plan, draft or published: a draft holds its
    workers until it is replaced, which is what a coordinator expects of a plan she is still reviewing. A
    site's day plan and its separate plans of the same date are alternatives and do not hold each other's.
    """
    if not worker_ids:
        return {}
    newest = {}
    for site, plan_kind, plan_meal, version in db.session.execute(
        sa.select(Plan.site_id, Plan.kind, Plan.meal, sa.func.max(Plan.version_number))
        .where(Plan.service_date == day).group_by(Plan.site_id, Plan.kind, Plan.meal)
    ):
        newest[(site, plan_kind, plan_meal)] = version
    own = (site_id, kind, meal)

    def alternative(site: int, plan_kind: PlanKind) -> bool:
        # The site's day plan and its separate plans of the date are alternatives, never live together
        # (publishing one closes or refuses the other, ``edit.publish``): neither holds the other's workers.
        return site == site_id and (plan_kind == PlanKind.DAY) != (kind == PlanKind.DAY)

    busy: dict[int, list[tuple[datetime, datetime]]] = {}
    for worker_id, start, end, site, plan_kind, plan_meal, version in db.session.execute(
        sa.select(Route.worker_id, Route.start_dt, Route.end_dt, Plan.site_id, Plan.kind, Plan.meal,
                  Plan.version_number)
        .join(Plan, Route.plan_id == Plan.id)
        .where(Plan.service_date == day, Route.worker_id.in_(worker_ids),
               Route.start_dt.is_not(None), Route.end_dt.is_not(None))
    ):
        key = (site, plan_kind, plan_meal)
        if key != own and newest.get(key) == version and end > start and not alternative(site, plan_kind):
            busy.setdefault(worker_id, []).append((start, end))
    return busy


def free_part(span: routing.TimeWindow, busy: list[tuple[int, int]], prefer: tuple[int, int] | None = None
              ) -> routing.TimeWindow | None:
    """The part of a shift left around routes elsewhere: the piece that best covers ``prefer`` (the meal
    window), else the longest; None when less than a quarter of an hour is left."""
    pieces, cursor = [], span.start
    for start, end in sorted(busy):
        if start > cursor:
            pieces.append((cursor, min(start, span.end)))
        cursor = max(cursor, end)
    if cursor < span.end:
        pieces.append((cursor, span.end))
    pieces = [(a, b) for a, b in pieces if b - a >= 15 * 60]
    if not pieces:
        return None

    def worth(piece):
        a, b = piece
        overlap = min(b, prefer[1]) - max(a, prefer[0]) if prefer else 0
        return (overlap, b - a)

    a, b = max(pieces, key=worth)
    if prefer and min(b, prefer[1]) <= max(a, prefer[0]):
        return None  # what is left misses the meal window entirely
    return routing.TimeWindow(a, b)


def previous_workers(senior_ids: set[int], day: date, kind: PlanKind, allowed: set[str], *,
                     service_type: ServiceType | None = None) -> dict[int, str]:
    """Each senior's worker on their last served stop of this kind before ``day`` (continuity).

    With ``service_type``, only visits of that service count: a senior's usual visitor is whoever made
    their last welfare visit, not the caregiver who bathed them."""
    if not senior_ids:
        return {}
    stop_kind = StopKind.MEAL if kind == PlanKind.MEALS else StopKind.VISIT
    query = (
        sa.select(Stop.senior_id, Route.worker_id).join(Route, Stop.route_id == Route.id)
        .join(Plan, Route.plan_id == Plan.id).where(
            Stop.senior_id.in_(senior_ids), Stop.kind == stop_kind, Stop.outcome.in_(DONE_OUTCOMES),
            Plan.service_date < day, Plan.service_date >= day - timedelta(days=60))
    )
    if service_type is not None:
        query = query.join(ServiceRequest, Stop.service_request_id == ServiceRequest.id).where(
            ServiceRequest.service_type == service_type)
    rows = db.session.execute(query.order_by(Plan.service_date.desc(), Stop.id.desc())).all()
    out: dict[int, str] = {}
    for senior_id, worker_id in rows:
        key = worker_key(worker_id)
        if senior_id not in out and key in allowed:
            out[senior_id] = key
    return out


@dataclass
class Built:
    """A routing problem and the rows behind its ids."""

    problem: routing.Problem
    frame: DayFrame
    site: MealSite
    orders: dict[str, MealOrder] = field(default_factory=dict)
    requests: dict[str, ServiceRequest] = field(default_factory=dict)
    workers: dict[str, Worker] = field(default_factory=dict)
    skipped: list[dict[str, Any]] = field(default_factory=list)  # never reached the solver
    travel_model: dict[str, str] = field(default_factory=dict)
    windows: dict[str, tuple[int, int]] = field(default_factory=dict)  # each stop's own window, uncut by now
    resume: dict[str, Resume] = field(default_factory=dict)  # workers under way (``live``)
    as_of: datetime | None = None  # the moment the problem was built from

    def senior_id(self, key: str) -> int:
        subject = self.orders.get(key) or self.requests[key]
        return subject.senior_id

    def subject_ids(self, key: str) -> dict[str, int | None]:
        return {"meal_order_id": self.orders[key].id if key in self.orders else None,
                "service_request_id": self.requests[key].id if key in self.requests else None}


def break_of(shift: routing.TimeWindow, minutes: int) -> routing.Break | None:
    """The shift's rest, to start within its middle half, so nobody works most of a shift unbroken.

    Only visit plans carry it: a visit plan spans the worker's whole shift,
    while a meal run is a short window inside it, and giving both plans the
    break would rest the worker twice.
    """
    duration = max(int(minutes), 0) * 60
    length = shift.end - shift.start
    if duration == 0 or duration >= length:
        return None
    latest = shift.end - duration
    earliest = min(shift.start + length // 4, latest)
    latest = max(earliest, min(latest, shift.end - length // 4 - duration))
    return routing.Break(routing.TimeWindow(earliest, latest), duration)


def build_problem(site: MealSite, day: date, kind: PlanKind, meal: MealType | None, *,
                  orders: list[MealOrder] = (), requests: list[ServiceRequest] = (),
                  pins: dict[str, Pin] | None = None, previous: dict[str, str] | None = None,
                  extra_workers: dict[int, Worker] | None = None, travel=None,
                  now: datetime | None = None, resume: dict[str, Resume] | None = None,
                  keep_times: dict[str, datetime] | None = None) -> Built:
    """The routing problem for one site's meal window, visit shift, or whole day.

    A day plan (``PlanKind.DAY``) is the meal window's problem and the visits' in one: each meal order keeps
    its own meal's window, every worker's whole (longest) shift with its break (a lunch block and a dinner block as one span with the
    gap as an unpaid break, ``split_shift``), the hold limit from the
    departure of each load, and the site's reload trips for each meal window (``day_trips``). The working-time
    cap is kept as it is: the routing core counts ``max_work`` over the route's whole span, waits between
    lunch and dinner included (it models no split shift), so a day route never overworks a worker even where
    the cap makes it give up a window. The kitchen's ready time and packing rate are those of the day's first
    meal window (the core knows one per kitchen).

    ``pins`` keep stops with a worker (locks) or at a position (served stops);
    ``previous`` overrides continuity (re-planning prefers today's published
    worker over yesterday's); ``extra_workers`` are workers already on a stored
    route who must stay in the problem even if their shift changed since.
    ``now`` and ``resume`` make a day under way go on from now and from where each
    worker is (``planning.live``). ``keep_times`` hold stops to start exactly when they did (re-planning one
    window of a day plan keeps every other stop's time; with a pin it keeps its worker, and so its order).
    """
    pins, resume, keep_times = pins or {}, resume or {}, keep_times or {}
    frame = DayFrame(day, clock.zone_of(site))
    now_s = frame.seconds(now) if now is not None and now > frame.midnight else None
    window = window_of(site, kind, meal)
    meals_kind = carries_meals(kind)
    hold = site.hold_limit_minutes * 60 if meals_kind else None
    day_meals = {MealType(o.meal) for o in orders if site.window_for(MealType(o.meal)) is not None}
    trips = day_trips(site, day_meals, bool(requests)) if kind == PlanKind.DAY else site.reload_trips
    reloads = meals_kind and trips > 1
    # The kitchen's pace: no meal leaves before cooking ends, and departures are staggered by what it can pack.
    first = window if kind == PlanKind.MEALS else min(
        (meal_window(site, m) for m in day_meals), default=None)
    packing = meals_kind and site.packing_rate is not None and first is not None
    depot = routing.Depot(depot_key(site), routing.Location(site.lat, site.lon), hold_limit=hold,
                          load_time=site.load_minutes * 60 if reloads else 0,
                          ready=max(0, first[0] - site.ready_lead_minutes * 60) if packing else None,
                          packing_rate=site.packing_rate if packing else None)
    depots = [depot]
    built = Built(problem=None, frame=frame, site=site, as_of=now)  # type: ignore[arg-type]
    workers = []
    on_shift = shift_workers(site, day, kind, window)
    elsewhere = routed_elsewhere({w.id for w, _ in on_shift}, day, site.id, kind, meal)

    def left_of(worker_id: int, span: routing.TimeWindow) -> routing.TimeWindow | None:
        busy = elsewhere.get(worker_id)
        return free_part(span, [(frame.seconds(a), frame.seconds(b)) for a, b in busy], window) if busy else span

    unpaid: dict[int, int] = {}  # seconds between a worker's two blocks of the day (``split_shift``)
    blocks = day_blocks(site, day) if kind == PlanKind.DAY else {}
    for worker, shift in on_shift:
        whole = routing.TimeWindow(DayFrame.clock(shift.start_time), DayFrame.clock(shift.end_time))
        split = split_shift(blocks.get(worker.id, []))
        if split is not None and left_of(worker.id, split[0]) == split[0]:
            span, rest, unpaid[worker.id] = split
            if now_s is not None and now_s >= rest.window.start:  # re-planned after the first block: the second
                span, rest = routing.TimeWindow(max(now_s, rest.window.start + rest.duration), span.end), None
        else:
            span = left_of(worker.id, whole)
            if span is None:
                continue
            rest = break_of(span, shift.break_minutes) if kind != PlanKind.MEALS else None
        workers.append((worker, span, rest))
    have = {w.id for w, _, _ in workers}
    for worker in (extra_workers or {}).values():
        if worker.id not in have:
            # Already serving this plan's stops: their served stops are facts, so no shift or other route limits them.
            workers.append((worker, routing.TimeWindow(0, 24 * 3600 - 1), None))
    r_workers = []
    ready: dict[str, int] = {}

    def reloads_for(worker: Worker) -> bool:
        # In a day plan only those who deliver meals reload; a caregiver's route is one "trip" of visits.
        return kind != PlanKind.DAY or (worker.capacity_meals > 0 and worker.has_skill(Skill.MEAL_DELIVERY))

    for worker, shift, rest in workers:
        key = worker_key(worker.id)
        built.workers[key] = worker
        under_way = resume.get(key)
        home = depot.id
        if under_way is None:
            shift, rest = from_now(shift, rest, now_s)
        else:
            ready[key] = frame.seconds(under_way.ready)
            # Left earlier than the shift says (or with no shift today): the route began when it began.
            shift = routing.TimeWindow(min(shift.start, max(0, frame.seconds(under_way.departed))), shift.end)
            if kind == PlanKind.MEALS or (kind == PlanKind.DAY and under_way.on_board):
                home = under_way.depot(depot.id)
                depots.append(routing.Depot(home, depot.location))
        r_workers.append(routing.Worker(
            id=key, shift=shift, depot=home,
            # A certified skill (bathing, nursing) counts only while a certificate is valid that day.
            skills=frozenset(s.value for s in skills_on(worker, day)),
            capacity=(worker.capacity_meals,) if meals_kind else (),
            mode=worker.travel_mode.value, max_work=worker.max_minutes_per_day * 60 + unpaid.get(worker.id, 0),
            breaks=(rest,) if rest else (),
            # A route under way goes on as one load: its served stops are facts the reloads cannot sit between.
            trips=trips if reloads and under_way is None and home == depot.id and reloads_for(worker) else 1,
        ))
    keys = set(built.workers)
    aboard = {k: r for r in resume.values() if r.worker in keys for k in r.on_board}
    senior_ids = {o.senior_id for o in orders} | {r.senior_id for r in requests}
    if kind == PlanKind.DAY:  # a senior's usual rider and usual caregiver may differ
        usual = previous_workers({o.senior_id for o in orders}, day, PlanKind.MEALS, keys)
        usual_visits = previous_workers({r.senior_id for r in requests}, day, PlanKind.VISITS, keys)
    else:
        usual = usual_visits = previous_workers(senior_ids, day, kind, keys)
    welfare = {r.senior_id for r in requests if r.service_type == ServiceType.HOME_VISITATION}
    visitors = previous_workers(welfare, day, kind, keys, service_type=ServiceType.HOME_VISITATION)
    stops = []

    def place(key: str, senior, opens: int, closes: int, make, usual=usual) -> None:
        """Add the stop: a served one as a fact, the rest within what is left of its window."""
        if senior.lat is None or senior.lon is None:
            built.skipped.append({"stop": key, "reason": NO_LOCATION, "senior_id": senior.id,
                                  "message": "the senior's address has no coordinates"})
            return
        pin = pins.get(key)
        pin_ok = pin is not None and pin.worker in keys
        prev = (previous or {}).get(key) or usual.get(senior.id)
        base = dict(id=key, location=routing.Location(senior.lat, senior.lon), senior_id=str(senior.id),
                    previous_worker=prev if prev in keys else None,
                    pinned_worker=pin.worker if pin_ok else None,
                    pinned_position=pin.position if pin_ok else None,
                    served=bool(pin_ok and pin.served))
        built.windows[key] = (opens, closes)
        if base["served"]:
            under_way = resume.get(pin.worker)
            last = under_way is not None and under_way.last == key
            stops.append(served_stop(base, ready.get(pin.worker) if last else None))
            return
        carrier = aboard.get(key)
        deadline = frame.seconds(carrier.departed) + hold if carrier is not None and hold else None
        left = window_left(opens, closes, now_s, deadline)
        if left is None:
            passed = HOLD_PASSED if deadline is not None and deadline < closes else WINDOW_PASSED
            built.skipped.append({"stop": key, "reason": passed, "senior_id": senior.id,
                                  "closed": frame.utc(min(closes, deadline or closes)).isoformat(),
                                  "now": now.isoformat() if now is not None else None,
                                  "message": "its window or hold limit ended before the plan was made"})
            return
        kept = keep_times.get(key)
        if kept is not None and left[0] <= frame.seconds(kept) <= left[1]:
            left = (frame.seconds(kept), frame.seconds(kept))
        stops.append(make(base, routing.TimeWindow(*left), carrier.depot(depot.id) if carrier else depot.id))

    for order in orders:
        key = meal_key(order.id)
        built.orders[key] = order
        opens, closes = window or (meal_window(site, MealType(order.meal)) if kind == PlanKind.DAY else None) \
            or (0, 24 * 3600 - 1)
        place(key, order.senior, opens, closes, lambda base, tw, home: routing.Stop(
            **base, demand=(1,), service=MEAL_SERVICE_SECONDS, windows=(tw,),
            skills=frozenset({Skill.MEAL_DELIVERY.value}), hot_meal=True, depot=home))
    for request in requests:
        key = visit_key(request.id)
        built.requests[key] = request
        start = DayFrame.clock(request.window_start)
        service = request.duration_minutes * 60
        # Windows bound the start of service, so the visit must begin early enough to end in time.
        end = max(start, DayFrame.clock(request.window_end) - service)
        priority = _priority(request)
        place(key, request.senior, start, end, lambda base, tw, _home, service=service, priority=priority,
              request=request: routing.Stop(**base, service=service, windows=(tw,),
                                            skills=frozenset({required_skill(request).value}), priority=priority,
                                            droppable=priority < routing.Priority.CRITICAL),
              usual=visitors if request.service_type == ServiceType.HOME_VISITATION else usual_visits)
    if not r_workers:
        raise NoWorkers()
    chosen = travel or travel_provider()
    built.travel_model = app_travel.model_of(chosen)
    problem = routing.Problem.build(stops, r_workers, depots, travel=chosen,
                                    dimensions=MEAL_DIMENSION if meals_kind else (), now=now_s)
    built.problem = settle(problem, resume, ready)
    built.resume = {k: r for k, r in resume.items() if k in keys}
    return built



class NoWorkers(LookupError):
    """Nobody is on shift for this window: there is nothing to plan with."""


@dataclass(frozen=True)
class UnassignedRef:
    """What the checker needs to know about a stop left off every route."""

    stop_id: str
