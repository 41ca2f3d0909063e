"""A fresh demo's recent past, made in seconds: the last days' meals, visits and alerts, written directly.

Why: a fresh demo opened on an empty dashboard, empty statements and a board with
no history, and ``doorstep simulate --days 7`` takes minutes. It plays each tap
through the phones' use case (``services.rounds.outcomes.record``), which commits
once per tap and runs every rule, notification and audit row: right for testing
those rules, far too slow for a demo that should start while the user waits.

This module writes the end state of the same simulation in one transaction: the
day's meal orders from enrollments and holds, one closed plan per meal window
(routes laid by ``simulate.lay_meal_routes``), one stop event per tap with the
stop's outcome, arrival and departure and the meal order's status set as the use
case would, counter meals, a few home visits with check-in and check-out, and the
welfare alerts the rules would have raised (a senior living alone not at home or
not reachable, two missed meals in a row), already followed up and resolved. No
notifications and no audit rows: nobody did these things. The caller commits.
"""
from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from dispatch.demo import simulate as sim
from dispatch.extensions import db
from dispatch.models.alert import AlertKind, AlertSeverity, AlertStatus, WelfareAlert
from dispatch.models.dine_in import DineInMeal
from dispatch.models.meals import MealMode, MealOrder, MealOrderStatus
from dispatch.models.outcome import StopEvent, StopEventKind
from dispatch.models.plan import PlanKind, PlanStatus, Stop, StopOutcome
from dispatch.models.senior import Senior
from dispatch.models.service_request import RequestStatus
from dispatch.services.meals import orders as order_service
from dispatch.services.rounds.outcomes import MEAL_STATUS
from dispatch.services.safety.alerts import MISSED_MEAL_OUTCOMES

DEMO_HISTORY_DAYS = 7
DEVICE = "simulation"
RESOLUTION = "Simulated: called the senior and a contact; all well."
ALONE_ALERTS = {StopOutcome.NOT_HOME: AlertKind.NOT_HOME_LIVES_ALONE, StopOutcome.COULD_NOT_ACCESS: AlertKind.NO_ANSWER}


class _Day:
    """What one site's day writes, with the per-senior memory the missed-meals rule needs.

    Stop events and alerts wait for the day's stops to have ids, then go in as one bulk insert each:
    thousands of rows nobody edits need no unit-of-work bookkeeping.
    """

    def __init__(self, rng: random.Random, played: sim.Played, missed_last: dict[int, bool]):
        self.rng, self.played, self.missed_last = rng, played, missed_last
        self.events: list[tuple[Stop, StopEventKind, datetime, StopOutcome | None]] = []
        self.alerts: list[tuple[AlertKind, AlertSeverity, int, int, datetime, Stop | None]] = []

    def event(self, stop: Stop, kind: StopEventKind, when: datetime, outcome: StopOutcome | None = None) -> None:
        self.events.append((stop, kind, when, outcome))

    def alert(self, kind: AlertKind, severity: AlertSeverity, senior_id: int, site_id: int, when: datetime,
              stop: Stop | None) -> None:
        self.alerts.append((kind, severity, senior_id, site_id, when, stop))
        self.played.alerts += 1

    def write(self) -> None:
        db.session.flush()
        if self.events:
            db.session.execute(sa.insert(StopEvent), [
                {"stop_id": stop.id, "kind": kind, "outcome": outcome, "note": "", "device": DEVICE,
                 "recorded_dt": when, "received_dt": when, "client_id": f"hist-{kind.value[:8]}-{stop.id}"}
                for stop, kind, when, outcome in self.events])
        if self.alerts:
            db.session.execute(sa.insert(WelfareAlert), [
                {"senior_id": senior_id, "site_id": site_id, "stop_id": stop.id if stop is not None else None,
                 "kind": kind, "severity": severity, "status": AlertStatus.RESOLVED, "raised_dt": when,
                 "acknowledged_dt": when + timedelta(minutes=6), "resolved_dt": when + timedelta(minutes=25),
                 "resolution": RESOLUTION, "version": 1}
                for kind, severity, senior_id, site_id, when, stop in self.alerts])
        self.events, self.alerts = [], []


