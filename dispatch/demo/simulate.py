"""Play past days of a district, so dashboards and statements have a week of realistic history.

For each of the ``days`` days before ``today`` and each active site, the
simulation does what the district would have done:

* generates the day's meal orders from enrollments and holds (``services.orders``);
* builds one published plan per meal window by a direct route build (orders
  split among the site's delivery workers by bearing from the kitchen, ETAs from
  distance at e-bike speed) rather than the OR-Tools planner, which would take
  minutes per day for a whole district;
* records each stop's outcome through the workers' own use case
  (``services.outcomes.record``, with the simulated clock), so welfare alerts,
  missed-meal rules and meal-order statuses follow as they would in life:
  most meals delivered, some late, a few not home, refused or not reachable;
* records counter meals for most dine-in orders (``services.dine_in``);
* schedules a few home visits per site and day with check-in and check-out;
* resolves the past days' alerts (staff followed up), and sets each site's
  monthly subsidy budget where none is set.

Deterministic for a given seed and ``today``. A day and site already played
(it has a plan) is skipped, so running it twice adds nothing.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from dispatch.demo.district import haversine_m
from dispatch.extensions import db
from dispatch.models.alert import AlertStatus, WelfareAlert
from dispatch.models.meals import MealMode
from dispatch.models.outcome import StopEventKind
from dispatch.models.plan import Plan, PlanKind, PlanStatus, Route, Stop, StopKind, StopOutcome
from dispatch.models.senior import Senior
from dispatch.models.service_request import RequestStatus, ServiceRequest, ServiceType
from dispatch.models.site import MealSite
from dispatch.models.subsidy import SubsidyBudget
from dispatch.models.worker import Skill, Worker, WorkerKind
from dispatch.platform import transaction
from dispatch.platform.clock import zone_of
from dispatch.services.meals import dine_in, orders
from dispatch.services.money import subsidies
from dispatch.services.rounds import outcomes

SPEED_M_PER_MIN = 250  # an e-bike in town, 15 km/h
DROP_MINUTES = 3
MEAL_OUTCOMES = [  # (outcome, weight): most meals reach the door
    (StopOutcome.DELIVERED, 90), (StopOutcome.NOT_HOME, 5), (StopOutcome.REFUSED, 2),
    (StopOutcome.HOSPITALISED, 1), (StopOutcome.COULD_NOT_ACCESS, 2),
]
VISITS_PER_SITE_DAY = 4
DINE_IN_SHOW_RATE = 0.92


@dataclass
class Played:
    days: int = 0
    plans: int = 0
    deliveries: int = 0
    delivered: int = 0
    dine_in: int = 0
    visits: int = 0
    skipped: int = 0
    alerts: int = 0
    budgets: int = 0
    by_outcome: dict[str, int] = field(default_factory=dict)

    def count_meal(self, outcome: StopOutcome) -> None:
        self.deliveries += 1
        self.delivered += outcome == StopOutcome.DELIVERED
        self.by_outcome[outcome.value] = self.by_outcome.get(outcome.value, 0) + 1

    def summary(self) -> str:
        outcomes_text = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(self.by_outcome.items()))
        return (f"{self.days} days played: {self.plans} plans, {self.deliveries} meal stops ({outcomes_text}), "
                f"{self.dine_in} counter meals, {self.visits} home visits, {self.alerts} welfare alerts "
                f"(resolved), {self.budgets} monthly budgets set; {self.skipped} site-days already played")


def utc(day: date, wall: time, site: MealSite) -> datetime:
    return datetime.combine(day, wall, zone_of(site)).astimezone(timezone.utc)


def _bearing(site: MealSite, senior: Senior) -> float:
    return math.atan2((senior.lat or site.lat) - site.lat, (senior.lon or site.lon) - site.lon)


def pick(rng: random.Random, table):
    return rng.choices([v for v, _w in table], weights=[w for _v, w in table])[0]


def simulate(*, days: int, today: date, seed: int = 1, visits: bool = True) -> Played:
    """Play the ``days`` days before ``today`` for every active site (commits as it goes)."""
    if not 1 <= days <= 62:
        raise ValueError("days must be between 1 and 62")
    rng = random.Random(seed)
    played = Played()
    sites = active_sites()
    for offset in range(days, 0, -1):
        day = today - timedelta(days=offset)
        played.days += 1
        for site in sites:
            if already_played(site, day):
                played.skipped += 1
                continue
            orders.generate_orders(site, day)
            workers = site_workers(site)
            for window in site.windows:
                _play_meal(site, day, window, workers, rng, played)
            if visits:
                _play_visits(site, day, workers, rng, played)
    played.alerts = resolve_alerts(before=today)
    played.budgets = set_budgets(sites, today, days)
    db.session.flush()
    return played


def active_sites() -> list[MealSite]:
    return list(db.session.scalars(sa.select(MealSite).where(MealSite.is_active.is_(True))
                                   .options(selectinload(MealSite.windows)).order_by(MealSite.id)))


def already_played(site: MealSite, day: date) -> bool:
    return db.session.scalar(sa.select(sa.func.count(Plan.id)).where(
        Plan.site_id == site.id, Plan.service_date == day)) > 0


def site_workers(site: MealSite) -> list[Worker]:
    return list(db.session.scalars(sa.select(Worker).where(Worker.home_site_id == site.id,
                                                           Worker.is_active.is_(True))
                                   .options(selectinload(Worker.skills), selectinload(Worker.shifts))
                                   .order_by(Worker.id)))


def _play_meal(site, day, window, workers, rng, played) -> None:
    start, end = utc(day, window.start_time, site), utc(day, window.end_time, site)
    for order in orders.open_orders(site, day, window.meal, mode=MealMode.DINE_IN):
        if rng.random() < DINE_IN_SHOW_RATE:
            eaten = start + timedelta(minutes=rng.randint(0, max(1, int((end - start).total_seconds() // 60) - 1)))
            dine_in.record_meal(order.senior, site, window.meal, client_id=f"sim{order.id:08d}x{seed_tag(day)}",
                                by=None, now=eaten)
            played.dine_in += 1
    deliveries = orders.open_orders(site, day, window.meal)
    drivers = day_drivers(workers, day, rng)
    if not deliveries or not drivers:
        return
    plan = simulated_plan(site, day, PlanKind.MEALS, window.meal, published=start - timedelta(hours=2))
    stops = lay_meal_routes(plan, site, deliveries, drivers, start, end)
    transaction.commit_step()  # day by day: a week of history never holds one huge transaction
    played.plans += 1
    for stop, eta in stops:
        outcome, when = meal_outcome(rng, eta)
        _tap(stop, StopEventKind.OUTCOME, when, outcome=outcome)
        played.count_meal(outcome)
    plan.status = PlanStatus.CLOSED
    transaction.commit_step()  # day by day: a week of history never holds one huge transaction


def day_drivers(workers: list[Worker], day: date, rng: random.Random) -> list[Worker]:
    """Whoever delivers and has a shift that day takes the routes, in a different order each day."""
    drivers = [w for w in workers if w.has_skill(Skill.MEAL_DELIVERY)] or workers
    drivers = [w for w in drivers if any(sh.weekday == day.weekday() for sh in w.shifts)] or drivers
    rng.shuffle(drivers)
    return drivers


def simulated_plan(site: MealSite, day: date, kind: PlanKind, meal, *, published: datetime) -> Plan:
    plan = Plan(site_id=site.id, service_date=day, kind=kind, meal=meal, status=PlanStatus.PUBLISHED,
                published_dt=published, summary={"simulated": True})
    db.session.add(plan)
    return plan


def meal_outcome(rng: random.Random, eta: datetime) -> tuple[StopOutcome, datetime]:
    """What happened at a meal stop and when the worker tapped it (a few minutes either side of the ETA)."""
    late = timedelta(minutes=max(-5.0, rng.gauss(4, 12)))
    return pick(rng, MEAL_OUTCOMES), eta + late


def lay_meal_routes(plan: Plan, site: MealSite, deliveries: list, drivers: list[Worker], start: datetime,
                    end: datetime) -> list[tuple[Stop, datetime]]:
    """Split the orders among the drivers by bearing from the kitchen; ETAs from distance at e-bike speed.

    ``deliveries`` are meal orders (flushed: their ids are used). Returns each stop with its ETA.
    """
    per_route = max(1, max((w.capacity_meals or 0) for w in drivers) or 10)
    n_routes = min(len(drivers), max(1, math.ceil(len(deliveries) / per_route)))
    deliveries = sorted(deliveries, key=lambda o: _bearing(site, o.senior))
    chunk = math.ceil(len(deliveries) / n_routes)
    stops: list[tuple[Stop, datetime]] = []
    for r in range(n_routes):
        part = deliveries[r * chunk:(r + 1) * chunk]
        if not part:
            continue
        leave = start - timedelta(minutes=10)
        route = Route(plan=plan, worker_id=drivers[r].id, position=r, start_dt=leave)
        db.session.add(route)
        clock, here, metres = leave, (site.lat, site.lon), 0
        for i, order in enumerate(part):
            senior = order.senior
            there = (senior.lat or site.lat, senior.lon or site.lon)
            leg = haversine_m(*here, *there) * 1.3
            metres += int(leg)
            clock += timedelta(minutes=leg / SPEED_M_PER_MIN)
            stop = Stop(route=route, position=i, kind=StopKind.MEAL, senior_id=senior.id, meal_order_id=order.id,
                        window_start_dt=start, window_end_dt=end, eta_dt=clock)
            db.session.add(stop)
            stops.append((stop, clock))
            clock += timedelta(minutes=DROP_MINUTES)
            here = there
        route.end_dt = clock + timedelta(minutes=haversine_m(*here, site.lat, site.lon) * 1.3 / SPEED_M_PER_MIN)
        route.distance_m = metres
        route.travel_seconds = int((route.end_dt - leave).total_seconds())
    return stops


def seed_tag(day: date) -> str:
    return day.strftime("%Y%m%d")


def _tap(stop: Stop, kind: StopEventKind, when: datetime, *, outcome: StopOutcome | None = None) -> None:
    tap = outcomes.Tap(client_id=f"sim-{kind.value}-{stop.id}", kind=kind, outcome=outcome, concern=None,
                       note="", tasks_done=None, recorded_dt=when, device="simulation")
    outcomes.record(stop, tap, by=None, now=lambda: when)


VISIT_PROFILES = {  # service: (minutes, skill)
    ServiceType.BATHING: (60, Skill.BATHING), ServiceType.CLEANING: (90, Skill.CLEANING),
    ServiceType.WALKING_ASSISTANCE: (45, Skill.WALKING_ASSISTANCE),
    ServiceType.MEDICAL_ASSISTANCE: (30, Skill.MEDICAL_ASSISTANCE),
    ServiceType.COMPANIONSHIP: (60, Skill.COMPANIONSHIP),
}


def _play_visits(site, day, workers, rng, played) -> None:
    planned = lay_visits(site, day, workers, rng)
    if not planned:
        return
    transaction.commit_step()  # day by day: a week of history never holds one huge transaction
    for stop, window_start, minutes in planned:
        arrive, leave, outcome = visit_times(rng, window_start, minutes)
        _tap(stop, StopEventKind.CHECK_IN, arrive)
        _tap(stop, StopEventKind.CHECK_OUT, leave, outcome=outcome)
        played.visits += 1
    planned[0][0].route.plan.status = PlanStatus.CLOSED
    transaction.commit_step()  # day by day: a week of history never holds one huge transaction


def visit_times(rng: random.Random, window_start: datetime, minutes: int) -> tuple[datetime, datetime, StopOutcome]:
    """(check-in, check-out, outcome) of one simulated visit: on time or a little late, about as long as planned."""
    arrive = window_start + timedelta(minutes=rng.randint(0, 40))
    stay = max(10, int(rng.gauss(minutes, 10)))
    outcome = StopOutcome.COMPLETED if rng.random() < 0.95 else StopOutcome.COULD_NOT_COMPLETE
    return arrive, arrive + timedelta(minutes=stay), outcome


def lay_visits(site, day, workers, rng) -> list[tuple[Stop, datetime, int]]:
    """A few scheduled home visits at ``site`` on ``day`` in one published plan: (stop, window start, minutes)."""
    seniors = list(db.session.scalars(sa.select(Senior).where(Senior.home_site_id == site.id,
                                                              Senior.is_active.is_(True)).order_by(Senior.id)))
    if not seniors or not workers:
        return []
    plan = simulated_plan(site, day, PlanKind.VISITS, None, published=utc(day, time(7), site))
    routes: dict[int, Route] = {}
    planned = []
    for n in range(min(VISITS_PER_SITE_DAY, len(seniors))):
        service = rng.choice(list(VISIT_PROFILES))
        minutes, skill = VISIT_PROFILES[service]
        able = [w for w in workers if w.has_skill(skill)] or [w for w in workers if w.kind != WorkerKind.DRIVER] \
            or workers
        worker = rng.choice(able)
        starts = time(9 + 2 * (n % 4), 0)
        request = ServiceRequest(senior_id=rng.choice(seniors).id, site_id=site.id, service_type=service,
                                 requested_date=day, window_start=starts,
                                 window_end=time(starts.hour + 2, 0), duration_minutes=minutes,
                                 required_skill=skill, status=RequestStatus.SCHEDULED, notes="simulated")
        db.session.add(request)
        route = routes.get(worker.id)
        if route is None:
            route = routes[worker.id] = Route(plan=plan, worker_id=worker.id, position=len(routes),
                                              start_dt=utc(day, time(8, 45), site))
            db.session.add(route)
        window_start = utc(day, starts, site)
        stop = Stop(route=route, position=len(route.stops), kind=StopKind.VISIT, senior_id=request.senior_id,
                    service_request=request, window_start_dt=window_start,
                    window_end_dt=window_start + timedelta(hours=2), eta_dt=window_start + timedelta(minutes=15))
        db.session.add(stop)
        planned.append((stop, window_start, minutes))
        route.end_dt = window_start + timedelta(minutes=15 + minutes + 20)
    return planned


def resolve_alerts(*, before: date) -> int:
    """Staff followed up every alert of the played days: close them so today's board starts clean."""
    cutoff = datetime.combine(before, time(0), timezone.utc) - timedelta(hours=8)
    alerts = list(db.session.scalars(sa.select(WelfareAlert).where(
        WelfareAlert.status != AlertStatus.RESOLVED, WelfareAlert.raised_dt < cutoff)))
    for alert in alerts:
        done = alert.raised_dt + timedelta(minutes=25)
        alert.acknowledged_dt = alert.acknowledged_dt or alert.raised_dt + timedelta(minutes=6)
        alert.status, alert.resolved_dt = AlertStatus.RESOLVED, done
        alert.resolution = "Simulated: called the senior and a contact; all well."
    return len(alerts)


def set_budgets(sites: list[MealSite], today: date, days: int) -> int:
    """A monthly budget per site where none is set: about ¥1 a day per senior homed there."""
    months = {subsidies.month_start(today - timedelta(days=d)) for d in range(days + 1)}
    added = 0
    for site in sites:
        seniors = db.session.scalar(sa.select(sa.func.count(Senior.id)).where(Senior.home_site_id == site.id))
        for month in sorted(months):
            exists = db.session.scalar(sa.select(SubsidyBudget.id).where(SubsidyBudget.site_id == site.id,
                                                                         SubsidyBudget.month == month))
            if exists is None:
                days_in_month = subsidies.month_end(month).day
                db.session.add(SubsidyBudget(site_id=site.id, month=month,
                                             amount_cents=max(1, seniors) * 100 * days_in_month))
                added += 1
    return added
