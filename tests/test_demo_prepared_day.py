"""A fresh demo opens on a planned day: today's orders made, the demo worker's meal run published to them."""
from __future__ import annotations

from datetime import date, datetime, time

import pytest
import sqlalchemy as sa

from dispatch.demo.day import prepare_demo_day
from dispatch.demo.seed import DEMO_EMAILS
from dispatch.extensions import db
from dispatch.models import MealOrder, Plan, PlanKind, PlanStatus, Route, User, Worker
from dispatch.platform import clock
from dispatch.services import planning
from dispatch.services.rounds.today import worker_today

DAY = date(2030, 3, 7)  # a Thursday


@pytest.fixture
def app_config(app_config):
    return {**app_config, "SOLVER_TIME_LIMIT": 2}


def _demo_worker() -> Worker:
    return db.session.scalar(sa.select(Worker).join(User, Worker.user_id == User.id)
                             .where(User.email == DEMO_EMAILS["worker"]))


def test_the_demo_worker_opens_on_a_published_route_that_passes_the_checker(app, runner):
    assert runner.invoke(args=["seed", "--today", DAY.isoformat()]).exit_code == 0
    day = prepare_demo_day(DAY)

    assert day.orders_made == db.session.scalar(sa.select(sa.func.count(MealOrder.id))) > 0
    assert day.plans and all(p.published and p.stops > 0 for p in day.plans), day.plans
    db.session.expire_all()
    published = db.session.scalars(sa.select(Plan).where(Plan.status == PlanStatus.PUBLISHED)).all()
    # The meal runs, and the first staff site's visits round (tests/test_demo_visitation.py).
    assert sum(p.kind == PlanKind.MEALS for p in published) == len(day.plans)
    for plan in published:
        assert planning.check_plan(plan) == []
    worker = _demo_worker()
    # The login belongs to a worker with stops today (moved there if the solver left the first one idle).
    assert db.session.scalar(sa.select(sa.func.count(Route.id)).where(Route.worker_id == worker.id)) == 1
    assert day.worker is None or day.worker.startswith(worker.full_name)
    login = db.session.scalar(sa.select(User).where(User.email == DEMO_EMAILS["worker"]))
    assert login.display_name == worker.full_name
    morning = datetime.combine(DAY, time(9), tzinfo=clock.zone_of(worker.home_site))
    stops = [s for r in worker_today(worker, now=lambda: morning).routes for s in r.stops]
    assert stops, "the worker page lists the route's stops"


def test_demo_plans_today_unless_told_not_to(app, runner):
    left = runner.invoke(args=["demo", "--no-serve", "--no-plan", "--no-history", "--seniors", "60"])
    assert left.exit_code == 0, left.output
    assert "Today:" not in left.output and db.session.scalar(sa.select(sa.func.count(Plan.id))) == 0

    planned = runner.invoke(args=["demo", "--no-serve", "--reset", "--seniors", "200"])
    assert planned.exit_code == 0, planned.output
    # What gets planned depends on the real weekday; the first test checks it on a fixed day.
    assert "Today:" in planned.output and "meal orders made" in planned.output


def test_an_idle_demo_worker_login_moves_to_the_longest_route(app, runner):
    """The solver may leave the picked worker idle; the login then moves to a worker with stops."""
    from dispatch.demo.day import login_onto_a_route

    assert runner.invoke(args=["seed", "--today", DAY.isoformat()]).exit_code == 0
    prepare_demo_day(DAY)
    plan = db.session.scalars(sa.select(Plan).where(Plan.status == PlanStatus.PUBLISHED)).one()
    routed = {r.worker_id: len(r.stops) for r in plan.routes if r.stops}
    idle = db.session.scalars(sa.select(Worker).where(Worker.id.not_in(routed), Worker.user_id.is_(None))).first()
    login = db.session.scalar(sa.select(User).where(User.email == DEMO_EMAILS["worker"]))
    _demo_worker().user_id = None
    db.session.flush()
    idle.user_id = login.id
    db.session.commit()

    moved = login_onto_a_route(idle, [plan])
    db.session.expire_all()
    worker = _demo_worker()
    assert routed[worker.id] == max(routed.values()) and moved == f"{worker.full_name} ({worker.kind})"
    assert db.session.get(Worker, idle.id).user_id is None and login.display_name == worker.full_name
    assert login_onto_a_route(worker, [plan]) is None  # already on a route: stays


def test_late_on_the_machines_clock_a_closed_meal_is_not_planned_and_says_why(app, runner):
    """``--real-clock`` at 22:20 in the district: lunch's window has closed, so no empty plan is made."""
    from datetime import timezone

    from dispatch.platform.clock import FixedClock

    assert runner.invoke(args=["seed", "--today", DAY.isoformat()]).exit_code == 0
    late = datetime.combine(DAY, time(22, 20), tzinfo=clock.default_zone()).astimezone(timezone.utc)
    clock.install(app, FixedClock(late))
    day = prepare_demo_day(DAY)
    assert day.plans and all(not p.published and p.stops == 0 for p in day.plans), day.plans
    assert all("window closed" in p.note and "22:20" in p.note for p in day.plans), day.plans
    assert db.session.scalar(sa.select(sa.func.count(Plan.id))) == 0