def quick_history(*, today: date, days: int = DEMO_HISTORY_DAYS, seed: int = 1, visits: bool = True) -> sim.Played:
    """Write the ``days`` days before ``today`` for every active site (flushes; the caller commits).

    A site-day that already has a plan is skipped, as ``simulate`` does.
    """
    if not 1 <= days <= 62:
        raise ValueError("days must be between 1 and 62")
    rng = random.Random(seed)
    played = sim.Played()
    sites = sim.active_sites()
    seniors = {s.id: s for s in db.session.scalars(sa.select(Senior))}
    first = today - timedelta(days=days)
    taken = set(tuple(row) for row in db.session.execute(sa.select(MealOrder.senior_id, MealOrder.service_date, MealOrder.meal)
                                   .where(MealOrder.service_date.between(first, today))).all())
    workers = {site.id: sim.site_workers(site) for site in sites}
    missed_last: dict[int, bool] = defaultdict(bool)
    for offset in range(days, 0, -1):
        day = today - timedelta(days=offset)
        played.days += 1
        for site in sites:
            if sim.already_played(site, day):
                played.skipped += 1
                continue
            book = _Day(rng, played, missed_last)
            made = _orders(site, day, seniors, taken)
            for window in site.windows:
                _meal(book, site, day, window, [o for o in made if o.meal == window.meal], workers[site.id])
            if visits:
                _visits(book, site, day, workers[site.id])
            book.write()
    played.budgets = sim.set_budgets(sites, today, days)
    db.session.flush()
    return played


def _orders(site, day: date, seniors: dict[int, Senior], taken: set) -> list[MealOrder]:
    """The day's orders from enrollments and holds (``orders.wanted_orders``), made in one flush."""
    made = []
    for (senior_id, meal), enrollment in order_service.wanted_orders(site, day).items():
        if (senior_id, day, meal) in taken:  # another site feeds this senior this meal
            continue
        taken.add((senior_id, day, meal))
        order = MealOrder(senior_id=senior_id, site_id=site.id, service_date=day, meal=meal, mode=enrollment.mode,
                          diet=seniors[senior_id].diet, status=MealOrderStatus.ORDERED)
        order.senior = seniors[senior_id]
        made.append(order)
    db.session.add_all(made)
    db.session.flush()  # the stops carry the orders' ids
    return made


def _meal(book: _Day, site, day: date, window, made: list[MealOrder], workers) -> None:
    rng, played = book.rng, book.played
    start, end = sim.utc(day, window.start_time, site), sim.utc(day, window.end_time, site)
    minutes = max(1, int((end - start).total_seconds() // 60) - 1)
    for n, order in enumerate(o for o in made if o.mode == MealMode.DINE_IN):
        if rng.random() < sim.DINE_IN_SHOW_RATE:
            db.session.add(DineInMeal(senior_id=order.senior_id, site_id=site.id, service_date=day, meal=order.meal,
                                      client_id=f"hist-{site.id}-{day:%Y%m%d}-{order.meal.value[:6]}-{n}",
                                      recorded_dt=start + timedelta(minutes=rng.randint(0, minutes))))
            order.status = MealOrderStatus.DINED_IN
            played.dine_in += 1
    deliveries = [o for o in made if o.mode == MealMode.DELIVERY]
    drivers = sim.day_drivers(workers, day, rng)
    if not deliveries or not drivers:
        return
    plan = sim.simulated_plan(site, day, PlanKind.MEALS, window.meal, published=start - timedelta(hours=2))
    plan.status = PlanStatus.CLOSED
    played.plans += 1
    by_id = {o.id: o for o in deliveries}
    for stop, eta in sim.lay_meal_routes(plan, site, deliveries, drivers, start, end):
        outcome, when = sim.meal_outcome(rng, eta)
        book.event(stop, StopEventKind.OUTCOME, when, outcome)
        stop.outcome, stop.outcome_dt, stop.arrival_dt = outcome, when, when
        order = by_id[stop.meal_order_id]
        order.status = MEAL_STATUS[outcome]
        played.count_meal(outcome)
        senior = order.senior
        if senior.lives_alone and outcome in ALONE_ALERTS:
            book.alert(ALONE_ALERTS[outcome], AlertSeverity.HIGH, senior.id, site.id, when, stop)
        missed = outcome in MISSED_MEAL_OUTCOMES
        if missed and book.missed_last[senior.id]:
            book.alert(AlertKind.MISSED_MEALS, AlertSeverity.MEDIUM, senior.id, site.id, when, None)
        book.missed_last[senior.id] = missed


def _visits(book: _Day, site, day: date, workers) -> None:
    planned = sim.lay_visits(site, day, workers, book.rng)
    for stop, window_start, minutes in planned:
        arrive, leave, outcome = sim.visit_times(book.rng, window_start, minutes)
        book.event(stop, StopEventKind.CHECK_IN, arrive)
        book.event(stop, StopEventKind.CHECK_OUT, leave, outcome)
        stop.arrival_dt, stop.departure_dt, stop.outcome, stop.outcome_dt = arrive, leave, outcome, leave
        request = stop.service_request
        request.status = RequestStatus.COMPLETED if outcome == StopOutcome.COMPLETED else RequestStatus.MISSED
        if request.status == RequestStatus.MISSED:
            request.status_reason = str(_l("Visit not done: %(why)s", why=outcome.value.replace("_", " ")))[:255]
        book.played.visits += 1
    if planned:
        planned[0][0].route.plan.status = PlanStatus.CLOSED
